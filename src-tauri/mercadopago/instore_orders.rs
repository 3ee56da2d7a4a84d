//! Orders on a POS (`/mpmobile/instore/qr/{user_id}/{external_id}`): what a customer who scans
//! the register's QR sees and pays.

use std::time::Duration;

use reqwest::Method;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::client::{Call, Repeat};
use super::{lenient, ApiError, Client};
use crate::money::{json_amount, Currency};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderItem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture_url: Option<String>,
    pub currency_id: String,
    #[serde(with = "json_amount")]
    pub unit_price: Decimal,
    pub quantity: u32,
}

/// Colombia's optional tax lines: `{"value": n, "type": "IVA"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tax {
    #[serde(with = "json_amount")]
    pub value: Decimal,
    #[serde(rename = "type")]
    pub kind: String,
}

/// The body of an order create.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateOrder {
    pub external_reference: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_url: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_id"
    )]
    pub sponsor_id: Option<u64>,
    pub items: Vec<OrderItem>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub taxes: Vec<Tax>,
}

impl CreateOrder {
    /// Checks the amounts against the currency before anything is sent.
    pub fn check(&self, currency: Currency) -> Result<(), crate::money::MoneyError> {
        for item in &self.items {
            currency.check_amount(item.unit_price)?;
        }
        Ok(())
    }
}

/// The answer to an order create: a preference-like object whose `id` is
/// `{collector_id}-{uuid}`.
#[derive(Debug, Clone, Deserialize)]
pub struct CreatedOrder {
    pub id: String,
    #[serde(default)]
    pub external_reference: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub collector_id: Option<u64>,
    #[serde(default, with = "json_amount::option")]
    pub total_amount: Option<Decimal>,
    #[serde(default)]
    pub site_id: Option<String>,
}

impl Client {
    /// Puts an order on the POS (replacing the one there, if any). `ttl` sets its life
    /// (`X-Ttl-Store-Preference`); Mercado Pago's default is 10 minutes.
    pub async fn create_pos_order(
        &self,
        user_id: u64,
        external_pos_id: &str,
        order: &CreateOrder,
        ttl: Option<Duration>,
    ) -> Result<CreatedOrder, ApiError> {
        // Never repeated here: a create whose answer was lost may still land, so only the
        // register, which knows what else it sent to the POS, decides to send it again.
        let mut call = Call::new(Method::POST, order_path(user_id, external_pos_id), Repeat::Never).json(order)?;
        if let Some(ttl) = ttl {
            call = call.header("X-Ttl-Store-Preference", ttl.as_secs());
        }
        self.call(call).await
    }

    /// Removes the order from the POS. "There was none" counts as done. Never repeated here,
    /// like the create: a delete whose answer was lost may still land.
    pub async fn delete_pos_order(&self, user_id: u64, external_pos_id: &str) -> Result<(), ApiError> {
        match self
            .send(Call::new(
                Method::DELETE,
                order_path(user_id, external_pos_id),
                Repeat::Never,
            ))
            .await
        {
            Ok(_no_content) => Ok(()),
            Err(ApiError::NotFound(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

fn order_path(user_id: u64, external_pos_id: &str) -> String {
    format!("/mpmobile/instore/qr/{user_id}/{}", segment(external_pos_id))
}

/// A path segment with anything but `[A-Za-z0-9_-]` percent-encoded.
pub(crate) fn segment(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
