//! Cross-object checks: every reference resolves, every placement is
//! possible. Hierarchy rules (inheritance, budgets, allow-lists) are not
//! here; they belong to the hierarchy stage.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path};

use super::kinds::{ClusterSpec, DeliveryUnits, ProjectSpec};
use super::{Glob, Item, Model, Name, catalog};
use crate::diagnostic::closest;
use crate::diagnostic::{Code, Diagnostic};
use crate::model::schema::Kind;

/// "unknown X `y`; did you mean `z`?" for a name that resolves to nothing.
fn unknown<'a>(what: &str, name: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    let known: Vec<String> = known.into_iter().map(str::to_owned).collect();
    match closest(name, &known) {
        Some(best) => format!("unknown {what} `{name}`; did you mean `{best}`?"),
        None if known.is_empty() => format!("unknown {what} `{name}`; the estate defines none"),
        None => format!("unknown {what} `{name}`"),
    }
}

pub(super) fn references(model: &Model, out: &mut Vec<Diagnostic>) {
    estate(model, out);
    delivery(model, out);
    clusters(model, out);
    tenants(model, out);
    for project in model.projects.values() {
        project_refs(model, project, out);
    }
    compositions(model, out);
    roles(model, out);
    kinds_by_place(model, out);
}

/// The directory of team-owned input: each file in it is one team's
/// request, reviewed by that team's own lead (`.github/CODEOWNERS` routes it
/// so), so it may hold nothing the platform decides.
pub const PROJECTS_DIR: &str = "projects";

/// Directories of platform-owned input that the output may not replace.
const INPUT_DIRS: [&str; 6] = [
    PROJECTS_DIR,
    "platform",
    "compositions",
    "policies",
    "schemas",
    "backstage",
];

/// Whether `path` (relative, `/`-separated) lies in the team-owned area.
pub fn is_project_path(path: &str) -> bool {
    path != PROJECTS_DIR && crate::load::is_within(path, PROJECTS_DIR)
}

/// Every kind but `Project` is the platform's: a team-owned file that
/// defines a tenant, a cluster or a composition would let a team's lead
/// approve a change of the platform's rules (re-parent the project under a
/// looser tenant, say). So the place of an object decides what it may be:
/// the one `Estate` lives in `kprov.yaml`, files under `projects/` hold only
/// Projects, and a file that holds a Project holds nothing else.
fn kinds_by_place(model: &Model, out: &mut Vec<Diagnostic>) {
    let mut platform: Vec<(&str, &super::Origin)> = Vec::new();
    if let Some(estate) = &model.estate {
        if estate.origin.file() != "kprov.yaml" {
            out.push(Diagnostic::error(
                Code::KindNotAllowedHere,
                Some(estate.origin.document()),
                "the Estate object lives in `kprov.yaml` at the estate root, and nowhere else",
            ));
        }
        platform.push(("Estate", &estate.origin));
    }
    platform.extend(model.clusters.values().map(|i| ("Cluster", &i.origin)));
    platform.extend(model.tenants.values().map(|i| ("Tenant", &i.origin)));
    platform.extend(
        model
            .definitions
            .values()
            .map(|i| ("Definition", &i.origin)),
    );
    platform.extend(
        model
            .compositions
            .values()
            .map(|i| ("Composition", &i.origin)),
    );
    let project_files: BTreeSet<&str> = model.projects.values().map(|p| p.origin.file()).collect();
    for (kind, origin) in platform {
        let file = origin.file();
        let reason = if is_project_path(file) {
            format!("files under `{PROJECTS_DIR}/` hold only Projects")
        } else if project_files.contains(file) {
            "a file that holds a Project holds only Projects".to_owned()
        } else {
            continue;
        };
        out.push(Diagnostic::error(
            Code::KindNotAllowedHere,
            Some(origin.document()),
            format!(
                "a {kind} may not be defined here: {reason}, because a project file is reviewed by its team alone, and a {kind} is the platform's to decide; move it to the platform's files (e.g. `platform/`)"
            ),
        ));
    }
}

/// Every role binding names a ClusterRole the estate allows, and never one
/// that kprov refuses outright.
fn roles(model: &Model, out: &mut Vec<Diagnostic>) {
    let allowed = model.allowed_roles();
    let bindings = model
        .tenants
        .values()
        .map(|t| (&t.origin, &t.spec.role_bindings))
        .chain(
            model
                .projects
                .values()
                .map(|p| (&p.origin, &p.spec.role_bindings)),
        );
    for (origin, role_bindings) in bindings {
        for (i, binding) in role_bindings.iter().enumerate() {
            let role = binding.role.as_str();
            let at = || Some(origin.at(&format!("/spec/roleBindings/{i}/role")));
            if super::names::is_forbidden_role(role) {
                out.push(Diagnostic::error(
                    Code::RoleNotAllowed,
                    at(),
                    format!(
                        "role `{role}` is never bound by kprov: `cluster-admin` grants everything and `system:` roles belong to the cluster's own components"
                    ),
                ));
            } else if !allowed.iter().any(|g| g.is_match(role)) {
                let list: Vec<&str> = allowed.iter().map(Glob::as_str).collect();
                let mut d = Diagnostic::error(
                    Code::RoleNotAllowed,
                    at(),
                    format!(
                        "role `{role}` is not one the estate allows (allowedRoles: [{}]); use one of them, or ask the platform to add it to `spec.allowedRoles` in kprov.yaml",
                        list.join(", ")
                    ),
                );
                if let Some(estate) = &model.estate
                    && estate.spec.allowed_roles.is_some()
                {
                    d = d.with_note(
                        Some(estate.origin.at("/spec/allowedRoles")),
                        "the estate's allowed roles",
                    );
                }
                out.push(d);
            }
        }
    }
}

fn estate(model: &Model, out: &mut Vec<Diagnostic>) {
    let Some(estate) = &model.estate else { return };
    if let Some(output) = &estate.spec.output {
        let path = Path::new(output);
        let escapes = path.is_absolute()
            || output.starts_with('/')
            || output.starts_with('\\')
            || path
                .components()
                .any(|c| matches!(c, Component::ParentDir | Component::Prefix(_)));
        let empty = path.components().all(|c| matches!(c, Component::CurDir));
        if escapes || empty {
            out.push(Diagnostic::error(
                Code::InvalidOutput,
                Some(estate.origin.at("/spec/output")),
                format!(
                    "output `{output}` must be a directory inside the estate root, written relative to it without `..` (e.g. `clusters`)"
                ),
            ));
            return;
        }
        let dir = model.output_dir();
        // kprov does not read the output directory, so output in a place
        // that holds input would make that input silently stop counting.
        let hidden = dir.split('/').any(|part| part.starts_with('.'));
        let overlapping = INPUT_DIRS
            .iter()
            .find(|input| crate::load::is_within(dir, input) || crate::load::is_within(input, dir));
        let problem = if let Some(refusal) = crate::load::refuse_input_path(dir) {
            Some(format!("is not a plain path ({})", refusal.message))
        } else if hidden {
            Some("is hidden (a dot-directory such as `.git` is never kprov's to write)".to_owned())
        } else if dir == "kprov.yaml" {
            Some("is the estate's own file".to_owned())
        } else {
            overlapping.map(|input| format!("overlaps `{input}/`, where the estate's input lives"))
        };
        if let Some(problem) = problem {
            out.push(Diagnostic::error(
                Code::InvalidOutput,
                Some(estate.origin.at("/spec/output")),
                format!(
                    "output `{output}` {problem}; kprov replaces the output directory on every render and reads no input from it. Use a directory of its own, e.g. `clusters`"
                ),
            ));
        }
    }
}

/// The longest tenant or project name that can name a delivery unit: Flux
/// labels every object it applies with its Kustomization's name, and a
/// label value holds 63 characters, `-config` included.
pub const MAX_UNIT_NAME: usize = 63 - "-config".len();

fn delivery(model: &Model, out: &mut Vec<Diagnostic>) {
    let Some(estate) = &model.estate else { return };
    let Some(delivery) = &estate.spec.delivery else {
        return;
    };
    if delivery.announce.is_some() && delivery.units == DeliveryUnits::Cluster {
        out.push(Diagnostic::error(
            Code::AnnounceNeedsUnits,
            Some(estate.origin.at("/spec/delivery/announce")),
            "`announce` watches the Flux Kustomizations of delivery units; with `units: cluster` there are none. Set `units: tenant` or `units: project`".to_owned(),
        ));
    }
    let too_long = |name: &Name| name.as_str().len() > MAX_UNIT_NAME;
    let units = delivery.units;
    let mut report = |what: &str, name: &Name, origin: &super::Origin| {
        out.push(Diagnostic::error(
            Code::UnitNameTooLong,
            Some(origin.at("/metadata/name")),
            format!(
                "{what} `{name}` names a delivery unit (`units: {}`) and has {} characters; Flux labels every object with `{name}-config`, which must fit 63: use at most {MAX_UNIT_NAME}",
                super::serde_name(&units),
                name.as_str().len()
            ),
        ));
    };
    match units {
        DeliveryUnits::Cluster => {}
        DeliveryUnits::Tenant => {
            for (name, tenant) in model.tenants.iter().filter(|(n, _)| too_long(n)) {
                if model.projects.values().any(|p| &p.spec.tenant == name) {
                    report("tenant", name, &tenant.origin);
                }
            }
        }
        DeliveryUnits::Project => {
            for (name, project) in model.projects.iter().filter(|(n, _)| too_long(n)) {
                report("project", name, &project.origin);
            }
        }
    }
}

fn clusters(model: &Model, out: &mut Vec<Diagnostic>) {
    for cluster in model.clusters.values() {
        if let Some(storage) = &cluster.spec.storage
            && let Some(default) = &storage.default
            && !storage.tiers.contains_key(default)
        {
            out.push(Diagnostic::error(
                Code::UnknownReference,
                Some(cluster.origin.at("/spec/storage/default")),
                unknown(
                    "storage tier",
                    default.as_str(),
                    storage.tiers.keys().map(Name::as_str),
                ),
            ));
        }
    }
}

fn tenants(model: &Model, out: &mut Vec<Diagnostic>) {
    let environments: BTreeSet<&Name> = model
        .clusters
        .values()
        .map(|c| &c.spec.environment)
        .collect();
    let tenant_names = || model.tenants.keys().map(Name::as_str);
    for tenant in model.tenants.values() {
        if let Some(parent) = &tenant.spec.parent
            && !model.tenants.contains_key(parent)
            && !model.is_rejected(Kind::Tenant, parent.as_str())
        {
            out.push(Diagnostic::error(
                Code::UnknownReference,
                Some(tenant.origin.at("/spec/parent")),
                unknown("parent tenant", parent.as_str(), tenant_names()),
            ));
        }
        if let Some(network) = &tenant.spec.network {
            for (i, peer) in network.allow_from.iter().enumerate() {
                if !model.tenants.contains_key(&peer.tenant)
                    && !model.is_rejected(Kind::Tenant, peer.tenant.as_str())
                {
                    out.push(Diagnostic::error(
                        Code::UnknownReference,
                        Some(
                            tenant
                                .origin
                                .at(&format!("/spec/network/allowFrom/{i}/tenant")),
                        ),
                        unknown("tenant", peer.tenant.as_str(), tenant_names()),
                    ));
                }
            }
        }
        for env in tenant.spec.quota.keys() {
            if !environments.contains(env) {
                out.push(Diagnostic::warning(
                    Code::UnknownEnvironment,
                    Some(tenant.origin.key(&format!("/spec/quota/{env}"))),
                    format!(
                        "no cluster serves environment `{env}`, so this budget constrains nothing{}",
                        closest(env.as_str(), &environments.iter().map(|e| e.to_string()).collect::<Vec<_>>())
                            .map(|b| format!("; did you mean `{b}`?"))
                            .unwrap_or_default()
                    ),
                ));
            }
        }
    }
}

/// Clusters a volume/VM/claim with an optional `environments:` filter lands on.
fn placements<'m>(
    model: &'m Model,
    project: &'m ProjectSpec,
    filter: Option<&[Name]>,
) -> Vec<(&'m Name, &'m Item<ClusterSpec>)> {
    project
        .environments
        .iter()
        .filter(|e| filter.is_none_or(|f| f.contains(&e.name)))
        .flat_map(|e| {
            e.clusters
                .iter()
                .filter_map(move |c| model.clusters.get(c).map(|c| (&e.name, c)))
        })
        .collect()
}

fn project_refs(model: &Model, project: &Item<ProjectSpec>, out: &mut Vec<Diagnostic>) {
    let spec = &project.spec;
    let origin = &project.origin;
    if !model.tenants.contains_key(&spec.tenant)
        && !model.is_rejected(Kind::Tenant, spec.tenant.as_str())
    {
        out.push(Diagnostic::error(
            Code::UnknownReference,
            Some(origin.at("/spec/tenant")),
            unknown(
                "tenant",
                spec.tenant.as_str(),
                model.tenants.keys().map(Name::as_str),
            ),
        ));
    }

    // Alerts watch the project's GitRepository and Kustomization; without a
    // sync there is nothing to hear about.
    if spec.notify.is_some() && spec.sync.is_none() {
        out.push(Diagnostic::error(
            Code::NotifyWithoutSync,
            Some(origin.at("/spec/notify")),
            "notifications report the project's Flux sync; add `spec.sync` or remove `spec.notify`"
                .to_owned(),
        ));
    }

    let mut env_names: BTreeMap<&Name, usize> = BTreeMap::new();
    for (i, env) in spec.environments.iter().enumerate() {
        let at = |p: &str| origin.at(&format!("/spec/environments/{i}{p}"));
        if let Some(first) = env_names.insert(&env.name, i) {
            out.push(
                Diagnostic::error(
                    Code::DuplicateName,
                    Some(at("/name")),
                    format!("environment `{}` is listed twice", env.name),
                )
                .with_note(
                    Some(origin.at(&format!("/spec/environments/{first}/name"))),
                    "first listed here",
                ),
            );
        }
        if env.namespace.is_none() {
            let namespace = format!("{}-{}", project.name(), env.name);
            if namespace.len() > 63 {
                out.push(Diagnostic::error(
                    Code::NamespaceTooLong,
                    Some(at("/name")),
                    format!(
                        "namespace `{namespace}` would be {} characters; Kubernetes allows 63. Shorten the project name or set `namespace:`",
                        namespace.len()
                    ),
                ));
            }
        }
        let mut seen = BTreeSet::new();
        for (j, name) in env.clusters.iter().enumerate() {
            // Only a diagnostic needs the location.
            let location = || Some(at(&format!("/clusters/{j}")));
            if !seen.insert(name) {
                out.push(Diagnostic::error(
                    Code::DuplicateName,
                    location(),
                    format!("cluster `{name}` is listed twice"),
                ));
                continue;
            }
            match model.clusters.get(name) {
                None if model.is_rejected(Kind::Cluster, name.as_str()) => {}
                None => out.push(Diagnostic::error(
                    Code::UnknownReference,
                    location(),
                    unknown(
                        "cluster",
                        name.as_str(),
                        model.clusters.keys().map(Name::as_str),
                    ),
                )),
                Some(cluster) if cluster.spec.environment != env.name => out.push(
                    Diagnostic::error(
                        Code::WrongEnvironment,
                        location(),
                        format!(
                            "cluster `{name}` serves environment `{}`, not `{}`",
                            cluster.spec.environment, env.name
                        ),
                    )
                    .with_note(Some(cluster.origin.at("/spec/environment")), "set here"),
                ),
                Some(_) => {}
            }
        }
    }

    let check_filter = |filter: &Option<Vec<Name>>, base: &str, out: &mut Vec<Diagnostic>| {
        for (j, env) in filter.iter().flatten().enumerate() {
            if !env_names.contains_key(env) {
                out.push(Diagnostic::error(
                    Code::UnknownReference,
                    Some(origin.at(&format!("{base}/environments/{j}"))),
                    unknown(
                        "project environment",
                        env.as_str(),
                        env_names.keys().map(|n| n.as_str()),
                    ),
                ));
            }
        }
    };

    for (i, volume) in spec.volumes.iter().enumerate() {
        let base = format!("/spec/volumes/{i}");
        check_filter(&volume.environments, &base, out);
        let clusters = placements(model, spec, volume.environments.as_deref());
        tier_available(
            volume.tier.as_ref(),
            &clusters,
            || origin.at(&format!("{base}/tier")),
            || origin.at(&base),
            out,
        );
    }
    for (i, vm) in spec.virtual_machines.iter().enumerate() {
        let base = format!("/spec/virtualMachines/{i}");
        check_filter(&vm.environments, &base, out);
        if catalog::instancetype(&vm.instancetype).is_none() {
            let known: Vec<&str> = catalog::INSTANCETYPES.iter().map(|t| t.name).collect();
            out.push(Diagnostic::error(
                Code::UnknownInstancetype,
                Some(origin.at(&format!("{base}/instancetype"))),
                format!(
                    "{} (kprov knows the KubeVirt common-instancetypes of series u1, o1, cx1, m1 and n1)",
                    unknown("instancetype", &vm.instancetype, known)
                ),
            ));
        }
        if let Some(preference) = &vm.preference
            && !catalog::is_preference(preference)
        {
            out.push(Diagnostic::warning(
                Code::UnknownPreference,
                Some(origin.at(&format!("{base}/preference"))),
                format!(
                    "{}; it is not one of the KubeVirt common preferences, so the cluster must provide it",
                    unknown("preference", preference, catalog::PREFERENCES.iter().copied())
                ),
            ));
        }
        let all_clusters = placements(model, spec, vm.environments.as_deref());
        vm_failover(vm, &base, origin, &all_clusters, out);
        let clusters: Vec<_> = all_clusters
            .into_iter()
            .filter(|(_, c)| vm.placed_on(c.name().as_str()))
            .collect();
        for disk in vm.all_disks().iter().filter(|d| d.uses_tier()) {
            tier_available(
                disk.tier,
                &clusters,
                || origin.at(&format!("{base}{}/tier", disk.at())),
                || origin.at(&format!("{base}{}", disk.at())),
                out,
            );
        }
        vm_shape(vm, &base, origin, out);
        vm_on_clusters(vm, &base, origin, &clusters, out);
    }
    for (i, claim) in spec.resources.iter().enumerate() {
        let base = format!("/spec/resources/{i}");
        check_filter(&claim.environments, &base, out);
        if !model
            .definitions
            .values()
            .any(|d| d.spec.kind == claim.kind)
            && !model.rejected.iter().any(|(k, _)| *k == Kind::Definition)
        {
            out.push(Diagnostic::error(
                Code::UnknownReference,
                Some(origin.at(&format!("{base}/kind"))),
                unknown(
                    "claim kind",
                    &claim.kind,
                    model.definitions.values().map(|d| d.spec.kind.as_str()),
                ),
            ));
        }
    }
}

/// What the schema cannot say about one VM: one disk form, unique names
/// and boot orders, buses a CD-ROM can use, firmware that can secure-boot,
/// at most one pod NIC, and features its instancetype does not already fix
/// (KubeVirt refuses a VM that sets what its instancetype sets).
fn vm_shape(
    vm: &super::kinds::VirtualMachine,
    base: &str,
    origin: &super::Origin,
    out: &mut Vec<Diagnostic>,
) {
    use super::kinds::{DiskBus, DiskSource, FirmwareKind};
    let at = |pointer: &str| Some(origin.at(&format!("{base}{pointer}")));
    match (&vm.disks, &vm.image, &vm.disk) {
        (Some(_), None, None) | (None, Some(_), Some(_)) => {}
        (Some(_), _, _) => {
            let field = if vm.image.is_some() { "image" } else { "disk" };
            out.push(Diagnostic::error(
                Code::InvalidValue,
                at(&format!("/{field}")),
                format!(
                    "VM `{}` sets both `disks` and `{field}`; use `disks` alone (an image disk is `source: {{image: …}}`), or `image` and `disk`",
                    vm.name
                ),
            ));
        }
        (None, image, _) => {
            let missing = if image.is_some() { "disk" } else { "image" };
            out.push(Diagnostic::error(
                Code::MissingField,
                at(""),
                format!(
                    "VM `{}` has no `{missing}`: give `image` and `disk`, or a list of `disks`",
                    vm.name
                ),
            ));
        }
    }
    let mut names = BTreeMap::new();
    let mut boots = BTreeMap::new();
    for (i, disk) in vm.disks.iter().flatten().enumerate() {
        let disk_at = |pointer: &str| at(&format!("/disks/{i}{pointer}"));
        if let Some(first) = names.insert(disk.name.as_str(), i) {
            out.push(
                Diagnostic::error(
                    Code::DuplicateName,
                    disk_at("/name"),
                    format!("VM `{}` has two disks named `{}`", vm.name, disk.name),
                )
                .with_note(at(&format!("/disks/{first}/name")), "first named here"),
            );
        }
        if let Some(order) = disk.boot_order
            && let Some(first) = boots.insert(order, i)
        {
            out.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    disk_at("/bootOrder"),
                    format!("VM `{}` boots two disks at order {order}", vm.name),
                )
                .with_note(at(&format!("/disks/{first}/bootOrder")), "the other one"),
            );
        }
        if disk.cdrom && disk.bus == Some(DiskBus::Virtio) {
            out.push(Diagnostic::error(
                Code::InvalidValue,
                disk_at("/bus"),
                "a CD-ROM cannot be on the `virtio` bus; use `sata` (the default) or `scsi`"
                    .to_owned(),
            ));
        }
        if disk.tier.is_some() && matches!(disk.source, DiskSource::San(_)) {
            out.push(Diagnostic::error(
                Code::InvalidValue,
                disk_at("/tier"),
                "a SAN volume has no storage tier: it is bound as it is, not provisioned from a StorageClass".to_owned(),
            ));
        }
    }
    if let Some(firmware) = &vm.firmware
        && firmware.secure_boot
        && firmware.kind != FirmwareKind::Uefi
    {
        out.push(Diagnostic::error(
            Code::InvalidValue,
            at("/firmware/secureBoot"),
            format!(
                "VM `{}` asks for Secure Boot with BIOS firmware; Secure Boot needs `type: uefi`",
                vm.name
            ),
        ));
    }
    let mut names = BTreeMap::new();
    let mut pod = None;
    for (i, network) in vm.networks.iter().flatten().enumerate() {
        if let Some(first) = names.insert(network.name.as_str(), i) {
            out.push(
                Diagnostic::error(
                    Code::DuplicateName,
                    at(&format!("/networks/{i}/name")),
                    format!("VM `{}` has two networks named `{}`", vm.name, network.name),
                )
                .with_note(at(&format!("/networks/{first}/name")), "first named here"),
            );
        }
        if network.pod.is_some() {
            match pod {
                None => pod = Some(i),
                Some(first) => out.push(
                    Diagnostic::error(
                        Code::InvalidValue,
                        at(&format!("/networks/{i}/pod")),
                        format!(
                            "VM `{}` has a second NIC on the pod network; a VM has at most one",
                            vm.name
                        ),
                    )
                    .with_note(at(&format!("/networks/{first}/pod")), "the first one"),
                ),
            }
        }
    }
    if vm.networks.is_some() && pod.is_none() && !vm.ports.is_empty() {
        out.push(Diagnostic::error(
            Code::InvalidValue,
            at("/ports"),
            format!(
                "VM `{}` exposes ports but has no NIC on the pod network, which its Service reaches it through",
                vm.name
            ),
        ));
    }
    if let Some(t) = catalog::instancetype(&vm.instancetype) {
        if vm.dedicated_cpus && t.dedicated_cpus() {
            out.push(Diagnostic::error(
                Code::InvalidValue,
                at("/dedicatedCpus"),
                format!(
                    "instancetype `{}` already dedicates CPUs, and KubeVirt refuses a VM that sets it again; remove `dedicatedCpus`",
                    t.name
                ),
            ));
        }
        if let (Some(size), Some(own)) = (vm.hugepages, t.hugepages()) {
            out.push(Diagnostic::error(
                Code::InvalidValue,
                at("/hugepages"),
                format!(
                    "instancetype `{}` already backs the guest with {own} hugepages, and KubeVirt refuses a VM that sets them again; remove `hugepages: {}`",
                    t.name,
                    size.as_str()
                ),
            ));
        }
    }
}

/// Networks and node features a VM asks of every cluster it lands on.
/// A failover VM runs on one cluster and waits halted on another, both
/// among the clusters of its environments, on disks both can reach: SAN
/// volumes only, since a copy on either side would part from the other.
fn vm_failover(
    vm: &super::kinds::VirtualMachine,
    base: &str,
    origin: &super::Origin,
    clusters: &[(&Name, &Item<ClusterSpec>)],
    out: &mut Vec<Diagnostic>,
) {
    let Some(failover) = &vm.failover else { return };
    let mut error = |pointer: &str, message: String| {
        out.push(Diagnostic::error(
            Code::VmFailover,
            Some(origin.at(&format!("{base}/failover{pointer}"))),
            message,
        ));
    };
    if failover.active == failover.standby {
        error(
            "/standby",
            format!(
                "VM `{}` names `{}` as both its active and its standby cluster; the standby must be the other cluster of the pair",
                vm.name, failover.active
            ),
        );
    }
    let placed: Vec<&str> = clusters.iter().map(|(_, c)| c.name().as_str()).collect();
    for (field, cluster) in [("active", &failover.active), ("standby", &failover.standby)] {
        if !placed.contains(&cluster.as_str()) {
            error(
                &format!("/{field}"),
                format!(
                    "the {field} cluster `{cluster}` of VM `{}` is not a cluster of its environments ({}); list it in the environment's `clusters`",
                    vm.name,
                    placed.join(", ")
                ),
            );
        }
    }
    for disk in vm.all_disks().iter().filter(|d| d.uses_tier()) {
        out.push(Diagnostic::error(
            Code::VmFailover,
            Some(origin.at(&format!("{base}{}", disk.at()))),
            format!(
                "disk `{}` of failover VM `{}` is not a SAN volume: each cluster would get its own copy, and failing over would start the VM on the other's stale one. Keep it on the SAN (`source.san`)",
                disk.name, vm.name
            ),
        ));
    }
}

fn vm_on_clusters(
    vm: &super::kinds::VirtualMachine,
    base: &str,
    origin: &super::Origin,
    clusters: &[(&Name, &Item<ClusterSpec>)],
    out: &mut Vec<Diagnostic>,
) {
    let mut reported = BTreeSet::new();
    for (_, cluster) in clusters {
        if !reported.insert(cluster.name()) {
            continue;
        }
        for (i, network) in vm.networks.iter().flatten().enumerate() {
            let Some(name) = &network.multus else {
                continue;
            };
            if !cluster.spec.networks.contains_key(name) {
                let known = cluster.spec.networks.keys().map(Name::as_str);
                out.push(
                    Diagnostic::error(
                        Code::UnknownNetwork,
                        Some(origin.at(&format!("{base}/networks/{i}/multus"))),
                        format!(
                            "cluster `{}` has no {}",
                            cluster.name(),
                            unknown("network", name.as_str(), known).trim_start_matches("unknown ")
                        ),
                    )
                    .with_note(
                        Some(cluster.origin.at(if cluster.spec.networks.is_empty() {
                            "/spec"
                        } else {
                            "/spec/networks"
                        })),
                        "the cluster's `networks` are declared here",
                    ),
                );
            }
        }
        let offered = cluster.spec.vm.clone().unwrap_or_default();
        let refuse = |field: &str, what: String| {
            Diagnostic::error(
                Code::VmFeatureUnavailable,
                Some(origin.at(&format!("{base}/{field}"))),
                format!(
                    "VM `{}` asks for {what}, which cluster `{}` does not offer",
                    vm.name,
                    cluster.name()
                ),
            )
            .with_note(
                Some(cluster.origin.at(if cluster.spec.vm.is_some() {
                    "/spec/vm"
                } else {
                    "/spec"
                })),
                "the cluster's `vm` settings say what it offers",
            )
        };
        if vm.dedicated_cpus && !offered.dedicated_cpus {
            out.push(refuse("dedicatedCpus", "dedicated CPUs".into()));
        }
        if let Some(size) = vm.hugepages
            && !offered.hugepages.contains(&size)
        {
            out.push(refuse("hugepages", format!("{} hugepages", size.as_str())));
        }
    }
}

/// A named tier must exist on every cluster it lands on; an unnamed one
/// needs each cluster's default. Locations are computed only for a
/// diagnostic: nearly every volume is fine.
fn tier_available(
    tier: Option<&Name>,
    clusters: &[(&Name, &Item<ClusterSpec>)],
    tier_location: impl Fn() -> crate::diagnostic::Location,
    item_location: impl Fn() -> crate::diagnostic::Location,
    out: &mut Vec<Diagnostic>,
) {
    let mut reported = BTreeSet::new();
    for (_, cluster) in clusters {
        if !reported.insert(cluster.name()) {
            continue;
        }
        let storage = cluster.spec.storage.as_ref();
        let tiers = || {
            storage
                .into_iter()
                .flat_map(|s| s.tiers.keys().map(Name::as_str))
        };
        match tier {
            Some(t) if !storage.is_some_and(|s| s.tiers.contains_key(t)) => out.push(
                Diagnostic::error(
                    Code::UnknownStorageTier,
                    Some(tier_location()),
                    format!(
                        "cluster `{}` has no {}",
                        cluster.name(),
                        unknown("storage tier", t.as_str(), tiers()).trim_start_matches("unknown ")
                    ),
                )
                .with_note(Some(cluster.origin.at("/spec/storage/tiers")), "the cluster's tiers are here"),
            ),
            None if storage.and_then(|s| s.default.as_ref()).is_none() => out.push(Diagnostic::error(
                Code::UnknownStorageTier,
                Some(item_location()),
                format!(
                    "no `tier` given and cluster `{}` has no default storage tier; name one of: {}",
                    cluster.name(),
                    tiers().collect::<Vec<_>>().join(", ")
                ),
            )),
            _ => {}
        }
    }
}

fn compositions(model: &Model, out: &mut Vec<Diagnostic>) {
    let kinds = || model.definitions.values().map(|d| d.spec.kind.as_str());
    for composition in model.compositions.values() {
        let builtin = super::kinds::BUILTIN_CLAIM_KINDS.contains(&composition.spec.kind.as_str());
        if !builtin && !kinds().any(|k| k == composition.spec.kind) {
            out.push(Diagnostic::error(
                Code::UnknownReference,
                Some(composition.origin.at("/spec/kind")),
                unknown("claim kind", &composition.spec.kind, kinds()),
            ));
        }
    }
    for definition in model.definitions.values() {
        if let Some(default) = &definition.spec.default_composition
            && model
                .compositions
                .get(default)
                .is_none_or(|c| c.spec.kind != definition.spec.kind)
        {
            out.push(Diagnostic::error(
                Code::UnknownReference,
                Some(definition.origin.at("/spec/defaultComposition")),
                format!(
                    "default composition `{default}` is not a Composition of kind `{}`",
                    definition.spec.kind
                ),
            ));
        }
    }
}
