//! The sandbox's Orders API for QR (`/v1/orders`), from `mercadopago-orders-api.md`: orders
//! created with an idempotency key on a POS's static QR, paid by the customer, cancelled by id
//! while `created`, expired by the clock, refunded whole or in part, and signed webhooks.
//! Built from the sandbox's own model with `json!`, never from the client's types, and as strict
//! as the contract allows: amounts are decimal strings with the site's decimals, and an Orders
//! call from a site the reference does not list answers `400 unsupported_site`.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, Duration as Span, SecondsFormat, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use super::world::{Outcome, Refusal, User, World};

/// An Orders error answer: `{"errors": [{"code", "message", "details"}]}`.
pub fn orders_refusal(status: u16, code: &str, message: &str) -> Refusal {
    Refusal {
        status,
        body: json!({ "errors": [{ "code": code, "message": message, "details": [] }] }),
    }
}

#[derive(Debug, Clone)]
pub struct QrOrder {
    pub id: String,
    pub user_id: u64,
    pub pos_id: u64,
    pub external_pos_id: String,
    pub mode: String,
    pub external_reference: String,
    pub description: Option<String>,
    pub total: Decimal,
    pub currency: String,
    pub decimals: u32,
    pub items: Value,
    pub expiration_time: String,
    pub expires: DateTime<Utc>,
    pub status: String,
    pub status_detail: String,
    pub payment: QrPayment,
    pub refunds: Vec<QrRefund>,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    /// Grows with each change, as `data.version` in webhooks.
    pub version: u64,
}

#[derive(Debug, Clone)]
pub struct QrPayment {
    pub id: String,
    /// The payment's classic (`/v1/payments`) id.
    pub reference_id: u64,
    pub amount: Decimal,
    pub paid: Decimal,
    pub refunded: Decimal,
    pub status: String,
    pub status_detail: String,
}

#[derive(Debug, Clone)]
pub struct QrRefund {
    pub id: String,
    pub amount: Decimal,
    pub reference_id: u64,
}

/// What a used idempotency key did: the call's target and body, and the answer it got.
#[derive(Debug, Clone)]
pub struct Keyed {
    pub what: String,
    pub body: String,
    pub answer: Value,
    pub at: DateTime<Utc>,
}

/// Where an application's webhooks go (set once in Mercado Pago's panel), with its secret.
#[derive(Debug, Clone)]
pub struct Webhook {
    pub url: String,
    pub secret: String,
}

/// How the sandbox signs and sends webhooks: the switches the contract names.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct WebhookStyle {
    /// Sign the lowercased id (what the docs say) instead of the id as sent (what the SDKs say).
    pub lowercase_id: bool,
    /// `ts` in seconds instead of milliseconds.
    pub seconds: bool,
    pub unsigned: bool,
    pub wrong_signature: bool,
    /// Each webhook twice.
    pub duplicates: bool,
}

/// A webhook the sandbox will send.
#[derive(Debug, Clone)]
pub struct WebhookNotice {
    pub url: String,
    pub secret: String,
    pub order_id: String,
    pub body: Value,
}

/// Sites whose QR the Orders API serves, per its reference.
fn orders_site(site_id: &str) -> bool {
    matches!(site_id, "MLA" | "MLB" | "MLC" | "MLU")
}

fn country(site_id: &str) -> &'static str {
    match site_id {
        "MLA" => "ARG",
        "MLB" => "BRA",
        "MLC" => "CHL",
        "MLU" => "URY",
        _ => "",
    }
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn opaque(prefix: &str) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let tail: String = (0..26)
        .map(|_| ALPHABET[fastrand::usize(..ALPHABET.len())] as char)
        .collect();
    format!("{prefix}{tail}")
}

/// An amount as the Orders API takes it: a JSON string, with exactly the currency's decimals.
fn strict_amount(v: &Value, field: &str, decimals: u32) -> Result<Decimal, Refusal> {
    let text = match v {
        Value::String(s) => s,
        Value::Null => {
            return Err(orders_refusal(
                400,
                "required_properties",
                &format!("missing properties: '$.{field}'"),
            ))
        }
        _ => {
            return Err(orders_refusal(
                400,
                "property_type",
                &format!("$.{field}: must be a string"),
            ))
        }
    };
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    let well_formed = digits(whole)
        && if decimals == 0 {
            !text.contains('.')
        } else {
            frac.len() == decimals as usize && digits(frac)
        };
    let amount = Decimal::from_str(text)
        .ok()
        .filter(|a| *a > Decimal::ZERO && well_formed);
    amount.ok_or_else(|| {
        orders_refusal(
            400,
            "property_value",
            &format!("$.{field}: {text:?} is not an amount with {decimals} decimals"),
        )
    })
}

/// `PT30S` to `PT3600H`.
fn parse_duration(text: &str) -> Option<Span> {
    let rest = text.strip_prefix("PT")?;
    let mut seconds = 0i64;
    let mut number = String::new();
    let mut any = false;
    for c in rest.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let n: i64 = number.parse().ok()?;
        number.clear();
        seconds += n * match c {
            'H' => 3600,
            'M' => 60,
            'S' => 1,
            _ => return None,
        };
        any = true;
    }
    (any && number.is_empty() && (30..=3600 * 3600).contains(&seconds)).then(|| Span::seconds(seconds))
}

fn text(t: Decimal, decimals: u32) -> String {
    let mut t = t;
    t.rescale(decimals);
    t.to_string()
}

impl World {
    fn keyed(&mut self, user: &User, key: Option<&str>, what: &str, body: &str) -> Result<Option<Value>, Refusal> {
        let key = key
            .filter(|k| !k.trim().is_empty())
            .ok_or_else(|| orders_refusal(400, "empty_required_header", "X-Idempotency-Key is required"))?;
        let now = self.now();
        self.idempotency.retain(|_, k| now - k.at < Span::hours(24));
        match self.idempotency.get(&(user.id, key.to_owned())) {
            Some(k) if k.what == what && k.body == body => Ok(Some(k.answer.clone())),
            Some(_) => Err(orders_refusal(
                409,
                "idempotency_key_already_used",
                "the idempotency key was used for another request",
            )),
            None => Ok(None),
        }
    }

    fn remember(&mut self, user: &User, key: Option<&str>, what: &str, body: &str, answer: &Value) {
        if let Some(key) = key {
            let at = self.now();
            self.idempotency.insert(
                (user.id, key.to_owned()),
                Keyed {
                    what: what.to_owned(),
                    body: body.to_owned(),
                    answer: answer.clone(),
                    at,
                },
            );
        }
    }

    fn orders_site_of(&self, user: &User) -> Result<(), Refusal> {
        if orders_site(&user.site_id) {
            Ok(())
        } else {
            Err(orders_refusal(
                400,
                "unsupported_site",
                &format!("the Orders API does not serve QR in {}", user.site_id),
            ))
        }
    }

    /// `POST /v1/orders`: 201 and the order; a replay of the same key and body answers the same
    /// order; the same key with another body, 409.
    pub fn create_qr_order(&mut self, user: &User, key: Option<&str>, body: &str) -> Result<Value, Refusal> {
        self.expire();
        self.orders_site_of(user)?;
        if let Some(answer) = self.keyed(user, key, "create", body)? {
            let id = answer["id"].as_str().unwrap_or_default().to_owned();
            return Ok(self.qr_orders.get(&id).map(|o| self.qr_order_json(o)).unwrap_or(answer));
        }
        let v: Value =
            serde_json::from_str(body).map_err(|_| orders_refusal(400, "json_syntax_error", "the body is not JSON"))?;
        let missing = |f: &str| orders_refusal(400, "required_properties", &format!("missing properties: '$.{f}'"));
        for refused in ["notification_url", "title", "currency_id"] {
            if v.get(refused).is_some() {
                return Err(orders_refusal(
                    400,
                    "unsupported_properties",
                    &format!("additionalProperties '$.{refused}' not allowed"),
                ));
            }
        }
        if v["type"] != "qr" {
            return Err(match v.get("type") {
                None => missing("type"),
                Some(_) => orders_refusal(400, "property_value", "$.type: only \"qr\""),
            });
        }
        let reference = v["external_reference"]
            .as_str()
            .ok_or_else(|| missing("external_reference"))?;
        if reference.is_empty()
            || reference.len() > 64
            || !reference
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(orders_refusal(
                400,
                "property_value",
                "$.external_reference: up to 64 letters, digits, _ or -",
            ));
        }
        if v["description"].as_str().is_some_and(|d| d.chars().count() > 150) {
            return Err(orders_refusal(
                400,
                "property_value",
                "$.description: up to 150 characters",
            ));
        }
        let (currency, decimals) = (user.currency.clone(), user.decimals);
        let payments = v["transactions"]["payments"]
            .as_array()
            .ok_or_else(|| missing("transactions"))?;
        if payments.len() != 1 {
            return Err(match payments.len() {
                0 => orders_refusal(400, "minimum_properties", "$.transactions.payments: one payment"),
                _ => orders_refusal(400, "exceeded_number_of_transactions", "one payment per QR order"),
            });
        }
        let amount = strict_amount(&payments[0]["amount"], "transactions.payments[0].amount", decimals)?;
        if v.get("total_amount").is_some() {
            let total = strict_amount(&v["total_amount"], "total_amount", decimals)?;
            if total != amount {
                return Err(orders_refusal(
                    400,
                    "property_value",
                    "$.total_amount: must equal the payments' amount",
                ));
            }
        }
        let expiration = v["expiration_time"].as_str().unwrap_or("PT15M");
        let lifetime = parse_duration(expiration).ok_or_else(|| {
            orders_refusal(
                400,
                "property_value",
                "$.expiration_time: an ISO-8601 duration from PT30S to PT3600H",
            )
        })?;
        let qr = &v["config"]["qr"];
        let pos_external = qr["external_pos_id"]
            .as_str()
            .ok_or_else(|| missing("config.qr.external_pos_id"))?;
        let mode = qr["mode"].as_str().unwrap_or("static").to_owned();
        if !["static", "dynamic", "hybrid"].contains(&mode.as_str()) {
            return Err(orders_refusal(400, "property_value", "$.config.qr.mode"));
        }
        let pos = self
            .pos
            .iter()
            .find(|p| p.user_id == user.id && p.external_id.eq_ignore_ascii_case(pos_external))
            .cloned()
            .ok_or_else(|| orders_refusal(404, "pos_not_found", "no POS with this external_pos_id"))?;
        if let Some(items) = v.get("items") {
            let items = items
                .as_array()
                .ok_or_else(|| orders_refusal(400, "property_type", "$.items: a list"))?;
            if items.len() > 10 {
                return Err(orders_refusal(400, "maximum_items", "$.items: at most 10"));
            }
            let mut sum = Decimal::ZERO;
            for (i, it) in items.iter().enumerate() {
                let title = it["title"].as_str().unwrap_or("");
                if title.trim().is_empty() || title.chars().count() > 150 {
                    return Err(orders_refusal(400, "property_value", &format!("$.items[{i}].title")));
                }
                let price = strict_amount(&it["unit_price"], &format!("items[{i}].unit_price"), decimals)?;
                let quantity = it["quantity"].as_u64().filter(|q| *q >= 1).ok_or_else(|| {
                    orders_refusal(400, "property_type", &format!("$.items[{i}].quantity: an integer"))
                })?;
                let unit = it["unit_measure"].as_str().unwrap_or("unit");
                if unit.len() > 10 || unit.chars().any(|c| c.is_ascii_uppercase()) {
                    return Err(orders_refusal(
                        400,
                        "property_value",
                        &format!("$.items[{i}].unit_measure"),
                    ));
                }
                if it.get("total_amount").is_some() {
                    return Err(orders_refusal(
                        400,
                        "unsupported_properties",
                        &format!("additionalProperties '$.items[{i}].total_amount' not allowed"),
                    ));
                }
                sum += price * Decimal::from(quantity);
            }
            // Whether Mercado Pago checks the sum is not confirmed; the sandbox does.
            if sum != amount {
                return Err(orders_refusal(
                    400,
                    "property_value",
                    "$.items: they do not add up to the total",
                ));
            }
        }
        let now = self.now();
        let busy = self
            .qr_orders
            .values()
            .any(|o| o.pos_id == pos.id && o.status == "created" && o.expires > now);
        if busy {
            // A sandbox-only name: a second static order on a busy POS is not documented.
            return Err(orders_refusal(
                409,
                "pos_busy",
                "the POS holds an order waiting for its customer",
            ));
        }
        let reference_id = self.next_id();
        let order = QrOrder {
            id: opaque("ORD"),
            user_id: user.id,
            pos_id: pos.id,
            external_pos_id: pos.external_id.clone(),
            mode,
            external_reference: reference.to_owned(),
            description: v["description"].as_str().map(str::to_owned),
            total: amount,
            currency,
            decimals,
            items: v.get("items").cloned().unwrap_or(Value::Null),
            expiration_time: expiration.to_owned(),
            expires: now + lifetime,
            status: "created".into(),
            status_detail: "created".into(),
            payment: QrPayment {
                id: opaque("PAY"),
                reference_id,
                amount,
                paid: Decimal::ZERO,
                refunded: Decimal::ZERO,
                status: "created".into(),
                status_detail: "ready_to_process".into(),
            },
            refunds: Vec::new(),
            created: now,
            updated: now,
            version: 1,
        };
        let answer = self.qr_order_json(&order);
        self.orders_created += 1;
        self.qr_orders.insert(order.id.clone(), order);
        self.remember(user, key, "create", body, &answer);
        Ok(answer)
    }

    fn qr_order_of(&self, user: &User, id: &str) -> Result<QrOrder, Refusal> {
        if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(orders_refusal(400, "invalid_path_param", "the order id is not valid"));
        }
        self.qr_orders
            .get(id)
            .filter(|o| o.user_id == user.id)
            .cloned()
            .ok_or_else(|| orders_refusal(404, "order_not_found", "order not found"))
    }

    pub fn get_qr_order(&mut self, user: &User, id: &str) -> Result<Value, Refusal> {
        self.expire();
        self.orders_site_of(user)?;
        Ok(self.qr_order_json(&self.qr_order_of(user, id)?))
    }

    /// `POST /v1/orders/{id}/cancel`: only while `created`.
    pub fn cancel_qr_order(&mut self, user: &User, id: &str, key: Option<&str>) -> Result<Value, Refusal> {
        self.expire();
        self.orders_site_of(user)?;
        let what = format!("cancel {id}");
        if let Some(answer) = self.keyed(user, key, &what, "")? {
            return Ok(answer);
        }
        let order = self.qr_order_of(user, id)?;
        match order.status.as_str() {
            // A payment being reviewed is Mercado Pago's to decide: the order is not cancelled
            // under it (a sandbox decision; the docs say nothing of it).
            "created" if order.payment.status_detail == "in_review" => {
                return Err(orders_refusal(
                    409,
                    "cannot_cancel_order",
                    "a payment of this order is being reviewed",
                ))
            }
            "created" => {}
            "canceled" => return Err(orders_refusal(409, "order_already_canceled", "the order is canceled")),
            _ => {
                return Err(orders_refusal(
                    409,
                    "cannot_cancel_order",
                    &format!("an order that is {} cannot be canceled", order.status),
                ))
            }
        }
        let now = self.now();
        let o = self.qr_orders.get_mut(id).expect("read above");
        o.status = "canceled".into();
        o.status_detail = "canceled".into();
        o.payment.status = "canceled".into();
        o.payment.status_detail = "canceled_by_api".into();
        o.updated = now;
        o.version += 1;
        let o = o.clone();
        self.webhook(&o, "order.canceled");
        let answer = self.qr_order_json(&o);
        self.remember(user, key, &what, "", &answer);
        Ok(answer)
    }

    /// `POST /v1/orders/{id}/refund`: whole (no body), or part of its payment.
    pub fn refund_qr_order(&mut self, user: &User, id: &str, key: Option<&str>, body: &str) -> Result<Value, Refusal> {
        self.expire();
        self.orders_site_of(user)?;
        let what = format!("refund {id}");
        if let Some(answer) = self.keyed(user, key, &what, body)? {
            return Ok(answer);
        }
        let order = self.qr_order_of(user, id)?;
        match order.status.as_str() {
            "processed" => {}
            "refunded" => return Err(orders_refusal(409, "order_already_refunded", "the order is refunded")),
            _ => {
                return Err(orders_refusal(
                    409,
                    "cannot_refund_order",
                    &format!("an order that is {} cannot be refunded", order.status),
                ))
            }
        }
        let left = order.payment.paid - order.payment.refunded;
        let amount = if body.trim().is_empty() {
            left
        } else {
            let v: Value = serde_json::from_str(body)
                .map_err(|_| orders_refusal(400, "json_syntax_error", "the body is not JSON"))?;
            let part = &v["transactions"][0];
            if part["id"].as_str() != Some(order.payment.id.as_str()) {
                return Err(orders_refusal(
                    400,
                    "property_value",
                    "$.transactions[0].id: not this order's payment",
                ));
            }
            let a = strict_amount(&part["amount"], "transactions[0].amount", order.decimals)?;
            if a > left {
                return Err(orders_refusal(
                    400,
                    "property_value",
                    "$.transactions[0].amount: more than is left",
                ));
            }
            a
        };
        let now = self.now();
        let reference_id = self.next_id();
        let o = self.qr_orders.get_mut(id).expect("read above");
        o.payment.refunded += amount;
        o.refunds.push(QrRefund {
            id: opaque("REF"),
            amount,
            reference_id,
        });
        if o.payment.refunded >= o.payment.paid {
            o.status = "refunded".into();
            o.status_detail = "refunded".into();
            o.payment.status = "refunded".into();
            o.payment.status_detail = "refunded".into();
        } else {
            o.status_detail = "partially_refunded".into();
        }
        o.updated = now;
        o.version += 1;
        let o = o.clone();
        self.webhook(&o, "order.refunded");
        let answer = self.qr_order_json(&o);
        self.remember(user, key, &what, body, &answer);
        Ok(answer)
    }

    /// The order waiting on a POS's QR now, for the customer who scans it.
    pub fn qr_order_on(&self, pos_id: u64) -> Option<&QrOrder> {
        let now = self.now();
        self.qr_orders
            .values()
            .find(|o| o.pos_id == pos_id && o.status == "created" && o.expires > now)
    }

    /// The customer scans the POS's QR and pays the order waiting there (whole: QR orders are
    /// not paid in parts). A refused attempt leaves the order `created`: they may try again. A
    /// payment in review leaves it `created` too, its payment `in_review`, until it is resolved.
    pub fn pay_qr_order(&mut self, pos_id: u64, outcome: Outcome) -> Result<Value, Refusal> {
        self.expire();
        let id = self
            .qr_order_on(pos_id)
            .map(|o| o.id.clone())
            .ok_or_else(|| orders_refusal(404, "no_order", "the POS holds no order: nothing to pay"))?;
        if self.qr_orders[&id].payment.status_detail == "in_review" {
            return Err(orders_refusal(
                409,
                "in_review",
                "a payment of this order is being reviewed",
            ));
        }
        let now = self.now();
        let o = self.qr_orders.get_mut(&id).expect("found above");
        let status = match outcome {
            Outcome::Approved => {
                o.payment.paid = o.payment.amount;
                o.payment.status = "processed".into();
                o.payment.status_detail = "accredited".into();
                o.status = "processed".into();
                o.status_detail = "accredited".into();
                "processed"
            }
            Outcome::Pending => {
                o.payment.status = "action_required".into();
                o.payment.status_detail = "in_review".into();
                "in_review"
            }
            Outcome::Rejected => "rejected",
            Outcome::Partial => {
                return Err(orders_refusal(400, "not_partial", "a QR order is paid whole"));
            }
        };
        o.updated = now;
        o.version += 1;
        let o = o.clone();
        if status == "processed" {
            self.webhook(&o, "order.processed");
        }
        Ok(json!({ "order_id": o.id, "payment_id": o.payment.reference_id, "status": status }))
    }

    /// A payment in review is approved, or refused (the order goes back to waiting).
    pub(super) fn resolve_qr_payment(&mut self, reference_id: u64, approve: bool) -> Option<Value> {
        let now = self.now();
        let o = self
            .qr_orders
            .values_mut()
            .find(|o| o.payment.reference_id == reference_id && o.payment.status_detail == "in_review")?;
        if approve {
            o.payment.paid = o.payment.amount;
            o.payment.status = "processed".into();
            o.payment.status_detail = "accredited".into();
            o.status = "processed".into();
            o.status_detail = "accredited".into();
        } else {
            o.payment.status = "created".into();
            o.payment.status_detail = "ready_to_process".into();
        }
        o.updated = now;
        o.version += 1;
        let o = o.clone();
        if approve {
            self.webhook(&o, "order.processed");
        }
        Some(json!({ "payment_id": reference_id }))
    }

    /// Orders whose time ran out (never one whose payment is in review).
    pub(super) fn expire_qr_orders(&mut self) {
        let now = self.now();
        let expired: Vec<String> = self
            .qr_orders
            .values()
            .filter(|o| o.status == "created" && o.expires <= now && o.payment.status_detail != "in_review")
            .map(|o| o.id.clone())
            .collect();
        for id in expired {
            let o = self.qr_orders.get_mut(&id).expect("listed above");
            o.status = "expired".into();
            o.status_detail = "expired".into();
            o.payment.status = "expired".into();
            o.payment.status_detail = "expired".into();
            o.updated = now;
            o.version += 1;
            let o = o.clone();
            self.webhook(&o, "order.expired");
        }
    }

    /// What the store holds for QR orders of this reference (the oracle's count).
    pub(super) fn qr_collected(&self, external_reference: &str) -> Decimal {
        self.qr_orders
            .values()
            .filter(|o| o.external_reference == external_reference)
            .map(|o| o.payment.paid - o.payment.refunded)
            .sum()
    }

    fn webhook(&mut self, o: &QrOrder, action: &str) {
        let Some(hook) = self.webhooks.get(&o.user_id).cloned() else {
            return;
        };
        let mut data = json!({
            "external_reference": o.external_reference,
            "id": o.id,
            "status": o.status,
            "status_detail": o.status_detail,
            "total_amount": text(o.total, o.decimals),
            "type": "qr",
            "version": o.version,
        });
        if action == "order.processed" {
            data["transactions"] = self.qr_order_json(o)["transactions"].clone();
        }
        let body = json!({
            "action": action,
            "api_version": "v1",
            "application_id": "7364289770550796",
            "data": data,
            "date_created": iso(self.now()),
            "live_mode": false,
            "type": "order",
            "user_id": o.user_id.to_string(),
        });
        self.webhook_queue.push(WebhookNotice {
            url: hook.url,
            secret: hook.secret,
            order_id: o.id.clone(),
            body,
        });
    }

    pub fn qr_order_json(&self, o: &QrOrder) -> Value {
        let site = self
            .users
            .iter()
            .find(|u| u.id == o.user_id)
            .map(|u| u.site_id.clone())
            .unwrap_or_default();
        let t = |d: Decimal| text(d, o.decimals);
        let mut payment = json!({
            "id": o.payment.id,
            "amount": t(o.payment.amount),
            "status": o.payment.status,
            "status_detail": o.payment.status_detail,
        });
        if o.payment.paid > Decimal::ZERO {
            payment["paid_amount"] = json!(t(o.payment.paid));
            payment["reference_id"] = json!(o.payment.reference_id.to_string());
            payment["payment_method"] = json!({ "id": "account_money", "type": "account_money", "installments": 1 });
        }
        if o.payment.refunded > Decimal::ZERO {
            payment["refunded_amount"] = json!(t(o.payment.refunded));
        }
        let mut answer = json!({
            "id": o.id,
            "type": "qr",
            "processing_mode": "automatic",
            "external_reference": o.external_reference,
            "total_amount": t(o.total),
            "expiration_time": o.expiration_time,
            "country_code": country(&site),
            "user_id": o.user_id.to_string(),
            "status": o.status,
            "status_detail": o.status_detail,
            "currency": o.currency,
            "created_date": iso(o.created),
            "last_updated_date": iso(o.updated),
            "integration_data": { "application_id": "7364289770550796" },
            "config": { "qr": { "external_pos_id": o.external_pos_id, "mode": o.mode } },
            "transactions": { "payments": [payment] },
        });
        if let Some(d) = &o.description {
            answer["description"] = json!(d);
        }
        if o.payment.paid > Decimal::ZERO {
            answer["total_paid_amount"] = json!(t(o.payment.paid));
        }
        if !o.refunds.is_empty() {
            answer["transactions"]["refunds"] = Value::Array(
                o.refunds
                    .iter()
                    .map(|r| {
                        json!({ "id": r.id, "transaction_id": o.payment.id, "reference_id": r.reference_id.to_string(),
                                "amount": t(r.amount), "status": "processed" })
                    })
                    .collect(),
            );
        }
        if o.items.is_array() {
            answer["items"] = o.items.clone();
        }
        answer
    }

    /// The classic view (`/v1/payments`) of QR orders' payments, for a payment search by
    /// `external_reference`.
    pub(super) fn qr_payments_json(&self, user: &User, external_reference: Option<&str>) -> Vec<Value> {
        self.qr_orders
            .values()
            .filter(|o| o.user_id == user.id && o.payment.paid > Decimal::ZERO)
            .filter(|o| external_reference.is_none_or(|r| o.external_reference == r))
            .map(|o| {
                let status = if o.payment.refunded >= o.payment.paid {
                    "refunded"
                } else {
                    "approved"
                };
                json!({
                    "id": o.payment.reference_id,
                    "status": status,
                    "status_detail": "accredited",
                    "external_reference": o.external_reference,
                    "transaction_amount": super::world::num(o.payment.paid),
                    "transaction_amount_refunded": super::world::num(o.payment.refunded),
                    "currency_id": o.currency,
                    "date_created": iso(o.created),
                    "order": {},
                    "pos_id": o.pos_id.to_string(),
                    "point_of_interaction": { "type": "INSTORE" },
                })
            })
            .collect()
    }
}

/// The webhook's `x-signature`: `ts=…,v1=<hex HMAC-SHA256 of the manifest>`, as `style` says.
pub fn signature(secret: &str, id: &str, request_id: &str, now_ms: i64, style: &WebhookStyle) -> String {
    use hmac::{Hmac, Mac};
    let ts = if style.seconds { now_ms / 1000 } else { now_ms }.to_string();
    let id = if style.lowercase_id {
        id.to_lowercase()
    } else {
        id.to_owned()
    };
    let manifest = format!("id:{id};request-id:{request_id};ts:{ts};");
    let key = if style.wrong_signature {
        "not-the-secret"
    } else {
        secret
    };
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes any key");
    mac.update(manifest.as_bytes());
    format!("ts={ts},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// Kept by the world: used keys, configured webhooks.
pub type Keys = BTreeMap<(u64, String), Keyed>;
