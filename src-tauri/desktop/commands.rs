//! The commands the page may invoke. Each translates to the core and back.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tauri::ipc::Channel;
use tauri::State;

use super::error::CommandError;
use super::AppState;
use crate::counter::{Counter, CustomerAction, Mode};
use crate::money::{format, read_typed, Currency, MoneyError};
use crate::register::{Progress, SaleEvent};
use crate::sale::{Cart, CartError, CartLine, Outcome, Product, Sale, SaleId, SaleState};

pub(super) type Result<T> = std::result::Result<T, CommandError>;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub version: String,
    pub data_dir: String,
    pub mode: Mode,
    pub site: String,
    pub currency: Currency,
    pub store_name: String,
    pub pos_name: String,
    /// The API the register's new sales speak: `orders` or `legacy`.
    pub api: crate::mercadopago::Api,
    pub language: Option<String>,
    /// What the cashier should know about how the app started (keyring missing, ...).
    pub notices: Vec<Notice>,
    /// Demo mode's sandbox, for support and tests.
    pub sandbox_url: Option<String>,
    /// The store's tax id as its country names it (CUIT, CNPJ, RUT, RFC, NIT, RUC).
    pub tax_id_label: &'static str,
    /// Tickets can be saved as PDF by the window's engine (Linux).
    pub pdf: bool,
}

/// A cart line as the page sends it: the price as typed text, never a float.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UiCartLine {
    #[serde(default)]
    pub sku: Option<String>,
    pub title: String,
    pub unit_price: String,
    /// Any JSON number: a fraction or a huge one is the cart's to refuse, in words.
    pub quantity: serde_json::Number,
    /// A line sold by weight: the kilograms as typed (`0,350`); empty until it is weighed.
    #[serde(default)]
    pub weight: Option<String>,
}

/// Totals of a cart as Rust computes them, written for the cashier.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Quote {
    /// Each line's total, or none for a line that cannot be priced (the others still are).
    pub line_totals: Vec<Option<String>>,
    pub unit_prices: Vec<Option<String>>,
    /// A weighed line's weight as the country writes it (`0,350 kg`); none on other lines.
    pub weights: Vec<Option<String>>,
    /// None while any line is wrong or the total is too large: the cart cannot be charged.
    pub total: Option<String>,
    pub items: u64,
    /// The first thing wrong, as a charge would refuse it.
    pub error: Option<CommandError>,
}

/// An amount the cashier typed, read as the site writes amounts.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UiAmount {
    /// The amount as the page sends it back (`1234.50`).
    pub amount: String,
    /// As the cashier reads it (`$ 1.234,50`).
    pub text: String,
}

/// A sale as the page shows it, its amounts written for the cashier.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UiSale {
    pub id: SaleId,
    pub state: SaleState,
    pub late: bool,
    pub total: String,
    /// What Mercado Pago holds for the sale.
    pub collected: String,
    pub outcome: UiOutcome,
    /// The cashier must see it (pending, or ended and not acknowledged).
    pub attention: bool,
    pub expires_at: Option<String>,
    pub external_reference: String,
    pub last_error: Option<String>,
    pub tender: crate::sale::Tender,
    /// A cash sale's payment, written for the cashier.
    pub cash: Option<UiCash>,
    /// The QR sale a cash sale finished.
    pub finishes_sale: Option<SaleId>,
    /// The cash sale that took this QR sale's cart (money for it is the customer's twice over).
    pub finished_by: Option<SaleId>,
}

/// A cash payment as the cashier reads it: what was due (after the rounding), handed over, and
/// the change to give.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UiCash {
    pub due: String,
    pub received: String,
    pub change: String,
    /// None when nothing was rounded.
    pub rounding: Option<String>,
}

impl UiCash {
    pub(super) fn of(c: &crate::sale::CashPayment, currency: Currency) -> Self {
        UiCash {
            due: format(c.due, currency),
            received: format(c.received, currency),
            change: format(c.change, currency),
            rounding: (!c.rounding.is_zero()).then(|| format(c.rounding, currency)),
        }
    }
}

/// How a sale's money ended, with the amount it is about (extra, held, refunded, missing).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UiOutcome {
    pub kind: &'static str,
    pub amount: Option<String>,
}

impl UiOutcome {
    fn of(outcome: Outcome, currency: Currency) -> Self {
        let (kind, amount) = match outcome {
            Outcome::Open => ("open", None),
            Outcome::Paid => ("paid", None),
            Outcome::Extra { extra } => ("extra", Some(extra)),
            Outcome::Refunded { refunded } => ("refunded", Some(refunded)),
            Outcome::Ended => ("ended", None),
            Outcome::Held { held } => ("held", Some(held)),
        };
        UiOutcome {
            kind,
            amount: amount.map(|a| format(a, currency)),
        }
    }
}

/// Something the cashier must know that is not a sale. The page words it in the cashier's
/// language (`notice.<kind>`), with `detail` (an error, a file) inside.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notice {
    pub kind: &'static str,
    pub detail: String,
}

impl Notice {
    pub fn new(kind: &'static str, detail: impl Into<String>) -> Self {
        Notice {
            kind,
            detail: detail.into(),
        }
    }

    /// The keyring's trouble, as the cashier is told of it.
    pub fn of_keyring(e: &crate::vault::VaultError) -> Self {
        match e {
            crate::vault::VaultError::Unavailable(d) => Notice::new("keyring_unavailable", d.clone()),
            crate::vault::VaultError::Refused(d) => Notice::new("keyring_refused", d.clone()),
        }
    }
}

/// What the page receives on its event channel.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum UiEvent {
    /// The core is listening: sent first on every new subscription.
    Ready {
        at: String,
    },
    Notice(Notice),
    #[serde(rename_all = "camelCase")]
    Sale {
        sale_id: SaleId,
        state: SaleState,
        /// Boxed: the other events are small.
        progress: Box<Progress>,
        late: bool,
        total: String,
        /// The amount paid so far (partly paid, paid).
        paid: Option<String>,
        /// What is still to be paid, on a sale paid in part.
        missing: Option<String>,
        collected: String,
        outcome: UiOutcome,
        attention: bool,
        expires_at: Option<String>,
        at: String,
    },
}

impl UiSale {
    pub(super) fn of(s: &Sale) -> Self {
        UiSale {
            id: s.id,
            state: s.state,
            late: s.late,
            total: format(s.total, s.currency),
            collected: format(s.collected, s.currency),
            outcome: UiOutcome::of(s.outcome(), s.currency),
            attention: s.attention,
            expires_at: s.expires_at.map(|t| t.to_rfc3339()),
            external_reference: s.external_reference.clone(),
            last_error: s.last_error.clone(),
            tender: s.tender,
            cash: s.cash.as_ref().map(|c| UiCash::of(c, s.currency)),
            finishes_sale: s.finishes_sale,
            finished_by: s.finished_by,
        }
    }
}

impl UiEvent {
    fn of(e: &SaleEvent) -> Self {
        let paid = match &e.progress {
            Progress::Paid { paid } | Progress::PartiallyPaid { paid } => Some(format(*paid, e.currency)),
            _ => None,
        };
        let missing = match &e.progress {
            Progress::PartiallyPaid { paid } => e.total.checked_sub(*paid).map(|m| format(m, e.currency)),
            _ => None,
        };
        UiEvent::Sale {
            sale_id: e.sale_id,
            state: e.state,
            progress: Box::new(e.progress.clone()),
            late: e.late,
            total: format(e.total, e.currency),
            paid,
            missing,
            collected: format(e.collected, e.currency),
            outcome: UiOutcome::of(e.outcome, e.currency),
            attention: e.attention,
            expires_at: e.expires_at.map(|t| t.to_rfc3339()),
            at: e.at.to_rfc3339(),
        }
    }
}

/// The page's cart as the core's, prices read as the site writes them (`1.234,50` in ARS)
/// and strictly (`NaN`, `1e3`, `1,500` in ARS are refused).
pub(super) fn to_cart(lines: Vec<UiCartLine>, currency: Currency) -> std::result::Result<Cart, CartError> {
    let lines = lines
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            let line = i + 1;
            let unit_price = read_typed(&l.unit_price, currency).map_err(|e| match e {
                MoneyError::Ambiguous(_) => CartError::PriceAmbiguous { line },
                _ => CartError::PriceNotANumber { line },
            })?;
            let whole = l.quantity.as_i64().or_else(|| l.quantity.as_u64().map(|_| i64::MAX));
            let whole = whole.ok_or(CartError::QuantityNotWhole { line })?;
            let quantity = u32::try_from(whole).map_err(|_| {
                if whole < 1 {
                    CartError::QuantityNotPositive { line }
                } else {
                    CartError::QuantityTooLarge {
                        line,
                        max: crate::sale::cart::MAX_QUANTITY,
                    }
                }
            })?;
            let weight = match l.weight.as_deref().map(str::trim) {
                None => None,
                Some("") => return Err(CartError::WeightMissing { line }),
                Some(text) => Some(crate::money::read_weight(text).map_err(|e| match e {
                    MoneyError::WeightTooPrecise => CartError::WeightTooPrecise { line },
                    MoneyError::WeightOutOfRange { max } => CartError::WeightOutOfRange { line, max },
                    _ => CartError::WeightNotANumber { line },
                })?),
            };
            Ok(CartLine {
                sku: l.sku.filter(|s| !s.is_empty()),
                title: l.title,
                description: None,
                unit_price,
                quantity,
                weight,
            })
        })
        .collect::<std::result::Result<Vec<_>, CartError>>()?;
    Ok(Cart { lines })
}

pub(super) fn counter(state: &State<'_, AppState>) -> Arc<Counter> {
    state.counter()
}

/// The version is the package's (what the installer put on the PC).
#[tauri::command]
pub fn app_info<R: tauri::Runtime>(app: tauri::AppHandle<R>, state: State<'_, AppState>) -> AppInfo {
    let c = counter(&state);
    AppInfo {
        version: app.package_info().version.to_string(),
        data_dir: state.paths.data.display().to_string(),
        mode: c.mode,
        site: c.station.site.id().to_owned(),
        currency: c.station.currency,
        store_name: c.station.store_name.clone(),
        pos_name: c.station.pos_name.clone(),
        api: c.station.api,
        language: state.settings().language,
        notices: state
            .notices()
            .into_iter()
            .chain(
                c.listener_trouble
                    .as_ref()
                    .map(|t| Notice::new("notifications_unavailable", t.clone())),
            )
            .collect(),
        sandbox_url: c.sandbox.as_ref().map(|s| s.base_url().to_owned()),
        tax_id_label: crate::printer::ticket::tax_id_label(c.station.site),
        pdf: cfg!(target_os = "linux"),
    }
}

const JOURNAL_CHECK_DELAY: std::time::Duration = std::time::Duration::from_secs(20);

/// Streams the register's events to the page, starting with `Ready`. A reload gets its own.
#[tauri::command]
pub fn subscribe(state: State<'_, AppState>, on_event: Channel<UiEvent>) {
    let counter = counter(&state);
    let mut events = counter.register.subscribe();
    // The journal's whole-file check, once per counter, once the page has settled: on a
    // journal of a million sales it reads for seconds and would slow the start on two cores.
    if counter.take_journal_check() {
        let journal = counter.register.journal().clone();
        let to_page = on_event.clone();
        tauri::async_runtime::spawn_blocking(move || {
            std::thread::sleep(JOURNAL_CHECK_DELAY);
            if let Err(e) = journal.check() {
                tracing::error!(error = %e, path = %journal.path().display(), "the journal check failed");
                let _ = to_page.send(UiEvent::Notice(Notice::new(
                    "journal_damaged",
                    journal.path().display().to_string(),
                )));
            }
        });
    }
    tauri::async_runtime::spawn(async move {
        if on_event
            .send(UiEvent::Ready {
                at: chrono::Utc::now().to_rfc3339(),
            })
            .is_err()
        {
            return;
        }
        loop {
            match events.recv().await {
                Ok(e) => {
                    if on_event.send(UiEvent::of(&e)).is_err() {
                        return;
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(missed = n, "the page fell behind the event stream");
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            }
        }
    });
}

// A synchronous command runs on the window's main thread, where a panic ends the whole app and
// a wait freezes the window: the synchronous ones below only read memory and do checked
// arithmetic. Whatever touches the journal, the keyring or the network is async.

/// Checks a cart and prices it, without charging.
#[tauri::command]
pub fn quote(state: State<'_, AppState>, lines: Vec<UiCartLine>) -> Quote {
    price_lines(lines, counter(&state).station.currency)
}

/// Prices each line on its own (a wrong line leaves the others priced), then the whole cart.
fn price_lines(lines: Vec<UiCartLine>, currency: Currency) -> Quote {
    let mut quote = Quote {
        line_totals: Vec::with_capacity(lines.len()),
        unit_prices: Vec::with_capacity(lines.len()),
        weights: Vec::with_capacity(lines.len()),
        total: None,
        items: 0,
        error: None,
    };
    // The error as a charge would say it, numbered in the whole cart.
    match to_cart(lines.clone(), currency).and_then(|cart| cart.check(currency)) {
        Ok(checked) => quote.total = Some(format(checked.total, currency)),
        Err(e) => quote.error = Some(CommandError::from(e)),
    }
    for line in lines {
        match to_cart(vec![line], currency).and_then(|cart| cart.check(currency)) {
            Ok(one) => {
                quote
                    .line_totals
                    .push(one.line_totals.first().map(|t| format(*t, currency)));
                let first = one.lines.first();
                quote.unit_prices.push(first.map(|l| match l.weight {
                    Some(_) => format!("{}/kg", format(l.unit_price, currency)),
                    None => format(l.unit_price, currency),
                }));
                quote.weights.push(
                    first
                        .and_then(|l| l.weight)
                        .map(|kg| crate::money::format_weight(kg, currency)),
                );
                quote.items = quote
                    .items
                    .saturating_add(one.lines.iter().map(|l| u64::from(l.quantity)).sum());
            }
            Err(_) => {
                quote.line_totals.push(None);
                quote.unit_prices.push(None);
                quote.weights.push(None);
            }
        }
    }
    quote
}

/// Reads an amount as the cashier types it (quick-add, a product's price, a refund), to say
/// at once what is wrong with it. Pure: it only reads the text.
#[tauri::command]
pub fn read_amount(state: State<'_, AppState>, text: String) -> Result<UiAmount> {
    let currency = counter(&state).station.currency;
    let amount = currency.check_amount(read_typed(&text, currency)?)?;
    Ok(UiAmount {
        amount: amount.to_string(),
        text: format(amount, currency),
    })
}

/// Charges the cart. `despitePending`: the cashier confirmed charging while a payment of an
/// earlier sale is still being processed.
#[tauri::command]
pub async fn charge(
    state: State<'_, AppState>,
    lines: Vec<UiCartLine>,
    despite_pending: Option<bool>,
) -> Result<UiSale> {
    let c = counter(&state);
    let cart = to_cart(lines, c.station.currency)?;
    Ok(UiSale::of(
        &c.register.charge(&cart, despite_pending.unwrap_or(false)).await?,
    ))
}

#[tauri::command]
pub async fn cancel(state: State<'_, AppState>, sale_id: SaleId) -> Result<UiSale> {
    Ok(UiSale::of(&counter(&state).register.cancel(sale_id)?))
}

#[tauri::command]
pub async fn check_now(state: State<'_, AppState>, sale_id: SaleId) -> Result<()> {
    counter(&state).register.wake(sale_id);
    Ok(())
}

/// The sale the pay panel shows, after a restart or a reload: the one holding the register,
/// else the register's last sale if its end was never seen by the cashier (it was paid while
/// the app was closed, say).
#[tauri::command]
pub async fn current_sale(state: State<'_, AppState>) -> Result<Option<UiSale>> {
    let c = counter(&state);
    if let Some(open) = c.register.open_sale()? {
        return Ok(Some(UiSale::of(&open)));
    }
    let last = c
        .register
        .journal()
        .needing_attention()?
        .into_iter()
        .filter(|s| s.pos_external_id == c.station.pos_external_id && s.state.is_ended())
        .find(|s| s.acknowledged.is_none());
    Ok(last.as_ref().map(UiSale::of))
}

/// The sales the cashier must see besides the one on the pay panel: payments still pending,
/// money found after a sale ended (late, extra, held), ends never seen. Newest first.
#[tauri::command]
pub async fn attention(state: State<'_, AppState>) -> Result<Vec<UiSale>> {
    let c = counter(&state);
    Ok(c.register
        .journal()
        .needing_attention()?
        .iter()
        .map(UiSale::of)
        .collect())
}

/// The cashier saw how a sale ended and what it collected ("New sale", "OK" on a notice).
#[tauri::command]
pub async fn acknowledge(state: State<'_, AppState>, sale_id: SaleId) -> Result<Option<UiSale>> {
    let c = counter(&state);
    let now = c.register.now();
    Ok(c.register.journal().acknowledge(sale_id, now)?.as_ref().map(UiSale::of))
}

/// The register's QR as a `data:` URL (the page loads nothing from elsewhere).
#[tauri::command]
pub async fn register_qr(state: State<'_, AppState>) -> Result<String> {
    let png = counter(&state).qr_png().await?;
    Ok(png_data_url(&png))
}

pub(super) fn png_data_url(png: &[u8]) -> String {
    use base64::Engine;
    format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png)
    )
}

#[tauri::command]
pub async fn find_products(state: State<'_, AppState>, query: String) -> Result<Vec<UiProduct>> {
    let c = counter(&state);
    let found = c.register.journal().find_products(&query, 20)?;
    Ok(found.iter().map(|p| UiProduct::of(p, c.station.currency)).collect())
}

/// A line as the page keeps it in the cart (what a scale label adds).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UiLine {
    pub sku: Option<String>,
    pub title: String,
    pub unit_price: String,
    pub quantity: u32,
    /// The kilograms of a weighed line, as the page sends them back (`0.350`).
    pub weight: Option<String>,
    /// The same as the country writes them, for the weight field (`0,350`).
    pub weight_text: Option<String>,
}

/// A scanned code read as a scale label (`settings.scale`): none when it is not one (the scan
/// goes on as a product's code), else the line it adds or why it adds nothing.
#[tauri::command]
pub async fn scan_label(state: State<'_, AppState>, code: String) -> Result<Option<UiLine>> {
    let c = counter(&state);
    let layout = state.settings().scale;
    match c.register.journal().scale_line(&code, &layout, c.station.currency)? {
        None => Ok(None),
        Some(Err(e)) => Err(CommandError::with(
            "label",
            e.to_string(),
            serde_json::to_value(&e).unwrap_or_default(),
        )),
        Some(Ok(l)) => Ok(Some(UiLine {
            sku: l.sku,
            title: l.title,
            unit_price: c.station.currency.rescale(l.unit_price).to_string(),
            quantity: l.quantity,
            weight: l.weight.map(|kg| kg.to_string()),
            weight_text: l.weight.map(|kg| {
                crate::money::format_weight(kg, c.station.currency)
                    .trim_end_matches(" kg")
                    .to_owned()
            }),
        })),
    }
}

#[tauri::command]
pub async fn list_products(state: State<'_, AppState>) -> Result<Vec<UiProduct>> {
    let c = counter(&state);
    Ok(c.register
        .journal()
        .all_products()?
        .iter()
        .map(|p| UiProduct::of(p, c.station.currency))
        .collect())
}

#[tauri::command]
pub async fn save_product(
    state: State<'_, AppState>,
    sku: String,
    name: String,
    price: String,
    by_weight: Option<bool>,
) -> Result<UiProduct> {
    let c = counter(&state);
    let product = Product::checked(&sku, &name, &price, c.station.currency)?.sold_by_weight(by_weight.unwrap_or(false));
    Ok(UiProduct::of(
        &c.register.journal().save_product(&product)?,
        c.station.currency,
    ))
}

#[tauri::command]
pub async fn delete_product(state: State<'_, AppState>, sku: String) -> Result<()> {
    Ok(counter(&state).register.journal().delete_product(&sku)?)
}

/// Imports a CSV the cashier picked (its text, read by the page): all rows or none.
#[tauri::command]
pub async fn import_products_csv(state: State<'_, AppState>, text: String) -> Result<usize> {
    let c = counter(&state);
    Ok(c.register.journal().import_products_csv(&text, c.station.currency)??)
}

/// Writes the catalog to a CSV file in the data folder's `exports/` and says where.
#[tauri::command]
pub async fn export_products_csv(state: State<'_, AppState>) -> Result<String> {
    let c = counter(&state);
    let csv = c.register.journal().export_products_csv(c.station.currency)?;
    write_export(
        &state,
        &format!("products-{}.csv", chrono::Local::now().format("%Y%m%d-%H%M%S")),
        &csv,
    )
}

/// Writes a file into the data folder's `exports/` and returns its path.
pub(super) fn write_export(state: &AppState, name: &str, contents: impl AsRef<[u8]>) -> Result<String> {
    let dir = state.paths.data.join("exports");
    let path = dir.join(name);
    std::fs::create_dir_all(&dir)
        .and_then(|_| std::fs::write(&path, contents))
        .map_err(|e| CommandError::new("export", format!("{}: {e}", path.display())))?;
    Ok(path.display().to_string())
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UiProduct {
    pub sku: String,
    pub name: String,
    /// The price as the cart sends it back (`1234.50`).
    pub price: String,
    pub price_text: String,
    /// Sold by weight: the price is per kilogram, and each line of it is weighed.
    pub by_weight: bool,
}

impl UiProduct {
    fn of(p: &Product, currency: Currency) -> Self {
        UiProduct {
            sku: p.sku.clone(),
            name: p.name.clone(),
            price: currency.rescale(p.price).to_string(),
            price_text: match p.by_weight {
                true => format!("{}/kg", format(p.price, currency)),
                false => format(p.price, currency),
            },
            by_weight: p.by_weight,
        }
    }
}

/// Opens (or brings forward) the customer-facing display, for a second monitor. Async: on
/// Windows a window built from a synchronous command deadlocks the main thread (WebView2).
#[tauri::command]
pub async fn open_customer_display<R: tauri::Runtime>(app: tauri::AppHandle<R>) -> Result<()> {
    use tauri::Manager;
    if let Some(w) = app.get_webview_window("customer") {
        return w.set_focus().map_err(|e| CommandError::new("window", e.to_string()));
    }
    tauri::WebviewWindowBuilder::new(&app, "customer", tauri::WebviewUrl::App("customer.html".into()))
        .title("QR Cashier – Cliente")
        .inner_size(900.0, 700.0)
        .build()
        .map(|_| ())
        .map_err(|e| CommandError::new("window", e.to_string()))
}

/// Demo mode: the customer's phone.
#[tauri::command]
pub fn demo_customer(state: State<'_, AppState>, action: CustomerAction) -> Result<()> {
    counter(&state)
        .demo_customer(action)
        .map_err(|m| CommandError::new("demo", m))
}
