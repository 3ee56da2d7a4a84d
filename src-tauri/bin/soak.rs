//! The model-based soak: seeded random interleavings of what a cashier, a customer and the
//! network do, played on a real `register-worker` process against the sandbox (loopback
//! only), with the process killed (SIGKILL) and started again at random moments, on either
//! Mercado Pago API (each run plays one, chosen by its seed). After every run the register is
//! left to settle and the oracle checks the journal against the sandbox's own truth:
//!
//! - for each sale, what the journal says was collected equals what the sandbox holds for it,
//!   summed over all its merchant orders (approved payments minus refunds);
//! - no order is left payable on the POS for a sale that ended;
//! - every sale ended (none left open or pending), and every one whose money is beyond its
//!   total (paid twice, paid in part and then cancelled, paid late) is in a visible outcome:
//!   the cashier's attention list, with its amount;
//! - nothing panicked (the register's own output is read).
//!
//! `soak [--max-seconds S] [--runs N] [--steps K] [--seed X]`: runs until N runs or S seconds,
//! whichever comes first; a failing run prints its own seed, replayed with
//! `soak --runs 1 --seed <that seed>`. Exits non-zero on any violation.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use qr_cashier::mercadopago::Api;
use qr_cashier::sale::{Journal, Outcome, SaleState, Tender};
use qr_cashier::sandbox::world::MoStatus;
use qr_cashier::sandbox::{Fault, FaultRule, Outcome as Pay, Sandbox};
use rust_decimal::Decimal;

/// The register process's timings: short, so a run plays many lives in seconds.
const TTL_SECS: u64 = 3;
const LATE_SECS: u64 = 1;
const DOUBT_MS: u64 = 1500;
const TIMEOUT_MS: u64 = 400;
/// A request that lands late does so within the doubt the register allows for it.
const LATE_LANDING_MS: std::ops::Range<u64> = 100..1400;
const SETTLE: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Action {
    // The cashier.
    Charge,
    ChargeTwice,
    ChargeDespitePending,
    Cancel,
    CheckNow,
    Kill,
    /// A cart taken in cash.
    CashSale,
    /// The open QR sale withdrawn and its cart taken in cash (or an ended unpaid one's).
    FinishInCash,
    // The customer.
    Scan,
    PayInFull,
    PayPart,
    PayTwoOrders,
    Reject,
    PayPending,
    ResolvePending,
    // The network and the account.
    LateCreate,
    ServerError,
    LongRetryAfter,
    DroppedConnection,
    RevokeToken,
    GiveNewToken,
    Wait,
}

/// How often each action is picked, in parts of the total.
const WEIGHTS: &[(Action, u32)] = &[
    (Action::Charge, 14),
    (Action::ChargeTwice, 3),
    (Action::ChargeDespitePending, 2),
    (Action::Cancel, 7),
    (Action::CheckNow, 3),
    (Action::Kill, 5),
    (Action::CashSale, 3),
    (Action::FinishInCash, 3),
    (Action::Scan, 8),
    (Action::PayInFull, 10),
    (Action::PayPart, 5),
    (Action::PayTwoOrders, 3),
    (Action::Reject, 3),
    (Action::PayPending, 3),
    (Action::ResolvePending, 4),
    (Action::LateCreate, 4),
    (Action::ServerError, 3),
    (Action::LongRetryAfter, 2),
    (Action::DroppedConnection, 2),
    (Action::RevokeToken, 1),
    (Action::GiveNewToken, 2),
    (Action::Wait, 8),
];

fn pick(rng: &mut fastrand::Rng) -> Action {
    let total: u32 = WEIGHTS.iter().map(|(_, w)| w).sum();
    let mut n = rng.u32(0..total);
    for (a, w) in WEIGHTS {
        if n < *w {
            return *a;
        }
        n -= w;
    }
    Action::Wait
}

struct Worker {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
}

/// One run: a sandbox, a journal, a register process, and what the customer holds.
struct Run {
    sb: Sandbox,
    site: String,
    api: Api,
    pos_id: u64,
    dir: PathBuf,
    journal: Journal,
    worker_bin: PathBuf,
    worker: Option<Worker>,
    /// The account's token as the register was last given it.
    token: String,
    /// Merchant orders the customer opened by scanning.
    scanned: Vec<u64>,
    pending_payments: Vec<u64>,
    log: Vec<String>,
    kills: u32,
    faults: u32,
    output: Vec<String>,
}

impl Run {
    fn journal_path(&self) -> PathBuf {
        self.dir.join("journal.sqlite3")
    }

    fn spawn(&mut self) -> &mut Worker {
        if self.worker.is_none() {
            let mut child = Command::new(&self.worker_bin)
                .args([
                    "--base-url",
                    self.sb.base_url(),
                    "--user-id",
                    &self.sb.account.user_id.to_string(),
                    "--pos",
                    "CAJA1",
                ])
                .arg("--journal")
                .arg(self.journal_path())
                .args(["--ttl-secs", &TTL_SECS.to_string()])
                .args(["--late-secs", &LATE_SECS.to_string()])
                .args(["--doubt-ms", &DOUBT_MS.to_string()])
                .args(["--timeout-ms", &TIMEOUT_MS.to_string()])
                .args([
                    "--opened-secs",
                    "2",
                    "--site",
                    &self.site,
                    "--api",
                    self.api.as_str(),
                    "--serve",
                ])
                .env("QR_CASHIER_TOKEN", &self.token)
                .env("QR_CASHIER_LOG", "warn")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("register-worker starts");
            let stdin = child.stdin.take();
            let (tx, lines) = mpsc::channel();
            for out in [
                Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
                Box::new(child.stderr.take().unwrap()),
            ] {
                let tx = tx.clone();
                std::thread::spawn(move || {
                    for line in BufReader::new(out).lines().map_while(Result::ok) {
                        if tx.send(line).is_err() {
                            return;
                        }
                    }
                });
            }
            self.worker = Some(Worker { child, stdin, lines });
        }
        self.worker.as_mut().unwrap()
    }

    fn drain(&mut self) {
        if let Some(w) = self.worker.as_mut() {
            while let Ok(line) = w.lines.try_recv() {
                self.output.push(line);
            }
        }
    }

    fn kill(&mut self) {
        self.drain();
        if let Some(mut w) = self.worker.take() {
            let _ = w.child.kill();
            let _ = w.child.wait();
            self.kills += 1;
        }
    }

    /// Sends a command; a worker that died is started again (it resumes its sales first).
    fn send(&mut self, command: &str) {
        for _ in 0..3 {
            let w = self.spawn();
            let sent = w
                .stdin
                .as_mut()
                .map(|s| writeln!(s, "{command}").and_then(|_| s.flush()).is_ok())
                .unwrap_or(false);
            if sent {
                return;
            }
            self.worker = None;
        }
    }

    fn sales(&self) -> Vec<qr_cashier::sale::Sale> {
        self.journal.in_states(&SaleState::ALL).unwrap_or_default()
    }

    fn open_sale(&self) -> Option<qr_cashier::sale::Sale> {
        self.sales().into_iter().rev().find(|s| s.state.is_open())
    }

    fn opened_orders(&self) -> Vec<u64> {
        let w = self.sb.world();
        self.scanned
            .iter()
            .copied()
            .filter(|id| w.merchant_orders.get(id).is_some_and(|m| m.status == MoStatus::Opened))
            .collect()
    }

    /// The customer scans the POS's QR: a merchant order on the attended model (the Orders
    /// API has no scan of its own: the order is paid as it is).
    fn scan(&mut self) -> Option<u64> {
        if self.api == Api::Orders {
            return None;
        }
        let mo = self.sb.world().scan(self.pos_id).ok()?["merchant_order_id"].as_u64()?;
        self.scanned.push(mo);
        Some(mo)
    }

    /// The sandbox's name for a route of this run's API.
    fn route(&self, legacy: &'static str) -> &'static str {
        match (self.api, legacy) {
            (Api::Legacy, r) => r,
            (Api::Orders, "create_order") => "orders_create",
            (Api::Orders, "delete_order") => "orders_cancel",
            (Api::Orders, "search_merchant_orders") => "orders_get",
            (Api::Orders, r) => r,
        }
    }

    /// On the Orders API the customer pays the order waiting on the POS, whole.
    fn pay_order(&mut self, outcome: Pay) {
        let paid = self.sb.world().pay_qr_order(self.pos_id, outcome);
        if let (Ok(p), Pay::Pending) = (&paid, outcome) {
            if let Some(id) = p["payment_id"].as_u64() {
                self.pending_payments.push(id);
            }
        }
        self.sb.flush_notices();
    }

    fn pay(&mut self, mo: u64, outcome: Pay, amount: Option<Decimal>) {
        let paid = self.sb.world().pay(mo, outcome, amount);
        if let Ok(p) = paid {
            if outcome == Pay::Pending {
                if let Some(id) = p["payment_id"].as_u64() {
                    self.pending_payments.push(id);
                }
            }
        }
        self.sb.flush_notices();
    }

    fn fault(&mut self, rule: FaultRule) {
        self.faults += 1;
        self.sb.add_fault(rule);
    }

    async fn step(&mut self, action: Action, rng: &mut fastrand::Rng) {
        let price = || format!("{}.{:02}", fastrand::u32(1..5000), fastrand::u32(0..100));
        match action {
            Action::Charge => self.send(&format!("charge {}", price())),
            Action::ChargeTwice => {
                let p = price();
                self.send(&format!("charge {p}"));
                self.send(&format!("charge {p}"));
            }
            Action::ChargeDespitePending => self.send(&format!("charge-despite {}", price())),
            Action::Cancel => {
                if let Some(s) = self.open_sale() {
                    self.send(&format!("cancel {}", s.id));
                }
            }
            Action::CashSale => self.send(&format!("cash {}", price())),
            Action::FinishInCash => {
                // The customer cannot pay: the cashier withdraws the order and takes cash (refused
                // while the order may still be paid; taken once it ended unpaid).
                if let Some(s) = self.open_sale() {
                    self.send(&format!("cancel {}", s.id));
                    tokio::time::sleep(Duration::from_millis(rng.u64(0..400))).await;
                    self.send(&format!("cash-finish {}", s.id));
                } else if let Some(s) =
                    self.sales().into_iter().rev().find(|s| {
                        s.tender == Tender::Qr && matches!(s.state, SaleState::Cancelled | SaleState::Expired)
                    })
                {
                    self.send(&format!("cash-finish {}", s.id));
                }
            }
            Action::CheckNow => {
                if let Some(s) = self.sales().last() {
                    self.send(&format!("check {}", s.id));
                }
            }
            Action::Kill => {
                tokio::time::sleep(Duration::from_millis(rng.u64(0..80))).await;
                self.kill();
                self.spawn();
            }
            Action::Scan => {
                self.scan();
            }
            Action::PayInFull | Action::Reject | Action::PayPending if self.api == Api::Orders => {
                let outcome = match action {
                    Action::PayInFull => Pay::Approved,
                    Action::Reject => Pay::Rejected,
                    _ => Pay::Pending,
                };
                self.pay_order(outcome);
            }
            // Neither exists on the Orders API: a QR order is paid whole, once.
            Action::PayPart | Action::PayTwoOrders if self.api == Api::Orders => {}
            Action::PayInFull | Action::Reject | Action::PayPending | Action::PayPart => {
                let mo = match rng.bool() {
                    true => self.scan(),
                    false => None,
                }
                .or_else(|| {
                    let open = self.opened_orders();
                    (!open.is_empty()).then(|| open[rng.usize(..open.len())])
                });
                let Some(mo) = mo else { return };
                let (outcome, amount) = match action {
                    Action::PayInFull => (Pay::Approved, None),
                    Action::Reject => (Pay::Rejected, None),
                    Action::PayPending => (Pay::Pending, None),
                    _ => (Pay::Partial, None),
                };
                self.pay(mo, outcome, amount);
            }
            Action::PayTwoOrders => {
                // Two phones scan the same order; both pay it in full.
                let (a, b) = (self.scan(), self.scan());
                for mo in [a, b].into_iter().flatten() {
                    self.pay(mo, Pay::Approved, None);
                }
            }
            Action::ResolvePending => {
                if !self.pending_payments.is_empty() {
                    let id = self.pending_payments.remove(rng.usize(..self.pending_payments.len()));
                    let _ = self.sb.world().resolve_pending(id, rng.bool());
                    self.sb.flush_notices();
                }
            }
            Action::LateCreate => {
                let ms = rng.u64(LATE_LANDING_MS);
                self.fault(FaultRule::next(self.route("create_order"), Fault::Late { ms }, 1));
            }
            Action::ServerError => {
                let route = self.route(["create_order", "delete_order", "search_merchant_orders", "*"][rng.usize(..4)]);
                let status = [500, 502, 503][rng.usize(..3)];
                self.fault(FaultRule::next(route, Fault::Status { status }, rng.u32(1..4)));
            }
            Action::LongRetryAfter => {
                let route = self.route(["search_merchant_orders", "delete_order", "create_order"][rng.usize(..3)]);
                let fault = Fault::RateLimit {
                    retry_after: 3600,
                    http_date: rng.bool(),
                };
                self.fault(FaultRule::next(route, fault, rng.u32(1..3)));
            }
            Action::DroppedConnection => {
                let route = self.route(["create_order", "delete_order", "search_merchant_orders"][rng.usize(..3)]);
                self.fault(FaultRule::next(route, Fault::Drop, 1));
            }
            Action::RevokeToken => {
                let _ = self.sb.world().renew_token(self.sb.account.user_id);
                self.faults += 1;
            }
            Action::GiveNewToken => self.give_token(),
            Action::Wait => tokio::time::sleep(Duration::from_millis(rng.u64(50..600))).await,
        }
    }

    /// The register is told the account's current token (after a revocation).
    fn give_token(&mut self) {
        let current = self.sb.world().users[0].token.clone();
        if current != self.token {
            self.token = current.clone();
            self.send(&format!("token {current}"));
        }
    }

    /// No more customers or faults: pending payments are resolved, the register gets the
    /// current token, and is left to finish every sale (it exits when nothing is left to watch).
    async fn settle(&mut self, rng: &mut fastrand::Rng) -> Result<(), String> {
        self.sb.clear_faults();
        self.give_token();
        for id in std::mem::take(&mut self.pending_payments) {
            let _ = self.sb.world().resolve_pending(id, rng.bool());
        }
        self.sb.flush_notices();
        self.spawn();
        let mut w = self.worker.take().unwrap();
        drop(w.stdin.take());
        let deadline = Instant::now() + SETTLE;
        loop {
            while let Ok(line) = w.lines.try_recv() {
                self.output.push(line);
            }
            match w.child.try_wait() {
                Ok(Some(status)) => {
                    std::thread::sleep(Duration::from_millis(50));
                    while let Ok(line) = w.lines.try_recv() {
                        self.output.push(line);
                    }
                    return if status.success() {
                        Ok(())
                    } else {
                        Err(format!("the register ended with {status}"))
                    };
                }
                Ok(None) if Instant::now() > deadline => {
                    let _ = w.child.kill();
                    return Err(format!("the register did not settle within {SETTLE:?}"));
                }
                _ => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    /// The oracle. Returns the violations.
    fn judge(&self) -> Vec<String> {
        let mut bad = Vec::new();
        let sales = self.sales();
        let attention: Vec<i64> = self
            .journal
            .needing_attention()
            .unwrap_or_default()
            .iter()
            .map(|s| s.id)
            .collect();
        let mut w = self.sb.world();
        w.expire();
        for sale in &sales {
            let held = w.collected(&sale.money_reference());
            // Cash never reaches Mercado Pago; the journal counts its total as collected.
            if sale.tender == Tender::Cash {
                if !held.is_zero() || sale.collected != sale.total || sale.state != SaleState::Paid {
                    bad.push(format!(
                        "CASH: sale {} ({}) collected {} of {}, Mercado Pago holds {held}",
                        sale.id, sale.state, sale.collected, sale.total
                    ));
                }
                continue;
            }
            // Its cart was taken in cash: what Mercado Pago got for it is to give back, never a payment.
            if let (Some(by), SaleState::Paid) = (sale.finished_by, sale.state) {
                bad.push(format!(
                    "PAID TWICE: sale {} is paid, its cart taken in cash by sale {by}",
                    sale.id
                ));
            }
            if sale.collected != held {
                bad.push(format!(
                    "MONEY: sale {} ({}) journal says {} collected, Mercado Pago holds {held}",
                    sale.id, sale.state, sale.collected
                ));
            }
            if !sale.state.is_ended() {
                bad.push(format!("UNSETTLED: sale {} is still {}", sale.id, sale.state));
            }
            if sale.pos_doubt_until.is_some() {
                bad.push(format!("UNSETTLED: sale {} still holds the POS in doubt", sale.id));
            }
            let beyond = Outcome::of(sale.state, sale.total, held).extra();
            if beyond > Decimal::ZERO && !(sale.outcome().extra() == beyond && attention.contains(&sale.id)) {
                bad.push(format!(
                    "HIDDEN: sale {} ({}) holds {beyond} beyond its total, not shown: {:?}, attention {}",
                    sale.id,
                    sale.state,
                    sale.outcome(),
                    attention.contains(&sale.id)
                ));
            }
            if sale.late && sale.state == SaleState::Paid && !attention.contains(&sale.id) {
                bad.push(format!("HIDDEN: sale {} was paid late and is not shown", sale.id));
            }
        }
        if let Some(reference) = w.order_on(self.pos_id) {
            let owner = sales.iter().find(|s| s.money_reference() == reference);
            if owner.is_none_or(|s| s.state.is_ended()) {
                bad.push(format!(
                    "LEFT ON THE POS: an order of {} is payable, its sale {}",
                    reference,
                    owner.map_or("unknown".to_owned(), |s| format!("{} is {}", s.id, s.state))
                ));
            }
        }
        // Money the sandbox holds for a reference the journal never had.
        let known: Vec<String> = sales.iter().map(|s| s.money_reference()).collect();
        let mut strays: BTreeMap<String, Decimal> = BTreeMap::new();
        let references = w
            .merchant_orders
            .values()
            .map(|m| m.external_reference.clone())
            .chain(w.qr_orders.values().map(|o| o.external_reference.clone()));
        for reference in references.collect::<Vec<_>>() {
            if !known.contains(&reference) {
                let held = w.collected(&reference);
                strays.insert(reference, held);
            }
        }
        for (reference, amount) in strays.into_iter().filter(|(_, a)| *a > Decimal::ZERO) {
            bad.push(format!(
                "LOST: {amount} collected for {reference}, which the journal never had"
            ));
        }
        for line in &self.output {
            if line.contains("panicked") {
                bad.push(format!("PANIC: {line}"));
            }
        }
        bad
    }
}

struct Totals {
    runs: u32,
    orders_runs: u32,
    steps: u32,
    actions: BTreeMap<Action, u32>,
    sales: usize,
    states: BTreeMap<&'static str, usize>,
    extra: usize,
    held: usize,
    late: usize,
    cash: usize,
    finished_in_cash: usize,
    kills: u32,
    faults: u32,
    violations: u32,
}

fn args() -> (u64, u32, u32, Option<u64>) {
    let (mut seconds, mut runs, mut steps, mut seed) = (120, u32::MAX, 40, None);
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it.next().unwrap_or_default();
        match flag.as_str() {
            "--max-seconds" => seconds = v.parse().expect("--max-seconds S"),
            "--runs" => runs = v.parse().expect("--runs N"),
            "--steps" => steps = v.parse().expect("--steps K"),
            "--seed" => seed = Some(v.parse().expect("--seed X")),
            _ => panic!("usage: soak [--max-seconds S] [--runs N] [--steps K] [--seed X]"),
        }
    }
    (seconds, runs, steps, seed)
}

fn run_dir(seed: u64) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("qr-cashier-soak-{}-{seed}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn one_run(seed: u64, steps: u32, worker_bin: &Path, totals: &mut Totals) -> Vec<String> {
    let mut rng = fastrand::Rng::with_seed(seed);
    // The customers' amounts and the sandbox's ids follow the run's seed too.
    fastrand::seed(seed);
    let site = if rng.u32(0..4) == 0 { "MLC" } else { "MLA" };
    let api = if rng.bool() { Api::Orders } else { Api::Legacy };
    let sb = Sandbox::start(0, site).await.expect("the sandbox starts on loopback");
    // A customer who scanned has a second to pay once the order is gone (two minutes by
    // default), within the register's late window.
    sb.world().scan_grace = chrono::Duration::milliseconds(900);
    let pos_id = sb.add_register("CAJA1");
    let dir = run_dir(seed);
    let mut run = Run {
        pos_id,
        journal: Journal::open(&dir.join("journal.sqlite3")).expect("the journal opens"),
        dir,
        worker_bin: worker_bin.to_owned(),
        worker: None,
        token: sb.account.token.clone(),
        site: site.to_owned(),
        api,
        sb,
        scanned: Vec::new(),
        pending_payments: Vec::new(),
        log: Vec::new(),
        kills: 0,
        faults: 0,
        output: Vec::new(),
    };
    run.spawn();
    for _ in 0..steps {
        let action = pick(&mut rng);
        // CLP charges in whole pesos: the register refuses decimals there before sending.
        let action = match (site, action) {
            ("MLC", Action::Charge | Action::ChargeTwice | Action::ChargeDespitePending) => {
                run.send(&format!("charge {}", rng.u32(100..50_000)));
                Action::Charge
            }
            _ => {
                run.step(action, &mut rng).await;
                action
            }
        };
        run.log.push(format!("{action:?}"));
        *totals.actions.entry(action).or_default() += 1;
        totals.steps += 1;
        tokio::time::sleep(Duration::from_millis(rng.u64(0..200))).await;
        run.drain();
    }
    let mut bad = Vec::new();
    if let Err(e) = run.settle(&mut rng).await {
        bad.push(format!("SETTLE: {e}"));
    }
    bad.extend(run.judge());
    let sales = run.sales();
    totals.runs += 1;
    totals.orders_runs += (api == Api::Orders) as u32;
    totals.sales += sales.len();
    totals.kills += run.kills;
    totals.faults += run.faults;
    for s in &sales {
        *totals.states.entry(s.state.as_str()).or_default() += 1;
        match s.outcome() {
            Outcome::Extra { .. } => totals.extra += 1,
            Outcome::Held { .. } => totals.held += 1,
            _ => {}
        }
        totals.late += (s.late && s.state == SaleState::Paid) as usize;
        totals.cash += (s.tender == Tender::Cash) as usize;
        totals.finished_in_cash += s.finishes_sale.is_some() as usize;
    }
    if !bad.is_empty() {
        println!(
            "\nsoak: run with seed {seed} ({site}, {}) broke the oracle; replay with `soak --runs 1 --seed {seed}`",
            api.as_str()
        );
        println!("  actions: {}", run.log.join(" "));
        for s in &sales {
            println!(
                "  sale {} {} total {} collected {} (sandbox {}) {:?}",
                s.id,
                s.state,
                s.total,
                s.collected,
                run.sb.world().collected(&s.money_reference()),
                run.journal
                    .changes(s.id)
                    .unwrap_or_default()
                    .iter()
                    .map(|c| c.detail.as_str())
                    .collect::<Vec<_>>()
            );
        }
        for line in run
            .output
            .iter()
            .filter(|l| l.contains("panicked") || l.contains("ERROR"))
        {
            println!("  register: {line}");
        }
        // SOAK_VERBOSE=1: every request the sandbox received, and all the register printed.
        if std::env::var_os("SOAK_VERBOSE").is_some() {
            for r in run.sb.requests() {
                println!(
                    "  request {:.0} {} {} {}",
                    r.received_at_ms,
                    r.method,
                    r.path,
                    r.headers.get("x-idempotency-key").map_or("", String::as_str)
                );
            }
            for line in &run.output {
                println!("  register: {line}");
            }
        }
        for b in &bad {
            println!("  {b}");
        }
    }
    let _ = std::fs::remove_dir_all(&run.dir);
    bad
}

#[tokio::main]
async fn main() {
    let (max_seconds, max_runs, steps, seed) = args();
    let seed = seed.unwrap_or_else(|| fastrand::u64(..));
    let worker_bin = std::env::current_exe().unwrap().with_file_name("register-worker");
    println!("soak: model-based, up to {max_runs} runs or {max_seconds} s, {steps} steps a run, seed {seed}");
    let started = Instant::now();
    let mut totals = Totals {
        runs: 0,
        orders_runs: 0,
        steps: 0,
        actions: BTreeMap::new(),
        sales: 0,
        states: BTreeMap::new(),
        extra: 0,
        held: 0,
        late: 0,
        cash: 0,
        finished_in_cash: 0,
        kills: 0,
        faults: 0,
        violations: 0,
    };
    let mut seeds = fastrand::Rng::with_seed(seed);
    let mut broken: Vec<(u64, Vec<String>)> = Vec::new();
    while totals.runs < max_runs && started.elapsed() < Duration::from_secs(max_seconds) {
        let run_seed = if max_runs == 1 { seed } else { seeds.u64(..) };
        let bad = one_run(run_seed, steps, &worker_bin, &mut totals).await;
        totals.violations += bad.len() as u32;
        if !bad.is_empty() {
            broken.push((run_seed, bad));
        }
        if totals.runs % 10 == 0 {
            println!(
                "soak: {} runs, {} steps, {} sales, {} violations, {:.0} s",
                totals.runs,
                totals.steps,
                totals.sales,
                totals.violations,
                started.elapsed().as_secs_f64()
            );
        }
    }
    report(&totals, seed, started.elapsed());
    // Again at the end, where a CI log's tail shows it.
    for (run_seed, bad) in &broken {
        println!("\nbroken run, replay with `make soak SEED={run_seed} RUNS=1` (SOAK_VERBOSE=1 for its requests):");
        for b in bad {
            println!("  {b}");
        }
    }
    let ok = totals.violations == 0;
    println!("\nsoak: {} passed, {} failed", ok as u8, !ok as u8);
    std::process::exit(if totals.violations == 0 { 0 } else { 1 });
}

fn report(t: &Totals, seed: u64, took: Duration) {
    let row = |name: &str, value: String| println!("| {name:<52} | {value:>8} |");
    println!(
        "\n| {:<52} | {:>8} |\n|{}|{}|",
        "model-based soak",
        "count",
        "-".repeat(54),
        "-".repeat(10)
    );
    row("seed", seed.to_string());
    row("runs", t.runs.to_string());
    row(
        "of which on the Orders API (the rest: attended model)",
        t.orders_runs.to_string(),
    );
    row("steps", t.steps.to_string());
    row("sales journaled", t.sales.to_string());
    for state in ["paid", "cancelled", "expired", "failed"] {
        row(state, t.states.get(state).copied().unwrap_or(0).to_string());
    }
    row("paid late (after a cancel or an expiry)", t.late.to_string());
    row("paid in cash (never sent to Mercado Pago)", t.cash.to_string());
    row(
        "of which finished a QR sale withdrawn unpaid",
        t.finished_in_cash.to_string(),
    );
    row("more than the total collected (shown, refundable)", t.extra.to_string());
    row(
        "money on a sale that ended unpaid (shown, refundable)",
        t.held.to_string(),
    );
    row("kills (SIGKILL of the register process)", t.kills.to_string());
    row(
        "faults injected (late creates, 5xx, 429, drops, revocations)",
        t.faults.to_string(),
    );
    row("violations of the oracle (must be 0)", t.violations.to_string());
    row("seconds", format!("{:.0}", took.as_secs_f64()));
    println!("\nactions played:");
    for (a, n) in &t.actions {
        println!("  {a:?}: {n}");
    }
}
