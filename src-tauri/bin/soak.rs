//! The crash soak: plays randomized sales against the sandbox (loopback only) on a
//! `register-worker` process that it kills with SIGKILL at random moments and starts again,
//! then compares the journal with the sandbox's truth and prints a table. Bounded in count and
//! time; exits non-zero when a sale was lost, charged twice, or left an order on the POS.
//!
//! `soak [--sales N] [--max-seconds S] [--kill-rate P] [--seed X]`

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use qr_cashier::sale::{Journal, SaleId, SaleState};
use qr_cashier::sandbox::world::MoStatus;
use qr_cashier::sandbox::{Outcome, Sandbox};
use rust_decimal::Decimal;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Customer {
    Pays,
    RejectedThenPays,
    PaysInTwoParts,
    CashierCancels,
    PaysAfterTheCancel,
    Never,
}

impl Customer {
    fn pick() -> Customer {
        match fastrand::u32(0..100) {
            0..40 => Customer::Pays,
            40..52 => Customer::RejectedThenPays,
            52..62 => Customer::PaysInTwoParts,
            62..74 => Customer::CashierCancels,
            74..86 => Customer::PaysAfterTheCancel,
            _ => Customer::Never,
        }
    }

    fn expected(self) -> SaleState {
        match self {
            Customer::CashierCancels => SaleState::Cancelled,
            Customer::Never => SaleState::Expired,
            _ => SaleState::Paid,
        }
    }
}

struct Worker {
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
}

struct Soak {
    sb: Sandbox,
    pos_id: u64,
    journal_path: PathBuf,
    /// Opened once: under WAL it reads each commit of the worker as it lands.
    journal: Journal,
    worker_bin: PathBuf,
    worker: Option<Worker>,
    kills: u32,
}

const TTL_SECS: u64 = 3;

impl Soak {
    /// The worker on this soak's sandbox and journal.
    fn worker_command(&self, extra: &[&str]) -> Command {
        let mut cmd = Command::new(&self.worker_bin);
        cmd.args([
            "--base-url",
            self.sb.base_url(),
            "--user-id",
            &self.sb.account.user_id.to_string(),
            "--pos",
            "CAJA1",
        ])
        .arg("--journal")
        .arg(&self.journal_path)
        .args(["--ttl-secs", &TTL_SECS.to_string()])
        .args(extra)
        .env("QR_CASHIER_TOKEN", &self.sb.account.token);
        cmd
    }

    fn spawn(&mut self) -> &mut Worker {
        if self.worker.is_none() {
            let mut child = self
                .worker_command(&["--late-secs", "4", "--serve"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("register-worker starts");
            let stdin = child.stdin.take().unwrap();
            let out = BufReader::new(child.stdout.take().unwrap());
            let (tx, lines) = mpsc::channel();
            std::thread::spawn(move || {
                for line in out.lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        return;
                    }
                }
            });
            self.worker = Some(Worker { child, stdin, lines });
        }
        self.worker.as_mut().unwrap()
    }

    fn kill(&mut self) {
        if let Some(mut w) = self.worker.take() {
            let _ = Command::new("kill").arg("-KILL").arg(w.child.id().to_string()).status();
            let _ = w.child.wait();
            self.kills += 1;
        }
    }

    /// Sends a command; a worker that died is started again (it resumes its sales first).
    fn send(&mut self, command: &str) {
        for _ in 0..3 {
            let w = self.spawn();
            if writeln!(w.stdin, "{command}").and_then(|_| w.stdin.flush()).is_ok() {
                return;
            }
            self.worker = None;
        }
    }

    fn journal(&self) -> &Journal {
        &self.journal
    }

    /// Waits for the newest sale to reach `ok`, killing and restarting the worker now and then.
    async fn until(&mut self, id: SaleId, ok: impl Fn(SaleState) -> bool, kill_rate: f64) -> Option<SaleState> {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if fastrand::f64() < kill_rate / 20.0 {
                self.kill();
                self.spawn();
            }
            if let Some(w) = self.worker.as_mut() {
                while w.lines.try_recv().is_ok() {}
            }
            let state = self.journal().get(id).ok().map(|s| s.state);
            if let Some(s) = state.filter(|s| ok(*s)) {
                return Some(s);
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        self.journal().get(id).ok().map(|s| s.state)
    }

    fn scan(&self) -> Option<u64> {
        self.sb.world().scan(self.pos_id).ok()?["merchant_order_id"].as_u64()
    }

    fn pay(&self, mo: u64, outcome: Outcome, amount: Option<Decimal>) {
        let _ = self.sb.world().pay(mo, outcome, amount);
    }
}

fn args() -> (usize, u64, f64, Option<u64>) {
    let (mut sales, mut seconds, mut kill_rate, mut seed) = (500, 1200, 0.25, None);
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it.next().unwrap_or_default();
        match flag.as_str() {
            "--sales" => sales = v.parse().expect("--sales N"),
            "--max-seconds" => seconds = v.parse().expect("--max-seconds S"),
            "--kill-rate" => kill_rate = v.parse().expect("--kill-rate P"),
            "--seed" => seed = Some(v.parse().expect("--seed X")),
            _ => panic!("usage: soak [--sales N] [--max-seconds S] [--kill-rate P] [--seed X]"),
        }
    }
    (sales, seconds, kill_rate, seed)
}

#[tokio::main]
async fn main() {
    let (sales, max_seconds, kill_rate, seed) = args();
    let seed = seed.unwrap_or_else(|| fastrand::u64(..));
    fastrand::seed(seed);
    let dir = tempfile_dir();
    let sb = Sandbox::start(0, "MLA").await.expect("the sandbox starts on loopback");
    let pos_id = sb.add_register("CAJA1");
    let worker_bin = std::env::current_exe().unwrap().with_file_name("register-worker");
    let mut soak = Soak {
        sb,
        pos_id,
        journal: Journal::open(&dir.join("journal.sqlite3")).expect("the journal opens"),
        journal_path: dir.join("journal.sqlite3"),
        worker_bin,
        worker: None,
        kills: 0,
    };
    let started = Instant::now();
    let mut expected: BTreeMap<SaleId, Customer> = BTreeMap::new();
    let mut stuck = 0;
    let mut sent = 0;
    println!("soak: up to {sales} sales, {max_seconds} s, kill rate {kill_rate}, seed {seed}");
    for n in 0..sales {
        if started.elapsed() > Duration::from_secs(max_seconds) {
            println!("soak: time is up after {n} sales");
            break;
        }
        let customer = Customer::pick();
        let price = format!("{}.{:02}", fastrand::u32(1..5000), fastrand::u32(0..100));
        let before = soak.journal().in_states(&SaleState::ALL).unwrap().len();
        soak.send(&format!("charge {price}"));
        sent += 1;
        if fastrand::f64() < kill_rate {
            // Killed at a random moment around the charge.
            tokio::time::sleep(Duration::from_millis(fastrand::u64(0..60))).await;
            soak.kill();
            soak.spawn();
        }
        // The sale as journaled (a kill before the journal write loses nothing: it never began).
        let mut id = None;
        for _ in 0..400 {
            let all = soak.journal().in_states(&SaleState::ALL).unwrap();
            if all.len() > before {
                id = all.last().map(|s| s.id);
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let Some(id) = id else { continue };
        expected.insert(id, customer);
        let waiting = soak.until(id, |s| s != SaleState::Creating, kill_rate).await;
        if waiting != Some(SaleState::Waiting) {
            continue;
        }
        match customer {
            Customer::Pays => {
                if let Some(mo) = soak.scan() {
                    soak.pay(mo, Outcome::Approved, None);
                }
            }
            Customer::RejectedThenPays => {
                if let Some(mo) = soak.scan() {
                    soak.pay(mo, Outcome::Rejected, None);
                    tokio::time::sleep(Duration::from_millis(fastrand::u64(20..150))).await;
                    soak.pay(mo, Outcome::Approved, None);
                }
            }
            Customer::PaysInTwoParts => {
                if let Some(mo) = soak.scan() {
                    soak.pay(mo, Outcome::Partial, None);
                    tokio::time::sleep(Duration::from_millis(fastrand::u64(20..150))).await;
                    soak.pay(mo, Outcome::Approved, None);
                }
            }
            Customer::CashierCancels => soak.send(&format!("cancel {id}")),
            Customer::PaysAfterTheCancel => {
                let mo = soak.scan();
                soak.send(&format!("cancel {id}"));
                soak.until(id, |s| !s.is_open(), kill_rate).await;
                if let Some(mo) = mo {
                    soak.pay(mo, Outcome::Approved, None);
                }
            }
            Customer::Never => {}
        }
        let want = customer.expected();
        let end = soak.until(id, |s| s == want || s.is_settled(), kill_rate).await;
        if end.is_none_or(|s| s.is_open()) {
            stuck += 1;
        }
        if (n + 1) % 50 == 0 {
            println!(
                "soak: {} sales, {} kills, {:.0} s",
                n + 1,
                soak.kills,
                started.elapsed().as_secs_f64()
            );
        }
    }
    // Let late watches run out, then a last start finishes whatever is open.
    tokio::time::sleep(Duration::from_secs(5)).await;
    soak.kill();
    soak.kills -= 1;
    let status = soak
        .worker_command(&["--late-secs", "0"])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let ok = report(&soak, &expected, sent, stuck, started.elapsed());
    let _ = std::fs::remove_dir_all(&dir);
    std::process::exit(if ok { 0 } else { 1 });
}

fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("qr-cashier-soak-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Compares the journal with the sandbox and prints the table. True when nothing was lost,
/// nothing charged twice and nothing left on the POS.
fn report(soak: &Soak, expected: &BTreeMap<SaleId, Customer>, sent: u32, stuck: u32, took: Duration) -> bool {
    let journal = soak.journal();
    let sales = journal.in_states(&SaleState::ALL).unwrap();
    let w = soak.sb.world();
    let mut count: BTreeMap<&str, u64> = BTreeMap::new();
    let (mut lost, mut twice, mut left, mut unexpected) = (0, 0, 0, 0);
    for sale in &sales {
        *count.entry(sale.state.as_str()).or_default() += 1;
        if sale.late && sale.state == SaleState::Paid {
            *count.entry("late-paid").or_default() += 1;
        }
        let approved: Decimal = w
            .merchant_orders
            .values()
            .filter(|m| m.external_reference == sale.external_reference)
            .flat_map(|m| m.payments.iter().filter_map(|p| w.payments.get(p)))
            .filter(|p| p.status == "approved")
            .map(|p| p.amount)
            .sum();
        let closed = w
            .merchant_orders
            .values()
            .any(|m| m.external_reference == sale.external_reference && m.status == MoStatus::Closed);
        if closed && sale.state != SaleState::Paid {
            lost += 1;
            println!("LOST: sale {} is {} but paid at Mercado Pago", sale.id, sale.state);
        }
        if approved > sale.total {
            twice += 1;
            println!("CHARGED TWICE: sale {} took {approved} for {}", sale.id, sale.total);
        }
        if !sale.state.is_open()
            && w.orders
                .values()
                .any(|o| o.external_reference == sale.external_reference)
        {
            left += 1;
            println!(
                "LEFT ON THE POS: sale {} is {} but its order is still there",
                sale.id, sale.state
            );
        }
        if expected.get(&sale.id).is_some_and(|c| c.expected() != sale.state) {
            unexpected += 1;
        }
    }
    let row = |name: &str, value: String| println!("| {name:<40} | {value:>8} |");
    println!(
        "\n| {:<40} | {:>8} |\n|{}|{}|",
        "crash soak",
        "count",
        "-".repeat(42),
        "-".repeat(10)
    );
    row("charges sent", sent.to_string());
    row(
        "sales journaled (a kill before the write: never began)",
        sales.len().to_string(),
    );
    row("kills (SIGKILL of the register process)", soak.kills.to_string());
    for state in ["paid", "late-paid", "cancelled", "expired", "failed"] {
        row(state, count.get(state).copied().unwrap_or(0).to_string());
    }
    row(
        "still open at the end",
        sales.iter().filter(|s| s.state.is_open()).count().to_string(),
    );
    row("ended otherwise than the customer played", format!("{unexpected}"));
    row("slow to settle (over 30 s)", stuck.to_string());
    row("lost (must be 0)", lost.to_string());
    row("charged twice (must be 0)", twice.to_string());
    row("orders left on a POS for a finished sale (must be 0)", left.to_string());
    row("seconds", format!("{:.0}", took.as_secs_f64()));
    let ok = lost == 0 && twice == 0 && left == 0;
    println!("\nsoak: {} passed, {} failed", ok as u8, !ok as u8);
    ok
}
