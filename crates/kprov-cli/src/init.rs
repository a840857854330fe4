//! `kprov init`: the scaffold of a working estate repository. The files are
//! real files under `crates/kprov-cli/init/`, embedded here; the generated
//! ones among them (CODEOWNERS, the Backstage template) are checked against
//! what kprov generates by the tests, so they cannot go stale.

use std::path::Path;

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
/// it would render, already exists.
pub fn write(dir: &Path) -> anyhow::Result<()> {
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
    for (path, contents) in FILES {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&target, contents)
            .with_context(|| format!("writing {}", target.display()))?;
    }
    Ok(())
}
