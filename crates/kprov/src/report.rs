//! `kprov report`: what a lead reads next to the diff — quota allocated per
//! cluster, tenant and cost center against capacity and budget, with the
//! monthly cost from the Estate's `rates`. Exact arithmetic throughout; money
//! is carried in nano-units and rounded to cents only when printed.
//!
//! `kprov report --base DIR` compares the monthly cost with another checkout
//! of the estate (a pull request's base branch): per project and per
//! cluster, only what changed, and the total ([`delta`]).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use schemars::JsonSchema;
use serde::Serialize;

use crate::hierarchy::{Hierarchy, Namespace};
use crate::model::kinds::Rates;
use crate::model::{Model, Quantity, catalog};

const NANO: i128 = 1_000_000_000;
const GIB: i128 = 1 << 30;

/// Resources allocated to a set of namespaces.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
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
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
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
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
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
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CostCenterRow {
    /// Cost center (`(none)` for projects without one).
    pub cost_center: String,
    /// What its namespaces are allocated.
    pub usage: Usage,
}

/// The whole report.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
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
    for (_, vm) in project
        .spec
        .machines_in(&ns.environment, ns.cluster.as_str())
    {
        // A SAN volume kept in place has no tier, so no rate prices it.
        for disk in vm.all_disks().iter().filter(|d| d.uses_tier()) {
            add_tier(disk.tier, disk.size);
        }
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

/// Monthly cost per project and per cluster, in nano-units: what a cost
/// delta compares.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Costs {
    /// Whether the estate sets `spec.rates`; without them nothing has a cost.
    pub priced: bool,
    /// Per project, summed over its namespaces.
    pub projects: BTreeMap<String, i128>,
    /// Per cluster, summed over its namespaces; every cluster, even an empty one.
    pub clusters: BTreeMap<String, i128>,
}

/// The monthly cost of every project and cluster of a compiled estate.
pub fn costs(model: &Model, hierarchy: &Hierarchy) -> Costs {
    let mut costs = Costs {
        priced: model
            .estate
            .as_ref()
            .is_some_and(|e| e.spec.rates.is_some()),
        ..Costs::default()
    };
    if !costs.priced {
        return costs;
    }
    for name in model.clusters.keys() {
        costs.clusters.insert(name.to_string(), 0);
    }
    for ns in hierarchy.namespaces.values() {
        let cost = namespace_usage(model, ns)
            .monthly_cost_nanos
            .unwrap_or_default();
        *costs.projects.entry(ns.project.to_string()).or_default() += cost;
        *costs.clusters.entry(ns.cluster.to_string()).or_default() += cost;
    }
    costs
}

/// The estate a delta is taken against.
#[derive(Debug, Clone)]
pub enum Base {
    /// It compiled: its costs.
    Compiled(Costs),
    /// It has this many errors, so it has no costs to compare with.
    DoesNotCompile {
        /// Errors its compile reported.
        errors: usize,
    },
}

/// One project, cluster or total whose monthly cost changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CostChange {
    /// Project or cluster (`total` for the whole estate).
    pub name: String,
    /// In the base; `None` when it is not there.
    pub before_nanos: Option<i128>,
    /// Now; `None` when it is gone.
    pub after_nanos: Option<i128>,
    /// After minus before, a missing side counting as zero.
    pub delta_nanos: i128,
}

impl CostChange {
    fn new(name: &str, before: Option<i128>, after: Option<i128>) -> CostChange {
        CostChange {
            name: name.to_owned(),
            before_nanos: before,
            after_nanos: after,
            delta_nanos: after.unwrap_or_default() - before.unwrap_or_default(),
        }
    }
}

/// What a change to the estate does to its monthly cost.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CostDelta {
    /// Errors in the base (0: it compiled). When it did not compile, only
    /// `total.afterNanos` is known.
    pub base_errors: usize,
    /// Whether either side sets `spec.rates`.
    pub priced: bool,
    /// Projects whose cost changed, by name.
    pub projects: Vec<CostChange>,
    /// Clusters whose cost changed, by name.
    pub clusters: Vec<CostChange>,
    /// The whole estate.
    pub total: CostChange,
}

fn changes(before: &BTreeMap<String, i128>, after: &BTreeMap<String, i128>) -> Vec<CostChange> {
    let names: std::collections::BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    names
        .into_iter()
        .map(|n| CostChange::new(n, before.get(n).copied(), after.get(n).copied()))
        .filter(|c| c.before_nanos != c.after_nanos)
        .collect()
}

/// The monthly cost of `head` against `base`: the projects and clusters
/// whose cost changed (one that appears or disappears counts, even at zero
/// cost, because it is new spending or freed capacity to review) and the total.
pub fn delta(base: &Base, head: &Costs) -> CostDelta {
    let total = |c: &Costs| c.priced.then(|| c.projects.values().sum::<i128>());
    match base {
        Base::Compiled(base) => CostDelta {
            base_errors: 0,
            priced: base.priced || head.priced,
            projects: changes(&base.projects, &head.projects),
            clusters: changes(&base.clusters, &head.clusters),
            total: CostChange::new("total", total(base), total(head)),
        },
        Base::DoesNotCompile { errors } => CostDelta {
            base_errors: *errors,
            priced: head.priced,
            projects: Vec::new(),
            clusters: Vec::new(),
            total: CostChange {
                name: "total".into(),
                before_nanos: None,
                after_nanos: total(head),
                delta_nanos: 0,
            },
        },
    }
}

/// Money with two decimals, rounded half up.
fn money(nanos: Option<i128>) -> String {
    match nanos {
        None => "-".into(),
        Some(n) => {
            let cents = (n.abs() + 5_000_000) / 10_000_000;
            let sign = if n < 0 && cents > 0 { "-" } else { "" };
            format!("{sign}{}.{:02}", cents / 100, cents % 100)
        }
    }
}

/// A change of money, always signed so that a reader sees its direction.
fn signed(nanos: i128) -> String {
    let text = money(Some(nanos));
    if text.starts_with('-') {
        text
    } else {
        format!("+{text}")
    }
}

fn q(v: &Option<Quantity>) -> String {
    v.map_or("-".into(), |q| q.readable().to_string())
}

fn of(used: &Option<Quantity>, limit: Option<&Quantity>) -> String {
    match (used, limit) {
        (Some(u), Some(l)) => {
            let pct = u
                .ratio_permille(l)
                .map(|p| format!(" ({}%)", p / 10))
                .unwrap_or_default();
            format!("{}/{}{pct}", u.readable(), l.readable())
        }
        (u, Some(l)) => format!("{}/{}", q(u), l.readable()),
        (u, None) => q(u),
    }
}

fn tiers(u: &Usage) -> String {
    if u.storage_by_tier.is_empty() {
        return "-".into();
    }
    u.storage_by_tier
        .iter()
        .map(|(t, v)| format!("{t} {}", v.readable()))
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
    text_tables(&tables(report))
}

fn text_tables(tables: &[Table]) -> String {
    let mut out = String::new();
    for t in tables {
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
    markdown_tables(&mut out, &tables(report));
    out
}

fn markdown_tables(out: &mut String, tables: &[Table]) {
    for t in tables {
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
}

/// One CSV with a `table` column naming the section.
pub fn render_csv(report: &Report) -> String {
    csv_tables(&tables(report))
}

/// One CSV field as RFC 4180 quotes it: quoted when it holds a comma, a
/// quote, CR or LF, quotes doubled.
pub(crate) fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// The tables of `report` that have rows, as text, markdown or CSV: the
/// part of a report another command's output carries (`kprov import`),
/// where an empty table says nothing.
pub(crate) fn render_part(report: &Report, format: PartFormat) -> String {
    let tables: Vec<Table> = tables(report)
        .into_iter()
        .filter(|t| !t.rows.is_empty())
        .collect();
    match format {
        PartFormat::Text => text_tables(&tables),
        PartFormat::Markdown => {
            let mut out = String::new();
            markdown_tables(&mut out, &tables);
            out
        }
        PartFormat::Csv => csv_tables(&tables),
    }
}

/// The formats of [`render_part`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PartFormat {
    /// Aligned tables.
    Text,
    /// Markdown tables.
    Markdown,
    /// CSV with a `table` column.
    Csv,
}

fn csv_tables(tables: &[Table]) -> String {
    let field = |s: &str| csv_field(s.trim_start());
    let mut out = String::new();
    for t in tables {
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

fn delta_tables(delta: &CostDelta) -> Vec<Table> {
    let rows = |changes: &[CostChange]| {
        changes
            .iter()
            .map(|c| {
                vec![
                    c.name.clone(),
                    money(c.before_nanos),
                    money(c.after_nanos),
                    signed(c.delta_nanos),
                ]
            })
            .collect()
    };
    let headers = |first| vec![first, "before", "after", "change"];
    vec![
        Table {
            title: "Projects",
            headers: headers("project"),
            rows: rows(&delta.projects),
        },
        Table {
            title: "Clusters",
            headers: headers("cluster"),
            rows: rows(&delta.clusters),
        },
    ]
    .into_iter()
    .filter(|t| !t.rows.is_empty())
    .collect()
}

/// One sentence on the total, or on why there is no delta.
fn delta_summary(delta: &CostDelta) -> String {
    let t = &delta.total;
    if !delta.priced {
        "The estate sets no `spec.rates` in kprov.yaml, so nothing has a monthly cost.".into()
    } else if delta.base_errors > 0 {
        format!(
            "The base does not compile ({} error{}), so there is nothing to compare with; the monthly cost is now {}.",
            delta.base_errors,
            if delta.base_errors == 1 { "" } else { "s" },
            money(t.after_nanos)
        )
    } else if delta.projects.is_empty() && delta.clusters.is_empty() {
        format!("No change to the monthly cost ({}).", money(t.after_nanos))
    } else {
        format!(
            "Monthly cost: {} → {} ({}).",
            money(t.before_nanos),
            money(t.after_nanos),
            signed(t.delta_nanos)
        )
    }
}

/// The cost delta as aligned text: a summary line, then the changed rows.
pub fn render_delta_text(delta: &CostDelta) -> String {
    format!(
        "{}\n\n{}",
        delta_summary(delta),
        text_tables(&delta_tables(delta))
    )
    .trim_end()
    .to_owned()
        + "\n"
}

/// The cost delta for a pull-request comment.
pub fn render_delta_markdown(delta: &CostDelta) -> String {
    let mut out = format!(
        "### kprov report: monthly cost against the base\n\n**{}**\n\n",
        delta_summary(delta)
    );
    markdown_tables(&mut out, &delta_tables(delta));
    out
}

/// The cost delta as one CSV; the total is a row of its own table.
pub fn render_delta_csv(delta: &CostDelta) -> String {
    let mut tables = delta_tables(delta);
    let t = &delta.total;
    tables.push(Table {
        title: "Total",
        headers: vec!["estate", "before", "after", "change"],
        rows: vec![vec![
            t.name.clone(),
            money(t.before_nanos),
            money(t.after_nanos),
            signed(t.delta_nanos),
        ]],
    });
    csv_tables(&tables)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::Sources;

    #[test]
    fn csv_fields_quote_as_rfc_4180_says() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("a\rb"), "\"a\rb\"");
        assert_eq!(csv_field("a\nb"), "\"a\nb\"");
    }

    const ESTATE: &str = "apiVersion: kprov.dev/v1alpha1\nkind: Estate\nmetadata: {name: e}\nspec:\n  rates: {cpu: \"20\", memory: \"3\", storage: {standard: \"0.10\"}}\n";
    const PLATFORM: &str = "apiVersion: kprov.dev/v1alpha1\nkind: Tenant\nmetadata: {name: team}\nspec: {owners: [group:team]}\n---\napiVersion: kprov.dev/v1alpha1\nkind: Cluster\nmetadata: {name: dev-1}\nspec:\n  environment: dev\n  storage:\n    default: standard\n    tiers: {standard: {storageClass: standard, accessModes: [ReadWriteOnce], volumeMode: Filesystem}}\n---\napiVersion: kprov.dev/v1alpha1\nkind: Cluster\nmetadata: {name: dev-2}\nspec: {environment: dev}\n";

    fn project(name: &str, cluster: &str, quota: &str, volumes: &str) -> String {
        format!(
            "apiVersion: kprov.dev/v1alpha1\nkind: Project\nmetadata: {{name: {name}}}\nspec:\n  tenant: team\n  environments: [{{name: dev, clusters: [{cluster}], quota: {{{quota}}}}}]\n  volumes: [{volumes}]\n"
        )
    }

    fn costs_of(estate: &str, projects: &[String]) -> Result<Costs, usize> {
        let mut files = vec![
            ("kprov.yaml".to_owned(), estate.to_owned()),
            ("platform/platform.yaml".to_owned(), PLATFORM.to_owned()),
        ];
        for (i, p) in projects.iter().enumerate() {
            files.push((format!("projects/p{i}.yaml"), p.clone()));
        }
        let mut config = crate::Config::default();
        config.conformance.skip = true;
        let compiled = crate::compile(&Sources::from_memory(files), &config);
        let errors = compiled
            .diagnostics
            .iter()
            .filter(|d| d.severity == crate::diagnostic::Severity::Error)
            .count();
        match &compiled.hierarchy {
            Some(h) if errors == 0 => Ok(costs(&compiled.model, h)),
            _ => Err(errors),
        }
    }

    const EURO: i128 = NANO;

    #[test]
    fn a_new_project_shows_as_its_own_cost_on_its_cluster_and_in_the_total() {
        let kept = project("kept", "dev-1", "cpu: \"1\", memory: 1Gi", "");
        let base = costs_of(ESTATE, std::slice::from_ref(&kept)).unwrap();
        // 2 cores × 20 + 4 GiB × 3 + a 30 GiB standard volume × 0.10 = 55.
        let new = project(
            "new",
            "dev-1",
            "cpu: \"2\", memory: 4Gi",
            "{name: data, size: 30Gi}",
        );
        let head = costs_of(ESTATE, &[kept, new]).unwrap();
        let delta = delta(&Base::Compiled(base), &head);
        assert_eq!(delta.base_errors, 0);
        assert_eq!(
            delta.projects,
            [CostChange::new("new", None, Some(55 * EURO))]
        );
        // `kept` (1 × 20 + 1 × 3 = 23) is unchanged, and so is dev-2.
        assert_eq!(
            delta.clusters,
            [CostChange::new("dev-1", Some(23 * EURO), Some(78 * EURO))]
        );
        assert_eq!(
            delta.total,
            CostChange::new("total", Some(23 * EURO), Some(78 * EURO))
        );
        let md = render_delta_markdown(&delta);
        assert!(
            md.contains("**Monthly cost: 23.00 → 78.00 (+55.00).**"),
            "{md}"
        );
        assert!(md.contains("| new | - | 55.00 | +55.00 |"), "{md}");
        assert!(md.contains("| dev-1 | 23.00 | 78.00 | +55.00 |"), "{md}");
        assert!(!md.contains("kept") && !md.contains("dev-2"), "{md}");
        let csv = render_delta_csv(&delta);
        assert!(csv.ends_with("Total,total,23.00,78.00,+55.00\n"), "{csv}");
    }

    #[test]
    fn a_moved_or_removed_project_lowers_what_it_leaves() {
        let small = project("a", "dev-1", "cpu: \"1\", memory: 1Gi", "");
        let gone = project("b", "dev-1", "cpu: \"500m\"", "");
        let base = costs_of(ESTATE, &[small, gone]).unwrap();
        // `a` moves to dev-2, which has no storage tiers, and `b` is removed.
        let moved = project("a", "dev-2", "cpu: \"1\", memory: 1Gi", "");
        let head = costs_of(ESTATE, &[moved]).unwrap();
        let delta = delta(&Base::Compiled(base), &head);
        assert_eq!(
            delta.projects,
            [CostChange::new("b", Some(10 * EURO), None)]
        );
        assert_eq!(
            delta.clusters,
            [
                CostChange::new("dev-1", Some(33 * EURO), Some(0)),
                CostChange::new("dev-2", Some(0), Some(23 * EURO)),
            ]
        );
        assert_eq!(delta.total.delta_nanos, -10 * EURO);
        let text = render_delta_text(&delta);
        assert!(
            text.starts_with("Monthly cost: 33.00 → 23.00 (-10.00).\n"),
            "{text}"
        );
        assert!(text.contains("dev-1    33.00   0.00   -33.00"), "{text}");
    }

    #[test]
    fn no_change_says_so_and_lists_nothing() {
        let p = project("a", "dev-1", "cpu: \"1\"", "");
        let costs = costs_of(ESTATE, std::slice::from_ref(&p)).unwrap();
        let delta = delta(&Base::Compiled(costs.clone()), &costs);
        assert!(delta.projects.is_empty() && delta.clusters.is_empty());
        assert_eq!(
            render_delta_text(&delta),
            "No change to the monthly cost (20.00).\n"
        );
    }

    #[test]
    fn a_base_that_does_not_compile_leaves_only_the_new_total() {
        let p = project("a", "dev-1", "cpu: \"1\"", "");
        let errors =
            costs_of(ESTATE, &[project("a", "no-such-cluster", "cpu: \"1\"", "")]).unwrap_err();
        assert!(errors > 0);
        let head = costs_of(ESTATE, &[p]).unwrap();
        let delta = delta(&Base::DoesNotCompile { errors }, &head);
        assert!(delta.projects.is_empty() && delta.clusters.is_empty());
        assert_eq!(delta.total.after_nanos, Some(20 * EURO));
        assert!(
            render_delta_markdown(&delta).contains(&format!(
                "The base does not compile ({errors} error{}), so there is nothing to compare with; the monthly cost is now 20.00.",
                if errors == 1 { "" } else { "s" }
            )),
            "{}",
            render_delta_markdown(&delta)
        );
    }

    #[test]
    fn without_rates_nothing_has_a_cost() {
        let estate =
            "apiVersion: kprov.dev/v1alpha1\nkind: Estate\nmetadata: {name: e}\nspec: {}\n";
        let p = project("a", "dev-1", "cpu: \"1\"", "");
        let base = costs_of(estate, &[]).unwrap();
        let head = costs_of(estate, &[p]).unwrap();
        let delta = delta(&Base::Compiled(base), &head);
        assert!(!delta.priced && delta.projects.is_empty());
        assert!(render_delta_text(&delta).contains("no `spec.rates`"));
    }

    #[test]
    fn money_rounds_half_away_from_zero_and_signs_changes() {
        assert_eq!(money(Some(-10 * EURO)), "-10.00");
        assert_eq!(money(Some(-4_000_000)), "0.00");
        assert_eq!(money(Some(-5_000_000)), "-0.01");
        assert_eq!(signed(0), "+0.00");
        assert_eq!(signed(1_234_999_999), "+1.23");
        assert_eq!(signed(-1_235_000_000), "-1.24");
    }
}
