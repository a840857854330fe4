//! The output tree: `render` is its only writer and `diff` its gate, so
//! neither may be fooled by concurrent runs, by entries kprov did not
//! generate, by an output path that overlaps input, or by links. See
//! main.rs for the promises every refusal checks.

use std::process::{Child, Output, Stdio};

use super::*;

fn kprov_cmd(args: &[&str], dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kprov"));
    cmd.args(args).arg(dir);
    cmd
}

fn run(args: &[&str], dir: &Path) -> Output {
    kprov_cmd(args, dir).output().unwrap()
}

fn spawn(args: &[&str], dir: &Path) -> Child {
    kprov_cmd(args, dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A copy of the example estate with its committed output tree.
fn acme(name: &str) -> PathBuf {
    let dir = scratch(name).join("estate");
    copy_dir(&repo().join("fixtures/acme"), &dir);
    dir
}

/// Names of the staging and backup directories in the estate root.
fn staging_dirs(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".kprov-"))
        .collect()
}

/// Every entry under `dir` with what it is: bytes of regular files, link
/// targets, permission bits of directories. Unlike `tree`, never opens a
/// named pipe (that would block).
#[cfg(unix)]
fn snapshot(dir: &Path) -> Vec<(PathBuf, String)> {
    use std::os::unix::fs::PermissionsExt as _;
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let mode = std::fs::metadata(&d).unwrap().permissions().mode();
        out.push((d.clone(), format!("dir {mode:o}")));
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let t = e.file_type().unwrap();
            let what = if t.is_dir() {
                stack.push(e.path());
                continue;
            } else if t.is_symlink() {
                format!("link {}", std::fs::read_link(e.path()).unwrap().display())
            } else if t.is_file() {
                String::from_utf8_lossy(&std::fs::read(e.path()).unwrap()).into_owned()
            } else {
                "special".to_owned()
            };
            out.push((e.path(), what));
        }
    }
    out.sort();
    out
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success());
}

/// Two renders started together on one estate end as if run one after the
/// other: every round's tree is exactly the legal result, both report
/// success, and no staging directory is left. Each round changes the
/// inputs (the monitoring project, which lands on every cluster, comes and
/// goes) and runs either two `--cluster` selections whose union is the
/// whole estate, or a full render beside one selection; either way both
/// serial orders give the full render of the round's inputs, and a lost
/// update leaves the previous round's files in some cluster. A `diff` runs
/// beside them and must never fail to read the tree.
#[test]
fn concurrent_renders_end_as_if_run_one_after_the_other() {
    let dir = acme("concurrent");
    let monitoring = dir.join("projects/monitoring.yaml");
    let monitoring_text = std::fs::read(&monitoring).unwrap();
    let render_all = |dir: &Path| {
        let out = run(&["render"], dir);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        tree(&dir.join("clusters"))
    };
    std::fs::remove_file(&monitoring).unwrap();
    let without = render_all(&dir);
    std::fs::write(&monitoring, &monitoring_text).unwrap();
    let with = render_all(&dir);
    assert_ne!(with, without);

    for round in 0..20 {
        let expected = if round % 2 == 0 {
            std::fs::remove_file(&monitoring).unwrap();
            &without
        } else {
            std::fs::write(&monitoring, &monitoring_text).unwrap();
            &with
        };
        let (first, second): (&[&str], &[&str]) = if round % 4 < 2 {
            (
                &["render", "--cluster", "cluster-eu-*"],
                &["render", "--cluster", "cluster-us-*"],
            )
        } else {
            (&["render"], &["render", "--cluster", "cluster-eu-*"])
        };
        let children = [
            spawn(first, &dir),
            spawn(second, &dir),
            spawn(&["diff", "--format", "json"], &dir),
        ];
        let outs: Vec<Output> = children
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect();
        for out in &outs[..2] {
            let err = stderr(out);
            assert_eq!(out.status.code(), Some(0), "round {round}: {err}");
            assert!(!err.contains("error:"), "round {round}: {err}");
            assert!(
                err.matches("waiting for another kprov").count() <= 1,
                "round {round}: {err}"
            );
        }
        assert!(
            matches!(outs[2].status.code(), Some(0 | 1)),
            "round {round}: diff could not read the tree: {}",
            stderr(&outs[2])
        );
        let drift: serde_json::Value = serde_json::from_slice(&outs[2].stdout).unwrap();
        assert_eq!(drift["foreign"], serde_json::json!([]), "round {round}");
        assert!(
            tree(&dir.join("clusters")) == *expected,
            "round {round}: the tree is not the result of running both renders in turn"
        );
        assert_eq!(staging_dirs(&dir), Vec::<String>::new(), "round {round}");
    }
}

/// While another run holds the estate's lock, `render` and `diff` say once
/// that they wait, touch nothing, and finish normally once it is released.
#[test]
fn a_run_waits_for_the_lock_and_says_so() {
    use std::io::BufRead as _;
    let dir = acme("lock-wait");
    std::fs::remove_file(dir.join("projects/monitoring.yaml")).unwrap();
    for (args, code) in [(&["render"][..], 0), (&["diff"], 0)] {
        let before = tree(&dir);
        let held = std::fs::File::open(&dir).unwrap();
        held.lock().unwrap();
        let mut child = spawn(args, &dir);
        let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
        let mut seen = String::new();
        let mut line = String::new();
        while !seen.contains("waiting for another kprov on this estate to finish") {
            line.clear();
            let n = err.read_line(&mut line).unwrap();
            assert!(n > 0, "{args:?} ended without waiting: {seen}");
            seen.push_str(&line);
        }
        // It is blocked on the lock now: nothing may have changed.
        assert_eq!(tree(&dir), before, "{args:?} wrote while waiting");
        drop(held);
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
        let status = child.wait().unwrap();
        seen.push_str(&rest);
        assert_eq!(status.code(), Some(code), "{args:?}: {seen}");
        assert_eq!(
            seen.matches("waiting for another kprov").count(),
            1,
            "{seen}"
        );
    }
}

/// `kill -9` at any moment of a render leaves the old tree or the new one
/// (or, between the two renames, only a backup), and the next render puts
/// the backup back and says so.
#[test]
fn a_killed_render_leaves_the_old_or_the_new_tree() {
    let dir = acme("killed");
    let old = tree(&dir.join("clusters"));
    std::fs::remove_file(dir.join("projects/monitoring.yaml")).unwrap();
    let fresh = acme("killed-reference");
    std::fs::remove_file(fresh.join("projects/monitoring.yaml")).unwrap();
    assert_eq!(run(&["render"], &fresh).status.code(), Some(0));
    let new: Vec<_> = tree(&fresh.join("clusters"))
        .into_iter()
        .map(|(p, b)| (dir.join(p.strip_prefix(&fresh).unwrap()), b))
        .collect();
    for step in 0..12u64 {
        // Spread the kills over the run; where each lands does not matter,
        // only that whatever is left is whole.
        let mut child = spawn(&["render"], &dir);
        std::thread::sleep(std::time::Duration::from_millis(step * 15));
        let _ = child.kill();
        child.wait().unwrap();
        let now = tree(&dir.join("clusters"));
        if dir.join("clusters").exists() {
            assert!(now == old || now == new, "kill {step}: a mixed tree");
        } else {
            let backup: Vec<String> = staging_dirs(&dir)
                .into_iter()
                .filter(|n| n.ends_with(".old"))
                .collect();
            assert_eq!(backup.len(), 1, "kill {step}: no tree and no backup");
        }
        // Back to the old tree for the next kill.
        let restore = acme("killed-restore");
        std::fs::remove_dir_all(dir.join("clusters")).ok();
        for name in staging_dirs(&dir) {
            std::fs::remove_dir_all(dir.join(name)).unwrap();
        }
        copy_dir(&restore.join("clusters"), &dir.join("clusters"));
    }
    // Between the renames: only a backup. The next render restores it first.
    std::fs::rename(dir.join("clusters"), dir.join(".kprov-clusters.4242-0.old")).unwrap();
    std::fs::create_dir_all(dir.join(".kprov-clusters.4242-1.tmp/half")).unwrap();
    std::fs::create_dir_all(dir.join(".kprov-clusters.tmp")).unwrap();
    let out = run(&["render"], &dir);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains(
            ".kprov-clusters.4242-0.old: left by an interrupted kprov render; restored as clusters"
        ),
        "{err}"
    );
    assert!(
        err.contains(".kprov-clusters.4242-1.tmp: left by an interrupted kprov render; removed"),
        "{err}"
    );
    assert!(
        err.contains(".kprov-clusters.tmp: left by an interrupted kprov render; removed"),
        "{err}"
    );
    // Restored, then rendered on top: the stale monitoring files are gone.
    assert!(err.contains("removed"), "{err}");
    assert!(tree(&dir.join("clusters")) == new);
    assert!(staging_dirs(&dir).is_empty());
}

/// A file kprov did not generate in a cluster directory changes what Flux
/// applies (a `Kustomization` there replaces kprov's), so `diff` fails on
/// it, and on links, pipes and empty directories, in every format.
#[cfg(unix)]
#[test]
fn diff_fails_on_anything_kprov_did_not_generate() {
    let dir = acme("diff-foreign");
    let cluster = dir.join("clusters/cluster-us-east-1-prod");
    assert_eq!(run(&["diff"], &dir).status.code(), Some(0));
    type Make = Box<dyn Fn(&Path)>;
    let cases: [(&str, &str, Make); 4] = [
        (
            "Kustomization",
            "file",
            Box::new(|p: &Path| std::fs::write(p, "resources: [../../elsewhere]\n").unwrap()),
        ),
        (
            "apps/evil.yaml",
            "symbolic link",
            Box::new(|p: &Path| std::os::unix::fs::symlink("/etc/passwd", p).unwrap()),
        ),
        ("pipe", "named pipe", Box::new(|p: &Path| mkfifo(p))),
        (
            "apps/empty",
            "empty directory",
            Box::new(|p: &Path| std::fs::create_dir(p).unwrap()),
        ),
    ];
    for (name, kind, make) in cases {
        let path = cluster.join(name);
        make(&path);
        let rel = format!("clusters/cluster-us-east-1-prod/{name}");
        let text = run(&["diff"], &dir);
        assert_eq!(text.status.code(), Some(1), "{name}: {}", stderr(&text));
        assert!(
            stdout(&text).contains(&format!("not generated by kprov: {rel} ({kind})")),
            "{name}: {}",
            stdout(&text)
        );
        let json = run(&["diff", "--format", "json"], &dir);
        assert_eq!(json.status.code(), Some(1));
        let drift: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
        let kind_id = kind.replace("named pipe", "fifo").replace(' ', "-");
        let kind_id = kind_id.replace("symbolic-link", "symlink");
        assert_eq!(
            drift["foreign"],
            serde_json::json!([{"path": format!("cluster-us-east-1-prod/{name}"), "kind": kind_id}]),
            "{name}"
        );
        let markdown = run(&["diff", "--format", "markdown"], &dir);
        assert_eq!(markdown.status.code(), Some(1));
        assert!(
            stdout(&markdown).contains(&format!("- `{rel}` ({kind})")),
            "{}",
            stdout(&markdown)
        );
        // Only that cluster's selection sees it.
        let other = run(&["diff", "--cluster", "cluster-eu-*"], &dir);
        assert_eq!(other.status.code(), Some(0), "{}", stdout(&other));
        if std::fs::symlink_metadata(&path).unwrap().is_dir() {
            std::fs::remove_dir(&path).unwrap();
        } else {
            std::fs::remove_file(&path).unwrap();
        }
    }
    assert_eq!(run(&["diff"], &dir).status.code(), Some(0));
}

/// `render` cannot carry a link, pipe or socket into a fresh tree, so it
/// refuses before writing anything and names each; it never drops them.
#[cfg(unix)]
#[test]
fn render_refuses_entries_it_cannot_carry_over() {
    let dir = acme("render-links");
    std::fs::remove_file(dir.join("projects/monitoring.yaml")).unwrap();
    std::os::unix::fs::symlink(
        "../cluster-eu-west-1-dev",
        dir.join("clusters/cluster-us-east-1-dev/link"),
    )
    .unwrap();
    mkfifo(&dir.join("clusters/cluster-eu-west-1-prod/pipe"));
    let before = snapshot(&dir);
    for args in [&["render"][..], &["render", "--cluster", "cluster-us-*"]] {
        let out = run(args, &dir);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains("clusters: holds entries kprov did not generate and cannot carry over into the new tree: clusters/cluster-eu-west-1-prod/pipe (named pipe), clusters/cluster-us-east-1-dev/link (symbolic link); nothing was written"),
            "{err}"
        );
        assert_eq!(snapshot(&dir), before, "{args:?} changed something");
    }
}

/// Foreign files and empty directories are carried over with a warning
/// naming them, and every directory keeps its permission bits.
#[cfg(unix)]
#[test]
fn render_carries_over_empty_directories_and_directory_modes() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = acme("render-modes");
    let cluster = dir.join("clusters/cluster-us-east-1-dev");
    std::fs::create_dir_all(cluster.join("scratch/empty")).unwrap();
    std::fs::write(cluster.join("OWNERS"), "me\n").unwrap();
    std::fs::set_permissions(&cluster, std::fs::Permissions::from_mode(0o750)).unwrap();
    std::fs::set_permissions(
        dir.join("clusters/cluster-eu-west-1-dev/apps"),
        std::fs::Permissions::from_mode(0o700),
    )
    .unwrap();
    std::fs::remove_file(dir.join("projects/monitoring.yaml")).unwrap();
    let out = run(&["render"], &dir);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    for line in [
        "clusters/cluster-us-east-1-dev/OWNERS: warning: file not generated by kprov; carried over",
        "clusters/cluster-us-east-1-dev/scratch/empty: warning: empty directory not generated by kprov; carried over",
    ] {
        assert!(err.contains(line), "{err}");
    }
    assert!(cluster.join("scratch/empty").is_dir());
    assert_eq!(
        std::fs::read_to_string(cluster.join("OWNERS")).unwrap(),
        "me\n"
    );
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&cluster), 0o750);
    assert_eq!(
        mode(&dir.join("clusters/cluster-eu-west-1-dev/apps")),
        0o700
    );
    assert!(!cluster.join("apps/monitoring-dev.yaml").exists());
}

/// An output path that is a file, or an output tree holding kprov input
/// (which the loader skips there), is refused by render and diff alike.
#[test]
fn output_overlapping_input_is_refused() {
    let dir = base("output-file");
    std::fs::write(dir.join("generated.txt"), "keep me\n").unwrap();
    let kprov_yaml = dir.join("kprov.yaml");
    let text = std::fs::read_to_string(&kprov_yaml).unwrap();
    std::fs::write(&kprov_yaml, format!("{text}  output: generated.txt\n")).unwrap();
    let before = tree(&dir);
    for command in ["render", "diff"] {
        let out = run(&[command], &dir);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{command}: {err}");
        assert!(
            err.contains("generated.txt: spec.output names something that is not a directory"),
            "{command}: {err}"
        );
        assert_eq!(tree(&dir), before, "{command}");
    }

    for (name, contents) in [
        ("policy.rego", "package kprov\n"),
        ("namespace.yaml.j2", "kind: Namespace\n"),
        (
            "tenant.yaml",
            "apiVersion: kprov.dev/v1alpha1\nkind: Tenant\nmetadata: {name: hidden}\n",
        ),
    ] {
        let dir = acme("output-input");
        let path = format!("clusters/cluster-eu-west-1-dev/{name}");
        std::fs::write(dir.join(&path), contents).unwrap();
        std::fs::remove_file(dir.join("projects/monitoring.yaml")).unwrap();
        let before = tree(&dir);
        for command in ["render", "diff"] {
            let out = run(&[command], &dir);
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(2), "{command} {name}: {err}");
            assert!(
                err.contains(&format!("spec.output overlaps the estate's input: `{path}` is input that kprov would stop reading")),
                "{command} {name}: {err}"
            );
            assert_eq!(tree(&dir), before, "{command} {name}");
        }
    }
}

/// Golden tests never follow a link: an outside file is neither printed in
/// a diff nor overwritten by `--update`.
#[cfg(unix)]
#[test]
fn kprov_test_does_not_follow_symlinks() {
    let dir = acme("test-links");
    let outside = dir.parent().unwrap().join("outside");
    std::fs::create_dir_all(outside.join("case")).unwrap();
    std::fs::write(outside.join("expected.yaml"), "secret: outside-expected\n").unwrap();
    std::fs::write(
        outside.join("claim.yaml"),
        "claim: {name: outside-claim, spec: {}}\n",
    )
    .unwrap();
    std::fs::write(
        outside.join("case/claim.yaml"),
        "claim: {name: outside-dir, spec: {}}\n",
    )
    .unwrap();
    std::fs::write(outside.join("case/expected.yaml"), "secret: outside-dir\n").unwrap();
    let tests = dir.join("compositions/postgres/tests");
    std::fs::remove_file(tests.join("defaults/expected.yaml")).unwrap();
    std::os::unix::fs::symlink(
        outside.join("expected.yaml"),
        tests.join("defaults/expected.yaml"),
    )
    .unwrap();
    std::fs::remove_file(tests.join("replicated-no-backup/claim.yaml")).unwrap();
    std::os::unix::fs::symlink(
        outside.join("claim.yaml"),
        tests.join("replicated-no-backup/claim.yaml"),
    )
    .unwrap();
    std::os::unix::fs::symlink(outside.join("case"), tests.join("linked")).unwrap();
    let outside_before = tree(&outside);
    let estate_before = tree(&dir);
    for args in [&["test"][..], &["test", "--update"]] {
        let out = run(args, &dir);
        let (out_text, err) = (stdout(&out), stderr(&out));
        assert!(!out_text.contains("outside"), "{args:?}: {out_text}");
        for link in [
            "defaults/expected.yaml",
            "replicated-no-backup/claim.yaml",
            "linked",
        ] {
            assert!(
                err.contains(&format!(
                    "compositions/postgres/tests/{link}:1:1: warning: symbolic link not followed"
                )),
                "{args:?}: {err}"
            );
        }
        assert_eq!(out.status.code(), Some(0), "{args:?}: {out_text}{err}");
        assert_eq!(tree(&outside), outside_before, "{args:?} wrote outside");
        assert_eq!(tree(&dir), estate_before, "{args:?} replaced a link");
    }

    // The whole `tests` directory a link to cases outside the estate.
    std::fs::remove_dir_all(&tests).unwrap();
    let cases = dir.parent().unwrap().join("cases");
    std::fs::create_dir_all(&cases).unwrap();
    std::os::unix::fs::symlink(outside.join("case"), cases.join("case")).unwrap();
    std::os::unix::fs::symlink(&cases, &tests).unwrap();
    let out = run(&["test", "--update"], &dir);
    let (out_text, err) = (stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(0), "{out_text}{err}");
    assert!(!out_text.contains("outside"), "{out_text}");
    assert!(out_text.contains("0 passed, 0 failed"), "{out_text}");
    assert!(
        err.contains("compositions/postgres/tests:1:1: warning: symbolic link not followed"),
        "{err}"
    );
    assert_eq!(tree(&outside), outside_before);
}

/// `render` stages the generated files outside the tree before it swaps
/// the tree, so a failure there leaves the old state and exit 2 is the
/// truth.
#[test]
fn a_root_file_that_cannot_be_written_leaves_the_old_tree() {
    let dir = acme("root-file");
    std::fs::remove_dir_all(dir.join(".github")).ok();
    std::fs::write(dir.join(".github"), "a file where a directory should be\n").unwrap();
    std::fs::remove_file(dir.join("projects/monitoring.yaml")).unwrap();
    let before = tree(&dir);
    let out = run(&["render"], &dir);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(".github/CODEOWNERS"), "{err}");
    assert_eq!(tree(&dir), before, "something was written");
    assert!(staging_dirs(&dir).is_empty());
}

/// `kprov init` never writes through a link and leaves nothing behind when
/// it fails half-way.
#[cfg(unix)]
#[test]
fn init_refuses_links_and_cleans_up_after_failure() {
    let root = scratch("init-links");
    let elsewhere = root.join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let dir = root.join("estate");
    std::fs::create_dir_all(&dir).unwrap();
    std::os::unix::fs::symlink(&elsewhere, dir.join(".github")).unwrap();
    let out = run(&["init"], &dir);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("refusing to write through symbolic links: .github"),
        "{err}"
    );
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);

    // The estate directory itself a link.
    let linked = root.join("linked");
    std::os::unix::fs::symlink(&elsewhere, &linked).unwrap();
    let out = run(&["init"], &linked);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);

    // With `--force`, a scaffold file that is a link is refused too, and
    // so is a directory where a scaffold file goes.
    let dir = root.join("forced");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(elsewhere.join("target"), "outside\n").unwrap();
    std::os::unix::fs::symlink(elsewhere.join("target"), dir.join("README.md")).unwrap();
    let out = run(&["init", "--force"], &dir);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("symbolic links: README.md"), "{err}");
    assert_eq!(
        std::fs::read_to_string(elsewhere.join("target")).unwrap(),
        "outside\n"
    );
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    std::fs::remove_file(dir.join("README.md")).unwrap();
    std::fs::remove_file(elsewhere.join("target")).unwrap();
    std::fs::create_dir_all(dir.join("README.md/inside")).unwrap();
    let before = tree(&dir);
    let out = run(&["init", "--force"], &dir);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("these are not files: README.md"), "{err}");
    assert_eq!(tree(&dir), before);

    // A file where the scaffold needs a directory: the files before it in
    // the scaffold were written, and must be gone again.
    let dir = root.join("half");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("platform"), "not a directory\n").unwrap();
    let before = tree(&dir);
    let out = run(&["init"], &dir);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(tree(&dir), before);
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        1,
        "directories left"
    );
}

/// A reader that goes away (`kprov tree | head`) ends the command quietly,
/// with the status its work earned: 0, or 1 for a drifted `diff`.
#[test]
fn a_closed_stdout_ends_quietly() {
    let acme_dir = repo().join("fixtures/acme");
    let drifted = acme("epipe");
    std::fs::remove_file(drifted.join("projects/monitoring.yaml")).unwrap();
    let cases: [(&[&str], &Path, i32); 8] = [
        (&["tree"], &acme_dir, 0),
        (&["report"], &acme_dir, 0),
        (&["codeowners"], &acme_dir, 0),
        (&["validate", "--format", "json"], &acme_dir, 0),
        (
            &["explain", "cluster-us-east-1-prod/checkout-prod"],
            &acme_dir,
            0,
        ),
        (&["test"], &acme_dir, 0),
        (&["diff"], &drifted, 1),
        (&["diff", "--format", "json"], &drifted, 1),
    ];
    for (args, dir, code) in cases {
        // The read end is closed before kprov starts: every write fails.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = kprov_cmd(args, dir)
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
        assert!(!err.contains("error:"), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
    for args in [&["schema"][..], &["lints"]] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = Command::new(env!("CARGO_BIN_EXE_kprov"))
            .args(args)
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
    }
}
