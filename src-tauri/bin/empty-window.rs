//! The floor for the memory benchmark: a Tauri window of the app's size showing an empty page,
//! built with the same Tauri, features and profile as the app. `make bench` measures both.

fn main() {
    tauri::Builder::default()
        .setup(|app| {
            // An empty page of the app's own, rendered in a WebKit web process as the app's is.
            let blank = tauri::WebviewUrl::App("blank.html".into());
            tauri::WebviewWindowBuilder::new(app, "main", blank)
                .title("Empty window")
                .inner_size(1180.0, 760.0)
                .build()?;
            Ok(())
        })
        .run(tauri::generate_context!())
        .expect("the window system could not start");
}
