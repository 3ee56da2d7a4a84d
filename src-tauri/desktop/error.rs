//! Errors as the page receives them: `{kind, message, ...details}`. The page words them in the
//! cashier's language from `kind` and the details; `message` is the English fallback.

use serde::Serialize;
use serde_json::{json, Value};

use crate::mercadopago::ApiError;
use crate::register::RegisterError;
use crate::sale::{CartError, JournalError, ProductError, RowError};
use crate::till::TillError;
use crate::vault::VaultError;

#[derive(Debug, Clone, Serialize)]
pub struct CommandError {
    pub kind: &'static str,
    pub message: String,
    #[serde(flatten)]
    pub detail: Value,
}

impl CommandError {
    pub fn new(kind: &'static str, message: impl Into<String>) -> Self {
        CommandError {
            kind,
            message: message.into(),
            detail: json!({}),
        }
    }

    pub(super) fn with(kind: &'static str, message: impl Into<String>, detail: Value) -> Self {
        CommandError {
            kind,
            message: message.into(),
            detail,
        }
    }
}

impl From<CartError> for CommandError {
    fn from(e: CartError) -> Self {
        Self::with("cart", e.to_string(), serde_json::to_value(&e).unwrap_or_default())
    }
}

impl From<crate::money::MoneyError> for CommandError {
    fn from(e: crate::money::MoneyError) -> Self {
        use crate::money::MoneyError;
        let allowed = match &e {
            MoneyError::TooManyDecimals { allowed, .. } => Some(*allowed),
            _ => None,
        };
        let text = match &e {
            MoneyError::NotAnAmount(t) | MoneyError::Ambiguous(t) => Some(t.clone()),
            _ => None,
        };
        Self::with(
            "amount",
            e.to_string(),
            json!({ "reason": e.reason(), "text": text, "allowed": allowed }),
        )
    }
}

impl From<crate::owner::OwnerError> for CommandError {
    fn from(e: crate::owner::OwnerError) -> Self {
        Self::with("owner", e.to_string(), serde_json::to_value(&e).unwrap_or_default())
    }
}

impl From<ProductError> for CommandError {
    fn from(e: ProductError) -> Self {
        Self::with("product", e.to_string(), serde_json::to_value(&e).unwrap_or_default())
    }
}

impl From<Vec<RowError>> for CommandError {
    fn from(rows: Vec<RowError>) -> Self {
        let message = rows
            .iter()
            .map(|r| format!("row {}: {}", r.row, r.error))
            .collect::<Vec<_>>()
            .join("; ");
        Self::with("import", message, json!({ "rows": rows }))
    }
}

impl From<JournalError> for CommandError {
    fn from(e: JournalError) -> Self {
        match e {
            JournalError::PosHeld(sale_id) => Self::with("busy", e.to_string(), json!({ "saleId": sale_id })),
            JournalError::NoOpenTill => Self::with("till", e.to_string(), json!({ "reason": "not_open" })),
            JournalError::NotFinishable { sale_id, why } => {
                let why = serde_json::to_value(why).unwrap_or_default();
                let reason = format!("unfinishable_{}", why.as_str().unwrap_or_default());
                Self::with(
                    "cash",
                    e.to_string(),
                    json!({ "reason": reason, "why": why, "saleId": sale_id }),
                )
            }
            e => Self::with("journal", e.to_string(), serde_json::to_value(&e).unwrap_or_default()),
        }
    }
}

impl From<TillError> for CommandError {
    fn from(e: TillError) -> Self {
        match e {
            TillError::Journal(j) => j.into(),
            e => Self::with("till", e.to_string(), serde_json::to_value(&e).unwrap_or_default()),
        }
    }
}

impl From<VaultError> for CommandError {
    fn from(e: VaultError) -> Self {
        Self::with("vault", e.to_string(), serde_json::to_value(&e).unwrap_or_default())
    }
}

impl From<ApiError> for CommandError {
    fn from(e: ApiError) -> Self {
        let key = e.error_key().unwrap_or_default().to_owned();
        let kind = match &e {
            ApiError::InvalidToken(_) => "token_refused",
            ApiError::NotFound(_) if key.contains("point_of_sale") => "pos_missing",
            ApiError::NotFound(_) => "not_found",
            ApiError::Validation { .. } => "refused",
            ApiError::RateLimited { .. }
            | ApiError::Locked(_)
            | ApiError::Server { .. }
            | ApiError::Timeout
            | ApiError::Network(_) => "connection",
            ApiError::UnexpectedBody { .. } => "unexpected_answer",
            ApiError::BadBaseUrl(_) => "bad_base_url",
        };
        Self::with(kind, e.to_string(), json!({ "mpError": key }))
    }
}

impl From<RegisterError> for CommandError {
    fn from(e: RegisterError) -> Self {
        match e {
            RegisterError::Cart(c) => c.into(),
            RegisterError::Journal(j) => j.into(),
            RegisterError::Busy { sale_id } => Self::with("busy", e.to_string(), json!({ "saleId": sale_id })),
            RegisterError::Charging => Self::new("charging", e.to_string()),
            RegisterError::PendingPayment { sale_id } => {
                Self::with("pending_payment", e.to_string(), json!({ "saleId": sale_id }))
            }
            RegisterError::PosNotFixedAmount { ref pos } => {
                Self::with("pos_not_fixed_amount", e.to_string(), json!({ "pos": pos }))
            }
            RegisterError::NotCancellable { sale_id, state } => Self::with(
                "not_cancellable",
                e.to_string(),
                json!({ "saleId": sale_id, "state": state }),
            ),
            RegisterError::Cash(c) => Self::with("cash", c.to_string(), serde_json::to_value(&c).unwrap_or_default()),
        }
    }
}
