//! libvirt domains (`virsh dumpxml`) to KubeVirt VMs in kprov's model.
//!
//! The XML comes off hypervisors kprov does not control, so it is read as
//! hostile: roxmltree with DTDs refused (no entity can be declared, so none
//! is expanded or fetched), a node limit, a size limit and a depth limit.
//! Every decision about a domain is a [`Reason`]; a domain with a blocked
//! reason is reported and not converted.

use std::collections::{BTreeMap, BTreeSet};

use roxmltree::{Document, Node, ParsingOptions};

use super::{DiskMove, DomainReport, Import, ImportConfig, Level, Reason, Status};
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::model::kinds::{
    ClusterSpec, DiskBus, DiskSource, Firmware, FirmwareKind, Image, Iscsi, NicModel, PageSize,
    PodNetwork, SanVolume, VirtualMachine, VmDisk, VmNetwork,
};
use crate::model::quantity::Format;
use crate::model::{Glob, MacAddress, Model, Name, Quantity, catalog};

/// The most one domain file may hold: a `virsh dumpxml` is a few KiB.
pub const MAX_BYTES: usize = 4 << 20;
const MAX_NODES: u32 = 100_000;
const MAX_DEPTH: usize = 32;
const LIBOSINFO: &str = "http://libosinfo.org/xmlns/libvirt/domain/1.0";
const GI: u128 = 1 << 30;

/// Convert every domain of `files` ((path, text) pairs, in the order given)
/// for the project, environment and clusters of `config` in `model`.
///
/// The VMs run on every cluster of the environment, so each domain is
/// judged against each of them: what blocks it or warns on another
/// cluster than the first is added to its reasons, named by the cluster.
pub fn convert(files: &[(String, String)], config: &ImportConfig, model: &Model) -> Import {
    let mut import = convert_on(files, config, model);
    let first = vm_per_domain(&import);
    for cluster in &config.more_clusters {
        let other = ImportConfig {
            cluster: cluster.clone(),
            ..config.clone()
        };
        let there = convert_on(files, &other, model);
        import.diagnostics.extend(there.diagnostics.iter().cloned());
        let vms = vm_per_domain(&there);
        for (i, (here, there)) in import.domains.iter_mut().zip(&there.domains).enumerate() {
            for r in &there.reasons {
                if r.level >= Level::Warning && !here.reasons.contains(r) {
                    here.reasons.push(Reason {
                        level: r.level,
                        message: format!("on cluster {cluster}: {}", r.message),
                    });
                }
            }
            // One VM is written for every cluster of the environment.
            if let (Some(a), Some(b)) = (&first[i], &vms[i])
                && a != b
            {
                here.reasons.push(Reason {
                    level: Level::Blocked,
                    message: format!(
                        "cluster {cluster} offers other VM features than {} (dedicated CPUs, hugepages, networks), so one VM cannot fit both: map the domain to clusters that are alike",
                        config.cluster
                    ),
                });
            }
        }
    }
    if !config.more_clusters.is_empty() {
        let mut vms = std::mem::take(&mut import.vms).into_iter();
        for d in &mut import.domains {
            let had_vm = d.status != Status::Blocked;
            finish(d);
            if let Some(vm) = had_vm.then(|| vms.next()).flatten()
                && d.status != Status::Blocked
            {
                import.vms.push(vm);
            }
        }
    }
    import
}

/// Each domain's VM as the project file writes it, `None` for a blocked one.
fn vm_per_domain(import: &Import) -> Vec<Option<serde_json::Value>> {
    let mut vms = import.vms.iter();
    import
        .domains
        .iter()
        .map(|d| {
            if d.status == Status::Blocked {
                None
            } else {
                vms.next().map(super::project::vm_value)
            }
        })
        .collect()
}

fn convert_on(files: &[(String, String)], config: &ImportConfig, model: &Model) -> Import {
    let mut import = Import::default();
    let Some(target) = Target::new(config, model, &mut import.diagnostics) else {
        return import;
    };
    let mut names = BTreeSet::new();
    for (path, text) in files {
        match parse(path, text) {
            Err(d) => import.diagnostics.push(d),
            Ok(doc) => {
                let (vm, mut report) = domain(path, &doc, config, &target);
                if !names.insert(report.vm.clone()) {
                    report.reasons.push(Reason {
                        level: Level::Blocked,
                        message: format!(
                            "another domain of this import is also named `{}`",
                            report.vm
                        ),
                    });
                }
                finish(&mut report);
                if report.status != Status::Blocked
                    && let Some(mut vm) = vm
                {
                    if target.other_environments {
                        vm.environments = Some(vec![config.environment.clone()]);
                    }
                    import.vms.push(vm);
                }
                import.domains.push(report);
            }
        }
    }
    import
}

/// What the import needs to know of the estate.
struct Target<'a> {
    cluster: &'a ClusterSpec,
    namespace: String,
    /// The tenants' `allowedSanVolumes`, from the project's tenant up.
    san: Vec<&'a [Glob]>,
    /// The existing project has environments besides the import's, where
    /// the VMs must not appear.
    other_environments: bool,
}

impl<'a> Target<'a> {
    fn new(config: &ImportConfig, model: &'a Model, out: &mut Vec<Diagnostic>) -> Option<Self> {
        let refuse = |message: String| Diagnostic::error(Code::ImportRefused, None, message);
        let names = |keys: Vec<String>| keys.join(", ");
        let Some(cluster) = model.clusters.get(&config.cluster) else {
            out.push(refuse(format!(
                "no cluster `{}` in the estate (clusters: {})",
                config.cluster,
                names(model.clusters.keys().map(ToString::to_string).collect())
            )));
            return None;
        };
        if !cluster.spec.kubevirt {
            out.push(refuse(format!(
                "cluster `{}` does not run KubeVirt (`spec.kubevirt: true`)",
                config.cluster
            )));
            return None;
        }
        let existing = model.projects.get(&config.project);
        let tenant = existing.map_or(&config.tenant, |p| &p.spec.tenant);
        if !model.tenants.contains_key(tenant) {
            out.push(refuse(format!(
                "no tenant `{tenant}` in the estate (tenants: {})",
                names(model.tenants.keys().map(ToString::to_string).collect())
            )));
            return None;
        }
        let mut named = None;
        let mut other_environments = false;
        if let Some(project) = existing {
            other_environments = project.spec.environments.len() > 1;
            let Some(env) = project
                .spec
                .environments
                .iter()
                .find(|e| e.name == config.environment)
            else {
                out.push(refuse(format!(
                    "project `{}` has no environment `{}`; add it to the project first",
                    config.project, config.environment
                )));
                return None;
            };
            if !env.clusters.contains(&config.cluster) {
                out.push(refuse(format!(
                    "environment `{}` of project `{}` is not on cluster `{}`; add the cluster to it first",
                    config.environment, config.project, config.cluster
                )));
                return None;
            }
            named = env.namespace.as_ref();
        }
        let mut san = Vec::new();
        let mut seen = BTreeSet::new();
        let mut at = Some(tenant);
        while let Some(name) = at {
            if !seen.insert(name) {
                break;
            }
            let Some(t) = model.tenants.get(name) else {
                break;
            };
            if let Some(globs) = &t.spec.allowed_san_volumes {
                san.push(globs.as_slice());
            }
            at = t.spec.parent.as_ref();
        }
        Some(Target {
            cluster: &cluster.spec,
            namespace: super::namespace(&config.project, &config.environment, named),
            san,
            other_environments,
        })
    }

    /// Whether the tenants let the project attach the SAN volume: every
    /// tenant that lists volumes lists it, and some tenant does.
    fn allows(&self, volume: &SanVolume) -> bool {
        let address = volume.address();
        !self.san.is_empty()
            && self
                .san
                .iter()
                .all(|globs| globs.iter().any(|g| g.is_match(&address)))
    }
}

/// The domain's name, as the mapping file's globs match it.
pub fn domain_name(doc: &Document<'_>) -> String {
    text_of(child(doc.root_element(), "name"))
        .unwrap_or("")
        .to_owned()
}

/// Parse one file as a libvirt domain, refusing anything hostile.
pub fn parse<'a>(path: &str, text: &'a str) -> Result<Document<'a>, Diagnostic> {
    let error = |line: u32, column: u32, message: String| {
        Diagnostic::error(
            Code::LibvirtXml,
            Some(Location::in_file(path, line, column)),
            message,
        )
    };
    if text.len() > MAX_BYTES {
        return Err(error(
            1,
            1,
            format!(
                "{} bytes: larger than the {} a domain file may have",
                text.len(),
                MAX_BYTES
            ),
        ));
    }
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
        ..ParsingOptions::default()
    };
    let doc = Document::parse_with_options(text, options).map_err(|e| {
        if let roxmltree::Error::DtdDetected = e {
            let at = text.find("<!DOCTYPE").unwrap_or(0);
            let (line, column) = line_col(text, at);
            return error(
                line,
                column,
                "a DOCTYPE: domain XML has none, and one could declare entities (external files, expansion bombs); kprov refuses it".to_owned(),
            );
        }
        let pos = e.pos();
        error(pos.row, pos.col, format!("not well-formed XML: {e}"))
    })?;
    let mut stack = vec![(doc.root_element(), 1usize)];
    while let Some((node, depth)) = stack.pop() {
        if depth > MAX_DEPTH {
            let (line, column) = line_col(text, node.range().start);
            return Err(error(
                line,
                column,
                format!("elements nested deeper than {MAX_DEPTH}: not a libvirt domain"),
            ));
        }
        stack.extend(
            node.children()
                .filter(Node::is_element)
                .map(|c| (c, depth + 1)),
        );
    }
    let root = doc.root_element();
    if root.tag_name().name() != "domain" {
        let (line, column) = line_col(text, root.range().start);
        return Err(error(
            line,
            column,
            format!(
                "the root element is <{}>, not <domain>: not `virsh dumpxml` output",
                root.tag_name().name()
            ),
        ));
    }
    Ok(doc)
}

fn line_col(text: &str, at: usize) -> (u32, u32) {
    let before = &text[..at.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(column).unwrap_or(u32::MAX),
    )
}

/// Bytes of `value` in libvirt's `unit` (default KiB). libvirt reads the
/// unit case-insensitively; `KB` and the like are powers of 1000.
pub fn scaled(value: &str, unit: Option<&str>) -> Option<u128> {
    let n: u128 = value.trim().parse().ok()?;
    let unit = unit.unwrap_or("KiB").to_ascii_lowercase();
    let (power, base): (u32, u128) = match unit.as_str() {
        "b" | "bytes" => (0, 1024),
        "k" | "kib" => (1, 1024),
        "kb" => (1, 1000),
        "m" | "mib" => (2, 1024),
        "mb" => (2, 1000),
        "g" | "gib" => (3, 1024),
        "gb" => (3, 1000),
        "t" | "tib" => (4, 1024),
        "tb" => (4, 1000),
        "p" | "pib" => (5, 1024),
        "pb" => (5, 1000),
        "e" | "eib" => (6, 1024),
        "eb" => (6, 1000),
        _ => return None,
    };
    n.checked_mul(base.checked_pow(power)?)
}

/// Bytes as a Kubernetes quantity, in the largest binary unit that divides them.
pub(crate) fn bytes_text(bytes: u128) -> String {
    for (suffix, shift) in [("Ti", 40), ("Gi", 30), ("Mi", 20), ("Ki", 10)] {
        if bytes != 0 && bytes.is_multiple_of(1u128 << shift) {
            return format!("{}{suffix}", bytes >> shift);
        }
    }
    bytes.to_string()
}

/// The smallest `u1` instancetype holding `vcpus` and `memory` bytes; the
/// memory-heavy `m1` only when no `u1` is large enough. Other series change
/// how the VM runs (overcommitted memory, dedicated CPUs, hugepages), which
/// an import must not decide alone.
pub(crate) fn choose_instancetype(
    vcpus: u32,
    memory: u128,
) -> Option<&'static catalog::Instancetype> {
    let fits = |series: &str| {
        catalog::INSTANCETYPES
            .iter()
            .filter(|t| t.series() == series)
            .filter(|t| t.cpus >= vcpus && mem_bytes(t) >= memory)
            .min_by_key(|t| (mem_bytes(t), t.cpus))
    };
    fits("u1").or_else(|| fits("m1"))
}

fn mem_bytes(t: &catalog::Instancetype) -> u128 {
    u128::try_from(t.memory().nanos() / 1_000_000_000).unwrap_or(0)
}

/// The iSCSI LUN a `/dev/disk/by-path/ip-<portal>-iscsi-<iqn>-lun-<n>`
/// device is, as udev names it.
pub(crate) fn by_path_iscsi(dev: &str) -> Option<Iscsi> {
    let rest = dev.strip_prefix("/dev/disk/by-path/ip-")?;
    let (portal, rest) = rest.split_once("-iscsi-")?;
    let (iqn, lun) = rest.rsplit_once("-lun-")?;
    let lun: u32 = lun.parse().ok()?;
    let portal_ok = !portal.is_empty()
        && portal
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".:[]-".contains(&b));
    let iqn_ok = ["iqn.", "eui.", "naa."].iter().any(|p| iqn.starts_with(p))
        && !iqn.bytes().any(|b| b.is_ascii_whitespace());
    (portal_ok && iqn_ok && lun <= 16383).then(|| Iscsi {
        target_portal: portal.to_owned(),
        iqn: iqn.to_owned(),
        lun,
    })
}

/// The preference for a libosinfo OS id, and whether it is only the closest.
pub(crate) fn preference_for_os(id: &str, virtio: bool) -> Option<(String, bool)> {
    let rest = id
        .strip_prefix("http://")
        .or_else(|| id.strip_prefix("https://"))?;
    let parts: Vec<&str> = rest.split('/').collect();
    let major = |v: &str| v.split('.').next().unwrap_or("").to_owned();
    let windows = |name: &str| {
        let p = if virtio {
            format!("windows.{name}.virtio")
        } else {
            format!("windows.{name}")
        };
        Some((p, false))
    };
    let found = match parts.as_slice() {
        ["redhat.com", "rhel", v] => match major(v).as_str() {
            m @ ("7" | "8" | "9" | "10") => Some((format!("rhel.{m}"), false)),
            _ => None,
        },
        ["centos.org", "centos-stream", v] => match major(v).as_str() {
            m @ ("9" | "10") => Some((format!("centos.stream{m}"), false)),
            _ => None,
        },
        ["centos.org", "centos", v] => match major(v).as_str() {
            m @ ("7" | "8") => Some((format!("rhel.{m}"), true)),
            _ => None,
        },
        ["ubuntu.com", "ubuntu", ..] => Some(("ubuntu".to_owned(), false)),
        ["fedoraproject.org", "fedora", ..] => Some(("fedora".to_owned(), false)),
        ["opensuse.org", "opensuse", "leap", ..] => Some(("opensuse.leap".to_owned(), false)),
        ["opensuse.org", "opensuse", "tumbleweed"] => {
            Some(("opensuse.tumbleweed".to_owned(), false))
        }
        ["suse.com", "sles", ..] => Some(("sles".to_owned(), false)),
        ["alpinelinux.org", "alpinelinux", ..] => Some(("alpine".to_owned(), false)),
        ["microsoft.com", "win", v] => match *v {
            "2k16" | "2k19" | "2k22" | "2k25" | "10" | "11" => windows(v),
            _ => None,
        },
        _ => None,
    };
    found.filter(|(p, _)| catalog::is_preference(p))
}

/// A preference guessed from a domain name such as `web-rhel9-01`.
fn preference_from_name(name: &str, virtio: bool) -> Option<String> {
    let squashed: String = name
        .to_ascii_lowercase()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let guesses = [
        ("rhel10", "redhat.com/rhel/10"),
        ("rhel9", "redhat.com/rhel/9"),
        ("rhel8", "redhat.com/rhel/8"),
        ("rhel7", "redhat.com/rhel/7"),
        ("stream9", "centos.org/centos-stream/9"),
        ("centos7", "centos.org/centos/7"),
        ("win2k22", "microsoft.com/win/2k22"),
        ("win2022", "microsoft.com/win/2k22"),
        ("win2k19", "microsoft.com/win/2k19"),
        ("win2019", "microsoft.com/win/2k19"),
        ("win2k16", "microsoft.com/win/2k16"),
        ("win2016", "microsoft.com/win/2k16"),
        ("ubuntu", "ubuntu.com/ubuntu/any"),
        ("fedora", "fedoraproject.org/fedora/any"),
        ("sles", "suse.com/sles/any"),
        ("alpine", "alpinelinux.org/alpinelinux/any"),
    ];
    guesses
        .iter()
        .find(|(needle, _)| squashed.contains(needle))
        .and_then(|(_, id)| preference_for_os(&format!("http://{id}"), virtio))
        .map(|(p, _)| p)
}

/// A domain name as a DNS label.
fn vm_name(domain: &str) -> String {
    let mut out = String::new();
    for c in domain.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').chars().take(63).collect::<String>()
}

fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

fn children<'a, 'i>(node: Node<'a, 'i>, name: &'a str) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children()
        .filter(move |c| c.is_element() && c.tag_name().name() == name)
}

fn text_of<'a>(node: Option<Node<'a, '_>>) -> Option<&'a str> {
    node.and_then(|n| n.text()).map(str::trim)
}

struct Findings(Vec<Reason>);

impl Findings {
    fn add(&mut self, level: Level, message: impl Into<String>) {
        self.0.push(Reason {
            level,
            message: message.into(),
        });
    }
}

/// One domain converted; the VM is `None` when it cannot be written at all.
fn domain(
    path: &str,
    doc: &Document<'_>,
    config: &ImportConfig,
    target: &Target<'_>,
) -> (Option<VirtualMachine>, DomainReport) {
    let root = doc.root_element();
    let mut f = Findings(Vec::new());
    let domain_name = text_of(child(root, "name")).unwrap_or("").to_owned();
    let name = vm_name(&domain_name);
    if name != domain_name {
        f.add(
            Level::Note,
            format!("renamed `{domain_name}` to `{name}`: VM names are DNS labels"),
        );
    }
    let vm_name_valid = name.parse::<Name>();
    if vm_name_valid.is_err() {
        f.add(
            Level::Blocked,
            format!("the domain name `{domain_name}` makes no DNS label"),
        );
    }
    if root.attribute("type") == Some("qemu") {
        f.add(
            Level::Warning,
            "domain type `qemu` ran emulated (TCG): under KubeVirt it runs on KVM, so it will be much faster, and CPU features the guest saw may differ",
        );
    }
    let os = child(root, "os");
    let arch = os
        .and_then(|o| child(o, "type"))
        .and_then(|t| t.attribute("arch"))
        .unwrap_or("x86_64");
    if arch != "x86_64" {
        f.add(
            Level::Blocked,
            format!("architecture {arch}: the cluster's KubeVirt nodes run x86_64"),
        );
    }
    if os.and_then(|o| child(o, "kernel")).is_some() {
        f.add(
            Level::Blocked,
            "direct kernel boot (<os><kernel>): install a bootloader in the guest's disk first",
        );
    }
    if let Some(sec) = child(root, "launchSecurity") {
        f.add(
            Level::Blocked,
            format!(
                "launch security `{}` (confidential computing) is not modelled",
                sec.attribute("type").unwrap_or("?")
            ),
        );
    }

    // Size.
    let vcpus: u32 = text_of(child(root, "vcpu"))
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let memory = child(root, "memory")
        .and_then(|m| scaled(m.text()?, m.attribute("unit")))
        .unwrap_or(0);
    if memory == 0 {
        f.add(Level::Blocked, "no readable <memory>");
    }
    let chosen = choose_instancetype(vcpus, memory);
    let sizing = chosen.map(|t| {
        let (cpu_delta, mem_delta) = (t.cpus - vcpus, mem_bytes(t) - memory);
        let mut delta = Vec::new();
        if cpu_delta > 0 {
            delta.push(format!("+{cpu_delta} vCPU"));
        }
        if mem_delta > 0 {
            delta.push(format!("+{}", bytes_text(mem_delta)));
        }
        format!(
            "{vcpus} vCPU / {} → {} {} / {}{}",
            bytes_text(memory),
            t.name,
            t.cpus,
            t.memory,
            if delta.is_empty() {
                " (exact)".to_owned()
            } else {
                format!(" ({})", delta.join(", "))
            }
        )
    });
    match chosen {
        Some(t) if t.series() != "u1" => f.add(
            Level::Warning,
            format!(
                "no u1 instancetype holds {vcpus} vCPU / {}; {} is memory-heavy",
                bytes_text(memory),
                t.name
            ),
        ),
        Some(_) => {}
        None if memory > 0 => f.add(
            Level::Blocked,
            format!(
                "no instancetype holds {vcpus} vCPU / {}",
                bytes_text(memory)
            ),
        ),
        None => {}
    }

    // Firmware, TPM, CPU pinning, hugepages.
    let loader = os.and_then(|o| child(o, "loader"));
    let efi = os.and_then(|o| o.attribute("firmware")) == Some("efi")
        || loader.and_then(|l| l.attribute("type")) == Some("pflash");
    let secure = loader.and_then(|l| l.attribute("secure")) == Some("yes")
        || os.and_then(|o| child(o, "firmware")).is_some_and(|fw| {
            children(fw, "feature").any(|feat| {
                feat.attribute("name") == Some("secure-boot")
                    && feat.attribute("enabled") == Some("yes")
            })
        });
    let firmware = Firmware {
        kind: if efi || secure {
            FirmwareKind::Uefi
        } else {
            FirmwareKind::Bios
        },
        secure_boot: secure,
    };
    let vm_caps = target.cluster.vm.clone().unwrap_or_default();
    let mut dedicated = false;
    if child(root, "cputune").is_some_and(|t| child(t, "vcpupin").is_some()) {
        if vm_caps.dedicated_cpus {
            dedicated = true;
            f.add(Level::Note, "vCPUs were pinned: the VM gets dedicated CPUs");
        } else {
            f.add(
                Level::Warning,
                "vCPUs were pinned, but the cluster does not offer dedicated CPUs (`spec.vm.dedicatedCpus`): the VM shares CPUs",
            );
        }
    }
    let mut hugepages = None;
    if let Some(hp) = child(root, "memoryBacking").and_then(|m| child(m, "hugepages")) {
        let size = child(hp, "page")
            .and_then(|p| {
                scaled(
                    p.attribute("size")?,
                    Some(p.attribute("unit").unwrap_or("KiB")),
                )
            })
            .unwrap_or(2 << 20);
        let page = match size {
            s if s == 2 << 20 => Some(PageSize::Mi2),
            s if s == GI => Some(PageSize::Gi1),
            _ => None,
        };
        match page {
            Some(p) if vm_caps.hugepages.contains(&p) => hugepages = Some(p),
            _ => f.add(
                Level::Warning,
                format!(
                    "guest memory was backed by {} hugepages, which the cluster does not offer (`spec.vm.hugepages`): the VM uses ordinary pages",
                    bytes_text(size)
                ),
            ),
        }
    }
    if child(root, "cpu").is_some_and(|c| child(c, "numa").is_some()) {
        f.add(
            Level::Note,
            "the guest NUMA topology is not kept: KubeVirt lays the guest out itself",
        );
    }

    // Devices.
    let devices = child(root, "devices");
    let mut disks = Vec::new();
    let mut moves = Vec::new();
    let mut nics = Vec::new();
    let mut nic_lines = Vec::new();
    let mut tpm = false;
    let mut disk_nodes = Vec::new();
    let mut kinds_seen = BTreeSet::new();
    if let Some(devices) = devices {
        for dev in devices.children().filter(Node::is_element) {
            match dev.tag_name().name() {
                "disk" => disk_nodes.push(dev),
                "interface" => {
                    nic(dev, target, &mut f, &mut nics, &mut nic_lines);
                }
                "tpm" => match child(dev, "backend").and_then(|b| b.attribute("type")) {
                    Some("emulator") | None => tpm = true,
                    Some(other) => f.add(
                        Level::Blocked,
                        format!("TPM backend `{other}`: only an emulated TPM moves"),
                    ),
                },
                "hostdev" => f.add(
                    Level::Blocked,
                    format!(
                        "host device passthrough ({} {}): needs the cluster's permittedHostDevices, which kprov does not model yet",
                        dev.attribute("type").unwrap_or("?"),
                        hostdev_address(dev)
                    ),
                ),
                "filesystem" => f.add(
                    Level::Blocked,
                    "a shared host directory (<filesystem>) cannot move; copy its data into a disk",
                ),
                "redirdev" | "smartcard" => f.add(
                    Level::Warning,
                    format!("<{}> is not migrated", dev.tag_name().name()),
                ),
                kind @ ("graphics" | "sound" | "serial" | "console" | "channel") => {
                    kinds_seen.insert(kind);
                }
                _ => {}
            }
        }
    }
    for kind in kinds_seen {
        let message = match kind {
            "graphics" => "graphics: KubeVirt gives one VNC console (`virtctl vnc`)",
            "sound" => "sound device dropped",
            "serial" | "console" => "serial console: reach it with `virtctl console`",
            _ => "guest agent channel: KubeVirt adds its own for qemu-guest-agent",
        };
        if !f.0.iter().any(|r| r.message == message) {
            f.add(Level::Note, message);
        }
    }

    let virtio_nics = nics
        .iter()
        .all(|n: &VmNetwork| n.model.is_none_or(|m| m == NicModel::Virtio));
    let boot = boot_devices(os);
    let mut any_boot_order = false;
    for node in &disk_nodes {
        if child(*node, "boot").is_some() {
            any_boot_order = true;
        }
    }
    let mut booted = BTreeSet::new();
    let mut storage: u128 = 0;
    for node in disk_nodes {
        if let Some((disk, mv, bytes)) = disk(
            node,
            &domain_name,
            config,
            target,
            &mut f,
            (any_boot_order, &boot, &mut booted),
        ) {
            storage += bytes;
            disks.push(disk);
            moves.push(mv);
        } else if let Some(mv) = skipped(node) {
            moves.push(mv);
        }
    }
    let written_disks: Vec<VmDisk> = disks.into_iter().flatten().collect();
    let virtio_disks = written_disks
        .iter()
        .filter(|d| !d.cdrom)
        .all(|d| d.bus.is_none_or(|b| b == DiskBus::Virtio));
    if written_disks.is_empty() && !f.0.iter().any(|r| r.level == Level::Blocked) {
        f.add(Level::Blocked, "no disk to boot from");
    }

    // Guest OS.
    let os_id = child(root, "metadata").and_then(|m| {
        m.descendants()
            .find(|n| {
                n.is_element()
                    && n.tag_name().name() == "os"
                    && n.tag_name().namespace() == Some(LIBOSINFO)
            })
            .and_then(|n| n.attribute("id"))
    });
    let virtio = virtio_disks && virtio_nics;
    let preference = match os_id {
        Some(id) => match preference_for_os(id, virtio) {
            Some((p, closest)) => {
                if closest {
                    f.add(
                        Level::Note,
                        format!("libosinfo says {id}; the closest preference is {p}"),
                    );
                }
                Some(p)
            }
            None => {
                f.add(
                    Level::Warning,
                    format!(
                        "libosinfo says {id}, which no KubeVirt preference covers: the VM runs without one (check the guest has virtio drivers)"
                    ),
                );
                None
            }
        },
        None => match preference_from_name(&domain_name, virtio) {
            Some(p) => {
                f.add(
                    Level::Warning,
                    format!("no libosinfo metadata; preference {p} guessed from the domain name"),
                );
                Some(p)
            }
            None => {
                f.add(
                    Level::Note,
                    "no libosinfo metadata and nothing to guess from: no preference",
                );
                None
            }
        },
    };

    let report = DomainReport {
        file: path.to_owned(),
        domain: domain_name,
        vm: name,
        project: config.project.to_string(),
        namespace: target.namespace.clone(),
        cluster: config.cluster.to_string(),
        vcpus,
        memory_bytes: memory,
        instancetype: chosen.map(|t| t.name.to_owned()),
        sizing,
        preference: preference.clone(),
        disks: moves,
        networks: nic_lines,
        status: Status::Ready,
        reasons: f.0,
        storage_bytes: storage,
    };
    let vm = match (vm_name_valid, chosen) {
        (Ok(vm_name), Some(t)) => Some(VirtualMachine {
            name: vm_name,
            instancetype: t.name.to_owned(),
            preference,
            image: None,
            disk: None,
            disks: (!written_disks.is_empty()).then_some(written_disks),
            networks: (!nics.is_empty()).then_some(nics),
            firmware: Some(firmware),
            tpm,
            dedicated_cpus: dedicated,
            hugepages,
            running: None,
            ports: Vec::new(),
            environments: None,
            failover: None,
        }),
        _ => None,
    };
    (vm, report)
}

/// Status from the reasons, blocked first.
fn finish(report: &mut DomainReport) {
    report.reasons.sort_by_key(|r| std::cmp::Reverse(r.level));
    report.status = match report.reasons.iter().map(|r| r.level).max() {
        Some(Level::Blocked) => Status::Blocked,
        Some(Level::Warning) => Status::ReadyWithWarnings,
        _ => Status::Ready,
    };
}

fn hostdev_address(dev: Node<'_, '_>) -> String {
    let Some(source) = child(dev, "source") else {
        return String::new();
    };
    if let Some(a) = child(source, "address") {
        let attrs: Vec<String> = ["domain", "bus", "slot", "function"]
            .iter()
            .filter_map(|k| a.attribute(*k).map(|v| format!("{k}={v}")))
            .collect();
        if !attrs.is_empty() {
            return attrs.join(" ");
        }
    }
    let usb: Vec<String> = ["vendor", "product"]
        .iter()
        .filter_map(|k| {
            child(source, k)
                .and_then(|n| n.attribute("id"))
                .map(|v| format!("{k}={v}"))
        })
        .collect();
    usb.join(" ")
}

/// `<os><boot dev>` in order: `hd`, `cdrom`, `network`, `fd`.
fn boot_devices(os: Option<Node<'_, '_>>) -> Vec<String> {
    let mut out: Vec<String> = os
        .map(|o| {
            children(o, "boot")
                .filter_map(|b| b.attribute("dev").map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if out.is_empty() {
        out.push("hd".to_owned());
    }
    out
}

/// A disk that is not converted (a CD-ROM left behind), for the report.
fn skipped(node: Node<'_, '_>) -> Option<DiskMove> {
    (node.attribute("device") == Some("cdrom")).then(|| DiskMove {
        target: target_dev(node),
        source: source_text(node),
        size: None,
        how: "left behind (install media)".to_owned(),
    })
}

fn target_dev(node: Node<'_, '_>) -> String {
    child(node, "target")
        .and_then(|t| t.attribute("dev"))
        .unwrap_or("?")
        .to_owned()
}

fn source_text(node: Node<'_, '_>) -> String {
    let Some(s) = child(node, "source") else {
        return "(empty)".to_owned();
    };
    if let Some(v) = s.attribute("file").or_else(|| s.attribute("dev")) {
        return v.to_owned();
    }
    let host = child(s, "host").map(|h| {
        format!(
            "{}{}",
            h.attribute("name").unwrap_or("?"),
            h.attribute("port")
                .map(|p| format!(":{p}"))
                .unwrap_or_default()
        )
    });
    format!(
        "{}://{}/{}",
        s.attribute("protocol")
            .or_else(|| node.attribute("type"))
            .unwrap_or("?"),
        host.unwrap_or_default(),
        s.attribute("name")
            .or_else(|| s.attribute("volume"))
            .unwrap_or("")
    )
}

type Boot<'b> = (bool, &'b [String], &'b mut BTreeSet<&'static str>);

/// One `<disk>`: the VM's disk (`None` inside when it is blocked), how it
/// moves, and its size in bytes; `None` for a CD-ROM left behind.
fn disk(
    node: Node<'_, '_>,
    domain: &str,
    config: &ImportConfig,
    target: &Target<'_>,
    f: &mut Findings,
    boot: Boot<'_>,
) -> Option<(Option<VmDisk>, DiskMove, u128)> {
    let (explicit_boot, boot_devs, booted) = boot;
    let dev = target_dev(node);
    let device = node.attribute("device").unwrap_or("disk");
    let kind = node.attribute("type").unwrap_or("file");
    let source = child(node, "source");
    let shown = source_text(node);
    let cdrom = device == "cdrom";
    let blocked = |f: &mut Findings, why: String| {
        f.add(Level::Blocked, format!("disk {dev}: {why}"));
        Some((
            None,
            DiskMove {
                target: dev.clone(),
                source: shown.clone(),
                size: None,
                how: format!("blocked: {why}"),
            },
            0,
        ))
    };
    if cdrom && (source.is_none() || kind != "file") {
        f.add(
            Level::Note,
            format!("CD-ROM {dev}: install media is not migrated"),
        );
        return None;
    }
    if device == "floppy" {
        return blocked(f, "floppy drives do not exist in KubeVirt".to_owned());
    }
    let Ok(name) = dev.parse::<Name>() else {
        return blocked(f, "its target device name is not a DNS label".to_owned());
    };
    // Bus.
    let bus_attr = child(node, "target")
        .and_then(|t| t.attribute("bus"))
        .map(str::to_owned)
        .unwrap_or_else(|| match &dev[..dev.len().min(2)] {
            "vd" => "virtio".to_owned(),
            "sd" => "scsi".to_owned(),
            "hd" => "ide".to_owned(),
            _ => "virtio".to_owned(),
        });
    let bus = match bus_attr.as_str() {
        "virtio" if cdrom => DiskBus::Sata,
        "virtio" => DiskBus::Virtio,
        "sata" => DiskBus::Sata,
        "scsi" => DiskBus::Scsi,
        "ide" => {
            f.add(
                Level::Warning,
                format!("disk {dev}: KubeVirt has no IDE bus; it moves to SATA (the guest needs an AHCI driver)"),
            );
            DiskBus::Sata
        }
        other => return blocked(f, format!("bus `{other}` does not exist in KubeVirt")),
    };
    // Source.
    let (disk_source, how) = match (kind, source) {
        ("file", Some(s)) => {
            let Some(file) = s.attribute("file") else {
                return blocked(f, "no source file".to_owned());
            };
            let base = file.rsplit('/').next().unwrap_or(file);
            if let Some(chain) =
                child(node, "backingStore").filter(|b| b.attribute("type").is_some())
            {
                let backing = child(chain, "source")
                    .and_then(|s| s.attribute("file"))
                    .unwrap_or("?");
                let stem = base.strip_suffix(".qcow2").unwrap_or(base);
                f.add(
                    Level::Warning,
                    format!(
                        "disk {dev}: {file} is a qcow2 overlay on {backing}; CDI imports one file, so flatten the chain first: `qemu-img convert -O qcow2 {file} {stem}-flat.qcow2`, and serve the result as {base}"
                    ),
                );
            }
            match &config.image_url {
                Some(url) => {
                    let url = format!("{}/{base}", url.trim_end_matches('/'));
                    (
                        DiskSource::Image(Image {
                            registry: None,
                            http: Some(url.clone()),
                            pvc: None,
                        }),
                        format!("copied by CDI from {url}"),
                    )
                }
                None => {
                    return blocked(
                        f,
                        format!(
                            "{file} is an image on the host: upload the image or give --image-url"
                        ),
                    );
                }
            }
        }
        ("block", Some(s)) => {
            let path = s.attribute("dev").unwrap_or("");
            match by_path_iscsi(path) {
                Some(iscsi) => san(iscsi, device, &dev, f)?,
                None => {
                    return blocked(
                        f,
                        format!(
                            "{path} is a block device local to the host; copy it into an image first: `qemu-img convert -O qcow2 {path} {domain}-{dev}.qcow2`"
                        ),
                    );
                }
            }
        }
        ("network", Some(s)) => {
            let protocol = s.attribute("protocol").unwrap_or("?");
            if protocol != "iscsi" {
                return blocked(
                    f,
                    format!("network disk over {protocol}: only iSCSI LUNs stay where they are"),
                );
            }
            if child(node, "auth").is_some() || child(s, "auth").is_some() {
                return blocked(
                    f,
                    "the iSCSI target asks for CHAP authentication, which kprov does not model"
                        .to_owned(),
                );
            }
            let host = child(s, "host");
            let portal = host.map(|h| {
                format!(
                    "{}:{}",
                    h.attribute("name").unwrap_or(""),
                    h.attribute("port").unwrap_or("3260")
                )
            });
            let name = s.attribute("name").unwrap_or("");
            let (iqn, lun) = name.rsplit_once('/').unwrap_or((name, "0"));
            let path = format!(
                "/dev/disk/by-path/ip-{}-iscsi-{iqn}-lun-{lun}",
                portal.unwrap_or_default()
            );
            match by_path_iscsi(&path) {
                Some(iscsi) => san(iscsi, device, &dev, f)?,
                None => return blocked(f, format!("unreadable iSCSI source {shown}")),
            }
        }
        (other, _) => {
            return blocked(
                f,
                format!("a `{other}` disk: only image files and iSCSI LUNs move"),
            );
        }
    };
    if let DiskSource::San(volume) = &disk_source
        && !target.allows(volume)
    {
        return blocked(
            f,
            format!(
                "the tenants do not allow {} (add it to the tenant's `allowedSanVolumes`)",
                volume.address()
            ),
        );
    }
    // Size.
    let Some(size) = config.sizes.get(&(domain.to_owned(), dev.clone())) else {
        return blocked(
            f,
            format!("size unknown: add `{domain},{dev},<size>` to the --sizes file"),
        );
    };
    let bytes = u128::try_from(size.nanos() / 1_000_000_000).unwrap_or(0);
    // Boot order.
    let boot_order = if explicit_boot {
        child(node, "boot")
            .and_then(|b| b.attribute("order"))
            .and_then(|o| o.parse::<u32>().ok())
            .filter(|o| *o >= 1)
    } else {
        let class = if cdrom { "cdrom" } else { "hd" };
        let at = boot_devs.iter().position(|d| d == class);
        match at {
            Some(i) if booted.insert(class) => u32::try_from(i + 1).ok(),
            _ => None,
        }
    };
    let size_text = bytes_text(bytes);
    Some((
        Some(VmDisk {
            name,
            size: Quantity::parse(&size_text).unwrap_or(*size),
            tier: if matches!(disk_source, DiskSource::San(_)) {
                None
            } else {
                config.tier.clone()
            },
            bus: (bus
                != if cdrom {
                    DiskBus::Sata
                } else {
                    DiskBus::Virtio
                })
            .then_some(bus),
            boot_order,
            cdrom,
            source: disk_source,
        }),
        DiskMove {
            target: dev,
            source: shown,
            size: Some(size_text),
            how,
        },
        bytes,
    ))
}

fn san(iscsi: Iscsi, device: &str, dev: &str, f: &mut Findings) -> Option<(DiskSource, String)> {
    if device == "lun" {
        f.add(
            Level::Warning,
            format!("disk {dev}: SCSI passthrough (device=lun) becomes a plain disk on the same LUN; SCSI reservations and raw commands are lost"),
        );
    }
    let volume = SanVolume::Iscsi(iscsi);
    let how = format!("kept in place on the SAN: {}", volume.address());
    Some((DiskSource::San(volume), how))
}

/// One `<interface>`.
fn nic(
    node: Node<'_, '_>,
    target: &Target<'_>,
    f: &mut Findings,
    nics: &mut Vec<VmNetwork>,
    lines: &mut Vec<String>,
) {
    let kind = node.attribute("type").unwrap_or("?");
    let source = child(node, "source");
    let mac_text = child(node, "mac").and_then(|m| m.attribute("address"));
    let what = format!("NIC {}", mac_text.unwrap_or(kind));
    if child(node, "script").is_some() {
        f.add(
            Level::Blocked,
            format!("{what}: a <script> set the host side up; KubeVirt runs no host scripts"),
        );
        lines.push(format!("{what}: blocked (host script)"));
        return;
    }
    let model = child(node, "model").and_then(|m| m.attribute("type"));
    let model = match model {
        None | Some("virtio") => None,
        Some("e1000") => Some(NicModel::E1000),
        Some("e1000e") => Some(NicModel::E1000e),
        Some("rtl8139") => Some(NicModel::Rtl8139),
        Some(other) => {
            f.add(
                Level::Warning,
                format!("{what}: model {other} does not exist in KubeVirt; it becomes virtio (the guest needs its drivers)"),
            );
            None
        }
    };
    let mac_address = mac_text.and_then(|m| match m.parse::<MacAddress>() {
        Ok(mac) => Some(mac),
        Err(e) => {
            f.add(Level::Warning, format!("{what}: MAC dropped: {e}"));
            None
        }
    });
    let (name, pod, multus, line) = match kind {
        "network" => {
            let net = source.and_then(|s| s.attribute("network")).unwrap_or("?");
            if nics.iter().any(|n| n.pod.is_some()) {
                f.add(
                    Level::Warning,
                    format!("{what}: a second NAT NIC (libvirt network `{net}`); only one may use the pod network, so it is dropped"),
                );
                lines.push(format!("{what}: dropped (second NAT NIC)"));
                return;
            }
            (
                "default".to_owned(),
                Some(PodNetwork {}),
                None,
                format!("{what}: libvirt network `{net}` → pod network (NAT)"),
            )
        }
        "bridge" => {
            let bridge = source.and_then(|s| s.attribute("bridge")).unwrap_or("?");
            let vlan = child(node, "vlan")
                .and_then(|v| child(v, "tag"))
                .and_then(|t| t.attribute("id"))
                .and_then(|id| id.parse::<u16>().ok());
            let found =
                target.cluster.networks.iter().find(|(_, n)| {
                    n.bridge.as_str() == bridge && (vlan.is_none() || n.vlan == vlan)
                });
            let Some((net, _)) = found else {
                let suggested = vm_name(bridge);
                f.add(
                    Level::Blocked,
                    format!(
                        "{what}: bridge {bridge} is no network of the cluster; add it to the Cluster: `spec: {{networks: {{{suggested}: {{bridge: {bridge}{}}}}}}}`",
                        vlan.map(|v| format!(", vlan: {v}")).unwrap_or_default()
                    ),
                );
                lines.push(format!("{what}: blocked (bridge {bridge} not declared)"));
                return;
            };
            let mut name = net.to_string();
            let mut i = 2;
            while nics.iter().any(|n| n.name.as_str() == name) {
                name = format!("{net}-{i}");
                i += 1;
            }
            (
                name,
                None,
                Some(net.clone()),
                format!("{what}: bridge {bridge} → multus {net}"),
            )
        }
        other => {
            let why = match other {
                "direct" => {
                    "macvtap (type=direct) has no KubeVirt binding; use a bridge the cluster declares"
                }
                "vhostuser" => "vhost-user needs a DPDK data plane kprov does not model",
                "vdpa" => "vDPA is not modelled",
                "hostdev" => "SR-IOV (type=hostdev) needs SR-IOV networks kprov does not model yet",
                _ => "this interface type has no KubeVirt binding",
            };
            f.add(Level::Blocked, format!("{what}: type {other}: {why}"));
            lines.push(format!("{what}: blocked (type {other})"));
            return;
        }
    };
    let Ok(name) = name.parse::<Name>() else {
        f.add(Level::Blocked, format!("{what}: no usable NIC name"));
        return;
    };
    let shown_model = model.map_or("virtio", |m| match m {
        NicModel::Virtio => "virtio",
        NicModel::E1000 => "e1000",
        NicModel::E1000e => "e1000e",
        NicModel::Rtl8139 => "rtl8139",
    });
    lines.push(format!("{line}, {shown_model}"));
    nics.push(VmNetwork {
        name,
        pod,
        multus,
        model,
        mac_address,
    });
}

/// Parse a sizes file: lines `domain,target,size` (a Kubernetes quantity or
/// bytes); blank lines, `#` comments and a `domain,target,size` header are
/// skipped.
pub fn parse_sizes(
    path: &str,
    text: &str,
) -> Result<BTreeMap<(String, String), Quantity>, Diagnostic> {
    let mut out = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line == "domain,target,size" {
            continue;
        }
        let at = |message: String| {
            Diagnostic::error(
                Code::ImportRefused,
                Some(Location::in_file(
                    path.to_owned(),
                    u32::try_from(i + 1).unwrap_or(u32::MAX),
                    1,
                )),
                message,
            )
        };
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let [domain, target, size] = fields.as_slice() else {
            return Err(at(format!(
                "expected `domain,target,size`, found {} fields",
                fields.len()
            )));
        };
        let size = Quantity::parse(size)
            .ok()
            .filter(|q| q.nanos() > 0 && q.nanos() % 1_000_000_000 == 0)
            .ok_or_else(|| {
                at(format!(
                    "`{size}` is not a size in bytes or a quantity like 40Gi"
                ))
            })?;
        let size = Quantity::from_nanos(size.nanos(), Format::BinarySI);
        out.insert(((*domain).to_owned(), (*target).to_owned()), size);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libvirt_units() {
        assert_eq!(scaled("4194304", None), Some(4 * GI));
        assert_eq!(scaled("4194304", Some("KiB")), Some(4 * GI));
        assert_eq!(scaled("4", Some("GiB")), Some(4 * GI));
        assert_eq!(scaled("4", Some("G")), Some(4 * GI));
        assert_eq!(scaled("4", Some("GB")), Some(4_000_000_000));
        assert_eq!(scaled("512", Some("MiB")), Some(512 << 20));
        assert_eq!(scaled("2", Some("TiB")), Some(2 << 40));
        assert_eq!(scaled("1024", Some("bytes")), Some(1024));
        assert_eq!(scaled("1", Some("EiB")), Some(1 << 60));
        assert_eq!(scaled("1", Some("furlong")), None);
        assert_eq!(scaled("-1", None), None);
        assert_eq!(
            scaled("99999999999999999999999999999999999999", Some("EiB")),
            None
        );
    }

    #[test]
    fn smallest_u1_that_holds_the_guest() {
        let pick = |v, gi: u128| choose_instancetype(v, gi * GI).map(|t| t.name);
        assert_eq!(pick(4, 12), Some("u1.xlarge"));
        assert_eq!(pick(2, 2), Some("u1.2xmedium"));
        assert_eq!(pick(1, 1), Some("u1.micro"));
        assert_eq!(pick(2, 8), Some("u1.large"));
        assert_eq!(pick(2, 64), Some("u1.4xlarge"));
        assert_eq!(pick(8, 200), Some("m1.8xlarge"));
        assert_eq!(pick(64, 8), None);
        assert_eq!(
            choose_instancetype(1, 512 << 20).map(|t| t.name),
            Some("u1.nano")
        );
    }

    #[test]
    fn iscsi_by_path() {
        let lun = by_path_iscsi(
            "/dev/disk/by-path/ip-10.0.40.10:3260-iscsi-iqn.2001-05.com.acme:storage.erp-data-lun-3",
        )
        .unwrap();
        assert_eq!(lun.target_portal, "10.0.40.10:3260");
        assert_eq!(lun.iqn, "iqn.2001-05.com.acme:storage.erp-data");
        assert_eq!(lun.lun, 3);
        assert!(by_path_iscsi("/dev/disk/by-path/pci-0000:00:1f.2-ata-1").is_none());
        assert!(by_path_iscsi("/dev/sdb").is_none());
        assert!(by_path_iscsi("/dev/disk/by-path/ip-10.0.0.1:3260-iscsi-foo-lun-1").is_none());
        assert!(
            by_path_iscsi("/dev/disk/by-path/ip-10.0.0.1:3260-iscsi-iqn.x:y-lun-99999").is_none()
        );
    }

    #[test]
    fn os_ids_to_preferences() {
        let p = |id: &str, virtio| preference_for_os(id, virtio).map(|(p, _)| p);
        assert_eq!(
            p("http://redhat.com/rhel/9.2", true).as_deref(),
            Some("rhel.9")
        );
        assert_eq!(
            p("http://microsoft.com/win/2k22", false).as_deref(),
            Some("windows.2k22")
        );
        assert_eq!(
            p("http://microsoft.com/win/2k22", true).as_deref(),
            Some("windows.2k22.virtio")
        );
        assert_eq!(p("http://centos.org/centos/6.10", false), None);
        assert_eq!(
            preference_from_name("web-RHEL-9-01", true).as_deref(),
            Some("rhel.9")
        );
        assert_eq!(vm_name("Web_Server.01"), "web-server-01");
    }

    #[test]
    fn sizes_file() {
        let sizes = parse_sizes(
            "s.csv",
            "domain,target,size\n# c\na,vda,40Gi\nb,vdb,1073741824\n",
        )
        .unwrap();
        assert_eq!(sizes[&("b".into(), "vdb".into())].to_string(), "1Gi");
        assert_eq!(sizes[&("a".into(), "vda".into())].to_string(), "40Gi");
        let e = parse_sizes("s.csv", "a,vda\n").unwrap_err();
        assert_eq!(e.location.unwrap().line, 1);
        assert!(parse_sizes("s.csv", "a,vda,lots\n").is_err());
    }

    #[test]
    fn hostile_xml_is_refused_where_it_is() {
        let bomb = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n]>\n<domain>&lol;</domain>\n";
        let e = parse("bomb.xml", bomb).unwrap_err();
        assert_eq!(e.code, Code::LibvirtXml);
        assert_eq!(e.location.as_ref().unwrap().line, 2);
        let e = parse("bad.xml", "<domain>\n  <name>x</nam>\n</domain>").unwrap_err();
        assert_eq!(e.location.as_ref().unwrap().line, 2, "{e:?}");
        let deep = format!("<domain>{}{}</domain>", "<a>".repeat(40), "</a>".repeat(40));
        assert!(parse("deep.xml", &deep).is_err());
        assert!(parse("other.xml", "<network/>").is_err());
    }
}
