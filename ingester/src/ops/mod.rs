//! Operations: what an orchestrator and a scraper see.
//!
//! - [`registry`]: [`Registry`], every stage's live counters in one place, rendered as
//!   Prometheus text, and the process's readiness.
//!   Stages declare their metrics with [`crate::metrics`].
//! - [`http`]: [`http::serve`], a tiny HTTP/1.1 server for `/healthz`, `/readyz`, `/metrics`.

pub mod http;
pub mod registry;

pub use registry::Registry;
