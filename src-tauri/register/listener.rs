//! The optional notification listener: Mercado Pago (or the sandbox) POSTs IPNs and Orders
//! webhooks here. A notification only wakes the sale it names for an immediate look with our
//! own token; nothing in it is trusted, bodies are capped, an Orders webhook's signature is
//! checked (and what it said is kept for Settings to show), and a repeated one (same order and
//! version) wakes nothing.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::any;
use axum::Router;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use super::Register;
use crate::mercadopago::notifications::{self, Cue, Signature};

pub const MAX_BODY: usize = 16 * 1024;

/// What the door takes, so that nobody on the store's network can burn the account's rate
/// limit through it: each source `PER_SOURCE` notifications a second (in bursts of
/// `PER_SOURCE_BURST`), all together `GLOBAL` (bursts of `GLOBAL_BURST`); at most `LOOKUPS`
/// being looked up at Mercado Pago at once; the same id again within `REPEAT` looked up once
/// (a sale's wake is held as long). Mercado Pago resends what it is refused.
pub const PER_SOURCE: f64 = 5.0;
pub const PER_SOURCE_BURST: f64 = 20.0;
pub const GLOBAL: f64 = 20.0;
pub const GLOBAL_BURST: f64 = 60.0;
pub const LOOKUPS: usize = 8;
const REPEAT: Duration = Duration::from_secs(2);
/// Sources remembered at most (the oldest are forgotten first).
const SOURCES: usize = 4096;

/// A token bucket.
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn full(burst: f64) -> Bucket {
        Bucket {
            tokens: burst,
            at: Instant::now(),
        }
    }

    fn take(&mut self, rate: f64, burst: f64, now: Instant) -> bool {
        let refill = now.saturating_duration_since(self.at).as_secs_f64() * rate;
        self.tokens = (self.tokens + refill).min(burst);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// The door's limits, kept between notifications.
struct Gate {
    sources: Mutex<HashMap<std::net::IpAddr, Bucket>>,
    global: Mutex<Bucket>,
    lookups: Arc<tokio::sync::Semaphore>,
    recent: Mutex<HashMap<String, Instant>>,
}

impl Gate {
    fn new() -> Gate {
        Gate {
            sources: Mutex::new(HashMap::new()),
            global: Mutex::new(Bucket::full(GLOBAL_BURST)),
            lookups: Arc::new(tokio::sync::Semaphore::new(LOOKUPS)),
            recent: Mutex::new(HashMap::new()),
        }
    }

    fn source_may(&self, ip: std::net::IpAddr, now: Instant) -> bool {
        let mut sources = self.sources.lock().unwrap_or_else(|e| e.into_inner());
        if sources.len() >= SOURCES && !sources.contains_key(&ip) {
            let oldest = sources.iter().min_by_key(|(_, b)| b.at).map(|(ip, _)| *ip);
            if let Some(oldest) = oldest {
                sources.remove(&oldest);
            }
        }
        sources
            .entry(ip)
            .or_insert_with(|| Bucket::full(PER_SOURCE_BURST))
            .take(PER_SOURCE, PER_SOURCE_BURST, now)
    }

    fn all_may(&self, now: Instant) -> bool {
        self.global
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take(GLOBAL, GLOBAL_BURST, now)
    }

    /// Whether `key` was looked up within `REPEAT` (and, if not, that it is now).
    fn repeated(&self, key: String, now: Instant) -> bool {
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        recent.retain(|_, at| now.saturating_duration_since(*at) < REPEAT);
        recent.insert(key, now).is_some()
    }
}

/// The path notifications are posted to.
pub const PATH: &str = "/ipn";

/// A bound listener, not serving yet: its URL goes into the register's orders first.
pub struct Listener {
    listener: tokio::net::TcpListener,
    addr: SocketAddr,
    heard: Heard,
}

/// What the listener heard last, for Settings.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LastNotification {
    pub count: u64,
    /// The last Orders webhook's signature, as checked.
    pub signature: Option<Signature>,
    pub at: Option<String>,
}

pub type Heard = Arc<Mutex<LastNotification>>;

struct Ears {
    register: Register,
    secret: Option<SecretString>,
    heard: Heard,
    /// Orders webhooks already acted on: (order, version) → when.
    seen: Mutex<HashMap<(String, Option<u64>), Instant>>,
    gate: Gate,
}

/// Binds `addr` (port 0: any free port).
pub async fn bind(addr: SocketAddr) -> std::io::Result<Listener> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    Ok(Listener {
        listener,
        addr,
        heard: Heard::default(),
    })
}

impl Listener {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The notification URL, when Mercado Pago can reach this address directly.
    pub fn url(&self) -> String {
        format!("http://{}{PATH}", self.addr)
    }

    /// What it heard last (shared: it goes on being updated after `serve`).
    pub fn heard(&self) -> Heard {
        self.heard.clone()
    }

    /// Serves until the process ends: each notification wakes the register's sale it names.
    /// `secret`: the Orders webhooks' secret, to check their signatures with.
    pub fn serve(self, register: Register, secret: Option<SecretString>) {
        let ears = Arc::new(Ears {
            register,
            secret,
            heard: self.heard,
            seen: Mutex::new(HashMap::new()),
            gate: Gate::new(),
        });
        let app = Router::new()
            .route(PATH, any(notified))
            .layer(DefaultBodyLimit::max(MAX_BODY))
            .with_state(ears);
        tracing::info!(addr = %self.addr, "listening for notifications");
        tokio::spawn(async move {
            let app = app.into_make_service_with_connect_info::<SocketAddr>();
            let _ = axum::serve(self.listener, app).await;
        });
    }
}

async fn notified(
    State(ears): State<Arc<Ears>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let now = Instant::now();
    // A source over its rate is refused before anything else (and costs the others nothing).
    if !ears.gate.source_may(peer.ip(), now) {
        return StatusCode::TOO_MANY_REQUESTS;
    }
    let query = query.unwrap_or_default();
    let Some(cue) = notifications::parse(&query, &body) else {
        return StatusCode::BAD_REQUEST;
    };
    if !ears.gate.all_may(now) {
        return StatusCode::TOO_MANY_REQUESTS;
    }
    {
        let mut heard = ears.heard.lock().unwrap_or_else(|e| e.into_inner());
        heard.count += 1;
        heard.at = Some(chrono::Utc::now().to_rfc3339());
    }
    if let Cue::Order { id, version } = &cue {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let signature = notifications::verify(
            ears.secret.as_ref().map(|s| s.expose_secret()),
            &query,
            header("x-signature"),
            header("x-request-id"),
            chrono::Utc::now().timestamp_millis(),
        );
        if signature != Signature::Valid {
            tracing::warn!(order = %id, ?signature, "an Orders webhook whose signature is not valid: only a cue");
        }
        ears.heard.lock().unwrap_or_else(|e| e.into_inner()).signature = Some(signature);
        // Mercado Pago resends until it is answered, for hours: one look per order and version.
        let mut seen = ears.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.retain(|_, at| at.elapsed() < Duration::from_secs(3600));
        if version.is_some() && seen.insert((id.clone(), *version), Instant::now()).is_some() {
            return StatusCode::OK;
        }
    }
    let key = match &cue {
        Cue::MerchantOrder(id) => format!("merchant_order {id}"),
        Cue::Payment(id) => format!("payment {id}"),
        Cue::Order { id, .. } => format!("order {id}"),
    };
    if ears.gate.repeated(key, now) {
        return StatusCode::OK;
    }
    // Lookups at Mercado Pago are few at a time: beyond that, Mercado Pago is asked to resend.
    let Ok(permit) = ears.gate.lookups.clone().try_acquire_owned() else {
        return StatusCode::SERVICE_UNAVAILABLE;
    };
    tracing::info!(?cue, "notification");
    // Answered at once (Mercado Pago waits 22 s at most); the look happens after.
    let register = ears.register.clone();
    tokio::spawn(async move {
        register.cue(cue).await;
        drop(permit);
    });
    StatusCode::OK
}
