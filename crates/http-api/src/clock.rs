//! The Lambdas' one wall clock, in epoch milliseconds. Handlers take a [`Clock`] so tests pin
//! "now"; production passes [`system_clock`].

use std::time::{SystemTime, UNIX_EPOCH};

/// Source of "now" in epoch ms; tests pin it.
pub type Clock = fn() -> i64;

/// The wall clock in epoch ms (0 before 1970, `i64::MAX` past the year 292 million).
pub fn system_clock() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wall_clock_is_after_2024() {
        // 2024-01-01T00:00:00Z: a clock before it is not the wall clock.
        assert!(system_clock() > 1_704_067_200_000);
    }
}
