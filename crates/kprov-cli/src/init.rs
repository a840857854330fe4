//! `kprov init`: the scaffold of a working estate repository. The files are
//! real files under `crates/kprov-cli/init/`, embedded here; the generated
//! ones among them (CODEOWNERS, the Backstage template) are checked against
//! what kprov generates by the tests, so they cannot go stale.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

macro_rules! scaffold {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_str!(concat!("../init/", $path)))),*]
    };
}

/// Every scaffold file: path relative to the new estate's root, contents.
pub const FILES: &[(&str, &str)] = scaffold![
    ".github/CODEOWNERS",
    ".github/workflows/kprov.yml",
    "README.md",
    "backstage/skeleton/projects/${{ values.name }}.yaml",
    "backstage/template.yaml",
    "kprov.yaml",
    "platform/clusters.yaml",
    "platform/tenants/example-org.yaml",
    "platform/tenants/example-team.yaml",
    "policies/no-loadbalancer-outside-prod.rego",
    "projects/hello.yaml",
];

/// Write the scaffold into `dir` (created if missing). Refuses, before
/// writing anything, when any file it would write, or the output directory
/// it would render, already exists, and when `dir` or any directory on the
/// way to a scaffold file is a symbolic link (the scaffold would land
/// outside the estate). On failure it removes what it created, so a second
/// attempt does not meet a half-written scaffold.
pub fn write(dir: &Path) -> anyhow::Result<()> {
    let linked: BTreeSet<String> = FILES
        .iter()
        .map(|(path, _)| *path)
        .chain(["clusters"])
        .filter_map(|path| symlinked_component(dir, path))
        .collect();
    if !linked.is_empty() {
        anyhow::bail!(
            "{}: refusing to write through symbolic links: {}; run `kprov init` in a plain directory",
            dir.display(),
            linked.into_iter().collect::<Vec<_>>().join(", ")
        );
    }
    let mut existing: Vec<String> = FILES
        .iter()
        .map(|(path, _)| *path)
        .chain(["clusters"])
        .filter(|path| std::fs::symlink_metadata(dir.join(path)).is_ok())
        .map(str::to_owned)
        .collect();
    if !existing.is_empty() {
        existing.sort();
        anyhow::bail!(
            "{}: refusing to overwrite what is already there: {}; run `kprov init` in an empty directory",
            dir.display(),
            existing.join(", ")
        );
    }
    let mut created = Created::default();
    let result = write_files(dir, &mut created);
    if result.is_err() {
        created.undo();
    }
    result
}

/// The first component of `dir/path`, from `dir` itself down, that is a
/// symbolic link (`.` for `dir`).
fn symlinked_component(dir: &Path, path: &str) -> Option<String> {
    let is_link = |p: &Path| std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink());
    if is_link(dir) {
        return Some(".".to_owned());
    }
    let mut at = dir.to_path_buf();
    let mut rel = Vec::new();
    for part in path.split('/') {
        at.push(part);
        rel.push(part);
        if is_link(&at) {
            return Some(rel.join("/"));
        }
    }
    None
}

/// What one run created, in order.
#[derive(Default)]
struct Created {
    dirs: Vec<PathBuf>,
    files: Vec<PathBuf>,
}

impl Created {
    fn dir_all(&mut self, dir: &Path) -> anyhow::Result<()> {
        let missing: Vec<&Path> = dir
            .ancestors()
            .take_while(|d| !d.as_os_str().is_empty() && std::fs::symlink_metadata(d).is_err())
            .collect();
        for d in missing.into_iter().rev() {
            std::fs::create_dir(d).with_context(|| format!("creating {}", d.display()))?;
            self.dirs.push(d.to_owned());
        }
        Ok(())
    }

    /// Remove what was created, files first, newest directory first; a
    /// directory someone else put something in meanwhile stays.
    fn undo(self) {
        for f in self.files.iter().rev() {
            let _ = std::fs::remove_file(f);
        }
        for d in self.dirs.iter().rev() {
            let _ = std::fs::remove_dir(d);
        }
    }
}

fn write_files(dir: &Path, created: &mut Created) -> anyhow::Result<()> {
    created.dir_all(dir)?;
    for (path, contents) in FILES {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            created.dir_all(parent)?;
        }
        // `create_new`: never replace something that appeared meanwhile.
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&target)
            .with_context(|| format!("writing {}", target.display()))?;
        created.files.push(target.clone());
        file.write_all(contents.as_bytes())
            .with_context(|| format!("writing {}", target.display()))?;
    }
    Ok(())
}
