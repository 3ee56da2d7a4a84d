//! The optional notification listener: Mercado Pago (or the sandbox) POSTs IPNs here. A
//! notification only wakes the watchers for an immediate search with our own token; nothing in
//! it is trusted, and bodies are capped.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, RawQuery, State};
use axum::http::StatusCode;
use axum::routing::any;
use axum::Router;

use super::Register;
use crate::mercadopago::notifications;

pub const MAX_BODY: usize = 16 * 1024;

/// A bound listener, not serving yet: its URL goes into the register's orders first.
pub struct Listener {
    listener: tokio::net::TcpListener,
    addr: SocketAddr,
}

/// Binds `addr` (port 0: any free port).
pub async fn bind(addr: SocketAddr) -> std::io::Result<Listener> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    Ok(Listener { listener, addr })
}

impl Listener {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The `notification_url` for orders, when Mercado Pago can reach this address directly.
    pub fn url(&self) -> String {
        format!("http://{}/ipn", self.addr)
    }

    /// Serves until the process ends: each notification wakes the register's watchers.
    pub fn serve(self, register: Register) {
        let app = Router::new()
            .route("/ipn", any(notified))
            .layer(DefaultBodyLimit::max(MAX_BODY))
            .with_state(register);
        tracing::info!(addr = %self.addr, "listening for notifications");
        tokio::spawn(async move {
            let _ = axum::serve(self.listener, app).await;
        });
    }
}

async fn notified(State(register): State<Register>, RawQuery(query): RawQuery, body: Bytes) -> StatusCode {
    match notifications::parse(query.as_deref().unwrap_or(""), &body) {
        Some(cue) => {
            tracing::info!(?cue, "notification");
            // Answered at once (Mercado Pago waits 22 s at most); the fetch happens after.
            tokio::spawn(async move { register.cue(cue).await });
            StatusCode::OK
        }
        None => StatusCode::BAD_REQUEST,
    }
}
