//! The market-data lake: where it lives (a local directory or `s3://bucket/prefix`, one
//! `object_store` code path for both), its key layout, and the 1-minute candle files.
//!
//! Layout (Hive partitions, so Spark, Athena or DataFusion read it as tables):
//! - `market-data/candles_1m/dt=YYYY-MM-DD/market=KRW-BTC/HHMM.parquet`: one file per market
//!   and minute, written by the ingester's lake sink when the minute closes. Deterministic
//!   name: a re-delivered minute overwrites its file.
//! - `…/market=KRW-BTC/backfill-HH.parquet`: one file per market and aligned 3-hour block,
//!   written by `coinking backfill` from Upbit's REST candles.
//! - `market-data/ticks/dt=YYYY-MM-DD/market=KRW-BTC/HHMM.parquet`: the minute's normalised
//!   tickers, written with its candle by the lake sink (merged with what is stored: a replayed
//!   minute lands once).
//! - `models/<market>/<version>/model.safetensors` + `model.json`: trained models.
//!
//! Where the stream and the backfill both hold a minute, readers keep the backfill's (the
//! exchange's own candle; the stream's may miss ticks across a reconnect).

pub mod candles;
pub mod encoding;
pub mod location;
pub mod ticks;

pub use candles::{
    CandleRow, Source, candle_schema, read_candles, read_market_bars, to_parquet, write_minute,
};
pub use location::{Expected, Lake};
pub use ticks::{MinuteWritten, TickRow, write_closed_minute};

/// Prefix of the candle table.
pub const CANDLES_PREFIX: &str = "market-data/candles_1m";
/// Prefix of the tick table.
pub const TICKS_PREFIX: &str = "market-data/ticks";
/// Prefix of the trained models.
pub const MODELS_PREFIX: &str = "models";
