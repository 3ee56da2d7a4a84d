//! The vault against the platform's real store: on Linux a Secret Service (gnome-keyring,
//! unlocked in the private D-Bus session that `make test` starts; without it this test fails
//! and says so), on Windows the Credential Manager (Wine's, in `make test-windows`).

use qr_cashier::vault::Vault;
use secrecy::{ExposeSecret, SecretString};

use crate::support::*;

fn require_session_bus() {
    #[cfg(target_os = "linux")]
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "no D-Bus session: the keyring tests need gnome-keyring in a private session; run them with `make test`"
    );
}

#[tokio::test]
async fn a_token_is_saved_read_back_into_the_client_and_forgotten() {
    require_session_bus();
    let sb = sandbox("MLA").await;
    let vault = Vault::new(Some(&format!("test-{}", fastrand::u64(..))));
    assert!(vault.load().unwrap().is_none(), "a fresh entry holds nothing");
    vault
        .save(&SecretString::from(sb.account.token.clone()))
        .expect("the Secret Service keeps the token");
    let back = vault.load().unwrap().expect("the token reads back");
    assert_eq!(back.expose_secret(), sb.account.token);
    let c = client_with(&sb, back.expose_secret(), std::time::Duration::from_secs(5));
    assert_eq!(
        c.me().await.unwrap().id,
        sb.account.user_id,
        "the token from the keyring works"
    );
    vault.forget().unwrap();
    assert!(vault.load().unwrap().is_none(), "forgotten");
    vault.forget().expect("forgetting twice is fine");
}
