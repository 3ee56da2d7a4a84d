//! Shared helpers: a sandbox on loopback and a client pointed at it.

use std::time::Duration;

use qr_cashier::mercadopago::{Client, Config, RetryPolicy};
use qr_cashier::sandbox::Sandbox;
use secrecy::SecretString;

pub async fn sandbox(site: &str) -> Sandbox {
    Sandbox::start(0, site).await.expect("sandbox starts on loopback")
}

/// A quick retry policy so fault tests take milliseconds, not seconds.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(40),
        max_retry_after: Duration::from_secs(5),
    }
}

pub fn client_with(sb: &Sandbox, token: &str, timeout: Duration) -> Client {
    let mut config = Config::new(sb.base_url(), SecretString::from(token.to_owned()));
    config.retry = fast_retry();
    config.request_timeout = timeout;
    Client::new(config).unwrap()
}

pub fn client(sb: &Sandbox) -> Client {
    client_with(sb, &sb.account.token, Duration::from_secs(5))
}

/// A store and a POS for the sandbox's account; returns the POS's external id and id.
pub async fn register_pos(sb: &Sandbox, c: &Client, external_id: &str) -> (String, u64) {
    use qr_cashier::mercadopago::pos::CreatePos;
    use qr_cashier::mercadopago::stores::{CreateStore, Location};
    let store = c
        .create_store(
            sb.account.user_id,
            &CreateStore {
                name: "Almacén Central".into(),
                external_id: format!("S{external_id}"),
                location: Location {
                    street_number: "3039".into(),
                    street_name: "Caseros".into(),
                    city_name: "Belgrano".into(),
                    state_name: "Capital Federal".into(),
                    latitude: -34.6,
                    longitude: -58.4,
                    reference: None,
                },
            },
        )
        .await
        .unwrap();
    let pos = c
        .create_pos(&CreatePos {
            name: "Caja 1".into(),
            fixed_amount: true,
            store_id: Some(store.id),
            external_store_id: None,
            external_id: external_id.into(),
            category: None,
        })
        .await
        .unwrap();
    (external_id.to_owned(), pos.id)
}

pub fn fixture(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/mercadopago")
        .join(name);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .replace("[FAKER][CURRENCY][ACRONYM]", "ARS")
        .replace("[FAKER][GLOBALIZE][SITE_ID]", "MLA")
}
