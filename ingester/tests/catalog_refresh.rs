//! The market catalog kept current: the watcher against a REST stand-in on 127.0.0.1 whose
//! `/v1/market/all` answer each test switches; the source against the Upbit simulator
//! resubscribing when the catalog changes; the embedded stream stage rewriting the catalog items
//! of the in-memory store. Every wait is bounded.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use coinking_adapters::market_store::{CatalogReader, InMemoryMarketStore};
use coinking_core::catalog::{Catalog, MarketInfo};
use coinking_core::market::MarketCode;
use coinking_core::upbit::{UpbitMessage, parse_frame};
use coinking_ingester::embedded::{self, EmbeddedConfig};
use coinking_ingester::sources::catalog::MARKET_ALL_PATH;
use coinking_ingester::sources::{
    CatalogOrigin, CatalogRefresh, CatalogSnapshot, CatalogWatcher, DataType, SourceConfig,
    SourceEvent, SourceMetrics, UpbitSource,
};
use coinking_upbit_sim::{RunningSimulator, SimConfig, UpbitSimulator};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::{Instant, timeout};

/// Upper bound for any single wait in these tests.
const WAIT: Duration = Duration::from_secs(15);

/// The source's output channel in these tests.
const CHANNEL_CAPACITY: usize = 64;

/// A catalog fetch timeout far above what the loopback stand-in needs.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

fn code(text: &str) -> MarketCode {
    MarketCode::parse(text).unwrap()
}

fn codes(texts: &[&str]) -> Vec<MarketCode> {
    texts.iter().map(|text| code(text)).collect()
}

/// What the stand-in answers.
#[derive(Debug, Clone)]
enum Answer {
    Markets(String),
    Status(u16),
}

/// Upbit's REST API as far as the catalog goes: `GET /v1/market/all?is_details=true` answers
/// the current [`Answer`]; anything else is a 404.
struct RestStandIn {
    addr: SocketAddr,
    answer: Arc<Mutex<Answer>>,
    requests: Arc<AtomicU64>,
    task: JoinHandle<()>,
}

impl RestStandIn {
    async fn start(markets: &[&str]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let answer = Arc::new(Mutex::new(Answer::Markets(market_all(markets))));
        let requests = Arc::new(AtomicU64::new(0));
        let task = {
            let answer = Arc::clone(&answer);
            let requests = Arc::clone(&requests);
            tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let current = answer.lock().unwrap().clone();
                    tokio::spawn(respond(stream, current, Arc::clone(&requests)));
                }
            })
        };
        Self {
            addr,
            answer,
            requests,
            task,
        }
    }

    fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn list(&self, markets: &[&str]) {
        *self.answer.lock().unwrap() = Answer::Markets(market_all(markets));
    }

    fn answer_raw(&self, body: &str) {
        *self.answer.lock().unwrap() = Answer::Markets(body.to_owned());
    }

    fn fail_with(&self, status: u16) {
        *self.answer.lock().unwrap() = Answer::Status(status);
    }

    fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}

impl Drop for RestStandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// `/v1/market/all?is_details=true` listing `markets`.
fn market_all(markets: &[&str]) -> String {
    let entries: Vec<serde_json::Value> = markets
        .iter()
        .map(|market| {
            serde_json::json!({
                "market": market,
                "korean_name": format!("{market} 한글"),
                "english_name": format!("{market} English"),
                "market_event": {"warning": false, "caution": {}},
            })
        })
        .collect();
    serde_json::Value::Array(entries).to_string()
}

async fn respond(mut stream: TcpStream, answer: Answer, requests: Arc<AtomicU64>) {
    let mut head = Vec::new();
    let mut buffer = [0u8; 1024];
    while !head.windows(4).any(|window| window == b"\r\n\r\n") {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(read) => head.extend_from_slice(&buffer[..read]),
        }
    }
    let request_line = String::from_utf8_lossy(&head)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    let (status, body) = if request_line != format!("GET {MARKET_ALL_PATH} HTTP/1.1") {
        (404, r#"{"error":{"name":"not_found"}}"#.to_owned())
    } else {
        requests.fetch_add(1, Ordering::Relaxed);
        match answer {
            Answer::Markets(body) => (200, body),
            Answer::Status(status) => (status, r#"{"error":{"name":"server_error"}}"#.to_owned()),
        }
    };
    let response = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

fn listed(snapshot: &CatalogSnapshot) -> Vec<String> {
    snapshot
        .catalog
        .iter()
        .map(|info| info.market.to_string())
        .collect()
}

fn load(counter: &AtomicU64) -> u64 {
    counter.load(Ordering::Relaxed)
}

/// A shutdown future for the watcher and the source.
fn stopped(stop: &watch::Sender<bool>) -> impl Future<Output = ()> + Send + 'static {
    let mut receiver = stop.subscribe();
    async move {
        let _ = receiver.wait_for(|stopping| *stopping).await;
    }
}

// ---- the watcher ----

#[tokio::test]
async fn an_unchanged_listing_publishes_nothing() {
    let rest = RestStandIn::start(&["KRW-BTC", "KRW-ETH"]).await;
    let mut watcher = CatalogWatcher::load(rest.base_url(), FETCH_TIMEOUT).await;
    let updates = watcher.subscribe();
    assert_eq!(watcher.current().origin, CatalogOrigin::Upbit);

    assert_eq!(watcher.refresh().await, CatalogRefresh::Unchanged);
    assert_eq!(watcher.refresh().await, CatalogRefresh::Unchanged);

    assert!(!updates.has_changed().unwrap(), "nothing published");
    let metrics = watcher.metrics();
    assert_eq!(load(&metrics.refreshes), 2);
    assert_eq!(load(&metrics.changes), 0);
    assert_eq!(load(&metrics.refresh_failures), 0);
    assert_eq!(rest.requests(), 3, "the load and two refreshes");
}

#[tokio::test]
async fn a_changed_listing_is_published_once() {
    let rest = RestStandIn::start(&["KRW-BTC", "KRW-ETH"]).await;
    let mut watcher = CatalogWatcher::load(rest.base_url(), FETCH_TIMEOUT).await;
    let mut updates = watcher.subscribe();

    rest.list(&["KRW-BTC", "KRW-ETH", "KRW-XRP"]);
    assert_eq!(watcher.refresh().await, CatalogRefresh::Changed);
    assert_eq!(watcher.refresh().await, CatalogRefresh::Unchanged);

    assert!(updates.has_changed().unwrap());
    let published = updates.borrow_and_update().clone();
    assert_eq!(listed(&published), ["KRW-BTC", "KRW-ETH", "KRW-XRP"]);
    assert_eq!(published.origin, CatalogOrigin::Upbit);
    assert!(!updates.has_changed().unwrap(), "published once");
    assert_eq!(load(&watcher.metrics().changes), 1);
}

#[tokio::test]
async fn a_changed_warning_flag_is_a_change() {
    let rest = RestStandIn::start(&["KRW-BTC"]).await;
    let mut watcher = CatalogWatcher::load(rest.base_url(), FETCH_TIMEOUT).await;
    let mut updates = watcher.subscribe();

    rest.answer_raw(
        r#"[{"market":"KRW-BTC","korean_name":"KRW-BTC 한글","english_name":"KRW-BTC English","market_event":{"warning":true,"caution":{}}}]"#,
    );
    assert_eq!(watcher.refresh().await, CatalogRefresh::Changed);

    let published = updates.borrow_and_update().clone();
    assert_eq!(
        published
            .catalog
            .get(&code("KRW-BTC"))
            .map(|info| info.warning),
        Some(true)
    );
}

#[tokio::test]
async fn a_failing_upbit_keeps_the_previous_catalog_and_counts_each_failure() {
    let rest = RestStandIn::start(&["KRW-BTC", "KRW-ETH"]).await;
    let mut watcher = CatalogWatcher::load(rest.base_url(), FETCH_TIMEOUT).await;
    let updates = watcher.subscribe();
    let before = watcher.current();

    rest.fail_with(500);
    assert_eq!(watcher.refresh().await, CatalogRefresh::Failed);
    rest.fail_with(429);
    assert_eq!(watcher.refresh().await, CatalogRefresh::Failed);
    rest.answer_raw("[]");
    assert_eq!(
        watcher.refresh().await,
        CatalogRefresh::Failed,
        "an empty listing is not taken for Upbit delisting everything"
    );
    rest.answer_raw("<html>maintenance</html>");
    assert_eq!(watcher.refresh().await, CatalogRefresh::Failed);

    assert_eq!(watcher.current(), before);
    assert!(!updates.has_changed().unwrap(), "nothing published");
    let metrics = watcher.metrics();
    assert_eq!(load(&metrics.refreshes), 4);
    assert_eq!(load(&metrics.refresh_failures), 4);
    assert_eq!(load(&metrics.changes), 0);

    // Recovery: the next good answer is compared with the catalog kept.
    rest.list(&["KRW-BTC", "KRW-ETH"]);
    assert_eq!(watcher.refresh().await, CatalogRefresh::Unchanged);
    assert_eq!(load(&metrics.refresh_failures), 4);
}

#[tokio::test]
async fn malformed_entries_are_left_out_and_counted_and_the_valid_ones_are_used() {
    let rest = RestStandIn::start(&["KRW-BTC"]).await;
    let mut watcher = CatalogWatcher::load(rest.base_url(), FETCH_TIMEOUT).await;
    let mut updates = watcher.subscribe();

    // Two valid listings around three broken ones (no Korean name, a bad code, not an object).
    let mut entries: Vec<serde_json::Value> =
        serde_json::from_str(&market_all(&["KRW-BTC", "KRW-XRP"])).unwrap();
    entries.insert(
        1,
        serde_json::json!({"market": "KRW-ETH", "english_name": "Ethereum"}),
    );
    entries.insert(
        1,
        serde_json::json!({"market": "btc", "korean_name": "a", "english_name": "b"}),
    );
    entries.push(serde_json::json!(42));
    rest.answer_raw(&serde_json::Value::Array(entries).to_string());

    assert_eq!(watcher.refresh().await, CatalogRefresh::Changed);
    assert_eq!(listed(&updates.borrow_and_update()), ["KRW-BTC", "KRW-XRP"]);
    let metrics = watcher.metrics();
    assert_eq!(load(&metrics.entries_rejected), 3);
    assert_eq!(load(&metrics.refresh_failures), 0);

    // Every entry malformed: a failure, the catalog in use stays.
    rest.answer_raw(r#"[{"market":"KRW-BTC"},7]"#);
    assert_eq!(watcher.refresh().await, CatalogRefresh::Failed);
    assert_eq!(listed(&watcher.current()), ["KRW-BTC", "KRW-XRP"]);

    rest.list(&["KRW-BTC", "KRW-XRP"]);
    assert_eq!(watcher.refresh().await, CatalogRefresh::Unchanged);
    assert_eq!(
        load(&metrics.entries_rejected),
        0,
        "the gauge follows the last fetch"
    );
}

#[tokio::test]
async fn the_bundled_fallback_is_replaced_by_the_first_catalog_upbit_answers() {
    let rest = RestStandIn::start(&["KRW-BTC"]).await;
    rest.fail_with(503);
    let mut watcher = CatalogWatcher::load(rest.base_url(), FETCH_TIMEOUT).await;
    let mut updates = watcher.subscribe();
    assert_eq!(watcher.current(), CatalogSnapshot::bundled());

    rest.list(&["KRW-BTC"]);
    assert_eq!(watcher.refresh().await, CatalogRefresh::Changed);

    let published = updates.borrow_and_update().clone();
    assert_eq!(published.origin, CatalogOrigin::Upbit);
    assert_eq!(listed(&published), ["KRW-BTC"]);
}

#[tokio::test]
async fn run_refreshes_every_period_and_stops_on_shutdown() {
    let rest = RestStandIn::start(&["KRW-BTC"]).await;
    let watcher = CatalogWatcher::load(rest.base_url(), FETCH_TIMEOUT).await;
    let mut updates = watcher.subscribe();
    let metrics = watcher.metrics();
    let stop = watch::Sender::new(false);
    let running = tokio::spawn(watcher.run(Duration::from_millis(50), stopped(&stop)));

    rest.list(&["KRW-BTC", "KRW-ETH"]);
    timeout(WAIT, updates.changed())
        .await
        .expect("the change is published within the wait")
        .unwrap();
    assert_eq!(listed(&updates.borrow_and_update()), ["KRW-BTC", "KRW-ETH"]);
    let deadline = Instant::now() + WAIT;
    while load(&metrics.refreshes) < 4 {
        assert!(Instant::now() < deadline, "refreshes keep coming");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let stopping = Instant::now();
    stop.send_replace(true);
    timeout(Duration::from_secs(2), running)
        .await
        .expect("the watcher stops promptly")
        .unwrap();
    assert!(stopping.elapsed() < Duration::from_secs(1));
    assert_eq!(load(&metrics.changes), 1);
}

// ---- the source against the simulator ----

async fn simulator() -> RunningSimulator {
    UpbitSimulator::start(SimConfig {
        speed: 0.0,
        looping: true,
        close_at_end: false,
        idle_timeout: Duration::from_secs(5),
        ..SimConfig::default()
    })
    .await
    .unwrap()
}

/// Fast timings, as in `upbit_source.rs`.
fn source_config(sim: &RunningSimulator, configured: &[&str]) -> SourceConfig {
    SourceConfig {
        url: sim.url(),
        codes: codes(configured),
        types: vec![DataType::Ticker, DataType::Trade],
        ping_interval: Duration::from_secs(1),
        no_data_watchdog: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(2),
        backoff_base: Duration::from_millis(20),
        backoff_cap: Duration::from_millis(200),
        connects_per_second: 50,
        ..SourceConfig::default()
    }
}

/// A source following a watcher on a REST stand-in that refreshes every 100 ms.
struct Following {
    rest: RestStandIn,
    events: mpsc::Receiver<SourceEvent>,
    source: Arc<SourceMetrics>,
    catalog: Arc<coinking_ingester::sources::CatalogMetrics>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Following {
    async fn start(config: SourceConfig, listed: &[&str]) -> Self {
        let rest = RestStandIn::start(listed).await;
        let watcher = CatalogWatcher::load(rest.base_url(), FETCH_TIMEOUT).await;
        assert_eq!(watcher.current().origin, CatalogOrigin::Upbit);
        let catalog = watcher.metrics();
        let mut upbit = UpbitSource::new(config).unwrap();
        upbit.follow_catalog(watcher.subscribe());
        let source = upbit.metrics();
        let stop = watch::Sender::new(false);
        let (out, events) = mpsc::channel(CHANNEL_CAPACITY);
        let watching = tokio::spawn(watcher.run(Duration::from_millis(100), stopped(&stop)));
        let streaming = {
            let shutdown = stopped(&stop);
            tokio::spawn(async move { upbit.run(out, shutdown).await.unwrap() })
        };
        Self {
            rest,
            events,
            source,
            catalog,
            stop,
            tasks: vec![watching, streaming],
        }
    }

    async fn next(&mut self) -> SourceEvent {
        timeout(WAIT, self.events.recv())
            .await
            .expect("a frame within the wait")
            .expect("the source is running")
    }

    /// Frames until one carries data for `market`; returns them all.
    async fn until_market(&mut self, market: &str) -> Vec<SourceEvent> {
        let wanted = code(market);
        let deadline = Instant::now() + WAIT;
        let mut events = Vec::new();
        loop {
            assert!(
                Instant::now() < deadline,
                "no {market} frame within the wait"
            );
            let event = self.next().await;
            let found = markets_in(std::slice::from_ref(&event)).contains(&wanted);
            events.push(event);
            if found {
                return events;
            }
        }
    }

    async fn shutdown(self) {
        self.stop.send_replace(true);
        drop(self.events);
        for task in self.tasks {
            timeout(WAIT, task).await.expect("stops in time").unwrap();
        }
    }
}

/// The markets of the data messages in `events` (status answers ignored).
fn markets_in(events: &[SourceEvent]) -> BTreeSet<MarketCode> {
    let mut markets = BTreeSet::new();
    for event in events {
        parse_frame(&event.frame, |message| match message {
            Ok(UpbitMessage::Ticker(ticker)) => {
                markets.insert(ticker.code);
            }
            Ok(UpbitMessage::Trade(trade)) => {
                markets.insert(trade.code);
            }
            _ => {}
        });
    }
    markets
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribes_to_the_listed_codes_and_resubscribes_when_the_catalog_adds_one() {
    let sim = simulator().await;
    let config = source_config(&sim, &["KRW-BTC", "KRW-ETH", "KRW-XRP"]);
    let mut following = Following::start(config, &["KRW-BTC", "KRW-ETH"]).await;

    let mut before = Vec::new();
    for _ in 0..200 {
        before.push(following.next().await);
    }
    assert_eq!(
        markets_in(&before),
        codes(&["KRW-BTC", "KRW-ETH"]).into_iter().collect(),
        "KRW-XRP is configured but not listed: not subscribed"
    );
    assert_eq!(sim.stats().subscriptions, 1);
    assert_eq!(load(&following.source.resubscribes), 0);

    following.rest.list(&["KRW-BTC", "KRW-ETH", "KRW-XRP"]);
    let until_xrp = following.until_market("KRW-XRP").await;

    let last = until_xrp.last().unwrap().connection;
    assert_eq!(
        (last.slot, last.generation),
        (0, 2),
        "the new connection of the same slot"
    );
    let mut after = Vec::new();
    while after.len() < 200 {
        let event = following.next().await;
        if event.connection.generation == 2 {
            after.push(event);
        }
    }
    assert_eq!(
        markets_in(&after),
        codes(&["KRW-BTC", "KRW-ETH", "KRW-XRP"])
            .into_iter()
            .collect()
    );
    assert_eq!(load(&following.catalog.changes), 1);
    assert_eq!(load(&following.source.resubscribes), 1);
    assert_eq!(load(&following.source.connects), 2);
    assert_eq!(
        load(&following.source.connect_failures),
        0,
        "no refused request, no backoff"
    );
    assert_eq!(sim.stats().subscriptions, 2);
    following.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_whose_codes_did_not_change_keeps_streaming_through_a_resubscribe() {
    let sim = simulator().await;
    let config = SourceConfig {
        max_codes_per_connection: 2,
        ..source_config(&sim, &["KRW-BTC", "KRW-ETH", "KRW-XRP"])
    };
    let mut following = Following::start(config, &["KRW-BTC", "KRW-ETH"]).await;
    following.next().await;

    following.rest.list(&["KRW-BTC", "KRW-ETH", "KRW-XRP"]);
    let events = following.until_market("KRW-XRP").await;

    let xrp = events.last().unwrap().connection;
    assert_eq!(
        (xrp.slot, xrp.generation),
        (1, 1),
        "a new connection for XRP"
    );
    for event in &events {
        if event.connection.slot == 0 {
            assert_eq!(event.connection.generation, 1, "slot 0 kept its connection");
        }
    }
    assert_eq!(load(&following.source.resubscribes), 1);
    assert_eq!(load(&following.source.connects), 2);
    assert_eq!(load(&following.source.reconnects), 0);
    following.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delisted_code_leaves_the_subscription_and_its_connection_retires() {
    let sim = simulator().await;
    let config = SourceConfig {
        max_codes_per_connection: 1,
        ..source_config(&sim, &["KRW-BTC", "KRW-ETH"])
    };
    let mut following = Following::start(config, &["KRW-BTC", "KRW-ETH"]).await;
    following.until_market("KRW-ETH").await;

    following.rest.list(&["KRW-BTC"]);
    let deadline = Instant::now() + WAIT;
    while load(&following.source.resubscribes) == 0 || load(&following.source.reconnects) == 0 {
        assert!(Instant::now() < deadline, "the resubscribe within the wait");
        let _ = timeout(Duration::from_millis(50), following.events.recv()).await;
    }
    // What slot 1 sent before it closed may still be in the channel: skip a channel's worth.
    for _ in 0..CHANNEL_CAPACITY {
        following.next().await;
    }
    let mut after = Vec::new();
    for _ in 0..100 {
        after.push(following.next().await);
    }

    assert_eq!(markets_in(&after), [code("KRW-BTC")].into_iter().collect());
    assert!(after.iter().all(|event| event.connection.slot == 0));
    assert_eq!(
        load(&following.source.connects),
        2,
        "no new connection: slot 0 kept its own, slot 1 retired"
    );
    assert_eq!(load(&following.source.reconnects), 1);
    following.shutdown().await;
    sim.shutdown().await;
}

// ---- the stream stage ----

fn snapshot_of(markets: &[MarketCode], extra: &[&str], warned: &[&str]) -> CatalogSnapshot {
    let mut infos: Vec<MarketInfo> = markets
        .iter()
        .cloned()
        .chain(codes(extra))
        .map(|market| MarketInfo {
            warning: warned.contains(&market.as_str()),
            korean_name: format!("{market} 한글"),
            english_name: format!("{market} English"),
            market,
            caution: Default::default(),
        })
        .collect();
    infos.sort_by(|a, b| a.market.cmp(&b.market));
    CatalogSnapshot::new(Catalog::new(infos), CatalogOrigin::Upbit)
}

async fn stored(store: &InMemoryMarketStore) -> Vec<MarketInfo> {
    let mut markets = store.markets().await.unwrap();
    markets.sort_by(|a, b| a.market.cmp(&b.market));
    markets
}

async fn until_stored(store: &InMemoryMarketStore, expected: &[MarketInfo]) -> bool {
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        if stored(store).await == expected {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_stream_stage_rewrites_the_market_items_after_a_catalog_change() {
    let sim = simulator().await;
    let markets = sim.markets();
    let first = snapshot_of(&markets, &[], &[]);
    let (publish, updates) = watch::channel(first.clone());
    let config = EmbeddedConfig {
        source: SourceConfig {
            url: sim.url(),
            codes: markets.clone(),
            types: vec![DataType::Ticker],
            no_data_watchdog: Duration::from_secs(60),
            ..SourceConfig::default()
        },
        window: Duration::from_millis(50),
        catalog_updates: Some(updates),
        ..EmbeddedConfig::default()
    };
    let store = InMemoryMarketStore::new();
    let stop = watch::Sender::new(false);
    let running = tokio::spawn(embedded::run(config, store.clone(), stopped(&stop)));
    let first_items: Vec<MarketInfo> = first.catalog.iter().cloned().collect();
    assert!(
        until_stored(&store, &first_items).await,
        "the catalog in use is written"
    );

    let second = snapshot_of(&markets, &["KRW-NEWCOIN"], &["KRW-BTC"]);
    publish.send_replace(second.clone());

    let second_items: Vec<MarketInfo> = second.catalog.iter().cloned().collect();
    let reached = until_stored(&store, &second_items).await;
    stop.send_replace(true);
    timeout(WAIT, running).await.unwrap().unwrap().unwrap();
    assert!(
        reached,
        "the new listing and warning reach the store: {:?}",
        stored(&store).await
    );
    sim.shutdown().await;
}
