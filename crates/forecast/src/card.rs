//! [`ModelCard`]: what a trained model is, written as `model.json` beside `model.safetensors`.

use serde::{Deserialize, Serialize};

use crate::backtest::{Fold, GamePnl, Metrics};
use crate::model::HyperParams;
use crate::scaler::Scaler;

/// The card's format version.
pub const CARD_SCHEMA: u32 = 1;
/// The name the hints stage reports for a served LSTM (plus the version).
pub const MODEL_NAME: &str = "lstm-v1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelCard {
    pub schema: u32,
    pub market: String,
    /// `v<epoch ms of the newest training minute>`: sorts by data time.
    pub version: String,
    pub created_at_ms: i64,
    pub data: DataRange,
    pub features: Vec<String>,
    pub target: String,
    pub architecture: String,
    pub hyper: HyperParams,
    pub scaler: Scaler,
    pub backtest: CardBacktest,
    /// Mean training loss per epoch of the final fit.
    pub epoch_losses: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataRange {
    pub from_ms: i64,
    pub to_ms: i64,
    /// Minutes after gap filling.
    pub minutes: usize,
    /// Minutes that had a candle in the lake.
    pub candles: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardBacktest {
    pub folds: Vec<Fold>,
    /// Keyed by model name: `lstm`, `baseline-v1`, `naive`.
    pub metrics: std::collections::BTreeMap<String, Metrics>,
    /// The game P&L across the markets trained together, when there were at least three.
    #[serde(default)]
    pub games: std::collections::BTreeMap<String, GamePnl>,
    /// The LSTM's held-out MAE was below both the baseline's and naive's.
    pub beats_baseline: bool,
}

impl ModelCard {
    /// The label served in the hints' model header: `lstm-v1@v1732500000000`.
    pub fn label(&self) -> String {
        format!("{MODEL_NAME}@{}", self.version)
    }
}
