//! Located YAML: a YAML stream becomes JSON values plus the source position of
//! every node and every mapping key.
//!
//! Why not deserialize straight into the model types? Because every later stage
//! (JSON Schema validation, reference checks, hierarchy rules) reports errors as
//! `file:line:col: spec.environments[1].quota.cpu: …`, so positions have to
//! outlive deserialization. We drive the YAML event parser ourselves (the same
//! `granit-parser` that serde-saphyr is built on) and keep a table from JSON
//! pointer to position.
//!
//! Driving the events ourselves also lets us refuse what a permissive loader
//! accepts silently: duplicate keys, non-scalar keys, and alias expansion
//! beyond a node budget ("billion laughs"). Nesting depth is bounded by the
//! parser's own limits, so hostile input can never overflow the stack.

mod scalar;
mod value;

use std::collections::HashMap;
use std::fmt;

use granit_parser::{Event, Options, Parser, Span};
use serde_json::{Map, Value};

pub(crate) use scalar::plain_reads_as_string;
use scalar::resolve_scalar;
pub(crate) use scalar::unreadable_char;
use value::escape_token;
pub(crate) use value::{SMALL_MAP, display_path, field, push_pointer, str_at};

/// A 1-based line and column in a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pos {
    /// Line, starting at 1.
    pub line: u32,
    /// Column in characters, starting at 1.
    pub col: u32,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

impl Pos {
    fn of(span: &Span) -> Pos {
        Pos {
            line: u32::try_from(span.start.line()).unwrap_or(u32::MAX),
            col: u32::try_from(span.start.col() + 1).unwrap_or(u32::MAX),
        }
    }
}

/// Positions of the nodes of one document, keyed by JSON pointer
/// (RFC 6901: `/spec/environments/1/quota/cpu`).
///
/// Every input node has one, and they are rarely read (for a diagnostic or
/// a provenance), so they are stored compactly: all pointers back to back
/// in one string, and per node only where its pointer lies and its
/// position, sorted by pointer once the document is complete: hash tables
/// of one `String` per node made building the model much slower.
#[derive(Debug, Clone, Default)]
pub struct Locations {
    text: String,
    nodes: Vec<Located>,
    keys: Vec<Located>,
}

/// One located pointer: `text[start..end]` of its [`Locations`].
#[derive(Debug, Clone, Copy)]
struct Located {
    start: usize,
    end: usize,
    pos: Pos,
}

impl Locations {
    /// Position of the value at `pointer`, or of its nearest located ancestor
    /// (values copied in through an alias are located at the alias).
    pub fn value(&self, pointer: &str) -> Pos {
        let mut p = pointer;
        loop {
            if let Some(pos) = self.find(&self.nodes, p) {
                return pos;
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return Pos { line: 1, col: 1 },
            }
        }
    }

    /// Position of the mapping key whose value is at `pointer`, falling back
    /// to the value's position (array items and the root have no key).
    pub fn key(&self, pointer: &str) -> Pos {
        self.find(&self.keys, pointer)
            .unwrap_or_else(|| self.value(pointer))
    }

    /// Every located value and key, as (pointer, position), in no
    /// particular order: for finding where a node's text ends (the next
    /// position after it that is not inside it).
    pub fn positions(&self) -> impl Iterator<Item = (&str, Pos)> + '_ {
        self.nodes
            .iter()
            .chain(&self.keys)
            .map(|at| (self.pointer(at), at.pos))
    }

    fn pointer(&self, at: &Located) -> &str {
        &self.text[at.start..at.end]
    }

    fn find(&self, list: &[Located], pointer: &str) -> Option<Pos> {
        list.binary_search_by(|at| self.pointer(at).cmp(pointer))
            .ok()
            .map(|i| list[i].pos)
    }

    /// Record `pos` for the node at `parent` + `/` + `token` (escaped), or
    /// for the root (the empty pointer) when there is no parent.
    fn record_node(&mut self, child: Option<(&str, &str)>, pos: Pos) {
        let at = self.push(child, pos);
        self.nodes.push(at);
    }

    /// Record `pos` for the mapping key `token` of the mapping at `parent`.
    fn record_key(&mut self, parent: &str, token: &str, pos: Pos) {
        let at = self.push(Some((parent, token)), pos);
        self.keys.push(at);
    }

    fn push(&mut self, child: Option<(&str, &str)>, pos: Pos) -> Located {
        let start = self.text.len();
        if let Some((parent, token)) = child {
            self.text.push_str(parent);
            self.text.push('/');
            escape_token(&mut self.text, token);
        }
        Located {
            start,
            end: self.text.len(),
            pos,
        }
    }

    /// Sort for lookups. A pointer recorded twice keeps its first position
    /// (only a document with duplicate keys does that, and it is rejected).
    fn seal(&mut self) {
        let text = &self.text;
        for list in [&mut self.nodes, &mut self.keys] {
            list.sort_by(|a, b| text[a.start..a.end].cmp(&text[b.start..b.end]));
            list.dedup_by(|later, first| {
                text[later.start..later.end] == text[first.start..first.end]
            });
        }
    }
}

/// One parsed YAML document.
#[derive(Debug, Clone)]
pub struct Document {
    /// The document's content as JSON.
    pub value: Value,
    /// Where each node of `value` came from.
    pub locations: Locations,
    /// Position of the document's root node.
    pub start: Pos,
}

/// Why a YAML stream (or one of its documents) was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// Where the problem is.
    pub pos: Pos,
    /// JSON pointer of the node concerned, when known.
    pub pointer: String,
    /// What is wrong, in one sentence.
    pub message: String,
    /// A second position that matters, such as the first occurrence of a duplicate key.
    pub related: Option<(Pos, String)>,
}

/// Resource limits for one YAML stream.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Limits {
    /// Maximum number of nodes one document may expand to, aliases included.
    pub max_nodes: usize,
    /// Maximum nesting of collections (the parser enforces the same bound).
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_nodes: 1_000_000,
            max_depth: 128,
        }
    }
}

/// The documents of a stream that parsed cleanly, and the errors of the rest.
#[derive(Debug, Default)]
pub struct Stream {
    /// Documents without errors, in source order.
    pub documents: Vec<Document>,
    /// Problems found; a document with any problem is left out of `documents`.
    pub errors: Vec<YamlError>,
}

/// Parse a YAML stream of any number of documents.
///
/// Scalars are resolved with the YAML 1.2 core schema, so `yes`, `on` and
/// `2027-06-30` stay strings; quoted scalars are always strings.
pub fn parse_stream(text: &str, limits: Limits) -> Stream {
    parse(text, limits, true)
}

/// Parse a YAML stream like [`parse_stream`], with the same resolution and
/// refusals, but without recording where each node came from: for text kprov
/// produced itself (template output), where positions are never reported and
/// recording them would double the cost. Every [`Document::locations`] is empty.
pub(crate) fn parse_stream_unlocated(text: &str, limits: Limits) -> Stream {
    parse(text, limits, false)
}

fn parse(text: &str, limits: Limits, locate: bool) -> Stream {
    let mut options = Options::default();
    options.flow_nesting_limit = limits.max_depth;
    options.block_nesting_limit = limits.max_depth;
    let mut builder = Builder::new(limits, locate);
    for item in Parser::new_from_str_with_options(text, options) {
        match item {
            Ok((event, span)) => builder.on_event(event, &span),
            Err(e) => {
                let m = e.marker();
                builder.stream.errors.push(YamlError {
                    pos: Pos {
                        line: u32::try_from(m.line()).unwrap_or(u32::MAX),
                        col: u32::try_from(m.col() + 1).unwrap_or(u32::MAX),
                    },
                    pointer: String::new(),
                    message: format!("YAML syntax error: {}", e.info()),
                    related: None,
                });
                break;
            }
        }
    }
    builder.stream
}

enum Frame {
    Seq {
        items: Vec<Value>,
        pointer: String,
        pos: Pos,
        anchor: usize,
        first_node: usize,
    },
    Map {
        map: Map<String, Value>,
        pointer: String,
        pos: Pos,
        anchor: usize,
        first_node: usize,
        pending_key: Option<String>,
    },
}

struct Anchored {
    value: Value,
    nodes: usize,
}

struct Builder {
    limits: Limits,
    /// Whether to record node positions and JSON pointers.
    locate: bool,
    stream: Stream,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Anchored>,
    locations: Locations,
    root: Option<(Value, Pos)>,
    nodes: usize,
    doc_errors: Vec<YamlError>,
    /// Set once the node budget is blown, so one bomb yields one error.
    exhausted: bool,
}

impl Builder {
    fn new(limits: Limits, locate: bool) -> Self {
        Builder {
            limits,
            locate,
            stream: Stream::default(),
            stack: Vec::new(),
            anchors: HashMap::new(),
            locations: Locations::default(),
            root: None,
            nodes: 0,
            doc_errors: Vec::new(),
            exhausted: false,
        }
    }

    fn on_event(&mut self, event: Event<'_>, span: &Span) {
        // Past the node budget the document is rejected; skip to its end.
        if self.exhausted && !matches!(event, Event::DocumentStart(..) | Event::DocumentEnd) {
            return;
        }
        match event {
            Event::DocumentStart(..) => {
                self.stack.clear();
                self.anchors.clear();
                self.locations = Locations::default();
                self.root = None;
                self.nodes = 0;
                self.exhausted = false;
            }
            Event::DocumentEnd => self.finish_document(),
            Event::Scalar(text, style, anchor, tag) => {
                let tag_suffix = tag
                    .as_ref()
                    .and_then(|t| t.core_suffix().map(str::to_owned));
                let pos = Pos::of(span);
                if let Some(c) = unreadable_char(&text) {
                    self.doc_errors.push(YamlError {
                        pos,
                        pointer: self.current_pointer(),
                        message: format!(
                            "the text holds U+{:04X}, which kustomize and other YAML readers refuse or read as a line break; remove it (write a line break as `\\n` in a double-quoted string)",
                            u32::from(c)
                        ),
                        related: None,
                    });
                }
                // A scalar directly inside a mapping with no pending key *is* the key.
                if let Some(Frame::Map {
                    pending_key,
                    map,
                    pointer,
                    ..
                }) = self.stack.last_mut()
                    && pending_key.is_none()
                {
                    let key = text.into_owned();
                    // Every earlier key of this mapping has its value attached
                    // by now, so the map itself tells duplicates.
                    if map.contains_key(&key) {
                        let at = push_pointer(pointer, &key);
                        // The first occurrence was recorded; a rejected
                        // document is rare enough to search for it.
                        let first = self.locate.then(|| {
                            let locations = &self.locations;
                            let first = locations.keys.iter().find(|k| locations.pointer(k) == at);
                            (
                                first.map_or(pos, |k| k.pos),
                                "first defined here".to_owned(),
                            )
                        });
                        self.doc_errors.push(YamlError {
                            pos,
                            pointer: at,
                            message: format!("duplicate key `{key}`"),
                            related: first,
                        });
                        // Keep the first value; the rest of the document still parses
                        // so that every duplicate is reported at once.
                    } else if self.locate {
                        self.locations.record_key(pointer, &key, pos);
                    }
                    *pending_key = Some(key);
                    return;
                }
                let value = resolve_scalar(&text, style, tag_suffix.as_deref());
                if !self.count(1, pos) {
                    return;
                }
                if anchor != 0 {
                    self.anchors.insert(
                        anchor,
                        Anchored {
                            value: value.clone(),
                            nodes: 1,
                        },
                    );
                }
                self.attach(value, pos);
            }
            Event::SequenceStart(_, anchor, _) | Event::MappingStart(_, anchor, _) => {
                let pos = Pos::of(span);
                if self.key_expected() {
                    self.doc_errors.push(YamlError {
                        pos,
                        pointer: self.current_pointer(),
                        message: "mapping keys must be plain strings, not collections".into(),
                        related: None,
                    });
                    // Parse on, discarding; the document is already rejected.
                    self.set_pending_key("<complex key>".to_owned());
                }
                if !self.count(1, pos) {
                    return;
                }
                self.record(pos);
                let pointer = self.child_pointer();
                let first_node = self.nodes;
                let frame = if matches!(event, Event::SequenceStart(..)) {
                    Frame::Seq {
                        items: Vec::new(),
                        pointer,
                        pos,
                        anchor,
                        first_node,
                    }
                } else {
                    Frame::Map {
                        map: Map::new(),
                        pointer,
                        pos,
                        anchor,
                        first_node,
                        pending_key: None,
                    }
                };
                self.stack.push(frame);
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return;
                };
                let (value, pos, anchor, first_node) = match frame {
                    Frame::Seq {
                        items,
                        pos,
                        anchor,
                        first_node,
                        ..
                    } => (Value::Array(items), pos, anchor, first_node),
                    Frame::Map {
                        map,
                        pos,
                        anchor,
                        first_node,
                        ..
                    } => (Value::Object(map), pos, anchor, first_node),
                };
                if anchor != 0 {
                    self.anchors.insert(
                        anchor,
                        Anchored {
                            value: value.clone(),
                            nodes: self.nodes - first_node + 1,
                        },
                    );
                }
                self.attach_at(value, pos, false);
            }
            Event::Alias(id) => {
                let pos = Pos::of(span);
                if self.key_expected() {
                    self.doc_errors.push(YamlError {
                        pos,
                        pointer: self.current_pointer(),
                        message: "aliases cannot be used as mapping keys".into(),
                        related: None,
                    });
                    self.set_pending_key("<alias key>".to_owned());
                    return;
                }
                let Some(anchored) = self.anchors.get(&id) else {
                    self.doc_errors.push(YamlError {
                        pos,
                        pointer: self.child_pointer(),
                        message: "alias refers to an unknown anchor".into(),
                        related: None,
                    });
                    self.attach(Value::Null, pos);
                    return;
                };
                let (value, n) = (anchored.value.clone(), anchored.nodes);
                if !self.count(n, pos) {
                    return;
                }
                self.attach(value, pos);
            }
            _ => {}
        }
    }

    /// Charge `n` nodes to the document's budget; false once it is exceeded.
    fn count(&mut self, n: usize, pos: Pos) -> bool {
        if self.exhausted {
            return false;
        }
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > self.limits.max_nodes {
            self.exhausted = true;
            self.doc_errors.push(YamlError {
                pos,
                pointer: String::new(),
                message: format!(
                    "document expands to more than {} nodes (alias expansion bomb?)",
                    self.limits.max_nodes
                ),
                related: None,
            });
            return false;
        }
        true
    }

    fn key_expected(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame::Map {
                pending_key: None,
                ..
            })
        )
    }

    fn set_pending_key(&mut self, key: String) {
        if let Some(Frame::Map { pending_key, .. }) = self.stack.last_mut() {
            *pending_key = Some(key);
        }
    }

    fn current_pointer(&self) -> String {
        match self.stack.last() {
            Some(Frame::Seq { pointer, .. } | Frame::Map { pointer, .. }) => pointer.clone(),
            None => String::new(),
        }
    }

    /// Pointer of the node about to be attached to the innermost collection.
    fn child_pointer(&self) -> String {
        if !self.locate {
            return String::new();
        }
        match child_of(&self.stack) {
            Some((parent, token)) => push_pointer(parent, &token),
            None => String::new(),
        }
    }

    fn attach(&mut self, value: Value, pos: Pos) {
        self.attach_at(value, pos, true);
    }

    /// Record `pos` for the node about to be attached to the innermost
    /// collection (see [`Builder::child_pointer`]).
    fn record(&mut self, pos: Pos) {
        if !self.locate {
            return;
        }
        let child = child_of(&self.stack);
        let child = child
            .as_ref()
            .map(|(parent, token)| (*parent, token.as_ref()));
        self.locations.record_node(child, pos);
    }

    fn attach_at(&mut self, value: Value, pos: Pos, record: bool) {
        if record {
            self.record(pos);
        }
        match self.stack.last_mut() {
            Some(Frame::Seq { items, .. }) => items.push(value),
            Some(Frame::Map {
                map, pending_key, ..
            }) => {
                if let Some(key) = pending_key.take() {
                    // Duplicates keep their first value (already reported).
                    map.entry(key).or_insert(value);
                }
            }
            None => {
                self.root = Some((value, pos));
            }
        }
    }

    fn finish_document(&mut self) {
        let mut locations = std::mem::take(&mut self.locations);
        locations.seal();
        let root = self.root.take();
        self.stack.clear();
        if !self.doc_errors.is_empty() {
            self.stream.errors.append(&mut self.doc_errors);
            return;
        }
        if let Some((value, start)) = root {
            if value.is_null() {
                return; // an empty document (`---` with nothing after it)
            }
            self.stream.documents.push(Document {
                value,
                locations,
                start,
            });
        }
    }
}

/// The pointer of the innermost open collection and the token of the node
/// about to be attached to it (its index, or its pending key); `None` at the
/// root.
fn child_of(stack: &[Frame]) -> Option<(&str, std::borrow::Cow<'_, str>)> {
    match stack.last()? {
        Frame::Seq { items, pointer, .. } => Some((pointer, items.len().to_string().into())),
        Frame::Map {
            pointer,
            pending_key,
            ..
        } => Some((pointer, pending_key.as_deref().unwrap_or("").into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn one(text: &str) -> Document {
        let s = parse_stream(text, Limits::default());
        assert!(s.errors.is_empty(), "{:?}", s.errors);
        assert_eq!(s.documents.len(), 1);
        s.documents.into_iter().next().unwrap()
    }

    #[test]
    fn core_schema_keeps_yaml11_booleans_and_dates_as_strings() {
        let d =
            one("a: yes\nb: on\nc: 2027-06-30\nd: true\ne: 0755\nf: '1'\ng: 0.5\nh: ~\ni: 1e3\n");
        assert_eq!(
            d.value,
            json!({"a": "yes", "b": "on", "c": "2027-06-30", "d": true, "e": 755, "f": "1", "g": 0.5, "h": null, "i": 1000.0})
        );
    }

    #[test]
    fn positions_of_values_and_keys() {
        let d = one("spec:\n  environments:\n    - name: dev\n      quota: {cpu: \"4\"}\n");
        assert_eq!(
            d.locations.value("/spec/environments/0/quota/cpu"),
            Pos { line: 4, col: 20 }
        );
        assert_eq!(
            d.locations.key("/spec/environments/0/quota"),
            Pos { line: 4, col: 7 }
        );
        assert_eq!(
            d.locations.value("/spec/environments/0"),
            Pos { line: 3, col: 7 }
        );
        assert_eq!(
            display_path(&d.value, "/spec/environments/0/quota/cpu"),
            "spec.environments[0].quota.cpu"
        );
    }

    #[test]
    fn odd_keys_are_quoted_in_paths() {
        let d = one("metadata:\n  labels:\n    app.kubernetes.io/name: x\n");
        let p = push_pointer("/metadata/labels", "app.kubernetes.io/name");
        assert_eq!(p, "/metadata/labels/app.kubernetes.io~1name");
        assert_eq!(d.locations.value(&p), Pos { line: 3, col: 29 });
        assert_eq!(
            display_path(&d.value, &p),
            "metadata.labels[\"app.kubernetes.io/name\"]"
        );
    }

    #[test]
    fn duplicate_keys_are_errors_naming_both_places() {
        let s = parse_stream("a: 1\nb: 2\na: 3\n", Limits::default());
        assert!(s.documents.is_empty());
        assert_eq!(s.errors.len(), 1);
        assert_eq!(s.errors[0].pos, Pos { line: 3, col: 1 });
        assert_eq!(
            s.errors[0].related.as_ref().unwrap().0,
            Pos { line: 1, col: 1 }
        );
    }

    #[test]
    fn multi_document_streams_skip_empty_documents() {
        let s = parse_stream("---\na: 1\n---\n---\nb: 2\n", Limits::default());
        assert_eq!(s.documents.len(), 2);
        assert_eq!(s.documents[1].start.line, 5);
    }

    #[test]
    fn aliases_expand_within_budget_and_bombs_are_refused() {
        let d = one("a: &x {k: v}\nb: *x\n");
        assert_eq!(d.value, json!({"a": {"k": "v"}, "b": {"k": "v"}}));
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            bomb.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let s = parse_stream(&bomb, Limits::default());
        assert!(s.documents.is_empty());
        assert_eq!(s.errors.len(), 1);
        assert!(s.errors[0].message.contains("expands to more than"));
    }

    #[test]
    fn deep_nesting_is_a_syntax_error_not_a_stack_overflow() {
        let text = "[".repeat(100_000);
        let s = parse_stream(&text, Limits::default());
        assert!(s.documents.is_empty());
        assert!(!s.errors.is_empty());
    }

    #[test]
    fn syntax_errors_are_located() {
        let s = parse_stream("a: 1\nb: [1, 2\nc: 3\n", Limits::default());
        assert_eq!(s.errors.len(), 1);
        assert!(s.errors[0].message.starts_with("YAML syntax error"));
        assert!(s.errors[0].pos.line >= 2);
    }
}
