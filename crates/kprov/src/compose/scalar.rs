//! How an interpolated value enters a YAML template (DESIGN §3).
//!
//! The renderer never writes user data as raw text. Every `{{ … }}` output
//! becomes a marker; after rendering, each marker is replaced according to
//! where it stands:
//! - alone as a whole scalar (`name: {{ x }}`, `- {{ x }}`, `[{{ x }}]`): bare
//!   when the value reads back as the same string in YAML 1.1 and 1.2,
//!   otherwise JSON-quoted (a JSON string is a YAML flow scalar, so a newline
//!   or `a: b` can never add a key or a document);
//! - inside a larger scalar (`name: {{ x }}-db`): bare when it only contains
//!   characters that cannot end or change the scalar, otherwise an error:
//!   quoting there would silently corrupt the value.
//!
//! Numbers and booleans are written as themselves; lists and maps as JSON
//! flow collections, only where they stand alone.

use serde_json::Value;

/// Opening and closing delimiters of a marker: Unicode noncharacters, which
/// no template or value has any business containing.
pub(super) const OPEN: char = '\u{FDD0}';
pub(super) const CLOSE: char = '\u{FDD1}';

/// Whether a string would be read back by a YAML 1.1 or 1.2 parser as
/// something other than that same string when written as a plain scalar.
fn ambiguous(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "" | "~"
            | "null"
            | "true"
            | "false"
            | "yes"
            | "no"
            | "on"
            | "off"
            | "y"
            | "n"
            | ".inf"
            | "-.inf"
            | "+.inf"
            | ".nan"
            | "<<"
            | "="
    ) {
        return true;
    }
    // Anything that starts like a number (ints, floats, octal, hex, sexagesimal, dates).
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    body.starts_with(|c: char| c.is_ascii_digit())
        || (body.starts_with('.') && body[1..].starts_with(|c: char| c.is_ascii_digit()))
}

/// Characters that can appear anywhere in a plain scalar without ending it
/// or changing its meaning.
fn inner_safe(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, '.' | '_' | '/' | '-' | '+' | '=' | '@' | '~' | ':')
        })
        && !s.contains("::")
}

/// Whether `s` can stand alone as a plain scalar and mean itself.
fn plain_ok(s: &str) -> bool {
    inner_safe(s)
        && !ambiguous(s)
        && s.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '/' || c == '.')
        && !s.ends_with(':')
        && !s.contains(':')
}

/// The text of `value` where it stands alone as a scalar.
pub(super) fn standalone(value: &Value) -> String {
    match value {
        Value::String(s) => standalone_str(s).unwrap_or_default(),
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

/// The text of string `s` where it stands alone as a scalar: bare when that
/// reads back as `s`, JSON-quoted otherwise. Always `Some`; the `Option`
/// matches [`inline_str`].
pub(super) fn standalone_str(s: &str) -> Option<String> {
    if plain_ok(s) {
        Some(s.to_owned())
    } else {
        serde_json::to_string(s).ok()
    }
}

/// The text of `value` inside a larger scalar, or `None` when it cannot be
/// written there safely.
pub(super) fn inline(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => inline_str(s).map(str::to_owned),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// String `s` inside a larger scalar, when only safe characters make it up.
pub(super) fn inline_str(s: &str) -> Option<&str> {
    inner_safe(s).then_some(s)
}

/// Whether the marker spanning `start..end` of `line` is a whole scalar:
/// only indentation, `- `, `key: `, or flow punctuation before it, and only
/// flow punctuation, `: ` (it is a key), a comment or the end after it.
pub(super) fn stands_alone(line: &str, start: usize, end: usize) -> bool {
    let before = line[..start].trim_end();
    let after = line[end..].trim_start();
    let before_ok = before.is_empty()
        || before.ends_with(':')
        || before.ends_with('-')
            && (before.len() == 1
                || before[..before.len() - 1].ends_with(' ')
                || before[..before.len() - 1].trim().is_empty())
        || before.ends_with('[')
        || before.ends_with('{')
        || before.ends_with(',');
    let after_ok = after.is_empty()
        || after.starts_with(',')
        || after.starts_with(']')
        || after.starts_with('}')
        || after.starts_with('#')
        || after == ":"
        || after.starts_with(": ");
    // `key: value` needs the space: `a:{{x}}` is one plain scalar.
    let spaced = start == 0
        || line[..start].ends_with(' ')
        || line[..start].ends_with('[')
        || line[..start].ends_with('{');
    before_ok && after_ok && spaced
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn plain_values_stay_bare_and_everything_else_is_quoted() {
        assert_eq!(standalone(&json!("orders")), "orders");
        assert_eq!(standalone(&json!("ghcr.io/x/y")), "ghcr.io/x/y");
        for (input, quoted) in [
            ("yes", "\"yes\""),
            ("on", "\"on\""),
            ("null", "\"null\""),
            ("0755", "\"0755\""),
            ("16", "\"16\""),
            ("2027-06-30", "\"2027-06-30\""),
            ("a: b", "\"a: b\""),
            (
                "x\nkind: ClusterRoleBinding",
                "\"x\\nkind: ClusterRoleBinding\"",
            ),
            ("docker://r/x:1", "\"docker://r/x:1\""),
            ("- a", "\"- a\""),
            ("", "\"\""),
        ] {
            assert_eq!(standalone(&json!(input)), quoted, "{input}");
        }
        assert_eq!(standalone(&json!(3)), "3");
        assert_eq!(standalone(&json!({"a": 1})), "{\"a\":1}");
    }

    #[test]
    fn inside_a_scalar_only_safe_characters_pass() {
        assert_eq!(inline(&json!("orders")).as_deref(), Some("orders"));
        assert_eq!(inline(&json!("16")).as_deref(), Some("16"));
        assert_eq!(inline(&json!(16)).as_deref(), Some("16"));
        assert_eq!(inline(&json!("a b")), None);
        assert_eq!(inline(&json!("x\ny")), None);
        assert_eq!(inline(&json!("a #b")), None);
        assert_eq!(inline(&json!(["a"])), None);
    }

    #[test]
    fn positions_that_stand_alone() {
        let at = |line: &str| {
            let start = line.find('X').unwrap();
            stands_alone(line, start, start + 1)
        };
        assert!(at("name: X"));
        assert!(at("  - X"));
        assert!(at("args: [a, X, b]"));
        assert!(at("m: {k: X}"));
        assert!(at("X: value"));
        assert!(at("name: X  # comment"));
        assert!(!at("name: X-db"));
        assert!(!at("name: db-X"));
        assert!(!at("image: repo:X"));
        assert!(!at("a:X"));
    }
}
