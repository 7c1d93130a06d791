//! Issue 6, end to end against the real S3 stand-in (moto on 127.0.0.1): one Kinesis batch of
//! finished games → the clickstream-archiver handler → Parquet under
//! `s3://<bucket>/lake/clickstream/dt=…/hour=…/` → `run_analysis` over `s3://<bucket>/lake` →
//! the get-user-analysis handler's `GET /get_user_analysis` and `GET /users/{userName}/analysis`.
//!
//! The expected answers are computed here from the games themselves (docs/DESIGN.md "The frontend's
//! contracts" item 3, docs/ANALYTICS.md), never copied from the engine's output.
//! A stand-in that is not running is a failure, never a skip: `bash scripts/test.sh -p coinking`
//! starts it (or `bash scripts/services.sh up s3`).
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::event::kinesis::KinesisEvent;
use clickstream_archiver::config::s3_store;
use coinking_adapters::{AwsSettings, aws};
use coinking_analytics::{AnalyzeConfig, Location, S3Settings, run_analysis};
use coinking_clickstream::testing::synthetic_record;
use coinking_clickstream::{Archiver, BadRecordLine};
use coinking_core::game::{ClickEnvelope, CoinBuy, CoinSell, GameRecord, Leverage};
use coinking_core::market::MarketCode;
use get_user_analysis::config::Source;
use get_user_analysis::{Config, CorsOrigins, Deps, S3Reader};
use lambda_http::Body;
use object_store::prefix::PrefixStore;
use serde_json::{Value, json};
use uuid::Uuid;

/// Everything of this test lives under this key prefix of its bucket.
const PREFIX: &str = "lake";
/// Distinct games in the batch: 28 (players 4 × 7).
const GAMES: u64 = 28;
/// The player of the fixture `events/get-user-analysis/user.json`.
const KIM: &str = "김철수";
const PLAYERS: [&str; 4] = [KIM, "lee", "park", "choi"];
const COINS: [&str; 5] = ["KRW-BTC", "KRW-ETH", "KRW-SOL", "KRW-XRP", "KRW-DOGE"];
/// 2024-11-25T02:00:00Z. Game `i` is received `i` × 5 minutes later: hours 02, 03 and 04.
const START_MS: i64 = 1_732_500_000_000;
const SHARD: &str = "shardId-000000000000";
/// Where in the batch the undecodable record sits (between games 9 and 10).
const BAD_POSITION: usize = 10;
const BAD_DATA: &[u8] = br#"{"event_id":"0b6f3c8e-6a1d-4f0e-9c57-3f1f2a9d8e41","userName":"trunc"#;
/// A game of 김철수's that the stream delivers three times (producer retries re-put it): twice
/// in the first batch (the archiver writes it once) and once more in a later batch (the
/// analysis counts it once): the same event id each time.
const REDELIVERED: u64 = 4;
/// The later batch's one record sits at this position of the shard (after the first 30).
const LATE_POSITION: usize = 30;

const ANALYSIS_EVENT: &str = include_str!("../../../events/get-user-analysis/analysis.json");
const USER_EVENT: &str = include_str!("../../../events/get-user-analysis/user.json");

// ---- the games -------------------------------------------------------------------------------

fn market(index: u64) -> MarketCode {
    MarketCode::parse(COINS[(index % 5) as usize]).unwrap()
}

/// Game `i`: player `i % 4`; leverage 100 when `i % 3 == 2`, else 10; AI hint 1 taken on even
/// games, hint 2 on every fifth; balance (i + 1) × 1e8 KRW; coins `i`, `i + 1`, `i + 2` of a
/// rotation of five (so picks are 16 to 18 per coin, with ties). Every time is a whole or half
/// second and every balance a whole 1e8, so every sum (hence every mean) is exact in f64.
fn game(i: u64) -> GameRecord {
    let half_seconds = |salt: u64| ((i * 7 + salt * 11) % 180) as f64 / 2.0;
    let coins: Vec<MarketCode> = (0..3).map(|stage| market(i + stage)).collect();
    let buy = |stage: usize, money: f64| CoinBuy {
        coin: coins[stage].clone(),
        money,
    };
    let sell = |stage: usize| CoinSell {
        coin: coins[stage].clone(),
        time: half_seconds(4 + stage as u64),
    };
    GameRecord {
        user_name: PLAYERS[(i % 4) as usize].to_owned(),
        remaining_time_1: half_seconds(1),
        remaining_time_2: half_seconds(2),
        remaining_time_3: half_seconds(3),
        ai_recommend_1: i % 2 == 0,
        ai_recommend_2: i % 5 == 0,
        leverage: if i % 3 == 2 {
            Leverage::X100
        } else {
            Leverage::X10
        },
        user_buy_coin_money_1: buy(0, 1e9),
        user_buy_coin_money_2: buy(1, 5e8),
        user_buy_coin_money_3: buy(2, 1e8),
        user_sell_time_1: sell(0),
        user_sell_time_2: sell(1),
        user_sell_time_3: sell(2),
        balance: (i + 1) as f64 * 1e8,
        coins,
        // Affiliation, nickname and the model's nine-market ranking as the real game sends them.
        ..synthetic_record(i)
    }
}

fn envelope(i: u64) -> ClickEnvelope {
    let event_id = Uuid::from_u64_pair(0x636f_696e_6b69_6e67, i);
    ClickEnvelope::new(game(i), event_id, START_MS + i as i64 * 5 * 60_000)
}

// ---- the Kinesis batch -----------------------------------------------------------------------

/// Kinesis-shaped (56 digits), increasing with the position in the batch.
fn sequence_number(position: usize) -> String {
    format!("4959033827149025660855969253836157109592157598913658{position:04}")
}

/// Where game `i` sits in the batch: the bad record pushes later games back by one.
fn position_of(i: u64) -> usize {
    let i = i as usize;
    if i < BAD_POSITION { i } else { i + 1 }
}

/// One record as Lambda's Kinesis event carries it (cf. events/clickstream-archiver/kinesis-batch.json).
fn kinesis_record(position: usize, partition_key: &str, data: &[u8], arrival_ms: i64) -> Value {
    let sequence_number = sequence_number(position);
    json!({
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": partition_key,
            "sequenceNumber": sequence_number,
            "data": base64::Engine::encode(&base64::engine::general_purpose::STANDARD, data),
            "approximateArrivalTimestamp": arrival_ms as f64 / 1000.0
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": format!("{SHARD}:{sequence_number}"),
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": "arn:aws:iam::123456789012:role/coinking-clickstream-archiver",
        "awsRegion": "us-east-1",
        "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/coinking-clickstream"
    })
}

/// 30 records: the 28 games in order, the undecodable record at [`BAD_POSITION`] and game
/// [`REDELIVERED`] once more at the end.
fn kinesis_batch(envelopes: &[ClickEnvelope]) -> KinesisEvent {
    let mut payloads: Vec<(String, Vec<u8>, i64)> = envelopes
        .iter()
        .map(|e| {
            let data = serde_json::to_vec(e).unwrap();
            (e.event_id.to_string(), data, e.received_at + 150)
        })
        .collect();
    let bad_arrival_ms = START_MS + 47 * 60_000; // 02:47, between games 9 and 10
    payloads.insert(
        BAD_POSITION,
        ("garbage".into(), BAD_DATA.to_vec(), bad_arrival_ms),
    );
    payloads.push(payloads[position_of(REDELIVERED)].clone());
    let records: Vec<Value> = payloads
        .iter()
        .enumerate()
        .map(|(position, (key, data, arrival))| kinesis_record(position, key, data, *arrival))
        .collect();
    assert_eq!(records.len(), 30);
    serde_json::from_value(json!({ "Records": records })).unwrap()
}

/// A later batch of the shard holding game [`REDELIVERED`] once more.
fn late_batch(envelopes: &[ClickEnvelope]) -> KinesisEvent {
    let game = &envelopes[REDELIVERED as usize];
    let data = serde_json::to_vec(game).unwrap();
    let record = kinesis_record(
        LATE_POSITION,
        &game.event_id.to_string(),
        &data,
        game.received_at + 60_000,
    );
    serde_json::from_value(json!({ "Records": [record] })).unwrap()
}

// ---- the expected analysis, computed from the games ------------------------------------------

fn ratio(count: usize, total: usize) -> f64 {
    if total == 0 {
        0.0
    } else {
        count as f64 / total as f64 * 100.0
    }
}

fn mean(values: impl IntoIterator<Item = f64>) -> f64 {
    let values: Vec<f64> = values.into_iter().collect();
    values.iter().sum::<f64>() / values.len() as f64
}

/// Games with balance ≥ the 0.9 quantile (type 7: linear between closest ranks).
fn top_10_percent<'a>(games: &[&'a GameRecord]) -> Vec<&'a GameRecord> {
    // docs/ANALYTICS.md "Top 10 %": Spark's approxQuantile(…, 0.9, 0.0) is the balance of
    // 1-based rank ceil(0.9 n); every game at or above it is in.
    let mut balances: Vec<f64> = games.iter().map(|g| g.balance).collect();
    balances.sort_by(f64::total_cmp);
    let rank = ((balances.len() as f64) * 0.9)
        .ceil()
        .clamp(1.0, balances.len() as f64);
    let q = balances[rank as usize - 1];
    games.iter().copied().filter(|g| g.balance >= q).collect()
}

/// `[{<name>: key, count, ratio}]` for every key in order, zero-filled; total = games.
fn counted<K: Copy + PartialEq + Into<Value>>(
    name: &str,
    keys: &[K],
    games: &[&GameRecord],
    key_of: fn(&GameRecord) -> K,
) -> Value {
    let entries = keys.iter().map(|key| {
        let count = games.iter().filter(|g| key_of(g) == *key).count();
        let key: Value = (*key).into();
        json!({name: key, "count": count, "ratio": ratio(count, games.len())})
    });
    Value::Array(entries.collect())
}

/// `[{<name>: key, avg_balance}]` for the keys somebody chose, in order.
fn avg_balance_by<K: Copy + PartialEq + Into<Value>>(
    name: &str,
    keys: &[K],
    games: &[&GameRecord],
    key_of: fn(&GameRecord) -> K,
) -> Value {
    let entries = keys.iter().filter_map(|key| {
        let group: Vec<f64> = games
            .iter()
            .filter(|g| key_of(g) == *key)
            .map(|g| g.balance)
            .collect();
        let key: Value = (*key).into();
        (!group.is_empty()).then(|| json!({name: key, "avg_balance": mean(group)}))
    });
    Value::Array(entries.collect())
}

/// Every pick counts once; by count descending, then coin ascending; total = all picks.
fn coin_ratio(games: &[&GameRecord]) -> Value {
    let mut picks: BTreeMap<&str, usize> = BTreeMap::new();
    for coin in games.iter().flat_map(|g| &g.coins) {
        *picks.entry(coin.as_str()).or_default() += 1;
    }
    let total = picks.values().sum();
    let mut picks: Vec<(&str, usize)> = picks.into_iter().collect();
    picks.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let entries = picks
        .into_iter()
        .map(|(coin, count)| json!({"coin": coin, "count": count, "ratio": ratio(count, total)}));
    Value::Array(entries.collect())
}

/// The top 10 % coin ratios as the original rounds them (Spark's `round(ratio, 2)`); none of
/// this test's ratios sits on a half, so plain rounding is exact here.
fn rounded_ratios(mut entries: Value) -> Value {
    for entry in entries.as_array_mut().unwrap() {
        let ratio = entry["ratio"].as_f64().unwrap();
        entry["ratio"] = json!((ratio * 100.0).round() / 100.0);
    }
    entries
}

/// The three sells of every game pooled, mean time per coin, coins ascending.
fn coin_avg_sell_time(games: &[&GameRecord]) -> Value {
    let mut times: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for sell in games.iter().flat_map(|g| g.sells()) {
        times.entry(sell.coin.as_str()).or_default().push(sell.time);
    }
    let entries = times
        .into_iter()
        .map(|(coin, times)| json!({"coin": coin, "avg_sell_time": mean(times)}));
    Value::Array(entries.collect())
}

/// `{<name>_1, <name>_2, <name>_3}`: the mean of each stage's value.
fn stage_means(name: &str, games: &[&GameRecord], stages: fn(&GameRecord) -> [f64; 3]) -> Value {
    let stage = |n: usize| mean(games.iter().map(|g| stages(g)[n]));
    json!({
        format!("{name}_1"): stage(0),
        format!("{name}_2"): stage(1),
        format!("{name}_3"): stage(2),
    })
}

/// The 13 compat results of `GET /get_user_analysis` over `games` (already one per event id).
fn compat_analysis(games: &[&GameRecord]) -> Value {
    const LEVERAGES: [u32; 4] = [1, 10, 100, 1000];
    const HINT: [bool; 2] = [true, false];
    let top = top_10_percent(games);
    let leverage = |g: &GameRecord| g.leverage.multiplier();
    let sell_times = |g: &GameRecord| g.sells().map(|s| s.time);
    json!({
        "coin_ratio": coin_ratio(games),
        "coin_avg_sell_time": coin_avg_sell_time(games),
        "leverage_ratio": counted("leverage", &LEVERAGES, games, leverage),
        "ai_recommend_1_ratio": counted("aiRecommend_1", &HINT, games, |g| g.ai_recommend_1),
        "ai_recommend_2_ratio": counted("aiRecommend_2", &HINT, games, |g| g.ai_recommend_2),
        "ai_recommend_1_avg_balance": avg_balance_by("aiRecommend_1", &HINT, games, |g| g.ai_recommend_1),
        "ai_recommend_2_avg_balance": avg_balance_by("aiRecommend_2", &HINT, games, |g| g.ai_recommend_2),
        "leverage_avg_balance": avg_balance_by("leverage", &LEVERAGES, games, leverage),
        "top_10_percent_coin_ratio": rounded_ratios(coin_ratio(&top)),
        "avg_balance": {"avg_balance": mean(games.iter().map(|g| g.balance))},
        "page_time_avg": stage_means("avg_time", games, GameRecord::remaining_times),
        "sell_time_avg": stage_means("avg_sell_time", games, sell_times),
        "top_10_percent_avg_sell_time_by_category": stage_means("avg_sell_time", &top, sell_times),
    })
}

// ---- the stand-in ----------------------------------------------------------------------------

/// `COINKING_S3_ENDPOINT`, else `http://127.0.0.1:$COINKING_S3_PORT` (default 5055); it must answer.
fn s3_settings() -> AwsSettings {
    let mut settings = AwsSettings::from_env().unwrap();
    let port = std::env::var("COINKING_S3_PORT").unwrap_or_else(|_| "5055".into());
    let endpoint = settings
        .endpoints
        .s3
        .get_or_insert_with(|| format!("http://127.0.0.1:{port}"));
    let address = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let reachable = address
        .to_socket_addrs()
        .ok()
        .and_then(|mut addresses| addresses.next())
        .is_some_and(|socket| TcpStream::connect_timeout(&socket, Duration::from_secs(2)).is_ok());
    assert!(
        reachable,
        "the S3 stand-in (moto) is not running at {endpoint}: run this test with \
         `bash scripts/test.sh -p coinking`, or start it with `bash scripts/services.sh up s3` \
         and `eval \"$(bash scripts/services.sh env)\"`"
    );
    settings
}

/// Every key in the bucket under `PREFIX/`, relative to it, sorted.
async fn keys_under_prefix(s3: &aws_sdk_s3::Client, bucket: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut token = None;
    loop {
        let page = s3
            .list_objects_v2()
            .bucket(bucket)
            .prefix(format!("{PREFIX}/"))
            .set_continuation_token(token)
            .send()
            .await
            .unwrap();
        for object in page.contents() {
            let key = object.key().unwrap();
            keys.push(key.strip_prefix(&format!("{PREFIX}/")).unwrap().to_owned());
        }
        token = page.next_continuation_token;
        if token.is_none() {
            keys.sort();
            return keys;
        }
    }
}

async fn get_object(s3: &aws_sdk_s3::Client, bucket: &str, relative: &str) -> Vec<u8> {
    let object = s3
        .get_object()
        .bucket(bucket)
        .key(format!("{PREFIX}/{relative}"));
    let output = object.send().await.unwrap();
    output.body.collect().await.unwrap().into_bytes().to_vec()
}

async fn delete_bucket(s3: &aws_sdk_s3::Client, bucket: &str) {
    for key in keys_under_prefix(s3, bucket).await {
        let delete = s3
            .delete_object()
            .bucket(bucket)
            .key(format!("{PREFIX}/{key}"));
        delete.send().await.unwrap();
    }
    s3.delete_bucket().bucket(bucket).send().await.unwrap();
}

/// The handler's answer to an API Gateway (HTTP API v2) event: status and JSON body.
async fn serve(deps: &Deps<S3Reader>, event: &str) -> (u16, Value) {
    let request = lambda_http::request::from_str(event).unwrap();
    let response = get_user_analysis::handler(deps, request).await;
    let Body::Text(text) = response.body() else {
        panic!("not a text body: {response:?}");
    };
    (
        response.status().as_u16(),
        serde_json::from_str(text).unwrap(),
    )
}

// ---- the specification -----------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archived_kinesis_games_are_analyzed_on_s3_and_served_to_the_frontend() {
    let settings = s3_settings();
    let endpoint = settings.endpoints.s3.clone().unwrap();
    let sdk = aws::sdk_config(&settings).await;
    let s3 = aws::s3_client(&sdk, &settings);
    let bucket = format!("coinking-lake-{}", Uuid::new_v4());
    s3.create_bucket().bucket(&bucket).send().await.unwrap();

    // 1. The archiver Lambda's handler takes one batch: 28 games, one of them twice (written
    //    once), one record that is not an envelope at all; then a later batch with that game a
    //    third time. It writes to the bucket under PREFIX.
    let envelopes: Vec<ClickEnvelope> = (0..GAMES).map(envelope).collect();
    let store = PrefixStore::new(s3_store(&bucket, &settings).unwrap(), PREFIX);
    let archiver = Archiver::new(Arc::new(store));
    let response = clickstream_archiver::handle(&archiver, kinesis_batch(&envelopes)).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    let response = clickstream_archiver::handle(&archiver, late_batch(&envelopes)).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");

    // One Parquet object per hour and batch, named after its lowest sequence number (games 0, 12,
    // 24, and the later batch's re-delivery);
    // the bad record kept with its reason under clickstream-bad/, in the hour it arrived.
    let data_key = |hour: &str, first_game: u64| {
        let first = sequence_number(position_of(first_game));
        format!("clickstream/dt=2024-11-25/hour={hour}/{SHARD}-{first}.parquet")
    };
    let late_key = format!(
        "clickstream/dt=2024-11-25/hour=02/{SHARD}-{}.parquet",
        sequence_number(LATE_POSITION)
    );
    let archived = vec![
        data_key("02", 0),
        late_key,
        data_key("03", 12),
        data_key("04", 24),
    ];
    let bad_key = format!(
        "clickstream-bad/dt=2024-11-25/hour=02/{SHARD}-{}.ndjson",
        sequence_number(BAD_POSITION)
    );
    let mut expected_keys = archived.clone();
    expected_keys.insert(0, bad_key.clone());
    assert_eq!(keys_under_prefix(&s3, &bucket).await, expected_keys);
    let bad_object = get_object(&s3, &bucket, &bad_key).await;
    let bad: BadRecordLine = serde_json::from_slice(&bad_object).unwrap();
    assert_eq!(bad.sequence_number, sequence_number(BAD_POSITION));
    assert!(!bad.reason.is_empty());

    // 2. The analysis reads s3://bucket/PREFIX/clickstream/ and writes s3://bucket/PREFIX/analysis/.
    let lake = Location::parse(&format!("s3://{bucket}/{PREFIX}")).unwrap();
    let mut config = AnalyzeConfig::new(lake.clone(), lake);
    config.s3 = S3Settings {
        endpoint: Some(endpoint),
        region: settings.region.clone(),
    };
    let manifest = run_analysis(&config).await.unwrap();
    assert_eq!(manifest.input_files, archived);
    assert_eq!(
        manifest.record_count, 29,
        "28 games + the later batch's re-delivery; not the in-batch one, not the bad record"
    );
    assert_eq!(manifest.game_count, 28);
    assert_eq!(manifest.duplicates_dropped, 1);
    assert_eq!(manifest.player_count, 4);
    assert_eq!(
        manifest.top_10_percent_games, 3,
        "balances 2.6e9, 2.7e9, 2.8e9"
    );

    // 3. The get-user-analysis Lambda's handler serves it from the bucket.
    let deps = Deps {
        reader: S3Reader::new(s3.clone(), bucket.clone(), PREFIX),
        config: Config {
            source: Source::S3 {
                bucket: bucket.clone(),
                prefix: PREFIX.into(),
            },
            interval_secs: 60,
            cors_origins: CorsOrigins::None,
        },
    };

    // GET /get_user_analysis: exactly the 13 compat keys, each game counted once.
    let (status, analysis) = serve(&deps, ANALYSIS_EVENT).await;
    assert_eq!(status, 200, "{analysis}");
    let games: Vec<&GameRecord> = envelopes.iter().map(|e| &e.record).collect();
    let expected = compat_analysis(&games);
    let names = |document: &Value| -> Vec<String> {
        document.as_object().unwrap().keys().cloned().collect()
    };
    assert_eq!(
        names(&analysis),
        names(&expected),
        "exactly the 13 compat keys"
    );
    assert_eq!(names(&expected).len(), 13);
    for (name, value) in expected.as_object().unwrap() {
        assert_eq!(&analysis[name], value, "{name}");
    }
    // The same facts by hand: 19 games at 10×, 9 at 100× (games 2, 5, …, 26), complete and
    // ordered; the mean of 1e8, 2e8, …, 28e8.
    assert_eq!(
        analysis["leverage_ratio"],
        json!([
            {"leverage": 1, "count": 0, "ratio": 0.0},
            {"leverage": 10, "count": 19, "ratio": 19.0 / 28.0 * 100.0},
            {"leverage": 100, "count": 9, "ratio": 9.0 / 28.0 * 100.0},
            {"leverage": 1000, "count": 0, "ratio": 0.0},
        ])
    );
    assert_eq!(analysis["avg_balance"], json!({"avg_balance": 1.45e9}));

    // GET /users/김철수/analysis: games 0, 4, …, 24 (game 4 once), balances 1e8, 5e8, …, 25e8.
    let (status, kim) = serve(&deps, USER_EVENT).await;
    assert_eq!(status, 200, "{kim}");
    assert_eq!(kim["userName"], json!(KIM));
    assert_eq!(kim["games"], json!(7));
    assert_eq!(kim["best_balance"], json!(2.5e9));
    assert_eq!(kim["avg_balance"], json!(1.3e9));

    delete_bucket(&s3, &bucket).await;
}
