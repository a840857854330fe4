//! `kprov init`: the scaffold of a working estate repository. The files are
//! real files under `crates/kprov-cli/init/`, embedded here; the generated
//! ones among them (CODEOWNERS, the Backstage template, the input schemas
//! under `.kprov/schemas/` that editors check the YAML with) are checked against
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
    ".kprov/schemas/cluster.json",
    ".kprov/schemas/composition.json",
    ".kprov/schemas/definition.json",
    ".kprov/schemas/estate.json",
    ".kprov/schemas/project.json",
    ".kprov/schemas/tenant.json",
    ".vscode/settings.json",
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

/// What [`write`] did with each scaffold file.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Files that were not there and now are.
    pub written: Vec<&'static str>,
    /// Files that were there and are left as they were.
    pub kept: Vec<&'static str>,
    /// Files that were there and now hold the scaffold's version (`--force`).
    pub replaced: Vec<&'static str>,
}

/// Write the scaffold into `dir` (created if missing), so `kprov init` also
/// brings an existing repository up: a scaffold file already there is kept,
/// or with `force` replaced; nothing but the scaffold's own files is ever
/// touched. Refuses, before writing anything, when `dir` or any directory
/// on the way to a scaffold file, or the file itself, is a symbolic link
/// (the scaffold would land outside the estate), and, with `force`, when
/// something other than a file stands where a scaffold file goes. On
/// failure it removes what it created and restores what it replaced, so a
/// second attempt does not meet a half-written scaffold.
pub fn write(dir: &Path, force: bool) -> anyhow::Result<Outcome> {
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
    let mut outcome = Outcome::default();
    let mut not_files = Vec::new();
    for (path, _) in FILES {
        match std::fs::symlink_metadata(dir.join(path)) {
            Err(_) => outcome.written.push(path),
            Ok(_) if !force => outcome.kept.push(path),
            Ok(meta) if meta.is_file() => outcome.replaced.push(path),
            Ok(_) => not_files.push(*path),
        }
    }
    if !not_files.is_empty() {
        anyhow::bail!(
            "{}: --force replaces files only, and these are not files: {}",
            dir.display(),
            not_files.join(", ")
        );
    }
    let mut created = Created::default();
    let result = write_files(dir, &outcome, &mut created);
    if result.is_err() {
        created.undo();
    }
    result.map(|()| outcome)
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
    /// Files replaced under `--force`, with what they held.
    replaced: Vec<(PathBuf, Vec<u8>)>,
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
        for (f, old) in self.replaced.iter().rev() {
            // Only into the file this run put there, never through a link.
            if std::fs::symlink_metadata(f).is_ok_and(|m| m.is_file()) {
                let _ = std::fs::write(f, old);
            }
        }
        for f in self.files.iter().rev() {
            let _ = std::fs::remove_file(f);
        }
        for d in self.dirs.iter().rev() {
            let _ = std::fs::remove_dir(d);
        }
    }
}

fn write_files(dir: &Path, outcome: &Outcome, created: &mut Created) -> anyhow::Result<()> {
    created.dir_all(dir)?;
    let contents_of = |path: &str| {
        FILES
            .iter()
            .find(|(p, _)| *p == path)
            .map_or("", |(_, c)| *c)
    };
    for path in &outcome.written {
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
        file.write_all(contents_of(path).as_bytes())
            .with_context(|| format!("writing {}", target.display()))?;
    }
    for path in &outcome.replaced {
        let target = dir.join(path);
        let old =
            std::fs::read(&target).with_context(|| format!("reading {}", target.display()))?;
        // Written beside it, then renamed over it: a rename replaces
        // whatever the name holds by then, a link included, and never
        // writes through one.
        let staged = target.with_file_name(format!(
            ".{}.kprov-init",
            target.file_name().unwrap_or_default().to_string_lossy()
        ));
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&staged)
            .with_context(|| format!("writing {}", staged.display()))?;
        created.files.push(staged.clone());
        file.write_all(contents_of(path).as_bytes())
            .with_context(|| format!("writing {}", staged.display()))?;
        std::fs::rename(&staged, &target)
            .with_context(|| format!("replacing {}", target.display()))?;
        created.files.pop();
        created.replaced.push((target, old));
    }
    Ok(())
}
