//! The tenant forest: each tenant's chain to its root, children and
//! projects; cycles and self-parents are reported with every member.

use std::collections::{BTreeMap, BTreeSet};

use super::{Hierarchy, TenantNode};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::{Model, Name};

/// Build the tenant forest; report cycles and self-parents with every member.
pub(super) fn build(model: &Model, out: &mut Vec<Diagnostic>) -> Hierarchy {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Visiting,
        Done,
    }
    let mut state: BTreeMap<&Name, State> = BTreeMap::new();
    let mut in_cycle: BTreeSet<&Name> = BTreeSet::new();
    for start in model.tenants.keys() {
        let mut path: Vec<&Name> = Vec::new();
        let mut current = Some(start);
        while let Some(name) = current {
            match state.get(name) {
                Some(State::Done) => break,
                Some(State::Visiting) => {
                    let from = path.iter().position(|n| *n == name).unwrap_or(0);
                    let cycle = &path[from..];
                    in_cycle.extend(cycle.iter().copied());
                    out.push(cycle_error(model, cycle));
                    break;
                }
                None => {}
            }
            state.insert(name, State::Visiting);
            path.push(name);
            current = model.tenants.get(name).and_then(|t| t.spec.parent.as_ref());
        }
        for name in path {
            state.insert(name, State::Done);
        }
    }

    // Chains of tenants whose parent links reach a root; tenants under a
    // cycle or an unknown parent are left out (already reported).
    let mut hierarchy = Hierarchy::default();
    for (name, tenant) in &model.tenants {
        let mut chain = vec![name.clone()];
        let mut parent = tenant.spec.parent.as_ref();
        let mut rooted = !in_cycle.contains(name);
        while let Some(p) = parent {
            match model.tenants.get(p) {
                Some(t) if rooted && !in_cycle.contains(p) => {
                    chain.push(p.clone());
                    parent = t.spec.parent.as_ref();
                }
                _ => {
                    rooted = false;
                    break;
                }
            }
        }
        if !rooted {
            continue;
        }
        chain.reverse();
        hierarchy.tenants.insert(
            name.clone(),
            TenantNode {
                name: name.clone(),
                parent: tenant.spec.parent.clone(),
                children: Vec::new(),
                projects: Vec::new(),
                chain,
            },
        );
    }
    let links: Vec<(Name, Name)> = hierarchy
        .tenants
        .values()
        .filter_map(|t| t.parent.clone().map(|p| (p, t.name.clone())))
        .collect();
    for (parent, child) in links {
        if let Some(p) = hierarchy.tenants.get_mut(&parent) {
            p.children.push(child);
        }
    }
    for (name, project) in &model.projects {
        if let Some(t) = hierarchy.tenants.get_mut(&project.spec.tenant) {
            t.projects.push(name.clone());
        }
    }
    hierarchy.roots = hierarchy
        .tenants
        .values()
        .filter(|t| t.parent.is_none())
        .map(|t| t.name.clone())
        .collect();
    hierarchy
}

fn cycle_error(model: &Model, cycle: &[&Name]) -> Diagnostic {
    // Report at the smallest name so the message does not depend on walk order.
    let start = cycle
        .iter()
        .enumerate()
        .min_by_key(|(_, n)| **n)
        .map_or(0, |(i, _)| i);
    let ordered: Vec<&Name> = cycle[start..]
        .iter()
        .chain(&cycle[..start])
        .copied()
        .collect();
    let at = |n: &Name| model.tenants.get(n).map(|t| t.origin.at("/spec/parent"));
    let message = if ordered.len() == 1 {
        format!("tenant `{}` is its own parent", ordered[0])
    } else {
        let mut names: Vec<String> = ordered.iter().map(|n| n.to_string()).collect();
        names.push(ordered[0].to_string());
        format!("tenant parents form a cycle: {}", names.join(" → "))
    };
    let mut d = Diagnostic::error(Code::TenantCycle, at(ordered[0]), message);
    for n in ordered.iter().skip(1) {
        d = d.with_note(at(n), format!("tenant `{n}` names its parent here"));
    }
    d
}
