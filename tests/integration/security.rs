//! Security properties read from the real configuration and checked on the real listener, and
//! the doors around the token, one test each:
//! 1. the API address: `the_token_follows_no_address_it_should_not`;
//! 2. the notification door under a flood: `a_flood_of_notifications_neither_stalls_a_sale…`;
//! 3. the notification URL and a taken port: `notifications_go_only_to_the_public_address…`;
//! 4. and 5. the demo's sandbox and QR: `the_demo_sandbox_answers_only_the_app…`;
//! 6. CSV formulas: `sale::catalog::tests::formulas_in_names_are_exported_inert…` (unit);
//! 7. Mercado Pago's bodies: `mercadopago::error::payer_data_tests` (unit);
//! 8. the owner PIN: `the_owners_actions_need_the_owner_pin_in_rust`, `owner::tests` (unit).
//!
//! In the window (`tests/e2e/main.rs`): 1 through the store owner's set-up, 3's notice, 5's DEMO
//! on the customer display, 8's PIN dialog (`the_owner_pin_guards_the_owners_actions…`).

use std::time::Duration;

use qr_cashier::register::listener;
use qr_cashier::sale::SaleState;
use serde_json::Value;

use crate::sale_life::{cart, counter_with, quick_schedule};

fn root(file: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).unwrap()
}

/// The app's commands, as `build.rs` declares them for the permission manifest.
fn commands() -> Vec<String> {
    let build = root("build.rs");
    let list = &build[build.find("const COMMANDS").unwrap()..build.find("];").unwrap()];
    list.split('"').skip(1).step_by(2).map(str::to_owned).collect()
}

#[test]
fn the_csp_allows_no_remote_and_no_inline_script() {
    let conf: Value = serde_json::from_str(&root("tauri.conf.json")).unwrap();
    let csp = &conf["app"]["security"]["csp"];
    assert_eq!(csp["default-src"], "'self'");
    assert_eq!(csp["script-src"], "'self'", "no remote, inline or eval script");
    assert_eq!(csp["object-src"], "'none'");
    assert_eq!(
        csp["connect-src"], "ipc: http://ipc.localhost",
        "the page talks to Rust only"
    );
    let all = csp.to_string();
    assert!(
        !all.contains("unsafe") && !all.contains('*') && !all.contains("https:"),
        "{all}"
    );
    assert!(conf["app"]["security"]
        .get("dangerousDisableAssetCspModification")
        .is_none());
    assert_eq!(
        conf["build"]["frontendDist"], "ui",
        "no remote content: the pages ship with the app"
    );
}

#[test]
fn capabilities_grant_each_window_only_this_apps_own_commands() {
    let commands = commands();
    assert!(commands.len() > 20);
    let mut windows = Vec::new();
    for entry in std::fs::read_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("capabilities")).unwrap() {
        let cap: Value = serde_json::from_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap()).unwrap();
        assert!(cap.get("remote").is_none(), "no remote URL gets IPC access");
        for w in cap["windows"].as_array().unwrap() {
            windows.push(w.as_str().unwrap().to_owned());
        }
        for p in cap["permissions"].as_array().unwrap() {
            let p = p.as_str().expect("plain permission names, no scopes");
            let command = p
                .strip_prefix("allow-")
                .unwrap_or_else(|| panic!("{p}: only allow- permissions"))
                .replace('-', "_");
            assert!(commands.contains(&command), "{p} is not one of this app's commands");
        }
        if cap["identifier"] == "customer" {
            let granted: Vec<&str> = cap["permissions"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(Value::as_str)
                .collect();
            assert_eq!(
                granted,
                [
                    "allow-app-info",
                    "allow-subscribe",
                    "allow-current-sale",
                    "allow-register-qr"
                ],
                "the customer display only reads"
            );
        }
    }
    windows.sort();
    assert_eq!(windows, ["customer", "main"]);
}

/// Every command the shell registers is declared for the permission manifest and granted to
/// the cashier's window (one left out is refused at run time, and the page's call fails).
#[test]
fn every_registered_command_is_declared_and_granted_to_the_cashier() {
    let shell = root("src-tauri/desktop/mod.rs");
    let handler = &shell[shell.find("generate_handler![").unwrap()..];
    let handler = &handler[..handler.find("])").unwrap()];
    let registered: Vec<String> = handler
        .split(',')
        .filter_map(|c| c.trim().rsplit("::").next().map(str::to_owned))
        .filter(|c| !c.is_empty() && !c.contains('['))
        .collect();
    assert!(registered.len() > 30, "{registered:?}");
    let declared = commands();
    let main: Value = serde_json::from_str(&root("capabilities/main.json")).unwrap();
    let granted: Vec<String> = main["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p.as_str()?.strip_prefix("allow-").map(|c| c.replace('-', "_")))
        .collect();
    for command in &registered {
        assert!(declared.contains(command), "{command} is not declared in build.rs");
        assert!(
            granted.contains(command),
            "{command} is not granted to the cashier's window"
        );
    }
}

#[test]
fn the_webview_gets_no_filesystem_shell_or_http_plugin() {
    let cargo = root("Cargo.toml");
    for plugin in [
        "tauri-plugin-fs",
        "tauri-plugin-shell",
        "tauri-plugin-http",
        "tauri-plugin-dialog",
        "tauri-plugin-opener",
    ] {
        assert!(
            !cargo.contains(plugin),
            "{plugin} would give the page more than its commands"
        );
    }
    let conf = root("tauri.conf.json");
    assert!(!conf.contains("assetProtocol"), "no asset protocol scope");
}

#[tokio::test]
async fn the_notification_listener_binds_where_told_caps_bodies_and_trusts_nothing() {
    let ipn = listener::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    assert!(ipn.addr().ip().is_loopback());
    let url = ipn.url();
    let mut k = counter_with("MLA", quick_schedule(), Some(url.clone())).await;
    ipn.serve(k.register.clone(), None);
    let sale = k.charge(&cart("100", 1)).await;
    let http = reqwest::Client::new();
    // A forged notification claiming a paid merchant order of another account.
    let forged = serde_json::json!({ "resource": "https://api.mercadolibre.com/merchant_orders/1", "topic": "merchant_order", "status": "closed", "paid": true });
    let r = http
        .post(format!("{url}?topic=merchant_order&id=1"))
        .json(&forged)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = http.post(&url).body("{not json").send().await.unwrap();
    assert_eq!(r.status(), 400, "garbage is refused");
    let r = http
        .post(&url)
        .body(vec![b'x'; listener::MAX_BODY + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413, "bodies are capped");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        k.register.journal().get(sale.id).unwrap().state,
        SaleState::Waiting,
        "a notification alone never pays a sale"
    );
}

/// Door 1: the token goes only where the store owner said, over https or to this PC; a new
/// address is confirmed and must know the token as the same account before it is kept.
#[test]
fn the_token_follows_no_address_it_should_not() {
    use crate::commands::Shell;
    use serde_json::json;
    let shell = Shell::demo("MLA");
    let sb = tauri::async_runtime::block_on(qr_cashier::sandbox::Sandbox::start(0, "MLA")).unwrap();
    let change = |url: &str, confirm: bool| {
        json!({ "change": { "apiBaseUrl": url, "orderTtlSecs": 600, "notificationsEnabled": false,
                            "notificationsBind": "127.0.0.1:0", "confirmAddress": confirm } })
    };
    // No account yet: a loopback address is taken as it is (the token is checked when saved).
    shell.invoke("save_settings", change(sb.base_url(), false)).unwrap();
    shell
        .invoke("save_token", json!({ "token": sb.account.token }))
        .unwrap();
    let kept = || shell.invoke("get_settings", json!({})).unwrap()["apiBaseUrl"].clone();
    assert_eq!(kept(), sb.base_url());
    // Plain http to another machine: refused, whatever the confirmation.
    for url in [
        "http://api.mercadopago.com",
        "http://192.168.0.10:8080",
        "http://0.0.0.0:8088",
        "http://localhost.evil.example",
    ] {
        let e = shell.invoke("save_settings", change(url, true)).unwrap_err();
        assert_eq!(
            (e["kind"].as_str(), e["reason"].as_str()),
            (Some("bad_base_url"), Some("not_https")),
            "{url}: {e}"
        );
        assert_eq!(kept(), sb.base_url(), "{url}");
    }
    // Another address: asked first; confirmed, it must know the token.
    let other = tauri::async_runtime::block_on(qr_cashier::sandbox::Sandbox::start(0, "MLA")).unwrap();
    let e = shell
        .invoke("save_settings", change(other.base_url(), false))
        .unwrap_err();
    assert_eq!(
        (e["kind"].as_str(), e["to"].as_str()),
        (Some("confirm_address"), Some(other.base_url())),
        "{e}"
    );
    assert!(
        other.requests().is_empty(),
        "nothing was sent before the store owner said yes"
    );
    let e = shell
        .invoke("save_settings", change(other.base_url(), true))
        .unwrap_err();
    assert_eq!(e["kind"], "token_refused", "{e}");
    assert_eq!(
        kept(),
        sb.base_url(),
        "an address that does not know the token is not kept"
    );
    // The same Mercado Pago under another name: confirmed, checked, kept and shown.
    let same = sb.base_url().replace("127.0.0.1", "localhost");
    shell.invoke("save_settings", change(&same, true)).unwrap();
    assert_eq!(kept(), same.as_str());
    assert_eq!(
        shell.invoke("account_status", json!({})).unwrap()["apiAddress"],
        same.as_str()
    );
}

/// Door 4: the demo's sandbox plays the customer only for the app. Its control routes refuse a
/// caller without its per-start secret (another program on the PC cannot pay, fault or read
/// the demo); its QR files stay open, as Mercado Pago's are. Door 5: the demo's QR encodes an
/// address that never resolves.
#[test]
fn the_demo_sandbox_answers_only_the_app_and_its_qr_pays_nothing() {
    use crate::commands::Shell;
    use qr_cashier::desktop::AppState;
    use tauri::Manager;
    let shell = Shell::demo("MLA");
    let counter = shell.window.state::<AppState>().counter();
    let sb = counter.sandbox.as_ref().unwrap();
    let base = sb.base_url().to_owned();
    let pos = sb.world().pos[0].id;
    let http = reqwest::Client::new();
    tauri::async_runtime::block_on(async {
        for (method, path) in [
            (reqwest::Method::GET, "/sandbox/state".to_owned()),
            (reqwest::Method::POST, "/sandbox/clock".to_owned()),
            (reqwest::Method::POST, "/sandbox/faults".to_owned()),
            (reqwest::Method::POST, format!("/sandbox/pos/{pos}/customer")),
            (reqwest::Method::POST, "/sandbox/users".to_owned()),
            (reqwest::Method::GET, "/sandbox/requests".to_owned()),
        ] {
            for secret in [None, Some(""), Some("guess"), Some("e2e-sandbox-control")] {
                let mut req = http
                    .request(method.clone(), format!("{base}{path}"))
                    .json(&serde_json::json!({}));
                if let Some(s) = secret {
                    req = req.header("x-sandbox-secret", s);
                }
                let status = req.send().await.unwrap().status();
                assert_eq!(status, 403, "{method} {path} with {secret:?}");
            }
        }
        let qr = http.get(format!("{base}/sandbox/qr/{pos}.png")).send().await.unwrap();
        assert_eq!(qr.status(), 200, "the QR image is open, as Mercado Pago's is");
        let png = qr.bytes().await.unwrap();
        assert_eq!(
            crate::qr::qr_in(&png),
            vec![format!("https://qr-cashier-demo.invalid/not-a-payment/pos/{pos}")]
        );
    });
}

/// Door 3: Mercado Pago is told to notify only the public address the store set (never a bind
/// address it cannot reach), and a notification port taken by another program leaves the
/// counter selling (by polling) and says why.
#[test]
fn notifications_go_only_to_the_public_address_and_a_taken_port_is_said() {
    use qr_cashier::counter::Counter;
    use secrecy::SecretString;
    tauri::async_runtime::block_on(async {
        let sb = qr_cashier::sandbox::Sandbox::start(0, "MLA").await.unwrap();
        sb.add_register("CAJA1");
        let dir = tempfile::tempdir().unwrap();
        let paths = qr_cashier::paths::AppPaths::under(dir.path().to_path_buf());
        let mut settings = qr_cashier::settings::Settings::default();
        settings.api_base_url = sb.base_url().to_owned();
        settings.account = Some(qr_cashier::settings::AccountSettings {
            user_id: sb.account.user_id,
            site_id: "MLA".into(),
            nickname: None,
        });
        settings.pos_external_id = Some("CAJA1".into());
        settings.notifications.enabled = true;
        let token = || SecretString::from(sb.account.token.clone());
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        settings.notifications.bind = taken.local_addr().unwrap().to_string();
        let c = Counter::start_live(&paths, &settings, token(), None)
            .await
            .expect("the counter opens");
        assert!(c
            .listener_trouble
            .as_deref()
            .is_some_and(|t| t.contains(&settings.notifications.bind)));
        assert_eq!(c.notification_url, None);
        drop(c);
        settings.notifications.bind = "127.0.0.1:0".into();
        let c = Counter::start_live(&paths, &settings, token(), None).await.unwrap();
        assert_eq!(c.listener_trouble, None);
        assert_eq!(c.notification_url, None, "no public address: Mercado Pago is told none");
        drop(c);
        settings.notifications.public_url = Some("https://caja1.example.com/".into());
        let c = Counter::start_live(&paths, &settings, token(), None).await.unwrap();
        assert_eq!(c.notification_url.as_deref(), Some("https://caja1.example.com/ipn"));
    });
}

/// Door 2: thousands of notifications from one machine on the store's network, while a
/// customer pays, with ids Mercado Pago does not know and ids repeated: the paid sale's own
/// notification still brings it in (polls here are 30 s apart: only a notification can), and
/// Mercado Pago gets a bounded number of lookups for the flood.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_notifications_neither_stalls_a_sale_nor_burns_the_rate_limit() {
    use crate::sale_life::thirty_second_polls;
    use qr_cashier::sandbox::Outcome;
    let ipn = listener::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let url = ipn.url();
    let mut k = counter_with("MLA", thirty_second_polls(), Some(url.clone())).await;
    ipn.serve(k.register.clone(), None);
    let sale = k.charge(&cart("100", 1)).await;
    k.until_state(SaleState::Waiting).await;
    let looked_up = |k: &crate::sale_life::Counter| {
        k.sb.requests()
            .iter()
            .filter(|r| matches!(r.route.as_str(), "get_merchant_order" | "get_payment"))
            .count()
    };
    let before = looked_up(&k);
    // Another machine (127.0.0.2 stands for it) floods the door from many connections.
    let flooder = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let flood = (0..8).map(|n| {
        let (http, url) = (flooder.clone(), url.clone());
        tokio::spawn(async move {
            let mut answers = std::collections::BTreeMap::<u16, u32>::new();
            for i in 0..400u64 {
                let id = if i % 3 == 0 { 77 } else { 9_000_000 + n * 1000 + i };
                let topic = if i % 2 == 0 { "merchant_order" } else { "payment" };
                let r = http.post(format!("{url}?topic={topic}&id={id}")).send().await;
                *answers.entry(r.map(|r| r.status().as_u16()).unwrap_or(0)).or_default() += 1;
            }
            answers
        })
    });
    let flood: Vec<_> = flood.collect();
    // Meanwhile the customer pays; the sandbox notifies as Mercado Pago does.
    tokio::time::sleep(Duration::from_millis(100)).await;
    k.pay(Outcome::Approved);
    k.until_state(SaleState::Paid).await;
    let mut answers = std::collections::BTreeMap::<u16, u32>::new();
    for f in flood {
        for (status, n) in f.await.unwrap() {
            *answers.entry(status).or_default() += n;
        }
    }
    let seconds = started.elapsed().as_secs_f64().ceil();
    let lookups = looked_up(&k) - before;
    // The flood's lookups: its source's burst and rate, plus the genuine notifications.
    let bound = listener::PER_SOURCE_BURST + listener::PER_SOURCE * seconds + 10.0;
    assert!(
        (lookups as f64) <= bound,
        "{lookups} lookups at Mercado Pago for 3200 notifications in {seconds} s (bound {bound}); answers {answers:?}"
    );
    assert!(
        answers.get(&429).copied().unwrap_or(0) > 2500,
        "the flood was refused: {answers:?}"
    );
    assert_eq!(k.register.journal().get(sale.id).unwrap().state, SaleState::Paid);
    k.money_agrees();
}

/// Door 8: the owner's actions — refunds, the token, the webhook secret, the API address and
/// the options, the register's store, POS and mode — are refused by the commands themselves
/// while owner mode is closed; the PIN opens it, wrong PINs lock it for a while, and the PIN is
/// nowhere but as a salted Argon2id hash.
#[test]
fn the_owners_actions_need_the_owner_pin_in_rust() {
    use crate::commands::{line, Shell, OWNER_PIN};
    use serde_json::json;
    let shell = Shell::demo("MLA");
    let sale = shell.charge(json!([line("Pan", "100", 1)]));
    shell.invoke("demo_customer", json!({ "action": "pay" })).unwrap();
    shell.until_sale("paid", |s| s["state"] == "paid");
    shell.invoke("owner_lock", json!({})).unwrap();
    let settings = json!({ "change": { "apiBaseUrl": "https://api.mercadopago.com", "orderTtlSecs": 600,
                                       "notificationsEnabled": false, "notificationsBind": "127.0.0.1:0" } });
    let pos = json!({ "id": 1, "name": "Caja", "externalId": "CAJA9", "storeId": "1", "qrImage": null, "qrDocument": null, "fixedAmount": true });
    let owners: Vec<(&str, serde_json::Value)> = vec![
        ("refund", json!({ "saleId": sale["id"], "amount": null })),
        ("refund", json!({ "saleId": sale["id"], "amount": null, "extra": true })),
        ("save_token", json!({ "token": "APP_USR-1" })),
        ("forget_token", json!({})),
        ("save_webhook_secret", json!({ "secret": "abc" })),
        ("save_settings", settings.clone()),
        (
            "create_store",
            json!({ "store": { "name": "x", "streetName": "y", "streetNumber": "1", "city": "c", "state": "s" } }),
        ),
        (
            "create_pos",
            json!({ "storeId": 1, "name": "Caja", "externalId": "CAJA9" }),
        ),
        ("choose_pos", json!({ "pos": pos, "storeName": "x" })),
        ("switch_mode", json!({ "mode": "demo" })),
    ];
    let refused = |shell: &Shell, reason: &str| {
        for (cmd, args) in &owners {
            let e = shell.invoke(cmd, args.clone()).unwrap_err();
            assert_eq!(
                (e["kind"].as_str(), e["reason"].as_str()),
                (Some("owner"), Some(reason)),
                "{cmd}: {e}"
            );
        }
    };
    refused(&shell, "needed");
    assert_eq!(shell.invoke("owner_status", json!({})).unwrap()["unlocked"], false);
    // Nothing happened: the sale is as it was, no refund.
    let story = shell.invoke("sale_story", json!({ "saleId": sale["id"] })).unwrap();
    assert_eq!(story["sale"]["outcome"]["kind"], "paid", "{story}");
    // The cashier cannot set a new PIN over the owner's.
    let e = shell.invoke("set_owner_pin", json!({ "pin": "1111" })).unwrap_err();
    assert_eq!(e["reason"], "needed");
    // Wrong PINs, then the lockout (the right PIN waits it out too).
    for (pin, left) in [("0000", 4), ("12345678", 3), ("abcd", 2), ("", 1)] {
        let e = shell.invoke("owner_unlock", json!({ "pin": pin })).unwrap_err();
        assert_eq!(
            (e["reason"].as_str(), e["left"].as_u64()),
            (Some("wrong"), Some(left)),
            "{pin:?}: {e}"
        );
    }
    let e = shell.invoke("owner_unlock", json!({ "pin": "9999" })).unwrap_err();
    assert_eq!(e["reason"], "locked", "{e}");
    let e = shell.invoke("owner_unlock", json!({ "pin": OWNER_PIN })).unwrap_err();
    assert_eq!(e["reason"], "locked", "{e}");
    refused(&shell, "needed");
    // The PIN is in no file, only its hash.
    let mut found = Vec::new();
    crate::live::files_containing(shell.home.path(), OWNER_PIN.as_bytes(), &mut found);
    assert!(found.is_empty(), "the PIN is in {found:?}");
    let mut hashed = Vec::new();
    crate::live::files_containing(shell.home.path(), b"$argon2id$", &mut hashed);
    assert_eq!(hashed.len(), 1, "the hash is kept in one file: {hashed:?}");
    assert!(hashed[0].ends_with("owner.json"), "{hashed:?}");
    // A counter as it first starts: the owner's actions ask for a PIN to be chosen.
    let unset = Shell::demo_as_cashier("MLA", qr_cashier::settings::ApiChoice::Auto);
    refused(&unset, "unset");
}
