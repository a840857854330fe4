//! Compositions (DESIGN §3): claims become Kubernetes objects through
//! pipelines of minijinja templates.
//!
//! Everything kprov emits goes through a composition. The built-in ones
//! (`namespace`, `volume`, `virtual-machine`, `flux-sync`) receive claims that
//! kprov synthesizes from the resolved hierarchy; estate compositions receive
//! the claims of `Project.spec.resources`, validated against their
//! Definition's schema with its defaults applied. An estate may replace a
//! built-in by shipping a Composition of the same name.
//!
//! The stage is pure: templates come from [`Sources`] or from the binary, and
//! the result is a list of [`Composed`] objects plus diagnostics.

pub mod builtin;
mod context;
mod engine;
mod scalar;
mod view;

use std::collections::BTreeMap;
use std::sync::Arc;

use rayon::prelude::*;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::diagnostic::{Code, Diagnostic, Location};
use crate::hierarchy::{Hierarchy, Namespace};
use crate::model::kinds::{API_VERSION, CompositionSpec, Object};
use crate::model::{Item, Model, Name};
use engine::{Engine, TemplateSource};

/// Which output directory of a cluster an object belongs in (DESIGN §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Layer {
    /// Platform objects: the `namespace` composition, cluster-scoped objects.
    Config,
    /// Everything else: volumes, VMs, Flux sync, estate claims.
    Apps,
}

/// One object produced by a composition, with where it goes and why.
#[derive(Debug, Clone, Serialize)]
pub struct Composed {
    /// Cluster it is for.
    pub cluster: Name,
    /// Namespace, or `None` for a cluster-scoped object.
    pub namespace: Option<Name>,
    /// Project of the namespace whose claim produced it.
    pub project: Name,
    /// Output layer.
    pub layer: Layer,
    /// Output file name within the layer, without `.yaml`: the claim's
    /// namespace, or `_cluster` for cluster-scoped objects of estate compositions.
    pub file_stem: String,
    /// The object.
    pub object: Value,
    /// Composition that produced it.
    pub composition: Name,
    /// The claim it was produced for, e.g. `Volume data (project checkout)`.
    /// Shared by every object of the claim.
    pub claim: Arc<str>,
    /// Input files it derives from, relative to the estate root, sorted.
    /// Shared by every object of the claim.
    pub sources: Arc<[String]>,
}

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

/// Kinds that live outside namespaces; a composition may emit them only when
/// its Definition says `clusterScoped: true`.
pub const CLUSTER_SCOPED_KINDS: &[&str] = &[
    "APIService",
    "CSIDriver",
    "ClusterIssuer",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "IngressClass",
    "MutatingWebhookConfiguration",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PriorityClass",
    "RuntimeClass",
    "StorageClass",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
    "VirtualMachineClusterInstancetype",
    "VirtualMachineClusterPreference",
    "VolumeSnapshotClass",
];

/// The composition engine of one estate: built-ins, estate compositions and
/// definitions, with every template compiled once.
pub struct Compositions {
    engine: Engine,
    pub(crate) by_name: BTreeMap<Name, Prepared>,
    validators: BTreeMap<String, ClaimSchema>,
}

/// A Definition, compiled: its claim schema and whether its compositions may
/// emit cluster-scoped objects.
struct ClaimSchema {
    validator: jsonschema::Validator,
    schema: Value,
    cluster_scoped: bool,
}

/// Normalize `base_dir/relative` into a path inside the estate, or `None`
/// when it climbs out.
fn join_inside(base_dir: &str, relative: &str) -> Option<String> {
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

fn parent_dir(path: &str) -> &str {
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

fn register_steps(
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

fn render_diagnostic(e: &engine::RenderError, context: Option<Location>, why: &str) -> Diagnostic {
    let location = e.at.as_ref().map(|(file, line)| Location {
        file: file.clone(),
        line: *line,
        column: 1,
        path: String::new(),
    });
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

/// One claim to compose.
struct Claim<'a> {
    kind: &'a str,
    name: String,
    spec: Value,
    composition: &'a Prepared,
    layer: Layer,
    cluster_scoped_allowed: bool,
    /// Where the claim is defined: the project's document and a pointer,
    /// resolved to a [`Location`] only for a diagnostic.
    origin: &'a crate::model::Origin,
    pointer: String,
    what: String,
}

impl Claim<'_> {
    fn at(&self) -> Location {
        self.origin.at(&self.pointer)
    }
}

/// Compose every object of every namespace.
pub fn build(model: &Model, hierarchy: &Hierarchy) -> (Vec<Composed>, Vec<Diagnostic>) {
    let mut out = Vec::new();
    let compositions = Compositions::prepare(model, &mut out);
    if crate::diagnostic::has_errors(&out) {
        return (Vec::new(), out);
    }
    let contexts = context::Contexts::new(model);
    // Namespaces compose independently; rayon keeps the results in namespace
    // order, so the output is the same for any number of threads. Identities
    // are hashed for the duplicate check right here, while the objects are
    // still in cache: afterwards, reading them means a miss per object.
    let per_namespace: Vec<(Vec<Composed>, Vec<u64>, Vec<Diagnostic>)> = hierarchy
        .namespaces
        .values()
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|ns| {
            let (objects, diagnostics) = compose_namespace(&compositions, &contexts, model, ns);
            let hashes = objects.iter().map(identity_hash).collect();
            (objects, hashes, diagnostics)
        })
        .collect();
    let total = per_namespace.iter().map(|(o, _, _)| o.len()).sum();
    let (mut composed, mut hashes) = (Vec::with_capacity(total), Vec::with_capacity(total));
    for (objects, object_hashes, diagnostics) in per_namespace {
        composed.extend(objects);
        hashes.extend(object_hashes);
        out.extend(diagnostics);
    }
    duplicates(&composed, hashes, &mut out);
    crate::diagnostic::sort(&mut out);
    // Freeing every project's converted spec took a hundredth of a compile
    // on one thread, with the other idle; the pool frees it instead, beside
    // the checks and emission that come next.
    rayon::spawn(move || drop(contexts));
    (composed, out)
}

/// Every object of one namespace.
fn compose_namespace(
    compositions: &Compositions,
    contexts: &context::Contexts,
    model: &Model,
    ns: &Namespace,
) -> (Vec<Composed>, Vec<Diagnostic>) {
    let mut out = Vec::new();
    let mut composed = Vec::new();
    let (Some(project), Some(cluster)) = (
        model.projects.get(&ns.project),
        model.clusters.get(&ns.cluster),
    ) else {
        return (composed, out);
    };
    let base = contexts.base(ns, project, cluster);
    let mut sources = vec![project.origin.file().to_owned()];
    sources.extend(
        ns.tenants
            .iter()
            .filter_map(|t| model.tenants.get(t))
            .map(|t| t.origin.file().to_owned()),
    );
    sources.sort();
    sources.dedup();
    // Claims of built-in compositions (nearly all) share one list.
    let namespace_sources: Arc<[String]> = sources.into();
    for mut claim in claims(compositions, model, ns, project, cluster, &mut out) {
        let mut context = base.clone();
        context.insert(
            "claim",
            engine::template_value(context::object([
                ("kind", claim.kind.into()),
                ("name", claim.name.as_str().into()),
                ("spec", std::mem::take(&mut claim.spec)),
            ])),
        );
        match compositions.run(claim.composition, context) {
            Ok(objects) => {
                let sources = match claim.composition.file.starts_with("kprov:") {
                    true => namespace_sources.clone(),
                    false => {
                        let mut sources = namespace_sources.to_vec();
                        sources.push(claim.composition.file.clone());
                        sources.sort();
                        sources.dedup();
                        sources.into()
                    }
                };
                let shared = Shared {
                    sources,
                    claim: claim.what.as_str().into(),
                };
                for object in objects {
                    if let Some(c) = place(object, &claim, ns, &shared, &mut out) {
                        composed.push(c);
                    }
                }
            }
            Err(e) => out.push(render_diagnostic(
                &e,
                Some(claim.at()),
                "while composing the claim defined here",
            )),
        }
    }
    (composed, out)
}

/// What every object composed for one claim shares.
struct Shared {
    sources: Arc<[String]>,
    claim: Arc<str>,
}

impl Compositions {
    /// The compositions defined in `file` (relative to the estate root).
    pub fn defined_in(&self, file: &str) -> Vec<Name> {
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
    pub fn render_claim(
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

/// Check one composed object and fix its namespace.
fn place(
    mut object: Value,
    claim: &Claim<'_>,
    ns: &Namespace,
    shared: &Shared,
    out: &mut Vec<Diagnostic>,
) -> Option<Composed> {
    let error = |message: String| {
        Diagnostic::error(
            Code::ComposedObject,
            Some(claim.at()),
            format!(
                "composition `{}` for {}: {message}",
                claim.composition.name, claim.what
            ),
        )
    };
    let text = |keys: &[&str]| crate::yaml::str_at(&object, keys).to_owned();
    let (api_version, kind, name) = (
        text(&["apiVersion"]),
        text(&["kind"]),
        text(&["metadata", "name"]),
    );
    let bound_role = text(&["roleRef", "name"]);
    let binds_forbidden_role = matches!(kind.as_str(), "RoleBinding" | "ClusterRoleBinding")
        && crate::model::names::is_forbidden_role(&bound_role);
    let redirected = redirect(&object, &api_version, &kind, &name, ns.name.as_str());
    let Some(map) = object.as_object_mut() else {
        out.push(error("produced a document that is not a mapping".into()));
        return None;
    };
    if api_version.is_empty() || kind.is_empty() || name.is_empty() {
        out.push(error(
            "produced an object without apiVersion, kind or metadata.name".into(),
        ));
        return None;
    }
    if api_version == API_VERSION {
        out.push(error(format!(
            "produced a kprov input object ({kind} {name}); compositions emit Kubernetes objects"
        )));
        return None;
    }
    if binds_forbidden_role {
        out.push(error(format!(
            "{kind} `{name}` binds `{bound_role}`; kprov never grants `cluster-admin` or a `system:` role"
        )));
        return None;
    }
    if let Some(message) = redirected {
        out.push(error(message));
        return None;
    }
    let namespace = match force_namespace(
        map,
        &kind,
        &name,
        ns.name.as_str(),
        claim.cluster_scoped_allowed,
    ) {
        Ok(true) => Some(ns.name.clone()),
        Ok(false) => None,
        Err(message) => {
            out.push(error(message));
            return None;
        }
    };
    // The built-in namespace composition's Namespace object belongs with the
    // namespace it creates; other cluster-scoped objects share one file.
    let (layer, file_stem) = match (&namespace, claim.layer) {
        (None, Layer::Apps) => (Layer::Config, "_cluster".to_owned()),
        _ => (claim.layer, ns.name.to_string()),
    };
    Some(Composed {
        cluster: ns.cluster.clone(),
        namespace,
        project: ns.project.clone(),
        layer,
        file_stem,
        object,
        composition: claim.composition.name.clone(),
        claim: shared.claim.clone(),
        sources: shared.sources.clone(),
    })
}

/// Fields through which an object that lives in the claim's namespace
/// writes to, or reads from, another one: a Flux Kustomization or
/// HelmRelease applies with the controller's own rights into its
/// `targetNamespace`, so placing the object is not enough. By API group,
/// kind, and the field's path; `[]` stands for every item of a list.
const NAMESPACE_FIELDS: &[(&str, &str, &str)] = &[
    (FLUX_KUSTOMIZE, "Kustomization", "spec.targetNamespace"),
    (FLUX_KUSTOMIZE, "Kustomization", "spec.sourceRef.namespace"),
    (
        FLUX_KUSTOMIZE,
        "Kustomization",
        "spec.dependsOn[].namespace",
    ),
    (FLUX_HELM, "HelmRelease", "spec.targetNamespace"),
    (FLUX_HELM, "HelmRelease", "spec.storageNamespace"),
    (
        FLUX_HELM,
        "HelmRelease",
        "spec.chart.spec.sourceRef.namespace",
    ),
    (FLUX_HELM, "HelmRelease", "spec.chartRef.namespace"),
    (FLUX_HELM, "HelmRelease", "spec.dependsOn[].namespace"),
    (FLUX_NOTIFICATION, "Alert", "spec.eventSources[].namespace"),
];

/// Fields that send an object's writes to another cluster altogether.
const CLUSTER_FIELDS: &[(&str, &str, &str)] = &[
    (FLUX_KUSTOMIZE, "Kustomization", "spec.kubeConfig"),
    (FLUX_HELM, "HelmRelease", "spec.kubeConfig"),
];

const FLUX_KUSTOMIZE: &str = "kustomize.toolkit.fluxcd.io";
const FLUX_HELM: &str = "helm.toolkit.fluxcd.io";
const FLUX_NOTIFICATION: &str = "notification.toolkit.fluxcd.io";

/// Why an object reaches beyond the claim's namespace through one of its
/// fields, if it does.
fn redirect(
    object: &Value,
    api_version: &str,
    kind: &str,
    name: &str,
    namespace: &str,
) -> Option<String> {
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    let applies = |(g, k, _): &&(&str, &str, &str)| *g == group && *k == kind;
    fn values<'v>(node: &'v Value, path: &[&str], found: &mut Vec<&'v Value>) {
        let Some((key, rest)) = path.split_first() else {
            found.push(node);
            return;
        };
        let (key, each) = match key.strip_suffix("[]") {
            Some(key) => (key, true),
            None => (*key, false),
        };
        let Some(child) = crate::yaml::field(node, key) else {
            return;
        };
        if each {
            for item in child.as_array().into_iter().flatten() {
                values(item, rest, found);
            }
        } else {
            values(child, rest, found);
        }
    }
    let at = |path: &str| {
        let mut found = Vec::new();
        values(object, &path.split('.').collect::<Vec<_>>(), &mut found);
        found
    };
    for (_, _, path) in CLUSTER_FIELDS.iter().filter(applies) {
        if !at(path).is_empty() {
            return Some(format!(
                "{kind} `{name}` sets `{path}`: it would apply to another cluster; a claim's objects stay in its namespace `{namespace}`"
            ));
        }
    }
    for (_, _, path) in NAMESPACE_FIELDS.iter().filter(applies) {
        if let Some(other) = at(path).into_iter().find(|v| v.as_str() != Some(namespace)) {
            return Some(format!(
                "{kind} `{name}` sets `{path}` to {other}; a claim's objects stay in, and read from, its namespace `{namespace}`"
            ));
        }
    }
    None
}

/// Put a namespaced object into `namespace` (refusing one that names
/// another) and refuse cluster-scoped kinds unless allowed. `Ok(true)` when
/// the object is namespaced.
pub(crate) fn force_namespace(
    map: &mut Map<String, Value>,
    kind: &str,
    name: &str,
    namespace: &str,
    cluster_scoped_allowed: bool,
) -> Result<bool, String> {
    let Some(meta) = map.get_mut("metadata").and_then(Value::as_object_mut) else {
        return Err(format!("{kind} `{name}` has no metadata mapping"));
    };
    if CLUSTER_SCOPED_KINDS.contains(&kind) {
        if !cluster_scoped_allowed {
            return Err(format!(
                "{kind} `{name}` is cluster-scoped; only compositions whose Definition says `clusterScoped: true` may emit cluster-scoped objects"
            ));
        }
        meta.remove("namespace");
        return Ok(false);
    }
    match meta.get("namespace").and_then(Value::as_str) {
        Some(other) if other != namespace => Err(format!(
            "{kind} `{name}` names namespace `{other}`; a claim's objects stay in its namespace `{namespace}`"
        )),
        _ => {
            meta.insert("namespace".into(), Value::String(namespace.to_owned()));
            Ok(true)
        }
    }
}

/// Cluster, API group, kind, namespace, name.
type Identity<'c> = (&'c str, &'c str, &'c str, &'c str, &'c str);

/// Cluster, API group, kind, namespace and name: what makes two objects one.
fn identity(c: &Composed) -> Identity<'_> {
    let text = |keys: &[&str]| crate::yaml::str_at(&c.object, keys);
    let group = text(&["apiVersion"])
        .rsplit_once('/')
        .map_or("", |(g, _)| g);
    (
        c.cluster.as_str(),
        group,
        text(&["kind"]),
        c.namespace.as_ref().map_or("", |n| n.as_str()),
        text(&["metadata", "name"]),
    )
}

/// [`identity`] hashed, with a fixed hasher: equal identities, equal hashes.
fn identity_hash(c: &Composed) -> u64 {
    use std::hash::BuildHasher as _;
    foldhash::fast::FixedState::default().hash_one(identity(c))
}

/// Two objects with one identity on one cluster would overwrite each other.
/// `hashes` holds each object's [`identity_hash`]: sorted with their
/// positions, equal identities land in one run of equal hashes, in output
/// order, so "first" is deterministic; runs longer than one are compared in
/// full.
fn duplicates(composed: &[Composed], hashes: Vec<u64>, out: &mut Vec<Diagnostic>) {
    let mut ids: Vec<(u64, usize)> = hashes.into_iter().zip(0..).collect();
    ids.par_sort_unstable();
    for run in ids
        .chunk_by(|(a, _), (b, _)| a == b)
        .filter(|run| run.len() > 1)
    {
        for (n, (_, i)) in run.iter().enumerate() {
            let key = identity(&composed[*i]);
            let Some((_, first)) = run[..n]
                .iter()
                .find(|(_, j)| identity(&composed[*j]) == key)
            else {
                continue;
            };
            out.push(Diagnostic::error(
                Code::DuplicateObject,
                None,
                format!(
                    "{} `{}` in namespace `{}` on cluster `{}` is produced twice: by {} and by {}",
                    key.2, key.4, key.3, key.0, composed[*first].claim, composed[*i].claim
                ),
            ));
        }
    }
}

/// Every claim of one namespace: the namespace itself, then volumes, VMs,
/// Flux sync and estate claims, in source order.
fn claims<'c>(
    compositions: &'c Compositions,
    model: &Model,
    ns: &Namespace,
    project: &'c Item<crate::model::kinds::ProjectSpec>,
    cluster: &Item<crate::model::kinds::ClusterSpec>,
    out: &mut Vec<Diagnostic>,
) -> Vec<Claim<'c>> {
    let mut claims = Vec::new();
    let builtin = |name: &str| compositions.by_name.get(name);
    let spec = &project.spec;
    let origin = &project.origin;
    let in_env =
        |filter: &Option<Vec<Name>>| filter.as_ref().is_none_or(|f| f.contains(&ns.environment));
    if let Some(c) = builtin(builtin::NAMESPACE) {
        claims.push(Claim {
            kind: "Namespace",
            name: ns.name.to_string(),
            spec: context::namespace_claim(ns),
            composition: c,
            layer: Layer::Config,
            cluster_scoped_allowed: true,
            origin,
            pointer: format!("/spec/environments/{}", ns.environment_index),
            what: format!("namespace {} (project {})", ns.name, ns.project),
        });
    }
    if let Some(c) = builtin(builtin::VOLUME) {
        for (i, volume) in spec
            .volumes
            .iter()
            .enumerate()
            .filter(|(_, v)| in_env(&v.environments))
        {
            let Some(spec) = context::volume_claim(volume, cluster) else {
                continue;
            };
            claims.push(Claim {
                kind: "Volume",
                name: volume.name.to_string(),
                spec,
                composition: c,
                layer: Layer::Apps,
                cluster_scoped_allowed: false,
                origin,
                pointer: format!("/spec/volumes/{i}"),
                what: format!("volume {} (project {})", volume.name, ns.project),
            });
        }
    }
    if let Some(c) = builtin(builtin::VIRTUAL_MACHINE) {
        for (i, vm) in spec
            .virtual_machines
            .iter()
            .enumerate()
            .filter(|(_, v)| in_env(&v.environments))
        {
            let Some(spec) = context::vm_claim(vm, cluster) else {
                continue;
            };
            claims.push(Claim {
                kind: "VirtualMachine",
                name: vm.name.to_string(),
                spec,
                composition: c,
                layer: Layer::Apps,
                cluster_scoped_allowed: false,
                origin,
                pointer: format!("/spec/virtualMachines/{i}"),
                what: format!("virtual machine {} (project {})", vm.name, ns.project),
            });
        }
    }
    if let (Some(c), Some(sync)) = (builtin(builtin::FLUX_SYNC), &spec.sync) {
        claims.push(Claim {
            kind: "FluxSync",
            name: ns.project.to_string(),
            spec: context::sync_claim(sync, spec.notify.as_ref(), ns),
            composition: c,
            layer: Layer::Apps,
            cluster_scoped_allowed: false,
            origin,
            pointer: "/spec/sync".into(),
            what: format!("Flux sync (project {})", ns.project),
        });
    }
    for (i, claim) in spec
        .resources
        .iter()
        .enumerate()
        .filter(|(_, c)| in_env(&c.environments))
    {
        let pointer = format!("/spec/resources/{i}");
        let candidates: Vec<&Prepared> = compositions
            .by_name
            .values()
            .filter(|p| p.spec.kind == claim.kind && !p.builtin)
            .collect();
        let definition = model
            .definitions
            .values()
            .find(|d| d.spec.kind == claim.kind);
        let chosen = match &claim.composition {
            Some(name) => candidates.iter().find(|p| &p.name == name).copied(),
            None if candidates.len() == 1 => Some(candidates[0]),
            None => definition
                .and_then(|d| d.spec.default_composition.as_ref())
                .and_then(|n| candidates.iter().find(|p| &p.name == n).copied()),
        };
        let Some(composition) = chosen else {
            let names: Vec<&str> = candidates.iter().map(|p| p.name.as_str()).collect();
            let message = match (&claim.composition, names.is_empty()) {
                (_, true) => format!("no Composition serves kind `{}`", claim.kind),
                (Some(n), false) => format!(
                    "composition `{n}` does not serve kind `{}`; these do: {}",
                    claim.kind,
                    names.join(", ")
                ),
                (None, false) => format!(
                    "several compositions serve kind `{}` ({}); choose one with `composition:` or set the Definition's `defaultComposition`",
                    claim.kind,
                    names.join(", ")
                ),
            };
            out.push(Diagnostic::error(
                Code::NoComposition,
                Some(origin.at(&pointer)),
                message,
            ));
            continue;
        };
        let mut claim_spec = Value::Object(claim.spec.clone());
        let cluster_scoped_allowed = compositions.cluster_scoped(&claim.kind);
        let errors = compositions.prepare_claim(&claim.kind, &mut claim_spec);
        if !errors.is_empty() {
            for (pointer, message) in errors {
                out.push(Diagnostic::error(
                    Code::InvalidClaim,
                    Some(origin.at(&format!("/spec/resources/{i}/spec{pointer}"))),
                    format!("{} {}: {message}", claim.kind, claim.name),
                ));
            }
            continue;
        }
        claims.push(Claim {
            kind: &composition.spec.kind,
            name: claim.name.to_string(),
            spec: claim_spec,
            composition,
            layer: Layer::Apps,
            cluster_scoped_allowed,
            origin,
            pointer,
            what: format!("{} {} (project {})", claim.kind, claim.name, ns.project),
        });
    }
    claims
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    #[test]
    fn redirecting_fields_are_found_in_lists_and_nested_specs() {
        let flux = |api: &str, kind: &str, spec: Value| {
            let object =
                json!({"apiVersion": api, "kind": kind, "metadata": {"name": "x"}, "spec": spec});
            super::redirect(&object, api, kind, "x", "shop-dev")
        };
        let kustomization = "kustomize.toolkit.fluxcd.io/v1";
        assert_eq!(
            flux(
                kustomization,
                "Kustomization",
                json!({"targetNamespace": "shop-dev", "dependsOn": [{"name": "a"}, {"name": "b", "namespace": "shop-dev"}]})
            ),
            None
        );
        let other = flux(
            kustomization,
            "Kustomization",
            json!({"dependsOn": [{"name": "a"}, {"name": "b", "namespace": "flux-system"}]}),
        );
        assert!(
            other.is_some_and(|m| m.contains("`spec.dependsOn[].namespace` to \"flux-system\""))
        );
        let remote = flux(
            kustomization,
            "Kustomization",
            json!({"kubeConfig": {"secretRef": {"name": "k"}}}),
        );
        assert!(remote.is_some_and(|m| m.contains("another cluster")));
        let helm = flux(
            "helm.toolkit.fluxcd.io/v2",
            "HelmRelease",
            json!({"chart": {"spec": {"sourceRef": {"namespace": "flux-system"}}}}),
        );
        assert!(helm.is_some_and(|m| m.contains("spec.chart.spec.sourceRef.namespace")));
        let alert = flux(
            "notification.toolkit.fluxcd.io/v1beta3",
            "Alert",
            json!({"eventSources": [{"kind": "Kustomization", "name": "*", "namespace": "kube-system"}]}),
        );
        assert!(alert.is_some());
        // Another API's field of the same name is not Flux's.
        assert_eq!(
            flux(
                "example.com/v1",
                "Kustomization",
                json!({"targetNamespace": "kube-system"})
            ),
            None
        );
    }

    const ESTATE: &[(&str, &str)] = &[
        (
            "kprov.yaml",
            "apiVersion: kprov.dev/v1alpha1\nkind: Estate\nmetadata: {name: e}\nspec: {}\n",
        ),
        (
            "clusters.yaml",
            "apiVersion: kprov.dev/v1alpha1\nkind: Cluster\nmetadata: {name: c1}\nspec: {environment: dev, storage: {default: fast, tiers: {fast: {storageClass: local-path, accessModes: [ReadWriteOnce]}}}}\n",
        ),
        (
            "org.yaml",
            "apiVersion: kprov.dev/v1alpha1\nkind: Tenant\nmetadata: {name: org}\nspec: {costCenter: CC-1}\n",
        ),
        (
            "w/composition.yaml",
            "apiVersion: kprov.dev/v1alpha1\nkind: Definition\nmetadata: {name: widgets}\nspec:\n  kind: Widget\n  schema: {type: object, properties: {note: {type: string}, size: {type: string, default: 1Gi}}}\n---\napiVersion: kprov.dev/v1alpha1\nkind: Composition\nmetadata: {name: widget}\nspec:\n  kind: Widget\n  pipeline: [{step: one, template: one.yaml.j2}]\n",
        ),
        (
            "w/one.yaml.j2",
            "apiVersion: example.com/v1\nkind: Gadget\nmetadata:\n  name: {{ claim.name }}-cfg\n  labels: {app: {{ claim.name }}}\ndata:\n  note: {{ claim.spec.note }}\n  size: {{ claim.spec.size }}\n  list: [{{ claim.spec.note }}, x]\n",
        ),
    ];

    fn compose_notes(notes: &[&str]) -> Vec<Value> {
        let compiled = compile_notes(notes, |_| {});
        assert!(
            !crate::diagnostic::has_errors(&compiled.diagnostics),
            "{:#?}",
            compiled.diagnostics
        );
        compiled
            .composed
            .unwrap()
            .into_iter()
            .filter(|c| c.object["kind"] == "Gadget")
            .map(|c| c.object)
            .collect()
    }

    /// The estate above with one Widget claim per note, its files changed
    /// by `edit` first.
    fn compile_notes(notes: &[&str], edit: impl Fn(&mut Vec<(String, String)>)) -> crate::Compiled {
        let resources: String = notes
            .iter()
            .enumerate()
            .map(|(i, n)| {
                format!(
                    "    - {{kind: Widget, name: w{i}, spec: {{note: {}}}}}\n",
                    serde_json::to_string(n).unwrap()
                )
            })
            .collect();
        let project = format!(
            "apiVersion: kprov.dev/v1alpha1\nkind: Project\nmetadata: {{name: p}}\nspec:\n  tenant: org\n  environments: [{{name: dev, clusters: [c1]}}]\n  resources:\n{resources}"
        );
        let mut files: Vec<(String, String)> = ESTATE
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect();
        files.push(("p.yaml".into(), project));
        edit(&mut files);
        crate::compile(
            &crate::load::Sources::from_memory(files),
            &crate::Config::default(),
        )
    }

    /// `environment` is the project's environment the namespace serves,
    /// as the project spec has it.
    #[test]
    fn templates_see_the_environment_of_the_namespace() {
        let compiled = compile_notes(&["a"], |files| {
            for (path, text) in files.iter_mut() {
                if path == "w/one.yaml.j2" {
                    text.push_str("  env: {{ environment.name }}-{{ environment.clusters[0] }}\n");
                    text.push_str("  same: {{ environment == project.environments[0] }}\n");
                }
            }
        });
        let gadget = compiled
            .composed
            .unwrap()
            .into_iter()
            .find(|c| c.object["kind"] == "Gadget")
            .unwrap();
        assert_eq!(gadget.object["data"]["env"], "dev-c1");
        assert_eq!(gadget.object["data"]["same"], true);
    }

    #[test]
    fn an_object_produced_twice_is_an_error_naming_the_first_claim() {
        let compiled = compile_notes(&["a", "b", "c"], |files| {
            for (path, text) in files.iter_mut() {
                if path == "w/one.yaml.j2" {
                    *text = text.replace("name: {{ claim.name }}-cfg", "name: shared");
                }
            }
        });
        let duplicates: Vec<&str> = compiled
            .diagnostics
            .iter()
            .filter(|d| d.code == crate::diagnostic::Code::DuplicateObject)
            .map(|d| d.message.as_str())
            .collect();
        assert_eq!(
            duplicates,
            [
                "Gadget `shared` in namespace `p-dev` on cluster `c1` is produced twice: by Widget w0 (project p) and by Widget w1 (project p)",
                "Gadget `shared` in namespace `p-dev` on cluster `c1` is produced twice: by Widget w0 (project p) and by Widget w2 (project p)",
            ]
        );
    }

    #[test]
    fn claim_values_stay_strings_and_cannot_add_keys_or_documents() {
        let hostile = [
            "x\nkind: ClusterRoleBinding",
            "a: b",
            "yes",
            "0755",
            "null",
            "}{",
            "---\nkind: Secret",
            "- item",
            "#comment",
            "\"quoted\"",
        ];
        let objects = compose_notes(&hostile);
        assert_eq!(
            objects.len(),
            hostile.len(),
            "one object per claim, no smuggled documents"
        );
        for (object, note) in objects.iter().zip(hostile) {
            assert_eq!(object["data"]["note"], Value::String(note.to_string()));
            assert_eq!(object["data"]["list"][0], Value::String(note.to_string()));
            assert_eq!(
                object["data"].as_object().unwrap().len(),
                3,
                "no extra keys: {object}"
            );
            // Schema defaults are applied before rendering.
            assert_eq!(object["data"]["size"], "1Gi");
        }
        assert_eq!(objects[0]["metadata"]["name"], "w0-cfg");
    }
}
