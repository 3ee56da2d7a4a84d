//! A checkout station put together: the account and POS it charges on, its journal, its
//! register and, in demo mode, the sandbox that stands in for Mercado Pago. A front end (the
//! desktop shell, a CLI) starts one and talks to it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use serde::Serialize;

use crate::mercadopago::pos::{CreatePos, PosQr};
use crate::mercadopago::stores::{CreateStore, Location};
use crate::mercadopago::{Api, ApiError, Client, Config};
use crate::money::{parse_amount, Currency, Site};
use crate::paths::AppPaths;
use crate::register::{listener, system_clock, PollSchedule, Register, RegisterConfig};
use crate::sale::journal::SaleUpdate;
use crate::sale::{Journal, JournalError, Product, SaleState};
use crate::sandbox::{Outcome, Sandbox};
use crate::settings::Settings;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// The built-in sandbox: no real money.
    Demo,
    /// A Mercado Pago account.
    Live,
}

/// Who and where this register charges.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Station {
    pub user_id: u64,
    pub nickname: Option<String>,
    pub site: Site,
    pub currency: Currency,
    pub store_name: String,
    pub pos_name: String,
    pub pos_external_id: String,
    pub pos_id: Option<u64>,
    /// The API this register's new sales speak.
    pub api: Api,
}

pub struct Counter {
    pub mode: Mode,
    pub station: Station,
    pub register: Register,
    pub client: Client,
    /// Demo mode's Mercado Pago, on loopback.
    pub sandbox: Option<Sandbox>,
    /// The notification listener, when one runs: what it heard last, and the URL Mercado Pago
    /// posts to.
    pub heard: Option<listener::Heard>,
    pub notification_url: Option<String>,
    /// Why notifications cannot be received (their address could not be bound): the register
    /// polls instead, and the screen says so.
    pub listener_trouble: Option<String>,
    qr_cache: PathBuf,
    journal_checked: std::sync::atomic::AtomicBool,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("cannot start: {0}")]
    Io(String),
    #[error("the register is not set up: {0}")]
    NotSetUp(String),
}

/// What the demo's "customer phone" can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerAction {
    Pay,
    Reject,
    PayPart,
    /// Moves the sandbox clock past the order's lifetime.
    LetExpire,
}

const DEMO_POS: &str = "CAJA1";

/// The demo's store where its country would have it: (name, street, number, city, state,
/// latitude, longitude).
fn demo_store(
    site: Site,
) -> (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    f64,
    f64,
) {
    match site {
        Site::Brazil => (
            "Mercadinho Demo",
            "Av. Paulista",
            "1578",
            "São Paulo",
            "SP",
            -23.5614,
            -46.6559,
        ),
        Site::Mexico => (
            "Abarrotes Demo",
            "Av. Insurgentes Sur",
            "1602",
            "Ciudad de México",
            "CDMX",
            19.3620,
            -99.1830,
        ),
        Site::Chile => (
            "Almacén Demo",
            "Av. Providencia",
            "1208",
            "Santiago",
            "RM",
            -33.4263,
            -70.6167,
        ),
        Site::Uruguay => (
            "Almacén Demo",
            "Av. 18 de Julio",
            "1234",
            "Montevideo",
            "Montevideo",
            -34.9055,
            -56.1851,
        ),
        Site::Colombia => (
            "Tienda Demo",
            "Carrera 7",
            "32-16",
            "Bogotá",
            "Cundinamarca",
            4.6200,
            -74.0680,
        ),
        Site::Peru => ("Bodega Demo", "Av. Larco", "345", "Lima", "Lima", -12.1210, -77.0300),
        Site::Argentina => (
            "Almacén Demo",
            "Av. Corrientes",
            "1234",
            "Buenos Aires",
            "CABA",
            -34.6037,
            -58.3816,
        ),
    }
}

/// Demo products per currency: (SKU, name, price, sold by weight). The weighed ones (price per
/// kilogram) have the 5-digit codes a scale prints on its labels.
fn demo_products(currency: Currency) -> Vec<(&'static str, &'static str, &'static str, bool)> {
    let prices: [&str; 8] = match currency {
        Currency::Ars => ["3500", "4200.50", "850", "1200", "2900.90", "1750", "8900", "12500"],
        Currency::Brl => ["25.90", "32.50", "6.50", "4.99", "18.00", "9.90", "49.90", "39.90"],
        Currency::Mxn => [
            "89.50", "120.00", "18.00", "22.50", "65.90", "35.00", "189.50", "159.00",
        ],
        Currency::Uyu => ["189", "229.50", "45", "60", "149.90", "95", "459", "389"],
        Currency::Pen => ["24.90", "32.00", "3.50", "4.20", "15.90", "8.50", "32.90", "28.50"],
        Currency::Clp => ["3990", "4590", "890", "1290", "2490", "1590", "8990", "7490"],
        Currency::Cop => ["14900", "18500", "3200", "4500", "12900", "6900", "32900", "27900"],
    };
    // A Brazilian store sells in Portuguese.
    let names = match currency {
        Currency::Brl => [
            ("7890387000018", "Café torrado 500 g", false),
            ("7890580000020", "Pão de queijo 400 g", false),
            ("7890040000032", "Guaraná 2 L", false),
            ("7898062000044", "Água mineral 1,5 L", false),
            ("7890787000056", "Doce de leite 400 g", false),
            ("7891234000068", "Pão de forma", false),
            ("00101", "Queijo muçarela", true),
            ("00102", "Presunto cozido", true),
        ],
        _ => [
            ("7790387000011", "Yerba mate 1 kg", false),
            ("7790580000023", "Café molido 250 g", false),
            ("7790040000035", "Alfajor de chocolate", false),
            ("7798062000047", "Agua mineral 1,5 L", false),
            ("7790787000059", "Dulce de leche 400 g", false),
            ("7791234000061", "Pan lactal", false),
            ("00101", "Queso de máquina", true),
            ("00102", "Jamón cocido", true),
        ],
    };
    names
        .into_iter()
        .zip(prices)
        .map(|((sku, name, by_weight), price)| (sku, name, price, by_weight))
        .collect()
}

fn journal_at(path: PathBuf) -> Result<Arc<Journal>, StartError> {
    Ok(Arc::new(Journal::open(&path)?))
}

impl Counter {
    /// The demo's own journal.
    pub fn demo_journal(paths: &AppPaths) -> PathBuf {
        paths.data.join("demo").join("journal.sqlite3")
    }

    /// Demo mode: a sandbox on loopback with a demo store, POS and products; its own journal.
    pub async fn start_demo(paths: &AppPaths, settings: &Settings) -> Result<Counter, StartError> {
        let site: Site = settings.demo_site.parse().unwrap_or(Site::Argentina);
        let sandbox = Sandbox::start_with(0, site.id(), crate::sandbox::Options::demo())
            .await
            .map_err(|e| StartError::Io(e.to_string()))?;
        let client = Client::new(Config::new(
            sandbox.base_url(),
            SecretString::from(sandbox.account.token.clone()),
        ))?;
        let user_id = sandbox.account.user_id;
        let (store_name, street, number, city, state, latitude, longitude) = demo_store(site);
        let store = client
            .create_store(
                user_id,
                &CreateStore {
                    name: store_name.into(),
                    external_id: "DEMO1".into(),
                    location: Location {
                        street_number: number.into(),
                        street_name: street.into(),
                        city_name: city.into(),
                        state_name: state.into(),
                        latitude,
                        longitude,
                        reference: None,
                    },
                },
            )
            .await?;
        let pos = client
            .create_pos(&CreatePos {
                name: "Caja 1".into(),
                fixed_amount: true,
                store_id: Some(store.id),
                external_store_id: None,
                external_id: DEMO_POS.into(),
                category: None,
            })
            .await?;
        let journal = journal_at(Self::demo_journal(paths))?;
        abandon_earlier_demo_sales(&journal)?;
        let currency = site.currency();
        if journal.product_count()? == 0 {
            for (sku, name, price, by_weight) in demo_products(currency) {
                let price = parse_amount(price).expect("demo prices are amounts");
                journal.save_product(&Product {
                    id: 0,
                    sku: sku.into(),
                    name: name.into(),
                    price,
                    by_weight,
                })?;
            }
        }
        let ipn = listener::bind("127.0.0.1:0".parse().expect("a literal address"))
            .await
            .map_err(|e| StartError::Io(e.to_string()))?;
        let api = settings.api.for_site(site);
        // The demo's Mercado Pago signs its Orders webhooks with a secret of this start.
        let secret: String = (0..32).map(|_| fastrand::alphanumeric()).collect();
        sandbox.set_webhook(user_id, &ipn.url(), &secret);
        let notification_url = Some(ipn.url());
        let heard = ipn.heard();
        let config = RegisterConfig {
            user_id,
            pos_external_id: DEMO_POS.into(),
            api,
            currency,
            order_ttl: settings.order_ttl(),
            notification_url: notification_url.clone(),
            schedule: PollSchedule::default(),
        };
        let register = Register::new(client.clone(), journal, config, sandbox.clock());
        ipn.serve(register.clone(), Some(SecretString::from(secret)));
        register.recover()?;
        let station = Station {
            user_id,
            nickname: Some("DEMO_STORE".into()),
            site,
            currency,
            store_name: store_name.into(),
            pos_name: "Caja 1".into(),
            pos_external_id: DEMO_POS.into(),
            pos_id: Some(pos.id),
            api,
        };
        Ok(Counter {
            mode: Mode::Demo,
            station,
            register,
            client,
            sandbox: Some(sandbox),
            heard: Some(heard),
            notification_url,
            listener_trouble: None,
            qr_cache: paths.data.join("demo"),
            journal_checked: Default::default(),
        })
    }

    /// Live mode: the saved account and POS, with the token (and the Orders webhooks' secret,
    /// if one was saved) from the vault. Starts offline too: open sales resume when Mercado
    /// Pago answers again.
    pub async fn start_live(
        paths: &AppPaths,
        settings: &Settings,
        token: SecretString,
        webhook_secret: Option<SecretString>,
    ) -> Result<Counter, StartError> {
        let account = settings
            .account
            .clone()
            .ok_or_else(|| StartError::NotSetUp("no account checked yet".into()))?;
        let pos_external_id = settings
            .pos_external_id
            .clone()
            .ok_or_else(|| StartError::NotSetUp("no POS chosen yet".into()))?;
        let site: Site = account
            .site_id
            .parse()
            .map_err(|e: crate::money::MoneyError| StartError::NotSetUp(e.to_string()))?;
        let client = Client::new(Config::new(&settings.api_base_url, token))?;
        let journal = journal_at(paths.data.join("journal.sqlite3"))?;
        let mut ipn = None;
        let mut listener_trouble = None;
        if settings.notifications.enabled {
            let bind = settings
                .notifications
                .bind
                .parse()
                .map_err(|e| StartError::Io(format!("notification address: {e}")))?;
            // A port taken by another program costs the notifications, not the counter: the
            // register polls, and the screen says why.
            match listener::bind(bind).await {
                Ok(l) => ipn = Some(l),
                Err(e) => {
                    tracing::warn!(%bind, error = %e, "the notification address cannot be bound: polling only");
                    listener_trouble = Some(format!("{bind}: {e}"));
                }
            }
        }
        // Mercado Pago is told where to notify only at the public address the store set (its
        // servers cannot reach a bind address like 127.0.0.1 or 0.0.0.0).
        let notification_url = match (&ipn, &settings.notifications.public_url) {
            (Some(_), Some(public)) => Some(format!("{}{}", public.trim_end_matches('/'), listener::PATH)),
            _ => None,
        };
        let api = settings.api.for_site(site);
        let config = RegisterConfig {
            user_id: account.user_id,
            pos_external_id: pos_external_id.clone(),
            api,
            currency: site.currency(),
            order_ttl: settings.order_ttl(),
            notification_url: notification_url.clone(),
            schedule: PollSchedule::default(),
        };
        let register = Register::new(client.clone(), journal, config, system_clock());
        let heard = ipn.as_ref().map(listener::Listener::heard);
        if let Some(l) = ipn {
            l.serve(register.clone(), webhook_secret);
        }
        register.recover()?;
        let station = Station {
            user_id: account.user_id,
            nickname: account.nickname,
            site,
            currency: site.currency(),
            store_name: settings.store_name.clone().unwrap_or_default(),
            pos_name: settings.pos_name.clone().unwrap_or_else(|| pos_external_id.clone()),
            pos_external_id,
            pos_id: settings.pos_id,
            api,
        };
        Ok(Counter {
            mode: Mode::Live,
            station,
            register,
            client,
            sandbox: None,
            heard,
            notification_url,
            listener_trouble,
            qr_cache: paths.data.clone(),
            journal_checked: Default::default(),
        })
    }

    /// True the first time only: the journal's whole-file check is due once per counter.
    pub fn take_journal_check(&self) -> bool {
        !self.journal_checked.swap(true, std::sync::atomic::Ordering::SeqCst)
    }

    /// The register's QR as a PNG: the POS's `qr.image`, fetched once and kept on disk. A cached
    /// file that no longer reads as a PNG (cut short by a power cut, say) is fetched again.
    pub async fn qr_png(&self) -> Result<Vec<u8>, ApiError> {
        let key = self
            .station
            .pos_id
            .map(|id| id.to_string())
            .unwrap_or_else(|| self.station.pos_external_id.clone());
        let cache = self.qr_cache.join(format!("qr-{key}.png"));
        if let Some(png) = std::fs::read(&cache).ok().filter(|png| readable_png(png)) {
            return Ok(png);
        }
        let url = self
            .pos_qr()
            .await?
            .image
            .ok_or_else(|| unexpected("the POS has no QR image"))?;
        let png = download(&url).await?;
        if !readable_png(&png) {
            return Err(unexpected("the QR image is not a readable PNG"));
        }
        // Written beside and renamed, so the cache holds a whole image or none.
        let partial = cache.with_extension("png.partial");
        let _ = std::fs::create_dir_all(&self.qr_cache);
        let _ = std::fs::write(&partial, &png).and_then(|_| std::fs::rename(&partial, &cache));
        Ok(png)
    }

    /// Mercado Pago's own printable sign for this POS (`qr.template_document`, a PDF). Fetched
    /// each time, so it needs a connection.
    pub async fn mercado_pago_sign(&self) -> Result<Vec<u8>, ApiError> {
        let url = self
            .pos_qr()
            .await?
            .template_document
            .ok_or_else(|| unexpected("the POS has no printable sign"))?;
        let pdf = download(&url).await?;
        if !pdf.starts_with(b"%PDF-") {
            return Err(unexpected("the printable sign is not a PDF"));
        }
        Ok(pdf)
    }

    async fn pos_qr(&self) -> Result<PosQr, ApiError> {
        self.client
            .search_pos(Some(&self.station.pos_external_id), None)
            .await?
            .results
            .into_iter()
            .find_map(|p| p.qr)
            .ok_or_else(|| unexpected("the POS has no QR"))
    }

    /// Demo mode only: the customer scans the QR and acts on the phone.
    pub fn demo_customer(&self, action: CustomerAction) -> Result<(), String> {
        let sandbox = self
            .sandbox
            .as_ref()
            .ok_or("the customer phone exists only in demo mode")?;
        let pos_id = self.station.pos_id.ok_or("no POS")?;
        let mut world = sandbox.world();
        if action == CustomerAction::LetExpire {
            world.advance(self.register.config().order_ttl.as_secs() as i64 + 1);
            drop(world);
            sandbox.flush_notices();
            return Ok(());
        }
        if world.qr_order_on(pos_id).is_some() {
            let outcome = match action {
                CustomerAction::Pay => Outcome::Approved,
                CustomerAction::Reject => Outcome::Rejected,
                _ => return Err("an Orders API QR order is paid whole".into()),
            };
            world.pay_qr_order(pos_id, outcome).map_err(|r| {
                r.body["errors"][0]["message"]
                    .as_str()
                    .unwrap_or("payment failed")
                    .to_owned()
            })?;
            drop(world);
            sandbox.flush_notices();
            return Ok(());
        }
        let mo = world
            .scan(pos_id)
            .map_err(|r| r.body["message"].as_str().unwrap_or("nothing to pay").to_owned())?;
        let mo = mo["merchant_order_id"].as_u64().unwrap_or_default();
        let outcome = match action {
            CustomerAction::Pay => Outcome::Approved,
            CustomerAction::Reject => Outcome::Rejected,
            _ => Outcome::Partial,
        };
        world
            .pay(mo, outcome, None)
            .map_err(|r| r.body["message"].as_str().unwrap_or("payment failed").to_owned())?;
        drop(world);
        sandbox.flush_notices();
        Ok(())
    }
}

/// The demo's sandbox starts empty each time: sales left open by an earlier run have no order
/// anywhere and no money can exist for them.
fn abandon_earlier_demo_sales(journal: &Journal) -> Result<(), JournalError> {
    let open = journal.in_states(&[
        SaleState::Creating,
        SaleState::Waiting,
        SaleState::Cancelling,
        SaleState::Expiring,
    ])?;
    for sale in open {
        journal.transition(
            sale.id,
            &[sale.state],
            SaleState::Failed,
            "the demo restarted: this demo sale was left unfinished",
            SaleUpdate {
                last_error: Some(Some("demo restarted".into())),
                ..Default::default()
            },
            chrono::Utc::now(),
        )?;
    }
    Ok(())
}

fn unexpected(detail: &str) -> ApiError {
    ApiError::UnexpectedBody {
        status: 200,
        detail: detail.into(),
    }
}

/// Fetches one of the POS's files (its QR image, its printable sign) from Mercado Pago's
/// servers: plain addresses, no token.
async fn download(url: &str) -> Result<Vec<u8>, ApiError> {
    let network = |e: reqwest::Error| {
        if e.is_timeout() {
            ApiError::Timeout
        } else {
            ApiError::Network(e.without_url().to_string())
        }
    };
    let answer = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .map_err(network)?
        .get(url)
        .send()
        .await
        .map_err(network)?;
    let status = answer.status().as_u16();
    if !answer.status().is_success() {
        return Err(ApiError::UnexpectedBody {
            status,
            detail: format!("the file answered {status}"),
        });
    }
    Ok(answer.bytes().await.map_err(network)?.to_vec())
}

fn readable_png(bytes: &[u8]) -> bool {
    image::load_from_memory_with_format(bytes, image::ImageFormat::Png).is_ok()
}
