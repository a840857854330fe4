//! JSON Schemas of the input kinds, generated from the model types with
//! schemars (draft-07), and validation of parsed documents against them.
//!
//! The schemas are public interface: they are committed under
//! `schemas/kprov.dev/v1alpha1/`, printed by `kprov schema`, written by
//! `kprov init` for editors, and used by the Backstage form. They use only
//! keywords and formats every draft-07 validator knows: kprov's own string
//! formats (names, quantities, subjects, …) appear as `pattern` and
//! `maxLength`. kprov validates every input document with the same schemas,
//! those patterns swapped back for the formats whose checks give its
//! precise messages; a test holds each pattern to its check, so what an
//! editor accepts and what kprov accepts never drift.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use jsonschema::error::ValidationErrorKind;
use schemars::generate::SchemaSettings;
use serde_json::{Value, json};

use crate::diagnostic::Code;
use crate::diagnostic::closest;
use crate::model::kinds::{
    API_VERSION, ClusterSpec, CompositionSpec, DefinitionSpec, EstateSpec, Object, ProjectSpec,
    TenantSpec,
};
use crate::model::names;
use crate::yaml::push_pointer;

/// An input kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// The estate's settings (exactly one).
    Estate,
    /// A cluster.
    Cluster,
    /// A node of the tenant hierarchy.
    Tenant,
    /// A self-service project request.
    Project,
    /// A claim kind and its schema.
    Definition,
    /// How a claim kind becomes objects.
    Composition,
}

impl Kind {
    /// Every kind, in pipeline order.
    pub const ALL: [Kind; 6] = [
        Kind::Estate,
        Kind::Cluster,
        Kind::Tenant,
        Kind::Project,
        Kind::Definition,
        Kind::Composition,
    ];

    /// The `kind:` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Estate => "Estate",
            Kind::Cluster => "Cluster",
            Kind::Tenant => "Tenant",
            Kind::Project => "Project",
            Kind::Definition => "Definition",
            Kind::Composition => "Composition",
        }
    }

    /// File stem of the committed schema, e.g. `project`.
    pub fn file_stem(self) -> String {
        self.as_str().to_ascii_lowercase()
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kind {
    type Err = String;
    /// Accepts `Project` as well as `project`.
    fn from_str(s: &str) -> Result<Kind, String> {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                let known: Vec<_> = Kind::ALL.iter().map(|k| k.as_str()).collect();
                format!("unknown kind `{s}`; kprov knows {}", known.join(", "))
            })
    }
}

/// Where the published schemas live: the `$id` of each is this, the
/// kind's file stem and `.json` (`…/v1alpha1/project.json`), the same
/// name as the committed file under `schemas/kprov.dev/v1alpha1/`.
pub const SCHEMA_ID_BASE: &str = "https://kprov.dev/schemas/v1alpha1/";

/// The published draft-07 JSON Schema of one input kind: what
/// `schemas/kprov.dev/v1alpha1/` holds, `kprov schema` prints and `kprov
/// init` writes for editors. It uses no `format` a standard validator does
/// not know: each of kprov's own formats is stated as a `pattern` (and
/// `maxLength`) that accepts exactly what kprov's check accepts
/// (a test holds the two together), so any draft-07
/// validator refuses `memory: 16GB` or a project named `Shop_1`.
pub fn input_schema(kind: Kind) -> Value {
    let mut value = validation_schema(kind);
    let rules = names::published();
    publish(&mut value, &rules);
    if let Value::Object(root) = &mut value {
        let mut with_id = serde_json::Map::new();
        for (key, v) in std::mem::take(root) {
            let schema_key = key == "$schema";
            with_id.insert(key, v);
            if schema_key {
                with_id.insert(
                    "$id".into(),
                    json!(format!("{SCHEMA_ID_BASE}{}.json", kind.file_stem())),
                );
            }
        }
        *root = with_id;
    }
    value
}

/// Replace kprov's own formats in any generated schema by the standard
/// keywords the input schemas use: the output schemas are read by the same
/// validators.
pub(crate) fn publish_formats(value: &mut Value) {
    publish(value, &names::published());
}

/// Replace kprov's own formats by standard keywords (see [`input_schema`]).
fn publish(value: &mut Value, rules: &[names::Published]) {
    match value {
        Value::Object(map) => {
            let rule = map
                .get("format")
                .and_then(Value::as_str)
                .and_then(|f| rules.iter().find(|r| r.format == f));
            // schemars names the width of an integer (`uint32`); the
            // standard way to say it is a bound.
            let width = match map.get("format").and_then(Value::as_str) {
                Some("uint8") => Some(u64::from(u8::MAX)),
                Some("uint16") => Some(u64::from(u16::MAX)),
                Some("uint32") => Some(u64::from(u32::MAX)),
                _ => None,
            };
            if let Some(max) = width {
                map.remove("format");
                map.entry("maximum").or_insert_with(|| json!(max));
            }
            if let Some(rule) = rule {
                if !rule.standard {
                    map.remove("format");
                }
                match rule.pattern {
                    Some(pattern) => map.insert("pattern".into(), json!(pattern)),
                    None => map.insert("minLength".into(), json!(1)),
                };
                if let Some(max) = rule.max_length {
                    map.insert("maxLength".into(), json!(max));
                }
                map.entry("examples")
                    .or_insert_with(|| json!(rule.examples));
            }
            for v in map.values_mut() {
                publish(v, rules);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| publish(v, rules)),
        _ => {}
    }
}

/// The schema kprov validates with: the published one with kprov's own
/// formats in place of their patterns, so a bad value gets the check's own
/// message (`names are lower case`) rather than a regular expression.
fn validation_schema(kind: Kind) -> Value {
    let generator = SchemaSettings::draft07().into_generator();
    let schema = match kind {
        Kind::Estate => generator.into_root_schema_for::<Object<EstateSpec>>(),
        Kind::Cluster => generator.into_root_schema_for::<Object<ClusterSpec>>(),
        Kind::Tenant => generator.into_root_schema_for::<Object<TenantSpec>>(),
        Kind::Project => generator.into_root_schema_for::<Object<ProjectSpec>>(),
        Kind::Definition => generator.into_root_schema_for::<Object<DefinitionSpec>>(),
        Kind::Composition => generator.into_root_schema_for::<Object<CompositionSpec>>(),
    };
    let mut value = schema.to_value();
    strip_optional_null(&mut value);
    if let Value::Object(root) = &mut value {
        root.insert("title".into(), json!(kind.as_str()));
        root.insert(
            "description".into(),
            json!(format!(
                "kprov {} ({API_VERSION}). Generated from the kprov model types; do not edit.",
                kind.as_str()
            )),
        );
        if let Some(Value::Object(props)) = root.get_mut("properties") {
            props.insert(
                "apiVersion".into(),
                json!({"const": API_VERSION, "description": "Always `kprov.dev/v1alpha1`."}),
            );
            props.insert(
                "kind".into(),
                json!({"const": kind.as_str(), "description": format!("Always `{}`.", kind.as_str())}),
            );
        }
    }
    value
}

/// Every input schema, serialized as committed (pretty JSON, trailing newline).
pub fn committed_files() -> Vec<(String, String)> {
    Kind::ALL
        .iter()
        .map(|&kind| {
            let mut text = serde_json::to_string_pretty(&input_schema(kind)).unwrap_or_default();
            text.push('\n');
            (format!("{}.json", kind.file_stem()), text)
        })
        .collect()
}

/// serde treats a missing `Option` field and an explicit `null` alike, and
/// schemars says so with `anyOf: [T, null]` / `type: [T, "null"]`. We want
/// optional fields to be simply absent: this keeps error messages specific
/// ("not a quantity", not "not valid under any of the given schemas") and
/// forms simple.
fn strip_optional_null(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let only = types.remove(0);
                    map.insert("type".into(), only);
                }
            }
            if let Some(Value::Array(any_of)) = map.get("anyOf") {
                let non_null: Vec<Value> = any_of
                    .iter()
                    .filter(|s| s.get("type") != Some(&json!("null")))
                    .cloned()
                    .collect();
                if non_null.len() == 1 && any_of.len() == 2 {
                    map.remove("anyOf");
                    if let Value::Object(inner) = &non_null[0] {
                        for (k, v) in inner {
                            map.entry(k.clone()).or_insert_with(|| v.clone());
                        }
                    }
                }
            }
            for v in map.values_mut() {
                strip_optional_null(v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(strip_optional_null),
        _ => {}
    }
}

struct Compiled {
    schema: Value,
    validator: jsonschema::Validator,
}

fn compiled() -> &'static BTreeMap<Kind, Compiled> {
    static COMPILED: OnceLock<BTreeMap<Kind, Compiled>> = OnceLock::new();
    COMPILED.get_or_init(|| {
        Kind::ALL
            .iter()
            .map(|&kind| {
                let schema = validation_schema(kind);
                let mut options = jsonschema::draft7::options().should_validate_formats(true);
                for (name, check) in names::formats() {
                    options = options.with_format(name, move |s: &str| check(s).is_ok());
                }
                // The schemas are generated by our own types; a failure here is a
                // bug caught by the schema tests, never by user input.
                let validator = options
                    .build(&schema)
                    .unwrap_or_else(|e| panic!("schema of {kind} does not compile: {e}"));
                (kind, Compiled { schema, validator })
            })
            .collect()
    })
}

/// A schema violation inside one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// JSON pointer of the offending node.
    pub pointer: String,
    /// Whether `pointer` names a mapping key that should not be there
    /// (report at the key, not the value).
    pub at_key: bool,
    /// Stable diagnostic code.
    pub code: Code,
    /// What is wrong.
    pub message: String,
}

/// Validate a document of `kind` against its schema; every violation, in document order.
pub fn validate(kind: Kind, instance: &Value) -> Vec<Violation> {
    let compiled = &compiled()[&kind];
    let mut out = Vec::new();
    if compiled.validator.is_valid(instance) {
        return out;
    }
    for error in compiled.validator.iter_errors(instance) {
        explain(&error, &compiled.schema, &mut out);
    }
    out
}

/// Turn one validator error into violations that read like kprov's own
/// messages rather than like JSON Schema keywords.
fn explain(error: &jsonschema::ValidationError<'_>, root: &Value, out: &mut Vec<Violation>) {
    let pointer = error.instance_path().as_str().to_owned();
    let mut push = |pointer: String, at_key: bool, code: Code, message: String| {
        out.push(Violation {
            pointer,
            at_key,
            code,
            message,
        });
    };
    match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let known = subschema(root, error.schema_path().as_str())
                .and_then(|s| s.get("properties"))
                .and_then(Value::as_object)
                .map(|p| p.keys().cloned().collect::<Vec<_>>())
                .unwrap_or_default();
            for field in unexpected {
                let mut message = format!("unknown field `{field}`");
                if let Some(best) = closest(field, &known) {
                    message.push_str(&format!("; did you mean `{best}`?"));
                } else if !known.is_empty() {
                    message.push_str(&format!("; expected one of: {}", known.join(", ")));
                }
                push(
                    push_pointer(&pointer, field),
                    true,
                    Code::UnknownField,
                    message,
                );
            }
        }
        ValidationErrorKind::PropertyNames { error: inner } => {
            let key = inner.instance().as_str().unwrap_or_default();
            let message = match inner.kind() {
                ValidationErrorKind::Format { format } => format_message(format, key),
                _ => inner.to_string(),
            };
            push(
                push_pointer(&pointer, key),
                true,
                Code::InvalidValue,
                message,
            );
        }
        ValidationErrorKind::Required { property } => {
            let field = property.as_str().unwrap_or_default();
            push(
                pointer,
                false,
                Code::MissingField,
                format!("missing required field `{field}`"),
            );
        }
        ValidationErrorKind::Format { format } => {
            let text = error.instance().as_str().unwrap_or_default();
            push(
                pointer,
                false,
                Code::InvalidValue,
                format_message(format, text),
            );
        }
        // The schemas' way of saying "not blank" (a suppression's reason).
        ValidationErrorKind::Pattern { pattern } if pattern == r"\S" => {
            push(
                pointer,
                false,
                Code::InvalidValue,
                "must not be blank: say why".to_owned(),
            );
        }
        ValidationErrorKind::Type { kind } => {
            let expected = match kind {
                jsonschema::error::TypeKind::Single(t) => t.to_string(),
                jsonschema::error::TypeKind::Multiple(ts) => ts
                    .iter()
                    .map(|t| t.to_string())
                    .collect::<Vec<_>>()
                    .join(" or "),
            };
            let message = format!("expected {expected}, found {}", describe(error.instance()));
            push(pointer, false, Code::WrongType, message);
        }
        ValidationErrorKind::Enum { options } => {
            let options: Vec<&Value> = options
                .as_array()
                .map(|a| a.iter().collect())
                .unwrap_or_default();
            push(
                pointer,
                false,
                Code::InvalidValue,
                not_one_of(error.instance(), &options),
            );
        }
        ValidationErrorKind::OneOfNotValid { .. }
        | ValidationErrorKind::OneOfMultipleValid { .. }
        | ValidationErrorKind::AnyOf { .. } => {
            // schemars writes documented enums as `oneOf` of `const`s.
            let consts: Option<Vec<&Value>> = subschema(root, error.schema_path().as_str())
                .and_then(Value::as_array)
                .and_then(|alternatives| alternatives.iter().map(|a| a.get("const")).collect());
            // kprov writes "exactly one of these fields" as a `oneOf` of
            // `required`s.
            let alternatives =
                subschema(root, error.schema_path().as_str()).and_then(Value::as_array);
            let fields: Option<Vec<&str>> = alternatives.and_then(|alternatives| {
                alternatives
                    .iter()
                    .map(|a| match a.get("required")?.as_array()?.as_slice() {
                        [field] => field.as_str(),
                        _ => None,
                    })
                    .collect()
            });
            let message = match (consts, fields) {
                (Some(consts), _) => not_one_of(error.instance(), &consts),
                (None, Some(fields)) => exactly_one(&fields),
                (None, None) => error.to_string(),
            };
            push(pointer, false, Code::InvalidValue, message);
        }
        ValidationErrorKind::MinProperties { .. } | ValidationErrorKind::MaxProperties { .. } => {
            // Only the "exactly one of" mappings (`image`, a disk's
            // `source`) bound their number of properties.
            let parent = error
                .schema_path()
                .as_str()
                .rsplit_once('/')
                .map_or("", |(parent, _)| parent)
                .to_owned();
            let fields: Vec<String> = subschema(root, &format!("{parent}/properties"))
                .and_then(Value::as_object)
                .map(|p| p.keys().cloned().collect())
                .unwrap_or_default();
            let message = if fields.is_empty() {
                error.to_string()
            } else {
                exactly_one(&fields.iter().map(String::as_str).collect::<Vec<_>>())
            };
            push(pointer, false, Code::InvalidValue, message);
        }
        ValidationErrorKind::Constant { expected_value } => {
            let message = format!(
                "expected {expected_value}, found {}",
                describe(error.instance())
            );
            push(pointer, false, Code::InvalidValue, message);
        }
        _ => push(pointer, false, Code::InvalidValue, error.to_string()),
    }
}

fn exactly_one(fields: &[&str]) -> String {
    let fields: Vec<String> = fields.iter().map(|f| format!("`{f}`")).collect();
    format!("set exactly one of {}", fields.join(", "))
}

fn format_message(format: &str, text: &str) -> String {
    names::formats()
        .into_iter()
        .find(|(name, _)| *name == format)
        .and_then(|(_, check)| check(text).err())
        .unwrap_or_else(|| format!("`{text}` is not a valid {format}"))
}

fn not_one_of(instance: &Value, options: &[&Value]) -> String {
    let options: Vec<String> = options
        .iter()
        .map(|o| match o {
            Value::String(s) => format!("`{s}`"),
            other => other.to_string(),
        })
        .collect();
    format!(
        "{} is not one of {}",
        describe(instance),
        options.join(", ")
    )
}

fn describe(v: &Value) -> String {
    let text = match v {
        Value::Null => return "null".into(),
        Value::Bool(b) => format!("boolean `{b}`"),
        Value::Number(n) => format!("number `{n}`"),
        Value::String(s) => format!("string `{s}`"),
        Value::Array(_) => return "a list".into(),
        Value::Object(_) => return "a mapping".into(),
    };
    if text.len() > 80 {
        format!("{}…`", &text[..text.floor_char_boundary(77)])
    } else {
        text
    }
}

/// The schema node that holds the keyword at `keyword_path` (a keyword
/// location without `$ref` hops), following `$ref`s on the way.
fn subschema<'a>(root: &'a Value, keyword_path: &str) -> Option<&'a Value> {
    let (parent, keyword) = keyword_path.rsplit_once('/')?;
    let mut node = root;
    for token in parent.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        let next = match node {
            Value::Object(map) => map.get(&token),
            Value::Array(items) => token.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        }?;
        node = resolve_ref(root, next);
    }
    match keyword {
        "additionalProperties" => Some(node),
        other => node.get(other),
    }
}

fn resolve_ref<'a>(root: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .strip_prefix('#')
            .and_then(|p| root.pointer(p))
            .unwrap_or(node),
        None => node,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_compiles_and_is_draft07() {
        for kind in Kind::ALL {
            let s = input_schema(kind);
            assert_eq!(s["$schema"], "http://json-schema.org/draft-07/schema#");
            assert_eq!(s["properties"]["kind"]["const"], kind.as_str());
            let _ = &compiled()[&kind];
        }
    }

    #[test]
    fn every_field_has_a_description() {
        fn walk(v: &Value, path: &str, missing: &mut Vec<String>) {
            if let Some(props) = v.get("properties").and_then(Value::as_object) {
                for (name, p) in props {
                    let described = p.get("description").is_some()
                        || p.get("$ref").is_some() && p.get("description").is_some();
                    if !described {
                        missing.push(format!("{path}.{name}"));
                    }
                    walk(p, &format!("{path}.{name}"), missing);
                }
            }
            if let Some(defs) = v.get("definitions").and_then(Value::as_object) {
                for (name, d) in defs {
                    walk(d, name, missing);
                }
            }
        }
        for kind in Kind::ALL {
            let mut missing = Vec::new();
            walk(&input_schema(kind), kind.as_str(), &mut missing);
            assert!(
                missing.is_empty(),
                "fields without description: {missing:?}"
            );
        }
    }

    #[test]
    fn unknown_fields_get_a_suggestion() {
        let doc = json!({"apiVersion": API_VERSION, "kind": "Tenant", "metadata": {"name": "a"},
                         "spec": {"owner": ["user:x"]}});
        let v = validate(Kind::Tenant, &doc);
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].pointer, "/spec/owner");
        assert!(v[0].at_key);
        assert_eq!(
            v[0].message,
            "unknown field `owner`; did you mean `owners`?"
        );
    }

    #[test]
    fn format_errors_use_the_types_own_message() {
        let doc = json!({"apiVersion": API_VERSION, "kind": "Tenant", "metadata": {"name": "Payments"},
                         "spec": {"quota": {"prod": {"cpu": "1.5.3"}}}});
        let v = validate(Kind::Tenant, &doc);
        let messages: Vec<_> = v
            .iter()
            .map(|v| (v.pointer.as_str(), v.message.as_str()))
            .collect();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert_eq!(messages[0].0, "/metadata/name");
        assert!(messages[0].1.contains("lower case"));
        assert_eq!(messages[1].0, "/spec/quota/prod/cpu");
        assert!(messages[1].1.contains("1.5.3"), "{}", messages[1].1);
    }
}
