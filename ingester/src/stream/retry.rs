//! Retrying a flush: capped exponential backoff with full jitter, nothing committed meanwhile.

use std::sync::atomic::Ordering;
use std::time::Duration;

use coinking_adapters::market_store::MarketStore;
use coinking_core::backoff::Backoff;
use tokio::time::Instant;

use super::dead_letter::DeadLetterSink;
use super::processor::{FlushError, FlushOutcome, StreamProcessor};

/// First backoff ceiling after a failed flush.
pub const FLUSH_BACKOFF_BASE: Duration = Duration::from_millis(100);
/// Largest wait between flush attempts.
pub const FLUSH_BACKOFF_CAP: Duration = Duration::from_secs(5);

/// Flushes until it succeeds, or until `deadline` (if any) passes: then the last error is
/// returned and the pending work (and its offsets) stay uncommitted, to be replayed by whoever
/// consumes the partition next.
pub async fn flush_with_retry<S: MarketStore>(
    processor: &mut StreamProcessor<S>,
    dead_letters: &impl DeadLetterSink,
    deadline: Option<Instant>,
) -> Result<FlushOutcome, FlushError> {
    let mut backoff = Backoff::new(FLUSH_BACKOFF_BASE, FLUSH_BACKOFF_CAP);
    let mut rng = fastrand::Rng::new();
    loop {
        let error = match processor.flush(dead_letters).await {
            Ok(outcome) => return Ok(outcome),
            Err(error) => error,
        };
        processor
            .metrics()
            .store_retries
            .fetch_add(1, Ordering::Relaxed);
        let delay = backoff.next_delay(rng.f64());
        if error.is_retryable() {
            tracing::warn!(%error, attempt = backoff.attempt(), delay_ms = delay.as_millis() as u64, "stream flush failed, retrying");
        } else {
            tracing::error!(%error, attempt = backoff.attempt(), delay_ms = delay.as_millis() as u64, "stream flush failed permanently, retrying anyway; nothing is committed");
        }
        if deadline.is_some_and(|deadline| Instant::now() + delay >= deadline) {
            return Err(error);
        }
        tokio::time::sleep(delay).await;
    }
}
