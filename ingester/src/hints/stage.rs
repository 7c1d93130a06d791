//! [`HintsStage`]: read candles and tickers, compute the hint set, write it; once, or every
//! minute until shutdown.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use coinking_adapters::StoreError;
use coinking_adapters::market_store::{CandleReader, HintWriter, TickerReader};
use coinking_core::candle::{CANDLE_INTERVAL_MS, Candle, minute_start};
use coinking_core::hints::{
    BaselineForecaster, Forecaster, HintSet, MarketInput, WINDOW_MINUTES, compute_hints,
};
use coinking_core::market::MarketCode;
use coinking_forecast::lake::Lake;
use futures_util::StreamExt;
use futures_util::stream;
use tracing::{info, warn};

use super::metrics::HintsMetrics;
use super::models::ModelSource;
use super::settings::HintsSettings;
use coinking_core::time::now_epoch_ms as now_ms;

/// Candle Queries in flight per run (one per market): 200 markets in ~13 rounds.
pub const CANDLE_READ_CONCURRENCY: usize = 16;

/// The hints stage over a store that reads candles and tickers and writes hints.
#[derive(Debug)]
pub struct HintsStage<S> {
    store: S,
    markets: Vec<MarketCode>,
    forecaster: Arc<dyn Forecaster>,
    models: Option<ModelSource>,
    delay: Duration,
    metrics: Arc<HintsMetrics>,
}

impl<S> HintsStage<S>
where
    S: CandleReader + TickerReader + HintWriter,
{
    /// The stage for `markets` (the game markets, in display order): the baseline forecaster,
    /// or the learned models of `settings.models_url` where their cards beat it.
    pub fn new(store: S, markets: Vec<MarketCode>, settings: &HintsSettings) -> Self {
        let models = settings
            .models_url
            .as_deref()
            .and_then(|url| match Lake::open(url) {
                Ok(lake) => Some(ModelSource::new(
                    lake,
                    markets.clone(),
                    settings.models_refresh(),
                )),
                Err(error) => {
                    // Config validation refuses such a URL; a caller that skipped it gets the baseline.
                    warn!(%error, "hints models lake unusable, serving the baseline");
                    None
                }
            });
        let forecaster: Arc<dyn Forecaster> = match &models {
            Some(models) => models.forecaster(),
            None => Arc::new(BaselineForecaster::default()),
        };
        Self {
            store,
            markets,
            forecaster,
            models,
            delay: settings.delay(),
            metrics: Arc::new(HintsMetrics::default()),
        }
    }

    /// Replaces the forecaster (a learned model).
    pub fn with_forecaster(mut self, forecaster: Arc<dyn Forecaster>) -> Self {
        self.forecaster = forecaster;
        self
    }

    pub fn metrics(&self) -> Arc<HintsMetrics> {
        Arc::clone(&self.metrics)
    }

    /// One run as of `now_ms`: reads the closed minutes the forecaster wants (at least
    /// [`WINDOW_MINUTES`]) of every market and the latest tickers, computes the set and writes it.
    pub async fn run_once(&self, now_ms: i64) -> Result<HintSet, StoreError> {
        if let Some(models) = &self.models {
            models.refresh_if_due(&self.metrics).await;
        }
        let minutes = self.forecaster.history_minutes().max(WINDOW_MINUTES);
        let current_minute = minute_start(now_ms);
        let from = (current_minute - minutes as i64 * CANDLE_INTERVAL_MS).max(0);
        let to = (current_minute - CANDLE_INTERVAL_MS).max(0);
        // Collected first: a lazy `map` over borrowed markets makes the future not provably
        // `Send` to the compiler (rust-lang/rust#102211).
        let mut reads = Vec::with_capacity(self.markets.len());
        for market in &self.markets {
            reads.push(self.store.candles(market, from, to, minutes));
        }
        let candles_read = stream::iter(reads)
            .buffered(CANDLE_READ_CONCURRENCY)
            .collect::<Vec<_>>();
        let (candles_read, tickers) = tokio::join!(candles_read, self.store.latest(&self.markets));
        let tickers = tickers?;
        let mut candles: Vec<Vec<Candle>> = Vec::with_capacity(self.markets.len());
        for read in candles_read {
            candles.push(read?);
        }
        let inputs: Vec<MarketInput<'_>> = self
            .markets
            .iter()
            .zip(&candles)
            .map(|(market, candles)| MarketInput {
                market,
                candles,
                price: tickers
                    .iter()
                    .find(|t| &t.market == market)
                    .map(|t| (t.trade_price, t.timestamp)),
            })
            .collect();
        let set = compute_hints(&inputs, self.forecaster.as_ref(), now_ms);
        self.store.put_hints(&set).await?;
        Ok(set)
    }

    /// Runs now, then at every minute boundary plus the delay, until `shutdown` resolves (a run
    /// in progress is finished first). Failures are logged and counted, never fatal.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        info!(
            markets = self.markets.len(),
            model = %self.forecaster.model(),
            delay_ms = u64::try_from(self.delay.as_millis()).unwrap_or(u64::MAX),
            "hints stage started"
        );
        loop {
            self.run_and_record().await;
            let now = now_ms();
            let next = minute_start(now) + CANDLE_INTERVAL_MS;
            let wait = Duration::from_millis(u64::try_from(next - now).unwrap_or(0)) + self.delay;
            tokio::select! {
                () = &mut shutdown => break,
                () = tokio::time::sleep(wait) => {}
            }
        }
        info!("hints stage stopped");
    }

    async fn run_and_record(&self) {
        let started = Instant::now();
        match self.run_once(now_ms()).await {
            Ok(set) => {
                let took = started.elapsed();
                self.metrics.record(took, Ok(set.warming_up));
                info!(
                    entries = set.entries.len(),
                    model = set.model_label(),
                    data_time_ms = set.data_time_ms,
                    took_ms = u64::try_from(took.as_millis()).unwrap_or(u64::MAX),
                    "hints written"
                );
            }
            Err(error) => {
                self.metrics.record(started.elapsed(), Err(()));
                warn!(%error, retryable = error.is_retryable(), "hints run failed, the previous set stays served");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::str::FromStr;
    use std::sync::atomic::Ordering;

    use coinking_adapters::market_store::{
        CandleWriter, HintReader, InMemoryMarketStore, TickerWriter,
    };
    use coinking_core::hints::Flag;
    use coinking_core::ticker::NormalizedTicker;
    use coinking_core::upbit::Change;
    use rust_decimal::Decimal;

    use super::*;

    const T0: i64 = 1_732_500_000_000;

    fn code(text: &str) -> MarketCode {
        MarketCode::parse(text).unwrap()
    }

    fn candle(market: &str, minute: i64, close: &str) -> Candle {
        let start = T0 + minute * CANDLE_INTERVAL_MS;
        let price = Decimal::from_str(close).unwrap();
        Candle {
            market: code(market),
            minute_start_ms: start,
            open: price,
            high: price,
            low: price,
            close: price,
            volume: Decimal::ONE,
            trade_count: 1,
            open_key: (start + 1, minute),
            close_key: (start + 2, minute),
            last_position: minute,
        }
    }

    fn ticker(market: &str, price: &str, at: i64) -> NormalizedTicker {
        let price = Decimal::from_str(price).unwrap();
        NormalizedTicker {
            v: 1,
            market: code(market),
            trade_price: price,
            opening_price: price,
            high_price: price,
            low_price: price,
            prev_closing_price: price,
            change: Change::Even,
            change_price: Decimal::ZERO,
            change_rate: Decimal::ZERO,
            signed_change_price: Decimal::ZERO,
            signed_change_rate: Decimal::ZERO,
            trade_volume: None,
            acc_trade_volume_24h: None,
            acc_trade_price_24h: None,
            ask_bid: None,
            trade_timestamp: at,
            timestamp: at,
            stream_type: None,
            market_warning: None,
        }
    }

    fn stage(store: InMemoryMarketStore) -> HintsStage<InMemoryMarketStore> {
        let markets = vec![code("KRW-BTC"), code("KRW-ETH"), code("KRW-XRP")];
        HintsStage::new(store, markets, &HintsSettings::default())
    }

    #[tokio::test]
    async fn at_start_with_nothing_stored_it_writes_a_warm_up_entry_per_market() {
        let store = InMemoryMarketStore::new();

        let set = stage(store.clone()).run_once(T0).await.unwrap();

        assert!(set.warming_up);
        let codes: Vec<&str> = set.entries.iter().map(|h| h.code.as_str()).collect();
        assert_eq!(codes, ["KRW-BTC", "KRW-ETH", "KRW-XRP"]);
        assert_eq!(store.hints().await.unwrap(), Some(set));
    }

    #[tokio::test]
    async fn it_reads_only_the_closed_minutes_and_the_latest_prices() {
        let store = InMemoryMarketStore::new();
        let mut candles = Vec::new();
        for (minute, (btc, eth, xrp)) in [
            ("100", "100", "100"),
            ("101", "99", "100"),
            ("102", "98", "100"),
        ]
        .into_iter()
        .enumerate()
        {
            let minute = minute as i64;
            candles.push(candle("KRW-BTC", minute, btc));
            candles.push(candle("KRW-ETH", minute, eth));
            candles.push(candle("KRW-XRP", minute, xrp));
        }
        // Minute 3 is still open at the run: its sharp ETH rise must not count.
        candles.push(candle("KRW-ETH", 3, "150"));
        store.put_candles(&candles).await.unwrap();
        store
            .put_latest(&[ticker(
                "KRW-BTC",
                "102.5",
                T0 + 3 * CANDLE_INTERVAL_MS + 1_000,
            )])
            .await
            .unwrap();

        let set = stage(store)
            .run_once(T0 + 3 * CANDLE_INTERVAL_MS + 2_000)
            .await
            .unwrap();

        assert!(!set.warming_up);
        let holder = |flag: Flag| {
            set.entries
                .iter()
                .find(|h| h.flag(flag))
                .map(|h| h.code.as_str())
                .unwrap()
        };
        assert_eq!(holder(Flag::LargestRise), "KRW-BTC");
        assert_eq!(holder(Flag::LargestDrop), "KRW-ETH");
        assert_eq!(holder(Flag::FastestDecline), "KRW-ETH");
        let ranks: Vec<u32> = set.entries.iter().map(|h| h.rank).collect();
        assert_eq!(ranks, [1, 3, 2]);
        // BTC's levels sit around its ticker price 102.5, not its last close 102.
        let (up, down) = (set.entries[0].sell_up, set.entries[0].sell_down);
        assert!(down < 102.5 && up > 102.5, "{down} {up}");
        assert!(((up + down) / 2.0 - 102.5).abs() < 0.15, "{down} {up}");
        assert_eq!(set.data_time_ms, T0 + 3 * CANDLE_INTERVAL_MS + 1_000);
    }

    #[tokio::test]
    async fn it_runs_at_start_and_stops_on_shutdown() {
        let store = InMemoryMarketStore::new();
        let stage = stage(store.clone());
        let metrics = stage.metrics();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(stage.run(async {
            let _ = stopped.await;
        }));
        // The first run happens at once; the next one would wait for the next minute.
        let deadline = Instant::now() + Duration::from_secs(5);
        while metrics.runs.load(Ordering::Relaxed) == 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        stop.send(()).unwrap();
        task.await.unwrap();

        assert_eq!(metrics.runs.load(Ordering::Relaxed), 1);
        assert_eq!(metrics.failures.load(Ordering::Relaxed), 0);
        assert_eq!(metrics.warming_up.load(Ordering::Relaxed), 1);
        assert!(store.hints().await.unwrap().is_some());
    }
}
