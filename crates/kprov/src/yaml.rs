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

use std::collections::HashMap;
use std::fmt;

use granit_parser::{Event, Options, Parser, ScalarStyle, Span};
use serde_json::{Map, Number, Value};

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
/// position, sorted by pointer once the document is complete. Hash tables
/// of one `String` per node made building the model a third slower.
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
pub fn parse_stream_unlocated(text: &str, limits: Limits) -> Stream {
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

/// The string under a path of object keys (`["metadata", "name"]`), or `""`.
/// For fixed paths on hot paths: `Value::pointer` parses and unescapes its
/// pointer on every call, which was 3 % of a compile.
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
fn escape_token(out: &mut String, token: &str) {
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

/// YAML 1.2 core schema resolution of one scalar.
fn resolve_scalar(text: &str, style: ScalarStyle, tag: Option<&str>) -> Value {
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
