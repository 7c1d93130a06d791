//! CoinKing domain core: pure types and rules, no I/O, nothing about AWS.
//!
//! Module map:
//! - [`backoff`]: the one backoff rule (capped exponential, full jitter) every retry loop uses.
//! - [`market`]: market codes (`KRW-BTC`) and coin-id normalisation (`BTC/KRW` → `KRW-BTC`).
//! - [`catalog`]: market catalog entries from Upbit's `/v1/market/all`.
//! - [`upbit`]: Upbit WebSocket messages (ticker, trade, status, error) in every format, parsed
//!   from binary or text frames, and encoded back (used by the synthetic capture generator).
//! - [`ticker`]: the normalised ticker (`"v":1`, the Kafka value) and the `/upbit_data` compat view.
//! - [`player`]: the one name/affiliation rule of the game record and the leaderboard.
//! - [`game`]: the finished-game record of `POST /set_click_stream`, its validation and envelope.
//! - [`leaderboard`]: the `/set_user_data` submission, the rank row and order, and the
//!   server-side bound on a submitted balance (from the stored 1-minute candles).
//! - [`candle`]: 1-minute OHLCV candles from the ticker stream, idempotent under replay.
//! - [`hints`]: the AI hints of `/get_deeplearning`: flags, forecaster, ranks, sell levels.
//! - [`capture`]: the raw capture format (NDJSON: receive time + the raw frame).
//! - [`synth`]: a deterministic generator of faithful synthetic captures.
//! - [`tick_size`]: Upbit's KRW-market price units.
//! - [`time`]: the few calendar conversions Upbit's date fields need.

pub mod backoff;
pub mod candle;
pub mod capture;
pub mod catalog;
pub mod game;
pub mod hints;
pub mod leaderboard;
pub mod market;
pub mod player;
pub mod synth;
pub mod tick_size;
pub mod ticker;
pub mod time;
pub mod upbit;
