//! DynamoDB writes per 1,000 input messages: `cargo bench -p coinking-ingester --bench dynamodb_writes`.
//!
//! The shipped capture (60 s of the 9 game markets, ticker messages at their recorded receive
//! times) goes through the stream processor in 250 ms windows (by receive time, so the rate is
//! the recorded one); the capture is also replayed compressed 10× and 100× in time (the same
//! messages, receive and trade times compressed: a 10× / 100× higher rate, 10× / 100× more
//! messages per minute), since busy markets trade far faster than this sample.
//! Two ways to store it:
//! - **DynamoDB only**: the processor counts every item it sends to the store (tickers +
//!   candles);
//! - **Redis hot path** (`TieredMarketStore`): every write goes to the hot store and DynamoDB
//!   gets each closed minute once; the count is what reaches the cold store.
//!
//! The 60 s capture is replayed 5 times back to back (each pass shifted by its length), so
//! minutes close as they would in a running system. The original wrote one item per message.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use coinking_adapters::market_store::{InMemoryMarketStore, MarketStore, TieredMarketStore};
use coinking_core::capture::parse_capture;
use coinking_core::ticker::NormalizedTicker;
use coinking_core::upbit::{UpbitMessage, parse_frame};
use coinking_ingester::stream::{MemoryDeadLetters, Record, StreamMetrics, StreamProcessor};
use coinking_upbit_sim::SHIPPED_CAPTURE;

const WINDOW_MS: i64 = 250;
const PASSES: i64 = 5;

type Tiered = TieredMarketStore<InMemoryMarketStore, InMemoryMarketStore>;

/// The capture `PASSES` times, each pass shifted by the capture's span: (receive ms, ticker).
fn input() -> Vec<(i64, NormalizedTicker)> {
    let mut once: Vec<(i64, NormalizedTicker)> = Vec::new();
    for line in parse_capture(SHIPPED_CAPTURE).filter_map(Result::ok) {
        parse_frame(&line.frame, |result| {
            if let Ok(UpbitMessage::Ticker(ticker)) = result {
                once.push((line.received_at_ms, NormalizedTicker::from_ticker(&ticker)));
            }
        });
    }
    let first = once.first().map(|(at, _)| *at).unwrap_or(0);
    let span = once.last().map(|(at, _)| *at).unwrap_or(0) - first + 1_000;
    let mut all = Vec::with_capacity(once.len() * PASSES as usize);
    for pass in 0..PASSES {
        for (at, ticker) in &once {
            let mut ticker = ticker.clone();
            ticker.trade_timestamp += pass * span;
            ticker.timestamp += pass * span;
            all.push((at + pass * span, ticker));
        }
    }
    all
}

/// Runs `tickers` compressed `compression`× through a processor on `store`.
fn run<S: MarketStore + 'static>(
    runtime: &tokio::runtime::Runtime,
    store: S,
    tickers: &[(i64, NormalizedTicker)],
    compression: i64,
) -> Result<Arc<StreamMetrics>, Box<dyn std::error::Error>> {
    let metrics = Arc::new(StreamMetrics::default());
    let mut processor = StreamProcessor::new(store, "upbit.ticker", Arc::clone(&metrics));
    let dead_letters = MemoryDeadLetters::new();
    let first = tickers.first().map(|(at, _)| *at).unwrap_or(0);
    runtime.block_on(async {
        let mut window_end = first + WINDOW_MS;
        let first_trade = tickers.first().map_or(0, |(_, t)| t.trade_timestamp);
        for (offset, (received_at, ticker)) in tickers.iter().enumerate() {
            let at = first + (received_at - first) / compression;
            // Trade times compressed too: a faster market fills each minute with more messages.
            let mut ticker = ticker.clone();
            ticker.trade_timestamp =
                first_trade + (ticker.trade_timestamp - first_trade) / compression;
            while at >= window_end {
                processor.flush(&dead_letters).await?;
                window_end += WINDOW_MS;
            }
            processor.ingest(Record {
                key: ticker.market.as_str().as_bytes().to_vec(),
                payload: ticker.to_json(),
                partition: 0,
                offset: offset as i64,
            });
        }
        processor.flush(&dead_letters).await?;
        Ok::<_, Box<dyn std::error::Error>>(())
    })?;
    Ok(metrics)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let tickers = input();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let span_ms = tickers.last().map(|(at, _)| *at).unwrap_or(0) - tickers[0].0;
    println!(
        "input: {} ticker messages over {:.1} s (the shipped capture {PASSES}× back to back), 9 markets, window {WINDOW_MS} ms",
        tickers.len(),
        span_ms as f64 / 1000.0
    );
    let per_thousand = |writes: u64| writes as f64 * 1000.0 / tickers.len() as f64;
    for compression in [1_i64, 10, 100] {
        let rate = tickers.len() as f64 * 1000.0 * compression as f64 / span_ms as f64;
        let metrics = run(&runtime, InMemoryMarketStore::new(), &tickers, compression)?;
        let writes = metrics.store_writes.load(Ordering::Relaxed);
        let ticker_puts = metrics.tickers_written.load(Ordering::Relaxed)
            + metrics.tickers_stale.load(Ordering::Relaxed);
        println!(
            "rate ×{compression:>3} ({rate:.0} msgs/s) DynamoDB only: {writes} writes ({ticker_puts} ticker puts, {} candle puts) = {:.0} per 1,000 messages; original: 1,000 per 1,000",
            writes - ticker_puts,
            per_thousand(writes),
        );
        let tiered: Tiered =
            TieredMarketStore::new(InMemoryMarketStore::new(), InMemoryMarketStore::new());
        let metrics = run(&runtime, tiered.clone(), &tickers, compression)?;
        let hot = metrics.store_writes.load(Ordering::Relaxed);
        let cold = tiered.cold_writes();
        println!(
            "rate ×{compression:>3} ({rate:.0} msgs/s) Redis hot path: {hot} Redis writes, {cold} DynamoDB writes (closed minutes) = {:.1} DynamoDB writes per 1,000 messages",
            per_thousand(cold),
        );
    }
    Ok(())
}
