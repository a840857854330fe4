//! Diagnostics as a SARIF 2.1.0 log, the format code-scanning services
//! (GitHub's `upload-sarif`, editors' SARIF viewers) read.
//!
//! The rules are the registry's entries of the codes the results use, so a
//! viewer shows each code's explanation and fix beside the finding. The log
//! has no timestamps or absolute paths: the same estate gives the same bytes.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::{Code, Diagnostic, Location, Severity};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// A relative URI reference for a `/`-separated path: everything but
/// RFC 3986's unreserved characters and `/` percent-encoded.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn physical(base: &str, l: &Location) -> Value {
    json!({
        "artifactLocation": {
            "uri": uri(&format!("{base}{}", l.file)),
            "uriBaseId": "%SRCROOT%",
        },
        "region": {
            "startLine": l.line.max(1),
            "startColumn": l.column.max(1),
        },
    })
}

fn text(location: Option<&Location>, message: &str) -> String {
    match location {
        Some(l) if !l.path.is_empty() => format!("{}: {message}", l.path),
        _ => message.to_owned(),
    }
}

fn rule(code: Code) -> Value {
    // Results always carry their own level; a code that can be either
    // keeps SARIF's default.
    let default = code.severity().map_or("warning", level);
    json!({
        "id": code.as_str(),
        "shortDescription": {"text": code.explanation()},
        "help": {"text": code.fix()},
        "defaultConfiguration": {"level": default},
    })
}

/// One SARIF 2.1.0 log with one run of kprov: a result per diagnostic, the
/// rules of the codes they use (in registry order), paths prefixed with
/// `base` ([`super::path_base`]) relative to `%SRCROOT%`, the repository's
/// root, and notes as related locations.
pub fn render_sarif(diagnostics: &[Diagnostic], base: &str) -> String {
    let codes: Vec<Code> = diagnostics
        .iter()
        .map(|d| d.code)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let results: Vec<Value> = diagnostics
        .iter()
        .map(|d| {
            let mut result = json!({
                "ruleId": d.code.as_str(),
                "ruleIndex": codes.binary_search(&d.code).unwrap_or_default(),
                "level": level(d.severity),
                "message": {"text": text(d.location.as_ref(), &d.message)},
            });
            if let Some(l) = &d.location {
                result["locations"] = json!([{"physicalLocation": physical(base, l)}]);
            }
            if !d.notes.is_empty() {
                let related: Vec<Value> = d
                    .notes
                    .iter()
                    .enumerate()
                    .map(|(i, n)| {
                        let mut related = json!({
                            "id": i,
                            "message": {"text": text(n.location.as_ref(), &n.message)},
                        });
                        if let Some(l) = &n.location {
                            related["physicalLocation"] = physical(base, l);
                        }
                        related
                    })
                    .collect();
                result["relatedLocations"] = json!(related);
            }
            result
        })
        .collect();
    let mut driver = json!({
        "name": "kprov",
        "version": env!("CARGO_PKG_VERSION"),
    });
    let repository = env!("CARGO_PKG_REPOSITORY");
    if !repository.is_empty() {
        driver["informationUri"] = json!(repository);
    }
    driver["rules"] = codes.iter().map(|&c| rule(c)).collect();
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": driver},
            "originalUriBaseIds": {
                "%SRCROOT%": {"description": {"text": "The root of the repository kprov ran in."}},
            },
            "results": results,
        }],
    });
    let mut s = serde_json::to_string_pretty(&log).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_the_codes_used_with_their_registry_entries() {
        let d = [
            Diagnostic::error(Code::OverBudget, None, "over"),
            Diagnostic::warning(Code::CodeownersUnmapped, None, "x"),
            Diagnostic::error(Code::OverBudget, None, "again"),
        ];
        let log: Value = serde_json::from_str(&render_sarif(&d, "")).unwrap();
        let run = &log["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[0]["id"], "over-budget");
        assert_eq!(rules[0]["help"]["text"], Code::OverBudget.fix());
        assert_eq!(run["results"][1]["ruleIndex"], 1);
        assert_eq!(run["results"][1]["level"], "warning");
        assert!(run["results"][0].get("locations").is_none());
    }

    #[test]
    fn paths_are_relative_uris_under_the_base() {
        assert_eq!(uri("my estate/a%b.yaml"), "my%20estate/a%25b.yaml");
        let loc = Location {
            file: "projects/a.yaml".into(),
            line: 3,
            column: 5,
            path: "spec".into(),
        };
        let d = Diagnostic::error(Code::OverBudget, Some(loc.clone()), "over")
            .with_note(Some(loc), "here");
        let log: Value = serde_json::from_str(&render_sarif(&[d], "estate/")).unwrap();
        let result = &log["runs"][0]["results"][0];
        let artifact = &result["locations"][0]["physicalLocation"]["artifactLocation"];
        assert_eq!(artifact["uri"], "estate/projects/a.yaml");
        assert_eq!(artifact["uriBaseId"], "%SRCROOT%");
        assert_eq!(result["message"]["text"], "spec: over");
        assert_eq!(
            result["relatedLocations"][0]["physicalLocation"]["region"]["startLine"],
            3
        );
    }
}
