//! Crash tests: a real child process runs the register and is killed (SIGKILL, through the
//! standard library) right after a journaled step (before the request it announces), then
//! started again on the same journal, on both APIs. The sandbox's truth is the judge: the
//! journal's money is what the sandbox holds, no second order for a sale, no order left on the
//! POS for a finished sale.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use qr_cashier::mercadopago::Api;
use qr_cashier::sale::{Journal, SaleState};
use qr_cashier::sandbox::{Outcome, Sandbox};

use crate::support::*;

struct Worker {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Worker {
    fn start(sb: &Sandbox, journal: &Path, api: Api, extra: &[&str]) -> Worker {
        let mut child = Command::new(env!("CARGO_BIN_EXE_register-worker"))
            .args([
                "--base-url",
                sb.base_url(),
                "--user-id",
                &sb.account.user_id.to_string(),
                "--pos",
                "CAJA1",
                "--api",
                api.as_str(),
            ])
            .arg("--journal")
            .arg(journal)
            .args(extra)
            .env("QR_CASHIER_TOKEN", &sb.account.token)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("register-worker starts");
        let out = BufReader::new(child.stdout.take().unwrap());
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in out.lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Worker { child, lines }
    }

    /// Waits (without blocking the sandbox's runtime) for a line starting with `prefix`.
    async fn expect(&mut self, prefix: &str) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            match self.lines.try_recv() {
                Ok(line) if line.starts_with(prefix) => return line,
                Ok(_) => {}
                Err(mpsc::TryRecvError::Empty) => {
                    assert!(std::time::Instant::now() < deadline, "the worker never said {prefix:?}");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(mpsc::TryRecvError::Disconnected) => panic!("the worker ended before saying {prefix:?}"),
            }
        }
    }

    /// Ends the process at once: SIGKILL on Unix, TerminateProcess on Windows.
    fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    async fn finish(mut self) {
        self.expect("idle").await;
        self.child.wait().unwrap();
    }
}

/// A sandbox with the register's POS, a journal, and the API the register speaks.
struct Crash {
    sb: Sandbox,
    pos_id: u64,
    api: Api,
    _dir: tempfile::TempDir,
    journal: PathBuf,
}

async fn setup(api: Api) -> Crash {
    let sb = sandbox("MLA").await;
    let (_, pos_id) = register_pos(&sb, &client(&sb), "CAJA1").await;
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.sqlite3");
    Crash {
        sb,
        pos_id,
        api,
        _dir: dir,
        journal,
    }
}

impl Crash {
    fn start(&self, extra: &[&str]) -> Worker {
        Worker::start(&self.sb, &self.journal, self.api, extra)
    }

    /// On the attended model the customer scans (opening a merchant order) and may pay later:
    /// the merchant order it opened. On the Orders API the order itself is paid: none.
    fn scan(&self) -> Option<u64> {
        (self.api == Api::Legacy).then(|| {
            self.sb.world().scan(self.pos_id).unwrap()["merchant_order_id"]
                .as_u64()
                .unwrap()
        })
    }

    /// The customer pays (what they scanned, on the attended model).
    fn pay(&self, scanned: Option<u64>) {
        match self.api {
            Api::Legacy => {
                let mo = scanned.or_else(|| self.scan()).unwrap();
                self.sb.world().pay(mo, Outcome::Approved, None).unwrap();
            }
            Api::Orders => {
                self.sb.world().pay_qr_order(self.pos_id, Outcome::Approved).unwrap();
            }
        }
    }

    fn orders_created(&self) -> u64 {
        self.sb.world().orders_created
    }

    /// The sandbox's truth against the journal, for the one sale in it.
    fn judge(&self, expected: SaleState) {
        let j = Journal::open(&self.journal).unwrap();
        let sales = j.in_states(&SaleState::ALL).unwrap();
        assert_eq!(sales.len(), 1, "one sale");
        let sale = &sales[0];
        assert_eq!(sale.state, expected, "{:?}", j.changes(sale.id).unwrap());
        assert_eq!(sale.api, self.api);
        let mut w = self.sb.world();
        w.expire();
        assert_eq!(
            sale.collected,
            w.collected(&sale.money_reference()),
            "the journal's collected is what Mercado Pago holds, over all the sale's orders"
        );
        assert_eq!(
            sale.collected >= sale.total,
            sale.state == SaleState::Paid,
            "paid means collected covers the total"
        );
        assert!(
            w.order_on(self.pos_id).is_none(),
            "no order left on the POS for a finished sale"
        );
        assert!(sale.pos_doubt_until.is_none(), "nothing of the sale can still land");
        let orders = crate::sale_life::orders_in(&w, self.api, sale);
        assert!(orders <= 1, "one order per sale: {orders}");
    }
}

crate::on_both_apis!(
    killed_after_journaling_creating_the_restart_sends_the_order_and_the_sale_is_paid,
    killed_while_waiting_a_payment_made_meanwhile_is_found_without_a_second_order,
    a_payment_made_while_the_register_was_down_is_shown_at_the_restart,
    killed_after_journaling_cancelling_the_restart_withdraws_the_order,
    killed_after_journaling_expiring_a_payment_made_meanwhile_wins,
    killed_after_journaling_expiring_with_no_payment_the_sale_expires_cleanly,
    killed_after_the_payment_is_journaled_nothing_changes_on_restart,
);

async fn killed_after_journaling_creating_the_restart_sends_the_order_and_the_sale_is_paid(api: Api) {
    let k = setup(api).await;
    let mut w = k.start(&["--charge", "250", "--pause-at", "creating"]);
    w.expect("paused").await;
    w.kill9();
    assert_eq!(k.orders_created(), 0, "killed before the order was sent");
    let mut w = k.start(&[]);
    w.expect("step waiting").await;
    assert_eq!(k.orders_created(), 1);
    k.pay(None);
    w.finish().await;
    k.judge(SaleState::Paid);
}

async fn killed_while_waiting_a_payment_made_meanwhile_is_found_without_a_second_order(api: Api) {
    let k = setup(api).await;
    let mut w = k.start(&["--charge", "250", "--pause-at", "waiting"]);
    w.expect("paused").await;
    w.kill9();
    k.pay(None);
    k.start(&[]).finish().await;
    assert_eq!(k.orders_created(), 1, "no second order for the sale");
    k.judge(SaleState::Paid);
}

/// Killed while the sale waits; the customer pays while the register is down. At the restart
/// the payment is found and the sale waits for the cashier to see it (it is what the counter
/// shows first), instead of an empty cart that invites charging again.
async fn a_payment_made_while_the_register_was_down_is_shown_at_the_restart(api: Api) {
    let k = setup(api).await;
    let mut w = k.start(&["--charge", "250"]);
    w.expect("step waiting").await;
    w.kill9();
    k.pay(None);
    let mut again = k.start(&[]);
    assert_eq!(again.expect("resumed").await, "resumed 1");
    again.finish().await;
    k.judge(SaleState::Paid);
    let j = Journal::open(&k.journal).unwrap();
    let shown = j.needing_attention().unwrap();
    assert_eq!(shown.len(), 1, "the paid sale waits for the cashier");
    assert_eq!((shown[0].state, shown[0].acknowledged), (SaleState::Paid, None));
    j.acknowledge(shown[0].id, chrono::Utc::now()).unwrap();
    assert!(j.needing_attention().unwrap().is_empty());
}

async fn killed_after_journaling_cancelling_the_restart_withdraws_the_order(api: Api) {
    let k = setup(api).await;
    let mut w = k.start(&[
        "--charge",
        "250",
        // Long enough that the order is still on the POS when the worker is killed, even with
        // the whole suite loading both cores (3 s was not).
        "--ttl-secs",
        "10",
        "--cancel-when-waiting",
        "--pause-at",
        "cancelling",
    ]);
    w.expect("paused").await;
    w.kill9();
    assert!(
        k.sb.world().order_on(k.pos_id).is_some(),
        "killed before the withdrawal"
    );
    k.start(&[]).finish().await;
    k.judge(SaleState::Cancelled);
}

async fn killed_after_journaling_expiring_a_payment_made_meanwhile_wins(api: Api) {
    let k = setup(api).await;
    let mut w = k.start(&["--charge", "250", "--ttl-secs", "1", "--pause-at", "expiring"]);
    w.expect("step waiting").await;
    let scanned = k.scan();
    w.expect("paused").await;
    w.kill9();
    // The customer had scanned in time and pays while the register is down (an Orders API
    // order lives at least 30 s at Mercado Pago, past the register's one second).
    k.pay(scanned);
    k.start(&[]).finish().await;
    k.judge(SaleState::Paid);
}

async fn killed_after_journaling_expiring_with_no_payment_the_sale_expires_cleanly(api: Api) {
    let k = setup(api).await;
    let mut w = k.start(&["--charge", "250", "--ttl-secs", "1", "--pause-at", "expiring"]);
    w.expect("paused").await;
    w.kill9();
    k.start(&[]).finish().await;
    k.judge(SaleState::Expired);
}

async fn killed_after_the_payment_is_journaled_nothing_changes_on_restart(api: Api) {
    let k = setup(api).await;
    // A paid sale is looked at a few more times (4 × 1 s here: a slow start, as under Wine,
    // still restarts inside that window).
    let mut w = k.start(&["--charge", "250", "--pause-at", "paid", "--late-every-ms", "1000"]);
    w.expect("step waiting").await;
    k.pay(None);
    w.expect("paused").await;
    w.kill9();
    // Restarted at once, the paid sale is looked at once more (a second payment may come)
    // and nothing changes.
    let mut again = k.start(&["--late-every-ms", "1000"]);
    assert_eq!(again.expect("resumed").await, "resumed 1");
    again.finish().await;
    k.judge(SaleState::Paid);
    let j = Journal::open(&k.journal).unwrap();
    let sale = &j.in_states(&[SaleState::Paid]).unwrap()[0];
    let steps: Vec<SaleState> = j.changes(sale.id).unwrap().iter().map(|c| c.state).collect();
    assert_eq!(steps, [SaleState::Creating, SaleState::Waiting, SaleState::Paid]);
}

#[tokio::test]
async fn the_journal_survives_a_kill_in_the_middle_of_writes() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.sqlite3");
    for round in 0..3 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_register-worker"))
            .args(["--user-id", "1", "--pos", "CAJA1", "--hammer", "100000", "--journal"])
            .arg(&journal)
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(300 + 150 * round));
        child.kill().unwrap();
        child.wait().unwrap();
        let j = Journal::open(&journal).expect("the journal opens and passes its check after a kill");
        let sales = j.in_states(&SaleState::ALL).unwrap();
        assert!(!sales.is_empty(), "round {round}: the worker wrote something");
        for s in sales.iter().rev().take(50) {
            let steps = j.changes(s.id).unwrap();
            assert_eq!(steps[0].state, SaleState::Creating, "each sale has its first step");
            assert_eq!(
                steps.last().unwrap().state,
                s.state,
                "the last step is the sale's state"
            );
        }
    }
}
