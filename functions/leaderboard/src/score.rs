//! The I/O half of the score check: read the three coins' candles of the window (concurrently,
//! one paged Query each on the market table) and hand them to core's pure
//! [`ScoreRule::bound`]. A coin without candles, or whose read failed, is bounded by the rule's
//! static cap, counted ([`Metric::CandlesMissing`]) and logged; never an error for the player.

use coinking_adapters::market_store::CandleReader;
use coinking_core::leaderboard::{ScoreBound, ScoreRule, best_ratio, price_ranges};
use coinking_core::market::MarketCode;

use crate::metrics::{Metric, Metrics};

/// The bound of a game with `coins` (player's order) submitted at `now_ms`.
pub async fn score_bound<C: CandleReader>(
    candles: &C,
    rule: &ScoreRule,
    coins: &[MarketCode; 3],
    now_ms: i64,
    metrics: &Metrics,
) -> ScoreBound {
    let query = rule.candle_query(now_ms);
    let (first, second, third) = tokio::join!(
        candles.candles(&coins[0], query.from_ms, query.to_ms, query.limit),
        candles.candles(&coins[1], query.from_ms, query.to_ms, query.limit),
        candles.candles(&coins[2], query.from_ms, query.to_ms, query.limit),
    );
    let mut ratios = [None; 3];
    for (index, found) in [first, second, third].into_iter().enumerate() {
        let market = &coins[index];
        match found {
            Ok(found) => ratios[index] = best_ratio(&price_ranges(&found, query.window_start_ms)),
            Err(error) => {
                tracing::error!(market = %market, error = %error, retryable = error.is_retryable(), "candle read failed, bounding the coin by the static cap");
            }
        }
        if ratios[index].is_none() {
            metrics.add(Metric::CandlesMissing);
            tracing::warn!(
                market = %market,
                from_ms = query.window_start_ms,
                to_ms = query.to_ms,
                fallback_ratio = rule.fallback_ratio,
                metric = Metric::CandlesMissing.name(),
                "no candles for a submitted coin in the score window, bounding it by the static cap"
            );
        }
    }
    rule.bound(ratios)
}
