//! Repository chores, in Rust rather than shell (matklad's xtask pattern).
//!
//! `cargo xtask schemas` rewrites the committed JSON Schemas of the input
//! kinds and of the CLI's JSON output from the library's types, and `cargo
//! xtask cli-docs` the shell completions and man pages from the CLI's
//! definition; the test suite fails while any of them is stale.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

mod bench;
mod bench_delivery;
mod bench_import;
mod gen_estate;
mod upstream;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("schemas") => schemas(),
        Some("cli-docs") => cli_docs(),
        Some("upstream-schemas") => upstream::run(&repo_root()),
        Some("gen-estate") => gen_estate::cli(&args[1..]).map_err(anyhow::Error::msg),
        Some("bench") => bench::cli(&args[1..], &repo_root()),
        Some("bench-delivery") => bench_delivery::cli(&args[1..], &repo_root()),
        Some("bench-import") => bench_import::cli(&args[1..], &repo_root()),
        _ => bail!(
            "usage: cargo xtask schemas|cli-docs|upstream-schemas|gen-estate|bench|bench-delivery|bench-import\n\n  schemas            rewrite schemas/kprov.dev/v1alpha1/ (and the scaffold's copy) and schemas/output/ from the library's types\n  cli-docs           rewrite crates/kprov-cli/completions/ and man/ from the CLI definition\n  upstream-schemas   rebuild schemas/upstream/ from pinned registry packages\n  gen-estate         write a synthetic estate (--out DIR --scale S)\n  bench              time kprov's commands on generated estates\n  bench-delivery     time render and kubectl kustomize per delivery-units mode\n  bench-import       time kprov import libvirt of 700 domains, then validate"
        ),
    }
}

fn schemas() -> anyhow::Result<()> {
    let root = repo_root();
    write_all(
        &root.join("schemas/kprov.dev/v1alpha1"),
        kprov::model::schema::committed_files(),
    )?;
    // `kprov init` gives every new estate the same schemas for its editors.
    write_all(
        &root.join("crates/kprov-cli/init/.kprov/schemas"),
        kprov::model::schema::committed_files(),
    )?;
    write_all(&root.join("schemas/output"), kprov::output_schemas())
}

fn cli_docs() -> anyhow::Result<()> {
    write_all(
        &repo_root().join("crates/kprov-cli"),
        kprov_cli::docs::committed_files(),
    )
}

fn write_all(dir: &Path, files: Vec<(String, String)>) -> anyhow::Result<()> {
    for (name, text) in files {
        let path = dir.join(&name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        let old = fs::read_to_string(&path).unwrap_or_default();
        if old != text {
            fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
            println!("wrote {}", path.display());
        }
    }
    Ok(())
}
