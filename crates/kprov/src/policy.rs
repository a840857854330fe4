//! Rego policies over the composed objects, with conftest's conventions,
//! evaluated in-process by [regorus](https://github.com/microsoft/regorus).
//!
//! Every `*.rego` file of the estate is one policy: `package main`, Rego v1
//! syntax, and any of the rules `deny` and `violation` (errors,
//! `policy-deny`) and `warn` (warnings, `policy-warn`), each a set of
//! messages — strings, or objects with a `msg` field as conftest accepts.
//! `input` is one rendered object; `data.kprov` is the context of the
//! namespace it lands in:
//!
//! ```text
//! data.kprov.cluster      the Cluster's spec plus `name`
//! data.kprov.namespace    the namespace name
//! data.kprov.project      the Project's spec plus `name`
//! data.kprov.environment  the project's entry in `spec.environments`
//! data.kprov.tenants      the tenant chain, root first, each spec plus `name`
//! ```
//!
//! A cluster-scoped object gets the namespace of the claim it came from; where
//! that cannot be told, only `cluster` (and `project`, `tenants` when the
//! project is known).
//!
//! Each policy is parsed and analysed once (and once more per worker thread).
//! Its syntax tree tells (`policy/guard.rs`) which objects each rule can
//! report on (a rule whose bodies all open with tests such as
//! `input.kind == "K"` only sees objects that pass one body's tests), which
//! parts of `input` it can read (only those parts of each object are
//! converted to Rego), and whether it names `data` at all. A policy that
//! does is cloned (cheaply: modules are shared) and given the context once
//! per namespace; one that does not is prepared once per thread. Either is
//! then evaluated on the namespace's objects its rules can see.
//! Namespaces are spread over threads and the results merged in order, so
//! the output does not depend on the thread count. Files are evaluated
//! separately so that every finding names the policy that made it.
//!
//! Policies are reviewed, but kprov runs on every pull request before review
//! ends, so a policy must not be able to hold up or exhaust the CI machine,
//! nor make findings that differ between runs:
//!
//! - At load, a policy is refused (`policy-nondeterministic`, at the call)
//!   when its syntax tree calls a builtin that reads the clock, randomness,
//!   the environment or the network, and (`policy-recursion`) when a
//!   function calls itself, which regorus would follow until the stack
//!   overflows.
//! - `numbers.range` and `numbers.range_step` make at most `MAX_RANGE`
//!   numbers per call. regorus builds the whole array inside one builtin
//!   call, where no other bound can stop it; this one is exact.
//! - Every other loop runs through regorus's interpreter, which checks an
//!   execution timer every few steps: one evaluation (a rule on an object)
//!   stops after `EVALUATION_TIME`, a policy after `POLICY_TIME` in all.
//!   A policy that hits a bound (`policy-limit`) is reported once and
//!   evaluated no further; the other policies are not affected.
//!
//! regorus 0.14.1 has no deterministic step count for its interpreter (its
//! instruction limit belongs to the RVM, a different evaluator), and its
//! memory limit needs the `allocator-memory-limits` feature, which makes
//! regorus's own mimalloc the process's global allocator: that clashes with
//! the allocator the CLI installs, and would count the whole process, not a
//! policy. So the work bound is a time bound, and memory is bounded through
//! it: outside the range builtins, what an evaluation allocates grows with
//! the steps it takes. A time bound is not deterministic, which is safe
//! here because it only ever turns a runaway into an error: a policy that
//! finishes within the bound gives the same findings on every run, and the
//! bounds are orders of magnitude above what a conftest rule over one
//! object takes, so only a runaway comes near them. What is reported for
//! a runaway does not depend on timing either: one error, at the rule (or
//! call) that hit the bound first in the file, and none of that policy's
//! findings, since which objects were evaluated before it stopped does.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::compose::Composed;
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::hierarchy::Hierarchy;
use crate::model::Model;

mod bounds;
mod data;
mod findings;
mod guard;
mod input;
mod load;
use bounds::{Failure, eval_bounded};
use data::{ContextKey, Contexts, empty_context};
use findings::{describe, finding, messages, regorus_error};
use input::Projection;
use load::{Policy, Rule, new_engine, parse_policies};

/// Evaluate every `*.rego` file of the estate against every composed object.
///
/// Returns the findings (`policy-deny` errors, `policy-warn` warnings) and
/// the problems of the policies themselves (`policy-syntax`,
/// `policy-package`, `policy-error`, `policy-limit`,
/// `policy-nondeterministic`, `policy-recursion`), sorted.
pub fn check(model: &Model, hierarchy: &Hierarchy, composed: &[Composed]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let policies = parse_policies(&model.files.policies, &mut out);
    if !policies.is_empty() {
        run(&policies, model, hierarchy, composed, &mut out);
    }
    crate::diagnostic::sort(&mut out);
    out
}

/// Errors raised while evaluating, reported once per policy and message.
#[derive(Default)]
struct RuntimeError {
    objects: usize,
    first: String,
}

/// What evaluating one context's objects found.
#[derive(Default)]
struct Outcome<'s> {
    /// Each with the policy that made it.
    findings: Vec<(&'s str, Diagnostic)>,
    /// The policies that hit a bound here: where, and the message.
    limits: Vec<(&'s str, Location, String)>,
    /// Per (policy, error text), in the order met.
    errors: Vec<((&'s str, String), RuntimeError)>,
}

impl<'s> Outcome<'s> {
    fn error(&mut self, policy: &'s str, text: String, objects: usize, first: String) {
        let key = (policy, text);
        match self.errors.iter_mut().find(|(k, _)| *k == key) {
            Some((_, e)) => e.objects += objects,
            None => self.errors.push((key, RuntimeError { objects, first })),
        }
    }
}

fn run(
    policies: &[Policy<'_>],
    model: &Model,
    hierarchy: &Hierarchy,
    composed: &[Composed],
    out: &mut Vec<Diagnostic>,
) {
    let needs_data = policies.iter().any(|p| p.reads_data);
    let input = Projection::of(policies);
    let contexts = Contexts::new(model, hierarchy, needs_data);
    // Only objects some rule admits are grouped: on a typical estate that
    // is a small part of them (see `guard`).
    let admitted: Vec<(ContextKey, &Composed)> = composed
        .par_iter()
        .filter(|o| {
            let admits = |rule: &Rule| rule.guard.admits(&o.object);
            policies.iter().any(|p| p.rules.iter().any(admits))
        })
        .map(|o| (contexts.key(o), o))
        .collect();
    let mut groups: BTreeMap<ContextKey, Vec<&Composed>> = BTreeMap::new();
    for (key, object) in admitted {
        groups.entry(key).or_default().push(object);
    }
    let groups: Vec<(ContextKey, Vec<&Composed>)> = groups.into_iter().collect();
    // Contexts are independent: workers take them in turn, and the results
    // are merged in context order, so the output never depends on threads.
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(groups.len())
        .max(1);
    let work = || {
        // Engines share their parsed modules through reference counts:
        // each worker parses its own, so threads never touch one counter.
        let engines: Vec<regorus::Engine> = policies
            .iter()
            .map(|p| {
                let mut engine = new_engine();
                match engine.add_policy(p.path.to_owned(), p.text.to_owned()) {
                    Ok(_) => engine,
                    Err(_) => p.engine.clone(),
                }
            })
            .collect();
        // A policy that never names `data` is prepared once and then only
        // given inputs; the others are cloned and given each context.
        let mut ready: Vec<Option<regorus::Engine>> = policies
            .iter()
            .zip(&engines)
            .map(|(policy, engine)| {
                let mut engine = engine.clone();
                (!policy.reads_data && engine.add_data(empty_context()).is_ok()).then_some(engine)
            })
            .collect();
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some((key, objects)) = groups.get(i) else {
                break done;
            };
            done.push((
                i,
                evaluate_context(
                    policies, &engines, &mut ready, &contexts, &input, key, objects,
                ),
            ));
        }
    };
    let mut outcomes: Vec<(usize, Outcome<'_>)> = if workers == 1 {
        work()
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers).map(|_| scope.spawn(work)).collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        })
    };
    outcomes.sort_by_key(|(i, _)| *i);
    // A policy that hit a bound is reported once, where it first did (in
    // source order, not in the order threads met it), and nothing else of
    // it is: which of its objects were evaluated before it stopped depends
    // on the threads.
    let mut limits: BTreeMap<&str, (Location, String)> = BTreeMap::new();
    for (_, outcome) in &outcomes {
        for (path, at, message) in &outcome.limits {
            let entry = limits
                .entry(path)
                .or_insert_with(|| (at.clone(), message.clone()));
            if (at.line, at.column) < (entry.0.line, entry.0.column) {
                *entry = (at.clone(), message.clone());
            }
        }
    }
    for (at, message) in limits.values() {
        out.push(Diagnostic::error(
            Code::PolicyLimit,
            Some(at.clone()),
            message.clone(),
        ));
    }
    let mut errors: BTreeMap<(&str, String), RuntimeError> = BTreeMap::new();
    for (_, outcome) in outcomes {
        out.extend(
            outcome
                .findings
                .into_iter()
                .filter(|(path, _)| !limits.contains_key(path))
                .map(|(_, d)| d),
        );
        for (key, error) in outcome.errors {
            if limits.contains_key(key.0) {
                continue;
            }
            let entry = errors.entry(key).or_default();
            if entry.first.is_empty() {
                entry.first = error.first;
            }
            entry.objects += error.objects;
        }
    }
    for ((path, text), error) in errors {
        let (at, message) = regorus_error(path, &text);
        let mut d = Diagnostic::error(
            Code::PolicyError,
            Some(at),
            format!("policy evaluation failed: {message}"),
        );
        if !error.first.is_empty() {
            let more = match error.objects {
                0 | 1 => String::new(),
                n => format!(" and {} more", n - 1),
            };
            d = d.with_note(None, format!("while evaluating {}{more}", error.first));
        }
        out.push(d);
    }
}

/// Evaluate every policy on the objects of one namespace context: each
/// policy's engine is cloned and given `data.kprov` once, then fed the
/// objects its rules can report on, one by one.
fn evaluate_context<'s>(
    policies: &[Policy<'s>],
    engines: &[regorus::Engine],
    ready: &mut [Option<regorus::Engine>],
    contexts: &Contexts<'_>,
    input: &Projection,
    key: &ContextKey,
    objects: &[&Composed],
) -> Outcome<'s> {
    let mut outcome = Outcome::default();
    let output = contexts.model.output_dir();
    // Converted on first use: most objects meet no rule at all.
    let mut inputs: Vec<Option<regorus::Value>> = vec![None; objects.len()];
    let mut data = None;
    for ((policy, engine), ready) in policies.iter().zip(engines).zip(ready) {
        if policy.stopped.load(Ordering::Relaxed) {
            continue;
        }
        let wanted = |i: usize, rule: &Rule| rule.guard.admits(&objects[i].object);
        let Some(first) = (0..objects.len()).find(|&i| policy.rules.iter().any(|r| wanted(i, r)))
        else {
            continue;
        };
        let mut given_context;
        let engine = match ready {
            Some(engine) => engine,
            None => {
                given_context = engine.clone();
                let data = data.get_or_insert_with(|| contexts.data(key));
                if let Err(e) = given_context.add_data(data.clone()) {
                    let first = describe(output, objects[first]);
                    outcome.error(policy.path, format!("{e:#}"), objects.len(), first);
                    continue;
                }
                &mut given_context
            }
        };
        'objects: for (i, object) in objects.iter().enumerate().skip(first) {
            let mut input_set = false;
            for rule in policy.rules.iter().filter(|r| wanted(i, r)) {
                if !input_set {
                    let value = inputs[i].get_or_insert_with(|| input.of_value(&object.object));
                    engine.set_input(value.clone());
                    input_set = true;
                }
                match eval_bounded(engine, rule, &policy.spent) {
                    Ok(value) => {
                        for message in messages(rule.name, &value) {
                            outcome.findings.push((
                                policy.path,
                                finding(
                                    policy,
                                    rule,
                                    contexts.model,
                                    key,
                                    output,
                                    object,
                                    &message,
                                ),
                            ));
                        }
                    }
                    Err(Failure::Error(text)) => {
                        outcome.error(policy.path, text, 1, describe(output, object));
                    }
                    Err(Failure::Limit(at, message)) => {
                        policy.stopped.store(true, Ordering::Relaxed);
                        outcome.limits.push((policy.path, at, message));
                        break 'objects;
                    }
                }
            }
        }
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::bounds::MAX_RANGE;
    use super::input::{Keys, rego_value};
    use super::load::{BOUND_HINT, range};
    use super::*;
    use crate::diagnostic::Severity;
    use crate::diagnostic::render_text;
    use crate::load::Sources;
    use serde_json::json;

    const ESTATE: &str = "apiVersion: kprov.dev/v1alpha1\nkind: Estate\nmetadata: {name: e}\nspec: {podSecurity: baseline}\n";
    const CLUSTERS: &str = "\
apiVersion: kprov.dev/v1alpha1
kind: Cluster
metadata: {name: dev-1}
spec: {environment: dev, kubevirt: true, storage: {default: fast, tiers: {fast: {storageClass: local-path, accessModes: [ReadWriteOnce]}}}}
---
apiVersion: kprov.dev/v1alpha1
kind: Cluster
metadata: {name: prod-1}
spec: {environment: prod, kubevirt: true, controlPlane: {etcdMembers: 3}, storage: {default: fast, tiers: {fast: {storageClass: local-path, accessModes: [ReadWriteOnce]}}}}
";
    const TENANT: &str = "apiVersion: kprov.dev/v1alpha1\nkind: Tenant\nmetadata: {name: team}\nspec: {costCenter: CC-1}\n";
    const PROJECT: &str = "\
apiVersion: kprov.dev/v1alpha1
kind: Project
metadata:
  name: shop
spec:
  tenant: team
  environments:
    - {name: dev, clusters: [dev-1], quota: {cpu: \"4\", memory: 8Gi}}
    - {name: prod, clusters: [prod-1], quota: {cpu: \"4\", memory: 8Gi}}
  volumes:
    - {name: data, size: 1Gi}
";

    fn check(policies: &[(&str, &str)]) -> Vec<Diagnostic> {
        let mut files: Vec<(String, String)> = vec![
            ("kprov.yaml".into(), ESTATE.into()),
            ("platform/clusters.yaml".into(), CLUSTERS.into()),
            ("platform/team.yaml".into(), TENANT.into()),
            ("projects/shop.yaml".into(), PROJECT.into()),
        ];
        files.extend(
            policies
                .iter()
                .map(|(p, t)| ((*p).to_owned(), (*t).to_owned())),
        );
        let sources = Sources::from_memory(files);
        let (model, hierarchy, composed) = stages(&sources);
        super::check(&model, &hierarchy, &composed)
    }

    /// Model, hierarchy and composition, which must succeed: the input of
    /// the policies (`crate::compile` runs them itself).
    fn stages(sources: &Sources) -> (Model, Hierarchy, Vec<Composed>) {
        let (model, mut d) = crate::model::build(sources);
        assert!(!crate::diagnostic::has_errors(&d), "{}", render_text(&d));
        let (hierarchy, more) = crate::hierarchy::build(&model);
        d.extend(more);
        assert!(!crate::diagnostic::has_errors(&d), "{}", render_text(&d));
        let (composed, more) = crate::compose::build(&model, &hierarchy);
        d.extend(more);
        assert!(!crate::diagnostic::has_errors(&d), "{}", render_text(&d));
        (model, hierarchy, composed)
    }

    const NO_PVC_IN_PROD: &str = "\
# PersistentVolumeClaims are not allowed in prod.
package main

deny contains msg if {
\tinput.kind == \"PersistentVolumeClaim\"
\tdata.kprov.environment.name == \"prod\"
\tmsg := sprintf(\"no volumes in prod (%s, tenant %s)\", [input.metadata.name, data.kprov.tenants[0].name])
}
";

    #[test]
    fn a_deny_is_an_error_at_the_project_with_a_note_at_the_rule() {
        let d = check(&[("policies/no-pvc.rego", NO_PVC_IN_PROD)]);
        assert_eq!(
            render_text(&d),
            "projects/shop.yaml:4:9: policy policies/no-pvc.rego: clusters/prod-1/apps/shop-prod.yaml: PersistentVolumeClaim/shop-prod/data: no volumes in prod (data, tenant team) [policy-deny]\n    policies/no-pvc.rego:4:1: rule `deny` of this policy\n1 error, 0 warnings\n"
        );
        assert_eq!(d[0].severity, Severity::Error);
    }

    #[test]
    fn warn_is_a_warning_and_messages_of_a_set_are_sorted() {
        let policy = "package main\n\nwarn contains {\"msg\": \"z: quota has no pods\"} if input.kind == \"ResourceQuota\"\n\nwarn contains \"a: quota seen\" if input.kind == \"ResourceQuota\"\n";
        let d = check(&[("policies/w.rego", policy)]);
        let text = render_text(&d);
        assert!(
            d.iter()
                .all(|d| d.severity == Severity::Warning && d.code == Code::PolicyWarn),
            "{text}"
        );
        assert_eq!(d.len(), 4, "{text}");
        assert!(text.starts_with("projects/shop.yaml:4:9: warning: policy policies/w.rego: clusters/dev-1/config/shop-dev.yaml: ResourceQuota/shop-dev/kprov-quota: a: quota seen [policy-warn]\n"), "{text}");
        assert!(
            text.contains("ResourceQuota/shop-dev/kprov-quota: z: quota has no pods [policy-warn]"),
            "{text}"
        );
    }

    #[test]
    fn violation_counts_as_deny_and_sees_cluster_scoped_objects_in_their_namespace() {
        let policy = "package main\n\nviolation contains msg if {\n  input.kind == \"Namespace\"\n  data.kprov.namespace == input.metadata.name\n  data.kprov.cluster.name == \"dev-1\"\n  msg := \"namespace seen\"\n}\n";
        let d = check(&[("policies/v.rego", policy)]);
        assert_eq!(
            render_text(&d),
            "projects/shop.yaml:4:9: policy policies/v.rego: clusters/dev-1/config/shop-dev.yaml: Namespace/shop-dev: namespace seen [policy-deny]\n    policies/v.rego:3:1: rule `violation` of this policy\n1 error, 0 warnings\n"
        );
    }

    #[test]
    fn a_complying_estate_produces_nothing() {
        let policy =
            "package main\n\ndeny contains \"lb\" if input.spec.type == \"LoadBalancer\"\n";
        assert_eq!(check(&[("policies/lb.rego", policy)]), []);
        assert_eq!(check(&[]), []);
    }

    #[test]
    fn a_syntax_error_is_located_in_the_policy() {
        let policy = "package main\n\ndeny contains msg if {\n  input.kind == \n}\n";
        let d = check(&[
            ("policies/bad.rego", policy),
            ("policies/lb.rego", NO_PVC_IN_PROD),
        ]);
        let syntax: Vec<_> = d.iter().filter(|d| d.code == Code::PolicySyntax).collect();
        assert_eq!(syntax.len(), 1, "{}", render_text(&d));
        let at = syntax[0].location.as_ref().unwrap();
        assert_eq!(
            (at.file.as_str(), at.line),
            ("policies/bad.rego", 5),
            "{}",
            render_text(&d)
        );
        assert!(!syntax[0].message.contains("-->"), "{}", syntax[0].message);
        eprintln!("{}", render_text(&d));
        // The other policy still runs.
        assert!(d.iter().any(|d| d.code == Code::PolicyDeny));
    }

    #[test]
    fn rego_v0_bodies_and_unknown_functions_are_reported_once() {
        let cases = [
            ("deny[msg] {\n  msg := \"x\"\n}\n", 3),
            (
                "deny contains msg if {\n  msg := no_such_function(input)\n}\n",
                4,
            ),
        ];
        for (body, line) in cases {
            let d = check(&[("p.rego", &format!("package main\n\n{body}"))]);
            assert_eq!(d.len(), 1, "{}", render_text(&d));
            assert_eq!(d[0].code, Code::PolicySyntax);
            assert_eq!(
                d[0].location.as_ref().unwrap().line,
                line,
                "{}",
                render_text(&d)
            );
            eprintln!("{}", render_text(&d));
        }
    }

    #[test]
    fn only_package_main_is_evaluated() {
        let d = check(&[(
            "policies/lib.rego",
            "# helpers\npackage lib.k8s\n\ndeny contains \"x\" if true\n",
        )]);
        assert_eq!(
            render_text(&d),
            "policies/lib.rego:2:1: policy declares `package lib.k8s`; kprov evaluates `package main` (conftest's default namespace) [policy-package]\n1 error, 0 warnings\n"
        );
    }

    #[test]
    fn a_policy_without_rules_is_a_warning() {
        let d = check(&[("p.rego", "package main\n\nallow if true\n")]);
        assert_eq!(d.len(), 1);
        assert_eq!(
            (d[0].code, d[0].severity),
            (Code::PolicyNoRules, Severity::Warning)
        );
    }

    #[test]
    fn runtime_errors_are_reported_once_per_policy() {
        // A complete rule with two values is a conflict at evaluation time.
        let policy = "package main\n\nx := 1 if input.kind\nx := 2 if input.kind\n\ndeny contains \"x\" if x == 1\n";
        let d = check(&[("p.rego", policy)]);
        let errors: Vec<_> = d.iter().filter(|d| d.code == Code::PolicyError).collect();
        assert_eq!(errors.len(), 1, "{}", render_text(&d));
        assert_eq!(errors[0].location.as_ref().unwrap().file, "p.rego");
        eprintln!("{}", render_text(&d));
    }

    #[test]
    fn context_has_every_key_for_namespaced_objects() {
        let policy = "package main\n\ndeny contains msg if {\n  input.kind == \"PersistentVolumeClaim\"\n  msg := sprintf(\"%s %s %s %s %s\", [data.kprov.cluster.name, data.kprov.namespace, data.kprov.project.name, data.kprov.environment.name, data.kprov.cluster.storage.default])\n}\n";
        let d = check(&[("p.rego", policy)]);
        let messages: Vec<&str> = d
            .iter()
            .map(|d| d.message.rsplit(": ").next().unwrap())
            .collect();
        assert_eq!(
            messages,
            [
                "dev-1 shop-dev shop dev fast",
                "prod-1 shop-prod shop prod fast"
            ]
        );
    }

    /// Policies reading `input` through constant keys (the projection keeps
    /// only those parts), computed indices, iteration, negation and missing
    /// keys, over objects whose keys are `a`, `b` and `c`.
    const PROJECTED: &[&str] = &[
        "deny contains sprintf(\"%v\", [input.a]) if input.a\n",
        "deny contains sprintf(\"%v\", [x]) if { x := input.a.b; not input.c }\n",
        "deny contains sprintf(\"%v\", [v]) if { some k, v in input.b; k != \"a\" }\n",
        "deny contains sprintf(\"%v %v\", [k, input.a[k]]) if { some k; input.a[k] }\n",
        "deny contains sprintf(\"%v\", [input.c[\"a\"].b]) if input.c[\"a\"].b\n",
        "deny contains sprintf(\"%v\", [count(input.a.c)]) if input.b.a == input.b.b\n",
        "deny contains \"x\" if { input.b.c[0] }\ndeny contains \"y\" if { not input.a.a.a }\n",
        "deny contains sprintf(\"%v\", [[x | some x in input.c.b]]) if true\n",
        "deny contains sprintf(\"%v %v\", [i, x]) if { some i; x := input.a[i].b }\n",
    ];

    proptest::proptest! {
        #[test]
        fn rego_value_is_what_regorus_deserializes(value in crate::test_support::json_value()) {
            let expected = <regorus::Value as serde::Deserialize>::deserialize(&value).unwrap();
            proptest::prop_assert_eq!(rego_value(&value), expected);
        }

        /// The claim the projection rests on: a policy finds the same with
        /// the projected input as with the whole object.
        #[test]
        fn a_projected_input_gives_every_policy_the_same_result(
            value in crate::test_support::json_value(),
        ) {
            for policy in PROJECTED {
                let mut engine = regorus::Engine::new();
                engine
                    .add_policy("p.rego".into(), format!("package main\n\n{policy}"))
                    .unwrap();
                let paths = guard::input_paths(&engine.get_modules()[0]);
                proptest::prop_assert!(paths.is_some(), "{}", policy);
                let projection = Projection::Parts(Keys::of(&paths.unwrap()));
                let mut results = Vec::new();
                for input in [rego_value(&value), projection.of_value(&value)] {
                    engine.set_input(input);
                    results.push(engine.eval_rule("data.main.deny".into()).map_err(|e| e.to_string()));
                }
                proptest::prop_assert_eq!(&results[0], &results[1], "{} on {}", policy, value);
            }
        }
    }

    #[test]
    fn the_projection_keeps_what_the_paths_name_and_nothing_else() {
        let object = json!({"kind": "Pod", "metadata": {"name": "p", "labels": {"a": "1", "b": "2"}},
            "spec": {"containers": [{"image": "x"}], "big": "…"}, "status": "s"});
        let path = |p: &[&str]| p.iter().map(|k| (*k).to_owned()).collect::<Vec<_>>();
        let projection = Projection::Parts(Keys::of(&[
            path(&["kind"]),
            path(&["metadata", "labels", "a"]),
            path(&["spec", "containers"]),
            path(&["spec", "containers", "image"]),
            path(&["status", "x"]),
            path(&["missing", "y"]),
        ]));
        let expected = json!({"kind": "Pod", "metadata": {"labels": {"a": "1"}},
            "spec": {"containers": [{"image": "x"}]}});
        assert_eq!(projection.of_value(&object), regorus::Value::from(expected));
        assert_eq!(Projection::Whole.of_value(&object), rego_value(&object));
    }

    #[test]
    fn a_huge_range_is_refused_at_the_call_before_anything_is_allocated() {
        let policy = "package main\n\ndeny contains msg if {\n  some i in numbers.range(1, 2000000000)\n  i < 0\n  msg := \"never\"\n}\n";
        let d = check(&[("p.rego", policy), ("policies/lb.rego", NO_PVC_IN_PROD)]);
        let limits: Vec<_> = d.iter().filter(|d| d.code == Code::PolicyLimit).collect();
        assert_eq!(limits.len(), 1, "{}", render_text(&d));
        let at = limits[0].location.as_ref().unwrap();
        // regorus places a call at its `(`.
        assert_eq!((at.file.as_str(), at.line, at.column), ("p.rego", 4, 26));
        assert!(
            limits[0]
                .message
                .contains("`numbers.range` would make 2000000000 numbers")
                && limits[0].message.contains(BOUND_HINT),
            "{}",
            limits[0].message
        );
        // The other policy is unaffected.
        assert!(
            d.iter().any(|d| d.code == Code::PolicyDeny),
            "{}",
            render_text(&d)
        );
    }

    #[test]
    fn bounded_ranges_compute_what_regorus_does() {
        let ints = |v: &[i64]| {
            v.iter()
                .map(|&n| regorus::Value::from(n))
                .collect::<Vec<_>>()
        };
        for (args, stepped) in [
            (vec![1, 5], false),
            (vec![5, 1], false),
            (vec![-3, -3], false),
            (vec![0, 10, 3], true),
            (vec![10, 0, 3], true),
            (vec![2, 2, 1], true),
        ] {
            let name = match stepped {
                true => "numbers.range_step",
                false => "numbers.range",
            };
            let mut engine = regorus::Engine::new();
            let call = format!(
                "{name}({})",
                args.iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let expected = engine.eval_query(call.clone(), false).unwrap();
            let expected = &expected.result[0].expressions[0].value;
            assert_eq!(&range(&ints(&args), stepped).unwrap(), expected, "{call}");
        }
        assert_eq!(
            range(&[regorus::Value::from(1.5), regorus::Value::from(3)], false).unwrap(),
            regorus::Value::Undefined
        );
        assert!(range(&ints(&[0, 1, 0]), true).is_err());
        assert!(range(&ints(&[0, i64::from(u32::MAX)]), false).is_err());
        assert_eq!(
            range(&ints(&[1, MAX_RANGE as i64]), false)
                .unwrap()
                .as_array()
                .unwrap()
                .len(),
            MAX_RANGE as usize
        );
    }

    #[test]
    fn a_runaway_loop_is_stopped_and_reported_once_at_its_rule() {
        // Ten billion iterations over every ResourceQuota: far past the
        // bound, which stops the first evaluation and so the policy.
        let policy = "package main\n\nwarn contains \"other\" if input.kind == \"Namespace\"\n\ndeny contains msg if {\n  input.kind == \"ResourceQuota\"\n  n := count([1 | some i in numbers.range(1, 100000); some j in numbers.range(1, 100000)])\n  msg := sprintf(\"%d\", [n])\n}\n";
        let d = check(&[("p.rego", policy), ("policies/lb.rego", NO_PVC_IN_PROD)]);
        let text = render_text(&d);
        let limits: Vec<_> = d.iter().filter(|d| d.code == Code::PolicyLimit).collect();
        assert_eq!(limits.len(), 1, "{text}");
        let at = limits[0].location.as_ref().unwrap();
        assert_eq!((at.file.as_str(), at.line, at.column), ("p.rego", 5, 1));
        assert!(limits[0].message.contains("ran too long"), "{text}");
        // Nothing else of that policy (its `warn` findings depend on which
        // objects were evaluated before it stopped); the other policy runs.
        assert!(!text.contains("policy p.rego:"), "{text}");
        assert!(d.iter().any(|d| d.code == Code::PolicyDeny), "{text}");
    }

    #[test]
    fn a_runaway_without_input_is_caught_before_any_object() {
        let policy = "package main\n\ndeny contains msg if {\n  n := count([1 | some i in numbers.range(1, 100000); some j in numbers.range(1, 100000)])\n  msg := sprintf(\"%d\", [n])\n}\n";
        let d = check(&[("p.rego", policy)]);
        assert_eq!(d.len(), 1, "{}", render_text(&d));
        assert_eq!(d[0].code, Code::PolicyLimit);
    }

    #[test]
    fn nondeterministic_builtins_are_refused_by_name_at_the_call() {
        let cases = [
            ("x := rand.intn(\"k\", 10)", "rand.intn", "randomness"),
            ("x := time.now_ns()", "time.now_ns", "the clock"),
            ("x := uuid.rfc4122(\"k\")", "uuid.rfc4122", "randomness"),
            ("x := opa.runtime().env", "opa.runtime", "the environment"),
            (
                "x := http.send({\"method\": \"get\", \"url\": \"http://a\"})",
                "http.send",
                "the network",
            ),
            (
                "x := net.lookup_ip_addr(\"a\")",
                "net.lookup_ip_addr",
                "the network (DNS)",
            ),
        ];
        for (statement, name, reads) in cases {
            let policy = format!(
                "package main\n\ndeny contains msg if {{\n  {statement}\n  msg := sprintf(\"%v\", [x])\n}}\n"
            );
            let d = check(&[("p.rego", &policy)]);
            assert_eq!(d.len(), 1, "{}", render_text(&d));
            assert_eq!(d[0].code, Code::PolicyNondeterministic);
            let at = d[0].location.as_ref().unwrap();
            assert_eq!((at.line, at.column), (4, 8), "{}", render_text(&d));
            assert!(
                d[0].message
                    .contains(&format!("`{name}`, which reads {reads}")),
                "{}",
                d[0].message
            );
        }
    }

    #[test]
    fn names_in_comments_strings_and_own_functions_are_not_calls() {
        let policy = "package main\n\n# rand.intn(\"x\", 3) and time.now_ns() are refused\nrand.pick(x) := x\n\ndeny contains msg if {\n  input.kind == \"PersistentVolumeClaim\"\n  msg := sprintf(\"rand.intn(%v) time.now_ns() %v\", [rand.pick(1), input.metadata.name])\n}\n";
        let d = check(&[("p.rego", policy)]);
        assert!(
            d.iter().all(|d| d.code == Code::PolicyDeny),
            "{}",
            render_text(&d)
        );
        assert_eq!(d.len(), 2, "{}", render_text(&d));
    }

    #[test]
    fn recursive_functions_are_refused_before_evaluation() {
        for (functions, name, line) in [
            ("f(x) := y if { y := f(x + 1) }\n", "f", 3),
            (
                "f(x) := g(x)\ng(x) := h(x)\nh(x) := data.main.f(x)\n",
                "f",
                3,
            ),
        ] {
            let policy = format!(
                "package main\n\n{functions}\ndeny contains msg if {{ msg := sprintf(\"%v\", [f(1)]) }}\n"
            );
            let d = check(&[("p.rego", &policy)]);
            assert_eq!(d.len(), 1, "{}", render_text(&d));
            assert_eq!(d[0].code, Code::PolicyRecursion);
            assert!(
                d[0].message
                    .contains(&format!("function `{name}` calls itself"))
            );
            assert_eq!(d[0].location.as_ref().unwrap().line, line);
        }
        // Functions calling each other without a cycle are fine.
        let policy = "package main\n\nf(x) := g(x) + g(x)\ng(x) := x + 1\n\ndeny contains msg if { input.kind == \"Namespace\"; msg := sprintf(\"%v\", [f(1)]) }\n";
        let d = check(&[("p.rego", policy)]);
        assert!(
            d.iter().all(|d| d.code == Code::PolicyDeny),
            "{}",
            render_text(&d)
        );
    }

    fn estate_dir(relative: &str) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(relative)
    }

    /// Evaluate the policies of an estate on disk, with timings.
    fn check_dir(dir: &std::path::Path) -> Vec<Diagnostic> {
        let sources = crate::read_estate(dir).unwrap();
        let started = std::time::Instant::now();
        let (model, hierarchy, composed) = stages(&sources);
        let compose_time = started.elapsed();
        let started = std::time::Instant::now();
        let d = super::check(&model, &hierarchy, &composed);
        eprintln!(
            "{}: {} objects, {} namespaces, {} policies: compose {compose_time:?}, policies {:?}",
            dir.display(),
            composed.len(),
            hierarchy.namespaces.len(),
            sources
                .files
                .iter()
                .filter(|f| f.path.ends_with(".rego"))
                .count(),
            started.elapsed()
        );
        d
    }

    #[test]
    fn the_example_estate_passes_its_policies() {
        let d = check_dir(&estate_dir("fixtures/acme"));
        assert_eq!(d, [], "{}", render_text(&d));
    }

    #[test]
    fn each_example_policy_refuses_its_fixture() {
        let lb = check_dir(&estate_dir(
            "fixtures/invalid/policy-no-loadbalancer-outside-prod",
        ));
        assert_eq!(
            render_text(&lb),
            "projects/shop.yaml:6:9: policy policies/no-loadbalancer-outside-prod.rego: clusters/dev-1/apps/shop-dev.yaml: Service/shop-dev/storefront: Service storefront is of type LoadBalancer in environment dev; only prod may expose LoadBalancers, use ClusterIP and the ingress [policy-deny]\n    policies/no-loadbalancer-outside-prod.rego:4:1: rule `deny` of this policy\n1 error, 0 warnings\n"
        );
        let vm = check_dir(&estate_dir(
            "fixtures/invalid/policy-vm-images-from-trusted-sources",
        ));
        assert_eq!(
            render_text(&vm),
            "projects/shop.yaml:6:9: policy policies/vm-images-from-trusted-sources.rego: clusters/dev-1/apps/shop-dev.yaml: VirtualMachine/shop-dev/billing: VirtualMachine billing imports disk billing-root from {\"registry\":{\"url\":\"docker://quay.io/someone/rhel9:latest\"}}; VM images come from docker://registry.acme.example/, https://images.acme.example/ or a PVC in namespace vm-images [policy-deny]\n    policies/vm-images-from-trusted-sources.rego:20:1: rule `deny` of this policy\n1 error, 0 warnings\n"
        );
    }
}
