//! QR Cashier: a counter cashier that charges through Mercado Pago QR (the Orders API and the
//! attended model) and in cash, with goods by the kilo, tickets and the till.
//!
//! The core (everything but `desktop`) knows no UI and builds and tests without a window:
//! - [`money`]: sites, currencies, exact decimal amounts;
//! - [`mercadopago`]: the typed HTTP client;
//! - [`sale`]: the cart, a sale's states and the journal that records them;
//! - [`register`]: one sale's life (charge, watch, cancel, recover), driven by the poller;
//! - [`vault`]: the access token in the OS keyring;
//! - [`settings`], [`paths`]: the register's settings file and folders;
//! - [`setup`], [`records`]: setting up a register on an account; the day's records;
//! - [`till`]: the cash drawer from its float to its Z report;
//! - [`printer`]: tickets and Z reports laid out for paper, sent to a thermal printer (ESC/POS);
//! - [`sign`]: the printable counter sign around the register's QR;
//! - [`counter`]: a whole checkout station put together, on the demo sandbox or a real account;
//! - [`sandbox`]: a local Mercado Pago for demo mode and every test.
//!
//! [`desktop`] is the Tauri shell: commands, events, windows. Only it imports `tauri`.

pub mod counter;
pub mod desktop;
pub mod mercadopago;
pub mod money;
pub mod owner;
pub mod paths;
pub mod printer;
pub mod records;
pub mod register;
pub mod sale;
pub mod sandbox;
pub mod settings;
pub mod setup;
pub mod sign;
pub mod till;
pub mod vault;

pub use desktop::run;
