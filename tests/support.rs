//! Helpers shared by the end-to-end test crates (`cli.rs`, `security/`,
//! `selfservice.rs`, `formats.rs`).

// Each test crate uses some of these.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Run `kprov args` in `cwd`: exit code, stdout, stderr.
pub fn kprov(args: &[&str], cwd: &Path) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kprov"))
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

/// A fresh empty directory under the target directory.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Copy a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Every path under `dir` (symlinks not followed) with its bytes.
pub fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries {
            let e = e.unwrap();
            let t = e.file_type().unwrap();
            if t.is_dir() {
                stack.push(e.path());
            } else if t.is_symlink() {
                out.push((
                    e.path(),
                    std::fs::read_link(e.path())
                        .unwrap()
                        .to_string_lossy()
                        .into_owned()
                        .into_bytes(),
                ));
            } else {
                out.push((e.path(), std::fs::read(e.path()).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// `kubectl kustomize dir`: what it builds (it must build).
pub fn kustomize(dir: &Path) -> String {
    let out = std::process::Command::new("kubectl")
        .arg("kustomize")
        .arg(dir)
        .output()
        .expect("kubectl must be installed (.ci/run installs it)");
    assert!(
        out.status.success(),
        "{}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The consumer checks under node (`tests/js`, package.json and lockfile
/// committed); `npm ci` runs when its node_modules is missing, so a fresh
/// checkout needs nothing but node and npm.
pub fn js_dir() -> PathBuf {
    repo().join("tests/js")
}

/// Whether node_modules holds every dependency of package.json at its
/// pinned version: one installed before a dependency was added is stale.
fn node_modules_current() -> bool {
    let read = |path: PathBuf| -> Option<serde_json::Value> {
        serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
    };
    let Some(package) = read(js_dir().join("package.json")) else {
        return false;
    };
    let Some(dependencies) = package["dependencies"].as_object() else {
        return false;
    };
    dependencies.iter().all(|(name, version)| {
        read(
            js_dir()
                .join("node_modules")
                .join(name)
                .join("package.json"),
        )
        .is_some_and(|installed| installed["version"] == *version)
    })
}

/// `npm ci` once per test run, when node_modules is missing or stale.
fn node_modules() {
    static READY: OnceLock<()> = OnceLock::new();
    READY.get_or_init(|| {
        if node_modules_current() {
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
pub fn check(args: &[&str]) -> (bool, String, String) {
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
