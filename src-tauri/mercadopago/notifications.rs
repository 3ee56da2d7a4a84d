//! Notifications (IPN and Webhook form). QR notifications are not signed: they are only a cue
//! to fetch the resource with our own token, and nothing in them is trusted beyond an id.

use serde::Deserialize;

/// What a notification points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cue {
    MerchantOrder(u64),
    Payment(u64),
}

#[derive(Deserialize)]
struct Body {
    #[serde(default)]
    topic: Option<String>,
    #[serde(default)]
    resource: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    data: Option<Data>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(default, deserialize_with = "super::lenient::opt_id")]
    id: Option<u64>,
}

fn cue(topic: &str, id: u64) -> Option<Cue> {
    match topic {
        "merchant_order" => Some(Cue::MerchantOrder(id)),
        "payment" => Some(Cue::Payment(id)),
        _ => None,
    }
}

/// Reads a notification from its query (`?topic=merchant_order&id=…`, or `type`/`data.id`)
/// and its body (`{"resource", "topic"}` or `{"type", "data": {"id"}}`).
pub fn parse(query: &str, body: &[u8]) -> Option<Cue> {
    let params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    let param = |k: &str| params.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    let topic = param("topic").or(param("type"));
    let id = param("id").or(param("data.id")).and_then(|i| i.parse().ok());
    if let (Some(t), Some(id)) = (topic, id) {
        return cue(t, id);
    }
    let b: Body = serde_json::from_slice(body).ok()?;
    if let (Some(t), Some(r)) = (b.topic.as_deref(), b.resource.as_deref()) {
        return cue(t, r.rsplit('/').next()?.parse().ok()?);
    }
    cue(b.kind.as_deref()?, b.data?.id?)
}
