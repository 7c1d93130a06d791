//! How a record whose delivery failed is tried again: a capped exponential backoff with full
//! jitter (the platform's one backoff rule, [`coinking_core::backoff`]) for a bounded number of
//! attempts, and nothing at all after a permanent error.

use std::time::Duration;

pub use coinking_core::backoff::{RetryDecision, RetryPolicy};

/// A failed delivery: 100 ms doubling to 5 s, 10 attempts. Each attempt already includes
/// librdkafka's own retries for `delivery.timeout.ms`, so ten is generous for transient trouble.
pub const DELIVERY_RETRY: RetryPolicy = RetryPolicy {
    max_attempts: 10,
    base_delay: Duration::from_millis(100),
    max_delay: Duration::from_secs(5),
};

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        DELIVERY_RETRY
    }

    #[test]
    fn the_ceiling_doubles_from_100ms_and_caps_at_5s() {
        let p = policy();
        let ceilings: Vec<u64> = (1..=9)
            .map(|n| u64::try_from(p.ceiling(n).as_millis()).unwrap())
            .collect();
        assert_eq!(ceilings, [100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
        // Huge attempt numbers neither overflow nor exceed the cap.
        assert_eq!(p.ceiling(u32::MAX), Duration::from_secs(5));
    }

    #[test]
    fn full_jitter_spans_zero_to_the_ceiling() {
        let p = policy();
        assert_eq!(p.jittered(3, 0.0), Duration::ZERO);
        assert_eq!(p.jittered(3, 0.5), Duration::from_millis(200));
        assert!(p.jittered(3, 0.999_999) <= Duration::from_millis(400));
        // Out-of-range randomness is clamped, never a longer wait.
        assert_eq!(p.jittered(3, 7.0), Duration::from_millis(400));
        assert_eq!(p.jittered(3, -1.0), Duration::ZERO);
    }

    #[test]
    fn retryable_failures_retry_until_the_attempts_run_out() {
        let p = policy();
        for attempts in 1..p.max_attempts {
            assert!(
                matches!(
                    p.decide(true, attempts, 1.0),
                    RetryDecision::RetryAfter(wait) if wait == p.ceiling(attempts)
                ),
                "attempt {attempts}"
            );
        }
        assert_eq!(
            p.decide(true, p.max_attempts, 0.5),
            RetryDecision::Exhausted
        );
        assert_eq!(
            p.decide(true, p.max_attempts + 5, 0.5),
            RetryDecision::Exhausted
        );
    }

    #[test]
    fn permanent_failures_are_never_retried() {
        assert_eq!(policy().decide(false, 1, 0.5), RetryDecision::Permanent);
    }

    #[test]
    fn zero_max_attempts_means_one_attempt() {
        let p = RetryPolicy {
            max_attempts: 0,
            ..policy()
        };
        assert_eq!(p.decide(true, 1, 0.5), RetryDecision::Exhausted);
    }

    #[test]
    fn the_total_wait_of_a_record_is_bounded() {
        // The worst case (every jitter at its ceiling) over all attempts: what a record can
        // spend in backoff before it is given up on.
        let p = policy();
        let total: Duration = (1..p.max_attempts).map(|n| p.ceiling(n)).sum();
        assert_eq!(
            total,
            Duration::from_millis(100 + 200 + 400 + 800 + 1600 + 3200 + 3 * 5000)
        );
    }
}
