//! The template engine: one minijinja `Environment` for the whole estate,
//! every template compiled once, strict undefined, bounded work, and the
//! marker scheme of [`super::scalar`] for every interpolated value.

use std::cell::RefCell;
use std::collections::BTreeMap;

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
/// `cluster`, `project`, `tenants` (DESIGN §3), as template values built once
/// and shared by every render that needs them.
pub type Context = BTreeMap<&'static str, minijinja::Value>;

/// A JSON value as a template value.
pub fn template_value(value: &Value) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(value))
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
                None => Interpolated::Json(serde_json::to_value(value).map_err(|e| {
                    minijinja::Error::new(minijinja::ErrorKind::BadSerialization, e.to_string())
                })?),
            };
            let (index, bytes) = INTERPOLATED.with(|cell| {
                let (values, bytes) = &mut *cell.borrow_mut();
                *bytes += match &interpolated {
                    Interpolated::Text(text) => text.as_str().map_or(0, str::len),
                    Interpolated::Json(json) => json.to_string().len(),
                };
                values.push(interpolated);
                (values.len() - 1, *bytes)
            });
            if bytes > MAX_OUTPUT {
                return Err(minijinja::Error::new(
                    minijinja::ErrorKind::InvalidOperation,
                    format!("template output exceeds {MAX_OUTPUT} bytes"),
                ));
            }
            write!(out, "{}{}{}", scalar::OPEN, index, scalar::CLOSE)
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
        INTERPOLATED.with(|cell| *cell.borrow_mut() = (Vec::new(), 0));
        let template = self.env.get_template(name).map_err(|e| self.error(&e))?;
        let context = minijinja::Value::from_pairs(context.iter().map(|(k, v)| (*k, v.clone())));
        let rendered = template.render(context).map_err(|e| self.error(&e))?;
        let values = INTERPOLATED.with(|cell| std::mem::take(&mut cell.borrow_mut().0));
        let text = self.substitute(name, &rendered, &values)?;
        // kprov wrote this text itself from a checked template, so positions
        // inside it are never reported: parse without recording them.
        let stream = yaml::parse_stream_unlocated(&text, yaml::Limits::default());
        let source = self.sources.get(name);
        if let Some(e) = stream.errors.first() {
            return Err(RenderError {
                at: source.map(|s| (s.file.clone(), s.first_line)),
                message: format!(
                    "the template's output is not valid YAML (line {} of the output): {}",
                    e.pos.line, e.message
                ),
            });
        }
        Ok(stream.documents.into_iter().map(|d| d.value).collect())
    }

    /// Replace markers by the scalar text their position allows.
    fn substitute(
        &self,
        name: &str,
        rendered: &str,
        values: &[Interpolated],
    ) -> Result<String, RenderError> {
        let mut out = String::with_capacity(rendered.len());
        for (n, line) in rendered.split_inclusive('\n').enumerate() {
            if !line.contains(scalar::OPEN) {
                out.push_str(line);
                continue;
            }
            let mut rest = 0;
            let mut cursor = 0;
            while let Some(open) = line[cursor..].find(scalar::OPEN).map(|i| i + cursor) {
                let Some(close) = line[open..].find(scalar::CLOSE).map(|i| i + open) else {
                    break;
                };
                let end = close + scalar::CLOSE.len_utf8();
                let index: usize = line[open + scalar::OPEN.len_utf8()..close]
                    .parse()
                    .unwrap_or(usize::MAX);
                let Some(value) = values.get(index) else {
                    break;
                };
                let standalone = scalar::stands_alone(line, open, end);
                let text = match (value, standalone) {
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
                        at: self.sources.get(name).map(|s| (s.file.clone(), s.first_line)),
                        message: format!(
                            "line {} of the output: the value {} would need quoting in the middle of a larger scalar; interpolate it as a whole value (`key: {{{{ … }}}}`) instead",
                            n + 1,
                            match value {
                                Interpolated::Text(t) => serde_json::to_string(&t.as_str()),
                                Interpolated::Json(json) => serde_json::to_string(json),
                            }
                            .unwrap_or_default()
                        ),
                    })?;
                out.push_str(&line[rest..open]);
                out.push_str(&text);
                rest = end;
                cursor = end;
            }
            out.push_str(&line[rest..]);
        }
        Ok(out)
    }
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(template: &str) -> Result<Vec<Value>, RenderError> {
        let mut engine = Engine::new();
        let source = TemplateSource {
            file: "t.yaml.j2".into(),
            first_line: 1,
        };
        engine.add("t".into(), template.into(), source)?;
        let mut context = Context::new();
        context.insert(
            "claim",
            template_value(&serde_json::json!({"n": 3, "s": "yes"})),
        );
        engine.render("t", &context)
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
