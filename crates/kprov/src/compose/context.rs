//! Template context (DESIGN §3) and the claims kprov synthesizes for its
//! built-in compositions from the resolved hierarchy.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde_json::{Map, Value, json};

use crate::hierarchy::{Namespace, Source};
use crate::model::kinds::{
    AccessMode, ClusterSpec, Notify, ProjectSpec, Protocol, Quota, StorageTier, Sync,
    VirtualMachine, Volume,
};
use crate::model::{Item, Model, Name, Subject};

use super::engine::{Context, template_value};

/// Context pieces computed once per project, cluster and tenant, already
/// converted to template values: converting a project's whole spec for every
/// claim was the largest cost of composing.
pub(super) struct Contexts {
    projects: BTreeMap<Name, minijinja::Value>,
    clusters: BTreeMap<Name, minijinja::Value>,
    tenants: BTreeMap<Name, minijinja::Value>,
}

impl Contexts {
    pub(super) fn new(model: &Model) -> Contexts {
        Contexts {
            projects: model
                .projects
                .par_iter()
                .map(|(n, p)| (n.clone(), template_value(p.named_spec())))
                .collect(),
            clusters: model
                .clusters
                .par_iter()
                .map(|(n, c)| (n.clone(), template_value(c.named_spec())))
                .collect(),
            tenants: model
                .tenants
                .par_iter()
                .map(|(n, t)| (n.clone(), template_value(t.named_spec())))
                .collect(),
        }
    }

    /// Everything but `claim` and `composed`.
    pub(super) fn base(
        &self,
        ns: &Namespace,
        project: &Item<ProjectSpec>,
        cluster: &Item<ClusterSpec>,
    ) -> Context {
        let none = minijinja::Value::from(());
        let mut context = Context::new();
        let project = self
            .projects
            .get(project.name())
            .cloned()
            .unwrap_or_else(|| none.clone());
        // A view into the project's spec, which holds it already converted.
        let environment = project
            .get_attr("environments")
            .and_then(|list| list.get_item_by_index(ns.environment_index))
            .unwrap_or_else(|_| none.clone());
        context.insert("project", project);
        context.insert("environment", environment);
        context.insert("namespace", minijinja::Value::from(ns.name.as_str()));
        context.insert(
            "cluster",
            self.clusters
                .get(cluster.name())
                .cloned()
                .unwrap_or_else(|| none.clone()),
        );
        let tenants: Vec<minijinja::Value> = ns
            .tenants
            .iter()
            .filter_map(|t| self.tenants.get(t).cloned())
            .collect();
        context.insert("tenants", minijinja::Value::from(tenants));
        context
    }
}

/// `ResourceQuota.spec.hard` from a quota (DESIGN §1 key mapping).
pub(crate) fn quota_hard(quota: &Quota) -> Map<String, Value> {
    let mut hard = Map::new();
    let named = [
        ("requests.cpu", &quota.cpu),
        ("requests.memory", &quota.memory),
        ("requests.storage", &quota.storage),
        ("pods", &quota.pods),
        ("limits.cpu", &quota.limits_cpu),
        ("limits.memory", &quota.limits_memory),
    ];
    for (key, value) in named {
        if let Some(v) = value {
            hard.insert(key.into(), Value::String(v.to_string()));
        }
    }
    for (key, value) in &quota.extra {
        hard.insert(key.clone(), Value::String(value.to_string()));
    }
    hard
}

/// A JSON object of owned values, fields in this order. `json!` would copy
/// every non-literal value through serde, and these are built per namespace.
pub(super) fn object<const N: usize>(fields: [(&str, Value); N]) -> Value {
    Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

fn rbac_subject(subject: &Subject) -> Value {
    const RBAC: &str = "rbac.authorization.k8s.io";
    match subject {
        Subject::User(name) => object([
            ("kind", "User".into()),
            ("apiGroup", RBAC.into()),
            ("name", name.as_str().into()),
        ]),
        Subject::Group(name) => object([
            ("kind", "Group".into()),
            ("apiGroup", RBAC.into()),
            ("name", name.as_str().into()),
        ]),
        Subject::ServiceAccount { namespace, name } => object([
            ("kind", "ServiceAccount".into()),
            ("name", name.as_str().into()),
            ("namespace", namespace.as_str().into()),
        ]),
    }
}

fn source_name(source: &Source) -> String {
    match source {
        Source::Tenant(n) | Source::Project(n) => n.to_string(),
        other => other.to_string(),
    }
}

/// RoleBinding names may contain `:` (ClusterRole names do) but not `/`.
fn binding_name(parts: &[&str]) -> String {
    parts.join("-").replace(['/', ':'], "-")
}

/// The claim of the built-in `namespace` composition: the namespace as the
/// hierarchy stage resolved it, in the shape the templates need.
pub(super) fn namespace_claim(ns: &Namespace) -> Value {
    let mut labels: Map<String, Value> = ns
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.value.clone())))
        .collect();
    for (k, v) in &ns.kprov_labels {
        labels.insert(k.clone(), Value::String(v.clone()));
    }
    let annotations: Map<String, Value> = ns
        .annotations
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.value.clone())))
        .collect();

    // Owners: one `admin` binding per tenant or project that names owners.
    let mut bindings = Vec::new();
    let mut owners: Vec<(String, Vec<Value>)> = Vec::new();
    for owner in &ns.owners {
        let from = source_name(&owner.from.source);
        match owners.iter_mut().find(|(f, _)| *f == from) {
            Some((_, subjects)) => subjects.push(rbac_subject(&owner.value)),
            None => owners.push((from, vec![rbac_subject(&owner.value)])),
        }
    }
    for (from, subjects) in owners {
        bindings.push(object([
            ("name", binding_name(&["kprov-owners", &from]).into()),
            ("role", "admin".into()),
            ("inheritedFrom", from.into()),
            ("subjects", Value::Array(subjects)),
        ]));
    }
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for binding in &ns.role_bindings {
        let from = source_name(&binding.from.source);
        let n = counts
            .entry(format!("{from}/{}", binding.value.role))
            .or_default();
        *n += 1;
        let mut name = binding_name(&["kprov", binding.value.role.as_str(), &from]);
        if *n > 1 {
            name = format!("{name}-{n}");
        }
        let subjects: Vec<Value> = binding.value.subjects.iter().map(rbac_subject).collect();
        bindings.push(object([
            ("name", name.into()),
            ("role", binding.value.role.as_str().into()),
            ("inheritedFrom", from.into()),
            ("subjects", Value::Array(subjects)),
        ]));
    }

    let limits = ns.limits.as_ref().map(|l| {
        let mut item = Map::new();
        item.insert("type".into(), json!("Container"));
        for (key, r) in [
            ("default", &l.value.default),
            ("defaultRequest", &l.value.default_request),
            ("max", &l.value.max),
            ("min", &l.value.min),
        ] {
            if let Some(r) = r {
                let mut m = Map::new();
                if let Some(cpu) = &r.cpu {
                    m.insert("cpu".into(), Value::String(cpu.to_string()));
                }
                if let Some(memory) = &r.memory {
                    m.insert("memory".into(), Value::String(memory.to_string()));
                }
                item.insert(key.into(), Value::Object(m));
            }
        }
        Value::Array(vec![Value::Object(item)])
    });
    object([
        (
            "tenant",
            ns.tenants.last().map_or(Value::Null, |t| t.as_str().into()),
        ),
        ("labels", Value::Object(labels)),
        ("annotations", Value::Object(annotations)),
        ("bindings", Value::Array(bindings)),
        (
            "quota",
            ns.quota
                .as_ref()
                .map_or(Value::Null, |q| Value::Object(quota_hard(&q.value))),
        ),
        ("limits", limits.unwrap_or(Value::Null)),
        (
            "isolation",
            crate::model::serde_name(&ns.isolation.value).into(),
        ),
        (
            "allowFrom",
            ns.allow_from
                .iter()
                .map(|a| Value::String(a.value.to_string()))
                .collect(),
        ),
    ])
}

/// A tier on a cluster, by name or the cluster's default.
fn tier<'c>(
    cluster: &'c Item<ClusterSpec>,
    name: Option<&Name>,
) -> Option<(&'c Name, &'c StorageTier)> {
    let storage = cluster.spec.storage.as_ref()?;
    let name = name.or(storage.default.as_ref())?;
    storage.tiers.get_key_value(name)
}

fn tier_json(name: &Name, tier: &StorageTier) -> Value {
    json!({
        "tier": name,
        "storageClass": tier.storage_class,
        "accessModes": tier.access_modes,
        "volumeMode": tier.volume_mode,
    })
}

/// The claim of the built-in `volume` composition.
pub(super) fn volume_claim(volume: &Volume, cluster: &Item<ClusterSpec>) -> Option<Value> {
    let (name, t) = tier(cluster, volume.tier.as_ref())?;
    let mut spec = tier_json(name, t);
    spec["size"] = json!(volume.size.to_string());
    Some(spec)
}

/// The claim of the built-in `virtual-machine` composition.
pub(super) fn vm_claim(vm: &VirtualMachine, cluster: &Item<ClusterSpec>) -> Option<Value> {
    let (name, t) = tier(cluster, vm.disk.tier.as_ref())?;
    let mut disk = tier_json(name, t);
    disk["size"] = json!(vm.disk.size.to_string());
    let source = match (&vm.image.registry, &vm.image.http, &vm.image.pvc) {
        (Some(url), _, _) => json!({"registry": {"url": url}}),
        (_, Some(url), _) => json!({"http": {"url": url}}),
        (_, _, Some(pvc)) => json!({"pvc": {"namespace": pvc.namespace, "name": pvc.name}}),
        _ => return None,
    };
    let ports: Vec<Value> = vm
        .ports
        .iter()
        .map(|p| {
            let protocol = match p.protocol.unwrap_or(Protocol::Tcp) {
                Protocol::Tcp => "TCP",
                Protocol::Udp => "UDP",
                Protocol::Sctp => "SCTP",
            };
            json!({"name": p.name, "port": p.port, "protocol": protocol})
        })
        .collect();
    Some(json!({
        "instancetype": vm.instancetype,
        "preference": vm.preference,
        "runStrategy": if vm.running.unwrap_or(true) { "Always" } else { "Halted" },
        "source": source,
        "disk": disk,
        // Live migration moves the disk's attachment to another node: only a
        // ReadWriteMany volume allows that.
        "liveMigrate": t.access_modes.contains(&AccessMode::ReadWriteMany),
        "ports": ports,
    }))
}

/// The claim of the built-in `flux-sync` composition; `notify` becomes one
/// Provider and Alert per target.
pub(super) fn sync_claim(sync: &Sync, notify: Option<&Notify>, ns: &Namespace) -> Value {
    let path = sync
        .git
        .path
        .as_deref()
        .unwrap_or("./")
        .replace("{environment}", ns.environment.as_str())
        .replace("{cluster}", ns.cluster.as_str());
    let targets = notify.map_or_else(Vec::new, |n| {
        n.targets()
            .into_iter()
            .map(|(kind, channel, secret)| {
                json!({"type": kind, "channel": channel, "secretRef": secret})
            })
            .collect()
    });
    let mut claim = json!({
        "url": sync.git.url,
        "branch": sync.git.branch.as_deref().unwrap_or("main"),
        "path": path,
        "secretRef": sync.git.secret_ref,
    });
    // Moved in, not copied through serde as `json!` would.
    claim["notify"] = Value::Array(targets);
    claim
}
