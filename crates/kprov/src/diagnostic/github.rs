//! Diagnostics as GitHub Actions workflow commands (`::error file=…::…`),
//! which GitHub shows as annotations on the pull request's files.
//!
//! The runner splits a command at `::` and `,` and ends it at a line break,
//! so whatever the estate wrote is escaped the way the runner unescapes it
//! (actions/toolkit's `escapeData` and `escapeProperty`): without that, a
//! message quoting input could end its annotation early or start a command
//! of its own.

use std::fmt::Write as _;

use super::{Diagnostic, Location, Severity};

/// A command's message: `%`, `\r` and `\n` escaped.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A command's property value: as [`escape_data`], and `:` and `,`, which
/// end a property.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

fn place(base: &str, l: &Location) -> String {
    format!("{base}{}:{}:{}", l.file, l.line, l.column)
}

/// One workflow command per diagnostic, e.g.
/// `::error file=estate/projects/shop.yaml,line=14,col=9,title=over-budget::spec.x: message`.
/// File paths are prefixed with `base` ([`super::path_base`]) to make them
/// relative to the repository; a diagnostic without a file has no `file=`.
/// Notes follow the message on lines of their own.
pub fn render_github(diagnostics: &[Diagnostic], base: &str) -> String {
    let mut out = String::new();
    for d in diagnostics {
        out.push_str(match d.severity {
            Severity::Error => "::error ",
            Severity::Warning => "::warning ",
        });
        if let Some(l) = &d.location {
            let _ = write!(
                out,
                "file={},line={},col={},",
                escape_property(&format!("{base}{}", l.file)),
                l.line,
                l.column
            );
        }
        let _ = write!(out, "title={}::", escape_property(d.code.as_str()));
        let mut message = String::new();
        if let Some(l) = &d.location
            && !l.path.is_empty()
        {
            let _ = write!(message, "{}: ", l.path);
        }
        message.push_str(&d.message);
        for n in &d.notes {
            message.push('\n');
            if let Some(l) = &n.location {
                let _ = write!(message, "{}: ", place(base, l));
                if !l.path.is_empty() {
                    let _ = write!(message, "{}: ", l.path);
                }
            }
            message.push_str(&n.message);
        }
        out.push_str(&escape_data(&message));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Code;

    fn at(file: &str, line: u32, column: u32, path: &str) -> Option<Location> {
        Some(Location {
            file: file.into(),
            line,
            column,
            path: path.into(),
        })
    }

    #[test]
    fn data_and_properties_are_escaped_as_the_runner_unescapes_them() {
        assert_eq!(escape_data("100% a\r\nb::c,d"), "100%25 a%0D%0Ab::c,d");
        assert_eq!(
            escape_property("a,b:c%d\ne"),
            "a%2Cb%3Ac%25d%0Ae".to_owned()
        );
    }

    #[test]
    fn a_message_cannot_end_its_annotation_or_start_another() {
        let d = Diagnostic::error(
            Code::InvalidValue,
            at("projects/a,b.yaml", 3, 7, "spec.x"),
            "50% too much\n::error::forged, ok",
        )
        .with_note(at("tenants/t.yaml", 1, 1, ""), "set here")
        .with_note(None, "see also");
        let text = render_github(&[d], "estate/");
        assert_eq!(
            text,
            "::error file=estate/projects/a%2Cb.yaml,line=3,col=7,title=invalid-value::spec.x: 50%25 too much%0A::error::forged, ok%0Aestate/tenants/t.yaml:1:1: set here%0Asee also\n"
        );
        assert_eq!(text.lines().count(), 1);
    }

    #[test]
    fn a_diagnostic_without_a_file_has_no_file_property() {
        let d = Diagnostic::warning(Code::CodeownersUnmapped, None, "no handle for `x`");
        assert_eq!(
            render_github(&[d], ""),
            "::warning title=codeowners-unmapped::no handle for `x`\n"
        );
    }
}
