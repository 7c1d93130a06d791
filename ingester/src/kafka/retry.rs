//! How a record whose delivery failed is tried again: a capped exponential backoff with full
//! jitter (the platform's one backoff rule, [`coinking_core::backoff`]) for a bounded number of
//! attempts, and nothing at all after a permanent error.

use std::time::Duration;

/// How a record whose delivery failed with a retryable error is tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Backoff ceiling after the first failed attempt; doubles with each further one.
    pub initial_backoff: Duration,
    /// The ceiling never grows past this.
    pub max_backoff: Duration,
    /// Attempts per record, the first included; a record failing this many times fails
    /// permanently. At least 1.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    /// 100 ms doubling to 5 s, 10 attempts. Each attempt already includes librdkafka's own
    /// retries for `delivery.timeout.ms`, so ten is generous for transient trouble.
    fn default() -> Self {
        Self {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            max_attempts: 10,
        }
    }
}

/// What to do with a record whose attempt just failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Produce it again once this much time has passed.
    RetryAfter(Duration),
    /// The error is not retryable.
    Permanent,
    /// The error was retryable but the record used up its attempts.
    Exhausted,
}

impl RetryPolicy {
    /// The backoff ceiling after `failed_attempts` (≥ 1) failures:
    /// `min(max_backoff, initial_backoff · 2^(failed_attempts − 1))`.
    pub fn ceiling(&self, failed_attempts: u32) -> Duration {
        coinking_core::backoff::ceiling(self.initial_backoff, self.max_backoff, failed_attempts)
    }

    /// Full jitter: `unit` (uniform in `[0, 1)`) scales the ceiling, which spreads the retries of
    /// many records failing together instead of sending them back in one burst.
    pub fn backoff(&self, failed_attempts: u32, unit: f64) -> Duration {
        coinking_core::backoff::full_jitter(self.ceiling(failed_attempts), unit)
    }

    /// The decision after attempt number `attempts` (1 for the first) failed.
    pub fn decide(&self, retryable: bool, attempts: u32, unit: f64) -> RetryDecision {
        if !retryable {
            RetryDecision::Permanent
        } else if attempts >= self.max_attempts.max(1) {
            RetryDecision::Exhausted
        } else {
            RetryDecision::RetryAfter(self.backoff(attempts, unit))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy::default()
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
        assert_eq!(p.backoff(3, 0.0), Duration::ZERO);
        assert_eq!(p.backoff(3, 0.5), Duration::from_millis(200));
        assert!(p.backoff(3, 0.999_999) <= Duration::from_millis(400));
        // Out-of-range randomness is clamped, never a longer wait.
        assert_eq!(p.backoff(3, 7.0), Duration::from_millis(400));
        assert_eq!(p.backoff(3, -1.0), Duration::ZERO);
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
