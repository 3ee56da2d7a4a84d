//! Payments: read one, search by `external_reference`, refund.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::client::{Call, Repeat};
use super::merchant_orders::PaymentStatus;
use super::{lenient, ApiError, Client, Page};
use crate::money::json_amount;

#[derive(Debug, Clone, Deserialize)]
pub struct Payment {
    #[serde(deserialize_with = "lenient::id")]
    pub id: u64,
    pub status: PaymentStatus,
    #[serde(default)]
    pub status_detail: Option<String>,
    #[serde(default)]
    pub external_reference: Option<String>,
    #[serde(default, with = "json_amount::option")]
    pub transaction_amount: Option<Decimal>,
    #[serde(default, with = "json_amount::option")]
    pub transaction_amount_refunded: Option<Decimal>,
    #[serde(default)]
    pub currency_id: Option<String>,
    #[serde(default)]
    pub date_created: Option<String>,
    #[serde(default)]
    pub date_approved: Option<String>,
    #[serde(default)]
    pub order: Option<PaymentOrder>,
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub pos_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub store_id: Option<String>,
    #[serde(default)]
    pub point_of_interaction: Option<PointOfInteraction>,
}

/// The merchant order a payment belongs to (`{}` on payments outside one).
#[derive(Debug, Clone, Deserialize)]
pub struct PaymentOrder {
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub id: Option<u64>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PointOfInteraction {
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
struct RefundBody {
    #[serde(with = "json_amount::option", skip_serializing_if = "Option::is_none")]
    amount: Option<Decimal>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Refund {
    #[serde(deserialize_with = "lenient::id")]
    pub id: u64,
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub payment_id: Option<u64>,
    #[serde(default, with = "json_amount::option")]
    pub amount: Option<Decimal>,
    #[serde(default)]
    pub status: Option<String>,
}

impl Client {
    pub async fn payment(&self, id: u64) -> Result<Payment, ApiError> {
        self.call(Call::get(format!("/v1/payments/{id}"))).await
    }

    /// Newest first.
    pub async fn search_payments(&self, external_reference: &str) -> Result<Page<Payment>, ApiError> {
        let call = Call::get("/v1/payments/search")
            .query("external_reference", external_reference)
            .query("sort", "date_created")
            .query("criteria", "desc");
        self.call(call).await
    }

    /// Refunds the whole payment (`amount` None) or part of it. The idempotency key must be the
    /// same on every attempt of one refund: only with it is the call repeated.
    pub async fn refund_payment(
        &self,
        payment_id: u64,
        amount: Option<Decimal>,
        idempotency_key: &str,
    ) -> Result<Refund, ApiError> {
        let call = Call::new(
            reqwest::Method::POST,
            format!("/v1/payments/{payment_id}/refunds"),
            Repeat::Safe,
        )
        .json(&RefundBody { amount })?
        .header("X-Idempotency-Key", idempotency_key);
        self.call(call).await
    }
}
