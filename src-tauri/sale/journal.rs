//! The journal: every sale and every step of its life, in one SQLite file, written before the
//! request that makes the step happen. WAL mode with full sync, so a kill or a power cut at any
//! moment leaves either the step or nothing, never half of it.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, ErrorCode, OptionalExtension, Row, Transaction};
use rust_decimal::Decimal;
use serde::Serialize;

use super::state::Outcome;
use super::{CartLine, CashPayment, CheckedCart, SaleState, Tender};
use crate::mercadopago::Api;
use crate::money::Currency;

pub type SaleId = i64;

/// A sale as the journal holds it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Sale {
    pub id: SaleId,
    pub external_reference: String,
    pub pos_external_id: String,
    pub user_id: u64,
    pub currency: Currency,
    #[serde(with = "crate::money::json_amount")]
    pub total: Decimal,
    pub lines: Vec<CartLine>,
    pub state: SaleState,
    /// The Mercado Pago API the sale began on, and finishes on.
    pub api: Api,
    /// Orders API: the order's id, journaled from the create's answer.
    pub order_id: Option<String>,
    /// Orders API: the idempotency keys of the create and of the cancel, journaled before their
    /// first send and sent again on every retry of it.
    pub order_key: Option<String>,
    pub cancel_key: Option<String>,
    /// Paid after it was given up (cancelled or expired).
    pub late: bool,
    /// What Mercado Pago holds for the sale, as last seen: approved payments minus their
    /// refunds, summed over every merchant order of its reference.
    #[serde(with = "crate::money::json_amount")]
    pub collected: Decimal,
    /// The `collected` the cashier last acknowledged (None: the sale's end was never seen).
    #[serde(with = "crate::money::json_amount::option")]
    pub acknowledged: Option<Decimal>,
    /// The cashier must see it: a payment still pending, or an end (or money) not acknowledged.
    pub attention: bool,
    pub merchant_order_ids: Vec<u64>,
    pub payment_ids: Vec<u64>,
    pub last_error: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    /// A request of this sale that changes its POS (an order put, an order withdrawn) went
    /// unanswered and may still land at Mercado Pago until then: meanwhile the sale holds its POS.
    pub pos_doubt_until: Option<DateTime<Utc>>,
    /// What a pending sale becomes if its payment is refused (`cancelled` or `expired`).
    pub ends_as: Option<SaleState>,
    /// At the last look a payment of the sale was still in process (pending, in review): the
    /// sale is watched until it is resolved, whatever its state, a restart included.
    pub payment_in_process: bool,
    /// At the last look a merchant order of the sale could still take a payment (`opened`).
    pub orders_payable: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// QR (Mercado Pago) or cash at the counter.
    pub tender: Tender,
    /// A cash sale's payment: what was due, handed over, given back, and the rounding.
    pub cash: Option<CashPayment>,
    /// A cash sale: the QR sale (withdrawn unpaid) whose cart it took in cash.
    pub finishes_sale: Option<SaleId>,
    /// A QR sale: the cash sale that took its cart. Money Mercado Pago receives for it afterwards
    /// is the customer's twice over: held, to give back, never a payment of the sale.
    pub finished_by: Option<SaleId>,
    /// The till open on the register when the sale began.
    pub till_id: Option<i64>,
}

impl Sale {
    /// The `external_reference` of the sale's Orders API order: the sale's, in letters and
    /// digits only, with the attempt (`A1`; a sale makes one).
    pub fn order_reference(&self) -> String {
        let plain: String = self
            .external_reference
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        format!("{plain}A1")
    }

    /// The reference its money is found under at Mercado Pago.
    pub fn money_reference(&self) -> String {
        match self.api {
            Api::Legacy => self.external_reference.clone(),
            Api::Orders => self.order_reference(),
        }
    }

    pub fn outcome(&self) -> Outcome {
        Outcome::of(self.state, self.total, self.collected)
    }

    /// The sale may have an order on its POS, or a request that may still put one there.
    pub fn holds_pos(&self) -> bool {
        self.state.is_open() || self.pos_doubt_until.is_some()
    }

    fn needs_attention(&self) -> bool {
        match self.state {
            SaleState::Pending => true,
            s if s.is_ended() => self.acknowledged.is_none_or(|seen| self.collected > seen),
            _ => false,
        }
    }
}

/// One step of a sale's life.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StateChange {
    pub at: DateTime<Utc>,
    pub state: SaleState,
    pub detail: String,
}

/// Fields a step may set besides the state.
#[derive(Debug, Clone, Default)]
pub struct SaleUpdate {
    pub expires_at: Option<DateTime<Utc>>,
    pub collected: Option<Decimal>,
    pub merchant_order_ids: Option<Vec<u64>>,
    pub payment_ids: Option<Vec<u64>>,
    /// `Some(None)` clears it.
    pub last_error: Option<Option<String>>,
    pub late: Option<bool>,
    /// `Some(None)` clears it.
    pub pos_doubt_until: Option<Option<DateTime<Utc>>>,
    pub ends_as: Option<SaleState>,
    pub payment_in_process: Option<bool>,
    pub orders_payable: Option<bool>,
    pub order_id: Option<String>,
    pub order_key: Option<String>,
    pub cancel_key: Option<String>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize)]
#[serde(tag = "reason", content = "detail", rename_all = "snake_case")]
pub enum JournalError {
    #[error("the sales journal cannot be opened at {0}")]
    CannotOpen(String),
    #[error("the sales journal is damaged ({0}); it was left as it is for support")]
    Corrupt(String),
    #[error("the sales journal is read-only: check the permissions of {0}")]
    ReadOnly(String),
    #[error("the disk is full: the sales journal cannot grow")]
    Full,
    #[error("the sales journal is busy (another program holds it)")]
    Busy,
    #[error("no sale {0}")]
    NoSuchSale(SaleId),
    /// One sale at a time per POS: this one still holds it.
    #[error("sale {0} still holds this register's POS")]
    PosHeld(SaleId),
    #[error("a sale cannot go from {from} to {to}")]
    NotAllowed { from: SaleState, to: SaleState },
    /// Cash goes into a counted drawer: the till must be open.
    #[error("open the till before taking cash")]
    NoOpenTill,
    #[error("sale {sale_id} cannot be finished in cash: {why}")]
    NotFinishable { sale_id: SaleId, why: Unfinishable },
    #[error("sales journal error: {0}")]
    Other(String),
}

/// Why a QR sale cannot be finished in cash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum Unfinishable {
    #[error("its order is still on the POS (withdraw it first)")]
    StillOpen,
    #[error("it was paid")]
    Paid,
    #[error("Mercado Pago holds money for it (refund it first)")]
    MoneyHeld,
    #[error("a payment of it is still being processed")]
    PaymentPending,
    #[error("a cash sale already finished it")]
    AlreadyFinished,
    #[error("it is not this register's QR sale")]
    NotThisRegisters,
}

/// A step of the schema: SQL, or Rust where amounts must stay exact.
enum Migration {
    Sql(&'static str),
    Rust(fn(&Transaction<'_>) -> rusqlite::Result<()>),
}

const MIGRATIONS: &[Migration] = &[
    // 1: sales and their steps.
    Migration::Sql(
        "CREATE TABLE sales (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        external_reference TEXT NOT NULL UNIQUE,
        pos_external_id TEXT NOT NULL,
        user_id INTEGER NOT NULL,
        currency TEXT NOT NULL,
        total TEXT NOT NULL,
        lines TEXT NOT NULL,
        state TEXT NOT NULL,
        late INTEGER NOT NULL DEFAULT 0,
        paid_amount TEXT,
        merchant_order_ids TEXT NOT NULL DEFAULT '[]',
        payment_ids TEXT NOT NULL DEFAULT '[]',
        last_error TEXT,
        expires_at TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX sales_state ON sales(state);
    CREATE INDEX sales_created ON sales(created_at);
    CREATE TABLE sale_changes (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        sale_id INTEGER NOT NULL REFERENCES sales(id),
        at TEXT NOT NULL,
        state TEXT NOT NULL,
        detail TEXT NOT NULL
    );
    CREATE INDEX sale_changes_sale ON sale_changes(sale_id);",
    ),
    // 2: the product catalog.
    Migration::Sql(super::catalog::MIGRATION),
    // 3: refunds.
    Migration::Sql(crate::records::MIGRATION),
    // 4: finding the recently finished sales at start without reading every sale.
    Migration::Sql("CREATE INDEX sales_updated ON sales(updated_at);"),
    // 5: the money of every merchant order, one sale per POS, what the cashier must see.
    Migration::Rust(collected_and_one_sale_per_pos),
    // 6: the till.
    Migration::Sql(crate::till::MIGRATION),
    // 7: cash beside QR, goods by the kilo.
    Migration::Sql(
        "ALTER TABLE sales ADD COLUMN tender TEXT NOT NULL DEFAULT 'qr';
         ALTER TABLE sales ADD COLUMN cash_received TEXT;
         ALTER TABLE sales ADD COLUMN cash_change TEXT;
         ALTER TABLE sales ADD COLUMN rounding TEXT;
         ALTER TABLE sales ADD COLUMN finishes_sale INTEGER REFERENCES sales(id);
         ALTER TABLE sales ADD COLUMN till_id INTEGER REFERENCES tills(id);
         ALTER TABLE sales ADD COLUMN finished_by INTEGER;
         CREATE UNIQUE INDEX sales_finishing ON sales(finishes_sale) WHERE finishes_sale IS NOT NULL;
         CREATE INDEX sales_till ON sales(till_id) WHERE till_id IS NOT NULL;
         ALTER TABLE products ADD COLUMN by_weight INTEGER NOT NULL DEFAULT 0;",
    ),
];

/// Migration 5. `paid_amount` (the paying merchant order's amount) becomes `collected` (what
/// Mercado Pago holds, net of refunds); refunds journaled as "the rest" get the amount that was
/// left then; sales that ended before this version count as seen by the cashier; and a POS
/// held by two open sales (possible before) keeps the newest, the others expire.
fn collected_and_one_sale_per_pos(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        "ALTER TABLE sales ADD COLUMN collected TEXT NOT NULL DEFAULT '0';
         ALTER TABLE sales ADD COLUMN acknowledged TEXT;
         ALTER TABLE sales ADD COLUMN attention INTEGER NOT NULL DEFAULT 0;
         ALTER TABLE sales ADD COLUMN pos_doubt_until TEXT;
         ALTER TABLE sales ADD COLUMN ends_as TEXT;
         ALTER TABLE sales ADD COLUMN payment_in_process INTEGER NOT NULL DEFAULT 0;
         ALTER TABLE sales ADD COLUMN orders_payable INTEGER NOT NULL DEFAULT 0;
         ALTER TABLE sales ADD COLUMN api TEXT NOT NULL DEFAULT 'legacy';
         ALTER TABLE sales ADD COLUMN order_id TEXT;
         ALTER TABLE sales ADD COLUMN order_key TEXT;
         ALTER TABLE sales ADD COLUMN cancel_key TEXT;
         UPDATE sales SET collected = paid_amount WHERE paid_amount IS NOT NULL;",
    )?;
    let refunded: Vec<(SaleId, String)> = {
        let mut stmt = tx.prepare(
            "SELECT DISTINCT r.sale_id, s.collected FROM refunds r JOIN sales s ON s.id = r.sale_id
             WHERE r.state IN ('done', 'requested')",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    for (sale_id, paid) in refunded {
        let paid = Decimal::from_str(&paid).unwrap_or_default();
        let mut left = paid;
        let rows: Vec<(i64, Option<String>, String)> = {
            let mut stmt = tx.prepare("SELECT id, amount, state FROM refunds WHERE sale_id = ?1 ORDER BY id")?;
            let rows = stmt.query_map([sale_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        for (id, amount, state) in rows {
            let amount = match amount.and_then(|a| Decimal::from_str(&a).ok()) {
                Some(a) => a,
                None => {
                    let rest = left.max(Decimal::ZERO);
                    tx.execute(
                        "UPDATE refunds SET amount = ?1 WHERE id = ?2",
                        params![rest.to_string(), id],
                    )?;
                    rest
                }
            };
            if state == "done" {
                left -= amount;
            }
        }
        tx.execute(
            "UPDATE sales SET collected = ?1 WHERE id = ?2",
            params![left.max(Decimal::ZERO).to_string(), sale_id],
        )?;
    }
    tx.execute_batch(&format!(
        "UPDATE sales SET acknowledged = collected WHERE state IN ({ended});
         ALTER TABLE sales DROP COLUMN paid_amount;",
        ended = state_list(&[
            SaleState::Paid,
            SaleState::Cancelled,
            SaleState::Expired,
            SaleState::Failed
        ]),
    ))?;
    let open = state_list(&SaleState::OPEN);
    let doubled: Vec<(SaleId, String)> = {
        let mut stmt = tx.prepare(&format!(
            "SELECT s.id, s.state FROM sales s WHERE s.state IN ({open}) AND EXISTS (
                SELECT 1 FROM sales n WHERE n.user_id = s.user_id AND n.pos_external_id = s.pos_external_id
                AND n.state IN ({open}) AND n.id > s.id)"
        ))?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    let now = ts(Utc::now());
    for (id, _) in doubled {
        // A POS holds one order (each create replaces the last): the older sale has none now.
        tx.execute(
            "UPDATE sales SET state = 'expired', updated_at = ?1 WHERE id = ?2",
            params![now, id],
        )?;
        tx.execute(
            "INSERT INTO sale_changes (sale_id, at, state, detail) VALUES (?1, ?2, 'expired', ?3)",
            params![
                id,
                now,
                "another sale took this register's POS while this one was open (before this version)"
            ],
        )?;
    }
    tx.execute_batch(&format!(
        "CREATE UNIQUE INDEX sales_one_per_pos ON sales(user_id, pos_external_id)
             WHERE state IN ({open}) OR pos_doubt_until IS NOT NULL;
         CREATE INDEX sales_attention ON sales(id) WHERE attention = 1;
         CREATE INDEX sales_in_doubt ON sales(id) WHERE pos_doubt_until IS NOT NULL;
         CREATE INDEX sales_in_process ON sales(id) WHERE payment_in_process = 1;
         CREATE INDEX sales_order ON sales(order_id) WHERE order_id IS NOT NULL;"
    ))
}

pub struct Journal {
    conn: Mutex<Connection>,
    path: PathBuf,
}

/// A moment as the journal's file writes it (UTC, milliseconds): text that sorts as time does.
pub(crate) fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub(crate) fn parse_ts(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

impl JournalError {
    fn from_sqlite(e: rusqlite::Error, path: &Path) -> Self {
        let where_ = path.display().to_string();
        match e.sqlite_error_code() {
            Some(ErrorCode::ReadOnly) => JournalError::ReadOnly(where_),
            Some(ErrorCode::DiskFull) => JournalError::Full,
            Some(ErrorCode::DatabaseCorrupt) | Some(ErrorCode::NotADatabase) => JournalError::Corrupt(e.to_string()),
            Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => JournalError::Busy,
            Some(ErrorCode::CannotOpen) | Some(ErrorCode::PermissionDenied) => JournalError::CannotOpen(where_),
            _ => JournalError::Other(e.to_string()),
        }
    }
}

/// Why a step inside a transaction stopped: SQLite's error, or the journal's own rule.
enum Refused {
    Sqlite(rusqlite::Error),
    Journal(JournalError),
}

impl From<rusqlite::Error> for Refused {
    fn from(e: rusqlite::Error) -> Self {
        Refused::Sqlite(e)
    }
}

impl Journal {
    /// Opens (or creates) the journal file and brings its schema up to date. A file that is not
    /// a journal is refused here; damage deeper in a good file is for [`Journal::check`], which
    /// reads the whole file (seconds for a million sales), so the counter starts without it.
    pub fn open(path: &Path) -> Result<Journal, JournalError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| JournalError::CannotOpen(format!("{} ({e})", dir.display())))?;
        }
        let err = |e| JournalError::from_sqlite(e, path);
        let conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(err)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(err)?;
        // Every committed step is on disk before the request it announces is sent.
        conn.pragma_update(None, "synchronous", "FULL").map_err(err)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(err)?;
        super::catalog::add_fold_function(&conn).map_err(err)?;
        let journal = Journal {
            conn: Mutex::new(conn),
            path: path.to_owned(),
        };
        journal.migrate()?;
        Ok(journal)
    }

    /// Moves a journal file that cannot be used out of the way, with its write-ahead log (which
    /// may hold committed sales), to `<name>.damaged-<UTC time>`, for support to look at.
    /// Returns where it went.
    pub fn set_aside(path: &Path, now: DateTime<Utc>) -> std::io::Result<PathBuf> {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("journal.sqlite3");
        let kept = path.with_file_name(format!("{name}.damaged-{}", now.format("%Y%m%dT%H%M%SZ")));
        for suffix in ["-wal", "-shm"] {
            let from = PathBuf::from(format!("{}{suffix}", path.display()));
            if from.exists() {
                std::fs::rename(&from, format!("{}{suffix}", kept.display()))?;
            }
        }
        std::fs::rename(path, &kept)?;
        Ok(kept)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads every page of the file (SQLite's `quick_check`) on a connection of its own, so
    /// sales go on meanwhile.
    pub fn check(&self) -> Result<(), JournalError> {
        let err = |e| JournalError::from_sqlite(e, &self.path);
        let conn = Connection::open_with_flags(&self.path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(err)?;
        let check: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0)).map_err(err)?;
        if check == "ok" {
            Ok(())
        } else {
            Err(JournalError::Corrupt(check))
        }
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn err(&self, e: rusqlite::Error) -> JournalError {
        JournalError::from_sqlite(e, &self.path)
    }

    fn migrate(&self) -> Result<(), JournalError> {
        let mut conn = self.conn();
        let version: usize = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        for (i, step) in MIGRATIONS.iter().enumerate().skip(version) {
            let tx = conn.transaction().map_err(|e| self.err(e))?;
            match step {
                Migration::Sql(sql) => tx.execute_batch(sql),
                Migration::Rust(f) => f(&tx),
            }
            .map_err(|e| self.err(e))?;
            tx.pragma_update(None, "user_version", i + 1).map_err(|e| self.err(e))?;
            tx.commit().map_err(|e| self.err(e))?;
        }
        Ok(())
    }

    /// Runs `f` in one transaction, for tables other modules keep in this file.
    pub fn with_transaction<T>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<T>,
    ) -> Result<T, JournalError> {
        self.checked_transaction(|tx| f(tx).map_err(Refused::Sqlite))
    }

    fn checked_transaction<T>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, Refused>,
    ) -> Result<T, JournalError> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| self.err(e))?;
        let out = match f(&tx) {
            Ok(out) => out,
            Err(Refused::Sqlite(e)) => return Err(self.err(e)),
            Err(Refused::Journal(e)) => return Err(e),
        };
        tx.commit().map_err(|e| self.err(e))?;
        Ok(out)
    }

    /// Records a new sale in `creating`, with its own `external_reference`, before any request.
    /// Refused with [`JournalError::PosHeld`] while another sale holds the POS: the journal
    /// itself keeps one sale per POS.
    pub fn begin_sale(
        &self,
        pos_external_id: &str,
        user_id: u64,
        cart: &CheckedCart,
        api: Api,
        now: DateTime<Utc>,
    ) -> Result<Sale, JournalError> {
        let lines = serde_json::to_string(&cart.lines).map_err(|e| JournalError::Other(e.to_string()))?;
        let id = self.checked_transaction(|tx| {
            // A placeholder made unique by the row id, replaced at once in the same transaction.
            let inserted = tx.execute(
                "INSERT INTO sales (external_reference, pos_external_id, user_id, currency, total, lines, state, api, created_at, updated_at, till_id)
                 VALUES ('pending-' || hex(randomblob(8)), ?1, ?2, ?3, ?4, ?5, 'creating', ?6, ?7, ?7,
                 (SELECT id FROM tills WHERE pos_external_id = ?1 AND closed_at IS NULL))",
                params![pos_external_id, user_id as i64, cart.currency.code(), cart.total.to_string(), lines, api.as_str(), ts(now)],
            );
            if let Err(e) = inserted {
                if e.sqlite_error_code() == Some(ErrorCode::ConstraintViolation) {
                    if let Some(holder) = holder_in(tx, user_id, pos_external_id)? {
                        return Err(Refused::Journal(JournalError::PosHeld(holder)));
                    }
                }
                return Err(e.into());
            }
            let id = tx.last_insert_rowid();
            tx.execute(
                "UPDATE sales SET external_reference = ?1 WHERE id = ?2",
                params![external_reference(pos_external_id, id, now), id],
            )?;
            tx.execute(
                "INSERT INTO sale_changes (sale_id, at, state, detail) VALUES (?1, ?2, 'creating', 'charge')",
                params![id, ts(now)],
            )?;
            Ok(id)
        })?;
        self.get(id)
    }

    /// Records a cash sale: born paid, in one step, since nothing is sent for it. Its money is
    /// in the register's open till (refused without one). `finishes`: the QR sale this cash
    /// sale finishes with the same cart, which must have ended unpaid (its order withdrawn, no
    /// money held, no payment in process unless the cashier confirmed `despite_pending`).
    #[allow(clippy::too_many_arguments)]
    pub fn record_cash_sale(
        &self,
        pos_external_id: &str,
        user_id: u64,
        cart: &CheckedCart,
        cash: &CashPayment,
        finishes: Option<SaleId>,
        despite_pending: bool,
        now: DateTime<Utc>,
    ) -> Result<Sale, JournalError> {
        let lines = serde_json::to_string(&cart.lines).map_err(|e| JournalError::Other(e.to_string()))?;
        let id = self.checked_transaction(|tx| {
            let till: Option<i64> = tx
                .query_row(
                    "SELECT id FROM tills WHERE pos_external_id = ?1 AND closed_at IS NULL",
                    [pos_external_id],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(till) = till else {
                return Err(Refused::Journal(JournalError::NoOpenTill));
            };
            if let Some(qr) = finishes {
                let why = match read_in(tx, qr)? {
                    None => Some(Unfinishable::NotThisRegisters),
                    Some(s) if s.user_id != user_id || s.pos_external_id != pos_external_id || s.tender != Tender::Qr => {
                        Some(Unfinishable::NotThisRegisters)
                    }
                    Some(s) if s.state.is_open() => Some(Unfinishable::StillOpen),
                    Some(s) if s.state == SaleState::Paid => Some(Unfinishable::Paid),
                    Some(s) if s.collected > Decimal::ZERO => Some(Unfinishable::MoneyHeld),
                    Some(s) if (s.state == SaleState::Pending || s.payment_in_process) && !despite_pending => {
                        Some(Unfinishable::PaymentPending)
                    }
                    Some(_) => None,
                };
                if let Some(why) = why {
                    return Err(Refused::Journal(JournalError::NotFinishable { sale_id: qr, why }));
                }
            } else if let Some(holder) = open_sale_on(tx, pos_external_id)? {
                // The cart on the screen is the open QR sale's: it is finished, not sold twice.
                return Err(Refused::Journal(JournalError::PosHeld(holder)));
            }
            let c = cart.currency;
            let inserted = tx.execute(
                "INSERT INTO sales (external_reference, pos_external_id, user_id, currency, total, lines, state, api,
                   created_at, updated_at, tender, collected, cash_received, cash_change, rounding, finishes_sale, till_id)
                 VALUES ('pending-' || hex(randomblob(8)), ?1, ?2, ?3, ?4, ?5, 'paid', 'legacy', ?6, ?6, 'cash', ?4, ?7, ?8, ?9, ?10, ?11)",
                params![
                    pos_external_id,
                    user_id as i64,
                    c.code(),
                    c.rescale(cash.due).to_string(),
                    lines,
                    ts(now),
                    cash.received.to_string(),
                    cash.change.to_string(),
                    cash.rounding.to_string(),
                    finishes,
                    till
                ],
            );
            if let Err(e) = inserted {
                if let (Some(qr), Some(ErrorCode::ConstraintViolation)) = (finishes, e.sqlite_error_code()) {
                    return Err(Refused::Journal(JournalError::NotFinishable {
                        sale_id: qr,
                        why: Unfinishable::AlreadyFinished,
                    }));
                }
                return Err(e.into());
            }
            let id = tx.last_insert_rowid();
            tx.execute(
                "UPDATE sales SET external_reference = ?1 WHERE id = ?2",
                params![cash_reference(pos_external_id, id, now), id],
            )?;
            let paid = format!("paid in cash: {} {c} received, {} {c} change", cash.received, cash.change);
            let detail = match finishes {
                Some(qr) => format!("{paid}; finishes sale {qr}"),
                None => paid,
            };
            tx.execute(
                "INSERT INTO sale_changes (sale_id, at, state, detail) VALUES (?1, ?2, 'paid', ?3)",
                params![id, ts(now), detail],
            )?;
            if let Some(qr) = finishes {
                tx.execute(
                    "INSERT INTO sale_changes (sale_id, at, state, detail) SELECT id, ?2, state, ?3 FROM sales WHERE id = ?1",
                    params![qr, ts(now), format!("finished in cash by sale {id}")],
                )?;
                tx.execute("UPDATE sales SET finished_by = ?1 WHERE id = ?2", params![id, qr])?;
                // The cashier saw it end and took cash for it: seen (money arriving later for it
                // is a late payment, and asks for attention again).
                if read_in(tx, qr)?.is_some_and(|s| s.state.is_ended()) {
                    tx.execute("UPDATE sales SET acknowledged = collected WHERE id = ?1", [qr])?;
                    settle_attention(tx, qr)?;
                }
            }
            // Paid at the counter, before the cashier's eyes: seen as it is made.
            tx.execute("UPDATE sales SET acknowledged = collected WHERE id = ?1", [id])?;
            settle_attention(tx, id)?;
            Ok(id)
        })?;
        self.get(id)
    }

    /// Moves a sale to `to` if it is in one of `from`, with its step recorded in the same
    /// transaction. None when the sale was in another state (someone else moved it first), or
    /// the step would pay a sale whose cart was taken in cash meanwhile. A step that is not in
    /// the table of transitions is refused.
    pub fn transition(
        &self,
        id: SaleId,
        from: &[SaleState],
        to: SaleState,
        detail: &str,
        update: SaleUpdate,
        now: DateTime<Utc>,
    ) -> Result<Option<Sale>, JournalError> {
        self.checked_transaction(|tx| {
            let Some(sale) = read_in(tx, id)? else {
                return Ok(None);
            };
            if !from.contains(&sale.state) {
                return Ok(None);
            }
            // A sale whose cart was taken in cash is never paid by QR: the step was decided on an
            // older reading of it (the watcher reads it again, and holds the money to give back).
            if to == SaleState::Paid && sale.finished_by.is_some() {
                return Ok(None);
            }
            if !sale.state.may_become(to) {
                return Err(Refused::Journal(JournalError::NotAllowed { from: sale.state, to }));
            }
            tx.execute(
                "UPDATE sales SET state = ?1, updated_at = ?2 WHERE id = ?3",
                params![to.as_str(), ts(now), id],
            )?;
            apply(tx, id, &update)?;
            tx.execute(
                "INSERT INTO sale_changes (sale_id, at, state, detail) VALUES (?1, ?2, ?3, ?4)",
                params![id, ts(now), to.as_str(), detail],
            )?;
            Ok(Some(settle_attention(tx, id)?))
        })
    }

    /// Records what was learnt about a sale without changing its state.
    pub fn note(&self, id: SaleId, update: SaleUpdate, now: DateTime<Utc>) -> Result<Sale, JournalError> {
        self.checked_transaction(|tx| {
            if tx.execute("UPDATE sales SET updated_at = ?1 WHERE id = ?2", params![ts(now), id])? == 0 {
                return Err(Refused::Journal(JournalError::NoSuchSale(id)));
            }
            apply(tx, id, &update)?;
            settle_attention(tx, id)
        })
    }

    /// Records a step of a sale that changes no state (a refund, money seen after its end).
    pub fn remark(&self, id: SaleId, detail: &str, now: DateTime<Utc>) -> Result<(), JournalError> {
        self.with_transaction(|tx| {
            tx.execute(
                "INSERT INTO sale_changes (sale_id, at, state, detail) SELECT id, ?2, state, ?3 FROM sales WHERE id = ?1",
                params![id, ts(now), detail],
            )?;
            Ok(())
        })
    }

    /// The cashier saw how the sale ended and what it collected. None when it has not ended
    /// (an open or pending sale is shown until it ends).
    pub fn acknowledge(&self, id: SaleId, now: DateTime<Utc>) -> Result<Option<Sale>, JournalError> {
        self.checked_transaction(|tx| {
            let Some(sale) = read_in(tx, id)? else {
                return Err(Refused::Journal(JournalError::NoSuchSale(id)));
            };
            if !sale.state.is_ended() {
                return Ok(None);
            }
            if sale.acknowledged != Some(sale.collected) {
                tx.execute(
                    "UPDATE sales SET acknowledged = ?1 WHERE id = ?2",
                    params![sale.collected.to_string(), id],
                )?;
                let c = sale.currency;
                tx.execute(
                    "INSERT INTO sale_changes (sale_id, at, state, detail) VALUES (?1, ?2, ?3, ?4)",
                    params![
                        id,
                        ts(now),
                        sale.state.as_str(),
                        format!("seen by the cashier ({} {c} collected)", c.rescale(sale.collected))
                    ],
                )?;
            }
            Ok(Some(settle_attention(tx, id)?))
        })
    }

    pub fn get(&self, id: SaleId) -> Result<Sale, JournalError> {
        self.conn()
            .query_row("SELECT * FROM sales WHERE id = ?1", [id], read_sale)
            .optional()
            .map_err(|e| self.err(e))?
            .ok_or(JournalError::NoSuchSale(id))
    }

    /// The sale of an Orders API order.
    pub fn by_order_id(&self, order_id: &str) -> Result<Option<Sale>, JournalError> {
        self.conn()
            .query_row("SELECT * FROM sales WHERE order_id = ?1", [order_id], read_sale)
            .optional()
            .map_err(|e| self.err(e))
    }

    pub fn by_reference(&self, external_reference: &str) -> Result<Option<Sale>, JournalError> {
        self.conn()
            .query_row(
                "SELECT * FROM sales WHERE external_reference = ?1",
                [external_reference],
                read_sale,
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// The sale that holds this POS now, if any (see [`Sale::holds_pos`]).
    pub fn holder(&self, user_id: u64, pos_external_id: &str) -> Result<Option<Sale>, JournalError> {
        let id = self.with_transaction(|tx| holder_in(tx, user_id, pos_external_id))?;
        id.map(|id| self.get(id)).transpose()
    }

    /// Sales in any of `states`, oldest first.
    pub fn in_states(&self, states: &[SaleState]) -> Result<Vec<Sale>, JournalError> {
        self.sales_where(&format!("state IN ({})", state_list(states)), [])
    }

    /// Sales the cashier must see (pending, or ended and not acknowledged), newest first.
    pub fn needing_attention(&self) -> Result<Vec<Sale>, JournalError> {
        let mut sales = self.sales_where("attention = 1", [])?;
        sales.reverse();
        Ok(sales)
    }

    /// Sales that may still change and must be watched at start: open or pending ones, those
    /// with a request in doubt or a payment in process, and ended ones last changed at or
    /// after `since`. Found through
    /// indexes, so a journal of a million sales answers at once.
    pub fn to_watch(&self, since: DateTime<Utc>) -> Result<Vec<Sale>, JournalError> {
        let mut states = SaleState::OPEN.to_vec();
        states.push(SaleState::Pending);
        let mut sales = self.in_states(&states)?;
        // Cash sales have nothing at Mercado Pago to watch.
        // `+state`: the state index would visit every ended sale ever made.
        let ended = [
            SaleState::Paid,
            SaleState::Cancelled,
            SaleState::Expired,
            SaleState::Failed,
        ];
        sales.extend(self.sales_where(
            &format!(
                "+state IN ({}) AND updated_at >= ?1 AND tender = 'qr'",
                state_list(&ended)
            ),
            [ts(since)],
        )?);
        sales.extend(self.sales_where("pos_doubt_until IS NOT NULL", [])?);
        sales.extend(self.sales_where("payment_in_process = 1", [])?);
        sales.sort_by_key(|s| s.id);
        sales.dedup_by_key(|s| s.id);
        Ok(sales)
    }

    fn sales_where(&self, filter: &str, params: impl rusqlite::Params) -> Result<Vec<Sale>, JournalError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM sales WHERE {filter} ORDER BY id"))
            .map_err(|e| self.err(e))?;
        let rows = stmt.query_map(params, read_sale).map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// Sales created in `[from, to)`, newest first, `limit` from `offset`, optionally in one state.
    pub fn list(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        state: Option<SaleState>,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<Sale>, JournalError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT * FROM sales WHERE created_at >= ?1 AND created_at < ?2 AND (?3 IS NULL OR state = ?3)
                 ORDER BY id DESC LIMIT ?4 OFFSET ?5",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(
                params![ts(from), ts(to), state.map(SaleState::as_str), limit, offset],
                read_sale,
            )
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// Every step of a sale, in order.
    pub fn changes(&self, id: SaleId) -> Result<Vec<StateChange>, JournalError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT at, state, detail FROM sale_changes WHERE sale_id = ?1 ORDER BY id")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([id], |r| {
                Ok(StateChange {
                    at: parse_ts(&r.get::<_, String>(0)?),
                    state: SaleState::from_str(&r.get::<_, String>(1)?).unwrap_or(SaleState::Failed),
                    detail: r.get(2)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }
}

fn read_in(tx: &Transaction<'_>, id: SaleId) -> rusqlite::Result<Option<Sale>> {
    tx.query_row("SELECT * FROM sales WHERE id = ?1", [id], read_sale)
        .optional()
}

/// A sale, read inside another module's transaction (the till's).
pub(crate) fn sale_in(tx: &Transaction<'_>, id: SaleId) -> rusqlite::Result<Option<Sale>> {
    read_in(tx, id)
}

/// The sale whose order may be on this POS now, whoever's account: the register is busy.
pub(crate) fn open_sale_on(tx: &Transaction<'_>, pos_external_id: &str) -> rusqlite::Result<Option<SaleId>> {
    tx.query_row(
        &format!(
            "SELECT id FROM sales WHERE pos_external_id = ?1 AND state IN ({}) ORDER BY id DESC LIMIT 1",
            state_list(&SaleState::OPEN)
        ),
        [pos_external_id],
        |r| r.get(0),
    )
    .optional()
}

fn holder_in(tx: &Transaction<'_>, user_id: u64, pos_external_id: &str) -> rusqlite::Result<Option<SaleId>> {
    tx.query_row(
        &format!(
            "SELECT id FROM sales WHERE user_id = ?1 AND pos_external_id = ?2
             AND (state IN ({}) OR pos_doubt_until IS NOT NULL) ORDER BY id DESC LIMIT 1",
            state_list(&SaleState::OPEN)
        ),
        params![user_id as i64, pos_external_id],
        |r| r.get(0),
    )
    .optional()
}

/// Keeps the `attention` flag (indexed, so the screen finds what to show at once) in step with
/// the sale it is derived from.
fn settle_attention(tx: &Transaction<'_>, id: SaleId) -> Result<Sale, Refused> {
    let mut sale = read_in(tx, id)?.ok_or(Refused::Journal(JournalError::NoSuchSale(id)))?;
    let attention = sale.needs_attention();
    if attention != sale.attention {
        tx.execute("UPDATE sales SET attention = ?1 WHERE id = ?2", params![attention, id])?;
        sale.attention = attention;
    }
    Ok(sale)
}

fn apply(tx: &rusqlite::Transaction<'_>, id: SaleId, u: &SaleUpdate) -> rusqlite::Result<()> {
    let ids = |v: &Vec<u64>| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
    if let Some(t) = u.expires_at {
        tx.execute("UPDATE sales SET expires_at = ?1 WHERE id = ?2", params![ts(t), id])?;
    }
    if let Some(a) = u.collected {
        tx.execute(
            "UPDATE sales SET collected = ?1 WHERE id = ?2",
            params![a.to_string(), id],
        )?;
    }
    if let Some(v) = &u.merchant_order_ids {
        tx.execute(
            "UPDATE sales SET merchant_order_ids = ?1 WHERE id = ?2",
            params![ids(v), id],
        )?;
    }
    if let Some(v) = &u.payment_ids {
        tx.execute("UPDATE sales SET payment_ids = ?1 WHERE id = ?2", params![ids(v), id])?;
    }
    if let Some(e) = &u.last_error {
        tx.execute("UPDATE sales SET last_error = ?1 WHERE id = ?2", params![e, id])?;
    }
    if let Some(l) = u.late {
        tx.execute("UPDATE sales SET late = ?1 WHERE id = ?2", params![l, id])?;
    }
    if let Some(d) = u.pos_doubt_until {
        tx.execute(
            "UPDATE sales SET pos_doubt_until = ?1 WHERE id = ?2",
            params![d.map(ts), id],
        )?;
    }
    if let Some(s) = u.ends_as {
        tx.execute("UPDATE sales SET ends_as = ?1 WHERE id = ?2", params![s.as_str(), id])?;
    }
    if let Some(p) = u.payment_in_process {
        tx.execute("UPDATE sales SET payment_in_process = ?1 WHERE id = ?2", params![p, id])?;
    }
    if let Some(p) = u.orders_payable {
        tx.execute("UPDATE sales SET orders_payable = ?1 WHERE id = ?2", params![p, id])?;
    }
    for (column, value) in [
        ("order_id", &u.order_id),
        ("order_key", &u.order_key),
        ("cancel_key", &u.cancel_key),
    ] {
        if let Some(v) = value {
            tx.execute(&format!("UPDATE sales SET {column} = ?1 WHERE id = ?2"), params![v, id])?;
        }
    }
    Ok(())
}

fn read_sale(r: &Row<'_>) -> rusqlite::Result<Sale> {
    let text = |name: &str| r.get::<_, String>(name);
    let ids = |name: &str| -> rusqlite::Result<Vec<u64>> { Ok(serde_json::from_str(&text(name)?).unwrap_or_default()) };
    let amount = |name: &str| -> rusqlite::Result<Option<Decimal>> {
        Ok(r.get::<_, Option<String>>(name)?
            .and_then(|a| Decimal::from_str(&a).ok()))
    };
    let moment = |name: &str| -> rusqlite::Result<Option<DateTime<Utc>>> {
        Ok(r.get::<_, Option<String>>(name)?.map(|t| parse_ts(&t)))
    };
    Ok(Sale {
        id: r.get("id")?,
        external_reference: text("external_reference")?,
        pos_external_id: text("pos_external_id")?,
        user_id: r.get::<_, i64>("user_id")? as u64,
        currency: Currency::from_str(&text("currency")?).unwrap_or(Currency::Ars),
        total: Decimal::from_str(&text("total")?).unwrap_or_default(),
        lines: serde_json::from_str(&text("lines")?).unwrap_or_default(),
        state: SaleState::from_str(&text("state")?).unwrap_or(SaleState::Failed),
        api: Api::parse(&text("api")?).unwrap_or(Api::Legacy),
        order_id: r.get("order_id")?,
        order_key: r.get("order_key")?,
        cancel_key: r.get("cancel_key")?,
        late: r.get("late")?,
        collected: amount("collected")?.unwrap_or_default(),
        acknowledged: amount("acknowledged")?,
        attention: r.get("attention")?,
        merchant_order_ids: ids("merchant_order_ids")?,
        payment_ids: ids("payment_ids")?,
        last_error: r.get("last_error")?,
        expires_at: moment("expires_at")?,
        pos_doubt_until: moment("pos_doubt_until")?,
        ends_as: r
            .get::<_, Option<String>>("ends_as")?
            .and_then(|s| SaleState::from_str(&s).ok()),
        payment_in_process: r.get("payment_in_process")?,
        orders_payable: r.get("orders_payable")?,
        created_at: parse_ts(&text("created_at")?),
        updated_at: parse_ts(&text("updated_at")?),
        tender: Tender::parse(&text("tender")?).unwrap_or_default(),
        cash: match (amount("cash_received")?, amount("cash_change")?) {
            (Some(received), Some(change)) => Some(CashPayment {
                due: Decimal::from_str(&text("total")?).unwrap_or_default(),
                received,
                change,
                rounding: amount("rounding")?.unwrap_or_default(),
            }),
            _ => None,
        },
        finishes_sale: r.get("finishes_sale")?,
        finished_by: r.get("finished_by")?,
        till_id: r.get("till_id")?,
    })
}

/// `'waiting','paid'`: the states' names quoted for an SQL `IN` list (they are the enum's own
/// words, never input).
fn state_list(states: &[SaleState]) -> String {
    states
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(",")
}

/// `QRC-<pos>-<yyyymmddHHMMSS>-<sale id>-<random>`: unique, at most 64 characters of
/// `[A-Za-z0-9_-]`, valid on the newer Mercado Pago APIs too.
pub fn external_reference(pos_external_id: &str, id: SaleId, now: DateTime<Utc>) -> String {
    let random: String = (0..6).map(|_| fastrand::alphanumeric()).collect();
    format!(
        "{}{}-{id}-{random}",
        reference_prefix(pos_external_id),
        now.format("%Y%m%d%H%M%S")
    )
}

/// A cash sale's reference: `CASH-<pos>-<yyyymmddHHMMSS>-<sale id>-<random>`. It never goes to
/// Mercado Pago; its prefix tells support at once that none of its money is there.
pub fn cash_reference(pos_external_id: &str, id: SaleId, now: DateTime<Utc>) -> String {
    external_reference(pos_external_id, id, now).replacen("QRC-", "CASH-", 1)
}

/// How every `external_reference` of a register on this POS begins: `QRC-<pos>-`.
pub fn reference_prefix(pos_external_id: &str) -> String {
    let pos: String = pos_external_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(16)
        .collect();
    format!("QRC-{pos}-")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sale::Cart;

    fn cart() -> CheckedCart {
        let line = CartLine {
            sku: Some("779".into()),
            title: "Yerba".into(),
            description: None,
            unit_price: Decimal::new(12345, 2),
            quantity: 2,
            weight: None,
        };
        Cart { lines: vec![line] }.check(Currency::Ars).unwrap()
    }

    #[test]
    fn a_sale_and_its_steps_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(&dir.path().join("j.sqlite3")).unwrap();
        let now = Utc::now();
        let sale = j.begin_sale("CAJA1", 42, &cart(), Api::Legacy, now).unwrap();
        assert_eq!(sale.state, SaleState::Creating);
        assert_eq!(sale.total.to_string(), "246.90");
        let r = &sale.external_reference;
        assert!(
            r.len() <= 64 && r.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
            "{r}"
        );
        let update = SaleUpdate {
            expires_at: Some(now),
            ..Default::default()
        };
        let waiting = j
            .transition(
                sale.id,
                &[SaleState::Creating],
                SaleState::Waiting,
                "created",
                update,
                now,
            )
            .unwrap();
        assert_eq!(waiting.unwrap().state, SaleState::Waiting);
        // A step from a state the sale is no longer in is refused.
        let stale = j.transition(
            sale.id,
            &[SaleState::Creating],
            SaleState::Failed,
            "x",
            SaleUpdate::default(),
            now,
        );
        assert_eq!(stale.unwrap(), None);
        let steps: Vec<SaleState> = j.changes(sale.id).unwrap().into_iter().map(|c| c.state).collect();
        assert_eq!(steps, [SaleState::Creating, SaleState::Waiting]);
        drop(j);
        let again = Journal::open(&dir.path().join("j.sqlite3")).unwrap();
        assert_eq!(again.get(sale.id).unwrap().state, SaleState::Waiting);
        assert_eq!(again.by_reference(r).unwrap().unwrap().id, sale.id);
    }

    #[test]
    fn references_are_never_reused() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(&dir.path().join("j.sqlite3")).unwrap();
        let refs: std::collections::HashSet<String> = (0..200)
            .map(|i| {
                j.begin_sale(&format!("CAJA{i}"), 1, &cart(), Api::Legacy, Utc::now())
                    .unwrap()
                    .external_reference
            })
            .collect();
        assert_eq!(refs.len(), 200);
    }

    #[test]
    fn damage_inside_a_good_file_is_found_by_the_check() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.sqlite3");
        {
            let j = Journal::open(&path).unwrap();
            for i in 0..300 {
                j.begin_sale(&format!("CAJA{i}"), 1, &cart(), Api::Legacy, Utc::now())
                    .unwrap();
            }
        }
        let mut bytes = std::fs::read(&path).unwrap();
        let page = 4096;
        assert!(bytes.len() > 8 * page, "{} bytes", bytes.len());
        let middle = bytes.len() / page / 2 * page;
        bytes[middle..middle + page].fill(0x42);
        std::fs::write(&path, bytes).unwrap();
        let j = Journal::open(&path).expect("the header is whole: the counter starts");
        assert!(matches!(j.check(), Err(JournalError::Corrupt(_))), "{:?}", j.check());
        let good = dir.path().join("good.sqlite3");
        assert!(Journal::open(&good).unwrap().check().is_ok());
    }

    #[test]
    fn a_file_that_is_not_a_journal_is_reported_as_damaged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.sqlite3");
        std::fs::write(&path, vec![0x42u8; 8192]).unwrap();
        assert!(
            matches!(Journal::open(&path), Err(JournalError::Corrupt(_))),
            "{:?}",
            Journal::open(&path).err()
        );
    }

    #[test]
    fn a_journal_set_aside_keeps_its_sales_and_leaves_room_for_a_new_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.sqlite3");
        let j = Journal::open(&path).unwrap();
        let sale = j.begin_sale("CAJA1", 1, &cart(), Api::Legacy, Utc::now()).unwrap();
        // Still open: the sale may be only in the write-ahead log, which moves along. Windows
        // renames no open file: there it is closed first, as the app closes a journal it could
        // not use before it sets it aside.
        #[cfg(windows)]
        drop(j);
        let at = "2026-11-25T10:00:00Z".parse().unwrap();
        let kept = Journal::set_aside(&path, at).unwrap();
        assert_eq!(kept, dir.path().join("journal.sqlite3.damaged-20261125T100000Z"));
        #[cfg(not(windows))]
        drop(j);
        assert!(!path.exists());
        let reopened = Journal::open(&kept).unwrap();
        assert_eq!(
            reopened.get(sale.id).unwrap().external_reference,
            sale.external_reference
        );
        assert!(Journal::open(&path)
            .unwrap()
            .in_states(&SaleState::ALL)
            .unwrap()
            .is_empty());
    }
}
