//! The import report: per domain, where it lands, how each disk and NIC
//! moves and why it is ready or blocked; then the totals. Text for a
//! terminal, markdown for a pull request, JSON (camelCase) for scripts.

use std::fmt::Write;

use serde::Serialize;
use serde_json::json;

use super::libvirt::bytes_text;
use super::{DomainReport, Import, Status};
use crate::diagnostic::one_line;

/// Sums over the domains of a report.
#[derive(Debug, Clone, Default, Serialize)]
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
pub fn text(import: &Import) -> String {
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
pub fn markdown(import: &Import) -> String {
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
    out
}

/// The report as JSON.
pub fn json(import: &Import) -> String {
    let value = json!({
        "domains": import.domains,
        "totals": totals(import),
    });
    let mut s = serde_json::to_string_pretty(&value).unwrap_or_default();
    s.push('\n');
    s
}
