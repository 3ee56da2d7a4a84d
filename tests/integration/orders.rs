//! The Orders API (`/v1/orders`), from `mercadopago-orders-api.md`: the client against the
//! sandbox (string amounts, idempotency keys, the `{"errors": [...]}` shape, every error code
//! the contract lists), a sale's life where it differs from the attended model (a create whose
//! answer is lost is replayed with its key and makes one order, a cancel that meets a paid
//! order, a payment in review, more than ten lines, an account whose site the Orders API does
//! not serve), and its webhooks (signatures in every form, duplicates, replays; never money).

use std::time::Duration;

use qr_cashier::mercadopago::notifications::Signature;
use qr_cashier::mercadopago::orders::{CreateOrder, NewPayment, NewTransactions, OrderConfig, OrderStatus, QrConfig};
use qr_cashier::mercadopago::{Api, ApiError};
use qr_cashier::money::parse_amount;
use qr_cashier::register::{listener, Progress, Register, RegisterError};
use qr_cashier::sale::{Cart, CartLine, SaleState};
use qr_cashier::sandbox::{Fault, FaultRule, Outcome, Sandbox};
use serde_json::{json, Value};

use crate::sale_life::{cart, counter_on, counter_with_api, quick_schedule, thirty_second_polls, Counter};
use crate::support::*;

fn order_body(reference: &str, pos: &str, amount: &str) -> CreateOrder {
    CreateOrder {
        kind: "qr",
        external_reference: reference.into(),
        total_amount: amount.into(),
        description: "Venta".into(),
        expiration_time: "PT10M".into(),
        config: OrderConfig {
            qr: QrConfig {
                external_pos_id: pos.into(),
                mode: "static".into(),
            },
        },
        transactions: NewTransactions {
            payments: vec![NewPayment { amount: amount.into() }],
        },
        items: None,
    }
}

fn code(e: &ApiError) -> (Option<u16>, &str) {
    let status = match e {
        ApiError::Validation { status, .. } => Some(*status),
        ApiError::NotFound(_) => Some(404),
        ApiError::InvalidToken(_) => Some(401),
        ApiError::Locked(_) => Some(423),
        ApiError::Server { status, .. } => Some(*status),
        _ => None,
    };
    (status, e.error_key().unwrap_or(""))
}

/// Create, replay, read, pay, refund, cancel: what each answers, on the Orders API's shapes.
#[tokio::test]
async fn the_orders_client_speaks_the_contract() {
    let sb = sandbox("MLA").await;
    let c = client(&sb);
    let (pos, pos_id) = register_pos(&sb, &c, "CAJA1").await;
    let body = order_body("SALE1A1", &pos, "1500.00");
    let created = c.create_order(&body, "key-1").await.unwrap();
    assert_eq!(created.status, OrderStatus::Created);
    assert!(created.id.starts_with("ORD"), "{}", created.id);
    assert_eq!(created.total_amount, Some(parse_amount("1500").unwrap()));
    // Replayed (the answer was lost): the same order, not a second one.
    let again = c.create_order(&body, "key-1").await.unwrap();
    assert_eq!(again.id, created.id);
    assert_eq!(sb.world().qr_orders.len(), 1);
    // The same key on another body is refused.
    let other = order_body("SALE1A1", &pos, "1600.00");
    let e = c.create_order(&other, "key-1").await.unwrap_err();
    assert_eq!(code(&e), (Some(409), "idempotency_key_already_used"));
    // A second order on a POS whose order waits for its customer is refused.
    let e = c
        .create_order(&order_body("SALE2A1", &pos, "10.00"), "key-2")
        .await
        .unwrap_err();
    assert_eq!(code(&e), (Some(409), "pos_busy"));
    // The customer pays it.
    sb.world().pay_qr_order(pos_id, Outcome::Approved).unwrap();
    let paid = c.order(&created.id).await.unwrap();
    assert_eq!(
        (paid.status, paid.status_detail.as_deref()),
        (OrderStatus::Processed, Some("accredited"))
    );
    let payment = &paid.transactions.payments[0];
    assert_eq!(payment.paid_amount, Some(parse_amount("1500").unwrap()));
    assert!(payment
        .reference_id
        .as_deref()
        .is_some_and(|r| r.parse::<u64>().is_ok()));
    let e = c.cancel_order(&created.id, "cancel-1").await.unwrap_err();
    assert_eq!(code(&e), (Some(409), "cannot_cancel_order"), "paid: not cancelled");
    // Refunded whole, then once more: refused as done.
    let refunded = c.refund_order(&created.id, None, "refund-1").await.unwrap();
    assert_eq!(refunded.status, OrderStatus::Refunded);
    assert_eq!(refunded.transactions.refunds.len(), 1);
    let e = c.refund_order(&created.id, None, "refund-2").await.unwrap_err();
    assert_eq!(code(&e), (Some(409), "order_already_refunded"));
    // A part refund made elsewhere reads as processed, partially refunded.
    let second = c
        .create_order(&order_body("SALE3A1", &pos, "100.00"), "key-3")
        .await
        .unwrap();
    sb.world().pay_qr_order(pos_id, Outcome::Approved).unwrap();
    let part_of = second.transactions.payments[0].id.clone();
    let part = c
        .refund_order(
            &second.id,
            Some((
                &part_of,
                parse_amount("24.90").unwrap(),
                qr_cashier::money::Currency::Ars,
            )),
            "refund-3",
        )
        .await
        .unwrap();
    assert_eq!(
        (part.status, part.status_detail.as_deref()),
        (OrderStatus::Processed, Some("partially_refunded"))
    );
    assert_eq!(
        part.transactions.payments[0].refunded_amount,
        Some(parse_amount("24.90").unwrap())
    );
    // Cancelled while created, then again.
    let third = c
        .create_order(&order_body("SALE4A1", &pos, "5.00"), "key-4")
        .await
        .unwrap();
    let cancelled = c.cancel_order(&third.id, "cancel-4").await.unwrap();
    assert_eq!(cancelled.status, OrderStatus::Canceled);
    assert_eq!(
        cancelled.transactions.payments[0].status_detail.as_deref(),
        Some("canceled_by_api")
    );
    let replayed = c.cancel_order(&third.id, "cancel-4").await.unwrap();
    assert_eq!(replayed.status, OrderStatus::Canceled, "a cancel replayed with its key");
    let e = c.cancel_order(&third.id, "cancel-5").await.unwrap_err();
    assert_eq!(code(&e), (Some(409), "order_already_canceled"));
    let e = c.order("ORD00000000000000000000000000").await.unwrap_err();
    assert_eq!(code(&e), (Some(404), "order_not_found"));
    // Every write carried its key.
    for r in sb
        .requests()
        .iter()
        .filter(|r| r.route.starts_with("orders_") && r.method == "POST")
    {
        assert!(r.headers.contains_key("x-idempotency-key"), "{} {}", r.route, r.path);
    }
}

/// A raw request to the sandbox's Orders API, for bodies the client never sends.
async fn raw(sb: &Sandbox, token: &str, method: &str, path: &str, key: Option<&str>, body: &str) -> (u16, Value) {
    let mut r = reqwest::Client::new()
        .request(method.parse().unwrap(), format!("{}{path}", sb.base_url()))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(k) = key {
        r = r.header("x-idempotency-key", k);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or_default())
}

fn good_body() -> Value {
    json!({
        "type": "qr", "external_reference": "REF1A1", "total_amount": "1500.00",
        "expiration_time": "PT10M", "config": { "qr": { "external_pos_id": "CAJA1", "mode": "static" } },
        "transactions": { "payments": [ { "amount": "1500.00" } ] }
    })
}

/// `good_body()` changed at `path` (`a.b`), or the field removed (`None`).
fn with(path: &str, value: Option<Value>) -> String {
    let mut v = good_body();
    let mut at = &mut v;
    let parts: Vec<&str> = path.split('.').collect();
    for p in &parts[..parts.len() - 1] {
        at = &mut at[*p];
    }
    let last = parts[parts.len() - 1];
    match value {
        Some(x) => at[last] = x,
        None => {
            at.as_object_mut().unwrap().remove(last);
        }
    }
    v.to_string()
}

/// Each error code of the contract, from the request that earns it, in the Orders error shape;
/// and the client reads it into its one error type (a code it acts on).
macro_rules! orders_refusals {
    ($($name:ident: $method:literal $path:literal, key $key:expr, body $body:expr => $status:literal $code:literal;)*) => {
        $(
            #[tokio::test]
            async fn $name() {
                let sb = sandbox("MLA").await;
                register_pos(&sb, &client(&sb), "CAJA1").await;
                let token = sb.account.token.clone();
                // An order to act on, for the cancel and refund paths.
                let made = client(&sb).create_order(&order_body("MADE1A1", "CAJA1", "10.00"), "made").await.unwrap();
                let path = $path.replace("{made}", &made.id);
                let sent: String = $body.into();
                let (status, body) = raw(&sb, &token, $method, &path, $key, &sent).await;
                assert_eq!(status, $status, "{body}");
                assert_eq!(body["errors"][0]["code"], $code, "{body}");
                assert!(body["errors"][0]["message"].as_str().is_some_and(|m| !m.is_empty()));
            }
        )*
    };
}

orders_refusals! {
    refusal_empty_required_header: "POST" "/v1/orders", key None, body good_body().to_string() => 400 "empty_required_header";
    refusal_json_syntax_error: "POST" "/v1/orders", key Some("k"), body "{not json" => 400 "json_syntax_error";
    refusal_required_properties: "POST" "/v1/orders", key Some("k"), body with("transactions", None) => 400 "required_properties";
    refusal_required_reference: "POST" "/v1/orders", key Some("k"), body with("external_reference", None) => 400 "required_properties";
    refusal_unsupported_properties: "POST" "/v1/orders", key Some("k"), body with("notification_url", Some(json!("https://x"))) => 400 "unsupported_properties";
    refusal_a_root_title: "POST" "/v1/orders", key Some("k"), body with("title", Some(json!("Venta"))) => 400 "unsupported_properties";
    refusal_amount_as_a_number: "POST" "/v1/orders", key Some("k"), body with("total_amount", Some(json!(1500.0))) => 400 "property_type";
    refusal_one_decimal: "POST" "/v1/orders", key Some("k"), body with("total_amount", Some(json!("1500.0"))) => 400 "property_value";
    refusal_no_decimals_in_ars: "POST" "/v1/orders", key Some("k"), body with("transactions.payments", Some(json!([{ "amount": "1500" }]))) => 400 "property_value";
    refusal_total_and_payment_differ: "POST" "/v1/orders", key Some("k"), body with("total_amount", Some(json!("1400.00"))) => 400 "property_value";
    refusal_not_a_qr_order: "POST" "/v1/orders", key Some("k"), body with("type", Some(json!("online"))) => 400 "property_value";
    refusal_a_lifetime_out_of_range: "POST" "/v1/orders", key Some("k"), body with("expiration_time", Some(json!("PT10S"))) => 400 "property_value";
    refusal_a_reference_with_spaces: "POST" "/v1/orders", key Some("k"), body with("external_reference", Some(json!("REF 1"))) => 400 "property_value";
    refusal_minimum_properties: "POST" "/v1/orders", key Some("k"), body with("transactions.payments", Some(json!([]))) => 400 "minimum_properties";
    refusal_exceeded_number_of_transactions: "POST" "/v1/orders", key Some("k"), body with("transactions.payments", Some(json!([{ "amount": "750.00" }, { "amount": "750.00" }]))) => 400 "exceeded_number_of_transactions";
    refusal_maximum_items: "POST" "/v1/orders", key Some("k"), body with("items", Some(json!((0..11).map(|_| json!({ "title": "x", "unit_price": "1.00", "quantity": 1, "unit_measure": "unit" })).collect::<Vec<_>>()))) => 400 "maximum_items";
    refusal_items_that_do_not_add_up: "POST" "/v1/orders", key Some("k"), body with("items", Some(json!([{ "title": "x", "unit_price": "1.00", "quantity": 1, "unit_measure": "unit" }]))) => 400 "property_value";
    refusal_pos_not_found: "POST" "/v1/orders", key Some("k"), body with("config.qr.external_pos_id", Some(json!("NOSUCH"))) => 404 "pos_not_found";
    refusal_pos_busy: "POST" "/v1/orders", key Some("k"), body good_body().to_string() => 409 "pos_busy";
    refusal_order_not_found: "GET" "/v1/orders/ORD00000000000000000000000000", key None, body "" => 404 "order_not_found";
    refusal_invalid_path_param: "GET" "/v1/orders/ORD%20%3C", key None, body "" => 400 "invalid_path_param";
    refusal_cancel_without_a_key: "POST" "/v1/orders/{made}/cancel", key None, body "" => 400 "empty_required_header";
    refusal_cannot_refund_order: "POST" "/v1/orders/{made}/refund", key Some("r"), body "" => 409 "cannot_refund_order";
}

/// The remaining codes: a token Mercado Pago refuses, a site it does not serve, a key still in
/// process (423, retried with the same key), a server error; each read into the client's error.
#[tokio::test]
async fn the_client_reads_every_error_into_one_error_type() {
    let sb = sandbox("MLA").await;
    let c = client(&sb);
    let (pos, _) = register_pos(&sb, &c, "CAJA1").await;
    let bad = client_with(&sb, "TEST-1-1-abc-1", Duration::from_secs(5));
    let e = bad.order("ORD1").await.unwrap_err();
    assert!(matches!(e, ApiError::InvalidToken(_)), "{e:?}");
    assert_eq!(e.error_key(), Some("unauthorized"));
    let colombia = {
        let account = sb.world().add_user("MCO", None).unwrap();
        client_with(&sb, &account.token, Duration::from_secs(5))
    };
    let e = colombia.order("ORD1").await.unwrap_err();
    assert_eq!(code(&e), (Some(400), "unsupported_site"));
    // 423 (the key still in process): the same key again, until the first is done.
    sb.add_fault(FaultRule::next("orders_create", Fault::Status { status: 423 }, 2));
    let made = c
        .create_order(&order_body("LOCK1A1", &pos, "10.00"), "lock-key")
        .await
        .unwrap();
    let keys: Vec<String> = sb
        .requests()
        .iter()
        .filter(|r| r.route == "orders_create")
        .map(|r| r.headers["x-idempotency-key"].clone())
        .collect();
    assert_eq!(keys, ["lock-key", "lock-key", "lock-key"], "retried with its key");
    assert!(made.id.starts_with("ORD"));
    sb.add_fault(FaultRule::next("orders_get", Fault::Status { status: 500 }, 3));
    let e = c.order(&made.id).await.unwrap_err();
    assert!(matches!(e, ApiError::Server { status: 500, .. }), "{e:?}");
    assert!(e.is_transient());
}

/// The create's answer is lost (the sandbox carries it out later, on its own): the register
/// replays it with the same key and the same body, and there is one order.
#[tokio::test]
async fn a_lost_create_answer_is_replayed_with_its_key_and_makes_one_order() {
    let mut k = impatient().await;
    k.sb.add_fault(FaultRule::next("orders_create", Fault::Late { ms: 800 }, 1));
    let sale = k.charge(&cart("100", 1)).await;
    k.pay(Outcome::Approved);
    k.until_state(SaleState::Paid).await;
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(k.orders_of(&sale), 1, "one order however many times it was sent");
    let sent: Vec<(String, String)> =
        k.sb.requests()
            .iter()
            .filter(|r| r.route == "orders_create")
            .map(|r| (r.headers["x-idempotency-key"].clone(), r.body.clone()))
            .collect();
    assert!(sent.len() >= 2, "{sent:?}");
    assert!(
        sent.iter().all(|s| *s == sent[0]),
        "the same key and the same body: {sent:?}"
    );
    assert_eq!(
        k.register.journal().get(sale.id).unwrap().order_key.as_deref(),
        Some(sent[0].0.as_str()),
        "the key was journaled"
    );
    k.money_agrees();
}

/// Mercado Pago locks an idempotency key while its request is in process: a create that lands
/// late, sent while a payment in review still holds the POS, is replayed into
/// `423 resource_locked` and never judged apart from it. It lands once the POS is free, and the
/// sale it was sent for holds that order: nothing payable is left for a sale that ended.
#[tokio::test]
async fn a_late_create_on_a_busy_pos_keeps_its_key_and_leaves_no_order_behind() {
    let mut k = impatient().await;
    let first = k.charge(&cart("100", 1)).await;
    let payment = k.pay(Outcome::Pending);
    k.until("in review", |e| e.progress == Progress::PaymentInProcess).await;
    k.register.cancel(first.id).unwrap();
    k.until_state(SaleState::Pending).await;
    k.sb.add_fault(FaultRule::next("orders_create", Fault::Late { ms: 1000 }, 1));
    let second = k.register.charge(&cart("200", 1), true).await.unwrap();
    // The review approves the first payment before the create lands (the client's 300 ms
    // timeout has replayed it by then).
    tokio::time::sleep(Duration::from_millis(500)).await;
    k.sb.world().resolve_pending(payment, true).unwrap();
    k.sb.flush_notices();
    k.register.wake(first.id);
    let settled = k
        .until("the second sale's create settled", |e| {
            e.sale_id == second.id && e.state != SaleState::Creating
        })
        .await;
    let sent: Vec<String> =
        k.sb.requests()
            .iter()
            .filter(|r| r.route == "orders_create")
            .map(|r| r.headers["x-idempotency-key"].clone())
            .collect();
    assert!(sent.len() >= 3, "the second create was replayed: {sent:?}");
    assert_eq!(
        settled.state,
        SaleState::Waiting,
        "the create that landed is the sale's order"
    );
    assert_eq!(k.orders_of(&second), 1);
    k.register.cancel(second.id).unwrap();
    k.until_state(SaleState::Cancelled).await;
    k.pos_settles().await;
    k.money_settles().await;
    assert_eq!(k.register.journal().get(first.id).unwrap().state, SaleState::Paid);
}

/// A cancel while the create is still in process at Mercado Pago, and the sale's lifetime
/// passes before it lands: the order lives its `expiration_time` from when it landed, so the
/// withdraw waits for it (its key answers 423 meanwhile), learns it by its key and cancels it.
#[tokio::test]
async fn a_create_that_lands_after_the_sales_lifetime_is_still_withdrawn() {
    let mut k = impatient().await;
    k.sb.add_fault(FaultRule::next("orders_create", Fault::Late { ms: 1500 }, 1));
    let sale = k.register.charge(&cart("100", 1), false).await.unwrap();
    k.until_sent("orders_create").await;
    k.register.cancel(sale.id).unwrap();
    let ttl = k.register.config().order_ttl.as_secs() as i64;
    k.sb.world().advance(ttl + 60);
    k.until_state(SaleState::Cancelled).await;
    assert_eq!(k.orders_of(&sale), 1, "the create landed, once");
    let order = k.register.journal().get(sale.id).unwrap().order_id;
    assert!(order.is_some(), "the sale learnt its order by its key");
    k.pos_settles().await;
    assert!(k.pos_is_empty(), "nothing payable for a cancelled sale");
    k.money_agrees();
}

/// The customer pays while the cashier cancels: the cancel meets a paid order (409), the
/// order is read, and the sale is paid.
#[tokio::test]
async fn a_cancel_that_meets_a_paid_order_reads_it_and_the_sale_is_paid() {
    let mut k = counter_with_api("MLA", Api::Orders, thirty_second_polls(), None).await;
    let sale = k.charge(&cart("100", 1)).await;
    k.pay(Outcome::Approved);
    k.register.cancel(sale.id).unwrap();
    let end = k
        .until("an end", |e| {
            e.state == SaleState::Paid || e.state == SaleState::Cancelled
        })
        .await;
    assert_eq!(end.state, SaleState::Paid);
    assert!(
        k.sb.requests().iter().any(|r| r.route == "orders_cancel"),
        "the cancel was sent, and met the paid order"
    );
    let order = k.register.journal().get(sale.id).unwrap().order_id.unwrap();
    assert_eq!(k.sb.world().qr_orders[&order].status, "processed", "the payment won");
    k.money_agrees();
}

/// A payment in review when the sale is given up: the order cannot be cancelled under it, the
/// sale is pending, and it is paid when the review approves it; refused, the order (waiting
/// again) is cancelled and the sale ends as it was given up.
#[tokio::test]
async fn a_payment_in_review_keeps_an_orders_sale_pending_until_it_is_decided() {
    for approve in [true, false] {
        let mut k = counter_on(Api::Orders).await;
        let sale = k.charge(&cart("100", 1)).await;
        let payment = k.pay(Outcome::Pending);
        k.until("in review", |e| e.progress == Progress::PaymentInProcess).await;
        k.register.cancel(sale.id).unwrap();
        k.until_state(SaleState::Pending).await;
        assert!(k.register.open_sale().unwrap().is_none(), "the register is free");
        k.sb.world().resolve_pending(payment, approve).unwrap();
        let end = k
            .until("decided", |e| {
                e.state == SaleState::Paid || e.state == SaleState::Cancelled
            })
            .await;
        assert_eq!(end.state, if approve { SaleState::Paid } else { SaleState::Cancelled });
        assert!(k.pos_is_empty(), "nothing payable left");
        k.money_agrees();
    }
}

/// Up to ten lines go with the order as items (a string `unit_price`, an integer `quantity`, a
/// `unit_measure`); a longer cart goes without them. The body has what the contract says and
/// nothing it refuses.
#[tokio::test]
async fn the_orders_body_is_what_the_contract_says_and_long_carts_go_without_items() {
    for lines in [2usize, 11] {
        let mut k = counter_on(Api::Orders).await;
        let cart = Cart {
            lines: (0..lines)
                .map(|i| CartLine {
                    sku: Some(format!("77900{i}")),
                    title: format!("Producto {i}"),
                    description: None,
                    unit_price: parse_amount("150.50").unwrap(),
                    quantity: 2,
                    weight: None,
                })
                .collect(),
        };
        let sale = k.charge(&cart).await;
        let body: Value = serde_json::from_str(
            &k.sb
                .requests()
                .iter()
                .find(|r| r.route == "orders_create")
                .unwrap()
                .body,
        )
        .unwrap();
        let total = format!("{}.00", 301 * lines);
        assert_eq!(body["type"], "qr");
        assert_eq!(body["external_reference"], sale.order_reference());
        assert!(body["external_reference"]
            .as_str()
            .unwrap()
            .chars()
            .all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(body["total_amount"], total);
        assert_eq!(body["transactions"]["payments"], json!([{ "amount": total }]));
        assert_eq!(body["expiration_time"], "PT10M");
        assert_eq!(
            body["config"]["qr"],
            json!({ "external_pos_id": "CAJA1", "mode": "static" })
        );
        for refused in ["title", "notification_url", "currency_id"] {
            assert!(body.get(refused).is_none(), "{refused} is refused by the Orders API");
        }
        if lines <= 10 {
            let item = &body["items"][0];
            assert_eq!(
                (&item["unit_price"], &item["quantity"], &item["unit_measure"]),
                (&json!("150.50"), &json!(2), &json!("unit"))
            );
            assert!(item.get("total_amount").is_none());
        } else {
            assert!(body.get("items").is_none(), "more than ten lines: no items");
        }
        k.pay(Outcome::Approved);
        k.until_state(SaleState::Paid).await;
        k.money_agrees();
    }
}

/// A Chilean sale: integer strings.
#[tokio::test]
async fn a_chilean_order_has_integer_amounts() {
    let mut k = counter_with_api("MLC", Api::Orders, quick_schedule(), None).await;
    k.charge(&cart("1990", 3)).await;
    let body: Value = serde_json::from_str(
        &k.sb
            .requests()
            .iter()
            .find(|r| r.route == "orders_create")
            .unwrap()
            .body,
    )
    .unwrap();
    assert_eq!(body["total_amount"], "5970");
    k.pay(Outcome::Approved);
    k.until_state(SaleState::Paid).await;
    k.money_agrees();
}

/// An account whose site the Orders API does not serve (Colombia), forced onto it: the sale
/// fails with Mercado Pago's `unsupported_site`, and nothing is on the POS.
#[tokio::test]
async fn an_orders_sale_on_a_site_the_reference_does_not_list_fails_in_words() {
    let mut k = counter_with_api("MCO", Api::Orders, quick_schedule(), None).await;
    k.register.charge(&cart("15000", 1), false).await.unwrap();
    let failed = k.until_state(SaleState::Failed).await;
    assert!(
        matches!(&failed.progress, Progress::Failed { message, code } if message.contains("unsupported_site") && code.as_deref() == Some("unsupported_site")),
        "{failed:?}"
    );
    assert!(k.pos_is_empty());
    // The same register on the attended model charges.
    let mut legacy = counter_with_api("MCO", Api::Legacy, quick_schedule(), None).await;
    legacy.charge(&cart("15000", 1)).await;
}

/// A counter whose client gives up after 300 ms, on the Orders API.
async fn impatient() -> Counter {
    let mut k = counter_on(Api::Orders).await;
    let config = k.register.config().clone();
    let c = client_with(&k.sb, &k.sb.account.token, Duration::from_millis(300));
    k.register = Register::new(c, k.register.journal().clone(), config, k.sb.clock());
    k.events = k.register.subscribe();
    k
}

/// Webhooks signed in every form the contract names: each is only a cue (the sale reads its
/// order), each wakes it, and what its signature said is kept for Settings to show.
#[tokio::test]
async fn webhooks_are_checked_in_every_form_and_are_only_ever_a_cue() {
    use qr_cashier::sandbox::orders::WebhookStyle;
    let cases = [
        ("as sent", WebhookStyle::default(), "secret", Signature::Valid),
        (
            "lowercased id",
            WebhookStyle {
                lowercase_id: true,
                ..Default::default()
            },
            "secret",
            Signature::Valid,
        ),
        (
            "ts in seconds",
            WebhookStyle {
                seconds: true,
                ..Default::default()
            },
            "secret",
            Signature::Valid,
        ),
        (
            "unsigned",
            WebhookStyle {
                unsigned: true,
                ..Default::default()
            },
            "secret",
            Signature::Missing,
        ),
        (
            "a wrong signature",
            WebhookStyle {
                wrong_signature: true,
                ..Default::default()
            },
            "secret",
            Signature::Invalid,
        ),
        (
            "a wrong secret here",
            WebhookStyle::default(),
            "not-the-secret",
            Signature::Invalid,
        ),
    ];
    for (what, style, ours, expected) in cases {
        let ipn = listener::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let mut k = counter_with_api("MLA", Api::Orders, thirty_second_polls(), None).await;
        k.sb.set_webhook(k.sb.account.user_id, &ipn.url(), "secret");
        k.sb.world().webhook_style = style;
        let heard = ipn.heard();
        ipn.serve(k.register.clone(), Some(ours.into()));
        k.charge(&cart("100", 1)).await;
        let started = std::time::Instant::now();
        k.pay(Outcome::Approved);
        k.until_state(SaleState::Paid).await;
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{what}: the webhook woke the sale"
        );
        for _ in 0..100 {
            if heard.lock().unwrap().signature.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(heard.lock().unwrap().signature, Some(expected), "{what}");
        k.money_agrees();
    }
}

/// Sent twice, or replayed hours later: one look per order and version, and a replay's old
/// `ts` is reported stale; an order of another app is ignored. Never money.
#[tokio::test]
async fn duplicated_replayed_and_foreign_webhooks_wake_nothing_more() {
    let ipn = listener::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let url = ipn.url();
    let mut k = counter_with_api("MLA", Api::Orders, thirty_second_polls(), None).await;
    k.sb.set_webhook(k.sb.account.user_id, &url, "secret");
    k.sb.world().webhook_style.duplicates = true;
    let heard = ipn.heard();
    ipn.serve(k.register.clone(), Some("secret".into()));
    let sale = k.charge(&cart("100", 1)).await;
    k.pay(Outcome::Approved);
    k.until_state(SaleState::Paid).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(heard.lock().unwrap().count >= 2, "both copies came");
    let order = k.register.journal().get(sale.id).unwrap().order_id.unwrap();
    let looks = |k: &Counter| k.sb.requests().iter().filter(|r| r.route == "orders_get").count();
    let before = looks(&k);
    // A replay of a webhook hours old, signed with the right secret: stale, and nothing else.
    let ts = (chrono::Utc::now() - chrono::Duration::hours(5)).timestamp_millis();
    let old = qr_cashier::sandbox::orders::signature("secret", &order, "req-1", ts, &Default::default());
    let http = reqwest::Client::new();
    let body = json!({ "type": "order", "action": "order.processed", "data": { "id": order, "version": 99 } });
    let r = http
        .post(format!("{url}?data.id={order}&type=order"))
        .header("x-signature", old)
        .header("x-request-id", "req-1")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "answered at once");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(heard.lock().unwrap().signature, Some(Signature::Stale));
    // An order nobody here made: not looked at.
    let foreign = json!({ "type": "order", "data": { "id": "ORDTST01KC220W64G2BQFHHEY1EN1ZZJ", "version": 1 } });
    http.post(format!("{url}?data.id=ORDTST01KC220W64G2BQFHHEY1EN1ZZJ&type=order"))
        .json(&foreign)
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        looks(&k) - before <= 1,
        "the replay looked once at most, the foreign one not at all"
    );
    assert_eq!(k.register.journal().get(sale.id).unwrap().state, SaleState::Paid);
    k.money_agrees();
}

/// A register whose POS or account changed under it keeps its API per sale: a sale begun on
/// the attended model finishes on it after the register moved to the Orders API.
#[tokio::test]
async fn a_sale_finishes_on_the_api_it_began_on() {
    let mut k = counter_on(Api::Legacy).await;
    let sale = k.charge(&cart("100", 1)).await;
    k.register.shutdown();
    k.register = Register::new(
        k.register.client().clone(),
        k.register.journal().clone(),
        qr_cashier::register::RegisterConfig {
            api: Api::Orders,
            ..k.register.config().clone()
        },
        k.sb.clock(),
    );
    k.events = k.register.subscribe();
    k.register.recover().unwrap();
    // The next sale is refused while the first holds the POS; the first is paid on the
    // attended model.
    assert!(matches!(
        k.register.charge(&cart("5", 1), false).await,
        Err(RegisterError::Busy { .. })
    ));
    k.api = Api::Legacy;
    k.pay(Outcome::Approved);
    k.until_state(SaleState::Paid).await;
    assert_eq!(k.register.journal().get(sale.id).unwrap().api, Api::Legacy);
    // The next one goes on the Orders API.
    let next = k.charge(&cart("5", 1)).await;
    assert_eq!(next.api, Api::Orders);
    k.api = Api::Orders;
    k.pay(Outcome::Approved);
    k.until_state(SaleState::Paid).await;
    k.money_agrees();
}
