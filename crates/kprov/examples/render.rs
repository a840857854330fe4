//! Read an estate from a directory, compile it and write its output tree
//! with the library's own writer: `kprov render` without the files outside
//! the tree (CODEOWNERS, the Backstage template).
//!
//! ```text
//! cargo run -p kprov --example render -- [ESTATE] [OUT]
//! ```
//!
//! `ESTATE` defaults to `fixtures/acme`, `OUT` to `kprov-render` in the
//! system's temporary directory; the tree lands in `OUT/<spec.output>`.

use std::error::Error;
use std::path::{Path, PathBuf};

use kprov::output::{self, WriteConfig, WriteReport};

fn render(estate: &Path, out: &Path) -> Result<WriteReport, Box<dyn Error>> {
    let sources = kprov::read_estate(estate)?;
    let compiled = kprov::compile(&sources, &kprov::Config::default());
    eprint!("{}", kprov::diagnostic::render_text(&compiled.diagnostics));
    let files = compiled
        .files
        .ok_or("the estate has errors: nothing written")?;
    // The writer locks `out` itself, so it must exist.
    std::fs::create_dir_all(out)?;
    let output = compiled.model.output_dir();
    Ok(output::write_tree(
        out,
        output,
        &files,
        &WriteConfig::default(),
    )?)
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args_os().skip(1).map(PathBuf::from);
    let estate = args.next().unwrap_or_else(|| "fixtures/acme".into());
    let out = args
        .next()
        .unwrap_or_else(|| std::env::temp_dir().join("kprov-render"));
    let report = render(&estate, &out)?;
    println!(
        "{}: {} written, {} unchanged, {} removed",
        out.display(),
        report.written,
        report.unchanged,
        report.removed
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    #[test]
    fn rendering_acme_writes_its_committed_tree_and_then_nothing() {
        let acme = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/acme");
        let out = std::env::temp_dir().join(format!("kprov-example-render-{}", std::process::id()));
        let first = super::render(&acme, &out).unwrap();
        let again = super::render(&acme, &out).unwrap();
        let rendered = kprov::output::read_tree(&out, "clusters").unwrap();
        std::fs::remove_dir_all(&out).unwrap();
        assert_eq!(
            rendered,
            kprov::output::read_tree(&acme, "clusters").unwrap()
        );
        assert_eq!(first.written, rendered.len());
        assert_eq!((again.written, again.unchanged), (0, rendered.len()));
    }
}
