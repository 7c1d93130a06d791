//! Serving: the hints stage's forecaster from the lake's model cards. A model is served only
//! when its card beat the baseline; every other market, and a market whose model cannot be
//! read, gets the baseline; the label says which.
#![allow(clippy::unwrap_used)]

use coinking_core::candle::Candle;
use coinking_core::hints::{BaselineForecaster, Forecaster, WINDOW_MINUTES};
use coinking_core::market::MarketCode;
use coinking_forecast::Bar;
use coinking_forecast::backtest::bar_to_candle;
use coinking_forecast::card::ModelCard;
use coinking_forecast::features::{WARMUP, examples};
use coinking_forecast::lake::Lake;
use coinking_forecast::registry::{CARD_FILE, WEIGHTS_FILE, save_model};
use coinking_forecast::serving::{NotServed, load_learned};
use coinking_forecast::testing::{card_for, tiny_hyper, tiny_model};
use coinking_forecast::train::TrainedModel;

fn code(text: &str) -> MarketCode {
    MarketCode::parse(text).unwrap()
}

fn trained() -> (TrainedModel, Vec<Bar>) {
    tiny_model().unwrap()
}

fn card(market: &str, version: &str, model: &TrainedModel, beats: bool) -> ModelCard {
    card_for(market, version, model, beats)
}

fn candles_of(market: &MarketCode, bars: &[Bar]) -> Vec<Candle> {
    bars.iter().map(|bar| bar_to_candle(market, bar)).collect()
}

fn baseline(history: &[&Candle]) -> Option<f64> {
    let start = history.len().saturating_sub(WINDOW_MINUTES);
    BaselineForecaster::default().forecast(&history[start..])
}

#[tokio::test]
async fn only_a_card_that_beat_the_baseline_is_served_and_the_label_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open(dir.path().to_str().unwrap()).unwrap();
    let (model, bars) = trained();
    let weights = model.weights().unwrap();
    save_model(&lake, &card("KRW-BTC", "v1", &model, true), weights.clone())
        .await
        .unwrap();
    save_model(&lake, &card("KRW-ETH", "v1", &model, false), weights)
        .await
        .unwrap();
    let markets = [code("KRW-BTC"), code("KRW-ETH"), code("KRW-XRP")];

    let report = load_learned(&lake, &markets).await;
    let forecaster = report.forecaster;
    assert_eq!(
        forecaster.versions(),
        vec![(code("KRW-BTC"), "v1".to_owned())]
    );
    assert_eq!(forecaster.model(), "lstm-v1:1/3+baseline-v1");
    assert_eq!(forecaster.history_minutes(), tiny_hyper().window + WARMUP);
    assert_eq!(report.not_served.len(), 2);
    assert!(matches!(
        &report.not_served[0],
        (m, NotServed::DidNotBeatBaseline { version }) if m == &code("KRW-ETH") && version == "v1"
    ));
    assert!(matches!(&report.not_served[1], (m, NotServed::NoModel) if m == &code("KRW-XRP")));

    // The served market gets the model's forecast for the window ending at the last candle,
    // the same the backtest's feature path computes; the others the baseline on 10 minutes.
    let history_len = forecaster.history_minutes();
    // The history ends one minute before the series does: the backtest's example for that
    // window needs the next minute as its target.
    let start = bars.len() - history_len - 1;
    let recent = &bars[start..start + history_len];
    let with_next = &bars[start..=start + history_len];
    let per_market: Vec<Vec<Candle>> = markets.iter().map(|m| candles_of(m, recent)).collect();
    let histories: Vec<Vec<&Candle>> = per_market.iter().map(|c| c.iter().collect()).collect();
    let refs: Vec<&MarketCode> = markets.iter().collect();
    let forecasts = forecaster.forecast_markets(&refs, &histories);

    let end = recent.len() - 1;
    let expected_set = examples(with_next, end..end + 1, tiny_hyper().window);
    assert_eq!(expected_set.ends, vec![end]);
    let expected = model.predict(&expected_set.x).unwrap()[0];
    let served = forecasts[0].unwrap();
    assert!((served - expected).abs() < 1e-9, "{served} vs {expected}");
    assert_ne!(forecasts[0], baseline(&histories[0]));
    assert_eq!(forecasts[1], baseline(&histories[1]));
    assert_eq!(forecasts[2], baseline(&histories[2]));

    // Too short a history for the model's window: the baseline, never a gap.
    let short: Vec<&Candle> = histories[0][history_len - WINDOW_MINUTES..].to_vec();
    assert_eq!(
        forecaster.forecast_markets(&refs[..1], std::slice::from_ref(&short)),
        vec![baseline(&short)]
    );
}

#[tokio::test]
async fn one_version_for_every_market_is_named_by_its_card() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open(dir.path().to_str().unwrap()).unwrap();
    let (model, _) = trained();
    let weights = model.weights().unwrap();
    for market in ["KRW-BTC", "KRW-ETH"] {
        save_model(&lake, &card(market, "v7", &model, true), weights.clone())
            .await
            .unwrap();
    }
    let report = load_learned(&lake, &[code("KRW-BTC"), code("KRW-ETH")]).await;
    assert_eq!(report.forecaster.model(), "lstm-v1@v7");
    assert!(report.not_served.is_empty());
}

#[tokio::test]
async fn a_newer_version_with_broken_weights_is_reported_and_the_market_gets_the_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open(dir.path().to_str().unwrap()).unwrap();
    let (model, _) = trained();
    save_model(
        &lake,
        &card("KRW-BTC", "v1", &model, true),
        model.weights().unwrap(),
    )
    .await
    .unwrap();
    let markets = [code("KRW-BTC")];
    assert_eq!(
        load_learned(&lake, &markets).await.forecaster.model(),
        "lstm-v1@v1"
    );

    // v2: a card whose weights file is garbage.
    let broken = card("KRW-BTC", "v2", &model, true);
    lake.put(
        &format!("models/KRW-BTC/v2/{WEIGHTS_FILE}"),
        b"not safetensors".to_vec(),
    )
    .await
    .unwrap();
    lake.put(
        &format!("models/KRW-BTC/v2/{CARD_FILE}"),
        serde_json::to_vec(&broken).unwrap(),
    )
    .await
    .unwrap();
    let report = load_learned(&lake, &markets).await;
    assert_eq!(report.failures(), 1);
    assert!(matches!(&report.not_served[0], (_, NotServed::Failed(_))));
    assert_eq!(report.forecaster.model(), "baseline-v1");
}
