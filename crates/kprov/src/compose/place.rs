//! What a composed object may be and where it lands: forced into its
//! claim's namespace (refusing one that names another, directly or through
//! a field that redirects writes), cluster-scoped only where the Definition
//! allows, never binding `cluster-admin` or a `system:` role, and no two
//! objects with one identity.

use rayon::prelude::*;
use serde_json::{Map, Value};

use super::claims::Claim;
use super::{Composed, Layer, Shared};
use crate::diagnostic::{Code, Diagnostic};
use crate::hierarchy::Namespace;
use crate::model::kinds::API_VERSION;

/// Check one composed object and fix its namespace.
pub(super) fn place(
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
        unit: shared.unit.clone(),
        layer,
        file_stem,
        object,
        composition: claim.composition.name.clone(),
        claim: shared.claim.clone(),
        pointer: shared.pointer.clone(),
        sources: shared.sources.clone(),
    })
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

/// Fields through which an object that lives in the claim's namespace
/// writes to, or reads from, another one: a Flux Kustomization or
/// HelmRelease applies with the controller's own rights into its
/// `targetNamespace`, so placing the object is not enough. By API group,
/// kind, and the field's path; `[]` stands for every item of a list.
pub(super) const NAMESPACE_FIELDS: &[(&str, &str, &str)] = &[
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
    // A PersistentVolume is cluster-scoped, but the claim it is reserved
    // for is not: bound to another namespace's, it would hand that
    // namespace the volume.
    ("", "PersistentVolume", "spec.claimRef.namespace"),
];

/// Fields that send an object's writes to another cluster altogether.
pub(super) const CLUSTER_FIELDS: &[(&str, &str, &str)] = &[
    (FLUX_KUSTOMIZE, "Kustomization", "spec.kubeConfig"),
    (FLUX_HELM, "HelmRelease", "spec.kubeConfig"),
];

pub(super) const FLUX_KUSTOMIZE: &str = "kustomize.toolkit.fluxcd.io";

pub(super) const FLUX_HELM: &str = "helm.toolkit.fluxcd.io";

pub(super) const FLUX_NOTIFICATION: &str = "notification.toolkit.fluxcd.io";

/// Why an object reaches beyond the claim's namespace through one of its
/// fields, if it does.
pub(super) fn redirect(
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
pub(super) type Identity<'c> = (&'c str, &'c str, &'c str, &'c str, &'c str);

/// Cluster, API group, kind, namespace and name: what makes two objects one.
pub(super) fn identity(c: &Composed) -> Identity<'_> {
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
pub(super) fn identity_hash(c: &Composed) -> u64 {
    use std::hash::BuildHasher as _;
    foldhash::fast::FixedState::default().hash_one(identity(c))
}

/// Two objects with one identity on one cluster would overwrite each other.
/// `hashes` holds each object's [`identity_hash`]: sorted with their
/// positions, equal identities land in one run of equal hashes, in output
/// order, so "first" is deterministic; runs longer than one are compared in
/// full.
pub(super) fn duplicates(composed: &[Composed], hashes: Vec<u64>, out: &mut Vec<Diagnostic>) {
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
