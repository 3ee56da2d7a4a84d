use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Where a sale is in its life.
///
/// ```text
/// creating ─200─▶ waiting ──covered──▶ paid
///    │               ├──cancel──▶ cancelling ─delete, last search─▶ cancelled | paid
///    │               └──TTL────▶ expiring   ─delete, last search─▶ expired   | paid
///    └─refused─▶ failed
/// ```
/// A payment found after `cancelled` or `expired` still makes the sale `paid` (late).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SaleState {
    Creating,
    Waiting,
    Cancelling,
    Expiring,
    Paid,
    Cancelled,
    Expired,
    Failed,
}

impl SaleState {
    pub const ALL: [SaleState; 8] = [
        SaleState::Creating,
        SaleState::Waiting,
        SaleState::Cancelling,
        SaleState::Expiring,
        SaleState::Paid,
        SaleState::Cancelled,
        SaleState::Expired,
        SaleState::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SaleState::Creating => "creating",
            SaleState::Waiting => "waiting",
            SaleState::Cancelling => "cancelling",
            SaleState::Expiring => "expiring",
            SaleState::Paid => "paid",
            SaleState::Cancelled => "cancelled",
            SaleState::Expired => "expired",
            SaleState::Failed => "failed",
        }
    }

    /// The sale still holds (or may hold) an order on the POS: it must be driven to an end.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            SaleState::Creating | SaleState::Waiting | SaleState::Cancelling | SaleState::Expiring
        )
    }

    /// Nothing can change it any more.
    pub fn is_settled(self) -> bool {
        matches!(self, SaleState::Paid | SaleState::Failed)
    }
}

impl fmt::Display for SaleState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SaleState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        SaleState::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| format!("unknown sale state {s:?}"))
    }
}
