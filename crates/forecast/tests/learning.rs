//! Does the LSTM learn what can be learned, and only that? A noisy sine (predictable) must be
//! forecast better than "no change" by a stated margin; a random walk (unpredictable) must not,
//! so its card says the model may not be served.
#![allow(clippy::unwrap_used)]

use coinking_core::market::MarketCode;
use coinking_core::synth::SplitMix64;
use coinking_forecast::Bar;
use coinking_forecast::backtest::{BacktestConfig, NAIVE, walk_forward};
use coinking_forecast::model::HyperParams;

/// The LSTM must cut naive's MAE by at least this much on the sine.
const SINE_MARGIN: f64 = 0.8;

fn normal(rng: &mut SplitMix64) -> f64 {
    let u1 = rng.unit().max(1e-12);
    let u2 = rng.unit();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

fn bars_from(closes: &[f64]) -> Vec<Bar> {
    let mut bars = Vec::with_capacity(closes.len());
    for (index, close) in closes.iter().enumerate() {
        let open = if index > 0 { closes[index - 1] } else { *close };
        bars.push(Bar {
            minute_start_ms: 1_732_500_000_000 + index as i64 * 60_000,
            open,
            high: open.max(*close) * 1.0002,
            low: open.min(*close) * 0.9998,
            close: *close,
            volume: 1.0,
        });
    }
    bars
}

/// A 16-minute cycle of ±1 % with 0.05 % noise.
fn noisy_sine(minutes: usize, seed: u64) -> Vec<Bar> {
    let mut rng = SplitMix64::new(seed);
    let closes: Vec<f64> = (0..minutes)
        .map(|t| {
            let phase = 2.0 * std::f64::consts::PI * t as f64 / 16.0;
            10_000.0 * (1.0 + 0.01 * phase.sin() + 0.0005 * normal(&mut rng))
        })
        .collect();
    bars_from(&closes)
}

/// 0.1 % per minute log-normal random walk.
fn random_walk(minutes: usize, seed: u64) -> Vec<Bar> {
    let mut rng = SplitMix64::new(seed);
    let mut level: f64 = 10_000.0;
    let closes: Vec<f64> = (0..minutes)
        .map(|_| {
            level *= (0.001 * normal(&mut rng)).exp();
            level
        })
        .collect();
    bars_from(&closes)
}

/// Small enough for CI on one core (seconds), the original's architecture otherwise.
fn small_hyper() -> HyperParams {
    HyperParams {
        hidden: 16,
        dense: 8,
        epochs: 12,
        batch_size: 32,
        learning_rate: 5e-3,
        ..HyperParams::default()
    }
}

fn market() -> MarketCode {
    MarketCode::parse("KRW-BTC").unwrap()
}

#[test]
fn on_a_noisy_sine_the_lstm_beats_naive_by_the_stated_margin() {
    let bars = noisy_sine(900, 7);
    let config = BacktestConfig {
        folds: 1,
        test_fraction: 0.25,
    };
    let result = walk_forward(&market(), &bars, &small_hyper(), &config).unwrap();
    let ratio = result.mae_ratio(NAIVE).unwrap();
    assert!(
        ratio < SINE_MARGIN,
        "LSTM MAE ÷ naive MAE = {ratio:.3}, wanted < {SINE_MARGIN}"
    );
    assert!(result.lstm_beats_baseline(), "{:?}", result.metrics);
}

#[test]
fn on_a_random_walk_the_lstm_does_not_beat_naive_and_is_not_served() {
    let bars = random_walk(900, 11);
    let config = BacktestConfig {
        folds: 1,
        test_fraction: 0.25,
    };
    let result = walk_forward(&market(), &bars, &small_hyper(), &config).unwrap();
    let ratio = result.mae_ratio(NAIVE).unwrap();
    assert!(
        ratio >= 1.0,
        "LSTM MAE ÷ naive MAE = {ratio:.3} on pure noise"
    );
    assert!(!result.lstm_beats_baseline());
}

#[test]
fn training_is_reproducible_from_the_seed() {
    use coinking_forecast::features::examples;
    use coinking_forecast::train::train;
    let bars = noisy_sine(200, 3);
    let hyper = HyperParams {
        epochs: 2,
        ..small_hyper()
    };
    let set = examples(&bars, 0..bars.len(), hyper.window);
    let first = train(&set, &hyper, "a").unwrap();
    let second = train(&set, &hyper, "b").unwrap();
    assert_eq!(first.epoch_losses, second.epoch_losses);
    assert_eq!(first.weights().unwrap(), second.weights().unwrap());
    let other_seed = train(&set, &HyperParams { seed: 2, ..hyper }, "c").unwrap();
    assert_ne!(first.epoch_losses, other_seed.epoch_losses);
}
