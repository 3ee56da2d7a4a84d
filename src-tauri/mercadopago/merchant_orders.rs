//! Merchant orders: one per scan of the QR, holding the payments made on it. Searching them by
//! `external_reference` is how a sale learns it was paid.

use rust_decimal::Decimal;
use serde::Deserialize;

use super::client::Call;
use super::{lenient, ApiError, Client};
use crate::money::json_amount;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MerchantOrderStatus {
    /// No payment covers the total yet.
    Opened,
    /// Approved payments cover the total.
    Closed,
    /// Cancelled with no approved or pending payment.
    Expired,
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    Pending,
    Approved,
    Authorized,
    InProcess,
    InMediation,
    Rejected,
    Cancelled,
    Refunded,
    ChargedBack,
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MerchantOrder {
    #[serde(deserialize_with = "lenient::id")]
    pub id: u64,
    pub status: MerchantOrderStatus,
    #[serde(default)]
    pub order_status: Option<String>,
    #[serde(default)]
    pub external_reference: Option<String>,
    #[serde(default)]
    pub preference_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::null_as_empty")]
    pub payments: Vec<MerchantOrderPayment>,
    #[serde(default, with = "json_amount::option")]
    pub total_amount: Option<Decimal>,
    #[serde(default, with = "json_amount::option")]
    pub paid_amount: Option<Decimal>,
    #[serde(default, with = "json_amount::option")]
    pub refunded_amount: Option<Decimal>,
    #[serde(default)]
    pub cancelled: Option<bool>,
    #[serde(default)]
    pub site_id: Option<String>,
    #[serde(default)]
    pub date_created: Option<String>,
    #[serde(default)]
    pub last_updated: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub application_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub sponsor_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MerchantOrderPayment {
    #[serde(deserialize_with = "lenient::id")]
    pub id: u64,
    pub status: PaymentStatus,
    #[serde(default)]
    pub status_detail: Option<String>,
    #[serde(default, with = "json_amount::option")]
    pub transaction_amount: Option<Decimal>,
    #[serde(default, with = "json_amount::option")]
    pub total_paid_amount: Option<Decimal>,
    #[serde(default)]
    pub currency_id: Option<String>,
    #[serde(default)]
    pub date_approved: Option<String>,
    #[serde(default, with = "json_amount::option")]
    pub amount_refunded: Option<Decimal>,
}

/// `{"elements": [...] | null, "next_offset": n, "total": n}`.
#[derive(Debug, Clone, Deserialize)]
pub struct MerchantOrderSearch {
    #[serde(default, deserialize_with = "lenient::null_as_empty")]
    pub elements: Vec<MerchantOrder>,
    #[serde(default)]
    pub next_offset: Option<u64>,
    #[serde(default)]
    pub total: Option<u64>,
}

/// Filters for a merchant-order search.
#[derive(Debug, Clone, Default)]
pub struct MerchantOrderQuery {
    pub external_reference: Option<String>,
    pub status: Option<String>,
    pub preference_id: Option<String>,
    /// Created at or after this moment (RFC 3339).
    pub date_created_from: Option<String>,
    /// Created before this moment (RFC 3339).
    pub date_created_to: Option<String>,
    pub limit: Option<u32>,
    pub offset: Option<u64>,
}

impl MerchantOrderQuery {
    pub fn by_reference(external_reference: &str) -> Self {
        MerchantOrderQuery {
            external_reference: Some(external_reference.to_owned()),
            ..Default::default()
        }
    }
}

impl Client {
    pub async fn merchant_order(&self, id: u64) -> Result<MerchantOrder, ApiError> {
        self.call(Call::get(format!("/merchant_orders/{id}"))).await
    }

    pub async fn search_merchant_orders(&self, q: &MerchantOrderQuery) -> Result<MerchantOrderSearch, ApiError> {
        let call = Call::get("/merchant_orders/search")
            .query_opt("external_reference", q.external_reference.as_ref())
            .query_opt("status", q.status.as_ref())
            .query_opt("preference_id", q.preference_id.as_ref())
            .query_opt("date_created_from", q.date_created_from.as_ref())
            .query_opt("date_created_to", q.date_created_to.as_ref())
            .query_opt("limit", q.limit)
            .query_opt("offset", q.offset);
        self.call(call).await
    }
}
