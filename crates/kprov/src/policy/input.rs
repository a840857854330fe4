//! `input` as a policy sees it: each composed object converted to a Rego
//! value directly, and only the parts the policies can read.

use super::load::Policy;
use serde_json::Value;
use std::collections::BTreeMap;

/// What of each object the policies are given as `input`: the parts their
/// syntax says they can read (every policy's, together), or the whole
/// object when one may read more. The rest is never converted: most of an
/// object is what no rule looks at.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Projection {
    Whole,
    Parts(Keys),
}

/// Key paths as a tree: the keys kept at one level, each with what is kept
/// under it. A path that ends at a key keeps its subtree whole.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Keys {
    pub(super) whole: bool,
    pub(super) children: BTreeMap<String, Keys>,
}

impl Keys {
    pub(super) fn of<'p>(paths: impl IntoIterator<Item = &'p Vec<String>>) -> Keys {
        let mut root = Keys::default();
        for path in paths {
            let mut at = &mut root;
            for key in path {
                at = at.children.entry(key.clone()).or_default();
            }
            at.whole = true;
        }
        root
    }

    /// The parts of `value` these keys name, as Rego. A path through a
    /// missing key or a non-object keeps nothing: Rego reads it as
    /// undefined either way.
    pub(super) fn project(&self, value: &Value) -> regorus::Value {
        if self.whole {
            return rego_value(value);
        }
        let Value::Object(map) = value else {
            return regorus::Value::new_object();
        };
        let mut out = BTreeMap::new();
        for (key, keys) in &self.children {
            if let Some(child) = map.get(key)
                && (keys.whole || child.is_object())
            {
                out.insert(regorus::Value::from(key.as_str()), keys.project(child));
            }
        }
        regorus::Value::from(out)
    }
}

impl Projection {
    pub(super) fn of(policies: &[Policy<'_>]) -> Projection {
        let mut all = Vec::new();
        for policy in policies {
            match &policy.input {
                Some(paths) => all.extend(paths),
                None => return Projection::Whole,
            }
        }
        Projection::Parts(Keys::of(all))
    }

    /// `object` as the Rego value the policies see.
    pub(super) fn of_value(&self, object: &Value) -> regorus::Value {
        match self {
            Projection::Whole => rego_value(object),
            Projection::Parts(keys) => keys.project(object),
        }
    }
}

/// A JSON value as the Rego value regorus's own deserializer makes of it
/// (a proptest compares them), without going through serde.
pub(super) fn rego_value(value: &Value) -> regorus::Value {
    match value {
        Value::Null => regorus::Value::Null,
        Value::Bool(b) => regorus::Value::Bool(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => regorus::Value::from(u),
            (None, Some(i)) => regorus::Value::from(i),
            (None, None) => regorus::Value::from(n.as_f64().unwrap_or_default()),
        },
        Value::String(s) => regorus::Value::from(s.as_str()),
        Value::Array(items) => {
            regorus::Value::from(items.iter().map(rego_value).collect::<Vec<_>>())
        }
        Value::Object(map) => regorus::Value::from(
            map.iter()
                .map(|(k, v)| (regorus::Value::from(k.as_str()), rego_value(v)))
                .collect::<BTreeMap<_, _>>(),
        ),
    }
}
