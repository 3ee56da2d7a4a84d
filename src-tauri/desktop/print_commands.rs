//! Tickets: a sale's and the till's, laid out in Rust for the paper's width and printed through
//! the system's dialog (the page prints the lines) or sent to a thermal printer (ESC/POS). The
//! store's details and the printer are the store owner's settings.

use serde::Deserialize;
use tauri::State;

use super::commands::{counter, Result};
use super::error::CommandError;
use super::AppState;
use crate::counter::Counter;
use crate::printer::ticket::{self, Letterhead};
use crate::printer::{Job, PrintError, Ticket};
use crate::sale::scale::ScaleLayout;
use crate::sale::{Sale, SaleId};
use crate::settings::{PrinterKind, PrinterSettings, Settings, StoreDetails};
use crate::till::{TillId, ZReport};

impl From<PrintError> for CommandError {
    fn from(e: PrintError) -> Self {
        Self::with("printer", e.to_string(), serde_json::to_value(&e).unwrap_or_default())
    }
}

fn letterhead<'a>(c: &'a Counter, details: &'a StoreDetails) -> Letterhead<'a> {
    Letterhead {
        site: c.station.site,
        store_name: &c.station.store_name,
        details,
        register: &c.station.pos_name,
    }
}

/// A sale's ticket, with the name of the cashier whose till it went into.
pub(super) fn sale_ticket_of(state: &State<'_, AppState>, c: &Counter, sale: &Sale) -> Result<Ticket> {
    let settings = state.settings();
    let cashier = match sale.till_id {
        Some(id) => c.register.journal().till(id)?.map(|t| t.cashier),
        None => None,
    };
    Ok(ticket::sale_ticket(
        sale,
        &letterhead(c, &settings.store),
        cashier.as_deref(),
        settings.printer.paper_mm,
    ))
}

pub(super) fn z_ticket_of(state: &State<'_, AppState>, z: &ZReport) -> Ticket {
    let settings = state.settings();
    let c = counter(state);
    ticket::z_ticket(z, &letterhead(&c, &settings.store), settings.printer.paper_mm)
}

/// Sends a job to the thermal printer, off the window's thread.
pub(super) async fn print_job(printer: PrinterSettings, job: Job) -> std::result::Result<(), CommandError> {
    tauri::async_runtime::spawn_blocking(move || crate::printer::print(&printer, &job))
        .await
        .map_err(|e| CommandError::new("printer", e.to_string()))?
        .map_err(|e| {
            tracing::warn!(error = %e, "the ticket did not print");
            CommandError::from(e)
        })
}

/// A sale's ticket, laid out for the paper: the page prints it through the system's dialog.
#[tauri::command]
pub async fn ticket(state: State<'_, AppState>, sale_id: SaleId) -> Result<Ticket> {
    let c = counter(&state);
    let sale = c.register.journal().get(sale_id)?;
    sale_ticket_of(&state, &c, &sale)
}

/// Prints a sale's ticket on the thermal printer (again, from Sales, as often as asked). The
/// drawer is not opened by a reprint.
#[tauri::command]
pub async fn print_ticket(state: State<'_, AppState>, sale_id: SaleId) -> Result<()> {
    let c = counter(&state);
    let sale = c.register.journal().get(sale_id)?;
    let ticket = sale_ticket_of(&state, &c, &sale)?;
    let job = Job {
        ticket: Some(ticket),
        open_drawer: false,
    };
    print_job(state.settings().printer, job).await
}

/// Prints a till's report on the thermal printer.
#[tauri::command]
pub async fn print_z(state: State<'_, AppState>, till_id: TillId) -> Result<()> {
    let z = super::till_commands::report_of(&state, till_id)?;
    let job = Job {
        ticket: Some(z_ticket_of(&state, &z)),
        open_drawer: false,
    };
    print_job(state.settings().printer, job).await
}

/// The printer as the settings being edited say (not saved yet): a test page, and the drawer
/// opened when that is asked too.
#[tauri::command]
pub async fn test_print(state: State<'_, AppState>, printer: PrinterSettings) -> Result<()> {
    let c = counter(&state);
    let settings = state.settings();
    let job = Job {
        ticket: Some(ticket::test_ticket(&letterhead(&c, &settings.store), printer.paper_mm)),
        open_drawer: printer.open_drawer,
    };
    print_job(printer, job).await
}

/// What the store owner sets for the counter's paper and cash.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CounterSettings {
    pub store: StoreDetails,
    pub printer: PrinterSettings,
    /// The smallest coin cash totals are rounded to (`10`), or empty: exact.
    pub cash_rounding: String,
    pub scale: ScaleLayout,
}

const MAX_DETAIL_CHARS: usize = 120;

/// Checks and saves the store's details, the printer, the cash rounding and the scale's labels.
#[tauri::command]
pub async fn save_counter_settings(state: State<'_, AppState>, change: CounterSettings) -> Result<Settings> {
    state.owner.require()?;
    let bad = |what: &str| {
        CommandError::with(
            "settings",
            format!("{what} is not valid"),
            serde_json::json!({ "field": what }),
        )
    };
    for (what, text) in [
        ("legal_name", &change.store.legal_name),
        ("tax_id", &change.store.tax_id),
        ("address", &change.store.address),
    ] {
        if text.chars().count() > MAX_DETAIL_CHARS || text.chars().any(char::is_control) {
            return Err(bad(what));
        }
    }
    let p = &change.printer;
    if ![58, 80].contains(&p.paper_mm) {
        return Err(bad("paper_mm"));
    }
    if p.kind == PrinterKind::Network && !crate::printer::address_is_valid(&p.address) {
        return Err(bad("address"));
    }
    if p.kind == PrinterKind::Usb && p.device.trim().is_empty() {
        return Err(bad("device"));
    }
    if !change.scale.is_possible() {
        return Err(bad("scale"));
    }
    let currency = counter(&state).station.currency;
    let rounding = match change.cash_rounding.trim() {
        "" => None,
        text => Some(
            crate::money::read_typed(text, currency)
                .ok()
                .filter(|step| currency.check_amount(*step).is_ok())
                .ok_or_else(|| bad("cash_rounding"))?,
        ),
    };
    Ok(state.update_settings(|s| {
        s.store = StoreDetails {
            legal_name: change.store.legal_name.trim().to_owned(),
            tax_id: change.store.tax_id.trim().to_owned(),
            address: change.store.address.trim().to_owned(),
        };
        s.printer = change.printer;
        s.cash_rounding = rounding;
        s.scale = change.scale;
    })?)
}
