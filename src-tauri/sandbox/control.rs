//! The sandbox's own side: fault injection and the request log (a middleware in front of every
//! route), IPN delivery, and the `/sandbox/...` control API that plays the customer and the
//! clock.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::api::{answer, refused};
use super::world::{refusal, Outcome};
use super::{qr, Account, Shared};

/// What goes wrong on a route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// Answer this status with a Mercado Pago error body; the request is not carried out.
    Status { status: u16 },
    /// 429 with `Retry-After` (seconds, or as an HTTP date when `http_date`); not carried out.
    RateLimit {
        retry_after: u64,
        #[serde(default)]
        http_date: bool,
    },
    /// Carry the request out, but answer only after `ms` (past the client's timeout, say).
    Delay { ms: u64 },
    /// The request reaches Mercado Pago but is carried out only `ms` later, on its own, whatever
    /// the client does meanwhile; the client gets no answer (the connection drops at `ms`). A
    /// create that lands after the register gave up on it. Until then its idempotency key is in
    /// process: a request that sends it again meets `423 resource_locked`.
    Late { ms: u64 },
    /// Close the connection in the middle of the answer; not carried out.
    Drop,
    /// Carry it out, then answer 200 with a body that is not JSON.
    Malformed,
    /// Carry it out, then answer 200 with an empty body.
    Empty,
}

/// A fault on a route (`create_order`, `delete_order`, `search_merchant_orders`,
/// `get_merchant_order`, `get_payment`, `search_payments`, `refund`, `orders_create`,
/// `orders_get`, `orders_cancel`, `orders_refund`, `me`, `stores`, `pos`, or `*`), for the next
/// `times` calls, or on each call with `probability`. On `ipn` (the IPNs and webhooks the sandbox
/// sends), any fault loses the attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultRule {
    pub route: String,
    pub fault: Fault,
    #[serde(default)]
    pub times: Option<u32>,
    #[serde(default)]
    pub probability: Option<f64>,
}

impl FaultRule {
    pub fn next(route: &str, fault: Fault, times: u32) -> Self {
        FaultRule {
            route: route.into(),
            fault,
            times: Some(times),
            probability: None,
        }
    }
}

/// How many requests the log keeps.
const LOG_CAP: usize = 50_000;

/// A request as the sandbox received it. The `Authorization` value is not kept, only how the
/// token came.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoggedRequest {
    pub method: String,
    pub path: String,
    pub query: String,
    pub route: String,
    pub bearer: bool,
    pub token_in_query: bool,
    pub headers: BTreeMap<String, String>,
    pub body: String,
    /// When it arrived, in milliseconds since the Unix epoch on the machine's clock (not the
    /// sandbox's), for timing a click in the page against the request it caused.
    #[serde(default)]
    pub received_at_ms: f64,
}

pub fn route_name(method: &Method, path: &str) -> &'static str {
    let p: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (method.as_str(), p.as_slice()) {
        (_, ["sandbox", ..]) => "control",
        ("POST", ["mpmobile", "instore", "qr", _, _]) => "create_order",
        ("DELETE", ["mpmobile", "instore", "qr", _, _]) => "delete_order",
        ("GET", ["merchant_orders"]) | ("GET", ["merchant_orders", "search"]) => "search_merchant_orders",
        ("GET", ["merchant_orders", _]) => "get_merchant_order",
        ("GET", ["v1", "payments", "search"]) => "search_payments",
        ("GET", ["v1", "payments", _]) => "get_payment",
        ("POST", ["v1", "payments", _, "refunds"]) => "refund",
        ("POST", ["v1", "orders"]) => "orders_create",
        ("GET", ["v1", "orders", _]) => "orders_get",
        ("POST", ["v1", "orders", _, "cancel"]) => "orders_cancel",
        ("POST", ["v1", "orders", _, "refund"]) => "orders_refund",
        (_, ["users", "me"]) => "me",
        (_, ["users", _, "stores", ..]) => "stores",
        (_, ["pos", ..]) => "pos",
        _ => "other",
    }
}

fn pick_fault(shared: &Shared, route: &str) -> Option<Fault> {
    if route == "control" {
        return None;
    }
    let mut rules = shared.faults.lock().unwrap_or_else(|e| e.into_inner());
    let i = rules.iter().position(|r| {
        (r.route == route || (r.route == "*" && route != "ipn"))
            && r.times != Some(0)
            && r.probability.is_none_or(|p| fastrand::f64() < p)
    })?;
    let fault = rules[i].fault.clone();
    if let Some(t) = rules[i].times.as_mut() {
        *t -= 1;
        if *t == 0 {
            rules.remove(i);
        }
    }
    Some(fault)
}

pub async fn faults_and_log(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap_or_default();
    let route = route_name(&parts.method, parts.uri.path());
    let query = parts.uri.query().unwrap_or("").to_owned();
    let headers = [
        "x-ttl-store-preference",
        "x-idempotency-key",
        "content-type",
        "user-agent",
        "x-signature",
        "x-request-id",
    ]
    .iter()
    .filter_map(|h| Some((h.to_string(), parts.headers.get(*h)?.to_str().ok()?.to_owned())))
    .collect();
    {
        let mut log = shared.log.lock().unwrap_or_else(|e| e.into_inner());
        // A demo left running all day keeps the newest requests only.
        if log.len() >= LOG_CAP {
            log.drain(..LOG_CAP / 10);
        }
        log.push(LoggedRequest {
            method: parts.method.to_string(),
            path: parts.uri.path().to_owned(),
            query: query.clone(),
            route: route.to_owned(),
            bearer: parts
                .headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("Bearer ")),
            token_in_query: query.contains("access_token="),
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            received_at_ms: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64() * 1000.0),
        });
    }
    let key = parts
        .headers
        .get("x-idempotency-key")
        .and_then(|v| v.to_str().ok())
        .filter(|k| !k.trim().is_empty())
        .map(str::to_owned);
    if key.as_ref().is_some_and(|k| shared.keys_in_process().contains(k)) {
        return refused(super::orders::orders_refusal(
            423,
            "resource_locked",
            "a request with this idempotency key is still being processed",
        ));
    }
    let fault = pick_fault(&shared, route);
    let req = Request::from_parts(parts, Body::from(bytes));
    let response = match fault {
        None => next.run(req).await,
        Some(Fault::Status { status }) => refused(refusal(status, "internal_error", "injected failure")),
        Some(Fault::RateLimit { retry_after, http_date }) => {
            let mut r = refused(refusal(429, "too_many_requests", "too many requests"));
            let value = if http_date {
                let at = chrono::Utc::now() + chrono::Duration::seconds(retry_after as i64);
                at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
            } else {
                retry_after.to_string()
            };
            if let Ok(v) = header::HeaderValue::from_str(&value) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            r
        }
        Some(Fault::Late { ms }) => {
            if let Some(k) = &key {
                shared.keys_in_process().insert(k.clone());
            }
            let late = shared.clone();
            shared.runtime.spawn(async move {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                let _ = next.run(req).await;
                if let Some(k) = &key {
                    late.keys_in_process().remove(k);
                }
                send_notices(&late);
            });
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Response::builder()
                .status(200)
                .header(header::CONTENT_TYPE, "application/json")
                .body(futures_util_stream_error())
                .unwrap_or_default()
        }
        Some(Fault::Delay { ms }) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            next.run(req).await
        }
        Some(Fault::Drop) => {
            let broken = futures_util_stream_error();
            Response::builder()
                .status(200)
                .header(header::CONTENT_TYPE, "application/json")
                .body(broken)
                .unwrap()
        }
        Some(Fault::Malformed) => {
            let _ = next.run(req).await;
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                "{\"elements\": [{\"id\": 12, \"status\": ",
            )
                .into_response()
        }
        Some(Fault::Empty) => {
            let _ = next.run(req).await;
            (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], "").into_response()
        }
    };
    send_notices(&shared);
    response
}

/// A body that fails after the headers went out: the client sees the connection drop.
fn futures_util_stream_error() -> Body {
    struct Broken;
    impl http_body::Body for Broken {
        type Data = Bytes;
        type Error = std::io::Error;
        fn poll_frame(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
            std::task::Poll::Ready(Some(Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "dropped",
            ))))
        }
    }
    Body::new(Broken)
}

/// Posts the queued IPNs (`?topic=merchant_order&id=`) and signed Orders webhooks
/// (`?data.id=…&type=order`), retrying like Mercado Pago (sooner). A fault on the route `ipn`
/// loses the attempt, as when the register's PC cannot be reached.
pub fn send_notices(shared: &Arc<Shared>) {
    let (hooks, style) = {
        let mut w = shared.world();
        (std::mem::take(&mut w.webhook_queue), w.webhook_style.clone())
    };
    for hook in hooks {
        let times = if style.duplicates { 2 } else { 1 };
        for _ in 0..times {
            let client = shared.ipn.clone();
            let shared = shared.clone();
            let (hook, style) = (hook.clone(), style.clone());
            shared.runtime.clone().spawn(async move {
                let url = format!(
                    "{}{}data.id={}&type=order",
                    hook.url,
                    if hook.url.contains('?') { '&' } else { '?' },
                    hook.order_id
                );
                for wait in [0u64, 500, 2000, 5000] {
                    tokio::time::sleep(Duration::from_millis(wait)).await;
                    if pick_fault(&shared, "ipn").is_some() {
                        continue;
                    }
                    let request_id = format!("{:032x}", fastrand::u128(..));
                    let mut req = client.post(&url).json(&hook.body).header("x-request-id", &request_id);
                    if !style.unsigned {
                        let now_ms = chrono::Utc::now().timestamp_millis();
                        let sig = super::orders::signature(&hook.secret, &hook.order_id, &request_id, now_ms, &style);
                        req = req.header("x-signature", sig);
                    }
                    if let Ok(r) = req.send().await {
                        if r.status().is_success() {
                            return;
                        }
                    }
                }
                tracing::debug!(%url, "webhook not delivered");
            });
        }
    }
    let notices = std::mem::take(&mut shared.world().notices);
    for n in notices {
        let client = shared.ipn.clone();
        let shared = shared.clone();
        shared.runtime.clone().spawn(async move {
            let sep = if n.url.contains('?') { '&' } else { '?' };
            let url = format!("{}{sep}topic=merchant_order&id={}", n.url, n.merchant_order_id);
            let body = json!({ "resource": format!("https://api.mercadolibre.com/merchant_orders/{}", n.merchant_order_id), "topic": "merchant_order" });
            for wait in [0u64, 500, 2000, 5000] {
                tokio::time::sleep(Duration::from_millis(wait)).await;
                if pick_fault(&shared, "ipn").is_some() {
                    continue;
                }
                if let Ok(r) = client.post(&url).json(&body).send().await {
                    if r.status().is_success() {
                        return;
                    }
                }
            }
            tracing::debug!(%url, "IPN not delivered");
        });
    }
}

pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/sandbox/state", get(state))
        .route("/sandbox/users", post(add_user))
        .route("/sandbox/users/{user_id}/token", post(renew_token))
        .route("/sandbox/users/{user_id}/webhook", post(set_webhook))
        .route("/sandbox/webhook_style", post(set_webhook_style))
        .route("/sandbox/pos/{pos_id}/scan", post(scan))
        .route("/sandbox/pos/{pos_id}/customer", post(customer))
        .route("/sandbox/merchant_orders/{id}/pay", post(pay))
        .route("/sandbox/payments/{id}/resolve", post(resolve))
        .route("/sandbox/clock", post(clock))
        .route("/sandbox/faults", post(add_fault).delete(clear_faults))
        .route("/sandbox/requests", get(requests).delete(clear_requests))
}

/// The POS's QR files, which Mercado Pago serves to anyone who has the link.
pub fn qr_routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/sandbox/qr/{file}", get(qr_image))
        .route("/sandbox/qr/{pos_id}/template.png", get(qr_template))
        .route("/sandbox/qr/{pos_id}/template.pdf", get(qr_template_pdf))
}

/// The routes that play the world answer only a caller with the sandbox's secret, when it has
/// one (the app's demo): another program on the PC cannot pay, fault or read the demo.
pub async fn only_with_the_secret(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    if let Some(secret) = &shared.control_secret {
        let given = req
            .headers()
            .get("x-sandbox-secret")
            .map(|v| v.as_bytes())
            .unwrap_or_default();
        let same = given.len() == secret.len()
            && given
                .iter()
                .zip(secret.as_bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        if !same {
            return refused(refusal(
                403,
                "forbidden",
                "the sandbox's control routes need its secret",
            ));
        }
    }
    next.run(req).await
}

/// The sandbox's truth, for tests and the soak: what each POS holds, every merchant order and
/// payment.
async fn state(State(s): State<Arc<Shared>>) -> Json<Value> {
    let mut w = s.world();
    w.expire();
    let orders: Vec<Value> = w
        .orders
        .iter()
        .map(|(pos_id, o)| json!({ "pos_id": pos_id, "external_reference": o.external_reference, "preference_id": o.preference_id, "expires": o.expires.to_rfc3339() }))
        .collect();
    let mos: Vec<Value> = w.merchant_orders.values().map(|m| w.merchant_order_json(m)).collect();
    let qr_orders: Vec<Value> = w
        .qr_orders
        .values()
        .map(|o| {
            let mut v = w.qr_order_json(o);
            v["pos_id"] = json!(o.pos_id);
            v
        })
        .collect();
    let pos: Vec<Value> = w
        .pos
        .iter()
        .map(|p| json!({ "id": p.id, "external_id": p.external_id, "user_id": p.user_id }))
        .collect();
    Json(
        json!({ "now": w.now().to_rfc3339(), "orders": orders, "merchant_orders": mos, "qr_orders": qr_orders, "pos": pos, "orders_created": w.orders_created }),
    )
}

#[derive(Deserialize)]
struct NewUser {
    site_id: String,
    #[serde(default)]
    nickname: Option<String>,
}

async fn add_user(State(s): State<Arc<Shared>>, Json(u): Json<NewUser>) -> Response {
    match s.world().add_user(&u.site_id, u.nickname.as_deref()) {
        Ok(user) => Json(Account {
            token: user.token,
            user_id: user.id,
            site_id: user.site_id,
        })
        .into_response(),
        Err(r) => refused(r),
    }
}

#[derive(Deserialize)]
struct NewWebhook {
    url: String,
    secret: String,
}

/// The account's webhook, as its owner sets it in Mercado Pago's panel.
async fn set_webhook(State(s): State<Arc<Shared>>, Path(user_id): Path<u64>, Json(h): Json<NewWebhook>) -> StatusCode {
    s.world().webhooks.insert(
        user_id,
        super::orders::Webhook {
            url: h.url,
            secret: h.secret,
        },
    );
    StatusCode::NO_CONTENT
}

/// How webhooks are signed and sent (lowercased id, seconds, unsigned, a wrong signature,
/// duplicates).
async fn set_webhook_style(State(s): State<Arc<Shared>>, Json(style): Json<super::orders::WebhookStyle>) -> StatusCode {
    s.world().webhook_style = style;
    StatusCode::NO_CONTENT
}

/// Revokes the account's token and issues a new one (as the developer panel's "renew" does).
async fn renew_token(State(s): State<Arc<Shared>>, Path(user_id): Path<u64>) -> Response {
    match s.world().renew_token(user_id) {
        Ok(token) => Json(json!({ "token": token })).into_response(),
        Err(r) => refused(r),
    }
}

async fn scan(State(s): State<Arc<Shared>>, Path(pos_id): Path<u64>) -> Response {
    let a = s.world().scan(pos_id);
    send_notices(&s);
    answer(a)
}

#[derive(Deserialize)]
struct Pay {
    outcome: Outcome,
    #[serde(default, with = "crate::money::json_amount::option")]
    amount: Option<Decimal>,
}

async fn pay(State(s): State<Arc<Shared>>, Path(id): Path<u64>, Json(p): Json<Pay>) -> Response {
    let a = s.world().pay(id, p.outcome, p.amount);
    send_notices(&s);
    answer(a)
}

/// Scan and pay in one go: what the demo's "customer phone" does. On a POS holding an Orders
/// API order, that order is paid.
async fn customer(State(s): State<Arc<Shared>>, Path(pos_id): Path<u64>, Json(p): Json<Pay>) -> Response {
    let a = {
        let mut w = s.world();
        if w.qr_order_on(pos_id).is_some() {
            let a = w.pay_qr_order(pos_id, p.outcome);
            drop(w);
            send_notices(&s);
            return answer(a);
        }
        w.scan(pos_id).and_then(|scanned| {
            let mo = scanned["merchant_order_id"].as_u64().unwrap_or_default();
            let mut paid = w.pay(mo, p.outcome, p.amount)?;
            paid["merchant_order_id"] = json!(mo);
            Ok(paid)
        })
    };
    send_notices(&s);
    answer(a)
}

#[derive(Deserialize)]
struct Resolve {
    approve: bool,
}

async fn resolve(State(s): State<Arc<Shared>>, Path(id): Path<u64>, Json(r): Json<Resolve>) -> Response {
    let a = s.world().resolve_pending(id, r.approve);
    send_notices(&s);
    answer(a)
}

#[derive(Deserialize)]
struct Clock {
    advance_seconds: i64,
}

async fn clock(State(s): State<Arc<Shared>>, Json(c): Json<Clock>) -> Json<Value> {
    let now = {
        let mut w = s.world();
        w.advance(c.advance_seconds);
        w.now()
    };
    send_notices(&s);
    Json(json!({ "now": now.to_rfc3339() }))
}

async fn add_fault(State(s): State<Arc<Shared>>, Json(rule): Json<FaultRule>) -> StatusCode {
    s.faults.lock().unwrap_or_else(|e| e.into_inner()).push(rule);
    StatusCode::NO_CONTENT
}

async fn clear_faults(State(s): State<Arc<Shared>>) -> StatusCode {
    s.faults.lock().unwrap_or_else(|e| e.into_inner()).clear();
    StatusCode::NO_CONTENT
}

async fn requests(State(s): State<Arc<Shared>>) -> Json<Vec<LoggedRequest>> {
    Json(s.log.lock().unwrap_or_else(|e| e.into_inner()).clone())
}

async fn clear_requests(State(s): State<Arc<Shared>>) -> StatusCode {
    s.log.lock().unwrap_or_else(|e| e.into_inner()).clear();
    StatusCode::NO_CONTENT
}

fn png(bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "max-age=86400"),
        ],
        bytes,
    )
        .into_response()
}

async fn qr_image(State(s): State<Arc<Shared>>, Path(file): Path<String>) -> Response {
    let id = file.strip_suffix(".png").and_then(|i| i.parse::<u64>().ok());
    match id.filter(|id| s.world().pos.iter().any(|p| p.id == *id)) {
        Some(id) => png(qr::png(&s.pos_url(id), 8)),
        None => refused(refusal(404, "not_found", "no such POS")),
    }
}

async fn qr_template(State(s): State<Arc<Shared>>, Path(pos_id): Path<u64>) -> Response {
    if !s.world().pos.iter().any(|p| p.id == pos_id) {
        return refused(refusal(404, "not_found", "no such POS"));
    }
    png(qr::png(&s.pos_url(pos_id), 16))
}

async fn qr_template_pdf(State(s): State<Arc<Shared>>, Path(pos_id): Path<u64>) -> Response {
    if !s.world().pos.iter().any(|p| p.id == pos_id) {
        return refused(refusal(404, "not_found", "no such POS"));
    }
    (
        [(header::CONTENT_TYPE, "application/pdf")],
        qr::template_pdf(pos_id, &s.pos_url(pos_id)),
    )
        .into_response()
}
