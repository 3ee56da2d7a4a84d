fn main() {
    // Generates an `allow-<command>` permission per app command; the capability file grants
    // the window exactly these.
    let commands: &[&str] = &["app_info", "subscribe"];
    tauri_build::try_build(
        tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(commands)),
    )
    .expect("tauri build step failed");
}
