//! `data.kprov`: the context of an object's namespace (its project,
//! environment, cluster, tenants), converted once per project, cluster and
//! tenant and shared by every object of the namespace.

use crate::compose::Composed;
use crate::hierarchy::{Hierarchy, Namespace};
use crate::model::{Model, Name};
use rayon::prelude::*;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};

/// The pieces of `data.kprov`, computed once per project, cluster and
/// tenant, already as Rego values: converting a project's whole spec for
/// every namespace was a tenth of policy evaluation. Only computed when
/// some policy reads `data` at all.
pub(super) struct Contexts<'m> {
    pub(super) model: &'m Model,
    pub(super) hierarchy: &'m Hierarchy,
    pub(super) clusters: BTreeMap<&'m str, regorus::Value>,
    pub(super) projects: BTreeMap<&'m str, regorus::Value>,
    pub(super) tenants: BTreeMap<&'m str, regorus::Value>,
    /// Every namespace by (cluster, name).
    pub(super) namespaces: HashMap<(&'m str, &'m str), &'m Namespace>,
    /// Namespaces of each (cluster, project), to place cluster-scoped objects.
    pub(super) by_project: BTreeMap<(&'m str, &'m str), Vec<&'m Namespace>>,
}

impl<'m> Contexts<'m> {
    pub(super) fn new(model: &'m Model, hierarchy: &'m Hierarchy, needs_data: bool) -> Self {
        let mut by_project: BTreeMap<(&str, &str), Vec<&Namespace>> = BTreeMap::new();
        let mut namespaces = HashMap::with_capacity(hierarchy.namespaces.len());
        for ns in hierarchy.namespaces.values() {
            by_project
                .entry((ns.cluster.as_str(), ns.project.as_str()))
                .or_default()
                .push(ns);
            namespaces.insert((ns.cluster.as_str(), ns.name.as_str()), ns);
        }
        fn specs<S: Sync>(
            items: &BTreeMap<Name, crate::model::Item<S>>,
            needs_data: bool,
            spec: impl Fn(&crate::model::Item<S>) -> Value + Sync,
        ) -> BTreeMap<&str, regorus::Value> {
            match needs_data {
                true => items
                    .par_iter()
                    .map(|(n, item)| (n.as_str(), regorus::Value::from(spec(item))))
                    .collect(),
                false => BTreeMap::new(),
            }
        }
        Contexts {
            model,
            hierarchy,
            clusters: specs(&model.clusters, needs_data, |c| c.named_spec()),
            projects: specs(&model.projects, needs_data, |p| p.named_spec()),
            tenants: specs(&model.tenants, needs_data, |t| t.named_spec()),
            namespaces,
            by_project,
        }
    }

    /// The namespace context of an object: its own namespace; for a
    /// cluster-scoped object, the namespace of its claim.
    pub(super) fn key<'c>(&self, object: &'c Composed) -> ContextKey<'c>
    where
        'm: 'c,
    {
        let cluster = object.cluster.as_str();
        // The built-in namespace composition files its Namespace object
        // under the namespace it creates.
        let namespace = match &object.namespace {
            Some(ns) => Some(ns.as_str()),
            None => (object.file_stem != "_cluster").then_some(object.file_stem.as_str()),
        };
        if let Some(ns) = namespace.and_then(|ns| self.namespaces.get(&(cluster, ns))) {
            return ContextKey {
                cluster,
                namespace: Some(ns.name.as_str()),
                project: Some(ns.project.as_str()),
            };
        }
        // Claims are described as `… (project <name>)`.
        let project = object
            .claim
            .rsplit_once("(project ")
            .and_then(|(_, rest)| rest.strip_suffix(')'))
            .and_then(|p| self.model.projects.get_key_value(p))
            .map(|(name, _)| name.as_str());
        let namespace = project.and_then(|p| match self.by_project.get(&(cluster, p)) {
            Some(list) if list.len() == 1 => Some(list[0].name.as_str()),
            _ => None,
        });
        ContextKey {
            cluster,
            namespace,
            project,
        }
    }

    /// `data` for one context: `{"kprov": {cluster, project, tenants,
    /// namespace, environment}}`, each present when known.
    pub(super) fn data(&self, key: &ContextKey) -> regorus::Value {
        let mut kprov: BTreeMap<regorus::Value, regorus::Value> = BTreeMap::new();
        let mut put = |field: &str, value: regorus::Value| {
            kprov.insert(regorus::Value::from(field), value);
        };
        if let Some(cluster) = self.clusters.get(key.cluster) {
            put("cluster", cluster.clone());
        }
        let ns = key
            .namespace
            .and_then(|n| self.namespaces.get(&(key.cluster, n)).copied());
        if let Some(project) = key.project {
            if let Some(value) = self.projects.get(project) {
                put("project", value.clone());
            }
            let chain: Option<&[Name]> = match ns {
                Some(ns) => Some(&ns.tenants),
                None => self
                    .model
                    .projects
                    .get(project)
                    .and_then(|p| self.hierarchy.tenants.get(p.spec.tenant.as_str()))
                    .map(|t| t.chain.as_slice()),
            };
            if let Some(chain) = chain {
                let tenants: Vec<regorus::Value> = chain
                    .iter()
                    .filter_map(|t| self.tenants.get(t.as_str()).cloned())
                    .collect();
                put("tenants", regorus::Value::from(tenants));
            }
        }
        if let Some(ns) = ns {
            put("namespace", regorus::Value::from(ns.name.as_str()));
            let environment = self
                .model
                .projects
                .get(ns.project.as_str())
                .and_then(|p| p.spec.environments.get(ns.environment_index))
                .and_then(|e| serde_json::to_value(e).ok());
            if let Some(environment) = environment {
                put("environment", regorus::Value::from(environment));
            }
        }
        let mut data = BTreeMap::new();
        data.insert(regorus::Value::from("kprov"), regorus::Value::from(kprov));
        regorus::Value::from(data)
    }
}

/// Which namespace context an object is evaluated in: names borrowed from
/// the object and the hierarchy (one per composed object; owning them cost
/// three allocations each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct ContextKey<'a> {
    pub(super) cluster: &'a str,
    pub(super) namespace: Option<&'a str>,
    pub(super) project: Option<&'a str>,
}

/// `data` without a context: what a policy that never names `data` is given.
pub(super) fn empty_context() -> regorus::Value {
    regorus::Value::from(json!({"kprov": {}}))
}
