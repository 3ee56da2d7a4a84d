//! Bad input through the real commands (the path the page's `invoke` takes): each gets a clear,
//! typed error and leaves nothing half-done (no sale journaled, no order on the POS).

use qr_cashier::desktop::AppState;
use serde_json::{json, Value};
use tauri::Manager;

use crate::commands::{line, Shell};

impl Shell {
    fn journal(&self) -> std::sync::Arc<qr_cashier::sale::Journal> {
        self.window.state::<AppState>().counter().register.journal().clone()
    }

    fn sales(&self) -> usize {
        self.journal()
            .in_states(&qr_cashier::sale::SaleState::ALL)
            .unwrap()
            .len()
    }

    /// Works with the demo's sandbox (Mercado Pago's stand-in the app started).
    fn with_sandbox<T>(&self, f: impl FnOnce(&qr_cashier::sandbox::Sandbox) -> T) -> T {
        f(self.window.state::<AppState>().counter().sandbox.as_ref().unwrap())
    }

    fn pos_orders(&self) -> usize {
        self.with_sandbox(|sb| sb.world().orders.len())
    }
}

/// Charges `lines` on a demo counter of `site`; expects the error `kind` (and `reason`).
fn refused_cart(site: &str, lines: Value, kind: &str, reason: Option<&str>) -> Value {
    let shell = Shell::demo(site);
    let e = shell.invoke("charge", json!({ "lines": lines })).expect_err("refused");
    assert_eq!(e["kind"], kind, "{e}");
    if let Some(r) = reason {
        assert_eq!(e["reason"], r, "{e}");
    }
    assert!(
        !e["message"].as_str().unwrap_or("").is_empty(),
        "an error says what is wrong"
    );
    assert_eq!(shell.sales(), 0, "no sale journaled");
    assert_eq!(shell.pos_orders(), 0, "no order on the POS");
    e
}

fn one(title: &str, price: &str, quantity: i64) -> Value {
    json!([line(title, price, quantity)])
}

macro_rules! bad_cart {
    ($($name:ident: $site:literal, $lines:expr, $kind:literal, $reason:expr;)*) => {
        $(
            #[test]
            fn $name() {
                refused_cart($site, $lines, $kind, $reason);
            }
        )*
    };
}

bad_cart! {
    empty_cart: "MLA", json!([]), "cart", Some("empty");
    price_zero: "MLA", one("Pan", "0", 1), "cart", Some("price_not_positive");
    price_negative: "MLA", one("Pan", "-5", 1), "cart", Some("price_not_positive");
    price_nan: "MLA", one("Pan", "NaN", 1), "cart", Some("price_not_a_number");
    price_infinity: "MLA", one("Pan", "inf", 1), "cart", Some("price_not_a_number");
    price_exponent: "MLA", one("Pan", "1e3", 1), "cart", Some("price_not_a_number");
    price_thousands_or_cents: "MLA", one("Pan", "1,500", 1), "cart", Some("price_ambiguous");
    price_thousands_or_cents_mxn: "MLM", one("Pan", "1.500", 1), "cart", Some("price_ambiguous");
    price_two_decimal_commas: "MLA", one("Pan", "1,5,0", 1), "cart", Some("price_not_a_number");
    price_trailing_mark: "MLB", one("Pão", "12,", 1), "cart", Some("price_not_a_number");
    price_empty: "MLA", one("Pan", "", 1), "cart", Some("price_not_a_number");
    price_blank: "MLA", one("Pan", "   ", 1), "cart", Some("price_not_a_number");
    price_words: "MLA", one("Pan", "ten pesos", 1), "cart", Some("price_not_a_number");
    price_two_points: "MLA", one("Pan", "1.2.3", 1), "cart", Some("price_not_a_number");
    price_beyond_decimal_range: "MLA", one("Pan", "79228162514264337593543950336", 1), "cart", Some("price_not_a_number");
    // Three digits after a mark that cannot be a thousands mark there: decimals, too many.
    price_three_decimals_ars: "MLA", one("Pan", "1234.567", 1), "cart", Some("too_many_decimals");
    price_three_decimals_brl: "MLB", one("Pão", "2999,999", 1), "cart", Some("too_many_decimals");
    // `10.001` is ten thousand and one in Argentina, as it is written there.
    price_thousands_mark_ars_is_read_as_such_but_too_large: "MLA", one("Pan", "100.000.001", 1), "cart", Some("total_too_large");
    price_decimals_clp: "MLC", one("Pan", "990.5", 1), "cart", Some("too_many_decimals");
    price_decimals_cop: "MCO", one("Pan", "1500.25", 1), "cart", Some("too_many_decimals");
    price_huge: "MLA", one("Pan", "999999999999999999", 1), "cart", Some("total_too_large");
    total_too_large: "MLA", one("Pan", "99999", 1000), "cart", Some("total_too_large");
    total_too_large_pen: "MPE", one("Pan", "50000", 5), "cart", Some("total_too_large");
    quantity_zero: "MLA", one("Pan", "10", 0), "cart", Some("quantity_not_positive");
    quantity_negative: "MLA", one("Pan", "10", -3), "cart", Some("quantity_not_positive");
    quantity_too_large: "MLA", one("Pan", "10", 10_000), "cart", Some("quantity_too_large");
    quantity_beyond_u32: "MLA", one("Pan", "10", 4_294_967_296), "cart", Some("quantity_too_large");
    ten_thousand_lines: "MLA", json!(vec![line("Pan", "1", 1); 10_000]), "cart", Some("too_many_lines");
    title_empty: "MLA", one("", "10", 1), "cart", Some("no_title");
    title_blank: "MLA", one("    ", "10", 1), "cart", Some("no_title");
    title_bell_character: "MLA", one("a\u{7}b", "10", 1), "cart", Some("title_control_chars");
    title_newline: "MLA", one("a\nb", "10", 1), "cart", Some("title_control_chars");
    title_nul: "MLA", one("a\u{0}b", "10", 1), "cart", Some("title_control_chars");
    title_ten_kilobytes: "MLA", one(&"x".repeat(10 * 1024), "10", 1), "cart", Some("title_too_long");
    second_line_bad: "MLA", json!([line("Pan", "10", 1), line("Leche", "-", 1)]), "cart", Some("price_not_a_number");
}

#[test]
fn quantity_a_fraction() {
    let e = refused_cart(
        "MLA",
        json!([{ "title": "Pan", "unitPrice": "1", "quantity": 1.5 }]),
        "cart",
        Some("quantity_not_whole"),
    );
    assert_eq!(e["line"], 1);
}

#[test]
fn emoji_accents_and_markup_in_titles_are_just_text() {
    let shell = Shell::demo("MLA");
    let q = shell
        .invoke(
            "quote",
            json!({ "lines": [line("Café ☕ 🧉 ñandú", "10", 1), line("<script>alert(1)</script>", "5", 1)] }),
        )
        .unwrap();
    assert_eq!(q["total"], "$ 15,00");
    let sale = shell
        .invoke(
            "charge",
            json!({ "lines": [line("<img src=x onerror=alert(1)>", "5", 1)] }),
        )
        .unwrap();
    let story = shell.invoke("sale_story", json!({ "saleId": sale["id"] })).unwrap();
    assert_eq!(
        story["lines"][0]["title"], "<img src=x onerror=alert(1)>",
        "kept as the cashier typed it"
    );
}

fn refused_token(token: &str, kind: &str, reason: Option<&str>) {
    let shell = Shell::demo("MLA");
    let e = shell.invoke("save_token", json!({ "token": token })).unwrap_err();
    assert_eq!(e["kind"], kind, "{e}");
    if let Some(r) = reason {
        assert_eq!(e["reason"], r, "{e}");
    }
    assert!(
        !e.to_string().contains(token) || token.len() < 6,
        "the refused token is not echoed back"
    );
    assert!(
        shell.invoke("account_status", json!({})).unwrap()["account"].is_null(),
        "nothing kept"
    );
}

#[test]
fn token_empty() {
    refused_token("", "setup", Some("not_a_token"));
}

#[test]
fn token_plain_words() {
    refused_token("my password", "setup", Some("not_a_token"));
}

#[test]
fn token_with_bearer_prefix() {
    refused_token(
        &format!("Bearer TEST-{}-112525-{}-1", "1".repeat(16), "a".repeat(32)),
        "setup",
        Some("not_a_token"),
    );
}

#[test]
fn token_with_spaces_inside() {
    refused_token(
        &format!("TEST-{} 112525-{}-1", "1".repeat(16), "a".repeat(32)),
        "setup",
        Some("not_a_token"),
    );
}

#[test]
fn token_too_long() {
    refused_token(&format!("TEST-{}", "1".repeat(300)), "setup", Some("not_a_token"));
}

#[test]
fn token_with_markup() {
    refused_token("TEST-<script>alert(1)</script>-123456789", "setup", Some("not_a_token"));
}

#[test]
fn token_well_formed_but_unknown() {
    let shell = Shell::demo("MLA");
    let sandbox = shell.with_sandbox(|sb| sb.base_url().to_owned());
    let change = json!({ "apiBaseUrl": sandbox, "orderTtlSecs": 600, "notificationsEnabled": false, "notificationsBind": "127.0.0.1:0" });
    shell.invoke("save_settings", json!({ "change": change })).unwrap();
    let token = format!("APP_USR-{}-112525-{}-{}", "2".repeat(16), "c".repeat(32), 987654321);
    let e = shell.invoke("save_token", json!({ "token": token })).unwrap_err();
    assert_eq!(e["kind"], "token_refused", "{e}");
    assert!(shell.invoke("account_status", json!({})).unwrap()["account"].is_null());
}

#[test]
fn token_when_mercado_pago_cannot_be_reached() {
    refused_token(
        &format!("APP_USR-{}-112525-{}-{}", "2".repeat(16), "c".repeat(32), 987654321),
        "connection",
        None,
    );
}

#[test]
fn token_of_a_site_the_app_does_not_serve() {
    let shell = Shell::demo("MLA");
    let counter = shell.window.state::<AppState>().counter();
    let sb = counter.sandbox.as_ref().unwrap();
    let user = sb.world().add_user("MLV", None).unwrap();
    let change = json!({ "apiBaseUrl": sb.base_url(), "orderTtlSecs": 600, "notificationsEnabled": false, "notificationsBind": "127.0.0.1:0" });
    shell.invoke("save_settings", json!({ "change": change })).unwrap();
    let e = shell.invoke("save_token", json!({ "token": user.token })).unwrap_err();
    assert_eq!(
        (e["kind"].as_str(), e["reason"].as_str(), e["site"].as_str()),
        (Some("setup"), Some("unsupported_site"), Some("MLV"))
    );
}

fn refused_settings(api: &str, ttl: u64, ipn: bool, bind: &str, kind: &str) {
    let shell = Shell::demo("MLA");
    let before = shell.invoke("get_settings", json!({})).unwrap();
    let change =
        json!({ "apiBaseUrl": api, "orderTtlSecs": ttl, "notificationsEnabled": ipn, "notificationsBind": bind });
    let e = shell.invoke("save_settings", json!({ "change": change })).unwrap_err();
    assert_eq!(e["kind"], kind, "{e}");
    assert_eq!(
        shell.invoke("get_settings", json!({})).unwrap(),
        before,
        "nothing changed"
    );
}

#[test]
fn base_url_not_a_url() {
    refused_settings("not a url", 600, false, "", "bad_base_url");
}

#[test]
fn base_url_ftp() {
    refused_settings("ftp://api.mercadopago.com", 600, false, "", "bad_base_url");
}

#[test]
fn base_url_javascript() {
    refused_settings("javascript:alert(1)", 600, false, "", "bad_base_url");
}

#[test]
fn order_lifetime_too_short() {
    refused_settings("https://api.mercadopago.com", 10, false, "", "settings");
}

#[test]
fn order_lifetime_too_long() {
    refused_settings("https://api.mercadopago.com", 100_000, false, "", "settings");
}

#[test]
fn notification_address_not_an_address() {
    refused_settings(
        "https://api.mercadopago.com",
        600,
        true,
        "localhost:notaport",
        "settings",
    );
}

#[test]
fn journal_read_only() {
    let shell = Shell::demo("MLA");
    shell
        .journal()
        .with_transaction(|tx| tx.execute_batch("PRAGMA query_only = ON"))
        .unwrap();
    let e = shell
        .invoke("charge", json!({ "lines": one("Pan", "10", 1) }))
        .unwrap_err();
    assert_eq!(
        (e["kind"].as_str(), e["reason"].as_str()),
        (Some("journal"), Some("read_only")),
        "{e}"
    );
    assert_eq!(
        shell.pos_orders(),
        0,
        "nothing sent when the sale cannot be written down first"
    );
}

#[test]
fn journal_full() {
    let shell = Shell::demo("MLA");
    let j = shell.journal();
    let pages: i64 = j
        .with_transaction(|tx| tx.query_row("PRAGMA page_count", [], |r| r.get(0)))
        .unwrap();
    j.with_transaction(|tx| tx.query_row(&format!("PRAGMA max_page_count = {pages}"), [], |_| Ok(())))
        .unwrap();
    let big = json!(vec![line(&"x".repeat(120), "1", 1); 200]);
    let e = shell.invoke("charge", json!({ "lines": big })).unwrap_err();
    assert_eq!(
        (e["kind"].as_str(), e["reason"].as_str()),
        (Some("journal"), Some("full")),
        "{e}"
    );
    assert_eq!(shell.pos_orders(), 0);
}

#[test]
fn journal_corrupted() {
    let dir = tempfile::tempdir().unwrap();
    let paths = qr_cashier::paths::AppPaths::under(dir.path().to_path_buf());
    let file = paths.data.join("demo").join("journal.sqlite3");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let garbage: Vec<u8> = (0..16384u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&file, &garbage).unwrap();
    let settings = qr_cashier::settings::Settings::default();
    let e = tauri::async_runtime::block_on(qr_cashier::counter::Counter::start_demo(&paths, &settings))
        .err()
        .expect("refused");
    assert!(e.to_string().contains("damaged"), "{e}");
    assert_eq!(
        std::fs::read(&file).unwrap(),
        garbage,
        "the damaged file is left as it was, for support"
    );
}

#[test]
fn journal_path_taken_by_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let paths = qr_cashier::paths::AppPaths::under(dir.path().to_path_buf());
    std::fs::create_dir_all(paths.data.join("demo").join("journal.sqlite3")).unwrap();
    let settings = qr_cashier::settings::Settings::default();
    let e = tauri::async_runtime::block_on(qr_cashier::counter::Counter::start_demo(&paths, &settings))
        .err()
        .expect("refused");
    assert!(e.to_string().contains("cannot be opened"), "{e}");
}

#[test]
fn cancel_of_a_sale_that_does_not_exist() {
    let shell = Shell::demo("MLA");
    let e = shell.invoke("cancel", json!({ "saleId": 424242 })).unwrap_err();
    assert_eq!(
        (e["kind"].as_str(), e["reason"].as_str()),
        (Some("journal"), Some("no_such_sale")),
        "{e}"
    );
}

#[test]
fn refund_of_a_sale_that_is_not_paid() {
    let shell = Shell::demo("MLA");
    let sale = shell.invoke("charge", json!({ "lines": one("Pan", "10", 1) })).unwrap();
    let e = shell
        .invoke("refund", json!({ "saleId": sale["id"], "amount": null }))
        .unwrap_err();
    assert_eq!(
        (e["kind"].as_str(), e["reason"].as_str()),
        (Some("refund"), Some("not_refundable")),
        "{e}"
    );
    for (typed, reason) in [("abc", "not_an_amount"), ("1,500", "ambiguous")] {
        let e = shell
            .invoke("refund", json!({ "saleId": sale["id"], "amount": typed }))
            .unwrap_err();
        assert_eq!(
            (e["kind"].as_str(), e["reason"].as_str(), e["text"].as_str()),
            (Some("amount"), Some(reason), Some(typed)),
            "{e}"
        );
    }
}

/// What the cashier types in an amount field, read as the country writes amounts, and what
/// cannot be read refused by its reason.
#[test]
fn typed_amounts_are_read_or_refused_by_the_country() {
    for (site, typed, amount, text) in [
        ("MLA", "1.234,50", "1234.50", "$ 1.234,50"),
        ("MLA", "1234,5", "1234.50", "$ 1.234,50"),
        ("MLA", "1234.50", "1234.50", "$ 1.234,50"),
        ("MLB", "R$ 12,90", "12.90", "R$ 12,90"),
        ("MLM", "1,234.50", "1234.50", "$1,234.50"),
        ("MLC", "12.990", "12990", "$ 12.990"),
    ] {
        let shell = Shell::demo(site);
        let a = shell.invoke("read_amount", json!({ "text": typed })).unwrap();
        assert_eq!(
            (a["amount"].as_str(), a["text"].as_str()),
            (Some(amount), Some(text)),
            "{site} {typed}"
        );
    }
    for (site, typed, reason) in [
        ("MLA", "1,500", "ambiguous"),
        ("MLA", "", "not_an_amount"),
        ("MLA", "diez", "not_an_amount"),
        ("MLA", "0", "not_positive"),
        ("MLA", "1234,567", "too_many_decimals"),
        ("MLC", "990,5", "too_many_decimals"),
    ] {
        let shell = Shell::demo(site);
        let e = shell.invoke("read_amount", json!({ "text": typed })).unwrap_err();
        assert_eq!(
            (e["kind"].as_str(), e["reason"].as_str()),
            (Some("amount"), Some(reason)),
            "{site} {typed}: {e}"
        );
    }
}

/// One wrong line leaves every other line priced; the total waits for the cart to be right.
#[test]
fn a_wrong_line_keeps_the_others_priced() {
    let shell = Shell::demo("MLA");
    let q = shell
        .invoke(
            "quote",
            json!({ "lines": [line("Pan", "1.200,50", 1), line("Leche", "1,500", 1), line("Yerba", "3500", 2)] }),
        )
        .unwrap();
    assert_eq!(q["lineTotals"], json!(["$ 1.200,50", null, "$ 7.000,00"]));
    assert_eq!(q["total"], Value::Null);
    assert_eq!(
        (
            q["error"]["kind"].as_str(),
            q["error"]["reason"].as_str(),
            q["error"]["line"].as_u64()
        ),
        (Some("cart"), Some("price_ambiguous"), Some(2)),
        "{q}"
    );
    assert_eq!(q["items"], 3, "the priced lines' items");
}

#[test]
fn a_day_that_is_not_a_day() {
    let shell = Shell::demo("MLA");
    for day in ["", "yesterday", "2026-13-40", "2026/11/25"] {
        let e = shell
            .invoke("list_sales", json!({ "day": day, "saleState": null, "page": 0 }))
            .unwrap_err();
        assert_eq!(e["kind"], "bad_day", "{day:?}");
    }
}

#[test]
fn qr_cache_cut_short() {
    let shell = Shell::demo("MLA");
    shell.invoke("register_qr", json!({})).unwrap();
    let state = shell.window.state::<AppState>();
    let cached: Vec<_> = std::fs::read_dir(state.paths.data.join("demo"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("qr-"))
        .collect();
    assert_eq!(cached.len(), 1, "{cached:?}");
    let whole = std::fs::read(&cached[0]).unwrap();
    std::fs::write(&cached[0], &whole[..whole.len() / 2]).unwrap();

    let saved = shell.invoke("save_counter_sign", json!({})).unwrap();
    let sign = std::fs::read(saved.as_str().unwrap()).unwrap();
    assert_eq!(crate::qr::qr_in(&sign), crate::qr::qr_in(&whole));
    assert_eq!(std::fs::read(&cached[0]).unwrap(), whole, "the cache is whole again");
}

// ---- goods by the kilo, cash, the till, scale labels, the counter's settings ----

fn weighed(title: &str, price: &str, kg: &str) -> Value {
    json!({ "sku": "00101", "title": title, "unitPrice": price, "quantity": 1, "weight": kg })
}

bad_cart! {
    weight_not_yet_typed: "MLA", json!([weighed("Queso", "8900", "")]), "cart", Some("weight_missing");
    weight_words: "MLA", json!([weighed("Queso", "8900", "medio kilo")]), "cart", Some("weight_not_a_number");
    weight_two_marks: "MLA", json!([weighed("Queso", "8900", "1.234,5")]), "cart", Some("weight_not_a_number");
    weight_negative: "MLA", json!([weighed("Queso", "8900", "-0,5")]), "cart", Some("weight_not_a_number");
    weight_zero: "MLA", json!([weighed("Queso", "8900", "0")]), "cart", Some("weight_out_of_range");
    weight_a_ton: "MLA", json!([weighed("Queso", "8900", "1000")]), "cart", Some("weight_out_of_range");
    weight_milligrams: "MLA", json!([weighed("Queso", "8900", "0,3505")]), "cart", Some("weight_too_precise");
    weight_of_nothing: "MLC", json!([weighed("Sal", "1", "0,001")]), "cart", Some("weight_prices_nothing");
    weighed_line_with_a_quantity: "MLA", json!([{ "sku": null, "title": "Queso", "unitPrice": "8900", "quantity": 3, "weight": "0,5" }]), "cart", Some("weighed_quantity");
}

impl Shell {
    fn open_till(&self) {
        self.invoke("open_till", json!({ "cashier": "Ana", "float": "1000" }))
            .unwrap();
    }

    fn cash(&self, received: &str) -> Result<Value, Value> {
        self.invoke(
            "charge_cash",
            json!({ "lines": [line("Alfajor", "850", 1)], "received": received }),
        )
    }
}

/// Cash handed over: each bad amount is named, and no sale is journaled.
#[test]
fn cash_amounts_that_cannot_be_taken() {
    let shell = Shell::demo("MLA");
    let e = shell.cash("1000").unwrap_err();
    assert_eq!(
        (e["kind"].as_str(), e["reason"].as_str()),
        (Some("till"), Some("not_open")),
        "{e}"
    );
    shell.open_till();
    for (received, reason) in [
        ("800", "not_enough"),
        ("", "not_an_amount"),
        ("mil", "not_an_amount"),
        ("-1000", "not_an_amount"),
        ("1e3", "not_an_amount"),
        ("1,500", "ambiguous"),
        ("1000,005", "too_many_decimals"),
        ("999999999999", "too_much"),
    ] {
        let e = shell.cash(received).unwrap_err();
        assert_eq!(
            (e["kind"].as_str(), e["reason"].as_str()),
            (Some("cash"), Some(reason)),
            "{received:?}: {e}"
        );
        let q = shell
            .invoke(
                "cash_quote",
                json!({ "lines": [line("Alfajor", "850", 1)], "received": received }),
            )
            .unwrap_err();
        assert_eq!(q["reason"], reason, "the quote says the same: {q}");
    }
    assert_eq!(shell.sales(), 0, "no sale journaled");
    let sold = shell.cash("1.000").unwrap();
    assert_eq!(
        (sold["cash"]["change"].as_str(), sold["sale"]["tender"].as_str()),
        (Some("$ 150,00"), Some("cash"))
    );
    assert_eq!(shell.pos_orders(), 0, "cash never reaches the POS");
    // The oracle, cash in the mix: Mercado Pago holds nothing for it, the journal its total.
    let sale = shell.journal().get(sold["sale"]["id"].as_i64().unwrap()).unwrap();
    let held = shell.with_sandbox(|sb| sb.world().collected(&sale.money_reference()));
    assert!(
        held.is_zero() && sale.collected == sale.total,
        "held {held}, journal {}",
        sale.collected
    );
}

#[test]
fn till_inputs_that_cannot_be_taken() {
    let shell = Shell::demo("MLA");
    let refused = |cmd: &str, args: Value, reason: &str| {
        let e = shell.invoke(cmd, args).unwrap_err();
        assert_eq!(
            (e["kind"].as_str(), e["reason"].as_str()),
            (Some("till"), Some(reason)),
            "{cmd}: {e}"
        );
    };
    refused("open_till", json!({ "cashier": "", "float": "0" }), "bad_cashier");
    refused(
        "open_till",
        json!({ "cashier": "a\u{7}b", "float": "0" }),
        "bad_cashier",
    );
    refused(
        "open_till",
        json!({ "cashier": "x".repeat(61), "float": "0" }),
        "bad_cashier",
    );
    refused("open_till", json!({ "cashier": "Ana", "float": "-10" }), "bad_amount");
    refused(
        "open_till",
        json!({ "cashier": "Ana", "float": "mil" }),
        "not_an_amount",
    );
    refused("open_till", json!({ "cashier": "Ana", "float": "1,500" }), "ambiguous");
    refused(
        "open_till",
        json!({ "cashier": "Ana", "float": "10,5555" }),
        "bad_amount",
    );
    refused(
        "move_cash",
        json!({ "kind": "in", "amount": "100", "reason": "cambio" }),
        "not_open",
    );
    refused("close_till", json!({ "counted": "0" }), "not_open");
    shell.open_till();
    refused("open_till", json!({ "cashier": "Beto", "float": "0" }), "already_open");
    refused(
        "move_cash",
        json!({ "kind": "out", "amount": "5000", "reason": "proveedor" }),
        "more_than_held",
    );
    refused(
        "move_cash",
        json!({ "kind": "in", "amount": "0", "reason": "nada" }),
        "nothing_moved",
    );
    refused(
        "move_cash",
        json!({ "kind": "in", "amount": "10", "reason": "" }),
        "bad_reason",
    );
    assert!(shell
        .invoke(
            "move_cash",
            json!({ "kind": "sideways", "amount": "10", "reason": "x" })
        )
        .is_err());
    let till = shell.invoke("till_status", json!({})).unwrap();
    assert_eq!(till["expectedCash"], "$ 1.000,00", "nothing moved: {till}");
}

/// Taking cash out and closing the till are the store owner's once an owner PIN is set.
#[test]
fn cash_out_and_the_close_wait_for_the_owner() {
    let shell = Shell::demo("MLA");
    shell.open_till();
    shell.invoke("owner_lock", json!({})).unwrap();
    for (cmd, args) in [
        (
            "move_cash",
            json!({ "kind": "out", "amount": "100", "reason": "proveedor" }),
        ),
        ("close_till", json!({ "counted": "1000" })),
    ] {
        let e = shell.invoke(cmd, args).unwrap_err();
        assert_eq!(
            (e["kind"].as_str(), e["reason"].as_str()),
            (Some("owner"), Some("needed")),
            "{cmd}: {e}"
        );
    }
    // Cash in is anyone's.
    shell
        .invoke(
            "move_cash",
            json!({ "kind": "in", "amount": "100", "reason": "cambio" }),
        )
        .unwrap();
    assert_eq!(
        shell.invoke("till_status", json!({})).unwrap()["expectedCash"],
        "$ 1.100,00"
    );
}

#[test]
fn scale_labels_that_add_nothing() {
    let shell = Shell::demo("MLA");
    let label = |body: &str| {
        let digits: Vec<u8> = body.bytes().map(|b| b - b'0').collect();
        format!("{body}{}", qr_cashier::sale::scale::check_digit(&digits))
    };
    let good = label("200010100350");
    let line = shell.invoke("scan_label", json!({ "code": good })).unwrap();
    assert_eq!(
        (line["weight"].as_str(), line["weightText"].as_str()),
        (Some("0.350"), Some("0,350"))
    );
    let wrong_digit = format!("{}{}", &good[..12], (good.as_bytes()[12] - b'0' + 1) % 10);
    for (code, reason) in [
        (wrong_digit, "bad_check_digit"),
        (label("200099900350"), "unknown_product"),
        (label("200010100000"), "empty"),
        // Yerba is sold by the unit (its SKU without zeros is not a PLU here: a 2x code of it).
        (label("207790300350"), "unknown_product"),
    ] {
        let e = shell.invoke("scan_label", json!({ "code": code })).unwrap_err();
        assert_eq!(
            (e["kind"].as_str(), e["reason"].as_str()),
            (Some("label"), Some(reason)),
            "{code}: {e}"
        );
    }
    // Not a label: a product's own code, a short code, letters.
    for code in ["7790387000011", "2000101", "20001010035x"] {
        assert!(
            shell.invoke("scan_label", json!({ "code": code })).unwrap().is_null(),
            "{code}"
        );
    }
}

#[test]
fn counter_settings_that_cannot_be_kept() {
    let shell = Shell::demo("MLA");
    let settings = |change: Value| shell.invoke("save_counter_settings", json!({ "change": change }));
    let base = json!({
        "store": { "legalName": "Almacén SRL", "taxId": "30-71234567-9", "address": "Av. Corrientes 1234" },
        "printer": { "kind": "network", "address": "192.168.0.50", "device": "", "paperMm": 80, "autoPrint": true, "openDrawer": true },
        "cashRounding": "10",
        "scale": { "enabled": true, "prefixFrom": 20, "prefixTo": 29, "codeDigits": 5, "value": "weight" }
    });
    let with = |path: &[&str], value: Value| {
        let mut c = base.clone();
        let mut at = &mut c;
        for k in &path[..path.len() - 1] {
            at = &mut at[*k];
        }
        at[path[path.len() - 1]] = value;
        c
    };
    for (path, value, field) in [
        (&["store", "legalName"][..], json!("x".repeat(121)), "legal_name"),
        (&["store", "taxId"][..], json!("30\u{0}71"), "tax_id"),
        (&["store", "address"][..], json!("a\nb"), "store_address"),
        (&["printer", "paperMm"][..], json!(112), "paper_mm"),
        (&["printer", "address"][..], json!("http://printer/"), "printer_address"),
        (
            &["printer", "address"][..],
            json!("192.168.0.50:99999"),
            "printer_address",
        ),
        (&["printer", "address"][..], json!(""), "printer_address"),
        (&["scale", "prefixFrom"][..], json!(19), "scale"),
        (&["scale", "codeDigits"][..], json!(7), "scale"),
        (&["cashRounding"][..], json!("diez"), "cash_rounding"),
        (&["cashRounding"][..], json!("0,005"), "cash_rounding"),
        (&["cashRounding"][..], json!("-10"), "cash_rounding"),
    ] {
        let e = settings(with(path, value.clone())).unwrap_err();
        assert_eq!(
            (e["kind"].as_str(), e["field"].as_str()),
            (Some("settings"), Some(field)),
            "{path:?} = {value}: {e}"
        );
    }
    let usb = with(&["printer", "kind"], json!("usb"));
    assert_eq!(settings(usb).unwrap_err()["field"], "device");
    let kept = settings(base.clone()).unwrap();
    assert_eq!(
        (kept["cashRounding"].as_str(), kept["printer"]["kind"].as_str()),
        (Some("10"), Some("network"))
    );
    // A printer that is not there: said, in its kind.
    let off = json!({ "kind": "network", "address": "127.0.0.1:9", "device": "", "paperMm": 80, "autoPrint": false, "openDrawer": false });
    let e = shell.invoke("test_print", json!({ "printer": off })).unwrap_err();
    assert_eq!(
        (e["kind"].as_str(), e["reason"].as_str()),
        (Some("printer"), Some("unreachable")),
        "{e}"
    );
}
