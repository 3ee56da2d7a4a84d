//! Cash beside QR: a sale's tender, and what a cash payment comes to (the total due after the
//! store's rounding to its smallest coin, what the customer handed over, the change). A cash
//! sale never reaches Mercado Pago: it is journaled paid, with these amounts, in one step.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::{cash_round, read_typed, Currency, MoneyError};

/// How a sale is paid.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tender {
    /// The customer pays with Mercado Pago, scanning the register's QR.
    #[default]
    Qr,
    /// The customer pays in cash at the counter.
    Cash,
}

impl Tender {
    pub fn as_str(self) -> &'static str {
        match self {
            Tender::Qr => "qr",
            Tender::Cash => "cash",
        }
    }

    pub fn parse(s: &str) -> Option<Tender> {
        match s {
            "qr" => Some(Tender::Qr),
            "cash" => Some(Tender::Cash),
            _ => None,
        }
    }
}

/// A cash payment: `due` is the cart's total after the rounding (`due = total + rounding`),
/// `change = received - due`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CashPayment {
    #[serde(with = "crate::money::json_amount")]
    pub due: Decimal,
    #[serde(with = "crate::money::json_amount")]
    pub received: Decimal,
    #[serde(with = "crate::money::json_amount")]
    pub change: Decimal,
    /// What the rounding to the smallest coin added (negative: took off).
    #[serde(with = "crate::money::json_amount")]
    pub rounding: Decimal,
}

/// Why a cash payment cannot be taken.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum CashError {
    #[error("{text:?} is not an amount")]
    NotAnAmount { text: String },
    #[error("{text:?} could be read two ways: write it without the thousands mark")]
    Ambiguous { text: String },
    #[error("{currency} amounts allow {allowed} decimals")]
    TooManyDecimals { currency: Currency, allowed: u32 },
    #[error("the customer handed over less than the {due} due")]
    NotEnough { due: String },
    #[error("more than {max} handed over: check the amount")]
    TooMuch { max: String },
}

impl CashPayment {
    /// What a cash payment of `total` comes to when the customer hands over `received` (typed as
    /// the country writes amounts), with the store's rounding `step` (none: exact).
    pub fn of(total: Decimal, received: &str, currency: Currency, step: Option<Decimal>) -> Result<Self, CashError> {
        let text = || received.trim().chars().take(32).collect::<String>();
        let received = read_typed(received, currency).map_err(|e| match e {
            MoneyError::Ambiguous(_) => CashError::Ambiguous { text: text() },
            _ => CashError::NotAnAmount { text: text() },
        })?;
        if received < Decimal::ZERO {
            return Err(CashError::NotAnAmount { text: text() });
        }
        if received.normalize().scale() > currency.decimals() {
            return Err(CashError::TooManyDecimals {
                currency,
                allowed: currency.decimals(),
            });
        }
        let due = currency.rescale(cash_round(total, step));
        let rounding = due - total;
        if received < due {
            return Err(CashError::NotEnough {
                due: crate::money::format(due, currency),
            });
        }
        // A typo guard, as for a QR sale's total: no counter takes more than that in one sale.
        let max = crate::sale::cart::max_total(currency);
        if received > max {
            return Err(CashError::TooMuch {
                max: crate::money::format(max, currency),
            });
        }
        let received = currency.rescale(received);
        Ok(CashPayment {
            due,
            received,
            change: received - due,
            rounding,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn the_change_is_what_was_handed_over_minus_what_is_due() {
        let c = CashPayment::of(d("3703.80"), "5.000", Currency::Ars, None).unwrap();
        assert_eq!(
            (c.due, c.received, c.change, c.rounding),
            (d("3703.80"), d("5000.00"), d("1296.20"), d("0.00"))
        );
        let c = CashPayment::of(d("3703.80"), "3703,80", Currency::Ars, None).unwrap();
        assert_eq!(c.change, Decimal::ZERO);
        let c = CashPayment::of(d("89.50"), "100", Currency::Mxn, None).unwrap();
        assert_eq!(c.change.to_string(), "10.50");
        let c = CashPayment::of(d("25.90"), "R$ 50,00", Currency::Brl, None).unwrap();
        assert_eq!(c.change.to_string(), "24.10");
    }

    #[test]
    fn in_chile_cash_is_rounded_to_ten_pesos_when_the_store_says_so() {
        let c = CashPayment::of(d("12995"), "20.000", Currency::Clp, Some(d("10"))).unwrap();
        assert_eq!((c.due, c.change, c.rounding), (d("12990"), d("7010"), d("-5")));
        let c = CashPayment::of(d("12996"), "13.000", Currency::Clp, Some(d("10"))).unwrap();
        assert_eq!((c.due, c.change, c.rounding), (d("13000"), d("0"), d("4")));
        // Off (the default): exact.
        let c = CashPayment::of(d("12995"), "13.000", Currency::Clp, None).unwrap();
        assert_eq!((c.due, c.change), (d("12995"), d("5")));
    }

    #[test]
    fn each_bad_cash_amount_gets_its_reason() {
        let e = |t: &str| CashPayment::of(d("850"), t, Currency::Ars, None).unwrap_err();
        assert_eq!(e("800"), CashError::NotEnough { due: "$ 850,00".into() });
        assert_eq!(e("abc"), CashError::NotAnAmount { text: "abc".into() });
        assert_eq!(e("-1000"), CashError::NotAnAmount { text: "-1000".into() });
        assert_eq!(e("1,500"), CashError::Ambiguous { text: "1,500".into() });
        assert!(matches!(e("1000,005"), CashError::TooManyDecimals { .. }));
        assert!(matches!(e("999999999999"), CashError::TooMuch { .. }));
        assert!(matches!(
            CashPayment::of(d("1500"), "2000,5", Currency::Cop, None),
            Err(CashError::TooManyDecimals { allowed: 0, .. })
        ));
    }
}
