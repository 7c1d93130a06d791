//! Learned AI hints (issue 16): the market-data lake, the original's eight features, an LSTM
//! forecaster trained with candle (pure Rust), model cards, and the walk-forward backtest that
//! decides whether a model may be served at all.
//!
//! Module map, in flow order:
//! - [`lake`]: the lake root (local directory or S3 via `object_store`), the 1-minute candle
//!   table (Parquet, Hive-partitioned `dt=`/`market=`), reading a market back.
//! - [`backfill`]: filling the lake from Upbit's REST candles, within Upbit's limits.
//! - [`series`]: [`Bar`], a candle in f64, and gap filling.
//! - [`features`]: the eight features per minute and the training windows.
//! - [`scaler`]: standardisation fitted on training data, saved in the card.
//! - [`model`]: the network (2×LSTM(50) → Linear(25) → Linear(1)) and seeded weights.
//! - [`train`]: deterministic training (AdamW, MSE, a progress line per epoch).
//! - [`backtest`]: walk-forward metrics for the LSTM, the baseline and the naive forecast,
//!   and the game P&L.
//! - [`card`]: the model card.
//! - [`chart`]: the backtest as an SVG bar chart (`--svg-out`).
//! - [`registry`]: saving models to and loading the newest from `models/<market>/<version>/`.
//! - [`serving`]: the hints stage's [`serving::LearnedForecaster`]: the newest card per market,
//!   served only when its backtest beat the baseline.
//! - [`pipeline`]: the train and backtest runs behind `coinking train` / `coinking backtest`.
//! - [`testing`]: small fixtures (a sine, a tiny model, a card) for tests here and in the ingester.
//! - [`error`]: the error type, [`ForecastError`].

pub mod backfill;
pub mod backtest;
pub mod card;
pub mod chart;
pub mod error;
pub mod features;
pub mod lake;
pub mod model;
pub mod pipeline;
pub mod registry;
pub mod scaler;
pub mod series;
pub mod serving;
pub mod testing;
pub mod train;

pub use error::ForecastError;
pub use series::Bar;
