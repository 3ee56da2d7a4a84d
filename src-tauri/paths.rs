//! Where the app keeps its journal, settings and logs, and its log set-up.

use std::path::PathBuf;

/// Where the app keeps its journal, settings and logs. `QR_CASHIER_HOME` puts all three under
/// one folder (tests, a second register on one PC); otherwise the platform's standard folders.
#[derive(Debug, Clone)]
pub struct AppPaths {
    pub data: PathBuf,
    pub config: PathBuf,
    pub logs: PathBuf,
}

const APP_ID: &str = "com.qrcashier.desktop";

impl AppPaths {
    pub fn under(home: PathBuf) -> Self {
        AppPaths {
            data: home.join("data"),
            config: home.join("config"),
            logs: home.join("logs"),
        }
    }

    pub fn from_env_or_platform() -> Self {
        if let Some(home) = std::env::var_os("QR_CASHIER_HOME").filter(|h| !h.is_empty()) {
            return Self::under(PathBuf::from(home));
        }
        // The platform's folders for this identifier (Tauri's, but on Windows), known before the
        // app is built so logging starts first.
        let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
        let xdg = |var: &str, fallback: &str| {
            std::env::var_os(var)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
                .unwrap_or_else(|| home.join(fallback))
        };
        if cfg!(target_os = "linux") {
            let data = xdg("XDG_DATA_HOME", ".local/share").join(APP_ID);
            AppPaths {
                logs: data.join("logs"),
                data,
                config: xdg("XDG_CONFIG_HOME", ".config").join(APP_ID),
            }
        } else if cfg!(target_os = "macos") {
            let data = home.join("Library/Application Support").join(APP_ID);
            AppPaths {
                data: data.clone(),
                config: data,
                logs: home.join("Library/Logs").join(APP_ID),
            }
        } else {
            // Windows: one folder in the user's local app data. Not the roaming one Tauri would
            // pick: a register's journal and settings belong to this counter's PC and must never
            // follow the user to another.
            let local = std::env::var_os("LOCALAPPDATA")
                .map(PathBuf::from)
                .unwrap_or_default()
                .join(APP_ID);
            AppPaths {
                logs: local.join("logs"),
                data: local.clone(),
                config: local,
            }
        }
    }

    /// Logs to a file rotated daily in `logs` (the last 14 kept) and to stderr. Each line is
    /// written as it happens (no buffer to lose): the line before a crash is the one support
    /// needs.
    pub fn init_logging(&self) {
        use tracing_subscriber::prelude::*;
        let filter = tracing_subscriber::EnvFilter::try_from_env("QR_CASHIER_LOG")
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
        let stderr = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
        let _ = std::fs::create_dir_all(&self.logs);
        let file = tracing_appender::rolling::Builder::new()
            .rotation(tracing_appender::rolling::Rotation::DAILY)
            .filename_prefix("qr-cashier")
            .filename_suffix("log")
            .max_log_files(14)
            .build(&self.logs);
        match file {
            Ok(appender) => {
                let file_layer = tracing_subscriber::fmt::layer().with_ansi(false).with_writer(appender);
                let _ = tracing_subscriber::registry()
                    .with(filter)
                    .with(stderr)
                    .with(file_layer)
                    .try_init();
            }
            Err(e) => {
                let _ = tracing_subscriber::registry().with(filter).with(stderr).try_init();
                tracing::warn!(error = %e, folder = %self.logs.display(), "cannot write logs to a file");
            }
        }
    }
}
