//! The in-process driver: records from an in-process bus into a [`ConsumerStage`], flushed once
//! per window. It runs until the bus closes (every sender dropped, i.e. the ingest side has
//! stopped), then flushes what is left, everything the stage holds (nothing is replayed in
//! process: [`ConsumerStage::input_ended`]), and returns.
//!
//! A failed flush is retried with backoff ([`flush_with_retry`]) while records wait in the
//! bounded bus, which pushes back on the source; the final flush gives up after
//! [`FINAL_FLUSH_TIMEOUT`] and reports the error.

use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::time::{Instant, MissedTickBehavior};

use super::retry::flush_with_retry;
use super::{ConsumerStage, Record};

/// How long the last flush may keep retrying once the bus has closed.
pub const FINAL_FLUSH_TIMEOUT: Duration = Duration::from_secs(20);

/// Runs `stage` on the in-process bus's `records`; see the module doc.
pub async fn run_in_process<T: ConsumerStage>(
    mut stage: T,
    mut records: tokio::sync::mpsc::Receiver<Record>,
    window: Duration,
) -> Result<(), T::Error> {
    stage
        .consumer_metrics()
        .assigned_partitions
        .store(1, Ordering::Relaxed);
    let mut ticker = tokio::time::interval(window);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            received = records.recv() => match received {
                Some(record) => stage.ingest(record),
                None => break,
            },
            _ = ticker.tick() => {
                if stage.has_pending() {
                    flush_with_retry(&mut stage, None).await?;
                }
            }
        }
    }
    stage.input_ended();
    if stage.has_pending() {
        let deadline = Instant::now() + FINAL_FLUSH_TIMEOUT;
        flush_with_retry(&mut stage, Some(deadline)).await?;
    }
    tracing::info!(stage = T::NAME, "in-process stage drained");
    Ok(())
}
