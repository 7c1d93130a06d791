//! The Upbit source against a real `UpbitSimulator` on 127.0.0.1: one behaviour per test, every
//! wait bounded.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use coinking_core::capture::parse_capture;
use coinking_core::catalog::Catalog;
use coinking_core::market::MarketCode;
use coinking_core::upbit::{StreamType, UpbitMessage, parse_frame};
use coinking_ingester::SourceError;
use coinking_ingester::sources::{
    CatalogOrigin, SourceConfig, SourceEvent, SourceMetrics, UpbitSource, load_catalog,
};
use coinking_upbit_sim::{Rejection, RunningSimulator, SimConfig, UpbitSimulator};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep, timeout};

/// Upper bound for any single wait in these tests.
const WAIT: Duration = Duration::from_secs(15);

async fn simulator(looping: bool) -> RunningSimulator {
    UpbitSimulator::start(SimConfig {
        speed: 0.0,
        looping,
        close_at_end: false,
        idle_timeout: Duration::from_secs(5),
        ..SimConfig::default()
    })
    .await
    .unwrap()
}

/// Fast timings so every recovery path takes milliseconds.
fn config_for(sim: &RunningSimulator) -> SourceConfig {
    SourceConfig {
        url: sim.url(),
        ping_interval: Duration::from_secs(1),
        no_data_watchdog: Duration::from_secs(2),
        connect_timeout: Duration::from_secs(2),
        backoff_base: Duration::from_millis(20),
        backoff_cap: Duration::from_millis(200),
        rate_limited_backoff: Duration::from_millis(300),
        connects_per_second: 50,
        ..SourceConfig::default()
    }
}

struct Running {
    events: mpsc::Receiver<SourceEvent>,
    metrics: Arc<SourceMetrics>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), SourceError>>,
}

impl Running {
    fn start(config: SourceConfig) -> Self {
        let source = UpbitSource::new(config).unwrap();
        let metrics = source.metrics();
        let (sender, events) = mpsc::channel(64);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(source.run(sender, async {
            let _ = stopped.await;
        }));
        Self {
            events,
            metrics,
            stop: Some(stop),
            task,
        }
    }

    async fn next(&mut self) -> SourceEvent {
        timeout(WAIT, self.events.recv())
            .await
            .expect("a frame within the wait")
            .expect("the source is running")
    }

    async fn take(&mut self, count: usize) -> Vec<SourceEvent> {
        let mut events = Vec::with_capacity(count);
        while events.len() < count {
            events.push(self.next().await);
        }
        events
    }

    /// Drains frames until `done` holds (checked after each frame and every 50 ms).
    async fn until(&mut self, mut done: impl FnMut(&SourceMetrics) -> bool) -> Vec<SourceEvent> {
        let deadline = Instant::now() + WAIT;
        let mut events = Vec::new();
        while !done(&self.metrics) {
            assert!(Instant::now() < deadline, "condition not reached in time");
            if let Ok(Some(event)) = timeout(Duration::from_millis(50), self.events.recv()).await {
                events.push(event);
            }
        }
        events
    }

    async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        timeout(WAIT, self.task)
            .await
            .expect("the source stops in time")
            .unwrap()
            .unwrap();
    }
}

fn messages(frame: &[u8]) -> Vec<UpbitMessage> {
    let mut messages = Vec::new();
    parse_frame(frame, |result| messages.push(result.unwrap()));
    messages
}

fn code_of(message: &UpbitMessage) -> MarketCode {
    match message {
        UpbitMessage::Ticker(ticker) => ticker.code.clone(),
        UpbitMessage::Trade(trade) => trade.code.clone(),
        other => panic!("not market data: {other:?}"),
    }
}

fn stream_type_of(message: &UpbitMessage) -> Option<StreamType> {
    match message {
        UpbitMessage::Ticker(ticker) => ticker.stream_type,
        UpbitMessage::Trade(trade) => trade.stream_type,
        _ => None,
    }
}

fn load(counter: &std::sync::atomic::AtomicU64) -> u64 {
    counter.load(std::sync::atomic::Ordering::Relaxed)
}

#[tokio::test]
async fn receives_snapshot_and_realtime_frames_for_the_subscribed_codes_and_every_frame_parses() {
    let sim = simulator(false).await;
    let config = config_for(&sim);
    let subscribed: BTreeSet<MarketCode> = config.codes.iter().cloned().collect();
    let mut source = Running::start(config);

    let events = source.take(300).await;

    let mut kinds = BTreeSet::new();
    let mut stream_types = BTreeSet::new();
    for event in &events {
        for message in messages(&event.frame) {
            assert!(subscribed.contains(&code_of(&message)), "{message:?}");
            kinds.insert(matches!(message, UpbitMessage::Ticker(_)));
            stream_types.insert(format!("{:?}", stream_type_of(&message)));
        }
    }
    assert_eq!(kinds.len(), 2, "both tickers and trades arrive");
    assert!(stream_types.contains("Some(Snapshot)"), "{stream_types:?}");
    assert!(stream_types.contains("Some(Realtime)"), "{stream_types:?}");
    assert!(load(&source.metrics.binary_frames) >= 300);
    source.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn reconnects_and_resubscribes_after_each_drop_and_frames_keep_flowing() {
    let sim = simulator(true).await;
    sim.faults().drop_after(40);
    let mut source = Running::start(config_for(&sim));

    let events = source
        .until(|metrics| load(&metrics.reconnects) >= 4 && load(&metrics.connects) >= 5)
        .await;

    // The client counts a connection when its subscribe is sent; the simulator counts the
    // subscription once it has read it: give the last one a moment to arrive.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while sim.stats().subscriptions < 5 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let stats = sim.stats();
    assert!(stats.connections_dropped >= 4, "{stats:?}");
    assert!(stats.subscriptions >= 5, "{stats:?}");
    // Every drop the simulator made is noticed as a reconnect.
    sim.faults().clear_drop();
    let dropped = sim.stats().connections_dropped;
    source
        .until(|metrics| load(&metrics.reconnects) >= dropped)
        .await;
    let generations: BTreeSet<u64> = events.iter().map(|e| e.connection.generation).collect();
    assert!(
        generations.len() >= 4,
        "frames from every connection: {generations:?}"
    );
    assert!(events.len() >= 4 * 40, "{} frames", events.len());
    source.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn a_stall_longer_than_the_watchdog_makes_it_reconnect() {
    let sim = simulator(true).await;
    let mut source = Running::start(SourceConfig {
        no_data_watchdog: Duration::from_millis(400),
        ping_interval: Duration::from_millis(150),
        ..config_for(&sim)
    });
    source.take(20).await;

    sim.faults().stall();
    source
        .until(|metrics| load(&metrics.watchdog_fires) >= 1)
        .await;
    sim.faults().clear_stall();

    let mut after_reconnect = source.next().await;
    while after_reconnect.connection.generation < 2 {
        after_reconnect = source.next().await;
    }
    assert!(load(&source.metrics.reconnects) >= 1);
    assert!(
        load(&source.metrics.status_frames) >= 1,
        "PINGs answered during the stall"
    );
    assert!(load(&source.metrics.pings_sent) >= 1);
    source.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn backs_off_on_http_429_and_connects_once_the_limit_is_lifted() {
    let sim = simulator(false).await;
    sim.faults().reject_new_connections(Rejection::RateLimited);
    let started = Instant::now();
    let mut source = Running::start(config_for(&sim));

    source
        .until(|metrics| load(&metrics.rate_limited) >= 2)
        .await;
    // 300 ms at least between refused attempts, so two refusals take at least that long.
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(sim.stats().connections_rejected <= 3, "{:?}", sim.stats());
    sim.faults().accept_new_connections();

    source.take(10).await;
    assert_eq!(load(&source.metrics.connects), 1);
    assert!(load(&source.metrics.connect_failures) >= 2);
    source.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn forwards_garbage_frames_and_keeps_the_connection() {
    let sim = simulator(false).await;
    sim.faults().garbage_every(5);
    let mut source = Running::start(config_for(&sim));

    let events = source.take(120).await;

    let mut unreadable = 0;
    for event in &events {
        parse_frame(&event.frame, |result| {
            if result.is_err() {
                unreadable += 1;
            }
        });
    }
    assert!(unreadable >= 15, "{unreadable} garbage frames forwarded");
    assert_eq!(load(&source.metrics.connects), 1);
    assert_eq!(load(&source.metrics.reconnects), 0);
    source.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn shutdown_returns_promptly_and_closes_the_connection() {
    let sim = simulator(true).await;
    let mut source = Running::start(config_for(&sim));
    source.take(5).await;

    let started = Instant::now();
    source.shutdown().await;

    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn splits_nine_codes_over_two_connections_at_five_per_connection() {
    let sim = simulator(false).await;
    let config = SourceConfig {
        max_codes_per_connection: 5,
        ..config_for(&sim)
    };
    let first: BTreeSet<MarketCode> = config.codes[..5].iter().cloned().collect();
    let second: BTreeSet<MarketCode> = config.codes[5..].iter().cloned().collect();
    let mut source = Running::start(config);

    let events = source.take(400).await;

    let mut seen = [BTreeSet::new(), BTreeSet::new()];
    for event in &events {
        let slot = usize::try_from(event.connection.slot).unwrap();
        for message in messages(&event.frame) {
            seen[slot].insert(code_of(&message));
        }
    }
    assert_eq!(sim.stats().subscriptions, 2);
    assert!(seen[0].is_subset(&first) && !seen[0].is_empty(), "{seen:?}");
    assert!(
        seen[1].is_subset(&second) && !seen[1].is_empty(),
        "{seen:?}"
    );
    source.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn writes_rotating_capture_files_that_parse_back() {
    let sim = simulator(false).await;
    let dir = tempfile::tempdir().unwrap();
    let mut source = Running::start(SourceConfig {
        capture_dir: Some(dir.path().to_owned()),
        capture_max_file_bytes: 32 * 1024,
        ..config_for(&sim)
    });

    let events = source.take(200).await;
    source.shutdown().await;

    let mut files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 2, "rotated: {files:?}");
    let mut lines = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        assert!(text.len() <= 32 * 1024 + 4096, "{} bytes", text.len());
        lines.extend(parse_capture(&text).map(Result::unwrap));
    }
    assert!(lines.len() >= events.len());
    for (line, event) in lines.iter().zip(&events) {
        assert_eq!(line, &event.to_capture_line());
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn a_refused_subscription_backs_off_instead_of_hot_looping() {
    let sim = simulator(false).await;
    // A well-formed code the simulator does not list: Upbit answers INVALID_PARAM.
    let mut source = Running::start(SourceConfig {
        codes: vec![MarketCode::parse("KRW-NOSUCH").unwrap()],
        backoff_base: Duration::from_millis(100),
        backoff_cap: Duration::from_secs(2),
        ..config_for(&sim)
    });

    let first = source.next().await;
    assert!(matches!(
        messages(&first.frame).as_slice(),
        [UpbitMessage::Error { name, .. }] if name == "INVALID_PARAM"
    ));
    sleep(Duration::from_millis(1000)).await;

    // Waits of 100, 200, 400, 800 ms: at most 4 attempts in the first second.
    let connects = load(&source.metrics.connects);
    assert!((1..=4).contains(&connects), "{connects} connects");
    // The newest connection may not have had its answer yet.
    assert!(connects - load(&source.metrics.error_frames) <= 1);
    source.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn keeps_retrying_while_the_server_is_unreachable_and_still_stops_promptly() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let mut source = Running::start(SourceConfig {
        url: format!("ws://127.0.0.1:{port}/websocket/v1"),
        backoff_base: Duration::from_millis(10),
        backoff_cap: Duration::from_millis(50),
        ..SourceConfig::default()
    });

    source
        .until(|metrics| load(&metrics.connect_failures) >= 3)
        .await;

    assert_eq!(load(&source.metrics.connects), 0);
    let started = Instant::now();
    source.shutdown().await;
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn falls_back_to_the_bundled_catalog_when_upbit_is_unreachable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);

    let (catalog, origin) =
        load_catalog(&format!("http://127.0.0.1:{port}"), Duration::from_secs(2)).await;

    assert_eq!(origin, CatalogOrigin::Bundled);
    assert_eq!(catalog, Catalog::bundled());
}

#[tokio::test]
async fn fetches_the_catalog_from_the_configured_rest_url() {
    let body = r#"[{"market":"KRW-BTC","korean_name":"비트코인","english_name":"Bitcoin","market_event":{"warning":false,"caution":{"PRICE_FLUCTUATIONS":false,"TRADING_VOLUME_SOARING":false,"DEPOSIT_AMOUNT_SOARING":false,"GLOBAL_PRICE_DIFFERENCES":false,"CONCENTRATION_OF_SMALL_ACCOUNTS":false}}}]"#;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut request = Vec::new();
        let mut buffer = [0u8; 1024];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            let read = stream.read(&mut buffer).await.unwrap();
            assert!(read > 0);
            request.extend_from_slice(&buffer[..read]);
        }
        let response = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(response.as_bytes()).await.unwrap();
        String::from_utf8(request).unwrap()
    });

    let (catalog, origin) = load_catalog(&format!("http://{addr}"), Duration::from_secs(5)).await;

    assert_eq!(origin, CatalogOrigin::Upbit);
    assert_eq!(catalog.len(), 1);
    let btc = MarketCode::parse("KRW-BTC").unwrap();
    assert_eq!(catalog.korean_name(&btc), Some("비트코인"));
    let request = timeout(WAIT, server).await.unwrap().unwrap();
    assert!(
        request.starts_with("GET /v1/market/all?is_details=true HTTP/1.1"),
        "{request}"
    );
}
