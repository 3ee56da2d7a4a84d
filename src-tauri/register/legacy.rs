//! The attended model (`/mpmobile/instore/qr/…` and merchant orders) under the register: put a
//! sale's order on its POS, withdraw it, look at its merchant orders.
//!
//! The POS holds one order, replaced by each create and removed by a delete, by POS and not by
//! order: a create or a delete whose answer was lost may still land, and would then replace or
//! remove another sale's order. So before each such request the sale journals how long that
//! doubt lasts (`pos_doubt_until`); while it lasts the sale holds its POS (the journal lets no
//! other sale begin there), and a sale that ends meanwhile withdraws the order once more when it
//! is over (see the watcher).

use std::future::Future;
use std::time::Duration;

use super::{judge, Register, Verdict};
use crate::mercadopago::instore_orders::{CreateOrder, OrderItem};
use crate::mercadopago::merchant_orders::MerchantOrderQuery;
use crate::mercadopago::ApiError;
use crate::sale::journal::SaleUpdate;
use crate::sale::Sale;

/// Searches the sale's merchant orders and judges its money.
pub(super) async fn look(r: &Register, sale: &Sale) -> Result<Verdict, ApiError> {
    let found = r
        .client()
        .search_merchant_orders(&MerchantOrderQuery::by_reference(&sale.external_reference))
        .await?;
    Ok(judge(
        &found.elements,
        &sale.external_reference,
        sale.total,
        sale.currency,
    ))
}

/// Puts the sale's order on its POS, living `ttl` (what is left of the sale's lifetime).
pub(super) async fn put(r: &Register, sale: &Sale, ttl: Duration) -> Result<(), ApiError> {
    let body = order_body(r, sale);
    let create = r.client().create_pos_order(
        sale.user_id,
        &sale.pos_external_id,
        &body,
        Some(Duration::from_secs(ttl.as_secs().max(1))),
    );
    pos_write(r, sale, create).await.map(|_| ())
}

/// Takes the sale's order off its own POS (not the register's current one: a sale finishes
/// where it began). "There was none" counts as done.
pub(super) async fn withdraw(r: &Register, sale: &Sale) -> Result<(), ApiError> {
    pos_write(
        r,
        sale,
        r.client().delete_pos_order(sale.user_id, &sale.pos_external_id),
    )
    .await
}

/// Sends a request that changes the sale's POS with its doubt journaled first; an answer (yes
/// or no) lifts the doubt again, back to what an earlier unanswered request left.
async fn pos_write<T>(
    r: &Register,
    sale: &Sale,
    send: impl Future<Output = Result<T, ApiError>>,
) -> Result<T, ApiError> {
    let now = r.now();
    let earlier = sale.pos_doubt_until.filter(|t| *t > now);
    let doubt = now + chrono::Duration::from_std(r.config().schedule.pos_doubt).unwrap_or_default();
    let until = earlier.map_or(doubt, |e| e.max(doubt));
    let before = SaleUpdate {
        pos_doubt_until: Some(Some(until)),
        ..Default::default()
    };
    r.journal()
        .note(sale.id, before, now)
        .map_err(super::watch::journal_trouble)?;
    let out = send.await;
    let answered = match &out {
        Ok(_) => true,
        Err(e) => !e.is_uncertain(),
    };
    if answered {
        let after = SaleUpdate {
            pos_doubt_until: Some(earlier),
            ..Default::default()
        };
        r.journal()
            .note(sale.id, after, r.now())
            .map_err(super::watch::journal_trouble)?;
    }
    out
}

fn order_body(r: &Register, sale: &Sale) -> CreateOrder {
    CreateOrder {
        external_reference: sale.external_reference.clone(),
        notification_url: r.config().notification_url.clone(),
        sponsor_id: None,
        items: sale
            .lines
            .iter()
            .map(|l| {
                let item = l.sent_item(sale.currency);
                OrderItem {
                    id: l.sku.clone(),
                    title: item.title,
                    description: l.description.clone(),
                    picture_url: None,
                    currency_id: sale.currency.code().to_owned(),
                    unit_price: item.unit_price,
                    quantity: item.quantity,
                }
            })
            .collect(),
        taxes: vec![],
    }
}
