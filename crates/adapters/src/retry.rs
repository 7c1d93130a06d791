//! [`RetryPolicy`]: how often and how patiently an adapter retries what the SDK cannot see, with
//! the platform's one backoff rule (`coinking_core::backoff`: capped exponential, full jitter).
//! Used by every adapter that resubmits a partial success: DynamoDB `UnprocessedItems` (market
//! store, leaderboard) and Kinesis `FailedRecordCount` (click sink).
//!
//! Two layers retry such work, and they never overlap (DynamoDB as the example):
//! - **Transport (the SDK)**: throttling errors, 5xx, attempt timeouts and I/O failures of a single
//!   call are retried inside the SDK by its standard retry strategy (exponential backoff with
//!   full jitter, capped; attempts set in [`crate::aws::dynamodb_client`]). What still fails
//!   reaches us as [`crate::StoreError::DynamoDb`], classified retryable or permanent; the
//!   caller (the stream stage) then retries the whole batch by not committing its offsets.
//! - **Partial success (this module)**: a `BatchWriteItem` that *succeeds* with
//!   `UnprocessedItems` is invisible to the SDK's retry layer, so the adapter resubmits the
//!   leftovers itself, waiting [`RetryPolicy::backoff`] between attempts ([`RESUBMIT_POLICY`]).

use std::time::Duration;

pub use coinking_core::backoff::RetryPolicy;

/// The stores' resubmission of a batch's leftovers: 8 attempts in all, 50 ms doubling to 5 s.
pub const RESUBMIT_POLICY: RetryPolicy = RetryPolicy {
    max_attempts: 8,
    base_delay: Duration::from_millis(50),
    max_delay: Duration::from_secs(5),
};

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
        let policy = RESUBMIT_POLICY;
        let waits: Vec<Duration> = (0..200).map(|_| policy.backoff(3)).collect();
        assert!(waits.iter().all(|wait| *wait <= policy.ceiling(3)));
        let distinct: std::collections::HashSet<_> = waits.iter().collect();
        assert!(distinct.len() > 100, "jitter should spread the waits");
    }
}
