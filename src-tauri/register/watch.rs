//! The watcher of one sale: a loop that reads the sale's state from the journal and does what
//! that state needs next, until the sale is settled. It never gives up silently: errors are
//! journaled, shown as "connection trouble", and retried with backoff.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::Notify;

use super::{judge, Observed, PollSchedule, Progress, Register, Verdict};
use crate::mercadopago::merchant_orders::MerchantOrderQuery;
use crate::mercadopago::ApiError;
use crate::sale::journal::SaleUpdate;
use crate::sale::{JournalError, Sale, SaleId, SaleState};

/// What the loop does after a step.
enum Next {
    Now,
    After(Duration),
    Trouble(ApiError),
    Stop,
}

/// How long a sale being given up waits for a payment in process before it is let go (the late
/// watch still catches it if it is approved after).
const HOLD_FOR_PAYMENT_IN_PROCESS: chrono::TimeDelta = chrono::TimeDelta::seconds(120);

pub(super) fn in_late_window(sale: &Sale, now: DateTime<Utc>, schedule: &PollSchedule) -> bool {
    let from = sale.expires_at.unwrap_or(sale.updated_at).max(sale.updated_at);
    now < from + chrono::Duration::from_std(schedule.late_for).unwrap_or_default()
}

struct Watch {
    last_seen: Option<Observed>,
    errors: u32,
    hold_since: Option<DateTime<Utc>>,
}

pub(super) async fn run(r: &Register, id: SaleId, wake: Arc<Notify>) {
    let schedule = r.config().schedule;
    let mut w = Watch {
        last_seen: None,
        errors: 0,
        hold_since: None,
    };
    loop {
        let sale = match r.journal().get(id) {
            Ok(s) => s,
            Err(JournalError::NoSuchSale(_)) => return,
            Err(e) => {
                tracing::error!(sale = id, error = %e, "cannot read the journal; retrying");
                tokio::time::sleep(schedule.max_backoff).await;
                continue;
            }
        };
        let next = match sale.state {
            SaleState::Creating => creating(r, &sale).await,
            SaleState::Waiting => waiting(r, &sale, &mut w).await,
            SaleState::Cancelling | SaleState::Expiring => giving_up(r, &sale, &mut w).await,
            SaleState::Cancelled | SaleState::Expired => late_watch(r, &sale).await,
            SaleState::Paid | SaleState::Failed => Next::Stop,
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
                w.last_seen = None;
                if w.errors == 1 {
                    let _ = r.note_error(&sale, &e);
                }
                tracing::warn!(sale = id, errors = w.errors, error = %e, "still checking");
                let retry_after = match &e {
                    ApiError::RateLimited { retry_after, .. } => *retry_after,
                    _ => None,
                };
                schedule.backoff(w.errors, retry_after)
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = wake.notified() => {}
        }
    }
}

async fn search(r: &Register, sale: &Sale) -> Result<Verdict, ApiError> {
    let found = r
        .inner
        .client
        .search_merchant_orders(&MerchantOrderQuery::by_reference(&sale.external_reference))
        .await?;
    Ok(judge(
        &found.elements,
        &sale.external_reference,
        sale.total,
        sale.currency,
    ))
}

fn seen(verdict: &Verdict) -> SaleUpdate {
    SaleUpdate {
        merchant_order_ids: Some(verdict.merchant_order_ids.clone()),
        payment_ids: Some(verdict.payment_ids.clone()),
        last_error: Some(None),
        ..Default::default()
    }
}

/// Moves the sale and tells the screen; a journal error is retried like a network one.
fn go(
    r: &Register,
    sale: &Sale,
    from: &[SaleState],
    to: SaleState,
    detail: &str,
    update: SaleUpdate,
    progress: Progress,
) -> Next {
    match r.journal().transition(sale.id, from, to, detail, update, r.now()) {
        Ok(Some(moved)) => {
            r.step(&moved, progress);
            Next::Now
        }
        // Someone else (a cancel) moved it first: read it again.
        Ok(None) => Next::Now,
        Err(e) => Next::Trouble(ApiError::Network(format!("the journal refused the step: {e}"))),
    }
}

/// Starts withdrawing the order of a sale whose time is over (`expiring`, then `expired`).
fn expire(r: &Register, sale: &Sale, detail: &str) -> Next {
    go(
        r,
        sale,
        &[sale.state],
        SaleState::Expiring,
        detail,
        SaleUpdate::default(),
        Progress::Cancelling,
    )
}

/// A sale whose order may or may not be on the POS: search before anything is sent again.
async fn creating(r: &Register, sale: &Sale) -> Next {
    let ttl = chrono::Duration::from_std(r.config().order_ttl).unwrap_or_default();
    match search(r, sale).await {
        Ok(v) if v.observed != Observed::NotScanned => {
            let update = SaleUpdate {
                expires_at: Some(r.now() + ttl),
                ..seen(&v)
            };
            return go(
                r,
                sale,
                &[SaleState::Creating],
                SaleState::Waiting,
                "order found on the POS",
                update,
                Progress::WaitingForCustomer,
            );
        }
        Ok(_) => {}
        Err(e) => return Next::Trouble(e),
    }
    // Left here by a crash longer ago than an order lives (the register stayed off): the
    // customer has gone, so nothing is sent now, and the sale ends as expired (any order that
    // did reach the POS is withdrawn on the way).
    if r.now() >= sale.created_at + ttl {
        return expire(r, sale, "never sent, and older than an order's lifetime");
    }
    match r.create_order(sale).await {
        Ok(_) => Next::Now,
        Err(e) if e.is_uncertain() => Next::Trouble(e),
        Err(e) => match r.fail(sale, &e) {
            Ok(()) => Next::Now,
            Err(j) => Next::Trouble(ApiError::Network(j.to_string())),
        },
    }
}

async fn waiting(r: &Register, sale: &Sale, w: &mut Watch) -> Next {
    let now = r.now();
    let expires = sale.expires_at.unwrap_or(now);
    if now >= expires {
        return expire(r, sale, "order lifetime over");
    }
    let v = match search(r, sale).await {
        Ok(v) => v,
        Err(e) => return Next::Trouble(e),
    };
    if let Observed::Paid { paid } = v.observed {
        let update = SaleUpdate {
            paid_amount: Some(paid),
            ..seen(&v)
        };
        let detail = paid_detail(sale, paid);
        return go(
            r,
            sale,
            &[SaleState::Waiting],
            SaleState::Paid,
            &detail,
            update,
            Progress::Paid { paid },
        );
    }
    if w.last_seen.as_ref() != Some(&v.observed) {
        if v.merchant_order_ids != sale.merchant_order_ids || v.payment_ids != sale.payment_ids {
            let _ = r.journal().note(sale.id, seen(&v), now);
        }
        r.emit(sale, progress_of(&v.observed));
        w.last_seen = Some(v.observed);
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

/// Cancel or expiry: delete the order, then search once more; a payment found then wins.
async fn giving_up(r: &Register, sale: &Sale, w: &mut Watch) -> Next {
    let c = r.config();
    if let Err(e) = r.inner.client.delete_pos_order(c.user_id, &c.pos_external_id).await {
        return Next::Trouble(e);
    }
    let v = match search(r, sale).await {
        Ok(v) => v,
        Err(e) => return Next::Trouble(e),
    };
    let from = [sale.state];
    if let Observed::Paid { paid } = v.observed {
        let update = SaleUpdate {
            paid_amount: Some(paid),
            ..seen(&v)
        };
        let detail = format!(
            "the payment arrived before the order was withdrawn; {}",
            paid_detail(sale, paid)
        );
        return go(
            r,
            sale,
            &from,
            SaleState::Paid,
            &detail,
            update,
            Progress::Paid { paid },
        );
    }
    let now = r.now();
    if v.observed == Observed::InProcess && now - *w.hold_since.get_or_insert(now) < HOLD_FOR_PAYMENT_IN_PROCESS {
        if w.last_seen.as_ref() != Some(&v.observed) {
            r.emit(sale, Progress::PaymentInProcess);
            w.last_seen = Some(v.observed);
        }
        return Next::After(c.schedule.fast);
    }
    let (to, progress, detail) = if sale.state == SaleState::Cancelling {
        (
            SaleState::Cancelled,
            Progress::Cancelled,
            "order withdrawn, no payment found",
        )
    } else {
        (SaleState::Expired, Progress::Expired, "order expired, no payment found")
    };
    go(r, sale, &from, to, detail, seen(&v), progress)
}

/// A given-up sale is searched now and then: a payment that arrives late is still found.
async fn late_watch(r: &Register, sale: &Sale) -> Next {
    let schedule = r.config().schedule;
    if !in_late_window(sale, r.now(), &schedule) {
        return Next::Stop;
    }
    match search(r, sale).await {
        Ok(Verdict {
            observed: Observed::Paid { paid },
            merchant_order_ids,
            payment_ids,
        }) => {
            let v = Verdict {
                observed: Observed::Paid { paid },
                merchant_order_ids,
                payment_ids,
            };
            let update = SaleUpdate {
                paid_amount: Some(paid),
                late: Some(true),
                ..seen(&v)
            };
            let detail = format!("paid late, after it was {}; {}", sale.state, paid_detail(sale, paid));
            go(
                r,
                sale,
                &[sale.state],
                SaleState::Paid,
                &detail,
                update,
                Progress::Paid { paid },
            )
        }
        Ok(_) => Next::After(schedule.late_every),
        Err(e) => Next::Trouble(e),
    }
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

fn paid_detail(sale: &Sale, paid: rust_decimal::Decimal) -> String {
    let c = sale.currency;
    if paid > sale.total {
        let over = c.rescale(paid - sale.total);
        format!("paid {} {c}: {over} more than the total", c.rescale(paid))
    } else {
        format!("paid {} {c}", c.rescale(paid))
    }
}
