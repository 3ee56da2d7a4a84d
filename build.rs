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
    "attention",
    "acknowledge",
    "register_qr",
    "find_products",
    "demo_customer",
    "open_customer_display",
    "list_products",
    "save_product",
    "delete_product",
    "import_products_csv",
    "export_products_csv",
    "account_status",
    "save_token",
    "forget_token",
    "save_webhook_secret",
    "get_settings",
    "save_settings",
    "list_stores",
    "list_pos",
    "create_store",
    "create_pos",
    "choose_pos",
    "switch_mode",
    "list_sales",
    "sale_story",
    "refund",
    "export_day_csv",
    "day_summary",
    "reconcile",
    "save_register_qr",
    "counter_sign",
    "save_counter_sign",
    "save_mercado_pago_sign",
];

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(COMMANDS);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest)).expect("tauri build step failed");
}
