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
use axum::extract::{DefaultBodyLimit, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::any;
use axum::Router;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use super::Register;
use crate::mercadopago::notifications::{self, Cue, Signature};

pub const MAX_BODY: usize = 16 * 1024;

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
        });
        let app = Router::new()
            .route(PATH, any(notified))
            .layer(DefaultBodyLimit::max(MAX_BODY))
            .with_state(ears);
        tracing::info!(addr = %self.addr, "listening for notifications");
        tokio::spawn(async move {
            let _ = axum::serve(self.listener, app).await;
        });
    }
}

async fn notified(
    State(ears): State<Arc<Ears>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let query = query.unwrap_or_default();
    let Some(cue) = notifications::parse(&query, &body) else {
        return StatusCode::BAD_REQUEST;
    };
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
    tracing::info!(?cue, "notification");
    // Answered at once (Mercado Pago waits 22 s at most); the look happens after.
    let register = ears.register.clone();
    tokio::spawn(async move { register.cue(cue).await });
    StatusCode::OK
}
