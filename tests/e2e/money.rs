//! The money issue in the real window: the two cashier actions that used to end the app, and
//! the three paths where money went missing. The cashier sees the right words, and the journal
//! holds what Mercado Pago holds.

use crate::support::{App, Home, ENTER};
use crate::MercadoPago;

const ESCAPE: &str = "\u{E00C}";
const F4: &str = "\u{E034}";

/// Escape while the screen says "Sending the order to the register…" (Mercado Pago is slow
/// to answer the create): the sale is cancelled and the app goes on.
#[tokio::test]
async fn escape_while_the_order_is_being_sent_cancels_it_and_the_app_goes_on() {
    let app = App::start().await;
    app.english().await;
    let mp = app.demo_sandbox().await;
    // The demo's Argentine store speaks the Orders API.
    let slow = serde_json::json!({ "route": "orders_create", "fault": { "kind": "delay", "ms": 3000 }, "times": 1 });
    mp.post("/sandbox/faults", slow).await;
    app.type_into("scan", &format!("7790387000011{ENTER}")).await;
    app.wait_text("cart-total", |t| t == "$ 3.500,00").await;
    app.click("charge").await;
    app.wait_text("sale-status", |t| t.starts_with("Sending the order"))
        .await;
    // Esc asks once, the second cancels.
    app.keys(ESCAPE).await;
    app.wait_text("esc-ask", |t| t == "Esc again to cancel the charge")
        .await;
    app.keys(ESCAPE).await;
    app.wait_attr("pay-screen", "data-state", "cancelled").await;
    app.wait_text("sale-status", |t| t == "Sale cancelled").await;
    let pos = mp.pos_id("CAJA1").await;
    mp.nothing_payable_on(pos).await;
    // The app is still there: the sale charged again goes through.
    app.click("charge-again").await;
    app.wait_attr("pay-screen", "data-state", "waiting").await;
    app.click("phone-pay").await;
    app.wait_attr("pay-screen", "data-state", "paid").await;
    mp.money_agrees(&crate::support::demo_journal(app.home.path())).await;
    app.stop().await;
}

/// Quick-add `40000000000000000000000000000`, then F4 and a quantity of 12: the cashier reads
/// that the total is too large; the app goes on.
#[tokio::test]
async fn an_absurd_price_times_a_quantity_is_refused_in_words() {
    let app = App::start().await;
    app.english().await;
    app.type_into("quick-title", "Caro").await;
    // Typed by a person: WebDriver's keys come faster than a scanner's, so the digits are put
    // in the field as they would stand after slow typing, then Enter.
    app.client
        .execute(
            "document.querySelector('[data-testid=quick-price]').value = arguments[0]",
            vec!["40000000000000000000000000000".into()],
        )
        .await
        .unwrap();
    app.type_into("quick-price", ENTER).await;
    app.wait_text("line-title-1", |t| t == "Caro").await;
    app.client.active_element().await.unwrap().send_keys(F4).await.unwrap();
    app.client
        .active_element()
        .await
        .unwrap()
        .send_keys(&format!("12{ENTER}"))
        .await
        .unwrap();
    app.wait_text("cart-error", |t| t.contains("too much for one QR sale"))
        .await;
    assert!(!app.find("charge").await.is_enabled().await.unwrap(), "no charge");
    app.click("remove-1").await;
    app.type_into("scan", &format!("7790387000011{ENTER}")).await;
    app.wait_text("cart-total", |t| t == "$ 3.500,00").await;
    app.stop().await;
}

/// Two phones scan the same order and both pay it (on the attended model, where each scan is a
/// merchant order): the screen says the extra was collected and gives it back with one click.
#[tokio::test]
async fn a_customer_who_pays_twice_is_told_and_the_extra_is_given_back() {
    let app = App::start_with(&[("QR_CASHIER_API", "legacy")]).await;
    app.english().await;
    let mp = app.demo_sandbox().await;
    app.charge_the_demo_yerba().await;
    let pos = mp.pos_id("CAJA1").await;
    let (one, two) = (mp.scan(pos).await, mp.scan(pos).await);
    mp.pay(one).await;
    mp.pay(two).await;
    app.wait_attr("pay-screen", "data-state", "paid").await;
    app.wait_text("pay-money", |t| {
        t.starts_with("$ 3.500,00 more than the total was collected")
    })
    .await;
    app.screenshot("paid-twice").await;
    app.wait_text("refund-extra", |t| t == "Refund $ 3.500,00").await;
    app.click("refund-extra").await;
    app.wait_text("pay-money", |t| t == "Refunded: $ 3.500,00").await;
    let journal = crate::support::demo_journal(app.home.path());
    mp.money_agrees(&journal).await;
    app.click("new-sale").await;
    app.wait_text("cart-empty", |t| t.contains("empty")).await;
    app.stop().await;
}

/// Paid in part, then cancelled (on the attended model; an Orders API order is paid whole): the
/// screen says what was collected and gives it back.
#[tokio::test]
async fn money_paid_in_part_then_cancelled_is_shown_and_given_back() {
    let app = App::start_with(&[("QR_CASHIER_API", "legacy")]).await;
    app.english().await;
    let mp = app.demo_sandbox().await;
    app.charge_the_demo_yerba().await;
    app.click("phone-part").await;
    app.wait_text("sale-status", |t| t.starts_with("Partly paid")).await;
    app.click("cancel").await;
    app.wait_attr("pay-screen", "data-state", "cancelled").await;
    app.wait_text("pay-money", |t| {
        t == "$ 1.750,00 was collected for this sale: give it back to the customer."
    })
    .await;
    app.screenshot("cancelled-with-money").await;
    app.click("refund-extra").await;
    app.wait_text("pay-money", |t| t == "Refunded: $ 1.750,00").await;
    mp.money_agrees(&crate::support::demo_journal(app.home.path())).await;
    app.stop().await;
}

/// A real account (its own Mercado Pago process): the app is killed while a sale waits, the
/// customer pays meanwhile, and the app that opens again shows the paid sale first.
#[tokio::test]
async fn a_payment_made_while_the_app_was_closed_is_shown_when_it_opens() {
    let mp = MercadoPago::start();
    let home = mp.register_home("CAJAVIVO").await;
    let app = App::launch(env!("CARGO_BIN_EXE_qr-cashier"), home, &[]).await;
    app.english().await;
    app.wait_text("station", |t| t == "Kiosco Centro · Caja Vivo").await;
    app.type_into("quick-title", "Recarga SUBE").await;
    app.type_into("quick-price", &format!("2500{ENTER}")).await;
    app.click("charge").await;
    app.wait_attr("pay-screen", "data-state", "waiting").await;
    let home = app.kill_the_app().await;
    let sandbox = crate::support::Sandbox {
        base_url: mp.base_url.clone(),
    };
    let pos = sandbox.pos_id("CAJAVIVO").await;
    sandbox.customer_pays(pos).await;
    let journal = qr_cashier::paths::AppPaths::under(home.path().to_path_buf())
        .data
        .join("journal.sqlite3");
    let app = App::launch(env!("CARGO_BIN_EXE_qr-cashier"), Home::kept(home.path()), &[]).await;
    app.english().await;
    app.wait_attr("pay-screen", "data-state", "paid").await;
    app.wait_text("pay-note", |t| t == "This sale ended while the register was closed.")
        .await;
    assert_eq!(app.find("pay-total").await.text().await.unwrap(), "$ 2.500,00");
    app.screenshot("paid-while-closed").await;
    sandbox.money_agrees(&journal).await;
    // Seen: New sale acknowledges it, and the next start shows an empty counter.
    app.click("new-sale").await;
    app.wait_text("cart-empty", |t| t.contains("empty")).await;
    app.stop().await;
    let app = App::launch(env!("CARGO_BIN_EXE_qr-cashier"), Home::kept(home.path()), &[]).await;
    app.english().await;
    app.wait_attr("pay-screen", "data-state", "idle").await;
    assert!(
        !app.find("attention").await.is_displayed().await.unwrap(),
        "nothing asks for attention"
    );
    app.stop().await;
    drop(home);
}
