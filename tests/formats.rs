//! Machine output, checked against what its readers accept: every
//! `--format json` document against its committed JSON Schema (with every
//! key declared), `--format sarif` against the published SARIF 2.1.0 schema
//! (under node, `tests/js`), and `--format github` as the runner parses
//! workflow commands.

use std::path::{Path, PathBuf};

mod support;
use support::{check, copy_dir, kprov, repo, scratch};

fn schema(name: &str) -> serde_json::Value {
    let path = repo().join("schemas/output").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// The committed schema with `additionalProperties: false` on every object
/// with properties: the published schemas leave room for new keys, the test
/// makes sure none is printed that they do not name (a snake_case one, say).
fn closed(mut schema: serde_json::Value) -> serde_json::Value {
    fn walk(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(map) => {
                if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                    map.insert("additionalProperties".into(), false.into());
                }
                map.values_mut().for_each(walk);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut schema);
    schema
}

#[track_caller]
fn assert_matches(schema_name: &str, stdout: &str) {
    let instance: serde_json::Value = serde_json::from_str(stdout)
        .unwrap_or_else(|e| panic!("not one JSON document ({e}):\n{stdout}"));
    let validator = jsonschema::draft7::new(&closed(schema(schema_name))).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{schema_name}: {errors:#?}\n{stdout}");
}

/// A copy of the example estate whose committed tree has drifted: a quota
/// changed in a project, and a file kprov did not write.
fn drifted(name: &str) -> PathBuf {
    let dir = scratch(name);
    copy_dir(&repo().join("fixtures/acme"), &dir);
    let project = dir.join("projects/checkout.yaml");
    let text = std::fs::read_to_string(&project).unwrap();
    let changed = text.replacen("cpu: \"16\"", "cpu: \"15\"", 1);
    assert_ne!(changed, text, "the fixture's quota moved; update this test");
    std::fs::write(&project, changed).unwrap();
    std::fs::write(
        dir.join("clusters/cluster-us-east-1-prod/notes,draft.txt"),
        "hand-written",
    )
    .unwrap();
    dir
}

#[test]
fn committed_output_schemas_are_up_to_date() {
    let dir = repo().join("schemas/output");
    for (name, text) in kprov::output_schemas() {
        let committed = std::fs::read_to_string(dir.join(&name)).unwrap_or_default();
        assert!(
            committed == text,
            "schemas/output/{name} is stale: run `cargo xtask schemas`"
        );
    }
}

#[test]
fn json_output_matches_its_schema() {
    let acme = "fixtures/acme";
    let invalid = "fixtures/invalid/many-errors";
    let cases: &[(&[&str], i32, &str)] = &[
        (&["validate", acme, "--format", "json"], 0, "validate.json"),
        (
            &["validate", invalid, "--format", "json"],
            2,
            "validate.json",
        ),
        (&["diff", acme, "--format", "json"], 0, "diff.json"),
        (&["diff", invalid, "--format", "json"], 2, "validate.json"),
        (&["report", acme, "--format", "json"], 0, "report.json"),
        (&["report", invalid, "--format", "json"], 2, "validate.json"),
        (
            &["report", acme, "--base", invalid, "--format", "json"],
            0,
            "report-delta.json",
        ),
        (
            &["report", acme, "--base", acme, "--format", "json"],
            0,
            "report-delta.json",
        ),
        (&["tree", acme, "--format", "json"], 0, "tree.json"),
        (&["tree", invalid, "--format", "json"], 2, "validate.json"),
        (
            &[
                "explain",
                "cluster-us-east-1-prod/checkout-prod",
                acme,
                "--format",
                "json",
            ],
            0,
            "explain.json",
        ),
        (
            &["explain", "over-budget", "--format", "json"],
            0,
            "explain-code.json",
        ),
        (
            &["explain", "--codes", "--format", "json"],
            0,
            "explain-codes.json",
        ),
        (
            &["explain", "c/n", invalid, "--format", "json"],
            2,
            "validate.json",
        ),
    ];
    for (args, expected, schema_name) in cases {
        let (code, stdout, stderr) = kprov(args, &repo());
        assert_eq!(code, *expected, "{args:?}: {stderr}");
        assert_matches(schema_name, &stdout);
    }
    let dir = drifted("formats-json");
    let (code, stdout, stderr) = kprov(&["diff", "--format", "json"], &dir);
    assert_eq!(code, 1, "{stderr}");
    assert_matches("diff.json", &stdout);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        json["clusters"][0]["changed"][0]["apiVersion"], "v1",
        "{json}"
    );
}

/// Both importers' JSON reports, on the hand-written inputs of
/// `tests/import/` (ready, warned and blocked domains; containers).
#[test]
fn import_reports_match_their_schemas() {
    let libvirt: &[&str] = &["--sizes", "tests/import/sizes.csv", "tests/import/domains"];
    let openvz: &[&str] = &["tests/import/openvz"];
    for (source, inputs, schema_name) in [
        ("libvirt", libvirt, "import-libvirt.json"),
        ("openvz", openvz, "import-openvz.json"),
    ] {
        let dir = scratch(&format!("formats-import-{source}"));
        copy_dir(&repo().join("tests/import/estate"), &dir);
        let mut args = vec![
            "import",
            source,
            "--estate",
            dir.to_str().unwrap(),
            "--tenant",
            "ops",
            "--project",
            "apps",
            "--environment",
            "prod",
            "--cluster",
            "rack-b",
            "--owner",
            "group:apps-admins",
            "--report",
            "json",
        ];
        args.extend(inputs);
        let (code, stdout, stderr) = kprov(&args, &repo());
        assert_eq!(code, 1, "{source}: blocked or warned input: {stderr}");
        assert_matches(schema_name, &stdout);
        let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        assert!(json["capacity"].is_object(), "{source}: {json}");
    }
}

#[test]
fn errors_are_json_on_stdout_when_json_was_asked_for() {
    let (code, stdout, stderr) = kprov(
        &["diff", "fixtures/invalid/bad-quantity", "--format", "json"],
        &repo(),
    );
    assert_eq!(code, 2);
    assert_eq!(stderr, "");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        json["summary"],
        serde_json::json!({"errors": 2, "warnings": 0})
    );
    assert_eq!(json["diagnostics"][0]["code"], "invalid-value");
    assert_eq!(json["diagnostics"][0]["file"], "projects/shop.yaml");
}

/// A workflow command as the runner reads it.
struct WorkflowCommand<'a> {
    name: &'a str,
    /// Unescaped.
    properties: Vec<(String, String)>,
    /// Unescaped.
    message: String,
}

impl WorkflowCommand<'_> {
    fn property(&self, key: &str) -> &str {
        self.properties
            .iter()
            .find(|(k, _)| k == key)
            .map_or("", |(_, v)| v.as_str())
    }
}

fn parse_command(line: &str) -> Option<WorkflowCommand<'_>> {
    let unescape = |s: &str| {
        s.replace("%3A", ":")
            .replace("%2C", ",")
            .replace("%0D", "\r")
            .replace("%0A", "\n")
            .replace("%25", "%")
    };
    let rest = line.strip_prefix("::")?;
    let (head, message) = rest.split_once("::")?;
    let (name, props) = head.split_once(' ').unwrap_or((head, ""));
    let properties = props
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap();
            (k.to_owned(), unescape(v))
        })
        .collect();
    Some(WorkflowCommand {
        name,
        properties,
        message: unescape(message),
    })
}

#[test]
fn validate_annotates_the_files_relative_to_the_repository() {
    let (code, stdout, _) = kprov(
        &[
            "validate",
            "./fixtures//invalid/many-errors/.",
            "--format",
            "github",
        ],
        &repo(),
    );
    assert_eq!(code, 2);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.last(), Some(&"7 errors, 0 warnings"), "{stdout}");
    for line in &lines[..lines.len() - 1] {
        let command = parse_command(line).unwrap_or_else(|| panic!("{line}"));
        assert_eq!(command.name, "error");
        let file = command.property("file");
        assert!(file.starts_with("fixtures/invalid/many-errors/"), "{line}");
        assert!(repo().join(file).is_file(), "{line}");
        let title = command.property("title");
        assert!(title.parse::<kprov::diagnostic::Code>().is_ok(), "{line}");
        assert!(!command.message.is_empty());
    }
    assert!(
        stdout.contains(",title=wrong-environment::spec.environments[0].clusters[1]: cluster `dev-1` serves environment `dev`, not `prod`%0Afixtures/invalid/many-errors/platform/clusters.yaml:6:16: spec.environment: set here\n"),
        "{stdout}"
    );
    let (code, stdout, stderr) = kprov(
        &["validate", "--format", "github"],
        &repo().join("fixtures/acme"),
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.lines().all(|l| l.starts_with("::warning ")
            || l.ends_with(" warnings")
            || l.ends_with(" warning")),
        "{stdout}"
    );
    assert!(stderr.contains(": valid ("), "{stderr}");
}

#[test]
fn diff_annotates_each_drifted_file() {
    let dir = drifted("formats-github");
    let parent = dir.parent().unwrap();
    let name = dir.file_name().unwrap().to_str().unwrap();
    let (code, stdout, stderr) = kprov(&["diff", name, "--format", "github"], parent);
    assert_eq!(code, 1, "{stderr}");
    let prod = format!("{name}/clusters/cluster-us-east-1-prod");
    assert!(
        stdout.contains(&format!(
            "::error file={prod}/apps/checkout-prod.yaml,line=1,col=1,title=drift::is not what the specs render: run `kprov render` and commit the result\n"
        )) || stdout.contains(&format!(
            "::error file={prod}/config/checkout-prod.yaml,line=1,col=1,title=drift::is not what the specs render: run `kprov render` and commit the result\n"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "::error file={prod}/notes%2Cdraft.txt,line=1,col=1,title=drift::file not generated by kprov: move it out of clusters or delete it\n"
        )),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("1 entry in clusters not generated by kprov\n"),
        "{stdout}"
    );
}

#[test]
fn sarif_output_is_valid_sarif_2_1_0() {
    let out = scratch("formats-sarif");
    let dir = drifted("formats-sarif-drifted");
    let runs: [(&[&str], &Path, i32, &str); 4] = [
        (
            &[
                "validate",
                "fixtures/invalid/many-errors",
                "--format",
                "sarif",
            ],
            &repo(),
            2,
            "invalid",
        ),
        (
            &["validate", "fixtures/acme", "--format", "sarif"],
            &repo(),
            0,
            "acme",
        ),
        (&["diff", ".", "--format", "sarif"], &dir, 1, "drifted"),
        (
            &["diff", "fixtures/invalid/many-errors", "--format", "sarif"],
            &repo(),
            2,
            "diff-invalid",
        ),
    ];
    for (args, cwd, expected, name) in runs {
        let (code, stdout, stderr) = kprov(args, cwd);
        assert_eq!(code, expected, "{args:?}: {stderr}");
        let again = kprov(args, cwd).1;
        assert_eq!(stdout, again, "{args:?}: not deterministic");
        let file = out.join(format!("{name}.sarif"));
        std::fs::write(&file, &stdout).unwrap();
        let (ok, _, problems) = check(&["sarif", file.to_str().unwrap()]);
        assert!(ok, "{args:?}:\n{problems}");
        let log: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        let run = &log["runs"][0];
        let rules: Vec<&str> = run["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        for result in run["results"].as_array().unwrap() {
            let index = result["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[index], result["ruleId"]);
        }
        if name == "drifted" {
            assert!(rules.contains(&"drift"), "{stdout}");
            let uri =
                &run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
            assert!(uri.as_str().unwrap().starts_with("clusters/"), "{uri}");
        }
        if name == "invalid" {
            let uri =
                &run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
            assert!(
                uri.as_str()
                    .unwrap()
                    .starts_with("fixtures/invalid/many-errors/"),
                "{uri}"
            );
        }
    }
    // The validator bites: a log without its tool, and a wrong level.
    let mut broken: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("invalid.sarif")).unwrap()).unwrap();
    broken["runs"][0]["results"][0]["level"] = "fatal".into();
    broken["runs"][0].as_object_mut().unwrap().remove("tool");
    let file = out.join("broken.sarif");
    std::fs::write(&file, broken.to_string()).unwrap();
    let (ok, _, problems) = check(&["sarif", file.to_str().unwrap()]);
    assert!(!ok);
    assert!(problems.contains("'tool'"), "{problems}");
    assert!(problems.contains("/level"), "{problems}");
}
