//! Mercado Pago's own sample payloads: the client parses them, and the sandbox answers the same
//! calls with the same field names and JSON types (a shape comparison, not string equality).

use qr_cashier::mercadopago::instore_orders::{CreateOrder, CreatedOrder};
use qr_cashier::mercadopago::merchant_orders::{MerchantOrder, MerchantOrderSearch, MerchantOrderStatus};
use qr_cashier::mercadopago::notifications::{self, Cue};
use qr_cashier::mercadopago::payments::Payment;
use qr_cashier::mercadopago::pos::Pos;
use qr_cashier::mercadopago::stores::Store;
use qr_cashier::mercadopago::Page;
use qr_cashier::sandbox::Outcome;
use serde_json::Value;

use crate::support::*;

fn parse<T: serde::de::DeserializeOwned>(name: &str) -> T {
    serde_json::from_str(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn every_sample_parses_into_the_clients_types() {
    let req: CreateOrder = parse("instore-v1_create_request.json");
    assert_eq!(req.items[0].unit_price.to_string(), "120.00");
    assert_eq!(req.sponsor_id, Some(446566691));
    let created: CreatedOrder = parse("instore-v1_create_response.json");
    assert_eq!(created.collector_id, Some(360472057));
    let mo: MerchantOrder = parse("merchant-order_get.json");
    assert_eq!((mo.id, mo.status), (9999999999, MerchantOrderStatus::Closed));
    assert_eq!(mo.application_id.as_deref(), Some("9999999999999999"));
    let search: MerchantOrderSearch = parse("merchant-order_search.json");
    assert_eq!(search.elements.len(), 3);
    let empty: MerchantOrderSearch = parse("merchant-order_search_not_scanned.json");
    assert!(empty.elements.is_empty());
    let payment: Payment = parse("payment_get.json");
    assert_eq!(payment.id, 1, "a string id parses");
    assert_eq!(payment.order.unwrap().id, None);
    let qr_payment: Payment = parse("orders-api_static_qr_payment.json");
    assert!(qr_payment.id > u32::MAX as u64);
    assert!(qr_payment.pos_id.is_some() && qr_payment.store_id.is_some());
    let pos: Pos = parse("pos_create_response.json");
    assert_eq!(pos.id, 2711382);
    assert!(pos.qr.unwrap().image.unwrap().ends_with(".png"));
    let found: Page<Pos> = parse("pos_search_response.json");
    assert_eq!(found.results.len(), 2);
    let store: Store = parse("store_create_response.json");
    assert_eq!(store.id, 1234567);
    let ipn = fixture("ipn_merchant_order_body.json");
    assert_eq!(
        notifications::parse("", ipn.as_bytes()),
        Some(Cue::MerchantOrder(15140831325))
    );
    let hook = fixture("webhook_payment_body.json");
    assert!(matches!(
        notifications::parse("", hook.as_bytes()),
        Some(Cue::Payment(_))
    ));
}

/// Every field of the sample is in ours with the same JSON type (null matches anything: the
/// samples and real answers both leave optional fields null).
fn same_shape(sample: &Value, ours: &Value, path: &str, problems: &mut Vec<String>) {
    match (sample, ours) {
        (Value::Null, _) | (_, Value::Null) => {}
        (Value::Object(s), Value::Object(o)) => {
            for (k, v) in s {
                match o.get(k) {
                    None => problems.push(format!("{path}.{k} missing")),
                    Some(ov) => same_shape(v, ov, &format!("{path}.{k}"), problems),
                }
            }
        }
        (Value::Array(s), Value::Array(o)) => {
            if let (Some(a), Some(b)) = (s.first(), o.first()) {
                same_shape(a, b, &format!("{path}[0]"), problems);
            }
        }
        (Value::Number(_), Value::Number(_))
        | (Value::String(_), Value::String(_))
        | (Value::Bool(_), Value::Bool(_)) => {}
        // Old samples send ids as numeric strings, real answers as numbers: the client takes both.
        (Value::String(t), Value::Number(_)) if path.ends_with("id") && t.parse::<u64>().is_ok() => {}
        (s, o) => problems.push(format!("{path}: sample {s} but sandbox {o}")),
    }
}

fn assert_shape(name: &str, ours: &Value) {
    let sample: Value = serde_json::from_str(&fixture(name)).unwrap();
    let mut problems = Vec::new();
    same_shape(&sample, ours, "", &mut problems);
    assert!(problems.is_empty(), "{name}: {problems:#?}");
}

async fn get(sb: &qr_cashier::sandbox::Sandbox, path: &str) -> Value {
    let r = reqwest::Client::new()
        .get(format!("{}{path}", sb.base_url()))
        .bearer_auth(&sb.account.token)
        .send()
        .await
        .unwrap();
    r.json().await.unwrap()
}

async fn send(sb: &qr_cashier::sandbox::Sandbox, path: &str, body: &str) -> Value {
    let r = reqwest::Client::new()
        .post(format!("{}{path}", sb.base_url()))
        .bearer_auth(&sb.account.token)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    r.json().await.unwrap()
}

#[tokio::test]
async fn the_sandbox_answers_in_the_samples_shapes() {
    let sb = sandbox("MLA").await;
    let uid = sb.account.user_id;
    let store = send(&sb, &format!("/users/{uid}/stores"), r#"{"name":"Sucursal","external_id":"1234","location":{"street_number":"3039","street_name":"Caseros","city_name":"Belgrano","state_name":"Capital Federal","latitude":-32.8,"longitude":-68.8},"business_hours":{"monday":[{"open":"08:00","close":"12:00"}],"tuesday":[{"open":"09:00","close":"18:00"}]}}"#).await;
    assert_shape("store_create_response.json", &store);
    let pos = send(&sb, "/pos", &format!(r#"{{"name":"Caja Principal","fixed_amount":true,"store_id":{},"external_id":"CAJA001","category":621102}}"#, store["id"].as_str().unwrap())).await;
    assert_shape("pos_create_response.json", &pos);
    assert_shape("pos_search_response.json", &get(&sb, "/pos?external_id=CAJA001").await);
    let request = fixture("instore-v1_create_request.json").replace("446566691", "1");
    let created = send(&sb, &format!("/mpmobile/instore/qr/{uid}/CAJA001"), &request).await;
    assert_shape("instore-v1_create_response.json", &created);
    assert_shape(
        "merchant-order_search_not_scanned.json",
        &get(&sb, "/merchant_orders/search?external_reference=Factura-0001").await,
    );
    let mo = sb.world().scan(pos["id"].as_u64().unwrap()).unwrap()["merchant_order_id"]
        .as_u64()
        .unwrap();
    let paid = sb.world().pay(mo, Outcome::Approved, None).unwrap()["payment_id"]
        .as_u64()
        .unwrap();
    assert_shape(
        "merchant-order_get.json",
        &get(&sb, &format!("/merchant_orders/{mo}")).await,
    );
    assert_shape(
        "merchant-order_search.json",
        &get(&sb, "/merchant_orders?external_reference=Factura-0001").await,
    );
    let payment = get(&sb, &format!("/v1/payments/{paid}")).await;
    assert_shape("payment_get.json", &payment);
    // The fields a QR payment adds, as in a real QR sale.
    let qr: Value = serde_json::from_str(&fixture("orders-api_static_qr_payment.json")).unwrap();
    let keys = [
        "id",
        "status",
        "status_detail",
        "external_reference",
        "transaction_amount",
        "currency_id",
        "order",
        "pos_id",
        "store_id",
    ];
    let pick = |v: &Value| {
        serde_json::json!(keys
            .iter()
            .map(|k| (k.to_string(), v[k].clone()))
            .collect::<serde_json::Map<_, _>>())
    };
    let mut problems = Vec::new();
    same_shape(&pick(&qr), &pick(&payment), "", &mut problems);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(
        payment["point_of_interaction"]["type"],
        qr["point_of_interaction"]["type"]
    );
}

fn contract_example(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/orders-contract")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The Orders API's samples: a processed static QR order from a test account, and the
/// contract's examples (an order as created, a whole refund, an error, a webhook), read by the
/// client; an order is judged as the money rules say.
#[test]
fn the_orders_api_samples_parse_and_are_judged() {
    use qr_cashier::mercadopago::orders::{Order, OrderStatus};
    use qr_cashier::money::{parse_amount, Currency};
    use qr_cashier::register::{judge_order, Observed};
    let paid: Order = parse("orders-api_static_qr_order.json");
    assert_eq!(
        (paid.id.as_str(), paid.status),
        ("ORDTST01KC220W64G2BQFHHEY1EN1ZZJ", OrderStatus::Processed)
    );
    assert_eq!(paid.user_id.as_deref(), Some("3021033244"));
    let v = judge_order(&paid, parse_amount("5200").unwrap(), Currency::Ars);
    assert_eq!(
        v.observed,
        Observed::Paid {
            paid: parse_amount("5200").unwrap()
        }
    );
    assert_eq!(
        v.payment_ids,
        [137159042654],
        "the classic payment id, from reference_id"
    );
    // The same order in another currency is not this sale's money.
    assert_eq!(
        judge_order(&paid, parse_amount("5200").unwrap(), Currency::Brl).collected,
        parse_amount("0").unwrap()
    );
    let created: Order = serde_json::from_str(&contract_example("create_response_static.json")).unwrap();
    assert_eq!(
        (created.status, created.country_code.as_deref()),
        (OrderStatus::Created, Some("ARG"))
    );
    assert!(judge_order(&created, parse_amount("50").unwrap(), Currency::Ars).payable);
    let refunded: Order = serde_json::from_str(&contract_example("refund_response_full.json")).unwrap();
    assert_eq!(refunded.status, OrderStatus::Refunded);
    assert_eq!(
        refunded.transactions.refunds[0].amount,
        Some(parse_amount("38").unwrap())
    );
    let error = qr_cashier::mercadopago::ErrorBody::parse(&contract_example("error_required_properties.json")).unwrap();
    assert_eq!(
        (error.error.as_str(), error.message.as_str()),
        ("required_properties", "Missing properties")
    );
    let hook = contract_example("webhook_order_expired.json");
    assert_eq!(
        notifications::parse("", hook.as_bytes()),
        Some(Cue::Order {
            id: "ORD01JV391F8YM8EDEAG8CWZ0GM0N".into(),
            version: Some(2)
        })
    );
}

/// The sandbox's Orders API answers in the shapes of the samples: an order as created, and a
/// processed one as a test account's looks.
#[tokio::test]
async fn the_sandbox_answers_orders_in_the_samples_shapes() {
    let sb = sandbox("MLA").await;
    let c = client(&sb);
    let (pos, pos_id) = register_pos(&sb, &c, "SUC22CAJA1").await;
    let body = format!(
        r#"{{"type":"qr","external_reference":"ID23","description":"Order QR - Sucursal 22","total_amount":"5200.00","expiration_time":"PT16M",
           "config":{{"qr":{{"external_pos_id":"{pos}","mode":"static"}}}},"transactions":{{"payments":[{{"amount":"5200.00"}}]}},
           "items":[{{"title":" Citric naranja 1lt","unit_price":"5200.00","unit_measure":"unit","external_code":"7798085681568","quantity":1}}]}}"#
    );
    let r = reqwest::Client::new()
        .post(format!("{}/v1/orders", sb.base_url()))
        .bearer_auth(&sb.account.token)
        .header("x-idempotency-key", "shape-1")
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    let mut sample: Value = serde_json::from_str(&contract_example("create_response_static.json")).unwrap();
    // The contract's example carries a discount and item categories, which the app never sends.
    sample.as_object_mut().unwrap().remove("discounts");
    sample["items"][0]
        .as_object_mut()
        .unwrap()
        .remove("external_categories");
    let mut problems = Vec::new();
    same_shape(&sample, &created, "", &mut problems);
    assert!(problems.is_empty(), "as created: {problems:#?}");
    sb.world().pay_qr_order(pos_id, Outcome::Approved).unwrap();
    let paid = get(&sb, &format!("/v1/orders/{}", created["id"].as_str().unwrap())).await;
    assert_shape("orders-api_static_qr_order.json", &paid);
}
