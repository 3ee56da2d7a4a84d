//! The Orders API for in-person QR (`/v1/orders` with `type: "qr"`): Mercado Pago's current QR
//! API. An order is created on the POS's static QR with an idempotency key (a replay with the
//! same key and body returns the same order), read by its id, cancelled by its id while it is
//! `created`, and refunded whole. Amounts are decimal strings with the site's decimals; ids are
//! opaque strings (`ORD…`, `PAY…`).

use std::time::Duration;

use reqwest::Method;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::client::{Call, Repeat};
use super::{lenient, ApiError, Client};
use crate::money::{json_amount, Currency, Site};

/// Which of Mercado Pago's QR APIs a sale speaks. Chosen per site (the Orders API where its
/// reference lists the country), forced by a setting; a sale finishes on the one it began on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Api {
    /// The attended model: `/mpmobile/instore/qr/…`, merchant orders, IPN.
    #[default]
    Legacy,
    /// `/v1/orders`, webhooks with `x-signature`.
    Orders,
}

impl Api {
    /// Orders API for Argentina, Brazil, Chile and Uruguay (the countries its QR reference
    /// lists); the attended model for Mexico, Colombia and Peru.
    pub fn for_site(site: Site) -> Api {
        match site {
            Site::Argentina | Site::Brazil | Site::Chile | Site::Uruguay => Api::Orders,
            Site::Mexico | Site::Colombia | Site::Peru => Api::Legacy,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Api::Legacy => "legacy",
            Api::Orders => "orders",
        }
    }

    pub fn parse(s: &str) -> Option<Api> {
        match s {
            "legacy" => Some(Api::Legacy),
            "orders" => Some(Api::Orders),
            _ => None,
        }
    }
}

/// At most this many items go with an order; a longer cart goes without them.
pub const MAX_ITEMS: usize = 10;

/// The body of `POST /v1/orders`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CreateOrder {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub external_reference: String,
    pub total_amount: String,
    pub description: String,
    pub expiration_time: String,
    pub config: OrderConfig,
    pub transactions: NewTransactions,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<OrderItem>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderConfig {
    pub qr: QrConfig,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QrConfig {
    pub external_pos_id: String,
    #[serde(default)]
    pub mode: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewTransactions {
    pub payments: Vec<NewPayment>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewPayment {
    pub amount: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderItem {
    pub title: String,
    pub unit_price: String,
    pub quantity: u32,
    pub unit_measure: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_code: Option<String>,
}

/// An amount as the Orders API writes it: a decimal string with the currency's decimals
/// (`"1500.00"`; `"1500"` in CLP).
pub fn amount_text(amount: Decimal, currency: Currency) -> String {
    currency.rescale(amount).to_string()
}

/// An order's lifetime as an ISO-8601 duration: `PT10M`, or `PT90S` when not whole minutes.
pub fn duration_text(d: Duration) -> String {
    let s = d.as_secs().max(30);
    if s % 60 == 0 {
        format!("PT{}M", s / 60)
    } else {
        format!("PT{s}S")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// On the POS, waiting for the customer.
    Created,
    /// Paid (its payment accredited); `status_detail` says `partially_refunded` after a part refund.
    Processed,
    Refunded,
    Expired,
    Canceled,
    #[serde(other)]
    Other,
}

/// An order as Mercado Pago answers it. Unknown fields are ignored.
#[derive(Debug, Clone, Deserialize)]
pub struct Order {
    pub id: String,
    pub status: OrderStatus,
    #[serde(default)]
    pub status_detail: Option<String>,
    #[serde(default)]
    pub external_reference: Option<String>,
    #[serde(default, with = "json_amount::option")]
    pub total_amount: Option<Decimal>,
    #[serde(default, with = "json_amount::option")]
    pub total_paid_amount: Option<Decimal>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub expiration_time: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub user_id: Option<String>,
    #[serde(default)]
    pub country_code: Option<String>,
    #[serde(default)]
    pub transactions: Transactions,
    #[serde(default)]
    pub config: Option<OrderConfig>,
    #[serde(default)]
    pub created_date: Option<String>,
    #[serde(default)]
    pub last_updated_date: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Transactions {
    #[serde(default, deserialize_with = "lenient::null_as_empty")]
    pub payments: Vec<OrderPayment>,
    #[serde(default, deserialize_with = "lenient::null_as_empty")]
    pub refunds: Vec<OrderRefund>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OrderPayment {
    pub id: String,
    /// The payment's id in the classic `/v1/payments` (a number, sent as a string).
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub reference_id: Option<String>,
    #[serde(default, with = "json_amount::option")]
    pub amount: Option<Decimal>,
    #[serde(default, with = "json_amount::option")]
    pub paid_amount: Option<Decimal>,
    #[serde(default, with = "json_amount::option")]
    pub refunded_amount: Option<Decimal>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub status_detail: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OrderRefund {
    pub id: String,
    #[serde(default)]
    pub transaction_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub reference_id: Option<String>,
    #[serde(default, with = "json_amount::option")]
    pub amount: Option<Decimal>,
    #[serde(default)]
    pub status: Option<String>,
}

/// A part refund: `{"transactions": [{"id": "PAY…", "amount": "24.90"}]}`.
#[derive(Debug, Clone, Serialize)]
struct PartRefund {
    transactions: Vec<RefundPart>,
}

#[derive(Debug, Clone, Serialize)]
struct RefundPart {
    id: String,
    amount: String,
}

impl Client {
    /// Creates the order. Every attempt of one create carries the same key: a replay answers
    /// the order the first one made (201, or 200), never a second order.
    pub async fn create_order(&self, order: &CreateOrder, idempotency_key: &str) -> Result<Order, ApiError> {
        let call = Call::new(Method::POST, "/v1/orders", Repeat::Safe)
            .json(order)?
            .header("X-Idempotency-Key", idempotency_key);
        self.call(call).await
    }

    pub async fn order(&self, id: &str) -> Result<Order, ApiError> {
        self.call(Call::get(format!("/v1/orders/{}", super::instore_orders::segment(id))))
            .await
    }

    /// Cancels an order that is still `created`. A 409 means it is not any more: read it.
    pub async fn cancel_order(&self, id: &str, idempotency_key: &str) -> Result<Order, ApiError> {
        let call = Call::new(
            Method::POST,
            format!("/v1/orders/{}/cancel", super::instore_orders::segment(id)),
            Repeat::Safe,
        )
        .header("X-Idempotency-Key", idempotency_key);
        self.call(call).await
    }

    /// Refunds a processed order: whole (`part` None), or part of one payment. It may answer a
    /// refund still `processing`: read the order until it says `refunded`.
    pub async fn refund_order(
        &self,
        id: &str,
        part: Option<(&str, Decimal, Currency)>,
        idempotency_key: &str,
    ) -> Result<Order, ApiError> {
        let mut call = Call::new(
            Method::POST,
            format!("/v1/orders/{}/refund", super::instore_orders::segment(id)),
            Repeat::Safe,
        )
        .header("X-Idempotency-Key", idempotency_key);
        if let Some((payment, amount, currency)) = part {
            call = call.json(&PartRefund {
                transactions: vec![RefundPart {
                    id: payment.to_owned(),
                    amount: amount_text(amount, currency),
                }],
            })?;
        }
        self.call(call).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_and_lifetimes_are_written_as_the_contract_says() {
        assert_eq!(amount_text(Decimal::new(1500, 0), Currency::Ars), "1500.00");
        assert_eq!(amount_text(Decimal::new(15005, 1), Currency::Brl), "1500.50");
        assert_eq!(amount_text(Decimal::new(1500, 0), Currency::Clp), "1500");
        assert_eq!(duration_text(Duration::from_secs(600)), "PT10M");
        assert_eq!(duration_text(Duration::from_secs(90)), "PT90S");
        assert_eq!(
            duration_text(Duration::from_secs(5)),
            "PT30S",
            "the shortest Mercado Pago takes"
        );
    }

    #[test]
    fn the_api_follows_the_site() {
        assert_eq!(Api::for_site(Site::Argentina), Api::Orders);
        assert_eq!(Api::for_site(Site::Chile), Api::Orders);
        assert_eq!(Api::for_site(Site::Colombia), Api::Legacy);
        assert_eq!(Api::for_site(Site::Mexico), Api::Legacy);
        assert_eq!(Api::parse(Api::Orders.as_str()), Some(Api::Orders));
    }
}
