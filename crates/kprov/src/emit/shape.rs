//! YAML shared by objects that differ only in their namespace's name.
//!
//! Most of an estate's objects are boilerplate repeated in every namespace
//! (quota, limits, network policies, role bindings), where only the
//! namespace's name changes: at scale 1, 120 910 documents have 27 388
//! distinct shapes. Serializing is most of emission, and serde-saphyr's
//! per-string quoting checks are most of serializing, so each shape is
//! serialized once, with [`PLACEHOLDER`] for the name in its string values,
//! and its other objects take that text with their own name put back.
//!
//! The result is the bytes serde-saphyr would write for the object itself,
//! because of what is checked, per object, before a text is shared:
//!
//! - serde-saphyr writes a string in a block collection the same way at any
//!   depth, as a mapping value or a sequence item, deciding from the string
//!   alone. Every string the name is cut from, and the same string with the
//!   placeholder, is asked of serde-saphyr itself ([`written_as_is`]) and
//!   must come out exactly as it is; putting the name back into the text is
//!   then putting it back into those strings.
//! - Keys are never cut: objects of one shape have the very same keys, so
//!   they sort and print alike.
//! - No key or string holds the placeholder, so every placeholder in a
//!   shared text is one put there for the name (quoting, escaping and
//!   folding never write it).
//! - A shape is found by a hash and then compared in full ([`same_modulo`]),
//!   never by the hash alone.
//!
//! Whether an object's text was shared or serialized afresh never changes
//! its bytes, so which thread saw a shape first does not matter to the
//! output.

use std::collections::HashMap;
use std::hash::{BuildHasher as _, Hash as _, Hasher};
use std::sync::{Arc, Mutex};

use memchr::memmem::Finder;
use serde_json::Value;

use super::{object_yaml, rewritten_yaml};

/// Stands for the namespace's name in a shared text: a private-use
/// character, which serde-saphyr writes as it is and which no estate uses.
const PLACEHOLDER: char = '\u{E000}';

/// The name objects are compared modulo: their namespace's.
pub(super) struct Stem<'s> {
    name: &'s str,
    finder: Finder<'s>,
}

impl<'s> Stem<'s> {
    pub(super) fn new(name: &'s str) -> Stem<'s> {
        Stem {
            name,
            finder: Finder::new(name),
        }
    }

    /// `text` cut at every occurrence of the name, left to right (what
    /// `str::replace` replaces).
    fn pieces<'t>(&self, mut text: &'t str) -> impl Iterator<Item = &'t str> + use<'t, '_, 's> {
        let mut done = false;
        std::iter::from_fn(move || {
            if done {
                return None;
            }
            let found = match text.len() >= self.name.len() {
                true => self.finder.find(text.as_bytes()),
                false => None,
            };
            match found {
                // An empty name would match everywhere; stems never are.
                Some(at) if !self.name.is_empty() => {
                    let piece = &text[..at];
                    text = &text[at + self.name.len()..];
                    Some(piece)
                }
                _ => {
                    done = true;
                    Some(text)
                }
            }
        })
    }

    /// `text` with the placeholder for every occurrence of the name.
    fn placeheld(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        for (i, piece) in self.pieces(text).enumerate() {
            if i > 0 {
                out.push(PLACEHOLDER);
            }
            out.push_str(piece);
        }
        out
    }

    fn occurs_in(&self, text: &str) -> bool {
        // Most keys and values are shorter than a namespace's name.
        !self.name.is_empty()
            && text.len() >= self.name.len()
            && self.finder.find(text.as_bytes()).is_some()
    }
}

/// A shape's first object, the stem it was seen under, and its text cut
/// where the placeholder stood, or `None` when that text cannot be shared.
struct Shape<'c> {
    object: &'c Value,
    stem: Stem<'c>,
    pieces: Option<Vec<String>>,
}

/// The shapes seen so far, shared by the emission tasks: the lock is held
/// only to look up or add, never while serializing or comparing.
#[derive(Default)]
pub(super) struct Shapes<'c> {
    by_hash: Mutex<HashMap<u64, Vec<Arc<Shape<'c>>>>>,
}

/// Per namespace: which of its strings serde-saphyr writes as they are.
#[derive(Default)]
pub(super) struct Verbatim<'c> {
    known: HashMap<&'c str, bool, foldhash::fast::FixedState>,
}

impl<'c> Shapes<'c> {
    /// The YAML of `object`, of the namespace named by `stem`: exactly
    /// [`object_yaml`]'s, shared with an earlier object of the same shape
    /// where the checks in the module documentation allow.
    pub(super) fn yaml(
        &self,
        object: &'c Value,
        stem: &Stem<'c>,
        verbatim: &mut Verbatim<'c>,
    ) -> String {
        let mut walk = Walk {
            stem,
            hasher: foldhash::fast::FixedState::default().build_hasher(),
            verbatim,
            as_is: true,
        };
        // The name's strings must come out as they are, hit or miss.
        if !walk.value(object) || !walk.as_is {
            return object_yaml(object);
        }
        let hash = walk.hasher.finish();
        let candidates = self.lock().get(&hash).cloned().unwrap_or_default();
        let shape = match candidates
            .into_iter()
            .find(|s| same_modulo(object, stem, s.object, &s.stem))
        {
            Some(shape) => shape,
            None => {
                let placeheld = |s: &str| stem.occurs_in(s).then(|| stem.placeheld(s));
                let shape = Arc::new(Shape {
                    object,
                    stem: Stem::new(stem.name),
                    pieces: placeheld_written_as_is(object, stem).then(|| {
                        rewritten_yaml(object, Some(&placeheld))
                            .split(PLACEHOLDER)
                            .map(str::to_owned)
                            .collect()
                    }),
                });
                self.lock()
                    .entry(hash)
                    .or_default()
                    .push(Arc::clone(&shape));
                shape
            }
        };
        match &shape.pieces {
            Some(pieces) => pieces.join(stem.name),
            None => object_yaml(object),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Vec<Arc<Shape<'c>>>>> {
        // A panic elsewhere cannot leave the map half-updated: take it as is.
        self.by_hash.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<'c> Verbatim<'c> {
    fn check(&mut self, text: &'c str) -> bool {
        *self
            .known
            .entry(text)
            .or_insert_with(|| written_as_is(text))
    }
}

/// One pass over an object: its hash with the name cut out of its strings,
/// and whether every string holding the name is written as it is.
struct Walk<'a, 'c, H> {
    stem: &'a Stem<'c>,
    hasher: H,
    verbatim: &'a mut Verbatim<'c>,
    as_is: bool,
}

/// Whether `text` holds the placeholder (only text beyond ASCII can).
fn holds_placeholder(text: &str) -> bool {
    !text.is_ascii() && text.contains(PLACEHOLDER)
}

impl<'c, H: Hasher> Walk<'_, 'c, H> {
    /// `false` when the object cannot be shared: a key or a string holds
    /// the placeholder.
    fn value(&mut self, value: &'c Value) -> bool {
        match value {
            Value::Null => self.hasher.write_u8(0),
            Value::Bool(b) => {
                self.hasher.write_u8(1);
                b.hash(&mut self.hasher);
            }
            Value::Number(n) => {
                self.hasher.write_u8(2);
                n.hash(&mut self.hasher);
            }
            Value::String(s) => {
                if holds_placeholder(s) {
                    return false;
                }
                self.hasher.write_u8(3);
                if self.stem.occurs_in(s) {
                    for piece in self.stem.pieces(s) {
                        self.hasher.write(piece.as_bytes());
                        // Never in UTF-8: pieces cannot run into each other.
                        self.hasher.write_u8(0xff);
                    }
                    self.as_is = self.as_is && self.verbatim.check(s);
                } else {
                    self.hasher.write(s.as_bytes());
                    self.hasher.write_u8(0xff);
                }
            }
            Value::Array(items) => {
                self.hasher.write_u8(4);
                self.hasher.write_usize(items.len());
                for item in items {
                    if !self.value(item) {
                        return false;
                    }
                }
            }
            Value::Object(map) => {
                self.hasher.write_u8(5);
                self.hasher.write_usize(map.len());
                for (key, value) in map {
                    // Keys are compared as they are, never cut: an object
                    // shares only the very keys of the first of its shape.
                    if holds_placeholder(key) {
                        return false;
                    }
                    self.hasher.write(key.as_bytes());
                    self.hasher.write_u8(0xff);
                    if !self.value(value) {
                        return false;
                    }
                }
            }
        }
        true
    }
}

/// Whether `a` with its stem replaced equals `b` with its own, keys in the
/// same order (then the two serialize alike but for the names).
fn same_modulo(a: &Value, a_stem: &Stem<'_>, b: &Value, b_stem: &Stem<'_>) -> bool {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|((ka, va), (kb, vb))| ka == kb && same_modulo(va, a_stem, vb, b_stem))
        }
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|(a, b)| same_modulo(a, a_stem, b, b_stem))
        }
        (Value::String(a), Value::String(b)) => a_stem.pieces(a).eq(b_stem.pieces(b)),
        (a, b) => a == b,
    }
}

/// Whether every string of `value` that holds the name is written as it is
/// with the placeholder in its place.
fn placeheld_written_as_is(value: &Value, stem: &Stem<'_>) -> bool {
    match value {
        Value::String(s) => !stem.occurs_in(s) || written_as_is(&stem.placeheld(s)),
        Value::Array(items) => items.iter().all(|v| placeheld_written_as_is(v, stem)),
        Value::Object(map) => map.values().all(|v| placeheld_written_as_is(v, stem)),
        _ => true,
    }
}

/// Whether serde-saphyr writes `text` as a mapping value exactly as it is:
/// unquoted, unescaped, on one line.
fn written_as_is(text: &str) -> bool {
    struct Probe<'a>(&'a str);
    impl serde::Serialize for Probe<'_> {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap as _;
            let mut map = serializer.serialize_map(Some(1))?;
            map.serialize_entry("k", self.0)?;
            map.end()
        }
    }
    serde_saphyr::to_string(&Probe(text))
        .ok()
        .and_then(|yaml| {
            yaml.strip_prefix("k: ")
                .and_then(|rest| rest.strip_suffix('\n'))
                .map(|rest| rest == text)
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn shared(objects: &[(&Value, &str)]) -> Vec<String> {
        let shapes = Shapes::default();
        objects
            .iter()
            .map(|(object, stem)| shapes.yaml(object, &Stem::new(stem), &mut Verbatim::default()))
            .collect()
    }

    fn policy(namespace: &str, extra: &str) -> Value {
        json!({
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "kprov-same-namespace", "namespace": namespace,
                         "labels": {"kprov.dev/namespace": namespace, "x": extra}},
            "spec": {"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}}}]}],
                     "note": format!("owned by {namespace}-admins, {namespace}")},
        })
    }

    /// Every object gets exactly the bytes of a plain serialization, whether
    /// its text was shared or not: names serde-saphyr quotes (`yes`, `123`,
    /// `1e3`, `null`), names inside longer strings, a name that is also a
    /// key, a string that already holds the placeholder, and a long string
    /// serde-saphyr folds once the name is put back.
    #[test]
    fn shared_text_is_the_plain_serialization() {
        let long = "a".repeat(70);
        let names = [
            "shop-prod",
            "team-b",
            "yes",
            "123",
            "1e3",
            "null",
            "on",
            "x",
            long.as_str(),
        ];
        let mut objects: Vec<(Value, String)> = Vec::new();
        for name in names {
            objects.push((policy(name, "v"), name.to_owned()));
            objects.push((policy(name, "\u{E000}"), name.to_owned()));
            objects.push((
                json!({"kind": "ConfigMap", "metadata": {"name": name}, "data": {name: "v"}}),
                name.to_owned(),
            ));
            objects.push((
                json!({"kind": "ConfigMap", "data": {"shop-prod": name}}),
                name.to_owned(),
            ));
            objects.push((json!({"kind": "ConfigMap", "metadata": {"name": name}, "data": {"k": format!("{name} {name}{name}")}}), name.to_owned()));
        }
        let refs: Vec<(&Value, &str)> = objects.iter().map(|(o, s)| (o, s.as_str())).collect();
        let got = shared(&refs);
        for ((object, stem), yaml) in refs.iter().zip(&got) {
            assert_eq!(yaml, &object_yaml(object), "{stem}");
        }
    }

    fn text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let token = prop_oneof![
            Just("ns".to_owned()),
            Just("n".to_owned()),
            Just("yes".to_owned()),
            Just("1".to_owned()),
            Just("-".to_owned()),
            Just(" ".to_owned()),
            Just(": ".to_owned()),
            Just("#".to_owned()),
            Just("\n".to_owned()),
            Just(PLACEHOLDER.to_string()),
            Just("y".repeat(76)),
        ];
        proptest::collection::vec(token, 0..4).prop_map(|t| t.concat())
    }

    fn leaf() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            (0..3i64).prop_map(Value::from),
            text().prop_map(Value::from),
        ]
    }

    proptest::proptest! {
        /// One object per name, each the same template with `ns` replaced
        /// by its namespace's name: every text, shared or not, is the plain
        /// serialization, for names serde-saphyr quotes, names inside other
        /// words, strings it folds once the name is longer, placeholders in
        /// the input.
        #[test]
        fn shared_texts_are_plain_serializations(
            template in crate::test_support::json_tree(leaf())
        ) {
            fn named(value: &Value, name: &str) -> Value {
                match value {
                    Value::String(s) => Value::String(s.replace("ns", name)),
                    Value::Array(items) => items.iter().map(|v| named(v, name)).collect(),
                    Value::Object(map) => Value::Object(
                        map.iter().map(|(k, v)| (k.clone(), named(v, name))).collect(),
                    ),
                    other => other.clone(),
                }
            }
            let names = ["ns", "team-b", "yes", "1", "n", "nsns"];
            let objects: Vec<Value> = names.iter().map(|n| named(&template, n)).collect();
            let shapes = Shapes::default();
            for (object, name) in objects.iter().zip(names) {
                let yaml = shapes.yaml(object, &Stem::new(name), &mut Verbatim::default());
                proptest::prop_assert_eq!(yaml, object_yaml(object), "{}", name);
            }
        }
    }

    /// Objects of one shape share one entry; a differing value or key order
    /// makes another.
    #[test]
    fn one_entry_per_shape() {
        let shapes = Shapes::default();
        let a = policy("shop-prod", "v");
        let b = policy("team-b", "v");
        let c = policy("team-c", "w");
        for (object, stem) in [(&a, "shop-prod"), (&b, "team-b"), (&c, "team-c")] {
            shapes.yaml(object, &Stem::new(stem), &mut Verbatim::default());
        }
        let entries: usize = shapes.lock().values().map(Vec::len).sum();
        assert_eq!(entries, 2);
    }

    #[test]
    fn strings_are_compared_modulo_their_own_stem() {
        let (a, b) = (Stem::new("ab"), Stem::new("xyz"));
        let same = |x: &str, y: &str| same_modulo(&json!(x), &a, &json!(y), &b);
        assert!(same("ab-ab", "xyz-xyz"));
        assert!(same("", ""));
        assert!(same("ab", "xyz"));
        assert!(!same("ab", "ab"));
        assert!(!same("ab-", "xyz"));
        assert!(!same("aab", "xyz"));
        assert!(same("aab", "axyz"));
    }

    #[test]
    fn serde_saphyr_is_asked_which_strings_stay_as_they_are() {
        assert!(written_as_is("shop-prod"));
        assert!(written_as_is("kprov.dev/x"));
        assert!(written_as_is("a\u{E000}b"));
        for quoted in ["yes", "123", "null", "", " x", "a: b", "x\ny", "#x", "-"] {
            assert!(!written_as_is(quoted), "{quoted:?}");
        }
        assert!(!written_as_is(&"word ".repeat(30)), "folded");
    }
}
