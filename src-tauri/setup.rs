//! Setting up a register on a real account: checking a token, listing or creating the store
//! and the POS, choosing the POS. What it learns goes to the settings; the token to the vault.

use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use crate::mercadopago::pos::{valid_external_id, CreatePos};
use crate::mercadopago::stores::{CreateStore, Location};
use crate::mercadopago::{ApiError, Client, Config};
use crate::money::{Currency, Site};
use crate::settings::AccountSettings;

/// The account behind a token, as the owner is shown it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    pub user_id: u64,
    pub nickname: Option<String>,
    pub site: Site,
    pub currency: Currency,
    /// `TEST-` tokens move no real money.
    pub test: bool,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum SetupError {
    #[error("this is not a Mercado Pago access token (it starts with TEST- or APP_USR-)")]
    NotAToken,
    #[error("the account's site {site} is not one this app charges in")]
    UnsupportedSite { site: String },
    #[error("the POS code must be letters and digits only, shorter than 40 characters")]
    BadPosCode,
    #[error("the name is empty or too long")]
    BadName,
    /// `fixed_amount: false`: the customer types any amount and the payment names no sale.
    #[error("this POS lets the customer type the amount: create a POS for this register here (the app creates them with a fixed amount)")]
    PosNotFixedAmount,
}

/// The shape of an access token: `TEST-…` or `APP_USR-…`, letters, digits and dashes.
pub fn check_token_shape(token: &str) -> Result<(), SetupError> {
    let t = token.trim();
    let prefix_ok = t.starts_with("TEST-") || t.starts_with("APP_USR-");
    let chars_ok = t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if prefix_ok && chars_ok && (20..=256).contains(&t.len()) {
        Ok(())
    } else {
        Err(SetupError::NotAToken)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error(transparent)]
    Setup(#[from] SetupError),
    #[error(transparent)]
    Api(#[from] ApiError),
}

pub fn client(base_url: &str, token: SecretString) -> Result<Client, ApiError> {
    Client::new(Config::new(base_url, token))
}

/// Asks Mercado Pago whose token this is (`GET /users/me`).
pub async fn check_token(base_url: &str, token: &SecretString) -> Result<Account, CheckError> {
    check_token_shape(token.expose_secret())?;
    let me = client(base_url, token.clone())?.me().await?;
    let site: Site = me.site_id.parse().map_err(|_| SetupError::UnsupportedSite {
        site: me.site_id.clone(),
    })?;
    Ok(Account {
        user_id: me.id,
        nickname: me.nickname,
        site,
        currency: site.currency(),
        test: token.expose_secret().starts_with("TEST-"),
    })
}

impl Account {
    pub fn settings(&self) -> AccountSettings {
        AccountSettings {
            user_id: self.user_id,
            site_id: self.site.id().to_owned(),
            nickname: self.nickname.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreView {
    pub id: u64,
    pub name: String,
    pub external_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PosView {
    pub id: u64,
    pub name: String,
    pub external_id: String,
    pub store_id: Option<String>,
    pub qr_image: Option<String>,
    pub qr_document: Option<String>,
    /// False: the customer types the amount (a POS made elsewhere); the app does not charge there.
    #[serde(default)]
    pub fixed_amount: Option<bool>,
}

pub async fn stores(c: &Client, user_id: u64) -> Result<Vec<StoreView>, ApiError> {
    Ok(c.search_stores(user_id, None)
        .await?
        .results
        .into_iter()
        .map(|s| StoreView {
            id: s.id,
            name: s.name.unwrap_or_default(),
            external_id: s.external_id,
        })
        .collect())
}

pub async fn points_of_sale(c: &Client, store_id: Option<u64>) -> Result<Vec<PosView>, ApiError> {
    Ok(c.search_pos(None, store_id)
        .await?
        .results
        .into_iter()
        .filter_map(|p| {
            Some(PosView {
                id: p.id,
                name: p.name.unwrap_or_default(),
                external_id: p.external_id?,
                store_id: p.store_id,
                qr_image: p.qr.as_ref().and_then(|q| q.image.clone()),
                qr_document: p.qr.and_then(|q| q.template_document),
                fixed_amount: p.fixed_amount,
            })
        })
        .collect())
}

/// A new store at an address. Its `external_id` is made from the name.
pub async fn create_store(c: &Client, user_id: u64, name: &str, location: Location) -> Result<StoreView, CheckError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(SetupError::BadName.into());
    }
    let external_id: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(20)
        .collect::<String>()
        + &fastrand::u32(1000..9999).to_string();
    let s = c
        .create_store(
            user_id,
            &CreateStore {
                name: name.to_owned(),
                external_id,
                location,
            },
        )
        .await?;
    Ok(StoreView {
        id: s.id,
        name: s.name.unwrap_or_default(),
        external_id: s.external_id,
    })
}

/// A new POS with Mercado Pago's rules for its code: alphanumeric, under 40 characters,
/// unique (a duplicate is refused by Mercado Pago with 409).
pub async fn create_pos(c: &Client, store_id: u64, name: &str, external_id: &str) -> Result<PosView, CheckError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() >= 45 {
        return Err(SetupError::BadName.into());
    }
    if !valid_external_id(external_id) {
        return Err(SetupError::BadPosCode.into());
    }
    let p = c
        .create_pos(&CreatePos {
            name: name.to_owned(),
            fixed_amount: true,
            store_id: Some(store_id),
            external_store_id: None,
            external_id: external_id.to_owned(),
            category: None,
        })
        .await?;
    Ok(PosView {
        id: p.id,
        name: p.name.unwrap_or_default(),
        external_id: p.external_id.unwrap_or_else(|| external_id.to_owned()),
        store_id: p.store_id,
        qr_image: p.qr.as_ref().and_then(|q| q.image.clone()),
        qr_document: p.qr.and_then(|q| q.template_document),
        fixed_amount: p.fixed_amount,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_shapes() {
        assert!(check_token_shape("TEST-1234567890123456-112525-abcdef0123456789-123456").is_ok());
        assert!(check_token_shape("APP_USR-1234567890123456-112525-abcdef0123456789-123456").is_ok());
        for bad in [
            "",
            "hello",
            "TEST-",
            "Bearer TEST-123456789012345678",
            "TEST-1234567890 123456789",
            "TEST-<script>alert(1)</script>",
        ] {
            assert_eq!(check_token_shape(bad), Err(SetupError::NotAToken), "{bad:?}");
        }
    }
}
