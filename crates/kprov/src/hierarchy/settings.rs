//! What a tenant passes down besides additive lists: pod security and
//! isolation, and the allow-lists, which intersect down the chain. The
//! estate's pod security and isolation are defaults: the first tenant on a
//! chain that sets one replaces it, looser or tighter, and below that
//! tenant values only tighten (a looser child is an error naming both
//! places). A floor over the whole estate is a policy's to enforce.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::{Hierarchy, Provenance, Source, Sourced, TenantNode};
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::model::kinds::{DiskSourceRef, Isolation, PodSecurity, ProjectSpec, TenantSpec};
use crate::model::{Glob, Item, Model, Name};

/// What a tenant passes down besides additive lists.
#[derive(Debug, Clone)]
pub(super) struct Effective {
    pub pod_security: Sourced<PodSecurity>,
    pub isolation: Sourced<Isolation>,
    /// Allow-lists on the chain, root first: every one must admit a name.
    /// Shared: every project below a tenant starts from its lists.
    pub allowed: [Vec<Arc<AllowList>>; 4],
}

/// One `allowed…` list of one tenant.
#[derive(Debug, Clone)]
pub(super) struct AllowList {
    pub owner: Name,
    pub globs: Vec<Glob>,
    pub location: Location,
}

/// The allow-lists: field name, what it constrains.
const ALLOW_LISTS: [(&str, &str); 4] = [
    ("allowedClusters", "cluster"),
    ("allowedStorageTiers", "storage tier"),
    ("allowedInstancetypes", "instancetype"),
    ("allowedSanVolumes", "SAN volume"),
];

const CLUSTERS: usize = 0;

const TIERS: usize = 1;

const INSTANCETYPES: usize = 2;

/// Unlike the others, refusing by default: a SAN volume holds some team's
/// data already, so a project may attach one only when a tenant above it
/// lists it.
const SAN_VOLUMES: usize = 3;

fn tenant_source(tenant: &Item<TenantSpec>, pointer: &str) -> Provenance {
    Provenance {
        source: Source::Tenant(tenant.name().clone()),
        location: Some(Arc::new(tenant.origin.at(pointer))),
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

/// Where a setting is written in the hierarchy: a root tenant replaces the
/// estate's defaults; everything below a root only keeps or tightens what
/// it inherits, defaults included, so a project file can never loosen the
/// level the platform set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Place {
    /// A tenant without a parent.
    Root,
    /// A tenant with a parent, or a project.
    Below,
}

/// A child's setting against what it inherits: equal or stricter wins,
/// looser is an error naming both places, unless a root tenant replaces
/// the estate's (or kprov's) default.
fn tighten<T: Ord + Copy + serde::Serialize>(
    inherited: &Sourced<T>,
    own: Option<T>,
    (own_from, place): (impl FnOnce() -> Provenance, Place),
    what: &str,
    out: &mut Vec<Diagnostic>,
) -> Sourced<T> {
    let Some(value) = own else {
        return inherited.clone();
    };
    let from = own_from();
    let replaces_default =
        place == Place::Root && matches!(inherited.from.source, Source::Estate | Source::Default);
    if value < inherited.value && !replaces_default {
        let name = crate::model::serde_name::<T>;
        out.push(
            Diagnostic::error(
                Code::Loosened,
                from.location.as_deref().cloned(),
                match inherited.from.source {
                    Source::Estate | Source::Default => format!(
                        "{what} `{}` is looser than `{}`, the {} default, which only a root tenant may replace; keep `{}`, tighten it, or remove this setting",
                        name(&value),
                        name(&inherited.value),
                        inherited.from.source,
                        name(&inherited.value),
                    ),
                    _ => format!(
                        "{what} `{}` is looser than `{}` set by {}; below it, keep `{}`, tighten it, or remove this setting",
                        name(&value),
                        name(&inherited.value),
                        inherited.from.source,
                        name(&inherited.value),
                    ),
                },
            )
            .with_note(inherited.from.location.as_deref().cloned(), format!("`{}` is set here", name(&inherited.value))),
        );
        return inherited.clone();
    }
    Sourced { value, from }
}

/// Effective settings of every rooted tenant, parents before children.
pub(super) fn of_tenants(
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
                tenant.spec.allowed_san_volumes.as_ref(),
            ],
            |p| tenant_source(tenant, p),
            if node.parent.is_none() {
                Place::Root
            } else {
                Place::Below
            },
            out,
        );
        effective.insert(node.name.clone(), own);
    }
    effective
}

pub(super) fn settings(
    inherited: &Effective,
    pod_security: Option<PodSecurity>,
    isolation: Option<Isolation>,
    lists: [Option<&Vec<Glob>>; 4],
    source: impl Fn(&str) -> Provenance,
    place: Place,
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
            (|| source("/spec/podSecurity"), place),
            "pod security",
            out,
        ),
        isolation: tighten(
            &inherited.isolation,
            isolation,
            (|| source("/spec/network/isolation"), place),
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

/// Every cluster, tier and instancetype a project uses must pass every
/// allow-list on its chain.
pub(super) fn allow_lists(
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
                if !in_env(&vm.environments, &env.name) {
                    continue;
                }
                for disk in vm.all_disks().iter().filter(|d| d.uses_tier()) {
                    if let Some(tier) = disk.tier.or(default) {
                        let pointer = if disk.tier.is_some() {
                            format!("/spec/virtualMachines/{i}{}/tier", disk.at())
                        } else {
                            format!("/spec/virtualMachines/{i}{}", disk.at())
                        };
                        tiers.insert((pointer, tier.to_string()));
                    }
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
        for disk in vm.all_disks() {
            let DiskSourceRef::San(san) = disk.source else {
                continue;
            };
            let address = san.address();
            let at = || {
                origin.at(&format!(
                    "/spec/virtualMachines/{i}{}/source/san",
                    disk.at()
                ))
            };
            let lists = &effective.allowed[SAN_VOLUMES];
            if lists.is_empty() {
                out.push(Diagnostic::error(
                    Code::NotAllowed,
                    Some(at()),
                    format!(
                        "SAN volume `{address}` is not allowed: no tenant above project `{}` lists SAN volumes its projects may attach (`allowedSanVolumes`), and a volume already on the SAN may hold another team's data",
                        project.name()
                    ),
                ));
            } else if let Some(d) = refused(lists, SAN_VOLUMES, &address, at) {
                out.push(d);
            }
        }
    }
}
