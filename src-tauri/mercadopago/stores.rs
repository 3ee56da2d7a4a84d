//! Stores: the shop a register belongs to.

use serde::{Deserialize, Serialize};

use super::client::{Call, Repeat};
use super::{lenient, ApiError, Client, Page};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Location {
    #[serde(default)]
    pub street_number: String,
    #[serde(default)]
    pub street_name: String,
    #[serde(default)]
    pub city_name: String,
    #[serde(default)]
    pub state_name: String,
    #[serde(default)]
    pub latitude: f64,
    #[serde(default)]
    pub longitude: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CreateStore {
    pub name: String,
    pub external_id: String,
    pub location: Location,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Store {
    #[serde(deserialize_with = "lenient::id")]
    pub id: u64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub location: Option<serde_json::Value>,
}

impl Client {
    pub async fn create_store(&self, user_id: u64, store: &CreateStore) -> Result<Store, ApiError> {
        self.call(Call::new(reqwest::Method::POST, format!("/users/{user_id}/stores"), Repeat::Never).json(store)?)
            .await
    }

    pub async fn search_stores(&self, user_id: u64, external_id: Option<&str>) -> Result<Page<Store>, ApiError> {
        self.call(Call::get(format!("/users/{user_id}/stores/search")).query_opt("external_id", external_id))
            .await
    }
}
