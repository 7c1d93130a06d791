//! Wiring: config → ops server → signals → market catalog → stages → drain.
//!
//! Catalog: one [`CatalogWatcher`] per process, loaded before the stages start (Upbit's catalog,
//! or the bundled one when Upbit is unreachable, `catalog.fetch` is off or a capture is
//! replayed) and, when `catalog.refresh_secs` is not 0, refetched periodically as a task of its
//! own. Both stages follow its channel: the source subscribes to the configured codes the
//! catalog lists and resubscribes on a change; the stream stage rewrites the catalog items.
//!
//! Hints: with `hints.enabled` (the default), `stream` and `both` also run the hints stage
//! ([`HintsStage`]) on the same table, as a stage of its own that stops on shutdown.
//!
//! Drain: on SIGTERM/SIGINT every stage's shutdown future resolves; the ingest side closes its
//! WebSocket connections and flushes the Kafka producer, the stream stage flushes its window,
//! commits and leaves the group. All of it must end within `drain_timeout_ms` (25 s by default,
//! inside ECS's 30 s stop timeout); past it the remaining tasks are aborted and the exit code is 1
//! (nothing is lost: uncommitted offsets are replayed, unflushed records were never acknowledged
//! to anyone).

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow};
use coinking_adapters::market_store::{
    DynamoDbMarketStore, DynamoDbStoreConfig, HintWriter, MarketStore, RedisMarketStore,
    TieredMarketStore, ensure_table,
};
use coinking_adapters::{AwsSettings, aws};
use coinking_forecast::lake::Lake;
use coinking_ingester::config::IngesterConfig;
use coinking_ingester::consumer::{ConsumerConfig, run_consumer};
use coinking_ingester::hints::HintsStage;
use coinking_ingester::kafka::{KafkaAdmin, producer_config};
use coinking_ingester::lake::{LakeMetrics, LakeStage};
use coinking_ingester::ops::{Registry, http};
use coinking_ingester::pipeline::run_ingest;
use coinking_ingester::sinks::KafkaBus;
use coinking_ingester::sources::{CatalogSnapshot, CatalogWatcher, UpbitSource};
use coinking_ingester::stream::{
    KafkaDeadLetters, KafkaStreamConfig, StreamMetrics, StreamProcessor, run_kafka,
};
use coinking_ingester::transforms::Normalizer;
use coinking_upbit_sim::{CaptureSource, RunningSimulator, SimConfig, UpbitSimulator};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tracing::{info, warn};

use crate::cli::{Cli, Command, SourceArgs};

/// A future that resolves once shutdown has been requested.
fn shutdown_signal(stop: &watch::Sender<bool>) -> impl Future<Output = ()> + Send + 'static {
    let mut receiver = stop.subscribe();
    async move {
        let _ = receiver.wait_for(|stopping| *stopping).await;
    }
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = IngesterConfig::load(cli.config.as_deref()).context("configuration")?;
    let registry = Arc::new(Registry::new());
    let stop = Arc::new(watch::Sender::new(false));
    let (address, http_task) = http::serve(
        config.http.listen,
        Arc::clone(&registry),
        shutdown_signal(&stop),
    )
    .await
    .with_context(|| format!("binding the ops endpoint {}", config.http.listen))?;
    info!(%address, "ops endpoints /healthz /readyz /metrics");

    let signals = {
        let stop = Arc::clone(&stop);
        tokio::spawn(async move {
            wait_for_signal().await;
            info!("shutdown signal received, draining");
            stop.send_replace(true);
        })
    };

    let mut stages: JoinSet<anyhow::Result<()>> = JoinSet::new();
    let catalog = start_catalog(&config, &cli.command, &registry, &stop, &mut stages).await;
    match &cli.command {
        Command::Ingest(args) => {
            stages.spawn(ingest(
                config.clone(),
                args.clone(),
                catalog,
                Arc::clone(&registry),
                shutdown_signal(&stop),
            ));
        }
        Command::Stream => {
            spawn_stream_stages(&config, catalog, &registry, &stop, &mut stages);
        }
        Command::Both(args) => {
            spawn_stream_stages(&config, catalog.clone(), &registry, &stop, &mut stages);
            stages.spawn(ingest(
                config.clone(),
                args.clone(),
                catalog,
                Arc::clone(&registry),
                shutdown_signal(&stop),
            ));
        }
    }

    let mut first_error: Option<anyhow::Error> = None;
    let mut stopping = stop.subscribe();
    let mut deadline: Option<Instant> = None;
    loop {
        let drain_over = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            joined = stages.join_next() => match joined {
                None => break,
                Some(Ok(Ok(()))) => {}
                Some(Ok(Err(error))) => {
                    warn!(error = format!("{error:#}"), "a stage failed; stopping the others");
                    first_error.get_or_insert(error);
                    stop.send_replace(true);
                }
                Some(Err(error)) => {
                    first_error.get_or_insert(anyhow!("a stage task failed: {error}"));
                    stop.send_replace(true);
                }
            },
            _ = stopping.wait_for(|stopping| *stopping), if deadline.is_none() => {
                deadline = Some(Instant::now() + config.drain_timeout());
            }
            () = drain_over => {
                stages.abort_all();
                first_error.get_or_insert(anyhow!("drain did not finish within {:?}", config.drain_timeout()));
                break;
            }
        }
    }
    stop.send_replace(true);
    signals.abort();
    let _ = http_task.await;
    match first_error {
        Some(error) => Err(error),
        None => {
            info!("ingester stopped cleanly");
            Ok(())
        }
    }
}

/// The stages of `stream`, which `both` runs too: the lake sink and the hints stage when they
/// are configured, and the stream stage itself.
fn spawn_stream_stages(
    config: &IngesterConfig,
    catalog: watch::Receiver<CatalogSnapshot>,
    registry: &Arc<Registry>,
    stop: &watch::Sender<bool>,
    stages: &mut JoinSet<anyhow::Result<()>>,
) {
    if config.lake.url.is_some() {
        stages.spawn(lake(
            config.clone(),
            Arc::clone(registry),
            shutdown_signal(stop),
        ));
    }
    stages.spawn(stream(
        config.clone(),
        catalog,
        Arc::clone(registry),
        shutdown_signal(stop),
    ));
    if config.hints.enabled {
        stages.spawn(hints(
            config.clone(),
            Arc::clone(registry),
            shutdown_signal(stop),
        ));
    }
}

/// Loads the catalog and, when refreshing is on, runs its watcher among the stages (it ends on
/// shutdown); returns the channel the stages follow (see the module doc).
async fn start_catalog(
    config: &IngesterConfig,
    command: &Command,
    registry: &Registry,
    stop: &Arc<watch::Sender<bool>>,
    stages: &mut JoinSet<anyhow::Result<()>>,
) -> watch::Receiver<CatalogSnapshot> {
    // A replay runs without network: the bundled catalog instead of Upbit's.
    let replaying = match command {
        Command::Ingest(args) | Command::Both(args) => args.source.starts_with("replay:"),
        Command::Stream => false,
    };
    let base_url = config.catalog.rest_base_url.as_str();
    let watcher = if config.catalog.fetch && !replaying {
        CatalogWatcher::load(base_url, config.catalog_timeout()).await
    } else {
        info!("using the bundled market catalog (catalog.fetch is off or a capture is replayed)");
        CatalogWatcher::new(
            CatalogSnapshot::bundled(),
            base_url,
            config.catalog_timeout(),
        )
    };
    registry.register_catalog(watcher.metrics());
    let catalog = watcher.subscribe();
    match config.catalog_refresh() {
        Some(every) if !replaying => {
            let shutdown = shutdown_signal(stop);
            stages.spawn(async move {
                watcher.run(every, shutdown).await;
                Ok(())
            });
        }
        // The stages keep the last catalog published; nothing follows.
        _ => drop(watcher),
    }
    catalog
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = terminate.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(error) => {
                warn!(%error, "cannot listen for SIGTERM; only SIGINT stops the ingester");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The source URL: the configured one, or an in-process simulator replaying a capture.
async fn resolve_source(
    config: &IngesterConfig,
    args: &SourceArgs,
) -> anyhow::Result<(String, Option<RunningSimulator>)> {
    if args.source == "upbit" {
        return Ok((config.source.url.clone(), None));
    }
    let Some(path) = args.source.strip_prefix("replay:") else {
        return Err(anyhow!(
            "--source: must be `upbit` or `replay:<capture file>`, got `{}`",
            args.source
        ));
    };
    let simulator = UpbitSimulator::start(SimConfig {
        capture: CaptureSource::File(path.into()),
        speed: args.replay_speed,
        close_at_end: false,
        ..SimConfig::default()
    })
    .await
    .with_context(|| format!("replaying {path}"))?;
    info!(capture = path, url = %simulator.url(), speed = args.replay_speed, "replaying a capture through the in-process simulator");
    Ok((simulator.url(), Some(simulator)))
}

async fn ensure_topics(config: &IngesterConfig, topics: &[(&str, i32)]) -> anyhow::Result<()> {
    if !config.kafka.create_topics {
        return Ok(());
    }
    let admin = KafkaAdmin::new(&config.kafka_settings())?;
    for (topic, partitions) in topics {
        admin
            .ensure_topic(topic, *partitions)
            .await
            .with_context(|| format!("creating topic {topic}"))?;
    }
    Ok(())
}

async fn ingest(
    config: IngesterConfig,
    args: SourceArgs,
    catalog: watch::Receiver<CatalogSnapshot>,
    registry: Arc<Registry>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let trades = config.forwards_trades();
    let mut topics = vec![(config.kafka.ticker_topic.as_str(), config.kafka.partitions)];
    if trades {
        topics.push((config.kafka.trade_topic.as_str(), config.kafka.partitions));
    }
    ensure_topics(&config, &topics).await?;
    let (url, simulator) = resolve_source(&config, &args).await?;
    let mut source_config = config.source.clone();
    source_config.url = url;
    let mut source = UpbitSource::new(source_config)?;
    source.follow_catalog(catalog);
    let normalizer = Normalizer::new(trades);
    registry.register_source(source.metrics(), normalizer.metrics());
    let bus = Arc::new(KafkaBus::new(
        &producer_config(&config.kafka_settings()),
        &config.kafka.ticker_topic,
        trades.then_some(config.kafka.trade_topic.as_str()),
    )?);
    registry.register_bus(Arc::clone(&bus));
    let flush_budget = config
        .drain_timeout()
        .saturating_sub(Duration::from_secs(5));
    let result = run_ingest(source, normalizer, &*bus, shutdown, flush_budget).await;
    if let Some(simulator) = simulator {
        simulator.shutdown().await;
    }
    result?;
    Ok(())
}

async fn stream(
    config: IngesterConfig,
    catalog: watch::Receiver<CatalogSnapshot>,
    registry: Arc<Registry>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    ensure_topics(
        &config,
        &[
            (config.kafka.ticker_topic.as_str(), config.kafka.partitions),
            (config.kafka.dlq_topic.as_str(), 1),
        ],
    )
    .await?;
    let durable = open_store(&config).await?;
    match &config.stream.redis_url {
        Some(url) => {
            let hot = RedisMarketStore::connect(url)
                .await
                .context("connecting to the Redis hot store (stream.redis_url)")?;
            info!("stream stage: Redis hot store, DynamoDB for closed minutes");
            let store = TieredMarketStore::new(hot, durable);
            run_stream(config, store, catalog, registry, shutdown).await
        }
        None => run_stream(config, durable, catalog, registry, shutdown).await,
    }
}

/// The stream stage on `store` (DynamoDB, or Redis in front of it).
async fn run_stream<S: MarketStore + 'static>(
    config: IngesterConfig,
    store: S,
    catalog: watch::Receiver<CatalogSnapshot>,
    registry: Arc<Registry>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let settings = config.kafka_settings();
    let metrics = Arc::new(StreamMetrics::default());
    registry.register_stream(Arc::clone(&metrics));
    let mut processor = StreamProcessor::new(store, config.kafka.ticker_topic.clone(), metrics);
    processor.follow_catalog(catalog);
    let dead_letters = KafkaDeadLetters::new(&producer_config(&settings), &config.kafka.dlq_topic)?;
    let stream_config = KafkaStreamConfig {
        topic: config.kafka.ticker_topic.clone(),
        group_id: config.kafka.group_id.clone(),
        window: config.window(),
        max_pending: config.stream.max_pending,
        drain_timeout: config
            .drain_timeout()
            .saturating_sub(Duration::from_secs(5)),
    };
    run_kafka(
        &settings,
        &stream_config,
        processor,
        &dead_letters,
        shutdown,
    )
    .await?;
    Ok(())
}

/// The lake stage: its own consumer group on the ticker topic, closed minutes to the lake.
async fn lake(
    config: IngesterConfig,
    registry: Arc<Registry>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let Some(url) = config.lake.url.as_deref() else {
        return Ok(());
    };
    let settings = config.kafka_settings();
    ensure_topics(
        &config,
        &[(config.kafka.ticker_topic.as_str(), config.kafka.partitions)],
    )
    .await?;
    let lake = Lake::open(url).with_context(|| format!("opening the lake {url}"))?;
    let metrics = Arc::new(LakeMetrics::default());
    registry.register_lake(Arc::clone(&metrics));
    let consumer_config = ConsumerConfig {
        topic: config.kafka.ticker_topic.clone(),
        group_id: config.lake.group_id.clone(),
        window: config.window(),
        max_pending: config.stream.max_pending,
        drain_timeout: config
            .drain_timeout()
            .saturating_sub(Duration::from_secs(5)),
    };
    info!(lake = %lake.describe(), "lake stage writing closed minutes");
    run_consumer(
        &settings,
        &consumer_config,
        LakeStage::new(lake, metrics),
        shutdown,
    )
    .await?;
    Ok(())
}

/// The market table (created first when `stream.create_table` is on; creating is idempotent, so
/// the stream and hints stages may both ask).
async fn open_store(config: &IngesterConfig) -> anyhow::Result<DynamoDbMarketStore> {
    let aws_settings = AwsSettings::from_env()?;
    let sdk = aws::sdk_config(&aws_settings).await;
    let client = aws::dynamodb_client(&sdk, &aws_settings);
    if config.stream.create_table {
        ensure_table(&client, &config.stream.table)
            .await
            .context("creating the market table")?;
    }
    Ok(DynamoDbMarketStore::new(
        client,
        DynamoDbStoreConfig {
            table: config.stream.table.clone(),
            ..DynamoDbStoreConfig::default()
        },
    ))
}

/// The hints stage over the configured markets (`source.codes`, the game markets).
async fn hints(
    config: IngesterConfig,
    registry: Arc<Registry>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let durable = open_store(&config).await?;
    // With the hot store the hints live there only (recomputed every minute).
    match &config.stream.redis_url {
        Some(url) => {
            let hot = RedisMarketStore::connect(url)
                .await
                .context("connecting to the Redis hot store (stream.redis_url)")?;
            run_hints(
                config,
                TieredMarketStore::new(hot, durable),
                registry,
                shutdown,
            )
            .await;
        }
        None => run_hints(config, durable, registry, shutdown).await,
    }
    Ok(())
}

async fn run_hints<S: MarketStore + HintWriter + Clone + 'static>(
    config: IngesterConfig,
    store: S,
    registry: Arc<Registry>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let stage = HintsStage::new(store, config.source.codes.clone(), &config.hints);
    registry.register_hints(stage.metrics());
    stage.run(shutdown).await;
}
