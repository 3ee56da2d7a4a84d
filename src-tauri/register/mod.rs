//! The register: one sale's life on a POS (charge, watch, cancel, expire, recover). A watcher
//! task per open sale searches merchant orders by `external_reference` (the source of truth;
//! notifications only wake it) and every change is journaled first, then streamed as a
//! [`SaleEvent`].

mod judge;
pub mod listener;
mod schedule;
mod watch;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use tokio::sync::{broadcast, Notify};

use crate::mercadopago::instore_orders::{CreateOrder, OrderItem};
use crate::mercadopago::{ApiError, Client};
use crate::money::Currency;
use crate::sale::{Cart, CartError, Journal, JournalError, Sale, SaleId, SaleState};

pub use judge::{judge, Observed, Verdict};
pub use schedule::PollSchedule;

/// What time it is for the register. The real clock, except in demo mode, where the
/// sandbox's clock (which tests and the demo can move) rules.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

pub fn system_clock() -> Clock {
    Arc::new(Utc::now)
}

/// Called after each journaled step, before the request it announces (crash tests stop here).
pub type StepHook = Arc<dyn Fn(&Sale) + Send + Sync>;

#[derive(Clone)]
pub struct RegisterConfig {
    pub user_id: u64,
    pub pos_external_id: String,
    pub currency: Currency,
    pub order_ttl: Duration,
    pub notification_url: Option<String>,
    pub schedule: PollSchedule,
}

/// What the screen is told, once per change.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SaleEvent {
    pub sale_id: SaleId,
    pub external_reference: String,
    pub state: SaleState,
    pub progress: Progress,
    #[serde(with = "crate::money::json_amount")]
    pub total: Decimal,
    pub currency: Currency,
    pub late: bool,
    pub expires_at: Option<DateTime<Utc>>,
    pub at: DateTime<Utc>,
}

/// The line under the total on the waiting screen.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Progress {
    /// The order is being put on the POS.
    Sending,
    WaitingForCustomer,
    Scanned,
    PaymentInProcess,
    /// The customer's payment was refused; they may try again.
    PaymentRejected,
    PartiallyPaid {
        #[serde(with = "crate::money::json_amount")]
        paid: Decimal,
    },
    /// Mercado Pago cannot be reached; the register keeps trying.
    ConnectionTrouble {
        message: String,
    },
    Paid {
        #[serde(with = "crate::money::json_amount")]
        paid: Decimal,
    },
    Cancelling,
    Cancelled,
    Expired,
    Failed {
        message: String,
    },
}

/// Why the register refused or could not do what was asked.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RegisterError {
    #[error(transparent)]
    Cart(#[from] CartError),
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error("sale {sale_id} is still waiting on this register: finish or cancel it first")]
    Busy { sale_id: SaleId },
    #[error("Mercado Pago refused the sale: {0}")]
    Refused(ApiError),
    #[error("sale {sale_id} is {state}: it cannot be cancelled now")]
    NotCancellable { sale_id: SaleId, state: SaleState },
}

struct Inner {
    client: Client,
    journal: Arc<Journal>,
    config: RegisterConfig,
    clock: Clock,
    events: broadcast::Sender<SaleEvent>,
    watchers: Mutex<HashMap<SaleId, Arc<Notify>>>,
    on_step: Option<StepHook>,
}

#[derive(Clone)]
pub struct Register {
    inner: Arc<Inner>,
}

impl Register {
    pub fn new(client: Client, journal: Arc<Journal>, config: RegisterConfig, clock: Clock) -> Self {
        Self::with_hook(client, journal, config, clock, None)
    }

    pub fn with_hook(
        client: Client,
        journal: Arc<Journal>,
        config: RegisterConfig,
        clock: Clock,
        on_step: Option<StepHook>,
    ) -> Self {
        let (events, _) = broadcast::channel(1024);
        Register {
            inner: Arc::new(Inner {
                client,
                journal,
                config,
                clock,
                events,
                watchers: Mutex::new(HashMap::new()),
                on_step,
            }),
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<SaleEvent> {
        self.inner.events.subscribe()
    }

    pub fn journal(&self) -> &Arc<Journal> {
        &self.inner.journal
    }

    pub fn client(&self) -> &Client {
        &self.inner.client
    }

    pub fn config(&self) -> &RegisterConfig {
        &self.inner.config
    }

    pub fn now(&self) -> DateTime<Utc> {
        (self.inner.clock)()
    }

    /// The sale on this register that is not finished yet, if any.
    pub fn open_sale(&self) -> Result<Option<Sale>, JournalError> {
        let open = self.inner.journal.in_states(&[
            SaleState::Creating,
            SaleState::Waiting,
            SaleState::Cancelling,
            SaleState::Expiring,
        ])?;
        Ok(open
            .into_iter()
            .rev()
            .find(|s| s.pos_external_id == self.inner.config.pos_external_id))
    }

    /// Charges a cart: checks it, journals the sale, puts the order on the POS and starts
    /// watching. A refusal by Mercado Pago ends the sale `failed` and is returned; a
    /// connection problem leaves it `creating`, and the watcher keeps trying.
    pub async fn charge(&self, cart: &Cart) -> Result<Sale, RegisterError> {
        let config = &self.inner.config;
        let checked = cart.check(config.currency)?;
        if let Some(open) = self.open_sale()? {
            return Err(RegisterError::Busy { sale_id: open.id });
        }
        let sale = self
            .inner
            .journal
            .begin_sale(&config.pos_external_id, config.user_id, &checked, self.now())?;
        self.step(&sale, Progress::Sending);
        match self.create_order(&sale).await {
            Ok(waiting) => {
                self.watch(waiting.id);
                Ok(waiting)
            }
            Err(e) if e.is_uncertain() => {
                let sale = self.note_error(&sale, &e)?;
                self.watch(sale.id);
                Ok(sale)
            }
            Err(e) => {
                self.fail(&sale, &e)?;
                Err(RegisterError::Refused(e))
            }
        }
    }

    /// Asks to cancel a sale still waiting. The watcher deletes the order, searches once more
    /// and ends it `cancelled`, or `paid` if the customer's payment got there first.
    pub fn cancel(&self, sale_id: SaleId) -> Result<Sale, RegisterError> {
        let from = [SaleState::Creating, SaleState::Waiting];
        let now = self.now();
        match self.inner.journal.transition(
            sale_id,
            &from,
            SaleState::Cancelling,
            "cancel asked",
            Default::default(),
            now,
        )? {
            Some(sale) => {
                self.step(&sale, Progress::Cancelling);
                self.watch(sale_id);
                self.wake(sale_id);
                Ok(sale)
            }
            None => {
                let sale = self.inner.journal.get(sale_id)?;
                if sale.state == SaleState::Cancelling {
                    return Ok(sale);
                }
                Err(RegisterError::NotCancellable {
                    sale_id,
                    state: sale.state,
                })
            }
        }
    }

    /// Searches a sale now instead of at its next turn ("Check now", or a notification).
    pub fn wake(&self, sale_id: SaleId) {
        if let Some(n) = self
            .inner
            .watchers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&sale_id)
        {
            n.notify_one();
        }
    }

    /// A notification arrived. Its content is not trusted: the merchant order (or payment) it
    /// names is fetched with our own token, and the watched sale it belongs to searches now;
    /// when that fetch fails, every watched sale does.
    pub async fn cue(&self, cue: crate::mercadopago::notifications::Cue) {
        use crate::mercadopago::notifications::Cue;
        let reference = match cue {
            Cue::MerchantOrder(id) => self.inner.client.merchant_order(id).await.map(|m| m.external_reference),
            Cue::Payment(id) => self.inner.client.payment(id).await.map(|p| p.external_reference),
        };
        match reference {
            Ok(Some(r)) => match self.inner.journal.by_reference(&r) {
                Ok(Some(sale)) => self.wake(sale.id),
                Ok(None) => tracing::info!(?cue, "a notification for a sale of another register or app"),
                Err(_) => self.wake_all(),
            },
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(?cue, error = %e, "cannot read what the notification names: searching every sale");
                self.wake_all();
            }
        }
    }

    /// Every watched sale searches now.
    pub fn wake_all(&self) {
        for n in self.inner.watchers.lock().unwrap_or_else(|e| e.into_inner()).values() {
            n.notify_one();
        }
    }

    /// At start-up: resumes every sale that is not finished, and keeps checking recently
    /// given-up sales for a late payment. Returns how many it resumed.
    pub fn recover(&self) -> Result<usize, JournalError> {
        let journal = &self.inner.journal;
        let mut sales = journal.in_states(&[
            SaleState::Creating,
            SaleState::Waiting,
            SaleState::Cancelling,
            SaleState::Expiring,
        ])?;
        // A finished sale is in its late window for `late_for` after its expiry, which is at most
        // an order's longest lifetime (an hour, `Settings::ORDER_TTL_SECS`) after its last
        // change: older ones are not read.
        let late_for = chrono::Duration::from_std(self.inner.config.schedule.late_for).unwrap_or_default();
        let since = self.now() - late_for - chrono::Duration::hours(2);
        sales.extend(journal.changed_since(&[SaleState::Cancelled, SaleState::Expired], since)?);
        let mut resumed = 0;
        for sale in sales {
            if sale.state.is_open() || watch::in_late_window(&sale, self.now(), &self.inner.config.schedule) {
                tracing::info!(sale = sale.id, state = %sale.state, "resuming");
                self.watch(sale.id);
                resumed += 1;
            }
        }
        Ok(resumed)
    }

    /// The sales being watched now.
    pub fn watched(&self) -> Vec<SaleId> {
        self.inner
            .watchers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .copied()
            .collect()
    }

    // ---- shared by charge and the watcher ----

    fn order_body(&self, sale: &Sale) -> CreateOrder {
        CreateOrder {
            external_reference: sale.external_reference.clone(),
            notification_url: self.inner.config.notification_url.clone(),
            sponsor_id: None,
            items: sale
                .lines
                .iter()
                .map(|l| OrderItem {
                    id: l.sku.clone(),
                    title: l.title.clone(),
                    description: l.description.clone(),
                    picture_url: None,
                    currency_id: sale.currency.code().to_owned(),
                    unit_price: sale.currency.rescale(l.unit_price),
                    quantity: l.quantity,
                })
                .collect(),
            taxes: vec![],
        }
    }

    /// Puts the sale's order on the POS (safe to repeat: last write wins, same reference) and
    /// journals `waiting` with its expiry.
    async fn create_order(&self, sale: &Sale) -> Result<Sale, ApiError> {
        let c = &self.inner.config;
        self.inner
            .client
            .create_pos_order(c.user_id, &c.pos_external_id, &self.order_body(sale), Some(c.order_ttl))
            .await?;
        let now = self.now();
        let expires = now + chrono::Duration::from_std(c.order_ttl).unwrap_or_default();
        let update = crate::sale::journal::SaleUpdate {
            expires_at: Some(expires),
            last_error: Some(None),
            ..Default::default()
        };
        match self.inner.journal.transition(
            sale.id,
            &[SaleState::Creating],
            SaleState::Waiting,
            "order on the POS",
            update,
            now,
        ) {
            Ok(Some(waiting)) => {
                self.step(&waiting, Progress::WaitingForCustomer);
                Ok(waiting)
            }
            // Cancelled while the order was being sent: the watcher deletes it.
            Ok(None) => Ok(self.inner.journal.get(sale.id).unwrap_or_else(|_| sale.clone())),
            Err(e) => Err(ApiError::Network(format!("the journal refused the step: {e}"))),
        }
    }

    fn fail(&self, sale: &Sale, e: &ApiError) -> Result<(), JournalError> {
        let update = crate::sale::journal::SaleUpdate {
            last_error: Some(Some(e.to_string())),
            ..Default::default()
        };
        if let Some(failed) = self.inner.journal.transition(
            sale.id,
            &[SaleState::Creating],
            SaleState::Failed,
            &e.to_string(),
            update,
            self.now(),
        )? {
            self.step(&failed, Progress::Failed { message: e.to_string() });
        }
        Ok(())
    }

    fn note_error(&self, sale: &Sale, e: &ApiError) -> Result<Sale, JournalError> {
        let update = crate::sale::journal::SaleUpdate {
            last_error: Some(Some(e.to_string())),
            ..Default::default()
        };
        let sale = self.inner.journal.note(sale.id, update, self.now())?;
        self.emit(&sale, Progress::ConnectionTrouble { message: e.to_string() });
        Ok(sale)
    }

    /// After a journaled step: the hook, then the event.
    fn step(&self, sale: &Sale, progress: Progress) {
        if let Some(hook) = &self.inner.on_step {
            hook(sale);
        }
        self.emit(sale, progress);
    }

    fn emit(&self, sale: &Sale, progress: Progress) {
        tracing::info!(sale = sale.id, state = %sale.state, ?progress, "sale event");
        let _ = self.inner.events.send(SaleEvent {
            sale_id: sale.id,
            external_reference: sale.external_reference.clone(),
            state: sale.state,
            progress,
            total: sale.total,
            currency: sale.currency,
            late: sale.late,
            expires_at: sale.expires_at,
            at: self.now(),
        });
    }

    /// Starts the watcher of a sale unless one runs already.
    fn watch(&self, sale_id: SaleId) {
        let notify = {
            let mut w = self.inner.watchers.lock().unwrap_or_else(|e| e.into_inner());
            if w.contains_key(&sale_id) {
                return;
            }
            let n = Arc::new(Notify::new());
            w.insert(sale_id, n.clone());
            n
        };
        let register = self.clone();
        tokio::spawn(async move {
            watch::run(&register, sale_id, notify).await;
            register
                .inner
                .watchers
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&sale_id);
        });
    }
}

impl RegisterError {
    /// Mercado Pago's refusal, when that is what it was.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            RegisterError::Refused(e) => Some(e),
            _ => None,
        }
    }
}
