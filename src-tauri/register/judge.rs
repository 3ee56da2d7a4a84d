//! What Mercado Pago says about a sale's money, on either API. On the attended model each scan
//! of the QR opens a merchant order of its own, and a customer may pay more than one: the sale's
//! money is the sum, over every merchant order of its reference, of the approved payments in its
//! currency minus their refunds; an `opened` merchant order is never money in itself. On the
//! Orders API a sale has one order with one payment: its paid amount minus its refunds.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::mercadopago::merchant_orders::{MerchantOrder, MerchantOrderStatus, PaymentStatus};
use crate::mercadopago::orders::{Order, OrderPayment, OrderStatus};
use crate::mercadopago::payments::Payment;
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

/// A payment that can still be refunded, and how much of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refundable {
    pub payment_id: u64,
    pub amount: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub observed: Observed,
    /// Approved payments minus refunds, over every merchant order of the sale.
    pub collected: Decimal,
    /// What Mercado Pago refunded of the sale's payments, whoever asked for it.
    pub refunded: Decimal,
    /// A payment is pending or in process: money may still arrive.
    pub in_process: bool,
    /// Some merchant order can still take a payment.
    pub payable: bool,
    pub merchant_order_ids: Vec<u64>,
    pub payment_ids: Vec<u64>,
    /// The approved payments with something left to refund, newest first.
    pub refundable: Vec<Refundable>,
}

pub fn judge(mos: &[MerchantOrder], reference: &str, total: Decimal, currency: Currency) -> Verdict {
    let ours: Vec<&MerchantOrder> = mos
        .iter()
        .filter(|m| m.external_reference.as_deref() == Some(reference))
        .collect();
    let mut merchant_order_ids: Vec<u64> = ours.iter().map(|m| m.id).collect();
    merchant_order_ids.sort_unstable();
    merchant_order_ids.dedup();
    let mut payments: Vec<_> = ours.iter().flat_map(|m| m.payments.iter()).collect();
    payments.sort_by_key(|p| p.id);
    payments.dedup_by_key(|p| p.id);
    let payment_ids = payments.iter().map(|p| p.id).collect();
    let in_currency = |p: &&&crate::mercadopago::merchant_orders::MerchantOrderPayment| {
        p.currency_id
            .as_deref()
            .is_none_or(|c| c.eq_ignore_ascii_case(currency.code()))
    };
    let refundable: Vec<Refundable> = payments
        .iter()
        .rev()
        .filter(|p| p.status == PaymentStatus::Approved)
        .filter(in_currency)
        .map(|p| Refundable {
            payment_id: p.id,
            amount: (p.transaction_amount.unwrap_or_default() - p.amount_refunded.unwrap_or_default())
                .max(Decimal::ZERO),
        })
        .filter(|r| r.amount > Decimal::ZERO)
        .collect();
    // Checked: amounts come from outside, and a sum that does not fit is not a sum.
    let collected = refundable
        .iter()
        .try_fold(Decimal::ZERO, |sum, r| sum.checked_add(r.amount))
        .unwrap_or(Decimal::MAX);
    let refunded = payments
        .iter()
        .filter(|p| matches!(p.status, PaymentStatus::Approved | PaymentStatus::Refunded))
        .filter(in_currency)
        .filter_map(|p| p.amount_refunded)
        .try_fold(Decimal::ZERO, |sum, r| sum.checked_add(r))
        .unwrap_or(Decimal::MAX);
    let in_process = payments.iter().any(|p| {
        matches!(
            p.status,
            PaymentStatus::InProcess | PaymentStatus::Pending | PaymentStatus::Authorized
        )
    });
    let payable = ours.iter().any(|m| m.status == MerchantOrderStatus::Opened);
    let observed = if collected >= total && collected > Decimal::ZERO {
        Observed::Paid { paid: collected }
    } else if in_process {
        Observed::InProcess
    } else if collected > Decimal::ZERO {
        Observed::PartiallyPaid { paid: collected }
    } else if payments.last().is_some_and(|p| p.status == PaymentStatus::Rejected) {
        Observed::Rejected
    } else if !ours.is_empty() {
        Observed::Scanned
    } else {
        Observed::NotScanned
    };
    Verdict {
        observed,
        collected,
        refunded,
        in_process,
        payable,
        merchant_order_ids,
        payment_ids,
        refundable,
    }
}

/// What an Orders API order says about a sale's money. Paid means the order `processed` with
/// its payment accredited, in the sale's currency (a `paid_amount` below `amount` counts as
/// what it is); `in_review` is not paid yet; refunds are taken off.
pub fn judge_order(order: &Order, total: Decimal, currency: Currency) -> Verdict {
    let ours = order
        .currency
        .as_deref()
        .is_none_or(|c| c.eq_ignore_ascii_case(currency.code()));
    let payment = order.transactions.payments.first();
    let detail = |p: &OrderPayment| p.status_detail.clone().unwrap_or_default();
    let paid = payment
        .filter(|_| ours && matches!(order.status, OrderStatus::Processed | OrderStatus::Refunded))
        .filter(|p| {
            matches!(detail(p).as_str(), "accredited" | "refunded" | "partially_refunded") || p.paid_amount.is_some()
        })
        .map(|p| p.paid_amount.or(p.amount).unwrap_or_default())
        .unwrap_or_default();
    let refunded_by_refunds: Decimal = order
        .transactions
        .refunds
        .iter()
        .filter(|r| r.status.as_deref() != Some("failed"))
        .filter_map(|r| r.amount)
        .sum();
    let refunded = payment
        .and_then(|p| p.refunded_amount)
        .unwrap_or(refunded_by_refunds)
        .max(if order.status == OrderStatus::Refunded {
            paid
        } else {
            Decimal::ZERO
        })
        .min(paid);
    let collected = paid - refunded;
    let in_process = payment.is_some_and(|p| detail(p) == "in_review");
    let payable = order.status == OrderStatus::Created;
    let payment_id = payment
        .and_then(|p| p.reference_id.as_deref())
        .and_then(|r| r.parse::<u64>().ok());
    let observed = if collected >= total && collected > Decimal::ZERO {
        Observed::Paid { paid: collected }
    } else if in_process {
        Observed::InProcess
    } else {
        Observed::NotScanned
    };
    Verdict {
        observed,
        collected,
        refunded,
        in_process,
        payable,
        merchant_order_ids: Vec::new(),
        payment_ids: payment_id.into_iter().collect(),
        refundable: payment_id
            .filter(|_| collected > Decimal::ZERO)
            .map(|id| Refundable {
                payment_id: id,
                amount: collected,
            })
            .into_iter()
            .collect(),
    }
}

/// What the classic payments of a reference say (an Orders API sale whose order id was never
/// learnt: its create's answer was lost and it is too old to replay).
pub fn judge_payments(payments: &[Payment], reference: &str, total: Decimal, currency: Currency) -> Verdict {
    let ours: Vec<&Payment> = payments
        .iter()
        .filter(|p| p.external_reference.as_deref() == Some(reference))
        .filter(|p| {
            p.currency_id
                .as_deref()
                .is_none_or(|c| c.eq_ignore_ascii_case(currency.code()))
        })
        .collect();
    let held =
        |p: &&Payment| p.transaction_amount.unwrap_or_default() - p.transaction_amount_refunded.unwrap_or_default();
    let refundable: Vec<Refundable> = ours
        .iter()
        .filter(|p| p.status == PaymentStatus::Approved)
        .map(|p| Refundable {
            payment_id: p.id,
            amount: held(p),
        })
        .filter(|r| r.amount > Decimal::ZERO)
        .collect();
    let collected: Decimal = refundable.iter().map(|r| r.amount).sum();
    let in_process = ours
        .iter()
        .any(|p| matches!(p.status, PaymentStatus::InProcess | PaymentStatus::Pending));
    Verdict {
        observed: if collected >= total && collected > Decimal::ZERO {
            Observed::Paid { paid: collected }
        } else if in_process {
            Observed::InProcess
        } else {
            Observed::NotScanned
        },
        collected,
        refunded: ours.iter().filter_map(|p| p.transaction_amount_refunded).sum(),
        in_process,
        payable: false,
        merchant_order_ids: Vec::new(),
        payment_ids: ours.iter().map(|p| p.id).collect(),
        refundable,
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
    fn approved_money_counts_wherever_it_lies() {
        let total = Decimal::new(1000, 2);
        let opened = mo(
            serde_json::json!({ "id": 1, "status": "opened", "external_reference": "r", "payments": [pay(5, "approved", "4")] }),
        );
        assert_eq!(
            judge(std::slice::from_ref(&opened), "r", total, Currency::Ars).observed,
            Observed::PartiallyPaid {
                paid: Decimal::new(4, 0)
            }
        );
        // The rest paid on a second scan: two merchant orders, one sale, paid.
        let second = mo(
            serde_json::json!({ "id": 2, "status": "opened", "external_reference": "r", "payments": [pay(6, "approved", "6")] }),
        );
        let v = judge(&[opened, second], "r", total, Currency::Ars);
        assert_eq!(v.observed, Observed::Paid { paid: total });
        assert!(v.payable, "an opened merchant order may take a payment yet");
    }

    #[test]
    fn a_customer_who_pays_twice_shows_twice_the_money() {
        let total = Decimal::new(10, 0);
        let one = mo(
            serde_json::json!({ "id": 1, "status": "closed", "external_reference": "r", "payments": [pay(7, "approved", "10")] }),
        );
        let two = mo(
            serde_json::json!({ "id": 2, "status": "closed", "external_reference": "r", "payments": [pay(8, "approved", "10")] }),
        );
        let v = judge(&[one, two], "r", total, Currency::Ars);
        assert_eq!(v.collected, Decimal::new(20, 0));
        assert_eq!(
            v.refundable.iter().map(|r| r.payment_id).collect::<Vec<_>>(),
            [8, 7],
            "newest first"
        );
        assert!(!v.payable);
    }

    #[test]
    fn refunds_are_taken_off() {
        let mut p = pay(7, "approved", "10");
        p["amount_refunded"] = 4.into();
        let mut refunded = pay(8, "refunded", "10");
        refunded["amount_refunded"] = 10.into();
        let m = mo(
            serde_json::json!({ "id": 1, "status": "closed", "external_reference": "r", "payments": [p, refunded] }),
        );
        let v = judge(&[m], "r", Decimal::TEN, Currency::Ars);
        assert_eq!(v.collected, Decimal::new(6, 0));
        assert_eq!(v.refunded, Decimal::new(14, 0));
        assert_eq!(
            v.observed,
            Observed::PartiallyPaid {
                paid: Decimal::new(6, 0)
            }
        );
    }

    #[test]
    fn several_scans_none_paid() {
        let total = Decimal::new(10, 0);
        let stale = mo(serde_json::json!({ "id": 1, "status": "opened", "external_reference": "r", "payments": [] }));
        let rejected = mo(
            serde_json::json!({ "id": 2, "status": "opened", "external_reference": "r", "payments": [pay(6, "rejected", "10")] }),
        );
        let v = judge(&[stale.clone(), rejected], "r", total, Currency::Ars);
        assert_eq!(v.observed, Observed::Rejected);
        assert_eq!(v.merchant_order_ids, [1, 2]);
        assert_eq!(v.collected, Decimal::ZERO);
        assert_eq!(judge(&[stale], "r", total, Currency::Ars).observed, Observed::Scanned);
        assert_eq!(judge(&[], "r", total, Currency::Ars).observed, Observed::NotScanned);
    }

    #[test]
    fn money_in_another_currency_or_of_another_sale_is_not_ours() {
        let total = Decimal::new(10, 0);
        let mut other = pay(7, "approved", "10");
        other["currency_id"] = "BRL".into();
        let foreign =
            mo(serde_json::json!({ "id": 3, "status": "closed", "external_reference": "r", "payments": [other] }));
        assert_eq!(judge(&[foreign], "r", total, Currency::Ars).collected, Decimal::ZERO);
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
        let v = judge(&[m], "r", Decimal::TEN, Currency::Ars);
        assert_eq!(v.observed, Observed::InProcess);
        assert!(v.in_process);
    }
}
