//! The register: one sale's life on a POS (charge, watch, cancel, expire, recover). A watcher
//! task per sale does every request of it: it puts the order on the POS, searches merchant
//! orders by `external_reference` (the source of truth; notifications only wake it), withdraws
//! the order, and watches the money until nothing can change it any more. Every change is
//! journaled first, then streamed as a [`SaleEvent`].

mod judge;
mod legacy;
pub mod listener;
mod orders;
mod schedule;
mod watch;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use secrecy::SecretString;
use serde::Serialize;
use tokio::sync::{broadcast, Notify};

use crate::mercadopago::{Api, ApiError, Client};
use crate::money::Currency;
use crate::sale::{Cart, CartError, CashError, CashPayment, Journal, JournalError, Outcome, Sale, SaleId, SaleState};

pub use judge::{judge, judge_order, judge_payments, Observed, Refundable, Verdict};
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
    /// The API new sales begin on (each sale finishes on its own).
    pub api: Api,
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
    #[serde(with = "crate::money::json_amount")]
    pub collected: Decimal,
    pub outcome: Outcome,
    pub attention: bool,
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
    /// Mercado Pago refuses the access token (revoked, say); a new token takes over.
    TokenRefused,
    Paid {
        #[serde(with = "crate::money::json_amount")]
        paid: Decimal,
    },
    Cancelling,
    Cancelled,
    Expired,
    /// Given up with a payment still in process: the register is free, the sale is watched.
    Pending,
    Failed {
        message: String,
        /// Mercado Pago's error code, when it gave one (`pos_not_found`, `unsupported_site`…).
        code: Option<String>,
    },
    /// What Mercado Pago holds for a sale that ended changed (a second payment, a late one).
    MoneyChanged,
    /// A cash sale, journaled paid at the counter.
    PaidInCash,
}

/// How a sale's watcher is woken: a wake that comes as the watcher stops is never lost (it
/// runs again).
#[derive(Default)]
pub(crate) struct Wake {
    notify: Notify,
    pending: AtomicBool,
}

impl Wake {
    fn wake(&self) {
        self.pending.store(true, Ordering::SeqCst);
        self.notify.notify_one();
    }

    /// Waits for a wake, or `wait` to pass.
    pub(crate) async fn sleep(&self, wait: Duration) {
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = self.notify.notified() => {}
        }
        self.pending.store(false, Ordering::SeqCst);
    }
}

/// Why the register refused or could not do what was asked.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RegisterError {
    #[error(transparent)]
    Cart(#[from] CartError),
    #[error(transparent)]
    Journal(JournalError),
    #[error("sale {sale_id} still holds this register: finish or cancel it first")]
    Busy { sale_id: SaleId },
    #[error("a charge is already being sent")]
    Charging,
    #[error("sale {sale_id} has a payment Mercado Pago is still processing: charging again may charge twice")]
    PendingPayment { sale_id: SaleId },
    #[error(
        "the POS {pos} lets the customer type any amount (fixed_amount is off): create a POS for this register in Settings"
    )]
    PosNotFixedAmount { pos: String },
    #[error("sale {sale_id} is {state}: it cannot be cancelled now")]
    NotCancellable { sale_id: SaleId, state: SaleState },
    #[error(transparent)]
    Cash(#[from] CashError),
}

impl From<JournalError> for RegisterError {
    fn from(e: JournalError) -> Self {
        match e {
            JournalError::PosHeld(sale_id) => RegisterError::Busy { sale_id },
            e => RegisterError::Journal(e),
        }
    }
}

struct Inner {
    client: Client,
    journal: Arc<Journal>,
    config: RegisterConfig,
    clock: Clock,
    events: broadcast::Sender<SaleEvent>,
    watchers: Mutex<HashMap<SaleId, Arc<Wake>>>,
    /// One look at Mercado Pago and its journal write at a time per sale (a watcher, a refund).
    looking: Mutex<HashMap<SaleId, Weak<tokio::sync::Mutex<()>>>>,
    on_step: Option<StepHook>,
    /// Where the watchers run, whoever starts them (a command on the window's main thread too).
    runtime: tokio::runtime::Handle,
    /// One charge in flight at a time.
    charging: tokio::sync::Mutex<()>,
    pos_checked: AtomicBool,
    /// When a notification last woke each sale.
    cued: Mutex<HashMap<SaleId, std::time::Instant>>,
    /// When a notification last woke every sale.
    woke_all: Mutex<Option<std::time::Instant>>,
    /// The watchers' tasks, ended by [`Register::shutdown`].
    tasks: Mutex<HashMap<SaleId, tokio::task::AbortHandle>>,
    stopped: AtomicBool,
}

#[derive(Clone)]
pub struct Register {
    inner: Arc<Inner>,
}

impl Register {
    /// Must be called inside a Tokio runtime: the register's tasks run on it.
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
                looking: Mutex::new(HashMap::new()),
                on_step,
                runtime: tokio::runtime::Handle::current(),
                charging: tokio::sync::Mutex::new(()),
                pos_checked: AtomicBool::new(false),
                cued: Mutex::new(HashMap::new()),
                woke_all: Mutex::new(None),
                tasks: Mutex::new(HashMap::new()),
                stopped: AtomicBool::new(false),
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

    /// The sale holding this register's POS, if any: open, or with a request that may still
    /// put an order there.
    pub fn open_sale(&self) -> Result<Option<Sale>, JournalError> {
        let c = &self.inner.config;
        self.inner.journal.holder(c.user_id, &c.pos_external_id)
    }

    /// A sale of this register that must still end (open, pending or in doubt): while one
    /// exists, the account and the POS may not change under it.
    pub fn unfinished_sale(&self) -> Result<Option<Sale>, JournalError> {
        if let Some(open) = self.open_sale()? {
            return Ok(Some(open));
        }
        Ok(self.pending_sales()?.pop())
    }

    fn pending_sales(&self) -> Result<Vec<Sale>, JournalError> {
        let c = &self.inner.config;
        Ok(self
            .inner
            .journal
            .in_states(&[SaleState::Pending])?
            .into_iter()
            .filter(|s| s.user_id == c.user_id && s.pos_external_id == c.pos_external_id)
            .collect())
    }

    /// Charges a cart: checks it, journals the sale and hands it to its watcher, which puts
    /// the order on the POS; the screen follows its events. Refused while another sale holds the
    /// POS, and while a payment of an earlier sale is still in process unless `despite_pending`
    /// (the cashier confirmed: it may charge the customer twice).
    pub async fn charge(&self, cart: &Cart, despite_pending: bool) -> Result<Sale, RegisterError> {
        let config = &self.inner.config;
        let checked = cart.check(config.currency)?;
        let _one = self.inner.charging.try_lock().map_err(|_| RegisterError::Charging)?;
        if let Some(holder) = self.open_sale()? {
            return Err(RegisterError::Busy { sale_id: holder.id });
        }
        if !despite_pending {
            if let Some(p) = self.pending_sales()?.pop() {
                return Err(RegisterError::PendingPayment { sale_id: p.id });
            }
        }
        self.check_pos().await?;
        let sale = self.inner.journal.begin_sale(
            &config.pos_external_id,
            config.user_id,
            &checked,
            config.api,
            self.now(),
        )?;
        self.step(&sale, Progress::Sending);
        self.watch(sale.id);
        Ok(sale)
    }

    /// Takes a cart in cash: checks it, works out the change from what the customer handed over
    /// (`received`, typed as the country writes amounts; the total rounded to `rounding`, the
    /// store's smallest coin, when it says so) and journals the sale paid, in the open till.
    /// Nothing is sent to Mercado Pago. `finishes`: the QR sale of the same cart, withdrawn
    /// unpaid, that this cash sale finishes.
    pub fn charge_cash(
        &self,
        cart: &Cart,
        received: &str,
        rounding: Option<Decimal>,
        finishes: Option<SaleId>,
        despite_pending: bool,
    ) -> Result<(Sale, CashPayment), RegisterError> {
        let config = &self.inner.config;
        let checked = cart.check(config.currency)?;
        let cash = CashPayment::of(checked.total, received, config.currency, rounding)?;
        let sale = self.inner.journal.record_cash_sale(
            &config.pos_external_id,
            config.user_id,
            &checked,
            &cash,
            finishes,
            despite_pending,
            self.now(),
        )?;
        tracing::info!(sale = sale.id, finishes, "paid in cash");
        self.step(&sale, Progress::PaidInCash);
        Ok((sale, cash))
    }

    /// A POS made elsewhere with `fixed_amount: false` lets the customer type any amount, with
    /// no reference to the sale: never charged on. Checked once per register; when Mercado Pago
    /// cannot be reached the charge goes ahead (and the check is tried again next time).
    async fn check_pos(&self) -> Result<(), RegisterError> {
        if self.inner.pos_checked.load(Ordering::SeqCst) {
            return Ok(());
        }
        let pos = &self.inner.config.pos_external_id;
        match self.inner.client.search_pos(Some(pos), None).await {
            Ok(found) => {
                let this = found
                    .results
                    .iter()
                    .find(|p| p.external_id.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(pos)));
                if this.is_some_and(|p| p.fixed_amount == Some(false)) {
                    return Err(RegisterError::PosNotFixedAmount { pos: pos.clone() });
                }
                self.inner.pos_checked.store(true, Ordering::SeqCst);
            }
            Err(e) => tracing::warn!(error = %e, "the POS could not be checked; charging anyway"),
        }
        Ok(())
    }

    /// Asks to cancel a sale still open. Its watcher finishes whatever request is under way,
    /// withdraws the order, looks once more and ends it `cancelled`, or `paid` if the
    /// customer's payment got there first, or `pending` if one is still in process.
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

    /// The sale looks at Mercado Pago now instead of at its next turn ("Check now", or a
    /// notification). A sale of this register that is not watched any more gets a watcher
    /// for one look, at least.
    pub fn wake(&self, sale_id: SaleId) {
        let watched = {
            let w = self.inner.watchers.lock().unwrap_or_else(|e| e.into_inner());
            w.get(&sale_id).map(|wake| wake.wake()).is_some()
        };
        match watched {
            true => {}
            false => {
                let ours = self
                    .inner
                    .journal
                    .get(sale_id)
                    .is_ok_and(|s| s.user_id == self.inner.config.user_id);
                if ours {
                    self.watch(sale_id);
                }
            }
        }
    }

    /// A notification arrived. Its content is not trusted: the merchant order (or payment) it
    /// names is fetched with our own token, and the sale it belongs to looks now, whether it is
    /// still watched or not; when that fetch fails, every watched sale does.
    pub async fn cue(&self, cue: crate::mercadopago::notifications::Cue) {
        use crate::mercadopago::notifications::Cue;
        let reference = match cue {
            Cue::MerchantOrder(id) => self.inner.client.merchant_order(id).await.map(|m| m.external_reference),
            Cue::Payment(id) => self.inner.client.payment(id).await.map(|p| p.external_reference),
            // An Orders API order is known by its id: an order of another app is ignored, and
            // the sale reads the order itself.
            Cue::Order { id, .. } => {
                match self.inner.journal.by_order_id(&id) {
                    Ok(Some(sale)) => self.wake_for_cue(sale.id),
                    Ok(None) => tracing::info!(order = %id, "a webhook for an order of another register or app"),
                    Err(e) => tracing::warn!(error = %e, "cannot read the journal for a webhook"),
                }
                return;
            }
        };
        match reference {
            Ok(Some(r)) => match self.inner.journal.by_reference(&r) {
                Ok(Some(sale)) => self.wake_for_cue(sale.id),
                Ok(None) => tracing::info!(?cue, "a notification for a sale of another register or app"),
                Err(_) => self.wake_all_for_cue(),
            },
            Ok(None) => {}
            // An id Mercado Pago does not know (a forged or mistyped notification): nothing to
            // look at, and no reason to wake every sale.
            Err(e @ ApiError::NotFound(_)) => {
                tracing::info!(?cue, error = %e, "a notification for nothing Mercado Pago knows")
            }
            Err(e) => {
                tracing::warn!(?cue, error = %e, "cannot read what the notification names: searching every sale");
                self.wake_all_for_cue();
            }
        }
    }

    /// A notification that could not be read wakes every sale, at most once every two
    /// seconds however many come.
    fn wake_all_for_cue(&self) {
        let mut last = self.inner.woke_all.lock().unwrap_or_else(|e| e.into_inner());
        let now = std::time::Instant::now();
        if last.is_some_and(|at| now.duration_since(at) < Duration::from_secs(2)) {
            return;
        }
        *last = Some(now);
        drop(last);
        self.wake_all();
    }

    /// A notification's wake: at most one per sale every two seconds, however many come.
    fn wake_for_cue(&self, sale_id: SaleId) {
        let mut last = self.inner.cued.lock().unwrap_or_else(|e| e.into_inner());
        let now = std::time::Instant::now();
        last.retain(|_, at| now.duration_since(*at) < Duration::from_secs(60));
        if last
            .get(&sale_id)
            .is_some_and(|at| now.duration_since(*at) < Duration::from_secs(2))
        {
            return;
        }
        last.insert(sale_id, now);
        drop(last);
        self.wake(sale_id);
    }

    /// Every watched sale looks now.
    pub fn wake_all(&self) {
        for w in self.inner.watchers.lock().unwrap_or_else(|e| e.into_inner()).values() {
            w.wake();
        }
    }

    /// A new token of the same account (the old one was revoked, say): every request from now
    /// on carries it, and every watched sale looks again at once.
    pub fn take_over_token(&self, token: SecretString) {
        self.inner.client.set_token(token);
        self.wake_all();
    }

    /// At start-up: watches again every sale of this account that may still change (open,
    /// pending, in doubt, or ended recently enough that money may still arrive). Returns how
    /// many.
    pub fn recover(&self) -> Result<usize, JournalError> {
        let now = self.now();
        let schedule = &self.inner.config.schedule;
        let mut resumed = 0;
        for sale in self.inner.journal.to_watch(now - watch::late_horizon(schedule))? {
            if sale.user_id != self.inner.config.user_id {
                tracing::warn!(
                    sale = sale.id,
                    "a sale of another account: not resumed with this one's token"
                );
                continue;
            }
            if !watch::may_still_change(&sale, now, schedule) {
                continue;
            }
            tracing::info!(sale = sale.id, state = %sale.state, "resuming");
            self.watch(sale.id);
            resumed += 1;
        }
        Ok(resumed)
    }

    /// Ends every watcher, as a stopped process would: the journal keeps where each sale is,
    /// and the register that takes over (a mode switch, a restart) resumes them. Nothing starts
    /// after this.
    pub fn shutdown(&self) {
        self.inner.stopped.store(true, Ordering::SeqCst);
        for (_, task) in self.inner.tasks.lock().unwrap_or_else(|e| e.into_inner()).drain() {
            task.abort();
        }
        self.inner.watchers.lock().unwrap_or_else(|e| e.into_inner()).clear();
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

    /// Holds the sale's turn to look at Mercado Pago and write what it saw: a refund and the
    /// watcher never write the sale's money over each other's newer reading.
    pub async fn looking(&self, sale_id: SaleId) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut map = self.inner.looking.lock().unwrap_or_else(|e| e.into_inner());
            map.retain(|_, l| l.strong_count() > 0);
            match map.get(&sale_id).and_then(Weak::upgrade) {
                Some(l) => l,
                None => {
                    let l = Arc::new(tokio::sync::Mutex::new(()));
                    map.insert(sale_id, Arc::downgrade(&l));
                    l
                }
            }
        };
        lock.lock_owned().await
    }

    /// What Mercado Pago's merchant orders hold for a sale now.
    pub async fn verdict(&self, sale: &Sale) -> Result<Verdict, ApiError> {
        watch::search(self, sale).await
    }

    /// Journals what Mercado Pago holds for a sale (as the watcher does), with the sale's turn
    /// held by the caller ([`Register::looking`]).
    pub fn record_money(&self, sale: &Sale, v: &Verdict) -> Result<Sale, JournalError> {
        watch::note_money(self, sale, v)
    }

    // ---- shared by the register and its watchers ----

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
            collected: sale.collected,
            outcome: sale.outcome(),
            attention: sale.attention,
            currency: sale.currency,
            late: sale.late,
            expires_at: sale.expires_at,
            at: self.now(),
        });
    }

    /// Starts the watcher of a sale unless one runs already. Safe from any thread: the task
    /// goes to the register's own runtime.
    fn watch(&self, sale_id: SaleId) {
        let mut tasks = self.inner.tasks.lock().unwrap_or_else(|e| e.into_inner());
        if self.inner.stopped.load(Ordering::SeqCst) {
            return;
        }
        let wake = {
            let mut w = self.inner.watchers.lock().unwrap_or_else(|e| e.into_inner());
            if w.contains_key(&sale_id) {
                return;
            }
            let wake = Arc::new(Wake::default());
            w.insert(sale_id, wake.clone());
            wake
        };
        let register = self.clone();
        let task = self.inner.runtime.spawn(async move {
            loop {
                watch::run(&register, sale_id, &wake).await;
                let mut w = register.inner.watchers.lock().unwrap_or_else(|e| e.into_inner());
                // Woken while it was deciding to stop: one more round.
                if !wake.pending.swap(false, Ordering::SeqCst) {
                    w.remove(&sale_id);
                    drop(w);
                    register
                        .inner
                        .tasks
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .remove(&sale_id);
                    return;
                }
            }
        });
        tasks.insert(sale_id, task.abort_handle());
    }
}
