//! `--set KEY=VALUE`: change one world parameter by its RON name (nested
//! with dots), VALUE written in RON (`54`, `true`, `"text"`, `Exponential`,
//! `Erlang(k: 3)`, `[1, 2]`); a list of named items is entered by name or
//! index (`--set nodes.db.servers=8`). The parameters go through JSON as a neutral
//! tree, so every world gets this for free, and the result is type-checked
//! by deserialising it back into the world's parameter types.

use serde_json::{Map, Value};

use super::error::clip;
use super::{MAX_NESTING, ScenarioError, WorldSpec, too_deep};

const ORIGIN: &str = "--set";
/// Longest `--set` value read.
pub const MAX_SET_BYTES: usize = 64 * 1024;

pub(super) fn apply(world: &WorldSpec, assignment: &str) -> Result<WorldSpec, ScenarioError> {
    let Some((key, raw)) = assignment.split_once('=') else {
        return Err(ScenarioError::new(
            ORIGIN,
            format!("`{assignment}` is not KEY=VALUE (e.g. --set arrival_rate_per_min=54)"),
        ));
    };
    let key = key.trim();
    let raw = raw.trim();
    let mut tree = serde_json::to_value(world)
        .map_err(|e| ScenarioError::new(ORIGIN, format!("internal: {e}")))?;
    // {"Platform": {...params...}}
    let Some(params) = tree.as_object_mut().and_then(|m| m.values_mut().next()) else {
        return Err(ScenarioError::new(
            ORIGIN,
            "internal: world is not a variant",
        ));
    };
    let mut slot = params;
    let mut walked = Vec::new();
    for seg in key.split('.') {
        let here = if walked.is_empty() {
            "the world's parameters".to_string()
        } else {
            format!("`{}`", walked.join("."))
        };
        if let Value::Array(items) = slot {
            // A list of named items (a network's nodes): by name or index.
            let Some(i) = item_index(items, seg) else {
                let names: Vec<&str> = items.iter().filter_map(item_name).collect();
                return Err(ScenarioError::new(
                    ORIGIN,
                    format!(
                        "no item `{seg}` in {here}; expected a name ({}) or an index below {}",
                        names.join(", "),
                        items.len()
                    ),
                ));
            };
            walked.push(seg);
            slot = &mut items[i];
            continue;
        }
        let Value::Object(obj) = slot else {
            return Err(ScenarioError::new(
                ORIGIN,
                format!("{here} has no fields; `{key}` cannot be set"),
            ));
        };
        let obj = descend_enum(obj);
        if !obj.contains_key(seg) {
            let names: Vec<&str> = obj.keys().map(String::as_str).collect();
            return Err(ScenarioError::new(
                ORIGIN,
                format!(
                    "unknown parameter `{seg}` in {here}; expected one of: {}",
                    names.join(", ")
                ),
            ));
        }
        walked.push(seg);
        slot = obj.get_mut(seg).unwrap_or_else(|| unreachable!());
    }
    let old = slot.clone();
    let shown = clip(raw, 80);
    let fail = |m: String| ScenarioError::new(ORIGIN, format!("{key}={shown}: {m}"));
    if raw.len() > MAX_SET_BYTES {
        return Err(fail(format!(
            "the value is {} bytes; at most {MAX_SET_BYTES} are read",
            raw.len()
        )));
    }
    // Checked before any parsing, so that no input can recurse deeply.
    if let Some(p) = too_deep(raw) {
        return Err(fail(format!(
            "nested deeper than {MAX_NESTING} levels of brackets (at character {}); \
             at most {MAX_NESTING} are allowed",
            p.col
        )));
    }
    let value = ron_to_json(raw).map_err(fail)?;
    if json_depth(&value, MAX_NESTING + 1) > MAX_NESTING {
        return Err(fail(format!(
            "nested deeper than {MAX_NESTING} levels; at most {MAX_NESTING} are allowed"
        )));
    }
    check_shape(&old, &value, key).map_err(fail)?;
    let bare = is_ident(raw) && matches!(value, Value::String(_));
    if bare && takes_any_text(&tree_with(&tree, key, Value::String("\u{1}".into()))) {
        return Err(fail(format!(
            "`{key}` is text: write it in double quotes, e.g. --set '{key}=\"{shown}\"'"
        )));
    }
    let tree = tree_with(&tree, key, coerce(&old, value));
    let enum_like = match &old {
        Value::Object(o) => is_variant(o),
        Value::String(_) | Value::Null => true,
        _ => false,
    };
    serde_json::from_value::<WorldSpec>(tree).map_err(|e| {
        if bare && !enum_like {
            fail(format!(
                "a bare word is a variant name, but `{key}` expects {}",
                describe(&old)
            ))
        } else {
            fail(e.to_string())
        }
    })
}

/// `tree` with the value at the dotted `key` (walked as in [`apply`])
/// replaced by `v`.
fn tree_with(tree: &Value, key: &str, v: Value) -> Value {
    let mut t = tree.clone();
    let mut slot = t.as_object_mut().and_then(|m| m.values_mut().next());
    for seg in key.split('.') {
        slot = match slot {
            Some(Value::Object(obj)) => descend_enum(obj).get_mut(seg),
            Some(Value::Array(items)) => item_index(items, seg).and_then(|i| items.get_mut(i)),
            _ => None,
        };
    }
    if let Some(s) = slot {
        *s = v;
    }
    t
}

/// The `name` field of a list item (looking through an enum variant:
/// `{"Station": {"name": "db", …}}`).
fn item_name(v: &Value) -> Option<&str> {
    let Value::Object(o) = v else {
        return None;
    };
    let inner = match o.iter().next() {
        Some((k, Value::Object(inner))) if o.len() == 1 && k.starts_with(char::is_uppercase) => {
            inner
        }
        _ => o,
    };
    inner.get("name").and_then(Value::as_str)
}

/// The item of a list named `seg` (its `name` field), else at index `seg`.
fn item_index(items: &[Value], seg: &str) -> Option<usize> {
    items
        .iter()
        .position(|v| item_name(v) == Some(seg))
        .or_else(|| seg.parse::<usize>().ok().filter(|i| *i < items.len()))
}

/// Whether the world's parameters accept this tree: used with a probe
/// string no variant is named, to tell a text field from an enum.
fn takes_any_text(tree: &Value) -> bool {
    serde_json::from_value::<WorldSpec>(tree.clone()).is_ok()
}

/// What a field holding `old` expects, in words.
fn describe(old: &Value) -> &'static str {
    match old {
        Value::Number(_) => "a number",
        Value::Bool(_) => "`true` or `false`",
        Value::Array(_) => "a list `[…]`",
        Value::Object(o) if is_variant(o) => "a variant (e.g. `Name` or `Name(…)`)",
        Value::Object(_) => "a struct `(field: value, …)`",
        Value::String(_) => "a variant name or text in double quotes",
        Value::Null => "a value",
    }
}

fn is_variant(obj: &Map<String, Value>) -> bool {
    obj.len() == 1
        && obj
            .keys()
            .next()
            .is_some_and(|k| k.starts_with(char::is_uppercase))
}

/// Refuses a list where a struct is expected (serde would read `[]` as a
/// struct of defaults), recursively through struct fields and list items
/// whose shape the current value shows.
fn check_shape(old: &Value, new: &Value, key: &str) -> Result<(), String> {
    match (old, new) {
        (Value::Object(o), Value::Array(_)) if !is_variant(o) => Err(format!(
            "`{key}` is a struct: write it as `(field: value, …)`, not a list"
        )),
        (Value::Object(o), Value::Object(n)) => {
            if is_variant(o) && is_variant(n) {
                // Same variant: compare what it holds.
                if let (Some((ko, vo)), Some((kn, vn))) = (o.iter().next(), n.iter().next())
                    && ko == kn
                {
                    return check_shape(vo, vn, key);
                }
                return Ok(());
            }
            for (k, v) in n {
                if let Some(ov) = o.get(k) {
                    check_shape(ov, v, &format!("{key}.{k}"))?;
                }
            }
            Ok(())
        }
        (Value::Array(o), Value::Array(n)) => match o.first() {
            Some(first) => n.iter().try_for_each(|v| check_shape(first, v, key)),
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

/// How deep `v` nests, counting at most to `cap` (so the walk is bounded).
fn json_depth(v: &Value, cap: usize) -> usize {
    if cap == 0 {
        return 0;
    }
    let inner = match v {
        Value::Array(a) => a.iter().map(|x| json_depth(x, cap - 1)).max().unwrap_or(0),
        Value::Object(o) => o
            .values()
            .map(|x| json_depth(x, cap - 1))
            .max()
            .unwrap_or(0),
        _ => return 0,
    };
    inner + 1
}

/// A struct-like enum variant serialises as `{"Variant": {...}}`: look
/// through it so that `--set service.k=3` reaches the fields.
fn descend_enum(obj: &mut Map<String, Value>) -> &mut Map<String, Value> {
    let single_variant = obj.len() == 1
        && obj
            .iter()
            .next()
            .is_some_and(|(k, v)| k.starts_with(char::is_uppercase) && v.is_object());
    if single_variant {
        match obj.values_mut().next() {
            Some(Value::Object(inner)) => inner,
            _ => unreachable!(),
        }
    } else {
        obj
    }
}

/// Keeps integers integers where the old value was an integer.
fn coerce(old: &Value, new: Value) -> Value {
    match (old, &new) {
        (Value::Number(o), Value::Number(n)) if (o.is_u64() || o.is_i64()) && n.is_f64() => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            if f.fract() == 0.0 && (0.0..9.0e15).contains(&f) {
                Value::from(f as u64)
            } else {
                new
            }
        }
        _ => new,
    }
}

/// Converts a RON value to JSON, keeping enum variant names:
/// `Foo` → `"Foo"`, `Foo(a: 1)` → `{"Foo": {"a": 1}}`, `Foo(1)` → `{"Foo": 1}`.
fn ron_to_json(raw: &str) -> Result<Value, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err("empty value".to_string());
    }
    if is_ident(raw) && !matches!(raw, "true" | "false" | "None") {
        return Ok(Value::String(raw.to_string()));
    }
    if let Some(open) = raw.find('(')
        && raw.ends_with(')')
    {
        let name = raw[..open].trim();
        if is_ident(name) && name != "Some" {
            let inner = &raw[open + 1..raw.len() - 1];
            let inner_json = if inner.contains(':') {
                ron_to_json(&format!("({inner})"))?
            } else {
                ron_to_json(inner)?
            };
            return Ok(serde_json::json!({ name: inner_json }));
        }
    }
    let v: ron::Value = ron::from_str(raw).map_err(|e| format!("not a RON value: {e}"))?;
    ron_value_to_json(v)
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn ron_value_to_json(v: ron::Value) -> Result<Value, String> {
    Ok(match v {
        ron::Value::Bool(b) => Value::Bool(b),
        ron::Value::Char(c) => Value::String(c.to_string()),
        ron::Value::String(s) => Value::String(s),
        ron::Value::Number(n) => {
            let f = n.into_f64();
            if f.fract() == 0.0 && f.abs() < 9.0e15 {
                if f >= 0.0 {
                    Value::from(f as u64)
                } else {
                    Value::from(f as i64)
                }
            } else {
                serde_json::Number::from_f64(f)
                    .map(Value::Number)
                    .ok_or_else(|| format!("{f} is not a finite number"))?
            }
        }
        ron::Value::Option(None) | ron::Value::Unit => Value::Null,
        ron::Value::Option(Some(b)) => ron_value_to_json(*b)?,
        ron::Value::Seq(items) => Value::Array(
            items
                .into_iter()
                .map(ron_value_to_json)
                .collect::<Result<_, _>>()?,
        ),
        ron::Value::Map(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let key = match k {
                    ron::Value::String(s) => s,
                    other => format!("{other:?}"),
                };
                out.insert(key, ron_value_to_json(v)?);
            }
            Value::Object(out)
        }
        ron::Value::Bytes(_) => return Err("byte strings are not parameters".to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ron_values_become_json_with_variant_names() {
        assert_eq!(ron_to_json("54").ok(), Some(serde_json::json!(54)));
        assert_eq!(ron_to_json("0.5").ok(), Some(serde_json::json!(0.5)));
        assert_eq!(
            ron_to_json("Exponential").ok(),
            Some(serde_json::json!("Exponential"))
        );
        assert_eq!(
            ron_to_json("Erlang(k: 3)").ok(),
            Some(serde_json::json!({"Erlang": {"k": 3}}))
        );
        assert_eq!(ron_to_json("true").ok(), Some(serde_json::json!(true)));
        assert_eq!(ron_to_json("[1, 2]").ok(), Some(serde_json::json!([1, 2])));
        assert!(ron_to_json("(").is_err());
    }
}
