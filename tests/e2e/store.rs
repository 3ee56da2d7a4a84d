//! What a small store runs on, in the real window: cash beside QR, goods by the kilo, the ticket
//! (on a thermal printer and through the print stylesheet) and the till. Every test that takes
//! money ends with the oracle, cash in the mix: Mercado Pago holds nothing for a cash sale, and
//! what it holds for each QR sale is what the journal says.

use std::process::Command;

use crate::escpos::FakePrinter;
use crate::support::{App, ENTER};

const F11: &str = "\u{E03B}";

/// Opens the till from its dialog with `float` counted, as Ana.
async fn open_till(app: &App, float: &str) {
    app.click("open-till").await;
    app.type_into("till-cashier", "Ana").await;
    app.type_into("till-float", &format!("{float}{ENTER}")).await;
    app.wait_text("till-status", |t| t.starts_with("Opened by Ana")).await;
    app.click("till-close-dialog").await;
    app.wait_text("open-till", |t| t == "Till: Ana").await;
}

/// Scans a demo product by its code.
async fn scan(app: &App, code: &str) {
    app.type_into("scan", &format!("{code}{ENTER}")).await;
}

/// An EAN-13 scale label: prefix, the product's code, grams, its check digit.
fn label(prefix: &str, plu: &str, grams: &str) -> String {
    let twelve = format!("{prefix}{plu}{grams}");
    let digits: Vec<u8> = twelve.bytes().map(|b| b - b'0').collect();
    format!("{twelve}{}", qr_cashier::sale::scale::check_digit(&digits))
}

#[tokio::test]
async fn a_cash_sale_shows_the_change_and_lands_in_the_till() {
    let app = App::start().await;
    app.english().await;
    // No till open: cash is refused in words, nothing is sold.
    scan(&app, "7790040000035").await;
    app.wait_text("cart-total", |t| t == "$ 850,00").await;
    app.click("cash").await;
    app.wait_attr("pay-screen", "data-state", "cash").await;
    app.wait_text("cash-due", |t| t == "$ 850,00").await;
    app.type_into("cash-received", &format!("1000{ENTER}")).await;
    app.wait_text("cash-note", |t| t.starts_with("Open the till")).await;
    app.click("cash-back").await;
    app.wait_attr("pay-screen", "data-state", "idle").await;
    open_till(&app, "10.000").await;
    scan(&app, "7790387000011").await;
    app.wait_text("cart-total", |t| t == "$ 4.350,00").await;
    // F11: the cash screen; the change in large type as the cashier types, as Argentina writes it.
    app.keys(F11).await;
    app.wait_text("cash-due", |t| t == "$ 4.350,00").await;
    app.type_into("cash-received", "4.000").await;
    app.wait_text("cash-note", |t| t.contains("less than is due")).await;
    app.find("cash-received").await.clear().await.unwrap();
    app.type_into("cash-received", "40.000").await;
    app.wait_text("cash-change", |t| t == "$ 35.650,00").await;
    app.find("cash-received").await.clear().await.unwrap();
    app.type_into("cash-received", "5.000,50").await;
    app.wait_text("cash-change", |t| t == "$ 650,50").await;
    app.keys(ENTER).await;
    app.wait_attr("pay-screen", "data-state", "paid").await;
    app.wait_text("sale-status", |t| t == "Paid in cash!").await;
    app.wait_text("pay-change", |t| t == "Change: $ 650,50").await;
    app.wait_text("cart-empty", |t| !t.is_empty()).await;
    app.screenshot("paid-cash").await;
    // The till counts it: float + received − change.
    app.click("open-till").await;
    app.wait_text("till-status", |t| t.contains("cash expected $ 14.350,00"))
        .await;
    app.click("till-close-dialog").await;
    // Enter: the next customer.
    app.keys(ENTER).await;
    app.wait_attr("pay-screen", "data-state", "idle").await;
    app.demo_money_agrees().await;
    app.stop().await;
}

#[tokio::test]
async fn a_qr_sale_the_customer_cannot_pay_is_finished_in_cash() {
    let app = App::start().await;
    app.english().await;
    open_till(&app, "0").await;
    app.charge_the_demo_yerba().await;
    let sale = app.wait_text("pay-sale", |t| t.starts_with("Sale #")).await;
    app.click("cash-instead").await;
    // The QR order comes off the register first; then the cash.
    app.wait_attr("pay-screen", "data-state", "cash").await;
    app.wait_text("cash-title", |t| t == format!("{sale} is paid in cash"))
        .await;
    let confirm = app.find("cash-confirm").await;
    for _ in 0..100 {
        if confirm.is_enabled().await.unwrap() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(confirm.is_enabled().await.unwrap(), "the order was withdrawn");
    let mp = app.demo_sandbox().await;
    mp.nothing_payable_on(mp.pos_id("CAJA1").await).await;
    app.type_into("cash-received", &format!("3500{ENTER}")).await;
    app.wait_attr("pay-screen", "data-state", "paid").await;
    app.wait_text("pay-change", |t| t == "Change: $ 0,00").await;
    // In Sales: the QR sale cancelled and finished in cash by the cash sale.
    app.click("open-history").await;
    let qr_id = sale.trim_start_matches("Sale #");
    app.click(&format!("sale-row-{qr_id}")).await;
    app.wait_text("story-changes", |t| t.contains("finished in cash by sale #"))
        .await;
    app.click("history-close").await;
    app.demo_money_agrees().await;
    app.stop().await;
}

#[tokio::test]
async fn weighed_goods_typed_and_scanned_from_a_scale_label() {
    let app = App::start().await;
    app.english().await;
    // A product sold by the kilo: its weight field takes the keyboard.
    scan(&app, "00101").await;
    app.wait_text("cart-error", |t| t.contains("Type the weight")).await;
    app.type_into("weight-1", &format!("0,350{ENTER}")).await;
    app.wait_text("line-total-1", |t| t == "$ 3.115,00").await;
    // The scale's label: 250 g of ham at $ 12.500,00/kg.
    scan(&app, &label("20", "00102", "00250")).await;
    app.wait_text("line-total-2", |t| t == "$ 3.125,00").await;
    assert_eq!(
        app.find("weight-2").await.prop("value").await.unwrap().as_deref(),
        Some("0,250")
    );
    // A label that did not read right adds nothing, and says so.
    let good = label("20", "00102", "00250");
    let bad = format!("{}{}", &good[..12], (good.as_bytes()[12] - b'0' + 1) % 10);
    scan(&app, &bad).await;
    app.wait_text("scan-error", |t| t.contains("did not read right")).await;
    scan(&app, &label("20", "00999", "00250")).await;
    app.wait_text("scan-error", |t| t.contains("No product has the code 00999"))
        .await;
    app.wait_text("cart-total", |t| t == "$ 6.240,00").await;
    app.screenshot("weighed").await;
    app.click("charge").await;
    app.wait_attr("pay-screen", "data-state", "waiting").await;
    app.click("phone-pay").await;
    app.wait_attr("pay-screen", "data-state", "paid").await;
    app.demo_money_agrees().await;
    app.stop().await;
}

/// The store owner points the counter at a thermal printer (a fake one on loopback) and asks
/// for every paid sale's ticket: a cash sale prints with its change and opens the drawer, a QR
/// sale prints with Mercado Pago's operation.
#[tokio::test]
async fn every_paid_sale_prints_its_ticket_on_the_thermal_printer() {
    let printer = FakePrinter::start();
    let app = App::start().await;
    app.english().await;
    app.open_settings().await;
    app.type_into("store-legal-name", "Almacén Demo SRL").await;
    app.type_into("store-tax-id", "30-71234567-9").await;
    app.find("printer-kind").await.select_by_value("network").await.unwrap();
    app.type_into("printer-address", &printer.address()).await;
    app.click("printer-auto").await;
    app.click("printer-test").await;
    app.wait_text("counter-message", |t| t == "Test page sent to the printer.")
        .await;
    app.click("counter-save").await;
    app.wait_text("counter-message", |t| t == "Saved.").await;
    app.click("settings-close").await;
    let test_page = printer.wait_for(1).pop().unwrap();
    assert!(test_page.text().contains("Prueba de impresora"), "{}", test_page.text());
    open_till(&app, "0").await;
    scan(&app, "7790040000035").await;
    app.wait_text("cart-total", |t| t == "$ 850,00").await;
    app.click("cash").await;
    app.type_into("cash-received", &format!("1000{ENTER}")).await;
    app.wait_attr("pay-screen", "data-state", "paid").await;
    let cash = printer.wait_for(2).pop().unwrap();
    let text = cash.text();
    for want in [
        "Almacén Demo SRL",
        "CUIT 30-71234567-9",
        "Alfajor de chocolate",
        "Cajero/a: Ana",
        "No válido como factura",
    ] {
        assert!(text.contains(want), "{want:?} not on the ticket:\n{text}");
    }
    assert!(
        cash.has_line(|l| l.starts_with("Vuelto") && l.ends_with("$ 150,00")),
        "{text}"
    );
    assert_eq!((cash.cuts, cash.drawer_kicks, cash.kick_after_cut), (1, 1, true));
    app.keys(ENTER).await;
    app.charge_the_demo_yerba().await;
    app.click("phone-pay").await;
    app.wait_attr("pay-screen", "data-state", "paid").await;
    let qr = printer.wait_for(3).pop().unwrap();
    assert!(
        qr.text().contains("Pagado con Mercado Pago") && qr.text().contains("Operación"),
        "{}",
        qr.text()
    );
    assert_eq!((qr.cuts, qr.drawer_kicks), (1, 0), "a QR sale opens no drawer");
    // The printer runs out of paper: said, and the sale is as it was; F8 prints it again later.
    printer.set_paper(false);
    app.click("print").await;
    app.wait_text("notice", |t| t.contains("out of paper")).await;
    printer.set_paper(true);
    app.click("print").await;
    assert!(printer
        .wait_for(5)
        .pop()
        .unwrap()
        .text()
        .contains("Pagado con Mercado Pago"));
    app.demo_money_agrees().await;
    app.stop().await;
}

#[tokio::test]
async fn a_day_opened_sold_in_and_closed_with_a_difference() {
    let app = App::start().await;
    app.english().await;
    open_till(&app, "5.000").await;
    scan(&app, "7790387000011").await;
    app.wait_text("cart-total", |t| t == "$ 3.500,00").await;
    app.click("cash").await;
    app.type_into("cash-received", &format!("4000{ENTER}")).await;
    app.wait_attr("pay-screen", "data-state", "paid").await;
    app.keys(ENTER).await;
    app.charge_the_demo_yerba().await;
    app.click("phone-pay").await;
    app.wait_attr("pay-screen", "data-state", "paid").await;
    app.keys(ENTER).await;
    app.click("open-till").await;
    // 5.000 + 4.000 − 500 = 8.500; 1.000 out to a supplier: 7.500 expected.
    app.find("till-move-kind").await.select_by_value("out").await.unwrap();
    app.type_into("till-move-amount", "1000").await;
    app.type_into("till-move-reason", &format!("Proveedor de pan{ENTER}"))
        .await;
    app.wait_text("till-message", |t| t == "Cash out recorded. Cash expected: $ 7.500,00.")
        .await;
    app.type_into("till-counted", &format!("7.450{ENTER}")).await;
    app.wait_text("till-message", |t| t.starts_with("Till closed short"))
        .await;
    let z = app
        .js(
            "return document.querySelector('[data-testid=z-ticket]').innerText",
            vec![],
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(z.contains("CIERRE DE CAJA (Z)"), "{z}");
    for (left, right) in [
        ("Fondo inicial", "$ 5.000,00"),
        ("Efectivo esperado", "$ 7.500,00"),
        ("Efectivo contado", "$ 7.450,00"),
        ("Diferencia", "-$ 50,00"),
        ("Cobrado con QR (1)", "$ 3.500,00"),
        ("Ventas (2)", "$ 7.000,00"),
        ("Ticket promedio", "$ 3.500,00"),
    ] {
        assert!(
            z.lines()
                .any(|l| l.trim_start().starts_with(left) && l.trim_end().ends_with(right)),
            "{left} … {right} not in the Z report:\n{z}"
        );
    }
    app.screenshot("z-report").await;
    app.click("z-export").await;
    let said = app
        .wait_text("till-message", |t| t.starts_with("Saved to") || t.contains(".csv"))
        .await;
    let path = said.rsplit(' ').next().unwrap().trim_end_matches('.');
    let csv = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert!(
        csv.contains("difference,-50.00") && csv.contains("Proveedor de pan"),
        "{csv}"
    );
    // Closed: the header says so, and cash asks for a till again.
    app.click("till-close-dialog").await;
    app.wait_text("open-till", |t| t == "Till").await;
    // The day in Sales: each sale's tender, the cash beside QR, the net, the chart by hour, and
    // reconciliation saying the cash is the till's to check.
    app.click("open-history").await;
    app.wait_text("sales", |t| t.contains("Cash") && t.contains("QR")).await;
    app.click("history-summary").await;
    let summary = app
        .wait_text("history-message", |t| t.contains("In cash: 1 sale, $ 3.500,00"))
        .await;
    assert!(
        summary.contains("net (QR less refunds, plus cash): $ 7.000,00"),
        "{summary}"
    );
    let bars = app
        .js(
            "return document.querySelectorAll('[data-testid=hours-chart] rect').length",
            vec![],
        )
        .await;
    assert!(bars.as_u64().unwrap_or(0) >= 8, "a bar an hour: {bars}");
    app.click("history-reconcile").await;
    app.wait_text("history-message", |t| {
        t.contains("No differences") && t.contains("1 cash sale ($ 3.500,00) is not compared with Mercado Pago")
    })
    .await;
    app.click("history-close").await;
    app.demo_money_agrees().await;
    app.stop().await;
}

/// The ticket as the print stylesheet lays it out, printed by the window's own engine on 80 mm
/// paper: one page, the text 72 mm wide, no background.
#[tokio::test]
async fn the_ticket_prints_on_80_mm_paper_one_page_no_background() {
    let app = App::start().await;
    app.english().await;
    open_till(&app, "0").await;
    scan(&app, "00101").await;
    app.type_into("weight-1", &format!("0,350{ENTER}")).await;
    scan(&app, "7790387000011").await;
    app.wait_text("cart-total", |t| t == "$ 6.615,00").await;
    app.click("cash").await;
    app.type_into("cash-received", &format!("10000{ENTER}")).await;
    app.wait_attr("pay-screen", "data-state", "paid").await;
    let id = app.wait_text("pay-sale", |t| t.starts_with("Sale #")).await;
    let id = id.trim_start_matches("Sale #").to_owned();
    app.click("open-history").await;
    app.click(&format!("sale-row-{id}")).await;
    app.click("story-pdf").await;
    let said = app.wait_text("history-message", |t| t.contains(".pdf")).await;
    let pdf = said.rsplit(' ').next().unwrap().trim_end_matches('.').to_owned();
    std::fs::copy(
        &pdf,
        env!("CARGO_MANIFEST_DIR").to_owned() + "/target/screenshots/ticket.pdf",
    )
    .ok();
    let info = run("pdfinfo", &[&pdf]);
    assert!(info.contains("Pages:           1"), "{info}");
    let width_pt: f64 = info
        .lines()
        .find(|l| l.starts_with("Page size:"))
        .and_then(|l| l.split_whitespace().nth(2))
        .and_then(|w| w.parse().ok())
        .unwrap_or_default();
    assert!((width_pt - 226.77).abs() < 1.0, "80 mm paper: {info}");
    // The words' boxes: the widest line is the paper's 48 characters, within the 72 mm the
    // margins leave (WebKit lays a print out a little narrower than the paper's printable width:
    // 68 of the 72 mm here).
    let bbox = run("pdftotext", &["-bbox", &pdf, "-"]);
    let (mut left, mut right) = (f64::MAX, 0f64);
    for line in bbox.lines().filter(|l| l.trim_start().starts_with("<word")) {
        let num = |k: &str| {
            line.split(&format!("{k}=\""))
                .nth(1)
                .and_then(|r| r.split('"').next())
                .and_then(|v| v.parse::<f64>().ok())
        };
        left = left.min(num("xMin").unwrap());
        right = right.max(num("xMax").unwrap());
    }
    let mm = |pt: f64| pt / 72.0 * 25.4;
    let text_mm = mm(right - left);
    assert!(
        (65.0..=72.0).contains(&text_mm),
        "the text spans {text_mm:.1} mm\n{bbox}"
    );
    assert!(
        mm(left) >= 3.5 && mm(right) <= 76.5,
        "inside the margins: {:.1}–{:.1} mm",
        mm(left),
        mm(right)
    );
    let text = run("pdftotext", &["-layout", &pdf, "-"]);
    for want in [
        "TOTAL",
        "$ 6.615,00",
        "0,350 kg x $ 8.900,00/kg",
        "Vuelto",
        "$ 3.385,00",
    ] {
        assert!(text.contains(want), "{want:?} not in the PDF:\n{text}");
    }
    // No background: rendered, the page is white but for the ink of the text.
    let png = std::env::temp_dir().join(format!("ticket-{id}"));
    run(
        "pdftoppm",
        &["-png", "-r", "72", "-singlefile", &pdf, png.to_str().unwrap()],
    );
    let page = std::fs::read(png.with_extension("png")).unwrap();
    let decoded = decode_png(&page);
    let not_white = decoded.iter().filter(|p| **p != [255, 255, 255]).count();
    let grey_page = decoded.iter().filter(|p| **p == [0xf4, 0xf6, 0xf8]).count();
    assert_eq!(grey_page, 0, "the page's grey background printed");
    assert!(
        not_white * 10 < decoded.len(),
        "{not_white} of {} pixels inked",
        decoded.len()
    );
    std::fs::copy(
        png.with_extension("png"),
        env!("CARGO_MANIFEST_DIR").to_owned() + "/target/screenshots/ticket.png",
    )
    .ok();
    app.demo_money_agrees().await;
    app.stop().await;
}

fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} (poppler-utils; `make test` installs it): {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The RGB pixels of a PNG.
fn decode_png(bytes: &[u8]) -> Vec<[u8; 3]> {
    let img = image::load_from_memory_with_format(bytes, image::ImageFormat::Png)
        .unwrap()
        .to_rgb8();
    img.pixels().map(|p| p.0).collect()
}
