//! How a stage declares its metrics, apart from `ops`, which collects them: every stage uses this
//! module and `ops::registry` names every stage, so keeping the two apart keeps the module graph
//! free of a stage ↔ ops cycle.
//!
//! - [`metric_set`]: [`metric_set!`](metric_set), each metric's field, name, type, help and label
//!   in one line.
//! - [`exposition`]: the Prometheus text those declarations render to (a small hand-rolled
//!   encoder over the stages' atomics; no metrics crate).

pub mod exposition;
pub mod metric_set;
