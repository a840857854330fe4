//! Quota budgets (docs/design.md §2): per tenant and environment, direct child
//! tenants' budgets (or, without one, their subtree's allocation) plus direct
//! projects' namespaces (quota × clusters) must fit the budget, per resource,
//! in exact quantity arithmetic.

use std::collections::BTreeMap;

use rayon::prelude::*;

use serde::Serialize;

use super::{Hierarchy, Provenance, Source, Sourced};
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::model::kinds::Quota;
use crate::model::{Item, Model, Name, Origin, Quantity};
use crate::yaml::push_pointer;

/// Use of one tenant's budget in one environment.
#[derive(Debug, Clone, Serialize)]
pub struct Budget {
    /// The tenant.
    pub tenant: Name,
    /// The environment.
    pub environment: Name,
    /// The tenant's budget for the environment, if it set one.
    pub budget: Option<Sourced<Quota>>,
    /// Per resource (`cpu`, `memory`, …, `extra` keys verbatim): budget, allocation, contributors.
    pub resources: BTreeMap<String, ResourceUse>,
}

/// Budget and allocation of one resource.
#[derive(Debug, Clone, Serialize)]
pub struct ResourceUse {
    /// The budget, when the tenant set one for this resource.
    pub budget: Option<Quantity>,
    /// Sum of the contributors.
    pub allocated: Quantity,
    /// What the allocation is made of, largest first.
    pub contributors: Vec<Contributor>,
}

/// One part of an allocation.
#[derive(Debug, Clone)]
pub struct Contributor {
    /// What it is, e.g. `project checkout (16 × 2 clusters)`.
    pub what: String,
    /// How much.
    pub amount: Quantity,
    /// Where it is set: the object and the pointer inside it. Formatted
    /// only when asked for (an over-budget note); every project's quota
    /// contributes, and formatting them all was about half of checking
    /// budgets.
    origin: Origin,
    pointer: String,
    /// For a project's quota: how many clusters multiply it, so an
    /// over-budget error can say what to lower it to.
    clusters: Option<usize>,
}

impl Contributor {
    /// Where it is set.
    pub fn location(&self) -> Location {
        self.origin.at(&self.pointer)
    }
}

impl Serialize for Contributor {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct as _;
        let mut s = serializer.serialize_struct("Contributor", 3)?;
        s.serialize_field("what", &self.what)?;
        s.serialize_field("amount", &self.amount)?;
        s.serialize_field("location", &self.location())?;
        s.end()
    }
}

/// Quota entries as (resource key, pointer suffix, amount).
pub(super) fn entries(quota: &Quota) -> Vec<(String, String, &Quantity)> {
    let named = [
        ("cpu", &quota.cpu),
        ("memory", &quota.memory),
        ("storage", &quota.storage),
        ("pods", &quota.pods),
        ("limitsCpu", &quota.limits_cpu),
        ("limitsMemory", &quota.limits_memory),
    ];
    let mut out: Vec<(String, String, &Quantity)> = named
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k.to_owned(), format!("/{k}"), v)))
        .collect();
    for (k, v) in &quota.extra {
        out.push((k.clone(), push_pointer("/extra", k), v));
    }
    out
}

fn add(use_: &mut ResourceUse, contributor: Contributor, overflow: &mut bool) {
    match use_.allocated.checked_add(&contributor.amount) {
        Some(sum) => use_.allocated = sum,
        None => *overflow = true,
    }
    use_.contributors.push(contributor);
}

fn fresh(amount_format: &Quantity) -> ResourceUse {
    ResourceUse {
        budget: None,
        allocated: Quantity::from_nanos(0, amount_format.format()),
        contributors: Vec::new(),
    }
}

/// Compute every tenant's allocation per environment and check the budgets.
pub(super) fn check(model: &Model, hierarchy: &mut Hierarchy, out: &mut Vec<Diagnostic>) {
    // Children before parents: a tenant without a budget passes its
    // subtree's allocation up. Tenants of one depth only read deeper ones,
    // so each level is computed in parallel and merged in name order.
    let mut levels: BTreeMap<std::cmp::Reverse<usize>, Vec<&Name>> = BTreeMap::new();
    for (name, node) in &hierarchy.tenants {
        levels
            .entry(std::cmp::Reverse(node.chain.len()))
            .or_default()
            .push(name);
    }
    let mut budgets = Budgets::new();
    for level in levels.values() {
        let computed: Vec<_> = level
            .par_iter()
            .map(|name| tenant_budgets(model, hierarchy, name, &budgets))
            .collect();
        for (done, diagnostics) in computed {
            budgets.extend(done);
            out.extend(diagnostics);
        }
    }
    child_above_ancestor(model, hierarchy, out);
    unbounded(model, hierarchy, out);
    hierarchy.budgets = budgets;
}

/// Budgets by (tenant, environment).
type Budgets = BTreeMap<(Name, Name), Budget>;

/// One tenant's use of its budget in each environment, from its direct
/// children (their budgets, or their subtree's allocation in `budgets`) and
/// its direct projects; and the over-budget errors.
fn tenant_budgets(
    model: &Model,
    hierarchy: &Hierarchy,
    name: &Name,
    budgets: &Budgets,
) -> (Budgets, Vec<Diagnostic>) {
    let mut out = Vec::new();
    let mut done = Budgets::new();
    let node = &hierarchy.tenants[name];
    let Some(tenant) = model.tenants.get(name) else {
        return (done, out);
    };
    let mut per_env: BTreeMap<Name, BTreeMap<String, ResourceUse>> = BTreeMap::new();
    let mut overflow = false;
    for child_name in &node.children {
        let Some(child) = model.tenants.get(child_name) else {
            continue;
        };
        // Budgets the child set.
        for (env, quota) in &child.spec.quota {
            for (key, suffix, amount) in entries(quota) {
                let use_ = per_env
                    .entry(env.clone())
                    .or_default()
                    .entry(key)
                    .or_insert_with(|| fresh(amount));
                let pointer = format!("{}{suffix}", push_pointer("/spec/quota", env.as_str()));
                add(
                    use_,
                    Contributor {
                        what: format!("tenant {child_name} (budget)"),
                        amount: *amount,
                        origin: child.origin.clone(),
                        pointer,
                        clusters: None,
                    },
                    &mut overflow,
                );
            }
        }
        // Environments the child has no budget for count its subtree.
        for ((_, env), child_budget) in budgets.iter().filter(|((t, _), _)| t == child_name) {
            if child.spec.quota.contains_key(env) {
                continue;
            }
            for (key, child_use) in &child_budget.resources {
                let use_ = per_env
                    .entry(env.clone())
                    .or_default()
                    .entry(key.clone())
                    .or_insert_with(|| fresh(&child_use.allocated));
                add(
                    use_,
                    Contributor {
                        what: format!("tenant {child_name} (subtree, no budget)"),
                        amount: child_use.allocated,
                        origin: child.origin.clone(),
                        pointer: "/metadata/name".to_owned(),
                        clusters: None,
                    },
                    &mut overflow,
                );
            }
        }
    }
    for project_name in &node.projects {
        let Some(project) = model.projects.get(project_name) else {
            continue;
        };
        for (e, env) in project.spec.environments.iter().enumerate() {
            let Some(quota) = &env.quota else { continue };
            let clusters = env.clusters.len();
            for (key, suffix, amount) in entries(quota) {
                let Some(total) = amount.checked_mul_int(clusters as i128) else {
                    overflow = true;
                    continue;
                };
                let use_ = per_env
                    .entry(env.name.clone())
                    .or_default()
                    .entry(key)
                    .or_insert_with(|| fresh(amount));
                let plural = if clusters == 1 { "cluster" } else { "clusters" };
                add(
                    use_,
                    Contributor {
                        what: format!("project {project_name} ({amount} × {clusters} {plural})"),
                        amount: total,
                        origin: project.origin.clone(),
                        pointer: format!("/spec/environments/{e}/quota{suffix}"),
                        clusters: Some(clusters),
                    },
                    &mut overflow,
                );
            }
        }
    }
    if overflow {
        out.push(Diagnostic::error(
            Code::QuantityOverflow,
            Some(tenant.origin.at("/metadata/name")),
            format!("the allocation below tenant `{name}` overflows exact arithmetic; check for absurd quantities"),
        ));
    }
    for env in tenant.spec.quota.keys() {
        per_env.entry(env.clone()).or_default();
    }
    for (env, mut resources) in per_env {
        let budget = tenant.spec.quota.get(&env).map(|q| Sourced {
            value: q.clone(),
            from: Provenance {
                source: Source::Tenant(name.clone()),
                location: Some(std::sync::Arc::new(
                    tenant.origin.at(&push_pointer("/spec/quota", env.as_str())),
                )),
            },
        });
        if let Some(b) = &budget {
            for (key, _, amount) in entries(&b.value) {
                resources.entry(key).or_insert_with(|| fresh(amount)).budget = Some(*amount);
            }
        }
        for use_ in resources.values_mut() {
            use_.contributors
                .sort_by(|a, b| b.amount.cmp(&a.amount).then_with(|| a.what.cmp(&b.what)));
        }
        for (key, use_) in &resources {
            if let Some(limit) = &use_.budget
                && use_.allocated > *limit
            {
                let budget_at = tenant.origin.at(&format!(
                    "{}{}",
                    push_pointer("/spec/quota", env.as_str()),
                    resource_suffix(key)
                ));
                out.extend(over_budget(
                    model, hierarchy, name, &env, key, use_, *limit, budget_at,
                ));
            }
        }
        done.insert(
            (name.clone(), env.clone()),
            Budget {
                tenant: name.clone(),
                environment: env,
                budget,
                resources,
            },
        );
    }
    (done, out)
}

/// The errors of one exceeded budget. Each project under it is told at its
/// own quota what is left for it and who can raise the budget: a request
/// is reviewed in its project file, and that is where a team looks. A
/// budget used up by child tenants alone is reported at the budget.
#[allow(clippy::too_many_arguments)]
fn over_budget(
    model: &Model,
    hierarchy: &Hierarchy,
    tenant: &Name,
    env: &Name,
    key: &str,
    use_: &ResourceUse,
    limit: Quantity,
    budget_at: Location,
) -> Vec<Diagnostic> {
    let ask = match ask(model, hierarchy, tenant) {
        Some(owners) => format!("ask {owners} to raise it"),
        None => "ask the tenant's owners to raise it".to_owned(),
    };
    let allocated = use_.allocated.readable();
    let limit = limit.readable();
    let budget_note =
        format!("tenant {tenant}'s {env} budget for {key}: {limit} ({allocated} allocated)");
    let projects: Vec<&Contributor> = use_
        .contributors
        .iter()
        .filter(|c| c.clusters.is_some())
        .collect();
    if projects.is_empty() {
        let mut d = Diagnostic::error(
            Code::OverBudget,
            Some(budget_at),
            format!(
                "tenant `{tenant}` is over its {env} budget for {key}: {allocated} allocated, budget {limit}; lower the child budgets, or {ask}"
            ),
        );
        for c in &use_.contributors {
            d = d.with_note(
                Some(c.location()),
                format!("{}: {}", c.what, c.amount.readable()),
            );
        }
        return vec![d];
    }
    projects
        .into_iter()
        .map(|project| {
            let clusters = project.clusters.unwrap_or(1).max(1);
            let others = allocated.checked_sub(&project.amount).unwrap_or(allocated);
            let left = limit.checked_sub(&others).unwrap_or_else(Quantity::zero).readable();
            let asked = match clusters {
                1 => format!("{key} {}", project.amount),
                n => format!("{key} {} × {n} clusters", Quantity::from_nanos(project.amount.nanos() / n as i128, project.amount.format())),
            };
            let message = if left > Quantity::zero() {
                // Rounded down to a nano-unit: the largest quota that fits.
                let most = Quantity::from_nanos(left.nanos() / clusters as i128, left.format()).readable();
                let per_cluster = if clusters > 1 { " per cluster" } else { "" };
                format!(
                    "{asked} is over budget: {left} {key} left in {tenant}'s {env} budget ({limit}): lower to ≤ {most}{per_cluster}, or {ask}"
                )
            } else {
                format!(
                    "{asked} is over budget: nothing left in {tenant}'s {env} budget ({limit}, all used by others): lower the others, or {ask}"
                )
            };
            let mut d = Diagnostic::error(Code::OverBudget, Some(project.location()), message)
                .with_note(Some(budget_at.clone()), budget_note.clone());
            for other in use_.contributors.iter().filter(|c| !std::ptr::eq(*c, project)) {
                d = d.with_note(
                    Some(other.location()),
                    format!("{}: {}", other.what, other.amount.readable()),
                );
            }
            d
        })
        .collect()
}

/// Who can raise `tenant`'s budget: the owners of the nearest tenant, from
/// it up, that has owners, as GitHub handles where the estate maps them
/// (the same mapping CODEOWNERS uses), otherwise as written.
fn ask(model: &Model, hierarchy: &Hierarchy, tenant: &Name) -> Option<String> {
    let github = model.estate.as_ref().and_then(|e| e.spec.github.as_ref());
    let chain = &hierarchy.tenants.get(tenant)?.chain;
    let owners = chain
        .iter()
        .rev()
        .filter_map(|t| model.tenants.get(t))
        .map(|t| &t.spec.owners)
        .find(|owners| !owners.is_empty())?;
    let mut names: Vec<String> = owners
        .iter()
        .map(|o| match github.and_then(|g| g.handle(o)) {
            Some(handle) => handle,
            None => o.to_string(),
        })
        .collect();
    names.dedup();
    Some(names.join(" or "))
}

fn resource_suffix(key: &str) -> String {
    match key {
        "cpu" | "memory" | "storage" | "pods" | "limitsCpu" | "limitsMemory" => format!("/{key}"),
        extra => push_pointer("/extra", extra),
    }
}

/// The nearest proper ancestor of `tenant` with a budget for `env` and `key`.
fn nearest_budget<'m>(
    model: &'m Model,
    hierarchy: &Hierarchy,
    tenant: &Name,
    env: &Name,
    key: &str,
) -> Option<(&'m Item<crate::model::kinds::TenantSpec>, Quantity)> {
    let chain = &hierarchy.tenants.get(tenant)?.chain;
    chain.iter().rev().skip(1).find_map(|a| {
        let t = model.tenants.get(a)?;
        let quota = t.spec.quota.get(env)?;
        entries(quota)
            .into_iter()
            .find(|(k, _, _)| k == key)
            .map(|(_, _, q)| (t, *q))
    })
}

/// A child's own budget above its nearest budgeted ancestor's is an error
/// even when nothing uses it (HNC accepted that: hnc#277).
fn child_above_ancestor(model: &Model, hierarchy: &Hierarchy, out: &mut Vec<Diagnostic>) {
    for name in hierarchy.tenants.keys() {
        let Some(tenant) = model.tenants.get(name) else {
            continue;
        };
        for (env, quota) in &tenant.spec.quota {
            for (key, suffix, amount) in entries(quota) {
                if let Some((ancestor, limit)) = nearest_budget(model, hierarchy, name, env, &key)
                    && *amount > limit
                {
                    let pointer = format!("{}{suffix}", push_pointer("/spec/quota", env.as_str()));
                    out.push(
                        Diagnostic::error(
                            Code::BudgetAboveParent,
                            Some(tenant.origin.at(&pointer)),
                            format!(
                                "tenant `{name}` budgets {amount} {key} for {env}, more than the {limit} of its ancestor `{}`",
                                ancestor.name()
                            ),
                        )
                        .with_note(Some(ancestor.origin.at(&pointer)), format!("tenant `{}` budgets {limit} here", ancestor.name())),
                    );
                }
            }
        }
    }
}

/// A namespace without a quota for a resource its chain budgets could use
/// any amount of it; the budget would be a fiction.
fn unbounded(model: &Model, hierarchy: &Hierarchy, out: &mut Vec<Diagnostic>) {
    let found: Vec<Vec<Diagnostic>> = model
        .projects
        .par_iter()
        .map(|(name, project)| unbounded_in(model, hierarchy, name, project))
        .collect();
    out.extend(found.into_iter().flatten());
}

fn unbounded_in(
    model: &Model,
    hierarchy: &Hierarchy,
    name: &Name,
    project: &Item<crate::model::kinds::ProjectSpec>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if !hierarchy.tenants.contains_key(&project.spec.tenant) {
        return out;
    }
    for (e, env) in project.spec.environments.iter().enumerate() {
        let declared: Vec<String> = env
            .quota
            .as_ref()
            .map(|q| entries(q).into_iter().map(|(k, _, _)| k).collect())
            .unwrap_or_default();
        let chain = &hierarchy.tenants[&project.spec.tenant].chain;
        let mut keys: Vec<(String, &Name)> = Vec::new();
        for t in chain.iter().rev() {
            if let Some(q) = model
                .tenants
                .get(t)
                .and_then(|t| t.spec.quota.get(&env.name))
            {
                for (k, _, _) in entries(q) {
                    if !keys.iter().any(|(known, _)| *known == k) {
                        keys.push((k, t));
                    }
                }
            }
        }
        for (key, tenant) in keys {
            if declared.contains(&key) {
                continue;
            }
            let pointer = if env.quota.is_some() {
                format!("/spec/environments/{e}/quota")
            } else {
                format!("/spec/environments/{e}")
            };
            let budget_at = model.tenants.get(tenant).map(|t| {
                t.origin.at(&format!(
                    "{}{}",
                    push_pointer("/spec/quota", env.name.as_str()),
                    resource_suffix(&key)
                ))
            });
            out.push(
                Diagnostic::error(
                    Code::QuotaUnbounded,
                    Some(project.origin.at(&pointer)),
                    format!(
                        "project `{name}` sets no {key} quota for {}, but tenant `{tenant}` budgets {key} there; without a quota the namespace could use any amount",
                        env.name
                    ),
                )
                .with_note(budget_at, "the budget is set here"),
            );
        }
    }
    out
}
