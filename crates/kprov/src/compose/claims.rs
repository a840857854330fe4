//! The claims of one namespace, in the order they compose: the namespace
//! itself, volumes, VMs and the Flux sync (synthesized by kprov for its
//! built-in compositions from the resolved hierarchy), then the estate's
//! claims from the project's `resources`.

use serde_json::Value;

use super::context::object;
use super::prepare::{Compositions, Prepared};
use super::{Layer, builtin};
use crate::hierarchy::Source;
use crate::model::Subject;
use crate::model::kinds::{
    AccessMode, ClusterNetwork, ClusterSpec, DiskBus, DiskSourceRef, FirmwareKind, Image, NicModel,
    Notify, PageSize, Protocol, Quota, SanVolume, StorageTier, Sync, VirtualMachine, Volume,
};
use serde_json::{Map, json};
use std::collections::BTreeMap;

use crate::diagnostic::{Code, Diagnostic, Location};
use crate::hierarchy::Namespace;
use crate::model::{Item, Model, Name};

/// One claim to compose.
pub(super) struct Claim<'a> {
    pub(super) kind: &'a str,
    pub(super) name: String,
    pub(super) spec: Value,
    pub(super) composition: &'a Prepared,
    pub(super) layer: Layer,
    pub(super) cluster_scoped_allowed: bool,
    /// Where the claim is defined: the project's document and a pointer,
    /// resolved to a [`Location`] only for a diagnostic.
    pub(super) origin: &'a crate::model::Origin,
    pub(super) pointer: String,
    pub(super) what: String,
}

impl Claim<'_> {
    pub(super) fn at(&self) -> Location {
        self.origin.at(&self.pointer)
    }
}

/// Every claim of one namespace: the namespace itself, then volumes, VMs,
/// Flux sync and estate claims, in source order.
pub(super) fn claims<'c>(
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
            spec: namespace_claim(ns),
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
            let Some(spec) = volume_claim(volume, cluster) else {
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
        for (i, vm) in spec.machines_in(&ns.environment, ns.cluster.as_str()) {
            let Some(spec) = vm_claim(vm, cluster, ns.name.as_str()) else {
                continue;
            };
            claims.push(Claim {
                kind: "VirtualMachine",
                name: vm.name.to_string(),
                spec,
                composition: c,
                layer: Layer::Apps,
                // The PersistentVolumes of SAN disks; place() keeps each
                // bound to a claim of this namespace.
                cluster_scoped_allowed: true,
                origin,
                pointer: format!("/spec/virtualMachines/{i}"),
                what: format!("virtual machine {} (project {})", vm.name, ns.project),
            });
        }
    }
    if let Some(c) = builtin(builtin::NETWORK_ATTACHMENT) {
        // One attachment per network and namespace, however many VMs use
        // it: Multus resolves `networkName` in the VM's own namespace.
        let mut used: BTreeMap<&Name, String> = BTreeMap::new();
        for (i, vm) in spec.machines_in(&ns.environment, ns.cluster.as_str()) {
            for (j, network) in vm.networks.iter().flatten().enumerate() {
                if let Some(name) = &network.multus {
                    used.entry(name).or_insert_with(|| {
                        format!("/spec/virtualMachines/{i}/networks/{j}/multus")
                    });
                }
            }
        }
        for (name, pointer) in used {
            let Some(network) = cluster.spec.networks.get(name) else {
                continue;
            };
            claims.push(Claim {
                kind: "NetworkAttachment",
                name: name.to_string(),
                spec: network_claim(name, network),
                composition: c,
                layer: Layer::Config,
                cluster_scoped_allowed: false,
                origin,
                pointer,
                what: format!("network {name} (project {})", ns.project),
            });
        }
    }
    if let (Some(c), Some(sync)) = (builtin(builtin::FLUX_SYNC), &spec.sync) {
        claims.push(Claim {
            kind: "FluxSync",
            name: ns.project.to_string(),
            spec: sync_claim(sync, spec.notify.as_ref(), ns),
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

/// `ResourceQuota.spec.hard` from a quota (docs/design.md §1 key mapping).
pub(super) fn quota_hard(quota: &Quota) -> Map<String, Value> {
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

/// The claim of the built-in `virtual-machine` composition: every disk
/// with its volume resolved (a DataVolume template on a tier, or a claim
/// bound to a static PersistentVolume on the SAN), the NICs, firmware and
/// node features. The `image` + `disk` form also keeps the `source` and
/// `disk` keys it always had, for estate compositions that read them.
pub(super) fn vm_claim(
    vm: &VirtualMachine,
    cluster: &Item<ClusterSpec>,
    namespace: &str,
) -> Option<Value> {
    let mut disks = Vec::new();
    let mut data_volumes = Vec::new();
    let mut san = Vec::new();
    let mut live_migrate = true;
    let mut legacy = Map::new();
    for disk in vm.all_disks() {
        let volume = format!("{}-{}", vm.name, disk.name);
        let mut device = json!({
            "name": disk.name,
            "volume": volume,
            "dataVolume": !matches!(disk.source, DiskSourceRef::San(_)),
            "cdrom": false,
            "bus": null,
            "bootOrder": null,
        });
        if let Some(d) = disk.index.and_then(|i| vm.disks.as_ref()?.get(i)) {
            let bus = d.bus.unwrap_or(if d.cdrom {
                DiskBus::Sata
            } else {
                DiskBus::Virtio
            });
            device["cdrom"] = json!(d.cdrom);
            // virtio is KubeVirt's default for disks: the `image` + `disk`
            // form never wrote it, and writing it only for `disks` would
            // make the two forms differ for the same machine.
            if d.cdrom || bus != DiskBus::Virtio {
                device["bus"] = json!(bus);
            }
            device["bootOrder"] = json!(d.boot_order);
        }
        disks.push(device);
        let size = disk.size.to_string();
        let source = match disk.source {
            DiskSourceRef::Image(image) => image_source(image)?,
            DiskSourceRef::Blank => json!({"blank": {}}),
            DiskSourceRef::San(lun) => {
                live_migrate &= lun.access_mode() == AccessMode::ReadWriteMany;
                let mut pv = json!({
                    // Namespace names are unique on a cluster, and every
                    // part is a DNS label (at most 63 characters): the
                    // name fits the 253 of a PersistentVolume's.
                    "volumeName": format!("{namespace}-{volume}"),
                    "claimName": volume,
                    "size": size,
                    "accessModes": [lun.access_mode()],
                    "volumeMode": lun.volume_mode(),
                    "iscsi": null,
                    "nfs": null,
                });
                match lun {
                    SanVolume::Iscsi(i) => {
                        pv["iscsi"] =
                            json!({"targetPortal": i.target_portal, "iqn": i.iqn, "lun": i.lun});
                    }
                    SanVolume::Nfs(n) => {
                        pv["nfs"] = json!({"server": n.server, "path": n.path});
                    }
                }
                san.push(pv);
                continue;
            }
        };
        let (name, t) = tier(cluster, disk.tier)?;
        live_migrate &= t.access_modes.contains(&AccessMode::ReadWriteMany);
        let mut storage = tier_json(name, t);
        storage["size"] = json!(size);
        if disk.index.is_none() {
            legacy.insert("source".into(), source.clone());
            legacy.insert("disk".into(), storage.clone());
        }
        let mut template = json!({"name": volume, "source": source});
        if let (Value::Object(t), Value::Object(s)) = (&mut template, storage) {
            t.extend(s);
        }
        data_volumes.push(template);
    }
    if disks.is_empty() {
        return None;
    }
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
    let networks: Vec<Value> = match &vm.networks {
        None => vec![
            json!({"name": "default", "pod": true, "multus": null, "model": null, "macAddress": null}),
        ],
        Some(networks) => networks
            .iter()
            .map(|n| {
                json!({
                    "name": n.name,
                    "pod": n.pod.is_some(),
                    "multus": n.multus,
                    "model": n.model.filter(|m| *m != NicModel::Virtio),
                    "macAddress": n.mac_address,
                })
            })
            .collect(),
    };
    let firmware = vm
        .firmware
        .as_ref()
        .map(|f| json!({"efi": f.kind == FirmwareKind::Uefi, "secureBoot": f.secure_boot}));
    let mut claim = json!({
        "instancetype": vm.instancetype,
        "preference": vm.preference,
        "runStrategy": if vm.runs_on(cluster.name().as_str()) { "Always" } else { "Halted" },
        // Live migration moves every disk's attachment to another node:
        // only ReadWriteMany volumes allow that.
        "liveMigrate": live_migrate,
        "ports": ports,
        "disks": disks,
        "dataVolumes": data_volumes,
        "san": san,
        "networks": networks,
        "firmware": firmware,
        "tpm": vm.tpm,
        "dedicatedCpus": vm.dedicated_cpus,
        "hugepages": vm.hugepages.map(PageSize::as_str),
    });
    if let Value::Object(c) = &mut claim {
        c.extend(legacy);
    }
    Some(claim)
}

fn image_source(image: &Image) -> Option<Value> {
    Some(match (&image.registry, &image.http, &image.pvc) {
        (Some(url), _, _) => json!({"registry": {"url": url}}),
        (_, Some(url), _) => json!({"http": {"url": url}}),
        (_, _, Some(pvc)) => json!({"pvc": {"namespace": pvc.namespace, "name": pvc.name}}),
        _ => return None,
    })
}

/// The claim of the built-in `network-attachment` composition: the
/// cluster's network and the CNI bridge configuration Multus reads.
pub(super) fn network_claim(name: &Name, network: &ClusterNetwork) -> Value {
    // KubeVirt's bridge binding gives the guest the layer-2 segment as it
    // is: no IPAM, the guest keeps the addresses it had.
    let mut config = json!({
        "cniVersion": "0.3.1",
        "name": name,
        "type": "bridge",
        "bridge": network.bridge,
    });
    if let Some(vlan) = network.vlan {
        config["vlan"] = json!(vlan);
    }
    config["ipam"] = json!({});
    json!({
        "bridge": network.bridge,
        "vlan": network.vlan,
        "config": config.to_string(),
    })
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
