//! The market-data pipeline against real servers: Upbit simulator → ingester → Kafka (tansu) →
//! stream stage → DynamoDB (dynalite). Expected state is computed independently from the capture
//! (`tests/common`). Fault tests use test-owned tansu / dynalite processes they stop and restart.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use coinking_adapters::market_store::TickerReader;
use coinking_core::capture::CaptureLine;
use coinking_core::market::MarketCode;
use coinking_upbit_sim::{
    CaptureSource, RunningSimulator, SHIPPED_CAPTURE, SimConfig, UpbitSimulator,
};
use common::pipeline::{Pipeline, source_config};
use common::services::{OwnProcess, dynamodb_store, shared_dynamodb_url, shared_kafka};
use common::{Expected, candles_cover, eventually, expected, latest_matches, stored_candles};

async fn simulator(capture: CaptureSource, speed: f64) -> RunningSimulator {
    UpbitSimulator::start(SimConfig {
        capture,
        speed,
        close_at_end: false,
        ..SimConfig::default()
    })
    .await
    .unwrap()
}

fn markets(expected: &Expected) -> Vec<MarketCode> {
    expected.latest.keys().cloned().collect()
}

/// Waits until the store holds the expected latest tickers and exactly the expected candles.
async fn wait_exact(
    store: &coinking_adapters::market_store::DynamoDbMarketStore,
    expected: &Expected,
    limit: Duration,
) -> bool {
    let markets = markets(expected);
    eventually(limit, || async {
        latest_matches(store, expected).await
            && stored_candles(store, &markets).await == expected.candles
    })
    .await
}

async fn assert_everything_committed(pipeline: &Pipeline) {
    let end = pipeline.end_offsets().await;
    let ok = eventually(Duration::from_secs(20), || async {
        pipeline.committed().await == end
    })
    .await;
    assert!(
        ok,
        "committed {:?} != end offsets {end:?}",
        pipeline.committed().await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn end_to_end_a_replay_leaves_the_newest_tickers_and_the_capture_s_candles() {
    let settings = shared_kafka();
    let store = dynamodb_store(&shared_dynamodb_url()).await;
    let expected = expected(SHIPPED_CAPTURE);
    let sim = simulator(CaptureSource::Shipped, 0.0).await;
    let mut pipeline = Pipeline::start(
        settings,
        source_config(sim.url(), markets(&expected)),
        store.clone(),
    )
    .await;

    let reached = wait_exact(&store, &expected, Duration::from_secs(90)).await;
    pipeline.stop_ingest().await;
    assert!(reached, "the store never matched the capture");
    let (tickers, _) = pipeline.bus.stats();
    assert_eq!(
        tickers.enqueued, expected.tickers as u64,
        "every capture ticker produced once"
    );
    assert_everything_committed(&pipeline).await;
    pipeline.stop_stream().await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_message_after_a_newer_one_never_overwrites_it() {
    let settings = shared_kafka();
    let store = dynamodb_store(&shared_dynamodb_url()).await;
    let frame = |tms: i64, price: &str| {
        format!(
            r#"{{"ty":"ticker","cd":"KRW-BTC","op":1.0,"hp":200.0,"lp":1.0,"tp":{price},"pcp":1.0,"c":"RISE","cp":1.0,"cr":0.5,"tv":1.0,"tdt":"20241125","ttm":"000000","ttms":{tms},"tms":{tms},"st":"REALTIME"}}"#
        )
    };
    let t0 = 1_732_500_000_000_i64;
    // Newest first, then an older one in a later window (the sim paces them 1 s apart).
    let capture = [
        CaptureLine::binary(t0, frame(t0 + 5_000, "150.0")).to_ndjson(),
        CaptureLine::binary(t0 + 1_000, frame(t0 + 10_000, "170.0")).to_ndjson(),
        CaptureLine::binary(t0 + 2_000, frame(t0 + 1_000, "110.0")).to_ndjson(),
    ]
    .join("\n");
    let sim = simulator(CaptureSource::Text(capture), 1.0).await;
    let btc = MarketCode::parse("KRW-BTC").unwrap();
    let mut pipeline = Pipeline::start(
        settings,
        source_config(sim.url(), vec![btc.clone()]),
        store.clone(),
    )
    .await;

    let ok = eventually(Duration::from_secs(60), || async {
        pipeline
            .stream_metrics
            .tickers_stale
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 1
    })
    .await;
    pipeline.stop_ingest().await;
    assert_everything_committed(&pipeline).await;
    pipeline.stop_stream().await;
    assert!(ok, "the older ticker was never refused as stale");
    let stored = store.latest_one(&btc).await.unwrap().unwrap();
    assert_eq!(stored.trade_timestamp, t0 + 10_000);
    assert_eq!(stored.trade_price.to_string(), "170");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_connections_reconnect_resubscribe_and_the_final_state_is_correct() {
    let settings = shared_kafka();
    let store = dynamodb_store(&shared_dynamodb_url()).await;
    let expected = expected(SHIPPED_CAPTURE);
    let sim = simulator(CaptureSource::Shipped, 0.0).await;
    // Every connection dies after 300 messages; each new one starts the replay again (so
    // timestamps go back): newer-wins has to keep the newest.
    sim.faults().drop_after(300);
    let mut pipeline = Pipeline::start(
        settings,
        source_config(sim.url(), markets(&expected)),
        store.clone(),
    )
    .await;
    let reconnected = eventually(Duration::from_secs(30), || async {
        sim.stats().connections_accepted >= 4
    })
    .await;
    sim.faults().clear_drop();
    let markets = markets(&expected);
    let reached = eventually(Duration::from_secs(90), || async {
        latest_matches(&store, &expected).await
            && candles_cover(&stored_candles(&store, &markets).await, &expected.candles)
    })
    .await;
    pipeline.stop_ingest().await;
    assert_everything_committed(&pipeline).await;
    pipeline.stop_stream().await;
    assert!(
        reconnected,
        "the simulator saw {} connections",
        sim.stats().connections_accepted
    );
    assert!(reached, "final state wrong after reconnects");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_down_for_ten_seconds_mid_stream_loses_nothing() {
    let mut broker = OwnProcess::tansu();
    let store = dynamodb_store(&shared_dynamodb_url()).await;
    let expected = expected(SHIPPED_CAPTURE);
    // 60 s of capture at 4× speed: about 15 s of stream around the outage.
    let sim = simulator(CaptureSource::Shipped, 4.0).await;
    let mut pipeline = Pipeline::start(
        broker.kafka_settings(),
        source_config(sim.url(), markets(&expected)),
        store.clone(),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let before = pipeline
        .stream_metrics
        .records_in
        .load(std::sync::atomic::Ordering::Relaxed);
    assert!(before > 0, "nothing flowed before the outage");
    // tansu (the stand-in) answers the retry of a batch that was in flight when it stopped with
    // UNKNOWN_SERVER_ERROR after its restart, where Kafka answers DUPLICATE_SEQUENCE_NUMBER (a
    // success for the idempotent producer). So the stop happens at a moment with nothing in
    // flight: the source pauses until the producer has no pending record, then resumes while the
    // broker is down, so the whole outage is produced into the local queue.
    sim.faults().stall();
    let idle = eventually(Duration::from_secs(20), || async {
        coinking_ingester::sinks::RecordSink::pending(&*pipeline.bus) == 0
    })
    .await;
    assert!(idle, "the producer never drained before the outage");
    tokio::task::block_in_place(|| broker.stop());
    sim.faults().clear_stall();
    tokio::time::sleep(Duration::from_secs(10)).await;
    let queued = coinking_ingester::sinks::RecordSink::pending(&*pipeline.bus);
    tokio::task::block_in_place(|| broker.restart());
    assert!(queued > 0, "nothing was produced during the outage");

    let reached = wait_exact(&store, &expected, Duration::from_secs(120)).await;
    pipeline.stop_ingest().await;
    assert!(
        reached,
        "the store never matched the capture after the outage"
    );
    let end = pipeline.end_offsets().await;
    let produced: i64 = end.values().sum();
    assert_eq!(
        produced, expected.tickers as i64,
        "produced = every capture ticker, once"
    );
    assert_everything_committed(&pipeline).await;
    let consumed = pipeline
        .stream_metrics
        .records_in
        .load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        consumed >= produced as u64,
        "consumed {consumed} < produced {produced}"
    );
    pipeline.stop_stream().await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dynamodb_outage_commits_nothing_and_writes_resume_after_it() {
    let settings = shared_kafka();
    let mut dynamodb = OwnProcess::dynalite();
    let store = dynamodb_store(&dynamodb.url()).await;
    let expected = expected(SHIPPED_CAPTURE);
    let sim = simulator(CaptureSource::Shipped, 4.0).await;
    let mut pipeline = Pipeline::start(
        settings,
        source_config(sim.url(), markets(&expected)),
        store.clone(),
    )
    .await;
    let flowing = eventually(Duration::from_secs(30), || async {
        pipeline
            .stream_metrics
            .consumer
            .commits
            .load(std::sync::atomic::Ordering::Relaxed)
            > 0
    })
    .await;
    assert!(flowing, "no commit before the outage");

    tokio::task::block_in_place(|| dynamodb.stop());
    // A flush already past its writes may still commit; after that nothing may move.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let committed_at_start = pipeline.committed().await;
    tokio::time::sleep(Duration::from_secs(6)).await;
    let committed_at_end = pipeline.committed().await;
    let retries = pipeline
        .stream_metrics
        .consumer
        .flush_retries
        .load(std::sync::atomic::Ordering::Relaxed);
    tokio::task::block_in_place(|| dynamodb.restart());

    assert_eq!(
        committed_at_start, committed_at_end,
        "offsets committed while DynamoDB was down"
    );
    assert!(retries > 0, "no flush was retried during the outage");
    let reached = wait_exact(&store, &expected, Duration::from_secs(120)).await;
    pipeline.stop_ingest().await;
    assert!(reached, "writes did not resume to the expected state");
    assert_everything_committed(&pipeline).await;
    pipeline.stop_stream().await;
    sim.shutdown().await;
}
