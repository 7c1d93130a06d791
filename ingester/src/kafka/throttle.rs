//! One log line per interval: a broker rejecting everything costs a line a second, each line
//! saying how many similar events it stands for, not one line per record.

use std::time::{Duration, Instant};

/// Allows one log line per interval and counts what it held back meanwhile.
#[derive(Debug, Default)]
pub struct LogThrottle {
    last: Option<Instant>,
    suppressed: u64,
}

impl LogThrottle {
    /// `Some(n)` when a line may be written at `now`, `n` being the events suppressed since the
    /// previous line; `None` (and the event counted) otherwise.
    pub fn admit(&mut self, now: Instant, interval: Duration) -> Option<u64> {
        match self.last {
            Some(last) if now.saturating_duration_since(last) < interval => {
                self.suppressed += 1;
                None
            }
            _ => {
                self.last = Some(now);
                Some(std::mem::take(&mut self.suppressed))
            }
        }
    }

    /// Events suppressed since the last line, reset to zero.
    pub fn take_suppressed(&mut self) -> u64 {
        std::mem::take(&mut self.suppressed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_throttle_admits_one_line_per_interval_and_counts_the_rest() {
        let mut throttle = LogThrottle::default();
        let start = Instant::now();
        let second = Duration::from_secs(1);
        assert_eq!(throttle.admit(start, second), Some(0));
        for i in 1..=999 {
            assert_eq!(
                throttle.admit(start + Duration::from_micros(i), second),
                None
            );
        }
        assert_eq!(throttle.admit(start + second, second), Some(999));
        assert_eq!(throttle.admit(start + second, second), None);
        assert_eq!(throttle.take_suppressed(), 1);
        assert_eq!(throttle.take_suppressed(), 0);
    }
}
