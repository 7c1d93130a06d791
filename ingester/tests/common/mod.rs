//! Shared by the ingester's integration tests: the expected state computed independently from a
//! capture (latest ticker per market, `build_candles`), candle comparison, bounded polling.
#![allow(dead_code)] // each test binary uses its own subset

pub mod lake;
pub mod pipeline;
pub mod services;

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use coinking_core::candle::{Candle, Tick, build_candles};
use coinking_core::capture::parse_capture;
use coinking_core::market::MarketCode;
use coinking_core::ticker::NormalizedTicker;
use coinking_core::upbit::{UpbitMessage, parse_frame};

/// What a capture should leave in the store.
#[derive(Debug)]
pub struct Expected {
    pub latest: BTreeMap<MarketCode, NormalizedTicker>,
    pub candles: Vec<CandleValues>,
    pub tickers: usize,
}

/// The parts of a candle that do not depend on stream positions.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CandleValues {
    pub market: String,
    pub minute_start_ms: i64,
    pub ohlc: [String; 4],
    pub volume: String,
    pub trade_count: u64,
}

impl CandleValues {
    pub fn of(candle: &Candle) -> Self {
        Self {
            market: candle.market.to_string(),
            minute_start_ms: candle.minute_start_ms,
            ohlc: [candle.open, candle.high, candle.low, candle.close]
                .map(|price| price.normalize().to_string()),
            volume: candle.volume.normalize().to_string(),
            trade_count: candle.trade_count,
        }
    }
}

/// The tickers of a capture in order, normalised.
pub fn capture_tickers(capture: &str) -> Vec<NormalizedTicker> {
    let mut tickers = Vec::new();
    for line in parse_capture(capture) {
        let line = line.expect("capture line");
        parse_frame(&line.frame, |result| {
            if let Ok(UpbitMessage::Ticker(ticker)) = result {
                tickers.push(NormalizedTicker::from_ticker(&ticker));
            }
        });
    }
    tickers
}

/// Newest ticker per market (the first of equal trade timestamps, like the store) and the
/// candles of all tickers in capture order.
pub fn expected(capture: &str) -> Expected {
    let tickers = capture_tickers(capture);
    let mut latest: BTreeMap<MarketCode, NormalizedTicker> = BTreeMap::new();
    for ticker in &tickers {
        match latest.get(&ticker.market) {
            Some(kept) if !ticker.is_newer_than(kept) => {}
            _ => {
                latest.insert(ticker.market.clone(), ticker.clone());
            }
        }
    }
    let ticks: Vec<Tick> = tickers
        .iter()
        .enumerate()
        .map(|(position, ticker)| Tick::from_ticker(ticker, position as i64))
        .collect();
    let mut candles: Vec<CandleValues> =
        build_candles(&ticks).iter().map(CandleValues::of).collect();
    candles.sort();
    Expected {
        latest,
        candles,
        tickers: tickers.len(),
    }
}

/// Sorted position-independent values of `candles`.
pub fn values(candles: &[Candle]) -> Vec<CandleValues> {
    let mut values: Vec<CandleValues> = candles.iter().map(CandleValues::of).collect();
    values.sort();
    values
}

/// Polls `check` every 100 ms until it returns true or `limit` passes; returns whether it did.
pub async fn eventually<F, Fut>(limit: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Upper bound for any single broker call in the Kafka client tests.
pub const WAIT: Duration = Duration::from_secs(30);

/// Awaits `future` for at most [`WAIT`].
pub async fn bounded<F: Future>(what: &str, future: F) -> F::Output {
    match tokio::time::timeout(WAIT, future).await {
        Ok(output) => output,
        Err(_) => panic!(
            "{what}: no answer within {WAIT:?}; is the stand-in ready? start the local stand-ins \
             with `scripts/services.sh up` (or run `bash scripts/test.sh`)"
        ),
    }
}

/// Runs `body`, then `cleanup` whether or not `body` panicked, then re-raises the panic:
/// randomly named resources are removed even when an assertion fails.
pub async fn with_cleanup<B, C>(body: B, cleanup: C)
where
    B: Future<Output = ()> + Send + 'static,
    C: Future<Output = ()>,
{
    let outcome = tokio::spawn(body).await;
    cleanup.await;
    if let Err(error) = outcome {
        if error.is_panic() {
            std::panic::resume_unwind(error.into_panic());
        }
        panic!("test body did not finish: {error}");
    }
}

use coinking_adapters::market_store::items::MAX_CANDLE_MS;
use coinking_adapters::market_store::{CandleReader, TickerReader};

/// Every stored candle of `markets`, position-independent and sorted.
pub async fn stored_candles(
    store: &impl CandleReader,
    markets: &[MarketCode],
) -> Vec<CandleValues> {
    let mut candles = Vec::new();
    for market in markets {
        match store.candles(market, 0, MAX_CANDLE_MS, 10_000).await {
            Ok(found) => candles.extend(found),
            Err(_) => return Vec::new(),
        }
    }
    values(&candles)
}

/// Whether the store holds exactly the expected latest tickers.
pub async fn latest_matches(store: &impl TickerReader, expected: &Expected) -> bool {
    let markets: Vec<MarketCode> = expected.latest.keys().cloned().collect();
    match store.latest(&markets).await {
        Ok(latest) => {
            latest.len() == expected.latest.len()
                && latest
                    .iter()
                    .all(|t| expected.latest.get(&t.market) == Some(t))
        }
        Err(_) => false,
    }
}

/// After replays (a reconnect restarts the simulator's replay), candles keep their prices
/// (open, high, low, close) but may count replayed trades again: the same minutes, equal OHLC,
/// at least the expected count.
pub fn candles_cover(stored: &[CandleValues], expected: &[CandleValues]) -> bool {
    stored.len() == expected.len()
        && stored.iter().zip(expected).all(|(s, e)| {
            s.market == e.market
                && s.minute_start_ms == e.minute_start_ms
                && s.ohlc == e.ohlc
                && s.trade_count >= e.trade_count
        })
}
