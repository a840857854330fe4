//! How an interpolated value enters a YAML template (docs/design.md §3).
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
//!
//! A whole value that is not a mapping key is not written as text at all: a
//! slot token takes its place and, once the YAML is parsed, the slot is filled
//! with the value itself ([`instantiate`]). The result is the same as parsing
//! the quoted text back; it just skips the round trip. A slot that ends up in
//! a larger string (inside a block scalar, say) is replaced there by the text
//! the first rule gives. The text of a value inside a larger scalar goes
//! into a *text slot* where it is one plain word ([`text_slot_fits`]), so
//! that the parsed skeleton does not vary with it; where the token could
//! read differently from the text, [`instantiate`] says so and the render
//! is redone with the text written. Slot tokens use two more noncharacters,
//! which interpolated values and templates may not contain, so a slot can
//! only ever come from the renderer.

use serde_json::Value;

/// Opening and closing delimiters of a marker: Unicode noncharacters, which
/// no template or value has any business containing.
pub(super) const OPEN: char = '\u{FDD0}';
pub(super) const CLOSE: char = '\u{FDD1}';
/// Delimiters of a slot token (see the module doc).
const SLOT_OPEN: char = '\u{FDD2}';
const SLOT_CLOSE: char = '\u{FDD3}';

/// Why an interpolated value or a template was refused.
pub(super) const RESERVED_MESSAGE: &str =
    "contains U+FDD2 or U+FDD3, Unicode noncharacters kprov reserves for its own use";

/// Write the token `open` `index` `close` (a marker or a slot) to `out`.
/// One is written for every interpolation: not through `format_args!`,
/// which costs more than the rest of writing it.
pub(super) fn write_token(
    out: &mut impl std::fmt::Write,
    open: char,
    index: usize,
    close: char,
) -> std::fmt::Result {
    out.write_char(open)?;
    out.write_str(itoa::Buffer::new().format(index))?;
    out.write_char(close)
}

/// Where `c`, one of the delimiters above, first occurs in `s` at or after
/// byte `from`. Their UTF-8 (EF B7 90 to EF B7 93) starts with a byte that
/// ASCII text never has, so one memchr settles most strings; `str::find`
/// and `str::contains` set up a substring search for a multi-byte
/// character on every call, and these run on every interpolated value and
/// every string of template output.
pub(super) fn find_delimiter(s: &str, from: usize, c: char) -> Option<usize> {
    let mut buf = [0; 4];
    let needle = c.encode_utf8(&mut buf).as_bytes();
    let bytes = s.as_bytes();
    let mut at = from;
    while let Some(found) = memchr::memchr(needle[0], bytes.get(at..)?) {
        let i = at + found;
        if bytes[i..].starts_with(needle) {
            return Some(i);
        }
        at = i + 1;
    }
    None
}

/// Whether `s` contains a character only slot tokens may contain.
pub(super) fn has_reserved(s: &str) -> bool {
    find_delimiter(s, 0, SLOT_OPEN).is_some() || find_delimiter(s, 0, SLOT_CLOSE).is_some()
}

/// Whether `s` contains a slot token.
fn has_slot(s: &str) -> bool {
    find_delimiter(s, 0, SLOT_OPEN).is_some()
}

/// Length of string `s`, or `None` when it contains a reserved character.
pub(super) fn reserved_free_len(s: &str) -> Option<usize> {
    (!has_reserved(s)).then_some(s.len())
}

/// About the length of `value` as JSON text (it bounds template output), or
/// `None` when a string or key in it contains a reserved character.
pub(super) fn json_reserved_free_len(value: &Value) -> Option<usize> {
    match value {
        Value::String(s) => reserved_free_len(s).map(|n| n + 2),
        Value::Array(items) => items
            .iter()
            .try_fold(2, |sum, item| Some(sum + json_reserved_free_len(item)? + 1)),
        Value::Object(map) => map.iter().try_fold(2, |sum, (key, item)| {
            Some(sum + reserved_free_len(key)? + json_reserved_free_len(item)? + 4)
        }),
        Value::Null | Value::Bool(_) | Value::Number(_) => Some(8),
    }
}

/// What one slot token stands for.
#[derive(Clone)]
enum Slot {
    /// A whole value.
    Value(Value),
    /// The text of a value inside a larger scalar (see [`text_slot_fits`]).
    Text(String),
}

/// The values and texts in one render's output, by slot number.
#[derive(Default)]
pub(super) struct Slots(Vec<Option<Slot>>);

impl Slots {
    /// Write a slot token for the whole value `value` to `out`.
    pub(super) fn push(&mut self, out: &mut String, value: Value) {
        self.push_slot(out, Slot::Value(value));
    }

    /// Write a slot token for `text`, part of a larger scalar, to `out`.
    pub(super) fn push_text(&mut self, out: &mut String, text: String) {
        self.push_slot(out, Slot::Text(text));
    }

    /// Whether any slot is a text slot.
    pub(super) fn has_text(&self) -> bool {
        self.0
            .iter()
            .any(|slot| matches!(slot, Some(Slot::Text(_))))
    }

    fn push_slot(&mut self, out: &mut String, slot: Slot) {
        let _ = write_token(out, SLOT_OPEN, self.0.len(), SLOT_CLOSE);
        self.0.push(Some(slot));
    }

    /// `s` with every slot token replaced by its text (a value's
    /// standalone text), and whether a text slot was among them.
    fn as_text(&self, s: &str) -> (String, bool) {
        let mut out = String::with_capacity(s.len());
        let mut had_text = false;
        let mut rest = s;
        while let Some((before, index, after)) = next_token(rest) {
            out.push_str(before);
            match self.0.get(index) {
                Some(Some(Slot::Value(value))) => out.push_str(&standalone(value)),
                Some(Some(Slot::Text(text))) => {
                    out.push_str(text);
                    had_text = true;
                }
                _ => {}
            }
            rest = after;
        }
        out.push_str(rest);
        (out, had_text)
    }
}

/// Whether the inline text `text` of the marker at byte `open` of `line`
/// may go into a text slot: the skeleton then no longer varies with it,
/// which is what lets it be parsed once for every tenant or VM.
///
/// A text slot must give exactly what writing the text there gives. The
/// text is one word of `[A-Za-z0-9_.-]` starting with a letter or digit, so
/// it cannot end the scalar, start an indicator (`- `, `? `, `---`) or an
/// escape, or carry a space, `:` or `#`. Where it would join a tag, anchor,
/// alias, directive, block scalar header or escape (the run of non-space
/// text before it holds `!`, `&`, `*`, `%`, `|`, `>` or `\`), the text is
/// written instead: a token there makes the output fail to parse (and the
/// render be redone, see [`super::engine`]), which this saves. What the
/// parser cannot see through the token — whether the finished scalar reads
/// as a number, a boolean or null, and whether two keys come out equal —
/// [`instantiate`] checks, and the render is redone with the text written
/// when either happens.
pub(super) fn text_slot_fits(line: &str, open: usize, text: &str) -> bool {
    let word_start = line[..open]
        .rfind(|c: char| c.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    text.starts_with(|c: char| c.is_ascii_alphanumeric())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        && !line[word_start..open].contains(['!', '&', '*', '%', '|', '>', '\\'])
}

/// The first `open`-number-`close` token of `s` at or after byte `from`:
/// where it starts, its number, and where it ends.
fn find_token(s: &str, from: usize, open: char, close: char) -> Option<(usize, usize, usize)> {
    let start = find_delimiter(s, from, open)?;
    let digits = start + open.len_utf8();
    let end_digits = find_delimiter(s, digits, close)?;
    let index = s[digits..end_digits].parse().ok()?;
    Some((start, index, end_digits + close.len_utf8()))
}

/// The first marker of `line` at or after byte `from` (see [`find_token`]).
pub(super) fn next_marker(line: &str, from: usize) -> Option<(usize, usize, usize)> {
    find_token(line, from, OPEN, CLOSE)
}

/// The text before the first slot token of `s`, the token's slot number,
/// and the text after it.
fn next_token(s: &str) -> Option<(&str, usize, &str)> {
    let (start, index, end) = find_token(s, 0, SLOT_OPEN, SLOT_CLOSE)?;
    Some((&s[..start], index, &s[end..]))
}

/// The slot number of the token that is all of `s`, if it is one.
fn whole_token(s: &str) -> Option<usize> {
    match next_token(s)? {
        ("", index, "") => Some(index),
        _ => None,
    }
}

/// How the slot tokens of parsed template output are used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SlotUse {
    /// None at all: the documents are the result as they are.
    None,
    /// Each at most once: values can be moved into place.
    Once,
    /// Some token twice (an alias copied it): values are cloned.
    Repeated,
}

/// Find how `documents` use slot tokens (once per distinct template output).
pub(super) fn slot_use(documents: &[Value]) -> SlotUse {
    fn text(mut s: &str, seen: &mut std::collections::HashSet<usize>, repeated: &mut bool) {
        while let Some((_, index, after)) = next_token(s) {
            *repeated |= !seen.insert(index);
            s = after;
        }
    }
    fn walk(value: &Value, seen: &mut std::collections::HashSet<usize>, repeated: &mut bool) {
        match value {
            Value::String(s) => text(s, seen, repeated),
            Value::Array(items) => items.iter().for_each(|i| walk(i, seen, repeated)),
            Value::Object(map) => map.iter().for_each(|(key, item)| {
                text(key, seen, repeated);
                walk(item, seen, repeated);
            }),
            _ => {}
        }
    }
    let (mut seen, mut repeated) = (std::collections::HashSet::new(), false);
    documents
        .iter()
        .for_each(|d| walk(d, &mut seen, &mut repeated));
    match (seen.is_empty(), repeated) {
        (true, _) => SlotUse::None,
        (false, false) => SlotUse::Once,
        (false, true) => SlotUse::Repeated,
    }
}

/// A copy of `skeleton` (parsed template output) with every slot token
/// replaced (see the module doc): a whole-value token by its value, moved
/// out of `slots` when `how` is [`SlotUse::Once`], cloned otherwise.
///
/// `None` when a text slot does not stand for its text here (see
/// [`text_slot_fits`]): a string made with one would read as something
/// else written plainly, or a key made with one equals another key.
pub(super) fn instantiate(skeleton: &Value, slots: &mut Slots, how: SlotUse) -> Option<Value> {
    // Cloning keeps each map entry's stored hash; building the maps anew
    // hashed every key of every object again.
    let mut out = skeleton.clone();
    fill(&mut out, slots, how)?;
    Some(out)
}

/// Replace the slot tokens of `node`, a copy of a skeleton, in place.
fn fill(node: &mut Value, slots: &mut Slots, how: SlotUse) -> Option<()> {
    match node {
        Value::String(s) if has_slot(s) => {
            let filled = whole_token(s).and_then(|index| match how {
                SlotUse::Once => slots.0.get_mut(index)?.take(),
                _ => slots.0.get(index)?.clone(),
            });
            *node = match filled {
                Some(Slot::Value(value)) => value,
                Some(Slot::Text(text)) => reads_as_itself(text)?,
                None => match slots.as_text(s) {
                    (text, true) => reads_as_itself(text)?,
                    (text, false) => Value::String(text),
                },
            };
        }
        Value::Array(items) => {
            for item in items {
                fill(item, slots, how)?;
            }
        }
        Value::Object(map) if map.keys().any(|key| has_slot(key)) => {
            let entries = std::mem::take(map);
            for (key, mut item) in entries {
                let key = match has_slot(&key) {
                    true => slot_key(&key, slots),
                    false => key,
                };
                fill(&mut item, slots, how)?;
                // The parser refused equal keys in the skeleton; equal ones
                // now can only come from filled slots.
                if map.insert(key, item).is_some() {
                    return None;
                }
            }
        }
        Value::Object(map) => {
            for item in map.values_mut() {
                fill(item, slots, how)?;
            }
        }
        _ => {}
    }
    Some(())
}

/// A mapping key with slot tokens in it, as the text it stands for would
/// have read. A key that is one whole-value token (`{ {{ x }} }`, a flow
/// mapping entry without a value) is the string itself, not its quoted
/// text: the parser takes the quotes off a key it reads.
fn slot_key(key: &str, slots: &Slots) -> String {
    match whole_token(key).and_then(|index| slots.0.get(index)?.as_ref()) {
        Some(Slot::Value(Value::String(s))) => s.clone(),
        _ => slots.as_text(key).0,
    }
}

/// `text` as a string, when a plain scalar of that text reads as it.
fn reads_as_itself(text: String) -> Option<Value> {
    crate::yaml::plain_reads_as_string(&text).then_some(Value::String(text))
}

/// Whether the marker ending at `end` of `line` is a mapping key.
pub(super) fn is_key(line: &str, end: usize) -> bool {
    let after = line[end..].trim_start();
    after == ":" || after.starts_with(": ")
}

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

    proptest::proptest! {
        /// Among characters that share its leading bytes, around it and
        /// from any offset, a delimiter is found where `str::find` finds it.
        #[test]
        fn a_delimiter_is_found_where_find_finds_it(
            s in "[a\u{FDD0}-\u{FDD3}\u{FDDF}\u{FEFF}\u{F000}é]{0,12}",
            from in 0usize..40,
        ) {
            let from = from.min(s.len());
            if s.is_char_boundary(from) {
                for c in [OPEN, CLOSE, SLOT_OPEN, SLOT_CLOSE] {
                    let expected = s[from..].find(c).map(|i| i + from);
                    proptest::prop_assert_eq!(find_delimiter(&s, from, c), expected);
                }
            }
            proptest::prop_assert_eq!(has_reserved(&s), s.contains([SLOT_OPEN, SLOT_CLOSE]));
        }
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
