//! kprov compiles a Kubernetes platform *estate* — clusters, a tenant
//! hierarchy, self-service projects and Crossplane-style compositions — into
//! deterministic per-cluster manifests.
//!
//! # Quick start
//!
//! An estate is a set of YAML files. [`load::Sources::from_memory`] takes
//! them as `(path, text)` pairs, [`read_estate`] reads them from a
//! directory; [`compile`] turns them into output files and diagnostics
//! without touching the disk:
//!
//! ```
//! use kprov::load::Sources;
//!
//! let sources = Sources::from_memory([
//!     ("kprov.yaml", "\
//! apiVersion: kprov.dev/v1alpha1
//! kind: Estate
//! metadata: {name: demo}
//! spec: {}
//! "),
//!     ("platform/shop.yaml", "\
//! apiVersion: kprov.dev/v1alpha1
//! kind: Tenant
//! metadata: {name: shop}
//! spec: {owners: [group:shop], costCenter: CC-1}
//! ---
//! apiVersion: kprov.dev/v1alpha1
//! kind: Cluster
//! metadata: {name: dev-1}
//! spec: {environment: dev}
//! "),
//!     ("projects/web.yaml", "\
//! apiVersion: kprov.dev/v1alpha1
//! kind: Project
//! metadata: {name: web}
//! spec:
//!   tenant: shop
//!   environments: [{name: dev, clusters: [dev-1], quota: {cpu: \"2\", memory: 4Gi}}]
//! "),
//! ]);
//! let compiled = kprov::compile(&sources, &kprov::Config::default());
//!
//! // Diagnostics are data; `render_text` is what `kprov validate` prints.
//! assert!(!kprov::diagnostic::has_errors(&compiled.diagnostics));
//! print!("{}", kprov::diagnostic::render_text(&compiled.diagnostics));
//!
//! // Files are paths relative to the output directory, with their contents.
//! let files = compiled.files.expect("an estate without errors has files");
//! let namespace = files.iter().find(|f| f.path == "dev-1/config/web-dev.yaml");
//! assert!(namespace.unwrap().contents.contains("kind: Namespace"));
//! ```
//!
//! The crate's `examples/` go further, and `cargo test` runs each of them:
//!
//! - `in_memory`: the estate above, with its tenant tree and file list;
//! - `render`: read an estate directory, compile it and write the output
//!   tree with [`output::write_tree`];
//! - `diagnostics`: each [`Diagnostic`]'s severity, code, `file:line` and
//!   message, then the text reporter.
//!
//! ```text
//! cargo run -p kprov --example render -- fixtures/acme /tmp/acme
//! ```
//!
//! Public types that will grow are `#[non_exhaustive]`: build their options
//! from `Default` and set fields (`let mut config = Config::default();
//! config.conformance.skip = true;`), and match their enums with a `_` arm.
//!
//! # Design
//!
//! One module per stage, data flowing one way:
//!
//! ```text
//! load (I/O) → yaml + schema → model → hierarchy → compose → emit → diff
//! ```
//!
//! Only [`load`] reads the file system; every later stage is a pure function
//! from data to data plus a list of [`Diagnostic`]s, so the compiler embeds in
//! other tools, runs under a fuzzer, and gives byte-identical output for the
//! same input on any machine. No stage stops at the first problem.
//!
//! ```no_run
//! let sources = kprov::read_estate("fixtures/acme".as_ref())?;
//! let compiled = kprov::compile(&sources, &kprov::Config::default());
//! print!("{}", kprov::diagnostic::render_text(&compiled.diagnostics));
//! if let Some(hierarchy) = &compiled.hierarchy {
//!     print!("{}", kprov::hierarchy::tree_text(hierarchy));
//! }
//! # Ok::<(), kprov::load::LoadError>(())
//! ```
#![deny(missing_docs)]
// A type in a public signature must be reachable by a public path, or users
// could hold it without being able to name it.
#![warn(unnameable_types)]

#[cfg(test)]
mod architecture;
pub mod backstage;
pub mod codeowners;
pub mod compose;
pub mod conformance;
pub mod diagnostic;
pub mod diff;
pub mod emit;
pub mod golden;
pub mod hierarchy;
pub mod import;
pub mod lint;
pub mod load;
pub mod model;
pub mod output;
mod policy;
pub mod report;
#[cfg(test)]
mod test_support;
mod upstream_schemas;
pub mod yaml;

pub use diagnostic::Diagnostic;

/// An estate compiled as far as it is sound.
#[derive(Debug)]
#[non_exhaustive]
pub struct Compiled {
    /// Every object that loaded.
    pub model: model::Model,
    /// The resolved hierarchy; `None` when any stage before it, or the
    /// hierarchy rules themselves, found errors.
    pub hierarchy: Option<hierarchy::Hierarchy>,
    /// Every composed object; `None` unless every stage succeeded.
    pub composed: Option<Vec<compose::Composed>>,
    /// Every output file, relative to the output directory; `None` unless
    /// every stage succeeded.
    pub files: Option<Vec<emit::OutputFile>>,
    /// `.github/CODEOWNERS` ([`codeowners::PATH`]), when the estate sets
    /// `spec.github` and every stage succeeded.
    pub codeowners: Option<String>,
    /// `backstage/template.yaml` ([`backstage::PATH`]), when the estate sets
    /// `spec.backstage` and every stage succeeded.
    pub backstage: Option<String>,
    /// Every diagnostic of every stage that ran, sorted.
    pub diagnostics: Vec<Diagnostic>,
}

impl Compiled {
    /// The generated files that live outside the output tree, by path
    /// relative to the estate root; `None` for one the estate does not opt
    /// into (a stale copy of kprov's is then removed by `render`).
    pub fn root_files(&self) -> [(&'static str, Option<&str>); 2] {
        [
            (backstage::PATH, self.backstage.as_deref()),
            (codeowners::PATH, self.codeowners.as_deref()),
        ]
    }

    /// The generated files outside the output tree that a run over
    /// `clusters` (`None`: every cluster) writes or compares: none for a
    /// selection, since they belong to the whole estate.
    pub fn root_files_of(
        &self,
        clusters: Option<&std::collections::BTreeSet<String>>,
    ) -> Vec<(&'static str, Option<&str>)> {
        match clusters {
            None => self.root_files().to_vec(),
            Some(_) => Vec::new(),
        }
    }
}

/// Options of a compilation. Start from the default and set what differs:
///
/// ```
/// let mut config = kprov::Config::default();
/// config.conformance.skip = true; // no upstream schema validation
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Config {
    /// Options of the built-in lints.
    pub lints: lint::LintConfig,
    /// Options of output validation against upstream schemas.
    pub conformance: conformance::ConformanceConfig,
}

/// Read the estate at `root`: `kprov.yaml` first, for the output directory
/// the walk skips, then every input file ([`load::read_estate`]).
pub fn read_estate(root: &std::path::Path) -> Result<load::Sources, load::LoadError> {
    let defaults = load::LoadConfig::new(model::kinds::API_VERSION);
    let output = load::read_root_text(root, "kprov.yaml", defaults.max_file_bytes)
        .map_or_else(|| "clusters".to_owned(), |text| model::output_dir_of(&text));
    let config = load::LoadConfig {
        skip: Some(output),
        ..defaults
    };
    load::read_estate(root, &config)
}

/// Compile loaded sources: model, hierarchy, compose, then lints, output
/// schemas and Rego policies, then emit (and the estate-level generated
/// files: CODEOWNERS, Backstage template). Pure:
/// sources in, files out. Each stage runs only when the ones before it found
/// no errors; the diagnostics of every stage that ran come back sorted.
pub fn compile(sources: &load::Sources, config: &Config) -> Compiled {
    let (model, mut diagnostics) = model::build(sources);
    diagnostics.extend(lint::check_settings(&model));
    let mut compiled = Compiled {
        model,
        hierarchy: None,
        composed: None,
        files: None,
        codeowners: None,
        backstage: None,
        diagnostics: Vec::new(),
    };
    if !diagnostic::has_errors(&diagnostics) {
        let (resolved, more) = hierarchy::build(&compiled.model);
        // `cost-center-missing` is a lint the hierarchy finds.
        diagnostics.extend(lint::apply_settings(&compiled.model, more));
        if !diagnostic::has_errors(&diagnostics) {
            let (codeowners, more) = codeowners::build(&compiled.model);
            diagnostics.extend(more);
            let (composed, more) = compose::build(&compiled.model, &resolved);
            diagnostics.extend(more);
            // The checks and emission read the same objects and nothing of
            // each other; running them side by side fills the gaps each
            // leaves on the other core (their serial grouping steps). Files
            // of an estate with errors are dropped unwritten.
            let mut files = None;
            if !diagnostic::has_errors(&diagnostics) {
                let (checks, emitted) = rayon::join(
                    || {
                        let found =
                            lint::check(&compiled.model, &resolved, &composed, &config.lints);
                        let mut d = lint::apply_settings(&compiled.model, found);
                        let estate_schemas = conformance::EstateSchemas::build(
                            &compiled.model.files.schemas,
                            &mut d,
                        );
                        d.extend(conformance::check(
                            &composed,
                            &estate_schemas,
                            &config.conformance,
                        ));
                        d.extend(policy::check(&compiled.model, &resolved, &composed));
                        d
                    },
                    || emit::build(&compiled.model, &composed),
                );
                diagnostics.extend(checks);
                files = Some(emitted);
            }
            if !diagnostic::has_errors(&diagnostics) {
                compiled.files = files;
                compiled.codeowners = codeowners;
                compiled.backstage = backstage::template(&compiled.model);
                compiled.composed = Some(composed);
            }
            compiled.hierarchy = Some(resolved);
        }
    }
    diagnostic::sort(&mut diagnostics);
    compiled.diagnostics = diagnostics;
    compiled
}

/// The README's embedding example is compiled as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;

/// The JSON Schemas (draft-07) of the CLI's JSON documents, generated from
/// the types it serializes, as committed under `schemas/output/` (pretty
/// JSON, trailing newline), one per document: `validate.json` (also what
/// every command prints on errors), `diff.json`, `report.json`,
/// `report-delta.json`, `tree.json`, `explain.json` (a namespace),
/// `explain-code.json`, `explain-codes.json`, `import-libvirt.json` and
/// `import-openvz.json`. kprov's string formats are stated as patterns, as
/// in the input schemas.
pub fn output_schemas() -> Vec<(String, String)> {
    use schemars::generate::SchemaSettings;
    fn file<T: schemars::JsonSchema>(name: &str, invocation: &str) -> (String, String) {
        // What serialization writes: a field skipped when empty is optional.
        let mut schema = SchemaSettings::draft07()
            .for_serialize()
            .into_generator()
            .into_root_schema_for::<T>()
            .to_value();
        model::schema::publish_formats(&mut schema);
        if let serde_json::Value::Object(root) = &mut schema {
            root.insert("title".into(), invocation.into());
            root.insert(
                "description".into(),
                format!(
                    "What `{invocation}` prints. Keys are camelCase and stable. Generated from kprov's output types; do not edit."
                )
                .into(),
            );
        }
        let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
        text.push('\n');
        (format!("{name}.json"), text)
    }
    vec![
        file::<diagnostic::Diagnostics<'static>>("validate", "kprov validate --format json"),
        file::<diff::Drift>("diff", "kprov diff --format json"),
        file::<report::Report>("report", "kprov report --format json"),
        file::<report::CostDelta>("report-delta", "kprov report --base --format json"),
        file::<hierarchy::Tree>("tree", "kprov tree --format json"),
        file::<hierarchy::Namespace>("explain", "kprov explain CLUSTER/NAMESPACE --format json"),
        file::<diagnostic::CodeEntry>("explain-code", "kprov explain CODE --format json"),
        file::<diagnostic::CodeIndex>("explain-codes", "kprov explain --codes --format json"),
        file::<import::report::LibvirtJson<'static>>(
            "import-libvirt",
            "kprov import libvirt --report json",
        ),
        file::<import::report::OpenvzJson<'static>>(
            "import-openvz",
            "kprov import openvz --report json",
        ),
    ]
}
