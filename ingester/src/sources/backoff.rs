//! Capped exponential backoff with full jitter, pure: attempt `n` waits a uniformly random time
//! in `[0, min(cap, base · 2ⁿ)]` (AWS's "full jitter", which spreads reconnecting clients best).

use std::time::Duration;

/// The reconnect backoff of one connection.
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
        // 2^20 · 500 ms is days: past that the cap has long been reached.
        let factor = 1u32 << self.attempt.min(20);
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// The next wait; `rng` supplies the jitter (seed it in tests).
    pub fn next_delay(&mut self, rng: &mut fastrand::Rng) -> Duration {
        let ceiling = self.ceiling();
        self.attempt = self.attempt.saturating_add(1);
        let ceiling_ms = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rng.u64(0..=ceiling_ms))
    }

    /// Attempts since the last reset.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// Back to the first attempt, after a connection proved healthy.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: Duration = Duration::from_millis(500);
    const CAP: Duration = Duration::from_secs(30);

    #[test]
    fn ceiling_doubles_until_the_cap() {
        let mut backoff = Backoff::new(BASE, CAP);
        let mut rng = fastrand::Rng::with_seed(7);
        let mut ceilings = Vec::new();
        for _ in 0..10 {
            ceilings.push(backoff.ceiling().as_millis());
            backoff.next_delay(&mut rng);
        }
        assert_eq!(
            ceilings,
            [
                500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000
            ]
        );
    }

    #[test]
    fn every_delay_lies_within_its_ceiling_and_jitter_varies() {
        let mut backoff = Backoff::new(BASE, CAP);
        let mut rng = fastrand::Rng::with_seed(42);
        let mut delays = Vec::new();
        for _ in 0..200 {
            let ceiling = backoff.ceiling();
            let delay = backoff.next_delay(&mut rng);
            assert!(delay <= ceiling, "{delay:?} > {ceiling:?}");
            delays.push(delay);
        }
        delays.sort();
        delays.dedup();
        assert!(delays.len() > 100, "full jitter should spread delays");
    }

    #[test]
    fn the_same_seed_gives_the_same_delays() {
        let run = || {
            let mut backoff = Backoff::new(BASE, CAP);
            let mut rng = fastrand::Rng::with_seed(99);
            (0..8)
                .map(|_| backoff.next_delay(&mut rng))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(), run());
    }

    #[test]
    fn reset_starts_over_from_the_base() {
        let mut backoff = Backoff::new(BASE, CAP);
        let mut rng = fastrand::Rng::with_seed(1);
        for _ in 0..5 {
            backoff.next_delay(&mut rng);
        }
        backoff.reset();
        assert_eq!(backoff.attempt(), 0);
        assert_eq!(backoff.ceiling(), BASE);
    }

    #[test]
    fn huge_attempt_counts_do_not_overflow() {
        let mut backoff = Backoff::new(BASE, CAP);
        let mut rng = fastrand::Rng::with_seed(3);
        for _ in 0..1000 {
            assert!(backoff.next_delay(&mut rng) <= CAP);
        }
    }
}
