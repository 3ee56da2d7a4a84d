//! The commands the page may invoke. Each translates to the core and back; errors reach the
//! page as `{kind, message}`.

use serde::Serialize;
use tauri::ipc::Channel;
use tauri::State;

use super::AppState;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub version: String,
    pub data_dir: String,
    /// `demo` (the built-in sandbox) or `live` (a Mercado Pago account).
    pub mode: String,
}

/// What the page receives on its event channel.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum UiEvent {
    /// The core is listening: sent first on every new subscription.
    Ready { at: String },
}

#[tauri::command]
pub fn app_info(state: State<'_, AppState>) -> AppInfo {
    state.info.clone()
}

/// Streams the core's events to the page over a channel, starting with `Ready`. A new call
/// (a reload) gets its own stream.
#[tauri::command]
pub fn subscribe(state: State<'_, AppState>, on_event: Channel<UiEvent>) {
    let mut events = state.events.subscribe();
    tauri::async_runtime::spawn(async move {
        let ready = UiEvent::Ready {
            at: chrono::Utc::now().to_rfc3339(),
        };
        if on_event.send(ready).is_err() {
            return;
        }
        loop {
            match events.recv().await {
                Ok(event) => {
                    if on_event.send(event).is_err() {
                        return;
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(missed = n, "the page fell behind the event stream");
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            }
        }
    });
}
