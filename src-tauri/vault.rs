//! The vault: the Mercado Pago access token in the OS keyring, held in memory as a secret and
//! never written to a file, a log, a URL or the webview.
