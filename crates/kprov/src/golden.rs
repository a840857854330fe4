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
//!
//! The command is a top-level module because it uses the stages in an
//! order of its own: the model and the compositions, then emission of each
//! case's objects, without a hierarchy in between. Reading the cases is
//! `load`'s, writing `expected.yaml` is `output`'s; this module decides what
//! each case's result is and how it reads.

use serde_json::{Value, json};

use crate::compose::Compositions;
use crate::diagnostic::{Code, Diagnostic};
use crate::load::CaseFiles;
use crate::model::{Model, Name};
use crate::{emit, yaml};

/// How to run the cases.
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct Config {
    /// Accept what each composition renders now as its expected output.
    pub update: bool,
    /// The compositions are not part of an estate (a directory of them,
    /// like kprov's own built-ins): the estate-level checks do not apply.
    pub standalone: bool,
}

/// What became of one case.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// Rendered exactly `expected.yaml`.
    Passed,
    /// With [`Config::update`]: `expected.yaml` should now hold this text.
    Update(String),
    /// Rendered something else than `expected.yaml` (empty when missing).
    Differs {
        /// `expected.yaml` as read.
        expected: String,
        /// What the composition rendered.
        actual: String,
    },
    /// Could not render at all: why.
    Failed(String),
}

/// One case run against one composition.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CaseResult {
    /// The case directory, relative to the estate root.
    pub dir: String,
    /// The composition under test.
    pub composition: Name,
    /// The outcome.
    pub verdict: Verdict,
}

impl CaseResult {
    /// Where the case's expected output lives, relative to the estate root.
    pub fn expected_path(&self) -> String {
        format!("{}/expected.yaml", self.dir)
    }

    /// Whether the case counts as passed.
    pub fn passed(&self) -> bool {
        matches!(self.verdict, Verdict::Passed | Verdict::Update(_))
    }
}

/// Prepare the estate's compositions for testing. A standalone directory of
/// compositions has no Estate and may override built-ins freely, so those
/// two diagnostics do not apply to it.
pub fn build(
    model: &Model,
    mut diagnostics: Vec<Diagnostic>,
    config: Config,
) -> (Compositions, Vec<Diagnostic>) {
    let compositions = Compositions::prepare(model, &mut diagnostics);
    if config.standalone {
        diagnostics.retain(|d| !matches!(d.code, Code::NoEstate | Code::BuiltinOverridden));
    }
    (compositions, diagnostics)
}

/// Run every case against each composition defined in its file.
pub fn run(
    compositions: &Compositions,
    cases: &[(String, CaseFiles)],
    config: Config,
) -> Vec<CaseResult> {
    let mut results = Vec::new();
    for (file, case) in cases {
        for name in compositions.defined_in(file) {
            let verdict = match compositions.run_case(&name, &case.claim) {
                Err(message) => Verdict::Failed(message),
                Ok(actual) if case.expected.as_deref() == Some(actual.as_str()) => Verdict::Passed,
                Ok(actual) if config.update => Verdict::Update(actual),
                Ok(actual) => Verdict::Differs {
                    expected: case.expected.clone().unwrap_or_default(),
                    actual,
                },
            };
            results.push(CaseResult {
                dir: case.dir.clone(),
                composition: name,
                verdict,
            });
        }
    }
    results
}

/// The report of a run, as `kprov test` prints it; `diff` renders the
/// unified diff of a case that differs (the caller knows whether it may
/// colour it).
pub fn render_text(results: &[CaseResult], diff: impl Fn(&str, &str, &str) -> String) -> String {
    let mut out = String::new();
    for result in results {
        let (dir, name) = (&result.dir, &result.composition);
        match &result.verdict {
            Verdict::Passed => out.push_str(&format!("ok    {dir} ({name})\n")),
            Verdict::Update(_) => out.push_str(&format!("wrote {dir}/expected.yaml ({name})\n")),
            Verdict::Failed(message) => out.push_str(&format!(
                "FAIL  {dir} ({name})\n      {}\n",
                message.replace('\n', "\n      ")
            )),
            Verdict::Differs { expected, actual } => {
                out.push_str(&format!("FAIL  {dir} ({name})\n"));
                out.push_str(&diff(expected, actual, &result.expected_path()));
            }
        }
    }
    let passed = results.iter().filter(|r| r.passed()).count();
    let failed = results.len() - passed;
    out.push_str(&format!("{passed} passed, {failed} failed\n"));
    // `--update` accepts what rendered; a case that failed to render has
    // nothing to accept, and suggesting it there sends people in circles.
    if results
        .iter()
        .any(|r| matches!(r.verdict, Verdict::Differs { .. }))
    {
        out.push_str(
            "(run `kprov test --update` to accept the rendered output of the cases that differ)\n",
        );
    }
    if results
        .iter()
        .any(|r| matches!(r.verdict, Verdict::Failed(_)))
    {
        out.push_str("(a case that failed to render needs its template or claim.yaml fixed; `--update` cannot accept it)\n");
    }
    out
}

impl Compositions {
    /// Render one golden case's claim with composition `name`: the YAML
    /// stream of its objects, or why there is none.
    pub(crate) fn run_case(&self, name: &Name, claim_text: &str) -> Result<String, String> {
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
        let Some(Value::Object(claim)) = input.remove("claim") else {
            return Err("claim.yaml: `claim` must be a mapping with `name` and `spec`".into());
        };
        let namespace = input.remove("namespace").unwrap_or_else(|| json!("test"));
        let mut take = |key: &str, default: Value| input.remove(key).unwrap_or(default);
        let context = [
            ("environment", take("environment", json!({"name": "test"}))),
            ("cluster", take("cluster", json!({"name": "test"}))),
            ("project", take("project", json!({"name": "test"}))),
            ("tenants", take("tenants", json!([]))),
        ];
        let objects = self.render_claim(name, claim, namespace, context)?;
        let refs: Vec<&Value> = objects.iter().collect();
        Ok(emit::stream(&refs))
    }
}
