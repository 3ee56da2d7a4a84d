//! The Mercado Pago endpoints of the attended model, answered from the world.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::Value;

use super::world::{refusal, Answer, Refusal, User};
use super::Shared;

type Params = Query<BTreeMap<String, String>>;

pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route(
            "/mpmobile/instore/qr/{user_id}/{external_id}",
            post(create_order).delete(delete_order),
        )
        .route("/merchant_orders/search", get(search_merchant_orders))
        .route("/merchant_orders", get(search_merchant_orders))
        .route("/merchant_orders/{id}", get(get_merchant_order))
        .route("/v1/payments/search", get(search_payments))
        .route("/v1/payments/{id}", get(get_payment))
        .route("/v1/payments/{id}/refunds", post(refund))
        .route("/v1/orders", post(create_qr_order))
        .route("/v1/orders/{id}", get(get_qr_order))
        .route("/v1/orders/{id}/cancel", post(cancel_qr_order))
        .route("/v1/orders/{id}/refund", post(refund_qr_order))
        .route("/users/me", get(me))
        .route("/users/{user_id}/stores", post(create_store))
        .route("/users/{user_id}/stores/search", get(search_stores))
        .route("/pos", post(create_pos).get(search_pos))
}

pub fn answer(a: Answer) -> Response {
    match a {
        Ok(v) => Json(v).into_response(),
        Err(r) => refused(r),
    }
}

pub fn refused(r: Refusal) -> Response {
    (
        StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_REQUEST),
        Json(r.body),
    )
        .into_response()
}

/// The account of the request's token (`Authorization: Bearer`, or the old `?access_token=`).
/// A bad token is 400 `invalid_access_token` on the instore paths and 401 elsewhere.
fn authorize(
    shared: &Shared,
    headers: &HeaderMap,
    query: &BTreeMap<String, String>,
    instore: bool,
) -> Result<User, Refusal> {
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let token = bearer.or(query.get("access_token").map(String::as_str)).unwrap_or("");
    match shared.world().user_by_token(token) {
        Some(u) => Ok(u.clone()),
        None if instore => Err(refusal(400, "invalid_access_token", "invalid access token")),
        None => Err(refusal(401, "invalid_token", "invalid access token")),
    }
}

macro_rules! auth {
    ($shared:expr, $headers:expr, $query:expr, $instore:expr) => {
        match authorize(&$shared, &$headers, &$query, $instore) {
            Ok(u) => u,
            Err(r) => return refused(r),
        }
    };
}

async fn create_order(
    State(s): State<Arc<Shared>>,
    Path((user_id, external_id)): Path<(String, String)>,
    Query(q): Params,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let user = auth!(s, headers, q, true);
    let ttl = headers.get("x-ttl-store-preference").and_then(|v| v.to_str().ok());
    let body = String::from_utf8_lossy(&body);
    answer(s.world().create_order(&user, &user_id, &external_id, &body, ttl))
}

async fn delete_order(
    State(s): State<Arc<Shared>>,
    Path((user_id, external_id)): Path<(String, String)>,
    Query(q): Params,
    headers: HeaderMap,
) -> Response {
    let user = auth!(s, headers, q, true);
    match s.world().delete_order(&user, &user_id, &external_id) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(r) => refused(r),
    }
}

async fn get_merchant_order(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(q): Params,
    headers: HeaderMap,
) -> Response {
    let user = auth!(s, headers, q, false);
    answer(s.world().get_merchant_order(&user, &id))
}

async fn search_merchant_orders(State(s): State<Arc<Shared>>, Query(q): Params, headers: HeaderMap) -> Response {
    let user = auth!(s, headers, q, false);
    answer(s.world().search_merchant_orders(&user, &q))
}

async fn get_payment(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(q): Params,
    headers: HeaderMap,
) -> Response {
    let user = auth!(s, headers, q, false);
    answer(s.world().get_payment(&user, &id))
}

async fn search_payments(State(s): State<Arc<Shared>>, Query(q): Params, headers: HeaderMap) -> Response {
    let user = auth!(s, headers, q, false);
    answer(Ok(s
        .world()
        .search_payments(&user, q.get("external_reference").map(String::as_str))))
}

async fn refund(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(q): Params,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let user = auth!(s, headers, q, false);
    let key = headers.get("x-idempotency-key").and_then(|v| v.to_str().ok());
    let a = s.world().refund(&user, &id, &String::from_utf8_lossy(&body), key);
    match a {
        Ok(v) => (StatusCode::CREATED, Json(v)).into_response(),
        Err(r) => refused(r),
    }
}

/// The account of an Orders API call: a bad token is `401 unauthorized`, in the Orders shape.
fn orders_user(s: &Shared, headers: &HeaderMap, q: &BTreeMap<String, String>) -> Result<User, Refusal> {
    authorize(s, headers, q, false)
        .map_err(|_| super::orders::orders_refusal(401, "unauthorized", "invalid access token"))
}

fn key_of(headers: &HeaderMap) -> Option<String> {
    headers
        .get("x-idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn created(a: Result<Value, Refusal>) -> Response {
    match a {
        Ok(v) => (StatusCode::CREATED, Json(v)).into_response(),
        Err(r) => refused(r),
    }
}

async fn create_qr_order(State(s): State<Arc<Shared>>, Query(q): Params, headers: HeaderMap, body: Bytes) -> Response {
    let user = match orders_user(&s, &headers, &q) {
        Ok(u) => u,
        Err(r) => return refused(r),
    };
    let body = String::from_utf8_lossy(&body);
    created(s.world().create_qr_order(&user, key_of(&headers).as_deref(), &body))
}

async fn get_qr_order(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(q): Params,
    headers: HeaderMap,
) -> Response {
    let user = match orders_user(&s, &headers, &q) {
        Ok(u) => u,
        Err(r) => return refused(r),
    };
    answer(s.world().get_qr_order(&user, &id))
}

async fn cancel_qr_order(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(q): Params,
    headers: HeaderMap,
) -> Response {
    let user = match orders_user(&s, &headers, &q) {
        Ok(u) => u,
        Err(r) => return refused(r),
    };
    answer(s.world().cancel_qr_order(&user, &id, key_of(&headers).as_deref()))
}

async fn refund_qr_order(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(q): Params,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let user = match orders_user(&s, &headers, &q) {
        Ok(u) => u,
        Err(r) => return refused(r),
    };
    let body = String::from_utf8_lossy(&body);
    created(
        s.world()
            .refund_qr_order(&user, &id, key_of(&headers).as_deref(), &body),
    )
}

async fn me(State(s): State<Arc<Shared>>, Query(q): Params, headers: HeaderMap) -> Response {
    let user = auth!(s, headers, q, false);
    let country = match user.site_id.as_str() {
        "MLA" => "AR",
        "MLB" => "BR",
        "MLM" => "MX",
        "MLC" => "CL",
        "MLU" => "UY",
        "MCO" => "CO",
        _ => "PE",
    };
    Json(serde_json::json!({
        "id": user.id,
        "nickname": user.nickname,
        "site_id": user.site_id,
        "country_id": country,
        "email": format!("test_user_{}@testuser.com", user.id % 100_000),
        "user_type": "normal",
        "tags": ["normal", "test_user"],
    }))
    .into_response()
}

fn same_user(user: &User, path_user: &str) -> Result<(), Refusal> {
    if user.id.to_string() == path_user {
        Ok(())
    } else {
        Err(refusal(
            400,
            "invalid_collector_id",
            "the user id does not match the access token",
        ))
    }
}

async fn create_store(
    State(s): State<Arc<Shared>>,
    Path(user_id): Path<String>,
    Query(q): Params,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let user = auth!(s, headers, q, false);
    if let Err(r) = same_user(&user, &user_id) {
        return refused(r);
    }
    let body: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) => return refused(refusal(400, "bad_request", "the body is not JSON")),
    };
    match s.world().create_store(&user, &body) {
        Ok(v) => (StatusCode::CREATED, Json(v)).into_response(),
        Err(r) => refused(r),
    }
}

async fn search_stores(
    State(s): State<Arc<Shared>>,
    Path(user_id): Path<String>,
    Query(q): Params,
    headers: HeaderMap,
) -> Response {
    let user = auth!(s, headers, q, false);
    if let Err(r) = same_user(&user, &user_id) {
        return refused(r);
    }
    Json(s.world().search_stores(&user, q.get("external_id").map(String::as_str))).into_response()
}

async fn create_pos(State(s): State<Arc<Shared>>, Query(q): Params, headers: HeaderMap, body: Bytes) -> Response {
    let user = auth!(s, headers, q, false);
    let body: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) => return refused(refusal(400, "bad_request", "the body is not JSON")),
    };
    match s.world().create_pos(&user, &body, &s.base_url) {
        Ok(v) => (StatusCode::CREATED, Json(v)).into_response(),
        Err(r) => refused(r),
    }
}

async fn search_pos(State(s): State<Arc<Shared>>, Query(q): Params, headers: HeaderMap) -> Response {
    let user = auth!(s, headers, q, false);
    Json(s.world().search_pos(
        &user,
        q.get("external_id").map(String::as_str),
        q.get("store_id").map(String::as_str),
        &s.base_url,
    ))
    .into_response()
}
