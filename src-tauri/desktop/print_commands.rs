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
        ("store_address", &change.store.address),
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
        return Err(bad("printer_address"));
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

/// Saves what the page laid out to print (a ticket, a Z report) as a PDF in `exports/`, printed
/// by the window's own engine (WebKit) through the print stylesheet, on its paper: `80` or `58`
/// mm rolls, or `a4`. Linux only: on Windows the print dialog's "Microsoft Print to PDF" does it.
#[tauri::command]
pub async fn save_pdf<R: tauri::Runtime>(
    window: tauri::WebviewWindow<R>,
    state: State<'_, AppState>,
    name: String,
    paper: String,
) -> Result<String> {
    let name: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .take(64)
        .collect();
    if name.is_empty() || !["80", "58", "a4"].contains(&paper.as_str()) {
        return Err(CommandError::new(
            "printer",
            "a PDF needs a name and a paper (80, 58 or a4)",
        ));
    }
    let dir = state.paths.data.join("exports");
    let path = dir.join(format!("{name}.pdf"));
    std::fs::create_dir_all(&dir).map_err(|e| CommandError::new("export", format!("{}: {e}", dir.display())))?;
    let _ = std::fs::remove_file(&path);
    pdf::print_to(&window, &path, &paper).await?;
    // The file backend writes as the job ends: wait until the file is whole.
    for _ in 0..100 {
        if std::fs::read(&path).is_ok_and(|b| b.ends_with(b"%%EOF\n") || b.ends_with(b"%%EOF")) {
            return Ok(path.display().to_string());
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    Err(CommandError::new(
        "export",
        format!("{} was not written", path.display()),
    ))
}

#[cfg(target_os = "linux")]
mod pdf {
    use std::cell::RefCell;
    use std::path::Path;
    use std::rc::Rc;

    use super::CommandError;
    use webkit2gtk::PrintOperationExt;

    /// Prints the window's page to `path` with GTK's "Print to File" printer, no dialog.
    pub async fn print_to<R: tauri::Runtime>(
        window: &tauri::WebviewWindow<R>,
        path: &Path,
        paper: &str,
    ) -> Result<(), CommandError> {
        let uri = url::Url::from_file_path(path)
            .map_err(|_| CommandError::new("export", format!("{} is not a file path", path.display())))?
            .to_string();
        // Width, height, side and top margins in mm: a roll's printable width (72 or 48 mm), A4's.
        let (w, h, side, top) = match paper {
            "58" => (58.0, 297.0, 5.0, 2.0),
            "a4" => (210.0, 297.0, 12.0, 12.0),
            _ => (80.0, 297.0, 4.0, 2.0),
        };
        let paper = paper.to_owned();
        let (tx, rx) = tokio::sync::oneshot::channel::<Result<(), String>>();
        window
            .with_webview(move |webview| {
                let done = Rc::new(RefCell::new(Some(tx)));
                let op = webkit2gtk::PrintOperation::new(&webview.inner());
                let size = gtk::PaperSize::new_custom(
                    &format!("qr-cashier-{paper}"),
                    &format!("{paper} mm"),
                    w,
                    h,
                    gtk::Unit::Mm,
                );
                let settings = gtk::PrintSettings::new();
                settings.set_printer("Print to File");
                settings.set(gtk::PRINT_SETTINGS_OUTPUT_FILE_FORMAT, Some("pdf"));
                settings.set(gtk::PRINT_SETTINGS_OUTPUT_URI, Some(&uri));
                settings.set_paper_size(&size);
                let setup = gtk::PageSetup::new();
                setup.set_paper_size(&size);
                for set in [gtk::PageSetup::set_left_margin, gtk::PageSetup::set_right_margin] {
                    set(&setup, side, gtk::Unit::Mm);
                }
                for set in [gtk::PageSetup::set_top_margin, gtk::PageSetup::set_bottom_margin] {
                    set(&setup, top, gtk::Unit::Mm);
                }
                op.set_print_settings(&settings);
                op.set_page_setup(&setup);
                let failed = done.clone();
                op.connect_failed(move |_, e| {
                    if let Some(tx) = failed.borrow_mut().take() {
                        let _ = tx.send(Err(e.to_string()));
                    }
                });
                op.connect_finished(move |_| {
                    if let Some(tx) = done.borrow_mut().take() {
                        let _ = tx.send(Ok(()));
                    }
                });
                op.print();
            })
            .map_err(|e| CommandError::new("printer", e.to_string()))?;
        match tokio::time::timeout(std::time::Duration::from_secs(30), rx).await {
            Ok(Ok(Ok(()))) => Ok(()),
            Ok(Ok(Err(e))) => Err(CommandError::new("printer", e)),
            _ => Err(CommandError::new("printer", "the page did not print")),
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod pdf {
    use super::CommandError;

    pub async fn print_to<R: tauri::Runtime>(
        _: &tauri::WebviewWindow<R>,
        _: &std::path::Path,
        _: &str,
    ) -> Result<(), CommandError> {
        Err(CommandError::new(
            "printer",
            "saving a PDF here is for Linux: print to \"Microsoft Print to PDF\" from the dialog",
        ))
    }
}
