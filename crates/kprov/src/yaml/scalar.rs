//! What one scalar is: YAML 1.2 core-schema resolution (so `yes`, `on` and
//! `2027-06-30` stay strings), and the characters kprov refuses in any
//! string it reads.

use granit_parser::ScalarStyle;
use serde_json::{Number, Value};

/// The first character of `text` that kprov refuses in any string it reads,
/// because what it writes must stay readable by every YAML reader its output
/// meets (kustomize's among them): characters outside YAML's printable set
/// (C0 controls but tab and line breaks, DEL, C1 controls, surrogates,
/// U+FFFE, U+FFFF), the byte-order mark, and the line breaks that YAML 1.1
/// readers add to `\n` and `\r` (U+0085, U+2028, U+2029), which would turn
/// a quoted value into a different one there.
pub fn unreadable_char(text: &str) -> Option<char> {
    // Nearly every scalar is printable ASCII.
    if text
        .bytes()
        .all(|b| (0x20..0x7F).contains(&b) || matches!(b, b'\t' | b'\n' | b'\r'))
    {
        return None;
    }
    text.chars().find(|&c| {
        !matches!(c,
            '\t' | '\n' | '\r'
            | '\u{20}'..='\u{7E}'
            | '\u{A0}'..='\u{2027}'
            | '\u{202A}'..='\u{D7FF}'
            | '\u{E000}'..='\u{FEFE}'
            | '\u{FF00}'..='\u{FFFD}'
            | '\u{10000}'..='\u{10FFFF}')
    })
}

/// YAML 1.2 core schema resolution of one scalar.
pub(super) fn resolve_scalar(text: &str, style: ScalarStyle, tag: Option<&str>) -> Value {
    match tag {
        Some("str") => return Value::String(text.to_owned()),
        Some("null") => return Value::Null,
        _ => {}
    }
    if style != ScalarStyle::Plain && tag.is_none() {
        return Value::String(text.to_owned());
    }
    resolve_plain(text).unwrap_or_else(|| Value::String(text.to_owned()))
}

/// What a plain scalar of `text` reads as, when that is not a string.
fn resolve_plain(text: &str) -> Option<Value> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Some(Value::Null),
        "true" | "True" | "TRUE" => return Some(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Value::Bool(false)),
        _ => {}
    }
    if let Some(n) = resolve_int(text) {
        return Some(Value::Number(n));
    }
    if is_core_float(text)
        && let Ok(f) = text.parse::<f64>()
        && let Some(n) = Number::from_f64(f)
    {
        return Some(Value::Number(n));
    }
    None
}

/// Whether a plain scalar of `text` reads as that string, not as null, a
/// boolean or a number (YAML 1.2 core schema, as this parser resolves).
pub(crate) fn plain_reads_as_string(text: &str) -> bool {
    resolve_plain(text).is_none()
}

fn resolve_int(text: &str) -> Option<Number> {
    let (negative, digits) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (radix, digits) = if let Some(hex) = digits.strip_prefix("0x") {
        (16, hex)
    } else if let Some(oct) = digits.strip_prefix("0o") {
        (8, oct)
    } else {
        (10, digits)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    if radix != 10 && negative {
        return None;
    }
    let magnitude = u64::from_str_radix(digits, radix).ok()?;
    if negative {
        let v = i64::try_from(magnitude).ok()?;
        Some(Number::from(-v))
    } else {
        Some(Number::from(magnitude))
    }
}

fn is_core_float(text: &str) -> bool {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            (!int.is_empty() || !frac.is_empty())
                && int.chars().all(|c| c.is_ascii_digit())
                && frac.chars().all(|c| c.is_ascii_digit())
        }
        None => !mantissa.is_empty() && mantissa.chars().all(|c| c.is_ascii_digit()),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && e.chars().all(|c| c.is_ascii_digit())
    });
    mantissa_ok && exponent_ok
}
