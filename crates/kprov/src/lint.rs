//! Built-in lints: platform knowledge kprov checks on every estate, each
//! with a stable id (for `--format json`, and for people searching for it).

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde_json::Value;

use crate::compose::Composed;
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::hierarchy::Hierarchy;
use crate::model::kinds::{AccessMode, DiskSourceRef};
use crate::model::{Date, Model, Quantity};

mod admission;

/// The memory, in bytes, KubeVirt's virt-launcher pod of a VM of the
/// catalog instancetype `t` requests beyond the guest's
/// (`GetMemoryOverhead`): what a quota must hold besides guest memory.
pub(crate) fn launcher_memory_overhead(
    t: &crate::model::catalog::Instancetype,
    tpm: bool,
    dedicated: bool,
) -> i128 {
    admission::overhead(t, tpm, dedicated)
}

/// A lint: id, severity, and what it checks, in one line.
pub struct Lint {
    /// The diagnostic code of its findings; its string is the lint's id, so
    /// the two cannot drift apart.
    pub code: Code,
    /// Severity of its findings (`cluster-overcommit` also warns at 80 %).
    pub severity: Severity,
    /// What it checks and why.
    pub explanation: &'static str,
}

impl Lint {
    /// Stable identifier: the string of its diagnostic code.
    pub fn id(&self) -> &'static str {
        self.code.as_str()
    }
}

/// Every built-in lint.
pub const LINTS: &[Lint] = &[
    Lint {
        code: Code::EtcdQuorum,
        severity: Severity::Error,
        explanation: "prod clusters need an odd number of etcd members, at least 3: quorum is ⌊n/2⌋+1, so 3 survive one loss and 4 still only one",
    },
    Lint {
        code: Code::VmLiveMigration,
        severity: Severity::Error,
        explanation: "evictionStrategy LiveMigrate needs every VM disk on a ReadWriteMany tier; a VM on ReadWriteOnce storage is stopped, not moved, when its node drains (warning for prod VMs that cannot migrate)",
    },
    Lint {
        code: Code::VmFitsQuota,
        severity: Severity::Error,
        explanation: "the virt-launcher pods of a namespace's running VMs must fit its ResourceQuota as admission counts them: guest memory plus KubeVirt's memory overhead, 1/10 CPU per shared vCPU (whole CPUs when dedicated), the limits KubeVirt sets when the quota has `limits.*`, hugepages",
    },
    Lint {
        code: Code::VmFitsLimitrange,
        severity: Severity::Error,
        explanation: "a VM's virt-launcher compute container, guest plus overhead, must not exceed the `max` of its namespace's LimitRange, or admission refuses the pod and the VM never starts",
    },
    Lint {
        code: Code::PodsFitQuota,
        severity: Severity::Error,
        explanation: "the pods a namespace's objects run (a running VM's virt-launcher, workload replicas, Pods, a Job's parallel pods) must fit the quota's `pods` or `count/pods`",
    },
    Lint {
        code: Code::StorageFitsQuota,
        severity: Severity::Error,
        explanation: "the PersistentVolumeClaims a namespace's objects create (volumes, VM disks, DataVolumes) must fit its ResourceQuota: total and per-storage-class `requests.storage` and claim counts, as the cluster's admission counts them",
    },
    Lint {
        code: Code::SanVolumeShared,
        severity: Severity::Error,
        explanation: "a SAN volume may be attached by one running VM only, across every cluster: two running copies of a VM (a project on two prod clusters, or a failover pair without one halted side) would write the same disk",
    },
    Lint {
        code: Code::VmNeedsKubevirt,
        severity: Severity::Error,
        explanation: "a VirtualMachine may only be placed on a cluster with `kubevirt: true`",
    },
    Lint {
        code: Code::ClusterOvercommit,
        severity: Severity::Error,
        explanation: "the quotas on a cluster may not exceed its capacity × overcommit (warning above 80 %, error above 100 %)",
    },
    Lint {
        code: Code::ProjectExpired,
        severity: Severity::Error,
        explanation: "a project whose `expires` date is before `--today` must be renewed or removed (not checked without `--today`: render never reads the clock)",
    },
    Lint {
        code: Code::CostCenterMissing,
        severity: Severity::Warning,
        explanation: "a project with no costCenter on its tenant chain cannot be charged back",
    },
];

/// `spec.lints` of kprov.yaml and the `spec.suppress` of every project
/// name lints that exist. Checked with the model, before any lint runs, so
/// a misspelt id is reported even when something else stops compilation.
pub fn check_settings(model: &Model) -> Vec<Diagnostic> {
    let ids: Vec<String> = LINTS.iter().map(|l| l.id().to_owned()).collect();
    let unknown = |id: &str, location, out: &mut Vec<Diagnostic>| {
        if ids.iter().any(|known| known == id) {
            return;
        }
        let hint = match crate::diagnostic::closest(id, &ids) {
            Some(c) => format!("did you mean `{c}`?"),
            None => "`kprov lints` lists them".to_owned(),
        };
        out.push(Diagnostic::error(
            Code::UnknownLint,
            Some(location),
            format!("no lint `{id}`; {hint}"),
        ));
    };
    let mut out = Vec::new();
    if let Some(estate) = &model.estate {
        for id in estate.spec.lints.keys() {
            let pointer = crate::yaml::push_pointer("/spec/lints", id);
            unknown(id, estate.origin.key(&pointer), &mut out);
        }
    }
    for project in model.projects.values() {
        for (i, s) in project.spec.suppress.iter().enumerate() {
            let at = project.origin.at(&format!("/spec/suppress/{i}/lint"));
            unknown(&s.lint, at, &mut out);
        }
    }
    out
}

/// The lints' `findings` (and any other diagnostics: only lint codes are
/// touched) as the estate configured them: those a project
/// suppresses in its own file dropped, then each lint's level from
/// kprov.yaml applied (`off` drops, `warn` and `error` set the severity).
pub fn apply_settings(model: &Model, findings: Vec<Diagnostic>) -> Vec<Diagnostic> {
    use crate::model::kinds::LintLevel;
    let suppressed: BTreeMap<&str, Vec<&str>> = model
        .projects
        .values()
        .filter(|p| !p.spec.suppress.is_empty())
        .map(|p| {
            let lints = p.spec.suppress.iter().map(|s| s.lint.as_str()).collect();
            (p.origin.file(), lints)
        })
        .collect();
    let levels = model.estate.as_ref().map(|e| &e.spec.lints);
    findings
        .into_iter()
        .filter_map(|mut d| {
            match levels.and_then(|l| l.get(d.code.as_str())) {
                Some(LintLevel::Off) => return None,
                Some(LintLevel::Warn) => d.severity = Severity::Warning,
                Some(LintLevel::Error) => d.severity = Severity::Error,
                None => {}
            }
            let file = d.location.as_ref().map(|l| l.file.as_str());
            let suppressed = file
                .and_then(|f| suppressed.get(f))
                .is_some_and(|lints| lints.contains(&d.code.as_str()));
            // A project file is the team's; an error is the platform's to
            // relax (its level in kprov.yaml), or a request could silence
            // its own expiry or a second writer on a SAN volume.
            match (suppressed, d.severity) {
                (true, Severity::Warning) => None,
                (true, Severity::Error) => {
                    let code = d.code.as_str();
                    Some(d.with_note(
                        None,
                        format!("the project suppresses `{code}`, but a project can only silence warnings; the platform can set its level in kprov.yaml (`spec.lints`)"),
                    ))
                }
                (false, _) => Some(d),
            }
        })
        .collect()
}

/// Options of the lints.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct LintConfig {
    /// The date `project-expired` compares with; `None` skips that lint.
    pub today: Option<Date>,
}

/// Run every lint.
pub fn check(
    model: &Model,
    hierarchy: &Hierarchy,
    composed: &[Composed],
    config: &LintConfig,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    etcd_quorum(model, &mut out);
    vm_lints(model, hierarchy, &mut out);
    live_migration(composed, &mut out);
    san_single_writer(model, composed, &mut out);
    admission::check(model, hierarchy, composed, &mut out);
    cluster_overcommit(model, hierarchy, &mut out);
    if let Some(today) = &config.today {
        for (name, project) in &model.projects {
            if let Some(expires) = &project.spec.expires
                && expires.as_str() < today.as_str()
            {
                out.push(Diagnostic::error(
                    Code::ProjectExpired,
                    Some(project.origin.at("/spec/expires")),
                    format!("project `{name}` expired on {expires} (today is {today}); renew it or remove it"),
                ));
            }
        }
    }
    out
}

fn etcd_quorum(model: &Model, out: &mut Vec<Diagnostic>) {
    for (name, cluster) in model
        .clusters
        .iter()
        .filter(|(_, c)| c.spec.environment.as_str() == "prod")
    {
        match cluster.spec.control_plane.as_ref().map(|c| c.etcd_members) {
            None => out.push(Diagnostic::warning(
                Code::EtcdQuorum,
                Some(cluster.origin.at("/spec")),
                format!("prod cluster `{name}` does not declare `controlPlane.etcdMembers`; production needs an odd number, at least 3"),
            )),
            Some(n) if n < 3 || n % 2 == 0 => out.push(Diagnostic::error(
                Code::EtcdQuorum,
                Some(cluster.origin.at("/spec/controlPlane/etcdMembers")),
                format!(
                    "prod cluster `{name}` has {n} etcd members: quorum is {} and it survives {} loss(es); use an odd number, at least 3",
                    n / 2 + 1,
                    n.saturating_sub(n / 2 + 1)
                ),
            )),
            Some(_) => {}
        }
    }
}

fn vm_lints(model: &Model, hierarchy: &Hierarchy, out: &mut Vec<Diagnostic>) {
    for ns in hierarchy.namespaces.values() {
        let (Some(project), Some(cluster)) = (
            model.projects.get(&ns.project),
            model.clusters.get(&ns.cluster),
        ) else {
            continue;
        };
        let vms: Vec<(usize, &crate::model::kinds::VirtualMachine)> = project
            .spec
            .machines_in(&ns.environment, ns.cluster.as_str())
            .collect();
        if vms.is_empty() {
            continue;
        }
        if !cluster.spec.kubevirt {
            for (i, vm) in &vms {
                out.push(
                    Diagnostic::error(
                        Code::VmNeedsKubevirt,
                        Some(project.origin.at(&format!("/spec/virtualMachines/{i}"))),
                        format!(
                            "VM `{}` would be placed on cluster `{}`, which does not run KubeVirt",
                            vm.name, ns.cluster
                        ),
                    )
                    .with_note(
                        Some(cluster.origin.at("/spec")),
                        "the cluster is defined here (`kubevirt: false` or unset)",
                    ),
                );
            }
        }
        // Prod VMs that cannot live-migrate stop when their node drains.
        if ns.environment.as_str() == "prod" {
            let default = cluster
                .spec
                .storage
                .as_ref()
                .and_then(|s| s.default.as_ref());
            for (i, vm) in &vms {
                let legacy = vm.disks.is_none();
                for disk in vm.all_disks() {
                    let (rwx, on) = match disk.source {
                        DiskSourceRef::San(san) => (
                            san.access_mode() == AccessMode::ReadWriteMany,
                            "an iSCSI LUN, which attaches to one node".to_owned(),
                        ),
                        _ => {
                            let tier = disk.tier.or(default);
                            let rwx = tier
                                .and_then(|t| {
                                    cluster.spec.storage.as_ref().and_then(|s| s.tiers.get(t))
                                })
                                .is_some_and(|t| {
                                    t.access_modes.contains(&AccessMode::ReadWriteMany)
                                });
                            let on = format!(
                                "tier `{}`, which is not ReadWriteMany",
                                tier.map_or("?", |t| t.as_str())
                            );
                            (rwx, on)
                        }
                    };
                    if rwx {
                        continue;
                    }
                    let which = if legacy {
                        "its disk".to_owned()
                    } else {
                        format!("disk `{}`", disk.name)
                    };
                    out.push(Diagnostic::warning(
                        Code::VmLiveMigration,
                        Some(
                            project
                                .origin
                                .at(&format!("/spec/virtualMachines/{i}{}", disk.at())),
                        ),
                        format!(
                            "prod VM `{}` has {which} on {on}: it cannot live-migrate and stops when its node is drained",
                            vm.name,
                        ),
                    ));
                    // One disk is enough to pin the VM; the others add nothing.
                    break;
                }
            }
        }
    }
}

/// The SAN volume a PersistentVolume attaches in place, by the address
/// tenants' allow-lists use, and the claim it is bound to.
fn san_volume(pv: &Value) -> Option<(String, &str, &str)> {
    let text = |path: &[&str]| crate::yaml::str_at(pv, path);
    let address = if let Some(iscsi) = pv.pointer("/spec/iscsi") {
        let lun = iscsi.get("lun").and_then(Value::as_u64)?;
        crate::model::kinds::iscsi_address(
            crate::yaml::str_at(iscsi, &["targetPortal"]),
            crate::yaml::str_at(iscsi, &["iqn"]),
            lun,
        )
    } else if let Some(nfs) = pv.pointer("/spec/nfs") {
        crate::model::kinds::nfs_address(
            crate::yaml::str_at(nfs, &["server"]),
            crate::yaml::str_at(nfs, &["path"]),
        )
    } else {
        return None;
    };
    Some((
        address,
        text(&["spec", "claimRef", "namespace"]),
        text(&["spec", "claimRef", "name"]),
    ))
}

/// Running VMs that attach the same SAN volume, on one cluster or on two:
/// both would write one disk. A VM counts unless it is halted (`Manual`
/// may be started at any time).
fn san_single_writer(model: &Model, composed: &[Composed], out: &mut Vec<Diagnostic>) {
    let mut volumes: BTreeMap<(&str, &str, &str), String> = BTreeMap::new();
    let mut machines: Vec<&Composed> = Vec::new();
    for c in composed {
        match crate::yaml::str_at(&c.object, &["kind"]) {
            "PersistentVolume" => {
                if let Some((address, namespace, claim)) = san_volume(&c.object) {
                    volumes.insert((c.cluster.as_str(), namespace, claim), address);
                }
            }
            "VirtualMachine" => {
                let halted = c
                    .object
                    .pointer("/spec/runStrategy")
                    .and_then(Value::as_str)
                    == Some("Halted")
                    || c.object.pointer("/spec/running").and_then(Value::as_bool) == Some(false);
                if !halted {
                    machines.push(c);
                }
            }
            _ => {}
        }
    }
    if volumes.is_empty() {
        return;
    }
    let mut attached: BTreeMap<&str, Vec<&Composed>> = BTreeMap::new();
    for vm in machines {
        let Some(namespace) = &vm.namespace else {
            continue;
        };
        let claims = vm
            .object
            .pointer("/spec/template/spec/volumes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|v| v.pointer("/persistentVolumeClaim/claimName")?.as_str());
        for claim in claims {
            if let Some(address) = volumes.get(&(vm.cluster.as_str(), namespace.as_str(), claim)) {
                attached.entry(address.as_str()).or_default().push(vm);
            }
        }
    }
    for (address, vms) in attached.into_iter().filter(|(_, v)| v.len() > 1) {
        let who = |c: &Composed| {
            format!(
                "VM {} in `{}` on `{}`",
                crate::yaml::str_at(&c.object, &["metadata", "name"]),
                c.namespace.as_ref().map_or("", |n| n.as_str()),
                c.cluster
            )
        };
        let all: Vec<String> = vms.iter().map(|c| who(c)).collect();
        let first = vms[0];
        out.push(Diagnostic::error(
            Code::SanVolumeShared,
            model
                .projects
                .get(&first.project)
                .map(|p| p.origin.at(&first.pointer)),
            format!(
                "SAN volume `{address}` is attached by {} running VMs: {}; both would write one disk. Give the VM a `failover` (one active cluster, the other halted), or attach the volume to one VM",
                vms.len(),
                all.join(", ")
            ),
        ));
    }
}

/// Composed VMs (an estate may override the built-in) that ask for live
/// migration with a disk that cannot move. Every object is looked at, so in
/// parallel; rayon keeps the findings in object order.
fn live_migration(composed: &[Composed], out: &mut Vec<Diagnostic>) {
    let found: Vec<Diagnostic> = composed
        .par_iter()
        .filter(|c| crate::yaml::str_at(&c.object, &["kind"]) == "VirtualMachine")
        .filter_map(stuck_migration)
        .collect();
    out.extend(found);
}

fn stuck_migration(c: &Composed) -> Option<Diagnostic> {
    let o = &c.object;
    if o.pointer("/spec/template/spec/evictionStrategy")
        .and_then(Value::as_str)
        != Some("LiveMigrate")
    {
        return None;
    }
    let templates = o
        .pointer("/spec/dataVolumeTemplates")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let stuck: Vec<&str> = templates
        .iter()
        .filter(|t| {
            let modes = t
                .pointer("/spec/storage/accessModes")
                .or_else(|| t.pointer("/spec/pvc/accessModes"));
            !modes
                .and_then(Value::as_array)
                .is_some_and(|m| m.iter().any(|m| m == "ReadWriteMany"))
        })
        .map(|t| {
            t.pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or("?")
        })
        .collect();
    if stuck.is_empty() {
        return None;
    }
    Some(Diagnostic::error(
        Code::VmLiveMigration,
        None,
        format!(
            "{}/{}: VirtualMachine {}: evictionStrategy LiveMigrate, but disk(s) {} are not ReadWriteMany (from {})",
            c.cluster,
            c.namespace.as_ref().map_or("", |n| n.as_str()),
            o.pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or("?"),
            stuck.join(", "),
            c.claim
        ),
    ))
}

/// A factor as a plain decimal (`1.5`, not the quantity form `1500m`).
fn decimal(q: &Quantity) -> String {
    let n = q.nanos();
    let (whole, frac) = (n / 1_000_000_000, (n % 1_000_000_000).abs());
    if frac == 0 {
        return whole.to_string();
    }
    format!("{whole}.{}", format!("{frac:09}").trim_end_matches('0'))
}

fn cluster_overcommit(model: &Model, hierarchy: &Hierarchy, out: &mut Vec<Diagnostic>) {
    let mut allocated: BTreeMap<&str, [Quantity; 3]> = BTreeMap::new();
    for ns in hierarchy.namespaces.values() {
        let Some(q) = &ns.quota else { continue };
        let sums = allocated.entry(ns.cluster.as_str()).or_insert([
            Quantity::zero(),
            Quantity::zero(),
            Quantity::zero(),
        ]);
        for (sum, value) in sums
            .iter_mut()
            .zip([&q.value.cpu, &q.value.memory, &q.value.storage])
        {
            if let Some(v) = value {
                *sum = sum.checked_add(v).unwrap_or(*sum);
            }
        }
    }
    for (name, cluster) in &model.clusters {
        let Some(capacity) = &cluster.spec.capacity else {
            continue;
        };
        let Some(sums) = allocated.get(name.as_str()) else {
            continue;
        };
        let overcommit = cluster.spec.overcommit.as_ref();
        let factors = [
            overcommit.and_then(|o| o.cpu),
            overcommit.and_then(|o| o.memory),
            None,
        ];
        let capacities = [capacity.cpu, capacity.memory, capacity.storage];
        for (i, resource) in ["cpu", "memory", "storage"].into_iter().enumerate() {
            let Some(cap) = capacities[i] else { continue };
            let factor = factors[i].unwrap_or_else(|| {
                Quantity::from_nanos(1_000_000_000, crate::model::quantity::Format::DecimalSI)
            });
            // capacity × factor, exactly: nanos × nanos / 1e9.
            let limit = Quantity::from_nanos(
                cap.nanos().saturating_mul(factor.nanos()) / 1_000_000_000,
                cap.format(),
            );
            let Some(permille) = sums[i].ratio_permille(&limit) else {
                continue;
            };
            let message = format!(
                "quotas on cluster `{name}` allocate {} {resource}, {}.{}% of its capacity {cap} × overcommit {} = {}",
                sums[i].readable(),
                permille / 10,
                permille % 10,
                decimal(&factor),
                limit.readable()
            );
            let at = Some(cluster.origin.at(&format!("/spec/capacity/{resource}")));
            if permille > 1000 {
                out.push(Diagnostic::error(Code::ClusterOvercommit, at, message));
            } else if permille > 800 {
                out.push(Diagnostic::warning(Code::ClusterOvercommit, at, message));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::Layer;
    use serde_json::json;

    fn composed(object: Value) -> Composed {
        let name = |s: &str| s.parse::<crate::model::Name>().unwrap();
        Composed {
            cluster: name("c1"),
            namespace: Some(name("shop-prod")),
            project: name("shop"),
            unit: None,
            layer: Layer::Apps,
            file_stem: "shop-prod".into(),
            object,
            composition: name("vm"),
            claim: "VirtualMachine billing (project shop)".into(),
            pointer: "/spec/virtualMachines/0".into(),
            sources: vec!["projects/shop.yaml".to_owned()].into(),
        }
    }

    fn vm(name: &str, eviction: &str, modes: &[&str]) -> Value {
        json!({
            "apiVersion": "kubevirt.io/v1",
            "kind": "VirtualMachine",
            "metadata": {"name": name},
            "spec": {
                "template": {"spec": {"evictionStrategy": eviction}},
                "dataVolumeTemplates": [
                    {"metadata": {"name": format!("{name}-disk")}, "spec": {"storage": {"accessModes": modes}}}
                ]
            }
        })
    }

    #[test]
    fn live_migration_needs_shared_disks_in_object_order() {
        let objects = [
            composed(vm("a", "LiveMigrate", &["ReadWriteOnce"])),
            composed(vm("b", "LiveMigrate", &["ReadWriteMany"])),
            composed(vm("c", "None", &["ReadWriteOnce"])),
            composed(json!({"kind": "ConfigMap", "metadata": {"name": "d"}})),
            composed(vm("e", "LiveMigrate", &[])),
        ];
        let mut out = Vec::new();
        live_migration(&objects, &mut out);
        let messages: Vec<&str> = out.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(messages[0].contains("VirtualMachine a:") && messages[0].contains("a-disk"));
        assert!(messages[1].contains("VirtualMachine e:") && messages[1].contains("e-disk"));
        assert!(messages[0].starts_with("c1/shop-prod: "), "{}", messages[0]);
    }

    /// `kprov lints` states one severity per lint; for a code that is
    /// always emitted as one severity, it must be that one.
    #[test]
    fn each_lint_states_the_severity_its_code_is_emitted_with() {
        for lint in LINTS {
            if let Some(severity) = lint.code.severity() {
                assert_eq!(lint.severity, severity, "{}", lint.id());
            }
        }
        let ids: std::collections::BTreeSet<&str> = LINTS.iter().map(Lint::id).collect();
        assert_eq!(ids.len(), LINTS.len(), "two lints share an id");
    }
}
