//! Drives the real app window: tauri-driver (which starts WebKitWebDriver) opens the app built
//! by this `cargo test`, and fantoccini speaks WebDriver to it. Needs a display and a D-Bus
//! session, which `make test` provides; without them the tests fail and say so.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

/// The WebDriver key for Enter.
pub const ENTER: &str = "\u{E007}";

/// The demo sandbox's control secret in these tests (`QR_CASHIER_SANDBOX_SECRET`), so they can
/// play the customer and the network from outside the app.
pub const SANDBOX_SECRET: &str = "e2e-sandbox-control";

/// The owner PIN the tests choose.
pub const OWNER_PIN: &str = "2468";

/// One window at a time: two WebKit processes on two cores only slow each other down.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The app's folder (`QR_CASHIER_HOME`): a fresh one per test, or a given one that outlives
/// the app (the bundle test upgrades the app on the same folder).
pub struct Home {
    _temp: Option<tempfile::TempDir>,
    path: PathBuf,
}

impl Home {
    /// A fresh folder, removed with the `Home`.
    pub fn fresh() -> Home {
        let temp = tempfile::tempdir().unwrap();
        Home {
            path: temp.path().to_owned(),
            _temp: Some(temp),
        }
    }

    /// A given folder, left in place.
    pub fn kept(path: &std::path::Path) -> Home {
        Home {
            path: path.to_owned(),
            _temp: None,
        }
    }

    pub fn path(&self) -> &std::path::Path {
        &self.path
    }
}

pub struct App {
    // Dropped first: the app ends before its folder is removed.
    driver: Driver,
    pub client: Client,
    pub home: Home,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

/// tauri-driver in a process group of its own, with the WebKitWebDriver and the app it starts:
/// dropped (the test ended or failed), the whole group is ended, so no app outlives its test.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn tauri_driver() -> PathBuf {
    if let Some(p) = std::env::var_os("TAURI_DRIVER") {
        return p.into();
    }
    let local = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".tools/bin/tauri-driver");
    assert!(
        local.exists(),
        "tauri-driver is missing: run the tests with `make test`, which installs it"
    );
    local
}

impl App {
    /// Starts the app with a fresh data folder and connects to its window.
    pub async fn start() -> App {
        Self::start_with(&[]).await
    }

    pub async fn start_with(env: &[(&str, &str)]) -> App {
        Self::launch(env!("CARGO_BIN_EXE_qr-cashier"), Home::fresh(), env).await
    }

    /// The installed program (`QR_CASHIER_APP`) on a folder that outlives it
    /// (`QR_CASHIER_BUNDLE_HOME`), as `make test-bundle` sets them.
    pub async fn installed() -> App {
        let app = std::env::var("QR_CASHIER_APP").expect("QR_CASHIER_APP: run this with `make test-bundle`");
        let home =
            std::env::var("QR_CASHIER_BUNDLE_HOME").expect("QR_CASHIER_BUNDLE_HOME: run this with `make test-bundle`");
        Self::launch(&app, Home::kept(std::path::Path::new(&home)), &[]).await
    }

    /// Starts `application` (a path) on `home` and connects to its window, with the store
    /// owner at the counter: the owner PIN chosen (or entered) and owner mode open.
    pub async fn launch(application: &str, home: Home, env: &[(&str, &str)]) -> App {
        let app = Self::launch_as_cashier(application, home, env).await;
        app.wait_attr("link-status", "data-state", "ok").await;
        let script = "const [pin, done] = arguments; const { invoke } = window.__TAURI__.core; \
            invoke('owner_status').then(async (s) => { \
              if (!s.pinSet) await invoke('set_owner_pin', { pin }); \
              else if (!s.unlocked) await invoke('owner_unlock', { pin }); \
              done('ok'); }).catch((e) => done(JSON.stringify(e)));";
        let said = app.client.execute_async(script, vec![OWNER_PIN.into()]).await.unwrap();
        assert_eq!(said, "ok", "owner mode did not open");
        app
    }

    /// A fresh app as a cashier finds it: no owner PIN chosen yet.
    pub async fn start_as_cashier() -> App {
        Self::launch_as_cashier(env!("CARGO_BIN_EXE_qr-cashier"), Home::fresh(), &[]).await
    }

    async fn launch_as_cashier(application: &str, home: Home, env: &[(&str, &str)]) -> App {
        let turn = ONE_AT_A_TIME.lock().await;
        assert!(
            std::env::var_os("DISPLAY").is_some(),
            "no DISPLAY: the end-to-end tests need a display; run them with `make test` (it starts Xvfb)"
        );
        let (port, native_port) = (free_port(), free_port());
        let mut cmd = Command::new(tauri_driver());
        cmd.args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
            .env("QR_CASHIER_HOME", home.path())
            // E2E_APP_LOG=info shows what the app did, when a test needs explaining.
            .env(
                "QR_CASHIER_LOG",
                std::env::var("E2E_APP_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .env("QR_CASHIER_SANDBOX_SECRET", SANDBOX_SECRET)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.process_group(0);
        let driver = Driver(cmd.spawn().expect("tauri-driver did not start"));
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "tauri-driver did not listen on {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), "wry".into());
        caps.insert(
            "tauri:options".into(),
            serde_json::json!({ "application": application }),
        );
        // A new session hangs if the app dies at start: bound it.
        let client = tokio::time::timeout(
            Duration::from_secs(60),
            ClientBuilder::native().capabilities(caps).connect(&url),
        )
        .await
        .expect("the app window did not open within 60 s")
        .expect("WebDriver refused the session");
        App {
            client,
            home,
            driver,
            _turn: turn,
        }
    }

    /// Waits for an element by `data-testid`.
    pub async fn find(&self, testid: &str) -> fantoccini::elements::Element {
        let css = format!("[data-testid=\"{testid}\"]");
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(&css))
            .await
            .unwrap_or_else(|e| panic!("no element {testid}: {e}"))
    }

    /// Waits until the element's text satisfies `ok`, and returns it.
    pub async fn wait_text(&self, testid: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        let mut last = String::new();
        while Instant::now() < deadline {
            if let Ok(t) = self.find(testid).await.text().await {
                if ok(&t) {
                    return t;
                }
                last = t;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.screenshot(&format!("failed-wait-{testid}")).await;
        panic!("{testid} never showed the expected text; last: {last:?}");
    }

    pub async fn wait_attr(&self, testid: &str, attr: &str, want: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        let mut last = None;
        while Instant::now() < deadline {
            last = self.find(testid).await.attr(attr).await.ok().flatten();
            if last.as_deref() == Some(want) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.screenshot(&format!("failed-wait-{testid}")).await;
        panic!("{testid}[{attr}] never became {want:?}; last: {last:?}");
    }

    /// Brings an element to the middle of its scrolling box (a long dialog), as a person
    /// scrolls to what they are about to use.
    async fn scroll_to(&self, el: &fantoccini::elements::Element) {
        let arg = serde_json::to_value(el).unwrap();
        let _ = self
            .client
            .execute("arguments[0].scrollIntoView({ block: 'center' });", vec![arg])
            .await;
    }

    pub async fn click(&self, testid: &str) {
        let el = self.find(testid).await;
        self.scroll_to(&el).await;
        if let Err(e) = el.click().await {
            self.screenshot(&format!("failed-click-{testid}")).await;
            panic!("click {testid}: {e:?}");
        }
    }

    pub async fn type_into(&self, testid: &str, text: &str) {
        let el = self.find(testid).await;
        self.scroll_to(&el).await;
        el.click().await.unwrap_or_else(|e| panic!("focus {testid}: {e}"));
        el.send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("type into {testid}: {e}"));
    }

    /// Sends keys to whatever has the focus, as a cashier's keyboard does.
    pub async fn keys(&self, keys: &str) {
        self.client
            .active_element()
            .await
            .unwrap()
            .send_keys(keys)
            .await
            .unwrap_or_else(|e| panic!("keys {keys:?}: {e}"));
    }

    /// Runs `script` in the page and returns its value.
    pub async fn js(&self, script: &str, args: Vec<serde_json::Value>) -> serde_json::Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("{script}: {e}"))
    }

    /// Picks the page's language, once the page has started (its start applies the saved one).
    pub async fn choose_language(&self, lang: &str) {
        self.wait_attr("link-status", "data-state", "ok").await;
        self.find("language").await.select_by_value(lang).await.unwrap();
    }

    /// Scans the demo's yerba (an Argentine demo: $ 3.500,00), charges it and waits for the
    /// waiting screen.
    pub async fn charge_the_demo_yerba(&self) {
        self.type_into("scan", &format!("7790387000011{ENTER}")).await;
        self.wait_text("cart-total", |t| t == "$ 3.500,00").await;
        self.click("charge").await;
        self.wait_attr("pay-screen", "data-state", "waiting").await;
    }

    /// Opens the customer display from the counter; returns the (counter, customer) windows.
    pub async fn open_customer_display(&self) -> (fantoccini::wd::WindowHandle, fantoccini::wd::WindowHandle) {
        let main = self.client.window().await.unwrap();
        self.click("customer-display").await;
        for _ in 0..100 {
            let handles = self.client.windows().await.unwrap();
            if let Some(customer) = handles.into_iter().find(|h| *h != main) {
                return (main, customer);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the customer display did not open");
    }

    /// Opens the settings and waits until its panels stopped moving (the account is known).
    pub async fn open_settings(&self) {
        self.click("open-settings").await;
        self.wait_attr("settings", "data-state", "ready").await;
    }

    /// Most tests read English texts.
    pub async fn english(&self) {
        self.choose_language("en").await;
    }

    /// Saves a screenshot of the window as `target/screenshots/<name>.png`.
    pub async fn screenshot(&self, name: &str) {
        // Software rendering can show the previous frame for a moment.
        tokio::time::sleep(Duration::from_millis(400)).await;
        let png = tokio::time::timeout(Duration::from_secs(20), self.client.screenshot())
            .await
            .unwrap_or_else(|_| panic!("the screenshot {name} took over 20 s"))
            .expect("screenshot");
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
    }

    /// Closes the app and hands back its folder, for a look at what it left.
    pub async fn stop(self) -> Home {
        let App {
            client,
            driver,
            home,
            _turn,
        } = self;
        let _ = client.close().await;
        drop(driver);
        home
    }
}

impl App {
    /// Runs `invoke(cmd, args)` in the page and returns its answer.
    pub async fn invoke(&self, cmd: &str, args: serde_json::Value) -> serde_json::Value {
        let script = "const [cmd, args, done] = arguments; \
            window.__TAURI__.core.invoke(cmd, args).then((v) => done({ ok: v }), (e) => done({ err: e }));";
        let out = self.client.execute_async(script, vec![cmd.into(), args]).await.unwrap();
        match out.get("ok") {
            Some(v) => v.clone(),
            None => panic!("{cmd} failed: {out}"),
        }
    }

    /// The money oracle on the demo: every sale's collected in the demo's journal equals what
    /// its sandbox holds for it, over all its orders.
    pub async fn demo_money_agrees(&self) {
        self.demo_sandbox()
            .await
            .money_agrees(&demo_journal(self.home.path()))
            .await;
    }

    /// The demo's own sandbox (its address, as the app reports it).
    pub async fn demo_sandbox(&self) -> Sandbox {
        let info = self.invoke("app_info", serde_json::json!({})).await;
        Sandbox {
            base_url: info["sandboxUrl"].as_str().expect("the demo runs a sandbox").to_owned(),
        }
    }

    /// Ends the app's process at once (SIGKILL, as a power cut or a crash would), leaving its
    /// folder, and ends the driver.
    pub async fn kill_the_app(self) -> Home {
        let home = self.home.path().to_owned();
        let marker = format!("QR_CASHIER_HOME={}", home.display());
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
                continue;
            };
            let environ = std::fs::read(entry.path().join("environ")).unwrap_or_default();
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            let first = cmdline.split(|b| *b == 0).next().unwrap_or_default();
            let is_app = String::from_utf8_lossy(first).ends_with("qr-cashier");
            if is_app && environ.split(|b| *b == 0).any(|v| v == marker.as_bytes()) {
                Command::new("kill").args(["-KILL", &pid.to_string()]).status().unwrap();
            }
        }
        let App {
            client,
            driver,
            home,
            _turn,
        } = self;
        drop(client);
        drop(driver);
        home
    }
}

/// A Mercado Pago stand-in (the demo's, or `mp-sandbox`), through its own API and the control
/// API that plays the customer.
pub struct Sandbox {
    pub base_url: String,
}

impl Sandbox {
    pub async fn post(&self, path: &str, body: serde_json::Value) -> serde_json::Value {
        let r = reqwest::Client::new()
            .post(format!("{}{path}", self.base_url))
            .header("x-sandbox-secret", SANDBOX_SECRET)
            .json(&body)
            .send()
            .await
            .unwrap();
        r.json().await.unwrap_or_default()
    }

    pub async fn state(&self) -> serde_json::Value {
        reqwest::Client::new()
            .get(format!("{}/sandbox/state", self.base_url))
            .header("x-sandbox-secret", SANDBOX_SECRET)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// The id of the POS with this external id.
    pub async fn pos_id(&self, external_id: &str) -> u64 {
        let state = self.state().await;
        state["pos"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["external_id"] == external_id)
            .and_then(|p| p["id"].as_u64())
            .unwrap_or_else(|| panic!("no POS {external_id}: {state}"))
    }

    /// A customer scans the POS's QR: the merchant order it opens.
    pub async fn scan(&self, pos_id: u64) -> u64 {
        let mo = self
            .post(&format!("/sandbox/pos/{pos_id}/scan"), serde_json::json!({}))
            .await;
        mo["merchant_order_id"]
            .as_u64()
            .unwrap_or_else(|| panic!("no scan: {mo}"))
    }

    pub async fn pay(&self, merchant_order: u64) {
        let paid = self
            .post(
                &format!("/sandbox/merchant_orders/{merchant_order}/pay"),
                serde_json::json!({ "outcome": "approved" }),
            )
            .await;
        assert!(paid["payment_id"].is_u64(), "not paid: {paid}");
    }

    /// A customer scans the POS's QR and pays what waits there, on either API.
    pub async fn customer_pays(&self, pos_id: u64) {
        let paid = self
            .post(
                &format!("/sandbox/pos/{pos_id}/customer"),
                serde_json::json!({ "outcome": "approved" }),
            )
            .await;
        assert!(paid["payment_id"].is_u64(), "not paid: {paid}");
    }

    /// Nothing a customer could pay waits on the POS, on either API.
    pub async fn nothing_payable_on(&self, pos_id: u64) {
        let state = self.state().await;
        assert!(
            !state["orders"]
                .as_array()
                .unwrap()
                .iter()
                .any(|o| o["pos_id"] == pos_id),
            "an order is on the POS: {state}"
        );
        assert!(
            !state["qr_orders"]
                .as_array()
                .unwrap()
                .iter()
                .any(|o| o["pos_id"] == pos_id && o["status"] == "created"),
            "an Orders API order waits on the POS: {state}"
        );
    }

    /// The money oracle: for every QR sale of `journal`, what the journal says was collected
    /// equals what this Mercado Pago holds for it, summed over all its merchant orders; for every
    /// cash sale, Mercado Pago holds nothing and the journal its total.
    pub async fn money_agrees(&self, journal: &std::path::Path) {
        use rust_decimal::Decimal;
        let state = self.state().await;
        let mut held: std::collections::HashMap<String, Decimal> = Default::default();
        let amount = |v: &serde_json::Value| v.to_string().trim_matches('"').parse::<Decimal>().unwrap_or_default();
        for o in state["qr_orders"].as_array().unwrap() {
            let reference = o["external_reference"].as_str().unwrap_or_default().to_owned();
            let p = &o["transactions"]["payments"][0];
            *held.entry(reference).or_default() += amount(&p["paid_amount"]) - amount(&p["refunded_amount"]);
        }
        for mo in state["merchant_orders"].as_array().unwrap() {
            let reference = mo["external_reference"].as_str().unwrap_or_default().to_owned();
            let sum = held.entry(reference).or_default();
            for p in mo["payments"].as_array().unwrap() {
                if matches!(p["status"].as_str(), Some("approved" | "refunded")) {
                    let amount = |k: &str| p[k].to_string().parse::<Decimal>().unwrap_or_default();
                    *sum += amount("transaction_amount") - amount("amount_refunded");
                }
            }
        }
        let j = qr_cashier::sale::Journal::open(journal).unwrap();
        for sale in j.in_states(&qr_cashier::sale::SaleState::ALL).unwrap() {
            let there = held.get(&sale.money_reference()).copied().unwrap_or_default();
            match sale.tender {
                qr_cashier::sale::Tender::Qr => assert_eq!(
                    sale.collected, there,
                    "sale {} ({}): the journal's collected against what Mercado Pago holds",
                    sale.id, sale.state
                ),
                // Cash never reaches Mercado Pago: the till holds it.
                qr_cashier::sale::Tender::Cash => {
                    assert!(there.is_zero(), "cash sale {}: Mercado Pago holds {there}", sale.id);
                    assert_eq!(sale.collected, sale.total, "cash sale {}", sale.id);
                }
            }
        }
    }
}

/// The demo's journal file of the app on `home`.
pub fn demo_journal(home: &std::path::Path) -> PathBuf {
    qr_cashier::counter::Counter::demo_journal(&qr_cashier::paths::AppPaths::under(home.to_path_buf()))
}

/// Fills the demo journal under `home` with `count` finished sales spread over the last `days`
/// days, oldest first as a register writes them (7 in 10 paid, 2 cancelled, 1 expired), each
/// with its two state changes.
pub fn fill_journal(home: &std::path::Path, count: u64, days: u64) {
    let journal = qr_cashier::sale::Journal::open(&demo_journal(home)).unwrap();
    let cart = qr_cashier::sale::Cart {
        lines: vec![qr_cashier::sale::CartLine {
            sku: Some("7790387000011".into()),
            title: "Yerba mate 1 kg".into(),
            description: None,
            unit_price: qr_cashier::money::parse_amount("3500").unwrap(),
            quantity: 1,
            weight: None,
        }],
    };
    let model = journal
        .begin_sale(
            "CAJA1",
            1,
            &cart.check(qr_cashier::money::Currency::Ars).unwrap(),
            qr_cashier::mercadopago::Api::Legacy,
            chrono::Utc::now(),
        )
        .unwrap();
    let span = (days * 86_400) as f64 / count as f64;
    journal
        .with_transaction(|tx| {
            tx.execute("DELETE FROM sale_changes", [])?;
            tx.execute(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
                 INSERT INTO sales (external_reference, pos_external_id, user_id, currency, total,
                     lines, state, collected, acknowledged, merchant_order_ids, payment_ids, created_at, updated_at)
                 SELECT 'QRC-CAJA1-BENCH-' || i, m.pos_external_id, m.user_id, m.currency, m.total,
                     m.lines,
                     CASE WHEN i % 10 < 7 THEN 'paid' WHEN i % 10 < 9 THEN 'cancelled' ELSE 'expired' END,
                     CASE WHEN i % 10 < 7 THEN m.total ELSE '0' END,
                     CASE WHEN i % 10 < 7 THEN m.total ELSE '0' END,
                     '[' || (1000000 + i) || ']', CASE WHEN i % 10 < 7 THEN '[' || (2000000 + i) || ']' ELSE '[]' END,
                     strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-' || CAST((?1 - i) * ?2 AS INTEGER) || ' seconds'),
                     strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-' || CAST((?1 - i) * ?2 AS INTEGER) || ' seconds')
                 FROM n, (SELECT * FROM sales WHERE id = ?3) AS m",
                rusqlite::params![count as i64, span, model.id],
            )?;
            tx.execute("DELETE FROM sales WHERE id = ?1", [model.id])?;
            tx.execute(
                "INSERT INTO sale_changes (sale_id, at, state, detail)
                 SELECT id, created_at, 'waiting', 'order created' FROM sales
                 UNION ALL SELECT id, updated_at, state, 'bench' FROM sales",
                [],
            )?;
            Ok(())
        })
        .unwrap();
}
