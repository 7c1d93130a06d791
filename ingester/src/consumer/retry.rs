//! Retrying a flush: capped exponential backoff with full jitter, nothing committed meanwhile.

use std::future::Future;
use std::pin::Pin;
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
    let never = std::pin::pin!(std::future::pending::<()>());
    match retry(stage, deadline, never).await {
        Some(result) => result,
        None => unreachable!("a pending future never resolves"),
    }
}

/// Flushes until it succeeds (`Some(Ok)`), or until `interrupt` resolves while it waits to
/// try again (`None`). An attempt in progress is never cut off: a flush dropped half-way
/// would have written part of its work, and the next flush would write that again and
/// count it as already there.
pub async fn flush_until_interrupted<T: ConsumerStage, F: Future<Output = ()>>(
    stage: &mut T,
    interrupt: Pin<&mut F>,
) -> Option<Result<Commit, T::Error>> {
    retry(stage, None, interrupt).await
}

async fn retry<T: ConsumerStage, F: Future<Output = ()>>(
    stage: &mut T,
    deadline: Option<Instant>,
    mut interrupt: Pin<&mut F>,
) -> Option<Result<Commit, T::Error>> {
    let mut backoff = Backoff::new(FLUSH_BACKOFF_BASE, FLUSH_BACKOFF_CAP);
    let mut rng = fastrand::Rng::new();
    loop {
        let error = match stage.flush().await {
            Ok(commit) => return Some(Ok(commit)),
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
            return Some(Err(error));
        }
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = interrupt.as_mut() => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::consumer::{ConsumerMetrics, Record};

    /// A stage whose flush takes `takes` and fails its first `failures` attempts.
    struct SlowStage {
        takes: Duration,
        failures: u32,
        started: u32,
        finished: u32,
        metrics: Arc<ConsumerMetrics>,
    }

    impl SlowStage {
        fn new(takes: Duration, failures: u32) -> Self {
            Self {
                takes,
                failures,
                started: 0,
                finished: 0,
                metrics: Arc::default(),
            }
        }
    }

    impl ConsumerStage for SlowStage {
        type Error = String;
        const NAME: &'static str = "slow";

        fn ingest(&mut self, _record: Record) {}

        fn has_pending(&self) -> bool {
            true
        }

        async fn flush(&mut self) -> Result<Commit, String> {
            self.started += 1;
            tokio::time::sleep(self.takes).await;
            self.finished += 1;
            if self.finished <= self.failures {
                return Err(format!("attempt {} failed", self.finished));
            }
            Ok(vec![(0, 7)])
        }

        fn is_retryable(_error: &String) -> bool {
            true
        }

        fn consumer_metrics(&self) -> &Arc<ConsumerMetrics> {
            &self.metrics
        }
    }

    #[tokio::test]
    async fn an_interrupt_during_a_flush_lets_the_flush_finish() {
        let mut stage = SlowStage::new(Duration::from_millis(300), 0);
        let interrupt = std::pin::pin!(tokio::time::sleep(Duration::from_millis(10)));
        let flushed = flush_until_interrupted(&mut stage, interrupt).await;
        assert_eq!(flushed.map(|r| r.ok()), Some(Some(vec![(0, 7)])));
        assert_eq!((stage.started, stage.finished), (1, 1));
    }

    #[tokio::test]
    async fn an_interrupt_while_waiting_to_retry_stops_the_retries() {
        let mut stage = SlowStage::new(Duration::from_millis(10), u32::MAX);
        let interrupt = std::pin::pin!(tokio::time::sleep(Duration::from_secs(1)));
        let flushed = flush_until_interrupted(&mut stage, interrupt).await;
        assert!(flushed.is_none(), "interrupted, not given up");
        assert_eq!(stage.started, stage.finished, "no attempt cut off");
        assert!(stage.started > 1, "retried before the interrupt");
        assert_eq!(
            stage.metrics.flush_retries.load(Ordering::Relaxed),
            u64::from(stage.started)
        );
    }

    #[tokio::test]
    async fn a_deadline_returns_the_last_error() {
        let mut stage = SlowStage::new(Duration::from_millis(10), u32::MAX);
        let deadline = Instant::now() + Duration::from_secs(1);
        let error = flush_with_retry(&mut stage, Some(deadline))
            .await
            .unwrap_err();
        assert_eq!(error, format!("attempt {} failed", stage.finished));
        assert!(stage.finished > 1, "retried until the deadline");
    }
}
