//! Admission-true checks on what a namespace's objects make the cluster
//! create: the claims' storage and count (`storage-fits-quota`), how many
//! pods (`pods-fit-quota`), what KubeVirt's virt-launcher pods request
//! (`vm-fits-quota`) and whether the namespace's LimitRange lets them in at
//! all (`vm-fits-limitrange`). Read from the composed objects, so
//! an estate composition's workloads count too; docs/design.md §5 lists what
//! is and is not counted.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::compose::Composed;
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::hierarchy::Hierarchy;
use crate::model::quantity::Format;
use crate::model::{Model, Quantity, catalog};

const NANOS: i128 = 1_000_000_000;
const MI: i128 = 1024 * 1024;

// KubeVirt v1.9.0, pkg/hypervisor/kvm/hypervisorbackend.go (GetMemoryOverhead):
// the resident size of the processes of every virt-launcher pod —
// virt-launcher-monitor 25Mi, virt-launcher 100Mi, virtlogd 25Mi, virtqemud
// 40Mi, qemu 30Mi — plus 8Mi for the IOThread.
const LAUNCHER_FIXED_MI: i128 = 25 + 100 + 25 + 40 + 30 + 8;
/// CPU table overhead per vCPU.
const PER_VCPU_MI: i128 = 8;
/// Video RAM, unless `autoattachGraphicsDevice: false`.
const VIDEO_MI: i128 = 32;
/// The swtpm process of a VM with a TPM device.
const TPM_MI: i128 = 53;
/// Added for dedicated CPUs (or guaranteed QoS).
const DEDICATED_MI: i128 = 100;
/// KubeVirt's default `cpuAllocationRatio` (pkg/virt-config): a shared-CPU
/// VM's launcher requests 1/10 CPU per vCPU.
const CPU_ALLOCATION_RATIO: i128 = 10;
/// The default ratio of KubeVirt's automatic memory limit to the request,
/// set when the namespace's quota has `limits.memory`.
const AUTO_MEMORY_LIMIT_RATIO: i128 = 2;

fn bytes(n: i128) -> Quantity {
    Quantity::from_nanos(n * NANOS, Format::BinarySI)
}

fn cores(millis: i128) -> Quantity {
    Quantity::from_nanos(millis * 1_000_000, Format::DecimalSI)
}

/// What a VirtualMachineInstance asks for, in the terms KubeVirt's pod
/// renderer reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Guest {
    pub(super) vcpus: i128,
    /// `domain.memory.guest`, in bytes.
    pub(super) memory: i128,
    /// `domain.resources.requests.memory`, in bytes, only when set on the
    /// VMI itself (an overcommitting instancetype sets it).
    pub(super) memory_request: Option<i128>,
    /// `domain.resources.requests.cpu`, in millicores, when set.
    pub(super) cpu_request: Option<i128>,
    pub(super) dedicated: bool,
    pub(super) isolate_emulator_thread: bool,
    pub(super) hugepages: Option<String>,
    pub(super) graphics: bool,
    pub(super) tpm: bool,
}

impl Guest {
    /// A VM of a catalog instancetype, with KubeVirt's defaults for
    /// everything the instancetype leaves open.
    pub(super) fn of(t: &catalog::Instancetype) -> Guest {
        let memory = t.memory().nanos() / NANOS;
        let overcommit = i128::from(t.overcommit_percent());
        Guest {
            vcpus: i128::from(t.cpus),
            memory,
            // pkg/instancetype/apply/memory.go scales in float32, which is
            // exact for the catalog's power-of-two sizes.
            memory_request: (overcommit > 0).then(|| memory * (100 - overcommit) / 100),
            cpu_request: None,
            dedicated: t.dedicated_cpus(),
            isolate_emulator_thread: t.dedicated_cpus(),
            hugepages: t.hugepages().map(str::to_owned),
            graphics: true,
            tpm: false,
        }
    }

    /// KubeVirt's `GetMemoryOverhead`, in bytes, for the devices kprov can
    /// see. The page-table term reads the VMI's own memory request, which
    /// KubeVirt leaves unset when only `memory.guest` is given (every
    /// instancetype but an overcommitting one), so it is then zero.
    pub(super) fn memory_overhead(&self) -> i128 {
        let pagetables = self.memory_request.map_or(0, |r| {
            // ScaledValue(Kilo) rounds up to whole kB before dividing by 512.
            (r + 999) / 1000 * 1000 / 512
        });
        let mut mi = LAUNCHER_FIXED_MI + PER_VCPU_MI * self.vcpus.max(1);
        if self.graphics {
            mi += VIDEO_MI;
        }
        if self.tpm {
            mi += TPM_MI;
        }
        if self.dedicated {
            mi += DEDICATED_MI;
        }
        pagetables + mi * MI
    }

    /// The compute container of the virt-launcher pod, as
    /// pkg/virt-controller/services/renderresources.go renders it.
    pub(super) fn launcher(&self, auto_cpu_limit: bool, auto_memory_limit: bool) -> Launcher {
        let overhead = self.memory_overhead();
        let asked = self.memory_request.unwrap_or(self.memory);
        // With hugepages the guest lives in `hugepages-<size>`; `memory` is
        // what the request exceeds the guest by, plus the overhead.
        let (guest_part, hugepages) = match &self.hugepages {
            Some(size) => (
                (asked - self.memory).max(0),
                Some((format!("hugepages-{size}"), asked.min(self.memory))),
            ),
            None => (asked, None),
        };
        let memory = guest_part + overhead;
        if self.dedicated {
            let cpus = self.vcpus + i128::from(self.isolate_emulator_thread);
            return Launcher {
                cpu: cores(cpus * 1000),
                guest_memory: bytes(guest_part),
                overhead: bytes(overhead),
                memory: bytes(memory),
                cpu_limit: Some(cores(cpus * 1000)),
                memory_limit: Some(bytes(memory)),
                hugepages: hugepages.map(|(k, v)| (k, bytes(v))),
            };
        }
        let cpu = self
            .cpu_request
            .unwrap_or(self.vcpus * 1000 / CPU_ALLOCATION_RATIO);
        Launcher {
            cpu: cores(cpu),
            guest_memory: bytes(guest_part),
            overhead: bytes(overhead),
            memory: bytes(memory),
            cpu_limit: auto_cpu_limit.then(|| cores(self.vcpus * 1000)),
            memory_limit: auto_memory_limit.then(|| bytes(memory * AUTO_MEMORY_LIMIT_RATIO)),
            hugepages: hugepages.map(|(k, v)| (k, bytes(v))),
        }
    }
}

/// [`Guest::memory_overhead`] of a VM of the catalog instancetype `t`, as
/// kprov's VirtualMachine composes it: a TPM device when `tpm`, and with
/// `dedicated` CPUs the emulator thread isolated too.
pub(super) fn overhead(t: &catalog::Instancetype, tpm: bool, dedicated: bool) -> i128 {
    let mut guest = Guest::of(t);
    guest.tpm = tpm;
    guest.dedicated |= dedicated;
    guest.isolate_emulator_thread |= dedicated;
    guest.memory_overhead()
}

/// The requests and limits of a virt-launcher pod's compute container.
#[derive(Debug, Clone)]
pub(super) struct Launcher {
    pub(super) cpu: Quantity,
    /// The part of `memory` that is the guest's.
    pub(super) guest_memory: Quantity,
    pub(super) overhead: Quantity,
    pub(super) memory: Quantity,
    pub(super) cpu_limit: Option<Quantity>,
    pub(super) memory_limit: Option<Quantity>,
    pub(super) hugepages: Option<(String, Quantity)>,
}

/// Whether a VirtualMachine's launcher pod runs once applied. `Manual` and
/// an unset strategy start nothing, so neither is counted.
fn runs(vm: &Value) -> bool {
    match vm.pointer("/spec/runStrategy").and_then(Value::as_str) {
        Some(strategy) => matches!(strategy, "Always" | "RerunOnFailure" | "Once"),
        None => vm.pointer("/spec/running").and_then(Value::as_bool) == Some(true),
    }
}

fn quantity_at(v: &Value, pointer: &str) -> Option<Quantity> {
    match v.pointer(pointer)? {
        Value::String(s) => Quantity::parse(s).ok(),
        Value::Number(n) => Quantity::parse(&n.to_string()).ok(),
        _ => None,
    }
}

/// What a composed VirtualMachine runs: its instancetype (or `custom`) and
/// guest, or `None` when kprov cannot know (a namespaced or unknown
/// instancetype, no memory in the template).
fn guest_of(vm: &Value) -> Option<(String, Guest)> {
    let domain = vm
        .pointer("/spec/template/spec/domain")
        .unwrap_or(&Value::Null);
    let (name, mut guest) = match vm.pointer("/spec/instancetype") {
        Some(matcher) => {
            let kind = matcher.get("kind").and_then(Value::as_str);
            if !kind.is_none_or(|k| k.eq_ignore_ascii_case("VirtualMachineClusterInstancetype")) {
                return None;
            }
            let name = matcher.get("name").and_then(Value::as_str)?;
            let mut guest = Guest::of(catalog::instancetype(name)?);
            // KubeVirt applies what the instancetype leaves open from the
            // template: a shared-CPU instancetype with the VM's own
            // dedicated CPUs or hugepages runs as those.
            let flag = |key: &str| {
                domain
                    .pointer(&format!("/cpu/{key}"))
                    .and_then(Value::as_bool)
                    == Some(true)
            };
            guest.dedicated |= flag("dedicatedCpuPlacement");
            guest.isolate_emulator_thread |= flag("isolateEmulatorThread");
            if guest.hugepages.is_none() {
                guest.hugepages = domain
                    .pointer("/memory/hugepages/pageSize")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
            }
            (name.to_owned(), guest)
        }
        None => ("custom".to_owned(), template_guest(domain)?),
    };
    let devices = domain.get("devices");
    guest.graphics = devices
        .and_then(|d| d.get("autoattachGraphicsDevice"))
        .and_then(Value::as_bool)
        != Some(false);
    guest.tpm = devices.and_then(|d| d.get("tpm")).is_some();
    Some((name, guest))
}

/// A VM without an instancetype: its domain, defaulted as KubeVirt's
/// webhooks default it.
fn template_guest(domain: &Value) -> Option<Guest> {
    let whole = |q: Quantity| (q.nanos() + NANOS - 1) / NANOS;
    let request = |r: &str| quantity_at(domain, &format!("/resources/requests/{r}"));
    let limit = |r: &str| quantity_at(domain, &format!("/resources/limits/{r}"));
    let memory_request = request("memory").map(whole);
    let memory = quantity_at(domain, "/memory/guest")
        .map(whole)
        .or(memory_request)
        .or_else(|| limit("memory").map(whole))?;
    let cpu = domain.get("cpu");
    let topology = |key: &str| {
        cpu.and_then(|c| c.get(key))
            .and_then(Value::as_i64)
            .map(i128::from)
    };
    let vcpus = match (topology("sockets"), topology("cores"), topology("threads")) {
        (None, None, None) => limit("cpu")
            .or_else(|| request("cpu"))
            .map_or(1, |q| (q.nanos() + NANOS - 1) / NANOS),
        (s, c, t) => s.unwrap_or(1) * c.unwrap_or(1) * t.unwrap_or(1),
    };
    let flag = |key: &str| cpu.and_then(|c| c.get(key)).and_then(Value::as_bool) == Some(true);
    Some(Guest {
        vcpus: vcpus.max(1),
        memory,
        memory_request,
        cpu_request: request("cpu").map(|q| q.nanos() / 1_000_000),
        dedicated: flag("dedicatedCpuPlacement"),
        isolate_emulator_thread: flag("isolateEmulatorThread"),
        hugepages: domain
            .pointer("/memory/hugepages/pageSize")
            .and_then(Value::as_str)
            .map(str::to_owned),
        graphics: true,
        tpm: false,
    })
}

/// The pods an object keeps running, when that is exact: a running VM's
/// virt-launcher, a workload's replicas, a Pod, a Job's parallel pods.
fn pods_of(object: &Value, kind: &str) -> Option<i128> {
    let int = |p: &str| object.pointer(p).and_then(Value::as_i64).map(i128::from);
    match kind {
        "VirtualMachine" => runs(object).then_some(1),
        "Deployment" | "StatefulSet" | "ReplicaSet" | "ReplicationController" => {
            Some(int("/spec/replicas").unwrap_or(1))
        }
        "Pod" => Some(1),
        "Job" => {
            if object.pointer("/spec/suspend").and_then(Value::as_bool) == Some(true) {
                return None;
            }
            let parallel = int("/spec/parallelism").unwrap_or(1);
            Some(int("/spec/completions").map_or(parallel, |c| c.min(parallel)))
        }
        _ => None,
    }
}

/// The kinds this module looks at; everything else is skipped by its kind
/// before any per-namespace lookup.
const KINDS: [&str; 11] = [
    "ResourceQuota",
    "LimitRange",
    "VirtualMachine",
    "PersistentVolumeClaim",
    "DataVolume",
    "Deployment",
    "StatefulSet",
    "ReplicaSet",
    "ReplicationController",
    "Pod",
    "Job",
];

/// One PersistentVolumeClaim a composed object makes the cluster create:
/// the object's own description, its storage class and its size.
struct ClaimedStorage {
    what: String,
    class: String,
    size: Quantity,
}

/// The kinds [`claimed_storage`] finds claims in.
const CLAIMING_KINDS: [&str; 3] = ["PersistentVolumeClaim", "DataVolume", "VirtualMachine"];

/// The claims an object creates, as admission sees them: a
/// PersistentVolumeClaim itself, every `dataVolumeTemplates` entry of a
/// VirtualMachine, and a DataVolume (`spec.storage` or `spec.pvc`).
fn claimed_storage(object: &Value) -> Vec<ClaimedStorage> {
    let text = |v: &Value, keys: &[&str]| crate::yaml::str_at(v, keys).to_owned();
    let name = text(object, &["metadata", "name"]);
    let claim = |what: String, spec: &Value| {
        let size = crate::yaml::str_at(spec, &["resources", "requests", "storage"]);
        Quantity::parse(size).ok().map(|size| ClaimedStorage {
            what,
            class: text(spec, &["storageClassName"]),
            size,
        })
    };
    let data_volume = |what: String, spec: &Value| {
        ["storage", "pvc"]
            .iter()
            .find_map(|key| crate::yaml::field(spec, key))
            .and_then(|storage| claim(what, storage))
    };
    match crate::yaml::str_at(object, &["kind"]) {
        "PersistentVolumeClaim" => crate::yaml::field(object, "spec")
            .and_then(|spec| claim(format!("volume {name}"), spec))
            .into_iter()
            .collect(),
        "DataVolume" => crate::yaml::field(object, "spec")
            .and_then(|spec| data_volume(format!("DataVolume {name}"), spec))
            .into_iter()
            .collect(),
        "VirtualMachine" => crate::yaml::field(object, "spec")
            .and_then(|spec| crate::yaml::field(spec, "dataVolumeTemplates"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|template| {
                let disk = text(template, &["metadata", "name"]);
                crate::yaml::field(template, "spec")
                    .and_then(|spec| data_volume(format!("VM {name} disk {disk}"), spec))
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// One running VM of a namespace.
struct Vm<'c> {
    object: &'c Composed,
    name: &'c str,
    instancetype: String,
    guest: Guest,
}

#[derive(Default)]
struct Index<'c> {
    quota: Option<&'c Composed>,
    hard: Option<&'c Value>,
    limit_ranges: Vec<&'c Composed>,
    /// Claims the objects make: volumes, DataVolumes, VM disks.
    claims: Vec<ClaimedStorage>,
    /// Objects that run pods: description and count.
    pods: Vec<(String, i128)>,
    vms: Vec<Vm<'c>>,
}

/// Where a namespace's quota is set: the project or tenant that set it, or
/// the project's spec.
fn quota_location(model: &Model, hierarchy: &Hierarchy, c: &Composed) -> Option<Location> {
    let key = (c.cluster.clone(), c.namespace.clone()?);
    let ns = hierarchy.namespaces.get(&key)?;
    let project = model.projects.get(&ns.project)?;
    Some(
        ns.quota
            .as_ref()
            .and_then(|q| q.from.location.as_deref().cloned())
            .unwrap_or_else(|| project.origin.at("/spec")),
    )
}

/// Where the claim that made an object is written.
fn claim_location(model: &Model, c: &Composed) -> Option<Location> {
    model
        .projects
        .get(&c.project)
        .map(|p| p.origin.at(&c.pointer))
}

fn count(n: i128) -> Quantity {
    Quantity::from_nanos(n * NANOS, Format::DecimalSI)
}

/// Run the three checks.
pub(super) fn check(
    model: &Model,
    hierarchy: &Hierarchy,
    composed: &[Composed],
    out: &mut Vec<Diagnostic>,
) {
    let mut by_namespace: BTreeMap<(&str, &str), Index<'_>> = BTreeMap::new();
    for c in composed {
        let kind = crate::yaml::str_at(&c.object, &["kind"]);
        if !KINDS.contains(&kind) {
            continue;
        }
        let Some(namespace) = &c.namespace else {
            continue;
        };
        let entry = by_namespace
            .entry((c.cluster.as_str(), namespace.as_str()))
            .or_default();
        match kind {
            "ResourceQuota" => {
                entry.quota = Some(c);
                entry.hard = c.object.pointer("/spec/hard");
            }
            "LimitRange" => entry.limit_ranges.push(c),
            _ => {}
        }
        if CLAIMING_KINDS.contains(&kind) {
            entry.claims.extend(claimed_storage(&c.object));
        }
        let name = crate::yaml::str_at(&c.object, &["metadata", "name"]);
        if let Some(n) = pods_of(&c.object, kind) {
            let what = match kind {
                "VirtualMachine" => format!("VM {name}"),
                _ => format!("{kind} {name}"),
            };
            entry.pods.push((what, n));
        }
        if kind == "VirtualMachine"
            && runs(&c.object)
            && let Some((instancetype, guest)) = guest_of(&c.object)
        {
            entry.vms.push(Vm {
                object: c,
                name,
                instancetype,
                guest,
            });
        }
    }
    for ((cluster, namespace), index) in &by_namespace {
        let hard = index.hard;
        let limit = |key: &str| {
            hard.and_then(|h| h.get(key))
                .and_then(Value::as_str)
                .and_then(|q| Quantity::parse(q).ok())
        };
        let location = || {
            index
                .quota
                .and_then(|c| quota_location(model, hierarchy, c))
        };
        if hard.is_some() {
            storage_fits_quota(index, &limit, (cluster, namespace), location, out);
        }
        pods_fit_quota(index, &limit, (cluster, namespace), location, out);
        if index.vms.is_empty() {
            continue;
        }
        let auto_cpu = limit("limits.cpu").is_some();
        let auto_memory = limit("limits.memory").is_some();
        let launchers: Vec<Launcher> = index
            .vms
            .iter()
            .map(|vm| vm.guest.launcher(auto_cpu, auto_memory))
            .collect();
        if hard.is_some() {
            vm_fits_quota(
                index,
                &launchers,
                &limit,
                (cluster, namespace),
                location,
                out,
            );
        }
        vm_fits_limitrange(
            model,
            hierarchy,
            index,
            &launchers,
            (cluster, namespace),
            out,
        );
    }
}

/// The namespace's claimed storage against its quota, key by key as the
/// quota admission plugin counts: the total `requests.storage` and
/// `persistentvolumeclaims`, and the same per storage class
/// (`<class>.storageclass.storage.k8s.io/…`).
fn storage_fits_quota(
    index: &Index<'_>,
    limit: &dyn Fn(&str) -> Option<Quantity>,
    (cluster, namespace): (&str, &str),
    location: impl Fn() -> Option<Location>,
    out: &mut Vec<Diagnostic>,
) {
    let claims = &index.claims;
    if claims.is_empty() {
        return;
    }
    let mut checks: Vec<(String, Vec<&ClaimedStorage>)> =
        vec![(String::new(), claims.iter().collect())];
    let classes: std::collections::BTreeSet<&str> =
        claims.iter().map(|c| c.class.as_str()).collect();
    for class in classes.into_iter().filter(|c| !c.is_empty()) {
        checks.push((
            format!("{class}.storageclass.storage.k8s.io/"),
            claims.iter().filter(|c| c.class == class).collect(),
        ));
    }
    for (prefix, claims) in checks {
        let size = Quantity::sum(claims.iter().map(|c| &c.size)).unwrap_or_else(Quantity::zero);
        let number = count(i128::try_from(claims.len()).unwrap_or(i128::MAX));
        for (key, need) in [
            (format!("{prefix}requests.storage"), size),
            (format!("{prefix}persistentvolumeclaims"), number),
        ] {
            let Some(allowed) = limit(&key) else { continue };
            if need <= allowed {
                continue;
            }
            let over = need.checked_sub(&allowed).unwrap_or_else(Quantity::zero);
            let (need, allowed, over) = (need.readable(), allowed.readable(), over.readable());
            let list: Vec<String> = claims
                .iter()
                .map(|c| format!("{} {}", c.what, c.size.readable()))
                .collect();
            out.push(Diagnostic::error(
                Code::StorageFitsQuota,
                location(),
                format!(
                    "namespace `{namespace}` on `{cluster}` claims {need} of `{key}` but its quota allows {allowed} ({over} over): {}",
                    list.join(", ")
                ),
            ));
        }
    }
}

fn pods_fit_quota(
    index: &Index<'_>,
    limit: &dyn Fn(&str) -> Option<Quantity>,
    (cluster, namespace): (&str, &str),
    location: impl Fn() -> Option<Location>,
    out: &mut Vec<Diagnostic>,
) {
    if index.pods.is_empty() {
        return;
    }
    let total: i128 = index.pods.iter().map(|(_, n)| n).sum();
    let need = count(total);
    for key in ["pods", "count/pods"] {
        let Some(allowed) = limit(key) else { continue };
        if need <= allowed {
            continue;
        }
        let over = need.checked_sub(&allowed).unwrap_or_else(Quantity::zero);
        let list: Vec<String> = index
            .pods
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(what, n)| format!("{what} {n}"))
            .collect();
        out.push(Diagnostic::error(
            Code::PodsFitQuota,
            location(),
            format!(
                "namespace `{namespace}` on `{cluster}` runs {need} pods but its quota allows {allowed} of `{key}` ({over} over): {}",
                list.join(", ")
            ),
        ));
    }
}

fn vm_fits_quota(
    index: &Index<'_>,
    launchers: &[Launcher],
    limit: &dyn Fn(&str) -> Option<Quantity>,
    (cluster, namespace): (&str, &str),
    location: impl Fn() -> Option<Location>,
    out: &mut Vec<Diagnostic>,
) {
    let sum = |f: &dyn Fn(&Launcher) -> Option<Quantity>| -> Option<Quantity> {
        let values: Vec<Quantity> = launchers.iter().filter_map(f).collect();
        if values.is_empty() {
            return None;
        }
        Quantity::sum(values.iter())
    };
    let mut checks: Vec<(String, Option<Quantity>, bool)> = Vec::new();
    for key in ["requests.cpu", "cpu"] {
        checks.push((key.into(), sum(&|l| Some(l.cpu)), false));
    }
    for key in ["requests.memory", "memory"] {
        checks.push((key.into(), sum(&|l| Some(l.memory)), true));
    }
    checks.push(("limits.cpu".into(), sum(&|l| l.cpu_limit), false));
    checks.push(("limits.memory".into(), sum(&|l| l.memory_limit), true));
    let sizes: std::collections::BTreeSet<&str> = launchers
        .iter()
        .filter_map(|l| l.hugepages.as_ref().map(|(k, _)| k.as_str()))
        .collect();
    for resource in sizes {
        let of = |l: &Launcher| {
            l.hugepages
                .as_ref()
                .filter(|(k, _)| k == resource)
                .map(|(_, v)| *v)
        };
        for key in [format!("requests.{resource}"), resource.to_owned()] {
            checks.push((key, sum(&of), false));
        }
    }
    for (key, need, memory) in checks {
        let (Some(need), Some(allowed)) = (need, limit(&key)) else {
            continue;
        };
        if need <= allowed {
            continue;
        }
        let over = need.checked_sub(&allowed).unwrap_or_else(Quantity::zero);
        let (need, allowed, over) = (need.readable(), allowed.readable(), over.readable());
        let per_vm = |l: &Launcher| match key.as_str() {
            "requests.cpu" | "cpu" => l.cpu.to_string(),
            "limits.cpu" => l.cpu_limit.unwrap_or_else(Quantity::zero).to_string(),
            "limits.memory" => l.memory_limit.unwrap_or_else(Quantity::zero).to_string(),
            "requests.memory" | "memory" => {
                format!("{} + {} overhead", l.guest_memory, l.overhead)
            }
            _ => l
                .hugepages
                .as_ref()
                .map_or_else(String::new, |(_, v)| v.to_string()),
        };
        let list: Vec<String> = index
            .vms
            .iter()
            .zip(launchers)
            .map(|(vm, l)| format!("{} ({}) {}", vm.name, vm.instancetype, per_vm(l)))
            .collect();
        let total = |f: fn(&Launcher) -> &Quantity| {
            Quantity::sum(launchers.iter().map(f)).unwrap_or_else(Quantity::zero)
        };
        let (guests, overhead) = (
            total(|l| &l.guest_memory).readable(),
            total(|l| &l.overhead).readable(),
        );
        let why = match key.as_str() {
            "limits.memory" => format!(
                " (KubeVirt's automatic limit, {AUTO_MEMORY_LIMIT_RATIO} × the request of {guests} guest memory + {overhead} virt-launcher overhead)"
            ),
            _ if memory => format!(" ({guests} guest memory + {overhead} virt-launcher overhead)"),
            "limits.cpu" => " (KubeVirt's automatic limit, one CPU per vCPU)".to_owned(),
            "requests.cpu" | "cpu" => {
                " (1/10 CPU per shared vCPU, whole CPUs when dedicated)".to_owned()
            }
            _ => String::new(),
        };
        out.push(Diagnostic::error(
            Code::VmFitsQuota,
            location(),
            format!(
                "the virt-launcher pods of the VMs of namespace `{namespace}` on `{cluster}` need {need} of `{key}`{why} but its quota allows {allowed} ({over} over): {}",
                list.join(", ")
            ),
        ));
    }
}

fn vm_fits_limitrange(
    model: &Model,
    hierarchy: &Hierarchy,
    index: &Index<'_>,
    launchers: &[Launcher],
    (cluster, namespace): (&str, &str),
    out: &mut Vec<Diagnostic>,
) {
    for range in &index.limit_ranges {
        let range_name = crate::yaml::str_at(&range.object, &["metadata", "name"]);
        let items = range
            .object
            .pointer("/spec/limits")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        for item in items {
            let scope = item.get("type").and_then(Value::as_str).unwrap_or("");
            if scope != "Container" && scope != "Pod" {
                continue;
            }
            for resource in ["cpu", "memory"] {
                let Some(max) = quantity_at(item, &format!("/max/{resource}")) else {
                    continue;
                };
                for (vm, l) in index.vms.iter().zip(launchers) {
                    let (request, limit) = match resource {
                        "cpu" => (l.cpu, l.cpu_limit),
                        _ => (l.memory, l.memory_limit),
                    };
                    let (what, value) = match limit {
                        Some(limit) if limit > max && limit > request => ("limit", limit),
                        _ if request > max => ("request", request),
                        _ => continue,
                    };
                    let over = value.checked_sub(&max).unwrap_or_else(Quantity::zero);
                    let (value, max, over) = (value.readable(), max.readable(), over.readable());
                    let detail = if resource == "memory" {
                        format!(
                            " ({} guest + {} virt-launcher overhead{})",
                            l.guest_memory,
                            l.overhead,
                            if what == "limit" && l.memory_limit != Some(l.memory) {
                                format!(
                                    ", × {AUTO_MEMORY_LIMIT_RATIO} as KubeVirt's automatic limit"
                                )
                            } else {
                                String::new()
                            }
                        )
                    } else {
                        String::new()
                    };
                    let mut d = Diagnostic::error(
                        Code::VmFitsLimitrange,
                        claim_location(model, vm.object),
                        format!(
                            "VM `{}` ({}) in namespace `{namespace}` on `{cluster}`: its virt-launcher compute container has a {resource} {what} of {value}{detail}, above the {resource} max {max} per {scope} of LimitRange `{range_name}` ({over} over)",
                            vm.name, vm.instancetype
                        ),
                    );
                    let key = (vm.object.cluster.clone(), vm.object.namespace.clone());
                    if let (c, Some(n)) = key
                        && let Some(ns) = hierarchy.namespaces.get(&(c, n))
                        && let Some(at) = ns
                            .limits
                            .as_ref()
                            .and_then(|l| l.from.location.as_deref().cloned())
                    {
                        d = d.with_note(Some(at), "the namespace's limits are set here");
                    }
                    out.push(d);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn mi(n: i128) -> i128 {
        n * MI
    }

    #[test]
    fn a_shared_instancetype_runs_with_the_templates_dedicated_cpus_and_hugepages() {
        let vm = json!({"spec": {
            "instancetype": {"kind": "VirtualMachineClusterInstancetype", "name": "u1.large"},
            "template": {"spec": {"domain": {
                "cpu": {"dedicatedCpuPlacement": true, "isolateEmulatorThread": true},
                "memory": {"hugepages": {"pageSize": "2Mi"}},
            }}},
        }});
        let (_, guest) = guest_of(&vm).unwrap();
        let shared = Guest::of(catalog::instancetype("u1.large").unwrap());
        assert!(guest.dedicated && guest.isolate_emulator_thread && !shared.dedicated);
        assert_eq!(guest.hugepages.as_deref(), Some("2Mi"));
        let launcher = guest.launcher(false, false);
        assert_eq!(
            launcher.hugepages.map(|(k, _)| k).as_deref(),
            Some("hugepages-2Mi")
        );
    }

    /// KubeVirt v1.9.0 GetMemoryOverhead for a VMI with no devices but the
    /// defaults: 220Mi of processes + 8Mi IOThread + 8Mi per vCPU + 32Mi
    /// video, and guest/512 of page tables only when the VMI requests memory.
    #[test]
    fn overhead_follows_kubevirt_get_memory_overhead() {
        // u1.xlarge: 4 vCPUs, 16Gi guest, no VMI memory request.
        let u1 = Guest::of(catalog::instancetype("u1.xlarge").unwrap());
        assert_eq!(u1.memory_overhead(), mi(228 + 4 * 8 + 32));
        // KubeVirt's own unit test: 1Gi requested, 1 vCPU → 2Mi page tables
        // + 228Mi + 32Mi + 8Mi = 270Mi (its "7Mi + 223Mi + 32Mi + 8Mi").
        let mut g = Guest::of(catalog::instancetype("u1.micro").unwrap());
        g.memory_request = Some(1 << 30);
        assert_eq!(g.memory_overhead(), mi(270));
        // o1.large: 2 vCPUs, 8Gi guest overcommitted 50 % → requests 4Gi,
        // whose page tables are ⌊⌈4Gi/1000⌉×1000/512⌋ = 8 388 609 bytes.
        let o1 = Guest::of(catalog::instancetype("o1.large").unwrap());
        assert_eq!(o1.memory_request, Some(4 << 30));
        assert_eq!(o1.memory_overhead(), 8_388_609 + mi(228 + 16 + 32));
        // Dedicated CPUs add 100Mi; a TPM 53Mi; no graphics saves 32Mi.
        let mut cx = Guest::of(catalog::instancetype("cx1.large").unwrap());
        assert_eq!(cx.memory_overhead(), mi(228 + 16 + 32 + 100));
        cx.tpm = true;
        cx.graphics = false;
        assert_eq!(cx.memory_overhead(), mi(228 + 16 + 100 + 53));
    }

    #[test]
    fn launcher_requests_are_rendered_as_kubevirt_renders_them() {
        // Shared CPUs: 100m per vCPU, guest + overhead; auto limits only
        // when the quota has limits.*.
        let u1 = Guest::of(catalog::instancetype("u1.xlarge").unwrap());
        let l = u1.launcher(false, false);
        assert_eq!(l.cpu.to_string(), "400m");
        assert_eq!(l.memory.to_string(), "16676Mi");
        assert!(l.cpu_limit.is_none() && l.memory_limit.is_none());
        let l = u1.launcher(true, true);
        assert_eq!(l.cpu_limit.unwrap().to_string(), "4");
        assert_eq!(l.memory_limit.unwrap().to_string(), "33352Mi");
        // Dedicated CPUs with an isolated emulator thread and hugepages:
        // vCPUs + 1 whole CPUs, the guest in hugepages, memory = overhead.
        let cx = Guest::of(catalog::instancetype("cx1.large").unwrap());
        let l = cx.launcher(false, false);
        assert_eq!(l.cpu.to_string(), "3");
        assert_eq!(l.memory.to_string(), "376Mi");
        assert_eq!(l.memory_limit.unwrap().to_string(), "376Mi");
        let (key, size) = l.hugepages.unwrap();
        assert_eq!(
            (key.as_str(), size.to_string().as_str()),
            ("hugepages-2Mi", "4Gi")
        );
    }

    #[test]
    fn only_running_vms_and_exact_workloads_count_as_pods() {
        let vm = |strategy: Value| json!({"kind": "VirtualMachine", "spec": strategy});
        assert_eq!(
            pods_of(&vm(json!({"runStrategy": "Always"})), "VirtualMachine"),
            Some(1)
        );
        assert_eq!(
            pods_of(&vm(json!({"runStrategy": "Halted"})), "VirtualMachine"),
            None
        );
        assert_eq!(
            pods_of(&vm(json!({"runStrategy": "Manual"})), "VirtualMachine"),
            None
        );
        assert_eq!(
            pods_of(&vm(json!({"running": true})), "VirtualMachine"),
            Some(1)
        );
        assert_eq!(pods_of(&json!({"spec": {}}), "Deployment"), Some(1));
        assert_eq!(
            pods_of(&json!({"spec": {"replicas": 3}}), "StatefulSet"),
            Some(3)
        );
        assert_eq!(
            pods_of(
                &json!({"spec": {"parallelism": 4, "completions": 2}}),
                "Job"
            ),
            Some(2)
        );
        assert_eq!(pods_of(&json!({"spec": {}}), "DaemonSet"), None);
    }

    #[test]
    fn a_vm_without_instancetype_is_read_from_its_domain() {
        let vm = json!({"kind": "VirtualMachine", "spec": {"runStrategy": "Always", "template": {"spec": {"domain": {
            "cpu": {"sockets": 2, "cores": 2},
            "memory": {"guest": "2Gi"},
            "devices": {"autoattachGraphicsDevice": false}
        }}}}});
        let (name, guest) = guest_of(&vm).unwrap();
        assert_eq!(name, "custom");
        assert_eq!(
            (guest.vcpus, guest.memory, guest.graphics),
            (4, 2 << 30, false)
        );
        let namespaced = json!({"spec": {"instancetype": {"kind": "VirtualMachineInstancetype", "name": "u1.large"}}});
        assert!(guest_of(&namespaced).is_none());
    }

    fn composed(object: Value) -> Composed {
        let name = |s: &str| s.parse::<crate::model::Name>().unwrap();
        Composed {
            cluster: name("c1"),
            namespace: Some(name("shop-dev")),
            project: name("shop"),
            unit: None,
            layer: crate::compose::Layer::Apps,
            file_stem: "shop-dev".into(),
            object,
            composition: name("vm"),
            claim: "claim".into(),
            pointer: "/spec".into(),
            sources: vec!["projects/shop.yaml".to_owned()].into(),
        }
    }

    fn vm(name: &str, instancetype: &str, strategy: &str) -> Composed {
        composed(
            json!({"kind": "VirtualMachine", "metadata": {"name": name}, "spec": {
                "runStrategy": strategy,
                "instancetype": {"kind": "VirtualMachineClusterInstancetype", "name": instancetype}
            }}),
        )
    }

    #[test]
    fn a_namespace_is_checked_key_by_key_as_admission_would() {
        let objects = [
            composed(
                json!({"kind": "ResourceQuota", "metadata": {"name": "q"}, "spec": {"hard": {
                    "pods": "1", "requests.cpu": "500m", "limits.memory": "16Gi",
                    "requests.hugepages-2Mi": "2Gi"
                }}}),
            ),
            composed(
                json!({"kind": "LimitRange", "metadata": {"name": "lr"}, "spec": {"limits": [
                    {"type": "Pod", "max": {"cpu": "2"}}
                ]}}),
            ),
            vm("a", "u1.large", "Always"),
            vm("b", "cx1.large", "Always"),
            vm("c", "u1.xlarge", "Halted"),
            composed(json!({"kind": "ConfigMap", "metadata": {"name": "d"}})),
        ];
        let mut out = Vec::new();
        check(&Model::default(), &Hierarchy::default(), &objects, &mut out);
        let found: Vec<(&str, &str)> = out
            .iter()
            .map(|d| (d.code.as_str(), d.message.as_str()))
            .collect();
        let has = |code: &str, text: &str| {
            assert!(
                found.iter().any(|(c, m)| *c == code && m.contains(text)),
                "{code}: {text} not in {found:#?}"
            );
        };
        has(
            "pods-fit-quota",
            "runs 2 pods but its quota allows 1 of `pods` (1 over): VM a 1, VM b 1",
        );
        has("vm-fits-quota", "need 3200m of `requests.cpu`");
        // u1.large: 2 × (8Gi + 276Mi); cx1.large: its request, 376Mi.
        has("vm-fits-quota", "need 17312Mi of `limits.memory`");
        has("vm-fits-quota", "need 4Gi of `requests.hugepages-2Mi`");
        has("vm-fits-limitrange", "VM `b` (cx1.large)");
        has(
            "vm-fits-limitrange",
            "cpu request of 3, above the cpu max 2 per Pod",
        );
        assert_eq!(found.len(), 5, "{found:#?}");
    }

    #[test]
    fn every_object_that_makes_a_claim_is_counted_as_admission_counts_it() {
        let claims = |object: Value| -> Vec<(String, String, String)> {
            super::claimed_storage(&object)
                .into_iter()
                .map(|c| (c.what, c.class, c.size.to_string()))
                .collect()
        };
        let pvc = serde_json::json!({"kind": "PersistentVolumeClaim", "metadata": {"name": "data"},
            "spec": {"storageClassName": "fast", "resources": {"requests": {"storage": "50Gi"}}}});
        assert_eq!(
            claims(pvc),
            [("volume data".into(), "fast".into(), "50Gi".into())]
        );
        let dv = serde_json::json!({"kind": "DataVolume", "metadata": {"name": "img"},
            "spec": {"pvc": {"resources": {"requests": {"storage": "1024Mi"}}}}});
        assert_eq!(
            claims(dv),
            [("DataVolume img".into(), String::new(), "1Gi".into())]
        );
        let vm = serde_json::json!({"kind": "VirtualMachine", "metadata": {"name": "vm"},
        "spec": {"dataVolumeTemplates": [
            {"metadata": {"name": "root"}, "spec": {"storage": {"storageClassName": "block", "resources": {"requests": {"storage": "60Gi"}}}}},
            {"metadata": {"name": "data"}, "spec": {"pvc": {"storageClassName": "block", "resources": {"requests": {"storage": "1Ti"}}}}}
        ]}});
        assert_eq!(
            claims(vm),
            [
                ("VM vm disk root".into(), "block".into(), "60Gi".into()),
                ("VM vm disk data".into(), "block".into(), "1Ti".into())
            ]
        );
        let pod = serde_json::json!({"kind": "Pod", "metadata": {"name": "p"}, "spec": {}});
        assert!(claims(pod).is_empty());
    }
}
