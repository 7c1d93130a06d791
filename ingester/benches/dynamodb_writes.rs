//! DynamoDB writes per 1,000 input messages: `cargo bench -p coinking-ingester --bench dynamodb_writes`.
//!
//! The shipped capture (60 s of the 9 game markets, ticker messages at their recorded receive
//! times) goes through the stream processor in 250 ms windows (by receive time, so the rate is
//! the recorded one), into the in-memory store; the processor counts every item it sends to the
//! store (tickers + candles). The original wrote one item per message. The capture is also
//! replayed compressed 10× and 100× in time (the same messages, a 10× / 100× higher rate), since
//! busy markets trade far faster than this sample.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use coinking_adapters::market_store::InMemoryMarketStore;
use coinking_core::capture::parse_capture;
use coinking_core::ticker::NormalizedTicker;
use coinking_core::upbit::{UpbitMessage, parse_frame};
use coinking_ingester::stream::{MemoryDeadLetters, Record, StreamMetrics, StreamProcessor};
use coinking_upbit_sim::SHIPPED_CAPTURE;

const WINDOW_MS: i64 = 250;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut tickers: Vec<(i64, NormalizedTicker)> = Vec::new();
    for line in parse_capture(SHIPPED_CAPTURE).filter_map(Result::ok) {
        parse_frame(&line.frame, |result| {
            if let Ok(UpbitMessage::Ticker(ticker)) = result {
                tickers.push((line.received_at_ms, NormalizedTicker::from_ticker(&ticker)));
            }
        });
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let first = tickers.first().map(|(at, _)| *at).unwrap_or(0);
    let span_ms = tickers.last().map(|(at, _)| *at).unwrap_or(0) - first;
    println!(
        "input: {} ticker messages over {:.1} s, 9 markets, window {WINDOW_MS} ms",
        tickers.len(),
        span_ms as f64 / 1000.0
    );
    for compression in [1_i64, 10, 100] {
        let metrics = Arc::new(StreamMetrics::default());
        let mut processor = StreamProcessor::new(
            InMemoryMarketStore::new(),
            "upbit.ticker",
            Arc::clone(&metrics),
        );
        let dead_letters = MemoryDeadLetters::new();
        runtime.block_on(async {
            let mut window_end = first + WINDOW_MS;
            for (offset, (received_at, ticker)) in tickers.iter().enumerate() {
                let at = first + (received_at - first) / compression;
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
        let writes = metrics.store_writes.load(Ordering::Relaxed);
        let tickers_written = metrics.tickers_written.load(Ordering::Relaxed)
            + metrics.tickers_stale.load(Ordering::Relaxed);
        let per_thousand = writes as f64 * 1000.0 / tickers.len() as f64;
        println!(
            "rate ×{compression:>3} ({:.0} msgs/s): {writes} writes ({tickers_written} ticker puts, {} candle puts) = {per_thousand:.0} per 1,000 messages; original: 1,000 per 1,000",
            tickers.len() as f64 * 1000.0 * compression as f64 / span_ms as f64,
            writes - tickers_written,
        );
    }
    Ok(())
}
