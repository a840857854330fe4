//! End-to-end tests: the real `kprov` binary on real estate directories.
//!
//! Every directory under `fixtures/invalid/` is one small estate with one
//! class of error; `check` runs `kprov validate` on it and the snapshot holds
//! the exit status and everything printed, so a change to any message shows
//! up in review.

use std::path::{Path, PathBuf};
use std::process::Command;

mod support;
use support::{copy_dir, kprov, repo, scratch, tree};

/// Run `kprov validate` inside `dir` (with the extra arguments of its
/// `kprov.args`, if any) and describe everything it did.
fn check(dir: &Path) -> (i32, String) {
    let extra = std::fs::read_to_string(dir.join("kprov.args")).unwrap_or_default();
    let mut args = vec!["validate"];
    args.extend(extra.split_whitespace());
    let (code, stdout, stderr) = kprov(&args, dir);
    assert!(!stderr.contains("panicked"), "{stderr}");
    (
        code,
        format!("exit: {code}\n--- stdout\n{stdout}--- stderr\n{stderr}"),
    )
}

#[test]
fn invalid_estates_fail_with_located_messages() {
    insta::glob!("../fixtures/invalid", "*", |dir| {
        // The glob also yields its base directory, which is not a case.
        if !dir.is_dir() || dir.ends_with("fixtures/invalid") {
            return;
        }
        let (code, report) = check(dir);
        assert_eq!(code, 2, "{}: {report}", dir.display());
        insta::assert_snapshot!(report);
    });
}

/// Estates that are valid but draw warnings, one concern per case.
#[test]
fn cases_report_what_they_should() {
    insta::glob!("cases", "*", |dir| {
        if !dir.is_dir() || dir.ends_with("tests/cases") {
            return;
        }
        let (_, report) = check(dir);
        insta::assert_snapshot!(report);
    });
}

#[test]
fn the_example_estate_is_valid() {
    let (code, report) = check(&repo().join("fixtures/acme"));
    assert_eq!(code, 0, "{report}");
}

#[test]
fn json_diagnostics_carry_file_line_and_path() {
    let dir = repo().join("fixtures/invalid/bad-quantity");
    let (code, stdout, _) = kprov(&["validate", "--format", "json"], &dir);
    assert_eq!(code, 2);
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("JSON output");
    assert_eq!(json["summary"]["errors"], 2, "{json}");
    let first = &json["diagnostics"][0];
    assert_eq!(first["severity"], "error");
    assert_eq!(first["file"], "projects/shop.yaml");
    assert!(first["line"].as_u64().unwrap() > 1);
    assert_eq!(first["path"], "spec.environments[0].quota.cpu");
}

#[test]
fn committed_schemas_are_up_to_date() {
    let dir = repo().join("schemas/kprov.dev/v1alpha1");
    for (name, text) in kprov::model::schema::committed_files() {
        let committed = std::fs::read_to_string(dir.join(&name)).unwrap_or_default();
        assert!(
            committed == text,
            "schemas/kprov.dev/v1alpha1/{name} is stale: run `cargo xtask schemas`"
        );
        let scaffold = repo()
            .join("crates/kprov-cli/init/.kprov/schemas")
            .join(&name);
        assert!(
            std::fs::read_to_string(scaffold).unwrap_or_default() == text,
            "crates/kprov-cli/init/.kprov/schemas/{name} is stale: run `cargo xtask schemas`"
        );
    }
}

#[test]
fn committed_completions_and_man_pages_are_up_to_date() {
    let dir = repo().join("crates/kprov-cli");
    for (name, text) in kprov_cli::docs::committed_files() {
        let committed = std::fs::read_to_string(dir.join(&name)).unwrap_or_default();
        assert!(
            committed == text,
            "crates/kprov-cli/{name} is stale: run `cargo xtask cli-docs`"
        );
    }
    // A page of a subcommand that no longer exists would be installed too.
    let generated: Vec<String> = kprov_cli::docs::committed_files()
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    for sub in ["completions", "man"] {
        for entry in std::fs::read_dir(dir.join(sub)).unwrap() {
            let name = format!("{sub}/{}", entry.unwrap().file_name().to_string_lossy());
            assert!(
                generated.contains(&name),
                "crates/kprov-cli/{name} is not generated any more: delete it"
            );
        }
    }
}

#[test]
fn completions_and_man_commands_print_the_committed_files() {
    let dir = repo().join("crates/kprov-cli");
    for (shell, file) in [
        ("bash", "kprov.bash"),
        ("zsh", "kprov.zsh"),
        ("fish", "kprov.fish"),
    ] {
        let (code, stdout, _) = kprov(&["completions", shell], &repo());
        assert_eq!(code, 0);
        let committed = std::fs::read_to_string(dir.join("completions").join(file)).unwrap();
        assert_eq!(stdout, committed, "{shell}");
    }
    let (code, stdout, _) = kprov(&["man"], &repo());
    assert_eq!(code, 0);
    assert_eq!(
        stdout,
        std::fs::read_to_string(dir.join("man/kprov.1")).unwrap()
    );
    assert!(stdout.contains(".SH SUBCOMMANDS") && stdout.contains("kprov\\-validate(1)"));
}

/// `kprov` with extra environment variables.
fn kprov_env(args: &[&str], cwd: &Path, env: &[(&str, &str)]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kprov"))
        .args(args)
        .current_dir(cwd)
        .env_remove("CLICOLOR_FORCE")
        .envs(env.iter().copied())
        .output()
        .expect("run kprov");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn quiet_drops_warnings_and_summaries_but_not_errors() {
    let warned = repo().join("tests/cases/lint-warnings");
    let (code, stderr) = kprov_env(&["validate"], &warned, &[]);
    assert_eq!(code, 0);
    assert!(
        stderr.contains("warning: ") && stderr.contains("valid ("),
        "{stderr}"
    );
    let (code, stderr) = kprov_env(&["validate", "--quiet"], &warned, &[]);
    assert_eq!((code, stderr.as_str()), (0, ""));
    let (code, stderr) = kprov_env(&["-q", "tree"], &warned, &[]);
    assert_eq!((code, stderr.as_str()), (0, ""));

    let broken = repo().join("fixtures/invalid/bad-quantity");
    let (loud_code, loud) = kprov_env(&["validate"], &broken, &[]);
    let (code, stderr) = kprov_env(&["validate", "--quiet"], &broken, &[]);
    assert_eq!((code, loud_code), (2, 2));
    assert!(stderr.contains("[invalid-value]"), "{stderr}");
    assert_eq!(stderr, loud, "the errors print as they do without --quiet");
    let (code, stderr) = kprov_env(&["--quiet", "validate", "does/not/exist"], &repo(), &[]);
    assert_eq!(code, 2);
    assert!(stderr.starts_with("error: "), "{stderr}");
}

#[test]
fn color_marks_severities_and_codes_only_when_asked() {
    let dir = repo().join("tests/cases/lint-warnings");
    let (_, plain) = kprov_env(&["validate"], &dir, &[]);
    assert!(
        !plain.contains('\u{1b}'),
        "piped output has no escape codes: {plain}"
    );
    let (_, never) = kprov_env(&["validate", "--color", "never"], &dir, &[]);
    assert_eq!(never, plain);
    let (_, auto) = kprov_env(&["validate", "--color", "auto"], &dir, &[("NO_COLOR", "1")]);
    assert_eq!(auto, plain);
    for no_color in ["1", ""] {
        let (code, always) = kprov_env(
            &["validate", "--color", "always"],
            &dir,
            &[("NO_COLOR", no_color)],
        );
        assert_eq!(code, 0);
        assert!(
            always.contains("\u{1b}[1m\u{1b}[33mwarning\u{1b}[0m: ")
                && always.contains("[\u{1b}[1m\u{1b}[33metcd-quorum\u{1b}[0m]"),
            "{always:?}"
        );
    }
    let (code, error) = kprov_env(
        &["validate", "--color=always", "does/not/exist"],
        &repo(),
        &[],
    );
    assert_eq!(code, 2);
    assert!(
        error.starts_with("\u{1b}[1m\u{1b}[31merror\u{1b}[0m: "),
        "{error:?}"
    );
}

#[test]
fn a_lint_level_of_error_fails_the_estate() {
    let dir = scratch("lint-level-error");
    copy_dir(&repo().join("tests/cases/lint-warnings"), &dir);
    let estate = std::fs::read_to_string(dir.join("kprov.yaml")).unwrap();
    std::fs::write(
        dir.join("kprov.yaml"),
        format!("{estate}  lints:\n    cost-center-missing: error\n"),
    )
    .unwrap();
    let (code, _, stderr) = kprov(&["validate"], &dir);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("projects/shop.yaml:4:9: metadata.name: project `shop` has no costCenter")
            && stderr.contains("1 error, 0 warnings"),
        "{stderr}"
    );
}

#[test]
fn every_command_states_its_exit_statuses() {
    fn walk(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
        for sub in command.get_subcommands() {
            let path = format!("{path} {}", sub.get_name());
            let help = sub
                .get_long_about()
                .or(sub.get_about())
                .map(ToString::to_string)
                .unwrap_or_default();
            if !help.contains("Exit status: ") {
                missing.push(path.clone());
            }
            walk(sub, &path, missing);
        }
    }
    let mut missing = Vec::new();
    walk(
        &<kprov_cli::cli::Cli as clap::CommandFactory>::command(),
        "kprov",
        &mut missing,
    );
    assert_eq!(missing, Vec::<String>::new(), "help without exit statuses");
}

#[test]
fn schema_command_prints_the_committed_schema() {
    let (code, stdout, _) = kprov(&["schema", "project"], &repo());
    assert_eq!(code, 0);
    let committed =
        std::fs::read_to_string(repo().join("schemas/kprov.dev/v1alpha1/project.json")).unwrap();
    assert_eq!(stdout, committed);
    let (code, _, stderr) = kprov(&["schema", "Widget"], &repo());
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown kind `Widget`"), "{stderr}");
}

#[test]
fn a_missing_directory_is_an_error_not_a_panic() {
    let (code, _, stderr) = kprov(&["validate", "does/not/exist"], &repo());
    assert_eq!(code, 2);
    assert!(stderr.contains("not a directory"), "{stderr}");
}

#[test]
fn tree_of_the_example_estate() {
    let (code, stdout, stderr) = kprov(&["tree", "fixtures/acme"], &repo());
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!(stdout);
    let (code, stdout, _) = kprov(&["tree", "fixtures/acme", "--format", "json"], &repo());
    assert_eq!(code, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("tree JSON");
    assert_eq!(json["tenants"][0]["name"], "acme");
}

#[test]
fn explain_a_namespace_three_levels_down() {
    let (code, stdout, stderr) = kprov(
        &[
            "explain",
            "cluster-us-east-1-prod/checkout-prod",
            "fixtures/acme",
        ],
        &repo(),
    );
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!(stdout);
    let (code, _, stderr) = kprov(
        &["explain", "cluster-us-east-1-prod/nope", "fixtures/acme"],
        &repo(),
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("it has: analytics-etl-prod"), "{stderr}");
}

// ------------------------------------------------------------ compositions

#[test]
fn golden_tests_of_builtin_and_estate_compositions_pass() {
    for path in ["compositions", "fixtures/acme"] {
        let (code, stdout, stderr) = kprov(&["test", path], &repo());
        assert_eq!(code, 0, "{path}: {stdout}{stderr}");
        assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
        assert!(
            !stdout.lines().any(|l| l.starts_with("0 passed")),
            "{path} has no cases: {stdout}"
        );
    }
}

#[test]
fn a_golden_test_that_drifts_fails_with_a_diff_and_update_fixes_it() {
    let dir = scratch("golden");
    copy_dir(&repo().join("compositions/volume"), &dir.join("volume"));
    let expected = dir.join("volume/tests/shared-nfs/expected.yaml");
    let original = std::fs::read_to_string(&expected).unwrap();
    std::fs::write(&expected, original.replace("storage: 50Gi", "storage: 5Gi")).unwrap();
    let (code, stdout, _) = kprov(&["test", "."], &dir);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("-      storage: 5Gi") && stdout.contains("+      storage: 50Gi"),
        "{stdout}"
    );
    assert!(stdout.contains("run `kprov test --update`"), "{stdout}");
    let (code, _, _) = kprov(&["test", ".", "--update"], &dir);
    assert_eq!(code, 0);
    assert_eq!(std::fs::read_to_string(&expected).unwrap(), original);
}

#[test]
fn a_golden_test_that_cannot_render_names_the_variable_and_does_not_suggest_update() {
    let dir = scratch("golden-undefined");
    copy_dir(&repo().join("compositions/volume"), &dir.join("volume"));
    let template = dir.join("volume/pvc.yaml.j2");
    let text = std::fs::read_to_string(&template).unwrap();
    std::fs::write(
        &template,
        text.replace("claim.spec.size", "claim.spec.sise"),
    )
    .unwrap();
    let (code, stdout, _) = kprov(&["test", "."], &dir);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("`claim.spec.sise` is undefined; did you mean `size`?"),
        "{stdout}"
    );
    assert!(!stdout.contains("--update` to accept"), "{stdout}");
    assert!(stdout.contains("`--update` cannot accept it"), "{stdout}");
}

#[test]
fn composed_objects_of_the_example_estate() {
    let sources = kprov::read_estate(&repo().join("fixtures/acme")).unwrap();
    let compiled = kprov::compile(&sources, &Default::default());
    let mut index: Vec<String> = compiled
        .composed
        .expect("acme composes")
        .iter()
        .map(|c| {
            let s = |p: &str| {
                c.object
                    .pointer(p)
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_owned()
            };
            format!(
                "{}/{:?}/{}: {} {} <- {} ({})",
                c.cluster,
                c.layer,
                c.file_stem,
                s("/kind"),
                s("/metadata/name"),
                c.composition,
                c.claim
            )
        })
        .collect();
    index.sort();
    insta::assert_snapshot!(index.join("\n"));
}

// ------------------------------------------------------------ render and diff

/// A copy of the example estate without its rendered output.
fn acme_copy(name: &str) -> PathBuf {
    let dir = scratch(name);
    copy_dir(&repo().join("fixtures/acme"), &dir);
    std::fs::remove_dir_all(dir.join("clusters")).unwrap();
    dir
}

#[test]
fn the_committed_example_output_is_up_to_date() {
    let (code, stdout, stderr) = kprov(&["diff", "fixtures/acme"], &repo());
    assert_eq!(
        code, 0,
        "fixtures/acme/clusters is stale: run `kprov render fixtures/acme`\n{stdout}{stderr}"
    );
}

#[test]
fn every_rendered_cluster_builds_with_kubectl_kustomize() {
    let clusters = repo().join("fixtures/acme/clusters");
    let mut built = 0;
    for entry in std::fs::read_dir(&clusters).unwrap() {
        let dir = entry.unwrap().path();
        assert!(!support::kustomize(&dir).is_empty());
        built += 1;
    }
    assert_eq!(built, 6);
}

#[test]
fn render_then_diff_is_clean_and_render_is_idempotent() {
    let dir = acme_copy("idempotent");
    let (code, _, stderr) = kprov(&["render"], &dir);
    assert_eq!(code, 0, "{stderr}");
    let first = tree(&dir.join("clusters"));
    assert_eq!(kprov(&["diff"], &dir).0, 0);
    let (code, _, stderr) = kprov(&["render"], &dir);
    assert_eq!(code, 0);
    assert!(stderr.contains(" 0 written"), "{stderr}");
    assert_eq!(tree(&dir.join("clusters")), first);
    // Byte-identical to the committed example output.
    let committed = tree(&repo().join("fixtures/acme/clusters"));
    let strip = |t: Vec<(PathBuf, Vec<u8>)>, base: &Path| -> Vec<(PathBuf, Vec<u8>)> {
        t.into_iter()
            .map(|(p, b)| (p.strip_prefix(base).unwrap().to_path_buf(), b))
            .collect()
    };
    assert_eq!(
        strip(first, &dir),
        strip(committed, &repo().join("fixtures/acme"))
    );
}

#[test]
fn a_hand_edited_file_is_drift_with_the_object_changed() {
    let dir = acme_copy("hand-edit");
    assert_eq!(kprov(&["render"], &dir).0, 0);
    let file = dir.join("clusters/cluster-us-east-1-prod/config/checkout-prod.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replace("requests.cpu: \"16\"", "requests.cpu: \"64\""),
    )
    .unwrap();
    let (code, stdout, _) = kprov(&["diff"], &dir);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("~ ResourceQuota/checkout-prod/kprov-quota"),
        "{stdout}"
    );
    assert!(
        stdout.contains("1 cluster drifted: 0 added, 1 changed, 0 removed"),
        "{stdout}"
    );
    assert!(
        stdout.contains("-    requests.cpu: \"64\"\n+    requests.cpu: \"16\""),
        "{stdout}"
    );
    let (code, stdout, _) = kprov(&["diff", "--format", "json"], &dir);
    assert_eq!(code, 1);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["clusters"][0]["changed"][0]["kind"], "ResourceQuota");
}

#[test]
fn a_deleted_project_shows_as_removed_objects_and_render_removes_its_files() {
    let dir = acme_copy("deleted");
    assert_eq!(kprov(&["render"], &dir).0, 0);
    std::fs::remove_file(dir.join("projects/fraud-scoring.yaml")).unwrap();
    let (code, stdout, _) = kprov(&["diff", "--format", "markdown"], &dir);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("- removed `Namespace/fraud-scoring-prod`"),
        "{stdout}"
    );
    assert!(
        stdout.contains("<details><summary><code>cluster-us-east-1-prod</code>"),
        "{stdout}"
    );
    assert_eq!(kprov(&["render"], &dir).0, 0);
    assert!(
        !dir.join("clusters/cluster-us-east-1-prod/config/fraud-scoring-prod.yaml")
            .exists()
    );
    assert_eq!(kprov(&["diff"], &dir).0, 0);
}

#[test]
fn foreign_files_are_left_alone_and_never_overwritten() {
    let dir = acme_copy("foreign");
    assert_eq!(kprov(&["render"], &dir).0, 0);
    let notes = dir.join("clusters/cluster-us-east-1-dev/NOTES.md");
    std::fs::write(&notes, "hand-written\n").unwrap();
    // The output tree is exempt from review because `diff` vouches for it,
    // so a file kprov did not generate there is drift.
    let (code, stdout, _) = kprov(&["diff"], &dir);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains(
            "not generated by kprov: clusters/cluster-us-east-1-dev/NOTES.md (file); move it out of clusters or delete it"
        ),
        "{stdout}"
    );
    std::fs::remove_file(dir.join("projects/checkout.yaml")).unwrap();
    let (code, _, stderr) = kprov(&["render"], &dir);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("clusters/cluster-us-east-1-dev/NOTES.md: warning: file not generated by kprov; carried over"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "hand-written\n");

    // A hand-written file where kprov would write: refuse, change nothing.
    let target = dir.join("clusters/cluster-us-east-1-dev/apps/monitoring-dev.yaml");
    std::fs::write(&target, "mine\n").unwrap();
    let before = tree(&dir.join("clusters"));
    let (code, _, stderr) = kprov(&["render"], &dir);
    assert_eq!(code, 2);
    assert!(stderr.contains("was not generated by kprov"), "{stderr}");
    assert_eq!(tree(&dir.join("clusters")), before);
}

#[test]
fn an_interrupted_render_leaves_the_previous_tree_intact() {
    let dir = acme_copy("interrupted");
    assert_eq!(kprov(&["render"], &dir).0, 0);
    std::fs::remove_file(dir.join("projects/monitoring.yaml")).unwrap();
    let before = tree(&dir.join("clusters"));
    let sources = kprov::read_estate(&dir).unwrap();
    let files = kprov::compile(&sources, &Default::default()).files.unwrap();
    for fail_after in [0, 1, 10, 50] {
        let mut config = kprov::output::WriteConfig::default();
        config.fail_after_files = Some(fail_after);
        let result = kprov::output::write_tree(&dir, "clusters", &files, &config);
        assert!(result.is_err(), "the simulated failure must surface");
        assert_eq!(
            tree(&dir.join("clusters")),
            before,
            "after failing at file {fail_after}"
        );
    }
    let hidden: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            name.starts_with(".kprov-").then_some(name)
        })
        .collect();
    assert!(hidden.is_empty(), "staging left behind: {hidden:?}");
}

#[test]
fn render_can_be_limited_to_some_clusters() {
    let dir = acme_copy("subset");
    let (code, _, stderr) = kprov(&["render", "--cluster", "cluster-eu-*"], &dir);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        dir.join("clusters/cluster-eu-west-1-prod/kustomization.yaml")
            .exists()
    );
    assert!(!dir.join("clusters/cluster-us-east-1-prod").exists());
    let (code, _, stderr) = kprov(&["render", "--cluster", "nope-*"], &dir);
    assert_eq!(code, 2);
    assert!(stderr.contains("no cluster matches"), "{stderr}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(16))]
    /// Whatever order files arrive in and documents stand in within a file,
    /// the output bytes are the same.
    #[test]
    fn output_does_not_depend_on_file_or_document_order(seed in proptest::collection::vec(0usize..10_000, 64)) {
        let sources = kprov::read_estate(&repo().join("fixtures/acme")).unwrap();
        let expected = kprov::compile(&sources, &Default::default()).files.unwrap();
        let mut shuffled = sources.clone();
        let mut rng = seed.into_iter().cycle();
        for file in &mut shuffled.files {
            let mut docs: Vec<&str> = file.text.split("\n---\n").collect();
            for i in (1..docs.len()).rev() {
                docs.swap(i, rng.next().unwrap() % (i + 1));
            }
            file.text = docs.join("\n---\n");
        }
        for i in (1..shuffled.files.len()).rev() {
            shuffled.files.swap(i, rng.next().unwrap() % (i + 1));
        }
        let actual = kprov::compile(&shuffled, &Default::default()).files.unwrap();
        proptest::prop_assert!(actual == expected);
    }
}

#[test]
fn report_of_the_example_estate() {
    for format in ["text", "markdown", "csv"] {
        let (code, stdout, stderr) =
            kprov(&["report", "fixtures/acme", "--format", format], &repo());
        assert_eq!(code, 0, "{stderr}");
        insta::assert_snapshot!(format!("report-{format}"), stdout);
    }
    let (code, stdout, _) = kprov(&["report", "fixtures/acme", "--format", "json"], &repo());
    assert_eq!(code, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["clusters"].as_array().unwrap().len(), 6);
}

#[test]
fn report_base_prints_only_the_cost_that_changed() {
    let head = scratch("report-base-head");
    copy_dir(&repo().join("fixtures/acme"), &head);
    std::fs::write(
        head.join("projects/loyalty.yaml"),
        "apiVersion: kprov.dev/v1alpha1\nkind: Project\nmetadata: {name: loyalty}\nspec:\n  tenant: web\n  owners: [group:web-leads]\n  environments:\n    - {name: dev, clusters: [cluster-us-east-1-dev], quota: {cpu: \"2\", memory: 4Gi, storage: 20Gi, pods: \"20\"}}\n",
    )
    .unwrap();
    let head = head.to_str().unwrap();
    let (code, stdout, stderr) = kprov(&["report", head, "--base", "fixtures/acme"], &repo());
    assert_eq!(code, 0, "{stderr}");
    // 2 cores × 20 + 4 GiB × 3 under acme's rates; no volumes.
    assert!(stdout.starts_with("Monthly cost: "), "{stdout}");
    assert!(stdout.contains("(+52.00).\n"), "{stdout}");
    assert!(
        stdout.contains("\nloyalty  -       52.00  +52.00\n"),
        "{stdout}"
    );
    assert!(!stdout.contains("checkout"), "only what changed:\n{stdout}");
    let (code, stdout, _) = kprov(
        &[
            "report",
            head,
            "--base",
            "fixtures/acme",
            "--format",
            "json",
        ],
        &repo(),
    );
    assert_eq!(code, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["projects"][0]["name"], "loyalty");
    assert_eq!(json["projects"][0]["deltaNanos"], 52_000_000_000i64);
    assert_eq!(json["clusters"].as_array().unwrap().len(), 1);
    assert_eq!(json["total"]["deltaNanos"], 52_000_000_000i64);
    // The same estate on both sides: nothing changed.
    let (code, stdout, _) = kprov(&["report", head, "--base", head], &repo());
    assert_eq!(code, 0);
    assert!(
        stdout.starts_with("No change to the monthly cost ("),
        "{stdout}"
    );

    // A base that does not compile is said so; a missing one is an error.
    let broken = scratch("report-base-broken");
    copy_dir(&repo().join("fixtures/acme"), &broken);
    std::fs::write(
        broken.join("projects/broken.yaml"),
        "apiVersion: kprov.dev/v1alpha1\nkind: Project\nmetadata: {name: broken}\nspec: {tenant: no-such-tenant, environments: [{name: dev, clusters: [cluster-us-east-1-dev]}]}\n",
    )
    .unwrap();
    let (code, stdout, stderr) = kprov(
        &[
            "report",
            head,
            "--base",
            broken.to_str().unwrap(),
            "--format",
            "markdown",
        ],
        &repo(),
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("**The base does not compile (1 error), so there is nothing to compare with; the monthly cost is now "),
        "{stdout}"
    );
    assert!(
        stderr.contains("the base does not compile (1 error)"),
        "{stderr}"
    );
    assert!(!stderr.contains("no-such-tenant"), "{stderr}");
    let (code, _, stderr) = kprov(&["report", head, "--base", "no/such/dir"], &repo());
    assert_eq!(code, 2);
    assert!(stderr.contains("--base no/such/dir"), "{stderr}");
}

#[test]
fn lints_are_listed_with_ids() {
    let (code, stdout, _) = kprov(&["lints"], &repo());
    assert_eq!(code, 0);
    for id in [
        "etcd-quorum",
        "vm-live-migration",
        "vm-fits-quota",
        "vm-needs-kubevirt",
        "cluster-overcommit",
        "project-expired",
        "cost-center-missing",
    ] {
        assert!(stdout.contains(id), "{id} missing from:\n{stdout}");
    }
}

#[test]
fn output_is_the_same_on_one_thread_and_many() {
    let sources = kprov::read_estate(&repo().join("fixtures/acme")).unwrap();
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| kprov::compile(&sources, &Default::default()).files.unwrap())
    };
    let one = run(1);
    assert!(one.len() > 50);
    for threads in [2, 4, 8] {
        assert!(run(threads) == one, "{threads} threads differ from one");
    }
}

#[test]
fn rendered_objects_validate_strictly_and_a_corrupted_vm_does_not() {
    let sources = kprov::read_estate(&repo().join("fixtures/acme")).unwrap();
    let mut config = kprov::Config::default();
    config.conformance.strict_kinds = true;
    let compiled = kprov::compile(&sources, &config);
    let errors: Vec<_> = compiled
        .diagnostics
        .iter()
        .filter(|d| d.severity == kprov::diagnostic::Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let mut composed = compiled.composed.unwrap();
    let vm = composed
        .iter_mut()
        .find(|c| c.object["kind"] == "VirtualMachine")
        .unwrap();
    vm.object["spec"]["runStrategyy"] = serde_json::json!("Always");
    vm.object["spec"]["template"]["spec"]["domain"]["devices"]["disks"][0]["bus"] =
        serde_json::json!("virtio");
    let mut diagnostics = Vec::new();
    let schemas = kprov::conformance::EstateSchemas::build(
        &kprov::model::build(&sources).0.files.schemas,
        &mut diagnostics,
    );
    let found = kprov::conformance::check(&composed, &schemas, &config.conformance);
    let messages: Vec<&str> = found.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(found.len(), 2, "{messages:#?}");
    assert!(
        messages
            .iter()
            .any(|m| m.contains("VirtualMachine/") && m.contains("runStrategyy")),
        "{messages:#?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("spec.template.spec.domain.devices.disks[0]") && m.contains("bus")),
        "{messages:#?}"
    );
}

// ------------------------------------------------------------ self-service kit

#[test]
fn mermaid_tree_of_the_example_estate() {
    let (code, stdout, stderr) = kprov(&["tree", "fixtures/acme", "--format", "mermaid"], &repo());
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!(stdout);
}

#[test]
fn codeowners_of_the_example_estate() {
    let (code, stdout, stderr) = kprov(&["codeowners", "fixtures/acme"], &repo());
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!(stdout);
    let committed = std::fs::read_to_string(repo().join("fixtures/acme/.github/CODEOWNERS"))
        .expect("fixtures/acme/.github/CODEOWNERS is committed");
    assert_eq!(
        committed, stdout,
        "fixtures/acme/.github/CODEOWNERS is stale: run `kprov render fixtures/acme`"
    );
}

#[test]
fn codeowners_needs_spec_github() {
    let (code, _, stderr) = kprov(&["codeowners", "fixtures/invalid/typo-field"], &repo());
    assert_eq!(code, 2, "{stderr}");
    let dir = scratch("codeowners-opt-in");
    copy_dir(&repo().join("tests/cases/lint-warnings"), &dir);
    let (code, _, stderr) = kprov(&["codeowners"], &dir);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("sets no `spec.github`"), "{stderr}");
    // Without the opt-in, render writes no CODEOWNERS.
    assert_eq!(kprov(&["render"], &dir).0, 0);
    assert!(!dir.join(".github").exists());
}

#[test]
fn stale_codeowners_is_drift_that_render_fixes() {
    let dir = acme_copy("codeowners-drift");
    assert_eq!(kprov(&["render"], &dir).0, 0);
    assert_eq!(kprov(&["diff"], &dir).0, 0);
    // A new lead for payments: the routing of checkout.yaml changes.
    let tenant = dir.join("platform/tenants/payments.yaml");
    let text = std::fs::read_to_string(&tenant).unwrap();
    std::fs::write(
        &tenant,
        text.replace(
            "owners: [group:payments-leads]",
            "owners: [group:payments-approvers]",
        ),
    )
    .unwrap();
    let (code, stdout, _) = kprov(&["diff"], &dir);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("changed file .github/CODEOWNERS"),
        "{stdout}"
    );
    assert!(
        stdout.contains("-/projects/checkout.yaml @acme/payments-leads\n+/projects/checkout.yaml @acme/payments-approvers"),
        "{stdout}"
    );
    assert!(stdout.ends_with(".github/CODEOWNERS changed\n"), "{stdout}");
    let (code, stdout, _) = kprov(&["diff", "--format", "markdown"], &dir);
    assert_eq!(code, 1);
    assert!(
        stdout.contains("<code>.github/CODEOWNERS</code>: changed"),
        "{stdout}"
    );
    let (code, _, stderr) = kprov(&["render"], &dir);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains(".github/CODEOWNERS: written"), "{stderr}");
    assert_eq!(kprov(&["diff"], &dir).0, 0);

    // Opting out leaves kprov's file stale; render removes it.
    let estate = dir.join("kprov.yaml");
    let text = std::fs::read_to_string(&estate).unwrap();
    let cut = text.find("  # Approval routing").unwrap();
    std::fs::write(&estate, &text[..cut]).unwrap();
    let (code, stdout, _) = kprov(&["diff"], &dir);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("stale file .github/CODEOWNERS"), "{stdout}");
    assert_eq!(kprov(&["render"], &dir).0, 0);
    assert!(!dir.join(".github/CODEOWNERS").exists());
    assert_eq!(kprov(&["diff"], &dir).0, 0);
}

#[test]
fn a_hand_written_codeowners_is_never_overwritten() {
    let dir = acme_copy("codeowners-foreign");
    let path = dir.join(".github/CODEOWNERS");
    std::fs::write(&path, "* @someone\n").unwrap();
    let (code, stdout, _) = kprov(&["diff"], &dir);
    assert_eq!(code, 1, "{stdout}");
    let (code, _, stderr) = kprov(&["render"], &dir);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("refusing to overwrite"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "* @someone\n");
    // Checked before anything is written: no output tree either.
    assert!(!dir.join("clusters").exists());
}

#[test]
fn generated_files_outside_the_output_tree_never_follow_symlinks() {
    let dir = acme_copy("codeowners-symlink");
    let elsewhere = scratch("codeowners-symlink-target");
    std::fs::remove_dir_all(dir.join(".github")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, dir.join(".github")).unwrap();
    let (code, _, stderr) = kprov(&["render"], &dir);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(".github/CODEOWNERS: is or lies under a symbolic link"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
    assert!(!dir.join("clusters").exists());
    // Nor does diff read through one: a pull request could otherwise show a
    // file from outside the estate in its comment.
    std::fs::write(elsewhere.join("CODEOWNERS"), "secret from outside\n").unwrap();
    let (code, stdout, stderr) = kprov(&["diff"], &dir);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(
        !stdout.contains("secret") && !stderr.contains("secret"),
        "{stdout}{stderr}"
    );
}

// ------------------------------------------------------------ diagnostic codes

/// Every committed snapshot of the repository (the end-to-end ones under
/// `tests/`, and any a crate keeps beside its sources).
fn snapshots() -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "snap") {
                let text = std::fs::read_to_string(&path).unwrap();
                out.push((path, text));
            }
        }
    }
    let mut out = Vec::new();
    walk(&repo().join("tests"), &mut out);
    walk(&repo().join("crates"), &mut out);
    out
}

/// The code of a rendered diagnostic line (`file:line:col: … [code]`, or
/// `error: … [code]` / `warning: … [code]` for one without a file).
fn diagnostic_code(line: &str) -> Option<&str> {
    let (head, code) = line.strip_suffix(']')?.rsplit_once(" [")?;
    let located = || {
        let mut parts = head.splitn(4, ':');
        let (_, line, column) = (parts.next()?, parts.next()?, parts.next()?);
        let number = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        (number(line) && number(column) && parts.next()?.starts_with(' ')).then_some(())
    };
    let plain = head.starts_with("error: ") || head.starts_with("warning: ");
    let word = !code.is_empty() && !code.contains(char::is_whitespace);
    (word && (plain || located().is_some())).then_some(code)
}

/// Every code the snapshots show, parsed: a code printed that the registry
/// does not know fails here.
fn snapshot_codes() -> std::collections::BTreeSet<kprov::diagnostic::Code> {
    let mut codes = std::collections::BTreeSet::new();
    for (path, text) in snapshots() {
        for line in text.lines() {
            let json = line.trim().strip_prefix("\"code\": \"");
            let found = match json {
                Some(rest) => rest.split('"').next(),
                None => diagnostic_code(line),
            };
            if let Some(found) = found {
                let code = found
                    .parse()
                    .unwrap_or_else(|e| panic!("{}: `{line}`: {e}", path.display()));
                codes.insert(code);
            }
        }
    }
    codes
}

#[test]
fn diagnostic_lines_are_recognised() {
    assert_eq!(
        diagnostic_code("projects/shop.yaml:11:20: spec.x: bad [invalid-value]"),
        Some("invalid-value")
    );
    assert_eq!(
        diagnostic_code("error: no Estate [no-estate]"),
        Some("no-estate")
    );
    assert_eq!(
        diagnostic_code("warning: 2 objects [unchecked-kind]"),
        Some("unchecked-kind")
    );
    assert_eq!(diagnostic_code("    allowedClusters: [prod-*]"), None);
    assert_eq!(diagnostic_code("a: b: c: [x]"), None);
}

#[test]
fn every_code_in_the_snapshots_is_registered() {
    let codes = snapshot_codes();
    // Guards the parsing itself: the snapshots hold dozens of codes.
    assert!(
        codes.contains(&kprov::diagnostic::Code::OverBudget) && codes.len() > 30,
        "{codes:?}"
    );
}

/// Codes no snapshot shows, each reported by a test elsewhere: the library's
/// unit tests (`cargo test -p kprov --lib`) or the security and self-service
/// end-to-end tests.
const REPORTED_BY_OTHER_TESTS: &[&str] = &[
    "codeowners-unmapped",
    "drift",
    "duplicate-estate",
    "duplicate-object",
    "file-too-large",
    // tests/import.rs, from the import's stderr.
    "import-mapping",
    "import-refused",
    "libvirt-xml",
    "not-an-object",
    // tests/import.rs, from `kprov import openvz`'s stderr.
    "openvz-conf",
    "policy-error",
    "policy-limit",
    "policy-no-rules",
    "policy-nondeterministic",
    "policy-package",
    "policy-recursion",
    "policy-syntax",
    "policy-warn",
    "symlink",
    "unportable-path",
];

/// Codes no test reports, and why none does.
const REPORTED_BY_NO_TEST: &[&str] = &[
    // A read failure needs a file kprov may not read, and the tests may run
    // as root, which reads every file.
    "unreadable",
];

/// Every registered code is reported by some test: the snapshots show most,
/// the lists above name the rest. A new code reported by no test fails
/// here until a fixture shows it (or it is listed, with where it is
/// tested); a code listed that a snapshot now shows fails too, so the lists
/// shrink as fixtures grow. Together with the library's check that every
/// variant is named at a call site, an unused code is noticed.
#[test]
fn every_registered_code_is_reported_by_a_test() {
    use kprov::diagnostic::Code;
    let shown = snapshot_codes();
    let mut listed = std::collections::BTreeSet::new();
    for name in REPORTED_BY_OTHER_TESTS.iter().chain(REPORTED_BY_NO_TEST) {
        let code: Code = name.parse().unwrap();
        assert!(
            !shown.contains(&code),
            "`{code}` is in a snapshot now: unlist it"
        );
        assert!(listed.insert(code), "`{code}` is listed twice");
    }
    let missing: Vec<&str> = Code::ALL
        .iter()
        .filter(|c| !shown.contains(c) && !listed.contains(c))
        .map(|c| c.as_str())
        .collect();
    assert!(missing.is_empty(), "reported by no test: {missing:?}");
}

#[test]
fn explain_a_diagnostic_code() {
    let (code, stdout, stderr) = kprov(&["explain", "over-budget"], &repo());
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!(stdout);
    let (code, stdout, _) = kprov(&["explain", "etcd-quorum", "--format", "json"], &repo());
    assert_eq!(code, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("entry JSON");
    assert_eq!(json["code"], "etcd-quorum");
    assert!(json["severity"].is_null(), "{json}");
    assert!(!json["fix"].as_str().unwrap().is_empty());
}

#[test]
fn an_unknown_code_suggests_the_closest_and_fails() {
    let (code, stdout, stderr) = kprov(&["explain", "overbudget"], &repo());
    assert_eq!(code, 2);
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.starts_with(
            "error: unknown diagnostic code `overbudget`; did you mean `over-budget`?"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("<cluster>/<namespace>"), "{stderr}");
    let (code, _, stderr) = kprov(&["explain", "no-such-thing"], &repo());
    assert_eq!(code, 2);
    assert!(!stderr.contains("did you mean"), "{stderr}");
}

#[test]
fn explain_codes_lists_every_code() {
    let (code, stdout, stderr) = kprov(&["explain", "--codes"], &repo());
    assert_eq!(code, 0, "{stderr}");
    let listed: Vec<&str> = stdout
        .lines()
        .map(|l| l.split_whitespace().next().unwrap_or(""))
        .collect();
    let all: Vec<&str> = kprov::diagnostic::Code::ALL
        .iter()
        .map(|c| c.as_str())
        .collect();
    assert_eq!(listed, all);
}

/// `flux bootstrap` writes `flux-system/` into a cluster's directory; with
/// `fluxBootstrap: true` on the Cluster, the cluster's build holds Flux's
/// objects and kprov's, and neither render nor diff touches Flux's files.
#[test]
fn a_bootstrapped_cluster_builds_with_flux_and_kprov_objects() {
    let dir = scratch("bootstrapped").join("estate");
    copy_dir(&repo().join("fixtures/bootstrapped"), &dir);
    let flux = dir.join("clusters/dev-1/flux-system");
    let before = tree(&flux);
    assert_eq!(before.len(), 3);

    let (code, _, stderr) = kprov(&["diff", "."], &dir);
    assert_eq!(code, 0, "the committed fixture is up to date: {stderr}");
    std::fs::remove_file(dir.join("clusters/dev-1/kustomization.yaml")).unwrap();
    let (code, _, stderr) = kprov(&["render", "."], &dir);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("not generated by kprov"), "{stderr}");
    assert_eq!(tree(&flux), before, "render touched flux-system/");

    let out = Command::new("kubectl")
        .args(["kustomize", "clusters/dev-1"])
        .current_dir(&dir)
        .output()
        .expect("kubectl must be installed (.ci/run installs it)");
    let built = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for object in [
        "kind: GitRepository\nmetadata:\n  name: flux-system",
        "kind: Deployment\nmetadata:\n  labels:\n    app.kubernetes.io/component: kustomize-controller",
        "kind: ResourceQuota\nmetadata:\n  name: kprov-quota\n  namespace: shop-dev",
        "  name: shop-dev\n",
    ] {
        assert!(built.contains(object), "{object} missing from:\n{built}");
    }

    // Without the setting, the directory is nobody's: foreign, so drift.
    let clusters = dir.join("platform/clusters.yaml");
    let text = std::fs::read_to_string(&clusters).unwrap();
    std::fs::write(&clusters, text.replace("  fluxBootstrap: true\n", "")).unwrap();
    let (code, stdout, _) = kprov(&["diff", "."], &dir);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("dev-1/flux-system/gotk-sync.yaml"),
        "{stdout}"
    );
}

/// A tenant label reaches every namespace below it: the diff leads with the
/// one change and how far it goes, then the objects, and a comment stays
/// within what GitHub accepts however far it goes.
#[test]
fn a_tenant_label_change_reads_as_one_change() {
    let dir = scratch("label-change").join("estate");
    copy_dir(&repo().join("fixtures/acme"), &dir);
    let tenant = dir.join("platform/tenants/acme.yaml");
    let text = std::fs::read_to_string(&tenant).unwrap();
    std::fs::write(
        &tenant,
        text.replacen("  labels:\n", "  labels:\n    tier: gold\n", 1),
    )
    .unwrap();
    let (code, stdout, _) = kprov(&["diff"], &dir);
    assert_eq!(code, 1);
    assert!(
        stdout.starts_with(
            "changes:\n  metadata.labels.tier: (none) → \"gold\" (29 objects on 6 clusters)\n"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "  ~ Namespace/checkout-prod\n      metadata.labels.tier: (none) → \"gold\"\n"
        ),
        "{stdout}"
    );
    let (_, markdown, _) = kprov(&["diff", "--format", "markdown"], &dir);
    assert!(
        markdown.contains("- changed `Namespace/checkout-prod`: `metadata.labels.tier`\n"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| `metadata.labels.tier` | `(none)` | `\"gold\"` | 29 | 6 |"),
        "{markdown}"
    );
    assert!(markdown.contains("```diff"), "{markdown}");
    let (_, json, _) = kprov(&["diff", "--format", "json"], &dir);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let fields = &json["clusters"][0]["fields"][0];
    assert_eq!(fields["changes"][0]["path"], "metadata.labels.tier");
    assert_eq!(fields["changes"][0]["after"], "\"gold\"");
}

/// Like git, kprov finds its estate from anywhere inside it.
#[test]
fn commands_find_the_estate_above_the_working_directory() {
    let dir = scratch("discover").join("estate");
    copy_dir(&repo().join("fixtures/acme"), &dir);
    let inside = dir.join("platform/tenants");
    let (code, _, stderr) = kprov(&["validate"], &inside);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("/estate: valid (6 clusters"), "{stderr}");
    let (code, stdout, _) = kprov(&["diff"], &inside);
    assert_eq!(code, 0, "{stdout}");
    // `.` (the default) finds the estate above; any other directory is
    // taken as it is.
    let (code, _, _) = kprov(&["validate", "."], &dir.join("platform"));
    assert_eq!(code, 0);
    let (code, _, stderr) = kprov(&["validate", "tenants"], &dir.join("platform"));
    assert_eq!(code, 2, "{stderr}");
}
