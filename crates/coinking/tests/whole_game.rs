//! One whole game against `coinking up`, driven over HTTP exactly as the game's React frontend
//! drives it, in its order: the prices and the AI hints on the coin-choice screen, a second of
//! polling at a time through the trading window, the end-of-game record (the frontend's real body:
//! no `userNickname` when the e-mail field was left empty, whole hint objects in
//! `deeplearningData`), the leaderboard (`/set_user_data` with the session's best balance, the
//! affiliation filter, the rank page), and the analysis page after the next analysis run.
//!
//! Every answer is checked against the shapes of docs/DESIGN.md ("The frontend's contracts").
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use coinking_forecast::lake::{Lake, read_candles};
use serde_json::{Value, json};

mod common;

use common::coinking_up;

/// The body the frontend POSTs at the end of a game, as it sends it (no `userNickname`).
const FRONTEND_RECORD: &str = include_str!("../../core/tests/fixtures/frontend-game-record.json");

/// The page the frontend is served from (the CORS origin the platform is configured with).
const GAME_ORIGIN: &str = "http://localhost:5173";

/// What each stage's buy puts into its coin, in the player's coin order (docs/DESIGN.md).
const STAKES_KRW: [f64; 3] = [1e9, 5e8, 1e8];
/// The balance a game starts with.
const START_BALANCE_KRW: f64 = 1_600_000_000.0;

const HINT_FLAGS: [&str; 7] = [
    "most_volatile",
    "least_volatile",
    "largest_drop",
    "largest_rise",
    "largest_spike",
    "fastest_growth",
    "fastest_decline",
];

struct Platform {
    child: Child,
    address: SocketAddr,
}

impl Drop for Platform {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(lake: &Path) -> Platform {
    let address = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let child = coinking_up(address)
        .arg("--lake-dir")
        .arg(lake)
        .env("COINKING_ANALYSIS_INTERVAL_SECS", "1")
        .env("COINKING_CORS_ORIGINS", GAME_ORIGIN)
        .spawn()
        .unwrap();
    Platform { child, address }
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Value,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// One request as the browser sends it: from the game's origin, JSON, `Connection: close`.
fn request(address: SocketAddr, method: &str, path: &str, body: &str) -> std::io::Result<Answer> {
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(1))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nOrigin: {GAME_ORIGIN}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8(raw).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let headers = head
        .lines()
        .skip(1)
        .filter_map(|line| line.split_once(": "))
        .map(|(name, value)| (name.to_ascii_lowercase(), value.to_owned()))
        .collect();
    Ok(Answer {
        status,
        headers,
        body: serde_json::from_str(body).unwrap_or(Value::Null),
    })
}

/// Sends a request and checks what every answer to the game's page must carry: its CORS origin.
fn call(platform: &Platform, method: &str, path: &str, body: &str) -> Answer {
    let answer = request(platform.address, method, path, body).unwrap();
    assert_eq!(
        answer.header("access-control-allow-origin"),
        Some(GAME_ORIGIN),
        "{method} {path}: {} {}",
        answer.status,
        answer.body
    );
    answer
}

/// Waits until `/upbit_data` lists `markets` markets (the platform listens and prices arrived).
fn wait_for_prices(platform: &Platform) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(answer) = request(platform.address, "GET", "/upbit_data", "") {
            if answer.status == 200 && answer.body.as_array().is_some_and(|a| a.len() == 9) {
                return answer.body.as_array().unwrap().clone();
            }
        }
        assert!(Instant::now() < deadline, "no prices within 20 s");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn price_of(upbit_data: &[Value], market: &str) -> f64 {
    upbit_data
        .iter()
        .find(|item| item["code"] == market)
        .unwrap_or_else(|| panic!("{market} not in /upbit_data"))["trade_price"]
        .as_f64()
        .unwrap()
}

/// The frontend's balance rule (docs/DESIGN.md): each holding is worth
/// `money × (1 + L × (p_now / p_buy − 1))`, floored at 0, summed at the moment each is sold.
fn frontend_balance(buys: &[f64; 3], sells: &[f64; 3], leverage: f64) -> f64 {
    let mut balance = 0.0;
    for index in 0..3 {
        let worth = STAKES_KRW[index] * (1.0 + leverage * (sells[index] / buys[index] - 1.0));
        balance += worth.max(0.0);
    }
    balance
}

/// `BTC/KRW` from `KRW-BTC`: the coin-id form the frontend sends in the game record.
fn frontend_coin_id(market: &str) -> String {
    let (quote, base) = market.split_once('-').unwrap();
    format!("{base}/{quote}")
}

fn check_hints(hints: &Answer, markets: &[String]) {
    assert_eq!(hints.status, 200, "{}", hints.body);
    let entries = hints.body.as_array().expect("a bare JSON array");
    let codes: Vec<&str> = entries
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes, markets,
        "one entry per /upbit_data market, same order"
    );
    let ranks: BTreeSet<u64> = entries
        .iter()
        .map(|e| e["rank"].as_u64().unwrap())
        .collect();
    assert_eq!(
        ranks,
        (1..=markets.len() as u64).collect(),
        "ranks 1..N, unique"
    );
    for flag in HINT_FLAGS {
        let set = entries.iter().filter(|e| e[flag] == json!(true)).count();
        assert_eq!(set, 1, "{flag}: exactly one market");
    }
    for entry in entries {
        for number in ["percentage", "sell_up", "sell_down"] {
            assert!(entry[number].is_number(), "{number}: {entry}");
        }
        assert!(
            entry["sell_up"].as_f64().unwrap() >= entry["sell_down"].as_f64().unwrap(),
            "{entry}"
        );
    }
    assert!(hints.header("x-coinking-hints-model").is_some());
    assert!(hints.header("x-coinking-hints-time").is_some());
}

#[test]
fn the_frontend_plays_a_whole_game_in_its_order() {
    let lake = tempfile::tempdir().unwrap();
    let platform = start(lake.path());

    // Sign-in done, the coin-choice screen: prices, then the AI hints.
    let upbit_data = wait_for_prices(&platform);
    let markets: Vec<String> = upbit_data
        .iter()
        .map(|item| item["code"].as_str().unwrap().to_owned())
        .collect();
    let hints = call(&platform, "GET", "/get_deeplearning", "");
    check_hints(&hints, &markets);

    // The player takes the AI's top three picks, in rank order.
    let mut picks: Vec<&Value> = hints.body.as_array().unwrap().iter().collect();
    picks.sort_by_key(|entry| entry["rank"].as_u64().unwrap());
    let coins: Vec<String> = picks[..3]
        .iter()
        .map(|entry| entry["code"].as_str().unwrap().to_owned())
        .collect();
    let first_poll = call(&platform, "GET", "/upbit_data", "");
    let buys = [0, 1, 2].map(|i| price_of(first_poll.body.as_array().unwrap(), &coins[i]));

    // The trading window: one poll a second, 30 of them.
    let mut last_poll = first_poll.body.clone();
    for _ in 0..30 {
        std::thread::sleep(Duration::from_secs(1));
        let poll = call(&platform, "GET", "/upbit_data", "");
        assert_eq!(poll.status, 200, "{}", poll.body);
        assert_eq!(poll.body.as_array().unwrap().len(), 9);
        last_poll = poll.body;
    }
    let sells = [0, 1, 2].map(|i| price_of(last_poll.as_array().unwrap(), &coins[i]));
    let leverage = 10.0;
    let balance = frontend_balance(&buys, &sells, leverage);

    // The end of the game: the frontend's own body with this game's choices.
    let mut record: Value = serde_json::from_str(FRONTEND_RECORD).unwrap();
    assert!(
        record.get("userNickname").is_none(),
        "the fixture is the no-e-mail body"
    );
    let user_name = record["userName"].as_str().unwrap().to_owned();
    let affiliation = record["userAffiliation"].as_str().unwrap().to_owned();
    record["coins"] = json!(
        coins
            .iter()
            .map(|c| frontend_coin_id(c))
            .collect::<Vec<_>>()
    );
    record["deeplearningData"] = hints.body.clone();
    record["leverage"] = json!(leverage);
    for (index, coin) in coins.iter().enumerate() {
        let stage = index + 1;
        record[format!("userBuyCoinMoney_{stage}")] =
            json!({"coin": frontend_coin_id(coin), "money": STAKES_KRW[index]});
        record[format!("userSellTime_{stage}")] =
            json!({"coin": frontend_coin_id(coin), "time": 60 - 10 * index});
    }
    record["balance"] = json!(balance);
    let accepted = call(&platform, "POST", "/set_click_stream", &record.to_string());
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    assert_eq!(accepted.body["message"], "accepted");
    assert!(accepted.body["event_id"].is_string());

    // Leaving the result screen: the session's best balance goes to the leaderboard.
    let best = balance.max(START_BALANCE_KRW);
    let preflight = call(&platform, "OPTIONS", "/set_user_data", "");
    assert_eq!(preflight.status, 204);
    let score = json!({
        "name": user_name,
        "affiliation": affiliation,
        "coin_1": coins[0],
        "coin_2": coins[1],
        "coin_3": coins[2],
        "balance": best,
    });
    let stored = call(&platform, "POST", "/set_user_data", &score.to_string());
    assert_eq!(stored.status, 200, "{}", stored.body);
    assert!(stored.body["message"].is_string());

    // The rank page: the affiliation filter, then everyone, then the player's own affiliation.
    let list = call(&platform, "GET", "/get_affiliation_list", "");
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.body["message"].is_string());
    assert!(
        list.body["affiliation"]
            .as_array()
            .unwrap()
            .contains(&json!(affiliation)),
        "{}",
        list.body
    );
    let encoded: String = url_encode(&affiliation);
    for query in ["all".to_owned(), encoded] {
        let ranking = call(
            &platform,
            "GET",
            &format!("/get_user_data?affiliation={query}"),
            "",
        );
        assert_eq!(ranking.status, 200, "{query}: {}", ranking.body);
        assert!(ranking.body["message"].is_string());
        let rows = ranking.body["data"].as_array().unwrap();
        let balances: Vec<i64> = rows
            .iter()
            .map(|r| r["balance"].as_i64().unwrap())
            .collect();
        assert!(
            balances.windows(2).all(|w| w[0] >= w[1]),
            "sorted: {balances:?}"
        );
        let position = rows
            .iter()
            .position(|row| row["name"] == json!(user_name))
            .unwrap_or_else(|| panic!("{query}: the player's row is missing: {rows:?}"));
        let row = &rows[position];
        let fields: BTreeSet<&str> = row
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            fields,
            BTreeSet::from([
                "affiliation",
                "balance",
                "coin_1",
                "coin_2",
                "coin_3",
                "name",
                "nickname"
            ])
        );
        assert_eq!(row["affiliation"], json!(affiliation));
        assert_eq!(row["nickname"], "");
        assert_eq!(row["coin_1"], json!(coins[0]));
        assert_eq!(row["balance"].as_i64().unwrap(), best.floor() as i64);
        // The page shows index + 1 as the rank: nobody above the player has a lower balance.
        let rank = position + 1;
        assert!(
            rows[..rank - 1]
                .iter()
                .all(|r| r["balance"].as_i64() >= row["balance"].as_i64())
        );
    }

    // The analysis page, after the next analysis run has counted the game.
    let deadline = Instant::now() + Duration::from_secs(30);
    let analysis = loop {
        let answer = call(&platform, "GET", "/get_user_analysis", "");
        if answer.status == 200 {
            let counted: u64 = answer.body["leverage_ratio"]
                .as_array()
                .unwrap()
                .iter()
                .map(|entry| entry["count"].as_u64().unwrap())
                .sum();
            if counted == 1 {
                break answer.body;
            }
        }
        assert!(
            Instant::now() < deadline,
            "the game was not analysed within 30 s"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(analysis.as_object().unwrap().len(), 13, "{analysis}");
    let leverage_ten = analysis["leverage_ratio"]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["leverage"] == 10)
        .unwrap()
        .clone();
    assert_eq!(leverage_ten["count"], 1);
    let coins_counted: BTreeSet<String> = analysis["coin_ratio"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["coin"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(coins_counted, coins.iter().cloned().collect());
    let mine = call(
        &platform,
        "GET",
        &format!("/users/{}/analysis", url_encode(&user_name)),
        "",
    );
    assert_eq!(mine.status, 200, "{}", mine.body);
    assert_eq!(mine.body["games"], 1);

    // Stopped, the platform leaves the game's market data in the lake for `coinking train`:
    // every game market's minutes of the session (the last one written as it stood).
    let mut platform = platform;
    let stopped = stop(&mut platform.child, Duration::from_secs(25));
    assert!(
        stopped.success(),
        "coinking up did not stop cleanly: {stopped}"
    );
    let recorded = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let market_lake = Lake::open(lake.path().to_str().unwrap()).unwrap();
        let now_ms = i64::try_from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis(),
        )
        .unwrap();
        let mut recorded = Vec::new();
        for market in &markets {
            let candles = read_candles(&market_lake, market, now_ms - 3_600_000, now_ms + 60_000)
                .await
                .unwrap();
            recorded.push((market.clone(), candles));
        }
        recorded
    });
    for (market, candles) in recorded {
        assert!(!candles.is_empty(), "{market}: no minute in the lake");
        assert!(
            candles.iter().all(|c| c.low <= c.open && c.open <= c.high),
            "{market}: {candles:?}"
        );
    }
}

/// SIGTERM, then the exit status (the platform drains within its limits).
fn stop(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "no exit within {limit:?} of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_players_e_mail_reaches_no_file_and_no_answer() {
    let lake = tempfile::tempdir().unwrap();
    let platform = start(lake.path());
    wait_for_prices(&platform);
    let e_mail = "prize.winner@example.com";

    let mut record: Value = serde_json::from_str(FRONTEND_RECORD).unwrap();
    record["userNickname"] = json!(e_mail);
    let accepted = call(&platform, "POST", "/set_click_stream", &record.to_string());
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    let score = json!({
        "name": record["userName"],
        "affiliation": record["userAffiliation"],
        "nickname": e_mail,
        "coin_1": "KRW-BTC",
        "coin_2": "KRW-ETH",
        "coin_3": "KRW-DOGE",
        "balance": START_BALANCE_KRW,
    });
    let stored = call(&platform, "POST", "/set_user_data", &score.to_string());
    assert_eq!(stored.status, 200, "{}", stored.body);

    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let answer = call(&platform, "GET", "/get_user_analysis", "");
        let counted = answer.body["leverage_ratio"].as_array().map(|entries| {
            entries
                .iter()
                .filter_map(|e| e["count"].as_u64())
                .sum::<u64>()
        });
        if counted == Some(1) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the game was not analysed within 30 s"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    for path in [
        "/get_user_data?affiliation=all",
        "/get_the_best_user_data",
        "/get_user_analysis",
    ] {
        let answer = call(&platform, "GET", path, "");
        assert_eq!(answer.status, 200, "{path}: {}", answer.body);
        assert!(
            !answer.body.to_string().contains(e_mail),
            "{path}: {}",
            answer.body
        );
    }
    // Stopped first: every file is complete (none being written or renamed while read).
    let mut platform = platform;
    let stopped = stop(&mut platform.child, Duration::from_secs(25));
    assert!(
        stopped.success(),
        "coinking up did not stop cleanly: {stopped}"
    );
    for file in files_under(lake.path()) {
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !bytes.windows(e_mail.len()).any(|w| w == e_mail.as_bytes()),
            "{} holds the e-mail",
            file.display()
        );
    }
}

fn files_under(root: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    assert!(!files.is_empty(), "the lake holds files");
    files
}

/// Percent-encodes a query or path value as the browser's `encodeURIComponent` does.
fn url_encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
