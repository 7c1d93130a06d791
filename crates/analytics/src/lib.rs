//! The embedded analytics engine: the 20 clickstream results and per-player summaries computed
//! in three streaming passes over the archived Parquet (`clickstream/dt=…/hour=…/*.parquet`),
//! written as `analysis/*.json`. The same results come from the Spark job in `spark/`
//! (parity-tested) and from DuckDB running the same SQL (`scripts/analytics_duckdb.py`, the
//! benchmark's peer). No Lambda links this crate.
//!
//! Module map, in the order a run flows through it:
//! - [`storage`] — input/output locations (local directory or `s3://`), paginated listing,
//!   atomic writes (`local_output` for a local directory);
//! - [`engine`] — the passes: deduplication by event_id, the 0.9 quantile, the exact sums;
//! - [`results`] — the 20 results' shapes and rules as pure functions of the aggregates;
//! - [`users`] — the per-player summaries;
//! - [`run`] — [`run_analysis`] (list → analyze → write results, users, manifest last) and the
//!   local scheduler [`run_every`];
//! - [`fixture`] — writes games as Parquet in the archive's exact schema (tests, tools);
//! - [`error`] — [`AnalyticsError`].
//!
//! Every semantic choice is documented in `docs/ANALYTICS.md`.

pub mod engine;
pub mod error;
pub mod fixture;
mod local_output;
pub mod results;
pub mod run;
pub mod storage;
pub mod users;

pub use error::AnalyticsError;
pub use run::{
    AnalyzeConfig, DEFAULT_INTERVAL, Manifest, RESULTS_SNAPSHOT_KEY, ResultsSnapshot, run_analysis,
    run_every,
};
pub use storage::{Location, S3Settings};
