//! `kprov import libvirt` end to end, on the hand-written domains of
//! `tests/import/`: what it writes validates, renders to objects that pass
//! their upstream schemas and build with `kubectl kustomize`; an existing
//! project keeps every byte it had; unusable input writes nothing.

use std::path::{Path, PathBuf};
use std::process::Command;

mod support;
use support::{copy_dir, kprov, repo, scratch, tree};

fn estate(name: &str) -> PathBuf {
    let dir = scratch(name);
    copy_dir(&repo().join("tests/import/estate"), &dir);
    dir
}

/// `kprov import libvirt` into `dir` with the fixtures' flags, run from the
/// repository root so the report names the inputs as given.
fn import(dir: &Path, extra: &[&str], inputs: &[&str]) -> (i32, String, String) {
    import_to(dir, ("ops", "rack-b"), extra, inputs)
}

fn import_to(
    dir: &Path,
    (tenant, cluster): (&str, &str),
    extra: &[&str],
    inputs: &[&str],
) -> (i32, String, String) {
    let dir = dir.to_str().unwrap();
    let mut args = vec![
        "import",
        "libvirt",
        "--estate",
        dir,
        "--tenant",
        tenant,
        "--project",
        "apps",
        "--environment",
        "prod",
        "--cluster",
        cluster,
        "--image-url",
        "https://images.example.org/vm",
        "--sizes",
        "tests/import/sizes.csv",
    ];
    args.extend(extra);
    args.extend(inputs);
    kprov(&args, &repo())
}

#[test]
fn imported_domains_validate_render_and_build() {
    let dir = estate("import-roundtrip");
    let (code, stdout, stderr) = import(
        &dir,
        &["--owner", "group:apps-admins"],
        &["tests/import/domains"],
    );
    // Two domains are blocked and one converts with warnings.
    assert_eq!(code, 1, "{stderr}");
    insta::assert_snapshot!("report_text", stdout);
    let project = std::fs::read_to_string(dir.join("projects/apps.yaml")).unwrap();
    insta::assert_snapshot!("project_new", project);

    let kinds = validate_render_and_build(&dir);
    assert_eq!(kinds.iter().filter(|k| *k == "VirtualMachine").count(), 3);
}

/// `kprov validate` and `kprov render` succeed in `dir`, every rendered
/// object passes its strict upstream schema, and `kubectl kustomize`
/// builds rack-b's tree; the kinds rendered.
fn validate_render_and_build(dir: &Path) -> Vec<String> {
    let (code, _, stderr) = kprov(&["validate"], dir);
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = kprov(&["render"], dir);
    assert_eq!(code, 0, "{stderr}");
    let clusters = dir.join("clusters");
    let mut kinds = Vec::new();
    for (path, bytes) in tree(&clusters) {
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let text = String::from_utf8(bytes).unwrap();
        let stream = kprov::yaml::parse_stream(&text, kprov::yaml::Limits::default());
        assert!(stream.errors.is_empty(), "{}", path.display());
        for doc in stream.documents {
            let kind = doc.value["kind"].as_str().unwrap_or("").to_owned();
            if kind == "NetworkAttachmentDefinition" || kind == "Kustomization" {
                continue;
            }
            if let Some(errors) = kprov::conformance::upstream_errors(&doc.value) {
                assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
            }
            kinds.push(kind);
        }
    }
    let out = Command::new("kubectl")
        .arg("kustomize")
        .arg(clusters.join("rack-b"))
        .output()
        .expect("kubectl must be installed (.ci/run installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    kinds
}

#[test]
fn openvz_containers_size_a_project_skeleton() {
    let dir = estate("import-openvz");
    let openvz = |extra: &[&str], inputs: &[&str]| {
        let estate = dir.to_str().unwrap();
        let mut args = vec![
            "import",
            "openvz",
            "--estate",
            estate,
            "--tenant",
            "ops",
            "--project",
            "legacy-web",
            "--environment",
            "prod",
            "--cluster",
            "rack-b",
        ];
        args.extend(extra);
        args.extend(inputs);
        kprov(&args, &repo())
    };
    // Unreadable configs are reported at their lines; nothing is written.
    let before = tree(&dir);
    let (code, stdout, stderr) = openvz(
        &["--owner", "group:web-admins"],
        &["tests/import/openvz", "tests/import/openvz-bad"],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("openvz-bad/103.conf:2:6: the value's \" is not closed [openvz-conf]")
            && stderr.contains("103.conf:3:14: a shell expansion or escape"),
        "{stderr}"
    );
    assert_eq!(tree(&dir), before);

    // The web server swapped and had addresses: a warning each.
    let (code, stdout, stderr) = openvz(&["--owner", "group:web-admins"], &["tests/import/openvz"]);
    assert_eq!(code, 1, "{stderr}");
    insta::assert_snapshot!("openvz_report_text", stdout);
    let project = std::fs::read_to_string(dir.join("projects/legacy-web.yaml")).unwrap();
    insta::assert_snapshot!("openvz_project", project);
    let kinds = validate_render_and_build(&dir);
    assert_eq!(
        kinds
            .iter()
            .filter(|k| *k == "PersistentVolumeClaim")
            .count(),
        2
    );
    assert!(kinds.iter().any(|k| k == "ResourceQuota"), "{kinds:?}");

    // The project exists now: refused.
    let before = tree(&dir);
    let (code, _, stderr) = openvz(
        &["--owner", "group:web-admins", "--report", "json"],
        &["tests/import/openvz/102.conf"],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("[import-refused]"), "{stderr}");
    assert_eq!(tree(&dir), before);

    // The database alone is clean; the JSON and CSV reports.
    let dir = estate("import-openvz-db");
    let root = dir.to_str().unwrap();
    let db = [
        "import",
        "openvz",
        "--estate",
        root,
        "--tenant",
        "ops",
        "--project",
        "db",
        "--environment",
        "prod",
        "--cluster",
        "rack-b",
        "--owner",
        "group:db-admins",
        "--report",
        "json",
        "tests/import/openvz/102.conf",
    ];
    let (code, stdout, stderr) = kprov(&db, &repo());
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!("openvz_report_json", stdout);
    let (code, _, stderr) = kprov(&["validate"], &dir);
    assert_eq!(code, 0, "{stderr}");
    let dir = estate("import-openvz-csv");
    let mut csv = db;
    csv[3] = dir.to_str().unwrap();
    csv[15] = "csv";
    let (code, stdout, stderr) = kprov(&csv, &repo());
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.starts_with("table,file,ctid,name,status,"),
        "{stdout}"
    );
    assert!(stdout.contains("\nContainers,tests/import/openvz/102.conf,102,db01,containerization candidate,db,db-prod,rack-b,4,8Gi,0,110Gi,db01-data,debian-11-x86_64,,"), "{stdout}");
}

#[test]
fn json_report_and_a_clean_import() {
    let dir = estate("import-json");
    let (code, stdout, stderr) = import(
        &dir,
        &["--owner", "group:apps-admins", "--report", "json"],
        &[
            "tests/import/domains/rhel9-app.xml",
            "tests/import/domains/arm-builder.xml",
        ],
    );
    assert_eq!(code, 1, "{stderr}");
    insta::assert_snapshot!("report_json", stdout);

    // Every domain clean: 0.
    let dir = estate("import-clean");
    let (code, stdout, stderr) = import(
        &dir,
        &["--owner", "group:apps-admins", "--report", "markdown"],
        &["tests/import/domains/rhel9-app.xml"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("| app-01 |"), "{stdout}");
    let (code, _, stderr) = kprov(&["validate"], &dir);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn csv_report_with_capacity() {
    let dir = estate("import-csv");
    let (code, stdout, stderr) = import(
        &dir,
        &["--owner", "group:apps-admins", "--report", "csv"],
        &["tests/import/domains"],
    );
    assert_eq!(code, 1, "{stderr}");
    insta::assert_snapshot!("report_csv", stdout);
    // Every row has the header's number of fields once quoting is undone.
    let mut lines = stdout.lines();
    let header = lines.next().unwrap();
    let width = csv_fields(header).len();
    for line in lines.take_while(|l| l.starts_with("VMs,")) {
        assert_eq!(csv_fields(line).len(), width, "{line}");
    }
    let (code, stdout, _) = import(
        &estate("import-md"),
        &["--owner", "group:apps-admins", "--report", "markdown"],
        &["tests/import/domains/rhel9-app.xml"],
    );
    assert_eq!(code, 0);
    insta::assert_snapshot!("report_markdown", stdout);
}

/// The fields of one CSV record without line breaks in fields.
fn csv_fields(line: &str) -> Vec<String> {
    let (mut fields, mut field, mut quoted, mut chars) =
        (Vec::new(), String::new(), false, line.chars().peekable());
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut field)),
            (c, _) => field.push(c),
        }
    }
    fields.push(field);
    fields
}

#[test]
fn a_mapping_spreads_domains_over_projects() {
    let dir = estate("import-mapping");
    let estate_arg = dir.to_str().unwrap();
    let args = |mapping: &str| {
        vec![
            "import",
            "libvirt",
            "--estate",
            estate_arg,
            "--image-url",
            "https://images.example.org/vm",
            "--sizes",
            "tests/import/sizes.csv",
            "--mapping",
            mapping,
            "tests/import/domains",
        ]
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>()
    };
    let run = |args: &[String]| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        kprov(&args, &repo())
    };
    let (code, stdout, stderr) = run(&args("tests/import/mapping.yaml"));
    // The two domains no rule matches are blocked.
    assert_eq!(code, 1, "{stderr}");
    insta::assert_snapshot!("report_mapping", stdout);
    let erp = std::fs::read_to_string(dir.join("projects/erp-core.yaml")).unwrap();
    assert!(
        erp.contains("tenant: erp\n") && erp.contains("tier: block"),
        "{erp}"
    );
    let apps = std::fs::read_to_string(dir.join("projects/apps.yaml")).unwrap();
    assert!(
        apps.contains("name: app-01") && apps.contains("name: ci-runner"),
        "{apps}"
    );
    let (code, _, stderr) = kprov(&["validate"], &dir);
    assert_eq!(code, 0, "{stderr}");

    // A bad mapping is reported at its line; nothing is written.
    let before = tree(&dir);
    let bad = scratch("import-mapping-bad").join("mapping.yaml");
    let text = std::fs::read_to_string(repo().join("tests/import/mapping.yaml")).unwrap();
    std::fs::write(&bad, text.replace("  tier: block", "  teir: block")).unwrap();
    let (code, _, stderr) = run(&args(bad.to_str().unwrap()));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("mapping.yaml:10:3: ")
            && stderr.contains("unknown key `teir`; did you mean `tier`? [import-mapping]"),
        "{stderr}"
    );
    assert_eq!(tree(&dir), before);

    // The mapping or the flags, not both, and one of them.
    let mut both = args("tests/import/mapping.yaml");
    both.extend(["--tenant".to_owned(), "ops".to_owned()]);
    let (code, _, stderr) = run(&both);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("cannot be used with"), "{stderr}");
    let neither: Vec<String> = args("x")
        .into_iter()
        .filter(|a| a != "--mapping" && a != "x")
        .collect();
    let (code, _, stderr) = run(&neither);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--tenant"), "{stderr}");
    assert_eq!(tree(&dir), before);

    // A rule with two clusters: each domain is judged on both.
    let dir = estate("import-mapping-two");
    let clusters = dir.join("platform/clusters.yaml");
    let text = std::fs::read_to_string(&clusters).unwrap();
    let rack_d = "---\napiVersion: kprov.dev/v1alpha1\nkind: Cluster\nmetadata:\n  name: rack-d\nspec:\n  environment: prod\n  kubevirt: true\n  storage:\n    default: block\n    tiers:\n      block: {storageClass: san-iscsi, accessModes: [ReadWriteMany], volumeMode: Block}\n";
    std::fs::write(&clusters, text + rack_d).unwrap();
    let two = scratch("import-mapping-two-rules").join("mapping.yaml");
    std::fs::write(
        &two,
        "- {match: \"*\", tenant: ops, project: apps, environment: prod, clusters: [rack-b, rack-d], owners: [group:apps-admins]}\n",
    )
    .unwrap();
    let mut args = args(two.to_str().unwrap());
    args[3] = dir.to_str().unwrap().to_owned();
    let (code, stdout, stderr) = run(&args);
    assert_eq!(code, 1, "{stderr}");
    // rack-d has neither of app-01's bridges.
    assert!(
        stdout.contains("app-01 (tests/import/domains/rhel9-app.xml): blocked")
            && stdout.contains("  blocked: on cluster rack-d: "),
        "{stdout}"
    );
    let (code, _, stderr) = kprov(&["validate"], &dir);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn an_existing_project_keeps_every_byte() {
    let dir = estate("import-append");
    let head = "# The apps team's project: hand-written.\napiVersion: kprov.dev/v1alpha1\nkind: Project\nmetadata:\n  name: apps\nspec:\n  tenant: ops\n  owners: [group:apps-admins]   # the team\n  environments:\n    - name: prod\n      clusters: [rack-b]\n      quota: {cpu: \"40\", memory: 160Gi, storage: 2Ti}\n  virtualMachines:\n    # The one VM the team made itself.\n    - name: tools\n      instancetype: u1.small\n      image: {registry: \"docker://quay.io/containerdisks/fedora:40\"}\n      disk: {size: 20Gi}\n";
    let tail = "\n  # Scratch space.\n  volumes:\n    - {name: scratch, size: 10Gi}\n";
    let before = format!("{head}{tail}");
    std::fs::create_dir_all(dir.join("projects")).unwrap();
    std::fs::write(dir.join("projects/apps.yaml"), &before).unwrap();
    let (code, _, stderr) = kprov(&["validate"], &dir);
    assert_eq!(code, 0, "{stderr}");

    let (code, _, stderr) = import(&dir, &[], &["tests/import/domains/rhel9-app.xml"]);
    assert_eq!(code, 0, "{stderr}");
    let after = std::fs::read_to_string(dir.join("projects/apps.yaml")).unwrap();
    assert!(after.starts_with(head), "{after}");
    assert!(after.ends_with(tail), "{after}");
    let added = &after[head.len()..after.len() - tail.len()];
    assert!(added.starts_with("    - name: app-01\n"), "{added}");
    let (code, _, stderr) = kprov(&["validate"], &dir);
    assert_eq!(code, 0, "{stderr}");

    // The same VM again: refused, nothing written.
    let snapshot = tree(&dir);
    let (code, _, stderr) = import(&dir, &[], &["tests/import/domains/rhel9-app.xml"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("already has a VM named `app-01` [import-refused]"),
        "{stderr}"
    );
    assert_eq!(tree(&dir), snapshot);

    // A project with another environment: the VMs stay in the import's.
    let quota = "      quota: {cpu: \"40\", memory: 160Gi, storage: 2Ti}\n";
    let two = head.replace(
        quota,
        &format!("{quota}    - name: dev\n      clusters: [rack-d]\n"),
    );
    let rack_d = "---\napiVersion: kprov.dev/v1alpha1\nkind: Cluster\nmetadata:\n  name: rack-d\nspec:\n  environment: dev\n  kubevirt: true\n  storage:\n    default: block\n    tiers:\n      block: {storageClass: san-iscsi, accessModes: [ReadWriteMany], volumeMode: Block}\n";
    let clusters = dir.join("platform/clusters.yaml");
    let text = std::fs::read_to_string(&clusters).unwrap();
    std::fs::write(&clusters, text + rack_d).unwrap();
    std::fs::write(dir.join("projects/apps.yaml"), format!("{two}{tail}")).unwrap();
    let (code, _, stderr) = kprov(&["validate"], &dir);
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = import(&dir, &[], &["tests/import/domains/rhel9-app.xml"]);
    assert_eq!(code, 0, "{stderr}");
    let after = std::fs::read_to_string(dir.join("projects/apps.yaml")).unwrap();
    assert!(
        after.contains("      environments:\n      - prod\n"),
        "{after}"
    );
    let (code, _, stderr) = kprov(&["validate"], &dir);
    assert_eq!(code, 0, "{stderr}");

    // A project without the key gets one at the end of `spec`.
    std::fs::write(
        dir.join("projects/apps.yaml"),
        format!(
            "{}{tail}",
            &head[..head.find("  virtualMachines:").unwrap()]
        ),
    )
    .unwrap();
    let (code, _, stderr) = import(&dir, &[], &["tests/import/domains/rhel9-app.xml"]);
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = kprov(&["validate"], &dir);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn unusable_input_writes_nothing() {
    let dir = estate("import-hostile");
    let before = tree(&dir);
    for (file, at) in [
        ("malformed.xml", "malformed.xml:6:3: "),
        ("external-entity.xml", "external-entity.xml:2:1: "),
        ("billion-laughs.xml", "billion-laughs.xml:2:1: "),
    ] {
        let path = format!("tests/import/hostile/{file}");
        let (code, stdout, stderr) = import(
            &dir,
            &["--owner", "group:apps-admins"],
            &["tests/import/domains/rhel9-app.xml", &path],
        );
        assert_eq!(code, 2, "{file}: {stderr}");
        assert!(stdout.is_empty(), "{stdout}");
        assert!(
            stderr.contains(at) && stderr.contains("[libvirt-xml]"),
            "{stderr}"
        );
        assert_eq!(tree(&dir), before, "{file}");
    }
    // Unknown cluster, bad flag, missing owners of a new project.
    let owner = &["--owner", "group:apps-admins"][..];
    for (target, extra, expected) in [
        (("ops", "rack-z"), owner, "no cluster `rack-z`"),
        (("nobody", "rack-b"), owner, "no tenant `nobody`"),
        (("ops", "rack-b"), &["--owner", "nobody"][..], "--owner"),
        (("ops", "rack-b"), &[][..], "give its owners with --owner"),
    ] {
        let rhel = ["tests/import/domains/rhel9-app.xml"];
        let (code, _, stderr) = import_to(&dir, target, extra, &rhel);
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
        assert_eq!(tree(&dir), before);
    }
    // A file larger than any domain is not read.
    let big = scratch("import-big").join("big.xml");
    std::fs::write(&big, "<domain>".repeat(600_000)).unwrap();
    let (code, _, stderr) = import(&dir, owner, &[big.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("[libvirt-xml]"), "{stderr}");
    assert_eq!(tree(&dir), before);
}
