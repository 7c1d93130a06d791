//! [`RetryPolicy`]: how often and how patiently an adapter retries what the SDK cannot see, with
//! the platform's one backoff rule (`coinking_core::backoff`: capped exponential, full jitter).
//! Used by every adapter that resubmits a partial success: DynamoDB `UnprocessedItems` (market
//! store, leaderboard) and Kinesis `FailedRecordCount` (click sink).
//!
//! Two layers retry such work, and they never overlap (DynamoDB as the example):
//! - **Transport (the SDK)**: throttling errors, 5xx, attempt timeouts and I/O failures of a single
//!   call are retried inside the SDK by its standard retry strategy (exponential backoff with
//!   full jitter, capped; attempts set in [`crate::aws::dynamodb_client`]). What still fails
//!   reaches us as [`crate::AdapterError::DynamoDb`], classified retryable or permanent; the
//!   caller (the stream stage) then retries the whole batch by not committing its offsets.
//! - **Partial success (this module)**: a `BatchWriteItem` that *succeeds* with
//!   `UnprocessedItems` is invisible to the SDK's retry layer, so the adapter resubmits the
//!   leftovers itself, waiting [`RetryPolicy::backoff`] between attempts.

use std::time::Duration;

use coinking_core::backoff;

/// Default attempts for a batch's leftovers, including the first call.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 8;
/// Default ceiling of the first wait.
pub const DEFAULT_BASE_DELAY: Duration = Duration::from_millis(50);
/// Default cap of any single wait.
pub const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(5);

/// How often and how patiently to resubmit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, including the first; at least 1.
    pub max_attempts: u32,
    /// Ceiling of the wait after the first attempt; doubles with each further attempt.
    pub base_delay: Duration,
    /// Cap of the ceiling.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            base_delay: DEFAULT_BASE_DELAY,
            max_delay: DEFAULT_MAX_DELAY,
        }
    }
}

impl RetryPolicy {
    /// The ceiling of the wait after attempt number `attempt` (1-based): `base × 2^(attempt−1)`,
    /// capped at `max_delay`.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        backoff::ceiling(self.base_delay, self.max_delay, attempt)
    }

    /// Full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"): a uniformly random
    /// wait in `[0, ceiling(attempt)]`, so that many writers throttled together do not retry together.
    pub fn backoff(&self, attempt: u32) -> Duration {
        backoff::full_jitter(self.ceiling(attempt), backoff::random_unit())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ceiling_doubles_per_attempt_and_stops_at_the_cap() {
        let policy = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1_000),
        };
        let ceilings: Vec<u128> = (1..=6).map(|a| policy.ceiling(a).as_millis()).collect();
        assert_eq!(ceilings, [100, 200, 400, 800, 1_000, 1_000]);
        assert_eq!(policy.ceiling(u32::MAX), Duration::from_millis(1_000));
    }

    #[test]
    fn backoff_is_jittered_within_the_ceiling() {
        let policy = RetryPolicy::default();
        let waits: Vec<Duration> = (0..200).map(|_| policy.backoff(3)).collect();
        assert!(waits.iter().all(|wait| *wait <= policy.ceiling(3)));
        let distinct: std::collections::HashSet<_> = waits.iter().collect();
        assert!(distinct.len() > 100, "jitter should spread the waits");
    }
}
