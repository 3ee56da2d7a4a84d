//! The day's records: the sales of a day, one sale's whole story, refunds (journaled before
//! they are sent, like every step), a CSV of the day, the end-of-day summary, and a
//! reconciliation of the journal against Mercado Pago.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, Local, NaiveDate, TimeZone, Utc};
use rusqlite::{params, OptionalExtension};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::mercadopago::merchant_orders::{MerchantOrderQuery, PaymentStatus};
use crate::mercadopago::ApiError;
use crate::register::{judge, Observed, Register};
use crate::sale::journal::reference_prefix;
use crate::sale::{Journal, JournalError, Sale, SaleId, SaleState, StateChange};

pub const MIGRATION: &str = "CREATE TABLE refunds (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sale_id INTEGER NOT NULL REFERENCES sales(id),
    payment_id INTEGER NOT NULL,
    amount TEXT,
    idempotency_key TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX refunds_sale ON refunds(sale_id);";

/// The UTC span of a local calendar day.
pub fn day_span(day: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = |d: NaiveDate| {
        Local
            .from_local_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight exists"))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight exists")))
    };
    (start(day), start(day.succ_opt().unwrap_or(day)))
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundRecord {
    pub id: i64,
    pub payment_id: u64,
    #[serde(with = "crate::money::json_amount::option")]
    pub amount: Option<Decimal>,
    pub state: String,
    pub detail: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SaleStory {
    pub sale: Sale,
    pub changes: Vec<StateChange>,
    pub refunds: Vec<RefundRecord>,
    #[serde(with = "crate::money::json_amount")]
    pub refunded: Decimal,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum RefundError {
    #[error("only a paid sale can be refunded (this one is {state})")]
    NotPaid { state: SaleState },
    #[error("the amount to refund must be positive and at most {left} {currency}")]
    BadAmount { left: String, currency: String },
    #[error("Mercado Pago shows no approved payment for this sale")]
    NoPayment,
}

#[derive(Debug, thiserror::Error)]
pub enum RecordsError {
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error(transparent)]
    Refund(#[from] RefundError),
    #[error(transparent)]
    Api(#[from] ApiError),
}

fn refunds_of(journal: &Journal, sale_id: SaleId) -> Result<Vec<RefundRecord>, JournalError> {
    journal.with_transaction(|tx| {
        let mut stmt = tx.prepare(
            "SELECT id, payment_id, amount, state, detail, created_at FROM refunds WHERE sale_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([sale_id], |r| {
            Ok(RefundRecord {
                id: r.get(0)?,
                payment_id: r.get::<_, i64>(1)? as u64,
                amount: r.get::<_, Option<String>>(2)?.and_then(|a| Decimal::from_str(&a).ok()),
                state: r.get(3)?,
                detail: r.get(4)?,
                created_at: DateTime::parse_from_rfc3339(&r.get::<_, String>(5)?)
                    .map(|t| t.with_timezone(&Utc))
                    .unwrap_or_default(),
            })
        })?;
        rows.collect()
    })
}

/// What was refunded of a sale, by refunds that Mercado Pago accepted.
fn refunded(refunds: &[RefundRecord], sale: &Sale) -> Decimal {
    refunds
        .iter()
        .filter(|r| r.state == "done")
        .map(|r| r.amount.unwrap_or_else(|| sale.paid_amount.unwrap_or(sale.total)))
        .sum()
}

pub fn story(journal: &Journal, sale_id: SaleId) -> Result<SaleStory, JournalError> {
    let sale = journal.get(sale_id)?;
    let refunds = refunds_of(journal, sale_id)?;
    let refunded = refunded(&refunds, &sale);
    Ok(SaleStory {
        changes: journal.changes(sale_id)?,
        refunds,
        refunded,
        sale,
    })
}

/// Refunds a paid sale, whole (`amount` None) or in part. The refund is journaled with its
/// idempotency key before it is sent; a retry after a crash or a timeout reuses the key, so
/// Mercado Pago refunds once.
pub async fn refund(register: &Register, sale_id: SaleId, amount: Option<Decimal>) -> Result<SaleStory, RecordsError> {
    let journal = register.journal();
    let sale = journal.get(sale_id)?;
    if sale.state != SaleState::Paid {
        return Err(RefundError::NotPaid { state: sale.state }.into());
    }
    let before = story(journal, sale_id)?;
    let paid = sale.paid_amount.unwrap_or(sale.total);
    let left = paid - before.refunded;
    let c = sale.currency;
    if let Some(a) = amount {
        if a <= Decimal::ZERO || a > left || c.check_amount(a).is_err() {
            return Err(RefundError::BadAmount {
                left: c.rescale(left).to_string(),
                currency: c.code().into(),
            }
            .into());
        }
    } else if left <= Decimal::ZERO {
        return Err(RefundError::BadAmount {
            left: "0".into(),
            currency: c.code().into(),
        }
        .into());
    }
    let client = register.client();
    let found = client
        .search_merchant_orders(&MerchantOrderQuery::by_reference(&sale.external_reference))
        .await?;
    let payment_id = found
        .elements
        .iter()
        .flat_map(|m| m.payments.iter())
        .filter(|p| p.status == PaymentStatus::Approved)
        .max_by_key(|p| p.transaction_amount.unwrap_or_default())
        .map(|p| p.id)
        .ok_or(RefundError::NoPayment)?;
    // A pending refund of this sale (a crash, a timeout) is sent again with its own key.
    let pending: Option<(i64, String)> = journal.with_transaction(|tx| {
        tx.query_row(
            "SELECT id, idempotency_key FROM refunds WHERE sale_id = ?1 AND state = 'requested' ORDER BY id LIMIT 1",
            [sale_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
    })?;
    let now = || Utc::now().to_rfc3339();
    let (row, key) = match pending {
        Some(p) => p,
        None => {
            let key = format!("refund-{}-{}", sale.external_reference, fastrand::u64(..));
            let id = journal.with_transaction(|tx| {
                tx.execute(
                    "INSERT INTO refunds (sale_id, payment_id, amount, idempotency_key, state, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, 'requested', ?5, ?5)",
                    params![sale_id, payment_id as i64, amount.map(|a| a.to_string()), key, now()],
                )?;
                Ok(tx.last_insert_rowid())
            })?;
            (id, key)
        }
    };
    let outcome = client
        .refund_payment(payment_id, amount.map(|a| c.rescale(a)), &key)
        .await;
    let (state, detail) = match &outcome {
        Ok(r) => ("done", format!("refund {} accepted", r.id)),
        // Maybe carried out: it stays requested and goes again with the same key.
        Err(e) if e.is_uncertain() => ("requested", e.to_string()),
        Err(e) => ("failed", e.to_string()),
    };
    journal.with_transaction(|tx| {
        tx.execute(
            "UPDATE refunds SET state = ?1, detail = ?2, updated_at = ?3 WHERE id = ?4",
            params![state, detail, now(), row],
        )?;
        if state == "done" {
            let what = match amount {
                Some(a) => format!("refunded {} {c}", c.rescale(a)),
                None => format!("refunded the rest ({} {c})", c.rescale(left)),
            };
            tx.execute(
                "INSERT INTO sale_changes (sale_id, at, state, detail) VALUES (?1, ?2, 'paid', ?3)",
                params![sale_id, now(), what],
            )?;
        }
        Ok(())
    })?;
    outcome?;
    Ok(story(journal, sale_id)?)
}

/// Count and totals per state for a day.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DaySummary {
    pub day: NaiveDate,
    pub states: BTreeMap<String, StateTotal>,
    pub late_paid: u64,
    #[serde(with = "crate::money::json_amount")]
    pub paid_total: Decimal,
    #[serde(with = "crate::money::json_amount")]
    pub refunded_total: Decimal,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct StateTotal {
    pub count: u64,
    #[serde(with = "crate::money::json_amount")]
    pub total: Decimal,
}

pub fn day_sales(journal: &Journal, day: NaiveDate) -> Result<Vec<Sale>, JournalError> {
    let (from, to) = day_span(day);
    journal.list(from, to, None, u32::MAX, 0)
}

pub fn summary(journal: &Journal, day: NaiveDate) -> Result<DaySummary, JournalError> {
    let mut s = DaySummary {
        day,
        states: BTreeMap::new(),
        late_paid: 0,
        paid_total: Decimal::ZERO,
        refunded_total: Decimal::ZERO,
    };
    for sale in day_sales(journal, day)? {
        let entry = s.states.entry(sale.state.as_str().to_owned()).or_default();
        entry.count += 1;
        entry.total += sale.total;
        if sale.state == SaleState::Paid {
            s.paid_total += sale.paid_amount.unwrap_or(sale.total);
            s.late_paid += sale.late as u64;
            s.refunded_total += refunded(&refunds_of(journal, sale.id)?, &sale);
        }
    }
    Ok(s)
}

/// The day's sales as CSV, one row a sale.
pub fn day_csv(journal: &Journal, day: NaiveDate) -> Result<String, JournalError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "sale",
        "time",
        "state",
        "late",
        "external_reference",
        "currency",
        "total",
        "paid",
        "refunded",
        "merchant_orders",
        "payments",
        "items",
    ]);
    for sale in day_sales(journal, day)?.into_iter().rev() {
        let c = sale.currency;
        let refunds = refunds_of(journal, sale.id)?;
        let join = |ids: &[u64]| ids.iter().map(u64::to_string).collect::<Vec<_>>().join(" ");
        let items = sale
            .lines
            .iter()
            .map(|l| format!("{} x {}", l.quantity, l.title))
            .collect::<Vec<_>>()
            .join("; ");
        let _ = w.write_record([
            sale.id.to_string(),
            sale.created_at
                .with_timezone(&Local)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string(),
            sale.state.to_string(),
            sale.late.to_string(),
            sale.external_reference.clone(),
            c.code().to_owned(),
            c.rescale(sale.total).to_string(),
            sale.paid_amount.map(|p| c.rescale(p).to_string()).unwrap_or_default(),
            c.rescale(refunded(&refunds, &sale)).to_string(),
            join(&sale.merchant_order_ids),
            join(&sale.payment_ids),
            items,
        ]);
    }
    Ok(String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default())
}

/// A sale on which the journal and Mercado Pago disagree.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Difference {
    /// `None` for an order the journal never recorded.
    pub sale_id: Option<SaleId>,
    pub merchant_order_ids: Vec<u64>,
    pub external_reference: String,
    pub journal_state: Option<SaleState>,
    #[serde(with = "crate::money::json_amount::option")]
    pub journal_paid: Option<Decimal>,
    #[serde(with = "crate::money::json_amount::option")]
    pub mercado_pago_paid: Option<Decimal>,
    pub what: Mismatch,
}

/// How the journal and Mercado Pago disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum Mismatch {
    #[error("the journal says paid; Mercado Pago holds no payment for it (refunded elsewhere?)")]
    NoPaymentAtMercadoPago,
    #[error("Mercado Pago holds a payment the journal does not count as paid")]
    PaymentNotCounted,
    #[error("the amounts differ")]
    AmountsDiffer,
    #[error("Mercado Pago holds a payment on this register that the journal never recorded")]
    NeverRecorded,
}

/// Compares every finished sale of the day with Mercado Pago's merchant orders for it, then
/// lists the day's paid merchant orders of this register's POS that the journal never recorded.
pub async fn reconcile(register: &Register, day: NaiveDate) -> Result<Vec<Difference>, RecordsError> {
    let mut out = reconcile_sales(register, day).await?;
    out.extend(unrecorded_orders(register, day).await?);
    Ok(out)
}

async fn reconcile_sales(register: &Register, day: NaiveDate) -> Result<Vec<Difference>, RecordsError> {
    let journal = register.journal();
    let mut out = Vec::new();
    for sale in day_sales(journal, day)? {
        if sale.state.is_open() {
            continue;
        }
        let found = register
            .client()
            .search_merchant_orders(&MerchantOrderQuery::by_reference(&sale.external_reference))
            .await?;
        let verdict = judge(&found.elements, &sale.external_reference, Decimal::ZERO, sale.currency);
        let mp_paid = held_at_mercado_pago(&verdict.observed);
        let refunds = refunds_of(journal, sale.id)?;
        let journal_paid =
            (sale.state == SaleState::Paid).then(|| sale.paid_amount.unwrap_or(sale.total) - refunded(&refunds, &sale));
        let journal_paid = journal_paid.filter(|p| *p > Decimal::ZERO);
        let what = match (journal_paid, mp_paid) {
            (None, None) | (Some(_), Some(_)) if journal_paid == mp_paid => continue,
            (Some(_), None) => Mismatch::NoPaymentAtMercadoPago,
            (None, Some(_)) => Mismatch::PaymentNotCounted,
            _ => Mismatch::AmountsDiffer,
        };
        out.push(Difference {
            sale_id: Some(sale.id),
            merchant_order_ids: verdict.merchant_order_ids,
            external_reference: sale.external_reference.clone(),
            journal_state: Some(sale.state),
            journal_paid,
            mercado_pago_paid: mp_paid,
            what,
        });
    }
    Ok(out)
}

/// What Mercado Pago holds as paid now: approved payments net of refunds, on closed orders.
fn held_at_mercado_pago(observed: &Observed) -> Option<Decimal> {
    match observed {
        Observed::Paid { paid } if *paid > Decimal::ZERO => Some(*paid),
        _ => None,
    }
}

/// Merchant orders created on the day on this register's POS (their `external_reference` starts
/// with its prefix) that hold a payment and that the journal does not know: an older copy of the
/// journal put back, or a second install charging on the same POS.
async fn unrecorded_orders(register: &Register, day: NaiveDate) -> Result<Vec<Difference>, RecordsError> {
    const PAGE: u32 = 100;
    let config = register.config();
    let prefix = reference_prefix(&config.pos_external_id);
    let (from, to) = day_span(day);
    let mut out = Vec::new();
    let mut offset = 0;
    loop {
        let query = MerchantOrderQuery {
            date_created_from: Some(from.to_rfc3339()),
            date_created_to: Some(to.to_rfc3339()),
            limit: Some(PAGE),
            offset: Some(offset),
            ..Default::default()
        };
        let page = register.client().search_merchant_orders(&query).await?;
        let seen = page.elements.len() as u64;
        for mo in &page.elements {
            let Some(reference) = mo.external_reference.as_deref().filter(|r| r.starts_with(&prefix)) else {
                continue;
            };
            if register.journal().by_reference(reference)?.is_some() {
                continue;
            }
            let verdict = judge(std::slice::from_ref(mo), reference, Decimal::ZERO, config.currency);
            if let Some(paid) = held_at_mercado_pago(&verdict.observed) {
                out.push(Difference {
                    sale_id: None,
                    merchant_order_ids: vec![mo.id],
                    external_reference: reference.to_owned(),
                    journal_state: None,
                    journal_paid: None,
                    mercado_pago_paid: Some(paid),
                    what: Mismatch::NeverRecorded,
                });
            }
        }
        offset += seen;
        if seen < PAGE as u64 || page.total.is_some_and(|t| offset >= t) {
            return Ok(out);
        }
    }
}
