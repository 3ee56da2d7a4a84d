//! The fault matrix: each API step a sale uses (create, search, get, delete, refund) × each
//! fault the sandbox injects (500, 503, 429 with Retry-After, a delay past the timeout, a
//! dropped connection, a malformed body, an empty 200), on both APIs: `create_500::legacy` and
//! `create_500::orders`. Every fault outlasts the client's own retries. Each test checks the
//! sale ends in the right state, the cashier was told the truth, the sandbox holds no stray
//! order, and the journal's money is what the sandbox holds.

use std::time::Duration;

use qr_cashier::mercadopago::Api;
use qr_cashier::records::RefundAsk;
use qr_cashier::register::{listener, PollSchedule, Progress, Register};
use qr_cashier::sale::SaleState;
use qr_cashier::sandbox::{Fault, FaultRule, Outcome};

use crate::sale_life::{cart, counter_with_api, quick_schedule, thirty_second_polls, Counter};
use crate::support::client_with;

/// More than the client's three tries: the register itself must cope.
const TIMES: u32 = 4;

#[derive(Clone, Copy, Debug)]
enum Step {
    Create,
    Search,
    Get,
    Delete,
    Refund,
}

fn fault(kind: &str) -> Fault {
    match kind {
        "500" => Fault::Status { status: 500 },
        "503" => Fault::Status { status: 503 },
        "429" => Fault::RateLimit {
            retry_after: 1,
            http_date: false,
        },
        "timeout" => Fault::Delay { ms: 700 },
        "drop" => Fault::Drop,
        "malformed" => Fault::Malformed,
        "empty" => Fault::Empty,
        other => panic!("no fault {other}"),
    }
}

/// A counter whose client gives up after 300 ms, so a 700 ms delay is a timeout.
async fn impatient(api: Api, schedule: PollSchedule, notification_url: Option<String>) -> Counter {
    let mut k = counter_with_api("MLA", api, schedule, notification_url).await;
    let config = k.register.config().clone();
    let client = client_with(&k.sb, &k.sb.account.token, Duration::from_millis(300));
    k.register = Register::new(client, k.register.journal().clone(), config, k.sb.clock());
    k.events = k.register.subscribe();
    k
}

fn trouble(e: &qr_cashier::register::SaleEvent) -> bool {
    matches!(e.progress, Progress::ConnectionTrouble { .. })
}

async fn run(api: Api, step: Step, kind: &str) {
    let f = fault(kind);
    match step {
        Step::Create => {
            let mut k = impatient(api, quick_schedule(), None).await;
            k.sb.add_fault(FaultRule::next(k.route("create"), f, TIMES));
            let sale = k.charge(&cart("100", 1)).await;
            assert!(
                k.register
                    .journal()
                    .changes(sale.id)
                    .unwrap()
                    .iter()
                    .all(|c| c.state != SaleState::Failed),
                "a failing create is not a refusal"
            );
            k.pay(Outcome::Approved);
            k.until_state(SaleState::Paid).await;
            // A create whose answer was lost may land after the payment: it is withdrawn once
            // its doubt is over.
            k.pos_settles().await;
            let sale = k.register.journal().get(sale.id).unwrap();
            assert_eq!(
                k.orders_of(&sale),
                1,
                "one order, however many times the create was sent"
            );
            k.money_agrees();
        }
        Step::Search => {
            let mut k = impatient(api, quick_schedule(), None).await;
            k.charge(&cart("100", 1)).await;
            k.sb.add_fault(FaultRule::next(k.route("look"), f, TIMES));
            k.until("connection trouble shown", trouble).await;
            k.pay(Outcome::Approved);
            k.until_state(SaleState::Paid).await;
            k.pos_settles().await;
            k.money_agrees();
        }
        Step::Get => {
            // Polls every 30 s: the payment comes in through the notification. On the attended
            // model its merchant order cannot be read, and the register then searches every
            // sale; on the Orders API the webhook wakes its sale, whose order cannot be read for
            // a while.
            let ipn = listener::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
            let mut k = impatient(api, thirty_second_polls(), Some(ipn.url())).await;
            k.sb.set_webhook(k.sb.account.user_id, &ipn.url(), "s");
            ipn.serve(k.register.clone(), Some("s".into()));
            k.charge(&cart("100", 1)).await;
            // After the watcher's first search, the next one is 30 s away.
            let look = k.route("look");
            while !k.sb.requests().iter().any(|r| r.route == look) {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            let read = if api == Api::Legacy {
                "get_merchant_order"
            } else {
                "orders_get"
            };
            k.sb.add_fault(FaultRule::next(read, f, TIMES * 3));
            k.pay(Outcome::Approved);
            k.until_state(SaleState::Paid).await;
            assert!(
                k.sb.requests().iter().any(|r| r.route == read),
                "the cue was read first"
            );
            assert!(k.pos_is_empty());
            k.money_agrees();
        }
        Step::Delete => {
            let mut k = impatient(api, quick_schedule(), None).await;
            let sale = k.charge(&cart("100", 1)).await;
            k.sb.add_fault(FaultRule::next(k.route("withdraw"), f, TIMES));
            k.register.cancel(sale.id).unwrap();
            // A garbled answer to a delete that was carried out changes nothing for the cashier.
            let quiet = matches!(fault(kind), Fault::Malformed | Fault::Empty);
            if !quiet {
                k.until("connection trouble shown", trouble).await;
            }
            k.until_state(SaleState::Cancelled).await;
            assert!(k.pos_is_empty(), "no order left on the POS");
            k.money_agrees();
        }
        Step::Refund => {
            let mut k = impatient(api, quick_schedule(), None).await;
            let sale = k.charge(&cart("100", 1)).await;
            k.pay(Outcome::Approved);
            k.until_state(SaleState::Paid).await;
            k.sb.add_fault(FaultRule::next(k.route("refund"), f, TIMES));
            // The Orders API's refunds are whole, as the app offers them there.
            let (amount, left) = match api {
                Api::Legacy => (RefundAsk::Amount(qr_cashier::money::parse_amount("40").unwrap()), "60"),
                Api::Orders => (RefundAsk::All, "0"),
            };
            let mut errors = Vec::new();
            let story = loop {
                match qr_cashier::records::refund(&k.register, sale.id, amount).await {
                    Ok(story) => break story,
                    Err(e) => {
                        // The cashier is told it did not go through (yet), in words.
                        errors.push(e.to_string());
                        assert!(errors.len() < 8, "the refund never went through: {errors:?}");
                    }
                }
            };
            assert!(!errors.is_empty(), "the fault was seen");
            let given = if api == Api::Legacy { "40" } else { "100" };
            assert_eq!(
                story.refunded,
                qr_cashier::money::parse_amount(given).unwrap(),
                "{story:?}"
            );
            assert_eq!(
                story.refunds.len(),
                1,
                "one refund in the journal, retried with its key"
            );
            let refunds = {
                let w = k.sb.world();
                w.refunds.len() + w.qr_orders.values().map(|o| o.refunds.len()).sum::<usize>()
            };
            assert_eq!(refunds, 1, "Mercado Pago refunded once");
            assert_eq!(
                story.sale.collected,
                qr_cashier::money::parse_amount(left).unwrap(),
                "the journal holds what Mercado Pago holds"
            );
            k.money_agrees();
        }
    }
}

macro_rules! matrix {
    ($($name:ident: $step:ident, $kind:literal;)*) => {
        $(
            mod $name {
                use super::*;
                #[tokio::test]
                async fn legacy() {
                    run(Api::Legacy, Step::$step, $kind).await;
                }
                #[tokio::test]
                async fn orders() {
                    run(Api::Orders, Step::$step, $kind).await;
                }
            }
        )*
    };
}

matrix! {
    create_500: Create, "500";
    create_503: Create, "503";
    create_429: Create, "429";
    create_timeout: Create, "timeout";
    create_dropped: Create, "drop";
    create_malformed: Create, "malformed";
    create_empty_200: Create, "empty";
    search_500: Search, "500";
    search_503: Search, "503";
    search_429: Search, "429";
    search_timeout: Search, "timeout";
    search_dropped: Search, "drop";
    search_malformed: Search, "malformed";
    search_empty_200: Search, "empty";
    get_500: Get, "500";
    get_503: Get, "503";
    get_429: Get, "429";
    get_timeout: Get, "timeout";
    get_dropped: Get, "drop";
    get_malformed: Get, "malformed";
    get_empty_200: Get, "empty";
    delete_500: Delete, "500";
    delete_503: Delete, "503";
    delete_429: Delete, "429";
    delete_timeout: Delete, "timeout";
    delete_dropped: Delete, "drop";
    delete_malformed: Delete, "malformed";
    delete_empty_200: Delete, "empty";
    refund_500: Refund, "500";
    refund_503: Refund, "503";
    refund_429: Refund, "429";
    refund_timeout: Refund, "timeout";
    refund_dropped: Refund, "drop";
    refund_malformed: Refund, "malformed";
    refund_empty_200: Refund, "empty";
}
