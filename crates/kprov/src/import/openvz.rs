//! OpenVZ containers (`/etc/vz/conf/<CTID>.conf`) to project skeletons.
//!
//! A container is not converted into a VM: it shares the host's kernel, so
//! what runs in it is a set of processes that a container image can hold.
//! The import sizes a namespace from the container's limits (CPUs, memory,
//! disk) and gives its data a volume of the disk's size, and the report
//! marks it a containerization candidate and says what to do by hand: build
//! an image from its OS template and service, move the data into the
//! volume. The config is shell syntax that vzctl sources; it is read as
//! data (no expansion, nothing run), bounded, and every line kprov cannot
//! read is an error at file:line:column.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::libvirt::bytes_text;
use super::{ImportConfig, Level, Reason, Status};
use crate::diagnostic::{Code, Diagnostic, Location, one_line};
use crate::model::{Model, Name};

/// The most one config may hold: vzctl writes a few hundred bytes.
pub const MAX_BYTES: usize = 256 << 10;
const PAGE: u128 = 4096;
/// The keys kprov reads.
const USED: [&str; 11] = [
    "VE_HOSTNAME",
    "HOSTNAME",
    "CPUS",
    "PHYSPAGES",
    "SWAPPAGES",
    "DISKSPACE",
    "DISKINODES",
    "IP_ADDRESS",
    "OSTEMPLATE",
    "ONBOOT",
    "NETIF",
];
/// What vzctl writes for "no limit" (LONG_MAX).
const LONG_MAX: u128 = 9_223_372_036_854_775_807;

/// One container's config, as read.
#[derive(Debug, Clone, Default)]
pub struct Container {
    /// The container's id: the config file's name without `.conf`.
    pub ctid: String,
    /// Every `KEY=value` of the file, the last of a repeated key winning
    /// (as the shell that sources it would), with the value's line.
    pub values: BTreeMap<String, (String, u32)>,
}

/// Read one config; every line kprov cannot read is reported.
pub fn parse(path: &str, text: &str) -> Result<Container, Vec<Diagnostic>> {
    let error = |line: u32, column: u32, message: String| {
        Diagnostic::error(
            Code::OpenvzConf,
            Some(Location::in_file(path, line, column)),
            message,
        )
    };
    if text.len() > MAX_BYTES {
        return Err(vec![error(
            1,
            1,
            format!(
                "{} bytes, larger than the {MAX_BYTES} an OpenVZ config may have",
                text.len()
            ),
        )]);
    }
    let stem = path.rsplit(['/', '\\']).next().unwrap_or(path);
    let ctid = stem.strip_suffix(".conf").unwrap_or(stem).to_owned();
    let mut container = Container {
        ctid,
        values: BTreeMap::new(),
    };
    let mut errors = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let trimmed = raw.trim_start();
        let indent = u32::try_from(raw.len() - trimmed.len()).unwrap_or(0);
        let body = trimmed.trim_end();
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        match assignment(body) {
            Ok((key, value)) => {
                container.values.insert(key.to_owned(), (value, line));
            }
            Err((at, message)) => errors.push(error(line, indent + at + 1, message)),
        }
    }
    if errors.is_empty() {
        Ok(container)
    } else {
        Err(errors)
    }
}

/// `KEY="value"`, `KEY='value'` or `KEY=value`, with an optional comment
/// after it; or the column (0-based) and what is wrong.
fn assignment(body: &str) -> Result<(&str, String), (u32, String)> {
    let col = |s: &str| u32::try_from(body.len() - s.len()).unwrap_or(0);
    let Some((key, rest)) = body.split_once('=') else {
        return Err((0, "not a `KEY=\"value\"` line".to_owned()));
    };
    let valid = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_uppercase() || c == '_')
        && key
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if !valid {
        return Err((0, format!("`{}` is not a config key", one_line(key))));
    }
    let (value, after) = match rest.chars().next() {
        Some(q @ ('"' | '\'')) => {
            let inner = &rest[1..];
            let Some(end) = inner.find(q) else {
                return Err((col(rest), format!("the value's {q} is not closed")));
            };
            (&inner[..end], &inner[end + 1..])
        }
        _ => {
            let end = rest.find([' ', '\t', '#']).unwrap_or(rest.len());
            (&rest[..end], &rest[end..])
        }
    };
    let after = after.trim_start();
    if !after.is_empty() && !after.starts_with('#') {
        return Err((
            col(after),
            "text after the value: one `KEY=\"value\"` a line".to_owned(),
        ));
    }
    // The file is sourced by a shell: an expansion in a value kprov reads
    // would make it something kprov cannot know. vzctl's own lines
    // (`VE_ROOT="/vz/root/$VEID"`) have them in values kprov does not read.
    if USED.contains(&key)
        && let Some(at) = rest.find(['$', '`', '\\'])
    {
        return Err((
            col(rest) + u32::try_from(at).unwrap_or(0),
            "a shell expansion or escape: give the value literally".to_owned(),
        ));
    }
    Ok((key, value.to_owned()))
}

/// A size the way vzctl reads it: a number of `unit` bytes, or a number
/// with a K/M/G/T/P suffix in bytes; `None` for no limit.
fn size(text: &str, unit: u128) -> Result<Option<u128>, String> {
    let text = text.trim();
    if text == "unlimited" {
        return Ok(None);
    }
    let (digits, scale) = match text.char_indices().last() {
        Some((at, c)) if c.is_ascii_alphabetic() => {
            let power = match c.to_ascii_uppercase() {
                'K' => 1,
                'M' => 2,
                'G' => 3,
                'T' => 4,
                'P' => 5,
                _ => return Err(format!("`{text}`: unknown suffix `{c}` (K, M, G, T or P)")),
            };
            (&text[..at], 1024u128.pow(power))
        }
        _ => (text, unit),
    };
    let n: u128 = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a size"))?;
    if n >= LONG_MAX {
        return Ok(None);
    }
    n.checked_mul(scale)
        .map(Some)
        .ok_or_else(|| format!("`{text}` is too large"))
}

/// The limit (`barrier:limit`, or one value for both) in bytes.
fn limit(text: &str, unit: u128) -> Result<Option<u128>, String> {
    let last = text.rsplit(':').next().unwrap_or(text);
    size(last, unit)
}

/// What happened to one container.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContainerReport {
    /// The file it came from, as given.
    pub file: String,
    /// The container's id.
    pub ctid: String,
    /// Its hostname, when set.
    pub hostname: Option<String>,
    /// The name its volume is made from (the hostname's first label, or `ct-<CTID>`).
    pub name: String,
    /// Project it lands in.
    pub project: String,
    /// Namespace of the project's environment.
    pub namespace: String,
    /// Cluster.
    pub cluster: String,
    /// CPUs (`CPUS`).
    pub cpus: Option<u32>,
    /// Memory limit (`PHYSPAGES`).
    pub memory: Option<String>,
    /// Swap limit (`SWAPPAGES`).
    pub swap: Option<String>,
    /// Disk limit (`DISKSPACE`, the hard one).
    pub disk: Option<String>,
    /// The OS template it was made from.
    pub ostemplate: Option<String>,
    /// Its IP addresses.
    pub addresses: Vec<String>,
    /// The volume made for its data.
    pub volume: Option<String>,
    /// Whether the skeleton is sized for it: it becomes a container image
    /// and a volume, never a VM.
    pub containerization_candidate: bool,
    /// Ready: a containerization candidate the skeleton is sized for.
    pub status: Status,
    /// Every finding, blocked first; the last says what to do.
    pub reasons: Vec<Reason>,
}

/// The result of an OpenVZ import.
#[derive(Debug, Default)]
pub struct OpenvzImport {
    /// One report per container read, in input order.
    pub containers: Vec<ContainerReport>,
    /// The project's quota: the containers' CPUs, memory and disks summed.
    pub quota: Map<String, Value>,
    /// One volume per container that is not blocked.
    pub volumes: Vec<Value>,
    /// Input that could not be used at all; when any is present nothing
    /// is written.
    pub diagnostics: Vec<Diagnostic>,
}

impl OpenvzImport {
    /// Whether every container is a candidate without a warning.
    pub fn clean(&self) -> bool {
        self.containers.iter().all(|c| c.status == Status::Ready)
    }
}

/// Read every config of `files` ((path, text) pairs, in the order given)
/// and size the project of `config` for the containers.
pub fn convert(files: &[(String, String)], config: &ImportConfig, model: &Model) -> OpenvzImport {
    let mut out = OpenvzImport::default();
    let refuse = |message: String| Diagnostic::error(Code::ImportRefused, None, message);
    if !model.clusters.contains_key(&config.cluster) {
        out.diagnostics.push(refuse(format!(
            "no cluster `{}` in the estate",
            config.cluster
        )));
    }
    if !model.tenants.contains_key(&config.tenant) {
        out.diagnostics.push(refuse(format!(
            "no tenant `{}` in the estate",
            config.tenant
        )));
    }
    if model.projects.contains_key(&config.project) {
        out.diagnostics.push(refuse(format!(
            "project `{}` exists: `kprov import openvz` writes a new project; import into another name and merge by hand",
            config.project
        )));
    }
    let mut containers = Vec::new();
    for (path, text) in files {
        match parse(path, text) {
            Ok(c) => containers.push((path, c)),
            Err(errors) => out.diagnostics.extend(errors),
        }
    }
    if !out.diagnostics.is_empty() {
        return out;
    }
    let namespace = super::namespace(&config.project, &config.environment, None);
    let (mut cpu, mut memory, mut storage) = (0u128, 0u128, 0u128);
    let mut names = std::collections::BTreeSet::new();
    for (path, c) in containers {
        let (report, sizes) = container(path, &c, config, &namespace, &mut out.diagnostics);
        let mut report = report;
        if report.status != Status::Blocked && !names.insert(report.name.clone()) {
            report.reasons.insert(
                0,
                Reason {
                    level: Level::Blocked,
                    message: format!(
                        "another container of this import is also named `{}`",
                        report.name
                    ),
                },
            );
            report.status = Status::Blocked;
            report.containerization_candidate = false;
        }
        if report.status != Status::Blocked
            && let Some((cpus, mem, disk)) = sizes
        {
            cpu += u128::from(cpus);
            memory += mem;
            storage += disk;
            let volume = format!("{}-data", report.name);
            out.volumes
                .push(json!({"name": volume, "size": bytes_text(disk)}));
            report.volume = Some(volume);
        }
        out.containers.push(report);
    }
    out.quota.insert("cpu".into(), json!(cpu.to_string()));
    out.quota.insert("memory".into(), json!(bytes_text(memory)));
    out.quota
        .insert("storage".into(), json!(bytes_text(storage)));
    out
}

/// One container's report, and its CPUs, memory and disk in bytes when it
/// can be sized.
fn container(
    path: &str,
    c: &Container,
    config: &ImportConfig,
    namespace: &str,
    errors: &mut Vec<Diagnostic>,
) -> (ContainerReport, Option<(u32, u128, u128)>) {
    let get = |key: &str| c.values.get(key).map(|(v, _)| v.as_str());
    let mut reasons = Vec::new();
    let mut add = |level, message: String| reasons.push(Reason { level, message });
    let mut bad = |key: &str, message: String| {
        let line = c.values.get(key).map_or(1, |(_, l)| *l);
        errors.push(Diagnostic::error(
            Code::OpenvzConf,
            Some(Location::in_file(path, line, 1)),
            format!("{key}: {message}"),
        ));
    };
    let hostname = get("VE_HOSTNAME")
        .or_else(|| get("HOSTNAME"))
        .filter(|h| !h.is_empty());
    let label = hostname
        .and_then(|h| h.split('.').next())
        .map(|h| h.to_ascii_lowercase().replace('_', "-"))
        .filter(|h| h.parse::<Name>().is_ok() && h.len() <= 58);
    let name = label.unwrap_or_else(|| format!("ct-{}", c.ctid.to_ascii_lowercase()));

    let cpus = match get("CPUS") {
        Some(v) => match v.parse::<u32>() {
            Ok(n) if n > 0 => Some(n),
            _ if v == "unlimited" || v == "0" => None,
            _ => {
                bad("CPUS", format!("`{v}` is not a number of CPUs"));
                None
            }
        },
        None => None,
    };
    if cpus.is_none() {
        add(
            Level::Blocked,
            "no CPUS limit: the container could use every CPU of its host; set CPUS to what it needs, then import again".to_owned(),
        );
    }
    let mut read = |key: &str, unit: u128| match get(key).map(|v| limit(v, unit)) {
        Some(Ok(v)) => v,
        Some(Err(e)) => {
            bad(key, e);
            None
        }
        None => None,
    };
    let memory = read("PHYSPAGES", PAGE);
    let swap = read("SWAPPAGES", PAGE);
    let disk = read("DISKSPACE", 1024);
    let inodes = get("DISKINODES").and_then(|v| v.rsplit(':').next().map(str::to_owned));
    if memory.is_none() {
        add(
            Level::Blocked,
            "no PHYSPAGES limit: the container could use all of its host's memory; set PHYSPAGES, then import again".to_owned(),
        );
    }
    if disk.is_none() {
        add(
            Level::Blocked,
            "no DISKSPACE limit: nothing sizes the volume for its data; set DISKSPACE, then import again".to_owned(),
        );
    }
    if let Some(s) = swap.filter(|s| *s > 0) {
        add(
            Level::Warning,
            format!(
                "{} of swap (SWAPPAGES): pods run without swap, so the memory quota is PHYSPAGES alone; check the service fits in it",
                bytes_text(s)
            ),
        );
    }
    if let Some(n) = inodes {
        add(
            Level::Note,
            format!(
                "DISKINODES allowed {n} inodes: a volume has what its filesystem gives, so check a service with many small files fits"
            ),
        );
    }
    let addresses: Vec<String> = get("IP_ADDRESS")
        .unwrap_or("")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    if !addresses.is_empty() {
        add(
            Level::Warning,
            format!(
                "its addresses ({}) do not move: clients reach the workload through a Service's name; update DNS and whatever connects to them",
                addresses.join(", ")
            ),
        );
    }
    if let Some(netif) = get("NETIF").filter(|n| !n.is_empty()) {
        let ifname = netif
            .split(',')
            .find_map(|kv| kv.strip_prefix("ifname="))
            .unwrap_or("veth");
        add(
            Level::Note,
            format!("bridged interface {ifname} (NETIF): the pods use the cluster's pod network"),
        );
    }
    if get("ONBOOT") == Some("no") {
        add(
            Level::Warning,
            "ONBOOT=no: it was not started with its host; check it is still in use before moving it".to_owned(),
        );
    }
    let ostemplate = get("OSTEMPLATE").filter(|t| !t.is_empty());
    let image = match ostemplate {
        Some(t) => format!(
            "build a container image on the base image of OS template `{t}` with the service's packages and configuration"
        ),
        None => {
            add(
                Level::Warning,
                "no OSTEMPLATE: find the distribution from /etc/os-release inside the container"
                    .to_owned(),
            );
            "build a container image with the service's packages and configuration".to_owned()
        }
    };
    let sizes = match (cpus, memory, disk) {
        (Some(c), Some(m), Some(d)) => Some((c, m, d)),
        _ => None,
    };
    if sizes.is_some() {
        add(
            Level::Note,
            format!(
                "containerization candidate, not a VM: {image}; copy its data (/vz/private/{}) into the volume {name}-data, then deploy the image in {namespace}",
                c.ctid
            ),
        );
    }
    reasons.sort_by_key(|r| std::cmp::Reverse(r.level));
    let status = match reasons.iter().map(|r| r.level).max() {
        Some(Level::Blocked) => Status::Blocked,
        Some(Level::Warning) => Status::ReadyWithWarnings,
        _ => Status::Ready,
    };
    let report = ContainerReport {
        file: path.to_owned(),
        ctid: c.ctid.clone(),
        hostname: hostname.map(str::to_owned),
        name,
        project: config.project.to_string(),
        namespace: namespace.to_owned(),
        cluster: config.cluster.to_string(),
        cpus,
        memory: memory.map(bytes_text),
        swap: swap.map(bytes_text),
        disk: disk.map(bytes_text),
        ostemplate: ostemplate.map(str::to_owned),
        addresses,
        volume: None,
        containerization_candidate: status != Status::Blocked,
        status,
        reasons,
    };
    (report, sizes)
}

/// The new project: the namespace sized for the containers, a volume each.
pub fn new_project(config: &ImportConfig, import: &OpenvzImport, files: &[String]) -> String {
    super::project::project_file(
        config,
        "# Imported from OpenVZ by `kprov import openvz`: review before merging.\n# Each container is a candidate for a container image; its data goes\n# into its volume. Containers read:\n",
        files,
        json!(import.quota),
        ("volumes", json!(import.volumes)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_read_as_vzctl_reads_them() {
        let c = parse(
            "conf/101.conf",
            "# comment\nONBOOT=\"yes\"\nPHYSPAGES=\"0:2097152\"\nSWAPPAGES='0:1G'\nDISKSPACE=\"10485760:11534336\" # KiB\nCPUS=2\n",
        )
        .unwrap();
        assert_eq!(c.ctid, "101");
        let get = |k: &str| c.values[k].0.clone();
        assert_eq!(limit(&get("PHYSPAGES"), PAGE), Ok(Some(8 << 30)));
        assert_eq!(limit(&get("SWAPPAGES"), PAGE), Ok(Some(1 << 30)));
        assert_eq!(limit(&get("DISKSPACE"), 1024), Ok(Some(11 << 30)));
        assert_eq!(limit("unlimited", PAGE), Ok(None));
        assert_eq!(
            limit("9223372036854775807:9223372036854775807", PAGE),
            Ok(None)
        );
        assert!(limit("0:8Q", PAGE).is_err());
        assert_eq!(c.values["CPUS"].1, 6);
    }

    #[test]
    fn a_container_without_limits_is_blocked() {
        let config = ImportConfig {
            tenant: "ops".parse().unwrap(),
            project: "web".parse().unwrap(),
            environment: "prod".parse().unwrap(),
            cluster: "rack-b".parse().unwrap(),
            more_clusters: Vec::new(),
            tier: None,
            owners: Vec::new(),
            image_url: None,
            sizes: BTreeMap::new(),
        };
        let c = parse(
            "7.conf",
            "HOSTNAME=\"Mail_1.example.org\"\nPHYSPAGES=\"0:unlimited\"\n",
        )
        .unwrap();
        let mut errors = Vec::new();
        let (report, sizes) = container("7.conf", &c, &config, "web-prod", &mut errors);
        assert!(errors.is_empty() && sizes.is_none());
        assert_eq!(report.status, Status::Blocked);
        assert_eq!(report.name, "mail-1");
        let blocked: Vec<&str> = report
            .reasons
            .iter()
            .filter(|r| r.level == Level::Blocked)
            .map(|r| r.message.split(':').next().unwrap())
            .collect();
        assert_eq!(
            blocked,
            ["no CPUS limit", "no PHYSPAGES limit", "no DISKSPACE limit"]
        );
        let c = parse("8.conf", "CPUS=\"two\"\n").unwrap();
        container("8.conf", &c, &config, "web-prod", &mut errors);
        assert_eq!(errors[0].message, "CPUS: `two` is not a number of CPUs");
    }

    #[test]
    fn unreadable_lines_are_reported_where_they_are() {
        let errors = parse(
            "1.conf",
            "CPUS=\"2\nexport X=1\n  HOSTNAME=\"$(hostname)\"\nOK=1 extra\nVE_ROOT=\"/vz/root/$VEID\"\n",
        )
        .unwrap_err();
        let shown: Vec<String> = errors
            .iter()
            .map(|d| {
                let l = d.location.as_ref().unwrap();
                format!("{}:{}: {}", l.line, l.column, d.message)
            })
            .collect();
        assert_eq!(
            shown,
            [
                "1:6: the value's \" is not closed",
                "2:1: `export X` is not a config key",
                "3:13: a shell expansion or escape: give the value literally",
                "4:6: text after the value: one `KEY=\"value\"` a line",
            ]
        );
        assert!(parse("big.conf", &"#".repeat(MAX_BYTES + 1)).is_err());
    }
}
