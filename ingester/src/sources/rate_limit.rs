//! A token bucket for connects, shared by every connection of a source: Upbit allows 5 connects
//! per second per IP, and going over earns a 429 and then a ban.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::{Instant, sleep};

/// The bucket's arithmetic, pure (tested with explicit instants).
#[derive(Debug, Clone)]
pub struct TokenBucket {
    per_second: f64,
    tokens: f64,
    updated: Instant,
}

impl TokenBucket {
    /// A full bucket holding `per_second` tokens (the burst), refilled at `per_second`.
    pub fn new(per_second: u32, now: Instant) -> Self {
        let per_second = f64::from(per_second.max(1));
        Self {
            per_second,
            tokens: per_second,
            updated: now,
        }
    }

    /// Takes a token if there is one; otherwise says how long until there is.
    pub fn try_take(&mut self, now: Instant) -> Result<(), Duration> {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.per_second);
        self.updated = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return Ok(());
        }
        Err(Duration::from_secs_f64(
            (1.0 - self.tokens) / self.per_second,
        ))
    }
}

/// The async limiter: `acquire().await` before each connect.
#[derive(Debug)]
pub struct ConnectLimiter {
    bucket: Mutex<TokenBucket>,
}

impl ConnectLimiter {
    pub fn new(per_second: u32) -> Self {
        Self {
            bucket: Mutex::new(TokenBucket::new(per_second, Instant::now())),
        }
    }

    /// Waits until a connect is allowed.
    pub async fn acquire(&self) {
        loop {
            let wait = self.bucket.lock().await.try_take(Instant::now());
            match wait {
                Ok(()) => return,
                Err(wait) => sleep(wait).await,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_a_burst_then_one_per_interval() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(5, start);
        for _ in 0..5 {
            assert!(bucket.try_take(start).is_ok());
        }
        let wait = bucket.try_take(start).unwrap_err();
        assert!(wait <= Duration::from_millis(200) && wait > Duration::from_millis(150));
        assert!(bucket.try_take(start + Duration::from_millis(200)).is_ok());
        assert!(bucket.try_take(start + Duration::from_millis(200)).is_err());
    }
}
