//! The platform's one backoff rule: capped exponential growth with full jitter (AWS
//! Architecture Blog, "Exponential Backoff and Jitter"). Pure arithmetic; each retry loop keeps
//! its own policy values and its own source of randomness, and asks this module for the wait.
//!
//! Used through [`RetryPolicy`] by the stores' `UnprocessedItems` and the click sink's refused
//! records (`coinking_adapters::retry`) and by the Kafka sink's delivery retries
//! (`coinking_ingester::kafka::retry`), and through [`Backoff`] by the Upbit reconnects and the
//! stream stage's flush retries in the ingester.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

/// The ceiling of the wait after attempt number `attempt` (1-based): `base × 2^(attempt−1)`,
/// capped at `cap`. Attempt 0 is treated as 1.
pub fn ceiling(base: Duration, cap: Duration, attempt: u32) -> Duration {
    let doublings = attempt.saturating_sub(1).min(31);
    base.saturating_mul(1_u32 << doublings).min(cap)
}

/// Full jitter: `unit` (uniform in `[0, 1]`, clamped) scales the ceiling, so that many clients
/// failing together do not retry together.
pub fn full_jitter(ceiling: Duration, unit: f64) -> Duration {
    ceiling.mul_f64(unit.clamp(0.0, 1.0))
}

/// A uniformly distributed number in `[0, 1)` for [`full_jitter`] where no seeded generator is
/// at hand. `RandomState` is seeded randomly per instance, which is all jitter needs.
pub fn random_unit() -> f64 {
    let bits = RandomState::new().build_hasher().finish();
    // 53 bits fill an f64 mantissa exactly.
    (bits >> 11) as f64 / (1_u64 << 53) as f64
}

/// An attempt counter over [`ceiling`] and [`full_jitter`], for a loop that retries until it
/// succeeds (a reconnecting WebSocket, a stream flush) and starts over after a success.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    attempt: u32,
}

impl Backoff {
    pub fn new(base: Duration, cap: Duration) -> Self {
        Self {
            base,
            cap: cap.max(base),
            attempt: 0,
        }
    }

    /// The upper bound of the next wait, without consuming an attempt.
    pub fn ceiling(&self) -> Duration {
        ceiling(self.base, self.cap, self.attempt.saturating_add(1))
    }

    /// The next wait; `unit` (uniform in `[0, 1)`) is the jitter, from the caller's generator
    /// (seed it in tests) or [`random_unit`].
    pub fn next_delay(&mut self, unit: f64) -> Duration {
        let ceiling = self.ceiling();
        self.attempt = self.attempt.saturating_add(1);
        full_jitter(ceiling, unit)
    }

    /// Attempts since the last reset.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// Back to the first attempt, after the work proved healthy again.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

/// How often and how patiently one piece of work is retried: attempts in all and the backoff
/// between them, by the rule above. The platform's one retry policy: the stores' and the click
/// sink's resubmission of refused items (`coinking_adapters::retry`) and the Kafka sink's
/// delivery retries (`coinking_ingester::kafka::retry`) are values of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; 0 counts as 1.
    pub max_attempts: u32,
    /// Ceiling of the wait after the first failed attempt; doubles with each further one.
    pub base_delay: Duration,
    /// Cap of the ceiling.
    pub max_delay: Duration,
}

/// What to do after an attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Try again once this much time has passed.
    RetryAfter(Duration),
    /// The error is not retryable.
    Permanent,
    /// The error was retryable but the attempts are used up.
    Exhausted,
}

impl RetryPolicy {
    /// The ceiling of the wait after attempt number `attempt` (1-based): `base × 2^(attempt−1)`,
    /// capped at `max_delay`.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        ceiling(self.base_delay, self.max_delay, attempt)
    }

    /// The wait after attempt `attempt` with full jitter from `unit` (uniform in `[0, 1)`: the
    /// caller's generator, seeded in tests).
    pub fn jittered(&self, attempt: u32, unit: f64) -> Duration {
        full_jitter(self.ceiling(attempt), unit)
    }

    /// The wait after attempt `attempt`, jittered by [`random_unit`], so that many writers
    /// throttled together do not retry together.
    pub fn backoff(&self, attempt: u32) -> Duration {
        self.jittered(attempt, random_unit())
    }

    /// The decision after attempt number `attempts` (1 for the first) failed.
    pub fn decide(&self, retryable: bool, attempts: u32, unit: f64) -> RetryDecision {
        if !retryable {
            RetryDecision::Permanent
        } else if attempts >= self.max_attempts.max(1) {
            RetryDecision::Exhausted
        } else {
            RetryDecision::RetryAfter(self.jittered(attempts, unit))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ceiling_doubles_per_attempt_and_stops_at_the_cap() {
        let (base, cap) = (Duration::from_millis(100), Duration::from_millis(1_000));
        let ceilings: Vec<u128> = (1..=6).map(|a| ceiling(base, cap, a).as_millis()).collect();
        assert_eq!(ceilings, [100, 200, 400, 800, 1_000, 1_000]);
        assert_eq!(ceiling(base, cap, 0), base);
        assert_eq!(ceiling(base, cap, u32::MAX), cap);
    }

    #[test]
    fn full_jitter_spans_zero_to_the_ceiling_and_clamps_its_unit() {
        let top = Duration::from_millis(400);
        assert_eq!(full_jitter(top, 0.0), Duration::ZERO);
        assert_eq!(full_jitter(top, 0.5), Duration::from_millis(200));
        assert_eq!(full_jitter(top, 7.0), top);
        assert_eq!(full_jitter(top, -1.0), Duration::ZERO);
    }

    #[test]
    fn random_units_lie_in_the_unit_interval_and_vary() {
        let units: Vec<f64> = (0..200).map(|_| random_unit()).collect();
        assert!(units.iter().all(|u| (0.0..1.0).contains(u)));
        let distinct: std::collections::BTreeSet<u64> = units.iter().map(|u| u.to_bits()).collect();
        assert!(distinct.len() > 150, "{} distinct of 200", distinct.len());
    }

    const BASE: Duration = Duration::from_millis(500);
    const CAP: Duration = Duration::from_secs(30);

    #[test]
    fn a_backoff_doubles_its_ceiling_until_the_cap_and_resets() {
        let mut backoff = Backoff::new(BASE, CAP);
        let mut ceilings = Vec::new();
        for _ in 0..10 {
            ceilings.push(backoff.ceiling().as_millis());
            backoff.next_delay(random_unit());
        }
        assert_eq!(
            ceilings,
            [
                500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000
            ]
        );
        backoff.reset();
        assert_eq!(backoff.attempt(), 0);
        assert_eq!(backoff.ceiling(), BASE);
    }

    #[test]
    fn every_delay_lies_within_its_ceiling_and_jitter_varies() {
        let mut backoff = Backoff::new(BASE, CAP);
        let mut delays = Vec::new();
        for _ in 0..200 {
            let ceiling = backoff.ceiling();
            let delay = backoff.next_delay(random_unit());
            assert!(delay <= ceiling, "{delay:?} > {ceiling:?}");
            delays.push(delay);
        }
        delays.sort();
        delays.dedup();
        assert!(delays.len() > 100, "full jitter should spread delays");
    }

    #[test]
    fn huge_attempt_counts_do_not_overflow() {
        let mut backoff = Backoff::new(BASE, CAP);
        for _ in 0..1000 {
            assert!(backoff.next_delay(1.0) <= CAP);
        }
    }
}
