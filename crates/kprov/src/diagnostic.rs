//! Diagnostics: every problem kprov finds, with where it is.
//!
//! Stages never stop at the first problem and never print: they return their
//! result plus a list of [`Diagnostic`]s, and one reporter ([`render_text`],
//! [`render_json`]) turns the list into what a person or a machine reads.

use std::fmt::Write as _;

use schemars::JsonSchema;
use serde::Serialize;

mod code;
mod github;
mod sarif;
pub use code::{Code, CodeEntry, CodeIndex, UnknownCode};
pub use github::render_github;
pub use sarif::render_sarif;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Severity {
    /// Fails the command (exit 2).
    Error,
    /// Printed, but does not fail the command.
    Warning,
}

impl Severity {
    /// `error` or `warning`, as the reporters write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A place in an input file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    /// File path relative to the estate root, with `/` separators.
    pub file: String,
    /// Line, starting at 1.
    pub line: u32,
    /// Column, starting at 1.
    pub column: u32,
    /// Path inside the document, e.g. `spec.environments[1].quota.cpu`; empty for the whole document.
    pub path: String,
}

impl Location {
    /// A line and column of `file` that no document path names: a reader
    /// that is not YAML (XML, shell syntax, Rego), or bytes before parsing.
    pub fn in_file(file: impl Into<String>, line: u32, column: u32) -> Self {
        Location {
            file: file.into(),
            line,
            column,
            path: String::new(),
        }
    }

    /// The whole of `file`: its first line and column stand for it.
    pub fn whole_file(file: impl Into<String>) -> Self {
        Self::in_file(file, 1, 1)
    }
}

/// A further place that explains a diagnostic ("first defined here").
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Note {
    /// Where, if the note is about a place.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// What about it.
    pub message: String,
}

/// One problem found in the estate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Stable identifier of the class of problem, e.g. `unknown-field`.
    pub code: Code,
    /// Where, if the problem is in a file.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// One sentence saying what is wrong.
    pub message: String,
    /// Related places.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Note>,
}

impl Diagnostic {
    /// An error at `location`.
    pub fn error(code: Code, location: Option<Location>, message: impl Into<String>) -> Self {
        Diagnostic::new(Severity::Error, code, location, message.into())
    }

    /// A warning at `location`.
    pub fn warning(code: Code, location: Option<Location>, message: impl Into<String>) -> Self {
        Diagnostic::new(Severity::Warning, code, location, message.into())
    }

    fn new(severity: Severity, code: Code, location: Option<Location>, message: String) -> Self {
        // The registry states each code's severity for `kprov explain`; a
        // call site that disagrees makes that entry wrong, which tests catch
        // here rather than a reader later.
        debug_assert!(
            code.severity().is_none_or(|s| s == severity),
            "{code} is registered as {:?}, emitted as {severity:?}",
            code.severity()
        );
        Diagnostic {
            severity,
            code,
            location,
            message,
            notes: Vec::new(),
        }
    }

    /// Add a related place.
    pub fn with_note(mut self, location: Option<Location>, message: impl Into<String>) -> Self {
        self.notes.push(Note {
            location,
            message: message.into(),
        });
        self
    }

    fn sort_key(&self) -> (Option<(&str, u32, u32)>, &str, &str) {
        (
            self.location
                .as_ref()
                .map(|l| (l.file.as_str(), l.line, l.column)),
            self.message.as_str(),
            self.code.as_str(),
        )
    }
}

/// Sort diagnostics by file, line and column (those without a file first) and
/// drop exact duplicates, so output never depends on discovery order.
pub fn sort(diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    diagnostics.dedup();
}

/// The candidate closest to `word`, if it is close enough to be a likely
/// typo: the "did you mean" of every message.
pub(crate) fn closest<'a>(word: &str, candidates: &'a [String]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c.as_str())
}

/// Whether any diagnostic is an error.
pub fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(|d| d.severity == Severity::Error)
}

fn write_location(out: &mut String, location: &Location) {
    out.push_str(&one_line(&location.file));
    let _ = write!(out, ":{}:{}: ", location.line, location.column);
}

/// `text` as it may appear on one line of a log: control characters and
/// every character a terminal, a CI log or a YAML reader takes as a line
/// break are escaped. Diagnostics quote what the estate wrote, and an input
/// must not be able to start a line of its own in CI output (where a line can
/// be a workflow command).
pub(crate) fn one_line(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}');
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// How [`render_text_styled`] marks the severity word and the `[code]` of a
/// diagnostic. The library never looks at a terminal or the environment:
/// its caller decides (the CLI's `--color`, `NO_COLOR`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TextStyle {
    /// The `error` word and the code of an error.
    pub error: anstyle::Style,
    /// The `warning` word and the code of a warning.
    pub warning: anstyle::Style,
}

impl TextStyle {
    /// No escape codes at all: what [`render_text`] writes.
    pub const PLAIN: TextStyle = TextStyle {
        error: anstyle::Style::new(),
        warning: anstyle::Style::new(),
    };

    /// Bold red errors and bold yellow warnings, as compilers colour them.
    pub const COLORED: TextStyle = TextStyle {
        error: anstyle::Style::new()
            .bold()
            .fg_color(Some(anstyle::Color::Ansi(anstyle::AnsiColor::Red))),
        warning: anstyle::Style::new()
            .bold()
            .fg_color(Some(anstyle::Color::Ansi(anstyle::AnsiColor::Yellow))),
    };

    /// The style of a diagnostic of `severity`.
    pub fn of(&self, severity: Severity) -> anstyle::Style {
        match severity {
            Severity::Error => self.error,
            Severity::Warning => self.warning,
        }
    }
}

/// Human-readable rendering, one line per diagnostic, e.g.
/// `projects/checkout.yaml:14:9: spec.environments[1].quota.cpu: message`;
/// warnings say `warning:` before the path. Notes follow, indented.
pub fn render_text(diagnostics: &[Diagnostic]) -> String {
    render_text_styled(diagnostics, &TextStyle::PLAIN)
}

/// [`render_text`] with the severity words and codes in `style`.
pub fn render_text_styled(diagnostics: &[Diagnostic], style: &TextStyle) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let s = style.of(d.severity);
        if let Some(l) = &d.location {
            write_location(&mut out, l);
        }
        if d.severity == Severity::Warning {
            let _ = write!(out, "{s}warning{s:#}: ");
        } else if d.location.is_none() {
            let _ = write!(out, "{s}error{s:#}: ");
        }
        if let Some(l) = &d.location
            && !l.path.is_empty()
        {
            let _ = write!(out, "{}: ", one_line(&l.path));
        }
        out.push_str(&one_line(&d.message));
        let _ = writeln!(out, " [{s}{}{s:#}]", d.code);
        for n in &d.notes {
            out.push_str("    ");
            if let Some(l) = &n.location {
                write_location(&mut out, l);
                if !l.path.is_empty() {
                    let _ = write!(out, "{}: ", one_line(&l.path));
                }
            }
            out.push_str(&one_line(&n.message));
            out.push('\n');
        }
    }
    if !diagnostics.is_empty() {
        let _ = writeln!(out, "{}", Summary::of(diagnostics));
    }
    out
}

/// `n` and a noun, plural unless `n` is one: `1 error`, `2 warnings`. Every
/// count kprov prints goes through here, so none reads `1 projects`.
pub fn count(n: usize, noun: &str) -> String {
    match n {
        1 => format!("1 {noun}"),
        n => format!("{n} {noun}s"),
    }
}

/// Errors and warnings in a list of diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Summary {
    /// Diagnostics that fail the command.
    pub errors: usize,
    /// Diagnostics that do not.
    pub warnings: usize,
}

impl Summary {
    /// The counts of `diagnostics`.
    pub fn of(diagnostics: &[Diagnostic]) -> Summary {
        let errors = diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        Summary {
            errors,
            warnings: diagnostics.len() - errors,
        }
    }
}

impl std::fmt::Display for Summary {
    /// `1 error, 2 warnings`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}, {}",
            count(self.errors, "error"),
            count(self.warnings, "warning")
        )
    }
}

/// What `--format json` prints for diagnostics: `kprov validate`'s output,
/// and every other command's when the estate has errors, so a bot tells the
/// two apart by the `diagnostics` key.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Diagnostics<'a> {
    /// Every diagnostic, sorted by file, line and column.
    pub diagnostics: &'a [Diagnostic],
    /// Their counts.
    pub summary: Summary,
}

/// Machine-readable rendering: a [`Diagnostics`] document.
pub fn render_json(diagnostics: &[Diagnostic]) -> String {
    let document = Diagnostics {
        diagnostics,
        summary: Summary::of(diagnostics),
    };
    let mut s = serde_json::to_string_pretty(&document).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

/// The path of the estate root as a prefix of the paths in annotations and
/// SARIF results, which are relative to the repository: `dir` as given,
/// without `.` segments, `/`-separated and ending in `/` (empty for the
/// current directory). kprov is run from the root of the checkout, so the
/// directory on its command line is the estate's place in the repository.
pub fn path_base(dir: &std::path::Path) -> String {
    use std::path::Component;
    let mut out = String::new();
    for c in dir.components() {
        match c {
            Component::CurDir => {}
            Component::RootDir => out.push('/'),
            Component::Prefix(p) => out.push_str(&p.as_os_str().to_string_lossy()),
            Component::ParentDir => out.push_str("../"),
            Component::Normal(n) => {
                out.push_str(&n.to_string_lossy());
                out.push('/');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styled_text_marks_only_the_severity_word_and_the_code() {
        let d = [
            Diagnostic::error(Code::InvalidValue, None, "broken"),
            Diagnostic::warning(Code::CodeownersUnmapped, None, "odd"),
        ];
        let plain = render_text(&d);
        assert!(!plain.contains('\u{1b}'), "{plain}");
        let colored = render_text_styled(&d, &TextStyle::COLORED);
        assert_ne!(colored, plain);
        let stripped: String = colored
            .split('\u{1b}')
            .enumerate()
            .map(|(i, part)| {
                if i == 0 {
                    part
                } else {
                    &part[part.find('m').unwrap() + 1..]
                }
            })
            .collect();
        assert_eq!(stripped, plain);
        assert!(
            colored.starts_with("\u{1b}[1m\u{1b}[31merror\u{1b}[0m: broken ["),
            "{colored}"
        );
    }
}
