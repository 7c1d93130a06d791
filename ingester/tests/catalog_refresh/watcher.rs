//! The watcher against the REST stand-in: what it publishes, keeps and counts.

use super::*;

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
