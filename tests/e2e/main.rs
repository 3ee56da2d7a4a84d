//! End-to-end tests in the real app window, through WebDriver, on the built-in demo.

mod bench;
mod counter;
#[path = "../common/escpos.rs"]
mod escpos;
mod installed;
mod money;
#[path = "../common/qr.rs"]
mod qr;
mod store;
mod support;

use support::{App, Home, ENTER};

#[tokio::test]
async fn window_shows_the_version_from_rust_and_the_event_from_the_background_task() {
    let app = App::start().await;
    assert_eq!(app.client.title().await.unwrap(), "QR Cashier");
    let version = app.wait_text("version", |t| !t.is_empty()).await;
    assert_eq!(version, format!("v{}", env!("CARGO_PKG_VERSION")));
    // Where the data lives is for support: in Settings, under Advanced, not on the counter.
    let data_dir = app
        .find("data-dir")
        .await
        .prop("textContent")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(data_dir.starts_with(app.home.path().to_str().unwrap()), "{data_dir}");
    assert!(
        !app.find("data-dir").await.is_displayed().await.unwrap(),
        "the cashier's screen shows no paths"
    );
    app.wait_attr("link-status", "data-state", "ok").await;
    app.screenshot("start").await;
    app.stop().await;
}

#[tokio::test]
async fn a_full_demo_sale_paid_from_the_customer_phone() {
    let app = App::start().await;
    app.english().await;
    assert!(
        app.find("mode").await.is_displayed().await.unwrap(),
        "the demo badge shows"
    );
    app.type_into("scan", &format!("yerba{ENTER}")).await;
    app.wait_text("line-title-1", |t| t == "Yerba mate 1 kg").await;
    app.type_into("scan", &format!("7790040000035{ENTER}")).await;
    app.wait_text("line-title-2", |t| t == "Alfajor de chocolate").await;
    app.wait_text("cart-total", |t| t == "$ 4.350,00").await;
    app.screenshot("cart").await;
    app.click("charge").await;
    app.wait_text("pay-total", |t| t == "$ 4.350,00").await;
    app.wait_text("sale-status", |t| t.contains("Waiting for the customer"))
        .await;
    assert!(app
        .find("qr")
        .await
        .attr("src")
        .await
        .unwrap()
        .unwrap()
        .starts_with("data:image/png;base64,"));
    app.screenshot("waiting").await;
    app.click("phone-pay").await;
    app.wait_attr("pay-screen", "data-state", "paid").await;
    assert_eq!(app.find("sale-status").await.text().await.unwrap(), "Paid!");
    app.screenshot("paid").await;
    app.click("new-sale").await;
    app.wait_text("cart-empty", |t| t.contains("empty")).await;
    app.demo_money_agrees().await;
    app.stop().await;
}

/// On the attended model (the Orders API shows no refused attempt: the order just waits).
#[tokio::test]
async fn a_rejected_payment_then_a_paid_one() {
    let app = App::start_with(&[("QR_CASHIER_API", "legacy")]).await;
    app.english().await;
    app.charge_the_demo_yerba().await;
    app.click("phone-reject").await;
    app.wait_attr("pay-screen", "data-state", "rejected").await;
    app.screenshot("rejected").await;
    assert!(app
        .find("sale-status")
        .await
        .text()
        .await
        .unwrap()
        .contains("can try again"));
    app.click("phone-pay").await;
    app.wait_attr("pay-screen", "data-state", "paid").await;
    app.demo_money_agrees().await;
    app.stop().await;
}

#[tokio::test]
async fn a_cancel_and_then_an_expiry() {
    let app = App::start().await;
    app.english().await;
    app.charge_the_demo_yerba().await;
    app.click("cancel").await;
    app.wait_attr("pay-screen", "data-state", "cancelled").await;
    assert_eq!(app.find("sale-status").await.text().await.unwrap(), "Sale cancelled");
    // Charge again keeps the cart: charge it again and let it expire.
    app.click("charge-again").await;
    app.wait_attr("pay-screen", "data-state", "waiting").await;
    app.wait_text("pay-total", |t| t == "$ 3.500,00").await;
    app.click("phone-expire").await;
    app.wait_attr("pay-screen", "data-state", "expired").await;
    app.demo_money_agrees().await;
    app.stop().await;
}

#[tokio::test]
async fn a_scanner_burst_adds_the_product_wherever_the_focus_is() {
    let app = App::start().await;
    app.wait_attr("link-status", "data-state", "ok").await;
    // A person typing the same code, a key every 80 ms (the keys' own times tell them apart):
    // it stays in the description and nothing is added.
    let script = "const [code, gap, done] = arguments; \
        const field = document.querySelector('[data-testid=quick-title]'); field.focus(); \
        const keys = [...code, 'Enter']; let i = 0; \
        const next = () => { const key = keys[i++]; \
          field.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true })); \
          if (key.length === 1) field.value += key; \
          if (i < keys.length) setTimeout(next, gap); else done(field.value); }; \
        next();";
    let typed = app
        .client
        .execute_async(script, vec!["7790580000023".into(), 80.into()])
        .await
        .unwrap();
    assert_eq!(typed, "7790580000023");
    let lines = app
        .client
        .find_all(fantoccini::Locator::Css("[data-testid^=line-title-]"));
    assert!(
        lines.await.unwrap().is_empty(),
        "a person's typing was taken for a scan"
    );
    app.client
        .execute("document.querySelector('[data-testid=quick-title]').value = ''", vec![])
        .await
        .unwrap();
    // Focus in the quick-add description: the scanner types fast and ends with Enter.
    app.type_into("quick-title", &format!("7790580000023{ENTER}")).await;
    app.wait_text("line-title-1", |t| t == "Café molido 250 g").await;
    assert_eq!(app.find("quick-title").await.prop("value").await.unwrap().unwrap(), "");
    assert!(
        app.client
            .find_all(fantoccini::Locator::Css("[data-testid^=line-title-]"))
            .await
            .unwrap()
            .len()
            == 1
    );
    app.stop().await;
}

#[tokio::test]
async fn a_chilean_sale_has_integer_amounts() {
    let app = App::start_with(&[("QR_CASHIER_DEMO_SITE", "MLC")]).await;
    app.english().await;
    app.type_into("scan", &format!("7790387000011{ENTER}")).await;
    app.wait_text("cart-total", |t| t == "$ 3.990").await;
    app.type_into("quick-title", "Bolsa").await;
    app.type_into("quick-price", &format!("99,5{ENTER}")).await;
    app.wait_text("quick-error", |t| t == "This amount allows 0 decimals.")
        .await;
    // In Chile a dot groups thousands: 1.990 is one thousand nine hundred ninety pesos.
    let price = app.find("quick-price").await;
    price.clear().await.unwrap();
    price.send_keys(&format!("1.990{ENTER}")).await.unwrap();
    app.wait_text("cart-total", |t| t == "$ 5.980").await;
    app.click("remove-2").await;
    app.wait_text("cart-total", |t| t == "$ 3.990").await;
    app.click("charge").await;
    app.wait_text("pay-total", |t| t == "$ 3.990").await;
    app.click("phone-pay").await;
    app.wait_attr("pay-screen", "data-state", "paid").await;
    app.demo_money_agrees().await;
    app.stop().await;
}

#[tokio::test]
async fn the_language_can_be_switched() {
    let app = App::start().await;
    for (lang, placeholder, charge) in [
        ("es", "Escaneá o escribí un producto (F2)", "Cobrar (F12)"),
        ("pt", "Escaneie ou digite um produto (F2)", "Cobrar (F12)"),
        ("en", "Scan or type a product (F2)", "Charge (F12)"),
    ] {
        app.choose_language(lang).await;
        assert_eq!(
            app.find("scan").await.attr("placeholder").await.unwrap().unwrap(),
            placeholder
        );
        assert_eq!(app.find("charge").await.text().await.unwrap(), charge);
    }
    app.stop().await;
}

#[tokio::test]
async fn a_validation_error_keeps_the_cart_and_titles_stay_text() {
    let app = App::start().await;
    app.english().await;
    app.type_into("scan", &format!("7790387000011{ENTER}")).await;
    app.wait_text("line-title-1", |t| t == "Yerba mate 1 kg").await;
    app.type_into("quick-title", "<b>bold</b><script>document.title='x'</script>")
        .await;
    // A price that is not an amount is said as it is typed, and nothing is added.
    app.type_into("quick-price", "abc").await;
    app.wait_text("quick-error", |t| t == "“abc” is not an amount.").await;
    app.type_into("quick-price", ENTER).await;
    app.wait_attr("quick-price", "aria-invalid", "true").await;
    assert_eq!(app.find("cart-total").await.text().await.unwrap(), "$ 3.500,00");
    assert!(app
        .client
        .find_all(fantoccini::Locator::Css("[data-testid=line-2]"))
        .await
        .unwrap()
        .is_empty());
    // Fixed, the line goes in with its title as text.
    let price = app.find("quick-price").await;
    price.clear().await.unwrap();
    price.send_keys(&format!("10{ENTER}")).await.unwrap();
    app.wait_text("line-title-2", |t| {
        t == "<b>bold</b><script>document.title='x'</script>"
    })
    .await;
    assert_eq!(app.client.title().await.unwrap(), "QR Cashier");
    app.wait_text("cart-total", |t| t == "$ 3.510,00").await;
    assert!(app.find("charge").await.is_enabled().await.unwrap());
    app.stop().await;
}

#[tokio::test]
async fn a_product_added_in_the_catalog_can_be_scanned() {
    let app = App::start().await;
    app.english().await;
    app.click("open-catalog").await;
    app.type_into("product-sku", "20000001").await;
    app.type_into("product-name", "Mate de calabaza").await;
    app.type_into("product-price", "15000").await;
    app.click("product-save").await;
    app.wait_text("catalog-message", |t| t == "Saved: Mate de calabaza")
        .await;
    app.wait_text("product-20000001", |t| t.contains("$ 15.000,00")).await;
    app.type_into("product-price", "abc").await;
    app.type_into("product-sku", "20000002").await;
    app.type_into("product-name", "Bombilla").await;
    app.click("product-save").await;
    app.wait_text("catalog-message", |t| t.contains("is not a valid ARS amount"))
        .await;
    app.click("catalog-export").await;
    let said = app
        .wait_text("catalog-message", |t| t.starts_with("Exported to "))
        .await;
    let csv = std::fs::read_to_string(said.trim_start_matches("Exported to ")).unwrap();
    assert!(csv.contains("20000001,Mate de calabaza,15000.00"), "{csv}");
    app.click("catalog-close").await;
    app.type_into("scan", &format!("20000001{ENTER}")).await;
    app.wait_text("line-title-1", |t| t == "Mate de calabaza").await;
    app.stop().await;
}

#[tokio::test]
async fn the_customer_display_follows_the_sale() {
    let app = App::start().await;
    app.english().await;
    let (main, customer) = app.open_customer_display().await;
    app.charge_the_demo_yerba().await;
    app.client.switch_to_window(customer.clone()).await.unwrap();
    app.wait_text("customer-store", |t| t == "Almacén Demo").await;
    app.wait_text("customer-demo", |t| t.starts_with("DEMO – ")).await;
    app.wait_text("customer-total", |t| t == "$ 3.500,00").await;
    assert!(app.find("customer-qr").await.is_displayed().await.unwrap());
    app.screenshot("customer-waiting").await;
    app.client.switch_to_window(main).await.unwrap();
    app.click("phone-pay").await;
    app.wait_attr("pay-screen", "data-state", "paid").await;
    app.client.switch_to_window(customer).await.unwrap();
    app.wait_text("customer-outcome", |t| t == "¡Gracias!" || t == "Thank you!")
        .await;
    app.screenshot("customer-paid").await;
    app.demo_money_agrees().await;
    app.stop().await;
}

/// `mp-sandbox` in its own process: the "real" Mercado Pago of the account tests.
pub struct MercadoPago {
    child: std::process::Child,
    pub base_url: String,
    token: String,
}

impl MercadoPago {
    fn start() -> MercadoPago {
        Self::on_site("MLA")
    }

    /// Mercado Pago for an account of `site`.
    fn on_site(site: &str) -> MercadoPago {
        use std::io::BufRead;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_mp-sandbox"))
            .args(["--port", "0", "--site", site])
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let mut value = |key: &str| {
            lines
                .next()
                .unwrap()
                .unwrap()
                .strip_prefix(&format!("{key}="))
                .unwrap()
                .to_owned()
        };
        let base_url = value("base_url");
        let token = value("token");
        // Keep reading what it prints, so it never writes into a closed pipe.
        std::thread::spawn(move || lines.for_each(drop));
        MercadoPago { child, base_url, token }
    }

    async fn get(&self, path: &str) -> serde_json::Value {
        reqwest::Client::new()
            .get(format!("{}{path}", self.base_url))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn post(&self, path: &str, body: serde_json::Value) -> serde_json::Value {
        let r = reqwest::Client::new()
            .post(format!("{}{path}", self.base_url))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        r.json().await.unwrap_or_default()
    }

    /// A register already set up on this account, as an owner's Settings leave it: a store and a
    /// POS `pos` here, the settings file, and the token in the system keyring.
    pub async fn register_home(&self, pos: &str) -> support::Home {
        let user_id: u64 = self.token.rsplit('-').next().unwrap().parse().unwrap();
        let store = self
            .post(
                &format!("/users/{user_id}/stores"),
                serde_json::json!({ "name": "Kiosco Centro", "external_id": format!("S{pos}"), "location": {} }),
            )
            .await;
        let store_id: u64 = store["id"].as_str().unwrap().parse().unwrap();
        let created = self
            .post(
                "/pos",
                serde_json::json!({ "name": "Caja Vivo", "external_id": pos, "store_id": store_id, "fixed_amount": true }),
            )
            .await;
        let home = support::Home::fresh();
        let paths = qr_cashier::paths::AppPaths::under(home.path().to_path_buf());
        let settings = qr_cashier::settings::Settings {
            api_base_url: self.base_url.clone(),
            account: Some(qr_cashier::settings::AccountSettings {
                user_id,
                site_id: "MLA".into(),
                nickname: Some("DEMO_STORE".into()),
            }),
            pos_external_id: Some(pos.into()),
            pos_id: created["id"].as_u64(),
            pos_name: Some("Caja Vivo".into()),
            store_name: Some("Kiosco Centro".into()),
            ..Default::default()
        };
        settings.save(&paths.config).unwrap();
        qr_cashier::vault::Vault::new(Some(&paths.data.display().to_string()))
            .save(&secrecy::SecretString::from(self.token.clone()))
            .expect("the test session's keyring takes the token");
        home
    }
}

impl Drop for MercadoPago {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The store owner's set-up in Settings, on `mp`: the API address, a wrong token refused, the
/// right one kept, a store and a register created and chosen, the counter switched to the
/// account. Returns the POS's id.
async fn a_store_owner_sets_up(app: &App, mp: &MercadoPago, site: &str) -> u64 {
    app.english().await;
    app.open_settings().await;
    app.wait_text("account-status", |t| t.contains("No account")).await;
    // Point the app at this Mercado Pago (a developer's option, under Advanced).
    app.click("advanced-open").await;
    let url = app.find("api-url").await;
    url.clear().await.unwrap();
    url.send_keys(&mp.base_url).await.unwrap();
    app.click("options-save").await;
    app.wait_text("options-message", |t| t.starts_with("Saved")).await;
    // A wrong token is refused and not kept.
    let wrong = format!("TEST-{}-112525-{}-{}", "7".repeat(16), "ab".repeat(16), 123456789);
    app.type_into("token", &format!("{wrong}{ENTER}")).await;
    app.wait_text("account-message", |t| t.contains("refused the access token"))
        .await;
    app.wait_text("account-status", |t| t.contains("No account")).await;
    // The right one shows the account.
    app.type_into("token", &format!("{}{ENTER}", mp.token)).await;
    app.wait_text("account-message", |t| t == "Token saved in the system keyring.")
        .await;
    app.wait_text("account-status", |t| {
        t.contains("DEMO_STORE") && t.contains(site) && t.contains("test token")
    })
    .await;
    assert_eq!(
        app.find("token").await.prop("value").await.unwrap().unwrap(),
        "",
        "the page keeps no copy"
    );
    // A store and a register, created at Mercado Pago and chosen.
    for (field, text) in [
        ("store-name", "Kiosco Sur"),
        ("store-street", "Defensa"),
        ("store-number", "500"),
        ("store-city", "CABA"),
        ("store-state", "CABA"),
    ] {
        app.type_into(field, text).await;
    }
    app.click("store-create").await;
    app.wait_text("setup-message", |t| t == "Created: Kiosco Sur").await;
    app.type_into("pos-name", "Caja Sur").await;
    app.type_into("pos-code", "CAJASUR").await;
    app.click("pos-create").await;
    app.wait_text("setup-message", |t| t == "Created: Caja Sur").await;
    app.click("pos-choose").await;
    app.wait_text("setup-message", |t| t == "Register chosen: Caja Sur")
        .await;
    app.click("switch-live").await;
    // The page reloads on the account.
    app.wait_text("station", |t| t == "Kiosco Sur · Caja Sur").await;
    assert!(!app.find("mode").await.is_displayed().await.unwrap(), "no demo badge");
    app.english().await;
    let state = mp.get("/sandbox/state").await;
    state["pos"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["external_id"] == "CAJASUR")
        .unwrap()["id"]
        .as_u64()
        .unwrap()
}

/// A sale charged at the counter and paid by a customer at `mp`; the pay panel cleared.
async fn a_sale_paid(app: &App, mp: &MercadoPago, pos_id: u64, title: &str, price: &str, total: &str) {
    app.type_into("quick-title", title).await;
    app.type_into("quick-price", &format!("{price}{ENTER}")).await;
    app.wait_text("cart-total", |t| t == total).await;
    app.click("charge").await;
    app.wait_attr("pay-screen", "data-state", "waiting").await;
    mp.post(
        &format!("/sandbox/pos/{pos_id}/customer"),
        serde_json::json!({ "outcome": "approved" }),
    )
    .await;
    app.wait_attr("pay-screen", "data-state", "paid").await;
    app.click("new-sale").await;
}

/// A Colombian store, on the attended model (Colombia's API): sets up, sells, cancels, refunds
/// part of a sale, reconciles, and a refund made on Mercado Pago's website shows up.
#[tokio::test]
async fn a_store_on_the_attended_model_sets_up_sells_cancels_refunds_and_reconciles() {
    let mp = MercadoPago::on_site("MCO");
    let app = App::start().await;
    let pos_id = a_store_owner_sets_up(&app, &mp, "MCO").await;
    app.open_settings().await;
    app.wait_text("api-status", |t| t.starts_with("New sales use the classic QR"))
        .await;
    app.click("settings-close").await;
    // A sale cancelled before anyone pays.
    app.type_into("quick-title", "Tinto").await;
    app.type_into("quick-price", &format!("3000{ENTER}")).await;
    app.click("charge").await;
    app.wait_attr("pay-screen", "data-state", "waiting").await;
    app.click("cancel").await;
    app.wait_attr("pay-screen", "data-state", "cancelled").await;
    app.click("new-sale").await;
    app.click("clear").await;
    a_sale_paid(&app, &mp, pos_id, "Recarga celular", "2500", "$ 2.500").await;
    // The day's sales: a part refund, confirmed first.
    app.click("open-history").await;
    app.click("sale-row-2").await;
    app.wait_text("story-total", |t| t == "$ 2.500").await;
    app.type_into("refund-amount", "1000").await;
    app.click("refund").await;
    app.wait_text("refund-question", |t| t == "Refund 1000 of sale #2?")
        .await;
    app.click("refund-yes").await;
    app.wait_text("history-message", |t| t == "Refunded: $ 1.000").await;
    app.click("history-export").await;
    let said = app
        .wait_text("history-message", |t| t.starts_with("Exported to "))
        .await;
    let csv = std::fs::read_to_string(said.trim_start_matches("Exported to ")).unwrap();
    assert!(
        csv.contains("1 x Recarga celular")
            && csv.contains(",COP,2500,1500,1000,0,")
            && csv.contains(",cancelled,ended,"),
        "{csv}"
    );
    app.click("history-reconcile").await;
    app.wait_text("history-message", |t| t.starts_with("No differences"))
        .await;
    // A refund made outside the app, on Mercado Pago: the reconciliation finds it.
    let state = mp.get("/sandbox/state").await;
    let paid = state["merchant_orders"][0]["payments"][0]["id"].as_u64().unwrap();
    mp.post(&format!("/v1/payments/{paid}/refunds"), serde_json::json!({}))
        .await;
    app.click("history-reconcile").await;
    app.wait_text("history-message", |t| {
        t.contains("Sale #2: Mercado Pago refunded $ 1.500 more than the app asked for")
    })
    .await;
    app.screenshot("history").await;
    app.click("history-close").await;
    // The counter sign carries this account's POS, fetched from Mercado Pago.
    app.open_settings().await;
    app.click("sign-open").await;
    app.wait_attr("sign-preview", "data-loaded", "1240x1754").await;
    app.click("sign-save").await;
    let said = app.wait_text("qr-message", |t| t.starts_with("Exported to ")).await;
    let sign = std::fs::read(said.trim_start_matches("Exported to ")).unwrap();
    assert_eq!(qr::qr_in(&sign), vec![format!("https://mpago.la/pos/{pos_id}")]);
    app.click("mp-sign-save").await;
    let said = app.wait_text("qr-message", |t| t.contains(".pdf")).await;
    let pdf = std::fs::read(said.trim_start_matches("Exported to ")).unwrap();
    assert!(pdf.starts_with(b"%PDF-"), "Mercado Pago's own sign, as it sends it");
    app.click("settings-close").await;
    let home = app.stop().await;
    token_is_nowhere(home.path(), &mp.token);
}

/// An Argentine store, on the Orders API (Argentina's): sets up, sells, cancels, refunds a
/// sale whole (the Orders API's refunds are), reconciles.
#[tokio::test]
async fn a_store_on_the_orders_api_sets_up_sells_cancels_refunds_and_reconciles() {
    let mp = MercadoPago::on_site("MLA");
    let app = App::start().await;
    let pos_id = a_store_owner_sets_up(&app, &mp, "MLA").await;
    app.open_settings().await;
    app.wait_text("api-status", |t| t.starts_with("New sales use the Orders API"))
        .await;
    app.click("settings-close").await;
    app.type_into("quick-title", "Café").await;
    app.type_into("quick-price", &format!("1800{ENTER}")).await;
    app.click("charge").await;
    app.wait_attr("pay-screen", "data-state", "waiting").await;
    app.click("cancel").await;
    app.wait_attr("pay-screen", "data-state", "cancelled").await;
    app.click("new-sale").await;
    app.click("clear").await;
    a_sale_paid(&app, &mp, pos_id, "Recarga SUBE", "2500", "$ 2.500,00").await;
    let state = mp.get("/sandbox/state").await;
    assert_eq!(
        state["merchant_orders"],
        serde_json::json!([]),
        "no merchant orders on the Orders API"
    );
    app.click("open-history").await;
    app.click("sale-row-2").await;
    app.wait_text("story-total", |t| t == "$ 2.500,00").await;
    // A part refund is refused there, in words; the whole one goes.
    app.type_into("refund-amount", "1000").await;
    app.click("refund").await;
    app.click("refund-yes").await;
    app.wait_text("history-message", |t| {
        t == "On the Orders API a sale is refunded whole: 2500.00 ARS."
    })
    .await;
    app.find("refund-amount").await.clear().await.unwrap();
    app.click("refund").await;
    app.wait_text("refund-question", |t| t == "Refund all of sale #2 ($ 2.500,00)?")
        .await;
    app.click("refund-yes").await;
    app.wait_text("history-message", |t| t == "Refunded: $ 2.500,00").await;
    app.click("history-reconcile").await;
    app.wait_text("history-message", |t| t.starts_with("No differences"))
        .await;
    app.click("history-export").await;
    let said = app
        .wait_text("history-message", |t| t.starts_with("Exported to "))
        .await;
    let csv = std::fs::read_to_string(said.trim_start_matches("Exported to ")).unwrap();
    assert!(
        csv.contains(",paid,refunded,false,") && csv.contains(",ARS,2500.00,0.00,2500.00,0.00,"),
        "{csv}"
    );
    app.click("history-close").await;
    let home = app.stop().await;
    token_is_nowhere(home.path(), &mp.token);
}

/// The token is in no file the app wrote under `home`, its logs included.
fn token_is_nowhere(home: &std::path::Path, token: &str) {
    let mut found = Vec::new();
    let mut dirs = vec![home.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if std::fs::read(&path)
                .unwrap()
                .windows(token.len())
                .any(|w| w == token.as_bytes())
            {
                found.push(path);
            }
        }
    }
    assert!(
        home.join("logs").read_dir().unwrap().next().is_some(),
        "the app wrote logs"
    );
    assert!(found.is_empty(), "the token is in {found:?}");
}

#[tokio::test]
async fn the_counter_sign_is_previewed_printed_and_saved() {
    let app = App::start().await;
    app.english().await;
    app.open_settings().await;
    app.click("qr-save").await;
    let said = app.wait_text("qr-message", |t| t.starts_with("Exported to ")).await;
    let qr = std::fs::read(said.trim_start_matches("Exported to ")).unwrap();
    let register = qr::qr_in(&qr);
    // The demo's QR points nowhere a customer's app could pay.
    assert!(
        register[0].starts_with("https://qr-cashier-demo.invalid/not-a-payment/pos/"),
        "{register:?}"
    );

    app.click("sign-open").await;
    app.wait_attr("sign-preview", "data-loaded", "1240x1754").await;
    app.screenshot("counter-sign").await;
    // The system's print dialog is not the page's: it is replaced by a note of what the page
    // would print at that moment.
    app.client
        .execute(
            "window.print = () => { window.printed = document.body.dataset.printing + ' ' + \
             document.getElementById('sign-sheet-image').naturalWidth; }",
            vec![],
        )
        .await
        .unwrap();
    app.click("sign-print").await;
    let printed = app.client.execute("return window.printed", vec![]).await.unwrap();
    assert_eq!(printed, "sign 1240");

    app.click("sign-save").await;
    let said = app
        .wait_text("qr-message", |t| t.contains("sign-") && t.starts_with("Exported to "))
        .await;
    let sign = std::fs::read(said.trim_start_matches("Exported to ")).unwrap();
    assert_eq!(qr::qr_in(&sign), register, "the sign carries the register's QR");
    app.stop().await;
}

/// Runs `invoke(cmd, args)` in the page and returns "allowed" or the error it got.
async fn try_invoke(app: &App, cmd: &str, args: serde_json::Value) -> String {
    let script = "const [cmd, args, done] = arguments; \
        window.__TAURI__.core.invoke(cmd, args).then(() => done('allowed'), (e) => done(String(e && e.message || JSON.stringify(e))));";
    let out = app.client.execute_async(script, vec![cmd.into(), args]).await.unwrap();
    out.as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn each_window_reaches_only_the_commands_it_was_granted() {
    let app = App::start().await;
    app.wait_attr("link-status", "data-state", "ok").await;
    assert_eq!(try_invoke(&app, "app_info", serde_json::json!({})).await, "allowed");
    for (cmd, args) in [
        ("plugin:fs|read_text_file", serde_json::json!({ "path": "/etc/passwd" })),
        ("plugin:shell|execute", serde_json::json!({ "program": "sh" })),
        (
            "plugin:window-state|save_window_state",
            serde_json::json!({ "flags": 0 }),
        ),
        ("read_token", serde_json::json!({})),
    ] {
        let answer = try_invoke(&app, cmd, args).await;
        assert_ne!(answer, "allowed", "{cmd} was allowed");
    }
    let main = app.client.window().await.unwrap();
    app.click("customer-display").await;
    let mut customer = None;
    for _ in 0..100 {
        customer = app.client.windows().await.unwrap().into_iter().find(|h| *h != main);
        if customer.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    app.client
        .switch_to_window(customer.expect("the customer window"))
        .await
        .unwrap();
    app.wait_text("customer-store", |t| !t.is_empty()).await;
    assert_eq!(try_invoke(&app, "current_sale", serde_json::json!({})).await, "allowed");
    for cmd in [
        "charge",
        "cancel",
        "demo_customer",
        "save_token",
        "refund",
        "list_sales",
    ] {
        let answer = try_invoke(&app, cmd, serde_json::json!({})).await;
        assert!(
            answer.contains("not allowed"),
            "the customer display could call {cmd}: {answer}"
        );
    }
    app.stop().await;
}

/// Damage inside the demo's journal (a page of a good file overwritten, as a failing disk does)
/// found at the start: the file is kept aside as it was, for support, the cashier is told
/// where, and the demo sells on a new journal.
#[tokio::test]
async fn a_damaged_demo_journal_is_kept_aside_and_the_counter_opens() {
    let home = Home::fresh();
    support::fill_journal(home.path(), 3000, 30);
    let file = support::demo_journal(home.path());
    let mut bytes = std::fs::read(&file).unwrap();
    let page = 4096;
    let middle = bytes.len() / page / 2 * page;
    bytes[middle..middle + page].fill(0x42);
    std::fs::write(&file, &bytes).unwrap();

    let app = App::launch(env!("CARGO_BIN_EXE_qr-cashier"), home, &[]).await;
    app.english().await;
    let notice = app
        .wait_text("notice", |t| t.contains("sales journal was damaged"))
        .await;
    let kept = notice
        .split("kept as ")
        .nth(1)
        .and_then(|rest| rest.split(" for support").next())
        .unwrap_or_else(|| panic!("the notice names the kept file: {notice}"));
    assert_eq!(
        std::fs::read(kept).unwrap(),
        bytes,
        "the damaged journal is kept as it was"
    );
    app.charge_the_demo_yerba().await;
    app.click("phone-pay").await;
    app.wait_attr("pay-screen", "data-state", "paid").await;
    app.stop().await;
}

/// A PC whose keyring cannot be reached (here: no D-Bus session) runs the demo and tells the
/// cashier why and what to do, in the page's language.
#[tokio::test]
async fn without_a_keyring_the_demo_runs_and_says_why() {
    let app = App::start_with(&[("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")]).await;
    app.choose_language("es").await;
    app.wait_text("notice", |t| t.starts_with("No hay un llavero del sistema"))
        .await;
    app.english().await;
    let notice = app
        .wait_text("notice", |t| t.starts_with("No keyring is available"))
        .await;
    assert!(notice.contains("gnome-keyring"), "{notice}");
    assert!(
        app.find("mode").await.is_displayed().await.unwrap(),
        "the demo badge shows"
    );
    app.stop().await;
}

/// A demo journal that cannot be written (here its path is taken by a folder; a read-only or
/// full disk does the same) gives way to a temporary one for the session: the counter opens,
/// says so, and sells.
#[tokio::test]
async fn a_demo_journal_that_cannot_be_written_gives_way_to_a_temporary_one() {
    let home = Home::fresh();
    std::fs::create_dir_all(support::demo_journal(home.path())).unwrap();
    let app = App::launch(env!("CARGO_BIN_EXE_qr-cashier"), home, &[]).await;
    app.english().await;
    app.wait_text("notice", |t| {
        t.starts_with("The demo's sales journal cannot be used") && t.contains("cannot be opened")
    })
    .await;
    app.charge_the_demo_yerba().await;
    app.click("phone-pay").await;
    app.wait_attr("pay-screen", "data-state", "paid").await;
    app.stop().await;
}

/// The owner's actions ask for the owner PIN in the window: the first refund asks to choose
/// one (typed twice), the refund then goes through; with owner mode closed, the options ask
/// for the PIN, a wrong one is said, the right one saves.
#[tokio::test]
async fn the_owner_pin_guards_the_owners_actions_in_the_window() {
    let app = App::start_as_cashier().await;
    app.english().await;
    let mp = app.demo_sandbox().await;
    app.charge_the_demo_yerba().await;
    app.click("phone-pay").await;
    app.wait_attr("pay-screen", "data-state", "paid").await;
    app.click("new-sale").await;
    app.click("open-history").await;
    app.click("sale-row-1").await;
    app.wait_text("story-total", |t| t == "$ 3.500,00").await;
    app.click("refund").await;
    app.click("refund-yes").await;
    app.wait_text("owner-title", |t| t.starts_with("Choose the owner PIN"))
        .await;
    app.type_into("owner-pin", "2468").await;
    app.type_into("owner-pin-again", &format!("2469{ENTER}")).await;
    app.wait_text("owner-message", |t| t == "The two PINs differ.").await;
    // Both fields are emptied for a second try.
    app.type_into("owner-pin", "2468").await;
    app.type_into("owner-pin-again", &format!("2468{ENTER}")).await;
    app.wait_text("history-message", |t| t == "Refunded: $ 3.500,00").await;
    mp.money_agrees(&support::demo_journal(app.home.path())).await;
    app.click("history-close").await;
    // The owner steps away; the next owner action asks again.
    app.open_settings().await;
    app.click("owner-lock").await;
    app.wait_attr("owner-lock", "data-done", "1").await;
    app.click("options-save").await;
    app.wait_text("owner-title", |t| t == "Owner PIN").await;
    app.type_into("owner-pin", &format!("0000{ENTER}")).await;
    app.wait_text("owner-message", |t| t == "Wrong PIN (4 tries left before a pause).")
        .await;
    app.type_into("owner-pin", &format!("2468{ENTER}")).await;
    app.wait_text("options-message", |t| t.starts_with("Saved")).await;
    app.screenshot("owner-pin").await;
    app.stop().await;
}
