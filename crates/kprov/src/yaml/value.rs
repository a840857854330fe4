//! Reading parsed values: keys on hot paths, JSON pointers, and the paths
//! a person reads in messages. Every stage uses these.

use serde_json::Value;

/// The string under a path of object keys (`["metadata", "name"]`), or `""`.
/// For fixed paths on hot paths: `Value::pointer` parses and unescapes its
/// pointer on every call.
pub fn str_at<'v>(value: &'v Value, keys: &[&str]) -> &'v str {
    keys.iter()
        .try_fold(value, |node, key| field(node, key))
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// Maps of up to this many entries are searched by comparing keys; larger
/// ones by hash. A Kubernetes object and its `metadata` have a handful of
/// keys, and SipHash of the key cost more than comparing it with each.
pub const SMALL_MAP: usize = 8;

/// `node[key]` when `node` is an object that has `key`: what
/// [`Value::get`] answers, without hashing the key of a small map.
pub fn field<'v>(node: &'v Value, key: &str) -> Option<&'v Value> {
    let map = node.as_object()?;
    match map.len() <= SMALL_MAP {
        true => map.iter().find_map(|(k, v)| (k == key).then_some(v)),
        false => map.get(key),
    }
}

/// Append one RFC 6901 reference token to a JSON pointer.
pub fn push_pointer(pointer: &str, token: &str) -> String {
    let mut out = String::with_capacity(pointer.len() + token.len() + 1);
    out.push_str(pointer);
    out.push('/');
    escape_token(&mut out, token);
    out
}

/// Append `token` to `out` escaped as RFC 6901 requires (`~` → `~0`, `/` → `~1`).
pub(super) fn escape_token(out: &mut String, token: &str) {
    if !token.contains(['~', '/']) {
        out.push_str(token);
        return;
    }
    for c in token.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
}

/// Render a JSON pointer as the path a person reads: `spec.environments[1].quota.cpu`,
/// with keys that are not identifiers quoted: `metadata.labels["app.kubernetes.io/name"]`.
/// `root` tells which numeric tokens are array indices.
pub fn display_path(root: &Value, pointer: &str) -> String {
    let mut out = String::with_capacity(pointer.len() + 8);
    let mut node = Some(root);
    for raw in pointer.split('/').skip(1) {
        // Most tokens have no escapes: borrow them (this runs for every
        // provenance a hierarchy records).
        let token: std::borrow::Cow<'_, str> = match raw.contains('~') {
            true => raw.replace("~1", "/").replace("~0", "~").into(),
            false => raw.into(),
        };
        match node {
            Some(Value::Array(items)) => {
                out.push('[');
                out.push_str(&token);
                out.push(']');
                node = token.parse::<usize>().ok().and_then(|i| items.get(i));
            }
            other => {
                let is_ident = !token.is_empty()
                    && token
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                if is_ident {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(&token);
                } else {
                    out.push('[');
                    out.push_str(&serde_json::to_string(&token).unwrap_or_default());
                    out.push(']');
                }
                node = match other {
                    Some(Value::Object(map)) => map.get(token.as_ref()),
                    _ => None,
                };
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn str_at_reads_plain_keys_and_is_empty_otherwise() {
        let v = serde_json::json!({"metadata": {"name": "x", "n": 1}, "a/b": "slash"});
        assert_eq!(str_at(&v, &["metadata", "name"]), "x");
        assert_eq!(str_at(&v, &["a/b"]), "slash");
        assert_eq!(str_at(&v, &["metadata", "n"]), "");
        assert_eq!(str_at(&v, &["metadata", "missing"]), "");
        assert_eq!(str_at(&v, &["metadata", "name", "deeper"]), "");
    }

    /// Small maps are searched by comparing keys, larger ones by hash; both
    /// answer as `Value::get` does.
    #[test]
    fn field_reads_small_and_large_maps_alike() {
        for n in [0, 1, SMALL_MAP, SMALL_MAP + 1, 20] {
            let map: Value = Value::Object((0..n).map(|i| (format!("k{i}"), i.into())).collect());
            for key in (0..n + 2)
                .map(|i| format!("k{i}"))
                .chain(["".into(), "k".into()])
            {
                assert_eq!(field(&map, &key), map.get(&key), "{n} entries, {key}");
            }
        }
        assert_eq!(field(&Value::from("k0"), "k0"), None);
        assert_eq!(field(&serde_json::json!(["k0"]), "k0"), None);
    }
}
