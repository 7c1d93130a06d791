//! The ingester inside another process (`coinking up`, the local platform): source → transform
//! → in-process bus → stream processor → the caller's store. No Kafka, no DynamoDB needed.
//!
//! ```no_run
//! # async fn example() -> Result<(), coinking_ingester::IngesterError> {
//! use coinking_adapters::market_store::InMemoryMarketStore;
//! use coinking_ingester::embedded::{EmbeddedConfig, run};
//! use coinking_ingester::sources::SourceConfig;
//!
//! let config = EmbeddedConfig {
//!     source: SourceConfig { url: "ws://127.0.0.1:9999/websocket/v1".into(), ..SourceConfig::default() },
//!     ..EmbeddedConfig::default()
//! };
//! let store = InMemoryMarketStore::new();
//! run(config, store.clone(), async { let _ = tokio::signal::ctrl_c().await; }).await?;
//! # Ok(())
//! # }
//! ```
//!
//! With [`EmbeddedConfig::catalog_updates`] set (e.g. from a
//! [`crate::sources::CatalogWatcher`] the caller runs), the source subscribes to the configured
//! codes the catalog lists and resubscribes on a change, and the stream stage rewrites the
//! catalog items after every change, as the ingester binary does.
//!
//! With [`EmbeddedConfig::hints`] enabled (the default), the hints stage runs beside the stream
//! stage for the source's codes, so the local platform serves `/get_deeplearning` from the
//! first second (a warm-up set) and fresh hints every minute.
//!
//! With [`EmbeddedConfig::lake_url`] set, the lake stage reads the same bus as the stream
//! stage (its own channel, like its own consumer group) and writes each closed market-minute
//! of ticks and its candle to the market-data lake, where `coinking backtest`/`train` read
//! them; minutes still open at shutdown are written as they stand.
//!
//! `run` returns after `shutdown` resolves and everything received has been written (or the
//! final write gave up after `in_process::FINAL_FLUSH_TIMEOUT`, returned as an error). Poison
//! records (none are expected in process) are kept in memory and logged.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use coinking_adapters::market_store::{HintWriter, MarketStore};
use coinking_core::catalog::{Catalog, MarketInfo};
use coinking_forecast::lake::Lake;
use tokio::sync::watch;

use crate::consumer;
use crate::error::IngesterError;
use crate::hints::{HintsSettings, HintsStage};
use crate::lake::{LakeMetrics, LakeStage};
use crate::pipeline::run_ingest;
use crate::sinks::InProcessBus;
use crate::sources::{CatalogSnapshot, DataType, SourceConfig, UpbitSource};
use crate::stream::{
    DEFAULT_WINDOW, MemoryDeadLetters, StreamMetrics, StreamProcessor, run_in_process,
};
use crate::transforms::{Normalizer, Topic};

/// What the embedded ingester runs.
#[derive(Debug, Clone)]
pub struct EmbeddedConfig {
    /// The Upbit (or simulator) connection; `types` defaults to ticker only here, the stream
    /// stage's only input.
    pub source: SourceConfig,
    /// Coalescing window. Default 250 ms.
    pub window: Duration,
    /// Records in flight between the transform and the stream stage. Default 4096.
    pub bus_capacity: usize,
    /// Catalog items written at start. Default: the bundled catalog. Unused when
    /// `catalog_updates` is set.
    pub catalog: Vec<MarketInfo>,
    /// A catalog to follow instead (see the module doc). Default: none.
    pub catalog_updates: Option<watch::Receiver<CatalogSnapshot>>,
    /// The hints stage over `source.codes`. Default: enabled, 2 s after each minute.
    pub hints: HintsSettings,
    /// The market-data lake the lake stage writes to (a directory or `s3://bucket/prefix`).
    /// Default: none, no lake stage.
    pub lake_url: Option<String>,
}

impl Default for EmbeddedConfig {
    fn default() -> Self {
        Self {
            source: SourceConfig {
                types: vec![DataType::Ticker],
                ..SourceConfig::default()
            },
            window: DEFAULT_WINDOW,
            bus_capacity: 4096,
            catalog: Catalog::bundled().iter().cloned().collect(),
            catalog_updates: None,
            hints: HintsSettings::default(),
            lake_url: None,
        }
    }
}

/// Runs the embedded ingester until `shutdown` resolves; see the module doc.
pub async fn run<S, F>(config: EmbeddedConfig, store: S, shutdown: F) -> Result<(), IngesterError>
where
    S: MarketStore + HintWriter + Clone + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    // The hints stage stops with the ingest side: on `shutdown`, or when the source fails.
    let stopping = Arc::new(watch::Sender::new(false));
    let hints_task = config.hints.enabled.then(|| {
        let stage = HintsStage::new(store.clone(), config.source.codes.clone(), &config.hints);
        let mut stopped = stopping.subscribe();
        tokio::spawn(stage.run(async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        }))
    });
    let shutdown = {
        let stopping = Arc::clone(&stopping);
        async move {
            shutdown.await;
            stopping.send_replace(true);
        }
    };
    let mut source = UpbitSource::new(config.source)?;
    let (mut bus, records) = InProcessBus::new(config.bus_capacity);
    let window = config.window;
    let lake_task = match config.lake_url.as_deref() {
        Some(url) => {
            let lake = Lake::open(url).map_err(|error| IngesterError::Config {
                field: "lake_url",
                reason: error.to_string(),
            })?;
            tracing::info!(lake = %lake.describe(), "lake stage writing closed minutes");
            let stage = LakeStage::new(lake, Arc::new(LakeMetrics::default()));
            Some(tokio::spawn(consumer::run_in_process(
                stage,
                bus.add_reader(),
                window,
            )))
        }
        None => None,
    };
    let metrics = Arc::new(StreamMetrics::default());
    let mut processor = StreamProcessor::new(store, Topic::Ticker.default_name(), metrics);
    match config.catalog_updates {
        Some(updates) => {
            source.follow_catalog(updates.clone());
            processor.follow_catalog(updates);
        }
        None => processor.set_catalog(config.catalog),
    }
    let stream_task = tokio::spawn(async move {
        let dead_letters = MemoryDeadLetters::new();
        run_in_process(processor, &dead_letters, records, window).await
    });
    let ingest = run_ingest(
        source,
        Normalizer::new(false),
        &bus,
        shutdown,
        Duration::from_secs(5),
    )
    .await;
    stopping.send_replace(true);
    // Dropping the bus closes the channel: the stream stage writes what is left and returns.
    drop(bus);
    if let Some(task) = hints_task {
        task.await
            .map_err(|error| IngesterError::Task(format!("hints stage: {error}")))?;
    }
    let stream = stream_task
        .await
        .map_err(|error| IngesterError::Task(format!("stream stage: {error}")))?;
    if let Some(task) = lake_task {
        task.await
            .map_err(|error| IngesterError::Task(format!("lake stage: {error}")))??;
    }
    ingest?;
    stream?;
    Ok(())
}
