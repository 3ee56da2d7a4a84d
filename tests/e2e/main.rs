//! End-to-end tests in the real app window, through WebDriver, on the built-in demo.

mod support;

use support::App;

const ENTER: &str = "\u{E007}";

#[tokio::test]
async fn window_shows_the_version_from_rust_and_the_event_from_the_background_task() {
    let app = App::start().await;
    assert_eq!(app.client.title().await.unwrap(), "QR Cashier");
    let version = app.wait_text("version", |t| !t.is_empty()).await;
    assert_eq!(version, format!("v{}", env!("CARGO_PKG_VERSION")));
    let data_dir = app.wait_text("data-dir", |t| !t.is_empty()).await;
    assert!(data_dir.starts_with(app.home.path().to_str().unwrap()), "{data_dir}");
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
    app.stop().await;
}

#[tokio::test]
async fn a_rejected_payment_then_a_paid_one() {
    let app = App::start().await;
    app.english().await;
    app.type_into("scan", &format!("7790387000011{ENTER}")).await;
    app.wait_text("cart-total", |t| t == "$ 3.500,00").await;
    app.click("charge").await;
    app.wait_attr("pay-screen", "data-state", "waiting").await;
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
    app.stop().await;
}

#[tokio::test]
async fn a_cancel_and_then_an_expiry() {
    let app = App::start().await;
    app.english().await;
    app.type_into("scan", &format!("7790387000011{ENTER}")).await;
    app.wait_text("cart-total", |t| t == "$ 3.500,00").await;
    app.click("charge").await;
    app.wait_attr("pay-screen", "data-state", "waiting").await;
    app.click("cancel").await;
    app.wait_attr("pay-screen", "data-state", "cancelled").await;
    assert_eq!(app.find("sale-status").await.text().await.unwrap(), "Sale cancelled");
    // The cart is still there after a cancel: charge it again and let it expire.
    app.click("new-sale").await;
    app.wait_text("line-title-1", |t| t == "Yerba mate 1 kg").await;
    app.click("charge").await;
    app.wait_attr("pay-screen", "data-state", "waiting").await;
    app.click("phone-expire").await;
    app.wait_attr("pay-screen", "data-state", "expired").await;
    app.stop().await;
}

#[tokio::test]
async fn a_scanner_burst_adds_the_product_wherever_the_focus_is() {
    let app = App::start().await;
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
    app.type_into("quick-price", &format!("99.5{ENTER}")).await;
    app.wait_text("cart-error", |t| t.contains("CLP prices allow 0 decimals"))
        .await;
    app.click("remove-2").await;
    app.wait_text("cart-total", |t| t == "$ 3.990").await;
    app.click("charge").await;
    app.wait_text("pay-total", |t| t == "$ 3.990").await;
    app.click("phone-pay").await;
    app.wait_attr("pay-screen", "data-state", "paid").await;
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
    app.type_into("quick-price", &format!("abc{ENTER}")).await;
    app.wait_text("cart-error", |t| t == "The price of line 2 is not a number.")
        .await;
    assert_eq!(
        app.find("line-title-2").await.text().await.unwrap(),
        "<b>bold</b><script>document.title='x'</script>"
    );
    assert_eq!(app.client.title().await.unwrap(), "QR Cashier");
    assert!(
        !app.find("charge").await.is_enabled().await.unwrap(),
        "no charge with a bad line"
    );
    app.click("remove-2").await;
    app.wait_text("cart-total", |t| t == "$ 3.500,00").await;
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
    let main = app.client.window().await.unwrap();
    app.click("customer-display").await;
    let mut handles = Vec::new();
    for _ in 0..100 {
        handles = app.client.windows().await.unwrap();
        if handles.len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let customer = handles.into_iter().find(|h| *h != main).expect("a second window");
    app.type_into("scan", &format!("7790387000011{ENTER}")).await;
    app.wait_text("cart-total", |t| t == "$ 3.500,00").await;
    app.click("charge").await;
    app.wait_attr("pay-screen", "data-state", "waiting").await;
    app.client.switch_to_window(customer.clone()).await.unwrap();
    app.wait_text("customer-store", |t| t == "Almacén Demo").await;
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
    app.stop().await;
}
