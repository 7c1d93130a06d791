//! Operations: what an orchestrator and a scraper see.
//!
//! - [`registry`]: [`Registry`], every stage's live counters in one place, rendered as
//!   Prometheus text, and the process's readiness.
//! - [`metric_set`]: [`metric_set!`](metric_set), how a stage declares its metrics:
//!   each one's field, name, type, help and label in one line.
//! - [`exposition`]: the Prometheus text those declarations render to (a small hand-rolled
//!   encoder over the stages' atomics; no metrics crate).
//! - [`http`]: [`http::serve`], a tiny HTTP/1.1 server for `/healthz`, `/readyz`, `/metrics`.

pub mod exposition;
pub mod http;
pub mod metric_set;
pub mod registry;

pub use registry::Registry;
