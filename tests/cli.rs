//! End-to-end tests: the real `kprov` binary on real estate directories.
//!
//! Every directory under `fixtures/invalid/` is one small estate with one
//! class of error; `check` runs `kprov validate` on it and the snapshot holds
//! the exit status and everything printed, so a change to any message shows
//! up in review.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn kprov(args: &[&str], cwd: &Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kprov"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run kprov");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Run `kprov validate` inside `dir` and describe everything it did.
fn check(dir: &Path) -> (i32, String) {
    let (code, stdout, stderr) = kprov(&["validate"], dir);
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
    let diagnostics: serde_json::Value = serde_json::from_str(&stdout).expect("JSON output");
    let first = &diagnostics[0];
    assert_eq!(first["severity"], "error");
    assert_eq!(first["file"], "projects/shop.yaml");
    assert!(first["line"].as_u64().unwrap() > 1);
    assert_eq!(first["path"], "spec.environments[0].quota.cpu");
}

#[test]
fn committed_schemas_are_up_to_date() {
    let dir = repo().join("schemas/kprov.dev/v1alpha1");
    for (name, text) in kprov::schema::committed_files() {
        let committed = std::fs::read_to_string(dir.join(&name)).unwrap_or_default();
        assert!(
            committed == text,
            "schemas/kprov.dev/v1alpha1/{name} is stale: run `cargo xtask schemas`"
        );
    }
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
