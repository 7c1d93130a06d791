//! The hints stage: after the stream stage, in the same process, it turns the stored 1-minute
//! candles and latest tickers into the AI hint set of `GET /get_deeplearning` and writes it.
//!
//! Once at start (a warm-up set: one entry per game market from whatever is stored, zero
//! forecasts where candles are missing), then every minute at the minute boundary plus
//! [`HintsSettings::delay`], so the minute that just closed has been written by the stream
//! stage (its coalescing window is 250 ms). A failed run is logged and counted, and the next
//! minute tries again; the stored set stays the previous one meanwhile.
//!
//! Module map: [`settings`] ([`HintsSettings`]), [`stage`] ([`HintsStage`]: `run_once`, `run`),
//! [`models`] ([`ModelSource`]: learned models from the lake, reloaded without restart),
//! [`metrics`] ([`HintsMetrics`]).

pub mod metrics;
pub mod models;
pub mod settings;
pub mod stage;

pub use metrics::HintsMetrics;
pub use models::ModelSource;
pub use settings::HintsSettings;
pub use stage::HintsStage;
