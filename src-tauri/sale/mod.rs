//! A sale: its cart, the states of its life, and the journal (SQLite) that records each step
//! before the request that makes it happen.
