//! CoinKing domain core: pure types and rules, no I/O, nothing about AWS.
//!
//! Module map:
//! - [`market`]: market codes (`KRW-BTC`) and coin-id normalisation (`BTC/KRW` → `KRW-BTC`).
//! - [`game`]: game records from the frontend: limits, validation that reports every problem,
//!   and the envelope they travel in through Kinesis.

pub mod game;
pub mod market;
