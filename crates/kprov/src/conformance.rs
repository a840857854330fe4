//! Output validation: every rendered object against the strict upstream
//! JSON Schema of its kind (vendored under `schemas/upstream/`, see
//! `schemas/upstream/SOURCES.md`), or against one the estate ships in its
//! own `schemas/<group>/<version>/<kind>.json`. Kinds with no schema are
//! reported as unchecked (an error with `strict_kinds`).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use rayon::prelude::*;
use serde_json::Value;

use crate::compose::Composed;
use crate::diagnostic::{Code, Diagnostic};
use crate::load::SourceFile;
use crate::upstream_schemas::SCHEMAS;

/// How many schema errors are reported per object; the rest are counted.
const ERRORS_PER_OBJECT: usize = 5;

fn compile(text: &str) -> Result<jsonschema::Validator, String> {
    let schema: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    jsonschema::draft7::options()
        .should_validate_formats(false)
        .build(&schema)
        .map_err(|e| e.to_string())
}

/// The vendored validator for (apiVersion, kind), compiled on first use.
fn vendored(api_version: &str, kind: &str) -> Option<&'static jsonschema::Validator> {
    static COMPILED: OnceLock<Vec<OnceLock<Option<jsonschema::Validator>>>> = OnceLock::new();
    let cells = COMPILED.get_or_init(|| SCHEMAS.iter().map(|_| OnceLock::new()).collect());
    let index = SCHEMAS
        .iter()
        .position(|(a, k, _)| *a == api_version && *k == kind)?;
    cells[index]
        .get_or_init(|| compile(SCHEMAS[index].2).ok())
        .as_ref()
}

/// The errors of `object` against the vendored schema of its kind, each
/// with the path inside the object; `None` when kprov vendors none. For
/// objects kprov makes outside compositions (delivery units), whose
/// validity its tests prove.
pub fn upstream_errors(object: &Value) -> Option<Vec<String>> {
    let api_version = crate::yaml::str_at(object, &["apiVersion"]);
    let kind = crate::yaml::str_at(object, &["kind"]);
    let validator = vendored(api_version, kind)?;
    Some(
        validator
            .iter_errors(object)
            .map(|e| {
                let path = crate::yaml::display_path(object, e.instance_path().as_str());
                format!("{path}: {e}")
            })
            .collect(),
    )
}

/// `apiVersion` for a path `schemas/<group>/<version>/<kind>.json`.
fn api_version_of(group: &str, version: &str) -> String {
    if group == "core" {
        version.to_owned()
    } else {
        format!("{group}/{version}")
    }
}

/// Schemas an estate ships for kinds kprov does not vendor (or to override).
pub struct EstateSchemas {
    by_kind: BTreeMap<(String, String), jsonschema::Validator>,
}

impl EstateSchemas {
    /// Compile every `schemas/<group>/<version>/<kind>.json` of the estate.
    pub fn build(files: &[SourceFile], out: &mut Vec<Diagnostic>) -> EstateSchemas {
        let mut by_kind = BTreeMap::new();
        for file in files {
            let parts: Vec<&str> = file.path.split('/').collect();
            let ["schemas", group, version, name] = parts.as_slice() else {
                continue;
            };
            let Some(kind) = name.strip_suffix(".json") else {
                continue;
            };
            match compile(&file.text) {
                Ok(v) => {
                    by_kind.insert(
                        (api_version_of(group, version), kind.to_ascii_lowercase()),
                        v,
                    );
                }
                Err(e) => out.push(Diagnostic::error(
                    Code::InvalidSchema,
                    Some(crate::diagnostic::Location::whole_file(file.path.clone())),
                    format!("not a usable JSON Schema: {e}"),
                )),
            }
        }
        EstateSchemas { by_kind }
    }
}

/// Options of output validation.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ConformanceConfig {
    /// Skip output validation entirely.
    pub skip: bool,
    /// Objects of kinds without a schema are errors, not warnings.
    pub strict_kinds: bool,
}

fn describe(c: &Composed) -> String {
    let s = |p: &str| {
        c.object
            .pointer(p)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let ns = c
        .namespace
        .as_ref()
        .map_or(String::new(), |n| format!("{n}/"));
    format!(
        "{}: {}/{ns}{}",
        c.file_path(),
        s("/kind"),
        s("/metadata/name")
    )
}

/// Validate every composed object.
pub fn check(
    composed: &[Composed],
    estate: &EstateSchemas,
    config: &ConformanceConfig,
) -> Vec<Diagnostic> {
    if config.skip {
        return Vec::new();
    }
    let results: Vec<Result<Vec<Diagnostic>, (String, String)>> = composed
        .par_iter()
        .map(|c| {
            let api_version = crate::yaml::str_at(&c.object, &["apiVersion"]);
            let kind = crate::yaml::str_at(&c.object, &["kind"]);
            // Most estates ship no schema of their own: then the key
            // need not be built for every object.
            let validator = (!estate.by_kind.is_empty())
                .then(|| {
                    estate
                        .by_kind
                        .get(&(api_version.to_owned(), kind.to_ascii_lowercase()))
                })
                .flatten()
                .or_else(|| vendored(api_version, kind));
            let Some(validator) = validator else {
                return Err((api_version.to_owned(), kind.to_owned()));
            };
            // Nearly every object is valid; `is_valid` stops early and
            // builds no errors.
            if validator.is_valid(&c.object) {
                return Ok(Vec::new());
            }
            let errors: Vec<String> = validator
                .iter_errors(&c.object)
                .map(|e| {
                    let path = crate::yaml::display_path(&c.object, e.instance_path().as_str());
                    format!("{path}: {e}")
                })
                .collect();
            let mut out: Vec<Diagnostic> = errors
                .iter()
                .take(ERRORS_PER_OBJECT)
                .map(|e| {
                    Diagnostic::error(
                        Code::OutputSchema,
                        None,
                        format!(
                            "{}: {e} (composition `{}`, {})",
                            describe(c),
                            c.composition,
                            c.claim
                        ),
                    )
                })
                .collect();
            if errors.len() > ERRORS_PER_OBJECT {
                out.push(Diagnostic::error(
                    Code::OutputSchema,
                    None,
                    format!(
                        "{}: {} more schema errors",
                        describe(c),
                        errors.len() - ERRORS_PER_OBJECT
                    ),
                ));
            }
            Ok(out)
        })
        .collect();
    let mut out = Vec::new();
    let mut unchecked: BTreeMap<(String, String), usize> = BTreeMap::new();
    for r in results {
        match r {
            Ok(d) => out.extend(d),
            Err(key) => *unchecked.entry(key).or_default() += 1,
        }
    }
    for ((api_version, kind), count) in unchecked {
        let (group, version) = api_version
            .rsplit_once('/')
            .unwrap_or(("core", &api_version));
        let message = format!(
            "{} ({api_version}) not checked: kprov ships no schema for this kind; add one as schemas/{group}/{version}/{}.json",
            crate::diagnostic::count(count, &format!("{kind} object")),
            kind.to_ascii_lowercase()
        );
        out.push(if config.strict_kinds {
            Diagnostic::error(Code::UncheckedKind, None, message)
        } else {
            Diagnostic::warning(Code::UncheckedKind, None, message)
        });
    }
    out
}
