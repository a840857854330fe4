//! Read the diagnostics of an estate: each one as data, then all of them as
//! kprov's text reporter prints them.
//!
//! ```text
//! cargo run -p kprov --example diagnostics -- [ESTATE]
//! ```
//!
//! `ESTATE` defaults to `fixtures/invalid/typo-field`, which has a typo.

use std::path::PathBuf;

use kprov::Diagnostic;
use kprov::diagnostic;

/// One line per diagnostic: severity, code, `file:line` and message.
fn listing(diagnostics: &[Diagnostic]) -> Vec<String> {
    diagnostics
        .iter()
        .map(|d| {
            let at = match &d.location {
                Some(location) => format!("{}:{}", location.file, location.line),
                None => "(estate)".to_owned(),
            };
            format!("{} {} {at} {}", d.severity, d.code, d.message)
        })
        .collect()
}

fn main() -> Result<(), kprov::load::LoadError> {
    let estate = std::env::args_os()
        .nth(1)
        .map_or_else(|| "fixtures/invalid/typo-field".into(), PathBuf::from);
    let compiled = kprov::compile(&kprov::read_estate(&estate)?, &kprov::Config::default());
    for line in listing(&compiled.diagnostics) {
        println!("{line}");
    }
    println!("\nAs the text reporter prints them:");
    print!("{}", diagnostic::render_text(&compiled.diagnostics));
    if diagnostic::has_errors(&compiled.diagnostics) {
        std::process::exit(2);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    #[test]
    fn a_typo_is_listed_as_an_unknown_field_error_at_its_line() {
        let estate =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/invalid/typo-field");
        let compiled = kprov::compile(
            &kprov::read_estate(&estate).unwrap(),
            &kprov::Config::default(),
        );
        let lines = super::listing(&compiled.diagnostics);
        assert_eq!(lines.len(), compiled.diagnostics.len());
        let typo = &compiled.diagnostics[0];
        let at = typo.location.as_ref().unwrap();
        assert_eq!(
            lines[0],
            format!(
                "error unknown-field {}:{} {}",
                at.file, at.line, typo.message
            )
        );
    }
}
