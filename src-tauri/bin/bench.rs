//! Measures what the cashier feels: the time from the customer's payment to the `paid` event,
//! with the default poll schedule and with the notification cue, and the requests each sale
//! costs. Loopback only. `bench [--sales N]`

use std::sync::Arc;
use std::time::{Duration, Instant};

use qr_cashier::mercadopago::{Client, Config};
use qr_cashier::money::parse_amount;
use qr_cashier::register::{listener, PollSchedule, Register, RegisterConfig};
use qr_cashier::sale::{Cart, CartLine, Journal, SaleState};
use qr_cashier::sandbox::{Outcome, Sandbox};

async fn run(sales: usize, with_cue: bool) -> (Vec<Duration>, f64) {
    let sb = Sandbox::start(0, "MLA").await.unwrap();
    let pos_id = sb.add_register("CAJA1");
    let client = Client::new(Config::new(sb.base_url(), sb.account.token.clone().into())).unwrap();
    let dir = std::env::temp_dir().join(format!("qr-cashier-bench-{}-{with_cue}", std::process::id()));
    let journal = Arc::new(Journal::open(&dir.join("journal.sqlite3")).unwrap());
    let ipn = listener::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let config = RegisterConfig {
        user_id: sb.account.user_id,
        pos_external_id: "CAJA1".into(),
        currency: qr_cashier::money::Currency::Ars,
        order_ttl: Duration::from_secs(600),
        notification_url: with_cue.then(|| ipn.url()),
        schedule: PollSchedule::default(),
    };
    let register = Register::new(client, journal, config, sb.clock());
    ipn.serve(register.clone());
    let mut events = register.subscribe();
    let cart = Cart {
        lines: vec![CartLine {
            sku: None,
            title: "Bench".into(),
            description: None,
            unit_price: parse_amount("100").unwrap(),
            quantity: 1,
        }],
    };
    let mut latencies = Vec::new();
    let before = sb.requests().len();
    for _ in 0..sales {
        let sale = register.charge(&cart).await.unwrap();
        // The customer takes a moment to scan and pay.
        tokio::time::sleep(Duration::from_millis(fastrand::u64(200..1500))).await;
        let mo = sb.world().scan(pos_id).unwrap()["merchant_order_id"].as_u64().unwrap();
        sb.world().pay(mo, Outcome::Approved, None).unwrap();
        let paid_at = Instant::now();
        sb.flush_notices();
        loop {
            let e = events.recv().await.unwrap();
            if e.sale_id == sale.id && e.state == SaleState::Paid {
                latencies.push(paid_at.elapsed());
                break;
            }
        }
    }
    let requests = (sb.requests().len() - before) as f64 / sales as f64;
    let _ = std::fs::remove_dir_all(dir);
    (latencies, requests)
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let sales = match (args.next().as_deref(), args.next()) {
        (Some("--sales"), Some(n)) => n.parse().expect("--sales N"),
        _ => 40,
    };
    println!("| payment → paid on screen ({sales} sales) | p50 ms | p95 ms | max ms | requests per sale |");
    println!("|---|---|---|---|---|");
    for (name, cue) in [
        ("polling only (1 s while waiting)", false),
        ("polling + notification cue", true),
    ] {
        let (mut l, requests) = run(sales, cue).await;
        l.sort();
        println!(
            "| {name} | {:.0} | {:.0} | {:.0} | {requests:.1} |",
            pct(&l, 0.5),
            pct(&l, 0.95),
            pct(&l, 1.0)
        );
    }
}
