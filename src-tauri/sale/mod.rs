//! A sale: its cart, the states of its life, and the journal (SQLite) that records each step
//! before the request that makes it happen.

pub mod cart;
pub mod cash;
pub mod catalog;
pub mod journal;
pub mod scale;
pub mod state;

pub use cart::{Cart, CartError, CartLine, CheckedCart};
pub use cash::{CashError, CashPayment, Tender};
pub use catalog::{Product, ProductError, RowError};
pub use journal::{Journal, JournalError, Sale, SaleId, StateChange};
pub use state::{Outcome, SaleState};
