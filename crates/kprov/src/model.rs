//! The estate model: typed, validated input objects that remember where
//! they came from.
//!
//! [`build`] turns [`Sources`] into a [`Model`] in three passes per document
//! (YAML with positions → JSON Schema → typed serde), then runs the
//! cross-object checks of `check.rs`. It is pure and never stops at the first
//! problem: the model holds every object that parsed, the diagnostics hold
//! every problem, and later stages only run when there are no errors.

pub(crate) mod catalog;
mod check;
pub use check::{PROJECTS_DIR, is_project_path};
pub mod kinds;
pub(crate) mod names;
pub mod quantity;
pub mod schema;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rayon::prelude::*;
use serde::de::DeserializeOwned;

use crate::diagnostic::{self, Code, Diagnostic, Location};
use crate::load::{SourceFile, Sources};
use crate::yaml::{self, Document};
use kinds::{
    API_VERSION, ClusterSpec, CompositionSpec, DefinitionSpec, DeliveryUnits, EstateSpec, Metadata,
    Object, ProjectSpec, TenantSpec,
};
pub use names::{
    Date, GitHubHandle, Glob, InterfaceName, LabelKey, LabelValue, MacAddress, Name, PortName,
    RoleName, SlackChannel, Subject,
};
pub use quantity::Quantity;
use schema::Kind;

/// The directory `flux bootstrap` writes its own components to, inside
/// the path it is given.
pub const FLUX_SYSTEM: &str = "flux-system";

/// The output directory a `kprov.yaml` names (`spec.output` of its Estate,
/// default `clusters`), read on its own before the estate is: the walk skips
/// it. A bad value is reported when the whole model is built.
pub(crate) fn output_dir_of(kprov_yaml: &str) -> String {
    let stream = yaml::parse_stream(kprov_yaml, yaml::Limits::default());
    stream
        .documents
        .iter()
        .filter(|d| yaml::str_at(&d.value, &["kind"]) == "Estate")
        .map(|d| yaml::str_at(&d.value, &["spec", "output"]))
        .find(|o| !o.is_empty())
        .map_or_else(|| "clusters".to_owned(), |o| normalize_output(o).to_owned())
}

fn normalize_output(output: &str) -> &str {
    output.trim_start_matches("./").trim_end_matches('/')
}

/// The name serde gives a unit variant (`restricted`, `namespace`,
/// `changed`): how kprov prints its enums in messages, labels and reports.
pub(crate) fn serde_name<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Where an object came from: its file and the positions of its nodes.
#[derive(Debug, Clone)]
pub struct Origin {
    file: Arc<str>,
    doc: Arc<Document>,
}

impl Origin {
    /// Path of the file, relative to the estate root.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// Location of the value at JSON `pointer` (or its nearest ancestor).
    pub fn at(&self, pointer: &str) -> Location {
        self.location(pointer, self.doc.locations.value(pointer))
    }

    /// Location of the key of the value at JSON `pointer`.
    pub fn key(&self, pointer: &str) -> Location {
        self.location(pointer, self.doc.locations.key(pointer))
    }

    /// Location of the whole document.
    pub fn document(&self) -> Location {
        self.location("", self.doc.start)
    }

    fn location(&self, pointer: &str, pos: yaml::Pos) -> Location {
        Location {
            file: self.file.to_string(),
            line: pos.line,
            column: pos.col,
            path: yaml::display_path(&self.doc.value, pointer),
        }
    }
}

/// One input object of spec type `S`.
#[derive(Debug, Clone)]
pub struct Item<S> {
    /// Name, labels and annotations.
    pub metadata: Metadata,
    /// The kind-specific content.
    pub spec: S,
    /// Where it was defined.
    pub origin: Origin,
}

impl<S> Item<S> {
    /// The object's name.
    pub fn name(&self) -> &Name {
        &self.metadata.name
    }
}

impl<S: serde::Serialize> Item<S> {
    /// The spec as JSON with `name` added: how templates (`project`,
    /// `cluster`, `tenants`) and policies (`data.kprov`) see the object.
    pub fn named_spec(&self) -> serde_json::Value {
        let mut value = serde_json::to_value(&self.spec).unwrap_or(serde_json::Value::Null);
        if let serde_json::Value::Object(map) = &mut value {
            map.insert(
                "name".into(),
                serde_json::Value::String(self.name().to_string()),
            );
        }
        value
    }
}

/// Every input object of an estate, by kind and name.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Model {
    /// The estate's settings (absent only when the estate has errors).
    pub estate: Option<Item<EstateSpec>>,
    /// Clusters by name.
    pub clusters: BTreeMap<Name, Item<ClusterSpec>>,
    /// Tenants by name.
    pub tenants: BTreeMap<Name, Item<TenantSpec>>,
    /// Projects by name.
    pub projects: BTreeMap<Name, Item<ProjectSpec>>,
    /// Definitions by name.
    pub definitions: BTreeMap<Name, Item<DefinitionSpec>>,
    /// Compositions by name.
    pub compositions: BTreeMap<Name, Item<CompositionSpec>>,
    /// Names of objects that were found but rejected (their errors are
    /// already reported), so that references to them are not reported again.
    pub rejected: BTreeSet<(Kind, String)>,
    /// The estate's files that are not objects but are read by later
    /// stages: composition templates, Rego policies and output schemas.
    pub files: EstateFiles,
}

/// Input files the model carries as text for the stages after it, so that
/// no stage after the model reads [`Sources`].
#[derive(Debug, Clone, Default)]
pub struct EstateFiles {
    /// Composition templates (`*.j2`), by path relative to the estate root.
    pub templates: BTreeMap<String, String>,
    /// Rego policies (`*.rego`), in path order.
    pub policies: Vec<SourceFile>,
    /// Output schemas for the estate's own kinds (`schemas/**.json`), in path order.
    pub schemas: Vec<SourceFile>,
}

impl EstateFiles {
    fn of(sources: &Sources) -> EstateFiles {
        let mut files = EstateFiles::default();
        for file in &sources.files {
            if file.path.ends_with(".j2") {
                files.templates.insert(file.path.clone(), file.text.clone());
            } else if file.path.ends_with(".rego") {
                files.policies.push(file.clone());
            } else if file.path.starts_with("schemas/") && file.path.ends_with(".json") {
                files.schemas.push(file.clone());
            }
        }
        files
    }
}

impl Model {
    /// Whether an object of `kind` named `name` exists but was rejected.
    pub fn is_rejected(&self, kind: Kind, name: &str) -> bool {
        self.rejected.contains(&(kind, name.to_owned()))
    }

    /// The ClusterRoles role bindings may name: the estate's
    /// `allowedRoles`, or `admin`, `edit` and `view`.
    pub fn allowed_roles(&self) -> Vec<Glob> {
        self.estate
            .as_ref()
            .and_then(|e| e.spec.allowed_roles.clone())
            .unwrap_or_else(|| {
                ["admin", "edit", "view"]
                    .iter()
                    .filter_map(|r| r.parse().ok())
                    .collect()
            })
    }

    /// The directories of the output tree that belong to `flux bootstrap`,
    /// relative to the output directory: `<cluster>/flux-system` of every
    /// cluster that says `fluxBootstrap: true`. kprov lists them and leaves
    /// what is inside to Flux.
    pub fn bootstrap_dirs(&self) -> Vec<String> {
        self.clusters
            .iter()
            .filter(|(_, c)| c.spec.flux_bootstrap)
            .map(|(name, _)| format!("{name}/{FLUX_SYSTEM}"))
            .collect()
    }

    /// How clusters' objects are cut into Flux Kustomizations.
    pub fn delivery(&self) -> kinds::Delivery {
        self.estate
            .as_ref()
            .and_then(|e| e.spec.delivery.clone())
            .unwrap_or_default()
    }

    /// What one Flux Kustomization applies (`delivery().units`, without
    /// copying the rest of the setting: compose asks once per namespace).
    pub fn delivery_units(&self) -> DeliveryUnits {
        self.estate
            .as_ref()
            .and_then(|e| e.spec.delivery.as_ref())
            .map_or_else(DeliveryUnits::default, |d| d.units)
    }

    /// The delivery unit `project`'s objects belong to: the project, its
    /// tenant, or `None` when each cluster is one unit.
    pub fn unit_of<'m>(&'m self, units: DeliveryUnits, project: &'m Name) -> Option<&'m Name> {
        match units {
            DeliveryUnits::Cluster => None,
            DeliveryUnits::Project => Some(project),
            DeliveryUnits::Tenant => self.projects.get(project).map(|p| &p.spec.tenant),
        }
    }

    /// The estate's output directory, relative to its root.
    pub fn output_dir(&self) -> &str {
        self.estate
            .as_ref()
            .and_then(|e| e.spec.output.as_deref())
            .map_or("clusters", |o| normalize_output(o))
    }
}

/// Objects as found, before duplicate names are resolved.
#[derive(Default)]
struct Found {
    estates: Vec<Item<EstateSpec>>,
    clusters: Vec<Item<ClusterSpec>>,
    tenants: Vec<Item<TenantSpec>>,
    projects: Vec<Item<ProjectSpec>>,
    definitions: Vec<Item<DefinitionSpec>>,
    compositions: Vec<Item<CompositionSpec>>,
    rejected: BTreeSet<(Kind, String)>,
}

impl Found {
    fn merge(&mut self, other: Found) {
        self.estates.extend(other.estates);
        self.clusters.extend(other.clusters);
        self.tenants.extend(other.tenants);
        self.projects.extend(other.projects);
        self.definitions.extend(other.definitions);
        self.compositions.extend(other.compositions);
        self.rejected.extend(other.rejected);
    }
}

/// Parse and classify the documents of one YAML file.
fn read_file(file: &crate::load::SourceFile) -> (Found, Vec<Diagnostic>) {
    let mut found = Found::default();
    let mut diagnostics = Vec::new();
    let path: Arc<str> = Arc::from(file.path.as_str());
    let stream = yaml::parse_stream(&file.text, yaml::Limits::default());
    for e in stream.errors {
        let location = |pos: yaml::Pos| Location {
            file: file.path.clone(),
            line: pos.line,
            column: pos.col,
            path: yaml::display_path(&serde_json::Value::Null, &e.pointer),
        };
        let code = if e.message.starts_with("duplicate key") {
            Code::DuplicateKey
        } else {
            Code::Yaml
        };
        let mut d = Diagnostic::error(code, Some(location(e.pos)), e.message.clone());
        if let Some((pos, note)) = &e.related {
            d = d.with_note(Some(location(*pos)), note.clone());
        }
        diagnostics.push(d);
    }
    for doc in stream.documents {
        let origin = Origin {
            file: path.clone(),
            doc: Arc::new(doc),
        };
        classify(origin, &mut found, &mut diagnostics);
    }
    (found, diagnostics)
}

/// Build the model from sources; every problem found is in the diagnostics,
/// sorted by file and line.
pub fn build(sources: &Sources) -> (Model, Vec<Diagnostic>) {
    let mut diagnostics = sources.diagnostics.clone();
    // A policy or template in a team's directory would be platform logic
    // that only the team reviewed.
    for file in &sources.files {
        if is_project_path(&file.path) && !crate::load::is_yaml(&file.path) {
            diagnostics.push(Diagnostic::error(
                Code::KindNotAllowedHere,
                Some(Location::whole_file(file.path.clone())),
                format!(
                    "files under `{PROJECTS_DIR}/` hold only Projects; templates, policies and schemas are the platform's: move this file out of `{PROJECTS_DIR}/`"
                ),
            ));
        }
    }
    // Files parse and validate independently; merging in file order keeps
    // the result the same for any number of threads.
    let per_file: Vec<(Found, Vec<Diagnostic>)> = sources
        .files
        .par_iter()
        .filter(|f| crate::load::is_yaml(&f.path))
        .map(read_file)
        .collect();
    let mut found = Found::default();
    for (file, more) in per_file {
        found.merge(file);
        diagnostics.extend(more);
    }

    let mut model = Model {
        clusters: unique(found.clusters, Kind::Cluster, &mut diagnostics),
        tenants: unique(found.tenants, Kind::Tenant, &mut diagnostics),
        projects: unique(found.projects, Kind::Project, &mut diagnostics),
        definitions: unique(found.definitions, Kind::Definition, &mut diagnostics),
        compositions: unique(found.compositions, Kind::Composition, &mut diagnostics),
        estate: None,
        rejected: found.rejected,
        files: EstateFiles::of(sources),
    };
    let mut estates = found.estates.into_iter();
    model.estate = estates.next();
    for extra in estates {
        let first = model.estate.as_ref().map(|e| e.origin.document());
        diagnostics.push(
            Diagnostic::error(
                Code::DuplicateEstate,
                Some(extra.origin.document()),
                "an estate has exactly one Estate object; this is a second one",
            )
            .with_note(first, "the first Estate is here"),
        );
    }
    if model.estate.is_none() && !diagnostic::has_errors(&diagnostics) {
        diagnostics.push(Diagnostic::error(
            Code::NoEstate,
            None,
            format!(
                "no Estate object found; an estate root needs a kprov.yaml with `apiVersion: {API_VERSION}` and `kind: Estate` (`kprov init` writes one)"
            ),
        ));
    }
    check::references(&model, &mut diagnostics);
    diagnostic::sort(&mut diagnostics);
    (model, diagnostics)
}

/// Route one document to its kind, validating it on the way.
fn classify(origin: Origin, found: &mut Found, diagnostics: &mut Vec<Diagnostic>) {
    let value = &origin.doc.value;
    let Some(object) = value.as_object() else {
        diagnostics.push(Diagnostic::error(
            Code::NotAnObject,
            Some(origin.document()),
            "a document in a kprov input file must be a mapping with `apiVersion`, `kind`, `metadata` and `spec`",
        ));
        return;
    };
    match object.get("apiVersion").and_then(|v| v.as_str()) {
        Some(API_VERSION) => {}
        Some(other) if other.starts_with("kprov.dev/") => {
            diagnostics.push(Diagnostic::error(
                Code::ApiVersion,
                Some(origin.at("/apiVersion")),
                format!("unsupported apiVersion `{other}`; this kprov reads `{API_VERSION}`"),
            ));
            return;
        }
        // Not ours: other Kubernetes YAML may share a file with kprov objects.
        _ => return,
    }
    let kind = match object.get("kind") {
        Some(serde_json::Value::String(k)) => match k.parse::<Kind>() {
            Ok(kind) if kind.as_str() == k => kind,
            _ => {
                let names: Vec<String> = Kind::ALL.iter().map(|k| k.as_str().to_owned()).collect();
                let hint = crate::diagnostic::closest(k, &names)
                    .map(|c| format!("did you mean `{c}`? "))
                    .unwrap_or_default();
                diagnostics.push(Diagnostic::error(
                    Code::UnknownKind,
                    Some(origin.at("/kind")),
                    format!("unknown kind `{k}`; {hint}kprov reads {}", names.join(", ")),
                ));
                return;
            }
        },
        _ => {
            diagnostics.push(Diagnostic::error(
                Code::MissingField,
                Some(origin.document()),
                "missing required field `kind`",
            ));
            return;
        }
    };
    let violations = schema::validate(kind, value);
    if !violations.is_empty() {
        if let Some(name) = value.pointer("/metadata/name").and_then(|n| n.as_str()) {
            found.rejected.insert((kind, name.to_owned()));
        }
        for v in violations {
            let location = if v.at_key {
                origin.key(&v.pointer)
            } else {
                origin.at(&v.pointer)
            };
            diagnostics.push(Diagnostic::error(v.code, Some(location), v.message));
        }
        return;
    }
    let name = value
        .pointer("/metadata/name")
        .and_then(|n| n.as_str())
        .map(str::to_owned);
    let accepted = match kind {
        Kind::Estate => typed(origin, &mut found.estates, diagnostics),
        Kind::Cluster => typed(origin, &mut found.clusters, diagnostics),
        Kind::Tenant => typed(origin, &mut found.tenants, diagnostics),
        Kind::Project => typed(origin, &mut found.projects, diagnostics),
        Kind::Definition => typed(origin, &mut found.definitions, diagnostics),
        Kind::Composition => typed(origin, &mut found.compositions, diagnostics),
    };
    if let (false, Some(name)) = (accepted, name) {
        found.rejected.insert((kind, name));
    }
}

/// Deserialize a schema-valid document into its type. The schema already
/// checked shape and string formats, so an error here is a rare gap between
/// the two (e.g. a map key format), still reported with its position.
fn typed<S: DeserializeOwned>(
    origin: Origin,
    out: &mut Vec<Item<S>>,
    diagnostics: &mut Vec<Diagnostic>,
) -> bool {
    match serde_path_to_error::deserialize::<_, Object<S>>(&origin.doc.value) {
        Ok(object) => {
            out.push(Item {
                metadata: object.metadata,
                spec: object.spec,
                origin,
            });
            true
        }
        Err(e) => {
            let mut pointer = String::new();
            for segment in e.path().iter() {
                use serde_path_to_error::Segment;
                match segment {
                    Segment::Seq { index } => {
                        pointer = yaml::push_pointer(&pointer, &index.to_string())
                    }
                    Segment::Map { key } => pointer = yaml::push_pointer(&pointer, key),
                    Segment::Enum { .. } | Segment::Unknown => {}
                }
            }
            diagnostics.push(Diagnostic::error(
                Code::InvalidValue,
                Some(origin.key(&pointer)),
                e.into_inner().to_string(),
            ));
            false
        }
    }
}

/// Index items by name; a name defined twice is an error naming both places.
fn unique<S>(
    items: Vec<Item<S>>,
    kind: Kind,
    diagnostics: &mut Vec<Diagnostic>,
) -> BTreeMap<Name, Item<S>> {
    let mut map: BTreeMap<Name, Item<S>> = BTreeMap::new();
    for item in items {
        match map.get(item.name()) {
            Some(first) => diagnostics.push(
                Diagnostic::error(
                    Code::DuplicateName,
                    Some(item.origin.at("/metadata/name")),
                    format!("{kind} `{}` is defined twice", item.name()),
                )
                .with_note(
                    Some(first.origin.at("/metadata/name")),
                    "first defined here",
                ),
            ),
            None => {
                map.insert(item.name().clone(), item);
            }
        }
    }
    map
}
