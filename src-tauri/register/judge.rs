//! What the merchant orders of a sale say about its money. Paid means a `closed` merchant
//! order whose approved payments, in the sale's currency, cover the total; an `opened` one is
//! never money, however many scans left one behind.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::mercadopago::merchant_orders::{MerchantOrder, MerchantOrderStatus, PaymentStatus};
use crate::money::Currency;

/// What the customer has done so far, as far as Mercado Pago shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Observed {
    NotScanned,
    Scanned,
    InProcess,
    Rejected,
    PartiallyPaid {
        #[serde(with = "crate::money::json_amount")]
        paid: Decimal,
    },
    Paid {
        #[serde(with = "crate::money::json_amount")]
        paid: Decimal,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub observed: Observed,
    pub merchant_order_ids: Vec<u64>,
    pub payment_ids: Vec<u64>,
}

fn approved_in(mo: &MerchantOrder, currency: Currency) -> Decimal {
    mo.payments
        .iter()
        .filter(|p| p.status == PaymentStatus::Approved)
        .filter(|p| {
            p.currency_id
                .as_deref()
                .is_none_or(|c| c.eq_ignore_ascii_case(currency.code()))
        })
        .map(|p| p.transaction_amount.unwrap_or_default() - p.amount_refunded.unwrap_or_default())
        .sum()
}

pub fn judge(mos: &[MerchantOrder], reference: &str, total: Decimal, currency: Currency) -> Verdict {
    let ours: Vec<&MerchantOrder> = mos
        .iter()
        .filter(|m| m.external_reference.as_deref() == Some(reference))
        .collect();
    let merchant_order_ids = ours.iter().map(|m| m.id).collect();
    let mut payments: Vec<_> = ours.iter().flat_map(|m| m.payments.iter()).collect();
    payments.sort_by_key(|p| p.id);
    let payment_ids = payments.iter().map(|p| p.id).collect();
    let paid_mo = ours
        .iter()
        .filter(|m| m.status == MerchantOrderStatus::Closed)
        .map(|m| approved_in(m, currency))
        .filter(|paid| *paid >= total)
        .max();
    let observed = if let Some(paid) = paid_mo {
        Observed::Paid { paid }
    } else if payments.iter().any(|p| {
        matches!(
            p.status,
            PaymentStatus::InProcess | PaymentStatus::Pending | PaymentStatus::Authorized
        )
    }) {
        Observed::InProcess
    } else {
        let paid: Decimal = ours.iter().map(|m| approved_in(m, currency)).sum();
        if paid > Decimal::ZERO {
            Observed::PartiallyPaid { paid }
        } else if payments.last().is_some_and(|p| p.status == PaymentStatus::Rejected) {
            Observed::Rejected
        } else if !ours.is_empty() {
            Observed::Scanned
        } else {
            Observed::NotScanned
        }
    };
    Verdict {
        observed,
        merchant_order_ids,
        payment_ids,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mo(json: serde_json::Value) -> MerchantOrder {
        serde_json::from_value(json).unwrap()
    }

    fn pay(id: u64, status: &str, amount: &str) -> serde_json::Value {
        serde_json::json!({ "id": id, "status": status, "transaction_amount": amount.parse::<f64>().unwrap(), "currency_id": "ARS" })
    }

    #[test]
    fn an_opened_merchant_order_is_never_money() {
        let total = Decimal::new(1000, 2);
        let opened = mo(
            serde_json::json!({ "id": 1, "status": "opened", "external_reference": "r", "payments": [pay(5, "approved", "10")] }),
        );
        assert_eq!(
            judge(&[opened], "r", total, Currency::Ars).observed,
            Observed::PartiallyPaid {
                paid: Decimal::new(10, 0)
            }
        );
    }

    #[test]
    fn several_scans_one_paid() {
        let total = Decimal::new(10, 0);
        let stale = mo(serde_json::json!({ "id": 1, "status": "opened", "external_reference": "r", "payments": [] }));
        let rejected = mo(
            serde_json::json!({ "id": 2, "status": "opened", "external_reference": "r", "payments": [pay(6, "rejected", "10")] }),
        );
        let paid = mo(
            serde_json::json!({ "id": 3, "status": "closed", "external_reference": "r", "payments": [pay(7, "approved", "12")] }),
        );
        let v = judge(&[stale.clone(), rejected.clone(), paid], "r", total, Currency::Ars);
        assert_eq!(
            v.observed,
            Observed::Paid {
                paid: Decimal::new(12, 0)
            },
            "over-payment is kept visible"
        );
        assert_eq!(v.merchant_order_ids, [1, 2, 3]);
        assert_eq!(
            judge(&[stale.clone(), rejected], "r", total, Currency::Ars).observed,
            Observed::Rejected
        );
        assert_eq!(judge(&[stale], "r", total, Currency::Ars).observed, Observed::Scanned);
        assert_eq!(judge(&[], "r", total, Currency::Ars).observed, Observed::NotScanned);
    }

    #[test]
    fn a_closed_order_in_another_currency_or_for_another_sale_is_not_ours() {
        let total = Decimal::new(10, 0);
        let mut other = pay(7, "approved", "10");
        other["currency_id"] = "BRL".into();
        let foreign =
            mo(serde_json::json!({ "id": 3, "status": "closed", "external_reference": "r", "payments": [other] }));
        assert_ne!(
            judge(&[foreign], "r", total, Currency::Ars).observed,
            Observed::Paid { paid: total }
        );
        let elsewhere = mo(
            serde_json::json!({ "id": 4, "status": "closed", "external_reference": "x", "payments": [pay(8, "approved", "10")] }),
        );
        assert_eq!(
            judge(&[elsewhere], "r", total, Currency::Ars).observed,
            Observed::NotScanned
        );
    }

    #[test]
    fn a_payment_in_process_is_reported() {
        let m = mo(
            serde_json::json!({ "id": 1, "status": "opened", "external_reference": "r", "payments": [pay(5, "in_process", "10")] }),
        );
        assert_eq!(
            judge(&[m], "r", Decimal::TEN, Currency::Ars).observed,
            Observed::InProcess
        );
    }
}
