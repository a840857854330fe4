//! The import report: per domain, where it lands, how each disk and NIC
//! moves and why it is ready or blocked; then the totals, and the part of
//! `kprov report` the import touches: its clusters against capacity and
//! its tenants against budget, computed on the estate with the VMs in it.
//! Text for a terminal, markdown for a pull request, JSON (camelCase) for
//! scripts, CSV for a spreadsheet.

use std::fmt::Write;

use schemars::JsonSchema;
use serde::Serialize;

use super::libvirt::bytes_text;
use super::openvz::{ContainerReport, OpenvzImport};
use super::{DomainReport, Import, Status};
use crate::diagnostic::one_line;
use crate::hierarchy::Hierarchy;
use crate::model::{Model, Name, catalog};
use crate::report::{PartFormat, Report, csv_field, render_part};

/// Where an import puts VMs: what its capacity part looks at.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Landing {
    /// The project's tenant.
    pub tenant: Name,
    /// The environment the VMs run in.
    pub environment: Name,
    /// The cluster they run on.
    pub cluster: Name,
}

/// `kprov report` of the estate with the import in it, cut to the
/// landings: their clusters against capacity, and each landing's tenant
/// with its ancestors in the landing's environment against budget. Cost
/// centers are left out: an import does not decide them.
pub fn capacity(model: &Model, hierarchy: &Hierarchy, landings: &[Landing]) -> Report {
    let mut report = crate::report::build(model, hierarchy);
    report
        .clusters
        .retain(|c| landings.iter().any(|l| l.cluster.as_str() == c.cluster));
    report.tenants.retain(|t| {
        landings.iter().any(|l| {
            l.environment.as_str() == t.environment
                && hierarchy
                    .tenants
                    .get(&l.tenant)
                    .is_some_and(|n| n.chain.iter().any(|c| c.as_str() == t.tenant))
        })
    });
    report.cost_centers.clear();
    report
}

const CAPACITY_TITLE: &str = "Capacity and budget with the import";

/// The part of `kprov report` an import touches, after a text or markdown
/// report of either import.
fn capacity_section(out: &mut String, capacity: Option<&Report>, format: PartFormat) {
    let Some(report) = capacity else { return };
    match format {
        PartFormat::Markdown => {
            let _ = writeln!(out, "\n### {CAPACITY_TITLE}\n");
        }
        _ => {
            let _ = writeln!(out, "\n{CAPACITY_TITLE}:\n");
        }
    }
    out.push_str(render_part(report, format).trim_end());
    out.push('\n');
}

/// Sums over the domains of a report.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    /// Domains read.
    pub domains: usize,
    /// Ready without warnings.
    pub ready: usize,
    /// Ready with warnings.
    pub ready_with_warnings: usize,
    /// Blocked.
    pub blocked: usize,
    /// vCPUs of the VMs written (their instancetypes').
    pub vcpus: u64,
    /// Guest memory of the VMs written (their instancetypes').
    pub memory: String,
    /// Disks of the VMs written.
    pub storage: String,
}

/// Totals of `import`.
pub fn totals(import: &Import) -> Totals {
    let mut t = Totals {
        domains: import.domains.len(),
        ..Totals::default()
    };
    let (mut memory, mut storage) = (0u128, 0u128);
    for d in &import.domains {
        match d.status {
            Status::Ready => t.ready += 1,
            Status::ReadyWithWarnings => t.ready_with_warnings += 1,
            Status::Blocked => t.blocked += 1,
        }
    }
    for vm in &import.vms {
        if let Some(it) = crate::model::catalog::instancetype(&vm.instancetype) {
            t.vcpus += u64::from(it.cpus);
            memory += u128::try_from(it.memory().nanos() / 1_000_000_000).unwrap_or(0);
        }
    }
    for d in &import.domains {
        if d.status != Status::Blocked {
            storage += d.storage_bytes;
        }
    }
    t.memory = bytes_text(memory);
    t.storage = bytes_text(storage);
    t
}

/// The report as text.
pub fn text(import: &Import, capacity: Option<&Report>) -> String {
    let mut out = String::new();
    for d in &import.domains {
        domain_text(&mut out, d, "");
        out.push('\n');
    }
    let t = totals(import);
    let _ = writeln!(
        out,
        "{} domains: {} ready, {} ready with warnings, {} blocked",
        t.domains, t.ready, t.ready_with_warnings, t.blocked
    );
    let _ = writeln!(
        out,
        "written: {} VMs, {} vCPU, {} memory, {} storage",
        import.vms.len(),
        t.vcpus,
        t.memory,
        t.storage
    );
    capacity_section(&mut out, capacity, PartFormat::Text);
    out
}

fn domain_text(out: &mut String, d: &DomainReport, bullet: &str) {
    let _ = writeln!(
        out,
        "{}{} ({}): {}",
        bullet,
        one_line(&d.vm),
        one_line(&d.file),
        d.status.as_str()
    );
    let _ = writeln!(
        out,
        "  target: project {} namespace {} on cluster {}",
        d.project, d.namespace, d.cluster
    );
    match (&d.instancetype, &d.sizing) {
        (Some(_), Some(sizing)) => {
            let _ = writeln!(out, "  size: {sizing}");
        }
        // An unmatched domain is not converted, so nothing sized it.
        _ if d.vcpus == 0 => {
            let _ = writeln!(out, "  size: not read");
        }
        _ => {
            let _ = writeln!(
                out,
                "  size: {} vCPU / {}: no instancetype",
                d.vcpus,
                bytes_text(d.memory_bytes)
            );
        }
    }
    let _ = writeln!(
        out,
        "  preference: {}",
        d.preference.as_deref().unwrap_or("none")
    );
    for disk in &d.disks {
        let _ = writeln!(
            out,
            "  disk {} {} ({}): {}",
            one_line(&disk.target),
            one_line(&disk.source),
            disk.size.as_deref().unwrap_or("size unknown"),
            one_line(&disk.how)
        );
    }
    for nic in &d.networks {
        let _ = writeln!(out, "  {}", one_line(nic));
    }
    for r in &d.reasons {
        let _ = writeln!(out, "  {}: {}", r.level.as_str(), one_line(&r.message));
    }
}

/// The report as markdown, for a pull request.
pub fn markdown(import: &Import, capacity: Option<&Report>) -> String {
    let mut out = String::from("## VMs imported from libvirt\n\n");
    out.push_str("| VM | file | status | instancetype | preference | namespace / cluster |\n");
    out.push_str("| --- | --- | --- | --- | --- | --- |\n");
    let cell = |s: &str| one_line(s).replace('|', "\\|");
    for d in &import.domains {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} / {} |",
            cell(&d.vm),
            cell(&d.file),
            d.status.as_str(),
            cell(d.sizing.as_deref().unwrap_or("none")),
            cell(d.preference.as_deref().unwrap_or("none")),
            d.namespace,
            d.cluster
        );
    }
    out.push('\n');
    for d in &import.domains {
        let _ = writeln!(out, "### {} ({})\n", cell(&d.vm), d.status.as_str());
        for disk in &d.disks {
            let _ = writeln!(
                out,
                "- disk `{}` {} ({}): {}",
                cell(&disk.target),
                cell(&disk.source),
                disk.size.as_deref().unwrap_or("size unknown"),
                cell(&disk.how)
            );
        }
        for nic in &d.networks {
            let _ = writeln!(out, "- {}", cell(nic));
        }
        for r in &d.reasons {
            let _ = writeln!(out, "- **{}**: {}", r.level.as_str(), cell(&r.message));
        }
        out.push('\n');
    }
    let t = totals(import);
    let _ = writeln!(
        out,
        "**{} domains**: {} ready, {} ready with warnings, {} blocked; written: {} VMs, {} vCPU, {} memory, {} storage",
        t.domains,
        t.ready,
        t.ready_with_warnings,
        t.blocked,
        import.vms.len(),
        t.vcpus,
        t.memory,
        t.storage
    );
    capacity_section(&mut out, capacity, PartFormat::Markdown);
    out
}

/// `kprov import libvirt --report json`.
#[derive(Debug, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct LibvirtJson<'a> {
    /// One entry per domain read, in input order.
    pub domains: &'a [DomainReport],
    /// Sums over the domains.
    pub totals: Totals,
    /// `kprov report`'s view of the target clusters and tenants with the
    /// VMs in the estate; `null` when the estate does not compile with them.
    pub capacity: Option<&'a Report>,
}

/// The report as JSON ([`LibvirtJson`]).
pub fn json(import: &Import, capacity: Option<&Report>) -> String {
    let value = LibvirtJson {
        domains: &import.domains,
        totals: totals(import),
        capacity,
    };
    let mut s = serde_json::to_string_pretty(&value).unwrap_or_default();
    s.push('\n');
    s
}

/// The report as CSV (RFC 4180): a `table` column first, as `kprov report
/// --format csv` has it (LF line ends, as there); one `VMs` row per domain, then the capacity
/// tables, each under its own header row. Lists within a field are joined
/// with `; `.
pub fn csv(import: &Import, capacity: Option<&Report>) -> String {
    const HEADERS: [&str; 15] = [
        "table",
        "file",
        "domain",
        "vm",
        "status",
        "project",
        "namespace",
        "cluster",
        "instancetype",
        "vcpu",
        "memory",
        "preference",
        "disks",
        "networks",
        "reasons",
    ];
    let mut out = HEADERS.join(",");
    out.push('\n');
    for d in &import.domains {
        let after = d.instancetype.as_deref().and_then(catalog::instancetype);
        let arrow = |before: String, after: Option<String>| match after {
            Some(after) => format!("{before} → {after}"),
            None => before,
        };
        let disks = d
            .disks
            .iter()
            .map(|disk| {
                format!(
                    "{} {} ({}): {}",
                    disk.target,
                    disk.source,
                    disk.size.as_deref().unwrap_or("size unknown"),
                    disk.how
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        let reasons = d
            .reasons
            .iter()
            .map(|r| format!("{}: {}", r.level.as_str(), r.message))
            .collect::<Vec<_>>()
            .join("; ");
        let row = [
            "VMs".to_owned(),
            d.file.clone(),
            d.domain.clone(),
            d.vm.clone(),
            d.status.as_str().to_owned(),
            d.project.clone(),
            d.namespace.clone(),
            d.cluster.clone(),
            d.instancetype.clone().unwrap_or_default(),
            arrow(d.vcpus.to_string(), after.map(|t| t.cpus.to_string())),
            arrow(
                bytes_text(d.memory_bytes),
                after.map(|t| {
                    bytes_text(u128::try_from(t.memory().nanos() / 1_000_000_000).unwrap_or(0))
                }),
            ),
            d.preference.clone().unwrap_or_default(),
            disks,
            d.networks.join("; "),
            reasons,
        ];
        out.push_str(
            &row.iter()
                .map(|f| csv_field(f))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push('\n');
    }
    if let Some(report) = capacity {
        out.push_str(&render_part(report, PartFormat::Csv));
    }
    out
}

/// The OpenVZ report as text: per container, then the totals.
pub fn openvz_text(import: &OpenvzImport, capacity: Option<&Report>) -> String {
    let mut out = String::new();
    for c in &import.containers {
        let _ = writeln!(
            out,
            "{} (CT {}, {}): {}",
            one_line(&c.name),
            one_line(&c.ctid),
            one_line(&c.file),
            openvz_status(c.status)
        );
        let _ = writeln!(
            out,
            "  target: project {} namespace {} on cluster {}",
            c.project, c.namespace, c.cluster
        );
        let _ = writeln!(out, "  size: {}", openvz_size(c));
        if let Some(v) = &c.volume {
            let _ = writeln!(out, "  volume: {v} ({})", c.disk.as_deref().unwrap_or("-"));
        }
        for r in &c.reasons {
            let _ = writeln!(out, "  {}: {}", r.level.as_str(), one_line(&r.message));
        }
        out.push('\n');
    }
    let _ = writeln!(out, "{}", openvz_totals(import));
    capacity_section(&mut out, capacity, PartFormat::Text);
    out
}

/// The OpenVZ report as markdown, for a pull request.
pub fn openvz_markdown(import: &OpenvzImport, capacity: Option<&Report>) -> String {
    let mut out = String::from("## Containers imported from OpenVZ\n\n");
    let cell = |s: &str| one_line(s).replace('|', "\\|");
    for c in &import.containers {
        let _ = writeln!(
            out,
            "### {} (CT {}): {}\n",
            cell(&c.name),
            cell(&c.ctid),
            openvz_status(c.status)
        );
        let _ = writeln!(out, "- size: {}", cell(&openvz_size(c)));
        if let Some(v) = &c.volume {
            let _ = writeln!(out, "- volume `{v}` in {}", c.namespace);
        }
        for r in &c.reasons {
            let _ = writeln!(out, "- **{}**: {}", r.level.as_str(), cell(&r.message));
        }
        out.push('\n');
    }
    let _ = writeln!(out, "**{}**", openvz_totals(import));
    capacity_section(&mut out, capacity, PartFormat::Markdown);
    out
}

/// The OpenVZ report as JSON.
pub fn openvz_json(import: &OpenvzImport, capacity: Option<&Report>) -> String {
    let value = OpenvzJson {
        containers: &import.containers,
        quota: &import.quota,
        capacity,
    };
    let mut s = serde_json::to_string_pretty(&value).unwrap_or_default();
    s.push('\n');
    s
}

/// `kprov import openvz --report json`.
#[derive(Debug, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct OpenvzJson<'a> {
    /// One entry per container read, in input order.
    pub containers: &'a [ContainerReport],
    /// The new project's quota: the containers' CPUs, memory and disks.
    pub quota: &'a serde_json::Map<String, serde_json::Value>,
    /// `kprov report`'s view with the project in the estate; `null` when
    /// the estate does not compile with it.
    pub capacity: Option<&'a Report>,
}

/// The OpenVZ report as CSV: a `Containers` row each, then the capacity
/// tables, as [`csv`] has them.
pub fn openvz_csv(import: &OpenvzImport, capacity: Option<&Report>) -> String {
    let mut out = String::from(
        "table,file,ctid,name,status,project,namespace,cluster,cpus,memory,swap,disk,volume,ostemplate,addresses,reasons\n",
    );
    for c in &import.containers {
        let reasons = c
            .reasons
            .iter()
            .map(|r| format!("{}: {}", r.level.as_str(), r.message))
            .collect::<Vec<_>>()
            .join("; ");
        let row = [
            "Containers".to_owned(),
            c.file.clone(),
            c.ctid.clone(),
            c.name.clone(),
            openvz_status(c.status).to_owned(),
            c.project.clone(),
            c.namespace.clone(),
            c.cluster.clone(),
            c.cpus.map(|n| n.to_string()).unwrap_or_default(),
            c.memory.clone().unwrap_or_default(),
            c.swap.clone().unwrap_or_default(),
            c.disk.clone().unwrap_or_default(),
            c.volume.clone().unwrap_or_default(),
            c.ostemplate.clone().unwrap_or_default(),
            c.addresses.join("; "),
            reasons,
        ];
        let fields: Vec<String> = row.iter().map(|f| csv_field(f)).collect();
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    if let Some(report) = capacity {
        out.push_str(&render_part(report, PartFormat::Csv));
    }
    out
}

fn openvz_status(status: Status) -> &'static str {
    match status {
        Status::Ready => "containerization candidate",
        Status::ReadyWithWarnings => "containerization candidate, with warnings",
        Status::Blocked => "blocked",
    }
}

fn openvz_size(c: &ContainerReport) -> String {
    format!(
        "{} CPU, {} memory, {} disk",
        c.cpus.map_or("no limit".to_owned(), |n| n.to_string()),
        c.memory.as_deref().unwrap_or("no limit"),
        c.disk.as_deref().unwrap_or("no limit")
    )
}

fn openvz_totals(import: &OpenvzImport) -> String {
    let count = |s: Status| import.containers.iter().filter(|c| c.status == s).count();
    let q = |k: &str| {
        import
            .quota
            .get(k)
            .and_then(|v| v.as_str())
            .unwrap_or("0")
            .to_owned()
    };
    format!(
        "{} containers: {} candidates, {} candidates with warnings, {} blocked; quota written: {} CPU, {} memory, {} storage in {} volumes",
        import.containers.len(),
        count(Status::Ready),
        count(Status::ReadyWithWarnings),
        count(Status::Blocked),
        q("cpu"),
        q("memory"),
        q("storage"),
        import.volumes.len()
    )
}
