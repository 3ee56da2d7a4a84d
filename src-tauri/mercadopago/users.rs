//! The account behind a token: `GET /users/me`.

use serde::Deserialize;

use super::client::Call;
use super::{lenient, ApiError, Client};

#[derive(Debug, Clone, Deserialize)]
pub struct User {
    #[serde(deserialize_with = "lenient::id")]
    pub id: u64,
    #[serde(default)]
    pub nickname: Option<String>,
    pub site_id: String,
    #[serde(default)]
    pub country_id: Option<String>,
}

impl Client {
    pub async fn me(&self) -> Result<User, ApiError> {
        self.call(Call::get("/users/me")).await
    }
}
