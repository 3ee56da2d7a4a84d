//! The installed package, driven through its window: run by `make test-bundle` after it
//! installs the .deb (before) and again after it upgrades it (after), on one data folder.
//! Ignored in `make test`, where nothing is installed.

use crate::support::App;

fn expected_version() -> String {
    std::env::var("EXPECT_VERSION").expect("EXPECT_VERSION: run this with `make test-bundle`")
}

#[tokio::test]
#[ignore = "needs the installed package: run by `make test-bundle`"]
async fn before_the_upgrade() {
    let app = App::installed().await;
    assert_eq!(app.client.title().await.unwrap(), "QR Cashier");
    app.wait_text("version", |t| t == format!("v{}", expected_version()))
        .await;
    app.english().await;
    app.charge_the_demo_yerba().await;
    app.click("phone-pay").await;
    app.wait_attr("pay-screen", "data-state", "paid").await;
    app.screenshot("installed").await;
    app.stop().await;
}

#[tokio::test]
#[ignore = "needs the upgraded package: run by `make test-bundle`"]
async fn after_the_upgrade() {
    let app = App::installed().await;
    app.wait_text("version", |t| t == format!("v{}", expected_version()))
        .await;
    app.english().await;
    app.click("open-history").await;
    app.click("sale-row-1").await;
    app.wait_text("story-title", |t| t.ends_with("· paid")).await;
    app.wait_text("story-total", |t| t == "$ 3.500,00").await;
    app.stop().await;
}
