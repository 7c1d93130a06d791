//! Deterministic training: scaler fitted on the training range, seeded weights, seeded
//! shuffling, AdamW on the mean squared error, one progress line per epoch.

use std::time::Instant;

use candle_core::{Device, Tensor};
use candle_nn::{AdamW, Optimizer, ParamsAdamW, VarMap};
use coinking_core::synth::SplitMix64;
use tracing::info;

use crate::error::ForecastError;
use crate::features::{Examples, N_FEATURES};
use crate::model::{HyperParams, LstmNet, network_from_weights, seeded_network, weights_to_bytes};
use crate::scaler::Scaler;

/// Fewest training windows worth a model.
pub const MIN_TRAINING_EXAMPLES: usize = 32;

/// A trained (or loaded) model: network, scaler and the hyper-parameters that shaped it.
pub struct TrainedModel {
    pub hyper: HyperParams,
    pub scaler: Scaler,
    net: LstmNet,
    varmap: Option<VarMap>,
    /// Mean training loss (scaled MSE) per epoch.
    pub epoch_losses: Vec<f64>,
}

impl std::fmt::Debug for TrainedModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrainedModel")
            .field("hyper", &self.hyper)
            .field("scaler", &self.scaler)
            .field("epoch_losses", &self.epoch_losses)
            .finish_non_exhaustive()
    }
}

impl TrainedModel {
    /// Rebuilds a model from its card's parts and its safetensors bytes.
    pub fn from_weights(
        hyper: HyperParams,
        scaler: Scaler,
        weights: Vec<u8>,
    ) -> Result<Self, ForecastError> {
        if !scaler.is_consistent() {
            return Err(ForecastError::Config(
                "scaler: needs one mean and one positive std per feature".into(),
            ));
        }
        let net = network_from_weights(&hyper, weights, &Device::Cpu)?;
        Ok(Self {
            hyper,
            scaler,
            net,
            varmap: None,
            epoch_losses: Vec::new(),
        })
    }

    /// The weights as safetensors bytes (only for a model trained in this process).
    pub fn weights(&self) -> Result<Vec<u8>, ForecastError> {
        match &self.varmap {
            Some(varmap) => weights_to_bytes(varmap),
            None => Err(ForecastError::Config(
                "weights: a loaded model is saved from its original file".into(),
            )),
        }
    }

    /// Forecasts (next-minute close change, %) for unscaled windows laid out as in
    /// [`Examples::x`]: one batch, one forward pass.
    pub fn predict(&self, unscaled_windows: &[f32]) -> Result<Vec<f64>, ForecastError> {
        let per_window = self.hyper.window * N_FEATURES;
        if unscaled_windows.is_empty() || unscaled_windows.len() % per_window != 0 {
            return Ok(Vec::new());
        }
        let count = unscaled_windows.len() / per_window;
        let mut scaled = unscaled_windows.to_vec();
        self.scaler.scale_features(&mut scaled);
        let x = Tensor::from_vec(scaled, (count, self.hyper.window, N_FEATURES), &Device::Cpu)?;
        let output: Vec<f32> = self.net.forward(&x)?.to_vec1()?;
        Ok(output
            .into_iter()
            .map(|v| self.scaler.unscale_target(f64::from(v)))
            .collect())
    }
}

/// Trains on `examples` (unscaled). `label` names the run in the progress lines.
pub fn train(
    examples: &Examples,
    hyper: &HyperParams,
    label: &str,
) -> Result<TrainedModel, ForecastError> {
    hyper.validate()?;
    if examples.window != hyper.window {
        return Err(ForecastError::Config(format!(
            "window: the examples have {} minutes, the model {}",
            examples.window, hyper.window
        )));
    }
    if examples.len() < MIN_TRAINING_EXAMPLES {
        return Err(ForecastError::NotEnoughData(format!(
            "{label}: {} training windows, at least {MIN_TRAINING_EXAMPLES} needed",
            examples.len()
        )));
    }
    let device = Device::Cpu;
    let scaler = Scaler::fit(examples);
    let mut x = examples.x.clone();
    scaler.scale_features(&mut x);
    let y: Vec<f32> = examples
        .y
        .iter()
        .map(|v| scaler.scale_target(f64::from(*v)) as f32)
        .collect();
    let count = examples.len();
    let x = Tensor::from_vec(x, (count, hyper.window, N_FEATURES), &device)?;
    let y = Tensor::from_vec(y, count, &device)?;

    let (varmap, net) = seeded_network(hyper, &device)?;
    let mut optimizer = AdamW::new(
        varmap.all_vars(),
        ParamsAdamW {
            lr: hyper.learning_rate,
            weight_decay: hyper.weight_decay,
            ..ParamsAdamW::default()
        },
    )?;
    // The shuffle has its own stream, apart from the weights' draw.
    let mut rng = SplitMix64::new(hyper.seed ^ 0x5348_5546_464c_4531);
    let mut order: Vec<u32> = (0..count as u32).collect();
    let mut epoch_losses = Vec::with_capacity(hyper.epochs);
    for epoch in 1..=hyper.epochs {
        let started = Instant::now();
        shuffle(&mut order, &mut rng);
        let mut loss_sum = 0.0;
        let mut batches = 0usize;
        for batch in order.chunks(hyper.batch_size) {
            let index = Tensor::from_slice(batch, batch.len(), &device)?;
            let batch_x = x.index_select(&index, 0)?;
            let batch_y = y.index_select(&index, 0)?;
            let prediction = net.forward(&batch_x)?;
            let loss = candle_nn::loss::mse(&prediction, &batch_y)?;
            optimizer.backward_step(&loss)?;
            loss_sum += f64::from(loss.to_scalar::<f32>()?);
            batches += 1;
        }
        let mean_loss = loss_sum / batches.max(1) as f64;
        if !mean_loss.is_finite() {
            return Err(ForecastError::NotEnoughData(format!(
                "{label}: the training loss diverged at epoch {epoch}"
            )));
        }
        epoch_losses.push(mean_loss);
        info!(
            model = label,
            epoch,
            epochs = hyper.epochs,
            loss = mean_loss,
            windows = count,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "training epoch done"
        );
    }
    Ok(TrainedModel {
        hyper: hyper.clone(),
        scaler,
        net,
        varmap: Some(varmap),
        epoch_losses,
    })
}

/// Fisher–Yates with our own generator, so the order depends on the seed only.
fn shuffle(order: &mut [u32], rng: &mut SplitMix64) {
    for index in (1..order.len()).rev() {
        let other = rng.below(index as u64 + 1) as usize;
        order.swap(index, other);
    }
}
