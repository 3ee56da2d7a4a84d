//! The Tauri shell: commands, events and windows. The only module that imports `tauri`; it
//! translates between the webview and the core and holds no business rules.

mod commands;
mod paths;

use tauri::{Builder, Runtime};
use tokio::sync::broadcast;

pub use commands::{AppInfo, UiEvent};
pub use paths::AppPaths;

/// What the commands share: the app's folders, its mode and the event stream.
pub struct AppState {
    pub info: AppInfo,
    pub events: broadcast::Sender<UiEvent>,
}

/// Wires commands and state onto a builder. The real app and the command tests (on
/// `tauri::test::mock_builder()`) both go through here.
pub fn build<R: Runtime>(builder: Builder<R>, paths: AppPaths) -> Builder<R> {
    let (events, _) = broadcast::channel(256);
    let info = AppInfo {
        version: env!("CARGO_PKG_VERSION").to_string(),
        data_dir: paths.data.display().to_string(),
        mode: "demo".into(),
    };
    builder
        .manage(AppState { info, events })
        .invoke_handler(tauri::generate_handler![commands::app_info, commands::subscribe])
}

/// Starts the desktop app.
pub fn run() {
    let paths = AppPaths::from_env_or_platform();
    let _log_guard = paths.init_logging();
    tracing::info!(version = env!("CARGO_PKG_VERSION"), data = %paths.data.display(), "starting");
    let app = build(tauri::Builder::default(), paths)
        .setup(|app| {
            tauri::WebviewWindowBuilder::new(app, "main", tauri::WebviewUrl::App("index.html".into()))
                .title("QR Cashier")
                .inner_size(1180.0, 760.0)
                .min_inner_size(900.0, 600.0)
                .build()?;
            Ok(())
        })
        .build(tauri::generate_context!())
        .expect("the window system could not start");
    app.run(|_, _| {});
}
