//! The watcher of one sale: a loop that reads the sale from the journal and does what its
//! state needs next, until nothing can change it any more. It is the only sender of the sale's
//! requests, through the adapter of the API the sale began on ([`super::legacy`],
//! [`super::orders`]): put the order on the POS, look at the money, withdraw the order. It never
//! gives up silently: errors are journaled, shown ("connection trouble", "the token was
//! refused"), and retried with backoff.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::{legacy, orders, Observed, PollSchedule, Progress, Register, Verdict, Wake};
use crate::mercadopago::{Api, ApiError};
use crate::sale::journal::SaleUpdate;
use crate::sale::{JournalError, Sale, SaleId, SaleState};

/// What the loop does after a step.
enum Next {
    Now,
    After(Duration),
    Trouble(ApiError),
    Stop,
}

/// How far back a restart looks for sales that may still change: a late window after the
/// longest order lifetime (an hour, `Settings::ORDER_TTL_SECS`), and more.
pub(super) fn late_horizon(schedule: &PollSchedule) -> chrono::Duration {
    chrono::Duration::from_std(schedule.late_for).unwrap_or_default() + chrono::Duration::hours(2)
}

/// A sale that ended is looked at until then for money that still arrives, and after it while
/// one of its merchant orders can still take a payment. A cancelled or expired sale: a late
/// window after its order's lifetime (a customer who scanned before the cancel may pay after
/// it). A paid one: a few looks (its order left the POS when it was paid; a second scan's
/// merchant order keeps it watched).
fn late_window_end(sale: &Sale, schedule: &PollSchedule) -> DateTime<Utc> {
    let span = |d: Duration| chrono::Duration::from_std(d).unwrap_or_default();
    match sale.state {
        SaleState::Paid => sale.updated_at + span(schedule.late_every * 4),
        _ => sale.expires_at.unwrap_or(sale.updated_at).max(sale.updated_at) + span(schedule.late_for),
    }
}

/// Whether anything may still change the sale: it is not over, a request of it may still land,
/// a payment is in process, it is in its late window, or (for a while after it) one of its
/// merchant orders could still take a payment. From the journal alone, so a restart resumes
/// exactly the sales a running register would still watch.
pub(super) fn may_still_change(sale: &Sale, now: DateTime<Utc>, schedule: &PollSchedule) -> bool {
    if !sale.state.is_ended() || sale.pos_doubt_until.is_some() {
        return true;
    }
    if sale.state == SaleState::Failed {
        return false;
    }
    let window_end = late_window_end(sale, schedule);
    let opened_at_most = chrono::Duration::from_std(schedule.opened_at_most).unwrap_or_default();
    sale.payment_in_process || now < window_end || (sale.orders_payable && now < window_end + opened_at_most)
}

#[derive(Default)]
struct Watch {
    /// What the screen was last told, so it is told once per change.
    shown: Option<Progress>,
    errors: u32,
    /// Whether the sale was looked at yet by this watcher (a woken ended sale is, once).
    looked: bool,
    /// Mercado Pago refused the order while an earlier attempt may still land.
    refused: Option<ApiError>,
}

pub(super) async fn run(r: &Register, id: SaleId, wake: &Wake) {
    let schedule = r.config().schedule;
    let mut w = Watch::default();
    loop {
        let sale = match r.journal().get(id) {
            Ok(s) => s,
            Err(JournalError::NoSuchSale(_)) => return,
            Err(e) => {
                tracing::error!(sale = id, error = %e, "cannot read the journal; retrying");
                wake.sleep(schedule.max_backoff).await;
                continue;
            }
        };
        // Another account's sale, or a cash sale: nothing of it is at this account's Mercado Pago.
        if sale.user_id != r.config().user_id || sale.tender == crate::sale::Tender::Cash {
            return;
        }
        let next = match sale.state {
            SaleState::Creating => creating(r, &sale, &mut w).await,
            SaleState::Waiting => waiting(r, &sale, &mut w).await,
            SaleState::Cancelling | SaleState::Expiring => giving_up(r, &sale, &mut w).await,
            SaleState::Pending => pending(r, &sale, &mut w).await,
            SaleState::Paid | SaleState::Cancelled | SaleState::Expired | SaleState::Failed => {
                after_end(r, &sale, &mut w).await
            }
        };
        let wait = match next {
            Next::Stop => return,
            Next::Now => {
                w.errors = 0;
                continue;
            }
            Next::After(d) => {
                w.errors = 0;
                d
            }
            Next::Trouble(e) => {
                w.errors += 1;
                let progress = match &e {
                    ApiError::InvalidToken(_) => Progress::TokenRefused,
                    _ => Progress::ConnectionTrouble { message: e.to_string() },
                };
                if w.errors == 1 || (progress == Progress::TokenRefused) != (w.shown == Some(Progress::TokenRefused)) {
                    let update = SaleUpdate {
                        last_error: Some(Some(e.to_string())),
                        ..Default::default()
                    };
                    let sale = r.journal().note(sale.id, update, r.now()).unwrap_or(sale.clone());
                    r.emit(&sale, progress.clone());
                    w.shown = Some(progress);
                }
                tracing::warn!(sale = id, errors = w.errors, error = %e, "still checking");
                let retry_after = match &e {
                    ApiError::RateLimited { retry_after, .. } => *retry_after,
                    _ => None,
                };
                schedule.backoff(w.errors, retry_after)
            }
        };
        // A waiting sale's lifetime is kept, whatever the wait (a long Retry-After included).
        let wait = match sale.state {
            SaleState::Waiting => {
                let left = sale
                    .expires_at
                    .map_or(Duration::ZERO, |e| (e - r.now()).to_std().unwrap_or_default());
                wait.min(left + Duration::from_millis(10))
            }
            _ => wait,
        };
        wake.sleep(wait).await;
    }
}

/// What Mercado Pago holds for the sale now, on its API.
pub(super) async fn search(r: &Register, sale: &Sale) -> Result<Verdict, ApiError> {
    match sale.api {
        Api::Legacy => legacy::look(r, sale).await,
        Api::Orders => orders::look(r, sale).await,
    }
}

/// Takes the sale's order off its POS, on its API.
async fn withdraw(r: &Register, sale: &Sale) -> Result<(), ApiError> {
    match sale.api {
        Api::Legacy => legacy::withdraw(r, sale).await,
        Api::Orders => orders::withdraw(r, sale, lifetime_end(r, sale)).await,
    }
}

fn seen(v: &Verdict) -> SaleUpdate {
    SaleUpdate {
        collected: Some(v.collected),
        merchant_order_ids: Some(v.merchant_order_ids.clone()),
        payment_ids: Some(v.payment_ids.clone()),
        payment_in_process: Some(v.in_process),
        orders_payable: Some(v.payable),
        last_error: Some(None),
        ..Default::default()
    }
}

fn differs(sale: &Sale, v: &Verdict) -> bool {
    sale.collected != v.collected
        || sale.merchant_order_ids != v.merchant_order_ids
        || sale.payment_ids != v.payment_ids
        || sale.payment_in_process != v.in_process
        || sale.orders_payable != v.payable
}

/// Journals what the merchant orders hold now, when it changed, and tells the screen.
pub(super) fn note_money(r: &Register, sale: &Sale, v: &Verdict) -> Result<Sale, JournalError> {
    if !differs(sale, v) {
        return Ok(sale.clone());
    }
    let noted = r.journal().note(sale.id, seen(v), r.now())?;
    if noted.collected != sale.collected {
        let c = sale.currency;
        let detail = format!(
            "Mercado Pago holds {} {c} for this sale (was {})",
            c.rescale(noted.collected),
            c.rescale(sale.collected)
        );
        r.journal().remark(sale.id, &detail, r.now())?;
        if sale.state.is_ended() {
            r.emit(&noted, Progress::MoneyChanged);
        }
    }
    Ok(noted)
}

/// Moves the sale and tells the screen; a journal error is retried like a network one.
fn go(r: &Register, sale: &Sale, to: SaleState, detail: &str, update: SaleUpdate, progress: Progress) -> Next {
    match r
        .journal()
        .transition(sale.id, &[sale.state], to, detail, update, r.now())
    {
        Ok(Some(moved)) => {
            r.step(&moved, progress);
            Next::Now
        }
        // Someone else (a cancel) moved it first: read it again.
        Ok(None) => Next::Now,
        Err(e) => Next::Trouble(ApiError::Network(format!("the journal refused the step: {e}"))),
    }
}

pub(super) fn journal_trouble(e: JournalError) -> ApiError {
    ApiError::Network(format!("the journal refused the step: {e}"))
}

/// Starts withdrawing the order of a sale whose time is over (`expiring`, then `expired`).
fn expire(r: &Register, sale: &Sale, detail: &str) -> Next {
    go(
        r,
        sale,
        SaleState::Expiring,
        detail,
        SaleUpdate::default(),
        Progress::Cancelling,
    )
}

/// When the sale's order stops being payable: its lifetime from the moment it began.
fn lifetime_end(r: &Register, sale: &Sale) -> DateTime<Utc> {
    sale.expires_at
        .unwrap_or_else(|| sale.created_at + chrono::Duration::from_std(r.config().order_ttl).unwrap_or_default())
}

/// The doubt of the sale's last unanswered POS request, while it lasts.
fn doubt_left(sale: &Sale, now: DateTime<Utc>) -> Option<Duration> {
    sale.pos_doubt_until
        .filter(|until| *until > now)
        .map(|until| (until - now).to_std().unwrap_or_default())
}

/// A sale whose order may or may not be on the POS. On the attended model, a create whose
/// answer was lost can only be found by a scan: search before anything is sent again. On the
/// Orders API the create is replayed with its key, which finds it.
async fn creating(r: &Register, sale: &Sale, w: &mut Watch) -> Next {
    let now = r.now();
    if let Some(refusal) = w.refused.clone() {
        // Refused, while an earlier attempt may still land: withdraw once that doubt is over,
        // then the sale fails with nothing left on the POS.
        if let Some(left) = doubt_left(sale, now) {
            return Next::After(left);
        }
        if let Err(e) = withdraw(r, sale).await {
            return Next::Trouble(e);
        }
        return fail(r, sale, &refusal);
    }
    let ends = lifetime_end(r, sale);
    if sale.api == Api::Orders {
        return put_order(r, sale, ends).await;
    }
    let v = match search(r, sale).await {
        Ok(v) => v,
        Err(e) => return Next::Trouble(e),
    };
    if v.observed != Observed::NotScanned {
        let update = SaleUpdate {
            expires_at: Some(ends),
            ..seen(&v)
        };
        return go(
            r,
            sale,
            SaleState::Waiting,
            "order found on the POS",
            update,
            Progress::WaitingForCustomer,
        );
    }
    // Left here by a crash longer ago than an order lives (the register stayed off): the
    // customer has gone, so nothing is sent now, and the sale ends as expired (any order that
    // did reach the POS is withdrawn on the way).
    if now >= ends {
        return expire(r, sale, "never sent, and older than an order's lifetime");
    }
    // The order lives only what is left of the sale's lifetime, however late it is sent.
    let ttl = (ends - now).to_std().unwrap_or_default().max(Duration::from_secs(1));
    match legacy::put(r, sale, ttl).await {
        Ok(_) => on_the_pos(r, sale, ends, None),
        Err(e) if e.is_uncertain() || matches!(e, ApiError::InvalidToken(_)) => Next::Trouble(e),
        Err(e) => {
            let sale = match r.journal().get(sale.id) {
                Ok(s) => s,
                Err(j) => return Next::Trouble(journal_trouble(j)),
            };
            if doubt_left(&sale, r.now()).is_some() {
                tracing::warn!(sale = sale.id, error = %e, "refused, with an earlier order that may still land");
                r.emit(&sale, Progress::Cancelling);
                w.refused = Some(e);
                Next::Now
            } else {
                fail(r, &sale, &e)
            }
        }
    }
}

/// The order is on the POS until `ends`: the sale waits for the customer (with the Orders
/// API's order id, on that API).
fn on_the_pos(r: &Register, sale: &Sale, ends: DateTime<Utc>, order_id: Option<String>) -> Next {
    let update = SaleUpdate {
        order_id,
        expires_at: Some(ends),
        last_error: Some(None),
        ..Default::default()
    };
    go(
        r,
        sale,
        SaleState::Waiting,
        "order on the POS",
        update,
        Progress::WaitingForCustomer,
    )
}

/// The Orders API's create (a replay after a lost answer): `waiting` with the order's id.
async fn put_order(r: &Register, sale: &Sale, ends: DateTime<Utc>) -> Next {
    if r.now() >= ends {
        return expire(r, sale, "never sent, and older than an order's lifetime");
    }
    match orders::put(r, sale, ends).await {
        Ok(order) => on_the_pos(r, sale, ends, Some(order.id)),
        Err(e) if e.is_uncertain() || matches!(e, ApiError::InvalidToken(_)) => Next::Trouble(e),
        // Answered no: with its key, nothing of this create can land later.
        Err(e) => fail(r, sale, &e),
    }
}

fn fail(r: &Register, sale: &Sale, e: &ApiError) -> Next {
    let update = SaleUpdate {
        last_error: Some(Some(e.to_string())),
        ..Default::default()
    };
    go(
        r,
        sale,
        SaleState::Failed,
        &e.to_string(),
        update,
        Progress::Failed {
            message: e.to_string(),
            code: e.error_key().map(str::to_owned),
        },
    )
}

async fn waiting(r: &Register, sale: &Sale, w: &mut Watch) -> Next {
    let now = r.now();
    let expires = lifetime_end(r, sale);
    if now >= expires {
        return expire(r, sale, "order lifetime over");
    }
    let _turn = r.looking(sale.id).await;
    let v = match search(r, sale).await {
        Ok(v) => v,
        Err(e) => return Next::Trouble(e),
    };
    if v.collected >= sale.total {
        let detail = paid_detail(sale, v.collected);
        return go(
            r,
            sale,
            SaleState::Paid,
            &detail,
            seen(&v),
            Progress::Paid { paid: v.collected },
        );
    }
    let mut update = None;
    if differs(sale, &v) {
        update = Some(seen(&v));
    }
    // The doubt of an earlier put is over: the order on the POS is this sale's own.
    if sale.pos_doubt_until.is_some_and(|t| t <= now) {
        update.get_or_insert_with(Default::default).pos_doubt_until = Some(None);
    }
    let sale = match update {
        Some(u) => match r.journal().note(sale.id, u, now) {
            Ok(s) => s,
            Err(e) => return Next::Trouble(journal_trouble(e)),
        },
        None => sale.clone(),
    };
    let progress = progress_of(&v.observed);
    if w.shown.as_ref() != Some(&progress) {
        r.emit(&sale, progress.clone());
        w.shown = Some(progress);
    }
    let age = (now - sale.created_at).to_std().unwrap_or_default();
    let until_expiry = (expires - now).to_std().unwrap_or_default();
    Next::After(
        r.config()
            .schedule
            .next(age)
            .min(until_expiry + Duration::from_millis(10)),
    )
}

/// Cancel or expiry: withdraw the order, then look once more; a payment found then wins, one
/// still in process makes the sale pending.
async fn giving_up(r: &Register, sale: &Sale, w: &mut Watch) -> Next {
    if let Err(e) = withdraw(r, sale).await {
        return Next::Trouble(e);
    }
    let sale = match r.journal().get(sale.id) {
        Ok(s) => s,
        Err(e) => return Next::Trouble(journal_trouble(e)),
    };
    let _turn = r.looking(sale.id).await;
    let v = match search(r, &sale).await {
        Ok(v) => v,
        Err(e) => return Next::Trouble(e),
    };
    let cancelled = sale.state == SaleState::Cancelling;
    if v.collected >= sale.total {
        let detail = format!(
            "the payment arrived before the order was withdrawn; {}",
            paid_detail(&sale, v.collected)
        );
        return go(
            r,
            &sale,
            SaleState::Paid,
            &detail,
            seen(&v),
            Progress::Paid { paid: v.collected },
        );
    }
    if v.in_process {
        let update = SaleUpdate {
            ends_as: Some(if cancelled {
                SaleState::Cancelled
            } else {
                SaleState::Expired
            }),
            ..seen(&v)
        };
        return go(
            r,
            &sale,
            SaleState::Pending,
            "order withdrawn; a payment is still being processed by Mercado Pago",
            update,
            Progress::Pending,
        );
    }
    // An earlier request may still put the order back: withdraw once more when that is over.
    if let Some(left) = doubt_left(&sale, r.now()) {
        if let Err(e) = note_money(r, &sale, &v) {
            return Next::Trouble(journal_trouble(e));
        }
        if w.shown != Some(Progress::Cancelling) {
            r.emit(&sale, Progress::Cancelling);
            w.shown = Some(Progress::Cancelling);
        }
        return Next::After(left);
    }
    let (to, progress, what) = if cancelled {
        (SaleState::Cancelled, Progress::Cancelled, "order withdrawn")
    } else {
        (SaleState::Expired, Progress::Expired, "order expired")
    };
    let c = sale.currency;
    let detail = if v.collected > Decimal::ZERO {
        format!(
            "{what}; {} {c} collected of {} {c}, to give back",
            c.rescale(v.collected),
            c.rescale(sale.total)
        )
    } else {
        format!("{what}, no payment found")
    };
    go(r, &sale, to, &detail, seen(&v), progress)
}

/// A payment Mercado Pago is still processing: looked at now and then until it is resolved.
async fn pending(r: &Register, sale: &Sale, w: &mut Watch) -> Next {
    let _turn = r.looking(sale.id).await;
    let v = match search(r, sale).await {
        Ok(v) => v,
        Err(e) => return Next::Trouble(e),
    };
    // Refused: an Orders API order waits for its customer again, so it is cancelled first
    // (whether or not its cart was taken in cash meanwhile).
    if !v.in_process && sale.api == Api::Orders && v.payable {
        return match withdraw(r, sale).await {
            Ok(()) => Next::Now,
            Err(e) => Next::Trouble(e),
        };
    }
    // Its cart was taken in cash meanwhile (the cashier confirmed it): what it collects is the
    // customer's twice over, held on the sale as it was given up, to give back.
    if let (Some(by), false) = (sale.finished_by, v.in_process) {
        let (to, progress) = given_up_as(sale);
        let approved = if v.collected > Decimal::ZERO {
            "the pending payment was approved"
        } else {
            "the pending payment was not approved"
        };
        let detail = format!("{approved}; finished in cash by sale {by}");
        return go(r, sale, to, &detail, seen(&v), progress);
    }
    if v.collected >= sale.total {
        let detail = format!("the pending payment was approved; {}", paid_detail(sale, v.collected));
        return go(
            r,
            sale,
            SaleState::Paid,
            &detail,
            seen(&v),
            Progress::Paid { paid: v.collected },
        );
    }
    if v.in_process {
        if let Err(e) = note_money(r, sale, &v) {
            return Next::Trouble(journal_trouble(e));
        }
        if w.shown != Some(Progress::Pending) {
            r.emit(sale, Progress::Pending);
            w.shown = Some(Progress::Pending);
        }
        return Next::After(r.config().schedule.pending_every);
    }
    let (to, progress) = given_up_as(sale);
    go(r, sale, to, "the pending payment was not approved", seen(&v), progress)
}

/// How a pending sale ends once its payment is resolved without paying it: as it was given up
/// (cancelled or expired).
fn given_up_as(sale: &Sale) -> (SaleState, Progress) {
    let to = sale
        .ends_as
        .filter(|s| sale.state.may_become(*s))
        .unwrap_or(SaleState::Cancelled);
    let progress = if to == SaleState::Expired {
        Progress::Expired
    } else {
        Progress::Cancelled
    };
    (to, progress)
}

/// A sale that ended: its last POS doubt is cleared (the order withdrawn once more when it is
/// over), and its money is looked at now and then while some may still arrive (a second
/// payment, a late one, one that was in process).
async fn after_end(r: &Register, sale: &Sale, w: &mut Watch) -> Next {
    let now = r.now();
    let schedule = r.config().schedule;
    let doubt = doubt_left(sale, now);
    if doubt.is_none() && sale.pos_doubt_until.is_some() {
        // The journal lets no other sale begin on the POS while this one is in doubt, so this
        // withdraws nothing but what this sale's own lost request may have put there.
        return match withdraw(r, sale).await {
            Ok(()) => Next::Now,
            Err(e) => Next::Trouble(e),
        };
    }
    if sale.state == SaleState::Failed {
        return doubt.map_or(Next::Stop, Next::After);
    }
    // A woken sale is looked at once, whatever may still change it.
    if w.looked && !may_still_change(sale, now, &schedule) {
        return Next::Stop;
    }
    let _turn = r.looking(sale.id).await;
    let v = match search(r, sale).await {
        Ok(v) => v,
        Err(e) => return Next::Trouble(e),
    };
    w.looked = true;
    // A payment after the sale ended pays it late; unless its cart was taken in cash: then it is
    // held, to give back (the customer paid twice).
    if matches!(sale.state, SaleState::Cancelled | SaleState::Expired)
        && v.collected >= sale.total
        && sale.finished_by.is_none()
    {
        let update = SaleUpdate {
            late: Some(true),
            ..seen(&v)
        };
        let detail = format!(
            "paid late, after it was {}; {}",
            sale.state,
            paid_detail(sale, v.collected)
        );
        return go(
            r,
            sale,
            SaleState::Paid,
            &detail,
            update,
            Progress::Paid { paid: v.collected },
        );
    }
    if let Err(e) = note_money(r, sale, &v) {
        return Next::Trouble(journal_trouble(e));
    }
    let every = if now >= late_window_end(sale, &schedule) && v.in_process && !v.payable {
        schedule.pending_every
    } else {
        schedule.late_every
    };
    Next::After(doubt.map_or(every, |d| d.min(every)))
}

fn progress_of(o: &Observed) -> Progress {
    match o {
        Observed::NotScanned => Progress::WaitingForCustomer,
        Observed::Scanned => Progress::Scanned,
        Observed::InProcess => Progress::PaymentInProcess,
        Observed::Rejected => Progress::PaymentRejected,
        Observed::PartiallyPaid { paid } => Progress::PartiallyPaid { paid: *paid },
        Observed::Paid { paid } => Progress::Paid { paid: *paid },
    }
}

fn paid_detail(sale: &Sale, paid: Decimal) -> String {
    let c = sale.currency;
    if paid > sale.total {
        let over = c.rescale(paid - sale.total);
        format!("paid {} {c}: {over} more than the total", c.rescale(paid))
    } else {
        format!("paid {} {c}", c.rescale(paid))
    }
}
