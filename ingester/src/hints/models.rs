//! Learned models for the hints stage (issue 16 item 5): the lake's newest model card per game
//! market, served only when its backtest beat the baseline (`coinking_forecast::serving`),
//! looked up again every `models_refresh_secs` so a new version is served without a restart.
//!
//! A look that cannot read a market's model keeps the baseline for that market, logs it and
//! counts it; the stage never stops for a model.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use coinking_core::hints::{BaselineForecaster, SharedForecaster};
use coinking_core::market::MarketCode;
use coinking_forecast::lake::Lake;
use coinking_forecast::serving::{NotServed, load_learned};
use tracing::{info, warn};

use super::metrics::HintsMetrics;

/// The served model version per market (markets on the baseline are absent).
type ServedVersions = Vec<(MarketCode, String)>;

/// Where the models are, how often to look, and the forecaster the stage uses.
#[derive(Debug)]
pub struct ModelSource {
    lake: Lake,
    markets: Vec<MarketCode>,
    every: Duration,
    shared: Arc<SharedForecaster>,
    /// When the last look happened, and what it served (market, version).
    last: Mutex<Option<(Instant, ServedVersions)>>,
}

impl ModelSource {
    /// Starts on the baseline; the first [`Self::refresh_if_due`] loads the models.
    pub fn new(lake: Lake, markets: Vec<MarketCode>, every: Duration) -> Self {
        Self {
            lake,
            markets,
            every,
            shared: Arc::new(SharedForecaster::new(Arc::new(
                BaselineForecaster::default(),
            ))),
            last: Mutex::new(None),
        }
    }

    /// The forecaster to hand to the stage; it follows every refresh.
    pub fn forecaster(&self) -> Arc<SharedForecaster> {
        Arc::clone(&self.shared)
    }

    /// Looks at the lake when none was made yet or the period has passed; swaps in what it
    /// finds.
    pub async fn refresh_if_due(&self, metrics: &HintsMetrics) {
        let due = match self.last.lock() {
            Ok(last) => last
                .as_ref()
                .is_none_or(|(at, _)| at.elapsed() >= self.every),
            Err(_) => true,
        };
        if due {
            self.refresh(metrics).await;
        }
    }

    /// Looks at the lake now and swaps in what it finds.
    pub async fn refresh(&self, metrics: &HintsMetrics) {
        let report = load_learned(&self.lake, &self.markets).await;
        metrics.model_refreshes.fetch_add(1, Ordering::Relaxed);
        let failures = report.failures();
        metrics
            .model_load_failures
            .fetch_add(failures as u64, Ordering::Relaxed);
        for (market, why) in &report.not_served {
            if let NotServed::Failed(error) = why {
                warn!(%market, %error, lake = self.lake.describe(), "model could not be read, serving the baseline for this market");
            }
        }
        let versions = report.forecaster.versions();
        metrics
            .models_served
            .store(versions.len() as u64, Ordering::Relaxed);
        let changed = match self.last.lock() {
            Ok(mut last) => {
                let changed = last.as_ref().is_none_or(|(_, seen)| *seen != versions);
                *last = Some((Instant::now(), versions.clone()));
                changed
            }
            Err(_) => true,
        };
        if changed {
            let label = report.forecaster.label();
            self.shared.replace(Arc::new(report.forecaster));
            info!(model = %label, served = versions.len(), markets = self.markets.len(), "hints forecaster loaded");
        }
    }
}
