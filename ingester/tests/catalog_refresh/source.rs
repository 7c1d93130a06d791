//! The source against the simulator: subscribing to the catalog's codes and resubscribing when
//! it changes; the embedded stream stage's catalog items.

use super::*;

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
