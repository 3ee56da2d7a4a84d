//! Field parsers for the places where Mercado Pago's JSON varies: ids that come as numbers or
//! strings, ids beyond 32 bits, and lists that come as `null`.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

fn value_to_u64(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// An id sent as a number or a numeric string.
pub fn id<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let v = Value::deserialize(d)?;
    value_to_u64(&v).ok_or_else(|| serde::de::Error::custom(format!("expected an id, found {v}")))
}

/// An optional id: a number, a numeric string, `null`, `""` or missing.
pub fn opt_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    Ok(v.as_ref().and_then(value_to_u64))
}

/// A value sent as a string, a number or `null`, kept as text.
pub fn opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    Ok(match v {
        Some(Value::String(s)) if !s.is_empty() => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

/// A list that may be `null`.
pub fn null_as_empty<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}
