//! End to end on one machine: games POSTed to `coinking up` are archived into the lake, the
//! embedded analysis picks them up on its schedule, and `GET /get_user_analysis` and
//! `GET /users/{userName}/analysis` serve the results. `coinking analyze` over the same lake
//! writes the same results.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

mod common;

use common::coinking_up;

/// The frontend's body as the API Gateway test event carries it.
const EVENT: &str = include_str!("../../../events/post-clickstream/valid.json");

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

fn start(lake: &Path, interval_secs: &str) -> Platform {
    let address = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let child = coinking_up(address)
        .arg("--lake-dir")
        .arg(lake)
        .env("COINKING_ANALYSIS_INTERVAL_SECS", interval_secs)
        .spawn()
        .unwrap();
    Platform { child, address }
}

struct Answer {
    status: u16,
    cache_control: Option<String>,
    body: Value,
}

fn request(address: SocketAddr, method: &str, path: &str, body: &str) -> std::io::Result<Answer> {
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(1))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8(raw).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let cache_control = head
        .lines()
        .filter_map(|line| line.split_once(": "))
        .find(|(name, _)| name.eq_ignore_ascii_case("cache-control"))
        .map(|(_, value)| value.to_owned());
    Ok(Answer {
        status,
        cache_control,
        body: serde_json::from_str(body).unwrap_or(Value::Null),
    })
}

/// GET, retrying connection errors until the platform listens (at most 20 s).
fn get(platform: &Platform, path: &str) -> Answer {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match request(platform.address, "GET", path, "") {
            Ok(answer) => return answer,
            Err(error) => {
                assert!(Instant::now() < deadline, "platform not serving: {error}");
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

/// The fixture game with some fields replaced.
fn game(user_name: &str, leverage: u32, balance: f64, ai_recommend_1: bool) -> String {
    let event: Value = serde_json::from_str(EVENT).unwrap();
    let mut body: Value = serde_json::from_str(event["body"].as_str().unwrap()).unwrap();
    body["userName"] = json!(user_name);
    body["leverage"] = json!(leverage);
    body["balance"] = json!(balance);
    body["aiRecommend_1"] = json!(ai_recommend_1);
    body.to_string()
}

fn count_of(entries: &Value, key: &str, value: &Value) -> u64 {
    entries
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| &entry[key] == value)
        .unwrap_or_else(|| panic!("no {key}={value} in {entries}"))["count"]
        .as_u64()
        .unwrap()
}

fn close(actual: &Value, expected: f64) -> bool {
    actual
        .as_f64()
        .is_some_and(|a| (a - expected).abs() <= 1e-9 * expected.abs().max(1.0))
}

#[test]
fn posted_games_show_up_in_the_analysis_after_the_next_run_and_analyze_agrees() {
    let lake = tempfile::tempdir().unwrap();
    let platform = start(lake.path(), "1");

    // The first run happens at start, over an empty lake: every result with its empty shape.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let answer = get(&platform, "/get_user_analysis");
        if answer.status == 200 {
            assert_eq!(answer.body["coin_ratio"], json!([]));
            assert_eq!(answer.body["leverage_ratio"].as_array().unwrap().len(), 4);
            break;
        }
        assert_eq!(answer.status, 404, "{}", answer.body);
        assert_eq!(answer.body["error"]["code"], "analysis_not_found");
        assert!(Instant::now() < deadline, "no analysis within 20 s");
        std::thread::sleep(Duration::from_millis(100));
    }

    let games = [
        ("김철수", 10, 1_184_250_000.5, true),
        ("player-two", 100, 2_000_000_000.0, false),
        ("player-two", 100, 1_800_000_000.0, false),
    ];
    for (user, leverage, balance, ai) in games {
        let answer = request(
            platform.address,
            "POST",
            "/set_click_stream",
            &game(user, leverage, balance, ai),
        )
        .unwrap();
        assert_eq!(answer.status, 200, "{}", answer.body);
    }

    // Archiver linger (0.5 s) + the next 1 s tick + the run itself.
    let deadline = Instant::now() + Duration::from_secs(30);
    let analysis = loop {
        let answer = get(&platform, "/get_user_analysis");
        assert_eq!(answer.status, 200, "{}", answer.body);
        let counted: u64 = answer.body["leverage_ratio"]
            .as_array()
            .unwrap()
            .iter()
            .map(|entry| entry["count"].as_u64().unwrap())
            .sum();
        if counted == 3 {
            let max_age = answer.cache_control.unwrap();
            assert_eq!(
                max_age, "public, max-age=1",
                "never cached past the next run"
            );
            break answer.body;
        }
        assert!(
            counted < 3,
            "more games than posted: {}",
            answer.body["leverage_ratio"]
        );
        assert!(Instant::now() < deadline, "games not analysed within 30 s");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(analysis.as_object().unwrap().len(), 13, "the compat keys");
    let leverage = &analysis["leverage_ratio"];
    assert_eq!(count_of(leverage, "leverage", &json!(10)), 1);
    assert_eq!(count_of(leverage, "leverage", &json!(100)), 2);
    assert_eq!(count_of(leverage, "leverage", &json!(1)), 0);
    let ai = &analysis["ai_recommend_1_ratio"];
    assert_eq!(count_of(ai, "aiRecommend_1", &json!(true)), 1);
    assert_eq!(count_of(ai, "aiRecommend_1", &json!(false)), 2);
    let mean = (1_184_250_000.5 + 2_000_000_000.0 + 1_800_000_000.0) / 3.0;
    assert!(
        close(&analysis["avg_balance"]["avg_balance"], mean),
        "{analysis}"
    );
    // Every game picked BTC, ETH and DOGE: three coins, each a third of the picks.
    for entry in analysis["coin_ratio"].as_array().unwrap() {
        assert_eq!(entry["count"], 3, "{entry}");
        assert!(close(&entry["ratio"], 100.0 / 3.0), "{entry}");
    }
    let all = get(&platform, "/get_user_analysis?include=all");
    assert_eq!(all.body.as_object().unwrap().len(), 20);
    assert_eq!(
        get(&platform, "/get_user_analysis?include=some").status,
        400
    );

    let player = get(&platform, "/users/player-two/analysis");
    assert_eq!(player.status, 200, "{}", player.body);
    assert_eq!(player.body["userName"], "player-two");
    assert_eq!(player.body["games"], 2);
    assert!(close(&player.body["best_balance"], 2_000_000_000.0));
    assert!(close(&player.body["avg_balance"], 1_900_000_000.0));
    // Two of the three games are below their best; the other player's best is below theirs.
    assert!(close(&player.body["percentile_games"], 200.0 / 3.0));
    assert!(close(&player.body["percentile_players"], 50.0));
    let korean = get(&platform, "/users/%EA%B9%80%EC%B2%A0%EC%88%98/analysis");
    assert_eq!(korean.status, 200, "{}", korean.body);
    assert_eq!(korean.body["userName"], "김철수");
    assert_eq!(korean.body["games"], 1);
    let unknown = get(&platform, "/users/nobody/analysis");
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.body["error"]["code"], "user_not_found");
    let dots = get(&platform, "/users/%2E%2E/analysis");
    assert_eq!(dots.status, 400);
    assert_eq!(dots.body["error"]["code"], "invalid_user_name");
    drop(platform);

    // `coinking analyze` over the same lake writes the same results (the manifest differs only
    // in its run id and time).
    let out = tempfile::tempdir().unwrap();
    let analyze = Command::new(env!("CARGO_BIN_EXE_coinking"))
        .args(["analyze", "--input"])
        .arg(lake.path())
        .arg("--output")
        .arg(out.path())
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        analyze.status.success(),
        "{}",
        String::from_utf8_lossy(&analyze.stderr)
    );
    let manifest: Value = serde_json::from_slice(&analyze.stdout).unwrap();
    assert_eq!(manifest["game_count"], 3);
    assert_eq!(manifest["player_count"], 2);
    for name in manifest["results"].as_array().unwrap() {
        let file = format!("analysis/{}.json", name.as_str().unwrap());
        assert_eq!(
            std::fs::read(out.path().join(&file)).unwrap(),
            std::fs::read(lake.path().join(&file)).unwrap(),
            "{file}"
        );
    }
}

#[test]
fn without_a_completed_run_the_routes_answer_404_and_the_platform_keeps_serving() {
    let lake = tempfile::tempdir().unwrap();
    // An archive file that is not Parquet: every run fails, so none writes a manifest.
    let partition = lake.path().join("clickstream/dt=2024-11-25/hour=02");
    std::fs::create_dir_all(&partition).unwrap();
    std::fs::write(partition.join("broken.parquet"), b"not parquet").unwrap();
    let platform = start(lake.path(), "1");

    // Several failed ticks later the answer is still the documented 404.
    std::thread::sleep(Duration::from_millis(2500));
    for path in ["/get_user_analysis", "/users/someone/analysis"] {
        let answer = get(&platform, path);
        assert_eq!(answer.status, 404, "{path}: {}", answer.body);
        assert_eq!(answer.body["error"]["code"], "analysis_not_found", "{path}");
        assert_eq!(answer.cache_control.as_deref(), Some("no-store"), "{path}");
    }
    let ticker = get(&platform, "/markets");
    assert_eq!(ticker.status, 200, "other routes unaffected");
}

#[test]
fn analyze_rejects_an_unsupported_location_with_a_nonzero_exit() {
    let analyze = Command::new(env!("CARGO_BIN_EXE_coinking"))
        .args(["analyze", "--input", "ftp://lake", "--output", "out"])
        .output()
        .unwrap();
    assert!(!analyze.status.success());
    let stderr = String::from_utf8_lossy(&analyze.stderr);
    assert!(stderr.contains("--input"), "{stderr}");
    assert!(analyze.stdout.is_empty(), "no manifest on failure");
}

#[test]
fn up_rejects_a_zero_analysis_interval() {
    let lake = tempfile::tempdir().unwrap();
    let mut platform = start(lake.path(), "0");
    let status = platform.child.wait().unwrap();
    assert!(!status.success(), "interval 0 must be refused at start");
}
