//! Injection through names and values: nothing an input file's name or a
//! string in it holds may reach generated text as anything but quoted data.

use super::*;

/// A privileged Pod in `kube-system`, as YAML a line break would let loose.
const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: kube-system}\nspec: {containers: [{name: c, image: x, securityContext: {privileged: true}}]}\n#";

/// The line breaks a YAML reader (kustomize's among them) breaks lines at.
const LINE_BREAKS: [&str; 5] = ["\n", "\r", "\u{2028}", "\u{2029}", "\u{85}"];

#[cfg(unix)]
#[test]
fn a_line_break_in_a_file_name_never_reaches_generated_text() {
    for brk in LINE_BREAKS {
        let dir = base("name-injection");
        let shop = dir.join("projects/shop.yaml");
        let payload = POD.replace('\n', brk);
        std::fs::rename(&shop, dir.join(format!("projects/shop{brk}{payload}.yaml"))).unwrap();
        // The name itself holds colons, so the location is checked here.
        let stderr = assert_refused(&dir, false);
        assert!(stderr.starts_with("projects/shop"), "{brk:?}: {stderr}");
        assert!(
            stderr.contains(".yaml:1:1: input file name has `"),
            "{brk:?}: {stderr}"
        );
        assert!(stderr.contains("[unportable-path]"), "{brk:?}: {stderr}");
        // The name is quoted with its line break escaped, on one line.
        assert_eq!(stderr.lines().count(), 2, "{brk:?}: {stderr}");
        assert!(
            !stderr.lines().any(|l| l.starts_with("kind: Pod")),
            "{brk:?}: {stderr}"
        );
        assert!(
            stderr.contains(&brk.escape_default().to_string()),
            "{brk:?}: {stderr}"
        );
    }
}

#[cfg(unix)]
#[test]
fn a_file_name_cannot_add_a_codeowners_line() {
    let dir = base("codeowners-injection");
    let kprov_yaml = dir.join("kprov.yaml");
    let text = std::fs::read_to_string(&kprov_yaml).unwrap();
    std::fs::write(&kprov_yaml, format!("{text}  github: {{org: acme}}\n")).unwrap();
    std::fs::rename(
        dir.join("projects/shop.yaml"),
        dir.join("projects/shop.yaml\n* @acme-team-leads\n#.yaml"),
    )
    .unwrap();
    let stderr = assert_refused(&dir, true);
    assert!(stderr.contains("[unportable-path]"), "{stderr}");
    assert!(!dir.join(".github/CODEOWNERS").exists());
}

#[test]
fn names_with_spaces_or_codeowners_syntax_are_refused_with_a_suggestion() {
    for name in ["my shop", "shop#1", "shop*", "[shop]", "shöp"] {
        let dir = base("unportable");
        std::fs::rename(
            dir.join("projects/shop.yaml"),
            dir.join(format!("projects/{name}.yaml")),
        )
        .unwrap();
        let stderr = assert_refused(&dir, true);
        assert!(
            stderr.contains("[unportable-path]")
                && stderr.contains("Rename it, e.g. to `projects/"),
            "{name}: {stderr}"
        );
    }
}

#[test]
fn characters_kustomize_cannot_read_are_refused_in_every_string() {
    // Written as YAML escapes, so the file itself is clean UTF-8: the value
    // is what would reach the output.
    for (escape, shown) in [
        ("\\x7F", "U+007F"),
        ("\\x9B", "U+009B"),
        ("\\x85", "U+0085"),
        ("\\uFFFE", "U+FFFE"),
        ("\\uFFFF", "U+FFFF"),
        ("\\u2028", "U+2028"),
        ("\\x01", "U+0001"),
    ] {
        for field in ["annotations: {note: \"a", "description: \"a"] {
            let dir = base("unreadable");
            let shop = dir.join("projects/shop.yaml");
            let text = std::fs::read_to_string(&shop).unwrap();
            std::fs::write(
                &shop,
                format!(
                    "{text}  {field}{escape}b\"{}\n",
                    if field.starts_with("annotations") {
                        "}"
                    } else {
                        ""
                    }
                ),
            )
            .unwrap();
            let stderr = assert_refused(&dir, true);
            assert!(stderr.contains(shown), "{escape} in {field}: {stderr}");
        }
    }
}

#[test]
fn a_utf16_project_file_is_an_error_not_skipped() {
    let dir = base("utf16");
    let shop = dir.join("projects/shop.yaml");
    let text = std::fs::read_to_string(&shop).unwrap();
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(&shop, bytes).unwrap();
    let stderr = assert_refused(&dir, true);
    assert!(
        stderr.contains("projects/shop.yaml:1:1: file is UTF-16LE"),
        "{stderr}"
    );
}

/// `kprov.yaml` is read before the walk (for the output directory); a link
/// to an endless file there must not hang the run.
#[cfg(unix)]
#[test]
fn a_kprov_yaml_linked_to_an_endless_file_is_not_read() {
    let dir = base("endless");
    std::fs::remove_file(dir.join("kprov.yaml")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.join("kprov.yaml")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kprov"))
        .arg("validate")
        .arg(&dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // A sanity bound, not a timing: it ends at once, and used to run forever.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("kprov validate read kprov.yaml -> /dev/zero without end");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("kprov.yaml:1:1: warning: symbolic link not followed"),
        "{stderr}"
    );
}
