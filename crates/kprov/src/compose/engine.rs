//! The template engine: one minijinja `Environment` for the whole estate,
//! every template compiled once, strict undefined, bounded work, and the
//! marker scheme of [`super::scalar`] for every interpolated value.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use minijinja::{Environment, UndefinedBehavior};
use serde_json::Value;

use super::scalar;
use crate::yaml;

/// Work one template render may do before it is stopped (minijinja fuel).
const FUEL: u64 = 5_000_000;
/// Bytes of interpolated values one render may produce.
const MAX_OUTPUT: usize = 16 * 1024 * 1024;

thread_local! {
    /// Values interpolated by the render in progress on this thread, in
    /// order, and the bytes they will take. Kept as template values (cheap
    /// reference-counted clones); only the ones that are not strings are ever
    /// converted to JSON.
    static INTERPOLATED: RefCell<(Vec<Interpolated>, usize)> = const { RefCell::new((Vec::new(), 0)) };
}

/// One interpolated value: a string as the template value itself (no copy),
/// anything else as JSON, converted once when it is interpolated so that a
/// value JSON cannot express (a macro, a function) is an error right there.
enum Interpolated {
    Text(minijinja::Value),
    Json(Value),
}

/// What a template sees: `claim`, `composed`, `namespace`, `environment`,
/// `cluster`, `project`, `tenants` (docs/design.md §3), as template values built once
/// and shared by every render that needs them.
pub type Context = BTreeMap<&'static str, minijinja::Value>;

/// A JSON value as a template value: arrays and objects are read in place
/// ([`super::view`]), never converted.
pub fn template_value(value: Value) -> minijinja::Value {
    super::view::template_value(value)
}

/// Where a registered template's text comes from, for error positions.
#[derive(Debug, Clone)]
pub struct TemplateSource {
    /// File, relative to the estate root (or `kprov:` + path for built-ins).
    pub file: String,
    /// Line of the file on which the template's first line stands.
    pub first_line: u32,
}

/// Why a render failed: a message and, when known, the template position.
#[derive(Debug, Clone)]
pub struct RenderError {
    /// Template file and line, when the error is in a template.
    pub at: Option<(String, u32)>,
    /// What went wrong.
    pub message: String,
}

/// How a value inside a larger scalar (`name: {{ x }}-db`) is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Inline {
    /// In a text slot where it fits, so the skeleton does not vary with it.
    Slot,
    /// As its text.
    Text,
}

/// Compiled templates, shared by every claim.
pub struct Engine {
    env: Environment<'static>,
    sources: BTreeMap<String, TemplateSource>,
}

impl Engine {
    /// An engine with no templates.
    pub fn new() -> Engine {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_fuel(Some(FUEL));
        // Never let a value through unexamined: `safe` would mark text as
        // trusted, and nothing a claim carries is.
        env.remove_filter("safe");
        env.set_formatter(|out, _state, value| {
            let interpolated = match value.as_str() {
                Some(_) => Interpolated::Text(value.clone()),
                None => Interpolated::Json(match super::view::json_of(value) {
                    Some(json) => json,
                    None => serde_json::to_value(value).map_err(|e| {
                        minijinja::Error::new(minijinja::ErrorKind::BadSerialization, e.to_string())
                    })?,
                }),
            };
            let size = match &interpolated {
                Interpolated::Text(text) => {
                    text.as_str().map_or(Some(0), scalar::reserved_free_len)
                }
                Interpolated::Json(json) => scalar::json_reserved_free_len(json),
            };
            let Some(size) = size else {
                return Err(minijinja::Error::new(
                    minijinja::ErrorKind::InvalidOperation,
                    scalar::RESERVED_MESSAGE,
                ));
            };
            let (index, bytes) = INTERPOLATED.with(|cell| {
                let (values, bytes) = &mut *cell.borrow_mut();
                *bytes += size;
                values.push(interpolated);
                (values.len() - 1, *bytes)
            });
            if bytes > MAX_OUTPUT {
                return Err(minijinja::Error::new(
                    minijinja::ErrorKind::InvalidOperation,
                    format!("template output exceeds {MAX_OUTPUT} bytes"),
                ));
            }
            scalar::write_token(out, scalar::OPEN, index, scalar::CLOSE)
                .map_err(minijinja::Error::from)
        });
        Engine {
            env,
            sources: BTreeMap::new(),
        }
    }

    /// Compile a template under `name`; a syntax error comes back located.
    pub fn add(
        &mut self,
        name: String,
        text: String,
        source: TemplateSource,
    ) -> Result<(), RenderError> {
        if let Some(line) = text.lines().position(scalar::has_reserved) {
            return Err(RenderError {
                at: Some((source.file, source.first_line + line as u32)),
                message: scalar::RESERVED_MESSAGE.into(),
            });
        }
        self.sources.insert(name.clone(), source);
        self.env
            .add_template_owned(name, text)
            .map_err(|e| self.error(&e))
    }

    fn error(&self, e: &minijinja::Error) -> RenderError {
        let at = e.name().and_then(|name| {
            self.sources.get(name).map(|s| {
                (
                    s.file.clone(),
                    s.first_line + e.line().unwrap_or(1) as u32 - 1,
                )
            })
        });
        let mut message = match e.detail() {
            // minijinja's detail ("`a.b` is undefined") says it already.
            Some(detail) if e.kind() == minijinja::ErrorKind::UndefinedError => detail.to_owned(),
            Some(detail) => format!("{}: {detail}", e.kind()),
            None => e.kind().to_string(),
        };
        if e.kind() == minijinja::ErrorKind::OutOfFuel {
            message = "template ran too long (loop without end?); kprov stops a template after a bounded amount of work".into();
        }
        RenderError { at, message }
    }

    /// Render template `name` with `context` and parse the result into objects.
    pub fn render(&self, name: &str, context: &Context) -> Result<Vec<Value>, RenderError> {
        match self.render_as(name, context, Inline::Slot)? {
            Some(objects) => Ok(objects),
            // A text slot did not stand for its text here; rendering is a
            // pure function of the context, so doing it again with the
            // text written is the same render. Without text slots, the
            // only answer `None` is left is two keys that came out equal
            // (`{ {{ a }}, {{ b }} }` with `a == b`).
            None => self
                .render_as(name, context, Inline::Text)?
                .ok_or_else(|| RenderError {
                    at: self.template_start(name),
                    message: "the template's output has a mapping key twice once the interpolated values are in place".into(),
                }),
        }
    }

    fn template_start(&self, name: &str) -> Option<(String, u32)> {
        self.sources
            .get(name)
            .map(|s| (s.file.clone(), s.first_line))
    }

    /// One render; `None` when a text slot does not stand for its text
    /// (see [`scalar::text_slot_fits`]).
    fn render_as(
        &self,
        name: &str,
        context: &Context,
        inline: Inline,
    ) -> Result<Option<Vec<Value>>, RenderError> {
        INTERPOLATED.with(|cell| *cell.borrow_mut() = (Vec::new(), 0));
        let template = self.env.get_template(name).map_err(|e| self.error(&e))?;
        let context = minijinja::Value::from_pairs(context.iter().map(|(k, v)| (*k, v.clone())));
        let rendered = template.render(&context).map_err(|e| {
            let mut error = self.error(&e);
            if e.kind() == minijinja::ErrorKind::UndefinedError
                && let Some(hint) = e.detail().and_then(|d| undefined_hint(d, &context))
            {
                error.message = format!("{}; {hint}", error.message);
            }
            error
        })?;
        let values = INTERPOLATED.with(|cell| std::mem::take(&mut cell.borrow_mut().0));
        let (text, mut slots) = self.substitute(name, &rendered, values, inline)?;
        let parsed = match parse_output(text) {
            Ok(parsed) => parsed,
            // The error may be the token's (a `|` header, an escape): the
            // text decides.
            Err(_) if slots.has_text() => return Ok(None),
            Err((line, message)) => {
                return Err(RenderError {
                    at: self.template_start(name),
                    message: format!(
                        "the template's output is not valid YAML (line {line} of the output): {message}"
                    ),
                });
            }
        };
        Ok(match parsed.slots {
            scalar::SlotUse::None => Some(parsed.documents.clone()),
            how => parsed
                .documents
                .iter()
                .map(|d| scalar::instantiate(d, &mut slots, how))
                .collect(),
        })
    }

    /// Replace markers by the scalar text their position allows, or, where a
    /// marker is a whole value, by a slot that [`scalar::instantiate`] fills
    /// with the value itself after parsing: the value then never makes the
    /// round trip through YAML text, which was the single largest cost of
    /// composing (most template output bytes are interpolated maps).
    fn substitute(
        &self,
        name: &str,
        rendered: &str,
        values: Vec<Interpolated>,
        inline: Inline,
    ) -> Result<(String, scalar::Slots), RenderError> {
        let mut slots = scalar::Slots::default();
        let mut values: Vec<Option<Interpolated>> = values.into_iter().map(Some).collect();
        let mut out = String::with_capacity(rendered.len());
        // Only lines with a marker need work: jump from marker to marker
        // and copy the text between them whole.
        let mut copied = 0;
        while let Some(at) = scalar::find_delimiter(rendered, copied, scalar::OPEN) {
            let start = rendered[..at].rfind('\n').map_or(0, |i| i + 1);
            let end = rendered[at..]
                .find('\n')
                .map_or(rendered.len(), |i| at + i + 1);
            out.push_str(&rendered[copied..start]);
            copied = end;
            let line = &rendered[start..end];
            let mut rest = 0;
            let mut cursor = 0;
            while let Some((open, index, end)) = scalar::next_marker(line, cursor) {
                let Some(value) = values.get_mut(index).and_then(Option::take) else {
                    break;
                };
                let standalone = scalar::stands_alone(line, open, end);
                if standalone && !scalar::is_key(line, end) {
                    out.push_str(&line[rest..open]);
                    slots.push(
                        &mut out,
                        match value {
                            Interpolated::Text(t) => {
                                Value::String(t.as_str().unwrap_or_default().to_owned())
                            }
                            Interpolated::Json(json) => json,
                        },
                    );
                    rest = end;
                    cursor = end;
                    continue;
                }
                let text = match (&value, standalone) {
                    (Interpolated::Text(t), true) => {
                        scalar::standalone_str(t.as_str().unwrap_or_default())
                    }
                    (Interpolated::Text(t), false) => {
                        scalar::inline_str(t.as_str().unwrap_or_default()).map(str::to_owned)
                    }
                    (Interpolated::Json(json), true) => Some(scalar::standalone(json)),
                    (Interpolated::Json(json), false) => scalar::inline(json),
                };
                let text = text.ok_or_else(|| RenderError {
                        at: self.template_start(name),
                        message: format!(
                            "line {} of the output: the value {} would need quoting in the middle of a larger scalar; interpolate it as a whole value (`key: {{{{ … }}}}`) instead",
                            rendered[..start].matches('\n').count() + 1,
                            match &value {
                                Interpolated::Text(t) => serde_json::to_string(&t.as_str()),
                                Interpolated::Json(json) => serde_json::to_string(json),
                            }
                            .unwrap_or_default()
                        ),
                    })?;
                out.push_str(&line[rest..open]);
                match inline == Inline::Slot && scalar::text_slot_fits(line, open, &text) {
                    true => slots.push_text(&mut out, text),
                    false => out.push_str(&text),
                }
                rest = end;
                cursor = end;
            }
            out.push_str(&line[rest..]);
        }
        out.push_str(&rendered[copied..]);
        Ok((out, slots))
    }
}

/// Template output with its values in slots repeats itself: every namespace
/// with the same bindings renders the same text. Each thread keeps the
/// documents parsed from the texts it has seen, so a repeat costs a clone.
/// The bound only keeps a template with a varying text from growing it
/// without end; parsing is a pure function of the text, so the cache never
/// changes a result.
const PARSED_TEXTS: usize = 4096;

thread_local! {
    static PARSED: RefCell<HashMap<String, Rc<Skeleton>>> = RefCell::new(HashMap::new());
}

/// Documents parsed from one template output, slot tokens still in place.
struct Skeleton {
    documents: Vec<Value>,
    slots: scalar::SlotUse,
}

/// Parse template output (through the per-thread cache); on a YAML error,
/// its line and message.
fn parse_output(text: String) -> Result<Rc<Skeleton>, (u32, String)> {
    if let Some(parsed) = PARSED.with(|cache| cache.borrow().get(&text).cloned()) {
        return Ok(parsed);
    }
    // kprov wrote this text itself from a checked template, so positions
    // inside it are never reported: parse without recording them.
    let stream = yaml::parse_stream_unlocated(&text, yaml::Limits::default());
    if let Some(e) = stream.errors.first() {
        return Err((e.pos.line, e.message.clone()));
    }
    let documents: Vec<Value> = stream.documents.into_iter().map(|d| d.value).collect();
    let parsed = Rc::new(Skeleton {
        slots: scalar::slot_use(&documents),
        documents,
    });
    PARSED.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() >= PARSED_TEXTS {
            cache.clear();
        }
        cache.insert(text, parsed.clone());
    });
    Ok(parsed)
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new()
    }
}

/// What an undefined `a.b.c` (as minijinja names it: "`a.b.c` is undefined")
/// could have meant, read from the context: the closest key of `a.b`, and
/// the keys it has. `None` for anything the context cannot answer (a loop
/// variable, an expression with calls or filters).
fn undefined_hint(detail: &str, context: &minijinja::Value) -> Option<String> {
    let expression = detail.strip_prefix('`')?.strip_suffix("` is undefined")?;
    let path = parse_path(expression)?;
    let (last, parents) = path.split_last()?;
    let mut value = context.clone();
    let mut written = String::new();
    for segment in parents {
        value = match segment {
            Segment::Key(key) => value.get_attr(key).ok()?,
            Segment::Index(i) => value.get_item(&minijinja::Value::from(*i)).ok()?,
        };
        if value.is_undefined() || value.is_none() {
            return None;
        }
        match segment {
            Segment::Key(key) if written.is_empty() => written.push_str(key),
            Segment::Key(key) => {
                written.push('.');
                written.push_str(key);
            }
            Segment::Index(i) => written.push_str(&format!("[{i}]")),
        }
    }
    let owner = match written.is_empty() {
        true => "the template context".to_owned(),
        false => format!("`{written}`"),
    };
    match last {
        Segment::Key(missing) if value.kind() == minijinja::value::ValueKind::Map => {
            let mut keys: Vec<String> = value
                .try_iter()
                .ok()?
                .filter_map(|k| k.as_str().map(str::to_owned))
                .collect();
            keys.sort();
            // `project`, `cluster` and the tenants are their spec plus
            // `name`, which Kubernetes habits write as `.spec.…`.
            let guess = match crate::diagnostic::closest(missing, &keys) {
                Some(k) => format!("did you mean `{k}`? "),
                None if missing == "spec" && keys.iter().any(|k| k == "name") => format!(
                    "{owner} holds its spec's fields and `name` directly: write `{written}.<field>`; "
                ),
                None => String::new(),
            };
            let listed = match keys.len() {
                0 => "nothing".to_owned(),
                n if n <= 12 => format!("`{}`", keys.join("`, `")),
                n => format!("`{}`, … ({n} keys)", keys[..12].join("`, `")),
            };
            Some(format!("{guess}{owner} has {listed}"))
        }
        Segment::Index(_) => Some(match value.len()? {
            0 => format!("{owner} is empty"),
            1 => format!("{owner} has 1 item"),
            n => format!("{owner} has {n} items"),
        }),
        _ => None,
    }
}

/// One step of a dotted path: `.key`, `['key']` or `[0]`.
enum Segment {
    Key(String),
    Index(i64),
}

/// `a.b[0]['c']` as segments; `None` for anything else (calls, filters,
/// arithmetic), whose parts the hint does not try to evaluate.
fn parse_path(expression: &str) -> Option<Vec<Segment>> {
    let ident = |s: &str| -> Option<usize> {
        let end = s
            .char_indices()
            .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(s.len(), |(i, _)| i);
        (end > 0 && !s.starts_with(|c: char| c.is_ascii_digit())).then_some(end)
    };
    let end = ident(expression)?;
    let mut path = vec![Segment::Key(expression[..end].to_owned())];
    let mut rest = &expression[end..];
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            let end = ident(after)?;
            path.push(Segment::Key(after[..end].to_owned()));
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let close = after.find(']')?;
            let inner = &after[..close];
            let quoted = inner
                .strip_prefix('\'')
                .and_then(|i| i.strip_suffix('\''))
                .or_else(|| inner.strip_prefix('"').and_then(|i| i.strip_suffix('"')));
            path.push(match quoted {
                Some(key) => Segment::Key(key.to_owned()),
                None => Segment::Index(inner.parse().ok()?),
            });
            rest = &after[close + 1..];
        } else {
            return None;
        }
    }
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An engine holding `template` as `t`, from `t.yaml.j2` line 1.
    fn engine_with(template: &str) -> Result<Engine, RenderError> {
        let mut engine = Engine::new();
        let source = TemplateSource {
            file: "t.yaml.j2".into(),
            first_line: 1,
        };
        engine.add("t".into(), template.into(), source)?;
        Ok(engine)
    }

    /// A context with `v` as the only value.
    fn context_v(v: Value) -> Context {
        let mut context = Context::new();
        context.insert("v", template_value(v));
        context
    }

    fn render(template: &str) -> Result<Vec<Value>, RenderError> {
        let engine = engine_with(template)?;
        let mut context = Context::new();
        context.insert(
            "claim",
            template_value(serde_json::json!({"n": 3, "s": "yes"})),
        );
        engine.render("t", &context)
    }

    #[test]
    fn a_whole_value_copied_by_an_alias_fills_both_places() {
        let objects = render("a: &x\n  k: {{ claim.s }}\n  m: {{ claim }}\nb: *x\n").unwrap();
        let inner = serde_json::json!({"k": "yes", "m": {"n": 3, "s": "yes"}});
        assert_eq!(objects, [serde_json::json!({"a": inner, "b": inner})]);
    }

    #[test]
    fn a_slot_inside_a_larger_string_becomes_the_text_it_stands_for() {
        // In a block scalar a standalone value is written as text, quoted
        // where a plain scalar would change its meaning.
        let objects = render("script: |\n  - {{ claim.s }}\n  - {{ claim.n }}\n").unwrap();
        assert_eq!(objects, [serde_json::json!({"script": "- \"yes\"\n- 3\n"})]);
    }

    #[test]
    fn a_key_is_written_as_text() {
        let objects = render("{{ claim.s }}: 1\n{{ claim.n }}: 2\n").unwrap();
        assert_eq!(objects, [serde_json::json!({"yes": 1, "3": 2})]);
    }

    #[test]
    fn reserved_characters_are_refused_in_values_and_templates() {
        let mut engine = Engine::new();
        let source = || TemplateSource {
            file: "t.yaml.j2".into(),
            first_line: 1,
        };
        engine
            .add("t".into(), "a: {{ claim.s }}\n".into(), source())
            .unwrap();
        for value in [
            serde_json::json!({"s": "\u{FDD2}0\u{FDD3}"}),
            serde_json::json!({"s": {"k": ["\u{FDD3}"]}}),
            serde_json::json!({"s": {"\u{FDD2}": 1}}),
        ] {
            let mut context = Context::new();
            context.insert("claim", template_value(value));
            let e = engine.render("t", &context).unwrap_err();
            assert!(e.message.contains("U+FDD2"), "{}", e.message);
        }
        let e = engine
            .add("u".into(), "a: 1\nb: \u{FDD2}\n".into(), source())
            .unwrap_err();
        assert_eq!(e.at, Some(("t.yaml.j2".into(), 2)));
    }

    #[test]
    fn repeated_output_is_parsed_once_and_filled_afresh() {
        let engine = engine_with("a: {{ claim.s }}\n").unwrap();
        for s in ["one", "two", "one"] {
            let mut context = Context::new();
            context.insert("claim", template_value(serde_json::json!({"s": s})));
            assert_eq!(
                engine.render("t", &context).unwrap(),
                [serde_json::json!({"a": s})]
            );
        }
    }

    /// JSON values of every shape, with strings YAML might misread.
    fn json_value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let text = prop_oneof![
            "[a-z0-9./:# -]{0,12}",
            Just("yes".to_owned()),
            Just("0755".to_owned()),
            Just("a: b".to_owned()),
            Just("- x".to_owned()),
            Just("x\ny".to_owned()),
        ];
        crate::test_support::json_tree(prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            text.prop_map(Value::from),
        ])
    }

    proptest::proptest! {
        /// A value filled into its slot equals the value read back from the
        /// text the marker scheme would otherwise have written there.
        #[test]
        fn a_slot_holds_what_its_text_would_parse_to(value in json_value()) {
            let engine = engine_with("a: {{ claim.v }}\nb: [{{ claim.v }}]\n").unwrap();
            let mut context = Context::new();
            context.insert("claim", template_value(serde_json::json!({"v": value})));
            let rendered = engine.render("t", &context).unwrap();
            let text = scalar::standalone(&value);
            let read_back = yaml::parse_stream(&format!("a: {text}\nb: [{text}]\n"), yaml::Limits::default());
            let expected: Vec<Value> = read_back.documents.into_iter().map(|d| d.value).collect();
            proptest::prop_assert_eq!(rendered, expected);
        }
    }

    /// Templates with a value inside larger scalars, in every place YAML
    /// gives text a meaning of its own.
    const INLINE: &[&str] = &[
        "a: x-{{ v }}\n",
        "a: {{ v }}-x\n",
        "a: {{ v }}0\n",
        "a: {{ v }}.{{ v }}\n",
        "a: {{ v }}e3\n",
        "a: 0x{{ v }}\n",
        "a: .{{ v }}\n",
        "a: -{{ v }}\n",
        "a: tr{{ v }}\n",
        "a: \"q{{ v }}\"\n",
        "a: 'q{{ v }}'\n",
        "a: \"{{ v }}\"\n",
        "a: \"\\{{ v }}\"\n",
        "a: !!int {{ v }}\n",
        "a: !!str {{ v }}0\n",
        "a: !!null x{{ v }}\n",
        "a: !!{{ v }} 10\n",
        "a: |\n  run {{ v }}\n  {{ v }}0\n",
        "a: |{{ v }}\n   text\n",
        "a: &{{ v }} 1\nb: *{{ v }}\n",
        "a: [x{{ v }}, {{ v }}y]\n",
        "a: {k: x{{ v }}}\n",
        "# c {{ v }}\na: 1\n",
        "a: x{{ v }} y{{ v }}\n",
        "a: {{ v }} y\n",
        "a: x{{ v }}: b\n",
        "---{{ v }}\n",
        "- {{ v }}x\n- y\n",
        "{{ v }}-k: 1\n{{ v }}-j: 2\n",
        "{{ v }}: 1\nk: 2\n",
        "x{{ v }}: 1\nxk: 2\n",
        "xk: 1\nx{{ v }}: 2\n",
    ];

    /// Values that mean something to YAML next to other text.
    const AWKWARD: &[&str] = &[
        "", "ue", "5", "1F", "inf", "nan", "k", "null", "-", "a b", "a:b", "#x", "1e3", "n", "x",
        "2", "0", "x:", ":x", "@x", "~", "a/b", "+1", "=", "-x", "str", "int", "e", "0o7",
    ];

    /// The objects, or the error message, of rendering `template` with `v`:
    /// as kprov does (text slots where they fit) and with every value
    /// inside a larger scalar written as text.
    fn slotted_and_written(template: &str, v: Value) -> [Result<Vec<Value>, String>; 2] {
        let engine = engine_with(template).unwrap();
        let context = context_v(v);
        [
            engine.render("t", &context).map_err(|e| e.message),
            engine
                .render_as("t", &context, Inline::Text)
                .map(|objects| objects.unwrap())
                .map_err(|e| e.message),
        ]
    }

    #[test]
    fn a_text_slot_gives_what_the_text_gives_for_awkward_values() {
        for template in INLINE {
            for v in AWKWARD {
                let [slotted, written] = slotted_and_written(template, Value::from(*v));
                assert_eq!(slotted, written, "{template} with {v:?}");
            }
        }
    }

    fn inline_value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        prop_oneof![
            "[a-zA-Z0-9._-]{0,4}".prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            (-1e3f64..1e3).prop_map(Value::from),
            any::<bool>().prop_map(Value::from),
        ]
    }

    proptest::proptest! {
        /// A value inside a larger scalar gives the same objects, or the
        /// same error, in a text slot as written as text.
        #[test]
        fn a_text_slot_gives_what_the_text_gives(v in inline_value(), which in 0..INLINE.len()) {
            let [slotted, written] = slotted_and_written(INLINE[which], v);
            proptest::prop_assert_eq!(slotted, written, "{}", INLINE[which]);
        }
    }

    #[test]
    fn a_value_inside_a_scalar_leaves_one_skeleton() {
        let engine = engine_with("name: allow-{{ v }}\nn: {{ v }}0\n").unwrap();
        let render = |v: Value| engine.render("t", &context_v(v)).unwrap();
        PARSED.with(|cache| cache.borrow_mut().clear());
        for tenant in ["team-a", "team-b", "c"] {
            assert_eq!(
                render(tenant.into()),
                [serde_json::json!({"name": format!("allow-{tenant}"), "n": format!("{tenant}0")})]
            );
        }
        assert_eq!(PARSED.with(|cache| cache.borrow().len()), 1);
        // `10` reads as a number: that render writes the text.
        assert_eq!(
            render(1.into()),
            [serde_json::json!({"name": "allow-1", "n": 10})]
        );
    }

    #[test]
    fn interpolated_keys_that_come_out_equal_are_an_error() {
        let engine = engine_with("m: { {{ v.a }}, {{ v.b }} }\n").unwrap();
        let render = |v: Value| engine.render("t", &context_v(v));
        // Keys read as their text would: `yes` written as a key is quoted,
        // and the parser takes the quotes off again.
        assert_eq!(
            render(serde_json::json!({"a": "x", "b": "yes"})).unwrap(),
            [serde_json::json!({"m": {"x": null, "yes": null}})]
        );
        assert_eq!(
            render(serde_json::json!({"a": 3, "b": true})).unwrap(),
            [serde_json::json!({"m": {"3": null, "true": null}})]
        );
        let e = render(serde_json::json!({"a": "x", "b": "x"})).unwrap_err();
        assert!(e.message.contains("mapping key twice"), "{}", e.message);
    }

    #[test]
    fn strings_numbers_and_collections_interpolate_as_values() {
        let objects = render("a: {{ claim.s }}\nb: {{ claim.n }}\nc: {{ claim }}\n").unwrap();
        assert_eq!(
            objects,
            [serde_json::json!({"a": "yes", "b": 3, "c": {"n": 3, "s": "yes"}})]
        );
    }
}
