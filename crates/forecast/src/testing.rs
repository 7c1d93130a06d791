//! Small, fast fixtures for tests of the learned hints (this crate's and the ingester's): a
//! clean sine series, a tiny trained model, and a model card around it.

use std::collections::BTreeMap;

use crate::Bar;
use crate::card::{CARD_SCHEMA, CardBacktest, DataRange, ModelCard};
use crate::error::ForecastError;
use crate::features::{FEATURE_NAMES, examples};
use crate::model::HyperParams;
use crate::train::{TrainedModel, train};

/// `minutes` one-minute bars from `first_ms`: a 16-minute cycle of ±1 % around 10,000, no noise.
pub fn sine_bars(minutes: usize, first_ms: i64) -> Vec<Bar> {
    (0..minutes)
        .map(|t| {
            let close =
                10_000.0 * (1.0 + 0.01 * (2.0 * std::f64::consts::PI * t as f64 / 16.0).sin());
            Bar {
                minute_start_ms: first_ms + t as i64 * 60_000,
                open: close,
                high: close * 1.0002,
                low: close * 0.9998,
                close,
                volume: 1.0,
            }
        })
        .collect()
}

/// The original's window with a tiny network and 3 epochs: trains in a fraction of a second.
pub fn tiny_hyper() -> HyperParams {
    HyperParams {
        hidden: 8,
        dense: 4,
        epochs: 3,
        batch_size: 32,
        learning_rate: 5e-3,
        ..HyperParams::default()
    }
}

/// A [`tiny_hyper`] model trained on 200 minutes of [`sine_bars`], and those bars.
pub fn tiny_model() -> Result<(TrainedModel, Vec<Bar>), ForecastError> {
    let bars = sine_bars(200, 1_732_500_000_000);
    let hyper = tiny_hyper();
    let set = examples(&bars, 0..bars.len(), hyper.window);
    Ok((train(&set, &hyper, "test")?, bars))
}

/// A card for `model` as `market`'s `version`, its backtest verdict `beats_baseline`.
pub fn card_for(
    market: &str,
    version: &str,
    model: &TrainedModel,
    beats_baseline: bool,
) -> ModelCard {
    ModelCard {
        schema: CARD_SCHEMA,
        market: market.to_owned(),
        version: version.to_owned(),
        created_at_ms: 0,
        data: DataRange {
            from_ms: 0,
            to_ms: 0,
            minutes: 200,
            candles: 200,
        },
        features: FEATURE_NAMES.iter().map(|f| (*f).to_owned()).collect(),
        target: "next-minute close change, %".into(),
        architecture: "test".into(),
        hyper: model.hyper.clone(),
        scaler: model.scaler.clone(),
        backtest: CardBacktest {
            folds: Vec::new(),
            metrics: BTreeMap::new(),
            games: BTreeMap::new(),
            beats_baseline,
        },
        epoch_losses: model.epoch_losses.clone(),
    }
}
