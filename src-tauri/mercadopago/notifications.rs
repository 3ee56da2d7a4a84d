//! Notifications: the attended model's IPN (and its Webhook form), and the Orders API's
//! webhooks. Neither is ever money: a notification is only a cue to read the resource it names
//! with our own token, and nothing in it is trusted beyond an id. Orders webhooks carry an
//! `x-signature` (HMAC-SHA256 with the application's secret), which is checked and reported;
//! the attended model's QR notifications are not signed.

use hmac::{Hmac, Mac};
use serde::Deserialize;

/// What a notification points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cue {
    MerchantOrder(u64),
    Payment(u64),
    /// An Orders API order (`ORD…`), and the version of it the notification tells of.
    Order {
        id: String,
        version: Option<u64>,
    },
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
    #[serde(default, deserialize_with = "super::lenient::opt_text")]
    id: Option<String>,
    #[serde(default)]
    version: Option<u64>,
}

/// An order id as Mercado Pago writes them: letters and digits, not too long.
fn order_id(id: &str) -> Option<String> {
    (!id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric())).then(|| id.to_owned())
}

fn cue(topic: &str, id: &str, version: Option<u64>) -> Option<Cue> {
    match topic {
        "merchant_order" => Some(Cue::MerchantOrder(id.parse().ok()?)),
        "payment" => Some(Cue::Payment(id.parse().ok()?)),
        t if t.starts_with("order") => Some(Cue::Order {
            id: order_id(id)?,
            version,
        }),
        _ => None,
    }
}

/// Reads a notification from its query (`?topic=merchant_order&id=…`, `?data.id=…&type=order`)
/// and its body (`{"resource", "topic"}`, or `{"type", "data": {"id", "version"}}`).
pub fn parse(query: &str, body: &[u8]) -> Option<Cue> {
    let params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    let param = |k: &str| params.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    let b: Option<Body> = serde_json::from_slice(body).ok();
    let version = b.as_ref().and_then(|b| b.data.as_ref()).and_then(|d| d.version);
    let topic = param("topic").or(param("type"));
    let id = param("id").or(param("data.id"));
    if let (Some(t), Some(id)) = (topic, id) {
        return cue(t, id, version);
    }
    let b = b?;
    if let (Some(t), Some(r)) = (b.topic.as_deref(), b.resource.as_deref()) {
        return cue(t, r.rsplit('/').next()?, None);
    }
    let data = b.data?;
    cue(b.kind.as_deref()?, data.id.as_deref()?, data.version)
}

/// What an Orders webhook's `x-signature` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Signature {
    /// Made with our secret, its `ts` within five minutes of our clock.
    Valid,
    /// Made with our secret, but its `ts` is far from our clock (a replay, or a clock off).
    Stale,
    /// Not made with our secret.
    Invalid,
    /// No `x-signature` (or no `ts`/`v1` in it).
    Missing,
    /// No secret is set here to check it with.
    NoSecret,
}

/// How far a signature's `ts` may be from our clock before it is reported stale.
pub const SIGNATURE_TOLERANCE_MS: i64 = 5 * 60 * 1000;

/// Checks an Orders webhook's `x-signature` (`ts=…,v1=…`): HMAC-SHA256, keyed with the
/// application's secret, of `id:{data.id};request-id:{x-request-id};ts:{ts};` (a pair whose
/// value is absent left out), `data.id` from the query string. Mercado Pago's pages lowercase
/// the id and its SDKs sign it as received, so both are tried; a `ts` of 13 digits or more is
/// milliseconds, else seconds. Compared in constant time.
pub fn verify(
    secret: Option<&str>,
    query: &str,
    signature: Option<&str>,
    request_id: Option<&str>,
    now_ms: i64,
) -> Signature {
    let Some(secret) = secret.filter(|s| !s.is_empty()) else {
        return Signature::NoSecret;
    };
    let Some(signature) = signature else {
        return Signature::Missing;
    };
    let mut ts = None;
    let mut v1 = None;
    for part in signature.split(',') {
        match part.trim().split_once('=') {
            Some(("ts", v)) => ts = Some(v.trim()),
            Some(("v1", v)) => v1 = Some(v.trim()),
            _ => {}
        }
    }
    let (Some(ts), Some(v1)) = (ts, v1) else {
        return Signature::Missing;
    };
    let Ok(expected) = hex::decode(v1) else {
        return Signature::Invalid;
    };
    let params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    let id = params.iter().find(|(k, _)| k == "data.id").map(|(_, v)| v.as_str());
    let manifest = |id: Option<&str>| {
        let mut m = String::new();
        if let Some(id) = id {
            m.push_str(&format!("id:{id};"));
        }
        if let Some(r) = request_id {
            m.push_str(&format!("request-id:{r};"));
        }
        m.push_str(&format!("ts:{ts};"));
        m
    };
    let lowered = id.map(str::to_lowercase);
    let signed = [manifest(id), manifest(lowered.as_deref())].iter().any(|m| {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
        mac.update(m.as_bytes());
        mac.verify_slice(&expected).is_ok()
    });
    if !signed {
        return Signature::Invalid;
    }
    let at = ts
        .parse::<i64>()
        .map(|t| if ts.len() >= 13 { t } else { t.saturating_mul(1000) });
    match at {
        Ok(at) if (now_ms - at).abs() <= SIGNATURE_TOLERANCE_MS => Signature::Valid,
        _ => Signature::Stale,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &str, manifest: &str) -> String {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(manifest.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    #[test]
    fn notifications_of_both_apis_are_read_as_cues() {
        assert_eq!(parse("topic=merchant_order&id=123", b""), Some(Cue::MerchantOrder(123)));
        assert_eq!(
            parse(
                "data.id=ORD01JV391F8YM8EDEAG8CWZ0GM0N&type=order",
                br#"{"data":{"version":3}}"#
            ),
            Some(Cue::Order {
                id: "ORD01JV391F8YM8EDEAG8CWZ0GM0N".into(),
                version: Some(3)
            })
        );
        let body =
            br#"{"action":"order.expired","data":{"id":"ORD01JV391F8YM8EDEAG8CWZ0GM0N","version":2},"type":"order"}"#;
        assert!(matches!(parse("", body), Some(Cue::Order { version: Some(2), .. })));
        assert_eq!(
            parse("data.id=ORD%3Cscript%3E&type=order", b""),
            None,
            "not an order id"
        );
        assert_eq!(parse("", b"{not json"), None);
    }

    /// The manifest Mercado Pago publishes, signed as documented.
    #[test]
    fn the_published_manifest_verifies_in_either_casing_and_ts_unit() {
        let secret = "a-webhook-secret";
        let (id, request) = ("ORD01JQ4S4KY8HWQ6NA5PXB65B3D3", "2066ca19-c6f1-498a-be75-1923005edd06");
        let ts = "1742505638683";
        let query = format!("data.id={id}&type=order");
        let now = 1742505638683 + 10_000;
        let lower = sign(
            secret,
            &format!("id:{};request-id:{request};ts:{ts};", id.to_lowercase()),
        );
        assert_eq!(
            verify(
                Some(secret),
                &query,
                Some(&format!("ts={ts},v1={lower}")),
                Some(request),
                now
            ),
            Signature::Valid
        );
        let as_sent = sign(secret, &format!("id:{id};request-id:{request};ts:{ts};"));
        assert_eq!(
            verify(
                Some(secret),
                &query,
                Some(&format!("ts={ts},v1={as_sent}")),
                Some(request),
                now
            ),
            Signature::Valid
        );
        let seconds = "1742505638";
        let in_seconds = sign(secret, &format!("id:{id};request-id:{request};ts:{seconds};"));
        assert_eq!(
            verify(
                Some(secret),
                &query,
                Some(&format!("ts={seconds},v1={in_seconds}")),
                Some(request),
                now
            ),
            Signature::Valid
        );
        // No x-request-id: its pair is left out of the manifest.
        let bare = sign(secret, &format!("id:{id};ts:{ts};"));
        assert_eq!(
            verify(Some(secret), &query, Some(&format!("ts={ts},v1={bare}")), None, now),
            Signature::Valid
        );
    }

    #[test]
    fn a_wrong_missing_or_old_signature_is_said_so() {
        let query = "data.id=ORD1&type=order";
        let good = sign("s", "id:ORD1;request-id:r;ts:1700000000000;");
        let now = 1_700_000_000_000;
        assert_eq!(
            verify(
                Some("other"),
                query,
                Some(&format!("ts=1700000000000,v1={good}")),
                Some("r"),
                now
            ),
            Signature::Invalid
        );
        assert_eq!(verify(Some("s"), query, None, Some("r"), now), Signature::Missing);
        assert_eq!(
            verify(Some("s"), query, Some("v1=abc"), Some("r"), now),
            Signature::Missing
        );
        assert_eq!(
            verify(Some("s"), query, Some("ts=1,v1=zz"), Some("r"), now),
            Signature::Invalid
        );
        assert_eq!(
            verify(None, query, Some("ts=1,v1=00"), Some("r"), now),
            Signature::NoSecret
        );
        let later = now + SIGNATURE_TOLERANCE_MS + 1;
        assert_eq!(
            verify(
                Some("s"),
                query,
                Some(&format!("ts=1700000000000,v1={good}")),
                Some("r"),
                later
            ),
            Signature::Stale,
            "a replay hours later"
        );
    }
}
