//! Strategies shared by the property tests.

use proptest::prelude::*;
use serde_json::Value;

/// JSON arrays and objects up to three levels deep over `leaf` values; keys
/// are short so that templates and policies looking up `a` or `b` often hit.
pub(crate) fn json_tree(
    leaf: impl Strategy<Value = Value> + 'static,
) -> impl Strategy<Value = Value> {
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            proptest::collection::vec(("[a-c]{1,2}", inner), 0..4)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

/// JSON of every shape and number representation (u64 above `i64::MAX`,
/// negative, fractional).
pub(crate) fn json_value() -> impl Strategy<Value = Value> {
    json_tree(prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        "[a-c]{0,3}".prop_map(Value::from),
    ])
}
