//! The window's side of `make bench` (run by `scripts/bench.sh`, never by `make test`): the
//! release app in the real window under Xvfb, measured with timestamps the page itself takes
//! (`data-ready-at`, `data-clicked-at`, `data-changed-at`, milliseconds since the epoch), so
//! WebDriver's own delays never enter a figure. Writes Markdown tables to `$BENCH_OUT`.
//!
//! - start-up: process start (from `/proc/<pid>/stat`) to the cart being interactive, on an
//!   empty journal and on journals of 10 000 and 1 000 000 sales, with the time the Sales view
//!   takes to show the day's first page;
//! - time to "Paid" on screen: the sandbox records the customer's payment, the page shows
//!   it; polling alone (the sandbox's notifications lost) and with the notification cue; and
//!   the charge: click to the order's arrival at the sandbox;
//! - memory (PSS and USS of the app and its WebKit processes): idle, after 100 and 200 sales,
//!   and an empty Tauri window built the same way.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::support::{fill_journal, App, Home, ENTER};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run `make bench`"))
}

fn epoch_ms() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64() * 1000.0
}

/// A page timing attribute (`data-…`, epoch milliseconds).
async fn stamp(app: &App, testid: &str, attr: &str) -> f64 {
    app.find(testid)
        .await
        .attr(attr)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{testid} has no {attr}"))
        .parse()
        .unwrap()
}

// ---------- processes and their memory ----------

/// The newest process running `exe`.
fn pid_of(exe: &Path) -> u32 {
    let exe = exe.canonicalize().unwrap();
    let mut found: Vec<(u64, u32)> = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| std::fs::read_link(format!("/proc/{pid}/exe")).ok().as_deref() == Some(&exe))
        .map(|pid| (stat(pid).1, pid))
        .collect();
    found.sort();
    found
        .last()
        .unwrap_or_else(|| panic!("{} is not running", exe.display()))
        .1
}

/// (parent pid, start time in clock ticks since boot) from `/proc/<pid>/stat`.
fn stat(pid: u32) -> (u32, u64) {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which may hold spaces: state is field 3.
    let rest: Vec<&str> = text
        .rsplit_once(')')
        .map_or("", |(_, r)| r)
        .split_whitespace()
        .collect();
    let parent = rest.get(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    let start = rest.get(19).and_then(|p| p.parse().ok()).unwrap_or(0);
    (parent, start)
}

/// When `pid` started, in epoch milliseconds (to the kernel's 10 ms tick).
fn started_at_ms(pid: u32) -> f64 {
    let ticks = stat(pid).1 as f64;
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    let mut boot = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    unsafe { libc::clock_gettime(libc::CLOCK_BOOTTIME, &mut boot) };
    let since_boot_ms = boot.tv_sec as f64 * 1000.0 + boot.tv_nsec as f64 / 1e6;
    epoch_ms() - since_boot_ms + ticks / per_second * 1000.0
}

/// `pid` and every process under it.
fn tree(pid: u32) -> Vec<u32> {
    let all: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .map(|p| (p, stat(p).0))
        .collect();
    let mut out = vec![pid];
    let mut i = 0;
    while i < out.len() {
        let parent = out[i];
        out.extend(all.iter().filter(|(_, pp)| *pp == parent).map(|(p, _)| *p));
        i += 1;
    }
    out
}

/// Memory of a process tree in MiB: proportional (PSS: shared pages split among the processes
/// mapping them) and unique (USS: pages no other process maps), with each process's PSS.
struct Memory {
    pss: f64,
    uss: f64,
    parts: Vec<(String, f64)>,
}

fn memory(pid: u32) -> Memory {
    let mut m = Memory {
        pss: 0.0,
        uss: 0.0,
        parts: Vec::new(),
    };
    for p in tree(pid) {
        let rollup = std::fs::read_to_string(format!("/proc/{p}/smaps_rollup")).unwrap_or_default();
        let kb = |field: &str| -> f64 {
            rollup
                .lines()
                .filter_map(|l| l.strip_prefix(field))
                .filter_map(|v| v.trim().trim_end_matches(" kB").trim().parse::<f64>().ok())
                .sum()
        };
        let (pss, uss) = (
            kb("Pss:") / 1024.0,
            (kb("Private_Clean:") + kb("Private_Dirty:")) / 1024.0,
        );
        let name = std::fs::read_to_string(format!("/proc/{p}/comm")).unwrap_or_default();
        m.pss += pss;
        m.uss += uss;
        m.parts.push((name.trim().to_owned(), pss));
    }
    m
}

impl Memory {
    fn parts(&self) -> String {
        self.parts
            .iter()
            .map(|(n, mb)| format!("{n} {mb:.0}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Waits until no WebKit web process is left (a window closed a moment ago shares the
/// library's pages, which would lower the next one's PSS).
fn no_webkit_left() {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        let webkit = std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
            .any(|p| {
                std::fs::read_to_string(format!("/proc/{p}/comm")).is_ok_and(|c| c.starts_with("WebKitWebProces"))
            });
        if !webkit {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("a WebKit web process is still running after 20 s");
}

/// Starts `exe` alone (no WebDriver, no other window), waits `settle`, and measures it.
fn memory_alone(exe: &str, home: &Path, settle: Duration) -> Memory {
    no_webkit_left();
    let mut child = std::process::Command::new(exe)
        .env("QR_CASHIER_HOME", home)
        .env("QR_CASHIER_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(settle);
    let measured = memory(child.id());
    let _ = child.kill();
    let _ = child.wait();
    measured
}

/// The run with the median PSS of `runs`.
fn median_run(mut runs: Vec<Memory>) -> Memory {
    runs.sort_by(|a, b| a.pss.total_cmp(&b.pss));
    runs.swap_remove(runs.len() / 2)
}

// ---------- the figures ----------

fn percentile(samples: &[f64], p: f64) -> f64 {
    let mut s = samples.to_vec();
    s.sort_by(|a, b| a.partial_cmp(b).unwrap());
    s[((s.len() - 1) as f64 * p).round() as usize]
}

struct StartUp {
    ready_ms: Vec<f64>,
    history_ms: Vec<f64>,
}

/// Starts the app `runs` times on `home`: process start → cart interactive, and, when the
/// journal holds sales, the Sales view's first page.
async fn start_up(exe: &str, home: &Path, runs: usize, history: bool) -> StartUp {
    let mut out = StartUp {
        ready_ms: Vec::new(),
        history_ms: Vec::new(),
    };
    for _ in 0..runs {
        let app = App::launch(exe, Home::kept(home), &[]).await;
        let ready = app
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 (function look() {
                   if (document.body.dataset.readyAt) done(Number(document.body.dataset.readyAt));
                   else setTimeout(look, 20);
                 })();",
                vec![],
            )
            .await
            .unwrap()
            .as_f64()
            .unwrap();
        let started = started_at_ms(pid_of(Path::new(exe)));
        out.ready_ms.push(ready - started);
        if !history {
            app.stop().await;
            continue;
        }
        let shown = app
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 const t0 = performance.now();
                 document.getElementById('open-history').click();
                 (function look() {
                   if (document.querySelector('[data-testid^=\"sale-row-\"]')) done(performance.now() - t0);
                   else requestAnimationFrame(look);
                 })();",
                vec![],
            )
            .await
            .unwrap();
        out.history_ms.push(shown.as_f64().unwrap());
        app.stop().await;
    }
    out
}

struct Selling {
    to_paid_ms: Vec<f64>,
    charge_ms: Vec<f64>,
}

async fn control(base: &str, method: reqwest::Method, path: &str, body: Value) -> Value {
    reqwest::Client::new()
        .request(method, format!("{base}{path}"))
        .header("x-sandbox-secret", crate::support::SANDBOX_SECRET)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap_or_default()
}

/// The address of the demo's sandbox, as the app tells its page.
async fn demo_sandbox(app: &App) -> String {
    let info = app
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             window.__TAURI__.core.invoke('app_info').then(done);",
            vec![],
        )
        .await
        .unwrap();
    info["sandboxUrl"].as_str().unwrap().to_owned()
}

/// Sells `sales` yerbas through the window; each customer pays `pay_after` later.
async fn sell(app: &App, sales: usize, pay_after: std::ops::Range<u64>) -> Selling {
    let base = demo_sandbox(app).await;
    let state = control(&base, reqwest::Method::GET, "/sandbox/state", json!(null)).await;
    let pos_id = state["pos"][0]["id"].as_u64().unwrap();
    let mut out = Selling {
        to_paid_ms: Vec::new(),
        charge_ms: Vec::new(),
    };
    for _ in 0..sales {
        app.type_into("scan", &format!("7790387000011{ENTER}")).await;
        app.wait_text("cart-total", |t| t == "$ 3.500,00").await;
        app.click("charge").await;
        app.wait_attr("pay-screen", "data-state", "waiting").await;
        let clicked = stamp(app, "charge", "data-clicked-at").await;
        let log = control(&base, reqwest::Method::GET, "/sandbox/requests", json!(null)).await;
        let created = log
            .as_array()
            .unwrap()
            .iter()
            .rev()
            .find(|r| r["route"] == "create_order" || r["route"] == "orders_create")
            .unwrap()["received_at_ms"]
            .as_f64()
            .unwrap();
        out.charge_ms.push(created - clicked);
        tokio::time::sleep(Duration::from_millis(fastrand::u64(pay_after.clone()))).await;
        let paid = control(
            &base,
            reqwest::Method::POST,
            &format!("/sandbox/pos/{pos_id}/customer"),
            json!({ "outcome": "approved" }),
        )
        .await;
        let paid_at = epoch_ms();
        // "approved" on the attended model, "processed" on the Orders API (the demo's store).
        assert!(
            matches!(paid["status"].as_str(), Some("approved" | "processed")),
            "{paid}"
        );
        app.wait_attr("pay-screen", "data-state", "paid").await;
        out.to_paid_ms
            .push(stamp(app, "pay-screen", "data-changed-at").await - paid_at);
        app.click("new-sale").await;
        app.wait_attr("pay-screen", "data-state", "idle").await;
    }
    out
}

fn row(name: &str, samples: &[f64]) -> String {
    format!(
        "| {name} | {} | {:.0} | {:.0} | {:.0} |",
        samples.len(),
        percentile(samples, 0.5),
        percentile(samples, 0.95),
        percentile(samples, 1.0)
    )
}

#[tokio::test]
#[ignore = "a benchmark: `make bench` runs it"]
async fn bench_the_window() {
    let exe = env("BENCH_APP");
    let empty = env("BENCH_EMPTY_WINDOW");
    let sales: usize = env("BENCH_SALES").parse().unwrap();
    let mut md = String::new();
    let mut say = |line: String| {
        println!("{line}");
        md.push_str(&line);
        md.push('\n');
    };

    // Start-up, on journals of three sizes.
    say("| start-up (release, Xvfb) | runs | median ms | p95 ms | max ms |".into());
    say("|---|---|---|---|---|".into());
    let mut history = Vec::new();
    for (label, count, days) in [
        ("empty journal", 0, 0),
        ("10 000 sales", 10_000, 30),
        ("1 000 000 sales", 1_000_000, 365),
    ] {
        let home = Home::fresh();
        if count > 0 {
            let filled = Instant::now();
            fill_journal(home.path(), count, days);
            eprintln!("filled {count} sales in {:.1} s", filled.elapsed().as_secs_f64());
        }
        let s = start_up(&exe, home.path(), 10, count > 0).await;
        say(row(&format!("process start → cart interactive, {label}"), &s.ready_ms));
        if count > 0 {
            history.push((label, s.history_ms));
        }
    }
    say(String::new());
    say("| Sales view: click → the day's first page shown | runs | median ms | p95 ms | max ms |".into());
    say("|---|---|---|---|---|".into());
    for (label, h) in &history {
        say(row(label, h));
    }
    say(String::new());

    // Selling: polling alone (notifications lost), then with the cue, and memory around it.
    let polling = App::launch(&exe, Home::fresh(), &[]).await;
    polling.english().await;
    control(
        &demo_sandbox(&polling).await,
        reqwest::Method::POST,
        "/sandbox/faults",
        json!({ "route": "ipn", "fault": { "kind": "drop" }, "probability": 1.0 }),
    )
    .await;
    let by_polling = sell(&polling, sales, 200..3000).await;
    polling.stop().await;

    let cue = App::launch(&exe, Home::fresh(), &[]).await;
    cue.english().await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let app_pid = pid_of(Path::new(&exe));
    let idle_driven = memory(app_pid);
    let mut with_cue = sell(&cue, 100, 200..1500).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let after_100 = memory(app_pid);
    let more = sell(&cue, 100, 200..1500).await;
    with_cue.to_paid_ms.extend(more.to_paid_ms);
    with_cue.charge_ms.extend(more.charge_ms);
    tokio::time::sleep(Duration::from_secs(5)).await;
    let after_200 = memory(app_pid);
    cue.stop().await;

    say("| payment recorded by the sandbox → \"Paid\" on the page | sales | median ms | p95 ms | max ms |".into());
    say("|---|---|---|---|---|".into());
    say(row(
        "polling alone (the sandbox's notifications lost)",
        &by_polling.to_paid_ms,
    ));
    say(row("with the notification cue", &with_cue.to_paid_ms));
    say(String::new());
    let mut charges = by_polling.charge_ms.clone();
    charges.extend(&with_cue.charge_ms);
    say("| charge: click → order received by the sandbox | sales | median ms | p95 ms | max ms |".into());
    say("|---|---|---|---|---|".into());
    say(row("click on Charge (journal written, then the order sent)", &charges));
    say(String::new());

    // Memory: the app and the empty window started alike, alone, three times in turn.
    let home = Home::fresh();
    let settle = Duration::from_secs(8);
    let (mut apps, mut empties) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        apps.push(memory_alone(&exe, home.path(), settle));
        empties.push(memory_alone(&empty, home.path(), settle));
    }
    let (app, empty) = (median_run(apps), median_run(empties));
    say("| memory (MiB: the process and its WebKit processes; median of 3 runs) | PSS | USS | PSS of each |".into());
    say("|---|---|---|---|".into());
    let line = |what: &str, m: &Memory| format!("| {what} | {:.0} | {:.0} | {} |", m.pss, m.uss, m.parts());
    say(line(
        "an empty Tauri window, built the same way, 8 s after start",
        &empty,
    ));
    say(line("the app (demo), 8 s after start", &app));
    say(format!(
        "| the app over the empty window | {:+.0} | {:+.0} | |",
        app.pss - empty.pss,
        app.uss - empty.uss
    ));
    say(line("the app under WebDriver, idle before selling", &idle_driven));
    say(format!(
        "| the same app after 100 sales | {:.0} | {:.0} | {}; PSS {:+.1} since idle |",
        after_100.pss,
        after_100.uss,
        after_100.parts(),
        after_100.pss - idle_driven.pss
    ));
    say(format!(
        "| the same app after 200 sales | {:.0} | {:.0} | {}; PSS {:+.1} over the second 100 |",
        after_200.pss,
        after_200.uss,
        after_200.parts(),
        after_200.pss - after_100.pss
    ));

    let out = env("BENCH_OUT");
    std::fs::File::create(&out).unwrap().write_all(md.as_bytes()).unwrap();
}
