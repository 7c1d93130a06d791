//! The runs behind `coinking backtest` and `coinking train`: read each market's candles from
//! the lake, walk forward, and (train) fit a final model on the whole range and save it with
//! its card. CPU work runs on a blocking thread.

use coinking_core::market::MarketCode;
use tracing::info;

use crate::backtest::{
    BacktestConfig, BacktestReport, MarketBacktest, portfolio_pnl, walk_forward,
};
use crate::card::{CARD_SCHEMA, CardBacktest, DataRange, ModelCard};
use crate::error::ForecastError;
use crate::features::{FEATURE_NAMES, examples};
use crate::lake::{Lake, read_market_bars};
use crate::model::HyperParams;
use crate::registry::save_model;
use crate::series::Bar;
use crate::train::train;

/// What to train or backtest.
#[derive(Debug, Clone)]
pub struct RunRequest {
    pub markets: Vec<MarketCode>,
    pub from_ms: i64,
    pub to_ms: i64,
    pub hyper: HyperParams,
    pub backtest: BacktestConfig,
}

/// One market's input.
#[derive(Debug, Clone)]
pub struct MarketSeries {
    pub market: MarketCode,
    pub bars: Vec<Bar>,
    pub candles: usize,
}

/// Reads every market's bars from the lake.
pub async fn load_series(
    lake: &Lake,
    request: &RunRequest,
) -> Result<Vec<MarketSeries>, ForecastError> {
    let mut series = Vec::with_capacity(request.markets.len());
    for market in &request.markets {
        let (bars, candles) =
            read_market_bars(lake, market.as_str(), request.from_ms, request.to_ms).await?;
        info!(market = %market, candles, minutes = bars.len(), "candles read from the lake");
        series.push(MarketSeries {
            market: market.clone(),
            bars,
            candles,
        });
    }
    Ok(series)
}

/// Walk-forward over every market (pure CPU: call it off the async workers).
pub fn backtest_series(
    series: &[MarketSeries],
    hyper: &HyperParams,
    config: &BacktestConfig,
) -> Result<BacktestReport, ForecastError> {
    let mut markets: Vec<MarketBacktest> = Vec::with_capacity(series.len());
    for one in series {
        markets.push(walk_forward(&one.market, &one.bars, hyper, config)?);
    }
    let pairs: Vec<(&[Bar], &MarketBacktest)> = series
        .iter()
        .zip(&markets)
        .map(|(one, backtest)| (one.bars.as_slice(), backtest))
        .collect();
    let games = portfolio_pnl(&pairs);
    Ok(BacktestReport { markets, games })
}

/// `coinking backtest`.
pub async fn run_backtest(
    lake: &Lake,
    request: RunRequest,
) -> Result<BacktestReport, ForecastError> {
    let series = load_series(lake, &request).await?;
    tokio::task::spawn_blocking(move || backtest_series(&series, &request.hyper, &request.backtest))
        .await
        .map_err(|e| ForecastError::Task(e.to_string()))?
}

/// `coinking train`: the backtest, then one model per market fitted on the whole range, saved
/// with its card. Returns the cards and the backtest.
pub async fn run_train(
    lake: &Lake,
    request: RunRequest,
    now_ms: i64,
) -> Result<(Vec<ModelCard>, BacktestReport), ForecastError> {
    let series = load_series(lake, &request).await?;
    let hyper = request.hyper.clone();
    let config = request.backtest.clone();
    let (trained, report) = tokio::task::spawn_blocking(move || {
        let report = backtest_series(&series, &hyper, &config)?;
        let mut trained = Vec::with_capacity(series.len());
        for (one, backtest) in series.iter().zip(&report.markets) {
            let all = examples(&one.bars, 0..one.bars.len(), hyper.window);
            let model = train(&all, &hyper, &format!("{} final", one.market))?;
            let (Some(first), Some(last)) = (one.bars.first(), one.bars.last()) else {
                return Err(ForecastError::NotEnoughData(format!(
                    "{}: no candles",
                    one.market
                )));
            };
            let card = ModelCard {
                schema: CARD_SCHEMA,
                market: one.market.to_string(),
                version: format!("v{}", last.minute_start_ms),
                created_at_ms: now_ms,
                data: DataRange {
                    from_ms: first.minute_start_ms,
                    to_ms: last.minute_start_ms,
                    minutes: one.bars.len(),
                    candles: one.candles,
                },
                features: FEATURE_NAMES.iter().map(|f| (*f).to_owned()).collect(),
                target: "next-minute close change, %".into(),
                architecture: format!(
                    "LSTM({h}) -> LSTM({h}) -> Linear({d}) -> Linear(1), windows of {w} minutes",
                    h = hyper.hidden,
                    d = hyper.dense,
                    w = hyper.window
                ),
                hyper: hyper.clone(),
                scaler: model.scaler.clone(),
                backtest: CardBacktest {
                    folds: backtest.folds.clone(),
                    metrics: backtest.metrics.clone(),
                    games: report.games.clone(),
                    beats_baseline: backtest.lstm_beats_baseline(),
                },
                epoch_losses: model.epoch_losses.clone(),
            };
            trained.push((card, model.weights()?));
        }
        Ok::<_, ForecastError>((trained, report))
    })
    .await
    .map_err(|e| ForecastError::Task(e.to_string()))??;
    let mut cards = Vec::with_capacity(trained.len());
    for (card, weights) in trained {
        let dir = save_model(lake, &card, weights).await?;
        info!(market = %card.market, version = %card.version, dir, beats_baseline = card.backtest.beats_baseline, "model saved");
        cards.push(card);
    }
    Ok((cards, report))
}
