//! The real command wiring (`desktop::build`) on Tauri's mock runtime.

use qr_cashier::desktop::{self, AppPaths};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::WebviewWindowBuilder;

fn invoke(
    webview: &tauri::WebviewWindow<tauri::test::MockRuntime>,
    cmd: &str,
    args: serde_json::Value,
) -> Result<serde_json::Value, serde_json::Value> {
    get_ipc_response(
        webview,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|body| body.deserialize::<serde_json::Value>().unwrap())
}

#[test]
fn app_info_reports_version_data_folder_and_mode() {
    let home = tempfile::tempdir().unwrap();
    let app = desktop::build(mock_builder(), AppPaths::under(home.path().to_path_buf()))
        .build(mock_context(noop_assets()))
        .unwrap();
    let webview = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();
    let info = invoke(&webview, "app_info", serde_json::json!({})).unwrap();
    assert_eq!(info["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(info["dataDir"], home.path().join("data").display().to_string());
    assert_eq!(info["mode"], "demo");
}

#[test]
fn unknown_commands_are_refused() {
    let home = tempfile::tempdir().unwrap();
    let app = desktop::build(mock_builder(), AppPaths::under(home.path().to_path_buf()))
        .build(mock_context(noop_assets()))
        .unwrap();
    let webview = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();
    assert!(invoke(&webview, "read_token", serde_json::json!({})).is_err());
}
