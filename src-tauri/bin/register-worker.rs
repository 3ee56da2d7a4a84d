//! Runs a register headless on a journal, for the crash tests and the soak: the process that
//! gets killed (SIGKILL, TerminateProcess on Windows) and started again.
//!
//! `register-worker --base-url URL --user-id N --pos EXT --journal FILE [--ttl-secs S]
//!  [--late-secs S] [--late-every-ms MS] [--doubt-ms MS] [--timeout-ms MS] [--opened-secs S] [--site MLA]
//!  [--api legacy|orders] [--charge PRICE]
//!  [--cancel-when-waiting] [--pause-at STATE] [--hammer N] [--serve]`
//!
//! With `--serve` it reads commands on stdin until stdin closes, instead of exiting when idle:
//! `charge PRICE` (each charge runs on its own, so two in a row race as a double F12 does),
//! `charge-despite PRICE` (the cashier confirmed charging past a pending payment),
//! `cancel SALE`, `check SALE`, `token TOKEN` (a new token of the account takes over),
//! `cash PRICE` (a cart taken in cash, exactly), `cash-finish SALE` (a QR sale's cart taken in
//! cash once it ended unpaid). Serving, it opens the till first (cash needs one).
//!
//! The token comes from `QR_CASHIER_TOKEN` (never an argument: process arguments are visible
//! to every user). It prints `step <state> <sale>` after each journaled step, `paused` when it
//! stops at `--pause-at`, and `idle` when no sale is left to watch (then it exits).

use std::io::Write;

use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncBufReadExt;

use qr_cashier::mercadopago::{Api, Client, Config, RetryPolicy};
use qr_cashier::money::parse_amount;
use qr_cashier::register::{PollSchedule, Register, RegisterConfig, StepHook};
use qr_cashier::sale::{Cart, CartLine, Journal, SaleState};

#[derive(Default)]
struct Args {
    base_url: String,
    user_id: u64,
    pos: String,
    journal: String,
    ttl_secs: u64,
    charge: Option<String>,
    cancel_when_waiting: bool,
    pause_at: Option<SaleState>,
    hammer: Option<u64>,
    late_secs: u64,
    late_every_ms: u64,
    doubt_ms: u64,
    timeout_ms: u64,
    site: String,
    api: Api,
    opened_secs: u64,
    serve: bool,
}

fn args() -> Args {
    let mut a = Args {
        ttl_secs: 600,
        late_every_ms: 50,
        doubt_ms: 2000,
        timeout_ms: 3000,
        opened_secs: 2,
        site: "MLA".into(),
        api: Api::Legacy,
        ..Default::default()
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| die(&format!("{flag} needs a value")));
        match flag.as_str() {
            "--base-url" => a.base_url = value(),
            "--user-id" => a.user_id = value().parse().unwrap_or_else(|_| die("bad --user-id")),
            "--pos" => a.pos = value(),
            "--journal" => a.journal = value(),
            "--ttl-secs" => a.ttl_secs = value().parse().unwrap_or_else(|_| die("bad --ttl-secs")),
            "--charge" => a.charge = Some(value()),
            "--pause-at" => a.pause_at = Some(value().parse::<SaleState>().unwrap_or_else(|e: String| die(&e))),
            "--hammer" => a.hammer = Some(value().parse().unwrap_or_else(|_| die("bad --hammer"))),
            "--cancel-when-waiting" => a.cancel_when_waiting = true,
            "--late-secs" => a.late_secs = value().parse().unwrap_or_else(|_| die("bad --late-secs")),
            "--late-every-ms" => a.late_every_ms = value().parse().unwrap_or_else(|_| die("bad --late-every-ms")),
            "--doubt-ms" => a.doubt_ms = value().parse().unwrap_or_else(|_| die("bad --doubt-ms")),
            "--timeout-ms" => a.timeout_ms = value().parse().unwrap_or_else(|_| die("bad --timeout-ms")),
            "--opened-secs" => a.opened_secs = value().parse().unwrap_or_else(|_| die("bad --opened-secs")),
            "--site" => a.site = value(),
            "--api" => a.api = Api::parse(&value()).unwrap_or_else(|| die("--api legacy|orders")),
            "--serve" => a.serve = true,
            other => die(&format!("unknown argument {other}")),
        }
    }
    a
}

fn die(msg: &str) -> ! {
    eprintln!("register-worker: {msg}");
    std::process::exit(2)
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn cart(price: &str) -> Cart {
    let unit_price = parse_amount(price).unwrap_or_else(|e| die(&e.to_string()));
    Cart {
        lines: vec![CartLine {
            sku: None,
            title: "Soak item".into(),
            description: None,
            unit_price,
            quantity: 1,
            weight: None,
        }],
    }
}

fn main() {
    let a = args();
    // Paused at a step, the worker must send nothing more: on a runtime of one thread the
    // blocked hook holds every task (the watchers, the client's connections), on every
    // platform, as a stopped process would.
    let runtime = match a.pause_at {
        Some(_) => tokio::runtime::Builder::new_current_thread().enable_all().build(),
        None => tokio::runtime::Builder::new_multi_thread().enable_all().build(),
    };
    runtime.unwrap_or_else(|e| die(&e.to_string())).block_on(run(a));
}

async fn run(a: Args) {
    let journal = Arc::new(Journal::open(a.journal.as_ref()).unwrap_or_else(|e| die(&e.to_string())));
    if let Some(n) = a.hammer {
        // Journal writes as fast as they go, to be killed in the middle of one.
        let checked = cart("10").check(qr_cashier::money::Currency::Ars).unwrap();
        for i in 0..n {
            // A POS of its own each: a sale left in `creating` by the kill holds its POS.
            let s = journal
                .begin_sale(
                    &format!("{}{i}", a.pos),
                    a.user_id,
                    &checked,
                    Api::Legacy,
                    chrono::Utc::now(),
                )
                .unwrap_or_else(|e| die(&e.to_string()));
            let _ = journal.transition(
                s.id,
                &[SaleState::Creating],
                SaleState::Failed,
                "hammer",
                Default::default(),
                chrono::Utc::now(),
            );
        }
        say("idle");
        return;
    }
    let token = std::env::var("QR_CASHIER_TOKEN").unwrap_or_else(|_| die("QR_CASHIER_TOKEN is not set"));
    let mut config = Config::new(&a.base_url, token.into());
    config.retry = RetryPolicy {
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(100),
        ..Default::default()
    };
    config.request_timeout = Duration::from_millis(a.timeout_ms);
    let client = Client::new(config).unwrap_or_else(|e| die(&e.to_string()));
    let schedule = PollSchedule {
        fast: Duration::from_millis(50),
        medium: Duration::from_millis(50),
        slow: Duration::from_millis(50),
        late_every: Duration::from_millis(a.late_every_ms),
        late_for: Duration::from_secs(a.late_secs),
        pending_every: Duration::from_millis(100),
        max_backoff: Duration::from_millis(300),
        longest_retry_after: Duration::from_millis(500),
        pos_doubt: Duration::from_millis(a.doubt_ms),
        opened_at_most: Duration::from_secs(a.opened_secs),
        ..Default::default()
    };
    // Like the app, it starts without asking Mercado Pago anything (the token may be revoked,
    // the network down): the site comes from its set-up.
    let currency = a
        .site
        .parse::<qr_cashier::money::Site>()
        .unwrap_or_else(|e| die(&e.to_string()))
        .currency();
    let register_config = RegisterConfig {
        user_id: a.user_id,
        pos_external_id: a.pos.clone(),
        api: a.api,
        currency,
        order_ttl: Duration::from_secs(a.ttl_secs),
        notification_url: None,
        schedule,
    };
    let pause_at = a.pause_at;
    let hook: StepHook = Arc::new(move |sale| {
        say(&format!("step {} {}", sale.state, sale.id));
        if Some(sale.state) == pause_at {
            say("paused");
            // Right after the journal write, before the request it announces, the runtime stops
            // (its one thread blocks here) until the test kills the process.
            loop {
                std::thread::sleep(Duration::from_secs(3600));
            }
        }
    });
    let register = Register::with_hook(
        client,
        journal,
        register_config,
        qr_cashier::register::system_clock(),
        Some(hook),
    );
    let mut events = register.subscribe();
    let resumed = register.recover().unwrap_or_else(|e| die(&e.to_string()));
    say(&format!("resumed {resumed}"));
    if let Some(price) = &a.charge {
        match register.charge(&cart(price), false).await {
            Ok(sale) => say(&format!("charged {}", sale.id)),
            Err(e) => say(&format!("refused {e}")),
        }
    }
    if a.serve {
        // Cash goes into a till: one is open while the worker serves (a restart finds it open).
        let _ = register
            .journal()
            .start_till(&a.pos, "Soak", rust_decimal::Decimal::ZERO, currency, register.now());
    }
    let mut stdin = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    let mut serving = a.serve;
    loop {
        tokio::select! {
            line = stdin.next_line(), if serving => match line {
                Ok(Some(line)) => serve(&register, &line).await,
                _ => serving = false,
            },
            e = events.recv() => {
                if let Ok(e) = e {
                    if a.cancel_when_waiting && e.state == SaleState::Waiting {
                        let _ = register.cancel(e.sale_id);
                    }
                }
            }
            _ = tokio::time::sleep(Duration::from_millis(100)) => {
                if !serving && register.watched().is_empty() {
                    say("idle");
                    return;
                }
            }
        }
    }
}

async fn serve(register: &Register, line: &str) {
    let mut words = line.split_whitespace();
    match (words.next(), words.next()) {
        (Some(how @ ("charge" | "charge-despite")), Some(price)) => {
            let register = register.clone();
            let cart = cart(price);
            let despite = how == "charge-despite";
            tokio::spawn(async move {
                match register.charge(&cart, despite).await {
                    Ok(sale) => say(&format!("charged {}", sale.id)),
                    Err(e) => say(&format!("refused {e}")),
                }
            });
        }
        (Some("cancel"), Some(id)) => match id.parse().map(|id| register.cancel(id)) {
            Ok(Ok(_)) => say(&format!("cancelling {id}")),
            Ok(Err(e)) => say(&format!("refused {e}")),
            Err(_) => say("refused: not a sale id"),
        },
        (Some("check"), Some(id)) => match id.parse() {
            Ok(id) => register.wake(id),
            Err(_) => say("refused: not a sale id"),
        },
        (Some("cash"), Some(price)) => {
            let cart = cart(price);
            match register.charge_cash(&cart, price, None, None, false) {
                Ok((sale, _)) => say(&format!("cash {}", sale.id)),
                Err(e) => say(&format!("refused {e}")),
            }
        }
        (Some("cash-finish"), Some(id)) => {
            let Ok(id) = id.parse() else {
                return say("refused: not a sale id");
            };
            let sale = match register.journal().get(id) {
                Ok(s) => s,
                Err(e) => return say(&format!("refused {e}")),
            };
            let cart = qr_cashier::sale::Cart {
                lines: sale.lines.clone(),
            };
            match register.charge_cash(&cart, &sale.total.to_string(), None, Some(id), true) {
                Ok((cash, _)) => say(&format!("cash {} finishes {id}", cash.id)),
                Err(e) => say(&format!("refused {e}")),
            }
        }
        (Some("token"), Some(token)) => {
            register.take_over_token(token.to_owned().into());
            say("token taken over");
        }
        _ => say(&format!("refused: unknown command {line:?}")),
    }
}
