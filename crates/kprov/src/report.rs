//! `kprov report`: what a lead reads next to the diff — quota allocated per
//! cluster, tenant and cost center against capacity and budget, with the
//! monthly cost from the Estate's `rates`. Exact arithmetic throughout; money
//! is carried in nano-units and rounded to cents only when printed.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::hierarchy::{Hierarchy, Namespace};
use crate::model::kinds::Rates;
use crate::model::{Model, Quantity, catalog};

const NANO: i128 = 1_000_000_000;
const GIB: i128 = 1 << 30;

/// Resources allocated to a set of namespaces.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Usage {
    /// Namespaces counted.
    pub namespaces: usize,
    /// Sum of `requests.cpu` quotas.
    pub cpu: Option<Quantity>,
    /// Sum of `requests.memory` quotas.
    pub memory: Option<Quantity>,
    /// Sum of `requests.storage` quotas.
    pub storage: Option<Quantity>,
    /// Requested volume and VM disk sizes, by storage tier.
    pub storage_by_tier: BTreeMap<String, Quantity>,
    /// VirtualMachines.
    pub vms: usize,
    /// Monthly cost in nano-units of the rates' currency, when the estate has rates.
    pub monthly_cost_nanos: Option<i128>,
}

fn add(sum: &mut Option<Quantity>, q: &Quantity) {
    *sum = Some(match sum {
        Some(s) => s.checked_add(q).unwrap_or(*s),
        None => *q,
    });
}

impl Usage {
    fn absorb(&mut self, other: &Usage) {
        self.namespaces += other.namespaces;
        for (sum, q) in [
            (&mut self.cpu, &other.cpu),
            (&mut self.memory, &other.memory),
            (&mut self.storage, &other.storage),
        ] {
            if let Some(q) = q {
                add(sum, q);
            }
        }
        for (tier, q) in &other.storage_by_tier {
            let mut v = self.storage_by_tier.get(tier).copied();
            add(&mut v, q);
            if let Some(v) = v {
                self.storage_by_tier.insert(tier.clone(), v);
            }
        }
        self.vms += other.vms;
        if let Some(c) = other.monthly_cost_nanos {
            *self.monthly_cost_nanos.get_or_insert(0) += c;
        }
    }
}

/// One cluster against its capacity.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterRow {
    /// Cluster.
    pub cluster: String,
    /// Its environment.
    pub environment: String,
    /// What its namespaces are allocated.
    pub usage: Usage,
    /// CPU capacity × overcommit.
    pub cpu_limit: Option<Quantity>,
    /// Memory capacity × overcommit.
    pub memory_limit: Option<Quantity>,
    /// Storage capacity.
    pub storage_limit: Option<Quantity>,
}

/// One tenant's subtree in one environment, against its budget.
#[derive(Debug, Clone, Serialize)]
pub struct TenantRow {
    /// Tenant.
    pub tenant: String,
    /// Depth in the tree (0 = root).
    pub depth: usize,
    /// Environment.
    pub environment: String,
    /// What the subtree's namespaces are allocated.
    pub usage: Usage,
    /// The tenant's budget for the environment, per resource.
    pub budget: BTreeMap<String, Quantity>,
}

/// One cost center.
#[derive(Debug, Clone, Serialize)]
pub struct CostCenterRow {
    /// Cost center (`(none)` for projects without one).
    pub cost_center: String,
    /// What its namespaces are allocated.
    pub usage: Usage,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Per cluster.
    pub clusters: Vec<ClusterRow>,
    /// Per tenant and environment.
    pub tenants: Vec<TenantRow>,
    /// Per cost center.
    pub cost_centers: Vec<CostCenterRow>,
}

fn times(q: &Quantity, factor: Option<Quantity>) -> Quantity {
    match factor {
        Some(f) => Quantity::from_nanos(q.nanos().saturating_mul(f.nanos()) / NANO, q.format()),
        None => *q,
    }
}

/// Monthly cost of a usage under `rates`, in nano-units.
fn cost(usage: &Usage, rates: &Rates) -> i128 {
    let mut total = 0i128;
    if let (Some(cpu), Some(rate)) = (&usage.cpu, &rates.cpu) {
        total += cpu.nanos().saturating_mul(rate.nanos()) / NANO;
    }
    if let (Some(memory), Some(rate)) = (&usage.memory, &rates.memory) {
        total += memory.nanos().saturating_mul(rate.nanos()) / NANO / GIB;
    }
    for (tier, size) in &usage.storage_by_tier {
        if let Some(rate) = rates
            .storage
            .iter()
            .find(|(t, _)| t.as_str() == tier)
            .map(|(_, r)| r)
        {
            total += size.nanos().saturating_mul(rate.nanos()) / NANO / GIB;
        }
    }
    total
}

fn namespace_usage(model: &Model, ns: &Namespace) -> Usage {
    let mut usage = Usage {
        namespaces: 1,
        ..Default::default()
    };
    if let Some(q) = &ns.quota {
        usage.cpu = q.value.cpu;
        usage.memory = q.value.memory;
        usage.storage = q.value.storage;
    }
    let (Some(project), Some(cluster)) = (
        model.projects.get(&ns.project),
        model.clusters.get(&ns.cluster),
    ) else {
        return usage;
    };
    let here = |f: &Option<Vec<crate::model::Name>>| {
        f.as_ref().is_none_or(|e| e.contains(&ns.environment))
    };
    let default = cluster
        .spec
        .storage
        .as_ref()
        .and_then(|s| s.default.as_ref());
    let mut add_tier = |tier: Option<&crate::model::Name>, size: &Quantity| {
        if let Some(t) = tier.or(default) {
            let mut v = usage.storage_by_tier.get(t.as_str()).copied();
            add(&mut v, size);
            if let Some(v) = v {
                usage.storage_by_tier.insert(t.to_string(), v);
            }
        }
    };
    for v in project
        .spec
        .volumes
        .iter()
        .filter(|v| here(&v.environments))
    {
        add_tier(v.tier.as_ref(), &v.size);
    }
    for vm in project
        .spec
        .virtual_machines
        .iter()
        .filter(|v| here(&v.environments))
    {
        add_tier(vm.disk.tier.as_ref(), &vm.disk.size);
        if catalog::instancetype(&vm.instancetype).is_some() {
            usage.vms += 1;
        }
    }
    if let Some(rates) = model.estate.as_ref().and_then(|e| e.spec.rates.as_ref()) {
        usage.monthly_cost_nanos = Some(cost(&usage, rates));
    }
    usage
}

/// Build the report from a compiled estate.
pub fn build(model: &Model, hierarchy: &Hierarchy) -> Report {
    let per_ns: Vec<(&Namespace, Usage)> = hierarchy
        .namespaces
        .values()
        .map(|ns| (ns, namespace_usage(model, ns)))
        .collect();
    let clusters = model
        .clusters
        .iter()
        .map(|(name, c)| {
            let mut usage = Usage::default();
            for (_, u) in per_ns.iter().filter(|(ns, _)| &ns.cluster == name) {
                usage.absorb(u);
            }
            let capacity = c.spec.capacity.as_ref();
            let over = c.spec.overcommit.as_ref();
            ClusterRow {
                cluster: name.to_string(),
                environment: c.spec.environment.to_string(),
                usage,
                cpu_limit: capacity
                    .and_then(|c| c.cpu)
                    .map(|q| times(&q, over.and_then(|o| o.cpu))),
                memory_limit: capacity
                    .and_then(|c| c.memory)
                    .map(|q| times(&q, over.and_then(|o| o.memory))),
                storage_limit: capacity.and_then(|c| c.storage),
            }
        })
        .collect();
    let mut tenants = Vec::new();
    let mut order: Vec<&crate::hierarchy::TenantNode> = hierarchy.tenants.values().collect();
    order.sort_by(|a, b| a.chain.cmp(&b.chain));
    for node in order {
        let mut per_env: BTreeMap<String, Usage> = BTreeMap::new();
        for (ns, u) in per_ns
            .iter()
            .filter(|(ns, _)| ns.tenants.contains(&node.name))
        {
            per_env
                .entry(ns.environment.to_string())
                .or_default()
                .absorb(u);
        }
        for (t, env) in hierarchy.budgets.keys() {
            if t == &node.name {
                per_env.entry(env.to_string()).or_default();
            }
        }
        for (env, usage) in per_env {
            let budget = hierarchy
                .budgets
                .iter()
                .find(|((t, e), _)| t == &node.name && e.as_str() == env)
                .map(|(_, b)| {
                    b.resources
                        .iter()
                        .filter_map(|(k, r)| r.budget.map(|q| (k.clone(), q)))
                        .collect()
                })
                .unwrap_or_default();
            tenants.push(TenantRow {
                tenant: node.name.to_string(),
                depth: node.chain.len() - 1,
                environment: env,
                usage,
                budget,
            });
        }
    }
    let mut centers: BTreeMap<String, Usage> = BTreeMap::new();
    for (ns, u) in &per_ns {
        let key = ns
            .cost_center
            .as_ref()
            .map_or("(none)".to_owned(), |c| c.value.to_string());
        centers.entry(key).or_default().absorb(u);
    }
    Report {
        clusters,
        tenants,
        cost_centers: centers
            .into_iter()
            .map(|(cost_center, usage)| CostCenterRow { cost_center, usage })
            .collect(),
    }
}

/// Money with two decimals, rounded half up.
fn money(nanos: Option<i128>) -> String {
    match nanos {
        None => "-".into(),
        Some(n) => {
            let cents = (n + 5_000_000) / 10_000_000;
            format!("{}.{:02}", cents / 100, cents % 100)
        }
    }
}

fn q(v: &Option<Quantity>) -> String {
    v.map_or("-".into(), |q| q.to_string())
}

fn of(used: &Option<Quantity>, limit: Option<&Quantity>) -> String {
    match (used, limit) {
        (Some(u), Some(l)) => {
            let pct = u
                .ratio_permille(l)
                .map(|p| format!(" ({}%)", p / 10))
                .unwrap_or_default();
            format!("{u}/{l}{pct}")
        }
        (u, Some(l)) => format!("{}/{l}", q(u)),
        (u, None) => q(u),
    }
}

fn tiers(u: &Usage) -> String {
    if u.storage_by_tier.is_empty() {
        return "-".into();
    }
    u.storage_by_tier
        .iter()
        .map(|(t, v)| format!("{t} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A titled table of strings, rendered as text, markdown or CSV.
struct Table {
    title: &'static str,
    headers: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

fn tables(report: &Report) -> Vec<Table> {
    vec![
        Table {
            title: "Clusters",
            headers: vec![
                "cluster",
                "env",
                "namespaces",
                "cpu (of capacity × overcommit)",
                "memory",
                "storage quota",
                "storage by tier",
                "VMs",
                "monthly cost",
            ],
            rows: report
                .clusters
                .iter()
                .map(|c| {
                    vec![
                        c.cluster.clone(),
                        c.environment.clone(),
                        c.usage.namespaces.to_string(),
                        of(&c.usage.cpu, c.cpu_limit.as_ref()),
                        of(&c.usage.memory, c.memory_limit.as_ref()),
                        of(&c.usage.storage, c.storage_limit.as_ref()),
                        tiers(&c.usage),
                        c.usage.vms.to_string(),
                        money(c.usage.monthly_cost_nanos),
                    ]
                })
                .collect(),
        },
        Table {
            title: "Tenants (subtree, per environment, of budget)",
            headers: vec![
                "tenant",
                "env",
                "namespaces",
                "cpu",
                "memory",
                "storage",
                "storage by tier",
                "VMs",
                "monthly cost",
            ],
            rows: report
                .tenants
                .iter()
                .map(|t| {
                    vec![
                        format!("{}{}", "  ".repeat(t.depth), t.tenant),
                        t.environment.clone(),
                        t.usage.namespaces.to_string(),
                        of(&t.usage.cpu, t.budget.get("cpu")),
                        of(&t.usage.memory, t.budget.get("memory")),
                        of(&t.usage.storage, t.budget.get("storage")),
                        tiers(&t.usage),
                        t.usage.vms.to_string(),
                        money(t.usage.monthly_cost_nanos),
                    ]
                })
                .collect(),
        },
        Table {
            title: "Cost centers",
            headers: vec![
                "cost center",
                "namespaces",
                "cpu",
                "memory",
                "storage",
                "storage by tier",
                "VMs",
                "monthly cost",
            ],
            rows: report
                .cost_centers
                .iter()
                .map(|c| {
                    vec![
                        c.cost_center.clone(),
                        c.usage.namespaces.to_string(),
                        q(&c.usage.cpu),
                        q(&c.usage.memory),
                        q(&c.usage.storage),
                        tiers(&c.usage),
                        c.usage.vms.to_string(),
                        money(c.usage.monthly_cost_nanos),
                    ]
                })
                .collect(),
        },
    ]
}

/// Aligned plain-text tables.
pub fn render_text(report: &Report) -> String {
    let mut out = String::new();
    for t in tables(report) {
        let widths: Vec<usize> = (0..t.headers.len())
            .map(|i| {
                t.rows
                    .iter()
                    .map(|r| r[i].chars().count())
                    .chain([t.headers[i].len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |cells: Vec<&str>| {
            cells
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_owned()
        };
        let _ = writeln!(out, "{}\n", t.title);
        let _ = writeln!(out, "{}", line(t.headers.clone()));
        for r in &t.rows {
            let _ = writeln!(out, "{}", line(r.iter().map(String::as_str).collect()));
        }
        out.push('\n');
    }
    out
}

/// Markdown tables, for a pull-request comment.
pub fn render_markdown(report: &Report) -> String {
    let mut out = String::from("### kprov report\n\n");
    for t in tables(report) {
        let _ = writeln!(out, "#### {}\n", t.title);
        let _ = writeln!(out, "| {} |", t.headers.join(" | "));
        let _ = writeln!(out, "|{}", "---|".repeat(t.headers.len()));
        for r in &t.rows {
            let cells: Vec<String> = r
                .iter()
                .map(|c| c.trim_start().replace('|', "\\|"))
                .collect();
            let _ = writeln!(out, "| {} |", cells.join(" | "));
        }
        out.push('\n');
    }
    out
}

/// One CSV with a `table` column naming the section.
pub fn render_csv(report: &Report) -> String {
    let field = |s: &str| {
        let s = s.trim_start();
        if s.contains([',', '"', '\n']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_owned()
        }
    };
    let mut out = String::new();
    for t in tables(report) {
        let _ = writeln!(
            out,
            "table,{}",
            t.headers
                .iter()
                .map(|h| field(h))
                .collect::<Vec<_>>()
                .join(",")
        );
        for r in &t.rows {
            let _ = writeln!(
                out,
                "{},{}",
                field(t.title),
                r.iter().map(|c| field(c)).collect::<Vec<_>>().join(",")
            );
        }
    }
    out
}
