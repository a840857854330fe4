//! `kprov test`: golden tests kept next to a composition
//! (`<composition dir>/tests/<case>/claim.yaml` → `expected.yaml`).
//!
//! `claim.yaml` holds the claim and, optionally, the rest of the template
//! context; anything left out gets a small default, and a template that needs
//! more fails with a strict-undefined error that says what is missing:
//!
//! ```yaml
//! claim: {name: orders, spec: {version: "16"}}   # kind: the composition's
//! namespace: checkout-prod                        # default: test
//! environment: {name: prod}                       # default: {name: test}
//! cluster: {name: c, storage: {tiers: {…}}}       # default: {name: test}
//! project: {name: checkout}                       # default: {name: test}
//! tenants: [{name: payments}]                     # default: []
//! ```

use serde_json::{Value, json};

use super::{Compositions, Prepared, force_namespace};
use crate::emit;
use crate::model::Name;
use crate::yaml;

/// The files of one test case, as read from disk.
#[derive(Debug, Clone)]
pub struct CaseFiles {
    /// The case directory, relative to the estate root.
    pub dir: String,
    /// Contents of `claim.yaml`.
    pub claim: String,
    /// Contents of `expected.yaml`, if it exists.
    pub expected: Option<String>,
}

/// What one case produced.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The case directory.
    pub dir: String,
    /// The composition under test.
    pub composition: Name,
    /// The rendered YAML stream, or why there is none.
    pub actual: Result<String, String>,
}

impl Compositions {
    /// The composition defined in `file` (relative to the estate root).
    pub fn defined_in(&self, file: &str) -> Vec<Name> {
        self.by_name
            .values()
            .filter(|p| p.file == file)
            .map(|p| p.name.clone())
            .collect()
    }

    /// Run one golden case against composition `name`.
    pub fn run_case(&self, name: &Name, case: &CaseFiles) -> Outcome {
        let actual = match self.by_name.get(name) {
            Some(prepared) => self.render_case(prepared, &case.claim),
            None => Err(format!("no composition `{name}`")),
        };
        Outcome {
            dir: case.dir.clone(),
            composition: name.clone(),
            actual,
        }
    }

    fn render_case(&self, prepared: &Prepared, claim_text: &str) -> Result<String, String> {
        let stream = yaml::parse_stream(claim_text, yaml::Limits::default());
        if let Some(e) = stream.errors.first() {
            return Err(format!("claim.yaml:{}: {}", e.pos, e.message));
        }
        let Some(Value::Object(mut input)) = stream.documents.into_iter().next().map(|d| d.value)
        else {
            return Err("claim.yaml: expected a mapping with a `claim` key".into());
        };
        const KEYS: [&str; 6] = [
            "claim",
            "namespace",
            "environment",
            "cluster",
            "project",
            "tenants",
        ];
        if let Some(unknown) = input.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(format!(
                "claim.yaml: unknown key `{unknown}`; expected {}",
                KEYS.join(", ")
            ));
        }
        let Some(Value::Object(mut claim)) = input.remove("claim") else {
            return Err("claim.yaml: `claim` must be a mapping with `name` and `spec`".into());
        };
        let kind = prepared.spec.kind.clone();
        claim
            .entry("kind")
            .or_insert_with(|| Value::String(kind.clone()));
        claim.entry("name").or_insert_with(|| json!("test"));
        let mut spec = claim.remove("spec").unwrap_or_else(|| json!({}));
        let problems = self.prepare_claim(&kind, &mut spec);
        if !problems.is_empty() {
            let lines: Vec<String> = problems
                .iter()
                .map(|(p, m)| format!("claim.spec{p}: {m}"))
                .collect();
            return Err(lines.join("\n"));
        }
        claim.insert("spec".into(), spec);
        let namespace = input.remove("namespace").unwrap_or_else(|| json!("test"));
        let mut take = |key: &str, default: Value| input.remove(key).unwrap_or(default);
        let mut context = super::engine::Context::new();
        let value = super::engine::template_value;
        context.insert("claim", value(Value::Object(claim)));
        context.insert("namespace", value(namespace.clone()));
        let environment = take("environment", json!({"name": "test"}));
        context.insert("environment", value(environment));
        context.insert("cluster", value(take("cluster", json!({"name": "test"}))));
        context.insert("project", value(take("project", json!({"name": "test"}))));
        context.insert("tenants", value(take("tenants", json!([]))));
        let mut objects = self.run(prepared, context).map_err(|e| match e.at {
            Some((file, line)) => format!("{file}:{line}: {}", e.message),
            None => e.message,
        })?;
        let namespace = namespace.as_str().unwrap_or("test").to_owned();
        let cluster_scoped = prepared.builtin || self.cluster_scoped(&kind);
        for object in &mut objects {
            let text = |p: &str| {
                object
                    .pointer(p)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            let (kind, name) = (text("/kind"), text("/metadata/name"));
            let Some(map) = object.as_object_mut() else {
                return Err("a composed document is not a mapping".into());
            };
            force_namespace(map, &kind, &name, &namespace, cluster_scoped)?;
        }
        let refs: Vec<&Value> = objects.iter().collect();
        Ok(emit::stream(&refs))
    }
}
