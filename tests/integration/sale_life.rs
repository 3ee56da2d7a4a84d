//! A sale's whole life against the sandbox: charge, watch, cancel, expire, faults, the IPN cue.

use std::sync::Arc;
use std::time::Duration;

use qr_cashier::mercadopago::Api;
use qr_cashier::money::{parse_amount, Currency};
use qr_cashier::register::{listener, PollSchedule, Progress, Register, RegisterConfig, RegisterError, SaleEvent};
use qr_cashier::sale::{Cart, CartLine, Journal, SaleState, Tender};
use qr_cashier::sandbox::{Fault, FaultRule, Outcome, Sandbox};
use tokio::sync::broadcast::Receiver;

use crate::support::*;

pub struct Counter {
    pub api: Api,
    pub sb: Sandbox,
    pub register: Register,
    pub events: Receiver<SaleEvent>,
    pub pos_id: u64,
    pub _dir: tempfile::TempDir,
}

/// How many orders `world` holds for `sale` on `api` (merchant orders of different preferences
/// on the attended model, Orders API orders): one, however many times it was sent.
pub fn orders_in(world: &qr_cashier::sandbox::World, api: Api, sale: &qr_cashier::sale::Sale) -> usize {
    match api {
        Api::Legacy => world
            .merchant_orders
            .values()
            .filter(|m| m.external_reference == sale.external_reference)
            .map(|m| m.preference_id.clone())
            .collect::<std::collections::HashSet<_>>()
            .len(),
        Api::Orders => world
            .qr_orders
            .values()
            .filter(|o| o.external_reference == sale.order_reference())
            .count(),
    }
}

pub fn quick_schedule() -> PollSchedule {
    PollSchedule {
        fast: Duration::from_millis(50),
        fast_for: Duration::from_secs(600),
        medium: Duration::from_millis(50),
        medium_for: Duration::from_secs(600),
        slow: Duration::from_millis(50),
        late_every: Duration::from_millis(50),
        late_for: Duration::from_secs(900),
        pending_every: Duration::from_millis(50),
        max_backoff: Duration::from_millis(200),
        longest_retry_after: Duration::from_millis(500),
        pos_doubt: Duration::from_millis(1500),
        opened_at_most: Duration::from_secs(2),
    }
}

/// Polls every 30 s: within a test, only a notification can bring a payment in.
pub fn thirty_second_polls() -> PollSchedule {
    let every = Duration::from_secs(30);
    PollSchedule {
        fast: every,
        medium: every,
        slow: every,
        ..quick_schedule()
    }
}

pub async fn counter_with(site: &str, schedule: PollSchedule, notification_url: Option<String>) -> Counter {
    counter_with_api(site, Api::Legacy, schedule, notification_url).await
}

/// A register on `api`, on an account of `site` with a store and the POS `CAJA1`.
pub async fn counter_with_api(
    site: &str,
    api: Api,
    schedule: PollSchedule,
    notification_url: Option<String>,
) -> Counter {
    let sb = sandbox(site).await;
    let c = client(&sb);
    let (pos, pos_id) = register_pos(&sb, &c, "CAJA1").await;
    let dir = tempfile::tempdir().unwrap();
    let journal = Arc::new(Journal::open(&dir.path().join("journal.sqlite3")).unwrap());
    let config = RegisterConfig {
        user_id: sb.account.user_id,
        pos_external_id: pos,
        api,
        currency: site.parse::<qr_cashier::money::Site>().unwrap().currency(),
        order_ttl: Duration::from_secs(600),
        notification_url,
        schedule,
    };
    let register = Register::new(c, journal, config, sb.clock());
    let events = register.subscribe();
    Counter {
        api,
        sb,
        register,
        events,
        pos_id,
        _dir: dir,
    }
}

pub async fn counter() -> Counter {
    counter_with("MLA", quick_schedule(), None).await
}

/// An Argentine register on `api`.
pub async fn counter_on(api: Api) -> Counter {
    counter_with_api("MLA", api, quick_schedule(), None).await
}

/// Runs a test written once for both APIs: `name(api)` becomes `name::legacy` and `name::orders`.
#[macro_export]
macro_rules! on_both_apis {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn legacy() {
                super::$name(qr_cashier::mercadopago::Api::Legacy).await
            }
            #[tokio::test]
            async fn orders() {
                super::$name(qr_cashier::mercadopago::Api::Orders).await
            }
        }
    )*};
}

pub fn cart(price: &str, quantity: u32) -> Cart {
    Cart {
        lines: vec![CartLine {
            sku: Some("7790001".into()),
            title: "Yerba Mate 1kg".into(),
            description: None,
            unit_price: parse_amount(price).unwrap(),
            quantity,
            weight: None,
        }],
    }
}

impl Counter {
    /// Charges and waits until the order is on the POS; returns the sale as journaled then.
    pub async fn charge(&mut self, cart: &Cart) -> qr_cashier::sale::Sale {
        let sale = self.register.charge(cart, false).await.expect("the charge is taken");
        assert_eq!(sale.state, SaleState::Creating, "a charge is journaled first");
        let id = sale.id;
        self.until("the order on the POS", |e| {
            e.sale_id == id && e.state == SaleState::Waiting
        })
        .await;
        self.register.journal().get(id).unwrap()
    }

    /// The money oracle: for every sale, what the journal says was collected equals what the
    /// sandbox holds for it, summed over all its merchant orders.
    /// Cash sales are in the mix: Mercado Pago holds nothing for them, and the journal counts
    /// their total as collected in the till.
    pub fn money_agrees(&self) {
        let w = self.sb.world();
        for sale in self.register.journal().in_states(&SaleState::ALL).unwrap() {
            let held = w.collected(&sale.money_reference());
            match sale.tender {
                Tender::Qr => assert_eq!(
                    sale.collected, held,
                    "sale {} ({}): the journal's collected against what Mercado Pago holds",
                    sale.id, sale.state
                ),
                Tender::Cash => {
                    assert!(
                        held.is_zero(),
                        "cash sale {}: Mercado Pago holds {held} for it",
                        sale.id
                    );
                    assert_eq!(sale.collected, sale.total, "cash sale {}", sale.id);
                }
            }
        }
    }

    /// Waits until the journal's money agrees with the sandbox for every sale (the register
    /// is looking at a change), then checks it once more; fails after 20 s.
    pub async fn money_settles(&self) {
        for _ in 0..400 {
            let sales = self.register.journal().in_states(&SaleState::ALL).unwrap();
            let agree = {
                let w = self.sb.world();
                sales
                    .iter()
                    .all(|s| s.tender == Tender::Cash || s.collected == w.collected(&s.money_reference()))
            };
            if agree {
                return self.money_agrees();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.money_agrees();
    }

    /// Waits for an event that satisfies `ok`, returning it; fails after 20 s.
    pub async fn until(&mut self, what: &str, ok: impl Fn(&SaleEvent) -> bool) -> SaleEvent {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Ok(e)) if ok(&e) => return e,
                Ok(Ok(_)) => {}
                Ok(Err(e)) => panic!("event stream: {e}"),
                Err(_) => panic!("no event: {what}"),
            }
        }
    }

    pub async fn until_state(&mut self, state: SaleState) -> SaleEvent {
        self.until(&format!("state {state}"), |e| e.state == state).await
    }

    /// The customer scans and pays; the sandbox sends its notifications, as Mercado Pago does.
    /// Returns the merchant order paid (attended model) or the payment's id (Orders API).
    pub fn pay(&self, outcome: Outcome) -> u64 {
        let paid = match self.api {
            Api::Legacy => {
                let mo = self.sb.world().scan(self.pos_id).unwrap()["merchant_order_id"]
                    .as_u64()
                    .unwrap();
                self.sb.world().pay(mo, outcome, None).unwrap();
                mo
            }
            Api::Orders => self.sb.world().pay_qr_order(self.pos_id, outcome).unwrap()["payment_id"]
                .as_u64()
                .unwrap(),
        };
        self.sb.flush_notices();
        paid
    }

    /// The customer pays with a payment Mercado Pago keeps in review; returns its id.
    pub fn pay_pending(&self) -> u64 {
        match self.api {
            Api::Legacy => {
                let mo = self.sb.world().scan(self.pos_id).unwrap()["merchant_order_id"]
                    .as_u64()
                    .unwrap();
                let paid = self.sb.world().pay(mo, Outcome::Pending, None).unwrap();
                self.sb.flush_notices();
                paid["payment_id"].as_u64().unwrap()
            }
            Api::Orders => self.pay(Outcome::Pending),
        }
    }

    /// Waits until the sandbox has received a request on `route` (it may still be in process).
    pub async fn until_sent(&self, route: &str) {
        while !self.sb.requests().iter().any(|r| r.route == route) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The sandbox's name for the route of a step of the register's API: `create`, `look`,
    /// `withdraw` or `refund`.
    pub fn route(&self, step: &str) -> &'static str {
        match (self.api, step) {
            (Api::Legacy, "create") => "create_order",
            (Api::Legacy, "look") => "search_merchant_orders",
            (Api::Legacy, "withdraw") => "delete_order",
            (Api::Legacy, "refund") => "refund",
            (Api::Orders, "create") => "orders_create",
            (Api::Orders, "look") => "orders_get",
            (Api::Orders, "withdraw") => "orders_cancel",
            (Api::Orders, "refund") => "orders_refund",
            _ => panic!("no step {step}"),
        }
    }

    /// The references of the orders put on the POS for `sale` (one, whatever was replayed).
    pub fn orders_of(&self, sale: &qr_cashier::sale::Sale) -> usize {
        orders_in(&self.sb.world(), self.api, sale)
    }

    /// No order a customer could pay is on the POS.
    pub fn pos_is_empty(&self) -> bool {
        let mut w = self.sb.world();
        w.expire();
        w.order_on(self.pos_id).is_none()
    }

    /// Waits until no sale holds the POS in doubt (a request whose answer was lost may land
    /// until then), then checks that no order is left on it for a sale that ended.
    pub async fn pos_settles(&self) {
        for _ in 0..400 {
            let doubt = self
                .register
                .journal()
                .in_states(&SaleState::ALL)
                .unwrap()
                .iter()
                .any(|s| s.pos_doubt_until.is_some() || s.state.is_open());
            if !doubt {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(
            self.pos_is_empty(),
            "an order is left on the POS: {:?}",
            self.sb.world().orders
        );
    }
}

on_both_apis!(
    approved,
    cancel_before_anyone_pays,
    a_payment_racing_the_cancel_wins,
    expiry_without_payment,
    server_errors_and_rate_limits_in_every_step,
    a_create_that_cannot_get_through_keeps_trying_then_waits,
    a_refused_create_fails_the_sale_and_keeps_nothing_on_the_pos,
    a_second_charge_while_one_waits_is_refused,
    two_charges_at_once_make_one_sale,
    an_invalid_cart_sends_nothing_and_journals_nothing,
    the_notification_cue_shortens_the_wait,
    a_restart_resumes_open_sales_and_those_still_in_their_late_window,
    a_sale_left_unsent_longer_than_an_order_lives_is_not_sent_on_restart,
);

async fn approved(api: Api) {
    let mut k = counter_on(api).await;
    let sale = k.charge(&cart("1500.50", 2)).await;
    assert_eq!(sale.state, SaleState::Waiting);
    assert_eq!(sale.total.to_string(), "3001.00");
    k.pay(Outcome::Approved);
    let paid = k.until_state(SaleState::Paid).await;
    assert_eq!(
        paid.progress,
        Progress::Paid {
            paid: parse_amount("3001").unwrap()
        }
    );
    let journaled = k.register.journal().get(sale.id).unwrap();
    assert_eq!(journaled.collected, parse_amount("3001").unwrap());
    assert_eq!(journaled.outcome(), qr_cashier::sale::Outcome::Paid);
    assert_eq!(journaled.payment_ids.len(), 1);
    assert_eq!(journaled.api, api);
    assert_eq!(k.orders_of(&journaled), 1);
    assert!(k.pos_is_empty());
    let steps: Vec<SaleState> = k
        .register
        .journal()
        .changes(sale.id)
        .unwrap()
        .into_iter()
        .map(|c| c.state)
        .collect();
    assert_eq!(steps, [SaleState::Creating, SaleState::Waiting, SaleState::Paid]);
    k.money_agrees();
}

#[tokio::test]
async fn rejected_then_approved() {
    let mut k = counter().await;
    k.charge(&cart("100", 1)).await;
    let mo = k.pay(Outcome::Rejected);
    k.until("rejected", |e| {
        e.progress == Progress::PaymentRejected && e.state == SaleState::Waiting
    })
    .await;
    k.sb.world().pay(mo, Outcome::Approved, None).unwrap();
    k.until_state(SaleState::Paid).await;
    k.money_agrees();
}

#[tokio::test]
async fn two_scans_then_pay() {
    let mut k = counter().await;
    let sale = k.charge(&cart("100", 1)).await;
    k.sb.world().scan(k.pos_id).unwrap();
    k.until("scanned", |e| e.progress == Progress::Scanned).await;
    k.pay(Outcome::Approved);
    k.until_state(SaleState::Paid).await;
    assert_eq!(k.register.journal().get(sale.id).unwrap().merchant_order_ids.len(), 2);
    k.money_agrees();
}

#[tokio::test]
async fn partial_payment_is_shown_then_the_rest_closes_it() {
    let mut k = counter().await;
    k.charge(&cart("100", 1)).await;
    let mo = k.sb.world().scan(k.pos_id).unwrap()["merchant_order_id"]
        .as_u64()
        .unwrap();
    k.sb.world()
        .pay(mo, Outcome::Partial, Some(parse_amount("30").unwrap()))
        .unwrap();
    let e = k
        .until("partial", |e| matches!(e.progress, Progress::PartiallyPaid { .. }))
        .await;
    assert_eq!(
        e.progress,
        Progress::PartiallyPaid {
            paid: parse_amount("30").unwrap()
        }
    );
    assert_eq!(e.state, SaleState::Waiting);
    assert_eq!(e.collected, parse_amount("30").unwrap(), "the part paid is journaled");
    k.money_agrees();
    k.sb.world().pay(mo, Outcome::Approved, None).unwrap();
    let paid = k.until_state(SaleState::Paid).await;
    assert_eq!(
        paid.progress,
        Progress::Paid {
            paid: parse_amount("100").unwrap()
        }
    );
    k.money_agrees();
}

/// The rest of a part payment paid on a second scan: two merchant orders, one sale, paid.
#[tokio::test]
async fn a_part_paid_on_one_scan_and_the_rest_on_another_is_paid() {
    let mut k = counter().await;
    k.charge(&cart("100", 1)).await;
    let first = k.sb.world().scan(k.pos_id).unwrap()["merchant_order_id"]
        .as_u64()
        .unwrap();
    let second = k.sb.world().scan(k.pos_id).unwrap()["merchant_order_id"]
        .as_u64()
        .unwrap();
    k.sb.world()
        .pay(first, Outcome::Partial, Some(parse_amount("40").unwrap()))
        .unwrap();
    k.until("partial", |e| matches!(e.progress, Progress::PartiallyPaid { .. }))
        .await;
    k.sb.world()
        .pay(second, Outcome::Partial, Some(parse_amount("60").unwrap()))
        .unwrap();
    let paid = k.until_state(SaleState::Paid).await;
    assert_eq!(paid.collected, parse_amount("100").unwrap());
    k.money_agrees();
}

#[tokio::test]
async fn over_payment_is_reported_not_hidden() {
    let mut k = counter().await;
    let sale = k.charge(&cart("100", 1)).await;
    let mo = k.sb.world().scan(k.pos_id).unwrap()["merchant_order_id"]
        .as_u64()
        .unwrap();
    k.sb.world()
        .pay(mo, Outcome::Approved, Some(parse_amount("120").unwrap()))
        .unwrap();
    let paid = k.until_state(SaleState::Paid).await;
    assert_eq!(
        paid.outcome,
        qr_cashier::sale::Outcome::Extra {
            extra: parse_amount("20").unwrap()
        }
    );
    let last = k.register.journal().changes(sale.id).unwrap().pop().unwrap();
    assert_eq!(last.detail, "paid 120.00 ARS: 20.00 more than the total");
    k.money_agrees();
}

async fn cancel_before_anyone_pays(api: Api) {
    let mut k = counter_on(api).await;
    let sale = k.charge(&cart("100", 1)).await;
    k.register.cancel(sale.id).unwrap();
    k.until_state(SaleState::Cancelled).await;
    assert!(k.pos_is_empty());
    let routes: Vec<String> = k.sb.requests().into_iter().map(|r| r.route).collect();
    let withdraw = routes.iter().rposition(|r| r == k.route("withdraw")).unwrap();
    assert!(
        routes[withdraw..].iter().any(|r| r == k.route("look")),
        "a last look after the withdrawal"
    );
    // A cancelled sale cannot be cancelled again, and the register is free.
    assert!(matches!(
        k.register.cancel(sale.id),
        Err(RegisterError::NotCancellable { .. })
    ));
    k.charge(&cart("5", 1)).await;
    k.money_agrees();
}

async fn a_payment_racing_the_cancel_wins(api: Api) {
    let mut k = counter_on(api).await;
    let sale = k.charge(&cart("100", 1)).await;
    let mo = (api == Api::Legacy).then(|| {
        k.sb.world().scan(k.pos_id).unwrap()["merchant_order_id"]
            .as_u64()
            .unwrap()
    });
    // The withdrawal is slow; the customer's payment lands while it is on its way (on the
    // Orders API the cancel then meets a paid order: 409, read it, paid).
    k.sb.add_fault(FaultRule::next(k.route("withdraw"), Fault::Delay { ms: 300 }, 1));
    k.register.cancel(sale.id).unwrap();
    match mo {
        Some(mo) => {
            k.sb.world().pay(mo, Outcome::Approved, None).unwrap();
        }
        None => {
            k.pay(Outcome::Approved);
        }
    }
    let paid = k
        .until("paid or cancelled", |e| {
            e.state == SaleState::Paid || e.state == SaleState::Cancelled
        })
        .await;
    assert_eq!(paid.state, SaleState::Paid);
    assert!(!paid.late);
    k.money_agrees();
}

#[tokio::test]
async fn a_payment_after_the_cancel_is_found_late() {
    let mut k = counter().await;
    let sale = k.charge(&cart("100", 1)).await;
    let mo = k.sb.world().scan(k.pos_id).unwrap()["merchant_order_id"]
        .as_u64()
        .unwrap();
    k.register.cancel(sale.id).unwrap();
    k.until_state(SaleState::Cancelled).await;
    // The customer had scanned before the cancel and pays from the phone afterwards.
    k.sb.world().pay(mo, Outcome::Approved, None).unwrap();
    let late = k.until_state(SaleState::Paid).await;
    assert!(late.late);
    let journaled = k.register.journal().get(sale.id).unwrap();
    assert!(journaled.late);
    assert!(
        journaled.attention,
        "a late payment is shown until the cashier has seen it"
    );
    k.money_agrees();
}

async fn expiry_without_payment(api: Api) {
    let mut k = counter_on(api).await;
    k.charge(&cart("100", 1)).await;
    k.sb.world().advance(601);
    k.until_state(SaleState::Expired).await;
    assert!(k.pos_is_empty());
    k.money_agrees();
}

#[tokio::test]
async fn expiry_with_a_last_moment_payment() {
    let mut k = counter().await;
    k.charge(&cart("100", 1)).await;
    // The customer scans ten seconds before the order expires and is still paying after.
    k.sb.world().advance(590);
    let mo = k.sb.world().scan(k.pos_id).unwrap()["merchant_order_id"]
        .as_u64()
        .unwrap();
    k.sb.add_fault(FaultRule::next("delete_order", Fault::Delay { ms: 300 }, 1));
    k.sb.world().advance(11);
    k.until_state(SaleState::Expiring).await;
    k.sb.world().pay(mo, Outcome::Approved, None).unwrap();
    let end = k
        .until("an end", |e| {
            e.state == SaleState::Paid || e.state == SaleState::Expired
        })
        .await;
    assert_eq!(end.state, SaleState::Paid);
    k.money_agrees();
}

async fn server_errors_and_rate_limits_in_every_step(api: Api) {
    let mut k = counter_on(api).await;
    // Create: a 500. On the attended model the client does not repeat it (the register
    // resends, after looking first); on the Orders API it goes again with its key.
    k.sb.add_fault(FaultRule::next(k.route("create"), Fault::Status { status: 500 }, 1));
    let sale = k.charge(&cart("100", 1)).await;
    // Look: more 429s than the client retries; the watcher says so and keeps going.
    k.sb.add_fault(FaultRule::next(
        k.route("look"),
        Fault::RateLimit {
            retry_after: 0,
            http_date: false,
        },
        5,
    ));
    k.until("trouble", |e| matches!(e.progress, Progress::ConnectionTrouble { .. }))
        .await;
    k.until("back", |e| e.progress == Progress::WaitingForCustomer).await;
    // Withdrawal: 503s beyond the client's retries; the cancel completes once they stop.
    k.sb.add_fault(FaultRule::next(k.route("withdraw"), Fault::Status { status: 503 }, 5));
    k.register.cancel(sale.id).unwrap();
    k.until_state(SaleState::Cancelled).await;
    assert!(k.pos_is_empty());
    k.money_agrees();
}

async fn a_create_that_cannot_get_through_keeps_trying_then_waits(api: Api) {
    let mut k = counter_on(api).await;
    k.sb.add_fault(FaultRule::next(k.route("create"), Fault::Status { status: 503 }, 4));
    let sale = k.register.charge(&cart("100", 1), false).await.unwrap();
    assert_eq!(sale.state, SaleState::Creating);
    k.until("trouble", |e| matches!(e.progress, Progress::ConnectionTrouble { .. }))
        .await;
    assert!(
        k.register.journal().get(sale.id).unwrap().last_error.is_some(),
        "the error is journaled"
    );
    k.until_state(SaleState::Waiting).await;
    k.pay(Outcome::Approved);
    let paid = k.until_state(SaleState::Paid).await;
    assert_eq!(k.orders_of(&k.register.journal().get(paid.sale_id).unwrap()), 1);
    k.money_agrees();
}

async fn a_refused_create_fails_the_sale_and_keeps_nothing_on_the_pos(api: Api) {
    let mut k = counter_on(api).await;
    let mut config = k.register.config().clone();
    config.pos_external_id = "NOSUCHPOS".into();
    k.register = Register::new(client(&k.sb), k.register.journal().clone(), config, k.sb.clock());
    k.events = k.register.subscribe();
    k.register.charge(&cart("100", 1), false).await.unwrap();
    let failed = k.until_state(SaleState::Failed).await;
    assert!(
        matches!(failed.progress, Progress::Failed { ref message, .. } if message.contains("not found")),
        "{failed:?}"
    );
    let failed = k.register.journal().in_states(&[SaleState::Failed]).unwrap();
    assert_eq!(failed.len(), 1);
    assert!(failed[0].last_error.as_deref().unwrap().contains("not found"));
    assert!(failed[0].pos_doubt_until.is_none(), "answered: nothing can land");
    assert!(k.pos_is_empty());
    // The register is free again.
    assert!(k.register.open_sale().unwrap().is_none());
}

async fn a_second_charge_while_one_waits_is_refused(api: Api) {
    let mut k = counter_on(api).await;
    let first = k.charge(&cart("100", 1)).await;
    let e = k.register.charge(&cart("5", 1), false).await.unwrap_err();
    assert!(
        matches!(e, RegisterError::Busy { sale_id } if sale_id == first.id),
        "{e:?}"
    );
    assert_eq!(k.sb.world().order_on(k.pos_id), Some(first.money_reference().as_str()));
}

/// F12 pressed twice (or two windows): two charges at once make one sale; the other is told
/// the register is busy. The journal itself keeps one open sale per POS.
async fn two_charges_at_once_make_one_sale(api: Api) {
    let k = counter_on(api).await;
    let one = cart("100", 1);
    let (a, b) = tokio::join!(k.register.charge(&one, false), k.register.charge(&one, false));
    let taken = [&a, &b].iter().filter(|r| r.is_ok()).count();
    assert_eq!(taken, 1, "{a:?} {b:?}");
    let refused = match (a, b) {
        (Err(e), _) | (_, Err(e)) => e,
        _ => unreachable!("one of the two was refused"),
    };
    assert!(
        matches!(refused, RegisterError::Busy { .. } | RegisterError::Charging),
        "{refused:?}"
    );
    assert_eq!(k.register.journal().in_states(&SaleState::ALL).unwrap().len(), 1);
    // The journal refuses a second open sale on the POS whoever asks.
    let checked = cart("5", 1).check(Currency::Ars).unwrap();
    let config = k.register.config();
    let again = k.register.journal().begin_sale(
        &config.pos_external_id,
        config.user_id,
        &checked,
        config.api,
        k.sb.world().now(),
    );
    assert!(
        matches!(again, Err(qr_cashier::sale::JournalError::PosHeld(_))),
        "{again:?}"
    );
    // Another POS of the account is its own.
    assert!(k
        .register
        .journal()
        .begin_sale("CAJA2", config.user_id, &checked, config.api, k.sb.world().now())
        .is_ok());
}

async fn an_invalid_cart_sends_nothing_and_journals_nothing(api: Api) {
    let k = counter_with_api("MLC", api, quick_schedule(), None).await;
    let before = k.sb.requests().len();
    let e = k.register.charge(&cart("990.50", 1), false).await.unwrap_err();
    assert!(matches!(
        e,
        RegisterError::Cart(qr_cashier::sale::CartError::TooManyDecimals {
            currency: Currency::Clp,
            ..
        })
    ));
    assert!(matches!(
        k.register.charge(&Cart::default(), false).await,
        Err(RegisterError::Cart(_))
    ));
    assert_eq!(k.sb.requests().len(), before);
    assert!(k.register.journal().in_states(&SaleState::ALL).unwrap().is_empty());
}

async fn the_notification_cue_shortens_the_wait(api: Api) {
    // Polls every 30 s: only the notification (an IPN, or a signed webhook) can bring the
    // payment in quickly.
    let ipn = listener::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let mut k = counter_with_api("MLA", api, thirty_second_polls(), Some(ipn.url())).await;
    k.sb.set_webhook(k.sb.account.user_id, &ipn.url(), "webhook-secret");
    let heard = ipn.heard();
    ipn.serve(k.register.clone(), Some("webhook-secret".into()));
    k.charge(&cart("100", 1)).await;
    let look = k.route("look");
    let searches = |sb: &Sandbox| sb.requests().iter().filter(|r| r.route == look).count();
    let before = searches(&k.sb);
    k.pay(Outcome::Approved);
    let started = std::time::Instant::now();
    k.until_state(SaleState::Paid).await;
    assert!(
        started.elapsed() < Duration::from_secs(25),
        "the payment came in with the 30 s poll, not the cue"
    );
    assert!(searches(&k.sb) - before <= 3, "woken searches only");
    if api == Api::Orders {
        // The signed webhook arrives (the payment may have been seen a moment before it).
        for _ in 0..100 {
            if heard.lock().unwrap().signature.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let heard = heard.lock().unwrap().clone();
        assert_eq!(
            heard.signature,
            Some(qr_cashier::mercadopago::notifications::Signature::Valid)
        );
    }
    k.money_agrees();
}

#[tokio::test]
async fn reconciliation_lists_paid_orders_on_this_pos_that_the_journal_never_recorded() {
    let mut k = counter().await;
    k.charge(&cart("100", 1)).await;
    k.pay(Outcome::Approved);
    k.until_state(SaleState::Paid).await;
    let today = chrono::Local::now().date_naive();
    assert!(qr_cashier::records::reconcile(&k.register, today)
        .await
        .unwrap()
        .is_empty());

    // A second install charging on the same POS, with a journal of its own.
    let dir = tempfile::tempdir().unwrap();
    let journal = Arc::new(Journal::open(&dir.path().join("other.sqlite3")).unwrap());
    let other = Register::new(
        k.register.client().clone(),
        journal,
        k.register.config().clone(),
        k.sb.clock(),
    );
    let mut other_events = other.subscribe();
    let sale = other.charge(&cart("250.50", 1), false).await.unwrap();
    while other_events.recv().await.unwrap().state != SaleState::Waiting {}
    k.pay(Outcome::Approved);
    while other_events.recv().await.unwrap().state != SaleState::Paid {}
    // A register on another POS of the account: not this register's business.
    let (caja2, caja2_id) = register_pos(&k.sb, k.register.client(), "CAJA2").await;
    let dir2 = tempfile::tempdir().unwrap();
    let third = Register::new(
        k.register.client().clone(),
        Arc::new(Journal::open(&dir2.path().join("third.sqlite3")).unwrap()),
        RegisterConfig {
            pos_external_id: caja2,
            ..k.register.config().clone()
        },
        k.sb.clock(),
    );
    let mut third_events = third.subscribe();
    third.charge(&cart("10", 1), false).await.unwrap();
    while third_events.recv().await.unwrap().state != SaleState::Waiting {}
    let mo = k.sb.world().scan(caja2_id).unwrap()["merchant_order_id"]
        .as_u64()
        .unwrap();
    k.sb.world().pay(mo, Outcome::Approved, None).unwrap();

    let found = qr_cashier::records::reconcile(&k.register, today).await.unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (
            found[0].sale_id,
            &found[0].external_reference,
            found[0].mercado_pago_collected
        ),
        (None, &sale.external_reference, Some(parse_amount("250.50").unwrap()))
    );
    let searched: Vec<String> =
        k.sb.requests()
            .iter()
            .filter(|r| r.route == "search_merchant_orders" && r.query.contains("date_created_from"))
            .map(|r| r.query.clone())
            .collect();
    assert!(!searched.is_empty(), "the day's orders were searched by date");
    k.money_agrees();
}

/// The register of `k` started again on the same journal (as after a crash), with its events.
pub fn restart(k: &mut Counter) {
    k.register.shutdown();
    k.register = Register::new(
        k.register.client().clone(),
        k.register.journal().clone(),
        k.register.config().clone(),
        k.sb.clock(),
    );
    k.events = k.register.subscribe();
}

/// A sale of one peso in `creating`, begun `minutes_ago` by the sandbox's clock.
fn begun(k: &Counter, minutes_ago: i64) -> qr_cashier::sale::Sale {
    let checked = cart("100", 1).check(Currency::Ars).unwrap();
    let at = k.sb.world().now() - chrono::Duration::minutes(minutes_ago);
    let config = k.register.config();
    k.register
        .journal()
        .begin_sale(&config.pos_external_id, config.user_id, &checked, config.api, at)
        .unwrap()
}

/// A restart resumes every open sale, and the finished ones still in their late-payment
/// window (15 minutes after their order's expiry here), reading no older ones.
async fn a_restart_resumes_open_sales_and_those_still_in_their_late_window(api: Api) {
    let mut k = counter_on(api).await;
    let now = k.sb.world().now();
    let minutes = |m: i64| now - chrono::Duration::minutes(m);
    let finished = |k: &Counter, state: SaleState, changed: i64, expired: i64| {
        let sale = begun(k, changed + 1);
        let update = qr_cashier::sale::journal::SaleUpdate {
            expires_at: Some(minutes(expired)),
            ..Default::default()
        };
        let j = k.register.journal();
        let waiting = j
            .transition(
                sale.id,
                &[SaleState::Creating],
                SaleState::Waiting,
                "test",
                update,
                minutes(changed),
            )
            .unwrap()
            .unwrap();
        let via = if state == SaleState::Cancelled {
            SaleState::Cancelling
        } else {
            SaleState::Expiring
        };
        j.transition(
            waiting.id,
            &[SaleState::Waiting],
            via,
            "test",
            Default::default(),
            minutes(changed),
        )
        .unwrap()
        .unwrap();
        j.transition(sale.id, &[via], state, "test", Default::default(), minutes(changed))
            .unwrap()
            .unwrap()
            .id
    };
    // Cancelled 10 minutes ago, its order would have expired 5 minutes ago: in the window.
    let recent = finished(&k, SaleState::Cancelled, 10, 5);
    // Cancelled 70 minutes ago with an hour-long order that expired 10 minutes ago: changed
    // long before the window's 15 minutes, and still in it.
    let long_order = finished(&k, SaleState::Cancelled, 70, 10);
    // Expired 20 minutes ago, cancelled 3 hours ago: out of the window.
    let expired = finished(&k, SaleState::Expired, 20, 20);
    let old = finished(&k, SaleState::Cancelled, 180, 175);
    // Begun a minute ago and not yet sent when the register stopped.
    let open = begun(&k, 1).id;

    restart(&mut k);
    assert_eq!(k.register.recover().unwrap(), 3);
    let mut watched = k.register.watched();
    watched.sort();
    assert_eq!(watched, vec![recent, long_order, open]);
    assert!(!watched.contains(&expired) && !watched.contains(&old));
    // The open one is sent and waits for its customer.
    k.until_state(SaleState::Waiting).await;
}

/// A sale left in `creating` by a crash two days ago (the register stayed off) is not sent on
/// restart: its customer has gone. It ends expired and no order reaches the POS.
async fn a_sale_left_unsent_longer_than_an_order_lives_is_not_sent_on_restart(api: Api) {
    let mut k = counter_on(api).await;
    let stale = begun(&k, 2 * 24 * 60).id;
    restart(&mut k);
    assert_eq!(k.register.recover().unwrap(), 1);
    let end = k.until_state(SaleState::Expired).await;
    assert_eq!(end.sale_id, stale);
    assert!(k.pos_is_empty());
    let create = k.route("create");
    let sent: Vec<_> = k.sb.requests().into_iter().filter(|r| r.route == create).collect();
    assert!(sent.is_empty(), "an order was sent: {sent:?}");
    let steps: Vec<_> = k
        .register
        .journal()
        .changes(stale)
        .unwrap()
        .into_iter()
        .map(|c| c.state)
        .collect();
    assert_eq!(steps, [SaleState::Creating, SaleState::Expiring, SaleState::Expired]);
}
