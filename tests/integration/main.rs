//! Integration tests of the core and the command wiring, without a window.

mod bad_input;
mod cash_and_till;
mod commands;
mod contract;
mod crash;
#[path = "../common/escpos.rs"]
mod escpos;
mod faults;
mod fixtures;
mod keyring;
mod live;
mod money;
mod orders;
mod printer;
#[path = "../common/qr.rs"]
mod qr;
mod sale_life;
mod security;
mod support;
mod token_hygiene;
