//! The in-process driver: records from the [`crate::sinks::InProcessBus`] into a
//! [`StreamProcessor`], flushed once per window. It runs until the bus closes (every sender
//! dropped, i.e. the ingest side has stopped), then flushes what is left and returns.
//!
//! A failed flush is retried with backoff ([`flush_with_retry`]) while records wait in the
//! bounded bus, which pushes back on the source; the final flush gives up after
//! [`FINAL_FLUSH_TIMEOUT`] and reports the error.

use std::time::Duration;

use coinking_adapters::market_store::MarketStore;
use tokio::time::{Instant, MissedTickBehavior};

use super::dead_letter::DeadLetterSink;
use super::processor::{FlushError, StreamProcessor};
use super::retry::flush_with_retry;
use crate::sinks::BusReceiver;

/// How long the last flush may keep retrying once the bus has closed.
pub const FINAL_FLUSH_TIMEOUT: Duration = Duration::from_secs(20);

/// Runs the in-process stream stage; see the module doc.
pub async fn run_in_process<S: MarketStore>(
    mut processor: StreamProcessor<S>,
    dead_letters: &impl DeadLetterSink,
    mut records: BusReceiver,
    window: Duration,
) -> Result<(), FlushError> {
    processor
        .metrics()
        .assigned_partitions
        .store(1, std::sync::atomic::Ordering::Relaxed);
    let mut ticker = tokio::time::interval(window);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            received = records.recv() => match received {
                Some(record) => processor.ingest(record),
                None => break,
            },
            _ = ticker.tick() => {
                if processor.has_pending() {
                    flush_with_retry(&mut processor, dead_letters, None).await?;
                }
            }
        }
    }
    if processor.has_pending() {
        let deadline = Instant::now() + FINAL_FLUSH_TIMEOUT;
        flush_with_retry(&mut processor, dead_letters, Some(deadline)).await?;
    }
    tracing::info!("in-process stream stage drained");
    Ok(())
}
