//! The real command wiring (`desktop::build`) on Tauri's mock runtime, on a demo counter: the
//! same path the page's `invoke` takes, without a window.

use std::time::Duration;

use qr_cashier::counter::Counter;
use qr_cashier::desktop::{self, AppPaths, AppState};
use qr_cashier::settings::{ApiChoice, Settings};
use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewWindow, WebviewWindowBuilder};

pub struct Shell {
    pub _app: App<MockRuntime>,
    pub window: WebviewWindow<MockRuntime>,
    pub home: tempfile::TempDir,
}

/// Where the app's own page is served from, as the webview reports it when it invokes a command:
/// Tauri's custom protocol, which WebView2 on Windows reaches as `http://tauri.localhost`. A
/// command invoked from any other address is not the app's page and is refused.
const APP_URL: &str = if cfg!(windows) {
    "http://tauri.localhost"
} else {
    "tauri://localhost"
};

/// The owner PIN the test shells set.
pub const OWNER_PIN: &str = "2468";

impl Shell {
    pub fn demo(site: &str) -> Shell {
        Self::demo_on(site, ApiChoice::Auto)
    }

    /// A demo counter of `site` whose sales speak `api`, the owner's PIN set and owner mode open.
    pub fn demo_on(site: &str, api: ApiChoice) -> Shell {
        let shell = Self::demo_as_cashier(site, api);
        // The store owner is at the counter (the owner's door is tested on its own, locked).
        shell.invoke("set_owner_pin", json!({ "pin": OWNER_PIN })).unwrap();
        shell
    }

    /// A demo counter as it first starts: no owner PIN chosen yet.
    pub fn demo_as_cashier(site: &str, api: ApiChoice) -> Shell {
        let home = tempfile::tempdir().unwrap();
        let paths = AppPaths::under(home.path().to_path_buf());
        let settings = Settings {
            demo_site: site.into(),
            api,
            ..Settings::default()
        };
        // The counter's tasks live on Tauri's own runtime, as in the app.
        let counter = tauri::async_runtime::block_on(Counter::start_demo(&paths, &settings)).unwrap();
        let state = AppState::new(paths, settings, counter, Vec::new());
        let app = desktop::build(mock_builder(), state)
            .build(mock_context(noop_assets()))
            .unwrap();
        let window = WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .unwrap();
        Shell {
            _app: app,
            window,
            home,
        }
    }

    pub fn invoke(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        self.invoke_from(APP_URL, cmd, args)
    }

    /// A command as a page at `url` would invoke it.
    pub fn invoke_from(&self, url: &str, cmd: &str, args: Value) -> Result<Value, Value> {
        get_ipc_response(
            &self.window,
            InvokeRequest {
                cmd: cmd.into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                url: url.parse().unwrap(),
                body: InvokeBody::Json(args),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .map(|body| body.deserialize::<Value>().unwrap())
    }

    /// Charges `lines` and waits until the order is on the POS; returns the sale then.
    pub fn charge(&self, lines: Value) -> Value {
        let sale = self.invoke("charge", json!({ "lines": lines })).unwrap();
        assert_eq!(sale["state"], "creating", "a charge is journaled first: {sale}");
        self.until_sale("the order on the POS", |s| s["state"] == "waiting")
    }

    /// Waits until the open sale (or its absence) satisfies `ok`.
    pub fn until_sale(&self, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
        for _ in 0..200 {
            let sale = self.invoke("current_sale", json!({})).unwrap();
            if ok(&sale) {
                return sale;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("never: {what}");
    }
}

pub fn line(title: &str, price: &str, quantity: i64) -> Value {
    json!({ "sku": null, "title": title, "unitPrice": price, "quantity": quantity })
}

#[test]
fn app_info_reports_version_data_folder_and_mode() {
    let shell = Shell::demo("MLA");
    let info = shell.invoke("app_info", json!({})).unwrap();
    assert_eq!(info["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(info["dataDir"], shell.home.path().join("data").display().to_string());
    assert_eq!(info["mode"], "demo");
    assert_eq!(info["currency"], "ARS");
    assert_eq!(info["posName"], "Caja 1");
}

#[test]
fn unknown_commands_are_refused() {
    let shell = Shell::demo("MLA");
    assert!(shell.invoke("read_token", json!({})).is_err());
}

/// The app's commands answer its own page, at the address the platform's webview serves it from
/// (WebView2 on Windows: `http://tauri.localhost`), and no other page.
#[test]
fn only_the_apps_own_page_reaches_its_commands() {
    let shell = Shell::demo("MLA");
    assert_eq!(shell.invoke("app_info", json!({})).unwrap()["mode"], "demo");
    for elsewhere in [
        "https://evil.example/",
        "http://localhost:8080/",
        "https://tauri.localhost.evil.example/",
    ] {
        let refused = shell.invoke_from(elsewhere, "app_info", json!({}));
        assert!(refused.is_err(), "{elsewhere} reached a command: {refused:?}");
    }
}

#[test]
fn quotes_are_exact_and_written_for_the_country() {
    let shell = Shell::demo("MLA");
    let q = shell
        .invoke(
            "quote",
            json!({ "lines": [line("Café", "0.10", 1), line("Pan", "0.20", 1), line("Yerba", "1234.50", 2)] }),
        )
        .unwrap();
    assert_eq!(q["total"], "$ 2.469,30");
    assert_eq!(q["lineTotals"][2], "$ 2.469,00");
    let chile = Shell::demo("MLC");
    let q = chile
        .invoke("quote", json!({ "lines": [line("Pan", "1234", 1)] }))
        .unwrap();
    assert_eq!(q["total"], "$ 1.234");
}

#[test]
fn a_full_demo_sale_through_the_commands() {
    let shell = Shell::demo("MLA");
    let products = shell.invoke("find_products", json!({ "query": "yerba" })).unwrap();
    let p = &products[0];
    let sale = shell.charge(json!([{ "sku": p["sku"], "title": p["name"], "unitPrice": p["price"], "quantity": 2 }]));
    assert_eq!(sale["state"], "waiting");
    assert_eq!(sale["total"], "$ 7.000,00");
    let qr = shell.invoke("register_qr", json!({})).unwrap();
    assert!(qr.as_str().unwrap().starts_with("data:image/png;base64,"));
    let saved = shell.invoke("save_register_qr", json!({})).unwrap();
    let png = std::fs::read(saved.as_str().unwrap()).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    assert!(std::path::Path::new(saved.as_str().unwrap()).ends_with("exports/qr-CAJA1.png"));
    let sign = shell.invoke("counter_sign", json!({})).unwrap();
    assert!(sign.as_str().unwrap().starts_with("data:image/png;base64,"));
    let saved = shell.invoke("save_counter_sign", json!({})).unwrap();
    assert!(std::path::Path::new(saved.as_str().unwrap()).ends_with("exports/sign-CAJA1.png"));
    let sign = std::fs::read(saved.as_str().unwrap()).unwrap();
    assert_eq!(
        crate::qr::qr_in(&sign),
        crate::qr::qr_in(&png),
        "the sign carries the register's own QR"
    );
    let saved = shell.invoke("save_mercado_pago_sign", json!({})).unwrap();
    assert!(std::path::Path::new(saved.as_str().unwrap()).ends_with("exports/mercado-pago-sign-CAJA1.pdf"));
    let pdf = String::from_utf8(std::fs::read(saved.as_str().unwrap()).unwrap()).unwrap();
    let register = crate::qr::qr_in(&png).pop().unwrap();
    assert!(pdf.starts_with("%PDF-") && pdf.contains(&register), "{pdf}");
    shell.invoke("demo_customer", json!({ "action": "pay" })).unwrap();
    // Paid: the pay panel keeps showing it until the cashier starts a new sale.
    let paid = shell.until_sale("paid", |s| s["state"] == "paid");
    assert_eq!(
        (paid["collected"].as_str(), paid["outcome"]["kind"].as_str()),
        (Some("$ 7.000,00"), Some("paid"))
    );
    shell.invoke("acknowledge", json!({ "saleId": sale["id"] })).unwrap();
    shell.until_sale("seen", |s| s.is_null());
    let e = shell.invoke("cancel", json!({ "saleId": sale["id"] })).unwrap_err();
    assert_eq!(e["kind"], "not_cancellable");
    assert_eq!(e["state"], "paid");
}

#[test]
fn the_catalog_is_edited_imported_and_exported() {
    let shell = Shell::demo("MLA");
    let saved = shell
        .invoke(
            "save_product",
            json!({ "sku": "123456", "name": "Fernet 750 ml", "price": "8900.5" }),
        )
        .unwrap();
    assert_eq!(saved["priceText"], "$ 8.900,50");
    let e = shell
        .invoke("save_product", json!({ "sku": "12 34", "name": "x", "price": "1" }))
        .unwrap_err();
    assert_eq!(
        (e["kind"].as_str(), e["reason"].as_str()),
        (Some("product"), Some("bad_sku"))
    );
    let e = shell
        .invoke("save_product", json!({ "sku": "1", "name": "x", "price": "NaN" }))
        .unwrap_err();
    assert_eq!(
        (e["reason"].as_str(), e["ambiguous"].as_bool()),
        (Some("bad_price"), Some(false))
    );
    let e = shell
        .invoke("save_product", json!({ "sku": "1", "name": "x", "price": "1,500" }))
        .unwrap_err();
    assert_eq!(
        (e["reason"].as_str(), e["ambiguous"].as_bool()),
        (Some("bad_price"), Some(true))
    );
    let comma = shell
        .invoke(
            "save_product",
            json!({ "sku": "2", "name": "Vino", "price": "1.234,50" }),
        )
        .unwrap();
    assert_eq!(
        (comma["price"].as_str(), comma["priceText"].as_str()),
        (Some("1234.50"), Some("$ 1.234,50"))
    );
    let before = shell
        .invoke("list_products", json!({}))
        .unwrap()
        .as_array()
        .unwrap()
        .len();
    let bad = shell
        .invoke(
            "import_products_csv",
            json!({ "text": "sku,name,price\n9,Ok,1\n10,,2\n" }),
        )
        .unwrap_err();
    assert_eq!(bad["kind"], "import");
    assert_eq!(bad["rows"][0]["row"], 3);
    assert_eq!(
        shell
            .invoke("list_products", json!({}))
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        before,
        "nothing imported"
    );
    let n = shell
        .invoke(
            "import_products_csv",
            json!({ "text": "sku,name,price\n9,Soda,150\n10,Hielo,300.25\n" }),
        )
        .unwrap();
    assert_eq!(n, 2);
    let path = shell.invoke("export_products_csv", json!({})).unwrap();
    let csv = std::fs::read_to_string(path.as_str().unwrap()).unwrap();
    assert!(
        csv.starts_with("sku,name,price,unit\n")
            && csv.contains("10,Hielo,300.25,unit\n")
            && csv.contains("123456,Fernet 750 ml,8900.50,unit\n")
            && csv.contains("00101,Queso de máquina,8900.00,kg\n"),
        "{csv}"
    );
    let found = shell.invoke("find_products", json!({ "query": "hiel" })).unwrap();
    assert_eq!(found[0]["sku"], "10");
}

/// Escape while the screen says "Sending the order to the register…": the create is slow (it
/// takes longer than the cashier waits), the cancel command runs while it is on its way. It
/// used to end the process (a synchronous command spawning on Tokio from the main thread).
/// The sale ends cancelled and nothing is left on the POS, on either API.
#[test]
fn cancelling_while_the_order_is_being_sent_keeps_the_app_running() {
    for (api, route) in [
        (ApiChoice::Legacy, "create_order"),
        (ApiChoice::Orders, "orders_create"),
    ] {
        cancel_while_sending(api, route);
    }
}

fn cancel_while_sending(api: ApiChoice, route: &str) {
    use qr_cashier::desktop::AppState;
    use qr_cashier::sandbox::{Fault, FaultRule};
    use tauri::Manager;
    let shell = Shell::demo_on("MLA", api);
    let counter = shell.window.state::<AppState>().counter();
    let sandbox = counter.sandbox.as_ref().unwrap();
    sandbox.add_fault(FaultRule::next(route, Fault::Delay { ms: 1500 }, 1));
    let sale = shell
        .invoke("charge", json!({ "lines": [line("Yerba", "3500", 1)] }))
        .unwrap();
    assert_eq!(sale["state"], "creating");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !sandbox.requests().iter().any(|r| r.route == route) {
        assert!(std::time::Instant::now() < deadline, "{route} was never sent");
        std::thread::sleep(Duration::from_millis(10));
    }
    let cancelling = shell.invoke("cancel", json!({ "saleId": sale["id"] })).unwrap();
    assert_eq!(cancelling["state"], "cancelling");
    // Pressed again: the same answer, nothing more.
    assert_eq!(
        shell.invoke("cancel", json!({ "saleId": sale["id"] })).unwrap()["state"],
        "cancelling"
    );
    let ended = shell.until_sale("cancelled", |s| s["state"] == "cancelled");
    assert_eq!(ended["outcome"]["kind"], "ended");
    let pos = counter.station.pos_id.unwrap();
    assert!(
        sandbox.world().order_on(pos).is_none(),
        "nothing payable left on the POS"
    );
    assert!(shell.invoke("app_info", json!({})).is_ok(), "the app goes on");
}

/// Quick-add `40000000000000000000000000000`, then a quantity of 12: the line's total does not
/// fit in a decimal at all. It used to end the process (a panicking multiplication); now the
/// cashier is told the total is too large, and nothing is journaled.
#[test]
fn an_absurd_price_times_a_quantity_is_refused_in_words() {
    let shell = Shell::demo("MLA");
    let huge = "40000000000000000000000000000";
    for lines in [
        json!([line("Caro", huge, 12)]),
        json!([line("Caro", huge, 1), line("Caro", huge, 1)]),
        json!([line("Caro", "79228162514264337593543950335", 1), line("Pan", "1", 1)]),
    ] {
        for cmd in ["quote", "charge"] {
            // A quote answers with what a charge would refuse.
            let e = match cmd {
                "quote" => shell.invoke(cmd, json!({ "lines": lines })).unwrap()["error"].clone(),
                _ => shell.invoke(cmd, json!({ "lines": lines })).unwrap_err(),
            };
            assert_eq!(
                (e["kind"].as_str(), e["reason"].as_str()),
                (Some("cart"), Some("total_too_large")),
                "{cmd} {e}"
            );
            assert!(
                e["message"].as_str().unwrap().contains("too much for one QR sale"),
                "{e}"
            );
        }
    }
    assert!(
        shell.invoke("current_sale", json!({})).unwrap().is_null(),
        "no sale journaled"
    );
    // The cart with a sane line still prices.
    let q = shell
        .invoke("quote", json!({ "lines": [line("Pan", "1500", 12)] }))
        .unwrap();
    assert_eq!(q["total"], "$ 18.000,00");
}
