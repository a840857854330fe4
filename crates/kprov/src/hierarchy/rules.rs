//! The rules of DESIGN §2, one function per concern. Each reports on the
//! object that breaks a rule (once, not once per namespace) and names the
//! ancestor's setting it conflicts with.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rayon::prelude::*;

use super::{Hierarchy, Namespace, Provenance, Source, Sourced, TenantNode};
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::model::kinds::{Isolation, Labels, PodSecurity, ProjectSpec, TenantSpec};
use crate::model::{Glob, Item, Model, Name};

/// What a tenant passes down besides additive lists.
#[derive(Debug, Clone)]
pub(super) struct Effective {
    pub pod_security: Sourced<PodSecurity>,
    pub isolation: Sourced<Isolation>,
    /// Allow-lists on the chain, root first: every one must admit a name.
    /// Shared: every project below a tenant starts from its lists.
    pub allowed: [Vec<Arc<AllowList>>; 3],
}

/// One `allowed…` list of one tenant.
#[derive(Debug, Clone)]
pub(super) struct AllowList {
    pub owner: Name,
    pub globs: Vec<Glob>,
    pub location: Location,
}

/// The three allow-lists: field name, what it constrains.
const ALLOW_LISTS: [(&str, &str); 3] = [
    ("allowedClusters", "cluster"),
    ("allowedStorageTiers", "storage tier"),
    ("allowedInstancetypes", "instancetype"),
];
const CLUSTERS: usize = 0;
const TIERS: usize = 1;
const INSTANCETYPES: usize = 2;

fn tenant_source(tenant: &Item<TenantSpec>, pointer: &str) -> Provenance {
    Provenance {
        source: Source::Tenant(tenant.name().clone()),
        location: Some(Arc::new(tenant.origin.at(pointer))),
    }
}

/// Build the tenant forest; report cycles and self-parents with every member.
pub(super) fn tree(model: &Model, out: &mut Vec<Diagnostic>) -> Hierarchy {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Visiting,
        Done,
    }
    let mut state: BTreeMap<&Name, State> = BTreeMap::new();
    let mut in_cycle: BTreeSet<&Name> = BTreeSet::new();
    for start in model.tenants.keys() {
        let mut path: Vec<&Name> = Vec::new();
        let mut current = Some(start);
        while let Some(name) = current {
            match state.get(name) {
                Some(State::Done) => break,
                Some(State::Visiting) => {
                    let from = path.iter().position(|n| *n == name).unwrap_or(0);
                    let cycle = &path[from..];
                    in_cycle.extend(cycle.iter().copied());
                    out.push(cycle_error(model, cycle));
                    break;
                }
                None => {}
            }
            state.insert(name, State::Visiting);
            path.push(name);
            current = model.tenants.get(name).and_then(|t| t.spec.parent.as_ref());
        }
        for name in path {
            state.insert(name, State::Done);
        }
    }

    // Chains of tenants whose parent links reach a root; tenants under a
    // cycle or an unknown parent are left out (already reported).
    let mut hierarchy = Hierarchy::default();
    for (name, tenant) in &model.tenants {
        let mut chain = vec![name.clone()];
        let mut parent = tenant.spec.parent.as_ref();
        let mut rooted = !in_cycle.contains(name);
        while let Some(p) = parent {
            match model.tenants.get(p) {
                Some(t) if rooted && !in_cycle.contains(p) => {
                    chain.push(p.clone());
                    parent = t.spec.parent.as_ref();
                }
                _ => {
                    rooted = false;
                    break;
                }
            }
        }
        if !rooted {
            continue;
        }
        chain.reverse();
        hierarchy.tenants.insert(
            name.clone(),
            TenantNode {
                name: name.clone(),
                parent: tenant.spec.parent.clone(),
                children: Vec::new(),
                projects: Vec::new(),
                chain,
            },
        );
    }
    let links: Vec<(Name, Name)> = hierarchy
        .tenants
        .values()
        .filter_map(|t| t.parent.clone().map(|p| (p, t.name.clone())))
        .collect();
    for (parent, child) in links {
        if let Some(p) = hierarchy.tenants.get_mut(&parent) {
            p.children.push(child);
        }
    }
    for (name, project) in &model.projects {
        if let Some(t) = hierarchy.tenants.get_mut(&project.spec.tenant) {
            t.projects.push(name.clone());
        }
    }
    hierarchy.roots = hierarchy
        .tenants
        .values()
        .filter(|t| t.parent.is_none())
        .map(|t| t.name.clone())
        .collect();
    hierarchy
}

fn cycle_error(model: &Model, cycle: &[&Name]) -> Diagnostic {
    // Report at the smallest name so the message does not depend on walk order.
    let start = cycle
        .iter()
        .enumerate()
        .min_by_key(|(_, n)| **n)
        .map_or(0, |(i, _)| i);
    let ordered: Vec<&Name> = cycle[start..]
        .iter()
        .chain(&cycle[..start])
        .copied()
        .collect();
    let at = |n: &Name| model.tenants.get(n).map(|t| t.origin.at("/spec/parent"));
    let message = if ordered.len() == 1 {
        format!("tenant `{}` is its own parent", ordered[0])
    } else {
        let mut names: Vec<String> = ordered.iter().map(|n| n.to_string()).collect();
        names.push(ordered[0].to_string());
        format!("tenant parents form a cycle: {}", names.join(" → "))
    };
    let mut d = Diagnostic::error(Code::TenantCycle, at(ordered[0]), message);
    for n in ordered.iter().skip(1) {
        d = d.with_note(at(n), format!("tenant `{n}` names its parent here"));
    }
    d
}

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
pub(super) fn reserved_names(model: &Model, out: &mut Vec<Diagnostic>) {
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

fn estate_defaults(model: &Model) -> (Sourced<PodSecurity>, Sourced<Isolation>) {
    let estate = model.estate.as_ref();
    let pod_security = match estate.and_then(|e| e.spec.pod_security) {
        Some(level) => Sourced {
            value: level,
            from: Provenance {
                source: Source::Estate,
                location: estate.map(|e| Arc::new(e.origin.at("/spec/podSecurity"))),
            },
        },
        None => Sourced {
            value: PodSecurity::Baseline,
            from: Provenance {
                source: Source::Default,
                location: None,
            },
        },
    };
    let isolation = match estate
        .and_then(|e| e.spec.network.as_ref())
        .and_then(|n| n.isolation)
    {
        Some(isolation) => Sourced {
            value: isolation,
            from: Provenance {
                source: Source::Estate,
                location: estate.map(|e| Arc::new(e.origin.at("/spec/network/isolation"))),
            },
        },
        None => Sourced {
            value: Isolation::Namespace,
            from: Provenance {
                source: Source::Default,
                location: None,
            },
        },
    };
    (pod_security, isolation)
}

/// A child's setting against what it inherits: equal or stricter wins,
/// looser is an error naming both places.
fn tighten<T: Ord + Copy + serde::Serialize>(
    inherited: &Sourced<T>,
    own: Option<T>,
    own_from: impl FnOnce() -> Provenance,
    what: &str,
    out: &mut Vec<Diagnostic>,
) -> Sourced<T> {
    let Some(value) = own else {
        return inherited.clone();
    };
    let from = own_from();
    if value < inherited.value {
        let name = crate::model::serde_name::<T>;
        out.push(
            Diagnostic::error(
                Code::Loosened,
                from.location.as_deref().cloned(),
                format!(
                    "{what} `{}` is looser than `{}` set by {}; a child may only keep or tighten it",
                    name(&value),
                    name(&inherited.value),
                    inherited.from.source
                ),
            )
            .with_note(inherited.from.location.as_deref().cloned(), format!("`{}` is set here", name(&inherited.value))),
        );
        return inherited.clone();
    }
    Sourced { value, from }
}

/// Effective settings of every rooted tenant, parents before children.
pub(super) fn tenant_settings(
    model: &Model,
    hierarchy: &Hierarchy,
    out: &mut Vec<Diagnostic>,
) -> BTreeMap<Name, Effective> {
    let (pod_security, isolation) = estate_defaults(model);
    let root = Effective {
        pod_security,
        isolation,
        allowed: Default::default(),
    };
    let mut order: Vec<&TenantNode> = hierarchy.tenants.values().collect();
    order.sort_by(|a, b| a.chain.len().cmp(&b.chain.len()).then(a.name.cmp(&b.name)));
    let mut effective: BTreeMap<Name, Effective> = BTreeMap::new();
    for node in order {
        let Some(tenant) = model.tenants.get(&node.name) else {
            continue;
        };
        let inherited = node
            .parent
            .as_ref()
            .and_then(|p| effective.get(p))
            .unwrap_or(&root)
            .clone();
        let own = settings(
            &inherited,
            tenant.spec.pod_security,
            tenant.spec.network.as_ref().and_then(|n| n.isolation),
            [
                tenant.spec.allowed_clusters.as_ref(),
                tenant.spec.allowed_storage_tiers.as_ref(),
                tenant.spec.allowed_instancetypes.as_ref(),
            ],
            |p| tenant_source(tenant, p),
            out,
        );
        effective.insert(node.name.clone(), own);
    }
    effective
}

fn settings(
    inherited: &Effective,
    pod_security: Option<PodSecurity>,
    isolation: Option<Isolation>,
    lists: [Option<&Vec<Glob>>; 3],
    source: impl Fn(&str) -> Provenance,
    out: &mut Vec<Diagnostic>,
) -> Effective {
    let mut allowed = inherited.allowed.clone();
    for (i, list) in lists.into_iter().enumerate() {
        if let Some(globs) = list {
            let from = source(&format!("/spec/{}", ALLOW_LISTS[i].0));
            if let (Source::Tenant(owner) | Source::Project(owner), Some(location)) =
                (from.source, from.location)
            {
                allowed[i].push(Arc::new(AllowList {
                    owner,
                    globs: globs.clone(),
                    location: Arc::unwrap_or_clone(location),
                }));
            }
        }
    }
    Effective {
        pod_security: tighten(
            &inherited.pod_security,
            pod_security,
            || source("/spec/podSecurity"),
            "pod security",
            out,
        ),
        isolation: tighten(
            &inherited.isolation,
            isolation,
            || source("/spec/network/isolation"),
            "network isolation",
            out,
        ),
        allowed,
    }
}

/// The first allow-list on the chain that refuses `name`, as a diagnostic
/// at `location` (computed only then: nearly every name is allowed).
fn refused(
    lists: &[Arc<AllowList>],
    kind: usize,
    name: &str,
    location: impl FnOnce() -> Location,
) -> Option<Diagnostic> {
    let refusing: Vec<&AllowList> = lists
        .iter()
        .map(Arc::as_ref)
        .filter(|l| !l.globs.iter().any(|g| g.is_match(name)))
        .collect();
    let first = refusing.first()?;
    let (field, what) = ALLOW_LISTS[kind];
    let globs: Vec<&str> = first.globs.iter().map(Glob::as_str).collect();
    let mut d = Diagnostic::error(
        Code::NotAllowed,
        Some(location()),
        format!(
            "{what} `{name}` is not allowed by tenant `{}` ({field}: [{}])",
            first.owner,
            globs.join(", ")
        ),
    );
    for list in refusing {
        d = d.with_note(
            Some(list.location.clone()),
            format!("{field} of tenant `{}`", list.owner),
        );
    }
    Some(d)
}

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
    fn of(layer: &Layer<'_>) -> Contribution {
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
        .map(|(name, tenant)| (name, Contribution::of(&Layer::tenant(tenant))))
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
fn namespace_refusal(model: &Model, project: &Name, namespace: &Name) -> Option<String> {
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

/// Resolve every namespace of every project whose tenant chain is sound.
pub(super) fn namespaces(
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
struct Layer<'a> {
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

/// A [`Layer`] of a tenant or project `Item`: both kinds spell these
/// fields alike, but are different types.
macro_rules! layer {
    ($source:expr, $item:expr) => {{
        let item = $item;
        let spec = &item.spec;
        Layer {
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

impl<'a> Layer<'a> {
    fn tenant(tenant: &'a Item<TenantSpec>) -> Layer<'a> {
        layer!(Source::Tenant(tenant.name().clone()), tenant)
    }

    fn project(name: &Name, project: &'a Item<ProjectSpec>) -> Layer<'a> {
        layer!(Source::Project(name.clone()), project)
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
        [None, None, None],
        project_source,
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
    let own = Contribution::of(&Layer::project(name, project));
    let tenant_layers = || node.chain.iter().filter_map(|t| contributions.get(t));
    let mut seen_owners = BTreeSet::new();
    for layer in tenant_layers().chain([&own]) {
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
    no_override(tenant_layers(), &own, out);
    no_reopening(nodes, tenant_layers(), &own, &node.name, out);
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
fn no_override<'c>(
    tenants: impl Iterator<Item = &'c Contribution>,
    project: &Contribution,
    out: &mut Vec<Diagnostic>,
) {
    let mut set: BTreeMap<(&str, &str), &Sourced<String>> = BTreeMap::new();
    for layer in tenants {
        for (field, entries) in [("label", &layer.labels), ("annotation", &layer.annotations)] {
            for (key, value) in entries {
                set.insert((field, key.as_str()), value);
            }
        }
    }
    for (field, entries) in [
        ("label", &project.labels),
        ("annotation", &project.annotations),
    ] {
        for (key, value) in entries {
            if let Some(inherited) = set.get(&(field, key.as_str())) {
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
fn no_reopening<'c>(
    nodes: &BTreeMap<Name, TenantNode>,
    tenants: impl Iterator<Item = &'c Contribution>,
    project: &Contribution,
    tenant: &Name,
    out: &mut Vec<Diagnostic>,
) {
    let allowed: BTreeSet<&Name> = tenants
        .flat_map(|l| l.allow_from.iter().map(|a| &a.value))
        .collect();
    for peer in &project.allow_from {
        let in_subtree = nodes
            .get(&peer.value)
            .is_some_and(|n| n.chain.contains(tenant));
        if allowed.contains(&peer.value) || in_subtree {
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

/// Every cluster, tier and instancetype a project uses must pass every
/// allow-list on its chain.
fn allow_lists(
    model: &Model,
    project: &Item<ProjectSpec>,
    effective: &Effective,
    out: &mut Vec<Diagnostic>,
) {
    let spec = &project.spec;
    let origin = &project.origin;
    for (e, env) in spec.environments.iter().enumerate() {
        for (c, cluster) in env.clusters.iter().enumerate() {
            if let Some(d) = refused(
                &effective.allowed[CLUSTERS],
                CLUSTERS,
                cluster.as_str(),
                || origin.at(&format!("/spec/environments/{e}/clusters/{c}")),
            ) {
                out.push(d);
            }
        }
    }
    let in_env =
        |filter: &Option<Vec<Name>>, env: &Name| filter.as_ref().is_none_or(|f| f.contains(env));
    let mut tiers: BTreeSet<(String, String)> = BTreeSet::new();
    for env in &spec.environments {
        for cluster in env.clusters.iter().filter_map(|c| model.clusters.get(c)) {
            let default = cluster
                .spec
                .storage
                .as_ref()
                .and_then(|s| s.default.as_ref());
            for (i, volume) in spec.volumes.iter().enumerate() {
                if let Some(tier) = volume
                    .tier
                    .as_ref()
                    .or(default)
                    .filter(|_| in_env(&volume.environments, &env.name))
                {
                    let pointer = if volume.tier.is_some() {
                        format!("/spec/volumes/{i}/tier")
                    } else {
                        format!("/spec/volumes/{i}")
                    };
                    tiers.insert((pointer, tier.to_string()));
                }
            }
            for (i, vm) in spec.virtual_machines.iter().enumerate() {
                if let Some(tier) = vm
                    .disk
                    .tier
                    .as_ref()
                    .or(default)
                    .filter(|_| in_env(&vm.environments, &env.name))
                {
                    let pointer = if vm.disk.tier.is_some() {
                        format!("/spec/virtualMachines/{i}/disk/tier")
                    } else {
                        format!("/spec/virtualMachines/{i}/disk")
                    };
                    tiers.insert((pointer, tier.to_string()));
                }
            }
        }
    }
    for (pointer, tier) in tiers {
        if let Some(d) = refused(&effective.allowed[TIERS], TIERS, &tier, || {
            origin.at(&pointer)
        }) {
            out.push(d);
        }
    }
    for (i, vm) in spec.virtual_machines.iter().enumerate() {
        if let Some(d) = refused(
            &effective.allowed[INSTANCETYPES],
            INSTANCETYPES,
            &vm.instancetype,
            || origin.at(&format!("/spec/virtualMachines/{i}/instancetype")),
        ) {
            out.push(d);
        }
    }
}
