//! The Tauri shell: commands, events and windows. The only module that imports `tauri`; it
//! translates between the webview and the core and holds no business rules.

mod commands;
mod error;
mod print_commands;
mod store_commands;
mod till_commands;

use std::sync::{Arc, RwLock};
use std::time::Duration;

use tauri::{Builder, Manager, Runtime};

pub use commands::{AppInfo, Notice, UiEvent};
pub use error::CommandError;

use crate::counter::{Counter, StartError};
pub use crate::paths::AppPaths;
use crate::sale::{Journal, JournalError};
use crate::settings::Settings;
use crate::vault::Vault;

/// What the commands share.
pub struct AppState {
    pub paths: AppPaths,
    pub vault: Vault,
    /// The store owner's PIN and owner mode.
    pub owner: crate::owner::Owner,
    settings: RwLock<Settings>,
    notices: RwLock<Vec<Notice>>,
    counter: RwLock<Arc<Counter>>,
}

impl AppState {
    pub fn new(paths: AppPaths, settings: Settings, counter: Counter, notices: Vec<Notice>) -> Self {
        AppState {
            vault: vault_for(&paths),
            owner: crate::owner::Owner::open(&paths.config),
            paths,
            settings: RwLock::new(settings),
            notices: RwLock::new(notices),
            counter: RwLock::new(Arc::new(counter)),
        }
    }

    pub fn counter(&self) -> Arc<Counter> {
        self.counter.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn settings(&self) -> Settings {
        self.settings.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn notices(&self) -> Vec<Notice> {
        self.notices.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Changes the settings and writes them to the config folder.
    pub fn update_settings(
        &self,
        change: impl FnOnce(&mut Settings),
    ) -> Result<Settings, crate::settings::SettingsError> {
        let mut s = self.settings.write().unwrap_or_else(|e| e.into_inner());
        let mut next = s.clone();
        change(&mut next);
        next.save(&self.paths.config)?;
        *s = next.clone();
        Ok(next)
    }

    /// Puts a new counter in place (demo or account); the page reloads to follow it.
    /// The counter that gave way stops watching its sales (the journal keeps them; they are
    /// resumed when that mode runs again).
    pub fn replace_counter(&self, counter: Counter) {
        let old = std::mem::replace(
            &mut *self.counter.write().unwrap_or_else(|e| e.into_inner()),
            Arc::new(counter),
        );
        old.register.shutdown();
        self.notices.write().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

/// The keyring entry of this register: one per data folder when `QR_CASHIER_HOME` is set.
fn vault_for(paths: &AppPaths) -> Vault {
    match std::env::var_os("QR_CASHIER_HOME") {
        Some(_) => Vault::new(Some(&paths.data.display().to_string())),
        None => Vault::new(None),
    }
}

/// Wires commands and state onto a builder. The real app and the command tests (on
/// `tauri::test::mock_builder()`) both go through here.
pub fn build<R: Runtime>(builder: Builder<R>, state: AppState) -> Builder<R> {
    builder.manage(state).invoke_handler(tauri::generate_handler![
        commands::app_info,
        commands::subscribe,
        commands::quote,
        commands::read_amount,
        commands::charge,
        commands::cancel,
        commands::check_now,
        commands::current_sale,
        commands::attention,
        commands::acknowledge,
        commands::register_qr,
        commands::find_products,
        commands::scan_label,
        commands::demo_customer,
        commands::open_customer_display,
        commands::list_products,
        commands::save_product,
        commands::delete_product,
        commands::import_products_csv,
        commands::export_products_csv,
        store_commands::account_status,
        store_commands::save_token,
        store_commands::forget_token,
        store_commands::save_webhook_secret,
        store_commands::get_settings,
        store_commands::save_settings,
        store_commands::list_stores,
        store_commands::list_pos,
        store_commands::create_store,
        store_commands::create_pos,
        store_commands::choose_pos,
        store_commands::switch_mode,
        store_commands::list_sales,
        store_commands::sale_story,
        store_commands::refund,
        store_commands::export_day_csv,
        store_commands::day_summary,
        store_commands::reconcile,
        store_commands::save_register_qr,
        store_commands::counter_sign,
        store_commands::save_counter_sign,
        store_commands::save_mercado_pago_sign,
        store_commands::owner_status,
        store_commands::owner_unlock,
        store_commands::set_owner_pin,
        store_commands::owner_lock,
        till_commands::cash_quote,
        till_commands::cash_due,
        till_commands::charge_cash,
        till_commands::till_status,
        till_commands::open_till,
        till_commands::move_cash,
        till_commands::close_till,
        till_commands::z_report,
        till_commands::list_tills,
        till_commands::export_z_csv,
        print_commands::ticket,
        print_commands::print_ticket,
        print_commands::print_z,
        print_commands::test_print,
        print_commands::save_counter_settings,
        print_commands::save_pdf,
    ])
}

/// Picks the mode: the saved account when the keyring holds a token and the register is set
/// up, else the demo; says why when it had to fall back.
pub async fn start_counter(paths: &AppPaths, settings: &Settings) -> (Counter, Vec<Notice>) {
    let vault = vault_for(paths);
    // A keyring that does not answer must not keep the counter closed.
    let token = tokio::time::timeout(
        Duration::from_secs(5),
        tokio::task::spawn_blocking(move || {
            let token = vault.load()?;
            let secret = vault.webhook_secret().load().unwrap_or(None);
            Ok::<_, crate::vault::VaultError>(token.map(|t| (t, secret)))
        }),
    )
    .await;
    let mut notices = Vec::new();
    match token {
        Ok(Ok(Ok(Some((token, secret))))) => match Counter::start_live(paths, settings, token, secret).await {
            Ok(c) => return (c, notices),
            Err(e) => notices.push(Notice::new("account_failed", e.to_string())),
        },
        Ok(Ok(Ok(None))) => {}
        Ok(Ok(Err(e))) => notices.push(Notice::of_keyring(&e)),
        Ok(Err(e)) => notices.push(Notice::new("keyring_unavailable", e.to_string())),
        Err(_) => notices.push(Notice::new("keyring_silent", "")),
    }
    let counter = start_demo_on_any_journal(paths, settings, &mut notices).await;
    (counter, notices)
}

/// The demo holds no real money, so a journal it cannot use does not keep the counter closed:
/// a damaged one is set aside for support and a new one started; one that cannot be written
/// (a read-only or full disk, the path taken) gives way to a temporary folder for this session.
/// The cashier is told either way.
async fn start_demo_on_any_journal(paths: &AppPaths, settings: &Settings, notices: &mut Vec<Notice>) -> Counter {
    let mut paths = paths.clone();
    match Counter::start_demo(&paths, settings).await {
        Ok(c) => return c,
        Err(StartError::Journal(JournalError::Corrupt(detail))) => {
            let kept = Journal::set_aside(&Counter::demo_journal(&paths), chrono::Utc::now())
                .unwrap_or_else(|e| panic!("the demo's damaged journal could not be set aside: {e}"));
            tracing::error!(%detail, kept = %kept.display(), "the demo's journal is damaged: set aside");
            notices.push(Notice::new("demo_journal_set_aside", kept.display().to_string()));
        }
        Err(StartError::Journal(e)) => {
            paths.data = std::env::temp_dir().join(format!("qr-cashier-{}", std::process::id()));
            tracing::error!(error = %e, temporary = %paths.data.display(), "the demo's journal cannot be used");
            notices.push(Notice::new("demo_journal_temporary", e.to_string()));
        }
        Err(e) => panic!("the demo could not start: {e}"),
    }
    Counter::start_demo(&paths, settings)
        .await
        .unwrap_or_else(|e| panic!("the demo could not start: {e}"))
}

/// Starts the desktop app.
pub fn run() {
    let paths = AppPaths::from_env_or_platform();
    paths.init_logging();
    log_panics();
    tracing::info!(version = env!("CARGO_PKG_VERSION"), data = %paths.data.display(), "starting");
    let mut settings = Settings::load(&paths.config).unwrap_or_else(|e| {
        tracing::error!(error = %e, "using default settings");
        Settings::default()
    });
    // The demo's country, for trying the app (and testing it) as a store elsewhere would; and
    // the API, forced as the Settings option does.
    if let Ok(site) = std::env::var("QR_CASHIER_DEMO_SITE") {
        settings.demo_site = site;
    }
    if let Some(api) = std::env::var("QR_CASHIER_API")
        .ok()
        .and_then(|a| crate::settings::ApiChoice::parse(&a))
    {
        settings.api = api;
    }
    let (counter, notices) = tauri::async_runtime::block_on(start_counter(&paths, &settings));
    for n in &notices {
        tracing::warn!(kind = n.kind, detail = %n.detail, "started with a notice");
    }
    let state = AppState::new(paths, settings, counter, notices);
    let mut builder = tauri::Builder::default();
    // One register per user session: a second start brings the first one forward. With
    // QR_CASHIER_HOME each folder is a register of its own and may run beside another.
    if std::env::var_os("QR_CASHIER_HOME").is_none() {
        builder = builder
            .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
                if let Some(w) = app.get_webview_window("main") {
                    let _ = w.unminimize();
                    let _ = w.set_focus();
                }
            }))
            .plugin(tauri_plugin_window_state::Builder::default().build());
    }
    build(builder, state)
        .setup(|app| {
            let window = tauri::WebviewWindowBuilder::new(app, "main", tauri::WebviewUrl::App("index.html".into()))
                .title("QR Cashier")
                .inner_size(1280.0, 800.0)
                .min_inner_size(1024.0, 640.0)
                .build();
            match window {
                Ok(w) => {
                    let _ = w.set_focus();
                }
                Err(e) => {
                    // No window to say it in (on Windows: WebView2 missing or broken). The log
                    // and a message box say it, and the app ends instead of running unseen.
                    tracing::error!(error = %e, "the window could not open");
                    no_window(&e.to_string());
                    app.handle().exit(1);
                }
            }
            Ok(())
        })
        .run(tauri::generate_context!())
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "the window system could not start");
            no_window(&e.to_string());
            std::process::exit(1);
        });
}

/// A panic anywhere (a thread of the core, the window's own) goes to the log too: on Windows the
/// app has no console, and support reads the log.
fn log_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        tracing::error!(panic = %info, "the app stopped on an error");
        default(info);
    }));
}

const NO_WINDOW: &str = "QR Cashier no pudo abrir su ventana. / O QR Cashier não conseguiu abrir sua janela. / QR Cashier could not open its window.\n\n\
Windows: instalá / instale / install Microsoft Edge WebView2 Runtime:\nhttps://developer.microsoft.com/microsoft-edge/webview2/";

/// Tells the person at the PC that the app cannot open its window.
fn no_window(error: &str) {
    eprintln!("{NO_WINDOW}\n\n{error}");
    #[cfg(windows)]
    {
        #[link(name = "user32")]
        extern "system" {
            fn MessageBoxW(window: *mut std::ffi::c_void, text: *const u16, caption: *const u16, kind: u32) -> i32;
        }
        let wide = |s: &str| s.encode_utf16().chain(std::iter::once(0)).collect::<Vec<u16>>();
        let (text, caption) = (wide(&format!("{NO_WINDOW}\n\n({error})")), wide("QR Cashier"));
        const MB_ICONERROR: u32 = 0x10;
        // SAFETY: both strings are NUL-terminated UTF-16 and outlive the call; no owner window.
        unsafe { MessageBoxW(std::ptr::null_mut(), text.as_ptr(), caption.as_ptr(), MB_ICONERROR) };
    }
}
