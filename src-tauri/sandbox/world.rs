//! The sandbox's model of Mercado Pago: users, stores, POS, the order on each POS, merchant
//! orders created by scans, payments, refunds, and a clock that tests can move.
//!
//! JSON answers are built here from this model with `serde_json::json!`, never from the
//! client's types.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, Duration as Span, SecondsFormat, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Value};

/// An error answer: status and Mercado Pago's error body.
#[derive(Debug)]
pub struct Refusal {
    pub status: u16,
    pub body: Value,
}

pub fn refusal(status: u16, error: &str, message: &str) -> Refusal {
    Refusal {
        status,
        body: json!({ "message": message, "error": error, "status": status, "cause": [] }),
    }
}

pub type Answer = Result<Value, Refusal>;

#[derive(Debug, Clone)]
pub struct User {
    pub id: u64,
    pub token: String,
    pub nickname: String,
    pub site_id: String,
    pub currency: String,
    pub decimals: u32,
}

#[derive(Debug, Clone)]
pub struct Store {
    pub id: u64,
    pub user_id: u64,
    pub name: String,
    pub external_id: String,
    pub location: Value,
    pub business_hours: Value,
    pub created: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Pos {
    pub id: u64,
    pub user_id: u64,
    pub name: String,
    pub external_id: String,
    pub store_id: u64,
    pub external_store_id: String,
    pub category: Option<u64>,
    pub url: Option<String>,
    pub uuid: String,
    /// False (Mercado Pago's default): the customer types the amount.
    pub fixed_amount: bool,
    pub created: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Item {
    pub id: Option<String>,
    pub title: String,
    pub description: Option<String>,
    pub unit_price: Decimal,
    pub quantity: u64,
}

/// The order a POS holds now: what a scan turns into a merchant order.
#[derive(Debug, Clone)]
pub struct PosOrder {
    pub preference_id: String,
    pub external_reference: String,
    pub notification_url: Option<String>,
    pub items: Vec<Item>,
    pub total: Decimal,
    pub created: DateTime<Utc>,
    pub expires: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoStatus {
    Opened,
    Closed,
    Expired,
}

#[derive(Debug, Clone)]
pub struct MerchantOrder {
    pub id: u64,
    pub user_id: u64,
    pub pos_id: u64,
    pub preference_id: String,
    pub external_reference: String,
    pub notification_url: Option<String>,
    pub items: Vec<Item>,
    pub total: Decimal,
    pub status: MoStatus,
    pub payments: Vec<u64>,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    /// After this an opened merchant order with no approved or pending payment expires.
    pub payable_until: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Payment {
    pub id: u64,
    pub merchant_order_id: u64,
    pub status: String,
    pub status_detail: String,
    pub amount: Decimal,
    pub refunded: Decimal,
    pub created: DateTime<Utc>,
    pub approved: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct Refund {
    pub id: u64,
    pub payment_id: u64,
    pub amount: Decimal,
    pub idempotency_key: Option<String>,
    pub created: DateTime<Utc>,
}

/// What a customer does with a scanned merchant order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Approved,
    Rejected,
    Pending,
    Partial,
}

/// A merchant order that changed, for the IPN sender.
#[derive(Debug, Clone)]
pub struct Notice {
    pub url: String,
    pub merchant_order_id: u64,
}

pub struct World {
    clock_offset: Span,
    next_id: u64,
    pub users: Vec<User>,
    pub stores: Vec<Store>,
    pub pos: Vec<Pos>,
    pub orders: BTreeMap<u64, PosOrder>,
    pub merchant_orders: BTreeMap<u64, MerchantOrder>,
    pub payments: BTreeMap<u64, Payment>,
    pub refunds: Vec<Refund>,
    pub notices: Vec<Notice>,
    /// Orders replaced or deleted, for tests that look for a sale's stray orders.
    pub orders_created: u64,
    /// A scanned merchant order can be paid until its order's expiry, and at least this long
    /// after the scan (the customer is in the middle of paying).
    pub scan_grace: Span,
    /// The Orders API's orders, by id.
    pub qr_orders: BTreeMap<String, super::orders::QrOrder>,
    /// Idempotency keys the Orders API has seen, kept 24 hours.
    pub idempotency: super::orders::Keys,
    /// Each account's webhook (URL and secret), as set in Mercado Pago's panel.
    pub webhooks: BTreeMap<u64, super::orders::Webhook>,
    pub webhook_queue: Vec<super::orders::WebhookNotice>,
    pub webhook_style: super::orders::WebhookStyle,
}

pub const DEFAULT_TTL_SECS: i64 = 600;

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// An amount as a JSON number: an integer when whole, else its decimal text.
pub fn num(d: Decimal) -> Value {
    let n = d.normalize();
    if n.scale() == 0 {
        if let Ok(i) = i64::from_str(&n.to_string()) {
            return json!(i);
        }
    }
    serde_json::from_str(&n.to_string()).unwrap_or(Value::Null)
}

pub fn site_currency(site_id: &str) -> Option<(&'static str, u32)> {
    Some(match site_id {
        "MLA" => ("ARS", 2),
        "MLB" => ("BRL", 2),
        "MLM" => ("MXN", 2),
        "MLU" => ("UYU", 2),
        "MPE" => ("PEN", 2),
        "MLC" => ("CLP", 0),
        "MCO" => ("COP", 0),
        // A site the app does not charge in, for testing that it says so.
        "MLV" => ("VES", 2),
        _ => return None,
    })
}

impl Default for World {
    fn default() -> Self {
        World {
            clock_offset: Span::zero(),
            // Ids beyond 32 bits, as Mercado Pago's are.
            next_id: 20_000_000_000 + fastrand::u64(0..1_000_000) * 1000,
            users: Vec::new(),
            stores: Vec::new(),
            pos: Vec::new(),
            orders: BTreeMap::new(),
            merchant_orders: BTreeMap::new(),
            payments: BTreeMap::new(),
            refunds: Vec::new(),
            notices: Vec::new(),
            orders_created: 0,
            scan_grace: Span::seconds(120),
            qr_orders: BTreeMap::new(),
            idempotency: BTreeMap::new(),
            webhooks: BTreeMap::new(),
            webhook_queue: Vec::new(),
            webhook_style: Default::default(),
        }
    }
}

impl World {
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.clock_offset
    }

    pub fn advance(&mut self, seconds: i64) {
        self.clock_offset += Span::seconds(seconds);
        self.expire();
    }

    fn id(&mut self) -> u64 {
        self.next_id += 1 + fastrand::u64(0..7);
        self.next_id
    }

    pub(super) fn next_id(&mut self) -> u64 {
        self.id()
    }

    /// A new account with a token of Mercado Pago's test form: `TEST-<app>-<date>-<hex>-<user>`.
    pub fn add_user(&mut self, site_id: &str, nickname: Option<&str>) -> Result<User, Refusal> {
        let (currency, decimals) =
            site_currency(site_id).ok_or_else(|| refusal(400, "invalid_site_id", "unknown site_id"))?;
        let id = 100_000_000 + fastrand::u64(0..899_999_999);
        let hex: String = (0..32).map(|_| fastrand::char('a'..='f')).collect();
        let token = format!(
            "TEST-{}-{}-{hex}-{id}",
            fastrand::u64(1_000_000_000_000_000..9_999_999_999_999_999),
            self.now().format("%m%d%H")
        );
        let user = User {
            id,
            token,
            nickname: nickname
                .map(str::to_owned)
                .unwrap_or_else(|| format!("TESTUSER{}", id % 100_000)),
            site_id: site_id.to_owned(),
            currency: currency.to_owned(),
            decimals,
        };
        self.users.push(user.clone());
        Ok(user)
    }

    pub fn user_by_token(&self, token: &str) -> Option<&User> {
        self.users.iter().find(|u| u.token == token)
    }

    /// Revokes the account's token and issues another: the old one is refused from now on.
    pub fn renew_token(&mut self, user_id: u64) -> Result<String, Refusal> {
        let now = self.now();
        let user = self
            .users
            .iter_mut()
            .find(|u| u.id == user_id)
            .ok_or_else(|| refusal(404, "not_found", "no such user"))?;
        let hex: String = (0..32).map(|_| fastrand::char('a'..='f')).collect();
        user.token = format!(
            "TEST-{}-{}-{hex}-{user_id}",
            fastrand::u64(1_000_000_000_000_000..9_999_999_999_999_999),
            now.format("%m%d%H")
        );
        Ok(user.token.clone())
    }

    /// What the store holds for a sale: approved payments minus their refunds, over every
    /// merchant order of its reference. The sandbox's own count, for the tests' money oracle.
    pub fn collected(&self, external_reference: &str) -> Decimal {
        let merchant_orders: Decimal = self
            .merchant_orders
            .values()
            .filter(|m| m.external_reference == external_reference)
            .flat_map(|m| m.payments.iter().filter_map(|id| self.payments.get(id)))
            .filter(|p| p.status == "approved" || p.status == "refunded")
            .map(|p| p.amount - p.refunded)
            .sum();
        merchant_orders + self.qr_collected(external_reference)
    }

    /// The order a customer who scans the POS now would pay, if any, and whose (its
    /// `external_reference`), on either API.
    pub fn order_on(&self, pos_id: u64) -> Option<&str> {
        self.orders
            .get(&pos_id)
            .filter(|o| o.expires > self.now())
            .map(|o| o.external_reference.as_str())
            .or_else(|| self.qr_order_on(pos_id).map(|o| o.external_reference.as_str()))
    }

    /// Ends what the clock has passed: orders on POS beyond their TTL, merchant orders nobody
    /// paid in time.
    pub fn expire(&mut self) {
        let now = self.now();
        self.expire_qr_orders();
        self.orders.retain(|_, o| o.expires > now);
        let pending_or_paid: Vec<u64> = self
            .payments
            .values()
            .filter(|p| matches!(p.status.as_str(), "approved" | "pending" | "in_process"))
            .map(|p| p.merchant_order_id)
            .collect();
        let mut changed = Vec::new();
        for mo in self.merchant_orders.values_mut() {
            if mo.status == MoStatus::Opened && mo.payable_until <= now && !pending_or_paid.contains(&mo.id) {
                mo.status = MoStatus::Expired;
                mo.updated = now;
                changed.push(mo.id);
            }
        }
        for id in changed {
            self.notice(id);
        }
    }

    fn notice(&mut self, merchant_order_id: u64) {
        if let Some(url) = self
            .merchant_orders
            .get(&merchant_order_id)
            .and_then(|m| m.notification_url.clone())
        {
            self.notices.push(Notice { url, merchant_order_id });
        }
    }

    // ---- stores and POS ----

    pub fn create_store(&mut self, user: &User, body: &Value) -> Answer {
        let name = body["name"].as_str().filter(|s| !s.trim().is_empty());
        let name = name.ok_or_else(|| refusal(400, "invalid_name", "name is required"))?;
        let external_id = body["external_id"].as_str().unwrap_or("").to_owned();
        if !external_id.is_empty()
            && self
                .stores
                .iter()
                .any(|s| s.user_id == user.id && s.external_id.eq_ignore_ascii_case(&external_id))
        {
            return Err(refusal(
                409,
                "store_external_id_already_exists",
                "a store with this external_id exists",
            ));
        }
        let loc = &body["location"];
        let address = format!(
            "{} {}, {}, {}",
            loc["street_name"].as_str().unwrap_or(""),
            loc["street_number"].as_str().unwrap_or(""),
            loc["city_name"].as_str().unwrap_or(""),
            loc["state_name"].as_str().unwrap_or("")
        );
        let store = Store {
            id: self.id() % 100_000_000,
            user_id: user.id,
            name: name.to_owned(),
            external_id,
            location: json!({
                "address_line": address,
                "latitude": loc["latitude"].as_f64().unwrap_or(0.0),
                "longitude": loc["longitude"].as_f64().unwrap_or(0.0),
                "reference": loc["reference"].as_str().unwrap_or(""),
            }),
            business_hours: body
                .get("business_hours")
                .filter(|b| b.is_object())
                .cloned()
                .unwrap_or(json!({})),
            created: self.now(),
        };
        self.stores.push(store.clone());
        Ok(self.store_json(&store))
    }

    pub fn store_json(&self, s: &Store) -> Value {
        json!({
            "id": s.id.to_string(),
            "name": s.name,
            "date_created": iso(s.created),
            "business_hours": s.business_hours,
            "location": s.location,
            "external_id": s.external_id,
        })
    }

    pub fn search_stores(&self, user: &User, external_id: Option<&str>) -> Value {
        let results: Vec<Value> = self
            .stores
            .iter()
            .filter(|s| s.user_id == user.id && external_id.is_none_or(|e| s.external_id.eq_ignore_ascii_case(e)))
            .map(|s| self.store_json(s))
            .collect();
        json!({ "paging": { "total": results.len(), "offset": 0, "limit": 50 }, "results": results })
    }

    pub fn create_pos(&mut self, user: &User, body: &Value, base_url: &str) -> Answer {
        let name = body["name"].as_str().unwrap_or("").trim().to_owned();
        if name.is_empty() || name.chars().count() >= 45 {
            return Err(refusal(
                400,
                "invalid_name",
                "name is required and must be shorter than 45 characters",
            ));
        }
        let external_id = body["external_id"].as_str().unwrap_or("").to_owned();
        if external_id.is_empty() || external_id.len() >= 40 || !external_id.chars().all(|c| c.is_ascii_alphanumeric())
        {
            return Err(refusal(
                400,
                "invalid_external_id",
                "external_id must be alphanumeric and shorter than 40 characters",
            ));
        }
        if self
            .pos
            .iter()
            .any(|p| p.external_id.eq_ignore_ascii_case(&external_id))
        {
            return Err(refusal(
                409,
                "point_of_sale_exists",
                "a POS with this external_id already exists",
            ));
        }
        let store = match (&body["store_id"], body["external_store_id"].as_str()) {
            (Value::Number(n), _) => self
                .stores
                .iter()
                .find(|s| s.user_id == user.id && Some(s.id) == n.as_u64()),
            (Value::String(s), _) => self
                .stores
                .iter()
                .find(|st| st.user_id == user.id && st.id.to_string() == *s),
            (_, Some(ext)) => self
                .stores
                .iter()
                .find(|s| s.user_id == user.id && s.external_id.eq_ignore_ascii_case(ext)),
            _ => None,
        };
        let store = store.cloned().ok_or_else(|| {
            refusal(
                400,
                "invalid_store_id",
                "store_id or external_store_id must name one of your stores",
            )
        })?;
        let pos = Pos {
            id: self.id() % 100_000_000,
            user_id: user.id,
            name,
            external_id,
            store_id: store.id,
            external_store_id: store.external_id.clone(),
            category: body["category"].as_u64(),
            url: body["url"].as_str().map(str::to_owned),
            uuid: (0..64).map(|_| fastrand::char('a'..='f')).collect(),
            fixed_amount: body["fixed_amount"].as_bool().unwrap_or(false),
            created: self.now(),
        };
        self.pos.push(pos.clone());
        Ok(self.pos_json(&pos, base_url))
    }

    pub fn pos_json(&self, p: &Pos, base_url: &str) -> Value {
        json!({
            "id": p.id,
            "qr": {
                "image": format!("{base_url}/sandbox/qr/{}.png", p.id),
                "template_document": format!("{base_url}/sandbox/qr/{}/template.pdf", p.id),
                "template_image": format!("{base_url}/sandbox/qr/{}/template.png", p.id),
            },
            "status": "active",
            "date_created": iso(p.created),
            "date_last_updated": iso(p.created),
            "uuid": p.uuid,
            "user_id": p.user_id,
            "name": p.name,
            "fixed_amount": p.fixed_amount,
            "category": p.category,
            "store_id": p.store_id.to_string(),
            "external_store_id": p.external_store_id,
            "url": p.url,
            "external_id": p.external_id,
        })
    }

    pub fn search_pos(&self, user: &User, external_id: Option<&str>, store_id: Option<&str>, base_url: &str) -> Value {
        let results: Vec<Value> = self
            .pos
            .iter()
            .filter(|p| p.user_id == user.id)
            .filter(|p| external_id.is_none_or(|e| p.external_id.eq_ignore_ascii_case(e)))
            .filter(|p| store_id.is_none_or(|s| p.store_id.to_string() == s))
            .map(|p| self.pos_json(p, base_url))
            .collect();
        json!({ "paging": { "total": results.len(), "offset": 0, "limit": 50 }, "results": results })
    }

    // ---- orders on a POS ----

    fn pos_of(&self, user: &User, external_id: &str) -> Result<Pos, Refusal> {
        self.pos
            .iter()
            .find(|p| p.user_id == user.id && p.external_id.eq_ignore_ascii_case(external_id))
            .cloned()
            .ok_or_else(|| refusal(404, "point_of_sale_not_found", "no POS with this external_id"))
    }

    pub fn create_order(
        &mut self,
        user: &User,
        path_user: &str,
        pos_external_id: &str,
        body: &str,
        ttl: Option<&str>,
    ) -> Answer {
        if path_user != user.id.to_string() {
            return Err(refusal(
                400,
                "invalid_collector_id",
                "collector_id does not match the access token",
            ));
        }
        let pos = self.pos_of(user, pos_external_id)?;
        let order = parse_order(body, user)?;
        let ttl_secs = match ttl {
            None => DEFAULT_TTL_SECS,
            Some(t) => t.trim().parse::<i64>().ok().filter(|s| *s > 0).ok_or_else(|| {
                refusal(
                    400,
                    "invalid_ttl",
                    "X-Ttl-Store-Preference must be a positive number of seconds",
                )
            })?,
        };
        let now = self.now();
        let preference_id = format!("{}-{}", user.id, uuid_like());
        let stored = PosOrder {
            preference_id: preference_id.clone(),
            external_reference: order.external_reference,
            notification_url: order.notification_url,
            items: order.items,
            total: order.total,
            created: now,
            expires: now + Span::seconds(ttl_secs),
        };
        let answer = self.order_json(user, &stored, order.sponsor_id);
        // Last write wins: a replaced order can no longer be scanned.
        self.orders.insert(pos.id, stored);
        self.orders_created += 1;
        Ok(answer)
    }

    fn order_json(&self, user: &User, o: &PosOrder, sponsor_id: Option<u64>) -> Value {
        json!({
            "id": o.preference_id,
            "items": o.items.iter().map(|i| self.item_json(user, i)).collect::<Vec<_>>(),
            "collector_id": user.id,
            "collector": {},
            "total_amount": num(o.total),
            "amount": num(o.total),
            "external_reference": o.external_reference,
            "operation_type": "regular_payment",
            "payment_methods": { "excluded_payment_methods": [{ "id": "" }], "excluded_payment_types": [{ "id": "ticket" }, { "id": "atm" }] },
            "marketplace": "NONE",
            "marketplace_fee": 0,
            "sponsor_id": sponsor_id,
            "notification_url": o.notification_url,
            "back_urls": { "success": "", "pending": "", "failure": "" },
            "payer": {
                "id": 0, "email": "",
                "identification": { "number": "", "type": "" },
                "address": { "primary": false, "zip": "" },
                "phone": { "area_code": "", "number": "" },
                "internal_tags": []
            },
            "expires": false,
            "additional_info": "",
            "site_id": user.site_id,
            "client_id": user.id,
            "processing_modes": ["aggregator"],
            "internal_metadata": {},
        })
    }

    fn item_json(&self, user: &User, i: &Item) -> Value {
        json!({
            "id": i.id.clone().unwrap_or_default(),
            "title": i.title,
            "description": i.description.clone().unwrap_or_default(),
            "currency_id": user.currency,
            "unit_price": num(i.unit_price),
            "quantity": i.quantity,
            "picture_url": "",
        })
    }

    pub fn delete_order(&mut self, user: &User, path_user: &str, pos_external_id: &str) -> Result<(), Refusal> {
        if path_user != user.id.to_string() {
            return Err(refusal(
                400,
                "invalid_collector_id",
                "collector_id does not match the access token",
            ));
        }
        let pos = self.pos_of(user, pos_external_id)?;
        // Decision: no order on the POS also answers 204.
        self.orders.remove(&pos.id);
        Ok(())
    }

    // ---- the customer ----

    /// A customer scans the POS's QR: a new merchant order from the order it holds now.
    pub fn scan(&mut self, pos_id: u64) -> Answer {
        self.expire();
        let pos = self
            .pos
            .iter()
            .find(|p| p.id == pos_id)
            .cloned()
            .ok_or_else(|| refusal(404, "not_found", "no such POS"))?;
        let order = self
            .orders
            .get(&pos_id)
            .cloned()
            .ok_or_else(|| refusal(404, "no_order", "the POS holds no order: nothing to pay"))?;
        let now = self.now();
        let mo = MerchantOrder {
            id: self.id(),
            user_id: pos.user_id,
            pos_id,
            preference_id: order.preference_id,
            external_reference: order.external_reference,
            notification_url: order.notification_url,
            items: order.items,
            total: order.total,
            status: MoStatus::Opened,
            payments: Vec::new(),
            created: now,
            updated: now,
            payable_until: order.expires.max(now + self.scan_grace),
        };
        let id = mo.id;
        self.merchant_orders.insert(id, mo);
        self.notice(id);
        Ok(json!({ "merchant_order_id": id }))
    }

    /// The customer pays a scanned merchant order from the phone.
    pub fn pay(&mut self, merchant_order_id: u64, outcome: Outcome, amount: Option<Decimal>) -> Answer {
        self.expire();
        let now = self.now();
        let mo = self
            .merchant_orders
            .get(&merchant_order_id)
            .cloned()
            .ok_or_else(|| refusal(404, "not_found", "no such merchant order"))?;
        if mo.status != MoStatus::Opened || mo.payable_until <= now {
            return Err(refusal(
                400,
                "merchant_order_not_payable",
                "this merchant order is closed or expired",
            ));
        }
        let paid = self.approved_sum(&mo);
        let remaining = (mo.total - paid).max(Decimal::ZERO);
        let amount = match (outcome, amount) {
            (_, Some(a)) => a,
            (Outcome::Partial, None) => (remaining / Decimal::TWO)
                .round_dp(self.decimals_of(mo.user_id))
                .max(Decimal::ONE.min(remaining)),
            _ => remaining,
        };
        let (status, detail) = match outcome {
            Outcome::Approved | Outcome::Partial => ("approved", "accredited"),
            Outcome::Rejected => ("rejected", "cc_rejected_insufficient_amount"),
            Outcome::Pending => ("in_process", "pending_review_manual"),
        };
        let payment = Payment {
            id: self.id(),
            merchant_order_id,
            status: status.into(),
            status_detail: detail.into(),
            amount,
            refunded: Decimal::ZERO,
            created: now,
            approved: (status == "approved").then_some(now),
        };
        let id = payment.id;
        self.payments.insert(id, payment);
        self.merchant_orders
            .get_mut(&merchant_order_id)
            .unwrap()
            .payments
            .push(id);
        self.settle(merchant_order_id);
        Ok(json!({ "payment_id": id, "status": status }))
    }

    /// A pending payment is approved (or rejected) later.
    pub fn resolve_pending(&mut self, payment_id: u64, approve: bool) -> Answer {
        if let Some(resolved) = self.resolve_qr_payment(payment_id, approve) {
            return Ok(resolved);
        }
        let now = self.now();
        let p = self
            .payments
            .get_mut(&payment_id)
            .ok_or_else(|| refusal(404, "not_found", "no such payment"))?;
        if !matches!(p.status.as_str(), "in_process" | "pending") {
            return Err(refusal(400, "not_pending", "the payment is not pending"));
        }
        if approve {
            p.status = "approved".into();
            p.status_detail = "accredited".into();
            p.approved = Some(now);
        } else {
            p.status = "rejected".into();
            p.status_detail = "cc_rejected_other_reason".into();
        }
        let mo = p.merchant_order_id;
        self.settle(mo);
        Ok(json!({ "payment_id": payment_id }))
    }

    fn decimals_of(&self, user_id: u64) -> u32 {
        self.users
            .iter()
            .find(|u| u.id == user_id)
            .map(|u| u.decimals)
            .unwrap_or(2)
    }

    fn approved_sum(&self, mo: &MerchantOrder) -> Decimal {
        mo.payments
            .iter()
            .filter_map(|id| self.payments.get(id))
            .filter(|p| p.status == "approved")
            .map(|p| p.amount - p.refunded)
            .sum()
    }

    /// Closes a merchant order whose approved payments cover its total; a paid order leaves
    /// its POS.
    fn settle(&mut self, merchant_order_id: u64) {
        let now = self.now();
        let mo = self.merchant_orders[&merchant_order_id].clone();
        if mo.status == MoStatus::Opened && self.approved_sum(&mo) >= mo.total {
            let m = self.merchant_orders.get_mut(&merchant_order_id).unwrap();
            m.status = MoStatus::Closed;
            if self
                .orders
                .get(&mo.pos_id)
                .is_some_and(|o| o.preference_id == mo.preference_id)
            {
                self.orders.remove(&mo.pos_id);
            }
        }
        self.merchant_orders.get_mut(&merchant_order_id).unwrap().updated = now;
        self.notice(merchant_order_id);
    }

    // ---- merchant orders and payments, as the API shows them ----

    pub fn merchant_order_json(&self, mo: &MerchantOrder) -> Value {
        let user = self.users.iter().find(|u| u.id == mo.user_id);
        let currency = user.map(|u| u.currency.as_str()).unwrap_or("ARS");
        let pays: Vec<&Payment> = mo.payments.iter().filter_map(|id| self.payments.get(id)).collect();
        let paid: Decimal = pays.iter().filter(|p| p.status == "approved").map(|p| p.amount).sum();
        let refunded: Decimal = pays.iter().map(|p| p.refunded).sum();
        let order_status = match mo.status {
            MoStatus::Expired => "expired",
            _ if refunded > Decimal::ZERO && refunded >= paid => "reverted",
            _ if refunded > Decimal::ZERO => "partially_reverted",
            MoStatus::Closed => "paid",
            _ if pays
                .iter()
                .any(|p| matches!(p.status.as_str(), "in_process" | "pending")) =>
            {
                "payment_in_process"
            }
            _ if paid > Decimal::ZERO => "partially_paid",
            _ => "payment_required",
        };
        json!({
            "id": mo.id,
            "status": match mo.status { MoStatus::Opened => "opened", MoStatus::Closed => "closed", MoStatus::Expired => "expired" },
            "external_reference": mo.external_reference,
            "preference_id": mo.preference_id,
            "payments": pays.iter().map(|p| json!({
                "id": p.id,
                "transaction_amount": num(p.amount),
                "total_paid_amount": num(p.amount),
                "shipping_cost": 0,
                "currency_id": currency,
                "status": p.status,
                "status_detail": p.status_detail,
                "operation_type": "regular_payment",
                "date_approved": p.approved.map(iso),
                "date_created": iso(p.created),
                "last_modified": iso(p.approved.unwrap_or(p.created)),
                "amount_refunded": num(p.refunded),
            })).collect::<Vec<_>>(),
            "shipments": [],
            "collector": { "id": mo.user_id, "nickname": user.map(|u| u.nickname.clone()), "email": user.map(|u| format!("test_user_{}@testuser.com", u.id % 100_000)) },
            "marketplace": "NONE",
            "notification_url": mo.notification_url,
            "date_created": iso(mo.created),
            "last_updated": iso(mo.updated),
            "sponsor_id": null,
            "shipping_cost": 0,
            "total_amount": num(mo.total),
            "site_id": user.map(|u| u.site_id.clone()),
            "paid_amount": num(paid),
            "refunded_amount": num(refunded),
            "payer": pays.first().map(|_| json!({ "id": 123456789, "email": "test_user@testuser.com" })),
            "items": mo.items.iter().map(|i| json!({
                "id": i.id.clone().unwrap_or_default(),
                "category_id": "",
                "currency_id": currency,
                "description": i.description.clone().unwrap_or_default(),
                "picture_url": null,
                "title": i.title,
                "quantity": i.quantity,
                "unit_price": num(i.unit_price),
            })).collect::<Vec<_>>(),
            "cancelled": mo.status == MoStatus::Expired,
            "additional_info": "",
            "application_id": null,
            "order_status": order_status,
        })
    }

    pub fn get_merchant_order(&mut self, user: &User, id: &str) -> Answer {
        self.expire();
        let id: u64 = id
            .parse()
            .map_err(|_| refusal(400, "invalid_format", "merchant order id must be a number"))?;
        match self.merchant_orders.get(&id) {
            Some(mo) if mo.user_id == user.id => Ok(self.merchant_order_json(mo)),
            _ => Err(refusal(404, "not_found", "Merchant Order not found")),
        }
    }

    pub fn search_merchant_orders(&mut self, user: &User, q: &BTreeMap<String, String>) -> Answer {
        self.expire();
        let limit: usize = match q.get("limit") {
            None => 30,
            Some(l) => l
                .parse()
                .ok()
                .filter(|l| (1..=100).contains(l))
                .ok_or_else(|| refusal(400, "ds_search_query", "limit must be between 1 and 100"))?,
        };
        let offset: usize = match q.get("offset") {
            None => 0,
            Some(o) => o
                .parse()
                .map_err(|_| refusal(400, "ds_search_query", "offset must be a number"))?,
        };
        let moment = |name: &str| -> Result<Option<DateTime<Utc>>, Refusal> {
            q.get(name)
                .map(|t| {
                    DateTime::parse_from_rfc3339(t)
                        .map(|t| t.with_timezone(&Utc))
                        .map_err(|_| refusal(400, "ds_search_query", &format!("{name} is not a date")))
                })
                .transpose()
        };
        let (from, to) = (moment("date_created_from")?, moment("date_created_to")?);
        let matching: Vec<&MerchantOrder> = self
            .merchant_orders
            .values()
            .filter(|m| m.user_id == user.id)
            .filter(|m| from.is_none_or(|f| m.created >= f) && to.is_none_or(|t| m.created < t))
            .filter(|m| q.get("external_reference").is_none_or(|r| &m.external_reference == r))
            .filter(|m| q.get("preference_id").is_none_or(|r| &m.preference_id == r))
            .filter(|m| {
                q.get("status").is_none_or(|s| {
                    s == match m.status {
                        MoStatus::Opened => "opened",
                        MoStatus::Closed => "closed",
                        MoStatus::Expired => "expired",
                    }
                })
            })
            .collect();
        let total = matching.len();
        let page: Vec<Value> = matching
            .into_iter()
            .skip(offset)
            .take(limit)
            .map(|m| self.merchant_order_json(m))
            .collect();
        let next = (offset + page.len()).min(total);
        // Nobody scanned: `elements` is null, as Mercado Pago answers.
        let elements = if page.is_empty() {
            Value::Null
        } else {
            Value::Array(page)
        };
        Ok(json!({ "elements": elements, "next_offset": next, "total": total }))
    }

    pub fn payment_json(&self, p: &Payment) -> Value {
        let mo = &self.merchant_orders[&p.merchant_order_id];
        let user = self.users.iter().find(|u| u.id == mo.user_id);
        let pos = self.pos.iter().find(|x| x.id == mo.pos_id);
        let updated = iso(p.approved.unwrap_or(p.created));
        let mut answer = json!({
            "id": p.id,
            "date_created": iso(p.created),
            "date_approved": p.approved.map(iso),
            "date_last_updated": updated,
            "money_release_date": p.approved.map(iso),
            "status": p.status,
            "status_detail": p.status_detail,
            "currency_id": user.map(|u| u.currency.clone()),
            "description": mo.items.first().map(|i| i.title.clone()),
            "collector_id": mo.user_id,
            "payer": { "type": "registered", "id": "123456789", "email": "test_user_123456789@testuser.com", "identification": { "type": "DNI", "number": "12345678" }, "phone": { "area_code": null, "number": null, "extension": null }, "first_name": null, "last_name": null, "entity_type": null },
            "order": { "id": mo.id.to_string(), "type": "mercadopago" },
            "external_reference": mo.external_reference,
            "transaction_amount": num(p.amount),
            "transaction_amount_refunded": num(p.refunded),
            "transaction_details": {
                "net_received_amount": num(p.amount),
                "total_paid_amount": num(p.amount),
                "overpaid_amount": 0,
                "external_resource_url": null,
                "installment_amount": num(p.amount),
                "financial_institution": null,
                "payment_method_reference_id": null,
                "payable_deferral_period": null,
                "acquirer_reference": null,
            },
            "notification_url": mo.notification_url,
            "refunds": self.refunds.iter().filter(|r| r.payment_id == p.id).map(|r| self.refund_json(r)).collect::<Vec<_>>(),
            "pos_id": pos.map(|x| x.id.to_string()),
            "store_id": pos.map(|x| x.store_id.to_string()),
            "point_of_interaction": { "type": "INSTORE", "business_info": { "branch": "QR", "sub_unit": "qr", "unit": "wallet" } },
        });
        // What every account-money payment of the sandbox has alike.
        let alike = json!({
            "date_of_expiration": null,
            "money_release_schema": null,
            "issuer_id": null,
            "sponsor_id": null,
            "authorization_code": null,
            "counter_currency": null,
            "metadata": {},
            "additional_info": {},
            "coupon_amount": 0,
            "differential_pricing_id": null,
            "deduction_schema": null,
            "fee_details": [],
            "captured": true,
            "binary_mode": false,
            "call_for_authorize_id": null,
            "statement_descriptor": null,
            "installments": 1,
            "card": {},
            "merchant_account_id": null,
            "acquirer": null,
            "merchant_number": null,
            "acquirer_reconciliation": [],
            "live_mode": false,
            "operation_type": "regular_payment",
            "payment_method_id": "account_money",
            "payment_type_id": "account_money",
            "processing_mode": "aggregator",
        });
        if let (Value::Object(a), Value::Object(b)) = (&mut answer, alike) {
            a.extend(b);
        }
        answer
    }

    fn payment_of(&self, user: &User, id: &str) -> Result<Payment, Refusal> {
        let id: u64 = id
            .parse()
            .map_err(|_| refusal(400, "invalid_payment_id", "payment id must be a number"))?;
        self.payments
            .get(&id)
            .filter(|p| self.merchant_orders[&p.merchant_order_id].user_id == user.id)
            .cloned()
            .ok_or_else(|| refusal(404, "not_found", "Payment not found"))
    }

    pub fn get_payment(&self, user: &User, id: &str) -> Answer {
        Ok(self.payment_json(&self.payment_of(user, id)?))
    }

    pub fn search_payments(&self, user: &User, external_reference: Option<&str>) -> Value {
        let mut results: Vec<&Payment> = self
            .payments
            .values()
            .filter(|p| {
                let mo = &self.merchant_orders[&p.merchant_order_id];
                mo.user_id == user.id && external_reference.is_none_or(|r| mo.external_reference == r)
            })
            .collect();
        results.sort_by_key(|p| std::cmp::Reverse((p.created, p.id)));
        let mut all: Vec<Value> = results.iter().map(|p| self.payment_json(p)).collect();
        all.extend(self.qr_payments_json(user, external_reference));
        json!({
            "paging": { "total": all.len(), "limit": 30, "offset": 0 },
            "results": all,
        })
    }

    fn refund_json(&self, r: &Refund) -> Value {
        json!({ "id": r.id, "payment_id": r.payment_id, "amount": num(r.amount), "status": "approved", "date_created": iso(r.created), "source": { "type": "collector" } })
    }

    pub fn refund(&mut self, user: &User, payment_id: &str, body: &str, idempotency_key: Option<&str>) -> Answer {
        let p = self.payment_of(user, payment_id)?;
        if let Some(key) = idempotency_key {
            if let Some(r) = self.refunds.iter().find(|r| r.idempotency_key.as_deref() == Some(key)) {
                return Ok(self.refund_json(r));
            }
        }
        if p.status != "approved" {
            return Err(refusal(
                400,
                "invalid_payment_status",
                "only approved payments can be refunded",
            ));
        }
        let available = p.amount - p.refunded;
        let amount = match raw_field(body, "amount")? {
            None => available,
            Some(text) => {
                Decimal::from_str(&text).map_err(|_| refusal(400, "invalid_amount", "amount must be a number"))?
            }
        };
        if amount <= Decimal::ZERO || amount > available {
            return Err(refusal(
                400,
                "invalid_amount",
                "the refund amount must be positive and at most what is left to refund",
            ));
        }
        let now = self.now();
        let refund = Refund {
            id: self.id(),
            payment_id: p.id,
            amount,
            idempotency_key: idempotency_key.map(str::to_owned),
            created: now,
        };
        let pay = self.payments.get_mut(&p.id).unwrap();
        pay.refunded += amount;
        if pay.refunded >= pay.amount {
            pay.status = "refunded".into();
            pay.status_detail = "refunded".into();
        }
        let mo = pay.merchant_order_id;
        self.merchant_orders.get_mut(&mo).unwrap().updated = now;
        self.notice(mo);
        let answer = self.refund_json(&refund);
        self.refunds.push(refund);
        Ok(answer)
    }
}

struct ParsedOrder {
    external_reference: String,
    notification_url: Option<String>,
    sponsor_id: Option<u64>,
    items: Vec<Item>,
    total: Decimal,
}

/// The text of a top-level JSON field, numbers kept exact (`None` when missing or null).
fn raw_field(body: &str, field: &str) -> Result<Option<String>, Refusal> {
    if body.trim().is_empty() {
        return Ok(None);
    }
    let map: BTreeMap<String, Box<serde_json::value::RawValue>> =
        serde_json::from_str(body).map_err(|_| refusal(400, "bad_request", "the body is not a JSON object"))?;
    Ok(map.get(field).map(|r| r.get().to_owned()).filter(|t| t != "null"))
}

fn parse_order(body: &str, user: &User) -> Result<ParsedOrder, Refusal> {
    use serde_json::value::RawValue;
    let bad_items = |m: &str| refusal(400, "invalid_items", m);
    let map: BTreeMap<String, Box<RawValue>> =
        serde_json::from_str(body).map_err(|_| refusal(400, "bad_request", "the body is not a JSON object"))?;
    let text = |k: &str| -> Option<Value> { map.get(k).and_then(|r| serde_json::from_str(r.get()).ok()) };
    let external_reference = text("external_reference")
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    if external_reference.len() > 256 {
        return Err(refusal(
            400,
            "invalid_external_reference",
            "external_reference is longer than 256 characters",
        ));
    }
    let notification_url = text("notification_url").and_then(|v| v.as_str().map(str::to_owned));
    if notification_url.as_ref().is_some_and(|u| u.len() > 500) {
        return Err(refusal(
            400,
            "invalid_notification_url",
            "notification_url is longer than 500 characters",
        ));
    }
    let sponsor_id = text("sponsor_id").and_then(|v| v.as_u64());
    if sponsor_id == Some(user.id) {
        return Err(refusal(
            400,
            "invalid_sponsor_id",
            "sponsor_id must differ from the collector",
        ));
    }
    let raw_items: Vec<BTreeMap<String, Box<RawValue>>> = match map.get("items") {
        None => return Err(bad_items("items missing")),
        Some(r) => serde_json::from_str(r.get()).map_err(|_| bad_items("items must be a list of objects"))?,
    };
    if raw_items.is_empty() {
        return Err(bad_items("items missing"));
    }
    let mut items = Vec::new();
    let mut total = Decimal::ZERO;
    for raw in raw_items {
        let field = |k: &str| raw.get(k).map(|r| r.get().to_owned());
        let as_string = |k: &str| field(k).and_then(|t| serde_json::from_str::<String>(&t).ok());
        let title = as_string("title")
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| bad_items("item title missing"))?;
        let currency = as_string("currency_id").ok_or_else(|| bad_items("item currency_id missing"))?;
        if currency != user.currency {
            return Err(bad_items(&format!(
                "invalid currency_id {currency:?}: this account charges in {}",
                user.currency
            )));
        }
        let price_text = field("unit_price").ok_or_else(|| bad_items("item unit_price missing"))?;
        let price = Decimal::from_str(&price_text).map_err(|_| bad_items("unit_price must be a number"))?;
        if price <= Decimal::ZERO {
            return Err(bad_items("unit_price must be positive"));
        }
        if price.normalize().scale() > user.decimals {
            return Err(bad_items(&if user.decimals == 0 {
                format!(
                    "Prices in {} currency must be expressed with integer values",
                    user.currency
                )
            } else {
                "unit_price allows at most 2 decimals".to_owned()
            }));
        }
        let qty_text = field("quantity").ok_or_else(|| bad_items("item quantity missing"))?;
        let quantity: u64 = qty_text
            .parse()
            .ok()
            .filter(|q| *q >= 1)
            .ok_or_else(|| bad_items("quantity must be a positive integer"))?;
        total += price * Decimal::from(quantity);
        items.push(Item {
            id: as_string("id"),
            title,
            description: as_string("description"),
            unit_price: price,
            quantity,
        });
    }
    if total > Decimal::from(100_000_000_000u64) {
        return Err(bad_items("amount cannot be paid"));
    }
    Ok(ParsedOrder {
        external_reference,
        notification_url,
        sponsor_id,
        items,
        total,
    })
}

fn uuid_like() -> String {
    const HEX: &[u8] = b"0123456789abcdef";
    let h = |n: usize| (0..n).map(|_| HEX[fastrand::usize(..16)] as char).collect::<String>();
    format!("{}-{}-{}-{}-{}", h(8), h(4), h(4), h(4), h(12))
}
