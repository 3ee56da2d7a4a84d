use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Where a sale is in its life.
///
/// ```text
/// creating ─order on the POS─▶ waiting ──collected ≥ total──▶ paid
///    │                            ├──cancel──▶ cancelling ─withdraw, last look─▶ cancelled | paid | pending
///    │                            └──lifetime─▶ expiring  ─withdraw, last look─▶ expired   | paid | pending
///    └─refused, and no order of it can be live─▶ failed
/// pending (a payment Mercado Pago is still processing) ─▶ paid | cancelled | expired
/// cancelled | expired ─a late payment covers the total─▶ paid
/// ```
/// Every allowed step is in [`TRANSITIONS`], which the journal enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SaleState {
    Creating,
    Waiting,
    Cancelling,
    Expiring,
    /// Given up while a payment was in process: the order is withdrawn and the POS free, and the
    /// payment is watched until Mercado Pago resolves it (that may take days).
    Pending,
    Paid,
    Cancelled,
    Expired,
    Failed,
}

use SaleState::*;

/// Every step a sale may take, and no other: `(from, to)`.
pub const TRANSITIONS: &[(SaleState, SaleState)] = &[
    (Creating, Waiting),
    (Creating, Cancelling),
    (Creating, Expiring),
    (Creating, Failed),
    (Waiting, Paid),
    (Waiting, Cancelling),
    (Waiting, Expiring),
    (Cancelling, Cancelled),
    (Cancelling, Paid),
    (Cancelling, Pending),
    (Expiring, Expired),
    (Expiring, Paid),
    (Expiring, Pending),
    (Pending, Paid),
    (Pending, Cancelled),
    (Pending, Expired),
    (Cancelled, Paid),
    (Expired, Paid),
];

impl SaleState {
    pub const ALL: [SaleState; 9] = [
        Creating, Waiting, Cancelling, Expiring, Pending, Paid, Cancelled, Expired, Failed,
    ];

    /// The states in which the sale may have an order on its POS: one such sale per POS.
    pub const OPEN: [SaleState; 4] = [Creating, Waiting, Cancelling, Expiring];

    pub fn as_str(self) -> &'static str {
        match self {
            Creating => "creating",
            Waiting => "waiting",
            Cancelling => "cancelling",
            Expiring => "expiring",
            Pending => "pending",
            Paid => "paid",
            Cancelled => "cancelled",
            Expired => "expired",
            Failed => "failed",
        }
    }

    /// The sale may hold an order on the POS: it must be driven to an end.
    pub fn is_open(self) -> bool {
        Self::OPEN.contains(&self)
    }

    /// The sale's life is over (a payment may still change a cancelled or expired one).
    pub fn is_ended(self) -> bool {
        matches!(self, Paid | Cancelled | Expired | Failed)
    }

    pub fn may_become(self, to: SaleState) -> bool {
        TRANSITIONS.contains(&(self, to))
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

/// What a sale's money came to, from its state, its total and what Mercado Pago holds for it
/// (`collected`: approved payments minus refunds, over every order of the sale).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// Not over yet (open, or a payment pending).
    Open,
    /// Paid exactly.
    Paid,
    /// Paid, and more than the total was collected (a customer paid twice, say).
    Extra {
        #[serde(with = "crate::money::json_amount")]
        extra: Decimal,
    },
    /// Paid, and some or all of it refunded since.
    Refunded {
        #[serde(with = "crate::money::json_amount")]
        refunded: Decimal,
    },
    /// Cancelled or expired with nothing collected; or failed.
    Ended,
    /// Cancelled or expired, and yet money was collected for it (part paid, then cancelled).
    Held {
        #[serde(with = "crate::money::json_amount")]
        held: Decimal,
    },
}

impl Outcome {
    pub fn of(state: SaleState, total: Decimal, collected: Decimal) -> Outcome {
        match state {
            Creating | Waiting | Cancelling | Expiring | Pending => Outcome::Open,
            Paid if collected > total => Outcome::Extra {
                extra: collected - total,
            },
            Paid if collected < total => Outcome::Refunded {
                refunded: total - collected,
            },
            Paid => Outcome::Paid,
            Cancelled | Expired | Failed if collected > Decimal::ZERO => Outcome::Held { held: collected },
            Cancelled | Expired | Failed => Outcome::Ended,
        }
    }

    /// What the store holds beyond what the sale asked for, and may give back.
    pub fn extra(self) -> Decimal {
        match self {
            Outcome::Extra { extra } => extra,
            Outcome::Held { held } => held,
            _ => Decimal::ZERO,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_but_failed_and_paid_can_be_reached_and_left_by_the_table() {
        for s in SaleState::ALL {
            let reached = s == Creating || TRANSITIONS.iter().any(|(_, to)| *to == s);
            assert!(reached, "{s} cannot be reached");
            let left = matches!(s, Paid | Failed) || TRANSITIONS.iter().any(|(from, _)| *from == s);
            assert!(left, "{s} cannot be left");
        }
        assert!(!Paid.may_become(Cancelled), "a paid sale is never unpaid by a step");
        assert!(!Failed.may_become(Paid), "a failed sale had no order");
        assert!(!Pending.is_open(), "a pending payment does not hold the POS");
    }

    #[test]
    fn the_outcome_follows_the_money() {
        let d = |n: i64| Decimal::new(n, 0);
        assert_eq!(Outcome::of(Paid, d(100), d(100)), Outcome::Paid);
        assert_eq!(Outcome::of(Paid, d(100), d(200)), Outcome::Extra { extra: d(100) });
        assert_eq!(Outcome::of(Paid, d(100), d(40)), Outcome::Refunded { refunded: d(60) });
        assert_eq!(Outcome::of(Cancelled, d(100), d(30)), Outcome::Held { held: d(30) });
        assert_eq!(Outcome::of(Expired, d(100), d(0)), Outcome::Ended);
        assert_eq!(Outcome::of(Waiting, d(100), d(30)), Outcome::Open);
        assert_eq!(Outcome::of(Cancelled, d(100), d(30)).extra(), d(30));
    }
}
