//! Approval routing: `.github/CODEOWNERS` generated from the tenant tree, so
//! that a change to a project file needs a review from the owners of the
//! project's nearest tenant, and every platform file needs the platform
//! owners (the owners of the root tenants).
//!
//! Only estates that set `spec.github` in `kprov.yaml` get the file: it maps
//! owner subjects to GitHub handles, which kprov cannot guess (a user known
//! to the cluster as `alice@acme.example` is `@alice` on GitHub). Pure: the
//! model in, the file's text and diagnostics out; `kprov render` writes it and
//! `kprov diff` reports it as drift when it is stale.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::diagnostic::{Code, Diagnostic};
use crate::emit::HEADER;
use crate::model::kinds::{GitHub, TenantSpec};
use crate::model::{Item, Model, Name, Subject};

/// Where the file goes, relative to the estate root (GitHub also reads
/// `CODEOWNERS` and `docs/CODEOWNERS`; `.github/` keeps the root tidy).
pub const PATH: &str = ".github/CODEOWNERS";

/// Directories and files whose changes need the platform owners, besides
/// the fallback `*` line. Listed so that a reader sees what is protected.
const PLATFORM_PATHS: &[&str] = &[
    "/.github/",
    "/backstage/",
    "/compositions/",
    "/kprov.yaml",
    "/platform/",
    "/policies/",
    "/schemas/",
];

/// The CODEOWNERS text of the estate, or `None` when it does not set
/// `spec.github`; warnings name every owner that maps to no GitHub handle.
/// Call only on a model whose tenant tree is sound (no cycles).
pub(crate) fn build(model: &Model) -> (Option<String>, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let Some(github) = model.estate.as_ref().and_then(|e| e.spec.github.as_ref()) else {
        return (None, diagnostics);
    };
    let mut mapper = Mapper {
        github,
        warned: BTreeSet::new(),
        diagnostics: &mut diagnostics,
    };

    let roots: Vec<&Item<TenantSpec>> = model
        .tenants
        .values()
        .filter(|t| t.spec.parent.is_none())
        .collect();
    let mut platform = BTreeSet::new();
    for root in &roots {
        platform.extend(mapper.owners(root));
    }
    if platform.is_empty() {
        let at = model.estate.as_ref().map(|e| e.origin.at("/spec/github"));
        mapper.diagnostics.push(Diagnostic::warning(
            Code::CodeownersUnmapped,
            at,
            "no owner of a root tenant maps to a GitHub handle, so platform files need no review; map the root tenants' owners in `handles` (or set `org` for groups)".to_owned(),
        ));
    }

    // The model refuses a project file that holds anything but projects
    // (the kinds' places), so every project file is routed to its teams.
    let mut projects: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for project in model.projects.values() {
        let file = project.origin.file();
        let owners = nearest_owners(model, &project.spec.tenant, &mut mapper);
        projects.entry(file).or_default().extend(owners);
    }

    let mut out = String::new();
    let _ = writeln!(out, "{HEADER}");
    let _ = writeln!(
        out,
        "# Source: tenant owners, mapped by spec.github of kprov.yaml. Regenerate with `kprov render`."
    );
    let _ = writeln!(out, "#");
    let _ = writeln!(
        out,
        "# GitHub applies the last matching line. Platform files, and new project"
    );
    let _ = writeln!(
        out,
        "# files until they are merged, need the platform owners (root tenants)."
    );
    let owners = join(&platform);
    let _ = writeln!(out, "{}", line("*", &owners));
    for path in PLATFORM_PATHS {
        let _ = writeln!(out, "{}", line(path, &owners));
    }
    let _ = writeln!(
        out,
        "\n# Generated output: `kprov diff` fails CI unless it is exactly what the\n# reviewed specs produce, so it needs no review of its own."
    );
    let _ = writeln!(out, "/{}/", escape(model.output_dir()));
    let bootstrap = model.bootstrap_dirs();
    if !bootstrap.is_empty() {
        let _ = writeln!(
            out,
            "\n# Flux's own components, written by `flux bootstrap`: `kprov diff` does not\n# check them, so they need the platform owners."
        );
    }
    for dir in bootstrap {
        let path = format!("/{}/{}/", escape(model.output_dir()), escape(&dir));
        let _ = writeln!(out, "{}", line(&path, &owners));
    }
    if !projects.is_empty() {
        let _ = writeln!(
            out,
            "\n# Projects: the owners of the nearest tenant that has owners."
        );
    }
    for (file, owners) in &projects {
        let owners = if owners.is_empty() {
            // No tenant on the chain maps to GitHub: keep the platform owners
            // rather than leave the file without any review.
            join(&platform)
        } else {
            join(owners)
        };
        let _ = writeln!(out, "{}", line(&format!("/{}", escape(file)), &owners));
    }
    (Some(out), diagnostics)
}

/// Handles of the owners of the nearest tenant, from `tenant` up, that has
/// owners mapping to GitHub.
fn nearest_owners(model: &Model, tenant: &Name, mapper: &mut Mapper<'_, '_>) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut next = Some(tenant);
    while let Some(name) = next {
        if !seen.insert(name) {
            break; // a cycle; the hierarchy stage reports it
        }
        let Some(item) = model.tenants.get(name) else {
            break;
        };
        let owners = mapper.owners(item);
        if !owners.is_empty() {
            return owners;
        }
        next = item.spec.parent.as_ref();
    }
    BTreeSet::new()
}

struct Mapper<'g, 'd> {
    github: &'g GitHub,
    warned: BTreeSet<(String, String)>,
    diagnostics: &'d mut Vec<Diagnostic>,
}

impl Mapper<'_, '_> {
    /// The GitHub handles of a tenant's owners; warns once per owner that
    /// has none. Service accounts are not people and cannot review, so they
    /// are skipped without a warning unless mapped.
    fn owners(&mut self, tenant: &Item<TenantSpec>) -> BTreeSet<String> {
        let mut handles = BTreeSet::new();
        for (i, subject) in tenant.spec.owners.iter().enumerate() {
            if let Some(handle) = self.github.handle(subject) {
                handles.insert(handle);
                continue;
            }
            match subject {
                Subject::ServiceAccount { .. } => {}
                _ => {
                    if self
                        .warned
                        .insert((tenant.name().to_string(), subject.to_string()))
                    {
                        let hint = match subject {
                            Subject::Group(_) => " (or set `org` to map groups to teams)",
                            _ => "",
                        };
                        self.diagnostics.push(Diagnostic::warning(
                            Code::CodeownersUnmapped,
                            Some(tenant.origin.at(&format!("/spec/owners/{i}"))),
                            format!(
                                "owner `{subject}` has no GitHub handle in spec.github.handles of kprov.yaml{hint}; CODEOWNERS leaves it out"
                            ),
                        ));
                    }
                }
            }
        }
        handles
    }
}

fn join(handles: &BTreeSet<String>) -> String {
    handles.iter().cloned().collect::<Vec<_>>().join(" ")
}

fn line(path: &str, owners: &str) -> String {
    if owners.is_empty() {
        path.to_owned()
    } else {
        format!("{path} {owners}")
    }
}

/// CODEOWNERS patterns are gitignore-style: a space ends the pattern and `#`
/// would start a comment, so both are escaped; so are glob characters, which
/// a file name means literally.
fn escape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if matches!(c, ' ' | '#' | '*' | '?' | '[' | ']' | '\\' | '!') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::load::Sources;

    fn estate(github: &str, extra: &str) -> Sources {
        let kprov = format!(
            "apiVersion: kprov.dev/v1alpha1\nkind: Estate\nmetadata: {{name: e}}\nspec:\n{github}"
        );
        let tenants = "apiVersion: kprov.dev/v1alpha1\nkind: Tenant\nmetadata: {name: org}\nspec: {owners: [group:platform, serviceaccount:ci:bot]}\n---\napiVersion: kprov.dev/v1alpha1\nkind: Tenant\nmetadata: {name: team}\nspec: {parent: org}\n---\napiVersion: kprov.dev/v1alpha1\nkind: Tenant\nmetadata: {name: sub}\nspec: {parent: team, owners: [user:bob@x.example, group:sub-leads]}\n";
        let cluster = "apiVersion: kprov.dev/v1alpha1\nkind: Cluster\nmetadata: {name: dev-1}\nspec: {environment: dev}\n";
        let project = |name: &str, tenant: &str| {
            format!(
                "apiVersion: kprov.dev/v1alpha1\nkind: Project\nmetadata: {{name: {name}}}\nspec: {{tenant: {tenant}, environments: [{{name: dev, clusters: [dev-1]}}]}}\n"
            )
        };
        let mut files = vec![
            ("kprov.yaml".to_owned(), kprov),
            ("platform/tenants.yaml".to_owned(), tenants.to_owned()),
            ("platform/clusters.yaml".to_owned(), cluster.to_owned()),
            ("projects/a.yaml".to_owned(), project("a", "team")),
            ("projects/c.yaml".to_owned(), project("c", "sub")),
        ];
        if !extra.is_empty() {
            files.push((
                "projects/mixed.yaml".to_owned(),
                format!("{}---\n{extra}", project("m", "sub")),
            ));
        }
        Sources::from_memory(files)
    }

    fn generate(github: &str, extra: &str) -> (Option<String>, Vec<String>) {
        let sources = estate(github, extra);
        let (model, diagnostics) = crate::model::build(&sources);
        assert!(
            !crate::diagnostic::has_errors(&diagnostics),
            "{diagnostics:?}"
        );
        let (text, diagnostics) = super::build(&model);
        let messages = diagnostics
            .iter()
            .map(|d| {
                format!(
                    "{}: {}",
                    d.location
                        .as_ref()
                        .map(|l| format!("{}:{}", l.file, l.line))
                        .unwrap_or_default(),
                    d.message
                )
            })
            .collect();
        (text, messages)
    }

    #[test]
    fn absent_without_spec_github() {
        let (text, warnings) = generate("  podSecurity: baseline\n", "");
        assert_eq!(text, None);
        assert!(warnings.is_empty());
    }

    #[test]
    fn nearest_tenant_with_mapped_owners_wins() {
        let (text, warnings) = generate(
            "  github:\n    org: acme\n    handles: {\"user:bob@x.example\": \"@bob\", \"group:platform\": \"@acme/platform-team\"}\n",
            "",
        );
        let text = text.unwrap();
        // `team` has no owners: its project goes to the root's owners.
        assert!(
            text.contains("\n/projects/a.yaml @acme/platform-team\n"),
            "{text}"
        );
        assert!(
            text.contains("\n/projects/c.yaml @acme/sub-leads @bob\n"),
            "{text}"
        );
        assert!(text.contains("\n* @acme/platform-team\n"), "{text}");
        assert!(
            text.contains("\n/platform/ @acme/platform-team\n"),
            "{text}"
        );
        assert!(text.contains("\n/clusters/\n"), "{text}");
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn unmapped_owners_warn_once_and_fall_back_upwards() {
        let (text, warnings) = generate(
            "  github:\n    handles: {\"group:platform\": \"@acme/platform\"}\n",
            "",
        );
        let text = text.unwrap();
        // Neither owner of `sub` maps: its project climbs to the root.
        assert!(
            text.contains("\n/projects/c.yaml @acme/platform\n"),
            "{text}"
        );
        assert_eq!(
            warnings,
            [
                "platform/tenants.yaml:14: owner `user:bob@x.example` has no GitHub handle in spec.github.handles of kprov.yaml; CODEOWNERS leaves it out",
                "platform/tenants.yaml:14: owner `group:sub-leads` has no GitHub handle in spec.github.handles of kprov.yaml (or set `org` to map groups to teams); CODEOWNERS leaves it out",
            ]
        );
    }

    #[test]
    fn flux_bootstrap_directories_need_the_platform_owners() {
        let mut files: Vec<(String, String)> = estate("  github: {org: acme}\n", "")
            .files
            .into_iter()
            .map(|f| (f.path, f.text))
            .collect();
        for (path, text) in &mut files {
            if path == "platform/clusters.yaml" {
                *text = text.replace(
                    "{environment: dev}",
                    "{environment: dev, fluxBootstrap: true}",
                );
            }
        }
        let (model, diagnostics) = crate::model::build(&Sources::from_memory(files));
        assert!(
            !crate::diagnostic::has_errors(&diagnostics),
            "{diagnostics:?}"
        );
        let text = super::build(&model).0.unwrap();
        // After the unowned output line, so it wins (GitHub applies the last match).
        let output = text.find("\n/clusters/\n").unwrap();
        let flux = text
            .find("\n/clusters/dev-1/flux-system/ @acme/platform\n")
            .unwrap();
        assert!(flux > output, "{text}");
    }

    #[test]
    fn no_platform_owner_is_a_warning() {
        let (text, warnings) = generate(
            "  github: {handles: {\"user:bob@x.example\": \"@bob\"}}\n",
            "",
        );
        assert!(text.unwrap().contains("\n*\n"));
        assert!(
            warnings
                .iter()
                .any(|w| w.starts_with("kprov.yaml:5: no owner of a root tenant")),
            "{warnings:?}"
        );
    }
}
