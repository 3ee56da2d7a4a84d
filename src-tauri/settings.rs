//! The register's settings: a readable JSON file in the app's config folder. Never the token.

use std::path::Path;

use serde::{Deserialize, Serialize};

use rust_decimal::Decimal;

use crate::mercadopago::{Api, DEFAULT_BASE_URL};
use crate::money::Site;
use crate::sale::scale::ScaleLayout;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Settings {
    /// Mercado Pago's API, or a staging or sandbox address.
    pub api_base_url: String,
    /// The account the saved token belongs to, as last checked (lets the app start offline).
    pub account: Option<AccountSettings>,
    /// The POS this register charges on.
    pub pos_external_id: Option<String>,
    pub pos_id: Option<u64>,
    pub pos_name: Option<String>,
    pub store_name: Option<String>,
    /// How long an order stays payable on the POS.
    pub order_ttl_secs: u64,
    pub notifications: NotificationSettings,
    /// `es`, `pt` or `en`; none: from the system.
    pub language: Option<String>,
    /// The country the demo plays (`MLA`, `MLB`, ...).
    pub demo_site: String,
    /// Which Mercado Pago API new sales speak.
    pub api: ApiChoice,
    /// Cash totals rounded to this multiple, the smallest coin in use (10 in Chile); none: exact.
    pub cash_rounding: Option<Decimal>,
    /// How the store's scale writes its labels.
    pub scale: ScaleLayout,
    /// What the tickets say of the store.
    pub store: StoreDetails,
    pub printer: PrinterSettings,
}

/// The store as its tickets name it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct StoreDetails {
    /// The legal name (razón social, razão social).
    pub legal_name: String,
    /// CUIT, CNPJ, RUT, RFC, NIT or RUC, by country.
    pub tax_id: String,
    pub address: String,
}

/// Where tickets go.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrinterKind {
    /// The system's print dialog (any printer the PC has).
    #[default]
    Dialog,
    /// An ESC/POS printer on the network (raw TCP, port 9100).
    Network,
    /// An ESC/POS printer on USB, through its device file (`/dev/usb/lp0`, Linux's usblp).
    Usb,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PrinterSettings {
    pub kind: PrinterKind,
    /// A network printer's address: `192.168.0.50` or `192.168.0.50:9100`.
    pub address: String,
    /// A USB printer's device.
    pub device: String,
    /// Paper width: 80 or 58 mm.
    pub paper_mm: u32,
    /// Print the ticket of every paid sale without being asked.
    pub auto_print: bool,
    /// Open the cash drawer (wired to the printer) after each cash sale.
    pub open_drawer: bool,
}

impl Default for PrinterSettings {
    fn default() -> Self {
        PrinterSettings {
            kind: PrinterKind::Dialog,
            address: String::new(),
            device: "/dev/usb/lp0".into(),
            paper_mm: 80,
            auto_print: false,
            open_drawer: true,
        }
    }
}

/// The API new sales speak: the site's (`Auto`), or one forced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApiChoice {
    #[default]
    Auto,
    Orders,
    Legacy,
}

impl ApiChoice {
    pub fn parse(s: &str) -> Option<ApiChoice> {
        match s {
            "auto" => Some(ApiChoice::Auto),
            "orders" => Some(ApiChoice::Orders),
            "legacy" => Some(ApiChoice::Legacy),
            _ => None,
        }
    }

    pub fn for_site(self, site: Site) -> Api {
        match self {
            ApiChoice::Auto => Api::for_site(site),
            ApiChoice::Orders => Api::Orders,
            ApiChoice::Legacy => Api::Legacy,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountSettings {
    pub user_id: u64,
    pub site_id: String,
    pub nickname: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NotificationSettings {
    pub enabled: bool,
    /// Where the listener binds.
    pub bind: String,
    /// The address Mercado Pago posts to, when the listener is reached through a proxy.
    pub public_url: Option<String>,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        NotificationSettings {
            enabled: false,
            bind: "127.0.0.1:0".into(),
            public_url: None,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            api_base_url: DEFAULT_BASE_URL.into(),
            account: None,
            pos_external_id: None,
            pos_id: None,
            pos_name: None,
            store_name: None,
            order_ttl_secs: 600,
            notifications: NotificationSettings::default(),
            language: None,
            demo_site: "MLA".into(),
            api: ApiChoice::Auto,
            cash_rounding: None,
            scale: ScaleLayout::default(),
            store: StoreDetails::default(),
            printer: PrinterSettings::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize)]
pub enum SettingsError {
    #[error("the settings file {path} cannot be read: {detail}")]
    Unreadable { path: String, detail: String },
    #[error("the settings cannot be saved to {path}: {detail}")]
    Unwritable { path: String, detail: String },
}

impl Settings {
    pub const FILE: &'static str = "settings.json";

    /// The order lifetimes the app accepts, in seconds: one minute to an hour.
    pub const ORDER_TTL_SECS: std::ops::RangeInclusive<u64> = 60..=3600;

    /// How long an order stays payable, brought within `ORDER_TTL_SECS` when the file was
    /// edited by hand (the start-up recovery counts on orders living an hour at most).
    pub fn order_ttl(&self) -> std::time::Duration {
        let range = Self::ORDER_TTL_SECS;
        std::time::Duration::from_secs(self.order_ttl_secs.clamp(*range.start(), *range.end()))
    }

    /// The settings in `dir`, or the defaults when there are none yet.
    pub fn load(dir: &Path) -> Result<Settings, SettingsError> {
        let path = dir.join(Self::FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| SettingsError::Unreadable {
                path: path.display().to_string(),
                detail: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Settings::default()),
            Err(e) => Err(SettingsError::Unreadable {
                path: path.display().to_string(),
                detail: e.to_string(),
            }),
        }
    }

    /// Writes the file whole (a temporary file renamed over it), so a crash leaves the old or
    /// the new settings, never half.
    pub fn save(&self, dir: &Path) -> Result<(), SettingsError> {
        let path = dir.join(Self::FILE);
        let fail = |e: std::io::Error| SettingsError::Unwritable {
            path: path.display().to_string(),
            detail: e.to_string(),
        };
        std::fs::create_dir_all(dir).map_err(fail)?;
        let tmp = dir.join(".settings.json.tmp");
        let text = serde_json::to_string_pretty(self).expect("settings always serialize");
        std::fs::write(&tmp, text).map_err(fail)?;
        std::fs::rename(&tmp, &path).map_err(fail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_lifetime_edited_by_hand_is_kept_within_an_hour() {
        let dir = tempfile::tempdir().unwrap();
        for (written, used) in [(86_400, 3600), (5, 60), (900, 900)] {
            std::fs::write(
                dir.path().join(Settings::FILE),
                format!("{{\"orderTtlSecs\": {written}}}"),
            )
            .unwrap();
            let settings = Settings::load(dir.path()).unwrap();
            assert_eq!(settings.order_ttl(), std::time::Duration::from_secs(used), "{written}");
        }
    }
}
