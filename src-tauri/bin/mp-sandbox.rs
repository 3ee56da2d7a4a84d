//! Runs the Mercado Pago sandbox alone: `mp-sandbox [--port N] [--site MLA]`.

use qr_cashier::sandbox::Sandbox;

#[tokio::main]
async fn main() {
    let mut port = 0u16;
    let mut site = "MLA".to_string();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--port" => port = args.next().and_then(|p| p.parse().ok()).unwrap_or_else(|| usage()),
            "--site" => site = args.next().unwrap_or_else(|| usage()),
            _ => usage(),
        }
    }
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let sandbox = match Sandbox::start(port, &site).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("mp-sandbox: cannot start: {e}");
            std::process::exit(1);
        }
    };
    // One write: a reader that stops after the lines it needs loses nothing.
    let a = &sandbox.account;
    print!(
        "base_url={}\ntoken={}\nuser_id={}\nsite_id={}\n",
        sandbox.base_url(),
        a.token,
        a.user_id,
        a.site_id
    );
    let _ = std::io::Write::flush(&mut std::io::stdout());
    let _ = tokio::signal::ctrl_c().await;
}

fn usage() -> ! {
    eprintln!("usage: mp-sandbox [--port N] [--site MLA|MLB|MLM|MLC|MLU|MCO|MPE]");
    std::process::exit(2)
}
