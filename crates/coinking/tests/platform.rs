//! End to end: the built `coinking up` binary as a process, driven over HTTP as the game's
//! frontend drives it. The simulator source is forced, so nothing leaves 127.0.0.1.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use coinking_core::catalog::Catalog;
use coinking_core::market::{DEFAULT_GAME_MARKETS, MarketCode};
use serde_json::Value;

const CONTRACT_FIELDS: [&str; 10] = [
    "change",
    "change_price",
    "change_rate",
    "code",
    "coin_name",
    "high_price",
    "low_price",
    "timestamp",
    "trade_price",
    "trade_timestamp",
];

/// The platform process; killed when the test ends, whatever the outcome.
struct Platform {
    child: Child,
    address: SocketAddr,
    started: Instant,
}

impl Drop for Platform {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_platform() -> Platform {
    start_platform_with(&[])
}

/// `coinking up` with the embedded defaults plus `env` (e.g. a CORS origin list).
fn start_platform_with(env: &[(&str, &str)]) -> Platform {
    let address: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let started = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_coinking"))
        .args([
            "up",
            "--source",
            "simulator",
            "--listen",
            &address.to_string(),
        ])
        // The embedded defaults, whatever the developer's shell exports.
        .env_remove("COINKING_DYNAMODB_ENDPOINT")
        .env_remove("COINKING_MARKET_STORE")
        .env_remove("COINKING_GAME_MARKETS")
        .env_remove("COINKING_CORS_ORIGINS")
        .env_remove("COINKING_KAFKA_BROKERS")
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    Platform {
        child,
        address,
        started,
    }
}

struct HttpResponse {
    status: u16,
    headers: BTreeMap<String, String>,
    body: String,
}

/// One HTTP/1.1 GET with `Connection: close`, as a browser's fetch would send it.
fn get(address: SocketAddr, path: &str) -> std::io::Result<HttpResponse> {
    send(address, "GET", path, "")
}

fn send(
    address: SocketAddr,
    method: &str,
    path: &str,
    extra_headers: &str,
) -> std::io::Result<HttpResponse> {
    send_from(
        address,
        "http://localhost:5173",
        method,
        path,
        extra_headers,
    )
}

/// One request from a page served at `origin` (the `Origin` header a browser adds).
fn send_from(
    address: SocketAddr,
    origin: &str,
    method: &str,
    path: &str,
    extra_headers: &str,
) -> std::io::Result<HttpResponse> {
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(1))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nOrigin: {origin}\r\nAccept: application/json\r\n{extra_headers}Content-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8(raw).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|line| line.split_once(": "))
        .map(|(name, value)| (name.to_ascii_lowercase(), value.to_owned()))
        .collect();
    Ok(HttpResponse {
        status,
        headers,
        body: body.to_owned(),
    })
}

/// Checks one `/upbit_data` answer against the contract; returns its elements.
fn check_contract(response: &HttpResponse) -> Vec<serde_json::Map<String, Value>> {
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.headers["content-type"], "application/json");
    assert_eq!(response.headers["access-control-allow-origin"], "*");
    let body: Value = serde_json::from_str(&response.body).unwrap();
    let mut items = Vec::new();
    for item in body.as_array().expect("a JSON array") {
        let fields = item.as_object().unwrap().clone();
        let keys: Vec<&str> = fields.keys().map(String::as_str).collect();
        assert_eq!(keys, CONTRACT_FIELDS, "exactly the contract's fields");
        for number in [
            "trade_price",
            "high_price",
            "low_price",
            "change_price",
            "change_rate",
        ] {
            assert!(fields[number].is_number(), "{number}: {item}");
        }
        for integer in ["timestamp", "trade_timestamp"] {
            assert!(fields[integer].is_i64(), "{integer}: {item}");
        }
        for text in ["code", "coin_name", "change"] {
            assert!(fields[text].is_string(), "{text}: {item}");
        }
        assert!(["RISE", "EVEN", "FALL"].contains(&fields["change"].as_str().unwrap()));
        items.push(fields);
    }
    items
}

/// Polls until `/upbit_data` lists every game market (or `deadline` passes).
fn wait_until_serving(platform: &Platform, deadline: Duration) {
    while platform.started.elapsed() < deadline {
        let listed = get(platform.address, "/upbit_data")
            .ok()
            .filter(|r| r.status == 200)
            .and_then(|r| serde_json::from_str::<Value>(&r.body).ok())
            .and_then(|body| body.as_array().map(Vec::len));
        if listed == Some(DEFAULT_GAME_MARKETS.len()) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("coinking up did not answer within {deadline:?}");
}

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

#[test]
fn modern_routes_and_errors_are_served_by_the_same_handler() {
    let platform = start_platform();
    wait_until_serving(&platform, Duration::from_secs(10));

    let ticker = get(platform.address, "/tickers/KRW-BTC").unwrap();
    assert_eq!(ticker.status, 200, "{}", ticker.body);
    let body: Value = serde_json::from_str(&ticker.body).unwrap();
    assert_eq!(body["market"], "KRW-BTC");
    assert!(body["trade_price"].is_string(), "exact decimal text");
    let age: i64 = ticker.headers["x-data-age-ms"].parse().unwrap();
    assert!(
        age < 60_000,
        "replayed times are shifted to now: age {age} ms"
    );

    let candles = get(platform.address, "/tickers/KRW-BTC/candles?limit=5").unwrap();
    assert_eq!(candles.status, 200, "{}", candles.body);

    let bad = get(platform.address, "/tickers/KRW-BTC/candles?limit=0").unwrap();
    assert_eq!(bad.status, 400);
    assert_eq!(
        bad.body,
        r#"{"error":{"code":"invalid_parameter","message":"limit: must be an integer from 1 to 1440"}}"#
    );
    let missing = get(platform.address, "/no/such/route").unwrap();
    assert_eq!(missing.status, 404);
    let wrong_method = send(platform.address, "POST", "/upbit_data", "").unwrap();
    assert_eq!(wrong_method.status, 405, "{}", wrong_method.body);
    assert_eq!(wrong_method.headers["allow"], "GET, OPTIONS");
}

#[test]
fn the_cors_preflight_is_answered_like_the_http_api_cors_configuration() {
    let platform = start_platform();
    wait_until_serving(&platform, Duration::from_secs(10));

    let preflight = send(
        platform.address,
        "OPTIONS",
        "/upbit_data",
        "Access-Control-Request-Method: GET\r\n",
    )
    .unwrap();

    assert_eq!(preflight.status, 204);
    assert_eq!(preflight.headers["access-control-allow-origin"], "*");
    assert!(preflight.headers["access-control-allow-methods"].contains("GET"));
    assert_eq!(preflight.headers["access-control-max-age"], "600");
}

#[test]
fn every_answer_carries_the_one_cors_policy_errors_and_404_included() {
    let game = "http://localhost:5173";
    let platform = start_platform_with(&[("COINKING_CORS_ORIGINS", game)]);
    wait_until_serving(&platform, Duration::from_secs(10));

    for (method, path, status) in [
        ("GET", "/upbit_data", 200),
        ("GET", "/no/such/route", 404),
        ("POST", "/upbit_data", 405),
        ("GET", "/tickers/KRW-BTC/candles?limit=0", 400),
        ("POST", "/set_click_stream", 400),
        ("GET", "/get_user_analysis", 200),
    ] {
        let answer = send_from(platform.address, game, method, path, "").unwrap();
        assert_eq!(answer.status, status, "{method} {path}: {}", answer.body);
        assert_eq!(
            answer
                .headers
                .get("access-control-allow-origin")
                .map(String::as_str),
            Some(game),
            "{method} {path} ({status})"
        );
        assert_eq!(answer.headers["vary"], "Origin", "{method} {path}");
        if status >= 400 {
            let body: Value = serde_json::from_str(&answer.body).unwrap();
            assert!(body["error"]["code"].is_string(), "{method} {path}: {body}");
        }
    }

    let stranger = send_from(
        platform.address,
        "https://evil.example",
        "GET",
        "/upbit_data",
        "",
    )
    .unwrap();
    assert_eq!(stranger.status, 200);
    assert!(
        stranger
            .headers
            .keys()
            .all(|name| !name.starts_with("access-control-")),
        "a disallowed origin gets no CORS headers: {:?}",
        stranger.headers
    );
}

/// Writes `request` as raw bytes (what a client may really send) and reads the answer.
fn send_raw(address: SocketAddr, request: &[u8]) -> HttpResponse {
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(1)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    // The server may answer and close before reading everything (a 431): ignore that error.
    let _ = stream.write_all(request);
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    parse_answer(&raw)
}

fn parse_answer(raw: &[u8]) -> HttpResponse {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|status| status.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|line| line.split_once(": "))
        .map(|(name, value)| (name.to_ascii_lowercase(), value.to_owned()))
        .collect();
    HttpResponse {
        status,
        headers,
        body: body.to_owned(),
    }
}

#[test]
fn requests_refused_before_routing_get_the_json_error_and_cors_too() {
    let game = "http://localhost:5173";
    let platform = start_platform_with(&[("COINKING_CORS_ORIGINS", game)]);
    wait_until_serving(&platform, Duration::from_secs(10));
    let origin = format!("Origin: {game}\r\n");
    let many_headers: String = (0..200).map(|i| format!("X-Header-{i}: a\r\n")).collect();
    let cases: [(&str, Vec<u8>, u16, &str); 7] = [
        (
            "a path that is not UTF-8",
            [
                &b"GET /users/\xff\xfe/analysis HTTP/1.1\r\nHost: x\r\n"[..],
                origin.as_bytes(),
                b"Connection: close\r\n\r\n",
            ]
            .concat(),
            400,
            "bad_request",
        ),
        (
            "a 70 KB URI",
            format!(
                "GET /upbit_data?x={} HTTP/1.1\r\nHost: x\r\n{origin}Connection: close\r\n\r\n",
                "a".repeat(70_000)
            )
            .into_bytes(),
            414,
            "uri_too_long",
        ),
        (
            "a 500 KB header",
            format!(
                "GET /upbit_data HTTP/1.1\r\nHost: x\r\n{origin}X-Big: {}\r\nConnection: close\r\n\r\n",
                "a".repeat(500_000)
            )
            .into_bytes(),
            431,
            "headers_too_large",
        ),
        (
            "an 11 KB URI (API Gateway's 10,240-byte head limit)",
            format!(
                "GET /upbit_data?x={} HTTP/1.1\r\nHost: x\r\n{origin}Connection: close\r\n\r\n",
                "a".repeat(11_000)
            )
            .into_bytes(),
            414,
            "uri_too_long",
        ),
        (
            "a 12 KB header (API Gateway's 10,240-byte head limit)",
            format!(
                "GET /upbit_data HTTP/1.1\r\nHost: x\r\n{origin}X-Big: {}\r\nConnection: close\r\n\r\n",
                "a".repeat(12_000)
            )
            .into_bytes(),
            431,
            "headers_too_large",
        ),
        (
            "200 headers",
            format!(
                "GET /upbit_data HTTP/1.1\r\nHost: x\r\n{origin}{many_headers}Connection: close\r\n\r\n"
            )
            .into_bytes(),
            431,
            "headers_too_large",
        ),
        (
            "a 7 MB body (refused on its declared length)",
            format!(
                "POST /set_click_stream HTTP/1.1\r\nHost: x\r\n{origin}Content-Type: application/json\r\nContent-Length: 7000000\r\nConnection: close\r\n\r\n"
            )
            .into_bytes(),
            413,
            "body_too_large",
        ),
    ];
    for (what, request, status, code) in cases {
        let answer = send_raw(platform.address, &request);
        assert_eq!(answer.status, status, "{what}: {}", answer.body);
        assert_eq!(
            answer.headers.get("content-type").map(String::as_str),
            Some("application/json"),
            "{what}"
        );
        assert_eq!(
            answer
                .headers
                .get("access-control-allow-origin")
                .map(String::as_str),
            Some(game),
            "{what}: {:?}",
            answer.headers
        );
        let body: Value = serde_json::from_str(&answer.body).unwrap();
        assert_eq!(body["error"]["code"], code, "{what}: {body}");
    }

    // Kept alive: a good request, then one hyper refuses, on the same connection.
    let mut stream = TcpStream::connect_timeout(&platform.address, Duration::from_secs(1)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    write!(
        stream,
        "GET /upbit_data HTTP/1.1\r\nHost: x\r\n{origin}\r\n"
    )
    .unwrap();
    stream
        .write_all(
            &[
                &b"GET /upbit_data\xff HTTP/1.1\r\nHost: x\r\n"[..],
                origin.as_bytes(),
                b"\r\n",
            ]
            .concat(),
        )
        .unwrap();
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw);
    // The second answer starts right after the first one's body (a JSON array).
    let second = 1 + text[1..].find("HTTP/1.1 ").unwrap();
    assert!(text.starts_with("HTTP/1.1 200 "), "{text:.200}");
    let refused = parse_answer(&raw[second..]);
    assert_eq!(refused.status, 400);
    assert_eq!(refused.headers["access-control-allow-origin"], game);
    let body: Value = serde_json::from_str(&refused.body).unwrap();
    assert_eq!(body["error"]["code"], "bad_request");
}

#[test]
fn every_route_that_takes_a_body_answers_its_preflight() {
    let game = "http://localhost:5173";
    let platform = start_platform_with(&[("COINKING_CORS_ORIGINS", game)]);
    wait_until_serving(&platform, Duration::from_secs(10));

    for path in [
        "/set_click_stream",
        "/set_click_stream/batch",
        "/set_user_data",
        "/set_deeplearning",
    ] {
        let preflight = send_from(
            platform.address,
            game,
            "OPTIONS",
            path,
            "Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type\r\n",
        )
        .unwrap();
        assert_eq!(preflight.status, 204, "{path}");
        assert_eq!(
            preflight.headers["access-control-allow-origin"], game,
            "{path}"
        );
        assert!(
            preflight.headers["access-control-allow-methods"].contains("POST"),
            "{path}"
        );
        assert!(
            preflight.headers["access-control-allow-headers"].contains("content-type"),
            "{path}"
        );
    }
}
