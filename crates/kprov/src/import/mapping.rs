//! The mapping file of `kprov import --mapping`: which project, tenant,
//! environment and clusters each domain goes to, by a glob on its name.
//! Rules are tried in order and the first that matches wins, as in a
//! firewall or a CODEOWNERS file, so a catch-all goes last. Read with
//! kprov's own YAML reader, so every mistake is reported at file:line.

use serde_json::Value;

use crate::diagnostic::{Code, Diagnostic, Location};
use crate::model::{Glob, Name, Subject};
use crate::yaml::{self, Document};

/// The most a mapping file may hold: it is a few rules.
pub const MAX_BYTES: usize = 1 << 20;

const KEYS: [&str; 7] = [
    "match",
    "tenant",
    "project",
    "environment",
    "clusters",
    "tier",
    "owners",
];

/// One rule: the domains whose name matches go to one project.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Glob on the libvirt domain name (not the VM name it becomes).
    pub pattern: Glob,
    /// Tenant of a new project.
    pub tenant: Name,
    /// Project the domains go into.
    pub project: Name,
    /// Environment they run in.
    pub environment: Name,
    /// Clusters of that environment; the VMs run on each.
    pub clusters: Vec<Name>,
    /// Storage tier of the disks CDI copies; the cluster's default if none.
    pub tier: Option<Name>,
    /// Owners of a new project.
    pub owners: Vec<Subject>,
    /// 1-based line of the rule, for the report.
    pub line: u32,
}

/// The rules of a mapping file, in order.
#[derive(Debug, Clone, Default)]
pub struct Mapping {
    /// Tried in order.
    pub rules: Vec<Rule>,
}

impl Mapping {
    /// The first rule whose glob matches the domain name.
    pub fn rule_for(&self, domain: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.pattern.is_match(domain))
    }
}

/// Read a mapping file; every problem at once, each at file:line:column.
pub fn parse(path: &str, text: &str) -> Result<Mapping, Vec<Diagnostic>> {
    let stream = yaml::parse_stream(text, yaml::Limits::default());
    let root = stream
        .documents
        .first()
        .map_or(Value::Null, |d| d.value.clone());
    let at = |line: u32, column: u32, pointer: &str| {
        Some(Location {
            file: path.to_owned(),
            line,
            column,
            path: yaml::display_path(&root, pointer),
        })
    };
    let error = |line, column, pointer: &str, message: String| {
        Diagnostic::error(Code::ImportMapping, at(line, column, pointer), message)
    };
    if text.len() > MAX_BYTES {
        return Err(vec![error(
            1,
            1,
            "",
            format!("larger than the {MAX_BYTES} bytes a mapping file may have"),
        )]);
    }
    if !stream.errors.is_empty() {
        return Err(stream
            .errors
            .iter()
            .map(|e| error(e.pos.line, e.pos.col, &e.pointer, e.message.clone()))
            .collect());
    }
    let [doc] = stream.documents.as_slice() else {
        return Err(vec![error(
            1,
            1,
            "",
            "a mapping file holds one YAML document: a list of rules".to_owned(),
        )]);
    };
    let Some(items) = doc.value.as_array().filter(|a| !a.is_empty()) else {
        return Err(vec![error(
            doc.start.line,
            doc.start.col,
            "",
            "a mapping file is a non-empty list of rules (`- match: \"web-*\"` …)".to_owned(),
        )]);
    };
    let mut errors = Vec::new();
    let mut rules = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if let Some(rule) = rule(doc, i, item, &mut |pointer: &str, key: bool, message| {
            let pos = if key {
                doc.locations.key(pointer)
            } else {
                doc.locations.value(pointer)
            };
            errors.push(error(pos.line, pos.col, pointer, message));
        }) {
            rules.push(rule);
        }
    }
    // Rules naming one project must agree on what the project is: it has
    // one tenant, and the VMs go to one environment on the same clusters.
    for (i, r) in rules.iter().enumerate() {
        if let Some(first) = rules[..i].iter().find(|f| f.project == r.project)
            && (first.tenant != r.tenant
                || first.environment != r.environment
                || first.clusters != r.clusters)
        {
            errors.push(error(
                r.line,
                1,
                "",
                format!(
                    "project `{}` is mapped with another tenant, environment or clusters on line {}; rules naming one project must agree on them",
                    r.project, first.line
                ),
            ));
        }
    }
    if errors.is_empty() {
        Ok(Mapping { rules })
    } else {
        Err(errors)
    }
}

fn rule(
    doc: &Document,
    i: usize,
    item: &Value,
    report: &mut dyn FnMut(&str, bool, String),
) -> Option<Rule> {
    let base = format!("/{i}");
    let Some(map) = item.as_object() else {
        report(
            &base,
            false,
            "a rule is a mapping with `match`, `tenant`, `project`, `environment` and `clusters`"
                .to_owned(),
        );
        return None;
    };
    let mut ok = true;
    for key in map.keys() {
        if !KEYS.contains(&key.as_str()) {
            let known: Vec<String> = KEYS.iter().map(|k| (*k).to_owned()).collect();
            let hint = crate::diagnostic::closest(key, &known)
                .map(|c| format!("; did you mean `{c}`?"))
                .unwrap_or_default();
            report(
                &format!("{base}/{key}"),
                true,
                format!("unknown key `{key}`{hint}"),
            );
            ok = false;
        }
    }
    let mut one = |key: &str, required: bool| -> Option<String> {
        let pointer = format!("{base}/{key}");
        match map.get(key) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                report(&pointer, false, format!("`{key}` must be a string"));
                None
            }
            None if required => {
                report(&base, false, format!("the rule has no `{key}`"));
                None
            }
            None => None,
        }
    };
    let pattern = one("match", true);
    let tenant = one("tenant", true);
    let project = one("project", true);
    let environment = one("environment", true);
    let tier = one("tier", false);
    let mut list = |key: &str, required: bool| -> Option<Vec<(String, String)>> {
        let pointer = format!("{base}/{key}");
        match map.get(key) {
            Some(Value::Array(items)) if !items.is_empty() || !required => {
                let mut out = Vec::new();
                for (j, v) in items.iter().enumerate() {
                    match v.as_str() {
                        Some(s) => out.push((format!("{pointer}/{j}"), s.to_owned())),
                        None => {
                            report(&format!("{pointer}/{j}"), false, "must be a string".into());
                            return None;
                        }
                    }
                }
                Some(out)
            }
            Some(_) => {
                report(&pointer, false, format!("`{key}` must be a non-empty list"));
                None
            }
            None if required => {
                report(&base, false, format!("the rule has no `{key}`"));
                None
            }
            None => Some(Vec::new()),
        }
    };
    let clusters = list("clusters", true);
    let owners = list("owners", false);
    let mut typed = |key: &str, value: Option<String>| -> Option<Name> {
        let value = value?;
        value
            .parse::<Name>()
            .map_err(|e| report(&format!("{base}/{key}"), false, format!("`{key}`: {e}")))
            .ok()
    };
    let tenant = typed("tenant", tenant);
    let project = typed("project", project);
    let environment = typed("environment", environment);
    let tier = match tier {
        Some(t) => Some(typed("tier", Some(t))?),
        None => None,
    };
    let pattern = pattern.and_then(|p| {
        p.parse::<Glob>()
            .map_err(|e| report(&format!("{base}/match"), false, format!("`match`: {e}")))
            .ok()
    });
    let mut names = Vec::new();
    for (pointer, c) in clusters? {
        match c.parse::<Name>() {
            Ok(n) => names.push(n),
            Err(e) => {
                report(&pointer, false, format!("cluster: {e}"));
                ok = false;
            }
        }
    }
    let mut subjects = Vec::new();
    for (pointer, o) in owners? {
        match o.parse::<Subject>() {
            Ok(s) => subjects.push(s),
            Err(e) => {
                report(&pointer, false, format!("owner: {e}"));
                ok = false;
            }
        }
    }
    let rule = Rule {
        pattern: pattern?,
        tenant: tenant?,
        project: project?,
        environment: environment?,
        clusters: names,
        tier,
        owners: subjects,
        line: doc.locations.value(&base).line,
    };
    ok.then_some(rule)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "# web first, the rest to ops\n- match: \"web-*\"\n  tenant: web\n  project: shop\n  environment: prod\n  clusters: [rack-b]\n  tier: block\n  owners: [group:web]\n- match: \"*\"\n  tenant: ops\n  project: apps\n  environment: prod\n  clusters: [rack-b]\n";

    #[test]
    fn first_matching_rule_wins() {
        let m = parse("map.yaml", GOOD).unwrap();
        assert_eq!(m.rule_for("web-01").unwrap().project.as_str(), "shop");
        assert_eq!(m.rule_for("db-01").unwrap().project.as_str(), "apps");
        assert_eq!(m.rules[0].tier.as_ref().unwrap().as_str(), "block");
        assert_eq!(m.rules[1].line, 9);
    }

    #[test]
    fn mistakes_are_reported_where_they_are() {
        let shown = |text: &str| {
            let errors = parse("map.yaml", text).unwrap_err();
            errors
                .iter()
                .map(|d| {
                    let l = d.location.as_ref().unwrap();
                    format!("{}:{}: {}", l.line, l.column, d.message)
                })
                .collect::<Vec<_>>()
        };
        let unknown = GOOD.replace("  tier: block", "  teir: block");
        assert_eq!(
            shown(&unknown),
            ["7:3: unknown key `teir`; did you mean `tier`?"]
        );
        let bad_name = GOOD.replace("project: shop", "project: Shop_1");
        let errors = shown(&bad_name);
        assert!(errors[0].starts_with("4:12: `project`: "), "{errors:?}");
        let no_clusters = GOOD.replace("  clusters: [rack-b]\n  tier", "  tier");
        assert_eq!(shown(&no_clusters), ["2:3: the rule has no `clusters`"]);
        assert_eq!(
            shown("match: x\n"),
            ["1:1: a mapping file is a non-empty list of rules (`- match: \"web-*\"` …)"]
        );
        let clash = GOOD.replace("project: apps", "project: shop");
        assert!(shown(&clash)[0].starts_with("9:1: project `shop` is mapped"));
        assert!(!shown("- [\n").is_empty());
    }
}
