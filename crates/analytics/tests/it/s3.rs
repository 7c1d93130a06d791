//! S3 in and out against the stand-in (moto on 127.0.0.1, started by scripts/services.sh):
//! Parquet uploaded under a prefix → `run_analysis` with s3:// input and output → the documents
//! read back from the bucket, at the keys the get-user-analysis Lambda reads (its own S3 test,
//! functions/get-user-analysis/tests/s3.rs, serves documents from those keys).
//! A stand-in that is not running is a failure, never a skip.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use coinking_analytics::fixture::{Game, games_parquet};
use coinking_analytics::storage::Store;
use coinking_analytics::{AnalyzeConfig, Location, S3Settings, run_analysis};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use serde_json::{Value, json};

fn endpoint_host() -> String {
    let port = std::env::var("COINKING_S3_PORT").unwrap_or_else(|_| "5055".into());
    let endpoint = std::env::var("COINKING_S3_ENDPOINT")
        .unwrap_or_else(|_| format!("http://127.0.0.1:{port}"));
    endpoint
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned()
}

/// Creates a bucket with a plain path-style `PUT /<bucket>` (object_store cannot create buckets;
/// the stand-in does not check signatures).
fn create_bucket(host: &str, bucket: &str) {
    let mut stream = TcpStream::connect(host).unwrap_or_else(|e| {
        panic!(
            "S3 stand-in not reachable at {host}: {e}; start it with `scripts/services.sh up` \
             (or run `bash scripts/test.sh`)"
        )
    });
    write!(
        stream,
        "PUT /{bucket} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "create bucket: {answer}"
    );
}

fn game(i: u32, user: &str, leverage: i32, balance: f64) -> Game {
    Game {
        event_id: format!("00000000-0000-4000-8000-{i:012}"),
        received_at_ms: 1_732_500_000_000 + i64::from(i),
        user_name: user.to_owned(),
        coins: vec!["KRW-BTC".to_owned()],
        leverage,
        ai_recommend_1: i % 2 == 0,
        ai_recommend_2: false,
        remaining_time: [30.0, 40.0, 50.0],
        sells: [
            ("KRW-BTC".to_owned(), 10.0),
            ("KRW-BTC".to_owned(), 20.0),
            ("KRW-BTC".to_owned(), 30.0),
        ],
        balance,
    }
}

async fn get_json(store: &Arc<dyn ObjectStore>, key: &str) -> Value {
    let bytes = store
        .get(&Path::parse(key).unwrap())
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analysis_reads_parquet_from_s3_and_writes_json_back() {
    let host = endpoint_host();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let bucket = format!("coinking-analytics-{nanos:x}");
    create_bucket(&host, &bucket);
    let location = Location::parse(&format!("s3://{bucket}/lake")).unwrap();
    let settings = S3Settings {
        endpoint: Some(format!("http://{host}")),
        region: "us-east-1".into(),
    };
    let store = Store::open(&location, &settings).unwrap().store;

    // Three games in two files, one re-delivered in the second file; a bad-records file beside
    // them must not be read.
    let first = vec![game(1, "김철수", 10, 2e9), game(2, "lee", 100, 4e9)];
    let second = vec![game(2, "lee", 100, 4e9), game(3, "김철수", 10, 3e9)];
    let uploads = [
        (
            "lake/clickstream/dt=2024-11-25/hour=01/shardId-000000000000-1.parquet",
            games_parquet(&first).unwrap(),
        ),
        (
            "lake/clickstream/dt=2024-11-25/hour=02/shardId-000000000000-3.parquet",
            games_parquet(&second).unwrap(),
        ),
        (
            "lake/clickstream-bad/dt=2024-11-25/hour=02/shardId-000000000000-3.ndjson",
            b"{}\n".to_vec(),
        ),
    ];
    for (key, bytes) in uploads {
        store
            .put(&Path::parse(key).unwrap(), PutPayload::from(bytes))
            .await
            .unwrap();
    }

    let mut config = AnalyzeConfig::new(location.clone(), location);
    config.s3 = settings;
    let manifest = run_analysis(&config).await.unwrap();
    assert_eq!(
        manifest.input_files,
        vec![
            "clickstream/dt=2024-11-25/hour=01/shardId-000000000000-1.parquet".to_owned(),
            "clickstream/dt=2024-11-25/hour=02/shardId-000000000000-3.parquet".to_owned(),
        ]
    );
    assert_eq!(manifest.record_count, 4);
    assert_eq!(manifest.game_count, 3);
    assert_eq!(manifest.duplicates_dropped, 1);

    assert_eq!(
        get_json(&store, "lake/analysis/leverage_ratio.json").await,
        json!([
            {"leverage": 1, "count": 0, "ratio": 0.0},
            {"leverage": 10, "count": 2, "ratio": 2.0 / 3.0 * 100.0},
            {"leverage": 100, "count": 1, "ratio": 1.0 / 3.0 * 100.0},
            {"leverage": 1000, "count": 0, "ratio": 0.0},
        ])
    );
    assert_eq!(
        get_json(&store, "lake/analysis/avg_balance.json").await,
        json!({"avg_balance": 3e9})
    );
    let kim = get_json(&store, "lake/analysis/users/김철수.json").await;
    assert_eq!(kim["games"], json!(2));
    assert_eq!(kim["best_balance"], json!(3e9));
    let stored_manifest = get_json(&store, "lake/analysis/_manifest.json").await;
    assert_eq!(stored_manifest["run_id"], json!(manifest.run_id));
    let snapshot = get_json(&store, "lake/analysis/_results.json").await;
    assert_eq!(snapshot["run_id"], json!(manifest.run_id));
    assert_eq!(
        snapshot["results"]["avg_balance"],
        json!({"avg_balance": 3e9})
    );
}
