//! The client against a live sandbox on loopback: every endpoint, every error kind, every fault.

use std::time::{Duration, Instant};

use qr_cashier::mercadopago::instore_orders::{CreateOrder, OrderItem};
use qr_cashier::mercadopago::merchant_orders::{MerchantOrderQuery, MerchantOrderStatus, PaymentStatus};
use qr_cashier::mercadopago::pos::CreatePos;
use qr_cashier::mercadopago::ApiError;
use qr_cashier::money::parse_amount;
use qr_cashier::sandbox::{Fault, FaultRule, Outcome};

use crate::support::*;

fn order(reference: &str, currency: &str, price: &str, quantity: u32) -> CreateOrder {
    CreateOrder {
        external_reference: reference.into(),
        notification_url: None,
        sponsor_id: None,
        items: vec![OrderItem {
            id: Some("7790001".into()),
            title: "Yerba 1kg".into(),
            description: None,
            picture_url: None,
            currency_id: currency.into(),
            unit_price: parse_amount(price).unwrap(),
            quantity,
        }],
        taxes: vec![],
    }
}

#[tokio::test]
async fn order_create_sends_exact_amounts_ttl_and_bearer_token() {
    let sb = sandbox("MLA").await;
    let c = client(&sb);
    let (pos, _) = register_pos(&sb, &c, "CAJA1").await;
    let created = c
        .create_pos_order(
            sb.account.user_id,
            &pos,
            &order("sale-1", "ARS", "1234.50", 2),
            Some(Duration::from_secs(300)),
        )
        .await
        .unwrap();
    assert!(
        created.id.starts_with(&format!("{}-", sb.account.user_id)),
        "{}",
        created.id
    );
    assert_eq!(created.total_amount.unwrap(), parse_amount("2469").unwrap());
    let sent = sb.requests().into_iter().find(|r| r.route == "create_order").unwrap();
    assert!(sent.bearer && !sent.token_in_query);
    assert_eq!(sent.headers["x-ttl-store-preference"], "300");
    assert!(sent.body.contains(r#""unit_price":1234.50"#), "{}", sent.body);
    assert!(sent.body.contains(r#""quantity":2"#), "{}", sent.body);
    let truth = sb.world();
    let on_pos = truth.orders.values().next().unwrap();
    assert_eq!(on_pos.external_reference, "sale-1");
    assert!(on_pos.expires - on_pos.created == chrono::Duration::seconds(300));
}

#[tokio::test]
async fn a_bad_token_is_invalid_token_on_instore_and_elsewhere() {
    let sb = sandbox("MLA").await;
    let (pos, _) = register_pos(&sb, &client(&sb), "CAJA1").await;
    let bad = client_with(&sb, "TEST-1-2-3-4", Duration::from_secs(5));
    let e = bad
        .create_pos_order(sb.account.user_id, &pos, &order("r", "ARS", "10", 1), None)
        .await
        .unwrap_err();
    assert!(
        matches!(e, ApiError::InvalidToken(ref b) if b.error == "invalid_access_token" && b.status == Some(400)),
        "{e:?}"
    );
    let e = bad
        .search_merchant_orders(&MerchantOrderQuery::by_reference("r"))
        .await
        .unwrap_err();
    assert!(
        matches!(e, ApiError::InvalidToken(ref b) if b.error == "invalid_token" && b.status == Some(401)),
        "{e:?}"
    );
    let e = bad.me().await.unwrap_err();
    assert!(matches!(e, ApiError::InvalidToken(_)), "{e:?}");
}

#[tokio::test]
async fn validation_errors_keep_mercado_pagos_key_and_message() {
    let sb = sandbox("MLA").await;
    let c = client(&sb);
    let (pos, _) = register_pos(&sb, &c, "CAJA1").await;
    let uid = sb.account.user_id;
    let e = c
        .create_pos_order(uid, &pos, &order("r", "BRL", "10", 1), None)
        .await
        .unwrap_err();
    assert_eq!(e.error_key(), Some("invalid_items"));
    // Mercado Pago's message stays in the error (for the debug log), out of what it says.
    assert!(e.body().unwrap().message.contains("currency_id"), "{e:?}");
    assert_eq!(e.to_string(), "Mercado Pago refused the request: invalid_items (400)");
    let mut empty = order("r", "ARS", "10", 1);
    empty.items.clear();
    let e = c.create_pos_order(uid, &pos, &empty, None).await.unwrap_err();
    assert!(matches!(e, ApiError::Validation { status: 400, .. }) && e.error_key() == Some("invalid_items"));
    let e = c
        .create_pos_order(uid + 1, &pos, &order("r", "ARS", "10", 1), None)
        .await
        .unwrap_err();
    assert_eq!(e.error_key(), Some("invalid_collector_id"));
    let mut sponsored = order("r", "ARS", "10", 1);
    sponsored.sponsor_id = Some(uid);
    let e = c.create_pos_order(uid, &pos, &sponsored, None).await.unwrap_err();
    assert_eq!(e.error_key(), Some("invalid_sponsor_id"));
    let e = c
        .create_pos_order(uid, "NOSUCHPOS", &order("r", "ARS", "10", 1), None)
        .await
        .unwrap_err();
    assert!(
        matches!(e, ApiError::NotFound(ref b) if b.error == "point_of_sale_not_found"),
        "{e:?}"
    );
    let e = c.merchant_order(1).await.unwrap_err();
    assert!(matches!(e, ApiError::NotFound(_)), "{e:?}");
}

#[tokio::test]
async fn integer_currencies_refuse_decimals_on_both_sides() {
    for site in ["MLC", "MCO"] {
        let sb = sandbox(site).await;
        let c = client(&sb);
        let (pos, _) = register_pos(&sb, &c, "CAJA1").await;
        let currency = if site == "MLC" { "CLP" } else { "COP" };
        let bad = order("r", currency, "1500.50", 1);
        // The client's own check refuses before any request...
        assert!(bad.check(currency.parse().unwrap()).is_err());
        // ...and the sandbox refuses it too, as Mercado Pago does, if it is sent anyway.
        let e = c
            .create_pos_order(sb.account.user_id, &pos, &bad, None)
            .await
            .unwrap_err();
        assert!(e.body().unwrap().message.contains("integer values"), "{e:?}");
        assert_eq!(e.error_key(), Some("invalid_items"));
        let good = order("r", currency, "1500", 3);
        assert!(good.check(currency.parse().unwrap()).is_ok());
        let created = c.create_pos_order(sb.account.user_id, &pos, &good, None).await.unwrap();
        assert_eq!(created.total_amount.unwrap().to_string(), "4500");
    }
}

#[tokio::test]
async fn delete_is_done_whether_or_not_the_pos_holds_an_order() {
    let sb = sandbox("MLA").await;
    let c = client(&sb);
    let (pos, _) = register_pos(&sb, &c, "CAJA1").await;
    c.create_pos_order(sb.account.user_id, &pos, &order("r", "ARS", "10", 1), None)
        .await
        .unwrap();
    c.delete_pos_order(sb.account.user_id, &pos).await.unwrap();
    assert!(sb.world().orders.is_empty());
    c.delete_pos_order(sb.account.user_id, &pos).await.unwrap();
}

#[tokio::test]
async fn a_sale_seen_through_merchant_orders_payments_and_refunds() {
    let sb = sandbox("MLA").await;
    let c = client(&sb);
    let (pos, pos_id) = register_pos(&sb, &c, "CAJA1").await;
    let uid = sb.account.user_id;
    c.create_pos_order(uid, &pos, &order("sale-42", "ARS", "100.10", 1), None)
        .await
        .unwrap();
    let found = c
        .search_merchant_orders(&MerchantOrderQuery::by_reference("sale-42"))
        .await
        .unwrap();
    assert!(found.elements.is_empty(), "nobody scanned yet");
    let mo_id = sb.world().scan(pos_id).unwrap()["merchant_order_id"].as_u64().unwrap();
    assert!(mo_id > u32::MAX as u64, "ids exceed 32 bits");
    let rejected = sb.world().pay(mo_id, Outcome::Rejected, None).unwrap();
    let found = c
        .search_merchant_orders(&MerchantOrderQuery::by_reference("sale-42"))
        .await
        .unwrap();
    assert_eq!(found.elements[0].status, MerchantOrderStatus::Opened);
    assert_eq!(found.elements[0].payments[0].status, PaymentStatus::Rejected);
    let paid = sb.world().pay(mo_id, Outcome::Approved, None).unwrap();
    let mo = c.merchant_order(mo_id).await.unwrap();
    assert_eq!(mo.status, MerchantOrderStatus::Closed);
    assert_eq!(mo.order_status.as_deref(), Some("paid"));
    assert_eq!(mo.paid_amount.unwrap().to_string(), "100.1");
    assert!(sb.world().orders.is_empty(), "a paid order leaves the POS");
    let pay_id = paid["payment_id"].as_u64().unwrap();
    let p = c.payment(pay_id).await.unwrap();
    assert_eq!(p.status, PaymentStatus::Approved);
    assert_eq!(p.order.unwrap().id, Some(mo_id));
    assert_eq!(p.external_reference.as_deref(), Some("sale-42"));
    assert_eq!(p.point_of_interaction.unwrap().kind.as_deref(), Some("INSTORE"));
    let all = c.search_payments("sale-42").await.unwrap();
    assert_eq!(all.paging.total, 2);
    assert_eq!(all.results[0].id, pay_id, "newest first");
    assert_eq!(all.results[1].id, rejected["payment_id"].as_u64().unwrap());
    // A part refund, then the same refund again (a retry with its key) changes nothing.
    let r1 = c
        .refund_payment(pay_id, Some(parse_amount("40.10").unwrap()), "refund-a")
        .await
        .unwrap();
    let again = c
        .refund_payment(pay_id, Some(parse_amount("40.10").unwrap()), "refund-a")
        .await
        .unwrap();
    assert_eq!(r1.id, again.id);
    assert_eq!(
        c.payment(pay_id)
            .await
            .unwrap()
            .transaction_amount_refunded
            .unwrap()
            .to_string(),
        "40.1"
    );
    let rest = c.refund_payment(pay_id, None, "refund-b").await.unwrap();
    assert_eq!(rest.amount.unwrap().to_string(), "60");
    assert_eq!(c.payment(pay_id).await.unwrap().status, PaymentStatus::Refunded);
    let e = c.refund_payment(pay_id, None, "refund-c").await.unwrap_err();
    assert!(matches!(e, ApiError::Validation { .. }), "{e:?}");
    let refund_call = sb.requests().into_iter().find(|r| r.route == "refund").unwrap();
    assert_eq!(refund_call.headers["x-idempotency-key"], "refund-a");
}

#[tokio::test]
async fn search_filters_and_pages() {
    let sb = sandbox("MLA").await;
    let c = client(&sb);
    let (pos, pos_id) = register_pos(&sb, &c, "CAJA1").await;
    c.create_pos_order(sb.account.user_id, &pos, &order("multi", "ARS", "5", 1), None)
        .await
        .unwrap();
    for _ in 0..3 {
        sb.world().scan(pos_id).unwrap();
    }
    let q = |status: Option<&str>, limit, offset| MerchantOrderQuery {
        external_reference: Some("multi".into()),
        status: status.map(Into::into),
        limit: Some(limit),
        offset: Some(offset),
        ..Default::default()
    };
    let page = c.search_merchant_orders(&q(None, 2, 0)).await.unwrap();
    assert_eq!(
        (page.elements.len(), page.total, page.next_offset),
        (2, Some(3), Some(2))
    );
    let page = c.search_merchant_orders(&q(None, 2, 2)).await.unwrap();
    assert_eq!(page.elements.len(), 1);
    assert!(c
        .search_merchant_orders(&q(Some("closed"), 10, 0))
        .await
        .unwrap()
        .elements
        .is_empty());
    let e = c.search_merchant_orders(&q(None, 1000, 0)).await.unwrap_err();
    assert_eq!(e.error_key(), Some("ds_search_query"));
}

#[tokio::test]
async fn account_stores_and_pos() {
    let sb = sandbox("MLB").await;
    let c = client(&sb);
    let me = c.me().await.unwrap();
    assert_eq!(
        (me.id, me.site_id.as_str(), me.country_id.as_deref()),
        (sb.account.user_id, "MLB", Some("BR"))
    );
    assert_eq!(c.user_id_from_token(), Some(me.id));
    let (_, pos_id) = register_pos(&sb, &c, "CAIXA1").await;
    let stores = c.search_stores(me.id, Some("SCAIXA1")).await.unwrap();
    assert_eq!(stores.results.len(), 1);
    let found = c.search_pos(Some("CAIXA1"), None).await.unwrap();
    assert_eq!(found.results[0].id, pos_id);
    let qr = found.results[0].qr.as_ref().unwrap().image.clone().unwrap();
    let png = reqwest::get(&qr).await.unwrap().bytes().await.unwrap();
    assert_eq!(&png[1..4], b"PNG");
    let dup = CreatePos {
        name: "Caixa 2".into(),
        fixed_amount: true,
        store_id: Some(stores.results[0].id),
        external_store_id: None,
        external_id: "caixa1".into(),
        category: None,
    };
    let e = c.create_pos(&dup).await.unwrap_err();
    assert!(matches!(e, ApiError::Validation { status: 409, .. }), "{e:?}");
}

#[tokio::test]
async fn transient_faults_are_retried_and_recover() {
    let sb = sandbox("MLA").await;
    let c = client(&sb);
    let (pos, _) = register_pos(&sb, &c, "CAJA1").await;
    for fault in [
        Fault::Status { status: 500 },
        Fault::Status { status: 503 },
        Fault::Drop,
    ] {
        sb.add_fault(FaultRule::next("search_merchant_orders", fault.clone(), 2));
        let before = sb.requests().len();
        c.search_merchant_orders(&MerchantOrderQuery::by_reference("x"))
            .await
            .unwrap_or_else(|e| panic!("{fault:?}: {e}"));
        assert_eq!(sb.requests().len() - before, 3, "{fault:?}: two failures then success");
    }
    // A request that changes the POS is never repeated by the client: its answer may be lost
    // after it landed, and only the register, which knows what else it sent there, may send it
    // again (after looking).
    for (route, fault) in [
        ("create_order", Fault::Status { status: 502 }),
        ("delete_order", Fault::Drop),
    ] {
        sb.add_fault(FaultRule::next(route, fault.clone(), 1));
        let before = sb.requests().len();
        let e = match route {
            "create_order" => c
                .create_pos_order(sb.account.user_id, &pos, &order("r", "ARS", "10", 1), None)
                .await
                .map(|_| ())
                .unwrap_err(),
            _ => c.delete_pos_order(sb.account.user_id, &pos).await.unwrap_err(),
        };
        assert!(e.is_uncertain(), "{route} {fault:?}: {e:?}");
        assert_eq!(sb.requests().len() - before, 1, "{route}: sent once");
    }
    c.create_pos_order(sb.account.user_id, &pos, &order("r", "ARS", "10", 1), None)
        .await
        .unwrap();
    c.delete_pos_order(sb.account.user_id, &pos).await.unwrap();
}

#[tokio::test]
async fn rate_limits_wait_for_retry_after() {
    let sb = sandbox("MLA").await;
    let c = client(&sb);
    sb.add_fault(FaultRule::next(
        "me",
        Fault::RateLimit {
            retry_after: 1,
            http_date: false,
        },
        1,
    ));
    let started = Instant::now();
    c.me().await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was not honoured"
    );
    // A Retry-After beyond the policy's limit ends the call, with the wait to show.
    sb.add_fault(FaultRule::next(
        "me",
        Fault::RateLimit {
            retry_after: 60,
            http_date: false,
        },
        1,
    ));
    let e = c.me().await.unwrap_err();
    assert!(
        matches!(e, ApiError::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(60)),
        "{e:?}"
    );
}

#[tokio::test]
async fn persistent_faults_fail_with_the_right_error_after_the_policys_attempts() {
    let sb = sandbox("MLA").await;
    let c = client_with(&sb, &sb.account.token, Duration::from_millis(300));
    let cases = [
        (Fault::Status { status: 500 }, "Server", 3),
        (Fault::Delay { ms: 800 }, "Timeout", 3),
        (Fault::Drop, "Network", 3),
        (Fault::Malformed, "UnexpectedBody", 1),
        (Fault::Empty, "UnexpectedBody", 1),
    ];
    for (fault, kind, attempts) in cases {
        sb.clear_faults();
        sb.add_fault(FaultRule::next("get_payment", fault.clone(), 10));
        let before = sb.requests().len();
        let e = c.payment(123).await.unwrap_err();
        assert!(format!("{e:?}").starts_with(kind), "{fault:?} gave {e:?}");
        assert_eq!(sb.requests().len() - before, attempts, "{fault:?}");
    }
}

#[tokio::test]
async fn a_refund_is_retried_with_the_same_idempotency_key() {
    let sb = sandbox("MLA").await;
    let c = client(&sb);
    let (pos, pos_id) = register_pos(&sb, &c, "CAJA1").await;
    c.create_pos_order(sb.account.user_id, &pos, &order("r", "ARS", "10", 1), None)
        .await
        .unwrap();
    let mo = sb.world().scan(pos_id).unwrap()["merchant_order_id"].as_u64().unwrap();
    let pay = sb.world().pay(mo, Outcome::Approved, None).unwrap()["payment_id"]
        .as_u64()
        .unwrap();
    // The first answer is lost after the refund was made: the retry must not refund twice.
    sb.add_fault(FaultRule::next("refund", Fault::Delay { ms: 800 }, 1));
    let c_short = client_with(&sb, &sb.account.token, Duration::from_millis(300));
    let r = c_short
        .refund_payment(pay, Some(parse_amount("4").unwrap()), "k-1")
        .await
        .unwrap();
    assert_eq!(r.amount.unwrap().to_string(), "4");
    let keys: Vec<String> = sb
        .requests()
        .iter()
        .filter(|r| r.route == "refund")
        .map(|r| r.headers["x-idempotency-key"].clone())
        .collect();
    assert_eq!(keys, ["k-1", "k-1"]);
    assert_eq!(sb.world().refunds.len(), 1, "refunded once");
}

#[tokio::test]
async fn a_base_url_that_is_not_a_url_is_refused_up_front() {
    for bad in ["", "api.mercadopago.com", "ftp://x", "http://", "not a url"] {
        let config = qr_cashier::mercadopago::Config::new(bad, secrecy::SecretString::from("TEST-1".to_owned()));
        assert!(
            matches!(
                qr_cashier::mercadopago::Client::new(config),
                Err(ApiError::BadBaseUrl(_))
            ),
            "{bad:?}"
        );
    }
}
