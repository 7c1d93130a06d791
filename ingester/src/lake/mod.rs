//! The lake stage: the market-data lake's writer. Its own consumer group on `upbit.ticker`, so
//! the hot stores and the history never hold each other up; the ingester binary runs it when
//! `lake.url` is set, and the in-process platform (`crate::embedded`, `coinking up`) on its own
//! channel of the in-process bus.
//!
//! - [`stage`]: [`LakeStage`], which gathers each market's minute of tickers and, once the
//!   minute is closed, writes its ticks and its 1-minute candle to Parquet
//!   (`coinking_forecast::lake::write_closed_minute`), then commits only offsets whose records
//!   are all written.
//! - [`metrics`]: the [`LakeMetrics`] counters.

pub mod metrics;
pub mod stage;

pub use metrics::LakeMetrics;
pub use stage::{DEFAULT_CLOSE_GRACE, LakeStage};

/// The lake stage's default consumer group.
pub const DEFAULT_LAKE_GROUP: &str = "coinking-lake";
