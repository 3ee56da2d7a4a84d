//! The Orders API (`/v1/orders`) under the register: put a sale's order on its POS's QR, cancel
//! it, read it. Every write carries an idempotency key journaled before its first send and sent
//! again, unchanged, on every retry: a create whose answer was lost is replayed with the same
//! key and the same body, and answers the same order, never a second one. So no doubt is left
//! on the POS, and a sale always learns its order's id before it gives it up.

use super::{judge_order, judge_payments, Register, Verdict};
use crate::mercadopago::orders::{
    amount_text, duration_text, CreateOrder, NewPayment, NewTransactions, Order, OrderConfig, OrderItem, QrConfig,
    MAX_ITEMS,
};
use crate::mercadopago::ApiError;
use crate::sale::journal::SaleUpdate;
use crate::sale::Sale;

/// A key for one operation: a UUID v4, as the contract asks.
fn new_key() -> String {
    let b: [u8; 16] = std::array::from_fn(|i| match i {
        6 => (fastrand::u8(..) & 0x0f) | 0x40,
        8 => (fastrand::u8(..) & 0x3f) | 0x80,
        _ => fastrand::u8(..),
    });
    let h = hex::encode(b);
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

fn journal_error(e: crate::sale::JournalError) -> ApiError {
    super::watch::journal_trouble(e)
}

/// Reads the sale's order; without an id (its create's answer was never had), the payments
/// of its reference.
pub(super) async fn look(r: &Register, sale: &Sale) -> Result<Verdict, ApiError> {
    if let Some(id) = &sale.order_id {
        match r.client().order(id).await {
            Ok(order) => return Ok(judge_order(&order, sale.total, sale.currency)),
            // Older than Mercado Pago keeps orders (3 months): what its payments say.
            Err(ApiError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    let reference = sale.order_reference();
    let found = r.client().search_payments(&reference).await?;
    Ok(judge_payments(&found.results, &reference, sale.total, sale.currency))
}

/// Creates the sale's order (or replays its create) and journals its id. The key, and the
/// lifetime the body states, are journaled before the first send, so every replay sends the
/// same body.
pub(super) async fn put(
    r: &Register,
    sale: &Sale,
    lifetime_end: chrono::DateTime<chrono::Utc>,
) -> Result<Order, ApiError> {
    let sale = if sale.order_key.is_none() || sale.expires_at.is_none() {
        let update = SaleUpdate {
            order_key: Some(sale.order_key.clone().unwrap_or_else(new_key)),
            expires_at: Some(sale.expires_at.unwrap_or(lifetime_end)),
            ..Default::default()
        };
        r.journal().note(sale.id, update, r.now()).map_err(journal_error)?
    } else {
        sale.clone()
    };
    let key = sale.order_key.clone().unwrap_or_default();
    let order = r.client().create_order(&order_body(r, &sale), &key).await?;
    let update = SaleUpdate {
        order_id: Some(order.id.clone()),
        ..Default::default()
    };
    r.journal().note(sale.id, update, r.now()).map_err(journal_error)?;
    Ok(order)
}

/// How long Mercado Pago keeps an idempotency key (and the answer of its request).
const KEYS_KEPT: chrono::Duration = chrono::Duration::hours(24);

/// Cancels the sale's order. Without its id (a create was sent and never answered), the create
/// is replayed with its key first to learn it, whatever the time: a create may land late, and
/// its order lives its `expiration_time` from when it landed, not from when the sale began.
/// While it is still in process the replay meets `423` and the withdraw is tried again later;
/// a replay that makes the order only now has it cancelled at once. Past the key's 24 hours
/// nothing is replayed. A 409 on the cancel means the order is not `created` any more: the
/// look that follows says what it became.
pub(super) async fn withdraw(
    r: &Register,
    sale: &Sale,
    lifetime_end: chrono::DateTime<chrono::Utc>,
) -> Result<(), ApiError> {
    let id = match &sale.order_id {
        Some(id) => id.clone(),
        None if sale.order_key.is_none() || r.now() >= sale.created_at + KEYS_KEPT => return Ok(()),
        None => put(r, sale, lifetime_end).await?.id,
    };
    let sale = r.journal().get(sale.id).map_err(journal_error)?;
    let key = match &sale.cancel_key {
        Some(k) => k.clone(),
        None => {
            let k = new_key();
            let update = SaleUpdate {
                cancel_key: Some(k.clone()),
                ..Default::default()
            };
            r.journal().note(sale.id, update, r.now()).map_err(journal_error)?;
            k
        }
    };
    match r.client().cancel_order(&id, &key).await {
        Ok(_) | Err(ApiError::NotFound(_)) => Ok(()),
        Err(ApiError::Validation { status: 409, .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

/// The body of the sale's order: the same on every replay (nothing in it depends on when it is
/// sent). Items go with it when there are at most ten, else the description names the sale.
fn order_body(r: &Register, sale: &Sale) -> CreateOrder {
    let c = sale.currency;
    let total = amount_text(sale.total, c);
    let lifetime = sale
        .expires_at
        .map(|e| (e - sale.created_at).to_std().unwrap_or_default())
        .unwrap_or(r.config().order_ttl);
    let items = (sale.lines.len() <= MAX_ITEMS).then(|| {
        sale.lines
            .iter()
            .map(|l| {
                let item = l.sent_item(c);
                OrderItem {
                    title: item.title.chars().take(150).collect(),
                    unit_price: amount_text(item.unit_price, c),
                    quantity: item.quantity,
                    unit_measure: "unit",
                    external_code: l.sku.clone().map(|s| s.chars().take(30).collect()),
                }
            })
            .collect()
    });
    CreateOrder {
        kind: "qr",
        external_reference: sale.order_reference(),
        total_amount: total.clone(),
        description: format!("Venta {} - {}", sale.id, sale.pos_external_id)
            .chars()
            .take(150)
            .collect(),
        expiration_time: duration_text(lifetime),
        config: OrderConfig {
            qr: QrConfig {
                external_pos_id: sale.pos_external_id.clone(),
                mode: "static".into(),
            },
        },
        transactions: NewTransactions {
            payments: vec![NewPayment { amount: total }],
        },
        items,
    }
}
