//! Retrying a flush: capped exponential backoff with full jitter, nothing committed meanwhile.

use std::sync::atomic::Ordering;
use std::time::Duration;

use coinking_core::backoff::Backoff;
use tokio::time::Instant;

use super::{Commit, ConsumerStage};

/// First backoff ceiling after a failed flush.
pub const FLUSH_BACKOFF_BASE: Duration = Duration::from_millis(100);
/// Largest wait between flush attempts.
pub const FLUSH_BACKOFF_CAP: Duration = Duration::from_secs(5);

/// Flushes until it succeeds, or until `deadline` (if any) passes: then the last error is
/// returned and the pending work (and its offsets) stay uncommitted, to be replayed by whoever
/// consumes the partition next.
pub async fn flush_with_retry<T: ConsumerStage>(
    stage: &mut T,
    deadline: Option<Instant>,
) -> Result<Commit, T::Error> {
    let mut backoff = Backoff::new(FLUSH_BACKOFF_BASE, FLUSH_BACKOFF_CAP);
    let mut rng = fastrand::Rng::new();
    loop {
        let error = match stage.flush().await {
            Ok(commit) => return Ok(commit),
            Err(error) => error,
        };
        stage
            .consumer_metrics()
            .flush_retries
            .fetch_add(1, Ordering::Relaxed);
        let delay = backoff.next_delay(rng.f64());
        let stage_name = T::NAME;
        if T::is_retryable(&error) {
            tracing::warn!(stage = stage_name, %error, attempt = backoff.attempt(), delay_ms = delay.as_millis() as u64, "flush failed, retrying");
        } else {
            tracing::error!(stage = stage_name, %error, attempt = backoff.attempt(), delay_ms = delay.as_millis() as u64, "flush failed permanently, retrying anyway; nothing is committed");
        }
        if deadline.is_some_and(|deadline| Instant::now() + delay >= deadline) {
            return Err(error);
        }
        tokio::time::sleep(delay).await;
    }
}
