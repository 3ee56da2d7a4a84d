use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use reqwest::{header, Method};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tracing::Instrument;

use super::error::snippet;
use super::{ApiError, RetryPolicy};

pub const DEFAULT_BASE_URL: &str = "https://api.mercadopago.com";

/// How to reach Mercado Pago. `Debug` never shows the token.
#[derive(Clone)]
pub struct Config {
    pub base_url: String,
    pub token: SecretString,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    pub retry: RetryPolicy,
}

impl Config {
    pub fn new(base_url: impl Into<String>, token: SecretString) -> Self {
        Config {
            base_url: base_url.into(),
            token,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(15),
            retry: RetryPolicy::default(),
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("base_url", &self.base_url)
            .field("token", &"[redacted]")
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("retry", &self.retry)
            .finish()
    }
}

/// Clones share one token: [`Client::set_token`] puts a new one in every clone at once (a
/// running register takes over a token that replaced a revoked one).
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: url::Url,
    token: Arc<RwLock<SecretString>>,
    retry: RetryPolicy,
}

/// Whether an API address may receive the access token: `https`, or plain `http` only to a
/// loopback address (`127.0.0.0/8`, `::1`, `localhost`), which never leaves the PC.
pub fn token_may_go_to(url: &url::Url) -> bool {
    match (url.scheme(), url.host()) {
        ("https", Some(_)) => true,
        ("http", Some(url::Host::Ipv4(ip))) => ip.is_loopback(),
        ("http", Some(url::Host::Ipv6(ip))) => ip.is_loopback(),
        ("http", Some(url::Host::Domain(d))) => d.eq_ignore_ascii_case("localhost"),
        _ => false,
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

/// Whether a call may be sent again after a failure that may have reached the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Repeat {
    Safe,
    Never,
}

/// One request, described before it is sent (and re-sent).
pub(crate) struct Call<'a> {
    pub method: Method,
    pub path: String,
    pub query: Vec<(&'a str, String)>,
    pub body: Option<Vec<u8>>,
    pub headers: Vec<(&'static str, String)>,
    pub repeat: Repeat,
}

impl<'a> Call<'a> {
    pub fn new(method: Method, path: impl Into<String>, repeat: Repeat) -> Self {
        Call {
            method,
            path: path.into(),
            query: Vec::new(),
            body: None,
            headers: Vec::new(),
            repeat,
        }
    }
    pub fn get(path: impl Into<String>) -> Self {
        Self::new(Method::GET, path, Repeat::Safe)
    }
    pub fn query(mut self, key: &'a str, value: impl ToString) -> Self {
        self.query.push((key, value.to_string()));
        self
    }
    pub fn query_opt(self, key: &'a str, value: Option<impl ToString>) -> Self {
        match value {
            Some(v) => self.query(key, v),
            None => self,
        }
    }
    pub fn json(mut self, body: &impl Serialize) -> Result<Self, ApiError> {
        // Serialized once to bytes: a trip through `serde_json::Value` would turn amounts into floats.
        let v = serde_json::to_vec(body).map_err(|e| ApiError::UnexpectedBody {
            status: 0,
            detail: format!("request not serializable: {e}"),
        })?;
        self.body = Some(v);
        Ok(self)
    }
    pub fn header(mut self, name: &'static str, value: impl ToString) -> Self {
        self.headers.push((name, value.to_string()));
        self
    }
}

/// A raw answer: status and body text.
pub(crate) struct Answer {
    pub status: u16,
    pub text: String,
}

impl Answer {
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        if self.text.trim().is_empty() {
            return Err(ApiError::UnexpectedBody {
                status: self.status,
                detail: "empty body".into(),
            });
        }
        serde_json::from_str(&self.text).map_err(|e| {
            // The body (and serde's words, which quote it) only in the debug log: it may hold
            // a payer's data.
            tracing::debug!(status = self.status, error = %e, body = %snippet(&self.text), "an answer not in the contract's shape");
            ApiError::UnexpectedBody {
                status: self.status,
                detail: format!("{:?} at line {} column {}", e.classify(), e.line(), e.column()),
            }
        })
    }
}

impl Client {
    pub fn new(config: Config) -> Result<Self, ApiError> {
        // The token goes in every request's header: only over https, or to this PC itself (the
        // demo's sandbox, the tests), whatever the settings file says.
        let base = url::Url::parse(config.base_url.trim())
            .ok()
            .filter(token_may_go_to)
            .ok_or_else(|| ApiError::BadBaseUrl(config.base_url.chars().take(80).collect()))?;
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .user_agent(concat!("qr-cashier/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ApiError::Network(e.without_url().to_string()))?;
        Ok(Client {
            http,
            base,
            token: Arc::new(RwLock::new(config.token)),
            retry: config.retry,
        })
    }

    /// Replaces the token of this client and of every clone of it.
    pub fn set_token(&self, token: SecretString) {
        *self.token.write().unwrap_or_else(|e| e.into_inner()) = token;
    }

    fn token(&self) -> SecretString {
        self.token.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn base_url(&self) -> &str {
        self.base.as_str()
    }

    /// The collector (user) id: the last `-` segment of the token.
    pub fn user_id_from_token(&self) -> Option<u64> {
        self.token().expose_secret().rsplit('-').next()?.parse().ok()
    }

    pub(crate) async fn call<T: DeserializeOwned>(&self, call: Call<'_>) -> Result<T, ApiError> {
        self.send(call).await?.parse()
    }

    /// Sends a call, trying again as the retry policy says. Non-2xx answers become errors.
    pub(crate) async fn send(&self, call: Call<'_>) -> Result<Answer, ApiError> {
        let mut url = self.base.clone();
        url.set_path(&format!("{}{}", self.base.path().trim_end_matches('/'), call.path));
        if !call.query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(call.query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        let policy = if call.repeat == Repeat::Safe {
            self.retry
        } else {
            RetryPolicy::never()
        };
        let mut attempt = 1;
        loop {
            let span = tracing::info_span!("mercadopago", method = %call.method, path = %call.path, attempt);
            let outcome = self.send_once(&call, url.clone()).instrument(span).await;
            let error = match outcome {
                Ok(answer) => return Ok(answer),
                Err(e) if !e.is_transient() => return Err(e),
                Err(e) => e,
            };
            let retry_after = match &error {
                ApiError::RateLimited { retry_after, .. } => *retry_after,
                _ => None,
            };
            match policy.delay(attempt, retry_after) {
                Some(wait) => {
                    tracing::warn!(path = %call.path, attempt, wait_ms = wait.as_millis() as u64, %error, "retrying");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                None => return Err(error),
            }
        }
    }

    async fn send_once(&self, call: &Call<'_>, url: url::Url) -> Result<Answer, ApiError> {
        let started = Instant::now();
        let mut req = self
            .http
            .request(call.method.clone(), url)
            .bearer_auth(self.token().expose_secret())
            .header(header::ACCEPT, "application/json");
        for (name, value) in &call.headers {
            req = req.header(*name, value);
        }
        if let Some(body) = &call.body {
            req = req.header(header::CONTENT_TYPE, "application/json").body(body.clone());
        }
        let response = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                let err = transport_error(e);
                tracing::warn!(latency_ms = started.elapsed().as_millis() as u64, error = %err, "no answer");
                return Err(err);
            }
        };
        let status = response.status();
        let retry_after = retry_after(response.headers());
        let text = match response.text().await {
            Ok(t) => t,
            Err(e) => return Err(transport_error(e)),
        };
        let latency_ms = started.elapsed().as_millis() as u64;
        if status.is_success() {
            tracing::info!(status = status.as_u16(), latency_ms, "answered");
            return Ok(Answer {
                status: status.as_u16(),
                text,
            });
        }
        let err = ApiError::from_status(status.as_u16(), &text, retry_after);
        tracing::warn!(status = status.as_u16(), latency_ms, error = %err, "refused");
        Err(err)
    }
}

fn transport_error(e: reqwest::Error) -> ApiError {
    if e.is_timeout() {
        ApiError::Timeout
    } else if e.is_decode() || e.is_body() {
        ApiError::Network(format!("the answer was cut off: {}", e.without_url()))
    } else {
        ApiError::Network(e.without_url().to_string())
    }
}

fn retry_after(headers: &header::HeaderMap) -> Option<Duration> {
    parse_retry_after(headers.get(header::RETRY_AFTER)?.to_str().ok()?, chrono::Utc::now())
}

/// `Retry-After` in either of its forms: seconds, or an HTTP date (RFC 9110 §10.2.3). A date in
/// the past is "now"; a value that is neither is ignored.
pub(crate) fn parse_retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let v = value.trim();
    if let Ok(seconds) = v.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    Some((at.with_timezone(&chrono::Utc) - now).to_std().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_goes_only_over_https_or_to_this_pc() {
        for ok in [
            "https://api.mercadopago.com",
            "https://api.mercadopago.com:443/",
            "http://127.0.0.1:8080",
            "http://127.9.9.9",
            "http://[::1]:9000",
            "http://localhost:3000",
            "http://LOCALHOST",
        ] {
            assert!(token_may_go_to(&url::Url::parse(ok).unwrap()), "{ok}");
        }
        for bad in [
            "http://api.mercadopago.com",
            "http://192.168.0.10:8080",
            "http://10.0.0.1",
            "http://0.0.0.0:8088",
            "http://localhost.evil.example",
            "http://[::ffff:8.8.8.8]",
            "ftp://api.mercadopago.com",
            "file:///etc/passwd",
        ] {
            assert!(!token_may_go_to(&url::Url::parse(bad).unwrap()), "{bad}");
            let c = Client::new(Config::new(bad, SecretString::from("APP_USR-x".to_owned())));
            assert!(matches!(c, Err(ApiError::BadBaseUrl(_))), "{bad}");
        }
    }

    #[test]
    fn retry_after_is_read_in_seconds_and_as_a_date() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(parse_retry_after(" 120 ", now), Some(Duration::from_secs(120)));
        assert_eq!(
            parse_retry_after("Tue, 01 Dec 2026 10:01:30 GMT", now),
            Some(Duration::from_secs(90))
        );
        assert_eq!(
            parse_retry_after("Tue, 01 Dec 2026 09:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
