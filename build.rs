/// The app's commands: each gets an `allow-<command>` permission, and the capability files
/// grant each window exactly the ones it needs.
const COMMANDS: &[&str] = &[
    "app_info",
    "subscribe",
    "quote",
    "charge",
    "cancel",
    "check_now",
    "current_sale",
    "register_qr",
    "find_products",
    "demo_customer",
    "open_customer_display",
    "list_products",
    "save_product",
    "delete_product",
    "import_products_csv",
    "export_products_csv",
];

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(COMMANDS);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest)).expect("tauri build step failed");
}
