//! Operations: what an orchestrator and a scraper see.
//!
//! - [`registry`]: [`Registry`], every stage's live counters in one place, rendered as
//!   Prometheus text (a small hand-rolled encoder over the stages' atomics; no metrics crate).
//! - [`http`]: [`http::serve`], a tiny HTTP/1.1 server for `/healthz`, `/readyz`, `/metrics`.

pub mod http;
pub mod registry;

pub use registry::Registry;
