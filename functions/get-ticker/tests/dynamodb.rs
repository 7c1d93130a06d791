//! The handler over the DynamoDB market store on dynalite (127.0.0.1): for every route, the
//! answer equals the in-memory store's answer for the same data. A randomly named table per
//! run, with a Query page size of 3 so every list read crosses page boundaries. Also the release
//! bootstrap as a process answering one invocation from the same data. dynalite must be running
//! (`scripts/services.sh up`); without it these tests fail.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use coinking_adapters::AwsSettings;
use coinking_adapters::aws::{dynamodb_client, sdk_config};
use coinking_adapters::market_store::{
    DynamoDbMarketStore, DynamoDbStoreConfig, InMemoryMarketStore, MarketStore, ensure_table,
};
use coinking_core::candle::{Candle, Tick};
use coinking_core::catalog::{CautionFlags, MarketInfo};
use coinking_core::market::{DEFAULT_GAME_MARKETS, MarketCode};
use coinking_core::ticker::NormalizedTicker;
use coinking_core::upbit::Change;
use get_ticker::{Deps, TickerConfig, handle};
use lambda_http::{Body, Request};

mod common;
use common::{dec, event};

const NOW_MS: i64 = 1_732_500_060_000;

/// Requests are not `Clone`: each store gets a fresh one from the fixture.
type MakeRequest = fn() -> Request;

fn ticker(market: &str, price: &str, timestamp: i64) -> NormalizedTicker {
    NormalizedTicker {
        v: 1,
        market: MarketCode::parse(market).unwrap(),
        trade_price: dec(price),
        opening_price: dec(price),
        high_price: dec(price) * dec("1.01"),
        low_price: dec(price) * dec("0.99"),
        prev_closing_price: dec(price),
        change: Change::Fall,
        change_price: dec("0.1"),
        change_rate: dec("0.000123"),
        signed_change_price: dec("-0.1"),
        signed_change_rate: dec("-0.000123"),
        trade_volume: Some(dec("12.5")),
        acc_trade_volume_24h: Some(dec("1000.25")),
        acc_trade_price_24h: None,
        ask_bid: None,
        trade_timestamp: timestamp - 7,
        timestamp,
        stream_type: None,
        market_warning: None,
    }
}

/// The same data in any store: tickers for the game markets and 20 neighbours inside their
/// sort-key range (which the one Query must filter out), candles, and catalog entries.
async fn fill(store: &impl MarketStore) {
    let mut tickers = Vec::new();
    for (index, market) in DEFAULT_GAME_MARKETS.iter().enumerate() {
        let offset = i64::try_from(index).unwrap();
        tickers.push(ticker(
            market,
            &format!("{}.5", 1000 + offset),
            NOW_MS - 900 - offset,
        ));
    }
    for index in 0..20 {
        tickers.push(ticker(&format!("KRW-C{index:02}"), "1", NOW_MS - 5_000));
    }
    store.put_latest(&tickers).await.unwrap();

    let btc = MarketCode::parse("KRW-BTC").unwrap();
    let candles: Vec<Candle> = (0..8)
        .map(|minute| {
            Candle::from_tick(&Tick {
                market: btc.clone(),
                trade_timestamp: 1_732_500_000_000 - 300_000 + minute * 60_000 + 1_000,
                price: dec(&format!("8263{minute}000")),
                volume: dec("0.001"),
                position: minute,
            })
        })
        .collect();
    store.put_candles(&candles).await.unwrap();

    store
        .put_markets(&[MarketInfo {
            market: btc,
            korean_name: "비트코인".into(),
            english_name: "Bitcoin".into(),
            warning: true,
            caution: CautionFlags {
                trading_volume_soaring: true,
                ..CautionFlags::default()
            },
        }])
        .await
        .unwrap();
}

fn body_text(response: &lambda_http::Response<Body>) -> String {
    match response.body() {
        Body::Empty => String::new(),
        Body::Text(text) => text.clone(),
        Body::Binary(bytes) => String::from_utf8(bytes.clone()).unwrap(),
        _ => panic!("unexpected body kind"),
    }
}

async fn dynamodb_store() -> (DynamoDbMarketStore, aws_sdk_dynamodb::Client, String) {
    let mut settings = AwsSettings::from_env().unwrap();
    let endpoint = dynamo_endpoint();
    settings.endpoints.dynamodb = Some(endpoint.clone());
    assert!(
        endpoint.contains("127.0.0.1") || endpoint.contains("localhost"),
        "tests only talk to local stand-ins, not {endpoint}"
    );
    let sdk = sdk_config(&settings).await;
    let client = dynamodb_client(&sdk, &settings);
    let table = format!("coinking-get-ticker-test-{}", uuid::Uuid::new_v4());
    let created =
        tokio::time::timeout(Duration::from_secs(30), ensure_table(&client, &table)).await;
    match created {
        Ok(Ok(())) => {}
        Ok(Err(err)) => panic!(
            "dynalite at {endpoint}: {err}; start it with `scripts/services.sh up` or run `bash scripts/test.sh`"
        ),
        Err(_) => panic!(
            "dynalite at {endpoint}: no answer in 30 s; start it with `scripts/services.sh up`"
        ),
    }
    let store = DynamoDbMarketStore::new(
        client.clone(),
        DynamoDbStoreConfig {
            table: table.clone(),
            query_page_size: Some(3),
            consistent_reads: true,
            ..DynamoDbStoreConfig::default()
        },
    );
    (store, client, table)
}

#[tokio::test]
async fn every_route_answers_the_same_from_dynamodb_as_from_memory() {
    let (dynamo, client, table) = dynamodb_store().await;
    let memory = InMemoryMarketStore::new();
    fill(&dynamo).await;
    fill(&memory).await;
    let on_dynamo = Deps::new(dynamo, TickerConfig::default()).with_clock(|| NOW_MS);
    let in_memory = Deps::new(memory, TickerConfig::default()).with_clock(|| NOW_MS);

    let cases: Vec<(&str, MakeRequest)> = vec![
        ("upbit_data", || event!("upbit_data")),
        ("markets", || event!("markets")),
        ("tickers", || event!("tickers")),
        ("tickers_selected", || event!("tickers_selected")),
        ("ticker", || event!("ticker")),
        ("candles", || event!("candles")),
        ("candles_defaults", || event!("candles_defaults")),
        ("error_unknown_market", || event!("error_unknown_market")),
        ("error_candles_unknown_market", || {
            event!("error_candles_unknown_market")
        }),
    ];
    let mut failures = Vec::new();
    for (name, request) in cases {
        let expected = handle(&in_memory, request()).await;
        let actual = handle(&on_dynamo, request()).await;
        if (actual.status(), body_text(&actual)) != (expected.status(), body_text(&expected)) {
            failures.push(format!(
                "{name}: dynamodb {} {} / memory {} {}",
                actual.status(),
                body_text(&actual),
                expected.status(),
                body_text(&expected)
            ));
        }
    }
    drop_table(&client, &table).await;
    assert!(failures.is_empty(), "{failures:#?}");
}

#[tokio::test]
async fn upbit_data_from_dynamodb_has_the_nine_markets_and_not_their_neighbours() {
    let (dynamo, client, table) = dynamodb_store().await;
    fill(&dynamo).await;
    let deps = Deps::new(dynamo, TickerConfig::default()).with_clock(|| NOW_MS);

    let response = handle(&deps, event!("upbit_data")).await;

    drop_table(&client, &table).await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = serde_json::from_str(&body_text(&response)).unwrap();
    assert_upbit_data_of_fill(&body);
}

/// `/upbit_data` over what `fill` wrote: the nine game markets in order, none of their
/// neighbours, BTC's price and change.
fn assert_upbit_data_of_fill(body: &serde_json::Value) {
    let codes: Vec<&str> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, DEFAULT_GAME_MARKETS);
    assert_eq!(body[0]["trade_price"].as_f64(), Some(1000.5));
    assert_eq!(body[0]["change"], "FALL");
}

/// The release path end to end: the `get-ticker` bootstrap as a process, driven by a stand-in
/// Lambda Runtime API on 127.0.0.1 with the `upbit_data` event, reading dynalite with credentials
/// from the environment as on Lambda (`lambda_sdk_config`). Without them the SDK cannot sign and
/// the answer is a 503, so this fails if the bootstrap's credentials or client set-up break.
#[tokio::test]
async fn the_bootstrap_answers_an_invocation_from_dynamodb_with_environment_credentials() {
    let (dynamo, client, table) = dynamodb_store().await;
    fill(&dynamo).await;
    let endpoint = dynamo_endpoint();

    let runtime = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let runtime_api = runtime.local_addr().unwrap().to_string();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_get-ticker"))
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", &runtime_api)
        .env("AWS_LAMBDA_FUNCTION_NAME", "get-ticker")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "test")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "coinking-test-role")
        .env("AWS_SECRET_ACCESS_KEY", "coinking-test-secret")
        .env("AWS_SESSION_TOKEN", "coinking-test-session")
        .env("COINKING_DYNAMODB_ENDPOINT", &endpoint)
        .env("COINKING_DYNAMODB_TABLE", &table)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let event = include_str!("../../../events/get-ticker/upbit_data.json");
    let answer = tokio::task::spawn_blocking(move || runtime_api::invoke_once(&runtime, event))
        .await
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    drop_table(&client, &table).await;

    let (path, response) = answer.unwrap();
    assert_eq!(
        path,
        "/2018-06-01/runtime/invocation/test-request-1/response"
    );
    let response: serde_json::Value = serde_json::from_str(&response).unwrap();
    assert_eq!(response["statusCode"], 200, "{response}");
    let body: serde_json::Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    assert_upbit_data_of_fill(&body);
}

/// Removes a test's table from dynalite.
async fn drop_table(client: &aws_sdk_dynamodb::Client, table: &str) {
    client
        .delete_table()
        .table_name(table)
        .send()
        .await
        .unwrap();
}

/// `COINKING_DYNAMODB_ENDPOINT`, else dynalite on `COINKING_DYNAMODB_PORT` (default 4567).
fn dynamo_endpoint() -> String {
    let settings = AwsSettings::from_env().unwrap();
    let port = std::env::var("COINKING_DYNAMODB_PORT").unwrap_or_else(|_| "4567".into());
    settings
        .endpoints
        .dynamodb
        .unwrap_or_else(|| format!("http://127.0.0.1:{port}"))
}

/// Just enough of the Lambda Runtime API for one invocation: hand out the event on
/// `GET …/invocation/next`, take the function's answer, close every connection after one exchange.
mod runtime_api {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::time::Duration;

    /// Returns the path the answer was posted to and its body.
    pub fn invoke_once(listener: &TcpListener, event: &str) -> Result<(String, String), String> {
        listener.set_nonblocking(false).map_err(|e| e.to_string())?;
        loop {
            let (stream, _) = listener.accept().map_err(|e| e.to_string())?;
            stream
                .set_read_timeout(Some(Duration::from_secs(20)))
                .map_err(|e| e.to_string())?;
            let (method, path, body, mut stream) = read_request(stream)?;
            if method == "GET" && path.ends_with("/invocation/next") {
                let deadline = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_err(|e| e.to_string())?
                    .as_millis()
                    + 30_000;
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                     Lambda-Runtime-Aws-Request-Id: test-request-1\r\n\
                     Lambda-Runtime-Deadline-Ms: {deadline}\r\n\
                     Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:000000000000:function:get-ticker\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n",
                    event.len()
                );
                stream
                    .write_all(head.as_bytes())
                    .and_then(|()| stream.write_all(event.as_bytes()))
                    .map_err(|e| e.to_string())?;
                continue;
            }
            let accepted =
                "HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
            stream
                .write_all(accepted.as_bytes())
                .map_err(|e| e.to_string())?;
            if method == "POST" && path.contains("/invocation/") {
                return Ok((path, body));
            }
            return Err(format!("unexpected runtime call {method} {path}: {body}"));
        }
    }

    fn read_request(stream: TcpStream) -> Result<(String, String, String, TcpStream), String> {
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        reader.read_line(&mut line).map_err(|e| e.to_string())?;
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_owned();
        let path = parts.next().unwrap_or_default().to_owned();
        let mut length = 0usize;
        loop {
            let mut header = String::new();
            reader.read_line(&mut header).map_err(|e| e.to_string())?;
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value
                    .trim()
                    .parse()
                    .map_err(|_| format!("bad length {value}"))?;
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).map_err(|e| e.to_string())?;
        let body = String::from_utf8(body).map_err(|e| e.to_string())?;
        Ok((method, path, body, reader.into_inner()))
    }
}
