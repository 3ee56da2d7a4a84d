//! A typed client for the Mercado Pago endpoints the QR attended model needs.
//!
//! One file per API resource. Every call goes through [`Client::call`], which owns the token
//! (sent only as `Authorization: Bearer`), the retry policy and the tracing of each attempt.
//! Nothing here knows about the UI or about how a sale is kept.

mod client;
mod error;
mod lenient;
mod retry;

pub mod instore_orders;
pub mod merchant_orders;
pub mod notifications;
pub mod orders;
pub mod payments;
pub mod pos;
pub mod stores;
pub mod users;

pub use client::{token_may_go_to, Client, Config, DEFAULT_BASE_URL};
pub use error::{ApiError, ErrorBody};
pub use orders::Api;
pub use retry::RetryPolicy;

/// `{"paging": {...}, "results": [...]}`, the envelope of payment, store and POS searches.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(bound(deserialize = "T: serde::Deserialize<'de>"))]
pub struct Page<T> {
    #[serde(default)]
    pub paging: Paging,
    #[serde(default = "Vec::new", deserialize_with = "lenient::null_as_empty")]
    pub results: Vec<T>,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Paging {
    #[serde(default)]
    pub total: u64,
    #[serde(default)]
    pub limit: u64,
    #[serde(default)]
    pub offset: u64,
}
