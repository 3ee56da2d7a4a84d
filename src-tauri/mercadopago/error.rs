use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Mercado Pago's error body: `{"message", "error", "status", "cause"}` (one legacy answer
/// says `causes`). The Orders API's `{"errors": [{"code", "message", "details"}]}` is read into
/// the same shape: `error` is the first error's code, `cause` all of them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub error: String,
    #[serde(default, deserialize_with = "super::lenient::opt_id")]
    pub status: Option<u64>,
    #[serde(default, alias = "causes")]
    pub cause: Option<serde_json::Value>,
}

/// What went wrong with a call, in terms a caller can act on. No variant ever holds the token.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// The token was refused (401, or 400 `invalid_access_token` on the instore paths).
    // What an error says (on the screen, in the journal, in the log) is Mercado Pago's code
    // and status, never its message or body: those may carry a payer's data, and go only to
    // the debug log (`ApiError::from_status`).
    #[error("Mercado Pago refused the access token ({})", code(.0))]
    InvalidToken(ErrorBody),
    #[error("not found at Mercado Pago ({})", code(.0))]
    NotFound(ErrorBody),
    /// Mercado Pago understood the request and refused its content (400, 403, 409, 422).
    #[error("Mercado Pago refused the request: {} ({status})", code(.body))]
    Validation { status: u16, body: ErrorBody },
    /// The same idempotency key is still being processed (423): try again with it.
    #[error("Mercado Pago is still working on this request (423)")]
    Locked(ErrorBody),
    #[error("Mercado Pago asks to slow down (429)")]
    RateLimited {
        retry_after: Option<Duration>,
        body: Option<ErrorBody>,
    },
    #[error("Mercado Pago had an error ({status})")]
    Server { status: u16, body: Option<ErrorBody> },
    #[error("Mercado Pago did not answer in time")]
    Timeout,
    #[error("could not reach Mercado Pago: {0}")]
    Network(String),
    /// A 2xx (or an error status) whose body is not what the contract says.
    #[error("Mercado Pago answered something unexpected ({status}): {detail}")]
    UnexpectedBody { status: u16, detail: String },
    #[error("the API address is not valid: {0}")]
    BadBaseUrl(String),
}

impl ApiError {
    /// The server's parsed error body, when it sent one.
    pub fn body(&self) -> Option<&ErrorBody> {
        match self {
            ApiError::InvalidToken(b)
            | ApiError::NotFound(b)
            | ApiError::Locked(b)
            | ApiError::Validation { body: b, .. } => Some(b),
            ApiError::RateLimited { body, .. } | ApiError::Server { body, .. } => body.as_ref(),
            _ => None,
        }
    }

    /// Mercado Pago's `error` key (`invalid_items`, `invalid_collector_id`, ...), if any.
    pub fn error_key(&self) -> Option<&str> {
        self.body().map(|b| b.error.as_str()).filter(|k| !k.is_empty())
    }

    /// Worth trying again later: the request may not have reached Mercado Pago, or it was
    /// refused for a passing reason.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ApiError::RateLimited { .. }
                | ApiError::Locked(_)
                | ApiError::Server { .. }
                | ApiError::Timeout
                | ApiError::Network(_)
        )
    }

    /// The request may have been carried out: a passing failure, or a 2xx whose body could not
    /// be read. A step that fails so is checked (searched) or repeated (same key), never
    /// taken as refused.
    pub fn is_uncertain(&self) -> bool {
        self.is_transient() || matches!(self, ApiError::UnexpectedBody { status: 200..=299, .. })
    }

    pub(crate) fn from_status(status: u16, text: &str, retry_after: Option<Duration>) -> ApiError {
        tracing::debug!(status, body = %snippet(text), "Mercado Pago's error answer");
        let body = ErrorBody::parse(text);
        let key = body.as_ref().map(|b| b.error.as_str()).unwrap_or("");
        match status {
            401 => ApiError::InvalidToken(body.unwrap_or_default()),
            423 => ApiError::Locked(body.unwrap_or_default()),
            400 if matches!(key, "invalid_access_token" | "invalid_token" | "unauthorized") => {
                ApiError::InvalidToken(body.unwrap_or_default())
            }
            404 => ApiError::NotFound(body.unwrap_or_default()),
            429 => ApiError::RateLimited { retry_after, body },
            500..=599 => ApiError::Server { status, body },
            _ => match body {
                Some(body) => ApiError::Validation { status, body },
                None => ApiError::UnexpectedBody {
                    status,
                    detail: "an error without a Mercado Pago error body".into(),
                },
            },
        }
    }
}

#[derive(Deserialize)]
struct OrdersErrors {
    errors: Vec<OrdersError>,
}

#[derive(Deserialize)]
struct OrdersError {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

impl ErrorBody {
    /// Either error shape; `None` when the body is neither.
    pub fn parse(text: &str) -> Option<ErrorBody> {
        if let Ok(orders) = serde_json::from_str::<OrdersErrors>(text) {
            let first = orders.errors.first()?;
            return Some(ErrorBody {
                message: first.message.clone(),
                error: first.code.clone(),
                status: None,
                cause: serde_json::from_str::<serde_json::Value>(text)
                    .ok()
                    .map(|v| v["errors"].clone()),
            });
        }
        serde_json::from_str::<ErrorBody>(text).ok()
    }
}

/// The first characters of a body, for an error message.
/// An error body's code, as an error says it.
fn code(body: &ErrorBody) -> &str {
    if body.error.is_empty() {
        "no code"
    } else {
        &body.error
    }
}

pub(crate) fn snippet(text: &str) -> String {
    let s: String = text.chars().take(120).collect();
    if s.is_empty() {
        "(empty body)".into()
    } else {
        s
    }
}

#[cfg(test)]
mod payer_data_tests {
    use super::*;

    const PAYER: &str = "juan.perez@example.com";

    /// Door 7: what an error says carries Mercado Pago's code and status, not its message or
    /// body, whatever the shape of the answer.
    #[test]
    fn what_an_error_says_carries_no_piece_of_the_body() {
        let bodies = [
            (
                400,
                format!(
                    r#"{{"message":"payer {PAYER} (DNI 30123456) cannot pay","error":"bad_request","status":400}}"#
                ),
            ),
            (
                401,
                format!(r#"{{"message":"token of {PAYER}","error":"invalid_token","status":401}}"#),
            ),
            (
                404,
                format!(r#"{{"message":"no order for {PAYER}","error":"not_found","status":404}}"#),
            ),
            (
                409,
                format!(r#"{{"errors":[{{"code":"idempotency_key_already_used","message":"{PAYER} paid"}}]}}"#),
            ),
            (422, format!("<html>payer {PAYER}</html>")),
            (
                500,
                format!(r#"{{"message":"{PAYER}","error":"internal_error","status":500}}"#),
            ),
            (429, format!(r#"{{"message":"slow down {PAYER}"}}"#)),
        ];
        for (status, body) in bodies {
            let e = ApiError::from_status(status, &body, None);
            assert!(!e.to_string().contains(PAYER), "{status}: {e}");
            assert!(!e.to_string().contains("30123456"), "{status}: {e}");
        }
        let e = ApiError::from_status(400, &bodies_first(), None);
        assert_eq!(e.to_string(), "Mercado Pago refused the request: bad_request (400)");
        // A 200 whose body is not in the contract's shape: serde's words quote the body; the
        // error says where it broke, not what was there.
        let answer = crate::mercadopago::client::Answer {
            status: 200,
            text: format!(r#"{{"id": "{PAYER}"}}"#),
        };
        let e = answer.parse::<std::collections::HashMap<String, u64>>().unwrap_err();
        assert!(!e.to_string().contains(PAYER), "{e}");
    }

    fn bodies_first() -> String {
        format!(r#"{{"message":"payer {PAYER}","error":"bad_request","status":400}}"#)
    }
}
