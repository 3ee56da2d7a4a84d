//! End-to-end tests in the real app window, through WebDriver.

mod support;

use support::App;

#[tokio::test]
async fn window_shows_the_version_from_rust_and_the_event_from_the_background_task() {
    let app = App::start().await;
    assert_eq!(app.client.title().await.unwrap(), "QR Cashier");
    let version = app.wait_text("version", |t| !t.is_empty()).await;
    assert_eq!(version, format!("v{}", env!("CARGO_PKG_VERSION")));
    let data_dir = app.wait_text("data-dir", |t| !t.is_empty()).await;
    assert!(data_dir.starts_with(app.home.path().to_str().unwrap()), "{data_dir}");
    let link = app.find("link-status").await;
    app.wait_text("link-status", |t| t == "Connected").await;
    assert_eq!(link.attr("data-state").await.unwrap().as_deref(), Some("ok"));
    app.screenshot("start").await;
    app.stop().await;
}
