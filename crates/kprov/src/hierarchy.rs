//! Hierarchical namespace inheritance, compiled (docs/design.md §2).
//!
//! Kubernetes has no namespace hierarchy (HNC tried at runtime and is
//! archived). kprov resolves it at build time: for every namespace (project ×
//! environment × cluster) this stage computes the effective labels, owners,
//! role bindings, pod security, isolation, limits, cost center and quota,
//! each with its [`Provenance`], and checks the rules that keep a tenant in
//! its place: settings only tighten, allow-lists only narrow, budgets add up,
//! and kprov's own labels cannot be forged.
//!
//! The result is plain data ([`Hierarchy`]) for the composition stage; no
//! YAML is produced here.

mod budget;
mod namespaces;
mod render;
mod reserved;
mod settings;
mod tree;

use std::collections::BTreeMap;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::Serialize;

use crate::diagnostic::{Diagnostic, Location};
use crate::model::kinds::{Isolation, Limits, PodSecurity, Quota, RoleBinding};
use crate::model::{LabelValue, Model, Name, Subject};

pub use budget::{Budget, Contributor, ResourceUse};
pub use render::{
    Tree, TreeBudget, TreeNamespace, TreeProject, TreeTenant, explain_text, tree_json,
    tree_mermaid, tree_text,
};

/// What set a value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(tag = "kind", content = "name", rename_all = "lowercase")]
pub enum Source {
    /// kprov's built-in default.
    Default,
    /// The Estate object.
    Estate,
    /// A tenant.
    Tenant(Name),
    /// The namespace's project.
    Project(Name),
    /// Computed by kprov (identity labels).
    Kprov,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Default => f.write_str("kprov default"),
            Source::Estate => f.write_str("estate"),
            Source::Tenant(n) => write!(f, "tenant {n}"),
            Source::Project(n) => write!(f, "project {n}"),
            Source::Kprov => f.write_str("kprov"),
        }
    }
}

/// Where an effective value came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Provenance {
    /// Which object set it.
    pub source: Source,
    /// Where in that object, when it came from a file. Shared: every
    /// namespace below a tenant carries the same provenance for what it
    /// inherits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Arc<Location>>,
}

/// A value together with its provenance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Sourced<T> {
    /// The effective value.
    pub value: T,
    /// Who set it.
    pub from: Provenance,
}

/// Everything a namespace inherits, resolved.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Namespace {
    /// Namespace name.
    pub name: Name,
    /// Cluster it lives on.
    pub cluster: Name,
    /// Project it belongs to.
    pub project: Name,
    /// Environment it serves.
    pub environment: Name,
    /// Index of the environment in the project's `spec.environments`.
    pub environment_index: usize,
    /// Tenant chain, root first; the last is the project's tenant.
    pub tenants: Vec<Name>,
    /// Labels kprov sets: identity, tree and pod-security labels.
    pub kprov_labels: BTreeMap<String, String>,
    /// User labels, merged down the chain (nearest wins).
    pub labels: BTreeMap<String, Sourced<String>>,
    /// User annotations, merged down the chain (nearest wins).
    pub annotations: BTreeMap<String, Sourced<String>>,
    /// Subjects bound to `admin`, root first, each once.
    pub owners: Vec<Sourced<Subject>>,
    /// Role bindings, root first.
    pub role_bindings: Vec<Sourced<RoleBinding>>,
    /// Pod Security level.
    pub pod_security: Sourced<PodSecurity>,
    /// Network isolation.
    pub isolation: Sourced<Isolation>,
    /// Tenants whose subtrees may also connect.
    pub allow_from: Vec<Sourced<Name>>,
    /// LimitRange defaults (nearest wins).
    pub limits: Option<Sourced<Limits>>,
    /// Cost center (nearest wins).
    pub cost_center: Option<Sourced<LabelValue>>,
    /// ResourceQuota of the namespace.
    pub quota: Option<Sourced<Quota>>,
}

/// A tenant in the tree.
#[derive(Debug, Clone, Serialize)]
pub struct TenantNode {
    /// Name.
    pub name: Name,
    /// Parent, if not a root.
    pub parent: Option<Name>,
    /// Direct child tenants, sorted.
    pub children: Vec<Name>,
    /// Direct projects, sorted.
    pub projects: Vec<Name>,
    /// Chain from the root to this tenant, inclusive.
    pub chain: Vec<Name>,
}

/// The resolved hierarchy.
#[derive(Debug, Clone, Default, Serialize)]
#[non_exhaustive]
pub struct Hierarchy {
    /// Tenants outside cycles, by name.
    pub tenants: BTreeMap<Name, TenantNode>,
    /// Root tenants, sorted.
    pub roots: Vec<Name>,
    /// Every namespace, by (cluster, namespace name).
    #[serde(serialize_with = "values")]
    pub namespaces: BTreeMap<(Name, Name), Namespace>,
    /// Budget use per (tenant, environment).
    #[serde(serialize_with = "values")]
    pub budgets: BTreeMap<(Name, Name), Budget>,
}

/// Maps keyed by tuples serialize as the list of their values (JSON keys
/// must be strings, and every value names its own key).
fn values<K, V: Serialize, S: serde::Serializer>(
    map: &BTreeMap<K, V>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_seq(map.values())
}

impl Hierarchy {
    /// The namespace `name` on `cluster`.
    pub fn namespace(&self, cluster: &str, name: &str) -> Option<&Namespace> {
        self.namespaces
            .iter()
            .find(|((c, n), _)| c.as_str() == cluster && n.as_str() == name)
            .map(|(_, ns)| ns)
    }
}

/// Resolve the hierarchy of a model that loaded without errors.
pub fn build(model: &Model) -> (Hierarchy, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let mut hierarchy = tree::build(model, &mut diagnostics);
    reserved::check(model, &mut diagnostics);
    let tenant_effective = settings::of_tenants(model, &hierarchy, &mut diagnostics);
    namespaces::resolve(model, &mut hierarchy, &tenant_effective, &mut diagnostics);
    budget::check(model, &mut hierarchy, &mut diagnostics);
    crate::diagnostic::sort(&mut diagnostics);
    (hierarchy, diagnostics)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::Sources;

    const ESTATE: &str = "apiVersion: kprov.dev/v1alpha1\nkind: Estate\nmetadata: {name: e}\nspec: {network: {isolation: tenant}}\n";
    const CLUSTERS: &str = "\
apiVersion: kprov.dev/v1alpha1
kind: Cluster
metadata: {name: dev-a}
spec: {environment: dev, storage: {default: fast, tiers: {fast: {storageClass: local-path, accessModes: [ReadWriteOnce]}}}}
---
apiVersion: kprov.dev/v1alpha1
kind: Cluster
metadata: {name: dev-b}
spec: {environment: dev, storage: {default: fast, tiers: {fast: {storageClass: local-path, accessModes: [ReadWriteOnce]}}}}
";

    fn tenant(name: &str, body: &str) -> String {
        format!(
            "apiVersion: kprov.dev/v1alpha1\nkind: Tenant\nmetadata: {{name: {name}}}\nspec:\n{body}"
        )
    }

    fn project(name: &str, tenant: &str, body: &str) -> String {
        format!(
            "apiVersion: kprov.dev/v1alpha1\nkind: Project\nmetadata: {{name: {name}}}\nspec:\n  tenant: {tenant}\n  environments:\n    - {{name: dev, clusters: [dev-a, dev-b], quota: {{cpu: \"2\", memory: 4Gi}}}}\n{body}"
        )
    }

    /// A three-level tree: org → dept → team, and a project under team.
    fn estate(org: &str, dept: &str, team: &str, app: &str) -> Vec<(String, String)> {
        vec![
            ("kprov.yaml".into(), ESTATE.into()),
            ("clusters.yaml".into(), CLUSTERS.into()),
            (
                "org.yaml".into(),
                tenant("org", &format!("  costCenter: CC-1\n{org}")),
            ),
            (
                "dept.yaml".into(),
                tenant("dept", &format!("  parent: org\n{dept}")),
            ),
            (
                "team.yaml".into(),
                tenant("team", &format!("  parent: dept\n{team}")),
            ),
            ("app.yaml".into(), project("app", "team", app)),
        ]
    }

    fn resolve_files(files: Vec<(String, String)>) -> (Hierarchy, Vec<Diagnostic>) {
        let (model, diagnostics) = crate::model::build(&Sources::from_memory(files));
        assert!(
            !crate::diagnostic::has_errors(&diagnostics),
            "{diagnostics:#?}"
        );
        build(&model)
    }

    fn codes(d: &[Diagnostic]) -> Vec<&str> {
        d.iter().map(|d| d.code.as_str()).collect()
    }

    #[test]
    fn labels_nearest_wins_and_owners_add_up_three_levels_down() {
        let (h, d) = resolve_files(estate(
            "  owners: [group:admins]\n  labels: {tier: org, org: acme}\n  roleBindings: [{role: view, subjects: [group:auditors]}]\n  network: {allowFrom: [{tenant: dept}]}\n",
            "  owners: [group:admins, group:dept]\n  labels: {tier: dept}\n  network: {allowFrom: [{tenant: dept}]}\n",
            "  labels: {tier: team}\n",
            "  owners: [user:alice]\n",
        ));
        assert!(d.is_empty(), "{d:#?}");
        let ns = h.namespace("dev-a", "app-dev").unwrap();
        assert_eq!(ns.labels["tier"].value, "team");
        assert_eq!(
            ns.labels["tier"].from.source,
            Source::Tenant("team".parse().unwrap())
        );
        assert_eq!(ns.labels["org"].value, "acme");
        let owners: Vec<String> = ns.owners.iter().map(|o| o.value.to_string()).collect();
        assert_eq!(owners, ["group:admins", "group:dept", "user:alice"]);
        assert_eq!(ns.role_bindings.len(), 1);
        // Two tenants allowing the same peer make one allowance, the first.
        assert_eq!(ns.allow_from.len(), 1);
        assert_eq!(
            ns.allow_from[0].from.source,
            Source::Tenant("org".parse().unwrap())
        );
        assert_eq!(
            ns.role_bindings[0].from.source,
            Source::Tenant("org".parse().unwrap())
        );
        assert_eq!(ns.cost_center.as_ref().unwrap().value.as_str(), "CC-1");
    }

    #[test]
    fn tree_labels_count_depth_from_the_project() {
        let (h, _) = resolve_files(estate("", "", "", ""));
        let ns = h.namespace("dev-b", "app-dev").unwrap();
        let depth = |n: &str| ns.kprov_labels[&format!("{n}.tree.kprov.dev/depth")].as_str();
        assert_eq!(
            (depth("app"), depth("team"), depth("dept"), depth("org")),
            ("0", "1", "2", "3")
        );
        assert_eq!(ns.kprov_labels["kprov.dev/tenant"], "team");
        assert_eq!(
            ns.kprov_labels["pod-security.kubernetes.io/enforce"],
            "baseline"
        );
    }

    #[test]
    fn settings_tighten_but_never_loosen() {
        let (h, d) = resolve_files(estate(
            "  podSecurity: baseline\n",
            "  podSecurity: restricted\n",
            "",
            "",
        ));
        assert!(d.is_empty(), "{d:#?}");
        let ns = h.namespace("dev-a", "app-dev").unwrap();
        assert_eq!(
            ns.pod_security.value,
            crate::model::kinds::PodSecurity::Restricted
        );
        assert_eq!(ns.isolation.value, crate::model::kinds::Isolation::Tenant);
        assert_eq!(ns.isolation.from.source, Source::Estate);

        let (_, d) = resolve_files(estate(
            "  podSecurity: restricted\n",
            "",
            "  podSecurity: privileged\n",
            "",
        ));
        assert_eq!(codes(&d), ["loosened"]);
        assert_eq!(d[0].location.as_ref().unwrap().file, "team.yaml");
        assert_eq!(d[0].notes[0].location.as_ref().unwrap().file, "org.yaml");
        let (_, d) = resolve_files(estate(
            "",
            "  network: {isolation: namespace}\n",
            "",
            "  network: {isolation: tenant}\n",
        ));
        assert_eq!(codes(&d), ["loosened"]);
    }

    #[test]
    fn the_estate_sets_defaults_not_floors() {
        use crate::model::kinds::{Isolation, PodSecurity};
        // A silent chain takes the estate's value, and explain says so.
        let (h, d) = resolve_files(estate("", "", "", ""));
        assert!(d.is_empty(), "{d:#?}");
        let ns = h.namespace("dev-a", "app-dev").unwrap();
        let text = render::explain_text(ns);
        assert!(
            text.contains("kprov.yaml:4:29  (estate default: no tenant sets it)"),
            "{text}"
        );
        assert!(
            text.contains("(kprov default: neither the estate nor a tenant sets it)"),
            "{text}"
        );

        // A root tenant looser than the estate replaces its value.
        let (h, d) = resolve_files(estate(
            "  podSecurity: privileged\n  network: {isolation: none}\n",
            "",
            "",
            "",
        ));
        assert!(d.is_empty(), "{d:#?}");
        let ns = h.namespace("dev-a", "app-dev").unwrap();
        assert_eq!(ns.pod_security.value, PodSecurity::Privileged);
        assert_eq!(ns.isolation.value, Isolation::None);
        assert_eq!(
            ns.isolation.from.source,
            Source::Tenant("org".parse().unwrap())
        );

        // Only a root tenant does: below it the estate's value is what a
        // child keeps or tightens, whether or not a tenant repeats it.
        let (_, d) = resolve_files(estate("", "", "  network: {isolation: none}\n", ""));
        assert_eq!(codes(&d), ["loosened"]);
        assert!(
            d[0].message
                .contains("the estate default, which only a root tenant may replace"),
            "{}",
            d[0].message
        );
        let (h, d) = resolve_files(estate("", "", "  network: {isolation: namespace}\n", ""));
        assert!(d.is_empty(), "{d:#?}");
        let ns = h.namespace("dev-a", "app-dev").unwrap();
        assert_eq!(
            ns.isolation.from.source,
            Source::Tenant("team".parse().unwrap())
        );

        // Below it, values only tighten: a project looser than its tenant
        // is refused even where the tenant itself loosened the estate's.
        let (_, d) = resolve_files(estate(
            "  podSecurity: privileged\n",
            "  podSecurity: restricted\n",
            "",
            "  podSecurity: baseline\n",
        ));
        assert_eq!(codes(&d), ["loosened"]);
        assert_eq!(d[0].location.as_ref().unwrap().file, "app.yaml");
        assert_eq!(d[0].notes[0].location.as_ref().unwrap().file, "dept.yaml");
    }

    #[test]
    fn allow_lists_intersect_so_a_child_cannot_widen() {
        let (_, d) = resolve_files(estate(
            "  allowedClusters: [dev-a]\n",
            "",
            "  allowedClusters: [\"dev-*\"]\n",
            "",
        ));
        assert_eq!(codes(&d), ["not-allowed"]);
        assert!(
            d[0].message
                .contains("`dev-b` is not allowed by tenant `org`"),
            "{}",
            d[0].message
        );
    }

    #[test]
    fn a_tenant_without_budget_passes_its_subtree_up() {
        // dept has no budget: org counts team's budget through it.
        let (h, d) = resolve_files(estate(
            "  quota: {dev: {cpu: \"10\", memory: 64Gi}}\n",
            "",
            "  quota: {dev: {cpu: \"6\", memory: 8Gi}}\n",
            "",
        ));
        assert!(d.is_empty(), "{d:#?}");
        let org = &h.budgets[&("org".parse().unwrap(), "dev".parse().unwrap())];
        assert_eq!(org.resources["cpu"].allocated.to_string(), "6");
        let team = &h.budgets[&("team".parse().unwrap(), "dev".parse().unwrap())];
        // 2 cpu × 2 clusters.
        assert_eq!(team.resources["cpu"].allocated.to_string(), "4");

        let (_, d) = resolve_files(estate(
            "",
            "",
            "  quota: {dev: {cpu: \"3\", memory: 8Gi}}\n",
            "",
        ));
        assert_eq!(codes(&d), ["over-budget"]);
        // At the project's quota, with what is left per cluster and who
        // can raise the budget: nobody on this chain has owners.
        assert_eq!(
            d[0].message,
            "cpu 2 × 2 clusters is over budget: 3 cpu left in team's dev budget (3): \
             lower to ≤ 1500m per cluster, or ask the tenant's owners to raise it"
        );
        assert_eq!(d[0].location.as_ref().unwrap().file, "app.yaml");
        assert_eq!(d[0].notes[0].location.as_ref().unwrap().file, "team.yaml");
        // Owners as written when the estate maps none to GitHub.
        let (_, d) = resolve_files(estate(
            "  owners: [group:org-leads]\n",
            "",
            "  quota: {dev: {cpu: \"3\", memory: 8Gi}}\n",
            "",
        ));
        assert!(
            d[0].message.ends_with("or ask group:org-leads to raise it"),
            "{}",
            d[0].message
        );
    }

    #[test]
    fn missing_cost_center_is_a_warning() {
        let mut files = estate("", "", "", "");
        files[2] = ("org.yaml".into(), tenant("org", "  owners: [group:x]\n"));
        let (_, d) = resolve_files(files);
        assert_eq!(codes(&d), ["cost-center-missing"]);
        assert_eq!(d[0].severity, crate::diagnostic::Severity::Warning);
    }

    /// Split every file into its documents, then deal them into `files`
    /// files in the order given by `order`; projects get files of their own
    /// and the Estate stays in `kprov.yaml`, as their places require.
    fn reshuffle(
        sources: &[(String, String)],
        order: &[usize],
        files: usize,
    ) -> Vec<(String, String)> {
        let docs: Vec<String> = sources
            .iter()
            .flat_map(|(_, text)| {
                text.split("\n---\n")
                    .map(|d| d.trim_end().to_owned())
                    .collect::<Vec<_>>()
            })
            .collect();
        let mut out: Vec<(String, String)> = (0..files)
            .flat_map(|i| [format!("f{i}.yaml"), format!("projects/p{i}.yaml")])
            .chain(["kprov.yaml".to_owned()])
            .map(|path| (path, String::new()))
            .collect();
        for (n, &i) in order.iter().enumerate() {
            if let Some(doc) = docs.get(i % docs.len()) {
                let slot = if doc.contains("kind: Estate") {
                    out.len() - 1
                } else {
                    2 * (n % files) + usize::from(doc.contains("kind: Project"))
                };
                let file = &mut out[slot].1;
                file.push_str("---\n");
                file.push_str(doc);
                file.push('\n');
            }
        }
        out
    }

    /// The resolved values without source positions, which legitimately
    /// move when documents move.
    fn fingerprint(h: &Hierarchy) -> String {
        let mut v = serde_json::to_value(h).unwrap();
        fn strip(v: &mut serde_json::Value) {
            match v {
                serde_json::Value::Object(m) => {
                    m.remove("location");
                    m.values_mut().for_each(strip);
                }
                serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
                _ => {}
            }
        }
        strip(&mut v);
        v.to_string()
    }

    proptest::proptest! {
        #[test]
        fn resolution_does_not_depend_on_document_order(seed in proptest::collection::vec(0usize..1000, 8), files in 1usize..5) {
            let original = estate(
                "  owners: [group:admins]\n  labels: {a: b}\n  quota: {dev: {cpu: \"10\", memory: 64Gi}}\n",
                "  podSecurity: restricted\n",
                "  allowedClusters: [\"dev-*\"]\n",
                "  owners: [user:alice]\n",
            );
            let docs = original.len() + 1; // clusters.yaml holds two
            // A permutation of the documents derived from the seed.
            let mut order: Vec<usize> = (0..docs).collect();
            for (i, s) in seed.iter().enumerate().take(docs) {
                order.swap(i, s % docs);
            }
            let (expected, _) = resolve_files(original.clone());
            let (shuffled, _) = resolve_files(reshuffle(&original, &order, files));
            proptest::prop_assert_eq!(fingerprint(&expected), fingerprint(&shuffled));
        }
    }
}
