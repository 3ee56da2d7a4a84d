//! Tickets on a thermal printer: a fake ESC/POS printer on loopback receives what the app sends
//! and the test reads it back as paper would show it (its lines, its cut, the drawer's kick).
//! A printer that is off, unplugged or out of paper is said, and the sale is left as it was.

use std::str::FromStr;

use qr_cashier::money::{read_weight, Site};
use qr_cashier::printer::ticket::{sale_ticket, z_ticket, Letterhead};
use qr_cashier::printer::{print, Job, PrintError};
use qr_cashier::sale::{Cart, CartLine, SaleState};
use qr_cashier::settings::{PrinterKind, PrinterSettings, StoreDetails};
use rust_decimal::Decimal;

use crate::escpos::FakePrinter;
use crate::sale_life::{cart, counter, Counter};

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn network(printer: &FakePrinter, paper_mm: u32) -> PrinterSettings {
    PrinterSettings {
        kind: PrinterKind::Network,
        address: printer.address(),
        paper_mm,
        ..PrinterSettings::default()
    }
}

fn store() -> StoreDetails {
    StoreDetails {
        legal_name: "Almacén Central SRL".into(),
        tax_id: "30-71234567-9".into(),
        address: "Av. Corrientes 1234, CABA".into(),
    }
}

fn head(details: &StoreDetails) -> Letterhead<'_> {
    Letterhead {
        site: Site::Argentina,
        store_name: "Almacén Central",
        details,
        register: "Caja 1",
    }
}

/// A cash sale of a weighed line and a unit one, in a till opened by Ana.
fn cash_sale(k: &Counter) -> qr_cashier::sale::Sale {
    let pos = k.register.config().pos_external_id.clone();
    k.register
        .journal()
        .start_till(
            &pos,
            "Ana",
            d("5000"),
            qr_cashier::money::Currency::Ars,
            k.register.now(),
        )
        .unwrap();
    let queso = CartLine {
        sku: Some("00101".into()),
        title: "Queso de máquina".into(),
        description: None,
        unit_price: d("8900"),
        quantity: 1,
        weight: Some(read_weight("0,350").unwrap()),
    };
    let cart = Cart {
        lines: vec![queso, cart("850", 2).lines.remove(0)],
    };
    k.register.charge_cash(&cart, "6000", None, None, false).unwrap().0
}

#[tokio::test]
async fn a_cash_sales_ticket_comes_out_whole_then_the_drawer_opens() {
    let k = counter().await;
    let sale = cash_sale(&k);
    let printer = FakePrinter::start();
    let details = store();
    let job = Job {
        ticket: Some(sale_ticket(&sale, &head(&details), Some("Ana"), 80)),
        open_drawer: true,
    };
    print(&network(&printer, 80), &job).unwrap();
    let out = printer.wait_for(1).pop().unwrap();
    let text = out.text();
    for want in [
        "Almacén Central SRL",
        "CUIT 30-71234567-9",
        "Av. Corrientes 1234, CABA",
        &format!("Venta #{}", sale.id),
        "Caja: Caja 1",
        "Cajero/a: Ana",
        "Queso de máquina",
        "No válido como factura",
    ] {
        assert!(text.contains(want), "{want:?} not on the ticket:\n{text}");
    }
    let pair = |left: &str, right: &str| {
        out.has_line(|l| l.starts_with(left) && l.ends_with(right) && l.chars().count() == 48)
    };
    assert!(pair("  0,350 kg x $ 8.900,00/kg", "$ 3.115,00"), "{text}");
    assert!(pair("  2 x $ 850,00", "$ 1.700,00"), "{text}");
    assert!(pair("TOTAL", "$ 4.815,00"), "{text}");
    assert!(pair("Efectivo", "$ 6.000,00"), "{text}");
    assert!(pair("Vuelto", "$ 1.185,00"), "{text}");
    assert!(out.tall.iter().any(|l| l.starts_with("TOTAL")), "the total stands out");
    assert!(out.lines.iter().all(|l| l.chars().count() <= 48), "{text}");
    assert!(out.asked_for_paper, "the paper is checked first");
    assert_eq!((out.cuts, out.drawer_kicks, out.kick_after_cut), (1, 1, true));
    // A date as the region writes it.
    let date = chrono::Local::now().format("%d/%m/%Y").to_string();
    assert!(text.contains(&date), "{date} not on the ticket:\n{text}");
    k.money_agrees();
}

#[tokio::test]
async fn on_58_mm_paper_no_line_is_wider_and_no_amount_is_split() {
    let k = counter().await;
    let sale = cash_sale(&k);
    let printer = FakePrinter::start();
    let details = store();
    let job = Job {
        ticket: Some(sale_ticket(&sale, &head(&details), Some("Ana"), 58)),
        open_drawer: false,
    };
    print(&network(&printer, 58), &job).unwrap();
    let out = printer.wait_for(1).pop().unwrap();
    assert!(out.lines.iter().all(|l| l.chars().count() <= 32), "{}", out.text());
    for amount in ["$ 3.115,00", "$ 4.815,00", "$ 1.185,00"] {
        assert!(
            out.has_line(|l| l.ends_with(amount)),
            "{amount} whole at a line's end:\n{}",
            out.text()
        );
    }
    assert_eq!(out.drawer_kicks, 0, "no drawer without being asked");
    k.money_agrees();
}

#[tokio::test]
async fn a_printer_out_of_paper_prints_nothing_and_the_sale_stays() {
    let k = counter().await;
    let sale = cash_sale(&k);
    let printer = FakePrinter::start();
    printer.set_paper(false);
    let details = store();
    let job = Job {
        ticket: Some(sale_ticket(&sale, &head(&details), None, 80)),
        open_drawer: true,
    };
    assert_eq!(print(&network(&printer, 80), &job), Err(PrintError::NoPaper));
    let out = printer.wait_for(1).pop().unwrap();
    assert!(
        out.lines.is_empty() && out.cuts == 0 && out.drawer_kicks == 0,
        "{out:?}"
    );
    assert_eq!(
        k.register.journal().get(sale.id).unwrap(),
        sale,
        "the sale is untouched"
    );
    // Paper back in: the ticket prints again, as from Sales.
    printer.set_paper(true);
    print(&network(&printer, 80), &job).unwrap();
    assert!(printer.wait_for(2)[1].text().contains("TOTAL"));
    k.money_agrees();
}

#[tokio::test]
async fn a_printer_that_is_off_or_unplugged_is_said() {
    // Off: nothing listens at its address.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = port.local_addr().unwrap().to_string();
    drop(port);
    let off = PrinterSettings {
        kind: PrinterKind::Network,
        address: address.clone(),
        ..PrinterSettings::default()
    };
    let started = std::time::Instant::now();
    let e = print(&off, &Job::default()).unwrap_err();
    assert!(
        matches!(&e, PrintError::Unreachable { address: a, .. } if *a == address),
        "{e:?}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    let unplugged = PrinterSettings {
        kind: PrinterKind::Usb,
        device: std::env::temp_dir().join("no-such-printer-lp9").display().to_string(),
        ..PrinterSettings::default()
    };
    assert!(matches!(
        print(&unplugged, &Job::default()),
        Err(PrintError::Unplugged { .. })
    ));
    assert_eq!(
        print(&PrinterSettings::default(), &Job::default()),
        Err(PrintError::NotSetUp)
    );
}

#[tokio::test]
async fn a_usb_printer_gets_the_same_ticket_through_its_device_file() {
    let k = counter().await;
    let sale = cash_sale(&k);
    let dir = tempfile::tempdir().unwrap();
    let device = dir.path().join("lp0");
    std::fs::write(&device, b"").unwrap();
    let usb = PrinterSettings {
        kind: PrinterKind::Usb,
        device: device.display().to_string(),
        ..PrinterSettings::default()
    };
    let details = store();
    let job = Job {
        ticket: Some(sale_ticket(&sale, &head(&details), None, 80)),
        open_drawer: true,
    };
    print(&usb, &job).unwrap();
    let bytes = std::fs::read(&device).unwrap();
    assert!(
        bytes.windows(5).any(|w| w == qr_cashier::printer::DRAWER_PULSE),
        "the drawer kick"
    );
    assert!(bytes.windows(5).any(|w| w == b"TOTAL"));
    k.money_agrees();
}

#[tokio::test]
async fn the_z_report_prints_what_the_drawer_should_hold() {
    let mut k = counter().await;
    cash_sale(&k);
    k.charge(&cart("2500", 1)).await;
    k.pay(qr_cashier::sandbox::Outcome::Approved);
    k.until_state(SaleState::Paid).await;
    let pos = k.register.config().pos_external_id.clone();
    let z = k
        .register
        .journal()
        .close_till(&pos, d("9800"), k.register.now())
        .unwrap();
    let printer = FakePrinter::start();
    let details = store();
    let job = Job {
        ticket: Some(z_ticket(&z, &head(&details), 80)),
        open_drawer: false,
    };
    print(&network(&printer, 80), &job).unwrap();
    let out = printer.wait_for(1).pop().unwrap();
    let text = out.text();
    assert!(
        text.contains("CIERRE DE CAJA (Z)") && text.contains("Cajero/a: Ana"),
        "{text}"
    );
    let pair = |left: &str, right: &str| out.has_line(|l| l.starts_with(left) && l.ends_with(right));
    // 5.000 + 6.000 − 1.185 = 9.815 expected; 9.800 counted.
    assert!(pair("Fondo inicial", "$ 5.000,00"), "{text}");
    assert!(pair("Efectivo esperado", "$ 9.815,00"), "{text}");
    assert!(pair("Efectivo contado", "$ 9.800,00"), "{text}");
    assert!(pair("Diferencia", "-$ 15,00"), "{text}");
    assert!(pair("Cobrado con QR (1)", "$ 2.500,00"), "{text}");
    assert!(pair("Ventas (2)", "$ 7.315,00"), "{text}");
    k.money_settles().await;
}
