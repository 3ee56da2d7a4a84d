//! The cash side of the counter: a sale taken in cash (or a QR sale finished in cash), and the
//! till it goes into, from its float to its Z report.

use serde::Serialize;
use tauri::State;

use super::commands::{counter, to_cart, write_export, Result, UiCartLine, UiCash, UiSale};
use super::error::CommandError;
use super::print_commands::{print_job, z_ticket_of};
use super::AppState;
use crate::counter::Mode;
use crate::money::format;
use crate::printer::{Job, Ticket};
use crate::sale::{CashPayment, SaleId};
use crate::settings::PrinterKind;
use crate::till::{self, MoveKind, Till, TillId, ZReport};

/// What the cash screen shows as the cashier types what the customer handed over. Pure: it only
/// reads the cart and the text.
#[tauri::command]
pub fn cash_quote(state: State<'_, AppState>, lines: Vec<UiCartLine>, received: String) -> Result<UiCash> {
    let c = counter(&state);
    let currency = c.station.currency;
    let checked = to_cart(lines, currency)?.check(currency)?;
    let cash = CashPayment::of(checked.total, &received, currency, state.settings().cash_rounding)
        .map_err(crate::register::RegisterError::Cash)?;
    Ok(UiCash::of(&cash, currency))
}

/// The total a cash payment of these lines comes to (after the store's rounding), before
/// anything is typed.
#[tauri::command]
pub fn cash_due(state: State<'_, AppState>, lines: Vec<UiCartLine>) -> Result<String> {
    let c = counter(&state);
    let currency = c.station.currency;
    let checked = to_cart(lines, currency)?.check(currency)?;
    let due = crate::money::cash_round(checked.total, state.settings().cash_rounding);
    Ok(format(currency.rescale(due), currency))
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CashSold {
    pub sale: UiSale,
    pub cash: UiCash,
    /// Why the ticket or the drawer did not go (the sale is taken all the same).
    pub printer: Option<CommandError>,
}

/// Takes the cart in cash: journaled paid in the open till, nothing sent to Mercado Pago. Then,
/// as the settings say, the ticket is printed and the drawer opened (a printer in trouble is
/// said, the sale stays). `finishes`: the QR sale of this cart, withdrawn unpaid.
#[tauri::command]
pub async fn charge_cash(
    state: State<'_, AppState>,
    lines: Vec<UiCartLine>,
    received: String,
    finishes: Option<SaleId>,
    despite_pending: Option<bool>,
) -> Result<CashSold> {
    let c = counter(&state);
    let cart = to_cart(lines, c.station.currency)?;
    let settings = state.settings();
    let (sale, cash) = c.register.charge_cash(
        &cart,
        &received,
        settings.cash_rounding,
        finishes,
        despite_pending.unwrap_or(false),
    )?;
    // The sale is taken: from here on nothing fails the command (the page would keep the cart
    // and the cashier could take the cash twice); the printer's trouble is said beside it.
    let printer = &settings.printer;
    let ticket: Result<Option<Ticket>> = match printer.auto_print && printer.kind != PrinterKind::Dialog {
        true => super::print_commands::sale_ticket_of(&state, &c, &sale).map(Some),
        false => Ok(None),
    };
    let printer = match ticket {
        Err(e) => Some(e),
        Ok(_) if printer.kind == PrinterKind::Dialog => None,
        Ok(None) if !printer.open_drawer => None,
        Ok(ticket) => {
            let job = Job {
                ticket,
                open_drawer: printer.open_drawer,
            };
            print_job(printer.clone(), job).await.err()
        }
    };
    Ok(CashSold {
        sale: UiSale::of(&sale),
        cash: UiCash::of(&cash, sale.currency),
        printer,
    })
}

/// The till as the counter shows it, with its figures so far.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UiTill {
    pub id: TillId,
    pub cashier: String,
    pub opened_at: String,
    pub closed_at: Option<String>,
    pub float: String,
    pub expected_cash: String,
    pub counted: Option<String>,
    pub difference: Option<String>,
    /// Negative: cash is missing; positive: there is more than expected.
    pub short: bool,
    pub cash_sales: u64,
    pub sales: u64,
    /// The report laid out for paper (and for the screen).
    pub ticket: Ticket,
}

fn ui_till(state: &State<'_, AppState>, z: &ZReport) -> Result<UiTill> {
    let c = z.till.currency;
    let local = |t: chrono::DateTime<chrono::Utc>| crate::printer::ticket::when(t);
    Ok(UiTill {
        id: z.till.id,
        cashier: z.till.cashier.clone(),
        opened_at: local(z.till.opened_at),
        closed_at: z.till.closed_at.map(local),
        float: format(z.till.float, c),
        expected_cash: format(z.expected_cash, c),
        counted: z.counted.map(|a| format(a, c)),
        difference: z.difference.map(|a| format(a, c)),
        short: z.difference.is_some_and(|d| d.is_sign_negative() && !d.is_zero()),
        cash_sales: z.cash_sales,
        sales: z.sales,
        ticket: z_ticket_of(state, z),
    })
}

/// The till open on this register now, with its running figures (none: closed).
#[tauri::command]
pub async fn till_status(state: State<'_, AppState>) -> Result<Option<UiTill>> {
    let c = counter(&state);
    let journal = c.register.journal();
    let Some(till) = journal.open_till(&c.station.pos_external_id)? else {
        return Ok(None);
    };
    match journal.z_report(till.id, c.register.now())? {
        Some(z) => Ok(Some(ui_till(&state, &z)?)),
        None => Ok(None),
    }
}

/// Opens the till: who is at the counter and the float counted in the drawer.
#[tauri::command]
pub async fn open_till(state: State<'_, AppState>, cashier: String, float: String) -> Result<UiTill> {
    let c = counter(&state);
    let currency = c.station.currency;
    let float = till::read_cash(&float, currency)?;
    let journal = c.register.journal();
    let now = c.register.now();
    let t: Till = journal.start_till(&c.station.pos_external_id, &cashier, float, currency, now)?;
    tracing::info!(till = t.id, "till opened");
    let z = journal
        .z_report(t.id, now)?
        .ok_or_else(|| CommandError::new("till", "the till vanished"))?;
    ui_till(&state, &z)
}

/// Cash put in (`in`) or taken out (`out`) with a reason. Taking cash out is the store owner's
/// when an owner PIN is set.
#[tauri::command]
pub async fn move_cash(state: State<'_, AppState>, kind: MoveKind, amount: String, reason: String) -> Result<UiTill> {
    if kind == MoveKind::Out {
        state.owner.require_if_set()?;
    }
    let c = counter(&state);
    let amount = till::read_cash(&amount, c.station.currency)?;
    let z = c
        .register
        .journal()
        .move_cash(&c.station.pos_external_id, kind, amount, &reason, c.register.now())?;
    ui_till(&state, &z)
}

/// Closes the till with the cash counted: its Z report, kept as it is. The store owner's when an
/// owner PIN is set.
#[tauri::command]
pub async fn close_till(state: State<'_, AppState>, counted: String) -> Result<UiTill> {
    state.owner.require_if_set()?;
    let c = counter(&state);
    let counted = till::read_cash(&counted, c.station.currency)?;
    let z = c
        .register
        .journal()
        .close_till(&c.station.pos_external_id, counted, c.register.now())?;
    tracing::info!(till = z.till.id, "till closed");
    ui_till(&state, &z)
}

/// A till's report: the frozen Z of a closed one, the figures so far of an open one.
pub(super) fn report_of(state: &State<'_, AppState>, till_id: TillId) -> Result<ZReport> {
    let c = counter(state);
    c.register
        .journal()
        .z_report(till_id, c.register.now())?
        .ok_or_else(|| CommandError::new("till", format!("no till {till_id}")))
}

#[tauri::command]
pub async fn z_report(state: State<'_, AppState>, till_id: TillId) -> Result<UiTill> {
    ui_till(&state, &report_of(&state, till_id)?)
}

/// The tills opened on a day, newest first.
#[tauri::command]
pub async fn list_tills(state: State<'_, AppState>, day: String) -> Result<Vec<UiTill>> {
    let day = super::store_commands::parse_day(&day)?;
    let c = counter(&state);
    let journal = c.register.journal();
    let now = c.register.now();
    let mut out = Vec::new();
    for t in journal.tills_of_day(day)? {
        if let Some(z) = journal.z_report(t.id, now)? {
            out.push(ui_till(&state, &z)?);
        }
    }
    Ok(out)
}

/// Writes a till's report as CSV in `exports/` and says where.
#[tauri::command]
pub async fn export_z_csv(state: State<'_, AppState>, till_id: TillId) -> Result<String> {
    let c = counter(&state);
    let z = report_of(&state, till_id)?;
    let prefix = if c.mode == Mode::Demo { "demo-z" } else { "z" };
    write_export(
        &state,
        &format!("{prefix}-{}-{}.csv", till_id, z.till.opened_at.format("%Y%m%d")),
        till::z_csv(&z),
    )
}
