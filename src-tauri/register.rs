//! The register: one sale's life on a POS (charge, watch, cancel, expire, recover), driven by
//! a poller that searches merchant orders by `external_reference` and emits a `SaleEvent` on
//! every change.
