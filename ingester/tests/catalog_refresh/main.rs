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

mod source;
mod watcher;
