//! The register's side of `make bench`, on loopback sandboxes, printing Markdown tables:
//!
//! Each on both Mercado Pago APIs (the attended model, the Orders API).
//!
//! - `bench paid [--sales N]`: time from the customer's payment (recorded by the sandbox) to
//!   the register's `paid` event, and how long a charge takes (journal written, order on the
//!   POS: the `waiting` event), for the app's schedule, the app's schedule with the notification cue, and a
//!   fixed 5-second poll. Six registers on six POS sell at once; customers pay 0.2–3 s after
//!   the charge, at random moments of the poll cycle.
//! - `bench requests`: requests to Mercado Pago for one sale whose customer pays after 10 s,
//!   after 60 s, or never (until the order expires, 10 minutes), for the app's schedule and the
//!   fixed 5-second poll. All six run at once, each on a sandbox of its own; it takes the
//!   order's lifetime, about 10 minutes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use qr_cashier::mercadopago::{Api, Client, Config};
use qr_cashier::money::{parse_amount, Currency};
use qr_cashier::register::{listener, PollSchedule, Register, RegisterConfig, SaleEvent};
use qr_cashier::sale::{Cart, CartLine, Journal, SaleState};
use qr_cashier::sandbox::{Outcome, Sandbox};
use tokio::sync::broadcast::Receiver;

const REGISTERS: usize = 6;
const ORDER_TTL: Duration = Duration::from_secs(600);

fn fixed_five_seconds() -> PollSchedule {
    let every = Duration::from_secs(5);
    PollSchedule {
        fast: every,
        medium: every,
        slow: every,
        ..PollSchedule::default()
    }
}

/// One register on its own POS of `sb`, with its own journal in `dir`.
async fn register(
    sb: &Sandbox,
    pos: &str,
    api: Api,
    schedule: PollSchedule,
    cue: bool,
    dir: &std::path::Path,
) -> (Register, u64) {
    let pos_id = sb.add_register(pos);
    let client = Client::new(Config::new(sb.base_url(), sb.account.token.clone().into())).unwrap();
    let journal = Arc::new(Journal::open(&dir.join(format!("{pos}.sqlite3"))).unwrap());
    let ipn = match cue {
        true => Some(listener::bind("127.0.0.1:0".parse().unwrap()).await.unwrap()),
        false => None,
    };
    let config = RegisterConfig {
        user_id: sb.account.user_id,
        pos_external_id: pos.into(),
        api,
        currency: Currency::Ars,
        order_ttl: ORDER_TTL,
        notification_url: ipn.as_ref().map(|l| l.url()),
        schedule,
    };
    let register = Register::new(client, journal, config, sb.clock());
    if let Some(ipn) = ipn {
        // Orders API notifications are the account's webhook, signed.
        sb.set_webhook(sb.account.user_id, &ipn.url(), "bench-secret");
        ipn.serve(register.clone(), Some("bench-secret".into()));
    }
    (register, pos_id)
}

fn cart() -> Cart {
    Cart {
        lines: vec![CartLine {
            sku: None,
            title: "Bench".into(),
            description: None,
            unit_price: parse_amount("100").unwrap(),
            quantity: 1,
            weight: None,
        }],
    }
}

async fn until(events: &mut Receiver<SaleEvent>, sale_id: i64, state: SaleState) {
    loop {
        let e = events.recv().await.unwrap();
        if e.sale_id == sale_id && e.state == state {
            return;
        }
    }
}

/// Customer pays on the sandbox (as Mercado Pago records it) and sends its notifications.
fn customer_pays(sb: &Sandbox, pos_id: u64, api: Api) -> Instant {
    match api {
        Api::Legacy => {
            let mo = sb.world().scan(pos_id).unwrap()["merchant_order_id"].as_u64().unwrap();
            sb.world().pay(mo, Outcome::Approved, None).unwrap();
        }
        Api::Orders => {
            sb.world().pay_qr_order(pos_id, Outcome::Approved).unwrap();
        }
    }
    let paid_at = Instant::now();
    sb.flush_notices();
    paid_at
}

struct PaidRun {
    to_paid: Vec<Duration>,
    charge: Vec<Duration>,
    requests_per_sale: f64,
}

async fn paid_run(sales_per_register: usize, api: Api, schedule: PollSchedule, cue: bool) -> PaidRun {
    let dir = tempfile_dir("paid");
    let mut tasks = Vec::new();
    let mut sandboxes = Vec::new();
    for r in 0..REGISTERS {
        // Each register on its own account: an Orders API webhook is one address per
        // application, so each counter PC here is the one its account's webhooks reach.
        let sb = Arc::new(Sandbox::start(0, "MLA").await.unwrap());
        sandboxes.push(sb.clone());
        let (register, pos_id) = register(&sb, &format!("CAJA{r}"), api, schedule, cue, &dir).await;
        tasks.push(tokio::spawn(async move {
            let mut events = register.subscribe();
            let (mut to_paid, mut charge) = (Vec::new(), Vec::new());
            for _ in 0..sales_per_register {
                let started = Instant::now();
                let sale = register.charge(&cart(), false).await.unwrap();
                until(&mut events, sale.id, SaleState::Waiting).await;
                charge.push(started.elapsed());
                tokio::time::sleep(Duration::from_millis(fastrand::u64(200..3000))).await;
                let paid_at = customer_pays(&sb, pos_id, api);
                until(&mut events, sale.id, SaleState::Paid).await;
                to_paid.push(paid_at.elapsed());
            }
            (to_paid, charge)
        }));
    }
    let mut run = PaidRun {
        to_paid: Vec::new(),
        charge: Vec::new(),
        requests_per_sale: 0.0,
    };
    for t in tasks {
        let (p, c) = t.await.unwrap();
        run.to_paid.extend(p);
        run.charge.extend(c);
    }
    let api: usize = sandboxes
        .iter()
        .map(|sb| sb.requests().iter().filter(|r| r.route != "control").count())
        .sum();
    run.requests_per_sale = api as f64 / run.to_paid.len() as f64;
    let _ = std::fs::remove_dir_all(dir);
    run
}

/// One sale whose customer pays after `pay_after` (never: `None`): the API requests it cost,
/// counted until it is paid or expired.
async fn requests_for_one_sale(api: Api, schedule: PollSchedule, pay_after: Option<Duration>) -> (usize, Duration) {
    let sb = Sandbox::start(0, "MLA").await.unwrap();
    let dir = tempfile_dir("requests");
    let (register, pos_id) = register(&sb, "CAJA1", api, schedule, false, &dir).await;
    let mut events = register.subscribe();
    let started = Instant::now();
    let sale = register.charge(&cart(), false).await.unwrap();
    until(&mut events, sale.id, SaleState::Waiting).await;
    match pay_after {
        Some(wait) => {
            tokio::time::sleep(wait).await;
            customer_pays(&sb, pos_id, api);
            until(&mut events, sale.id, SaleState::Paid).await;
        }
        None => until(&mut events, sale.id, SaleState::Expired).await,
    }
    let took = started.elapsed();
    let count = sb.requests().iter().filter(|r| r.route != "control").count();
    let _ = std::fs::remove_dir_all(dir);
    (count, took)
}

fn tempfile_dir(what: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "qr-cashier-bench-{what}-{}-{}",
        std::process::id(),
        fastrand::u32(..)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn ms(samples: &[Duration], p: f64) -> f64 {
    let mut samples = samples.to_vec();
    samples.sort();
    samples[((samples.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1000.0
}

async fn paid(sales: usize) {
    let per_register = sales.div_ceil(REGISTERS);
    println!(
        "| payment → `paid` event ({} sales, {REGISTERS} registers at once, each on its own account) | API | median ms | p95 ms | max ms | API requests per sale | charge → order on the POS, median ms | p95 ms |",
        per_register * REGISTERS
    );
    println!("|---|---|---|---|---|---|---|---|");
    for api in [Api::Legacy, Api::Orders] {
        for (name, schedule, cue) in [
            (
                "the app: every 1 s while waiting, polling alone",
                PollSchedule::default(),
                false,
            ),
            ("the app with the notification cue", PollSchedule::default(), true),
            ("a fixed 5-second poll", fixed_five_seconds(), false),
        ] {
            let run = paid_run(per_register, api, schedule, cue).await;
            let api = match api {
                Api::Legacy => "attended model",
                Api::Orders => "Orders API",
            };
            println!(
                "| {name} | {api} | {:.0} | {:.0} | {:.0} | {:.1} | {:.1} | {:.1} |",
                ms(&run.to_paid, 0.5),
                ms(&run.to_paid, 0.95),
                ms(&run.to_paid, 1.0),
                run.requests_per_sale,
                ms(&run.charge, 0.5),
                ms(&run.charge, 0.95),
            );
        }
    }
}

async fn requests() {
    let cases = [
        ("the app", PollSchedule::default()),
        ("a fixed 5-second poll", fixed_five_seconds()),
    ];
    let moments = [
        (Some(Duration::from_secs(10)), "pays after 10 s"),
        (Some(Duration::from_secs(60)), "pays after 60 s"),
        (None, "never pays (expires after 10 min)"),
    ];
    let apis = [(Api::Legacy, "attended model"), (Api::Orders, "Orders API")];
    let mut runs = Vec::new();
    for (api, _) in apis {
        for (_, schedule) in cases {
            for (pay_after, _) in moments {
                runs.push(tokio::spawn(requests_for_one_sale(api, schedule, pay_after)));
            }
        }
    }
    let mut results = Vec::new();
    for r in runs {
        results.push(r.await.unwrap());
    }
    println!("| requests to Mercado Pago for one sale | API | the app | a fixed 5-second poll |");
    println!("|---|---|---|---|");
    for (a, (_, api)) in apis.iter().enumerate() {
        for (i, (_, moment)) in moments.iter().enumerate() {
            let base = a * cases.len() * moments.len();
            let (app, app_took) = results[base + i];
            let (fixed, fixed_took) = results[base + moments.len() + i];
            println!(
                "| customer {moment} | {api} | {app} in {:.0} s ({:.2}/s) | {fixed} in {:.0} s ({:.2}/s) |",
                app_took.as_secs_f64(),
                app as f64 / app_took.as_secs_f64(),
                fixed_took.as_secs_f64(),
                fixed as f64 / fixed_took.as_secs_f64(),
            );
        }
    }
    let late = PollSchedule::default();
    println!(
        "\nAfter an expiry (or a cancel) the app searches {} more times, every {} s for {} min, for a late payment (from the schedule's settings; not counted above).",
        late.late_for.as_secs() / late.late_every.as_secs(),
        late.late_every.as_secs(),
        late.late_for.as_secs() / 60
    );
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let sales = args
        .iter()
        .position(|a| a == "--sales")
        .and_then(|i| args.get(i + 1))
        .map(|n| n.parse().expect("--sales N"))
        .unwrap_or(60);
    match args.first().map(String::as_str) {
        Some("paid") => paid(sales).await,
        Some("requests") => requests().await,
        _ => {
            eprintln!("usage: bench paid [--sales N] | bench requests");
            std::process::exit(2);
        }
    }
}
