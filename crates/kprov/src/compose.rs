//! Compositions (docs/design.md §3): claims become Kubernetes objects through
//! pipelines of minijinja templates.
//!
//! Everything kprov emits goes through a composition. The built-in ones
//! (`namespace`, `volume`, `virtual-machine`, `flux-sync`) receive claims that
//! kprov synthesizes from the resolved hierarchy; estate compositions receive
//! the claims of `Project.spec.resources`, validated against their
//! Definition's schema with its defaults applied. An estate may replace a
//! built-in by shipping a Composition of the same name.
//!
//! The stage is pure: templates come from the model (`Model::files`) or from the binary, and
//! the result is a list of [`Composed`] objects plus diagnostics.

pub(crate) mod builtin;
mod claims;
mod context;
mod engine;
mod place;
mod prepare;
mod scalar;
mod view;

use claims::claims;
pub use place::CLUSTER_SCOPED_KINDS;
use place::{duplicates, identity_hash, place};
pub use prepare::Compositions;
use prepare::render_diagnostic;

use std::sync::Arc;

use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value;

use crate::diagnostic::Diagnostic;
use crate::hierarchy::{Hierarchy, Namespace};
use crate::model::{Model, Name};

/// Which output directory of a cluster an object belongs in (docs/design.md §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Layer {
    /// Platform objects: the `namespace` composition, cluster-scoped objects.
    Config,
    /// Everything else: volumes, VMs, Flux sync, estate claims.
    Apps,
}

impl Layer {
    /// The layer's directory name.
    pub fn dir(self) -> &'static str {
        match self {
            Layer::Config => "config",
            Layer::Apps => "apps",
        }
    }
}

/// The directory of a cluster's output that holds its delivery units'
/// directories (`units: tenant` or `project`).
pub const UNITS_DIR: &str = "units";

/// One object produced by a composition, with where it goes and why.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Composed {
    /// Cluster it is for.
    pub cluster: Name,
    /// Namespace, or `None` for a cluster-scoped object.
    pub namespace: Option<Name>,
    /// Project of the namespace whose claim produced it.
    pub project: Name,
    /// Delivery unit (a tenant or project name), or `None` when the whole
    /// cluster is one unit.
    pub unit: Option<Name>,
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
    /// JSON pointer of the claim in its project's file (`/spec/volumes/0`,
    /// `/spec/resources/2`), so a check on the object can point at what the
    /// team wrote. Shared by every object of the claim.
    pub pointer: Arc<str>,
    /// Input files it derives from, relative to the estate root, sorted.
    /// Shared by every object of the claim.
    pub sources: Arc<[String]>,
}

impl Composed {
    /// The file it is written to, relative to the output directory:
    /// `<cluster>[/units/<unit>]/<layer>/<stem>.yaml`.
    pub fn file_path(&self) -> String {
        let (cluster, layer, stem) = (&self.cluster, self.layer.dir(), &self.file_stem);
        match &self.unit {
            Some(unit) => format!("{cluster}/{UNITS_DIR}/{unit}/{layer}/{stem}.yaml"),
            None => format!("{cluster}/{layer}/{stem}.yaml"),
        }
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
    // Freeing every project's converted spec on one thread would leave the
    // other idle; the pool frees it instead, beside
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
    let unit = model.unit_of(model.delivery_units(), &ns.project).cloned();
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
                    unit: unit.clone(),
                    sources,
                    claim: claim.what.as_str().into(),
                    pointer: claim.pointer.as_str().into(),
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
    unit: Option<Name>,
    sources: Arc<[String]>,
    claim: Arc<str>,
    pointer: Arc<str>,
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    #[test]
    fn redirecting_fields_are_found_in_lists_and_nested_specs() {
        let flux = |api: &str, kind: &str, spec: Value| {
            let object =
                json!({"apiVersion": api, "kind": kind, "metadata": {"name": "x"}, "spec": spec});
            super::place::redirect(&object, api, kind, "x", "shop-dev")
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
