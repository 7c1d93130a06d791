//! Serving the learned models in the hints stage (issue 16 item 5).
//!
//! [`load_learned`] reads the newest model card of every game market from the lake and keeps a
//! model only when its card's walk-forward backtest beat the baseline (`beats_baseline`); every
//! other market, and every market whose model cannot be read, is forecast by the statistical
//! baseline. The result, [`LearnedForecaster`], implements the domain's `Forecaster` and names
//! what it serves (`lstm-v1@v…`, `lstm-v1:3/9+baseline-v1` or `baseline-v1`), which the hints
//! set stores and `/get_deeplearning` sends in `x-coinking-hints-model`.

use std::collections::BTreeMap;
use std::fmt;

use coinking_core::candle::Candle;
use coinking_core::hints::{BASELINE_MODEL, BaselineForecaster, Forecaster, WINDOW_MINUTES};
use coinking_core::market::MarketCode;
use rust_decimal::prelude::ToPrimitive;

use crate::card::{MODEL_NAME, ModelCard};
use crate::error::ForecastError;
use crate::features::{BarStats, WARMUP, push_window, window_is_complete};
use crate::lake::Lake;
use crate::registry::{load_model, newest_card};
use crate::series::{Bar, fill_gaps};
use crate::train::TrainedModel;

/// One market's served model.
struct Served {
    card: ModelCard,
    model: TrainedModel,
}

/// Per-market LSTMs where a card beat the baseline, the baseline everywhere else.
pub struct LearnedForecaster {
    models: BTreeMap<MarketCode, Served>,
    markets: usize,
    baseline: BaselineForecaster,
}

impl fmt::Debug for LearnedForecaster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LearnedForecaster")
            .field("model", &self.label())
            .field("versions", &self.versions())
            .finish()
    }
}

impl LearnedForecaster {
    /// The markets with a served model and its version, in market order.
    pub fn versions(&self) -> Vec<(MarketCode, String)> {
        self.models
            .iter()
            .map(|(market, served)| (market.clone(), served.card.version.clone()))
            .collect()
    }

    /// What is served: the baseline alone, one model version for every market, or a mix.
    pub fn label(&self) -> String {
        let mut versions = self.models.values().map(|s| s.card.version.as_str());
        match versions.next() {
            None => BASELINE_MODEL.to_owned(),
            Some(first) if self.models.len() == self.markets && versions.all(|v| v == first) => {
                self.models
                    .values()
                    .next()
                    .map_or_else(|| BASELINE_MODEL.to_owned(), |s| s.card.label())
            }
            Some(_) => format!(
                "{MODEL_NAME}:{}/{}+{BASELINE_MODEL}",
                self.models.len(),
                self.markets
            ),
        }
    }

    fn baseline_on_window(&self, history: &[&Candle]) -> Option<f64> {
        let start = history.len().saturating_sub(WINDOW_MINUTES);
        self.baseline.forecast(&history[start..])
    }
}

impl Forecaster for LearnedForecaster {
    fn model(&self) -> String {
        self.label()
    }

    fn history_minutes(&self) -> usize {
        self.models
            .values()
            .map(|served| served.model.hyper.window + WARMUP)
            .max()
            .unwrap_or(WINDOW_MINUTES)
            .max(WINDOW_MINUTES)
    }

    /// Without the market: the baseline.
    fn forecast(&self, window: &[&Candle]) -> Option<f64> {
        self.baseline_on_window(window)
    }

    fn forecast_markets(
        &self,
        markets: &[&MarketCode],
        histories: &[Vec<&Candle>],
    ) -> Vec<Option<f64>> {
        markets
            .iter()
            .zip(histories)
            .map(|(market, history)| {
                self.models
                    .get(*market)
                    .and_then(|served| lstm_forecast(&served.model, history))
                    .or_else(|| self.baseline_on_window(history))
            })
            .collect()
    }
}

/// The model's forecast for the minute after `history`'s last candle, `None` while the history
/// is shorter than its window plus the rolling features' warm-up.
fn lstm_forecast(model: &TrainedModel, history: &[&Candle]) -> Option<f64> {
    let bars: Vec<Bar> = history
        .iter()
        .filter_map(|candle| {
            Some(Bar {
                minute_start_ms: candle.minute_start_ms,
                open: candle.open.to_f64()?,
                high: candle.high.to_f64()?,
                low: candle.low.to_f64()?,
                close: candle.close.to_f64()?,
                volume: candle.volume.to_f64()?,
            })
        })
        .collect();
    let bars = fill_gaps(bars);
    let end = bars.len().checked_sub(1)?;
    let window = model.hyper.window;
    if !window_is_complete(end, window) {
        return None;
    }
    let stats = BarStats::new(&bars);
    let mut x = Vec::new();
    push_window(&bars, &stats, end, window, &mut x);
    match model.predict(&x) {
        Ok(forecasts) => forecasts.first().copied().filter(|f| f.is_finite()),
        Err(error) => {
            tracing::warn!(%error, "model forecast failed, serving the baseline for this market");
            None
        }
    }
}

/// Why a market is served by the baseline.
#[derive(Debug)]
pub enum NotServed {
    /// No model card in the lake.
    NoModel,
    /// The newest card's backtest did not beat the baseline.
    DidNotBeatBaseline { version: String },
    /// The card or the weights could not be read.
    Failed(ForecastError),
}

/// What [`load_learned`] found.
#[derive(Debug)]
pub struct LoadReport {
    pub forecaster: LearnedForecaster,
    /// Markets served by the baseline, and why.
    pub not_served: Vec<(MarketCode, NotServed)>,
}

impl LoadReport {
    /// Markets whose model could not be read (a broken card or weights file).
    pub fn failures(&self) -> usize {
        self.not_served
            .iter()
            .filter(|(_, why)| matches!(why, NotServed::Failed(_)))
            .count()
    }
}

/// The served forecaster for `markets` from the lake's newest cards (see the module doc).
/// Never fails as a whole: a market whose model cannot be read is served by the baseline and
/// reported in [`LoadReport::not_served`].
pub async fn load_learned(lake: &Lake, markets: &[MarketCode]) -> LoadReport {
    let mut models = BTreeMap::new();
    let mut not_served = Vec::new();
    for market in markets {
        let card = match newest_card(lake, market.as_str()).await {
            Ok(Some(card)) => card,
            Ok(None) => {
                not_served.push((market.clone(), NotServed::NoModel));
                continue;
            }
            Err(error) => {
                not_served.push((market.clone(), NotServed::Failed(error)));
                continue;
            }
        };
        if !card.backtest.beats_baseline {
            not_served.push((
                market.clone(),
                NotServed::DidNotBeatBaseline {
                    version: card.version.clone(),
                },
            ));
            continue;
        }
        match load_model(lake, &card).await {
            Ok(model) => {
                models.insert(market.clone(), Served { card, model });
            }
            Err(error) => not_served.push((market.clone(), NotServed::Failed(error))),
        }
    }
    LoadReport {
        forecaster: LearnedForecaster {
            models,
            markets: markets.len(),
            baseline: BaselineForecaster::default(),
        },
        not_served,
    }
}
