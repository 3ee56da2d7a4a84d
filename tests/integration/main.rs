//! Integration tests of the core and the command wiring, without a window.

mod commands;
