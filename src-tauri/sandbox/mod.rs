//! The sandbox: a local Mercado Pago (an axum server on loopback) for demo mode and every test.
//!
//! - [`world`]: its own model of users, stores, POS, orders, merchant orders, payments and the
//!   clock; it builds its JSON from that model, never from the client's types.
//! - [`api`]: the Mercado Pago endpoints, with the contract's validations and errors.
//! - [`orders`]: the Orders API's model (`/v1/orders`), idempotency and signed webhooks.
//! - [`control`]: `/sandbox/...`, which plays the world: a customer scans and pays, the clock
//!   moves, faults are injected per route, the request log is read.
//! - [`qr`]: the POS QR images it serves.

mod api;
mod control;
pub mod orders;
pub mod qr;
pub mod world;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

pub use control::{Fault, FaultRule, LoggedRequest};
pub use world::{Outcome, World};

/// The shared state behind the server.
pub(crate) struct Shared {
    pub world: Mutex<World>,
    pub faults: Mutex<Vec<FaultRule>>,
    pub log: Mutex<Vec<LoggedRequest>>,
    /// Idempotency keys of requests Mercado Pago received and has not carried out yet (a late
    /// one): another request with the key meets `423 resource_locked` meanwhile, as documented.
    pub in_process: Mutex<std::collections::BTreeSet<String>>,
    pub base_url: String,
    pub ipn: reqwest::Client,
    /// The runtime the sandbox was started on: IPNs are sent from it whoever asks.
    pub runtime: tokio::runtime::Handle,
    /// What the `/sandbox/…` routes that play the world ask of a caller
    /// (`x-sandbox-secret`); none: they answer anyone on loopback (tests, `mp-sandbox`).
    pub control_secret: Option<String>,
    /// The app's demo: its QR points nowhere real.
    pub demo: bool,
}

impl Shared {
    pub fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn keys_in_process(&self) -> MutexGuard<'_, std::collections::BTreeSet<String>> {
        self.in_process.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What a POS's printed QR encodes: Mercado Pago's address for it, or, in the app's demo,
    /// an address that can never be reached (`.invalid`), so that no customer's app takes the
    /// demo's QR for a real one.
    pub fn pos_url(&self, pos_id: u64) -> String {
        if self.demo {
            qr::demo_url(pos_id)
        } else {
            qr::pos_url(pos_id)
        }
    }
}

/// How a sandbox is started.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub control_secret: Option<String>,
    pub demo: bool,
}

impl Options {
    /// The app's demo: a secret for the control routes (the app plays the customer in-process;
    /// tests that drive the demo from outside pass `QR_CASHIER_SANDBOX_SECRET`), and a QR that
    /// points nowhere.
    pub fn demo() -> Options {
        let secret = std::env::var("QR_CASHIER_SANDBOX_SECRET")
            .ok()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(random_secret);
        Options {
            control_secret: Some(secret),
            demo: true,
        }
    }
}

/// 32 random bytes from the OS, as hex.
fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    // No OS randomness (never seen): a secret nobody knows still, from the process's own.
    if getrandom::fill(&mut bytes).is_err() {
        use std::hash::{BuildHasher, Hasher};
        for chunk in bytes.chunks_mut(8) {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u128(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default()
                    .as_nanos(),
            );
            chunk.copy_from_slice(&h.finish().to_le_bytes());
        }
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A running sandbox. Dropping it stops the server.
pub struct Sandbox {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    /// The first account: a token and user id ready to use.
    pub account: Account,
}

/// An account in the sandbox.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Account {
    pub token: String,
    pub user_id: u64,
    pub site_id: String,
}

impl Sandbox {
    /// Starts on `127.0.0.1:port` (0: any free port) with one account on `site_id`.
    pub async fn start(port: u16, site_id: &str) -> std::io::Result<Sandbox> {
        Self::start_with(port, site_id, Options::default()).await
    }

    pub async fn start_with(port: u16, site_id: &str, options: Options) -> std::io::Result<Sandbox> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let base_url = format!("http://{addr}");
        let mut world = World::default();
        let user = world
            .add_user(site_id, Some("DEMO_STORE"))
            .map_err(|r| std::io::Error::new(std::io::ErrorKind::InvalidInput, r.body.to_string()))?;
        let account = Account {
            token: user.token.clone(),
            user_id: user.id,
            site_id: user.site_id.clone(),
        };
        let shared = Arc::new(Shared {
            world: Mutex::new(world),
            faults: Mutex::new(Vec::new()),
            log: Mutex::new(Vec::new()),
            in_process: Mutex::new(Default::default()),
            base_url,
            runtime: tokio::runtime::Handle::current(),
            ipn: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(22))
                .build()
                .map_err(std::io::Error::other)?,
            control_secret: options.control_secret,
            demo: options.demo,
        });
        let app = api::routes()
            .merge(control::routes().layer(axum::middleware::from_fn_with_state(
                shared.clone(),
                control::only_with_the_secret,
            )))
            .merge(control::qr_routes())
            .layer(axum::middleware::from_fn_with_state(
                shared.clone(),
                control::faults_and_log,
            ))
            .with_state(shared.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        tracing::info!(%addr, "sandbox listening");
        Ok(Sandbox {
            addr,
            shared,
            stop: Some(stop),
            account,
        })
    }

    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Direct access to the model, for tests and demo set-up in the same process.
    pub fn world(&self) -> MutexGuard<'_, World> {
        self.shared.world()
    }

    /// The sandbox's clock, which the control API can move: demo mode and tests run the
    /// register on it so that expiry can be played in milliseconds.
    pub fn clock(&self) -> crate::register::Clock {
        let shared = self.shared.clone();
        Arc::new(move || shared.world().now())
    }

    /// A store and a POS `pos_external_id` for the first account, as an owner's set-up leaves
    /// them; returns the POS id (what the customer's scan names).
    pub fn add_register(&self, pos_external_id: &str) -> u64 {
        let mut w = self.world();
        let user = w.users[0].clone();
        let store =
            serde_json::json!({ "name": "Almacén", "external_id": format!("S{pos_external_id}"), "location": {} });
        let store = w.create_store(&user, &store).expect("a fresh sandbox takes a store");
        let store_id = store["id"]
            .as_str()
            .and_then(|id| id.parse::<u64>().ok())
            .expect("store ids are numeric");
        let pos = serde_json::json!({ "name": "Caja", "external_id": pos_external_id, "store_id": store_id, "fixed_amount": true });
        let pos = w
            .create_pos(&user, &pos, &self.shared.base_url)
            .expect("a fresh sandbox takes a POS");
        pos["id"].as_u64().expect("POS ids are numbers")
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.shared.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn add_fault(&self, rule: FaultRule) {
        self.shared.faults.lock().unwrap_or_else(|e| e.into_inner()).push(rule);
    }

    pub fn clear_faults(&self) {
        self.shared.faults.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// Sends the IPNs and webhooks the world queued (the server also does after each request).
    pub fn flush_notices(&self) {
        control::send_notices(&self.shared);
    }

    /// Sets the account's webhook, as its owner does in Mercado Pago's panel.
    pub fn set_webhook(&self, user_id: u64, url: &str, secret: &str) {
        self.world().webhooks.insert(
            user_id,
            orders::Webhook {
                url: url.to_owned(),
                secret: secret.to_owned(),
            },
        );
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
