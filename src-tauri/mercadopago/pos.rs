//! Points of sale ("cajas"): one per checkout counter, each with its printed static QR.

use serde::{Deserialize, Serialize};

use super::client::{Call, Repeat};
use super::{lenient, ApiError, Client, Page};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CreatePos {
    pub name: String,
    /// True: the customer waits for the cashier's order instead of typing an amount.
    pub fixed_amount: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store_id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_store_id: Option<String>,
    pub external_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<u32>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Pos {
    #[serde(deserialize_with = "lenient::id")]
    pub id: u64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub store_id: Option<String>,
    #[serde(default)]
    pub external_store_id: Option<String>,
    #[serde(default)]
    pub fixed_amount: Option<bool>,
    #[serde(default)]
    pub qr: Option<PosQr>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PosQr {
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub template_document: Option<String>,
    #[serde(default)]
    pub template_image: Option<String>,
}

/// Mercado Pago's rule for a POS `external_id`: alphanumeric, under 40 characters.
pub fn valid_external_id(id: &str) -> bool {
    !id.is_empty() && id.len() < 40 && id.chars().all(|c| c.is_ascii_alphanumeric())
}

impl Client {
    pub async fn create_pos(&self, pos: &CreatePos) -> Result<Pos, ApiError> {
        self.call(Call::new(reqwest::Method::POST, "/pos", Repeat::Never).json(pos)?)
            .await
    }

    pub async fn search_pos(&self, external_id: Option<&str>, store_id: Option<u64>) -> Result<Page<Pos>, ApiError> {
        self.call(
            Call::get("/pos")
                .query_opt("external_id", external_id)
                .query_opt("store_id", store_id),
        )
        .await
    }
}
