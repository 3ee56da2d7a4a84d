//! The token goes only in `Authorization: Bearer`: never in a URL, a log line, or an error's
//! `Display`/`Debug`.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use qr_cashier::mercadopago::merchant_orders::MerchantOrderQuery;
use qr_cashier::sandbox::{Fault, FaultRule};

use crate::support::*;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn the_token_is_in_no_url_log_line_or_error() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let sb = sandbox("MLA").await;
    let token = sb.account.token.clone();
    let c = client_with(&sb, &token, Duration::from_millis(300));
    let mut errors = Vec::new();
    let (pos, _) = register_pos(&sb, &c, "CAJA1").await;
    c.me().await.unwrap();
    c.search_merchant_orders(&MerchantOrderQuery::by_reference("abc"))
        .await
        .unwrap();
    for fault in [
        Fault::Status { status: 500 },
        Fault::Delay { ms: 600 },
        Fault::Drop,
        Fault::Malformed,
    ] {
        sb.add_fault(FaultRule::next("*", fault, 3));
        errors.push(c.me().await.unwrap_err());
        sb.clear_faults();
    }
    errors.push(c.merchant_order(1).await.unwrap_err());
    let bad = client_with(&sb, &format!("{token}x"), Duration::from_secs(1));
    errors.push(bad.delete_pos_order(sb.account.user_id, &pos).await.unwrap_err());
    errors.push(bad.me().await.unwrap_err());

    let logged = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(logged.contains("mercadopago"), "the calls were logged");
    assert!(!logged.contains(&token), "the token is in a log line");
    for e in &errors {
        assert!(
            !e.to_string().contains(&token) && !format!("{e:?}").contains(&token),
            "{e:?}"
        );
    }
    assert!(!format!("{c:?}").contains(&token));
    let config = qr_cashier::mercadopago::Config::new(sb.base_url(), secrecy::SecretString::from(token.clone()));
    assert!(!format!("{config:?}").contains(&token));
    let requests = sb.requests();
    assert!(requests
        .iter()
        .filter(|r| r.route != "control")
        .all(|r| r.bearer && !r.token_in_query));
    for r in requests {
        let seen = format!("{} {} {}", r.path, r.query, r.body);
        assert!(!seen.contains(&token), "the token is in {} {}", r.method, r.path);
    }
}
