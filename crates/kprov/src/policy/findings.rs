//! Turning what a rule returned into diagnostics: located at the object's
//! project (or claim), with a note at the rule, messages sorted.

use super::data::ContextKey;
use super::load::{Policy, Rule};
use crate::compose::Composed;
use crate::diagnostic::{Code, Diagnostic, Location, Severity};
use crate::model::Model;
use serde_json::Value;

/// A deny or warn finding about one object.
pub(super) fn finding(
    policy: &Policy<'_>,
    rule: &Rule,
    model: &Model,
    key: &ContextKey,
    output: &str,
    object: &Composed,
    message: &str,
) -> Diagnostic {
    let at = key
        .project
        .and_then(|p| model.projects.get(p))
        .map(|p| Location {
            // The project's name: the object exists because of this request.
            path: String::new(),
            ..p.origin.at("/metadata/name")
        })
        .or_else(|| {
            object
                .sources
                .iter()
                .find(|s| s.starts_with("projects/"))
                .or(object.sources.first())
                .map(|file| Location::whole_file(file.clone()))
        });
    let text = format!(
        "policy {}: {}: {message}",
        policy.path,
        describe(output, object)
    );
    let note = format!("rule `{}` of this policy", rule.name);
    let d = match rule.severity {
        Severity::Error => Diagnostic::error(Code::PolicyDeny, at, text),
        Severity::Warning => Diagnostic::warning(Code::PolicyWarn, at, text),
    };
    d.with_note(Some(rule.at.clone()), note)
}

/// `clusters/<cluster>/<layer>/<stem>.yaml: <Kind>/<namespace>/<name>`.
pub(super) fn describe(output: &str, object: &Composed) -> String {
    let field = |pointer: &str| {
        object
            .object
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_owned()
    };
    let kind = field("/kind");
    let name = field("/metadata/name");
    let identity = match &object.namespace {
        Some(ns) => format!("{kind}/{ns}/{name}"),
        None => format!("{kind}/{name}"),
    };
    format!("{output}/{}: {identity}", object.file_path())
}

/// The messages of a rule's value, sorted: a set (or array) of strings or
/// objects with a `msg` field; `true` for a boolean rule.
pub(super) fn messages(rule: &str, value: &regorus::Value) -> Vec<String> {
    let json = serde_json::to_value(value).unwrap_or(Value::Null);
    let one = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Object(o) => match o.get("msg") {
            Some(Value::String(s)) => s.clone(),
            _ => v.to_string(),
        },
        other => other.to_string(),
    };
    let mut found: Vec<String> = match &json {
        Value::Array(items) => items.iter().map(one).collect(),
        Value::Bool(true) => vec![format!("rule `{rule}` is true")],
        Value::Null | Value::Bool(false) => Vec::new(),
        other => vec![one(other)],
    };
    found.sort();
    found.dedup();
    found
}

/// Where `keyword` first starts a line (ignoring indentation), or line 1.
pub(super) fn keyword_location(path: &str, text: &str, keyword: &str) -> Location {
    let found = text.lines().enumerate().find_map(|(i, line)| {
        let trimmed = line.trim_start();
        let rest = trimmed.strip_prefix(keyword)?;
        let boundary = rest
            .chars()
            .next()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        boundary.then_some((i + 1, line.len() - trimmed.len() + 1))
    });
    let (line, column) = found.unwrap_or((1, 1));
    Location::in_file(
        path.to_owned(),
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(column).unwrap_or(u32::MAX),
    )
}

/// Split a regorus error (`\n--> file:line:col\n  | source\n  | ^\nerror: msg`)
/// into a location in `path` and the message.
pub(super) fn regorus_error(path: &str, error: &dyn std::fmt::Display) -> (Location, String) {
    let text = error.to_string();
    let mut at = Location::whole_file(path);
    let Some(start) = text.find("--> ") else {
        return (at, text.trim().to_owned());
    };
    let header = text[start + 4..].lines().next().unwrap_or("");
    let mut parts = header.rsplitn(3, ':');
    let column = parts.next().and_then(|c| c.trim().parse::<u32>().ok());
    let line = parts.next().and_then(|l| l.trim().parse::<u32>().ok());
    if let (Some(line), Some(column)) = (line, column) {
        at.line = line.max(1);
        at.column = column.max(1);
    }
    let rest = &text[start..];
    let message = match rest.find("\nerror: ") {
        Some(i) => rest[i + "\nerror: ".len()..].trim().to_owned(),
        None => text[..start].trim().to_owned(),
    };
    let message = if message.is_empty() {
        text.trim().to_owned()
    } else {
        message
    };
    (at, message)
}
