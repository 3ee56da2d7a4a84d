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
