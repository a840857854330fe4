//! Bringing machines from elsewhere into an estate: `kprov import`.
//!
//! [`openvz`] reads OpenVZ container configs and sizes a project skeleton
//! for them: containers are candidates for container images, not VMs.
//! [`mapping`] reads the rules that send domains to projects.
//! [`libvirt`] converts `virsh dumpxml` output into the project's
//! `virtualMachines`, deciding per domain what moves as it is, what moves
//! with a warning and what is blocked, and why. [`project`] writes the
//! result into a project file: a new one, or text inserted into an existing
//! one without changing any other byte of it. Nothing here reads or writes
//! files: the caller hands in the texts and writes what comes back.

pub mod libvirt;
pub mod mapping;
pub mod openvz;
pub mod project;
pub mod report;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use crate::model::kinds::VirtualMachine;
use crate::model::{Name, Quantity, Subject};

/// What `kprov import` was asked to do, beyond the input files.
#[derive(Debug, Clone)]
pub struct ImportConfig {
    /// Tenant of a new project.
    pub tenant: Name,
    /// Project the VMs go into (`projects/<project>.yaml`).
    pub project: Name,
    /// Environment of the project the VMs run in.
    pub environment: Name,
    /// Cluster of that environment.
    pub cluster: Name,
    /// Further clusters of that environment: the VMs run on each.
    pub more_clusters: Vec<Name>,
    /// Storage tier of the disks CDI copies; the cluster's default if none.
    pub tier: Option<Name>,
    /// Owners of a new project.
    pub owners: Vec<Subject>,
    /// Where the disk images are served from, once copied off the hosts:
    /// an image file becomes `<image_url>/<file name>`.
    pub image_url: Option<String>,
    /// Disk sizes by (domain, target device), from the sizes file.
    pub sizes: BTreeMap<(String, String), Quantity>,
}

/// How serious one finding about a domain is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Level {
    /// Moves as it is; worth knowing.
    Note,
    /// Moves, but something changes or needs doing by hand.
    Warning,
    /// Cannot move as it is; the VM is not written.
    Blocked,
}

impl Level {
    /// As the text report writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Note => "note",
            Level::Warning => "warning",
            Level::Blocked => "blocked",
        }
    }
}

/// One finding about a domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Reason {
    /// How serious it is.
    pub level: Level,
    /// What was found and what was decided, in one sentence.
    pub message: String,
}

/// Whether a domain moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Status {
    /// Converted with nothing to do by hand.
    Ready,
    /// Converted; some reasons are warnings.
    ReadyWithWarnings,
    /// Not converted; some reasons say why.
    Blocked,
}

impl Status {
    /// As the text report writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ready => "ready",
            Status::ReadyWithWarnings => "ready with warnings",
            Status::Blocked => "blocked",
        }
    }
}

/// How one disk moves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DiskMove {
    /// The guest's device, e.g. `vda`.
    pub target: String,
    /// Where the data is on the host: a file, device or network address.
    pub source: String,
    /// Size, when known.
    pub size: Option<String>,
    /// In place on the SAN, copied by CDI from a URL, left behind, or blocked.
    pub how: String,
}

/// What happened to one domain.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DomainReport {
    /// The file it came from, as given.
    pub file: String,
    /// The libvirt domain name.
    pub domain: String,
    /// The VM's name in the project (the domain name made a DNS label).
    pub vm: String,
    /// Project, namespace and cluster it lands in.
    pub project: String,
    /// Namespace of the project's environment on the cluster.
    pub namespace: String,
    /// Cluster.
    pub cluster: String,
    /// vCPUs and memory the domain had.
    pub vcpus: u32,
    /// Guest memory in bytes.
    pub memory_bytes: u128,
    /// The instancetype chosen, if any fits.
    pub instancetype: Option<String>,
    /// How the instancetype compares with what the domain had.
    pub sizing: Option<String>,
    /// The preference chosen, if any.
    pub preference: Option<String>,
    /// Each disk and how it moves.
    pub disks: Vec<DiskMove>,
    /// Each NIC and where it attaches.
    pub networks: Vec<String>,
    /// Whether it moves.
    pub status: Status,
    /// Every finding, blocked first.
    pub reasons: Vec<Reason>,
    /// Σ disk sizes in bytes (known sizes only).
    pub storage_bytes: u128,
}

/// The result of an import.
#[derive(Debug, Default)]
pub struct Import {
    /// The VMs to write, one per domain that is not blocked, in input order.
    pub vms: Vec<VirtualMachine>,
    /// One report per domain read, in input order.
    pub domains: Vec<DomainReport>,
    /// Input that could not be used at all (malformed or hostile XML):
    /// errors with file:line:col. When any is present nothing is written.
    pub diagnostics: Vec<crate::Diagnostic>,
}

impl Import {
    /// Whether every domain converted without a warning.
    pub fn clean(&self) -> bool {
        self.domains.iter().all(|d| d.status == Status::Ready)
    }
}

/// Where a project's VMs land: the namespace of an environment.
pub fn namespace(project: &Name, environment: &Name, named: Option<&Name>) -> String {
    match named {
        Some(n) => n.to_string(),
        None => format!("{project}-{environment}"),
    }
}

/// The report of a domain no rule of the mapping file matches: blocked,
/// with nowhere to land.
pub fn unmatched(file: &str, domain: &str) -> DomainReport {
    DomainReport {
        file: file.to_owned(),
        domain: domain.to_owned(),
        vm: domain.to_owned(),
        project: "(none)".to_owned(),
        namespace: "(none)".to_owned(),
        cluster: "(none)".to_owned(),
        vcpus: 0,
        memory_bytes: 0,
        instancetype: None,
        sizing: None,
        preference: None,
        disks: Vec::new(),
        networks: Vec::new(),
        status: Status::Blocked,
        reasons: vec![Reason {
            level: Level::Blocked,
            message: format!(
                "no rule of the mapping file matches the domain name `{domain}`: add one (a last `match: \"*\"` catches every domain)"
            ),
        }],
        storage_bytes: 0,
    }
}
