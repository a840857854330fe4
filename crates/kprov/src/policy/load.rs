//! Reading policies: each `*.rego` file parsed with regorus (Rego v1,
//! `package main`), its rules found, refused when it calls a builtin that
//! reads the clock, randomness, environment or network, or a function that
//! calls itself, and analysed once without input so a broken policy is
//! reported once. Its engine carries kprov's bounded `numbers.range`.

use super::bounds::{EVALUATION_TIME, Failure, MAX_RANGE, eval_bounded, timer};
use super::data::empty_context;
use super::findings::{keyword_location, regorus_error};
use super::guard;
use crate::diagnostic::{Code, Diagnostic, Location, Severity};
use crate::load::SourceFile;
use std::sync::atomic::{AtomicBool, AtomicU64};

/// The rules kprov queries in each policy, as conftest does.
pub(super) const RULES: [(&str, Severity); 3] = [
    ("deny", Severity::Error),
    ("violation", Severity::Error),
    ("warn", Severity::Warning),
];

/// The package every policy must declare.
pub(super) const PACKAGE: &str = "main";

/// One policy file, parsed.
pub(super) struct Policy<'s> {
    /// Path relative to the estate root.
    pub(super) path: &'s str,
    /// Its text.
    pub(super) text: &'s str,
    /// An engine holding just this policy, not yet given any data.
    pub(super) engine: regorus::Engine,
    /// The conftest rules it declares: query path, severity, and where the
    /// rule is written.
    pub(super) rules: Vec<Rule>,
    /// Whether it names `data` anywhere, so needs each namespace's context.
    pub(super) reads_data: bool,
    /// The parts of `input` it reads ([`guard::input_paths`]); `None`: any.
    pub(super) input: Option<Vec<Vec<String>>>,
    /// Evaluation time spent so far, over all threads, in nanoseconds.
    pub(super) spent: AtomicU64,
    /// Set once it has hit a bound: it is evaluated no further.
    pub(super) stopped: AtomicBool,
}

pub(super) struct Rule {
    pub(super) name: &'static str,
    pub(super) query: String,
    pub(super) severity: Severity,
    pub(super) at: Location,
    /// The objects it can report on.
    pub(super) guard: guard::Guard,
}

/// Parse every `.rego` file, reporting syntax errors and wrong packages.
pub(super) fn parse_policies<'s>(
    files: &'s [SourceFile],
    out: &mut Vec<Diagnostic>,
) -> Vec<Policy<'s>> {
    let mut policies = Vec::new();
    for file in files {
        let mut engine = new_engine();
        let package = match engine.add_policy(file.path.clone(), file.text.clone()) {
            Ok(package) => package,
            Err(e) => {
                let (at, mut message) = regorus_error(&file.path, &e);
                if message.contains("`if` keyword") || message.contains("`contains` keyword") {
                    message.push_str(" (kprov reads Rego v1, like OPA 1.0 and conftest: `deny contains msg if { … }`)");
                }
                out.push(Diagnostic::error(Code::PolicySyntax, Some(at), message));
                continue;
            }
        };
        if package != format!("data.{PACKAGE}") {
            let shown = package.strip_prefix("data.").unwrap_or(&package);
            out.push(Diagnostic::error(
                Code::PolicyPackage,
                Some(keyword_location(&file.path, &file.text, "package")),
                format!(
                    "policy declares `package {shown}`; kprov evaluates `package {PACKAGE}` (conftest's default namespace)"
                ),
            ));
            continue;
        }
        // The engine holds this one file: its only module.
        let (reads_data, input) = match engine.get_modules().as_slice() {
            [module] => (guard::reads_data(module), guard::input_paths(module)),
            _ => (true, None),
        };
        if let Some(refused) = refuse(&file.path, engine.get_modules()) {
            out.extend(refused);
            continue;
        }
        let declared: Vec<(&'static str, Severity)> = RULES
            .iter()
            .copied()
            .filter(|(name, _)| {
                engine
                    .has_declared_rule_rooted_at(&file.path, name)
                    .unwrap_or(false)
            })
            .collect();
        let rules: Vec<Rule> = declared
            .into_iter()
            .map(|(name, severity)| Rule {
                name,
                query: format!("data.{PACKAGE}.{name}"),
                severity,
                at: keyword_location(&file.path, &file.text, name),
                guard: match engine.get_modules().as_slice() {
                    [module] => guard::guard(module, name),
                    _ => guard::Guard::Every,
                },
            })
            .collect();
        if rules.is_empty() {
            out.push(Diagnostic::warning(
                Code::PolicyNoRules,
                Some(keyword_location(&file.path, &file.text, "package")),
                "policy declares none of the rules `deny`, `violation` or `warn`, so it never reports anything",
            ));
            continue;
        }
        // Analysis (unsafe variables, unknown functions, conflicting rules)
        // runs on first evaluation: do it now, without input, so that such a
        // policy is reported once as broken rather than once per object.
        // It runs within the policy's bounds, and its time counts.
        let spent = AtomicU64::new(0);
        let mut probe = engine.clone();
        if let Err(e) = probe.add_data(empty_context()) {
            let (at, message) = regorus_error(&file.path, &e);
            out.push(Diagnostic::error(Code::PolicySyntax, Some(at), message));
            continue;
        }
        let checked = rules
            .iter()
            .try_for_each(|rule| eval_bounded(&mut probe, rule, &spent).map(drop));
        match checked {
            Ok(()) => {}
            Err(Failure::Error(text)) => {
                let (at, message) = regorus_error(&file.path, &text);
                out.push(Diagnostic::error(Code::PolicySyntax, Some(at), message));
                continue;
            }
            Err(Failure::Limit(at, message)) => {
                out.push(Diagnostic::error(Code::PolicyLimit, Some(at), message));
                continue;
            }
        }
        policies.push(Policy {
            path: &file.path,
            text: &file.text,
            engine,
            rules,
            reads_data,
            input,
            spent,
            stopped: AtomicBool::new(false),
        });
    }
    policies
}

/// Refuse a policy whose syntax shows it cannot be evaluated safely: one
/// that calls a builtin reading the clock, randomness, the environment or
/// the network (its findings would differ between runs), or a function
/// that calls itself (which regorus would follow until the stack
/// overflows).
pub(super) fn refuse(
    path: &str,
    modules: &[regorus::unstable::Ref<regorus::unstable::Module>],
) -> Option<Vec<Diagnostic>> {
    let [module] = modules else {
        return None;
    };
    let at = |call: &guard::Call| Location::in_file(path, call.line.max(1), call.column.max(1));
    let mut out: Vec<Diagnostic> = guard::forbidden_calls(module)
        .iter()
        .map(|call| {
            Diagnostic::error(
                Code::PolicyNondeterministic,
                Some(at(call)),
                format!(
                    "policy calls `{}`, which reads {}; kprov's findings must be the same on every run and machine, so policies may not read it (pass what the policy needs as data in the estate instead)",
                    call.name, call.reads
                ),
            )
        })
        .collect();
    if let Some(call) = guard::recursive_function(module) {
        out.push(Diagnostic::error(
            Code::PolicyRecursion,
            Some(at(&call)),
            format!(
                "function `{}` calls itself; Rego does not allow recursion (OPA refuses it too), and evaluating it would never end: compute the result without the function calling itself",
                call.name
            ),
        ));
    }
    (!out.is_empty()).then_some(out)
}

/// An engine for one policy, before the policy is added: every evaluation
/// on it is stopped after [`EVALUATION_TIME`], and `numbers.range` and
/// `numbers.range_step` refuse to make more than [`MAX_RANGE`] numbers.
pub(super) fn new_engine() -> regorus::Engine {
    let mut engine = regorus::Engine::new();
    engine.set_execution_timer_config(timer(EVALUATION_TIME));
    // regorus looks a call up among extensions before its builtins, so
    // these stand in for its own. Adding them to a fresh engine cannot
    // clash with anything.
    let _ = engine.add_extension("numbers.range".into(), 2, boxed(|args| range(&args, false)));
    let _ = engine.add_extension(
        "numbers.range_step".into(),
        3,
        boxed(|args| range(&args, true)),
    );
    engine
}

/// `f` as a regorus extension, its error converted to regorus's own.
pub(super) fn boxed(
    f: impl Fn(Vec<regorus::Value>) -> Result<regorus::Value, RangeError>
    + Clone
    + Send
    + Sync
    + 'static,
) -> Box<dyn regorus::Extension> {
    pub(super) fn extension<F: regorus::Extension + 'static>(f: F) -> Box<dyn regorus::Extension> {
        Box::new(f)
    }
    extension(move |args: Vec<regorus::Value>| f(args).map_err(Into::into))
}

/// Why a bounded `numbers.range` refused to run.
#[derive(Debug, thiserror::Error)]
pub(super) enum RangeError {
    #[error(
        "`{name}` would make {count} numbers; kprov lets one call make at most {MAX_RANGE}, so that a policy cannot exhaust memory ({BOUND_HINT})"
    )]
    TooLarge { name: &'static str, count: u128 },
    #[error("`numbers.range_step` takes a step that is a positive integer")]
    Step,
    #[error("`{name}` takes numbers, not {found}")]
    NotNumber { name: &'static str, found: String },
}

/// What the messages of every bound end with: what to do about it. Also how
/// a bound's error is told from other errors after regorus has wrapped it.
pub(super) const BOUND_HINT: &str = "iterate over the object's own fields, or over less";

/// `numbers.range(a, b)`, or `numbers.range_step(a, b, step)` when
/// `stepped`, as regorus and OPA compute them — every integer from `a` to
/// `b` (both included, counting down when `b < a`), `step` apart — after
/// checking that the result is at most [`MAX_RANGE`] numbers. A bound that
/// is not an integer makes the result undefined, as regorus's builtin does.
pub(super) fn range(args: &[regorus::Value], stepped: bool) -> Result<regorus::Value, RangeError> {
    let name = match stepped {
        true => "numbers.range_step",
        false => "numbers.range",
    };
    if let Some(arg) = args
        .iter()
        .find(|a| !matches!(a, regorus::Value::Number(_)))
    {
        return Err(RangeError::NotNumber {
            name,
            found: arg.to_string(),
        });
    }
    let int = |v: Option<&regorus::Value>| v.and_then(|v| v.as_i64().ok());
    let (Some(from), Some(to)) = (int(args.first()), int(args.get(1))) else {
        return Ok(regorus::Value::Undefined);
    };
    let step = match stepped {
        true => match int(args.get(2)) {
            Some(step) if step > 0 => step.unsigned_abs(),
            _ => return Err(RangeError::Step),
        },
        false => 1,
    };
    let span = from.abs_diff(to);
    let count = u128::from(span / step) + 1;
    if count > u128::from(MAX_RANGE) {
        return Err(RangeError::TooLarge { name, count });
    }
    let down = to < from;
    let items: Vec<regorus::Value> = (0..count as u64)
        .map(|i| {
            let offset = i128::from(i) * i128::from(step);
            let n = match down {
                true => i128::from(from) - offset,
                false => i128::from(from) + offset,
            };
            // Between `from` and `to`, so an i64.
            regorus::Value::from(n as i64)
        })
        .collect();
    Ok(regorus::Value::from(items))
}
