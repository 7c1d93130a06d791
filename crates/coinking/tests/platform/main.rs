//! End to end: the built `coinking up` binary as a process, driven over HTTP as the game's
//! frontend drives it. The simulator source is forced, so nothing leaves 127.0.0.1.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command};
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
    let child = coinking_up(address)
        .envs(env.iter().copied())
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

mod answers;
#[path = "../common/mod.rs"]
mod common;
mod serving;

use common::coinking_up;
