//! Human and machine views of the hierarchy: `kprov tree` and `kprov explain`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use schemars::JsonSchema;
use serde::Serialize;

use super::{Hierarchy, Namespace, Provenance, Source};
use crate::model::serde_name;
use crate::model::{Name, Quantity};

fn headroom(budget: &Quantity, allocated: &Quantity) -> String {
    match budget.checked_sub(allocated) {
        Some(free) if free.nanos() >= 0 => format!("{} free", free.readable()),
        Some(over) => format!(
            "{} over",
            Quantity::from_nanos(-over.nanos(), over.format()).readable()
        ),
        None => "overflow".into(),
    }
}

fn budget_lines(h: &Hierarchy, tenant: &crate::model::Name) -> Vec<String> {
    h.budgets
        .iter()
        .filter(|((t, _), _)| t == tenant)
        .map(|((_, env), b)| {
            let parts: Vec<String> = b
                .resources
                .iter()
                .map(|(key, u)| match &u.budget {
                    Some(limit) => {
                        let pct = u
                            .allocated
                            .ratio_permille(limit)
                            .map(|p| format!(", {}%", p / 10))
                            .unwrap_or_default();
                        format!(
                            "{key} {}/{} ({}{pct})",
                            u.allocated.readable(),
                            limit.readable(),
                            headroom(limit, &u.allocated)
                        )
                    }
                    None => format!("{key} {} (no budget)", u.allocated.readable()),
                })
                .collect();
            let parts = if parts.is_empty() {
                "nothing allocated".to_owned()
            } else {
                parts.join(" · ")
            };
            format!("{:<8} {parts}", env.as_str())
        })
        .collect()
}

/// A project's environments in its own order, each with its namespace
/// count: `dev ×1 · prod ×2`.
fn project_environments(h: &Hierarchy, project: &crate::model::Name) -> String {
    let mut envs: std::collections::BTreeMap<usize, (&str, usize)> = Default::default();
    for ns in h.namespaces.values().filter(|ns| &ns.project == project) {
        envs.entry(ns.environment_index)
            .or_insert((ns.environment.as_str(), 0))
            .1 += 1;
    }
    let envs: Vec<String> = envs.values().map(|(e, n)| format!("{e} ×{n}")).collect();
    envs.join(" · ")
}

/// The hierarchy as an indented tree with, per tenant and environment,
/// budget, allocation and headroom.
pub fn tree_text(h: &Hierarchy) -> String {
    let mut out = String::new();
    for root in &h.roots {
        node_text(h, root, "", "", &mut out);
    }
    out
}

fn node_text(h: &Hierarchy, name: &crate::model::Name, first: &str, rest: &str, out: &mut String) {
    let Some(node) = h.tenants.get(name) else {
        return;
    };
    let _ = writeln!(out, "{first}tenant {name}");
    let has_children = !node.children.is_empty() || !node.projects.is_empty();
    let detail = if has_children {
        format!("{rest}│   ")
    } else {
        format!("{rest}    ")
    };
    for line in budget_lines(h, name) {
        let _ = writeln!(out, "{detail}{line}");
    }
    let total = node.children.len() + node.projects.len();
    let mut i = 0;
    for child in &node.children {
        i += 1;
        let (f, r) = if i == total {
            ("└── ", "    ")
        } else {
            ("├── ", "│   ")
        };
        node_text(h, child, &format!("{rest}{f}"), &format!("{rest}{r}"), out);
    }
    for project in &node.projects {
        i += 1;
        let f = if i == total {
            "└── "
        } else {
            "├── "
        };
        let _ = writeln!(
            out,
            "{rest}{f}project {project}  {}",
            project_environments(h, project)
        );
    }
}

/// `kprov tree --format json`: the tenant forest, roots first.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct Tree {
    /// The root tenants, each with its subtree.
    pub tenants: Vec<TreeTenant>,
}

/// A tenant of [`Tree`].
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct TreeTenant {
    /// Name.
    pub name: Name,
    /// Budget use by environment, then by resource (`cpu`, `memory`, …).
    pub budgets: BTreeMap<String, BTreeMap<String, TreeBudget>>,
    /// Child tenants, sorted.
    pub children: Vec<TreeTenant>,
    /// The tenant's own projects, sorted.
    pub projects: Vec<TreeProject>,
}

/// One resource of a tenant's budget in one environment.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct TreeBudget {
    /// The budget; `null` when the tenant sets none for the resource.
    pub budget: Option<Quantity>,
    /// What the projects below the tenant allocate.
    pub allocated: Quantity,
    /// Budget minus allocation (negative when over); `null` without a budget.
    pub headroom: Option<Quantity>,
}

/// A project of [`TreeTenant`].
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct TreeProject {
    /// Name.
    pub name: Name,
    /// Its namespaces, by cluster.
    pub namespaces: Vec<TreeNamespace>,
}

/// A namespace of [`TreeProject`].
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct TreeNamespace {
    /// Cluster.
    pub cluster: Name,
    /// Namespace name.
    pub namespace: Name,
    /// Environment it serves.
    pub environment: Name,
}

/// The hierarchy as [`Tree`]: tenants with budgets, children and projects.
pub fn tree_json(h: &Hierarchy) -> Tree {
    type ByProject<'h> = BTreeMap<&'h Name, Vec<&'h Namespace>>;
    fn node(h: &Hierarchy, by_project: &ByProject<'_>, name: &Name) -> Option<TreeTenant> {
        let n = h.tenants.get(name)?;
        let budgets = h
            .budgets
            .iter()
            .filter(|((t, _), _)| t == name)
            .map(|((_, env), b)| {
                let resources = b
                    .resources
                    .iter()
                    .map(|(k, u)| {
                        let headroom = u.budget.as_ref().and_then(|l| l.checked_sub(&u.allocated));
                        let budget = TreeBudget {
                            budget: u.budget,
                            allocated: u.allocated,
                            headroom,
                        };
                        (k.clone(), budget)
                    })
                    .collect();
                (env.to_string(), resources)
            })
            .collect();
        let projects = n
            .projects
            .iter()
            .map(|p| TreeProject {
                name: p.clone(),
                namespaces: by_project
                    .get(p)
                    .into_iter()
                    .flatten()
                    .map(|ns| TreeNamespace {
                        cluster: ns.cluster.clone(),
                        namespace: ns.name.clone(),
                        environment: ns.environment.clone(),
                    })
                    .collect(),
            })
            .collect();
        Some(TreeTenant {
            name: name.clone(),
            budgets,
            children: n
                .children
                .iter()
                .filter_map(|c| node(h, by_project, c))
                .collect(),
            projects,
        })
    }
    // Grouped once: scanning every namespace for every project was
    // quadratic.
    let mut by_project = ByProject::new();
    for ns in h.namespaces.values() {
        by_project.entry(&ns.project).or_default().push(ns);
    }
    let tenants = h
        .roots
        .iter()
        .filter_map(|r| node(h, &by_project, r))
        .collect();
    Tree { tenants }
}

fn provenance(from: &Provenance) -> String {
    match (&from.location, &from.source) {
        (Some(l), source) => format!("{}:{}:{}  ({source})", l.file, l.line, l.column),
        (None, Source::Default) => "(kprov default)".into(),
        (None, source) => format!("({source})"),
    }
}

fn row(out: &mut String, indent: &str, value: &str, from: &Provenance) {
    let _ = writeln!(out, "{indent}{value:<40}  {}", provenance(from));
}

/// A value the estate only defaults: saying so tells the reader that a
/// tenant setting it would replace it, looser or tighter.
fn default_row(out: &mut String, indent: &str, value: &str, from: &Provenance) {
    match (&from.location, &from.source) {
        (Some(l), Source::Estate) => {
            let _ = writeln!(
                out,
                "{indent}{value:<40}  {}:{}:{}  (estate default: no tenant sets it)",
                l.file, l.line, l.column
            );
        }
        (_, Source::Default) => {
            let _ = writeln!(
                out,
                "{indent}{value:<40}  (kprov default: neither the estate nor a tenant sets it)"
            );
        }
        _ => row(out, indent, value, from),
    }
}

fn quota_text(q: &crate::model::kinds::Quota) -> String {
    super::budget::entries(q)
        .iter()
        .map(|(k, _, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn resources_text(name: &str, r: &Option<crate::model::kinds::Resources>) -> Option<String> {
    let r = r.as_ref()?;
    let parts: Vec<String> = [("cpu", &r.cpu), ("memory", &r.memory)]
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k} {v}")))
        .collect();
    Some(format!("{name} {}", parts.join(", ")))
}

/// Every effective value of one namespace, with the file:line that set it.
pub fn explain_text(ns: &Namespace) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "namespace {} on cluster {}", ns.name, ns.cluster);
    let chain: Vec<&str> = ns
        .tenants
        .iter()
        .map(|t| t.as_str())
        .chain([ns.project.as_str()])
        .collect();
    let _ = writeln!(out, "  chain         {}", chain.join(" → "));
    let _ = writeln!(out, "  environment   {}", ns.environment);
    let _ = writeln!(out);
    default_row(
        &mut out,
        "pod security   ",
        &serde_name(&ns.pod_security.value),
        &ns.pod_security.from,
    );
    default_row(
        &mut out,
        "isolation      ",
        &serde_name(&ns.isolation.value),
        &ns.isolation.from,
    );
    match &ns.cost_center {
        Some(c) => row(&mut out, "cost center    ", c.value.as_str(), &c.from),
        None => {
            let _ = writeln!(out, "cost center    (none on the chain)");
        }
    }
    match &ns.quota {
        Some(q) => row(&mut out, "quota          ", &quota_text(&q.value), &q.from),
        None => {
            let _ = writeln!(out, "quota          (none)");
        }
    }
    match &ns.limits {
        Some(l) => {
            let parts: Vec<String> = [
                resources_text("default", &l.value.default),
                resources_text("defaultRequest", &l.value.default_request),
                resources_text("max", &l.value.max),
                resources_text("min", &l.value.min),
            ]
            .into_iter()
            .flatten()
            .collect();
            row(&mut out, "limits         ", &parts.join("; "), &l.from);
        }
        None => {
            let _ = writeln!(out, "limits         (none)");
        }
    }
    let _ = writeln!(out, "owners (admin)");
    for o in &ns.owners {
        row(&mut out, "  ", &o.value.to_string(), &o.from);
    }
    let _ = writeln!(out, "role bindings");
    for b in &ns.role_bindings {
        let subjects: Vec<String> = b.value.subjects.iter().map(|s| s.to_string()).collect();
        row(
            &mut out,
            "  ",
            &format!("{} → {}", b.value.role, subjects.join(", ")),
            &b.from,
        );
    }
    if !ns.allow_from.is_empty() {
        let _ = writeln!(out, "allow from");
        for a in &ns.allow_from {
            row(&mut out, "  ", &format!("tenant {}", a.value), &a.from);
        }
    }
    let _ = writeln!(out, "labels");
    for (k, v) in &ns.kprov_labels {
        let _ = writeln!(out, "  {:<40} (kprov)", format!("{k}: {v}"));
    }
    for (k, v) in &ns.labels {
        row(&mut out, "  ", &format!("{k}: {}", v.value), &v.from);
    }
    if !ns.annotations.is_empty() {
        let _ = writeln!(out, "annotations");
        for (k, v) in &ns.annotations {
            row(&mut out, "  ", &format!("{k}: {}", v.value), &v.from);
        }
    }
    out
}

/// The hierarchy as a Mermaid flowchart, for a pull-request comment or a
/// README (GitHub renders ```` ```mermaid ```` blocks): tenants as boxes with
/// their per-environment allocation against budget, projects as rounded
/// boxes with their namespace count per environment.
pub fn tree_mermaid(h: &Hierarchy) -> String {
    let mut out = String::from("flowchart TD\n");
    let mut edges = String::new();
    let mut tenants: Vec<&crate::model::Name> = Vec::new();
    let mut stack: Vec<&crate::model::Name> = h.roots.iter().rev().collect();
    // Depth-first in tree order, so the text reads like `kprov tree`.
    while let Some(name) = stack.pop() {
        let Some(node) = h.tenants.get(name) else {
            continue;
        };
        tenants.push(name);
        stack.extend(node.children.iter().rev());
    }
    for name in tenants {
        let Some(node) = h.tenants.get(name) else {
            continue;
        };
        let mut label = format!("<b>{}</b>", mermaid_text(name.as_str()));
        for (env, parts) in budget_summary(h, name) {
            let _ = write!(
                label,
                "<br/>{}: {}",
                mermaid_text(&env),
                mermaid_text(&parts)
            );
        }
        let _ = writeln!(out, "    {}[\"{label}\"]", mermaid_id("t", name.as_str()));
        for child in &node.children {
            let _ = writeln!(
                edges,
                "    {} --> {}",
                mermaid_id("t", name.as_str()),
                mermaid_id("t", child.as_str())
            );
        }
        for project in &node.projects {
            let _ = writeln!(
                out,
                "    {}([\"{}<br/>{}\"])",
                mermaid_id("p", project.as_str()),
                mermaid_text(project.as_str()),
                mermaid_text(&project_environments(h, project))
            );
            let _ = writeln!(
                edges,
                "    {} --> {}",
                mermaid_id("t", name.as_str()),
                mermaid_id("p", project.as_str())
            );
        }
    }
    out.push_str(&edges);
    out.push_str("    classDef project fill:#eef6ff,stroke:#4a7fb5\n");
    let projects: Vec<String> = h
        .tenants
        .values()
        .flat_map(|t| t.projects.iter())
        .map(|p| mermaid_id("p", p.as_str()))
        .collect();
    if !projects.is_empty() {
        let _ = writeln!(out, "    class {} project", projects.join(","));
    }
    out
}

/// Per environment, `cpu 40/64 · memory 160Gi/256Gi`: what is allocated
/// against each budget (unbudgeted resources would only crowd the picture).
fn budget_summary(h: &Hierarchy, tenant: &crate::model::Name) -> Vec<(String, String)> {
    h.budgets
        .iter()
        .filter(|((t, _), _)| t == tenant)
        .filter_map(|((_, env), b)| {
            let parts: Vec<String> = b
                .resources
                .iter()
                .filter_map(|(key, u)| {
                    let limit = u.budget.as_ref()?;
                    Some(format!("{key} {}/{limit}", u.allocated))
                })
                .collect();
            (!parts.is_empty()).then(|| (env.to_string(), parts.join(" · ")))
        })
        .collect()
}

/// Mermaid node ids allow letters, digits and `_`; names are DNS-1123 labels
/// (`-` is their only other character) and the prefix keeps a tenant and a
/// project apart.
fn mermaid_id(prefix: &str, name: &str) -> String {
    let body: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("{prefix}_{body}")
}

/// Text inside a quoted Mermaid label: quotes and markup characters as
/// entity codes, so a name can never end the label or add a node.
fn mermaid_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '#' => out.push_str("#35;"),
            _ => out.push(c),
        }
    }
    out
}
