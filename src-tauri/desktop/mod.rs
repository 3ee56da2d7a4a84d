//! The Tauri shell: commands, events and windows. The only module that imports `tauri`; it
//! translates between the webview and the core and holds no business rules.

mod commands;
mod error;

use std::sync::{Arc, RwLock};
use std::time::Duration;

use tauri::{Builder, Manager, Runtime};

pub use commands::{AppInfo, UiEvent};
pub use error::CommandError;

use crate::counter::Counter;
pub use crate::paths::AppPaths;
use crate::settings::Settings;
use crate::vault::Vault;

/// What the commands share.
pub struct AppState {
    pub paths: AppPaths,
    pub settings: Settings,
    pub notice: Option<String>,
    counter: RwLock<Arc<Counter>>,
}

impl AppState {
    pub fn new(paths: AppPaths, settings: Settings, counter: Counter, notice: Option<String>) -> Self {
        AppState {
            paths,
            settings,
            notice,
            counter: RwLock::new(Arc::new(counter)),
        }
    }

    pub fn counter(&self) -> Arc<Counter> {
        self.counter.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Wires commands and state onto a builder. The real app and the command tests (on
/// `tauri::test::mock_builder()`) both go through here.
pub fn build<R: Runtime>(builder: Builder<R>, state: AppState) -> Builder<R> {
    builder.manage(state).invoke_handler(tauri::generate_handler![
        commands::app_info,
        commands::subscribe,
        commands::quote,
        commands::charge,
        commands::cancel,
        commands::check_now,
        commands::current_sale,
        commands::register_qr,
        commands::find_products,
        commands::demo_customer,
        commands::open_customer_display,
        commands::list_products,
        commands::save_product,
        commands::delete_product,
        commands::import_products_csv,
        commands::export_products_csv,
    ])
}

/// Picks the mode: the saved account when the keyring holds a token and the register is set
/// up, else the demo; says why when it had to fall back.
pub async fn start_counter(paths: &AppPaths, settings: &Settings) -> (Counter, Option<String>) {
    let vault = Vault::new(std::env::var("QR_CASHIER_HOME").ok().as_deref());
    // A keyring that does not answer must not keep the counter closed.
    let token = tokio::time::timeout(
        Duration::from_secs(5),
        tokio::task::spawn_blocking(move || vault.load()),
    )
    .await;
    let mut notice = None;
    match token {
        Ok(Ok(Ok(Some(token)))) => match Counter::start_live(paths, settings, token).await {
            Ok(c) => return (c, None),
            Err(e) => notice = Some(format!("demo mode: the saved account could not start ({e})")),
        },
        Ok(Ok(Ok(None))) => {}
        Ok(Ok(Err(e))) => notice = Some(e.to_string()),
        Ok(Err(e)) => notice = Some(format!("the keyring could not be read: {e}")),
        Err(_) => notice = Some("the keyring did not answer: demo mode".into()),
    }
    match Counter::start_demo(paths, settings).await {
        Ok(c) => (c, notice),
        Err(e) => panic!("the demo could not start: {e}"),
    }
}

/// Starts the desktop app.
pub fn run() {
    let paths = AppPaths::from_env_or_platform();
    let _log_guard = paths.init_logging();
    tracing::info!(version = env!("CARGO_PKG_VERSION"), data = %paths.data.display(), "starting");
    let mut settings = Settings::load(&paths.config).unwrap_or_else(|e| {
        tracing::error!(error = %e, "using default settings");
        Settings::default()
    });
    // The demo's country, for trying the app (and testing it) as a store elsewhere would.
    if let Ok(site) = std::env::var("QR_CASHIER_DEMO_SITE") {
        settings.demo_site = site;
    }
    let (counter, notice) = tauri::async_runtime::block_on(start_counter(&paths, &settings));
    if let Some(n) = &notice {
        tracing::warn!(notice = %n, "started with a notice");
    }
    let state = AppState::new(paths, settings, counter, notice);
    let app = build(tauri::Builder::default(), state)
        .setup(|app| {
            tauri::WebviewWindowBuilder::new(app, "main", tauri::WebviewUrl::App("index.html".into()))
                .title("QR Cashier")
                .inner_size(1180.0, 760.0)
                .min_inner_size(900.0, 600.0)
                .build()?;
            let _ = app.get_webview_window("main").map(|w| w.set_focus());
            Ok(())
        })
        .build(tauri::generate_context!())
        .expect("the window system could not start");
    app.run(|_, _| {});
}
