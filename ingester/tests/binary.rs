//! The `coinking-ingester` binary as an orchestrator runs it: `both` with a replayed capture,
//! against the shared tansu and dynalite; ops endpoints answer; SIGTERM mid-stream drains cleanly
//! (exit 0 within 25 s, every produced record consumed and committed) and a restart completes
//! the state with nothing lost, in the stores and in the market-data lake (the lake stage runs
//! beside the stream stage in its own group).
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use coinking_core::market::MarketCode;
use coinking_forecast::lake::Lake;
use coinking_upbit_sim::SHIPPED_CAPTURE;
use common::lake::{capture_minutes, expected_minutes, lake_minutes};
use common::pipeline::{committed, end_offsets};
use common::services::{dynamodb_store_on, shared_dynamodb_url, shared_kafka, unique};
use common::{candles_cover, eventually, expected, latest_matches, stored_candles};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.1\r\nhost: localhost\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split_whitespace().nth(1)?.parse().ok()?;
    let body = response
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    Some((status, body))
}

fn metric(body: &str, name: &str) -> u64 {
    body.lines()
        .find_map(|line| line.strip_prefix(&format!("coinking_ingester_{name} ")))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0)
}

fn spawn(dir: &Path, port: u16, brokers: &str, dynamodb: &str) -> Child {
    let capture = dir.join("capture.ndjson");
    Command::new(env!("CARGO_BIN_EXE_coinking-ingester"))
        .args([
            "--config",
            dir.join("ingester.toml").to_str().unwrap(),
            "--log-format",
            "json",
            "both",
        ])
        .args([
            "--source",
            &format!("replay:{}", capture.display()),
            "--replay-speed",
            "4",
        ])
        .env("COINKING_KAFKA_BROKERS", brokers)
        .env("COINKING_DYNAMODB_ENDPOINT", dynamodb)
        // The DynamoDB-only path: a developer's or CI's Redis URL would move the hot data there.
        .env_remove("COINKING_REDIS_URL")
        .env("COINKING_HTTP_LISTEN", format!("127.0.0.1:{port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join(format!("ingester-{}.log", unique("run")))).unwrap())
        .spawn()
        .unwrap()
}

/// SIGTERM, then the exit status within `limit`.
fn terminate(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the ingester did not exit within {limit:?} of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_mid_stream_drains_cleanly_and_a_restart_loses_nothing() {
    let settings = shared_kafka();
    let dynamodb = shared_dynamodb_url();
    let dir = tempfile::tempdir().unwrap();
    let (topic, dlq, group, table) = (
        unique("ticker"),
        unique("dlq"),
        unique("stream"),
        unique("market"),
    );
    std::fs::write(dir.path().join("capture.ndjson"), SHIPPED_CAPTURE).unwrap();
    let lake_dir = dir.path().join("lake");
    let lake_group = unique("lake");
    std::fs::write(
        dir.path().join("ingester.toml"),
        format!("drain_timeout_ms = 25000\n[kafka]\nticker_topic = \"{topic}\"\ndlq_topic = \"{dlq}\"\ngroup_id = \"{group}\"\nsession_timeout_ms = 6000\n[stream]\ntable = \"{table}\"\nwindow_ms = 100\n[catalog]\nfetch = false\n[source]\nbackoff_base_ms = 20\nbackoff_cap_ms = 200\n[lake]\nurl = \"{}\"\ngroup_id = \"{lake_group}\"\n", lake_dir.display()),
    )
    .unwrap();
    let port = free_port();
    let mut first = spawn(dir.path(), port, &settings.brokers, &dynamodb);

    let flowing = eventually(Duration::from_secs(60), || async {
        let metrics = http_get(port, "/metrics");
        let ready = http_get(port, "/readyz").is_some_and(|(status, _)| status == 200);
        ready && metrics.is_some_and(|(_, body)| metric(&body, "stream_records_in_total") > 100)
    })
    .await;
    assert!(
        flowing,
        "the binary never became ready with records flowing"
    );
    assert_eq!(http_get(port, "/healthz").unwrap().0, 200);
    let (_, body) = http_get(port, "/metrics").unwrap();
    assert!(
        body.contains("coinking_ingester_messages_in_total{type=\"ticker\"}"),
        "{body}"
    );
    let status = tokio::task::block_in_place(|| terminate(&mut first, Duration::from_secs(25)));
    assert!(status.success(), "drain failed: {status}");

    // Clean drain: the producer flushed (exit 0) and what the stream stage took in was written
    // and committed. Records the ingest side flushed while the stream stage was already
    // draining stay in Kafka, uncommitted, for the next run.
    let end = end_offsets(&settings, &topic).await;
    let produced: i64 = end.values().sum();
    let expected = expected(SHIPPED_CAPTURE);
    assert!(
        produced > 0 && produced < expected.tickers as i64,
        "stopped mid-stream: produced {produced}"
    );
    let committed_at_exit = committed(&settings, &group, &topic).await;
    assert!(
        committed_at_exit.values().sum::<i64>() > 0,
        "nothing committed at exit"
    );
    for (partition, offset) in &committed_at_exit {
        assert!(
            *offset <= end[partition],
            "committed past the end on {partition}"
        );
    }

    // The restart replays the capture from the start (the simulator's behaviour): the newest
    // tickers win and every minute's candle is complete.
    let mut second = spawn(dir.path(), port, &settings.brokers, &dynamodb);
    let store = dynamodb_store_on(&dynamodb, &table).await;
    let markets: Vec<MarketCode> = expected.latest.keys().cloned().collect();
    let lake = Lake::open(lake_dir.to_str().unwrap()).unwrap();
    let range = capture_minutes(&expected.candles);
    let complete = eventually(Duration::from_secs(90), || async {
        latest_matches(&store, &expected).await
            && candles_cover(&stored_candles(&store, &markets).await, &expected.candles)
            && lake_minutes(&lake, &markets, range).await == expected_minutes(&expected.candles)
    })
    .await;
    let status = tokio::task::block_in_place(|| terminate(&mut second, Duration::from_secs(25)));
    assert!(
        complete,
        "the state was incomplete after the restart (lake: {:?})",
        lake_minutes(&lake, &markets, range).await.len()
    );
    assert!(status.success(), "second drain failed: {status}");
    let end = end_offsets(&settings, &topic).await;
    assert_eq!(committed(&settings, &group, &topic).await, end);
}
