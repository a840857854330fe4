//! Preparing compositions: the built-ins from the binary, overridden by the
//! estate's of the same name; each template compiled once; each claim
//! kind's schema compiled, its defaults applied to a claim before it is
//! validated. Also the entry point golden tests render one claim through.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::builtin;
use super::engine::{self, Engine, TemplateSource};
use super::place::force_namespace;
use super::view;
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::model::kinds::{CompositionSpec, Object};
use crate::model::{Item, Model, Name};

/// A composition ready to run: its spec, where it was defined, and the
/// names its steps' templates are registered under.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub name: Name,
    pub spec: CompositionSpec,
    /// File the Composition is defined in (`kprov:compositions/…` for built-ins).
    pub file: String,
    /// Registered template name of each step.
    pub steps: Vec<(Name, String)>,
    pub builtin: bool,
}

/// The composition engine of one estate: built-ins, estate compositions and
/// definitions, with every template compiled once.
pub struct Compositions {
    pub(super) engine: Engine,
    pub(crate) by_name: BTreeMap<Name, Prepared>,
    pub(super) validators: BTreeMap<String, ClaimSchema>,
}

/// A Definition, compiled: its claim schema and whether its compositions may
/// emit cluster-scoped objects.
pub(super) struct ClaimSchema {
    pub(super) validator: jsonschema::Validator,
    pub(super) schema: Value,
    pub(super) cluster_scoped: bool,
}

/// Normalize `base_dir/relative` into a path inside the estate, or `None`
/// when it climbs out.
pub(super) fn join_inside(base_dir: &str, relative: &str) -> Option<String> {
    let mut parts: Vec<&str> = base_dir.split('/').filter(|p| !p.is_empty()).collect();
    if relative.starts_with('/') {
        return None;
    }
    for part in relative.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

pub(super) fn parent_dir(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

impl Compositions {
    /// Prepare every composition the estate uses; problems (missing
    /// templates, template syntax errors, bad claim schemas) are reported.
    pub fn prepare(model: &Model, out: &mut Vec<Diagnostic>) -> Compositions {
        let mut engine = Engine::new();
        let mut by_name = BTreeMap::new();
        for (path, text) in builtin::FILES
            .iter()
            .filter(|(p, _)| p.ends_with("composition.yaml"))
        {
            let stream = crate::yaml::parse_stream(text, crate::yaml::Limits::default());
            let Some(doc) = stream.documents.into_iter().next() else {
                continue;
            };
            let Ok(object) = serde_json::from_value::<Object<CompositionSpec>>(doc.value) else {
                continue;
            };
            let name = object.metadata.name.clone();
            if let Some(estate) = model.compositions.get(&name) {
                out.push(Diagnostic::warning(
                    Code::BuiltinOverridden,
                    Some(estate.origin.at("/metadata/name")),
                    format!("this Composition replaces kprov's built-in `{name}` composition"),
                ));
                continue;
            }
            let file = format!("kprov:{path}");
            let steps = register_steps(
                &mut engine,
                &object.spec,
                &file,
                parent_dir(path),
                None,
                |p| builtin::file(p).map(str::to_owned),
                out,
            );
            by_name.insert(
                name.clone(),
                Prepared {
                    name,
                    spec: object.spec,
                    file,
                    steps,
                    builtin: true,
                },
            );
        }
        for (name, item) in &model.compositions {
            let file = item.origin.file().to_owned();
            let steps = register_steps(
                &mut engine,
                &item.spec,
                &file,
                parent_dir(&file),
                Some(item),
                |p| model.files.templates.get(p).cloned(),
                out,
            );
            let builtin =
                crate::model::kinds::BUILTIN_CLAIM_KINDS.contains(&item.spec.kind.as_str());
            by_name.insert(
                name.clone(),
                Prepared {
                    name: name.clone(),
                    spec: item.spec.clone(),
                    file,
                    steps,
                    builtin,
                },
            );
        }
        let mut validators = BTreeMap::new();
        for definition in model.definitions.values() {
            let schema = Value::Object(definition.spec.schema.clone());
            match jsonschema::draft7::options().build(&schema) {
                Ok(validator) => {
                    validators.insert(
                        definition.spec.kind.clone(),
                        ClaimSchema {
                            validator,
                            schema,
                            cluster_scoped: definition.spec.cluster_scoped,
                        },
                    );
                }
                Err(e) => out.push(Diagnostic::error(
                    Code::InvalidSchema,
                    Some(
                        definition
                            .origin
                            .at(&format!("/spec/schema{}", e.instance_path().as_str())),
                    ),
                    format!("not a valid JSON Schema: {e}"),
                )),
            }
        }
        Compositions {
            engine,
            by_name,
            validators,
        }
    }

    /// Apply the Definition's defaults to a claim spec of `kind` and validate
    /// it; every violation as (JSON pointer inside the spec, message).
    pub(crate) fn prepare_claim(&self, kind: &str, spec: &mut Value) -> Vec<(String, String)> {
        let Some(claim_schema) = self.validators.get(kind) else {
            return Vec::new();
        };
        apply_defaults(&claim_schema.schema, spec);
        claim_schema
            .validator
            .iter_errors(spec)
            .map(|e| (e.instance_path().as_str().to_owned(), e.to_string()))
            .collect()
    }

    /// Whether compositions of claim `kind` may emit cluster-scoped objects.
    pub(crate) fn cluster_scoped(&self, kind: &str) -> bool {
        self.validators.get(kind).is_some_and(|c| c.cluster_scoped)
    }

    /// Run composition `name` for one claim; the objects of all its steps.
    /// Each step sees the objects of the steps before it as `composed`.
    pub(crate) fn run(
        &self,
        prepared: &Prepared,
        mut context: engine::Context,
    ) -> Result<Vec<Value>, engine::RenderError> {
        // Later steps read earlier objects through views of the very
        // documents returned, so nothing is copied unless a template keeps
        // a view alive (then the document is cloned).
        let mut composed: Vec<Arc<Value>> = Vec::new();
        let mut seen: Vec<minijinja::Value> = Vec::new();
        for (i, (_, template)) in prepared.steps.iter().enumerate() {
            context.insert("composed", minijinja::Value::from(seen.clone()));
            let objects = self.engine.render(template, &context)?;
            let later = i + 1 < prepared.steps.len();
            for object in objects {
                let object = Arc::new(object);
                if later {
                    seen.push(view::shared(object.clone()));
                }
                composed.push(object);
            }
        }
        drop((context, seen));
        let composed = composed
            .into_iter()
            .map(|o| Arc::try_unwrap(o).unwrap_or_else(|shared| (*shared).clone()))
            .collect();
        Ok(composed)
    }
}

pub(super) fn register_steps(
    engine: &mut Engine,
    spec: &CompositionSpec,
    file: &str,
    dir: &str,
    item: Option<&Item<CompositionSpec>>,
    read: impl Fn(&str) -> Option<String>,
    out: &mut Vec<Diagnostic>,
) -> Vec<(Name, String)> {
    let mut steps = Vec::new();
    for (i, step) in spec.pipeline.iter().enumerate() {
        let at = |field: &str| item.map(|it| it.origin.at(&format!("/spec/pipeline/{i}/{field}")));
        let (name, text, first_line) = match (&step.template, &step.inline) {
            (Some(path), None) => {
                let Some(resolved) = join_inside(dir, path) else {
                    out.push(Diagnostic::error(
                        Code::Template,
                        at("template"),
                        format!("template path `{path}` leaves the estate"),
                    ));
                    continue;
                };
                let Some(text) = read(&resolved) else {
                    out.push(Diagnostic::error(Code::Template, at("template"), format!("template `{resolved}` not found (paths are relative to the Composition's file)")));
                    continue;
                };
                let shown = if file.starts_with("kprov:") {
                    format!("kprov:{resolved}")
                } else {
                    resolved
                };
                (shown.clone(), text, (shown, 1))
            }
            (None, Some(text)) => {
                // Inline text starts on the line after a block scalar's `|`.
                let line = at("inline").map_or(1, |l| l.line + 1);
                (
                    format!("{file}#{}", step.step),
                    text.clone(),
                    (file.to_owned(), line),
                )
            }
            _ => {
                out.push(Diagnostic::error(
                    Code::Template,
                    at("step"),
                    "a step has exactly one of `template` and `inline`",
                ));
                continue;
            }
        };
        if let Err(e) = engine.add(
            name.clone(),
            text,
            TemplateSource {
                file: first_line.0,
                first_line: first_line.1,
            },
        ) {
            out.push(render_diagnostic(
                &e,
                at("step"),
                "the step that uses the template",
            ));
            continue;
        }
        steps.push((step.step.clone(), name));
    }
    steps
}

pub(super) fn render_diagnostic(
    e: &engine::RenderError,
    context: Option<Location>,
    why: &str,
) -> Diagnostic {
    let location =
        e.at.as_ref()
            .map(|(file, line)| Location::in_file(file.clone(), *line, 1));
    let d = Diagnostic::error(Code::Template, location.clone(), e.message.clone());
    match context {
        Some(c) if location.is_some() => d.with_note(Some(c), why),
        Some(c) => Diagnostic::error(Code::Template, Some(c), e.message.clone()),
        None => d,
    }
}

/// Fill in `default`s of a JSON Schema into `value`, recursively through
/// `properties` and `items`.
pub(crate) fn apply_defaults(schema: &Value, value: &mut Value) {
    if let (Some(props), Value::Object(map)) = (
        schema.get("properties").and_then(Value::as_object),
        &mut *value,
    ) {
        for (key, sub) in props {
            match map.get_mut(key) {
                Some(v) => apply_defaults(sub, v),
                None => {
                    if let Some(default) = sub.get("default") {
                        let mut d = default.clone();
                        apply_defaults(sub, &mut d);
                        map.insert(key.clone(), d);
                    }
                }
            }
        }
    }
    if let (Some(items), Value::Array(list)) = (schema.get("items"), value) {
        for v in list {
            apply_defaults(items, v);
        }
    }
}

impl Compositions {
    /// The compositions defined in `file` (relative to the estate root).
    pub(crate) fn defined_in(&self, file: &str) -> Vec<Name> {
        self.by_name
            .values()
            .filter(|p| p.file == file)
            .map(|p| p.name.clone())
            .collect()
    }

    /// Render `claim` (its `name` and `spec`; `kind` defaults to the
    /// composition's) with composition `name` outside any estate, for a
    /// golden test: in `namespace`, with the rest of the template `context`
    /// given. The objects come back forced into the namespace, as in a
    /// compile; the error is one readable text.
    pub(crate) fn render_claim(
        &self,
        name: &Name,
        mut claim: serde_json::Map<String, Value>,
        namespace: Value,
        context: [(&'static str, Value); 4],
    ) -> Result<Vec<Value>, String> {
        let Some(prepared) = self.by_name.get(name) else {
            return Err(format!("no composition `{name}`"));
        };
        let kind = prepared.spec.kind.clone();
        claim
            .entry("kind")
            .or_insert_with(|| Value::String(kind.clone()));
        claim
            .entry("name")
            .or_insert_with(|| Value::String("test".into()));
        let mut spec = claim
            .remove("spec")
            .unwrap_or_else(|| Value::Object(Map::new()));
        let problems = self.prepare_claim(&kind, &mut spec);
        if !problems.is_empty() {
            let lines: Vec<String> = problems
                .iter()
                .map(|(p, m)| format!("claim.spec{p}: {m}"))
                .collect();
            return Err(lines.join("\n"));
        }
        claim.insert("spec".into(), spec);
        let mut template_context = engine::Context::new();
        let value = engine::template_value;
        template_context.insert("claim", value(Value::Object(claim)));
        template_context.insert("namespace", value(namespace.clone()));
        for (key, part) in context {
            template_context.insert(key, value(part));
        }
        let mut objects = self
            .run(prepared, template_context)
            .map_err(|e| match e.at {
                Some((file, line)) => format!("{file}:{line}: {}", e.message),
                None => e.message,
            })?;
        let namespace = namespace.as_str().unwrap_or("test").to_owned();
        let cluster_scoped = prepared.builtin || self.cluster_scoped(&kind);
        for object in &mut objects {
            let text = |keys: &[&str]| crate::yaml::str_at(object, keys).to_owned();
            let (kind, name) = (text(&["kind"]), text(&["metadata", "name"]));
            let Some(map) = object.as_object_mut() else {
                return Err("a composed document is not a mapping".into());
            };
            force_namespace(map, &kind, &name, &namespace, cluster_scoped)?;
        }
        Ok(objects)
    }
}
