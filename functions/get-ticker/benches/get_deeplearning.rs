//! `/get_deeplearning` handler latency in process: warm, store in memory, nine game markets,
//! one request at a time, each timed on its own so the percentiles are real ones. Two cases:
//! a stored hint set (the steady state) and nothing stored (the warm-up answer, which also reads
//! the tickers). Run: `cargo bench -p get-ticker --bench get_deeplearning` (figures: README).

use std::time::{Duration, Instant};

use coinking_adapters::market_store::{HintWriter, InMemoryMarketStore, TickerWriter};
use coinking_core::hints::{BaselineForecaster, MarketInput, compute_hints};
use coinking_core::ticker::NormalizedTicker;
use coinking_core::upbit::Change;
use get_ticker::{Deps, TickerConfig, handle};
use rust_decimal::Decimal;

const WARMUP: usize = 2_000;
const SAMPLES: usize = 50_000;
const EVENT: &str = include_str!("../../../events/get-ticker/get_deeplearning.json");
const NOW_MS: i64 = 1_732_500_060_000;

fn ticker(market: &coinking_core::market::MarketCode, index: i64) -> NormalizedTicker {
    let price = Decimal::new(82_635_000 + index * 1_000, 0);
    NormalizedTicker {
        v: 1,
        market: market.clone(),
        trade_price: price,
        opening_price: price,
        high_price: price,
        low_price: price,
        prev_closing_price: price,
        change: Change::Rise,
        change_price: Decimal::ZERO,
        change_rate: Decimal::ZERO,
        signed_change_price: Decimal::ZERO,
        signed_change_rate: Decimal::ZERO,
        trade_volume: None,
        acc_trade_volume_24h: None,
        acc_trade_price_24h: None,
        ask_bid: None,
        trade_timestamp: NOW_MS - 1_000 + index,
        timestamp: NOW_MS - 990 + index,
        stream_type: None,
        market_warning: None,
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn measure(name: &str, runtime: &tokio::runtime::Runtime, deps: &Deps<InMemoryMarketStore>) {
    let mut samples = Vec::with_capacity(SAMPLES);
    for round in 0..WARMUP + SAMPLES {
        let request = lambda_http::request::from_str(EVENT).expect("the fixture parses");
        let started = Instant::now();
        let response = runtime.block_on(handle(deps, request));
        let took = started.elapsed();
        assert_eq!(response.status(), 200);
        if round >= WARMUP {
            samples.push(took);
        }
    }
    samples.sort_unstable();
    println!(
        "{name}: p50 {:?}  p90 {:?}  p99 {:?}  max {:?}  ({} samples)",
        percentile(&samples, 0.50),
        percentile(&samples, 0.90),
        percentile(&samples, 0.99),
        samples[samples.len() - 1],
        samples.len()
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let config = TickerConfig::default();
    let tickers: Vec<NormalizedTicker> = config
        .game_markets
        .iter()
        .zip(0..)
        .map(|(market, index)| ticker(market, index))
        .collect();

    let warm_up = InMemoryMarketStore::new();
    runtime
        .block_on(warm_up.put_latest(&tickers))
        .expect("in-memory write");
    measure(
        "/get_deeplearning, nothing stored (warm-up answer)",
        &runtime,
        &Deps::new(warm_up, config.clone()).with_clock(|| NOW_MS),
    );

    let stored = InMemoryMarketStore::new();
    let inputs: Vec<MarketInput<'_>> = config
        .game_markets
        .iter()
        .zip(&tickers)
        .map(|(market, ticker)| MarketInput {
            market,
            candles: &[],
            price: Some((ticker.trade_price, ticker.timestamp)),
        })
        .collect();
    let set = compute_hints(&inputs, &BaselineForecaster::default(), NOW_MS);
    runtime
        .block_on(stored.put_hints(&set))
        .expect("in-memory write");
    measure(
        "/get_deeplearning, stored set",
        &runtime,
        &Deps::new(stored, config).with_clock(|| NOW_MS),
    );
}
