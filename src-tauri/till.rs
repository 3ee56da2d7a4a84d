//! The till: the cash drawer of one register, from the float counted when it opens to the cash
//! counted when it closes. In between, cash sales, cash taken in or out with a reason; at the
//! close, the Z report: the cash the drawer should hold and the difference with what was
//! counted, beside what Mercado Pago collected, the refunds and the late payments of the same
//! sales. Kept in the journal's file; a closed till's report is frozen as it was printed.

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, OptionalExtension, Row, Transaction};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::{read_typed, Currency, MoneyError};
use crate::sale::journal::{parse_ts, ts};
use crate::sale::{Journal, JournalError, SaleState, Tender};

pub type TillId = i64;

pub const MIGRATION: &str = "CREATE TABLE tills (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    pos_external_id TEXT NOT NULL,
    cashier TEXT NOT NULL,
    currency TEXT NOT NULL,
    float TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    closed_at TEXT,
    counted TEXT,
    report TEXT
);
CREATE UNIQUE INDEX tills_one_open ON tills(pos_external_id) WHERE closed_at IS NULL;
CREATE INDEX tills_opened ON tills(opened_at);
CREATE TABLE till_moves (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    till_id INTEGER NOT NULL REFERENCES tills(id),
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    amount TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX till_moves_till ON till_moves(till_id);";

pub const MAX_NAME_CHARS: usize = 60;
pub const MAX_REASON_CHARS: usize = 120;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Till {
    pub id: TillId,
    pub pos_external_id: String,
    /// Who opened it: the name on the tickets until it closes.
    pub cashier: String,
    pub currency: Currency,
    #[serde(with = "crate::money::json_amount")]
    pub float: Decimal,
    pub opened_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    #[serde(with = "crate::money::json_amount::option")]
    pub counted: Option<Decimal>,
}

/// Cash put into the drawer or taken out of it, not for a sale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MoveKind {
    In,
    Out,
}

impl MoveKind {
    fn as_str(self) -> &'static str {
        match self {
            MoveKind::In => "in",
            MoveKind::Out => "out",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TillMove {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub kind: MoveKind,
    #[serde(with = "crate::money::json_amount")]
    pub amount: Decimal,
    pub reason: String,
}

/// The till's day in numbers: what the drawer should hold and what the sales of the till came to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ZReport {
    pub till: Till,
    pub moves: Vec<TillMove>,
    /// When the figures were taken (the close, for a closed till).
    pub at: DateTime<Utc>,
    pub cash_sales: u64,
    /// What the cash sales came to (their totals after the rounding to the smallest coin).
    #[serde(with = "crate::money::json_amount")]
    pub cash_total: Decimal,
    #[serde(with = "crate::money::json_amount")]
    pub cash_received: Decimal,
    #[serde(with = "crate::money::json_amount")]
    pub change_given: Decimal,
    /// What the rounding to the smallest coin added to the cash sales (negative: took off).
    #[serde(with = "crate::money::json_amount")]
    pub rounding: Decimal,
    #[serde(with = "crate::money::json_amount")]
    pub cash_in: Decimal,
    #[serde(with = "crate::money::json_amount")]
    pub cash_out: Decimal,
    /// float + cash received − change given + cash in − cash out.
    #[serde(with = "crate::money::json_amount")]
    pub expected_cash: Decimal,
    #[serde(with = "crate::money::json_amount::option")]
    pub counted: Option<Decimal>,
    /// counted − expected: negative when cash is missing.
    #[serde(with = "crate::money::json_amount::option")]
    pub difference: Option<Decimal>,
    /// QR sales paid, and what Mercado Pago holds for the till's QR sales.
    pub qr_sales: u64,
    #[serde(with = "crate::money::json_amount")]
    pub qr_collected: Decimal,
    /// Refunds the app made on Mercado Pago while the till was open.
    pub refunds: u64,
    #[serde(with = "crate::money::json_amount")]
    pub refunded: Decimal,
    /// QR sales of the till paid after they were given up.
    pub late_payments: u64,
    #[serde(with = "crate::money::json_amount")]
    pub late_amount: Decimal,
    /// Paid sales, both tenders, what they came to and the average ticket.
    pub sales: u64,
    #[serde(with = "crate::money::json_amount")]
    pub sales_total: Decimal,
    #[serde(with = "crate::money::json_amount")]
    pub average_ticket: Decimal,
    pub cancelled: u64,
    pub expired: u64,
}

/// Why the till refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum TillError {
    #[error("the till is already open (since {since})")]
    AlreadyOpen { since: String },
    #[error("the till is not open")]
    NotOpen,
    #[error("{text:?} is not an amount")]
    NotAnAmount { text: String },
    #[error("{text:?} could be read two ways: write it without the thousands mark")]
    Ambiguous { text: String },
    #[error("the amount must be zero or more, with at most {allowed} decimals")]
    BadAmount { allowed: u32 },
    #[error("the amount must be more than zero")]
    NothingMoved,
    #[error("write who opens the till (at most {max} characters)")]
    BadCashier { max: usize },
    #[error("write why the cash moves (at most {max} characters)")]
    BadReason { max: usize },
    #[error("the drawer should hold only {holds}: it cannot give {asked}")]
    MoreThanHeld { holds: String, asked: String },
    #[error("sale {sale_id} is still open: finish or cancel it before closing the till")]
    SaleOpen { sale_id: i64 },
    #[error(transparent)]
    Journal(#[from] JournalError),
}

/// An amount of cash typed at the counter: zero or more, with the currency's decimals.
pub fn read_cash(text: &str, currency: Currency) -> Result<Decimal, TillError> {
    let shown = || text.trim().chars().take(32).collect::<String>();
    let a = read_typed(text, currency).map_err(|e| match e {
        MoneyError::Ambiguous(_) => TillError::Ambiguous { text: shown() },
        _ => TillError::NotAnAmount { text: shown() },
    })?;
    if a < Decimal::ZERO || a.normalize().scale() > currency.decimals() || a > crate::sale::cart::max_total(currency) {
        return Err(TillError::BadAmount {
            allowed: currency.decimals(),
        });
    }
    Ok(currency.rescale(a))
}

fn amount(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or_default()
}

fn read_till(r: &Row<'_>) -> rusqlite::Result<Till> {
    Ok(Till {
        id: r.get("id")?,
        pos_external_id: r.get("pos_external_id")?,
        cashier: r.get("cashier")?,
        currency: Currency::from_str(&r.get::<_, String>("currency")?).unwrap_or(Currency::Ars),
        float: amount(&r.get::<_, String>("float")?),
        opened_at: parse_ts(&r.get::<_, String>("opened_at")?),
        closed_at: r.get::<_, Option<String>>("closed_at")?.map(|t| parse_ts(&t)),
        counted: r.get::<_, Option<String>>("counted")?.map(|a| amount(&a)),
    })
}

fn open_in(tx: &Transaction<'_>, pos: &str) -> rusqlite::Result<Option<Till>> {
    tx.query_row(
        "SELECT * FROM tills WHERE pos_external_id = ?1 AND closed_at IS NULL",
        [pos],
        read_till,
    )
    .optional()
}

fn moves_in(tx: &Transaction<'_>, till: TillId) -> rusqlite::Result<Vec<TillMove>> {
    let mut stmt = tx.prepare("SELECT id, at, kind, amount, reason FROM till_moves WHERE till_id = ?1 ORDER BY id")?;
    let rows = stmt.query_map([till], |r| {
        Ok(TillMove {
            id: r.get(0)?,
            at: parse_ts(&r.get::<_, String>(1)?),
            kind: if r.get::<_, String>(2)? == "out" {
                MoveKind::Out
            } else {
                MoveKind::In
            },
            amount: amount(&r.get::<_, String>(3)?),
            reason: r.get(4)?,
        })
    })?;
    rows.collect()
}

/// The figures of a till as they stand at `now`.
fn report_in(tx: &Transaction<'_>, till: &Till, now: DateTime<Utc>) -> rusqlite::Result<ZReport> {
    let moves = moves_in(tx, till.id)?;
    let sum = |kind: MoveKind| -> Decimal { moves.iter().filter(|m| m.kind == kind).map(|m| m.amount).sum() };
    let mut z = ZReport {
        till: till.clone(),
        at: now,
        cash_sales: 0,
        cash_total: Decimal::ZERO,
        cash_received: Decimal::ZERO,
        change_given: Decimal::ZERO,
        rounding: Decimal::ZERO,
        cash_in: sum(MoveKind::In),
        cash_out: sum(MoveKind::Out),
        expected_cash: Decimal::ZERO,
        counted: till.counted,
        difference: None,
        qr_sales: 0,
        qr_collected: Decimal::ZERO,
        refunds: 0,
        refunded: Decimal::ZERO,
        late_payments: 0,
        late_amount: Decimal::ZERO,
        sales: 0,
        sales_total: Decimal::ZERO,
        average_ticket: Decimal::ZERO,
        cancelled: 0,
        expired: 0,
        moves,
    };
    for sale in tx
        .prepare("SELECT id FROM sales WHERE till_id = ?1")?
        .query_map([till.id], |r| r.get::<_, i64>(0))?
    {
        let s = crate::sale::journal::sale_in(tx, sale?)?;
        let Some(s) = s else { continue };
        match (s.tender, s.state) {
            (Tender::Cash, _) => {
                let cash = s.cash.unwrap_or_default();
                z.cash_sales += 1;
                z.cash_total += s.total;
                z.cash_received += cash.received;
                z.change_given += cash.change;
                z.rounding += cash.rounding;
            }
            (Tender::Qr, SaleState::Paid) => {
                z.qr_sales += 1;
                if s.late {
                    z.late_payments += 1;
                    z.late_amount += s.collected;
                }
            }
            (Tender::Qr, SaleState::Cancelled) => z.cancelled += 1,
            (Tender::Qr, SaleState::Expired) => z.expired += 1,
            _ => {}
        }
        if s.tender == Tender::Qr {
            z.qr_collected += s.collected;
        }
        if s.state == SaleState::Paid {
            z.sales += 1;
            z.sales_total += s.total;
        }
    }
    let (refunds, refunded): (u64, Decimal) = {
        let mut stmt = tx.prepare(
            "SELECT r.amount, r.updated_at FROM refunds r JOIN sales s ON s.id = r.sale_id
             WHERE r.state = 'done' AND s.pos_external_id = ?1",
        )?;
        let until = till.closed_at.unwrap_or(now);
        let rows = stmt.query_map([&till.pos_external_id], |r| {
            Ok((r.get::<_, Option<String>>(0)?, parse_ts(&r.get::<_, String>(1)?)))
        })?;
        let mut n = 0;
        let mut total = Decimal::ZERO;
        for row in rows {
            let (a, at) = row?;
            if at >= till.opened_at && at < until {
                n += 1;
                total += a.map(|a| amount(&a)).unwrap_or_default();
            }
        }
        (n, total)
    };
    z.refunds = refunds;
    z.refunded = refunded;
    let c = till.currency;
    z.expected_cash = till.float + z.cash_received - z.change_given + z.cash_in - z.cash_out;
    z.difference = z.counted.map(|counted| counted - z.expected_cash);
    if z.sales > 0 {
        z.average_ticket = c.round(z.sales_total / Decimal::from(z.sales));
    }
    Ok(z)
}

impl Journal {
    /// The till open on this register's POS, if any.
    pub fn open_till(&self, pos: &str) -> Result<Option<Till>, JournalError> {
        self.with_transaction(|tx| open_in(tx, pos))
    }

    pub fn till(&self, id: TillId) -> Result<Option<Till>, JournalError> {
        self.with_transaction(|tx| {
            tx.query_row("SELECT * FROM tills WHERE id = ?1", [id], read_till)
                .optional()
        })
    }

    /// Opens the till with the float counted in the drawer.
    pub fn start_till(
        &self,
        pos: &str,
        cashier: &str,
        float: Decimal,
        currency: Currency,
        now: DateTime<Utc>,
    ) -> Result<Till, TillError> {
        let cashier = cashier.trim();
        if cashier.is_empty() || cashier.chars().count() > MAX_NAME_CHARS || cashier.chars().any(char::is_control) {
            return Err(TillError::BadCashier { max: MAX_NAME_CHARS });
        }
        let till =
            self.with_transaction(|tx| {
                if let Some(open) = open_in(tx, pos)? {
                    return Ok(Err(TillError::AlreadyOpen {
                        since: open.opened_at.to_rfc3339(),
                    }));
                }
                tx.execute(
                "INSERT INTO tills (pos_external_id, cashier, currency, float, opened_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![pos, cashier, currency.code(), currency.rescale(float).to_string(), ts(now)],
            )?;
                Ok(Ok(open_in(tx, pos)?))
            })??;
        till.ok_or(TillError::NotOpen)
    }

    /// Cash into the drawer or out of it, with a reason. Out is refused beyond what the drawer
    /// should hold.
    pub fn move_cash(
        &self,
        pos: &str,
        kind: MoveKind,
        amount: Decimal,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<ZReport, TillError> {
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS || reason.chars().any(char::is_control) {
            return Err(TillError::BadReason { max: MAX_REASON_CHARS });
        }
        if amount <= Decimal::ZERO {
            return Err(TillError::NothingMoved);
        }
        self.with_transaction(|tx| {
            let Some(till) = open_in(tx, pos)? else {
                return Ok(Err(TillError::NotOpen));
            };
            let before = report_in(tx, &till, now)?;
            if kind == MoveKind::Out && amount > before.expected_cash {
                let c = till.currency;
                return Ok(Err(TillError::MoreThanHeld {
                    holds: crate::money::format(before.expected_cash, c),
                    asked: crate::money::format(amount, c),
                }));
            }
            tx.execute(
                "INSERT INTO till_moves (till_id, at, kind, amount, reason) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    till.id,
                    ts(now),
                    kind.as_str(),
                    till.currency.rescale(amount).to_string(),
                    reason
                ],
            )?;
            Ok(Ok(report_in(tx, &till, now)?))
        })?
    }

    /// Closes the till with the cash counted in the drawer: its Z report is worked out and kept
    /// as it is from then on. Refused while a sale holds the register (its money is not known).
    pub fn close_till(&self, pos: &str, counted: Decimal, now: DateTime<Utc>) -> Result<ZReport, TillError> {
        self.with_transaction(|tx| {
            let Some(mut till) = open_in(tx, pos)? else {
                return Ok(Err(TillError::NotOpen));
            };
            if let Some(sale_id) = crate::sale::journal::open_sale_on(tx, pos)? {
                return Ok(Err(TillError::SaleOpen { sale_id }));
            }
            till.closed_at = Some(now);
            till.counted = Some(till.currency.rescale(counted));
            let z = report_in(tx, &till, now)?;
            let frozen = serde_json::to_string(&z).unwrap_or_default();
            tx.execute(
                "UPDATE tills SET closed_at = ?1, counted = ?2, report = ?3 WHERE id = ?4",
                params![ts(now), till.currency.rescale(counted).to_string(), frozen, till.id],
            )?;
            Ok(Ok(z))
        })?
    }

    /// A till's report: as frozen at its close, or as it stands now while it is open.
    pub fn z_report(&self, till_id: TillId, now: DateTime<Utc>) -> Result<Option<ZReport>, JournalError> {
        self.with_transaction(|tx| {
            let Some((till, frozen)) = tx
                .query_row("SELECT *, report FROM tills WHERE id = ?1", [till_id], |r| {
                    Ok((read_till(r)?, r.get::<_, Option<String>>("report")?))
                })
                .optional()?
            else {
                return Ok(None);
            };
            if let Some(z) = frozen.and_then(|f| serde_json::from_str::<ZReport>(&f).ok()) {
                return Ok(Some(z));
            }
            Ok(Some(report_in(tx, &till, now)?))
        })
    }

    /// The tills opened on a local day, newest first.
    pub fn tills_of_day(&self, day: NaiveDate) -> Result<Vec<Till>, JournalError> {
        let (from, to) = crate::records::day_span(day);
        self.with_transaction(|tx| {
            let mut stmt =
                tx.prepare("SELECT * FROM tills WHERE opened_at >= ?1 AND opened_at < ?2 ORDER BY id DESC")?;
            let rows = stmt.query_map(params![ts(from), ts(to)], read_till)?;
            rows.collect()
        })
    }
}

/// A Z report as CSV: one row per figure, for the store's accountant.
pub fn z_csv(z: &ZReport) -> String {
    let c = z.till.currency;
    let a = |d: Decimal| c.rescale(d).to_string();
    let opt = |d: Option<Decimal>| d.map(a).unwrap_or_default();
    let mut w = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
    let rows: Vec<(&str, String)> = vec![
        ("till", z.till.id.to_string()),
        ("register", z.till.pos_external_id.clone()),
        (
            "cashier",
            crate::sale::catalog::spreadsheet_text(&z.till.cashier).into_owned(),
        ),
        ("currency", c.code().to_owned()),
        ("opened_at", z.till.opened_at.to_rfc3339()),
        (
            "closed_at",
            z.till.closed_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
        ),
        ("float", a(z.till.float)),
        ("cash_sales", z.cash_sales.to_string()),
        ("cash_total", a(z.cash_total)),
        ("cash_received", a(z.cash_received)),
        ("change_given", a(z.change_given)),
        ("rounding", a(z.rounding)),
        ("cash_in", a(z.cash_in)),
        ("cash_out", a(z.cash_out)),
        ("expected_cash", a(z.expected_cash)),
        ("counted_cash", opt(z.counted)),
        ("difference", opt(z.difference)),
        ("qr_sales", z.qr_sales.to_string()),
        ("qr_collected", a(z.qr_collected)),
        ("refunds", z.refunds.to_string()),
        ("refunded", a(z.refunded)),
        ("late_payments", z.late_payments.to_string()),
        ("late_amount", a(z.late_amount)),
        ("sales", z.sales.to_string()),
        ("sales_total", a(z.sales_total)),
        ("average_ticket", a(z.average_ticket)),
        ("cancelled", z.cancelled.to_string()),
        ("expired", z.expired.to_string()),
    ];
    let _ = w.write_record(["figure", "value"]);
    for (k, v) in rows {
        let _ = w.write_record([k, v.as_str()]);
    }
    let _ = w.write_record(["", ""]);
    let _ = w.write_record(["move", "at", "amount", "reason"]);
    for m in &z.moves {
        let _ = w.write_record([
            m.kind.as_str(),
            &m.at.to_rfc3339(),
            &a(m.amount),
            &crate::sale::catalog::spreadsheet_text(&m.reason),
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}
