//! What input may not claim: label and annotation keys under domains that
//! steer kprov, Kubernetes or the GitOps controllers, a project named like
//! a tenant, and namespaces that belong to the platform or to nobody's
//! project.

use crate::diagnostic::{Code, Diagnostic};
use crate::model::kinds::Labels;
use crate::model::{Model, Name};

/// Domains whose label and annotation keys steer something other than the
/// namespace's owner: kprov itself (tenant, project and tree labels that
/// NetworkPolicies select), Kubernetes (`pod-security.kubernetes.io/`
/// enforces the effective level), kustomize (`config.kubernetes.io/local-config`
/// drops the object from the build) and the GitOps controllers (Flux's
/// `kustomize.toolkit.fluxcd.io/reconcile: disabled` freezes the namespace
/// so a later tightening never arrives; Argo CD's likewise). Each domain
/// covers its subdomains.
const RESERVED_DOMAINS: [&str; 6] = [
    "kprov.dev",
    "kubernetes.io",
    "k8s.io",
    "fluxcd.io",
    "argoproj.io",
    "openshift.io",
];

/// Keys under a reserved domain that are meant for users: the recommended
/// application labels describe, they steer nothing.
const USER_DOMAINS: [&str; 1] = ["app.kubernetes.io"];

/// The reserved domain `key` falls under, if any.
fn reserved_domain(key: &str) -> Option<&'static str> {
    let (domain, _) = key.split_once('/')?;
    let under = |reserved: &str| {
        domain == reserved
            || domain
                .strip_suffix(reserved)
                .is_some_and(|sub| sub.ends_with('.'))
    };
    if USER_DOMAINS.contains(&domain) {
        return None;
    }
    RESERVED_DOMAINS.into_iter().find(|d| under(d))
}

/// `kprov.dev/` and tree labels select namespaces in NetworkPolicies, and
/// pod-security labels enforce the effective level: input may set neither.
/// A project named like a tenant would carry that tenant's tree label.
pub(super) fn check(model: &Model, out: &mut Vec<Diagnostic>) {
    let mut check = |labels: &Labels,
                     annotations: &crate::model::kinds::Annotations,
                     origin: &crate::model::Origin| {
        let keys = labels
            .keys()
            .map(|k| ("labels", k))
            .chain(annotations.keys().map(|k| ("annotations", k)));
        for (field, key) in keys {
            if let Some(domain) = reserved_domain(key.as_str()) {
                out.push(Diagnostic::error(
                    Code::ReservedLabel,
                    Some(origin.key(&crate::yaml::push_pointer(&format!("/spec/{field}"), key.as_str()))),
                    format!(
                        "`{key}` is reserved: keys under `{domain}/` and its subdomains steer kprov, Kubernetes, kustomize or a GitOps controller (pod security, network policies, whether the namespace is built or reconciled at all); only `app.kubernetes.io/` keys are free to use"
                    ),
                ));
            }
        }
    };
    for tenant in model.tenants.values() {
        check(
            &tenant.spec.labels,
            &tenant.spec.annotations,
            &tenant.origin,
        );
    }
    for project in model.projects.values() {
        check(
            &project.spec.labels,
            &project.spec.annotations,
            &project.origin,
        );
    }
    for (name, project) in &model.projects {
        if let Some(tenant) = model.tenants.get(name) {
            out.push(
                Diagnostic::error(
                    Code::NameCollision,
                    Some(project.origin.at("/metadata/name")),
                    format!(
                        "project `{name}` has the name of a tenant; its namespaces would carry the tree label `{name}.tree.kprov.dev/depth` that selects that tenant's subtree"
                    ),
                )
                .with_note(Some(tenant.origin.at("/metadata/name")), "the tenant is defined here"),
            );
        }
    }
}

/// Namespaces that belong to the cluster and its operators on any cluster,
/// never to a project; an estate reserves its own on top
/// (`spec.namespaces.reserved`).
fn builtin_reserved_namespace(name: &str) -> bool {
    matches!(
        name,
        "default" | "kubevirt" | "cdi" | "cert-manager" | "openshift"
    ) || name.starts_with("kube-")
        || name.starts_with("openshift-")
        || name.ends_with("-system")
}

/// Why a project may not use `namespace`, if it may not. A project's
/// namespaces carry its name (`<project>` or `<project>-…`), so no request
/// can take a namespace that another team, or the platform, already uses
/// on a cluster without kprov knowing: kprov only sees the namespaces it
/// creates.
pub(super) fn namespace_refusal(model: &Model, project: &Name, namespace: &Name) -> Option<String> {
    let name = namespace.as_str();
    if builtin_reserved_namespace(name) {
        return Some(format!(
            "namespace `{name}` belongs to the cluster's operators (`default`, `kube-*`, `*-system`, `kubevirt`, `cdi`, `cert-manager`, `openshift-*`); a project may not use it"
        ));
    }
    let reserved = model
        .estate
        .as_ref()
        .and_then(|e| e.spec.namespaces.as_ref())
        .and_then(|n| n.reserved.iter().find(|g| g.is_match(name)));
    if let Some(glob) = reserved {
        return Some(format!(
            "namespace `{name}` is reserved by the estate for the platform (`{glob}` in spec.namespaces.reserved of kprov.yaml); a project may not use it"
        ));
    }
    let own = name == project.as_str()
        || name
            .strip_prefix(project.as_str())
            .is_some_and(|rest| rest.starts_with('-'));
    (!own).then(|| {
        format!(
            "namespace `{name}` does not carry the project's name; a project's namespaces are `{project}` or `{project}-<suffix>`, so that no request can take a namespace someone else uses"
        )
    })
}
