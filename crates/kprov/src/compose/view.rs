//! JSON as templates see it, read in place.
//!
//! Claims, contexts and earlier steps' objects are JSON. Converting them into
//! minijinja's own maps and lists, and converting every interpolated map
//! back into JSON for its slot, was a tenth of composing. A [`JsonView`] is
//! a minijinja object over a shared JSON document and a path into it: a
//! template reads fields as it would from a converted map (same kinds, same
//! order, same comparisons — the property test below holds it to that), and
//! when it interpolates a view, the formatter takes the JSON it points at.

use std::sync::Arc;

use minijinja::value::{Enumerator, Object, ObjectRepr};
use serde_json::Value;

// Small maps are searched by comparing keys and stepped into by position,
// larger ones by hash.
use crate::yaml::SMALL_MAP;

/// One step from a container to an element.
#[derive(Debug, Clone)]
enum Step {
    /// The entry of a large map under this key.
    Key(Arc<str>),
    /// The entry at this position of a small map: found again without
    /// hashing the key, which was most of reading a field.
    Entry(usize),
    Index(usize),
}

/// An array or object inside a shared JSON document.
#[derive(Debug)]
pub(super) struct JsonView {
    root: Arc<Value>,
    path: Vec<Step>,
}

/// A JSON value as a template value: scalars converted (they are cheap),
/// arrays and objects as views.
pub(super) fn template_value(value: Value) -> minijinja::Value {
    match value {
        Value::Array(_) | Value::Object(_) => shared(Arc::new(value)),
        scalar => scalar_value(&scalar),
    }
}

/// A view of a document the caller keeps a handle on, to take it back
/// (`Arc::try_unwrap`) once templates are done with it.
pub(super) fn shared(root: Arc<Value>) -> minijinja::Value {
    match &*root {
        Value::Array(_) | Value::Object(_) => minijinja::Value::from_object(JsonView {
            root,
            path: Vec::new(),
        }),
        scalar => scalar_value(scalar),
    }
}

/// The JSON a template value stands for, when it is a view.
pub(super) fn json_of(value: &minijinja::Value) -> Option<Value> {
    value
        .downcast_object_ref::<JsonView>()
        .map(|view| view.node().clone())
}

/// A JSON scalar as minijinja's serde conversion makes it.
fn scalar_value(value: &Value) -> minijinja::Value {
    match value {
        Value::Null => minijinja::Value::from(()),
        Value::Bool(b) => minijinja::Value::from(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => minijinja::Value::from(u),
            (None, Some(i)) => minijinja::Value::from(i),
            (None, None) => minijinja::Value::from(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => minijinja::Value::from(s.as_str()),
        Value::Array(_) | Value::Object(_) => minijinja::Value::from(()),
    }
}

impl JsonView {
    /// The value the path leads to. A view is only ever made for a path
    /// that exists, and the document never changes.
    fn node(&self) -> &Value {
        let mut node = &*self.root;
        for step in &self.path {
            let next = match (step, node) {
                (Step::Key(key), Value::Object(map)) => map.get(&**key),
                (Step::Entry(i), Value::Object(map)) => map.values().nth(*i),
                (Step::Index(i), Value::Array(items)) => items.get(*i),
                _ => None,
            };
            node = next.unwrap_or(&Value::Null);
        }
        node
    }

    fn child(&self, step: Step, value: &Value) -> minijinja::Value {
        match value {
            Value::Array(_) | Value::Object(_) => {
                let mut path = Vec::with_capacity(self.path.len() + 1);
                path.extend(self.path.iter().cloned());
                path.push(step);
                minijinja::Value::from_object(JsonView {
                    root: self.root.clone(),
                    path,
                })
            }
            scalar => scalar_value(scalar),
        }
    }
}

impl Object for JsonView {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        match self.node() {
            Value::Array(_) => ObjectRepr::Seq,
            _ => ObjectRepr::Map,
        }
    }

    fn get_value(self: &Arc<Self>, key: &minijinja::Value) -> Option<minijinja::Value> {
        match self.node() {
            Value::Object(map) if map.len() <= SMALL_MAP => {
                let key = key.as_str()?;
                let (i, value) = map
                    .iter()
                    .enumerate()
                    .find_map(|(i, (k, value))| (k == key).then_some((i, value)))?;
                Some(self.child(Step::Entry(i), value))
            }
            Value::Object(map) => {
                let (key, value) = map.get_key_value(key.as_str()?)?;
                Some(self.child(Step::Key(Arc::from(key.as_str())), value))
            }
            Value::Array(items) => {
                let i = key.as_usize()?;
                Some(self.child(Step::Index(i), items.get(i)?))
            }
            _ => None,
        }
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        match self.node() {
            Value::Object(map) => Enumerator::Values(
                map.keys()
                    .map(|k| minijinja::Value::from(k.as_str()))
                    .collect(),
            ),
            Value::Array(items) => Enumerator::Seq(items.len()),
            _ => Enumerator::Empty,
        }
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        match self.node() {
            Value::Object(map) => Some(map.len()),
            Value::Array(items) => Some(items.len()),
            _ => Some(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expressions a composition might apply to a value, each rendered
    /// with the value as a view and as minijinja's own conversion.
    const EXPRESSIONS: &[&str] = &[
        "{{ v }}",
        "{{ v | tojson }}",
        "{{ v | length }}",
        "{{ v is mapping }}|{{ v is sequence }}|{{ v is string }}|{{ v is number }}|{{ v is none }}",
        "{% if v %}t{% else %}f{% endif %}",
        "{% for x in v %}[{{ x }}]{% endfor %}",
        "{% if v is mapping %}{% for k, x in v | items %}{{ k }}={{ x | tojson }};{% endfor %}{% endif %}",
        "{% if v is mapping %}{{ v | dictsort | tojson }}{% endif %}",
        "{% if v is sequence and v is not string %}{{ v[0] | tojson }}|{{ v[-1] | tojson }}|{{ v[1:] | tojson }}|{{ v | reverse | list | tojson }}{% endif %}",
        "{% if v is mapping %}{{ v.a | tojson }}|{{ v['b'] is defined }}|{{ v.get('a') | tojson }}|{{ 'a' in v }}{% endif %}",
        "{{ v == w }}|{{ v != w }}|{{ [v] == [w] }}",
        "{{ v ~ '' }}",
        "{{ v | default('d') | tojson }}",
        "{% if v is sequence and v is not string %}{{ (v + [1]) | tojson }}|{{ v | map('tojson') | join(',') }}{% endif %}",
        "{{ {'k': v} | tojson }}",
    ];

    fn render(expression: &str, v: minijinja::Value, w: minijinja::Value) -> String {
        let mut env = minijinja::Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        env.render_str(expression, minijinja::context! {v, w})
            .unwrap_or_else(|e| format!("error: {}", e.kind()))
    }

    fn converted(value: &Value) -> minijinja::Value {
        minijinja::Value::from(minijinja::value::Serde(value))
    }

    /// Maps larger than [`SMALL_MAP`] are read by key, smaller ones by
    /// position; a path through both kinds reads like the conversion too.
    #[test]
    fn large_and_small_maps_read_alike() {
        let entry = |i: usize| serde_json::json!({"a": i, "b": [i, {"c": format!("x{i}")}]});
        let large = |n: usize| -> Value {
            Value::Object((0..n).map(|i| (format!("k{i}"), entry(i))).collect())
        };
        let v = serde_json::json!({"big": large(SMALL_MAP + 12), "a": large(SMALL_MAP), "b": 1});
        let w = large(SMALL_MAP + 1);
        let nested = [
            "{% for k, x in v.big | items %}{{ k }}={{ x.a }},{{ x.b[1].c }};{% endfor %}",
            "{{ v.big.k19.b[1].c }}|{{ v.big['k3'].a }}|{{ v.a.k7.b | tojson }}|{{ v.big.k99 is defined }}",
            "{% for k, x in w | items %}{{ x.b[1] | tojson }}{% endfor %}",
        ];
        for expression in EXPRESSIONS.iter().chain(&nested) {
            for (a, b) in [(&v, &w), (&w, &v), (&v["big"], &v["a"])] {
                assert_eq!(
                    render(
                        expression,
                        template_value(a.clone()),
                        template_value(b.clone())
                    ),
                    render(expression, converted(a), converted(b)),
                    "{expression}"
                );
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn a_view_reads_like_the_converted_value(v in crate::test_support::json_value(), w in crate::test_support::json_value()) {
            for expression in EXPRESSIONS {
                for other in [&v, &w] {
                    let seen = render(expression, template_value(v.clone()), template_value(other.clone()));
                    let expected = render(expression, converted(&v), converted(other));
                    proptest::prop_assert_eq!(&seen, &expected, "{}", expression);
                    // A view also equals a converted value.
                    let mixed = render(expression, template_value(v.clone()), converted(other));
                    proptest::prop_assert_eq!(&mixed, &expected, "{}", expression);
                }
            }
        }

        #[test]
        fn a_view_interpolates_as_the_json_it_points_at(v in crate::test_support::json_value()) {
            let view = template_value(serde_json::json!({"x": [v.clone()]}));
            let inner = view.get_attr("x").unwrap().get_item(&minijinja::Value::from(0)).unwrap();
            match &v {
                Value::Array(_) | Value::Object(_) => proptest::prop_assert_eq!(json_of(&inner), Some(v.clone())),
                _ => proptest::prop_assert_eq!(json_of(&inner), None),
            }
        }
    }
}
