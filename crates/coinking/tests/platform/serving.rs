//! What the game reads: the nine markets with their names, from Redis too, and prices that
//! move.

use super::*;

#[test]
fn upbit_data_lists_the_nine_game_markets_with_korean_names_within_5_s_of_start() {
    let platform = start_platform();
    let deadline = Duration::from_secs(5);
    let catalog = Catalog::bundled();
    let mut last_count = 0;
    while platform.started.elapsed() < deadline {
        if let Ok(response) = get(platform.address, "/upbit_data") {
            let items = check_contract(&response);
            last_count = items.len();
            if items.len() == DEFAULT_GAME_MARKETS.len() {
                let codes: Vec<&str> = items.iter().map(|i| i["code"].as_str().unwrap()).collect();
                assert_eq!(codes, DEFAULT_GAME_MARKETS);
                for item in &items {
                    let market = MarketCode::parse(item["code"].as_str().unwrap()).unwrap();
                    assert_eq!(
                        item["coin_name"].as_str(),
                        catalog.korean_name(&market),
                        "{market}"
                    );
                }
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("only {last_count} of 9 markets listed after {deadline:?}");
}

#[test]
fn with_the_redis_store_the_game_s_reads_are_served_from_redis() {
    let url = std::env::var("COINKING_REDIS_URL").unwrap_or_else(|_| {
        let port = std::env::var("COINKING_REDIS_PORT").unwrap_or_else(|_| "6390".to_owned());
        format!("redis://127.0.0.1:{port}/")
    });
    // Nothing left from an earlier run: what is found below, this run wrote.
    let cleared = Command::new("redis-cli")
        .args([
            "-u",
            &url,
            "DEL",
            "{coinking}:tickers",
            "{coinking}:ticker_ts",
        ])
        .status()
        .unwrap();
    assert!(
        cleared.success(),
        "redis-cli (scripts/services.sh up installs it)"
    );
    let platform = start_platform_with(&[
        ("COINKING_MARKET_STORE", "redis"),
        ("COINKING_REDIS_URL", &url),
    ]);
    wait_until_serving(&platform, Duration::from_secs(10));
    let items = check_contract(&get(platform.address, "/upbit_data").unwrap());
    assert_eq!(items.len(), DEFAULT_GAME_MARKETS.len());
    let hints = get(platform.address, "/get_deeplearning").unwrap();
    assert_eq!(hints.status, 200, "{}", hints.body);
    let hints: Value = serde_json::from_str(&hints.body).unwrap();
    assert_eq!(hints.as_array().unwrap().len(), DEFAULT_GAME_MARKETS.len());

    // The leaderboard is Redis's too: a submitted score is ranked from its sorted set.
    let name = format!("redis-{}", std::process::id());
    let score = serde_json::json!({
        "name": name, "affiliation": "redis-test", "coin_1": "KRW-BTC", "coin_2": "KRW-ETH",
        "coin_3": "KRW-DOGE", "balance": 1_600_000_000.0,
    })
    .to_string();
    let stored = send_raw(
        platform.address,
        format!(
            "POST /set_user_data HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{score}",
            score.len()
        )
        .as_bytes(),
    );
    assert_eq!(stored.status, 200, "{}", stored.body);
    let rank = Command::new("redis-cli")
        .args(["-u", &url, "ZSCORE", "{coinking}:lb:rank:redis-test"])
        .arg(format!("redis-test\n{name}"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&rank.stdout).trim(), "1600000000");
    let page = get(platform.address, "/get_user_data?affiliation=redis-test").unwrap();
    assert!(page.body.contains(&name), "{}", page.body);

    // What the platform serves is what Redis holds.
    let stored = Command::new("redis-cli")
        .args(["-u", &url, "HLEN", "{coinking}:tickers"])
        .output()
        .unwrap();
    let count: usize = String::from_utf8_lossy(&stored.stdout)
        .trim()
        .parse()
        .unwrap();
    assert!(
        count >= DEFAULT_GAME_MARKETS.len(),
        "{count} tickers in Redis"
    );
}

#[test]
fn polling_every_second_for_10_s_like_the_game_sees_prices_move() {
    let platform = start_platform();
    wait_until_serving(&platform, Duration::from_secs(10));

    let mut seen: BTreeMap<String, Vec<(f64, i64)>> = BTreeMap::new();
    for _ in 0..=10 {
        let response = get(platform.address, "/upbit_data").unwrap();
        assert_eq!(response.headers["cache-control"], "max-age=1");
        for item in check_contract(&response) {
            seen.entry(item["code"].as_str().unwrap().to_owned())
                .or_default()
                .push((
                    item["trade_price"].as_f64().unwrap(),
                    item["trade_timestamp"].as_i64().unwrap(),
                ));
        }
        std::thread::sleep(Duration::from_secs(1));
    }

    assert_eq!(seen.len(), 9, "every game market answered: {seen:?}");
    let mut moved = 0;
    for (market, polls) in &seen {
        for pair in polls.windows(2) {
            assert!(
                pair[1].1 >= pair[0].1,
                "{market}: trade_timestamp went back: {polls:?}"
            );
        }
        let first = polls[0].0;
        if polls.iter().any(|(price, _)| *price != first) {
            moved += 1;
        }
    }
    assert!(
        moved >= 3,
        "only {moved} markets changed price in 10 s: {seen:?}"
    );
    let newest_first = seen.values().map(|p| p[0].1).max().unwrap();
    let newest_last = seen.values().map(|p| p[p.len() - 1].1).max().unwrap();
    assert!(newest_last > newest_first, "no newer trade in 10 s");
}
