//! Handler tests with a market store whose every read fails: the hints still answer, a
//! retryable failure is a 503 and a permanent one a 500, the catalog falls back to the bundled one.
#![allow(clippy::unwrap_used)]

use coinking_core::candle::Candle;
use coinking_core::catalog::MarketInfo;
use coinking_core::market::{DEFAULT_GAME_MARKETS, MarketCode};
use coinking_core::ticker::NormalizedTicker;
use get_ticker::{Deps, TickerConfig, handle};
use lambda_http::Body;
use lambda_http::http::StatusCode;
use serde_json::Value;

mod common;
mod handler_support;
use common::event;
use handler_support::{assert_error, header};

/// A store whose every read fails: only the handler's error mapping is under test here.
struct FailingStore {
    retryable: bool,
}

impl FailingStore {
    fn error(&self) -> coinking_adapters::StoreError {
        coinking_adapters::StoreError::DynamoDb {
            operation: "Query",
            table: "coinking-market".into(),
            retryable: self.retryable,
            message: "scripted failure".into(),
        }
    }
}

impl coinking_adapters::market_store::TickerReader for FailingStore {
    async fn latest(
        &self,
        _: &[MarketCode],
    ) -> Result<Vec<NormalizedTicker>, coinking_adapters::StoreError> {
        Err(self.error())
    }
    async fn latest_one(
        &self,
        _: &MarketCode,
    ) -> Result<Option<NormalizedTicker>, coinking_adapters::StoreError> {
        Err(self.error())
    }
}

impl coinking_adapters::market_store::CandleReader for FailingStore {
    async fn candles(
        &self,
        _: &MarketCode,
        _: i64,
        _: i64,
        _: usize,
    ) -> Result<Vec<Candle>, coinking_adapters::StoreError> {
        Err(self.error())
    }
}

impl coinking_adapters::market_store::CatalogReader for FailingStore {
    async fn markets(&self) -> Result<Vec<MarketInfo>, coinking_adapters::StoreError> {
        Err(self.error())
    }
}

impl coinking_adapters::market_store::HintReader for FailingStore {
    async fn hints(
        &self,
    ) -> Result<Option<coinking_core::hints::HintSet>, coinking_adapters::StoreError> {
        Err(self.error())
    }
}

impl coinking_adapters::market_store::HintWriter for FailingStore {
    async fn put_hints(
        &self,
        _: &coinking_core::hints::HintSet,
    ) -> Result<coinking_adapters::market_store::WriteReport, coinking_adapters::StoreError> {
        Err(self.error())
    }
}

#[tokio::test]
async fn get_deeplearning_still_answers_every_market_when_the_store_fails() {
    let deps = Deps::new(FailingStore { retryable: true }, TickerConfig::default());

    let response = handle(&deps, event!("get_deeplearning")).await;

    assert_eq!(response.status(), StatusCode::OK);
    let Body::Text(text) = response.body() else {
        panic!("text body expected")
    };
    let body: Value = serde_json::from_str(text).unwrap();
    let codes: Vec<&str> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, DEFAULT_GAME_MARKETS);
    assert_eq!(
        header(&response, "x-coinking-hints-model"),
        Some("unavailable")
    );
}

#[tokio::test]
async fn a_retryable_store_failure_is_503_and_a_permanent_one_500() {
    for (retryable, expected, code, message) in [
        (
            true,
            StatusCode::SERVICE_UNAVAILABLE,
            "store_unavailable",
            "market store: temporarily unavailable, retry shortly",
        ),
        (
            false,
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "market store: read failed",
        ),
    ] {
        let deps = Deps::new(FailingStore { retryable }, TickerConfig::default());
        let response = handle(&deps, event!("upbit_data")).await;
        let Body::Text(text) = response.body() else {
            panic!("text body expected")
        };
        let body: Value = serde_json::from_str(text).unwrap();
        assert_error(response.status(), &body, expected, code, message);
        assert_eq!(header(&response, "cache-control"), Some("no-store"));
    }
}

#[tokio::test]
async fn markets_fall_back_to_the_bundled_catalog_when_the_store_fails() {
    let deps = Deps::new(FailingStore { retryable: true }, TickerConfig::default());

    let response = handle(&deps, event!("markets")).await;

    assert_eq!(response.status(), StatusCode::OK);
}
