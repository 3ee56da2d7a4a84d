//! Integration tests of the core and the command wiring, without a window.

mod commands;
mod contract;
mod crash;
mod fixtures;
mod keyring;
mod live;
mod sale_life;
mod support;
mod token_hygiene;
