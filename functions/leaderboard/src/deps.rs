//! What every route needs: [`Deps`], built once per process. Its own module so that the
//! handler and the routes ([`crate::routes`]) both use it without importing each other.

use coinking_core::leaderboard::ScoreRule;

use crate::config::Config;
use crate::metrics::Metrics;

pub use coinking_http::{Clock, system_clock};

/// What the handler needs, built once per process: the leaderboard store, the market store's
/// candle reader (for the score bound), the configuration, the rule, the clock, the counters.
#[derive(Debug)]
pub struct Deps<L, C> {
    pub store: L,
    pub candles: C,
    pub config: Config,
    pub rule: ScoreRule,
    pub metrics: Metrics,
    pub(crate) clock: Clock,
}

impl<L, C> Deps<L, C> {
    pub fn new(store: L, candles: C, config: Config) -> Self {
        Self {
            store,
            candles,
            config,
            rule: ScoreRule::default(),
            metrics: Metrics::default(),
            clock: system_clock,
        }
    }

    /// Replaces the clock (tests).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    pub(crate) fn now(&self) -> i64 {
        (self.clock)()
    }
}
