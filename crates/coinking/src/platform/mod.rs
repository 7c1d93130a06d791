//! `coinking up`: the whole platform on one machine, serving every Lambda handler on
//! `http://127.0.0.1:3000` with template.yaml's routes.
//!
//! Embedded defaults, each switchable to the real backend by configuration:
//! - market data: Upbit itself when `api.upbit.com` answers within [`UPBIT_PROBE_TIMEOUT`],
//!   otherwise the shipped capture's series (the `gen-capture` default, same seed) timed from
//!   now and replayed, looping, by the built-in Upbit simulator on a loopback port;
//!   `--source upbit|simulator` forces one;
//! - ingest: `coinking_ingester::embedded` (source → transform → in-process bus → stream
//!   stage → hints stage, and the lake stage writing each closed market-minute of ticks and
//!   its candle to `<lake-dir>/market-data/`), the production stages without Kafka;
//!   `/get_deeplearning` serves a warm-up hint set from the first second and fresh hints every
//!   minute, and learned models once `coinking train --lake <lake-dir>` has written some;
//! - store: [`InMemoryMarketStore`]; DynamoDB ([`DynamoDbMarketStore`]) when
//!   `COINKING_DYNAMODB_ENDPOINT` is set or `--store dynamodb`; Redis ([`RedisMarketStore`],
//!   `COINKING_REDIS_URL`) with `--store redis`, the leaderboard too ([`RedisLeaderboard`]).
//! - leaderboard: [`InMemoryLeaderboard`]; with the DynamoDB store also the players table
//!   ([`DynamoDbLeaderboard`], `COINKING_LEADERBOARD_TABLE`, created if missing); the score
//!   bound reads the market store's candles.
//! - clickstream: `POST /set_click_stream` puts records on an in-process queue in place of
//!   Kinesis; the archiver Lambda's own code drains it in batches into `--lake-dir`
//!   (`COINKING_LAKE_DIR`, default `.coinking/lake`) in S3's file layout.
//! - analysis: the embedded engine (`coinking_analytics::run_every`) at start and then every
//!   `--analysis-interval-secs` (`COINKING_ANALYSIS_INTERVAL_SECS`, default 60) over the lake
//!   directory, writing `analysis/` beside `clickstream/` (the bucket layout on AWS, where the
//!   Spark job or the same engine on a schedule writes it); `GET /get_user_analysis` and
//!   `GET /users/{userName}/analysis` read it with the Lambda's `DirReader`.
//!
//! Module map:
//! - [`routes`]: the route table, one entry per template.yaml route, bound to the handlers.
//! - [`server`]: hyper on the loopback port; each request becomes the API Gateway v2 event.
//! - [`json_errors`]: hyper's own refusals (400, 414, 431) answered as the API's JSON errors.

pub mod json_errors;
pub mod routes;
pub mod server;

use std::future::Future;
use std::time::{Duration, Instant};

use std::sync::Arc;

use anyhow::Context;
use clickstream_archiver::{LocalBatching, run_local_archiver};
use coinking_adapters::AwsSettings;
use coinking_adapters::aws::{dynamodb_client, sdk_config};
use coinking_adapters::leaderboard::{
    DynamoDbLeaderboard, InMemoryLeaderboard, Leaderboard, LeaderboardConfig, RedisLeaderboard,
    ensure_leaderboard_table,
};
use coinking_adapters::market_store::{
    DynamoDbMarketStore, DynamoDbStoreConfig, HintReader, HintWriter, InMemoryMarketStore,
    MarketStore, RedisMarketStore, ensure_table,
};
use coinking_adapters::redis_client::REDIS_URL_VARIABLE;
use coinking_analytics::{AnalyzeConfig, Location, run_every};
use coinking_click_sink::queue::click_queue;
use coinking_clickstream::Archiver;
use coinking_core::catalog::Catalog;
use coinking_core::synth::{self, SynthConfig};
use coinking_ingester::embedded::{self, EmbeddedConfig};
use coinking_ingester::hints::HintsSettings;
use coinking_ingester::sources::config::{DEFAULT_REST_BASE_URL, DEFAULT_URL};
use coinking_ingester::sources::{DataType, SourceConfig, fetch_catalog};
use coinking_upbit_sim::{CaptureSource, SimConfig, UpbitSimulator};
use get_ticker::{Deps, TickerConfig};
use get_user_analysis::DirReader;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::cli::{SourceChoice, StoreChoice, UpArgs};
use routes::{Functions, route_table};

/// Records the in-process clickstream queue holds before `POST /set_click_stream` waits.
pub const CLICK_QUEUE_CAPACITY: usize = 10_000;
/// How long shutdown waits for the archiver to write what is queued.
pub const ARCHIVE_DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// The Redis server `--store redis` uses when `COINKING_REDIS_URL` is not set.
pub const DEFAULT_LOCAL_REDIS_URL: &str = "redis://127.0.0.1:6379/";

/// How long `up` waits for Upbit before falling back to the simulator.
pub const UPBIT_PROBE_TIMEOUT: Duration = Duration::from_millis(1500);

/// Where the market data comes from, decided at start.
struct MarketSource {
    url: String,
    catalog: Catalog,
    /// Kept alive while the platform runs.
    simulator: Option<coinking_upbit_sim::RunningSimulator>,
}

pub async fn run(args: UpArgs, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
    let started = Instant::now();
    let ticker_config = TickerConfig::from_env().context("get-ticker configuration")?;
    let aws = AwsSettings::from_env().context("AWS configuration")?;
    if std::env::var_os("COINKING_KAFKA_BROKERS").is_some() {
        tracing::warn!(
            "COINKING_KAFKA_BROKERS is set, but `coinking up` runs the ingester in process (no Kafka); run the ingester binary for the Kafka path"
        );
    }
    let (stop, stopped) = watch::channel(false);
    let source = choose_source(&args, &ticker_config).await?;
    let store_choice = args.store.unwrap_or(if aws.endpoints.dynamodb.is_some() {
        StoreChoice::Dynamodb
    } else {
        StoreChoice::Memory
    });
    let leaderboard_config =
        leaderboard::Config::from_env().context("leaderboard configuration")?;
    let platform = Platform {
        args: &args,
        ticker_config,
        leaderboard_config,
        source,
        started,
        stopped,
    };
    let run = async {
        match store_choice {
            StoreChoice::Memory => {
                tracing::info!(
                    store = "in-memory",
                    "market store: in process (set COINKING_DYNAMODB_ENDPOINT for DynamoDB)"
                );
                platform
                    .run(InMemoryMarketStore::new(), InMemoryLeaderboard::new())
                    .await
            }
            StoreChoice::Dynamodb => {
                let sdk = sdk_config(&aws).await;
                let client = dynamodb_client(&sdk, &aws);
                let mut config = DynamoDbStoreConfig::default();
                if let Some(table) = &platform.ticker_config.market_table {
                    config.table.clone_from(table);
                }
                ensure_table(&client, &config.table)
                    .await
                    .with_context(|| format!("preparing DynamoDB table {}", config.table))?;
                tracing::info!(store = "dynamodb", table = %config.table, endpoint = aws.endpoints.dynamodb.as_deref().unwrap_or("aws"), "market store: DynamoDB");
                let mut players = LeaderboardConfig::default();
                if let Some(table) = &platform.leaderboard_config.leaderboard_table {
                    players.table.clone_from(table);
                }
                ensure_leaderboard_table(&client, &players.table)
                    .await
                    .with_context(|| format!("preparing DynamoDB table {}", players.table))?;
                tracing::info!(store = "dynamodb", table = %players.table, "leaderboard: DynamoDB");
                let leaderboard = DynamoDbLeaderboard::new(client.clone(), players);
                platform
                    .run(DynamoDbMarketStore::new(client, config), leaderboard)
                    .await
            }
            StoreChoice::Redis => {
                let url = std::env::var(REDIS_URL_VARIABLE)
                    .unwrap_or_else(|_| DEFAULT_LOCAL_REDIS_URL.to_owned());
                let store = RedisMarketStore::connect(&url).await.with_context(|| {
                    format!("connecting to Redis at {url} ({REDIS_URL_VARIABLE})")
                })?;
                let leaderboard = RedisLeaderboard::connect(&url).await.with_context(|| {
                    format!("connecting to Redis at {url} ({REDIS_URL_VARIABLE})")
                })?;
                tracing::info!(store = "redis", %url, "market store and leaderboard: Redis");
                platform.run(store, leaderboard).await
            }
        }
    };
    tokio::pin!(run);
    tokio::select! {
        result = &mut run => result,
        () = shutdown => {
            stop.send_replace(true);
            run.await
        }
    }
}

async fn choose_source(args: &UpArgs, config: &TickerConfig) -> anyhow::Result<MarketSource> {
    if args.source != SourceChoice::Simulator {
        match fetch_catalog(DEFAULT_REST_BASE_URL, UPBIT_PROBE_TIMEOUT)
            .await
            .map(|fetched| fetched.catalog)
        {
            Ok(catalog) => {
                tracing::info!(
                    source = "upbit",
                    markets = config.game_markets.len(),
                    "market data: live from Upbit ({DEFAULT_URL})"
                );
                return Ok(MarketSource {
                    url: DEFAULT_URL.to_owned(),
                    catalog,
                    simulator: None,
                });
            }
            Err(err) if args.source == SourceChoice::Upbit => {
                return Err(anyhow::anyhow!(err)).context("--source upbit: Upbit is not reachable");
            }
            Err(err) => {
                tracing::warn!(error = %err, "Upbit is not reachable within {UPBIT_PROBE_TIMEOUT:?}");
            }
        }
    }
    // The shipped capture is `gen-capture`'s default output, dated November 2024. The same
    // series generated from now keeps the game's clock and `X-Data-Age-Ms` honest.
    let capture = synth::generate(&SynthConfig {
        start_ms: get_ticker::handler::system_clock(),
        ..SynthConfig::default()
    });
    let mut capture_text = String::with_capacity(capture.len() * 700);
    for line in &capture {
        capture_text.push_str(&line.to_ndjson());
        capture_text.push('\n');
    }
    let simulator = UpbitSimulator::start(SimConfig {
        capture: CaptureSource::Text(capture_text),
        speed: args.speed,
        looping: true,
        ..SimConfig::default()
    })
    .await
    .context("starting the built-in Upbit simulator")?;
    tracing::warn!(
        source = "simulator",
        url = %simulator.url(),
        "market data: NOT LIVE, replaying the shipped capture's 60 s series (looping, timed from now) through the built-in Upbit simulator"
    );
    Ok(MarketSource {
        url: simulator.url(),
        catalog: Catalog::bundled(),
        simulator: Some(simulator),
    })
}

struct Platform<'a> {
    args: &'a UpArgs,
    ticker_config: TickerConfig,
    leaderboard_config: leaderboard::Config,
    source: MarketSource,
    started: Instant,
    stopped: watch::Receiver<bool>,
}

impl Platform<'_> {
    async fn run<S, L>(self, store: S, leaderboard: L) -> anyhow::Result<()>
    where
        S: MarketStore + HintReader + HintWriter + Clone + 'static,
        L: Leaderboard + 'static,
    {
        let listener = TcpListener::bind(self.args.listen).await.with_context(|| {
            format!(
                "listening on {} (use --listen or COINKING_LISTEN)",
                self.args.listen
            )
        })?;
        let address = listener.local_addr()?;

        let ingest_config = EmbeddedConfig {
            source: SourceConfig {
                url: self.source.url.clone(),
                codes: self.ticker_config.game_markets.clone(),
                types: vec![DataType::Ticker],
                ..SourceConfig::default()
            },
            catalog: self.source.catalog.iter().cloned().collect(),
            // `coinking train --lake <lake dir>` writes models/ here; the hints stage serves
            // the ones whose backtest beat the baseline, and picks up new versions by itself.
            hints: HintsSettings {
                models_url: Some(self.args.lake_dir.display().to_string()),
                ..HintsSettings::default()
            },
            // The market-data lake `coinking backtest`/`train --lake <lake dir>` learn from.
            lake_url: Some(self.args.lake_dir.display().to_string()),
            ..EmbeddedConfig::default()
        };
        let ingest = tokio::spawn(embedded::run(
            ingest_config,
            store.clone(),
            wait_for(self.stopped.clone()),
        ));

        let click_config =
            post_clickstream::Config::from_env().context("post-clickstream configuration")?;
        let lake = clickstream_archiver::config::local_store(&self.args.lake_dir)
            .context("clickstream archive directory")?;
        let (click_sink, click_records) = click_queue(CLICK_QUEUE_CAPACITY);
        let archiver = tokio::spawn(run_local_archiver(
            click_records,
            Archiver::new(Arc::new(lake)),
            LocalBatching::default(),
        ));
        tracing::info!(lake = %self.args.lake_dir.display(), "clickstream: in-process queue archived to a local directory");

        // The analysis reads the lake and writes `analysis/` into the same directory. A failed
        // run is logged and retried at the next tick; readers keep the previous complete run.
        let interval = Duration::from_secs(self.args.analysis_interval_secs);
        let lake_root = Location::Local(self.args.lake_dir.clone());
        let mut analyze_config = AnalyzeConfig::new(lake_root.clone(), lake_root);
        // Leave cores for the HTTP API and the ingester while a run is in progress.
        analyze_config.target_partitions = analyze_config.target_partitions.div_ceil(2);
        let analysis = tokio::spawn(run_every(
            analyze_config,
            interval,
            wait_for(self.stopped.clone()),
        ));
        tracing::info!(
            every_secs = interval.as_secs(),
            output = %self.args.lake_dir.join("analysis").display(),
            "analysis: embedded engine over the lake, now and on a schedule"
        );
        let cors = self.ticker_config.cors_origins.clone();
        let analysis_deps = get_user_analysis::Deps {
            reader: DirReader::new(self.args.lake_dir.clone()),
            config: get_user_analysis::Config {
                source: get_user_analysis::config::Source::Dir(self.args.lake_dir.clone()),
                interval_secs: interval.as_secs(),
                // The same origins as every other route of the local API.
                cors_origins: cors.clone(),
            },
        };
        let mut leaderboard_config = self.leaderboard_config;
        // The same origins as every other route of the local API.
        leaderboard_config.cors_origins = cors.clone();
        let leaderboard_deps =
            leaderboard::Deps::new(leaderboard, store.clone(), leaderboard_config);
        let functions = Functions::new(
            Deps::new(store, self.ticker_config),
            post_clickstream::Service::new(click_sink, click_config.rules, click_config.cors)
                .with_nickname_key(click_config.nickname_key),
            analysis_deps,
            leaderboard_deps,
        );
        let routes = route_table(&functions);
        for route in &routes {
            tracing::debug!(
                method = route.method,
                path = route.path,
                function = route.function,
                "route"
            );
        }
        tracing::info!(
            url = %format!("http://{address}"),
            routes = routes.len(),
            ready_ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "platform ready: try curl http://{address}/upbit_data"
        );
        let served = server::serve(listener, routes, cors, wait_for(self.stopped)).await;
        // The queue's only sender lives in the handlers: dropping them lets the archiver drain
        // what is queued and stop.
        drop(functions);
        match tokio::time::timeout(ARCHIVE_DRAIN_TIMEOUT, archiver).await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => tracing::warn!(error = %err, "clickstream archiver task failed"),
            Err(_) => tracing::warn!(
                "clickstream archiver still draining at shutdown; queued records are lost"
            ),
        }
        // The scheduler stops between runs; a run in progress is let finish (its output is
        // complete or, without a manifest, ignored by readers), within the drain timeout.
        match tokio::time::timeout(ARCHIVE_DRAIN_TIMEOUT, analysis).await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => tracing::warn!(error = %err, "analysis scheduler task failed"),
            Err(_) => tracing::warn!("analysis run still in progress at shutdown; abandoned"),
        }
        match ingest.await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => tracing::warn!(error = %err, "embedded ingester failed"),
            Err(err) => tracing::warn!(error = %err, "embedded ingester task failed"),
        }
        if let Some(simulator) = self.source.simulator {
            simulator.shutdown().await;
        }
        tracing::info!("platform stopped");
        served
    }
}

async fn wait_for(mut stopped: watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}
