//! What a policy's syntax tells before anything is evaluated: which objects
//! each conftest rule can report on ([`guard`]), whether the policy reads
//! `data` at all ([`reads_data`]), and which parts of `input` it can read
//! ([`input_paths`]). One walker over the syntax tree ([`Visitor`]) serves
//! the last two.
//!
//! Nearly every conftest policy opens each rule body with tests of the
//! object against constants — `input.kind == "RoleBinding"`, then perhaps
//! `input.roleRef.name == "cluster-admin"` or `input.kind in {"Deployment",
//! "Job"}`. Rego evaluates a body's statements in order and stops at the
//! first that fails (OPA does; regorus schedules a statement that binds no
//! variable where it is written), and such a test binds nothing and cannot
//! fail with an error. So an object that fails one of a body's leading tests
//! gets nothing from that body and has nothing else evaluated. kprov checks
//! those tests itself and hands a rule only the objects that pass all the
//! leading tests of at least one of its bodies. On a typical estate most
//! objects are RoleBindings and NetworkPolicies, no policy reports on most
//! of them, and a regorus call costs microseconds of fixed set-up, so this
//! is most of the policy stage.
//!
//! The analysis recognises only what it can prove and answers
//! [`Guard::Every`] for anything else: a `default`, an `else`, a function
//! of that name, a body that does not open with a test, a `with` on a test,
//! a head that is not the plain rule name. A wrong "every" costs time; a
//! wrong narrowing would hide a finding, so tests are never guessed.
//!
//! It reads regorus's syntax tree through `regorus::unstable`, which may
//! change between regorus releases; Cargo.lock pins the version and the
//! tests below pin the behaviour.

use std::collections::BTreeSet;

use regorus::unstable::{BoolOp, Expr, Literal, Module, Query, Ref, Rule, RuleAssign, RuleHead};
use serde_json::Value;

/// The objects a rule may report on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Guard {
    /// Any object: some body of the rule does not open with a test.
    Every,
    /// Only objects that pass every test of at least one of these bodies.
    Bodies(Vec<Vec<Test>>),
}

/// One test a rule body opens with: the object's value at `path` (keys
/// from the top) is one of the strings `values`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Test {
    path: Vec<String>,
    values: BTreeSet<String>,
}

impl Test {
    /// Whether `object` passes, as Rego's `==` or `in` would tell: a missing
    /// key, a non-object on the way or a non-string at the end fails.
    fn passes(&self, object: &Value) -> bool {
        let mut at = object;
        for key in &self.path {
            match crate::yaml::field(at, key) {
                Some(child) => at = child,
                None => return false,
            }
        }
        at.as_str().is_some_and(|s| self.values.contains(s))
    }
}

impl Guard {
    /// Whether the rule must be evaluated on `object`.
    pub(super) fn admits(&self, object: &Value) -> bool {
        match self {
            Guard::Every => true,
            Guard::Bodies(bodies) => bodies
                .iter()
                .any(|tests| tests.iter().all(|test| test.passes(object))),
        }
    }
}

/// The objects the rule `name` of `module` (package `main`) can report on.
pub(super) fn guard(module: &Module, name: &str) -> Guard {
    let mut guarded = Vec::new();
    for rule in &module.policy {
        match &**rule {
            Rule::Default { refr, .. } => {
                if root(refr).is_none_or(|r| r == name || r == "data") {
                    return Guard::Every;
                }
            }
            Rule::Spec { head, bodies, .. } => {
                let (refr, plain) = match head {
                    RuleHead::Set { refr, .. } | RuleHead::Compr { refr, .. } => (refr, true),
                    RuleHead::Func { refr, .. } => (refr, false),
                };
                match root(refr) {
                    Some(r) if r == name || r == "data" => {}
                    Some(_) => continue,
                    None => return Guard::Every,
                }
                if !plain || var_name(refr) != Some(name) || bodies.is_empty() {
                    return Guard::Every;
                }
                for body in bodies {
                    match leading_tests(&body.query) {
                        tests if tests.is_empty() => return Guard::Every,
                        tests => guarded.push(tests),
                    }
                }
            }
        }
    }
    match guarded.is_empty() {
        true => Guard::Every,
        false => Guard::Bodies(guarded),
    }
}

/// The tests a query opens with: statements, without `with`, of the form
/// `input.a.b == "s"` (either way round) or `input.a.b in {…}` over string
/// literals, up to the first statement that is not one.
fn leading_tests(query: &Query) -> Vec<Test> {
    query
        .stmts
        .iter()
        .map_while(|stmt| {
            if !stmt.with_mods.is_empty() {
                return None;
            }
            let Literal::Expr { expr, .. } = &stmt.literal else {
                return None;
            };
            test(expr)
        })
        .collect()
}

/// `expr` as a [`Test`], when it is one.
fn test(expr: &Expr) -> Option<Test> {
    match expr {
        Expr::BoolExpr {
            op: BoolOp::Eq,
            lhs,
            rhs,
            ..
        } => {
            let (path, value) = match (input_path(lhs), input_path(rhs)) {
                (Some(path), None) => (path, string(rhs)?),
                (None, Some(path)) => (path, string(lhs)?),
                _ => return None,
            };
            Some(Test {
                path,
                values: BTreeSet::from([value]),
            })
        }
        Expr::Membership {
            key: None,
            value,
            collection,
            ..
        } => {
            let path = input_path(value)?;
            let values = match &**collection {
                Expr::Set { items, .. } | Expr::Array { items, .. } => items
                    .iter()
                    .map(|item| string(item))
                    .collect::<Option<_>>()?,
                _ => return None,
            };
            Some(Test { path, values })
        }
        _ => None,
    }
}

/// The keys of a reference from `input` whose every key is a string
/// constant (`input.kind`, `input.metadata["name"]`); at least one.
fn input_path(expr: &Expr) -> Option<Vec<String>> {
    let chain = Chain::of(expr);
    if var_name(chain.root) != Some("input") || chain.keys.is_empty() {
        return None;
    }
    chain.keys.into_iter().collect()
}

/// A reference chain such as `input.spec.containers[i].image`.
struct Chain<'e> {
    /// What it starts from (`input`).
    root: &'e Expr,
    /// Its keys, first to last; `None` for one that is not a string
    /// constant (`[i]`).
    keys: Vec<Option<String>>,
    /// The indices that are not string constants, as expressions.
    computed: Vec<&'e Expr>,
}

impl<'e> Chain<'e> {
    fn of(expr: &'e Expr) -> Chain<'e> {
        let (mut keys, mut computed) = (Vec::new(), Vec::new());
        let mut at = expr;
        loop {
            match at {
                Expr::RefDot { refr, field, .. } => {
                    keys.push(field.1.as_string().ok().map(|f| f.to_string()));
                    at = refr;
                }
                Expr::RefBrack { refr, index, .. } => {
                    let key = string(index);
                    if key.is_none() {
                        computed.push(&**index);
                    }
                    keys.push(key);
                    at = refr;
                }
                _ => break,
            }
        }
        keys.reverse();
        Chain {
            root: at,
            keys,
            computed,
        }
    }
}

/// A string literal's value.
fn string(expr: &Expr) -> Option<String> {
    match expr {
        Expr::String { value, .. } | Expr::RawString { value, .. } => {
            value.as_string().ok().map(|s| s.to_string())
        }
        _ => None,
    }
}

/// The name of a bare variable.
fn var_name(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Var { value, .. } => value.as_string().ok().map(|s| &**s),
        _ => None,
    }
}

/// The variable a reference starts from: `deny` for `deny`, `a` for `a.b[c]`.
fn root(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Var { .. } => var_name(expr),
        Expr::RefDot { refr, .. } | Expr::RefBrack { refr, .. } => root(refr),
        _ => None,
    }
}

/// Whether anything in `module` names `data` — the only way to reach
/// `data.kprov`. A policy that does not is evaluated by one engine per
/// thread for every namespace, instead of being given each namespace's
/// context (which makes regorus analyse the policy again).
pub(super) fn reads_data(module: &Module) -> bool {
    struct DataFinder {
        found: bool,
    }
    impl Visitor for DataFinder {
        fn import(&mut self, _: &Expr) {}
        fn with(&mut self) {}
        fn expr(&mut self, expr: &Expr) -> bool {
            self.found |= var_name(expr) == Some("data");
            true
        }
        fn unknown(&mut self) {
            // Anything newer: assume it might.
            self.found = true;
        }
    }
    let mut finder = DataFinder { found: false };
    walk_module(&mut finder, module);
    finder.found
}

/// The parts of `input` that `module` can read, when it reads `input` only
/// through references with constant string keys (`input.kind`,
/// `input.metadata.labels["team"]`): each as a path of keys, under which the
/// whole subtree is readable (`input.spec.containers[i]` reads
/// `spec.containers`). `None` when it may read more: `input` on its own
/// (passed to a function, compared, iterated, bound to a variable), an
/// import of `input`, any `with` modifier, or an expression kind this walker
/// does not know. Converting whole objects to Rego was a large part of the
/// policy stage (docs/performance.md).
pub(super) fn input_paths(module: &Module) -> Option<Vec<Vec<String>>> {
    struct InputReads {
        paths: Vec<Vec<String>>,
        whole: bool,
    }
    impl Visitor for InputReads {
        fn import(&mut self, refr: &Expr) {
            self.whole |= root(refr) == Some("input");
        }
        fn with(&mut self) {
            self.whole = true;
        }
        fn expr(&mut self, expr: &Expr) -> bool {
            if root(expr) != Some("input") {
                return true;
            }
            let chain = Chain::of(expr);
            // A computed index is itself an expression to read.
            for index in chain.computed {
                walk_expr(self, index);
            }
            let path: Vec<String> = chain.keys.into_iter().map_while(|key| key).collect();
            self.whole |= path.is_empty();
            self.paths.push(path);
            false
        }
        fn unknown(&mut self) {
            self.whole = true;
        }
    }
    let mut reads = InputReads {
        paths: Vec::new(),
        whole: false,
    };
    walk_module(&mut reads, module);
    if reads.whole {
        return None;
    }
    reads.paths.sort();
    reads.paths.dedup();
    Some(reads.paths)
}

/// Builtins whose result depends on the clock, randomness, the environment
/// or the network, with what each reads. kprov's output and findings must be
/// the same on every run and every machine; regorus compiles some of these
/// in whatever its features, and the rest a later feature change could
/// bring in, so the syntax decides, not the build.
const FORBIDDEN: &[(&str, &str)] = &[
    ("rand.intn", "randomness"),
    ("time.now_ns", "the clock"),
    ("uuid.rfc4122", "randomness"),
    ("opa.runtime", "the environment"),
    ("http.send", "the network"),
    ("net.lookup_ip_addr", "the network (DNS)"),
    ("test.sleep", "the clock"),
];

/// A call found in a policy, where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Call {
    /// The function as written and resolved: `rand.intn`.
    pub(super) name: String,
    /// What it reads, for the message.
    pub(super) reads: &'static str,
    pub(super) line: u32,
    pub(super) column: u32,
}

/// Every call in `module` of a builtin that reads the clock, randomness,
/// the environment or the network ([`FORBIDDEN`]), in source order. Only
/// calls count: a name in a comment or a string is not a call, and
/// `with time.now_ns as 1` (which replaces the builtin) calls nothing. A
/// function the policy defines under the same name is its own, not the
/// builtin.
pub(super) fn forbidden_calls(module: &Module) -> Vec<Call> {
    struct Finder {
        defined: BTreeSet<String>,
        found: Vec<Call>,
    }
    impl Visitor for Finder {
        fn import(&mut self, _: &Expr) {}
        fn with(&mut self) {}
        fn expr(&mut self, expr: &Expr) -> bool {
            if let Expr::Call { fcn, .. } = expr
                && let Some(name) = dotted(fcn)
                && !self.defined.contains(&name)
                && let Some((_, reads)) = FORBIDDEN.iter().find(|(f, _)| *f == name)
            {
                // At the name's start: a call's span starts at its `(`,
                // a dotted name's at its last `.`.
                let span = Chain::of(fcn).root.span();
                self.found.push(Call {
                    name,
                    reads,
                    line: span.line,
                    column: span.col,
                });
            }
            true
        }
        fn unknown(&mut self) {}
    }
    let mut finder = Finder {
        defined: functions(module)
            .into_iter()
            .map(|(name, _)| name)
            .collect(),
        found: Vec::new(),
    };
    walk_module(&mut finder, module);
    finder.found
}

/// A function of `module` that calls itself, directly or through other
/// functions of the module, and where it is defined. Rego forbids
/// recursion (OPA refuses it when compiling); regorus catches a rule that
/// depends on itself while evaluating, but a function that calls itself
/// recurses until the thread's stack overflows, which aborts the process.
pub(super) fn recursive_function(module: &Module) -> Option<Call> {
    let defined = functions(module);
    let names: BTreeSet<&str> = defined.iter().map(|(n, _)| n.as_str()).collect();
    // Calls from each function's heads and bodies to the module's functions.
    let mut calls: std::collections::BTreeMap<&str, BTreeSet<String>> = Default::default();
    struct Calls<'n> {
        names: &'n BTreeSet<&'n str>,
        found: BTreeSet<String>,
    }
    impl Visitor for Calls<'_> {
        fn import(&mut self, _: &Expr) {}
        fn with(&mut self) {}
        fn expr(&mut self, expr: &Expr) -> bool {
            if let Expr::Call { fcn, .. } = expr
                && let Some(name) = dotted(fcn)
            {
                let local = name.strip_prefix("data.main.").unwrap_or(&name);
                if self.names.contains(local) {
                    self.found.insert(local.to_owned());
                }
            }
            true
        }
        fn unknown(&mut self) {}
    }
    for rule in &module.policy {
        let Rule::Spec {
            head: RuleHead::Func {
                refr, args, assign, ..
            },
            bodies,
            ..
        } = &**rule
        else {
            continue;
        };
        let Some(name) = dotted(refr) else { continue };
        let Some(name) = names.get(name.as_str()).copied() else {
            continue;
        };
        let mut v = Calls {
            names: &names,
            found: BTreeSet::new(),
        };
        args.iter().for_each(|a| walk_expr(&mut v, a));
        walk_assign(&mut v, assign.as_ref());
        for body in bodies {
            walk_assign(&mut v, body.assign.as_ref());
            walk_query(&mut v, &body.query);
        }
        calls.entry(name).or_default().extend(v.found);
    }
    // A function is recursive when it is reachable from what it calls.
    defined.iter().find_map(|(name, (line, column))| {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<&str> = calls
            .get(name.as_str())
            .map(|c| c.iter().map(String::as_str).collect())
            .unwrap_or_default();
        while let Some(next) = stack.pop() {
            if next == name {
                return Some(Call {
                    name: name.clone(),
                    reads: "",
                    line: *line,
                    column: *column,
                });
            }
            if seen.insert(next)
                && let Some(more) = calls.get(next)
            {
                stack.extend(more.iter().map(String::as_str));
            }
        }
        None
    })
}

/// The functions `module` defines, by dotted name, each with where its
/// first definition starts.
fn functions(module: &Module) -> Vec<(String, (u32, u32))> {
    let mut out: Vec<(String, (u32, u32))> = Vec::new();
    for rule in &module.policy {
        if let Rule::Spec {
            head: RuleHead::Func { refr, .. },
            ..
        } = &**rule
            && let Some(name) = dotted(refr)
            && !out.iter().any(|(n, _)| *n == name)
        {
            let span = Chain::of(refr).root.span();
            out.push((name, (span.line, span.col)));
        }
    }
    out
}

/// A reference of plain names as written: `rand.intn` for `rand.intn`,
/// `None` for one with a computed or bracketed part.
fn dotted(expr: &Expr) -> Option<String> {
    let chain = Chain::of(expr);
    if !chain.computed.is_empty() {
        return None;
    }
    let mut name = var_name(chain.root)?.to_owned();
    for key in chain.keys {
        name.push('.');
        name.push_str(&key?);
    }
    Some(name)
}

/// What a walk over a policy's syntax tree reports to.
trait Visitor {
    /// The reference an `import` names (then walked as an expression).
    fn import(&mut self, refr: &Expr);
    /// A `with` modifier (its target and value are walked as expressions).
    fn with(&mut self);
    /// An expression; `false` skips its subexpressions.
    fn expr(&mut self, expr: &Expr) -> bool;
    /// An expression kind this walker does not know (a later regorus).
    fn unknown(&mut self);
}

/// Every node of `module`: imports, rule heads and bodies, `with`
/// modifiers, comprehensions, `every`.
fn walk_module(v: &mut impl Visitor, module: &Module) {
    for import in &module.imports {
        v.import(&import.refr);
        walk_expr(v, &import.refr);
    }
    for rule in &module.policy {
        match &**rule {
            Rule::Default {
                refr, args, value, ..
            } => {
                walk_expr(v, refr);
                args.iter().for_each(|a| walk_expr(v, a));
                walk_expr(v, value);
            }
            Rule::Spec { head, bodies, .. } => {
                match head {
                    RuleHead::Compr { refr, assign, .. } => {
                        walk_expr(v, refr);
                        walk_assign(v, assign.as_ref());
                    }
                    RuleHead::Set { refr, key, .. } => {
                        walk_expr(v, refr);
                        key.iter().for_each(|k| walk_expr(v, k));
                    }
                    RuleHead::Func {
                        refr, args, assign, ..
                    } => {
                        walk_expr(v, refr);
                        args.iter().for_each(|a| walk_expr(v, a));
                        walk_assign(v, assign.as_ref());
                    }
                }
                for body in bodies {
                    walk_assign(v, body.assign.as_ref());
                    walk_query(v, &body.query);
                }
            }
        }
    }
}

fn walk_assign(v: &mut impl Visitor, assign: Option<&RuleAssign>) {
    if let Some(a) = assign {
        walk_expr(v, &a.value);
    }
}

fn walk_query(v: &mut impl Visitor, query: &Query) {
    for stmt in &query.stmts {
        for w in &stmt.with_mods {
            v.with();
            walk_expr(v, &w.refr);
            walk_expr(v, &w.r#as);
        }
        match &stmt.literal {
            Literal::SomeVars { .. } => {}
            Literal::SomeIn {
                key,
                value,
                collection,
                ..
            } => walk_membership(v, key.as_ref(), value, collection),
            Literal::Expr { expr, .. } | Literal::NotExpr { expr, .. } => walk_expr(v, expr),
            Literal::Every { domain, query, .. } => {
                walk_expr(v, domain);
                walk_query(v, query);
            }
        }
    }
}

/// `key, value in collection`, as a `some` or an expression.
fn walk_membership(v: &mut impl Visitor, key: Option<&Ref<Expr>>, value: &Expr, collection: &Expr) {
    key.iter().for_each(|k| walk_expr(v, k));
    walk_expr(v, value);
    walk_expr(v, collection);
}

fn walk_expr(v: &mut impl Visitor, expr: &Expr) {
    if !v.expr(expr) {
        return;
    }
    #[allow(unreachable_patterns)] // variants behind regorus features kprov does not enable
    match expr {
        Expr::Var { .. }
        | Expr::String { .. }
        | Expr::RawString { .. }
        | Expr::Number { .. }
        | Expr::Bool { .. }
        | Expr::Null { .. } => {}
        Expr::Array { items, .. } | Expr::Set { items, .. } => {
            items.iter().for_each(|e| walk_expr(v, e));
        }
        Expr::Object { fields, .. } => fields.iter().for_each(|(_, key, value)| {
            walk_expr(v, key);
            walk_expr(v, value);
        }),
        Expr::ArrayCompr { term, query, .. } | Expr::SetCompr { term, query, .. } => {
            walk_expr(v, term);
            walk_query(v, query);
        }
        Expr::ObjectCompr {
            key, value, query, ..
        } => {
            walk_expr(v, key);
            walk_expr(v, value);
            walk_query(v, query);
        }
        Expr::Call { fcn, params, .. } => {
            walk_expr(v, fcn);
            params.iter().for_each(|p| walk_expr(v, p));
        }
        Expr::UnaryExpr { expr, .. } => walk_expr(v, expr),
        Expr::RefDot { refr, .. } => walk_expr(v, refr),
        Expr::RefBrack { refr, index, .. } => {
            walk_expr(v, refr);
            walk_expr(v, index);
        }
        Expr::BinExpr { lhs, rhs, .. }
        | Expr::BoolExpr { lhs, rhs, .. }
        | Expr::ArithExpr { lhs, rhs, .. }
        | Expr::AssignExpr { lhs, rhs, .. } => {
            walk_expr(v, lhs);
            walk_expr(v, rhs);
        }
        Expr::Membership {
            key,
            value,
            collection,
            ..
        } => walk_membership(v, key.as_ref(), value, collection),
        _ => v.unknown(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An engine holding `policy` as `package main`.
    fn engine(policy: &str) -> regorus::Engine {
        let mut engine = regorus::Engine::new();
        engine
            .add_policy("p.rego".into(), format!("package main\n\n{policy}"))
            .unwrap();
        engine
    }

    /// The guard of `rule`, written `kind=Pod,Service & spec.type=X | …`:
    /// bodies joined by `|`, a body's tests by `&`; `None` for every object.
    fn analyse(policy: &str, rule: &str) -> Option<String> {
        match guard(&engine(policy).get_modules()[0], rule) {
            Guard::Every => None,
            Guard::Bodies(bodies) => Some(
                bodies
                    .iter()
                    .map(|tests| {
                        tests
                            .iter()
                            .map(|t| {
                                let values: Vec<&str> =
                                    t.values.iter().map(String::as_str).collect();
                                format!("{}={}", t.path.join("."), values.join(","))
                            })
                            .collect::<Vec<_>>()
                            .join(" & ")
                    })
                    .collect::<Vec<_>>()
                    .join(" | "),
            ),
        }
    }

    /// Each case: a policy, the guard the analysis must find for `deny`.
    const CASES: &[(&str, Option<&str>)] = &[
        (
            "deny contains msg if {\n  input.kind == \"Namespace\"\n  msg := \"ns\"\n}\n\
             deny contains msg if {\n  \"RoleBinding\" == input[\"kind\"]\n  msg := \"rb\"\n}\n",
            Some("kind=Namespace | kind=RoleBinding"),
        ),
        (
            "deny contains \"x\" if input.kind in {\"Service\", \"Deployment\"}\n",
            Some("kind=Deployment,Service"),
        ),
        ("deny if {\n  input.kind == `Pod`\n}\n", Some("kind=Pod")),
        // Every leading test counts, on any constant path; the first
        // statement that is not a test ends them.
        (
            "deny contains msg if {\n  input.kind == \"RoleBinding\"\n  input.roleRef.name == \"cluster-admin\"\n  \
             msg := input.metadata.name\n  input.metadata.namespace == \"x\"\n}\n",
            Some("kind=RoleBinding & roleRef.name=cluster-admin"),
        ),
        (
            "deny contains \"a\" if {\n  input.spec[\"type\"] in [\"LoadBalancer\", \"NodePort\"]\n  input.kind == \"Service\"\n}\n",
            Some("spec.type=LoadBalancer,NodePort & kind=Service"),
        ),
        // A second body without a test admits everything.
        (
            "deny contains \"a\" if input.kind == \"Pod\"\ndeny contains \"b\" if input.spec\n",
            None,
        ),
        // The first statement is not a test.
        (
            "deny contains \"a\" if {\n  input.metadata\n  input.kind == \"Pod\"\n}\n",
            None,
        ),
        (
            "default deny := true\ndeny if input.kind == \"Pod\"\n",
            None,
        ),
        (
            "deny := \"a\" if input.kind == \"Pod\" else := \"b\"\n",
            None,
        ),
        (
            "deny contains \"a\" if input.kind == \"Pod\" with input as {\"kind\": \"Pod\"}\n",
            None,
        ),
        ("deny contains \"a\" if input.kind != \"Pod\"\n", None),
        (
            "deny contains \"a\" if input.kind == input.apiVersion\n",
            None,
        ),
        (
            "deny contains \"a\" if input.kind == data.kprov.kind\n",
            None,
        ),
        ("deny contains \"a\" if not input.kind == \"Pod\"\n", None),
        ("deny contains \"a\" if input.kind in {\"Pod\", 3}\n", None),
        ("deny contains \"a\" if input.kind == 3\n", None),
        ("deny contains \"a\" if input == \"Pod\"\n", None),
        ("deny contains \"a\" if input.spec[x] == \"Pod\"\n", None),
        (
            "deny contains \"a\" if kind == \"Pod\"\nkind := \"Pod\"\n",
            None,
        ),
        // A head that is a reference into the rule, not its name.
        ("deny.extra := 1 if input.kind == \"Pod\"\n", None),
        // Rules of other names do not matter.
        (
            "deny contains \"a\" if {\n  input.kind == \"Pod\"\n  helper\n}\nhelper if true\nwarn contains \"w\" if true\n",
            Some("kind=Pod"),
        ),
    ];

    #[test]
    fn only_rules_whose_every_body_opens_with_a_test_are_narrowed() {
        for (policy, expected) in CASES {
            assert_eq!(analyse(policy, "deny").as_deref(), *expected, "{policy}");
        }
    }

    /// The claim the analysis rests on, checked with regorus itself: a rule
    /// never reports on an object its guard does not admit.
    #[test]
    fn a_rule_reports_nothing_on_the_objects_it_does_not_admit() {
        let mut objects = Vec::new();
        for kind in ["Pod", "Service", "Deployment", "Namespace", "RoleBinding"] {
            for role in [
                serde_json::json!("cluster-admin"),
                serde_json::json!("view"),
                serde_json::json!(1),
            ] {
                for kind in [serde_json::json!(kind), serde_json::json!(["Pod"])] {
                    objects.push(serde_json::json!({
                        "kind": kind, "apiVersion": "v1",
                        "metadata": {"name": "x", "namespace": "x"},
                        "roleRef": {"name": role},
                        "spec": {"type": "LoadBalancer"},
                    }));
                }
            }
            objects.push(serde_json::json!({"kind": kind, "roleRef": "cluster-admin", "spec": []}));
        }
        objects.push(serde_json::json!({"metadata": {"name": "x"}}));
        let mut narrowed = 0;
        for (policy, _) in CASES {
            let mut engine = engine(policy);
            let guard = guard(&engine.get_modules()[0], "deny");
            for object in &objects {
                engine.set_input(regorus::Value::from(object.clone()));
                let Ok(value) = engine.eval_rule("data.main.deny".into()) else {
                    // kprov refuses such a policy before evaluating it.
                    assert_eq!(guard, Guard::Every, "{policy}");
                    continue;
                };
                let reported = !matches!(
                    &value,
                    regorus::Value::Undefined | regorus::Value::Bool(false)
                ) && value != regorus::Value::new_set();
                narrowed += usize::from(!guard.admits(object));
                assert!(
                    guard.admits(object) || !reported,
                    "{policy}: {object} is not admitted but the rule gives {value}"
                );
            }
        }
        assert!(narrowed > 0, "no case narrows: the test proves nothing");
    }

    #[test]
    fn data_is_found_wherever_it_is_named() {
        let reads = |policy: &str| reads_data(&engine(policy).get_modules()[0]);
        for policy in [
            "deny contains \"x\" if data.kprov.namespace == \"a\"\n",
            "import data.kprov\n\ndeny contains \"x\" if kprov.namespace\n",
            "deny contains msg if {\n  some c in data.kprov.tenants\n  msg := c.name\n}\n",
            "deny contains msg if {\n  every t in input.spec { t != data.kprov.namespace }\n  msg := \"x\"\n}\n",
            "deny contains msg if {\n  msg := [x | x := data.kprov.cluster.name]\n}\n",
            "deny contains msg if {\n  msg := sprintf(\"%v\", [{\"k\": data}])\n}\n",
            "deny contains \"x\" if input.kind == data.kprov.kind\n",
            "f(x) := data.kprov.cluster if x\ndeny contains \"x\" if f(true)\n",
            "deny contains \"x\" if not input[data.kprov.namespace]\n",
        ] {
            assert!(reads(policy), "{policy}");
        }
        for policy in [
            "deny contains \"x\" if input.kind == \"Pod\"\n",
            "deny contains msg if {\n  some c in input.spec.containers\n  msg := sprintf(\"%s\", [c.name])\n}\n",
            "deny contains \"x\" if { input.metadata.name in {\"a\", \"b\"} }\n",
        ] {
            assert!(!reads(policy), "{policy}");
        }
    }

    #[test]
    fn input_is_read_through_the_paths_found_or_whole() {
        let paths = |policy: &str| {
            input_paths(&engine(policy).get_modules()[0])
                .map(|paths| paths.iter().map(|p| p.join(".")).collect::<Vec<_>>())
        };
        let cases: &[(&str, Option<&[&str]>)] = &[
            (
                "deny contains msg if {\n  input.kind == \"Namespace\"\n  not input.metadata.labels[\"kprov.dev/tenant\"]\n  msg := input.metadata.name\n}\n",
                Some(&["kind", "metadata.labels.kprov.dev/tenant", "metadata.name"]),
            ),
            // A computed index reads the whole subtree before it, and is read.
            (
                "deny contains \"x\" if input.spec.containers[i].image == input.spec.default\n",
                Some(&["spec.containers", "spec.default"]),
            ),
            ("deny contains \"x\" if input.items[0]\n", Some(&["items"])),
            (
                "deny contains \"x\" if { some c in input.spec.containers; c.privileged }\n",
                Some(&["spec.containers"]),
            ),
            (
                "deny contains x if { x := [k | some k, _ in input.metadata.labels] }\n",
                Some(&["metadata.labels"]),
            ),
            (
                "deny contains \"x\" if { every t in input.a { t != input.b[input.c] } }\n",
                Some(&["a", "b", "c"]),
            ),
            ("deny contains \"x\" if data.kprov.namespace\n", Some(&[])),
            // Whole: bare input, a function of it, an import, `with`.
            ("deny contains \"x\" if count(input) > 3\n", None),
            ("deny contains \"x\" if input == {}\n", None),
            ("deny contains \"x\" if { x := input; x.kind }\n", None),
            (
                "deny contains \"x\" if { some k, _ in input; k == \"a\" }\n",
                None,
            ),
            (
                "deny contains \"x\" if object.get(input, \"kind\", 1)\n",
                None,
            ),
            (
                "import input.metadata as m\n\ndeny contains \"x\" if m.name\n",
                None,
            ),
            (
                "deny contains \"x\" if input.kind with input as {\"kind\": 1}\n",
                None,
            ),
            ("f(x) := x.kind\n\ndeny contains \"x\" if f(input)\n", None),
        ];
        for (policy, expected) in cases {
            let expected = expected.map(|e| e.iter().map(|p| (*p).to_owned()).collect());
            assert_eq!(paths(policy), expected, "{policy}");
        }
    }

    #[test]
    fn a_test_passes_only_a_string_it_names_at_its_path() {
        let test = Test {
            path: vec!["roleRef".into(), "name".into()],
            values: BTreeSet::from(["cluster-admin".to_owned()]),
        };
        let passes = |object: Value| test.passes(&object);
        assert!(passes(
            serde_json::json!({"roleRef": {"name": "cluster-admin"}})
        ));
        assert!(!passes(serde_json::json!({"roleRef": {"name": "view"}})));
        assert!(!passes(
            serde_json::json!({"roleRef": {"name": ["cluster-admin"]}})
        ));
        assert!(!passes(serde_json::json!({"roleRef": ["cluster-admin"]})));
        assert!(!passes(serde_json::json!({"roleRef": "cluster-admin"})));
        assert!(!passes(serde_json::json!({"kind": "RoleBinding"})));
        assert!(Guard::Every.admits(&serde_json::json!(null)));
    }
}
