//! YAML shared by objects that differ only in their namespace's and
//! project's names.
//!
//! Most of an estate's objects are boilerplate repeated in every namespace
//! (quota, limits, network policies, role bindings), where only the names
//! change: at scale 1, the 120 910 documents of namespace files have 11 124
//! distinct shapes once both names are cut out (24 452 with the
//! namespace's alone). Serializing is most of emission, and serde-saphyr's
//! per-string quoting checks are most of serializing, so each shape is
//! serialized once, with [`PLACEHOLDERS`] for the names in its string
//! values, and its other objects take that text with their own names put
//! back.
//!
//! The result is the bytes serde-saphyr would write for the object itself,
//! because of what is checked, per object, before a text is shared:
//!
//! - serde-saphyr writes a string in a block collection the same way at any
//!   depth, as a mapping value or a sequence item, deciding from the string
//!   alone (its `serialize_str`, 2.1; kprov never asks for flow style).
//!   Every string a name is cut from, and the same string with the
//!   placeholders, is asked of serde-saphyr itself ([`written_as_is`]) and
//!   must come out exactly as it is; putting the names back into the text
//!   is then putting them back into those strings ([`Names::fill`] over
//!   [`cut_at_placeholders`] undoes [`Names::placeheld`]).
//! - Keys are never cut: objects of one shape have the very same keys, so
//!   they sort and print alike.
//! - No key or string holds a placeholder, so every placeholder in a shared
//!   text is one put there for a name (quoting, escaping and folding never
//!   write them).
//! - A shape is found by a hash and then compared in full ([`same_modulo`]),
//!   never by the hash alone.
//!
//! Whether an object's text was shared or serialized afresh never changes
//! its bytes, so which thread saw a shape first does not matter to the
//! output.

use std::collections::HashMap;
use std::hash::{BuildHasher as _, Hash as _, Hasher};
use std::sync::{Arc, RwLock};

use memchr::memmem::Finder;
use serde_json::Value;

use super::{object_yaml, rewritten_yaml};

/// Stand for the namespace's name and its project's in a shared text:
/// private-use characters, which serde-saphyr writes as they are. An object
/// that holds one itself is serialized directly.
const PLACEHOLDERS: [char; 2] = ['\u{E000}', '\u{E001}'];

/// Where a piece of a string ends: at the namespace's name, at the
/// project's, or at the end of the string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cut {
    Namespace,
    Project,
    End,
}

impl Cut {
    /// Hashed after each piece: bytes that never occur in UTF-8, so pieces
    /// cannot run into each other.
    fn tag(self) -> u8 {
        match self {
            Cut::Namespace => 0xfd,
            Cut::Project => 0xfe,
            Cut::End => 0xff,
        }
    }
}

/// One name, and a fast search for it.
#[derive(Clone)]
struct Stem<'s> {
    name: &'s str,
    finder: Finder<'s>,
}

impl<'s> Stem<'s> {
    fn new(name: &'s str) -> Stem<'s> {
        Stem {
            name,
            finder: Finder::new(name),
        }
    }

    /// `text` cut at every occurrence of the name, left to right (what
    /// `str::replace` replaces), each piece with whether it is the last.
    /// An empty name cuts nothing.
    fn pieces<'t>(
        &self,
        mut text: &'t str,
    ) -> impl Iterator<Item = (&'t str, bool)> + use<'t, '_, 's> {
        let mut done = false;
        std::iter::from_fn(move || {
            if done {
                return None;
            }
            match self.find(text) {
                Some(at) => {
                    let piece = &text[..at];
                    text = &text[at + self.name.len()..];
                    Some((piece, false))
                }
                None => {
                    done = true;
                    Some((text, true))
                }
            }
        })
    }

    fn find(&self, text: &str) -> Option<usize> {
        // Most keys and values are shorter than a namespace's name.
        if self.name.is_empty() || text.len() < self.name.len() {
            return None;
        }
        self.finder.find(text.as_bytes())
    }
}

/// The names objects are compared modulo: their namespace's and, where all
/// of a file's objects belong to one, their project's.
#[derive(Clone)]
pub(super) struct Names<'s> {
    namespace: Stem<'s>,
    project: Stem<'s>,
    /// Whether the namespace's name holds the project's (`shop-prod`,
    /// `shop`): then text without the project's holds neither.
    nested: bool,
}

impl<'s> Names<'s> {
    /// `project` is empty when there is none to cut.
    pub(super) fn new(namespace: &'s str, project: &'s str) -> Names<'s> {
        Names {
            namespace: Stem::new(namespace),
            project: Stem::new(project),
            nested: !project.is_empty() && namespace.contains(project),
        }
    }

    fn occurs_in(&self, text: &str) -> bool {
        match self.nested {
            true => self.project.find(text).is_some(),
            false => self.namespace.find(text).is_some() || self.project.find(text).is_some(),
        }
    }

    /// `text` cut at the namespace's name, then each piece at the
    /// project's (what [`Names::placeheld`] puts placeholders between).
    fn tokens<'t>(&self, text: &'t str) -> impl Iterator<Item = (&'t str, Cut)> + use<'t, '_, 's> {
        self.namespace
            .pieces(text)
            .flat_map(move |(outer, outer_last)| {
                self.project.pieces(outer).map(move |(inner, inner_last)| {
                    let cut = match (inner_last, outer_last) {
                        (false, _) => Cut::Project,
                        (true, false) => Cut::Namespace,
                        (true, true) => Cut::End,
                    };
                    (inner, cut)
                })
            })
    }

    /// `text` with a placeholder for every occurrence of a name.
    fn placeheld(&self, text: &str) -> String {
        let (mut namespace, mut project) = ([0; 4], [0; 4]);
        join(
            self.tokens(text),
            PLACEHOLDERS[0].encode_utf8(&mut namespace),
            PLACEHOLDERS[1].encode_utf8(&mut project),
            text.len(),
        )
    }

    /// A shared text with these names in place of the placeholders.
    fn fill(&self, pieces: &[(String, Cut)]) -> String {
        let longest = self.namespace.name.len().max(self.project.name.len());
        join(
            pieces.iter().map(|(piece, cut)| (piece.as_str(), *cut)),
            self.namespace.name,
            self.project.name,
            pieces.iter().map(|(p, _)| p.len() + longest).sum(),
        )
    }
}

/// Pieces with `namespace` or `project` after each as its cut says.
fn join<'p>(
    pieces: impl Iterator<Item = (&'p str, Cut)>,
    namespace: &str,
    project: &str,
    capacity: usize,
) -> String {
    let mut out = String::with_capacity(capacity);
    for (piece, cut) in pieces {
        out.push_str(piece);
        match cut {
            Cut::Namespace => out.push_str(namespace),
            Cut::Project => out.push_str(project),
            Cut::End => {}
        }
    }
    out
}

/// `text` cut at its placeholders.
fn cut_at_placeholders(text: &str) -> Vec<(String, Cut)> {
    let mut pieces = Vec::new();
    let mut rest = 0;
    // Both placeholders start with this byte; find it, then look closer.
    let lead = PLACEHOLDERS[0].encode_utf8(&mut [0; 4]).as_bytes()[0];
    for at in memchr::memchr_iter(lead, text.as_bytes()) {
        let cut = match &text[at..] {
            t if t.starts_with(PLACEHOLDERS[0]) => Cut::Namespace,
            t if t.starts_with(PLACEHOLDERS[1]) => Cut::Project,
            _ => continue,
        };
        pieces.push((text[rest..at].to_owned(), cut));
        rest = at + PLACEHOLDERS[0].len_utf8();
    }
    pieces.push((text[rest..].to_owned(), Cut::End));
    pieces
}

/// A shape's first object, the names it was seen under, and its text cut
/// where the placeholders stood, or `None` when that text cannot be shared.
struct Shape<'c> {
    object: &'c Value,
    names: Names<'c>,
    pieces: Option<Vec<(String, Cut)>>,
}

/// The shapes seen so far, shared by the emission tasks. Looking up takes
/// the read lock (both threads at once; nearly every object is a hit), and
/// adding the write lock, never held while serializing.
#[derive(Default)]
pub(super) struct Shapes<'c> {
    by_hash: RwLock<HashMap<u64, Vec<Arc<Shape<'c>>>, foldhash::fast::FixedState>>,
}

/// Per namespace (its files on every cluster): which of their strings
/// serde-saphyr writes as they are.
#[derive(Default)]
pub(super) struct Verbatim<'c> {
    known: HashMap<&'c str, bool, foldhash::fast::FixedState>,
}

impl<'c> Shapes<'c> {
    /// The YAML of `object`, of the namespace and project `names`: exactly
    /// [`object_yaml`]'s, shared with an earlier object of the same shape
    /// where the checks in the module documentation allow.
    pub(super) fn yaml(
        &self,
        object: &'c Value,
        names: &Names<'c>,
        verbatim: &mut Verbatim<'c>,
    ) -> String {
        let mut walk = Walk {
            names,
            hasher: foldhash::fast::FixedState::default().build_hasher(),
            verbatim,
            as_is: true,
        };
        // The names' strings must come out as they are, hit or miss.
        if !walk.value(object) || !walk.as_is {
            return object_yaml(object);
        }
        let hash = walk.hasher.finish();
        let found = self
            .read()
            .get(&hash)
            .and_then(|shapes| {
                shapes
                    .iter()
                    .find(|s| same_modulo(object, names, s.object, &s.names))
            })
            .map(Arc::clone);
        let shape = match found {
            Some(shape) => shape,
            None => {
                let placeheld = |s: &str| names.occurs_in(s).then(|| names.placeheld(s));
                let shape = Arc::new(Shape {
                    object,
                    names: names.clone(),
                    pieces: placeheld_written_as_is(object, names)
                        .then(|| cut_at_placeholders(&rewritten_yaml(object, Some(&placeheld)))),
                });
                self.by_hash
                    .write()
                    .unwrap_or_else(|e| e.into_inner())
                    .entry(hash)
                    .or_default()
                    .push(Arc::clone(&shape));
                shape
            }
        };
        match &shape.pieces {
            Some(pieces) => names.fill(pieces),
            None => object_yaml(object),
        }
    }

    fn read(
        &self,
    ) -> std::sync::RwLockReadGuard<'_, HashMap<u64, Vec<Arc<Shape<'c>>>, foldhash::fast::FixedState>>
    {
        // A panic elsewhere cannot leave the map half-updated: take it as is.
        self.by_hash.read().unwrap_or_else(|e| e.into_inner())
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

/// One pass over an object: its hash with the names cut out of its
/// strings, and whether every string holding a name is written as it is.
struct Walk<'a, 'c, H> {
    names: &'a Names<'c>,
    hasher: H,
    verbatim: &'a mut Verbatim<'c>,
    as_is: bool,
}

/// Whether `text` holds a placeholder (only text beyond ASCII can).
fn holds_placeholder(text: &str) -> bool {
    !text.is_ascii() && text.contains(&PLACEHOLDERS[..])
}

impl<'c, H: Hasher> Walk<'_, 'c, H> {
    /// `false` when the object cannot be shared: a key or a string holds a
    /// placeholder.
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
                if self.names.occurs_in(s) {
                    for (piece, cut) in self.names.tokens(s) {
                        self.hasher.write(piece.as_bytes());
                        self.hasher.write_u8(cut.tag());
                    }
                    self.as_is = self.as_is && self.verbatim.check(s);
                } else {
                    self.hasher.write(s.as_bytes());
                    self.hasher.write_u8(Cut::End.tag());
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
                    self.hasher.write_u8(Cut::End.tag());
                    if !self.value(value) {
                        return false;
                    }
                }
            }
        }
        true
    }
}

/// Whether `a` with its names cut out equals `b` with its own, keys in the
/// same order (then the two serialize alike but for the names).
fn same_modulo(a: &Value, a_names: &Names<'_>, b: &Value, b_names: &Names<'_>) -> bool {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|((ka, va), (kb, vb))| ka == kb && same_modulo(va, a_names, vb, b_names))
        }
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|(a, b)| same_modulo(a, a_names, b, b_names))
        }
        (Value::String(a), Value::String(b)) => {
            match (a_names.occurs_in(a), b_names.occurs_in(b)) {
                (false, false) => a == b,
                (true, true) => a_names.tokens(a).eq(b_names.tokens(b)),
                _ => false,
            }
        }
        (a, b) => a == b,
    }
}

/// Whether every string of `value` that holds a name is written as it is
/// with placeholders in its place.
fn placeheld_written_as_is(value: &Value, names: &Names<'_>) -> bool {
    match value {
        Value::String(s) => !names.occurs_in(s) || written_as_is(&names.placeheld(s)),
        Value::Array(items) => items.iter().all(|v| placeheld_written_as_is(v, names)),
        Value::Object(map) => map.values().all(|v| placeheld_written_as_is(v, names)),
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

    fn policy(namespace: &str, project: &str, extra: &str) -> Value {
        json!({
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": format!("kprov-{project}"), "namespace": namespace,
                         "labels": {"kprov.dev/namespace": namespace, "kprov.dev/project": project, "x": extra}},
            "spec": {"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}}}]}],
                     "note": format!("owned by {project}-admins, {namespace}")},
        })
    }

    /// Every object gets exactly the bytes of a plain serialization, whether
    /// its text was shared or not: names serde-saphyr quotes (`yes`, `123`,
    /// `1e3`, `null`), names inside longer strings, a name that is also a
    /// key, strings that already hold a placeholder, and a long string
    /// serde-saphyr folds once the name is put back.
    #[test]
    fn shared_text_is_the_plain_serialization() {
        let long = "a".repeat(70);
        let projects = [
            "shop",
            "team-b",
            "yes",
            "123",
            "1e3",
            "null",
            "on",
            "x",
            long.as_str(),
        ];
        let mut objects: Vec<(Value, String, String)> = Vec::new();
        for project in projects {
            for (namespace, project) in [
                (project.to_owned(), ""),
                (format!("{project}-prod"), project),
            ] {
                let mut add = |object: Value| {
                    objects.push((object, namespace.clone(), project.to_owned()));
                };
                add(policy(&namespace, project, "v"));
                add(policy(&namespace, project, "\u{E000}"));
                add(policy(&namespace, project, "\u{E001}"));
                add(
                    json!({"kind": "ConfigMap", "metadata": {"name": namespace}, "data": {&namespace: "v"}}),
                );
                add(
                    json!({"kind": "ConfigMap", "data": {"shop-prod": namespace, "shop": project}}),
                );
                add(
                    json!({"kind": "ConfigMap", "data": {"k": format!("{namespace} {project}{namespace}")}}),
                );
            }
        }
        let shapes = Shapes::default();
        for (object, namespace, project) in &objects {
            let names = Names::new(namespace, project);
            let yaml = shapes.yaml(object, &names, &mut Verbatim::default());
            assert_eq!(yaml, object_yaml(object), "{namespace} {project}");
        }
    }

    fn text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let token = prop_oneof![
            Just("ns".to_owned()),
            Just("pj".to_owned()),
            Just("n".to_owned()),
            Just("yes".to_owned()),
            Just("1".to_owned()),
            Just("-".to_owned()),
            Just(" ".to_owned()),
            Just(": ".to_owned()),
            Just("#".to_owned()),
            Just("\n".to_owned()),
            Just(PLACEHOLDERS[0].to_string()),
            Just(PLACEHOLDERS[1].to_string()),
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
        /// One object per namespace, each the same template with `ns` and
        /// `pj` replaced by its namespace's and project's names: every
        /// text, shared or not, is the plain serialization, for names
        /// serde-saphyr quotes, names inside other words and each other,
        /// strings it folds once a name is longer, placeholders in the input.
        #[test]
        fn shared_texts_are_plain_serializations(
            template in crate::test_support::json_tree(leaf())
        ) {
            fn named(value: &Value, namespace: &str, project: &str) -> Value {
                match value {
                    Value::String(s) => {
                        Value::String(s.replace("pj", project).replace("ns", namespace))
                    }
                    Value::Array(items) => {
                        items.iter().map(|v| named(v, namespace, project)).collect()
                    }
                    Value::Object(map) => Value::Object(
                        map.iter()
                            .map(|(k, v)| (k.clone(), named(v, namespace, project)))
                            .collect(),
                    ),
                    other => other.clone(),
                }
            }
            let names = [
                ("ns", "pj"),
                ("team-b-prod", "team-b"),
                ("yes", "y"),
                ("1", "1"),
                ("n", ""),
                ("nsns", "ns"),
                ("ab", "abab"),
            ];
            let objects: Vec<Value> =
                names.iter().map(|(n, p)| named(&template, n, p)).collect();
            let shapes = Shapes::default();
            for (object, (namespace, project)) in objects.iter().zip(names) {
                let names = Names::new(namespace, project);
                let yaml = shapes.yaml(object, &names, &mut Verbatim::default());
                proptest::prop_assert_eq!(yaml, object_yaml(object), "{} {}", namespace, project);
            }
        }
    }

    /// Objects of one shape share one entry; a differing value makes another.
    #[test]
    fn one_entry_per_shape() {
        let shapes = Shapes::default();
        let a = policy("shop-prod", "shop", "v");
        let b = policy("team-b-dev", "team-b", "v");
        let c = policy("team-c-dev", "team-c", "w");
        for (object, namespace, project) in [
            (&a, "shop-prod", "shop"),
            (&b, "team-b-dev", "team-b"),
            (&c, "team-c-dev", "team-c"),
        ] {
            shapes.yaml(
                object,
                &Names::new(namespace, project),
                &mut Verbatim::default(),
            );
        }
        let entries: usize = shapes.read().values().map(Vec::len).sum();
        assert_eq!(entries, 2);
    }

    #[test]
    fn strings_are_compared_modulo_their_own_names() {
        let (a, b) = (Names::new("ab", ""), Names::new("xyz", ""));
        let same = |x: &str, y: &str| same_modulo(&json!(x), &a, &json!(y), &b);
        assert!(same("ab-ab", "xyz-xyz"));
        assert!(same("", ""));
        assert!(same("ab", "xyz"));
        assert!(!same("ab", "ab"));
        assert!(!same("ab-", "xyz"));
        assert!(!same("aab", "xyz"));
        assert!(same("aab", "axyz"));
        let (a, b) = (Names::new("shop-prod", "shop"), Names::new("b-dev", "b"));
        let same = |x: &str, y: &str| same_modulo(&json!(x), &a, &json!(y), &b);
        assert!(same("shop-prod shop/x", "b-dev b/x"));
        assert!(!same("shop-prod", "b"));
        assert!(!same("shop", "b-dev"));
    }

    #[test]
    fn placeholders_stand_for_the_names_and_back() {
        let names = Names::new("shop-prod", "shop");
        let text = "shop-prod: shop and shop-prod-shop";
        let placeheld = names.placeheld(text);
        assert_eq!(placeheld, "\u{E000}: \u{E001} and \u{E000}-\u{E001}");
        assert_eq!(names.fill(&cut_at_placeholders(&placeheld)), text);
    }

    #[test]
    fn serde_saphyr_is_asked_which_strings_stay_as_they_are() {
        assert!(written_as_is("shop-prod"));
        assert!(written_as_is("kprov.dev/x"));
        assert!(written_as_is("a\u{E000}b\u{E001}"));
        for quoted in ["yes", "123", "null", "", " x", "a: b", "x\ny", "#x", "-"] {
            assert!(!written_as_is(quoted), "{quoted:?}");
        }
        assert!(!written_as_is(&"word ".repeat(30)), "folded");
    }
}
