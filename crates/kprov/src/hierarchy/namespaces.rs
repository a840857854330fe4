//! Every namespace of every project (project × environment × cluster),
//! with what it inherits: labels and annotations (nearest wins, a project
//! never changing its tenants'), owners and role bindings (additive),
//! `allowFrom` (additive, a project only within what its tenants allow),
//! limits and cost center (nearest wins), and the labels kprov owns.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rayon::prelude::*;

use super::reserved::namespace_refusal;
use super::settings::{Effective, allow_lists, settings};
use super::{Hierarchy, Namespace, Provenance, Source, Sourced, TenantNode};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::kinds::{Labels, ProjectSpec, TenantSpec};
use crate::model::{Item, Model, Name};

/// What one layer (a tenant or the project) sets, each value with its
/// provenance. A tenant's is computed once and merged into every project
/// below it: formatting the same locations again for every project was a
/// third of resolving the hierarchy.
struct Contribution {
    labels: Vec<(String, Sourced<String>)>,
    annotations: Vec<(String, Sourced<String>)>,
    owners: Vec<Sourced<crate::model::Subject>>,
    role_bindings: Vec<Sourced<crate::model::kinds::RoleBinding>>,
    allow_from: Vec<Sourced<Name>>,
    limits: Option<Sourced<crate::model::kinds::Limits>>,
    cost_center: Option<Sourced<crate::model::names::LabelValue>>,
}

impl Contribution {
    fn of(layer: &Level<'_>) -> Contribution {
        let from = |pointer: &str| Provenance {
            source: layer.source.clone(),
            location: Some(Arc::new(layer.origin.at(pointer))),
        };
        let map = |field: &str, entries: Vec<(String, String)>| {
            entries
                .into_iter()
                .map(|(key, value)| {
                    let pointer = crate::yaml::push_pointer(&format!("/spec/{field}"), &key);
                    let from = from(&pointer);
                    (key, Sourced { value, from })
                })
                .collect()
        };
        let sourced = |field: &str, i: usize| from(&format!("/spec/{field}/{i}"));
        Contribution {
            labels: map(
                "labels",
                layer
                    .labels
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            annotations: map(
                "annotations",
                layer
                    .annotations
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.clone()))
                    .collect(),
            ),
            owners: (layer.owners.iter().enumerate())
                .map(|(i, owner)| Sourced {
                    value: owner.clone(),
                    from: sourced("owners", i),
                })
                .collect(),
            role_bindings: (layer.role_bindings.iter().enumerate())
                .map(|(i, binding)| Sourced {
                    value: binding.clone(),
                    from: sourced("roleBindings", i),
                })
                .collect(),
            allow_from: (layer.network.iter().flat_map(|n| n.allow_from.iter()))
                .enumerate()
                .map(|(i, peer)| Sourced {
                    value: peer.tenant.clone(),
                    from: sourced("network/allowFrom", i),
                })
                .collect(),
            limits: layer.limits.map(|l| Sourced {
                value: l.clone(),
                from: from("/spec/limits"),
            }),
            cost_center: layer.cost_center.map(|c| Sourced {
                value: c.clone(),
                from: from("/spec/costCenter"),
            }),
        }
    }
}

/// Every tenant's own [`Contribution`].
fn contributions(model: &Model) -> BTreeMap<&Name, Contribution> {
    model
        .tenants
        .par_iter()
        .map(|(name, tenant)| (name, Contribution::of(&Level::tenant(tenant))))
        .collect()
}

/// Where an environment's namespace name comes from: its override, or its name.
fn namespace_pointer(spec: &ProjectSpec, e: usize) -> String {
    let field = match spec
        .environments
        .get(e)
        .and_then(|env| env.namespace.as_ref())
    {
        Some(_) => "namespace",
        None => "name",
    };
    format!("/spec/environments/{e}/{field}")
}

/// Resolve every namespace of every project whose tenant chain is sound.
pub(super) fn resolve(
    model: &Model,
    hierarchy: &mut Hierarchy,
    tenants: &BTreeMap<Name, Effective>,
    out: &mut Vec<Diagnostic>,
) {
    // Projects resolve independently, in parallel; their namespaces are then
    // claimed in project order, so collisions read the same for any number
    // of threads.
    let nodes = &hierarchy.tenants;
    let contributions = contributions(model);
    let resolved: Vec<(Vec<Planned<'_>>, Vec<Diagnostic>)> = model
        .projects
        .par_iter()
        .map(|(name, project)| {
            let mut diagnostics = Vec::new();
            let planned = project_namespaces(
                model,
                nodes,
                tenants,
                &contributions,
                name,
                project,
                &mut diagnostics,
            );
            (planned, diagnostics)
        })
        .collect();
    for (planned, diagnostics) in resolved {
        out.extend(diagnostics);
        for Planned {
            namespace,
            project,
            ns_pointer,
        } in planned
        {
            let key = (namespace.cluster.clone(), namespace.name.clone());
            if let Some(other) = hierarchy.namespaces.get(&key) {
                let first = model.projects.get(&other.project).map(|p| {
                    p.origin
                        .at(&namespace_pointer(&p.spec, other.environment_index))
                });
                out.push(
                    Diagnostic::error(
                        Code::NamespaceCollision,
                        Some(project.origin.at(&ns_pointer)),
                        format!(
                            "namespace `{}` on cluster `{}` is also created by project `{}`",
                            namespace.name, namespace.cluster, other.project
                        ),
                    )
                    .with_note(
                        first,
                        format!("project `{}` creates it here", other.project),
                    ),
                );
                continue;
            }
            hierarchy.namespaces.insert(key, namespace);
        }
    }
}

/// A namespace a project asks for, before collisions are checked.
struct Planned<'m> {
    namespace: Namespace,
    project: &'m Item<ProjectSpec>,
    /// Where the project names it, for a collision error.
    ns_pointer: String,
}

/// What one level contributes to a namespace's merged settings: each tenant
/// of the chain, root first, then the project itself. Tenants and projects
/// spell these fields alike, so one loop merges them all.
struct Level<'a> {
    source: Source,
    origin: &'a crate::model::Origin,
    labels: &'a Labels,
    annotations: &'a crate::model::kinds::Annotations,
    owners: &'a [crate::model::Subject],
    role_bindings: &'a [crate::model::kinds::RoleBinding],
    network: Option<&'a crate::model::kinds::Network>,
    limits: Option<&'a crate::model::kinds::Limits>,
    cost_center: Option<&'a crate::model::names::LabelValue>,
}

/// A [`Level`] of a tenant or project `Item`: both kinds spell these
/// fields alike, but are different types.
macro_rules! level {
    ($source:expr, $item:expr) => {{
        let item = $item;
        let spec = &item.spec;
        Level {
            source: $source,
            origin: &item.origin,
            labels: &spec.labels,
            annotations: &spec.annotations,
            owners: &spec.owners,
            role_bindings: &spec.role_bindings,
            network: spec.network.as_ref(),
            limits: spec.limits.as_ref(),
            cost_center: spec.cost_center.as_ref(),
        }
    }};
}

impl<'a> Level<'a> {
    fn tenant(tenant: &'a Item<TenantSpec>) -> Level<'a> {
        level!(Source::Tenant(tenant.name().clone()), tenant)
    }

    fn project(name: &Name, project: &'a Item<ProjectSpec>) -> Level<'a> {
        level!(Source::Project(name.clone()), project)
    }
}

/// The namespaces of one project with everything they inherit.
fn project_namespaces<'m>(
    model: &Model,
    nodes: &BTreeMap<Name, TenantNode>,
    tenants: &BTreeMap<Name, Effective>,
    contributions: &BTreeMap<&Name, Contribution>,
    name: &Name,
    project: &'m Item<ProjectSpec>,
    out: &mut Vec<Diagnostic>,
) -> Vec<Planned<'m>> {
    let mut planned = Vec::new();
    let Some(node) = nodes.get(&project.spec.tenant) else {
        return planned;
    };
    let Some(inherited) = tenants.get(&node.name) else {
        return planned;
    };
    let project_source = |p: &str| Provenance {
        source: Source::Project(name.clone()),
        location: Some(Arc::new(project.origin.at(p))),
    };
    let spec: &ProjectSpec = &project.spec;
    let effective = settings(
        inherited,
        spec.pod_security,
        spec.network.as_ref().and_then(|n| n.isolation),
        [None, None, None, None],
        project_source,
        super::settings::Place::Below,
        out,
    );

    // Merged, chain order (root first), then the project: nearest wins.
    let mut labels = BTreeMap::new();
    let mut annotations = BTreeMap::new();
    let mut owners: Vec<Sourced<crate::model::Subject>> = Vec::new();
    let mut role_bindings = Vec::new();
    let mut allow_from = Vec::new();
    let mut limits = None;
    let mut cost_center = None;
    let own = Contribution::of(&Level::project(name, project));
    let layers = (node.chain.iter())
        .filter_map(|t| contributions.get(t))
        .map(|layer| (layer, false))
        .chain([(&own, true)]);
    let mut seen_owners = BTreeSet::new();
    for (layer, is_project) in layers {
        // What the tenants set is merged by now: the project is checked
        // against it before it adds its own.
        if is_project {
            no_override(&labels, &annotations, layer, out);
            no_reopening(nodes, &allow_from, layer, &node.name, out);
        }
        labels.extend(layer.labels.iter().cloned());
        annotations.extend(layer.annotations.iter().cloned());
        for owner in &layer.owners {
            if seen_owners.insert(&owner.value) {
                owners.push(owner.clone());
            }
        }
        role_bindings.extend(layer.role_bindings.iter().cloned());
        allow_from.extend(layer.allow_from.iter().cloned());
        if let Some(l) = &layer.limits {
            limits = Some(l.clone());
        }
        if let Some(c) = &layer.cost_center {
            cost_center = Some(c.clone());
        }
    }
    // allowFrom adds up down the chain; a peer named twice is one policy.
    let mut peers = BTreeSet::new();
    allow_from.retain(|a| peers.insert(a.value.clone()));
    if cost_center.is_none() {
        out.push(Diagnostic::warning(
            Code::CostCenterMissing,
            Some(project.origin.at("/metadata/name")),
            format!("project `{name}` has no costCenter, neither its own nor on its tenant chain; its cost is unattributed"),
        ));
    }

    allow_lists(model, project, &effective, out);

    for (e, env) in spec.environments.iter().enumerate() {
        let namespace = env.namespace.clone().unwrap_or_else(|| {
            Name::try_from(format!("{name}-{}", env.name)).unwrap_or_else(|_| name.clone())
        });
        let ns_pointer = namespace_pointer(spec, e);
        if let Some(message) = namespace_refusal(model, name, &namespace) {
            out.push(Diagnostic::error(
                Code::ReservedNamespace,
                Some(project.origin.at(&ns_pointer)),
                message,
            ));
            continue;
        }
        let quota = env.quota.clone().map(|q| Sourced {
            value: q,
            from: project_source(&format!("/spec/environments/{e}/quota")),
        });
        for cluster in &env.clusters {
            let mut kprov_labels = BTreeMap::new();
            kprov_labels.insert("kprov.dev/tenant".to_owned(), node.name.to_string());
            kprov_labels.insert("kprov.dev/project".to_owned(), name.to_string());
            kprov_labels.insert("kprov.dev/environment".to_owned(), env.name.to_string());
            if let Some(c) = &cost_center {
                kprov_labels.insert("kprov.dev/cost-center".to_owned(), c.value.to_string());
            }
            kprov_labels.insert(format!("{name}.tree.kprov.dev/depth"), "0".to_owned());
            for (depth, tenant) in node.chain.iter().rev().enumerate() {
                kprov_labels.insert(
                    format!("{tenant}.tree.kprov.dev/depth"),
                    (depth + 1).to_string(),
                );
            }
            let level = crate::model::serde_name(&effective.pod_security.value);
            for mode in ["enforce", "audit", "warn"] {
                kprov_labels.insert(format!("pod-security.kubernetes.io/{mode}"), level.clone());
            }
            planned.push(Planned {
                project,
                ns_pointer: ns_pointer.clone(),
                namespace: Namespace {
                    name: namespace.clone(),
                    cluster: cluster.clone(),
                    project: name.clone(),
                    environment: env.name.clone(),
                    environment_index: e,
                    tenants: node.chain.clone(),
                    kprov_labels,
                    labels: labels.clone(),
                    annotations: annotations.clone(),
                    owners: owners.clone(),
                    role_bindings: role_bindings.clone(),
                    pod_security: effective.pod_security.clone(),
                    isolation: effective.isolation.clone(),
                    allow_from: allow_from.clone(),
                    limits: limits.clone(),
                    cost_center: cost_center.clone(),
                    quota: quota.clone(),
                },
            });
        }
    }
    planned
}

/// A project adds labels and annotations to its namespaces but does not
/// change what its tenants set: a tenant's label may select the namespace
/// in the platform's policies, and the project file is reviewed by the
/// team alone. (Tenants below a tenant may override it: both are the
/// platform's.)
fn no_override(
    labels: &BTreeMap<String, Sourced<String>>,
    annotations: &BTreeMap<String, Sourced<String>>,
    project: &Contribution,
    out: &mut Vec<Diagnostic>,
) {
    for (field, entries, merged) in [
        ("label", &project.labels, labels),
        ("annotation", &project.annotations, annotations),
    ] {
        for (key, value) in entries {
            if let Some(inherited) = merged.get(key) {
                out.push(
                    Diagnostic::error(
                        Code::InheritedOverride,
                        value.from.location.as_deref().cloned(),
                        format!(
                            "{field} `{key}` is set by {}; a project may add {field}s but not change its tenants'",
                            inherited.from.source
                        ),
                    )
                    .with_note(
                        inherited.from.location.as_deref().cloned(),
                        format!("`{key}` is set here"),
                    ),
                );
            }
        }
    }
}

/// A project's `network.allowFrom` may name only tenants its chain already
/// lets in, or tenants of its own tenant's subtree: opening a namespace to
/// an unrelated tenant undoes the isolation a tenant chose, and the project
/// file is reviewed by the team alone.
fn no_reopening(
    nodes: &BTreeMap<Name, TenantNode>,
    allowed: &[Sourced<Name>],
    project: &Contribution,
    tenant: &Name,
    out: &mut Vec<Diagnostic>,
) {
    for peer in &project.allow_from {
        let in_subtree = nodes
            .get(&peer.value)
            .is_some_and(|n| n.chain.contains(tenant));
        if in_subtree || allowed.iter().any(|a| a.value == peer.value) {
            continue;
        }
        out.push(Diagnostic::error(
            Code::Loosened,
            peer.from.location.as_deref().cloned(),
            format!(
                "tenant `{}` is outside tenant `{tenant}`'s subtree and no tenant above the project lets it in; a project may only name peers its tenants allow (ask the owners of `{tenant}` to add it to their `network.allowFrom`)",
                peer.value
            ),
        ));
    }
}
