//! The day's records: the sales of a day, one sale's whole story, refunds (journaled before
//! they are sent, like every step), a CSV of the day, the end-of-day summary, and a
//! reconciliation of the journal against Mercado Pago. Money is what Mercado Pago holds for a
//! sale (`collected`), so a sale paid twice, or paid in part and then cancelled, shows what it
//! holds beyond its total, and that is what "refund the extra" gives back.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, Local, NaiveDate, TimeZone, Utc};
use rusqlite::params;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::mercadopago::merchant_orders::MerchantOrderQuery;
use crate::mercadopago::{Api, ApiError};
use crate::register::{judge, Register};
use crate::sale::journal::reference_prefix;
use crate::sale::{Journal, JournalError, Outcome, Sale, SaleId, SaleState, StateChange, Tender};

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
    #[serde(with = "crate::money::json_amount")]
    pub amount: Decimal,
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
    /// What the app's refunds gave back.
    #[serde(with = "crate::money::json_amount")]
    pub refunded: Decimal,
}

/// What the cashier asked to give back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundAsk {
    /// Everything Mercado Pago holds for the sale.
    All,
    /// What it holds beyond the sale's total (a second payment; or all of it, on a sale that
    /// was cancelled or expired).
    Extra,
    Amount(Decimal),
}

#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum RefundError {
    #[error("sale {sale_id} is {state}: only a sale that ended with money can be refunded")]
    NotRefundable { sale_id: SaleId, state: SaleState },
    #[error("the amount to refund must be positive and at most {left} {currency}")]
    BadAmount { left: String, currency: String },
    #[error("Mercado Pago holds nothing beyond the total of this sale")]
    NothingExtra,
    /// The Orders API refunds a sale whole (as the app offers it there).
    #[error("on the Orders API a sale is refunded whole: {whole} {currency}")]
    WholeOnly { whole: String, currency: String },
    #[error("Mercado Pago shows no approved payment for this sale")]
    NoPayment,
    /// A cash sale's money is in the drawer: it is given back from there, not by Mercado Pago.
    #[error("sale {sale_id} was paid in cash: give the cash back from the till")]
    PaidInCash { sale_id: SaleId },
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
                amount: r
                    .get::<_, Option<String>>(2)?
                    .and_then(|a| Decimal::from_str(&a).ok())
                    .unwrap_or_default(),
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

/// What the app's refunds that Mercado Pago accepted gave back.
fn refunded(refunds: &[RefundRecord]) -> Decimal {
    refunds.iter().filter(|r| r.state == "done").map(|r| r.amount).sum()
}

pub fn story(journal: &Journal, sale_id: SaleId) -> Result<SaleStory, JournalError> {
    let sale = journal.get(sale_id)?;
    let refunds = refunds_of(journal, sale_id)?;
    Ok(SaleStory {
        changes: journal.changes(sale_id)?,
        refunded: refunded(&refunds),
        refunds,
        sale,
    })
}

/// Refunds a sale that ended with money: all of it, what is beyond its total, or an amount.
/// The amount is worked out from what Mercado Pago holds now and split over the sale's
/// payments (newest first); each part is journaled with its payment, amount and idempotency key
/// before it is sent. A part left unanswered (a crash, a timeout) is sent again, as it was,
/// before anything new is asked, so Mercado Pago refunds each part once. Afterwards the journal
/// holds what Mercado Pago holds.
pub async fn refund(register: &Register, sale_id: SaleId, ask: RefundAsk) -> Result<SaleStory, RecordsError> {
    let journal = register.journal();
    let _turn = register.looking(sale_id).await;
    let sale = journal.get(sale_id)?;
    let left_over: Vec<RefundRecord> = refunds_of(journal, sale_id)?
        .into_iter()
        .filter(|r| r.state == "requested")
        .collect();
    let parts = if left_over.is_empty() {
        plan(register, &sale, ask).await?
    } else {
        left_over
    };
    let c = sale.currency;
    let mut failure = None;
    for part in &parts {
        let key: String = journal.with_transaction(|tx| {
            tx.query_row("SELECT idempotency_key FROM refunds WHERE id = ?1", [part.id], |r| {
                r.get(0)
            })
        })?;
        let outcome = match (sale.api, &sale.order_id) {
            (Api::Legacy, _) => register
                .client()
                .refund_payment(part.payment_id, Some(c.rescale(part.amount)), &key)
                .await
                .map(|r| r.id.to_string()),
            (Api::Orders, Some(order)) => register
                .client()
                .refund_order(order, None, &key)
                .await
                .map(|o| o.transactions.refunds.last().map(|r| r.id.clone()).unwrap_or(o.id)),
            (Api::Orders, None) => Err(ApiError::NotFound(Default::default())),
        };
        let (state, detail) = match &outcome {
            Ok(id) => ("done", format!("refund {id} accepted")),
            // Maybe carried out: it stays requested and goes again, as it is, with its key.
            Err(e) if e.is_uncertain() => ("requested", e.to_string()),
            Err(e) => ("failed", e.to_string()),
        };
        let now = Utc::now().to_rfc3339();
        journal.with_transaction(|tx| {
            tx.execute(
                "UPDATE refunds SET state = ?1, detail = ?2, updated_at = ?3 WHERE id = ?4",
                params![state, detail, now, part.id],
            )?;
            Ok(())
        })?;
        if state == "done" {
            let what = format!("refunded {} {c} of payment {}", c.rescale(part.amount), part.payment_id);
            journal.remark(sale_id, &what, register.now())?;
        }
        if let Err(e) = outcome {
            failure.get_or_insert(e);
        }
    }
    // What Mercado Pago holds now, journaled (a look that fails leaves it to the watcher).
    let sale = journal.get(sale_id)?;
    match register.verdict(&sale).await {
        Ok(v) => {
            register.record_money(&sale, &v)?;
        }
        Err(e) => tracing::warn!(sale = sale_id, error = %e, "after the refund, Mercado Pago could not be read"),
    }
    if let Some(e) = failure {
        return Err(e.into());
    }
    Ok(story(journal, sale_id)?)
}

/// Works out what to refund from what Mercado Pago holds now, and journals the parts
/// (`requested`) before any is sent.
async fn plan(register: &Register, sale: &Sale, ask: RefundAsk) -> Result<Vec<RefundRecord>, RecordsError> {
    let journal = register.journal();
    if sale.tender == Tender::Cash {
        return Err(RefundError::PaidInCash { sale_id: sale.id }.into());
    }
    if !sale.state.is_ended() || sale.state == SaleState::Failed {
        return Err(RefundError::NotRefundable {
            sale_id: sale.id,
            state: sale.state,
        }
        .into());
    }
    let v = register.verdict(sale).await?;
    let sale = register.record_money(sale, &v)?;
    let c = sale.currency;
    let held = v.collected;
    let bad = || RefundError::BadAmount {
        left: c.rescale(held).to_string(),
        currency: c.code().into(),
    };
    let amount = match ask {
        RefundAsk::All => held,
        RefundAsk::Extra => Outcome::of(sale.state, sale.total, held).extra(),
        RefundAsk::Amount(a) => {
            if a <= Decimal::ZERO || a > held || c.check_amount(a).is_err() {
                return Err(bad().into());
            }
            a
        }
    };
    // The Orders API: one order, refunded whole.
    if sale.api == Api::Orders && amount > Decimal::ZERO && amount != held {
        return Err(RefundError::WholeOnly {
            whole: c.rescale(held).to_string(),
            currency: c.code().into(),
        }
        .into());
    }
    if amount <= Decimal::ZERO {
        return Err(match (ask, held > Decimal::ZERO) {
            (RefundAsk::Extra, true) => RefundError::NothingExtra,
            (_, false) if v.refundable.is_empty() => RefundError::NoPayment,
            _ => bad(),
        }
        .into());
    }
    let mut left = amount;
    let mut parts = Vec::new();
    for p in &v.refundable {
        if left <= Decimal::ZERO {
            break;
        }
        let take = p.amount.min(left);
        parts.push((p.payment_id, take));
        left -= take;
    }
    if left > Decimal::ZERO {
        return Err(bad().into());
    }
    let now = Utc::now().to_rfc3339();
    let ids = journal.with_transaction(|tx| {
        let mut ids = Vec::new();
        for (payment_id, take) in &parts {
            let key = format!("refund-{}-{}", sale.external_reference, fastrand::u64(..));
            tx.execute(
                "INSERT INTO refunds (sale_id, payment_id, amount, idempotency_key, state, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, 'requested', ?5, ?5)",
                params![sale.id, *payment_id as i64, take.to_string(), key, now],
            )?;
            ids.push(tx.last_insert_rowid());
        }
        Ok(ids)
    })?;
    Ok(refunds_of(journal, sale.id)?
        .into_iter()
        .filter(|r| ids.contains(&r.id))
        .collect())
}

/// Count and totals per state for a day, and the money of the day's sales by tender.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DaySummary {
    pub day: NaiveDate,
    pub states: BTreeMap<String, StateTotal>,
    pub late_paid: u64,
    /// What Mercado Pago holds for the day's QR sales (net of refunds).
    #[serde(with = "crate::money::json_amount")]
    pub collected_total: Decimal,
    /// What the app's refunds gave back.
    #[serde(with = "crate::money::json_amount")]
    pub refunded_total: Decimal,
    /// Held beyond the sales' totals: paid twice, or paid on a sale that was then cancelled.
    #[serde(with = "crate::money::json_amount")]
    pub extra_total: Decimal,
    /// Sales with more than their total collected, or money on a sale that ended unpaid.
    pub with_extra: u64,
    pub pending: u64,
    /// Cash sales and what they came to.
    pub cash_sales: u64,
    #[serde(with = "crate::money::json_amount")]
    pub cash_total: Decimal,
    /// The day's net: what Mercado Pago holds for the QR sales (refunds taken off) plus the cash.
    #[serde(with = "crate::money::json_amount")]
    pub net_total: Decimal,
    /// The paid sales of each local hour (0 to 23) and their money, for the day's chart.
    pub by_hour: Vec<HourTotal>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct StateTotal {
    pub count: u64,
    #[serde(with = "crate::money::json_amount")]
    pub total: Decimal,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct HourTotal {
    pub hour: u32,
    pub sales: u64,
    #[serde(with = "crate::money::json_amount")]
    pub total: Decimal,
}

pub fn day_sales(journal: &Journal, day: NaiveDate) -> Result<Vec<Sale>, JournalError> {
    let (from, to) = day_span(day);
    journal.list(from, to, None, u32::MAX, 0)
}

pub fn summary(journal: &Journal, day: NaiveDate) -> Result<DaySummary, JournalError> {
    use chrono::Timelike;
    let mut s = DaySummary {
        day,
        states: BTreeMap::new(),
        late_paid: 0,
        collected_total: Decimal::ZERO,
        refunded_total: Decimal::ZERO,
        extra_total: Decimal::ZERO,
        with_extra: 0,
        pending: 0,
        cash_sales: 0,
        cash_total: Decimal::ZERO,
        net_total: Decimal::ZERO,
        by_hour: (0..24)
            .map(|hour| HourTotal {
                hour,
                ..Default::default()
            })
            .collect(),
    };
    for sale in day_sales(journal, day)? {
        let entry = s.states.entry(sale.state.as_str().to_owned()).or_default();
        entry.count += 1;
        entry.total += sale.total;
        match sale.tender {
            Tender::Qr => s.collected_total += sale.collected,
            Tender::Cash => {
                s.cash_sales += 1;
                s.cash_total += sale.collected;
            }
        }
        s.late_paid += (sale.late && sale.state == SaleState::Paid) as u64;
        s.pending += (sale.state == SaleState::Pending) as u64;
        let extra = sale.outcome().extra();
        if extra > Decimal::ZERO {
            s.extra_total += extra;
            s.with_extra += 1;
        }
        if sale.state == SaleState::Paid {
            let hour = &mut s.by_hour[sale.created_at.with_timezone(&Local).hour() as usize];
            hour.sales += 1;
            hour.total += sale.collected;
        }
        s.refunded_total += refunded(&refunds_of(journal, sale.id)?);
    }
    s.net_total = s.collected_total + s.cash_total;
    Ok(s)
}

/// A line as the day's CSV and the ticket name it: `2 x Yerba`, `0,350 kg x Queso`.
pub fn line_words(line: &crate::sale::CartLine, currency: crate::money::Currency) -> String {
    match line.weight {
        Some(kg) => format!("{} x {}", crate::money::format_weight(kg, currency), line.title),
        None => format!("{} x {}", line.quantity, line.title),
    }
}

/// The day's sales as CSV, one row a sale.
pub fn day_csv(journal: &Journal, day: NaiveDate) -> Result<String, JournalError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "sale",
        "time",
        "tender",
        "state",
        "outcome",
        "late",
        "external_reference",
        "currency",
        "total",
        "collected",
        "refunded",
        "extra",
        "cash_received",
        "change",
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
            .map(|l| line_words(l, c))
            .collect::<Vec<_>>()
            .join("; ");
        let cash = |f: fn(&crate::sale::CashPayment) -> Decimal| {
            sale.cash
                .as_ref()
                .map(|p| c.rescale(f(p)).to_string())
                .unwrap_or_default()
        };
        let outcome = sale.outcome();
        let _ = w.write_record([
            sale.id.to_string(),
            sale.created_at
                .with_timezone(&Local)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string(),
            sale.tender.as_str().to_owned(),
            sale.state.to_string(),
            outcome_word(outcome).to_owned(),
            sale.late.to_string(),
            sale.external_reference.clone(),
            c.code().to_owned(),
            c.rescale(sale.total).to_string(),
            c.rescale(sale.collected).to_string(),
            c.rescale(refunded(&refunds)).to_string(),
            c.rescale(outcome.extra()).to_string(),
            cash(|p| p.received),
            cash(|p| p.change),
            join(&sale.merchant_order_ids),
            join(&sale.payment_ids),
            crate::sale::catalog::spreadsheet_text(&items).into_owned(),
        ]);
    }
    Ok(String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default())
}

fn outcome_word(o: Outcome) -> &'static str {
    match o {
        Outcome::Open => "open",
        Outcome::Paid => "paid",
        Outcome::Extra { .. } => "extra_collected",
        Outcome::Refunded { .. } => "refunded",
        Outcome::Ended => "ended",
        Outcome::Held { .. } => "held_after_end",
    }
}

/// What reconciliation found on a sale (or on an order the journal never recorded).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Difference {
    /// `None` for an order the journal never recorded.
    pub sale_id: Option<SaleId>,
    pub merchant_order_ids: Vec<u64>,
    pub external_reference: String,
    pub journal_state: Option<SaleState>,
    #[serde(with = "crate::money::json_amount::option")]
    pub journal_collected: Option<Decimal>,
    #[serde(with = "crate::money::json_amount::option")]
    pub mercado_pago_collected: Option<Decimal>,
    /// The amount the finding is about (the extra, what was refunded elsewhere).
    #[serde(with = "crate::money::json_amount::option")]
    pub amount: Option<Decimal>,
    pub what: Mismatch,
}

/// How the journal and Mercado Pago disagree, or what money needs the owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum Mismatch {
    #[error("the journal counts money Mercado Pago no longer holds (refunded elsewhere?)")]
    NoPaymentAtMercadoPago,
    #[error("Mercado Pago holds a payment the journal does not count")]
    PaymentNotCounted,
    #[error("the amounts differ")]
    AmountsDiffer,
    #[error("Mercado Pago refunded more of this sale than the app asked for")]
    RefundedElsewhere,
    #[error("more than the total was collected")]
    ExtraCollected,
    #[error("money was collected on a sale that ended unpaid")]
    HeldAfterEnd,
    #[error("Mercado Pago holds a payment on this register that the journal never recorded")]
    NeverRecorded,
}

/// Compares every finished sale of the day with what Mercado Pago holds for it, summed over all
/// its merchant orders, lists the money beyond the totals, then the day's paid merchant orders
/// of this register's POS that the journal never recorded. It changes nothing.
pub async fn reconcile(register: &Register, day: NaiveDate) -> Result<Vec<Difference>, RecordsError> {
    let mut out = reconcile_sales(register, day).await?;
    out.extend(unrecorded_orders(register, day).await?);
    Ok(out)
}

async fn reconcile_sales(register: &Register, day: NaiveDate) -> Result<Vec<Difference>, RecordsError> {
    let journal = register.journal();
    let mut out = Vec::new();
    for sale in day_sales(journal, day)? {
        // A cash sale has nothing at Mercado Pago to compare: its money is in the till.
        if !sale.state.is_ended() || sale.tender == Tender::Cash {
            continue;
        }
        let v = register.verdict(&sale).await?;
        let finding = |what, amount| Difference {
            sale_id: Some(sale.id),
            merchant_order_ids: v.merchant_order_ids.clone(),
            external_reference: sale.external_reference.clone(),
            journal_state: Some(sale.state),
            journal_collected: Some(sale.collected),
            mercado_pago_collected: Some(v.collected),
            amount,
            what,
        };
        let zero = Decimal::ZERO;
        if sale.collected != v.collected {
            let what = match (sale.collected > zero, v.collected > zero) {
                (true, false) => Mismatch::NoPaymentAtMercadoPago,
                (false, true) => Mismatch::PaymentNotCounted,
                _ => Mismatch::AmountsDiffer,
            };
            out.push(finding(what, None));
        }
        let by_the_app = refunded(&refunds_of(journal, sale.id)?);
        if v.refunded > by_the_app {
            out.push(finding(Mismatch::RefundedElsewhere, Some(v.refunded - by_the_app)));
        }
        match Outcome::of(sale.state, sale.total, v.collected) {
            Outcome::Extra { extra } => out.push(finding(Mismatch::ExtraCollected, Some(extra))),
            Outcome::Held { held } => out.push(finding(Mismatch::HeldAfterEnd, Some(held))),
            _ => {}
        }
    }
    Ok(out)
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
            let v = judge(std::slice::from_ref(mo), reference, Decimal::ONE, config.currency);
            if v.collected > Decimal::ZERO {
                out.push(Difference {
                    sale_id: None,
                    merchant_order_ids: vec![mo.id],
                    external_reference: reference.to_owned(),
                    journal_state: None,
                    journal_collected: None,
                    mercado_pago_collected: Some(v.collected),
                    amount: None,
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
