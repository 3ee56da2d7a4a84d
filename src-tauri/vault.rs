//! The vault: the Mercado Pago access token in the OS keyring (Secret Service on Linux,
//! Credential Manager on Windows, Keychain on macOS), held in memory as a secret that is
//! zeroed on drop. It is never written to a file, a log, a URL or the webview, and there is
//! no plaintext fallback: without a keyring the app says so and stays in demo mode.

use secrecy::{ExposeSecret, SecretString};

const SERVICE: &str = "com.qrcashier.desktop";

#[derive(Debug, Clone, PartialEq, thiserror::Error, serde::Serialize)]
#[serde(tag = "reason", content = "detail", rename_all = "snake_case")]
pub enum VaultError {
    /// No keyring answers (no Secret Service on Linux, for example).
    #[error("no keyring is available to keep the access token ({0}); on Linux install and unlock gnome-keyring (or another Secret Service)")]
    Unavailable(String),
    #[error("the keyring refused access to the access token ({0}); unlock it and try again")]
    Refused(String),
}

impl From<keyring::Error> for VaultError {
    fn from(e: keyring::Error) -> Self {
        match e {
            keyring::Error::NoStorageAccess(inner) => VaultError::Refused(inner.to_string()),
            keyring::Error::PlatformFailure(inner) => VaultError::Unavailable(inner.to_string()),
            other => VaultError::Unavailable(other.to_string()),
        }
    }
}

/// The keyring entry of one register's token.
#[derive(Debug, Clone)]
pub struct Vault {
    account: String,
}

impl Vault {
    /// `scope` separates registers sharing one OS account (each with its own data folder).
    pub fn new(scope: Option<&str>) -> Self {
        let account = match scope {
            Some(s) => format!("mercadopago-access-token:{s}"),
            None => "mercadopago-access-token".to_owned(),
        };
        Vault { account }
    }

    /// The entry of the same register's Orders webhook secret (Mercado Pago's panel shows it
    /// once; it signs the webhooks it sends).
    pub fn webhook_secret(&self) -> Vault {
        Vault {
            account: self
                .account
                .replacen("mercadopago-access-token", "mercadopago-webhook-secret", 1),
        }
    }

    fn entry(&self) -> Result<keyring::Entry, VaultError> {
        Ok(keyring::Entry::new(SERVICE, &self.account)?)
    }

    /// The saved token, if any. A keyring that exists but holds no collection yet (a fresh
    /// Secret Service) has no token either.
    pub fn load(&self) -> Result<Option<SecretString>, VaultError> {
        match self.entry()?.get_password() {
            Ok(token) => Ok(Some(SecretString::from(token))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(keyring::Error::NoStorageAccess(e)) => {
                tracing::info!(error = %e, "the keyring has no place for the token yet");
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    pub fn save(&self, token: &SecretString) -> Result<(), VaultError> {
        Ok(self.entry()?.set_password(token.expose_secret())?)
    }

    /// Removes the token; "there was none" counts as done.
    pub fn forget(&self) -> Result<(), VaultError> {
        match self.entry()?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}
