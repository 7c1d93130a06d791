//! [`LstmNet`]: the original's shape, LSTM(50) → LSTM(50) → Linear(25) → Linear(1), over
//! windows of the eight features; and [`HyperParams`], the knobs written to the model card.
//!
//! Weights start from our own seeded generator (`Var::set`): candle's CPU device refuses
//! `set_seed`, and a model card's numbers must be reproducible from its seed.

use candle_core::{DType, Device, Tensor};
use candle_nn::{LSTM, LSTMConfig, Linear, Module, RNN, VarBuilder, VarMap};
use coinking_core::synth::SplitMix64;
use serde::{Deserialize, Serialize};

use crate::error::ForecastError;
use crate::features::N_FEATURES;

/// Everything that shapes a model and its training; stored in the card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HyperParams {
    /// Minutes per input window (the original: 10).
    pub window: usize,
    /// Units of each LSTM layer (the original: 50).
    pub hidden: usize,
    /// Units of the first dense layer (the original: 25).
    pub dense: usize,
    pub epochs: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    pub weight_decay: f64,
    /// Seeds the weights and the shuffling.
    pub seed: u64,
}

impl Default for HyperParams {
    fn default() -> Self {
        Self {
            window: 10,
            hidden: 50,
            dense: 25,
            epochs: 20,
            batch_size: 64,
            learning_rate: 1e-3,
            weight_decay: 1e-4,
            seed: 1,
        }
    }
}

impl HyperParams {
    pub fn validate(&self) -> Result<(), ForecastError> {
        let positive = [
            ("window", self.window),
            ("hidden", self.hidden),
            ("dense", self.dense),
            ("epochs", self.epochs),
            ("batch_size", self.batch_size),
        ];
        for (name, value) in positive {
            if value == 0 {
                return Err(ForecastError::Config(format!(
                    "{name}: must be greater than zero"
                )));
            }
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(ForecastError::Config(
                "learning_rate: must be a finite number > 0".into(),
            ));
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return Err(ForecastError::Config(
                "weight_decay: must be a finite number >= 0".into(),
            ));
        }
        Ok(())
    }
}

/// The network. Variable names (`lstm1.weight_ih_l0`, `fc1.weight`, …) are the safetensors keys.
#[derive(Debug, Clone)]
pub struct LstmNet {
    lstm1: LSTM,
    lstm2: LSTM,
    fc1: Linear,
    fc2: Linear,
}

impl LstmNet {
    pub fn new(hyper: &HyperParams, vb: VarBuilder) -> Result<Self, ForecastError> {
        Ok(Self {
            lstm1: candle_nn::lstm(
                N_FEATURES,
                hyper.hidden,
                LSTMConfig::default(),
                vb.pp("lstm1"),
            )?,
            lstm2: candle_nn::lstm(
                hyper.hidden,
                hyper.hidden,
                LSTMConfig::default(),
                vb.pp("lstm2"),
            )?,
            fc1: candle_nn::linear(hyper.hidden, hyper.dense, vb.pp("fc1"))?,
            fc2: candle_nn::linear(hyper.dense, 1, vb.pp("fc2"))?,
        })
    }

    /// `x`: `[batch, window, 8]` scaled features → `[batch]` scaled next-minute change.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor, ForecastError> {
        let first = self.lstm1.seq(x)?;
        let first_outputs = self.lstm1.states_to_tensor(&first)?;
        let second = self.lstm2.seq(&first_outputs)?;
        let last = second
            .last()
            .ok_or_else(|| ForecastError::Config("window: must be greater than zero".into()))?;
        // The original's Dense(25) has no activation: kept as the reference.
        let dense = self.fc1.forward(&last.h)?;
        Ok(self.fc2.forward(&dense)?.squeeze(1)?)
    }
}

/// A fresh network whose weights are drawn from `seed`: uniform in ±1/√fan-in, PyTorch's
/// default for LSTM and Linear layers, visited in name order so the draw is reproducible.
pub fn seeded_network(
    hyper: &HyperParams,
    device: &Device,
) -> Result<(VarMap, LstmNet), ForecastError> {
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, device);
    let net = LstmNet::new(hyper, vb)?;
    let mut rng = SplitMix64::new(hyper.seed);
    let data = varmap
        .data()
        .lock()
        .map_err(|_| ForecastError::Config("the variable map lock is poisoned".into()))?;
    let mut names: Vec<&String> = data.keys().collect();
    names.sort();
    for name in names {
        let Some(var) = data.get(name) else { continue };
        let fan_in = if name.starts_with("fc2") {
            hyper.dense
        } else {
            hyper.hidden
        };
        let bound = 1.0 / (fan_in as f64).sqrt();
        let count = var.elem_count();
        let values: Vec<f32> = (0..count)
            .map(|_| rng.uniform(-bound, bound) as f32)
            .collect();
        let tensor = Tensor::from_vec(values, var.shape(), device)?;
        var.set(&tensor)?;
    }
    drop(data);
    Ok((varmap, net))
}

/// A network from saved weights (safetensors bytes).
pub fn network_from_weights(
    hyper: &HyperParams,
    weights: Vec<u8>,
    device: &Device,
) -> Result<LstmNet, ForecastError> {
    let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, device)?;
    LstmNet::new(hyper, vb)
}

/// The weights as safetensors bytes, keys in name order.
pub fn weights_to_bytes(varmap: &VarMap) -> Result<Vec<u8>, ForecastError> {
    let data = varmap
        .data()
        .lock()
        .map_err(|_| ForecastError::Config("the variable map lock is poisoned".into()))?;
    let mut tensors: Vec<(String, Tensor)> = data
        .iter()
        .map(|(name, var)| (name.clone(), var.as_tensor().clone()))
        .collect();
    drop(data);
    tensors.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(safetensors::serialize(tensors, None)?)
}
