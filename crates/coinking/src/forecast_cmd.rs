//! `coinking train` and `coinking backtest`: the walk-forward backtest over the lake's candles
//! and (train) one LSTM per market saved with its model card under `models/`.

use anyhow::Context;
use coinking_core::market::MarketCode;
use coinking_forecast::backtest::{BacktestConfig, BacktestReport};
use coinking_forecast::lake::Lake;
use coinking_forecast::model::HyperParams;
use coinking_forecast::pipeline::{RunRequest, run_backtest, run_train};

use crate::cli::ModelArgs;

fn request(args: &ModelArgs) -> anyhow::Result<RunRequest> {
    let (from_ms, to_ms) = args.range.parse()?;
    let mut markets = Vec::with_capacity(args.markets.len());
    for market in &args.markets {
        markets.push(
            MarketCode::parse(market).map_err(|e| anyhow::anyhow!("--markets {market}: {e}"))?,
        );
    }
    let hyper = HyperParams {
        window: args.window,
        hidden: args.hidden,
        dense: args.dense,
        epochs: args.epochs,
        batch_size: args.batch_size,
        learning_rate: args.learning_rate,
        seed: args.seed,
        ..HyperParams::default()
    };
    hyper.validate()?;
    Ok(RunRequest {
        markets,
        from_ms,
        to_ms,
        hyper,
        backtest: BacktestConfig {
            folds: args.folds,
            test_fraction: args.test_fraction,
        },
    })
}

fn print_report(report: &BacktestReport, args: &ModelArgs) -> anyhow::Result<()> {
    println!("{}", report.to_table());
    if let Some(path) = &args.json_out {
        let text = serde_json::to_string_pretty(report)?;
        std::fs::write(path, text).with_context(|| format!("--json-out {}", path.display()))?;
    }
    if let Some(path) = &args.svg_out {
        std::fs::write(path, coinking_forecast::chart::mae_ratio_svg(report))
            .with_context(|| format!("--svg-out {}", path.display()))?;
    }
    Ok(())
}

pub async fn backtest(args: ModelArgs) -> anyhow::Result<()> {
    let lake = Lake::open(&args.lake).with_context(|| format!("--lake {}", args.lake))?;
    let report = run_backtest(&lake, request(&args)?).await?;
    print_report(&report, &args)
}

pub async fn train(args: ModelArgs) -> anyhow::Result<()> {
    let lake = Lake::open(&args.lake).with_context(|| format!("--lake {}", args.lake))?;
    let now_ms = coinking_core::time::now_epoch_ms();
    let (cards, report) = run_train(&lake, request(&args)?, now_ms).await?;
    print_report(&report, &args)?;
    for card in &cards {
        println!(
            "{} {}: served = {}",
            card.market, card.version, card.backtest.beats_baseline
        );
    }
    Ok(())
}
