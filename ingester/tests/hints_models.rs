//! The hints stage serving learned models from a lake: baseline while there is none, a model
//! once a card that beat the baseline appears (no restart), the baseline again for a market
//! whose newest model cannot be read; all of it visible in the set's model label and metrics.
#![allow(clippy::unwrap_used)]

use std::sync::atomic::Ordering;

use coinking_adapters::market_store::{CandleWriter, InMemoryMarketStore};
use coinking_core::candle::CANDLE_INTERVAL_MS;
use coinking_core::market::MarketCode;
use coinking_forecast::backtest::bar_to_candle;
use coinking_forecast::card::ModelCard;
use coinking_forecast::lake::Lake;
use coinking_forecast::registry::save_model;
use coinking_forecast::testing::{card_for, sine_bars, tiny_model};
use coinking_forecast::train::TrainedModel;

fn card(market: &str, version: &str, model: &TrainedModel) -> ModelCard {
    card_for(market, version, model, true)
}
use coinking_ingester::hints::{HintsSettings, HintsStage};

/// The minute the runs happen in; candles cover the 30 minutes before it.
const NOW: i64 = 1_732_500_000_000 + 30 * CANDLE_INTERVAL_MS + 2_000;

fn code(text: &str) -> MarketCode {
    MarketCode::parse(text).unwrap()
}

#[tokio::test]
async fn the_stage_picks_up_new_models_without_restart_and_falls_back_on_a_broken_one() {
    let dir = tempfile::tempdir().unwrap();
    let url = dir.path().to_str().unwrap().to_owned();
    let markets = vec![code("KRW-BTC"), code("KRW-ETH"), code("KRW-XRP")];
    let store = InMemoryMarketStore::new();
    let first_minute = NOW - NOW % CANDLE_INTERVAL_MS - 30 * CANDLE_INTERVAL_MS;
    for market in &markets {
        let candles: Vec<_> = sine_bars(30, first_minute)
            .iter()
            .map(|bar| bar_to_candle(market, bar))
            .collect();
        store.put_candles(&candles).await.unwrap();
    }
    // Every run looks at the lake (the binary's minimum is 10 s; the stage takes what it gets).
    let settings = HintsSettings {
        models_url: Some(url.clone()),
        models_refresh_secs: 0,
        ..HintsSettings::default()
    };
    let stage = HintsStage::new(store, markets.clone(), &settings);
    let metrics = stage.metrics();

    // No models yet (no models/ directory at all): the baseline.
    let set = stage.run_once(NOW).await.unwrap();
    assert_eq!(set.model, "baseline-v1");
    assert_eq!(metrics.models_served.load(Ordering::Relaxed), 0);
    assert_eq!(metrics.model_load_failures.load(Ordering::Relaxed), 0);

    // A model for one market appears: served from the next run, the rest on the baseline.
    let lake = Lake::open(&url).unwrap();
    let (model, _) = tiny_model().unwrap();
    let weights = model.weights().unwrap();
    save_model(&lake, &card("KRW-BTC", "v1", &model), weights.clone())
        .await
        .unwrap();
    let set = stage.run_once(NOW).await.unwrap();
    assert_eq!(set.model, "lstm-v1:1/3+baseline-v1");
    assert_eq!(metrics.models_served.load(Ordering::Relaxed), 1);
    assert!(!set.warming_up, "the history covers the model's window");

    // Every market gets v2: one version served everywhere.
    for market in ["KRW-BTC", "KRW-ETH", "KRW-XRP"] {
        save_model(&lake, &card(market, "v2", &model), weights.clone())
            .await
            .unwrap();
    }
    let set = stage.run_once(NOW).await.unwrap();
    assert_eq!(set.model, "lstm-v1@v2");
    assert_eq!(metrics.models_served.load(Ordering::Relaxed), 3);

    // A v3 for BTC whose weights are garbage: BTC back on the baseline, counted; the others keep v2.
    lake.put("models/KRW-BTC/v3/model.safetensors", b"garbage".to_vec())
        .await
        .unwrap();
    lake.put(
        "models/KRW-BTC/v3/model.json",
        serde_json::to_vec(&card("KRW-BTC", "v3", &model)).unwrap(),
    )
    .await
    .unwrap();
    let set = stage.run_once(NOW).await.unwrap();
    assert_eq!(set.model, "lstm-v1:2/3+baseline-v1");
    assert_eq!(metrics.model_load_failures.load(Ordering::Relaxed), 1);
    assert_eq!(set.entries.len(), 3);
    assert!(metrics.model_refreshes.load(Ordering::Relaxed) >= 4);
}
