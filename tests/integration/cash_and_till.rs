//! Cash beside QR, goods by the kilo and the till, on the register against the sandbox. Every
//! test that moves money ends with the oracle, cash in the mix: Mercado Pago holds nothing for a
//! cash sale, and what it holds for each QR sale is what the journal says was collected.

use std::str::FromStr;

use qr_cashier::mercadopago::Api;
use qr_cashier::money::{parse_amount, read_weight};
use qr_cashier::register::RegisterError;
use qr_cashier::sale::journal::Unfinishable;
use qr_cashier::sale::{Cart, CartLine, CashError, JournalError, SaleState, Tender};
use qr_cashier::sandbox::Outcome;
use qr_cashier::till::{MoveKind, TillError};
use rust_decimal::Decimal;

use crate::on_both_apis;
use crate::sale_life::{cart, counter, counter_on, counter_with_api, quick_schedule, Counter};

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

impl Counter {
    fn pos(&self) -> String {
        self.register.config().pos_external_id.clone()
    }

    fn open_till(&self, float: &str) {
        let c = self.register.config().currency;
        self.register
            .journal()
            .start_till(&self.pos(), "Ana", d(float), c, self.register.now())
            .unwrap();
    }

    fn cash(&self, cart: &Cart, received: &str) -> Result<qr_cashier::sale::Sale, RegisterError> {
        self.register
            .charge_cash(cart, received, None, None, false)
            .map(|(sale, _)| sale)
    }

    /// Requests that put something on the POS, of either API.
    fn creates(&self) -> usize {
        self.sb
            .requests()
            .iter()
            .filter(|r| ["create_order", "orders_create"].contains(&r.route.as_str()))
            .count()
    }
}

/// Why finishing a QR sale in cash was refused, when that was the refusal.
fn unfinishable(e: &RegisterError) -> Option<Unfinishable> {
    match e {
        RegisterError::Journal(JournalError::NotFinishable { why, .. }) => Some(*why),
        _ => None,
    }
}

fn weighed(title: &str, price_per_kg: &str, kg: &str) -> CartLine {
    CartLine {
        sku: Some("00101".into()),
        title: title.into(),
        description: None,
        unit_price: parse_amount(price_per_kg).unwrap(),
        quantity: 1,
        weight: Some(read_weight(kg).unwrap()),
    }
}

async fn cash_needs_an_open_till_and_never_reaches_mercado_pago(api: Api) {
    let mut k = counter_on(api).await;
    let three = cart("1234.60", 3);
    let refused = k.cash(&three, "5000").unwrap_err();
    assert!(
        matches!(refused, RegisterError::Journal(JournalError::NoOpenTill)),
        "{refused:?}"
    );
    assert!(
        k.register.journal().in_states(&SaleState::ALL).unwrap().is_empty(),
        "no sale without a till"
    );
    k.open_till("10000");
    let (sale, cash) = k.register.charge_cash(&three, "5.000", None, None, false).unwrap();
    assert_eq!((sale.state, sale.tender), (SaleState::Paid, Tender::Cash));
    assert_eq!(
        (cash.due, cash.received, cash.change),
        (d("3703.80"), d("5000.00"), d("1296.20"))
    );
    assert!(
        sale.external_reference.starts_with("CASH-"),
        "{}",
        sale.external_reference
    );
    assert!(
        !sale.attention,
        "paid before the cashier's eyes: nothing to acknowledge"
    );
    assert_eq!(k.creates(), 0, "nothing went to Mercado Pago");
    assert!(k.register.watched().is_empty(), "a cash sale is not watched");
    // A customer who hands over too little, or something that is not an amount: nothing is sold.
    assert!(matches!(
        k.cash(&three, "3000"),
        Err(RegisterError::Cash(CashError::NotEnough { .. }))
    ));
    assert!(matches!(
        k.cash(&three, "5,000"),
        Err(RegisterError::Cash(CashError::Ambiguous { .. }))
    ));
    assert_eq!(k.register.journal().in_states(&SaleState::ALL).unwrap().len(), 1);
    // QR beside it: paid, and the oracle holds for both.
    let qr = k.charge(&cart("850", 1)).await;
    k.pay(Outcome::Approved);
    k.until_state(SaleState::Paid).await;
    k.money_settles().await;
    let till = k.register.journal().open_till(&k.pos()).unwrap().unwrap();
    let z = k
        .register
        .journal()
        .close_till(&k.pos(), d("11200"), k.register.now())
        .unwrap();
    assert_eq!(z.till.id, till.id);
    assert_eq!(
        (z.cash_sales, z.cash_total, z.cash_received, z.change_given),
        (1, d("3703.80"), d("5000.00"), d("1296.20"))
    );
    assert_eq!(z.expected_cash, d("13703.80"), "float + received − change");
    assert_eq!(z.difference, Some(d("-2503.80")), "counted − expected");
    assert_eq!((z.qr_sales, z.qr_collected), (1, d("850.00")));
    assert_eq!(
        (z.sales, z.sales_total, z.average_ticket),
        (2, d("4553.80"), d("2276.90"))
    );
    assert_eq!(k.register.journal().get(qr.id).unwrap().till_id, Some(till.id));
    k.money_agrees();
}

async fn a_qr_sale_the_customer_cannot_pay_is_finished_in_cash(api: Api) {
    let mut k = counter_on(api).await;
    k.open_till("0");
    let the_cart = cart("2500", 2);
    let qr = k.charge(&the_cart).await;
    // While its order is on the POS it cannot be finished in cash: the customer may pay it.
    let e = k
        .register
        .charge_cash(&the_cart, "5000", None, Some(qr.id), false)
        .unwrap_err();
    assert_eq!(unfinishable(&e), Some(Unfinishable::StillOpen), "{e:?}");
    // A customer who scanned before the cancel (attended model) may still pay after it.
    let scanned = (api == Api::Legacy).then(|| {
        k.sb.world().scan(k.pos_id).unwrap()["merchant_order_id"]
            .as_u64()
            .unwrap()
    });
    k.register.cancel(qr.id).unwrap();
    k.until_state(SaleState::Cancelled).await;
    assert!(k.pos_is_empty(), "the order was withdrawn first");
    let (cash_sale, cash) = k
        .register
        .charge_cash(&the_cart, "5000", None, Some(qr.id), false)
        .unwrap();
    assert_eq!((cash_sale.finishes_sale, cash.change), (Some(qr.id), d("0.00")));
    assert_eq!(k.register.journal().get(qr.id).unwrap().finished_by, Some(cash_sale.id));
    assert!(
        !k.register.journal().get(qr.id).unwrap().attention,
        "the QR sale the cashier took cash for is seen"
    );
    let qr_steps = k.register.journal().changes(qr.id).unwrap();
    assert!(
        qr_steps
            .last()
            .unwrap()
            .detail
            .contains(&format!("finished in cash by sale {}", cash_sale.id)),
        "{qr_steps:?}"
    );
    // Finished once.
    let again = k
        .register
        .charge_cash(&the_cart, "5000", None, Some(qr.id), false)
        .unwrap_err();
    assert_eq!(unfinishable(&again), Some(Unfinishable::AlreadyFinished), "{again:?}");
    if let Some(mo) = scanned {
        // A payment after that: found, never lost, and not a payment of the sale (its cart was
        // paid in cash): held on it, shown, and given back.
        k.sb.world().pay(mo, Outcome::Approved, None).unwrap();
        k.sb.flush_notices();
        k.register.wake(qr.id);
        let held = k
            .until("the money found", |e| e.sale_id == qr.id && e.collected > Decimal::ZERO)
            .await;
        assert_eq!(
            held.state,
            SaleState::Cancelled,
            "not paid: its cart was taken in cash: {:?}",
            k.register.journal().changes(qr.id).unwrap()
        );
        assert_eq!(held.outcome, qr_cashier::sale::Outcome::Held { held: d("5000.00") });
        assert!(held.attention, "on the attention list");
        k.money_settles().await;
        let story = qr_cashier::records::refund(&k.register, qr.id, qr_cashier::records::RefundAsk::Extra)
            .await
            .unwrap();
        assert_eq!(story.refunded, d("5000.00"));
    }
    k.money_settles().await;
}

async fn a_sale_paid_while_it_was_being_withdrawn_is_not_taken_in_cash(api: Api) {
    let mut k = counter_on(api).await;
    k.open_till("0");
    let the_cart = cart("1000", 1);
    let qr = k.charge(&the_cart).await;
    k.pay(Outcome::Approved);
    k.until_state(SaleState::Paid).await;
    let e = k
        .register
        .charge_cash(&the_cart, "1000", None, Some(qr.id), false)
        .unwrap_err();
    assert_eq!(unfinishable(&e), Some(Unfinishable::Paid), "{e:?}");
    assert_eq!(k.register.journal().in_states(&SaleState::ALL).unwrap().len(), 1);
    k.money_settles().await;
}

/// A sale given up while a payment was in review, its cart then taken in cash with the
/// cashier's word: when the review approves the payment, the money is held on the sale to give
/// back (never a payment of it); when it refuses it, the sale ends as it was given up, and an
/// Orders API order that waits for its customer again is cancelled, not left payable.
async fn a_pending_sale_finished_in_cash_ends_unpaid_either_way(api: Api) {
    for approve in [true, false] {
        let mut k = counter_on(api).await;
        k.open_till("0");
        let the_cart = cart("700", 1);
        let qr = k.charge(&the_cart).await;
        let payment = k.pay_pending();
        k.until("in process", |e| {
            e.progress == qr_cashier::register::Progress::PaymentInProcess
        })
        .await;
        k.register.cancel(qr.id).unwrap();
        k.until_state(SaleState::Pending).await;
        let e = k
            .register
            .charge_cash(&the_cart, "700", None, Some(qr.id), false)
            .unwrap_err();
        assert_eq!(unfinishable(&e), Some(Unfinishable::PaymentPending), "{e:?}");
        let (cash_sale, _) = k
            .register
            .charge_cash(&the_cart, "700", None, Some(qr.id), true)
            .unwrap();
        // The register is started again: its watcher knows the cart was taken in cash and looks
        // once before the review is decided.
        crate::sale_life::restart(&mut k);
        assert_eq!(k.register.recover().unwrap(), 1);
        k.until("still in review", |e| {
            e.sale_id == qr.id && e.progress == qr_cashier::register::Progress::Pending
        })
        .await;
        k.sb.world().resolve_pending(payment, approve).unwrap();
        k.sb.flush_notices();
        k.register.wake(qr.id);
        let end = k
            .until("the review decided", |e| e.sale_id == qr.id && e.state.is_ended())
            .await;
        let steps = k.register.journal().changes(qr.id).unwrap();
        assert_eq!(end.state, SaleState::Cancelled, "{steps:?}");
        let expected = if approve {
            qr_cashier::sale::Outcome::Held { held: d("700.00") }
        } else {
            qr_cashier::sale::Outcome::Ended
        };
        assert_eq!(end.outcome, expected, "approved {approve}: {steps:?}");
        assert!(
            steps
                .iter()
                .any(|s| s.detail.contains(&format!("finished in cash by sale {}", cash_sale.id))),
            "{steps:?}"
        );
        k.pos_settles().await;
        assert!(
            k.pos_is_empty(),
            "nothing payable is left on the POS ({api:?}, approved {approve})"
        );
        k.money_settles().await;
    }
}

async fn weighed_lines_are_charged_as_their_totals(api: Api) {
    // Per site the API serves: the price per kilogram, the weight, the weighed line's total
    // (rounded once; whole pesos in Chile and Colombia).
    let sites: &[(&str, &str, &str, &str)] = match api {
        Api::Legacy => &[
            ("MLA", "8900", "0,350", "3115.00"),
            ("MCO", "32900", "0,745", "24511"),
            ("MLM", "189.50", "0.745", "141.18"),
        ],
        Api::Orders => &[
            ("MLC", "8990", "0,255", "2292"),
            ("MLB", "49.90", "0,333", "16.62"),
            ("MLU", "459", "1,25", "573.75"),
        ],
    };
    for (site, price, kg, line_total) in sites.iter().copied() {
        let mut k = counter_with_api(site, api, quick_schedule(), None).await;
        let lines = Cart {
            lines: vec![weighed("Queso", price, kg), cart("1500", 1).lines.remove(0)],
        };
        let sale = k.charge(&lines).await;
        assert_eq!(sale.total, d(line_total) + d("1500"), "{site}");
        k.pay(Outcome::Approved);
        k.until_state(SaleState::Paid).await;
        k.money_settles().await;
        let body =
            k.sb.requests()
                .into_iter()
                .find(|r| ["create_order", "orders_create"].contains(&r.route.as_str()))
                .unwrap()
                .body;
        assert!(
            body.contains(" kg × ") && body.contains("/kg\"") && body.contains(line_total),
            "{site}: one item at the line's total, the weight in its title: {body}"
        );
    }
}

on_both_apis!(
    cash_needs_an_open_till_and_never_reaches_mercado_pago,
    a_qr_sale_the_customer_cannot_pay_is_finished_in_cash,
    a_sale_paid_while_it_was_being_withdrawn_is_not_taken_in_cash,
    weighed_lines_are_charged_as_their_totals,
    a_pending_sale_finished_in_cash_ends_unpaid_either_way,
);

#[tokio::test]
async fn money_held_on_a_cancelled_sale_is_not_finished_in_cash() {
    let mut k = counter_on(Api::Legacy).await;
    k.open_till("0");
    let the_cart = cart("3000", 1);
    let sale = k.charge(&the_cart).await;
    let mo = k.sb.world().scan(k.pos_id).unwrap()["merchant_order_id"]
        .as_u64()
        .unwrap();
    k.sb.world().pay(mo, Outcome::Partial, Some(d("1000"))).unwrap();
    k.register.wake(sale.id);
    k.until("part paid", |e| e.collected == d("1000")).await;
    k.register.cancel(sale.id).unwrap();
    k.until_state(SaleState::Cancelled).await;
    let e = k
        .register
        .charge_cash(&the_cart, "3000", None, Some(sale.id), false)
        .unwrap_err();
    assert_eq!(unfinishable(&e), Some(Unfinishable::MoneyHeld), "{e:?}");
    k.money_settles().await;
}

#[tokio::test]
async fn in_chile_cash_rounds_to_ten_pesos_when_the_store_says_so() {
    let k = counter_with_api("MLC", Api::Orders, quick_schedule(), None).await;
    k.open_till("20000");
    let (sale, cash) = k
        .register
        .charge_cash(&cart("12995", 1), "20.000", Some(d("10")), None, false)
        .unwrap();
    assert_eq!(
        (sale.total, cash.rounding, cash.change),
        (d("12990"), d("-5"), d("7010"))
    );
    let z = k
        .register
        .journal()
        .close_till(&k.pos(), d("32990"), k.register.now())
        .unwrap();
    assert_eq!(
        (z.rounding, z.expected_cash, z.difference),
        (d("-5"), d("32990"), Some(d("0")))
    );
    k.money_agrees();
}

#[tokio::test]
async fn the_till_takes_cash_in_and_out_and_closes_once() {
    let mut k = counter().await;
    let j = k.register.journal().clone();
    let pos = k.pos();
    let now = k.register.now();
    assert!(matches!(
        j.move_cash(&pos, MoveKind::In, d("100"), "cambio", now),
        Err(TillError::NotOpen)
    ));
    k.open_till("5000");
    assert!(matches!(
        j.start_till(&pos, "Beto", d("0"), qr_cashier::money::Currency::Ars, now),
        Err(TillError::AlreadyOpen { .. })
    ));
    j.move_cash(&pos, MoveKind::In, d("2000"), "cambio del banco", now)
        .unwrap();
    let out = j
        .move_cash(&pos, MoveKind::Out, d("8000"), "proveedor", now)
        .unwrap_err();
    assert!(matches!(out, TillError::MoreThanHeld { .. }), "{out:?}");
    j.move_cash(&pos, MoveKind::Out, d("1500"), "proveedor de pan", now)
        .unwrap();
    assert!(matches!(
        j.move_cash(&pos, MoveKind::Out, d("10"), " ", now),
        Err(TillError::BadReason { .. })
    ));
    assert!(matches!(
        j.move_cash(&pos, MoveKind::In, d("0"), "nada", now),
        Err(TillError::NothingMoved)
    ));
    k.cash(&cart("850", 1), "1000").unwrap();
    // A sale waiting on the POS keeps the till open: its money is not known yet.
    let waiting = k.charge(&cart("600", 1)).await;
    assert!(matches!(
        j.close_till(&pos, d("0"), now),
        Err(TillError::SaleOpen { sale_id }) if sale_id == waiting.id
    ));
    k.register.cancel(waiting.id).unwrap();
    k.until_state(SaleState::Cancelled).await;
    let z = j.close_till(&pos, d("6350"), k.register.now()).unwrap();
    assert_eq!(
        (z.cash_in, z.cash_out, z.expected_cash, z.difference),
        (d("2000.00"), d("1500.00"), d("6350.00"), Some(d("0.00")))
    );
    assert_eq!((z.cancelled, z.moves.len()), (1, 2));
    assert!(matches!(j.close_till(&pos, d("0"), now), Err(TillError::NotOpen)));
    // Kept as it was printed, whatever comes after.
    let kept = j.z_report(z.till.id, k.register.now()).unwrap().unwrap();
    assert_eq!(kept, z);
    let csv = qr_cashier::till::z_csv(&kept);
    assert!(
        csv.contains("expected_cash,6350.00\n") && csv.contains("out,") && csv.contains("proveedor de pan"),
        "{csv}"
    );
    k.money_agrees();
}
