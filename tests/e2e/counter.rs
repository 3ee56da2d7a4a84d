//! The counter in a busy hour, in the real window: it never charges the wrong amount (the next
//! customer's cart, items scanned while a sale waits, an unknown code, comma decimals, keys with
//! no way back), it fits the store's screens, and a sale's end reads from two meters.

use crate::support::{App, ENTER};

const ESCAPE: &str = "\u{E00C}";
const F9: &str = "\u{E039}";
const F12: &str = "\u{E03C}";
const CONTROL: &str = "\u{E009}";
const RELEASE: &str = "\u{E000}";

const YERBA: &str = "7790387000011"; // $ 3.500,00
const ALFAJOR: &str = "7790040000035"; // $ 850,00

async fn scan(app: &App, code: &str) {
    app.type_into("scan", &format!("{code}{ENTER}")).await;
}

async fn count(app: &App, css: &str) -> usize {
    app.client.find_all(fantoccini::Locator::Css(css)).await.unwrap().len()
}

/// After a cancel, *New sale* empties the cart (the next customer's alfajor is charged alone)
/// and *Charge again* keeps it; Enter starts the new sale wherever the focus is.
#[tokio::test]
async fn new_sale_after_a_cancel_is_an_empty_cart_and_charge_again_keeps_it() {
    let app = App::start().await;
    app.english().await;
    let mp = app.demo_sandbox().await;
    app.charge_the_demo_yerba().await;
    app.click("cancel").await;
    app.wait_attr("pay-screen", "data-state", "cancelled").await;
    for (id, words) in [("charge-again", "Charge again (F12)"), ("new-sale", "New sale (Enter)")] {
        assert_eq!(app.find(id).await.text().await.unwrap(), words);
    }
    // F12: the same cart, charged again.
    app.keys(F12).await;
    app.wait_attr("pay-screen", "data-state", "waiting").await;
    app.wait_text("pay-total", |t| t == "$ 3.500,00").await;
    app.click("cancel").await;
    app.wait_attr("pay-screen", "data-state", "cancelled").await;
    // Enter, with the focus in the (empty) scan field: a new sale, its cart empty.
    app.find("scan").await.click().await.unwrap();
    app.keys(ENTER).await;
    app.wait_attr("pay-screen", "data-state", "idle").await;
    app.wait_text("cart-empty", |t| t.contains("empty")).await;
    scan(&app, ALFAJOR).await;
    app.wait_text("cart-total", |t| t == "$ 850,00").await;
    the_alfajor_alone_is_charged_and_paid(&app, &mp).await;
    app.stop().await;
}

/// What is scanned while a sale waits goes to the next sale's tray: the locked cart stays what
/// the QR asks, and the tray becomes the cart on New sale.
#[tokio::test]
async fn items_scanned_while_a_sale_waits_go_to_the_next_sale() {
    let app = App::start().await;
    app.english().await;
    let mp = app.demo_sandbox().await;
    app.charge_the_demo_yerba().await;
    scan(&app, ALFAJOR).await;
    app.wait_text("tray-line-1", |t| t.starts_with("1 × Alfajor de chocolate"))
        .await;
    app.wait_text("tray-total", |t| t == "$ 850,00").await;
    assert_eq!(app.find("cart-total").await.text().await.unwrap(), "$ 3.500,00");
    assert_eq!(app.find("pay-total").await.text().await.unwrap(), "$ 3.500,00");
    assert_eq!(count(&app, "[data-testid^=line-title-]").await, 1, "the locked cart");
    assert!(
        !app.find("qty-1").await.is_enabled().await.unwrap(),
        "the charged cart cannot change"
    );
    app.screenshot("tray").await;
    app.click("phone-pay").await;
    app.wait_attr("pay-screen", "data-state", "paid").await;
    // Paid: the tray is still the next sale's.
    app.wait_text("tray-total", |t| t == "$ 850,00").await;
    app.click("new-sale").await;
    app.wait_text("line-title-1", |t| t == "Alfajor de chocolate").await;
    app.wait_text("cart-total", |t| t == "$ 850,00").await;
    assert!(!app.find("tray").await.is_displayed().await.unwrap());
    the_alfajor_alone_is_charged_and_paid(&app, &mp).await;
    app.stop().await;
}

/// Charges the cart (the alfajor alone), the customer pays: the QR asked $ 850,00, and the
/// journal holds what Mercado Pago does.
async fn the_alfajor_alone_is_charged_and_paid(app: &App, mp: &crate::support::Sandbox) {
    app.click("charge").await;
    app.wait_text("pay-total", |t| t == "$ 850,00").await;
    app.click("phone-pay").await;
    app.wait_attr("pay-screen", "data-state", "paid").await;
    mp.money_agrees(&crate::support::demo_journal(app.home.path())).await;
}

/// A code nothing matches is said in red with a refusing beep; the next scan replaces it; the
/// missing product can be quick-added with its code filled in.
#[tokio::test]
async fn an_unknown_code_is_said_and_the_next_scan_replaces_it() {
    let app = App::start().await;
    app.english().await;
    scan(&app, "7799999999999").await;
    app.wait_text("scan-error", |t| t == "Code 7799999999999 not found")
        .await;
    app.wait_attr("body", "data-last-sound", "bad").await;
    scan(&app, YERBA).await;
    app.wait_text("line-title-1", |t| t == "Yerba mate 1 kg").await;
    app.wait_attr("body", "data-last-sound", "good").await;
    assert!(!app.find("scan-error").await.is_displayed().await.unwrap());
    assert_eq!(app.find("scan").await.prop("value").await.unwrap().unwrap(), "");
    // Not found again: quick-add it, with its code as the description.
    scan(&app, "7799999999999").await;
    app.wait_text("scan-error", |t| t.ends_with("not found")).await;
    app.click("scan-add").await;
    assert_eq!(
        app.find("quick-title").await.prop("value").await.unwrap().unwrap(),
        "7799999999999"
    );
    app.keys(&format!("1.234,50{ENTER}")).await;
    app.wait_text("line-title-2", |t| t == "7799999999999").await;
    app.wait_text("cart-total", |t| t == "$ 4.734,50").await;
    app.stop().await;
}

/// Amounts as the country writes them: `1.234,50` and `1234,5` are Argentine pesos and
/// centavos; `1,500` (thousands or cents?) is refused as the cashier types, and nothing is
/// added; a `3*` in front of a scan is three of it.
#[tokio::test]
async fn comma_decimals_are_read_as_the_country_writes_them() {
    let app = App::start().await;
    app.english().await;
    app.type_into("quick-title", "Vino").await;
    app.type_into("quick-price", &format!("1.234,50{ENTER}")).await;
    app.wait_text("line-total-1", |t| t == "$ 1.234,50").await;
    app.type_into("quick-title", "Queso").await;
    app.type_into("quick-price", "1,500").await;
    app.wait_text("quick-error", |t| {
        t.starts_with("“1,500” could be read as thousands or as cents")
    })
    .await;
    app.type_into("quick-price", ENTER).await;
    app.wait_attr("quick-price", "aria-invalid", "true").await;
    assert_eq!(count(&app, "[data-testid^=line-title-]").await, 1, "nothing added");
    let price = app.find("quick-price").await;
    price.clear().await.unwrap();
    price.send_keys(&format!("1234,5{ENTER}")).await.unwrap();
    app.wait_text("line-total-2", |t| t == "$ 1.234,50").await;
    app.type_into("scan", &format!("3*{ALFAJOR}{ENTER}")).await;
    app.wait_text("line-total-3", |t| t == "$ 2.550,00").await;
    app.wait_text("cart-total", |t| t == "$ 5.019,00").await;
    app.wait_text("items", |t| t == "5 items").await;
    app.stop().await;
}

/// F9 empties the cart, Ctrl+Z brings it back; Esc on a waiting sale asks first; a product is
/// deleted only once the cashier says yes.
#[tokio::test]
async fn destructive_keys_ask_or_can_be_undone() {
    let app = App::start().await;
    app.english().await;
    scan(&app, YERBA).await;
    scan(&app, ALFAJOR).await;
    app.wait_text("cart-total", |t| t == "$ 4.350,00").await;
    app.keys(F9).await;
    app.wait_text("cart-empty", |t| t.contains("empty")).await;
    app.wait_text("undo-text", |t| t == "Cart cleared (2 lines).").await;
    app.keys(&format!("{CONTROL}z{RELEASE}")).await;
    app.wait_text("cart-total", |t| t == "$ 4.350,00").await;
    assert!(!app.find("undo").await.is_displayed().await.unwrap());
    // Esc once: a question, the sale still waits; Esc again: cancelled.
    app.click("charge").await;
    app.wait_attr("pay-screen", "data-state", "waiting").await;
    app.keys(ESCAPE).await;
    app.wait_text("esc-ask", |t| t == "Esc again to cancel the charge")
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    app.wait_attr("pay-screen", "data-state", "waiting").await;
    app.keys(ESCAPE).await;
    app.wait_attr("pay-screen", "data-state", "cancelled").await;
    app.click("new-sale").await;
    // A product's ✕ asks in its row.
    app.click("open-catalog").await;
    app.click(&format!("product-delete-{YERBA}")).await;
    app.wait_text(&format!("product-{YERBA}"), |t| t.contains("Delete “Yerba mate 1 kg”?"))
        .await;
    app.click(&format!("product-delete-no-{YERBA}")).await;
    app.wait_text(&format!("product-{YERBA}"), |t| t.contains("3.500,00"))
        .await;
    app.click(&format!("product-delete-{YERBA}")).await;
    app.click(&format!("product-delete-yes-{YERBA}")).await;
    app.wait_text("catalog-message", |t| t == "Deleted: Yerba mate 1 kg")
        .await;
    assert_eq!(count(&app, &format!("[data-testid=product-{YERBA}]")).await, 0);
    app.click("catalog-close").await;
    app.demo_money_agrees().await;
    app.stop().await;
}

/// Where each of `testids` is: inside the viewport, and the element the eye finds at its
/// centre (nothing covers it); its height.
async fn placed(app: &App, testids: &[&str]) -> Vec<serde_json::Value> {
    let script = "const ids = arguments[0]; return ids.map((id) => { \
        const e = document.querySelector(`[data-testid=\"${id}\"]`); const r = e.getBoundingClientRect(); \
        const inside = r.width > 0 && r.height > 0 && r.left >= 0 && r.top >= 0 && r.right <= innerWidth + 0.5 && r.bottom <= innerHeight + 0.5; \
        const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2); \
        return { id, inside, uncovered: !!top && (top === e || e.contains(top)), height: r.height, \
                 rect: [r.left, r.top, r.right, r.bottom], viewport: [innerWidth, innerHeight] }; });";
    let ids: Vec<serde_json::Value> = testids.iter().map(|&id| id.into()).collect();
    app.js(script, vec![ids.into()]).await.as_array().unwrap().clone()
}

fn all_in_view(what: &[serde_json::Value], size: (u32, u32)) {
    for w in what {
        assert!(
            w["inside"] == true && w["uncovered"] == true,
            "at {}×{}: {} is cut off or covered: {w}",
            size.0,
            size.1,
            w["id"]
        );
    }
}

/// The counter at the store screens' sizes with a seven-digit total: Charge (a full-width bar at
/// least 56 px high) and the total in view and uncovered, then Cancel and Check now while the
/// sale waits, and the header on one line. A screenshot at each size.
#[tokio::test]
async fn the_counter_fits_every_store_screen() {
    let app = App::start().await;
    app.english().await;
    app.type_into("quick-title", "Heladera").await;
    app.type_into("quick-price", &format!("1.234.567,89{ENTER}")).await;
    app.wait_text("cart-total", |t| t == "$ 1.234.567,89").await;
    for (w, h) in [(1024u32, 768u32), (1280, 800), (1366, 768), (1920, 1080)] {
        app.client.set_window_size(w, h).await.unwrap();
        // The window manager-less display takes the size as asked; the page's viewport follows.
        let mut viewport = serde_json::Value::Null;
        for _ in 0..50 {
            viewport = app.js("return [innerWidth, outerWidth, innerHeight];", vec![]).await;
            if viewport[1] == w {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(viewport[1], w, "the window did not take {w}×{h}: {viewport}");
        let bar = placed(&app, &["charge", "cart-total"]).await;
        all_in_view(&bar, (w, h));
        assert!(bar[0]["height"].as_f64().unwrap() >= 56.0, "Charge is {}", bar[0]);
        let header = app
            .js(
                "return document.querySelector('header.bar').getBoundingClientRect().height;",
                vec![],
            )
            .await;
        assert!(
            header.as_f64().unwrap() < 80.0,
            "at {w}×{h} the header wraps: {header} px"
        );
        // Touch targets: 44 px or more, in the header, the quantities and the remove buttons.
        let small = app
            .js(
                "return [...document.querySelectorAll('header.bar button, header.bar select, \
                   [data-testid^=qty-], [data-testid^=remove-], #charge, #clear, #qty')] \
                   .filter((e) => e.offsetParent !== null) \
                   .map((e) => [e.dataset.testid || e.id, e.getBoundingClientRect()]) \
                   .filter(([, r]) => r.width < 44 || r.height < 44) \
                   .map(([id, r]) => `${id} ${r.width}x${r.height}`);",
                vec![],
            )
            .await;
        assert_eq!(small, serde_json::json!([]), "at {w}×{h}, touch targets under 44 px");
        app.screenshot(&format!("counter-{w}x{h}")).await;
        app.click("charge").await;
        app.wait_attr("pay-screen", "data-state", "waiting").await;
        all_in_view(
            &placed(&app, &["cancel", "check-now", "pay-total", "sale-status"]).await,
            (w, h),
        );
        app.screenshot(&format!("waiting-{w}x{h}")).await;
        app.click("cancel").await;
        app.wait_attr("pay-screen", "data-state", "cancelled").await;
        all_in_view(&placed(&app, &["charge-again", "new-sale"]).await, (w, h));
        // The same cart for the next size.
        app.click("charge-again").await;
        app.wait_attr("pay-screen", "data-state", "waiting").await;
        app.click("cancel").await;
        app.wait_attr("pay-screen", "data-state", "cancelled").await;
        app.click("new-sale").await;
        app.type_into("quick-title", "Heladera").await;
        app.type_into("quick-price", &format!("1.234.567,89{ENTER}")).await;
        app.wait_text("cart-total", |t| t == "$ 1.234.567,89").await;
    }
    app.demo_money_agrees().await;
    app.stop().await;
}

/// The contrast of `testid`'s text on the pay panel's background (WCAG's ratio, from the
/// computed colours).
async fn contrast(app: &App, testid: &str) -> f64 {
    let script = "const [id] = arguments; \
        const lum = (c) => { const [r, g, b] = c.match(/[\\d.]+/g).slice(0, 3).map(Number).map((v) => { \
            v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }); \
            return 0.2126 * r + 0.7152 * g + 0.0722 * b; }; \
        const bg = getComputedStyle(document.querySelector('[data-testid=pay-screen]')).backgroundColor; \
        const fg = getComputedStyle(document.querySelector(`[data-testid=\"${id}\"]`)).color; \
        const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x); \
        return (a + 0.05) / (b + 0.05);";
    app.js(script, vec![testid.into()]).await.as_f64().unwrap()
}

async fn readable(app: &App, look: &str, mark: &str) {
    app.wait_attr("pay-screen", "data-state", look).await;
    assert_eq!(app.find("pay-mark").await.text().await.unwrap(), mark, "{look}");
    for id in ["sale-status", "pay-total", "pay-sale"] {
        let ratio = contrast(app, id).await;
        assert!(ratio >= 4.5, "{look}: {id} at {ratio:.2}:1, below WCAG AA");
    }
    let bg = app
        .js(
            "return getComputedStyle(document.querySelector('[data-testid=pay-screen]')).backgroundColor;",
            vec![],
        )
        .await;
    assert_ne!(bg, "rgb(255, 255, 255)", "{look}: the panel takes a colour");
    app.screenshot(&format!("end-{look}")).await;
}

/// Paid, cancelled, expired and rejected each fill the pay panel with their colour and mark,
/// their words at WCAG AA contrast; paid sounds. On the attended model (which shows a refused
/// attempt).
#[tokio::test]
async fn each_end_reads_from_two_meters() {
    let app = App::start_with(&[("QR_CASHIER_API", "legacy")]).await;
    app.english().await;
    app.charge_the_demo_yerba().await;
    app.click("phone-reject").await;
    readable(&app, "rejected", "!").await;
    app.click("phone-pay").await;
    readable(&app, "paid", "✓").await;
    app.wait_attr("body", "data-last-sound", "paid").await;
    app.click("new-sale").await;
    app.charge_the_demo_yerba().await;
    app.click("cancel").await;
    readable(&app, "cancelled", "✕").await;
    app.click("charge-again").await;
    app.wait_attr("pay-screen", "data-state", "waiting").await;
    app.click("phone-expire").await;
    readable(&app, "expired", "✕").await;
    app.demo_money_agrees().await;
    app.stop().await;
}

/// Partly paid says what is missing; the customer display shows the cart as it is scanned
/// and a refused payment.
#[tokio::test]
async fn the_customer_sees_the_cart_and_what_is_missing() {
    let app = App::start_with(&[("QR_CASHIER_API", "legacy")]).await;
    app.english().await;
    let (main, customer) = app.open_customer_display().await;
    scan(&app, YERBA).await;
    scan(&app, ALFAJOR).await;
    app.wait_text("cart-total", |t| t == "$ 4.350,00").await;
    app.client.switch_to_window(customer.clone()).await.unwrap();
    app.wait_text("customer-lines", |t| {
        t.contains("1 × Yerba mate 1 kg") && t.contains("1 × Alfajor de chocolate")
    })
    .await;
    app.wait_text("customer-total", |t| t == "$ 4.350,00").await;
    let scrolls = app
        .js("return document.documentElement.scrollHeight > innerHeight || document.documentElement.scrollWidth > innerWidth;", vec![])
        .await;
    assert_eq!(scrolls, false, "the customer display fits its window");
    app.client.switch_to_window(main.clone()).await.unwrap();
    app.click("charge").await;
    app.wait_attr("pay-screen", "data-state", "waiting").await;
    app.click("phone-reject").await;
    app.wait_attr("pay-screen", "data-state", "rejected").await;
    app.client.switch_to_window(customer).await.unwrap();
    app.wait_text("customer-outcome", |t| t == "Payment rejected – try again")
        .await;
    app.screenshot("customer-rejected").await;
    app.client.switch_to_window(main).await.unwrap();
    app.click("phone-part").await;
    app.wait_text("sale-status", |t| {
        t == "Partly paid: $ 2.175,00 of $ 4.350,00 · $ 2.175,00 to go"
    })
    .await;
    app.demo_money_agrees().await;
    app.stop().await;
}

/// Words: no English in the Spanish and Portuguese sales list, plurals right, "vos" only in
/// Argentina, a Brazilian demo with a Brazilian store.
#[tokio::test]
async fn each_country_reads_its_own_words() {
    let app = App::start_with(&[("QR_CASHIER_DEMO_SITE", "MCO")]).await;
    app.wait_attr("link-status", "data-state", "ok").await;
    app.choose_language("es").await;
    assert_eq!(
        app.find("scan").await.attr("placeholder").await.unwrap().unwrap(),
        "Escanea o escribe un producto (F2)",
        "neutral Spanish in Colombia"
    );
    scan(&app, YERBA).await;
    app.wait_text("items", |t| t == "1 artículo").await;
    app.click("charge").await;
    app.wait_attr("pay-screen", "data-state", "waiting").await;
    app.click("cancel").await;
    app.wait_attr("pay-screen", "data-state", "cancelled").await;
    app.click("open-history").await;
    app.wait_text("sales", |t| t.contains("cancelada")).await;
    let listed = app.find("sales").await.text().await.unwrap();
    assert!(!listed.contains("cancelled"), "{listed}");
    // The sale's steps too.
    app.click("sale-row-1").await;
    let steps = app
        .wait_text("story-changes", |t| {
            t.contains("cobro pedido") && t.contains("orden retirada")
        })
        .await;
    assert!(!steps.contains("order") && !steps.contains("charge"), "{steps}");
    app.click("history-close").await;
    app.demo_money_agrees().await;
    app.stop().await;
    let app = App::start_with(&[("QR_CASHIER_DEMO_SITE", "MLB")]).await;
    app.wait_attr("link-status", "data-state", "ok").await;
    app.choose_language("pt").await;
    app.wait_text("station", |t| t.starts_with("Mercadinho Demo")).await;
    app.type_into("scan", &format!("pao de queijo{ENTER}")).await;
    app.wait_text("line-title-1", |t| t == "Pão de queijo 400 g").await;
    app.wait_text("items", |t| t == "1 item").await;
    app.demo_money_agrees().await;
    app.stop().await;
}
