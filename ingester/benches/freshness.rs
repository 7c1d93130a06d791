//! Freshness, the figure players feel: from an Upbit frame's arrival to its price in
//! `/upbit_data`, p50/p90/p99, through
//! - the local platform's path (`coinking up`: source → transform → in-process bus → stream
//!   stage → in-memory store), and the same with the Redis hot store when
//!   `COINKING_REDIS_URL` is set;
//! - the deployed path: the real `coinking-ingester both` binary (source → Kafka (tansu) →
//!   stream stage → DynamoDB (dynalite)), when `COINKING_KAFKA_BROKERS` and
//!   `COINKING_DYNAMODB_ENDPOINT` are set (`eval "$(bash scripts/services.sh env)"`).
//!
//! An Upbit stand-in on 127.0.0.1 (not the simulator: it must know when each frame left)
//! sends each game market a ticker with a price never used before, one market every 30–90 ms
//! (each market about every 0.5 s, slower than the window, so a price is rarely replaced
//! before it shows), and notes the instant it wrote the frame; a poller calls get-ticker's
//! handler for `/upbit_data` back to back (1 ms apart) over the same store and notes when each
//! price first appears. The figure is that poll's end: what a player's request would see,
//! read time included. Goal: p99 ≤ the coalescing window + 50 ms.
//!
//! `cargo bench -p coinking-ingester --bench freshness [-- --secs 20 --window-ms 250]`

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use coinking_adapters::market_store::{
    CandleReader, CatalogReader, DynamoDbMarketStore, DynamoDbStoreConfig, HintReader, HintWriter,
    InMemoryMarketStore, MarketStore, RedisMarketStore, TickerReader,
};
use coinking_adapters::{AwsSettings, aws};
use coinking_core::market::MarketCode;
use coinking_core::time::now_epoch_ms as now_ms;
use coinking_ingester::embedded::{self, EmbeddedConfig};
use coinking_ingester::hints::HintsSettings;
use coinking_ingester::sources::{DataType, SourceConfig, WireFormat};
use futures_util::{SinkExt, StreamExt};
use get_ticker::{Deps, TickerConfig, handle};
use tokio::net::TcpListener;
use tokio::sync::broadcast;
use tokio_tungstenite::tungstenite::Message;

const EVENT: &str = include_str!("../../events/get-ticker/upbit_data.json");
const WARMUP: Duration = Duration::from_secs(3);
const POLL_GAP: Duration = Duration::from_millis(1);

/// A ticker frame in Upbit's SIMPLE format, from the shipped capture's first line.
fn template() -> serde_json::Value {
    let line = coinking_upbit_sim::SHIPPED_CAPTURE
        .lines()
        .next()
        .expect("the shipped capture has lines");
    let line: serde_json::Value = serde_json::from_str(line).expect("a capture line");
    serde_json::from_str(line["frame"].as_str().expect("a text frame")).expect("a ticker frame")
}

/// The frame giving `market` the price `price` now.
fn frame(template: &serde_json::Value, market: &MarketCode, price: u64) -> Vec<u8> {
    let mut frame = template.clone();
    let now = now_ms();
    for key in ["tp", "op", "hp", "lp", "pcp"] {
        frame[key] = serde_json::json!(price as f64);
    }
    for key in ["cp", "scp", "cr", "scr"] {
        frame[key] = serde_json::json!(0.0);
    }
    frame["c"] = serde_json::json!("EVEN");
    frame["cd"] = serde_json::json!(market.as_str());
    frame["ttms"] = serde_json::json!(now);
    frame["tms"] = serde_json::json!(now);
    frame["st"] = serde_json::json!("REALTIME");
    serde_json::to_vec(&frame).expect("JSON")
}

/// The Upbit stand-in: every connection gets every frame of the broadcast; `PING` answered.
async fn serve_upbit(listener: TcpListener, frames: broadcast::Sender<Vec<u8>>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let mut frames = frames.subscribe();
        tokio::spawn(async move {
            let Ok(socket) = tokio_tungstenite::accept_async(stream).await else {
                return;
            };
            let (mut write, mut read) = socket.split();
            let (pong_tx, mut pong_rx) = tokio::sync::mpsc::channel::<()>(8);
            tokio::spawn(async move {
                while let Some(Ok(message)) = read.next().await {
                    if message.to_text().is_ok_and(|text| text == "PING") {
                        let _ = pong_tx.send(()).await;
                    }
                }
            });
            loop {
                let message = tokio::select! {
                    frame = frames.recv() => match frame {
                        Ok(frame) => Message::Binary(frame.into()),
                        Err(broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(broadcast::error::RecvError::Closed) => return,
                    },
                    Some(()) = pong_rx.recv() => Message::Binary(br#"{"status":"UP"}"#.to_vec().into()),
                };
                if write.send(message).await.is_err() {
                    return;
                }
            }
        });
    }
}

/// Prices sent and not yet seen, per market, oldest first.
type Pending = Arc<Mutex<HashMap<String, Vec<(u64, Instant)>>>>;

#[derive(Default)]
struct Outcome {
    /// Per price: until it, or a newer price of its market, showed.
    latencies: Vec<Duration>,
    /// Replaced by the market's next price before any poll saw it (its latency is when the
    /// newer one showed: the data was at least that fresh then).
    superseded: usize,
    /// Still unseen at the end.
    unseen: usize,
    /// How long each `/upbit_data` call took: the read's share of every latency.
    reads: Vec<Duration>,
}

/// Sends a price to one market after another until `until`; notes each in `pending`,
/// counting a price replaced before it was seen.
async fn send_prices(
    frames: broadcast::Sender<Vec<u8>>,
    markets: Vec<MarketCode>,
    pending: Pending,
    measure_from: Instant,
    until: Instant,
) -> usize {
    let template = template();
    let mut rng = fastrand::Rng::with_seed(7);
    let mut price = 1_000_u64;
    let mut superseded = 0;
    let mut index = 0;
    while Instant::now() < until {
        let market = &markets[index % markets.len()];
        index += 1;
        price += 1;
        let bytes = frame(&template, market, price);
        {
            let mut pending = pending.lock().expect("pending");
            // The write to the socket is microseconds on loopback; the instant is taken
            // just before handing the frame over.
            let sent = Instant::now();
            let _ = frames.send(bytes);
            let queue = pending.entry(market.as_str().to_owned()).or_default();
            superseded += queue.iter().filter(|(_, at)| *at >= measure_from).count();
            queue.push((price, sent));
        }
        tokio::time::sleep(Duration::from_millis(rng.u64(30..=90))).await;
    }
    superseded
}

/// Polls `/upbit_data` over `store` until `until`, recording when each pending price shows.
async fn poll_prices<S>(
    deps: &Deps<S>,
    pending: Pending,
    measure_from: Instant,
    until: Instant,
) -> Outcome
where
    S: TickerReader + CandleReader + CatalogReader + HintReader + HintWriter,
{
    let mut outcome = Outcome::default();
    while Instant::now() < until {
        let request = lambda_http::request::from_str(EVENT).expect("the fixture parses");
        let started = Instant::now();
        let response = handle(deps, request).await;
        let seen_at = Instant::now();
        outcome.reads.push(seen_at - started);
        if response.status() == 200 {
            let body: serde_json::Value =
                serde_json::from_slice(response.body().as_ref()).unwrap_or_default();
            let mut pending = pending.lock().expect("pending");
            for row in body.as_array().into_iter().flatten() {
                let (Some(code), Some(price)) = (row["code"].as_str(), row["trade_price"].as_f64())
                else {
                    continue;
                };
                let Some(queue) = pending.get_mut(code) else {
                    continue;
                };
                // Prices only rise, so this price shows every queued one up to it.
                queue.retain(|(sent_price, sent)| {
                    let shown = (*sent_price as f64) <= price;
                    if shown && *sent >= measure_from {
                        outcome.latencies.push(seen_at - *sent);
                    }
                    !shown
                });
            }
        }
        tokio::time::sleep(POLL_GAP).await;
    }
    outcome.unseen = pending
        .lock()
        .expect("pending")
        .values()
        .flatten()
        .filter(|(_, sent)| *sent >= measure_from)
        .count();
    outcome
}

/// Runs the stand-in, the sender and the poller for `secs` after the warm-up.
async fn measure<S>(deps: &Deps<S>, frames: broadcast::Sender<Vec<u8>>, secs: u64) -> Outcome
where
    S: TickerReader + CandleReader + CatalogReader + HintReader + HintWriter,
{
    let pending: Pending = Arc::default();
    let measure_from = Instant::now() + WARMUP;
    let until = measure_from + Duration::from_secs(secs);
    let sender = tokio::spawn(send_prices(
        frames,
        MarketCode::default_game_markets(),
        Arc::clone(&pending),
        measure_from,
        until,
    ));
    // The poller runs a little longer so the last prices can show.
    let mut outcome =
        poll_prices(deps, pending, measure_from, until + Duration::from_secs(2)).await;
    outcome.superseded = sender.await.expect("the sender");
    outcome
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn report(path: &str, window: Duration, mut outcome: Outcome) {
    outcome.latencies.sort();
    outcome.reads.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let p99 = percentile(&outcome.latencies, 0.99);
    let goal = window + Duration::from_millis(50);
    println!(
        "| {path} | {} | {} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} / {:.1} | {} |",
        outcome.latencies.len(),
        outcome.superseded,
        outcome.unseen,
        ms(percentile(&outcome.latencies, 0.50)),
        ms(percentile(&outcome.latencies, 0.90)),
        ms(p99),
        ms(outcome.latencies.last().copied().unwrap_or_default()),
        ms(percentile(&outcome.reads, 0.50)),
        ms(percentile(&outcome.reads, 0.99)),
        if outcome.latencies.is_empty() {
            "no data"
        } else if p99 <= goal {
            "met"
        } else {
            "missed"
        }
    );
}

struct Args {
    secs: u64,
    window: Duration,
}

fn args() -> Args {
    let mut parsed = Args {
        secs: 20,
        window: Duration::from_millis(250),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().and_then(|v| v.parse::<u64>().ok());
        match arg.as_str() {
            "--secs" => parsed.secs = value().expect("--secs N"),
            "--window-ms" => parsed.window = Duration::from_millis(value().expect("--window-ms N")),
            _ => {} // cargo bench passes `--bench`
        }
    }
    parsed
}

fn source_config(url: String) -> SourceConfig {
    SourceConfig {
        url,
        format: WireFormat::Simple,
        types: vec![DataType::Ticker],
        ..SourceConfig::default()
    }
}

/// The local platform's ingest (`coinking up`) over `store`.
async fn in_process<S>(store: S, window: Duration, secs: u64) -> Outcome
where
    S: MarketStore + HintWriter + HintReader + Clone + 'static,
{
    let (frames, _) = broadcast::channel(1024);
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let url = format!(
        "ws://{}/websocket/v1",
        listener.local_addr().expect("address")
    );
    let server = tokio::spawn(serve_upbit(listener, frames.clone()));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let config = EmbeddedConfig {
        source: source_config(url),
        window,
        hints: HintsSettings {
            enabled: false,
            ..HintsSettings::default()
        },
        ..EmbeddedConfig::default()
    };
    let ingest = tokio::spawn(embedded::run(config, store.clone(), async move {
        let _ = stopped.await;
    }));
    let deps = Deps::new(store, TickerConfig::default());
    let outcome = measure(&deps, frames, secs).await;
    let _ = stop.send(());
    let _ = ingest.await;
    server.abort();
    outcome
}

/// The deployed path: the real binary, Kafka and DynamoDB stand-ins.
async fn kafka_dynamodb(brokers: &str, window: Duration, secs: u64) -> Outcome {
    let settings = AwsSettings::from_env().expect("AWS settings");
    let sdk = aws::sdk_config(&settings).await;
    let client = aws::dynamodb_client(&sdk, &settings);
    let id = uuid::Uuid::new_v4().simple().to_string();
    let table = format!("bench-fresh-{id}");
    let (frames, _) = broadcast::channel(1024);
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let address: SocketAddr = listener.local_addr().expect("address");
    let server = tokio::spawn(serve_upbit(listener, frames.clone()));
    let dir = tempfile::tempdir().expect("a temp dir");
    let config = format!(
        "[kafka]\nticker_topic = \"bench-ticker-{id}\"\ndlq_topic = \"bench-dlq-{id}\"\ngroup_id = \"bench-{id}\"\n\
         [stream]\ntable = \"{table}\"\nwindow_ms = {}\n[catalog]\nfetch = false\n[hints]\nenabled = false\n\
         [source]\nurl = \"ws://{address}/websocket/v1\"\nformat = \"SIMPLE\"\n",
        window.as_millis()
    );
    std::fs::write(dir.path().join("ingester.toml"), config).expect("the config");
    let mut child = spawn_ingester(dir.path(), brokers);
    let store = DynamoDbMarketStore::new(
        client.clone(),
        DynamoDbStoreConfig {
            table: table.clone(),
            ..DynamoDbStoreConfig::default()
        },
    );
    // Until the binary has made its table and topic and the first prices show.
    let ready = Instant::now() + Duration::from_secs(60);
    let deps = Deps::new(store, TickerConfig::default());
    let warm = measure_warm(&deps, &frames, ready).await;
    let outcome = if warm {
        measure(&deps, frames, secs).await
    } else {
        eprintln!(
            "the ingester binary did not serve prices within 60 s; see {}",
            dir.path().display()
        );
        Outcome::default()
    };
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    let _ = client.delete_table().table_name(&table).send().await;
    server.abort();
    outcome
}

/// Sends prices until one shows in `/upbit_data` (or `deadline`).
async fn measure_warm<S>(
    deps: &Deps<S>,
    frames: &broadcast::Sender<Vec<u8>>,
    deadline: Instant,
) -> bool
where
    S: TickerReader + CandleReader + CatalogReader + HintReader + HintWriter,
{
    let template = template();
    let market = MarketCode::default_game_markets()[0].clone();
    let mut price = 500_u64;
    while Instant::now() < deadline {
        price += 1;
        let _ = frames.send(frame(&template, &market, price));
        tokio::time::sleep(Duration::from_millis(200)).await;
        let request = lambda_http::request::from_str(EVENT).expect("the fixture parses");
        let response = handle(deps, request).await;
        if response.status() == 200
            && String::from_utf8_lossy(response.body().as_ref()).contains(market.as_str())
        {
            return true;
        }
    }
    false
}

fn spawn_ingester(dir: &Path, brokers: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_coinking-ingester"))
        .args(["--config", &dir.join("ingester.toml").display().to_string()])
        .args(["--log-format", "json", "both", "--source", "upbit"])
        .env("COINKING_KAFKA_BROKERS", brokers)
        .env("COINKING_HTTP_LISTEN", "127.0.0.1:0")
        .env_remove("COINKING_REDIS_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("ingester.log")).expect("a log file"))
        .spawn()
        .expect("the coinking-ingester binary")
}

fn main() {
    let args = args();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    println!(
        "Freshness: Upbit frame written → price in /upbit_data (poll end), window {} ms, {} s per path; goal p99 ≤ {} ms",
        args.window.as_millis(),
        args.secs,
        args.window.as_millis() + 50
    );
    println!(
        "| path | prices seen | superseded | unseen | p50 ms | p90 ms | p99 ms | max ms | read p50 / p99 ms | goal |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let outcome = runtime.block_on(in_process(
        InMemoryMarketStore::new(),
        args.window,
        args.secs,
    ));
    report(
        "in-process bus → memory (`coinking up`)",
        args.window,
        outcome,
    );
    match std::env::var("COINKING_REDIS_URL") {
        Ok(url) => {
            let outcome = runtime.block_on(async {
                let connection = coinking_adapters::redis_client::connect(&url)
                    .await
                    .expect("Redis at COINKING_REDIS_URL");
                let prefix = format!("bench-fresh-{}", uuid::Uuid::new_v4().simple());
                let store = RedisMarketStore::new(connection, &prefix);
                in_process(store, args.window, args.secs).await
            });
            report(
                "in-process bus → Redis (`coinking up --store redis`)",
                args.window,
                outcome,
            );
        }
        Err(_) => println!("Redis: skipped (COINKING_REDIS_URL unset; scripts/services.sh up)"),
    }
    match (
        std::env::var("COINKING_KAFKA_BROKERS"),
        std::env::var("COINKING_DYNAMODB_ENDPOINT"),
    ) {
        (Ok(brokers), Ok(_)) => {
            let outcome = runtime.block_on(kafka_dynamodb(&brokers, args.window, args.secs));
            report(
                "ingester binary → Kafka (tansu) → DynamoDB (dynalite)",
                args.window,
                outcome,
            );
        }
        _ => println!(
            "Kafka + DynamoDB: skipped (COINKING_KAFKA_BROKERS / COINKING_DYNAMODB_ENDPOINT unset; scripts/services.sh up)"
        ),
    }
}
