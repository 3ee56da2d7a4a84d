//! Every centavo accounted for: what a sale collected is what Mercado Pago holds for it, summed
//! over all its merchant orders, on the paths a store meets (a customer who pays twice, money
//! paid on a sale that is then cancelled or expires, a payment pending for days, refunds, a
//! notification for a sale that ended, a create that lands after the register gave up on it,
//! a revoked token, an hour-long Retry-After, a POS made elsewhere). Each test ends with the
//! money oracle.

use std::sync::Arc;
use std::time::Duration;

use qr_cashier::money::parse_amount;
use qr_cashier::records::{self, RecordsError, RefundAsk, RefundError};
use qr_cashier::register::{listener, Progress, Register, RegisterConfig, RegisterError};
use qr_cashier::sale::{Journal, Outcome, SaleState};
use qr_cashier::sandbox::{Fault, FaultRule, Outcome as Pay};

use crate::sale_life::{cart, counter, counter_with, quick_schedule, restart, thirty_second_polls, Counter};
use crate::support::*;

fn amount(a: &str) -> rust_decimal::Decimal {
    parse_amount(a).unwrap()
}

fn scan(k: &Counter) -> u64 {
    k.sb.world().scan(k.pos_id).unwrap()["merchant_order_id"]
        .as_u64()
        .unwrap()
}

/// Two phones scan the same order and both pay it in full: the store holds twice the money.
/// The sale is paid, the extra is shown and can be given back.
#[tokio::test]
async fn a_customer_who_pays_twice_is_seen_and_the_extra_is_refunded() {
    let mut k = counter().await;
    let sale = k.charge(&cart("1500", 2)).await;
    let (one, two) = (scan(&k), scan(&k));
    k.sb.world().pay(one, Pay::Approved, None).unwrap();
    k.sb.world().pay(two, Pay::Approved, None).unwrap();
    let extra = k
        .until("paid, and the second payment counted", |e| {
            e.state == SaleState::Paid && e.outcome == Outcome::Extra { extra: amount("3000") }
        })
        .await;
    assert!(
        extra.attention,
        "the extra money is shown until the cashier has seen it"
    );
    k.money_settles().await;
    let seen = k.register.journal().get(sale.id).unwrap();
    assert_eq!(seen.collected, amount("6000"));
    let today = chrono::Local::now().date_naive();
    let found = records::reconcile(&k.register, today).await.unwrap();
    assert!(
        found
            .iter()
            .any(|d| d.what == records::Mismatch::ExtraCollected && d.amount == Some(amount("3000"))),
        "reconciliation names the extra: {found:?}"
    );
    let summary = records::summary(k.register.journal(), today).unwrap();
    assert_eq!((summary.extra_total, summary.with_extra), (amount("3000"), 1));
    let csv = records::day_csv(k.register.journal(), today).unwrap();
    assert!(
        csv.contains(",extra_collected,") && csv.contains(",6000.00,0.00,3000.00,"),
        "{csv}"
    );

    let story = records::refund(&k.register, sale.id, RefundAsk::Extra).await.unwrap();
    assert_eq!(story.refunded, amount("3000"));
    assert_eq!(story.sale.outcome(), Outcome::Paid);
    assert_eq!(k.sb.world().refunds.len(), 1, "one payment given back whole");
    let e = records::refund(&k.register, sale.id, RefundAsk::Extra)
        .await
        .unwrap_err();
    assert!(matches!(e, RecordsError::Refund(RefundError::NothingExtra)), "{e:?}");
    k.money_agrees();
}

/// Paid in part, then the cashier cancels: the part paid is kept in the journal, shown, and
/// can be given back.
#[tokio::test]
async fn money_paid_in_part_then_cancelled_is_kept_shown_and_refunded() {
    let mut k = counter().await;
    let sale = k.charge(&cart("3000", 1)).await;
    let mo = scan(&k);
    k.sb.world().pay(mo, Pay::Partial, Some(amount("1000"))).unwrap();
    k.until("part paid", |e| matches!(e.progress, Progress::PartiallyPaid { .. }))
        .await;
    k.register.cancel(sale.id).unwrap();
    let cancelled = k.until_state(SaleState::Cancelled).await;
    assert_eq!(cancelled.outcome, Outcome::Held { held: amount("1000") });
    assert!(cancelled.attention);
    assert!(k.pos_is_empty());
    k.money_agrees();
    let held = k.register.journal().needing_attention().unwrap();
    assert_eq!(held.iter().map(|s| s.id).collect::<Vec<_>>(), [sale.id]);

    let story = records::refund(&k.register, sale.id, RefundAsk::Extra).await.unwrap();
    assert_eq!(story.refunded, amount("1000"));
    assert_eq!(story.sale.outcome(), Outcome::Ended);
    k.money_agrees();
    // Seen by the cashier: no longer asks for attention.
    k.register.journal().acknowledge(sale.id, k.sb.world().now()).unwrap();
    assert!(k.register.journal().needing_attention().unwrap().is_empty());
}

#[tokio::test]
async fn money_paid_in_part_then_expired_is_kept_and_shown() {
    let mut k = counter().await;
    let sale = k.charge(&cart("3000", 1)).await;
    let mo = scan(&k);
    k.sb.world().pay(mo, Pay::Partial, Some(amount("1200"))).unwrap();
    k.until("part paid", |e| matches!(e.progress, Progress::PartiallyPaid { .. }))
        .await;
    k.sb.world().advance(601);
    let expired = k.until_state(SaleState::Expired).await;
    assert_eq!(expired.sale_id, sale.id);
    assert_eq!(expired.outcome, Outcome::Held { held: amount("1200") });
    let csv = records::day_csv(k.register.journal(), chrono::Local::now().date_naive()).unwrap();
    assert!(csv.contains(",expired,held_after_end,"), "{csv}");
    k.money_agrees();
}

/// A paid sale whose watch ended (the register restarted, say) gets a second payment: the
/// notification about it wakes the sale, which counts the money.
#[tokio::test]
async fn a_notification_for_a_sale_that_ended_is_read() {
    let ipn = listener::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let mut k = counter_with("MLA", thirty_second_polls(), Some(ipn.url())).await;
    let sale = k.charge(&cart("100", 1)).await;
    let (one, two) = (scan(&k), scan(&k));
    k.sb.world().pay(one, Pay::Approved, None).unwrap();
    k.register.wake(sale.id);
    k.until_state(SaleState::Paid).await;
    // Started again without resuming anything: nobody watches the paid sale.
    restart(&mut k);
    ipn.serve(k.register.clone(), None);
    assert!(k.register.watched().is_empty());
    k.sb.world().pay(two, Pay::Approved, None).unwrap();
    k.sb.flush_notices();
    let e = k
        .until("the second payment", |e| {
            e.sale_id == sale.id && e.progress == Progress::MoneyChanged
        })
        .await;
    assert_eq!(e.outcome, Outcome::Extra { extra: amount("100") });
    k.money_agrees();
}

/// A payment Mercado Pago is still processing when the sale is given up: the order is
/// withdrawn and the register is free, the sale is pending (journaled, so a restart goes on
/// watching it), and the cart cannot be charged again without the cashier's word.
#[tokio::test]
async fn a_pending_payment_keeps_the_sale_pending_across_a_restart_until_it_is_approved() {
    let mut k = counter().await;
    let sale = k.charge(&cart("100", 1)).await;
    let mo = scan(&k);
    let payment = k.sb.world().pay(mo, Pay::Pending, None).unwrap()["payment_id"]
        .as_u64()
        .unwrap();
    k.until("in process", |e| e.progress == Progress::PaymentInProcess)
        .await;
    k.register.cancel(sale.id).unwrap();
    let pending = k.until_state(SaleState::Pending).await;
    assert!(pending.attention);
    assert!(k.pos_is_empty(), "the order is withdrawn");
    assert!(k.register.open_sale().unwrap().is_none(), "the register is free");
    let e = k.register.charge(&cart("100", 1), false).await.unwrap_err();
    assert!(
        matches!(e, RegisterError::PendingPayment { sale_id } if sale_id == sale.id),
        "{e:?}"
    );
    // Days may pass; the register restarts and goes on watching it.
    restart(&mut k);
    assert_eq!(k.register.recover().unwrap(), 1);
    k.sb.world().resolve_pending(payment, true).unwrap();
    let paid = k.until_state(SaleState::Paid).await;
    assert!(!paid.late, "paid after pending is not a late payment");
    assert!(paid.attention, "the cashier is told");
    k.money_agrees();
    // With the cashier's word, a charge goes ahead past a pending payment.
    let second = k.charge(&cart("50", 1)).await;
    let mo = scan(&k);
    k.sb.world().pay(mo, Pay::Pending, None).unwrap();
    k.until("in process", |e| e.progress == Progress::PaymentInProcess)
        .await;
    k.register.cancel(second.id).unwrap();
    k.until_state(SaleState::Pending).await;
    let third = k.register.charge(&cart("50", 1), true).await.unwrap();
    assert_eq!(third.state, SaleState::Creating);
}

#[tokio::test]
async fn a_pending_payment_that_is_refused_ends_the_sale_as_it_was_given_up() {
    let mut k = counter().await;
    let sale = k.charge(&cart("100", 1)).await;
    let mo = scan(&k);
    let payment = k.sb.world().pay(mo, Pay::Pending, None).unwrap()["payment_id"]
        .as_u64()
        .unwrap();
    k.until("in process", |e| e.progress == Progress::PaymentInProcess)
        .await;
    k.sb.world().advance(601);
    k.until_state(SaleState::Pending).await;
    k.sb.world().resolve_pending(payment, false).unwrap();
    let end = k.until_state(SaleState::Expired).await;
    assert_eq!(end.sale_id, sale.id);
    assert_eq!(end.outcome, Outcome::Ended);
    k.money_agrees();
}

/// "Refund the rest" after a part refund gives back the rest, not the whole payment again;
/// the journal's refunds add up to what was paid.
#[tokio::test]
async fn refunding_the_rest_after_a_part_refund_refunds_only_the_rest() {
    let mut k = counter().await;
    let sale = k.charge(&cart("100", 1)).await;
    k.pay(Pay::Approved);
    k.until_state(SaleState::Paid).await;
    let part = records::refund(&k.register, sale.id, RefundAsk::Amount(amount("30")))
        .await
        .unwrap();
    assert_eq!(part.refunded, amount("30"));
    let rest = records::refund(&k.register, sale.id, RefundAsk::All).await.unwrap();
    assert_eq!(rest.refunded, amount("100"), "{rest:?}");
    assert_eq!(rest.sale.collected, amount("0"));
    assert_eq!(
        rest.refunds.iter().map(|r| r.amount).collect::<Vec<_>>(),
        [amount("30"), amount("70")]
    );
    assert!(matches!(
        records::refund(&k.register, sale.id, RefundAsk::All).await,
        Err(RecordsError::Refund(
            RefundError::NoPayment | RefundError::BadAmount { .. }
        ))
    ));
    k.money_agrees();
}

/// A refund whose answer never came stays requested with its payment, amount and key; asked
/// again (for another amount, even), that same refund goes first, as it was, and Mercado Pago
/// refunds it once.
#[tokio::test]
async fn a_refund_left_unanswered_goes_again_with_its_own_amount_and_payment() {
    let mut k = counter().await;
    let sale = k.charge(&cart("100", 1)).await;
    k.pay(Pay::Approved);
    k.until_state(SaleState::Paid).await;
    // Lost more times than the client tries with the same key.
    k.sb.add_fault(FaultRule::next("refund", Fault::Drop, 3));
    let e = records::refund(&k.register, sale.id, RefundAsk::Amount(amount("40"))).await;
    assert!(e.is_err(), "the answer was lost");
    let story = records::story(k.register.journal(), sale.id).unwrap();
    assert_eq!(
        (
            story.refunds.len(),
            story.refunds[0].state.as_str(),
            story.refunds[0].amount
        ),
        (1, "requested", amount("40"))
    );
    let again = records::refund(&k.register, sale.id, RefundAsk::All).await.unwrap();
    assert_eq!(again.refunds.len(), 1, "the requested refund went again, nothing new");
    assert_eq!(
        (again.refunds[0].state.as_str(), again.refunded),
        ("done", amount("40"))
    );
    let refunds: Vec<_> = k.sb.world().refunds.iter().map(|r| r.idempotency_key.clone()).collect();
    assert_eq!(refunds.len(), 1, "refunded once, with one key: {refunds:?}");
    let last = records::refund(&k.register, sale.id, RefundAsk::All).await.unwrap();
    assert_eq!(last.refunded, amount("100"));
    k.money_agrees();
}

/// The token is revoked while a sale waits: the cashier is told it was refused (not
/// "connection lost" forever), and a new token of the account takes over the running register.
#[tokio::test]
async fn a_revoked_token_is_said_and_a_new_token_takes_over() {
    let mut k = counter().await;
    let sale = k.charge(&cart("100", 1)).await;
    let token = k.sb.world().renew_token(k.sb.account.user_id).unwrap();
    k.until("token refused", |e| e.progress == Progress::TokenRefused).await;
    assert!(k
        .register
        .journal()
        .get(sale.id)
        .unwrap()
        .last_error
        .unwrap()
        .contains("refused the access token"));
    k.register.take_over_token(token.into());
    k.until("back", |e| e.progress == Progress::WaitingForCustomer).await;
    k.pay(Pay::Approved);
    k.until_state(SaleState::Paid).await;
    k.money_agrees();
}

/// A 429 asking to wait an hour (in seconds, or as an HTTP date) does not keep a sale past its
/// lifetime: its order is withdrawn on time.
#[tokio::test]
async fn a_long_retry_after_does_not_keep_a_sale_past_its_lifetime() {
    for http_date in [false, true] {
        let mut k = counter().await;
        let sale = k.charge(&cart("100", 1)).await;
        let hour = Fault::RateLimit {
            retry_after: 3600,
            http_date,
        };
        k.sb.add_fault(FaultRule::next("search_merchant_orders", hour, 1000));
        k.until("slowed down", |e| {
            matches!(e.progress, Progress::ConnectionTrouble { .. })
        })
        .await;
        let started = std::time::Instant::now();
        k.sb.world().advance(601);
        k.until_state(SaleState::Expiring).await;
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{http_date}: {:?}",
            started.elapsed()
        );
        for _ in 0..100 {
            if k.pos_is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(k.pos_is_empty(), "the order is withdrawn on time");
        k.sb.clear_faults();
        k.until_state(SaleState::Expired).await;
        assert_eq!(k.register.journal().get(sale.id).unwrap().state, SaleState::Expired);
        k.money_agrees();
    }
}

/// A POS made elsewhere with `fixed_amount: false` lets the customer type any amount, and the
/// payment names no sale: the register refuses to charge on it and says how to fix it.
#[tokio::test]
async fn a_pos_where_the_customer_types_the_amount_is_not_charged_on() {
    let k = counter().await;
    {
        let mut w = k.sb.world();
        let user = w.users[0].clone();
        let store = w.stores[0].id;
        let pos = serde_json::json!({ "name": "Caja libre", "external_id": "LIBRE1", "store_id": store, "fixed_amount": false });
        w.create_pos(&user, &pos, k.sb.base_url()).unwrap();
    }
    let config = RegisterConfig {
        pos_external_id: "LIBRE1".into(),
        ..k.register.config().clone()
    };
    let r = Register::new(client(&k.sb), k.register.journal().clone(), config, k.sb.clock());
    let e = r.charge(&cart("100", 1), false).await.unwrap_err();
    assert!(
        matches!(e, RegisterError::PosNotFixedAmount { ref pos } if pos == "LIBRE1"),
        "{e:?}"
    );
    assert!(e.to_string().contains("create a POS"), "says how to fix it: {e}");
    assert!(r.journal().in_states(&SaleState::ALL).unwrap().is_empty());
}

/// The register moved to another POS of the account and restarted: its old sale ends on its own
/// POS, and withdrawing it leaves the new POS's order alone.
#[tokio::test]
async fn an_old_sale_is_finished_on_its_own_pos_after_the_register_moved() {
    let mut k = counter().await;
    let old = k.charge(&cart("100", 1)).await;
    let (caja2, _) = register_pos(&k.sb, k.register.client(), "CAJA2").await;
    k.register = Register::new(
        k.register.client().clone(),
        k.register.journal().clone(),
        RegisterConfig {
            pos_external_id: caja2.clone(),
            ..k.register.config().clone()
        },
        k.sb.clock(),
    );
    k.events = k.register.subscribe();
    assert_eq!(k.register.recover().unwrap(), 1);
    let new = k.charge(&cart("250", 1)).await;
    k.register.cancel(old.id).unwrap();
    k.until("the old sale ends", |e| {
        e.sale_id == old.id && e.state == SaleState::Cancelled
    })
    .await;
    let w = k.sb.world();
    let on_pos: Vec<&str> = w.orders.values().map(|o| o.external_reference.as_str()).collect();
    assert_eq!(
        on_pos,
        [new.external_reference.as_str()],
        "the new sale's order is still there"
    );
    drop(w);
    k.money_agrees();
}

/// The cashier cancels while the create is on its way; the create lands at Mercado Pago after
/// the register gave up waiting for it. The order it puts on the POS is withdrawn: the sale ends
/// cancelled with nothing payable left.
#[tokio::test]
async fn a_cancel_during_a_create_that_lands_late_leaves_nothing_on_the_pos() {
    let mut k = impatient().await;
    k.sb.add_fault(FaultRule::next("create_order", Fault::Late { ms: 800 }, 1));
    let sale = k.register.charge(&cart("100", 1), false).await.unwrap();
    k.until_sent("create_order").await;
    k.register.cancel(sale.id).unwrap();
    k.until_state(SaleState::Cancelled).await;
    let ended = k.register.journal().get(sale.id).unwrap();
    assert!(ended.pos_doubt_until.is_none());
    assert!(
        k.sb.world().orders_created >= 1,
        "the create landed after the register gave up on it"
    );
    assert!(k.pos_is_empty(), "nothing payable for a cancelled sale");
    k.money_agrees();
}

/// A create that timed out, then a refusal of the next: the sale fails only once no order of
/// it can be live (the late one is withdrawn first).
#[tokio::test]
async fn a_timeout_then_a_refusal_fails_the_sale_only_when_no_order_can_be_live() {
    let mut k = impatient().await;
    k.sb.add_fault(FaultRule::next("create_order", Fault::Late { ms: 800 }, 1));
    k.sb.add_fault(FaultRule::next("create_order", Fault::Status { status: 400 }, 5));
    let sale = k.register.charge(&cart("100", 1), false).await.unwrap();
    k.until_state(SaleState::Failed).await;
    assert!(k.pos_is_empty(), "when the sale fails, nothing of it is on the POS");
    let failed = k.register.journal().get(sale.id).unwrap();
    assert!(failed.pos_doubt_until.is_none());
    assert!(k.sb.world().orders_created >= 1, "the late create did land");
    assert!(k.register.open_sale().unwrap().is_none(), "the register is free");
    k.money_agrees();
}

/// A counter whose client gives up after 300 ms.
async fn impatient() -> Counter {
    let mut k = counter_with("MLA", quick_schedule(), None).await;
    let config = k.register.config().clone();
    let c = client_with(&k.sb, &k.sb.account.token, Duration::from_millis(300));
    k.register = Register::new(c, k.register.journal().clone(), config, k.sb.clock());
    k.events = k.register.subscribe();
    k
}

/// A journal of the version before these money rules (`paid_amount`, refunds of "the rest"
/// without an amount, two open sales on one POS) opens, keeps its money and its sales.
#[test]
fn a_journal_of_the_earlier_version_migrates() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite3");
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(include_str!("../fixtures/journal-v4.sql")).unwrap();
    }
    let j = Arc::new(Journal::open(&path).unwrap());
    let paid = j.get(1).unwrap();
    assert_eq!(
        (paid.state, paid.collected),
        (SaleState::Paid, amount("70")),
        "100 paid, 30 refunded"
    );
    assert_eq!(paid.acknowledged, Some(amount("70")), "an earlier sale counts as seen");
    let rest = records::story(&j, 2).unwrap();
    assert_eq!(rest.sale.collected, amount("0"));
    assert_eq!(
        rest.refunds.iter().map(|r| r.amount).collect::<Vec<_>>(),
        [amount("20"), amount("30")],
        "a refund of 'the rest' gets the amount left then"
    );
    let open = j.in_states(&SaleState::OPEN).unwrap();
    assert_eq!(
        open.iter().map(|s| s.id).collect::<Vec<_>>(),
        [4],
        "one open sale per POS"
    );
    assert_eq!(j.get(3).unwrap().state, SaleState::Expired);
    assert!(j.needing_attention().unwrap().is_empty());
}
