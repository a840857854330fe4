//! The template context: the pieces every claim's templates see (`project`,
//! `cluster`, `tenants`, `environment`), built once per object of the model.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde_json::Value;

use crate::hierarchy::Namespace;
use crate::model::kinds::{ClusterSpec, ProjectSpec};
use crate::model::{Item, Model, Name};

use super::engine::{Context, template_value};
/// Context pieces computed once per project, cluster and tenant, already
/// converted to template values: converting a project's whole spec for every
/// claim was the largest cost of composing.
pub(super) struct Contexts {
    projects: BTreeMap<Name, minijinja::Value>,
    clusters: BTreeMap<Name, minijinja::Value>,
    tenants: BTreeMap<Name, minijinja::Value>,
}

impl Contexts {
    pub(super) fn new(model: &Model) -> Contexts {
        Contexts {
            projects: model
                .projects
                .par_iter()
                .map(|(n, p)| (n.clone(), template_value(p.named_spec())))
                .collect(),
            clusters: model
                .clusters
                .par_iter()
                .map(|(n, c)| (n.clone(), template_value(c.named_spec())))
                .collect(),
            tenants: model
                .tenants
                .par_iter()
                .map(|(n, t)| (n.clone(), template_value(t.named_spec())))
                .collect(),
        }
    }

    /// Everything but `claim` and `composed`.
    pub(super) fn base(
        &self,
        ns: &Namespace,
        project: &Item<ProjectSpec>,
        cluster: &Item<ClusterSpec>,
    ) -> Context {
        let none = minijinja::Value::from(());
        let mut context = Context::new();
        let project = self
            .projects
            .get(project.name())
            .cloned()
            .unwrap_or_else(|| none.clone());
        // A view into the project's spec, which holds it already converted.
        let environment = project
            .get_attr("environments")
            .and_then(|list| list.get_item_by_index(ns.environment_index))
            .unwrap_or_else(|_| none.clone());
        context.insert("project", project);
        context.insert("environment", environment);
        context.insert("namespace", minijinja::Value::from(ns.name.as_str()));
        context.insert(
            "cluster",
            self.clusters
                .get(cluster.name())
                .cloned()
                .unwrap_or_else(|| none.clone()),
        );
        let tenants: Vec<minijinja::Value> = ns
            .tenants
            .iter()
            .filter_map(|t| self.tenants.get(t).cloned())
            .collect();
        context.insert("tenants", minijinja::Value::from(tenants));
        context
    }
}

/// A JSON object of owned values, fields in this order. `json!` would copy
/// every non-literal value through serde, and these are built per namespace.
pub(super) fn object<const N: usize>(fields: [(&str, Value); N]) -> Value {
    Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}
