//! The store owner's path through the real commands, on an account in the sandbox: the token
//! checked and kept in the real keyring, the register set up, a sale, a refund, the records.
//! Then the token is looked for everywhere it must not be.

use std::path::Path;
use std::time::Duration;

use qr_cashier::sandbox::Outcome;
use serde_json::{json, Value};

use crate::commands::{line, Shell};

pub fn files_containing(dir: &Path, needle: &[u8], found: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_containing(&path, needle, found);
        } else if let Ok(bytes) = std::fs::read(&path) {
            if bytes.windows(needle.len()).any(|w| w == needle) {
                found.push(path.display().to_string());
            }
        }
    }
}

#[test]
fn set_up_an_account_sell_refund_reconcile_and_the_token_is_nowhere() {
    // Windows: the Credential Manager needs no session bus.
    #[cfg(target_os = "linux")]
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "run with `make test`: it provides the keyring"
    );
    let shell = Shell::demo("MLA");
    let results: std::cell::RefCell<Vec<Value>> = Default::default();
    let call = |cmd: &str, args: Value| -> Result<Value, Value> {
        let r = shell.invoke(cmd, args);
        results.borrow_mut().push(r.clone().unwrap_or_else(|e| e));
        r
    };
    // A full demo sale first.
    let demo = shell.charge(json!([line("Demo", "10", 1)]));
    call("demo_customer", json!({ "action": "pay" })).unwrap();
    shell.until_sale("demo paid", |s| s["state"] == "paid");
    call("acknowledge", json!({ "saleId": demo["id"] })).unwrap();

    // The account lives in a sandbox of its own (a "real" Mercado Pago for this test).
    let sb = tauri::async_runtime::block_on(qr_cashier::sandbox::Sandbox::start(0, "MLB")).unwrap();
    let token = sb.account.token.clone();
    let s = call("get_settings", json!({})).unwrap();
    assert_eq!(s["apiBaseUrl"], "https://api.mercadopago.com");
    // On the attended model (Brazil's default is the Orders API): its refunds can be partial.
    let change = json!({ "apiBaseUrl": sb.base_url(), "orderTtlSecs": 600, "notificationsEnabled": false, "notificationsBind": "127.0.0.1:0", "api": "legacy" });
    call("save_settings", json!({ "change": change })).unwrap();
    let bad = call("save_token", json!({ "token": "not a token" })).unwrap_err();
    assert_eq!(
        (bad["kind"].as_str(), bad["reason"].as_str()),
        (Some("setup"), Some("not_a_token"))
    );
    let wrong = format!("TEST-{}-112525-{}-{}", "7".repeat(16), "ab".repeat(16), 123456789);
    let refused = call("save_token", json!({ "token": wrong })).unwrap_err();
    assert_eq!(refused["kind"], "token_refused");
    assert!(
        call("account_status", json!({})).unwrap()["account"].is_null(),
        "a refused token is not kept"
    );
    let account = call("save_token", json!({ "token": token })).unwrap();
    assert_eq!(
        (
            account["site"].as_str(),
            account["currency"].as_str(),
            account["test"].as_bool()
        ),
        (Some("MLB"), Some("BRL"), Some(true))
    );
    let status = call("account_status", json!({})).unwrap();
    assert_eq!(status["account"]["userId"], sb.account.user_id);

    let store = json!({ "name": "Padaria Central", "streetName": "Rua Augusta", "streetNumber": "100", "city": "São Paulo", "state": "SP" });
    let store = call("create_store", json!({ "store": store })).unwrap();
    let e = call(
        "create_pos",
        json!({ "storeId": store["id"], "name": "Caixa 1", "externalId": "caixa 1!" }),
    )
    .unwrap_err();
    assert_eq!(e["reason"], "bad_pos_code");
    let pos = call(
        "create_pos",
        json!({ "storeId": store["id"], "name": "Caixa 1", "externalId": "CAIXA1" }),
    )
    .unwrap();
    let dup = call(
        "create_pos",
        json!({ "storeId": store["id"], "name": "Caixa 1", "externalId": "caixa1" }),
    )
    .unwrap_err();
    assert_eq!(
        dup["kind"], "refused",
        "a duplicate POS code is refused by Mercado Pago"
    );
    let listed = call("list_pos", json!({ "storeId": store["id"] })).unwrap();
    assert_eq!(listed[0]["externalId"], "CAIXA1");
    call("choose_pos", json!({ "pos": pos, "storeName": "Padaria Central" })).unwrap();
    call("switch_mode", json!({ "mode": "live" })).unwrap();
    let info = call("app_info", json!({})).unwrap();
    assert_eq!(
        (
            info["mode"].as_str(),
            info["currency"].as_str(),
            info["posName"].as_str()
        ),
        (Some("live"), Some("BRL"), Some("Caixa 1"))
    );
    assert!(
        info["sandboxUrl"].is_null(),
        "no sandbox runs while an account is in use: {info}"
    );

    // A real-mode sale, paid by a customer of the account's sandbox.
    let sale = shell.charge(json!([line("Pão francês", "0.75", 12), line("Café", "6.50", 2)]));
    assert_eq!(sale["total"], "R$ 22,00");
    let id = sale["id"].clone();
    // While it is open, the account and the register stay as they are.
    for (cmd, args) in [
        ("forget_token", json!({})),
        (
            "choose_pos",
            json!({ "pos": { "id": 1, "name": "Otra", "externalId": "OTRA1" }, "storeName": "x" }),
        ),
    ] {
        let e = call(cmd, args).unwrap_err();
        assert_eq!(
            (e["kind"].as_str(), e["saleId"].as_i64()),
            (Some("sale_unfinished"), id.as_i64()),
            "{cmd}: {e}"
        );
    }
    // The token is revoked while the sale waits: the cashier is told, and a new token of the
    // same account takes over the running register.
    let renewed = sb.world().renew_token(sb.account.user_id).unwrap();
    let refused = shell.until_sale("the token refused", |s| {
        s["lastError"]
            .as_str()
            .is_some_and(|e| e.contains("refused the access token"))
    });
    assert_eq!(refused["state"], "waiting");
    call("save_token", json!({ "token": renewed })).unwrap();
    let pos_id = pos["id"].as_u64().unwrap();
    let mo = sb.world().scan(pos_id).unwrap()["merchant_order_id"].as_u64().unwrap();
    sb.world().pay(mo, Outcome::Approved, None).unwrap();
    shell.until_sale("paid", |s| s["state"] == "paid");
    let story = call("refund", json!({ "saleId": id, "amount": "5.5" })).unwrap();
    assert_eq!(story["refunded"], "R$ 5,50");
    assert_eq!(
        story["sale"]["collected"], "R$ 16,50",
        "the journal holds what Mercado Pago holds"
    );
    let e = call("refund", json!({ "saleId": id, "amount": "100" })).unwrap_err();
    assert_eq!(e["reason"], "bad_amount");
    let day = chrono::Local::now().format("%Y-%m-%d").to_string();
    let path = call("export_day_csv", json!({ "day": day })).unwrap();
    let csv = std::fs::read_to_string(path.as_str().unwrap()).unwrap();
    assert!(
        csv.contains(",paid,refunded,false,") && csv.contains(",BRL,22.00,16.50,5.50,0.00,"),
        "{csv}"
    );
    let summary = call("day_summary", json!({ "day": day })).unwrap();
    assert_eq!(summary["collectedTotal"], "R$ 16,50");
    assert_eq!(summary["refundedTotal"], "R$ 5,50");
    assert_eq!(
        call("reconcile", json!({ "day": day })).unwrap(),
        json!([]),
        "the journal matches"
    );
    // Someone refunds the rest on Mercado Pago's website: the reconciliation finds it.
    let payment = *sb.world().payments.keys().next().unwrap();
    let key = Some("outside-the-app");
    let user = sb.world().users[0].clone();
    sb.world().refund(&user, &payment.to_string(), "", key).unwrap();
    let diffs = call("reconcile", json!({ "day": day })).unwrap();
    let elsewhere: Vec<&Value> = diffs
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["what"] == "refunded_elsewhere")
        .collect();
    assert_eq!(elsewhere.len(), 1, "{diffs}");
    assert_eq!(
        (&elsewhere[0]["saleId"], elsewhere[0]["amount"].as_str()),
        (&id, Some("R$ 16,50"))
    );
    call("acknowledge", json!({ "saleId": id })).unwrap();

    // The token: in no file under the app's folders, in no command result.
    std::thread::sleep(Duration::from_millis(200));
    let mut found = Vec::new();
    for token in [&token, &renewed] {
        files_containing(shell.home.path(), token.as_bytes(), &mut found);
        assert!(found.is_empty(), "the token is in {found:?}");
        for r in results.borrow().iter() {
            assert!(
                !r.to_string().contains(token.as_str()),
                "the token is in a command result: {r}"
            );
        }
    }
    call("forget_token", json!({})).unwrap();
    assert_eq!(
        call("app_info", json!({})).unwrap()["mode"],
        "demo",
        "forgetting the token goes back to the demo"
    );
    assert!(call("account_status", json!({})).unwrap()["account"].is_null());
}
