//! CoinKing domain core: pure types and rules, no I/O, nothing about AWS.
//!
//! Module map:
//! - [`market`]: market codes (`KRW-BTC`) and coin-id normalisation (`BTC/KRW` → `KRW-BTC`).

pub mod market;
