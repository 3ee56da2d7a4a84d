//! The store owner's commands: the token, the register's set-up, the settings, and the day's
//! records. The token goes in once, to `save_token`; no command ever returns it.

use chrono::NaiveDate;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use tauri::State;

use super::commands::{counter, png_data_url, write_export, Result, UiSale};
use super::error::CommandError;
use super::AppState;
use crate::counter::{Counter, Mode};
use crate::mercadopago::stores::Location;
use crate::mercadopago::Client;
use crate::money::{format, read_typed};
use crate::records::{self, Difference, Mismatch, RecordsError, RefundAsk};
use crate::sale::SaleState;
use crate::settings::{Settings, SettingsError};
use crate::setup::{self, Account, CheckError, PosView, SetupError, StoreView};
use crate::sign::{self, SignError, SignText};

impl From<SetupError> for CommandError {
    fn from(e: SetupError) -> Self {
        let detail = serde_json::to_value(&e).unwrap_or_default();
        CommandError {
            kind: "setup",
            message: e.to_string(),
            detail,
        }
    }
}

impl From<CheckError> for CommandError {
    fn from(e: CheckError) -> Self {
        match e {
            CheckError::Setup(s) => s.into(),
            CheckError::Api(a) => a.into(),
        }
    }
}

impl From<SettingsError> for CommandError {
    fn from(e: SettingsError) -> Self {
        CommandError::new("settings", e.to_string())
    }
}

impl From<RecordsError> for CommandError {
    fn from(e: RecordsError) -> Self {
        match e {
            RecordsError::Journal(j) => j.into(),
            RecordsError::Api(a) => a.into(),
            RecordsError::Refund(r) => {
                let detail = serde_json::to_value(&r).unwrap_or_default();
                CommandError {
                    kind: "refund",
                    message: r.to_string(),
                    detail,
                }
            }
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountStatus {
    pub mode: Mode,
    /// Where the account's token goes (the API address in the settings).
    pub api_address: String,
    /// The account the saved token belongs to, as last checked.
    pub account: Option<crate::settings::AccountSettings>,
    pub test_token: Option<bool>,
    pub pos_external_id: Option<String>,
    pub pos_name: Option<String>,
    pub store_name: Option<String>,
    pub keyring_error: Option<super::Notice>,
    /// The API the running register's new sales speak, and the option it comes from.
    pub api: crate::mercadopago::Api,
    pub api_choice: crate::settings::ApiChoice,
    /// Orders API webhooks: the URL to paste in Mercado Pago's panel (the public address, with
    /// the listener's path), whether a secret to check them is saved, what came last.
    pub webhook_url: Option<String>,
    pub public_address: Option<String>,
    pub webhook_secret_saved: bool,
    pub last_notification: Option<crate::register::listener::LastNotification>,
}

#[tauri::command]
pub async fn account_status(state: State<'_, AppState>) -> Result<AccountStatus> {
    let settings = state.settings();
    let vault = state.vault.clone();
    let (token, secret) = tauri::async_runtime::spawn_blocking(move || {
        let secret = vault.webhook_secret().load().ok().flatten().is_some();
        (vault.load(), secret)
    })
    .await
    .map_err(|e| CommandError::new("vault", e.to_string()))?;
    let (test_token, keyring_error) = match token {
        Ok(t) => (
            t.map(|t| secrecy::ExposeSecret::expose_secret(&t).starts_with("TEST-")),
            None,
        ),
        Err(e) => (None, Some(super::Notice::of_keyring(&e))),
    };
    let c = counter(&state);
    let public = settings.notifications.public_url.clone();
    Ok(AccountStatus {
        api_address: settings.api_base_url.clone(),
        api: c.station.api,
        api_choice: settings.api,
        webhook_url: public
            .as_deref()
            .map(|p| format!("{}{}", p.trim_end_matches('/'), crate::register::listener::PATH))
            .or(c.notification_url.clone()),
        public_address: public,
        webhook_secret_saved: secret,
        last_notification: c
            .heard
            .as_ref()
            .map(|h| h.lock().unwrap_or_else(|e| e.into_inner()).clone()),
        mode: c.mode,
        account: settings.account.filter(|_| test_token.is_some()),
        test_token,
        pos_external_id: settings.pos_external_id,
        pos_name: settings.pos_name,
        store_name: settings.store_name,
        keyring_error,
    })
}

/// Checks the token with Mercado Pago, then keeps it in the keyring. A refused token is not
/// kept anywhere.
#[tauri::command]
pub async fn save_token(state: State<'_, AppState>, token: String) -> Result<Account> {
    state.owner.require()?;
    let token = SecretString::from(token.trim().to_owned());
    let account = setup::check_token(&state.settings().api_base_url, &token).await?;
    let vault = state.vault.clone();
    let token_for_register = token.clone();
    tauri::async_runtime::spawn_blocking(move || vault.save(&token))
        .await
        .map_err(|e| CommandError::new("vault", e.to_string()))??;
    let same_account = state.settings().account.is_some_and(|a| a.user_id == account.user_id);
    let running = counter(&state);
    let live_on_this_account = running.mode == Mode::Live && running.station.user_id == account.user_id;
    if running.mode == Mode::Live && !live_on_this_account {
        refuse_while_unfinished(&running, "token")?;
    }
    state.update_settings(|s| {
        s.account = Some(account.settings());
        if !same_account {
            // A POS belongs to one account.
            s.pos_external_id = None;
            s.pos_id = None;
            s.pos_name = None;
            s.store_name = None;
        }
    })?;
    if live_on_this_account {
        // A new token of the account the register runs on (the old one was revoked, say): the
        // running register and its open sales go on with it.
        running.register.take_over_token(token_for_register);
    }
    tracing::info!(user = account.user_id, site = %account.site, test = account.test, "access token saved");
    Ok(account)
}

/// Keeps the Orders API webhooks' secret (from Mercado Pago's panel) in the system keyring,
/// like the token: never in a file, never shown again. Empty: forgets it. It applies from the
/// next start of the account's register.
#[tauri::command]
pub async fn save_webhook_secret(state: State<'_, AppState>, secret: String) -> Result<()> {
    state.owner.require()?;
    let secret = secret.trim().to_owned();
    if secret.len() > 256 || secret.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(CommandError::new("settings", "that is not a webhook secret"));
    }
    let vault = state.vault.webhook_secret();
    tauri::async_runtime::spawn_blocking(move || match secret.is_empty() {
        true => vault.forget(),
        false => vault.save(&SecretString::from(secret)),
    })
    .await
    .map_err(|e| CommandError::new("vault", e.to_string()))??;
    Ok(())
}

/// While a sale of the running account is unfinished (open, pending, or with a request in
/// doubt), its account and POS stay as they are: the sale must end where it began.
fn refuse_while_unfinished(c: &Counter, what: &'static str) -> Result<()> {
    if c.mode != Mode::Live {
        return Ok(());
    }
    match c.register.unfinished_sale()? {
        Some(sale) => Err(CommandError::with(
            "sale_unfinished",
            format!(
                "sale {} is not finished yet: the {what} cannot change until it is",
                sale.id
            ),
            serde_json::json!({ "saleId": sale.id, "state": sale.state, "what": what }),
        )),
        None => Ok(()),
    }
}

/// Removes the token from the keyring and goes back to the demo.
#[tauri::command]
pub async fn forget_token(state: State<'_, AppState>) -> Result<()> {
    state.owner.require()?;
    refuse_while_unfinished(&counter(&state), "token")?;
    let vault = state.vault.clone();
    tauri::async_runtime::spawn_blocking(move || vault.forget())
        .await
        .map_err(|e| CommandError::new("vault", e.to_string()))??;
    state.update_settings(|s| s.account = None)?;
    if counter(&state).mode == Mode::Live {
        let settings = state.settings();
        let demo = Counter::start_demo(&state.paths, &settings)
            .await
            .map_err(|e| CommandError::new("start", e.to_string()))?;
        state.replace_counter(demo);
    }
    Ok(())
}

#[tauri::command]
pub fn get_settings(state: State<'_, AppState>) -> Settings {
    state.settings()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingsChange {
    pub api_base_url: String,
    pub order_ttl_secs: u64,
    pub notifications_enabled: bool,
    pub notifications_bind: String,
    pub language: Option<String>,
    /// `auto`, `orders` or `legacy`; none: unchanged.
    #[serde(default)]
    pub api: Option<String>,
    /// The address Mercado Pago reaches the listener at (an https address), or empty.
    #[serde(default)]
    pub notifications_public_url: Option<String>,
    /// The store owner confirmed a new API address (the account's token will go there).
    #[serde(default)]
    pub confirm_address: bool,
}

/// Checks and saves the settings; they apply at the next start or mode switch.
#[tauri::command]
pub async fn save_settings(state: State<'_, AppState>, change: SettingsChange) -> Result<Settings> {
    state.owner.require()?;
    let url = url::Url::parse(change.api_base_url.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .ok_or_else(|| {
            CommandError::with(
                "bad_base_url",
                format!("{:?} is not an http(s) address", change.api_base_url),
                serde_json::json!({ "reason": "not_an_address" }),
            )
        })?;
    if !crate::mercadopago::token_may_go_to(&url) {
        return Err(CommandError::with(
            "bad_base_url",
            format!("{url} is not https: the access token would travel in clear"),
            serde_json::json!({ "reason": "not_https" }),
        ));
    }
    let address = url.as_str().trim_end_matches('/').to_owned();
    if !Settings::ORDER_TTL_SECS.contains(&change.order_ttl_secs) {
        return Err(CommandError::new(
            "settings",
            "the order lifetime must be between 60 and 3600 seconds",
        ));
    }
    if change.notifications_enabled && change.notifications_bind.parse::<std::net::SocketAddr>().is_err() {
        return Err(CommandError::new(
            "settings",
            "the notification address must be like 0.0.0.0:8088",
        ));
    }
    let language = change.language.filter(|l| ["es", "pt", "en"].contains(&l.as_str()));
    let public_url = match change.notifications_public_url.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(None),
        Some(u) => {
            let url = url::Url::parse(u)
                .ok()
                .filter(|url| url.scheme() == "https" && url.host().is_some())
                .ok_or_else(|| CommandError::new("settings", "the public address must be an https:// address"))?;
            Some(Some(url.as_str().trim_end_matches('/').to_owned()))
        }
    };
    let api = match change.api.as_deref() {
        None => None,
        Some(a) => Some(
            crate::settings::ApiChoice::parse(a)
                .ok_or_else(|| CommandError::new("settings", format!("{a:?} is not auto, orders or legacy")))?,
        ),
    };
    check_new_address(&state, &address, change.confirm_address).await?;
    Ok(state.update_settings(|s| {
        if let Some(api) = api {
            s.api = api;
        }
        if let Some(public) = public_url {
            s.notifications.public_url = public;
        }
        s.api_base_url = address;
        s.order_ttl_secs = change.order_ttl_secs;
        s.notifications.enabled = change.notifications_enabled;
        s.notifications.bind = change.notifications_bind;
        s.language = language;
    })?)
}

/// A new API address, with an account's token saved: the store owner confirms it, and the
/// address must know the token as the same account (checked with `GET /users/me` there)
/// before any sale is sent to it. Without an account the token is checked when it is saved.
async fn check_new_address(state: &State<'_, AppState>, address: &str, confirmed: bool) -> Result<()> {
    let settings = state.settings();
    let Some(account) = settings.account.filter(|_| settings.api_base_url != address) else {
        return Ok(());
    };
    if !confirmed {
        return Err(CommandError::with(
            "confirm_address",
            format!("the account's token will be sent to {address}: confirm the new address"),
            serde_json::json!({ "from": settings.api_base_url, "to": address }),
        ));
    }
    let vault = state.vault.clone();
    let token = tauri::async_runtime::spawn_blocking(move || vault.load())
        .await
        .map_err(|e| CommandError::new("vault", e.to_string()))??;
    let Some(token) = token else { return Ok(()) };
    let there = setup::check_token(address, &token).await?;
    if there.user_id != account.user_id {
        return Err(CommandError::with(
            "address_other_account",
            format!("{address} knows this token as another account ({})", there.user_id),
            serde_json::json!({ "to": address }),
        ));
    }
    tracing::info!(address, "API address changed; the token was accepted there");
    Ok(())
}

/// A client for the saved account (set-up happens before the register runs on it).
async fn account_client(state: &State<'_, AppState>) -> Result<(Client, u64)> {
    let settings = state.settings();
    let account = settings
        .account
        .ok_or_else(|| CommandError::new("no_account", "save an access token first"))?;
    let vault = state.vault.clone();
    let token = tauri::async_runtime::spawn_blocking(move || vault.load())
        .await
        .map_err(|e| CommandError::new("vault", e.to_string()))??
        .ok_or_else(|| CommandError::new("no_account", "save an access token first"))?;
    Ok((setup::client(&settings.api_base_url, token)?, account.user_id))
}

#[tauri::command]
pub async fn list_stores(state: State<'_, AppState>) -> Result<Vec<StoreView>> {
    let (c, user) = account_client(&state).await?;
    Ok(setup::stores(&c, user).await?)
}

#[tauri::command]
pub async fn list_pos(state: State<'_, AppState>, store_id: Option<u64>) -> Result<Vec<PosView>> {
    let (c, _) = account_client(&state).await?;
    Ok(setup::points_of_sale(&c, store_id).await?)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewStore {
    pub name: String,
    pub street_name: String,
    pub street_number: String,
    pub city: String,
    pub state: String,
}

#[tauri::command]
pub async fn create_store(state: State<'_, AppState>, store: NewStore) -> Result<StoreView> {
    state.owner.require()?;
    let (c, user) = account_client(&state).await?;
    let location = Location {
        street_name: store.street_name,
        street_number: store.street_number,
        city_name: store.city,
        state_name: store.state,
        ..Default::default()
    };
    Ok(setup::create_store(&c, user, &store.name, location).await?)
}

#[tauri::command]
pub async fn create_pos(
    state: State<'_, AppState>,
    store_id: u64,
    name: String,
    external_id: String,
) -> Result<PosView> {
    state.owner.require()?;
    let (c, _) = account_client(&state).await?;
    Ok(setup::create_pos(&c, store_id, &name, external_id.trim()).await?)
}

/// The POS this register charges on, saved in the settings. A POS that lets the customer type
/// the amount (`fixed_amount` off) is refused: a payment there names no sale.
#[tauri::command]
pub async fn choose_pos(state: State<'_, AppState>, pos: PosView, store_name: String) -> Result<Settings> {
    state.owner.require()?;
    let running = counter(&state);
    if running.station.pos_external_id != pos.external_id {
        refuse_while_unfinished(&running, "register")?;
    }
    if pos.fixed_amount == Some(false) {
        return Err(SetupError::PosNotFixedAmount.into());
    }
    Ok(state.update_settings(|s| {
        s.pos_external_id = Some(pos.external_id);
        s.pos_id = Some(pos.id);
        s.pos_name = Some(pos.name);
        s.store_name = Some(store_name);
    })?)
}

/// Runs the register on the saved account (`live`) or on the demo; the page reloads after.
#[tauri::command]
pub async fn switch_mode(state: State<'_, AppState>, mode: Mode) -> Result<()> {
    state.owner.require()?;
    if let Some(open) = counter(&state).register.open_sale()? {
        return Err(CommandError::new(
            "busy",
            format!("sale {} is still waiting: finish or cancel it first", open.id),
        ));
    }
    let settings = state.settings();
    let next = match mode {
        Mode::Demo => Counter::start_demo(&state.paths, &settings).await,
        Mode::Live => {
            let vault = state.vault.clone();
            let (token, secret) = tauri::async_runtime::spawn_blocking(move || {
                let token = vault.load()?;
                Ok::<_, crate::vault::VaultError>((token, vault.webhook_secret().load().unwrap_or(None)))
            })
            .await
            .map_err(|e| CommandError::new("vault", e.to_string()))??;
            let token = token.ok_or_else(|| CommandError::new("no_account", "save an access token first"))?;
            Counter::start_live(&state.paths, &settings, token, secret).await
        }
    };
    let next = next.map_err(|e| CommandError::new("start", e.to_string()))?;
    state.replace_counter(next);
    Ok(())
}

pub(super) fn parse_day(day: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .map_err(|_| CommandError::new("bad_day", format!("{day:?} is not a day (YYYY-MM-DD)")))
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SaleRow {
    #[serde(flatten)]
    pub sale: UiSale,
    pub time: String,
    pub items: u64,
}

#[tauri::command]
pub async fn list_sales(
    state: State<'_, AppState>,
    day: String,
    sale_state: Option<String>,
    page: u32,
) -> Result<Vec<SaleRow>> {
    let day = parse_day(&day)?;
    let filter = match sale_state.as_deref() {
        None | Some("") => None,
        Some(s) => Some(s.parse::<SaleState>().map_err(|e| CommandError::new("bad_state", e))?),
    };
    let (from, to) = records::day_span(day);
    let c = counter(&state);
    let sales = c
        .register
        .journal()
        .list(from, to, filter, 50, page.saturating_mul(50))?;
    Ok(sales
        .iter()
        .map(|s| SaleRow {
            sale: UiSale::of(s),
            time: s
                .created_at
                .with_timezone(&chrono::Local)
                .format("%H:%M:%S")
                .to_string(),
            items: s.lines.iter().map(|l| l.quantity as u64).sum(),
        })
        .collect())
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UiStory {
    pub sale: UiSale,
    pub lines: Vec<UiStoryLine>,
    pub changes: Vec<UiChange>,
    pub refunds: Vec<UiRefund>,
    pub refunded: String,
    pub merchant_order_ids: Vec<String>,
    pub payment_ids: Vec<String>,
    pub created: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct UiStoryLine {
    pub title: String,
    /// `2`, or the weight of a weighed line (`0,350 kg`).
    pub quantity: String,
    /// The price of a unit, or of a kilogram (`$ 8.900,00/kg`).
    pub unit: String,
    pub total: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct UiChange {
    pub at: String,
    pub state: SaleState,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct UiRefund {
    pub at: String,
    pub amount: String,
    pub state: String,
    pub detail: String,
}

fn ui_story(s: &records::SaleStory) -> UiStory {
    let c = s.sale.currency;
    let local =
        |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M:%S").to_string();
    UiStory {
        sale: UiSale::of(&s.sale),
        lines: s
            .sale
            .lines
            .iter()
            .map(|l| UiStoryLine {
                title: l.title.clone(),
                quantity: match l.weight {
                    Some(kg) => crate::money::format_weight(kg, c),
                    None => l.quantity.to_string(),
                },
                unit: match l.weight {
                    Some(_) => format!("{}/kg", format(l.unit_price, c)),
                    None => format(l.unit_price, c),
                },
                total: l.total(c).map(|t| format(t, c)).unwrap_or_default(),
            })
            .collect(),
        changes: s
            .changes
            .iter()
            .map(|ch| UiChange {
                at: local(ch.at),
                state: ch.state,
                detail: ch.detail.clone(),
            })
            .collect(),
        refunds: s
            .refunds
            .iter()
            .map(|r| UiRefund {
                at: local(r.created_at),
                amount: format(r.amount, c),
                state: r.state.clone(),
                detail: r.detail.clone(),
            })
            .collect(),
        refunded: format(s.refunded, c),
        merchant_order_ids: s.sale.merchant_order_ids.iter().map(u64::to_string).collect(),
        payment_ids: s.sale.payment_ids.iter().map(u64::to_string).collect(),
        created: local(s.sale.created_at),
    }
}

#[tauri::command]
pub async fn sale_story(state: State<'_, AppState>, sale_id: i64) -> Result<UiStory> {
    Ok(ui_story(&records::story(counter(&state).register.journal(), sale_id)?))
}

/// Refunds a sale after the page asked to confirm: what it holds beyond its total (`extra`),
/// an amount, or (neither) all it holds.
#[tauri::command]
pub async fn refund(
    state: State<'_, AppState>,
    sale_id: i64,
    amount: Option<String>,
    extra: Option<bool>,
) -> Result<UiStory> {
    state.owner.require()?;
    let ask = match (extra, amount.as_deref().map(str::trim)) {
        (Some(true), _) => RefundAsk::Extra,
        (_, None | Some("")) => RefundAsk::All,
        (_, Some(a)) => RefundAsk::Amount(read_typed(a, counter(&state).station.currency)?),
    };
    let c = counter(&state);
    Ok(ui_story(&records::refund(&c.register, sale_id, ask).await?))
}

#[tauri::command]
pub async fn export_day_csv(state: State<'_, AppState>, day: String) -> Result<String> {
    let day = parse_day(&day)?;
    let c = counter(&state);
    let csv = records::day_csv(c.register.journal(), day)?;
    let prefix = if c.mode == Mode::Demo { "demo-sales" } else { "sales" };
    write_export(&state, &format!("{prefix}-{day}.csv"), &csv)
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UiSummary {
    pub states: Vec<(SaleState, u64, String)>,
    pub collected_total: String,
    pub refunded_total: String,
    pub extra_total: String,
    pub with_extra: u64,
    pub late_paid: u64,
    pub pending: u64,
    pub cash_sales: u64,
    pub cash_total: String,
    pub net_total: String,
    /// Per local hour with sales: (hour, sales, money as written, money as a plain number for
    /// the chart's scale).
    pub by_hour: Vec<(u32, u64, String, String)>,
}

#[tauri::command]
pub async fn day_summary(state: State<'_, AppState>, day: String) -> Result<UiSummary> {
    let day = parse_day(&day)?;
    let c = counter(&state);
    let cur = c.station.currency;
    let s = records::summary(c.register.journal(), day)?;
    Ok(UiSummary {
        states: s
            .states
            .iter()
            .filter_map(|(k, v)| Some((k.parse().ok()?, v.count, format(v.total, cur))))
            .collect(),
        collected_total: format(s.collected_total, cur),
        refunded_total: format(s.refunded_total, cur),
        extra_total: format(s.extra_total, cur),
        with_extra: s.with_extra,
        late_paid: s.late_paid,
        pending: s.pending,
        cash_sales: s.cash_sales,
        cash_total: format(s.cash_total, cur),
        net_total: format(s.net_total, cur),
        by_hour: s
            .by_hour
            .iter()
            .map(|h| (h.hour, h.sales, format(h.total, cur), cur.rescale(h.total).to_string()))
            .collect(),
    })
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UiDifference {
    pub sale_id: Option<i64>,
    pub merchant_order_ids: Vec<u64>,
    pub external_reference: String,
    pub journal_state: Option<SaleState>,
    pub journal_collected: Option<String>,
    pub mercado_pago_collected: Option<String>,
    pub amount: Option<String>,
    pub what: Mismatch,
}

#[tauri::command]
pub async fn reconcile(state: State<'_, AppState>, day: String) -> Result<Vec<UiDifference>> {
    let day = parse_day(&day)?;
    let c = counter(&state);
    let cur = c.station.currency;
    let found: Vec<Difference> = records::reconcile(&c.register, day).await?;
    Ok(found
        .into_iter()
        .map(|d| UiDifference {
            sale_id: d.sale_id,
            merchant_order_ids: d.merchant_order_ids,
            external_reference: d.external_reference,
            journal_state: d.journal_state,
            journal_collected: d.journal_collected.map(|a| format(a, cur)),
            mercado_pago_collected: d.mercado_pago_collected.map(|a| format(a, cur)),
            amount: d.amount.map(|a| format(a, cur)),
            what: d.what,
        })
        .collect())
}

/// Saves the register's QR (the POS's `qr.image`, as cached) as a PNG in `exports/`, for
/// printing or sending to a sign maker.
#[tauri::command]
pub async fn save_register_qr(state: State<'_, AppState>) -> Result<String> {
    let c = counter(&state);
    let png = c.qr_png().await?;
    write_export(&state, &format!("qr-{}.png", c.station.pos_external_id), png)
}

impl From<SignError> for CommandError {
    fn from(e: SignError) -> Self {
        CommandError::new("sign", e.to_string())
    }
}

/// The counter sign of this register (its QR, the store's name, how to pay) as a PNG.
async fn compose_counter_sign(c: &Counter) -> Result<Vec<u8>> {
    let qr = c.qr_png().await?;
    let s = &c.station;
    let register = if s.pos_name == s.pos_external_id {
        s.pos_name.clone()
    } else {
        format!("{} · {}", s.pos_name, s.pos_external_id)
    };
    Ok(sign::compose(
        &SignText::for_site(s.site, &s.store_name, &register),
        &qr,
    )?)
}

/// The counter sign as a `data:` URL, to preview and print from the page.
#[tauri::command]
pub async fn counter_sign(state: State<'_, AppState>) -> Result<String> {
    let png = compose_counter_sign(&counter(&state)).await?;
    Ok(png_data_url(&png))
}

/// Saves Mercado Pago's own printable sign of this POS (a PDF) in `exports/`.
#[tauri::command]
pub async fn save_mercado_pago_sign(state: State<'_, AppState>) -> Result<String> {
    let c = counter(&state);
    let pdf = c.mercado_pago_sign().await?;
    write_export(
        &state,
        &format!("mercado-pago-sign-{}.pdf", c.station.pos_external_id),
        pdf,
    )
}

/// Saves the counter sign as a PNG in `exports/`, for a print shop.
#[tauri::command]
pub async fn save_counter_sign(state: State<'_, AppState>) -> Result<String> {
    let c = counter(&state);
    let png = compose_counter_sign(&c).await?;
    write_export(&state, &format!("sign-{}.png", c.station.pos_external_id), png)
}

/// Whether an owner PIN is set and owner mode is open (never the PIN or its hash).
#[tauri::command]
pub fn owner_status(state: State<'_, AppState>) -> crate::owner::OwnerStatus {
    state.owner.status(chrono::Utc::now())
}

/// Opens owner mode with the PIN (checked off the main thread: the hash is slow on purpose).
#[tauri::command]
pub async fn owner_unlock<R: tauri::Runtime>(app: tauri::AppHandle<R>, pin: String) -> Result<()> {
    use tauri::Manager;
    tauri::async_runtime::spawn_blocking(move || app.state::<AppState>().owner.unlock(&pin, chrono::Utc::now()))
        .await
        .map_err(|e| CommandError::new("owner", e.to_string()))??;
    Ok(())
}

/// Sets the owner PIN: the first time anyone asks for an owner action, or in owner mode.
#[tauri::command]
pub async fn set_owner_pin<R: tauri::Runtime>(app: tauri::AppHandle<R>, pin: String) -> Result<()> {
    use tauri::Manager;
    tauri::async_runtime::spawn_blocking(move || app.state::<AppState>().owner.set_pin(&pin))
        .await
        .map_err(|e| CommandError::new("owner", e.to_string()))??;
    Ok(())
}

/// Closes owner mode.
#[tauri::command]
pub fn owner_lock(state: State<'_, AppState>) {
    state.owner.lock();
}
