//! Forecasting figures for README "Benchmarks" (a timing binary, not asserted):
//! - training time per 10,000 windows per epoch (the original's shape, batch 64, AdamW);
//! - inference per minute tick for 9 and for 200 markets, one model per market (as served).
//!
//! Run: `RAYON_NUM_THREADS=1 CARGO_PROFILE_BENCH_LTO=off CARGO_PROFILE_BENCH_CODEGEN_UNITS=16
//! cargo bench -p coinking-forecast --bench forecast`

use std::time::Instant;

use coinking_core::synth::SplitMix64;
use coinking_forecast::Bar;
use coinking_forecast::features::{BarStats, examples, push_window};
use coinking_forecast::model::HyperParams;
use coinking_forecast::train::train;

fn walk(minutes: usize, seed: u64) -> Vec<Bar> {
    let mut rng = SplitMix64::new(seed);
    let mut level = 10_000.0f64;
    (0..minutes)
        .map(|i| {
            let open = level;
            level *= 1.0 + 0.001 * (rng.unit() - 0.5);
            Bar {
                minute_start_ms: i as i64 * 60_000,
                open,
                high: open.max(level) * 1.0002,
                low: open.min(level) * 0.9998,
                close: level,
                volume: 1.0,
            }
        })
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let hyper = HyperParams {
        epochs: 2,
        ..HyperParams::default()
    };
    let bars = walk(10_000 + 16, 1);
    let set = examples(&bars, 0..bars.len(), hyper.window);
    let started = Instant::now();
    let model = train(&set, &hyper, "bench")?;
    let per_epoch = started.elapsed().as_secs_f64() / hyper.epochs as f64;
    println!(
        "training: {:.2} s per epoch per 10,000 windows ({} windows measured) (threads: RAYON_NUM_THREADS={})",
        per_epoch * 10_000.0 / set.len() as f64,
        set.len(),
        std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "unset".into())
    );
    let weights = model.weights()?;
    for markets in [9usize, 200] {
        let models: Vec<_> = (0..markets)
            .map(|_| {
                coinking_forecast::train::TrainedModel::from_weights(
                    hyper.clone(),
                    model.scaler.clone(),
                    weights.clone(),
                )
            })
            .collect::<Result<_, _>>()?;
        let windows: Vec<Vec<f32>> = (0..markets)
            .map(|m| {
                let bars = walk(40, m as u64 + 2);
                let stats = BarStats::new(&bars);
                let mut out = Vec::new();
                push_window(&bars, &stats, bars.len() - 1, hyper.window, &mut out);
                out
            })
            .collect();
        let rounds = 30;
        let mut samples = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let tick = Instant::now();
            for (model, window) in models.iter().zip(&windows) {
                std::hint::black_box(model.predict(window)?);
            }
            samples.push(tick.elapsed().as_secs_f64() * 1000.0);
        }
        samples.sort_by(f64::total_cmp);
        println!(
            "inference, {markets} markets (one model each): median {:.2} ms, max {:.2} ms per tick",
            samples[rounds / 2],
            samples[rounds - 1]
        );
    }
    Ok(())
}
