//! A DynamoDB endpoint that accepts connections and never answers (a stalled table, a black-holed
//! route) must still get the player a JSON 503 within the Lambda's 10 s timeout (template.yaml
//! Globals), not API Gateway's bare timeout: the client main.rs builds gives up within
//! `DynamoDbBudget::INTERACTIVE`. The silent endpoint is a listener of this test on 127.0.0.1.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use coinking_adapters::AwsSettings;
use coinking_adapters::aws::{DynamoDbBudget, dynamodb_client_with_budget, sdk_config};
use coinking_adapters::market_store::{DynamoDbMarketStore, DynamoDbStoreConfig};
use get_ticker::{Deps, TickerConfig, handle};
use lambda_http::Body;
use lambda_http::http::StatusCode;
use serde_json::Value;
use tokio::net::TcpListener;

/// template.yaml's `Globals.Function.Timeout`.
const LAMBDA_TIMEOUT: Duration = Duration::from_secs(10);

/// Accepts every connection and keeps it open without ever sending a byte.
async fn silent_endpoint() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    format!("http://{address}")
}

#[tokio::test]
async fn a_table_that_never_answers_is_a_json_503_within_the_lambda_timeout() {
    let mut settings = AwsSettings::from_env().unwrap();
    settings.endpoints.dynamodb = Some(silent_endpoint().await);
    let sdk = sdk_config(&settings).await;
    let client = dynamodb_client_with_budget(&sdk, &settings, DynamoDbBudget::INTERACTIVE);
    let store = DynamoDbMarketStore::new(client, DynamoDbStoreConfig::default());
    let deps = Deps::new(store, TickerConfig::default());
    let request =
        lambda_http::request::from_str(include_str!("../../../events/get-ticker/upbit_data.json"))
            .unwrap();

    let started = Instant::now();
    let response = tokio::time::timeout(LAMBDA_TIMEOUT, handle(&deps, request))
        .await
        .expect("the handler answers before the Lambda timeout");
    let took = started.elapsed();

    assert_eq!(
        response.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "{response:?}"
    );
    let Body::Text(text) = response.body() else {
        panic!("expected a text body, got {:?}", response.body());
    };
    let body: Value = serde_json::from_str(text).unwrap();
    assert!(
        body["error"]["code"].is_string() && body["error"]["message"].is_string(),
        "{body}"
    );
    assert!(
        took >= DynamoDbBudget::INTERACTIVE.attempt_timeout,
        "gave up after {took:?}, before even one attempt could time out: the silent endpoint was not reached"
    );
}
