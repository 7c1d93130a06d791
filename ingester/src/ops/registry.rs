//! [`Registry`]: the stages register their metric handles once at start; `/metrics` renders them
//! and `/readyz` asks them whether the process is doing its job.
//!
//! Each metric is declared once, next to its atomic, in its stage's metrics struct
//! ([`metric_set!`](crate::metrics::metric_set): name, type, help, label); the bus's, computed
//! when scraped, in `sinks/kafka_metrics.rs`. The registry only decides which sets are rendered,
//! and in which order. This table is the operator's overview (a test checks it names every
//! declared family).
//!
//! Metrics (all prefixed `coinking_ingester_`):
//! | name | type | labels | meaning |
//! |---|---|---|---|
//! | `messages_in_total` | counter | `type` = ticker, trade, status, error | Upbit messages decoded |
//! | `messages_out_total` | counter | `type` = ticker, trade | records accepted by the producer |
//! | `messages_skipped_total` | counter | `type` = trade, orderbook, candle, myOrder, myAsset | well-formed Upbit messages not ingested (trades when not forwarded; types never ingested) |
//! | `parse_errors_total` | counter | `kind` | malformed Upbit messages dropped, by reason |
//! | `source_frames_total` | counter | `kind` = binary, text | WebSocket frames received |
//! | `connects_total`, `reconnects_total`, `connect_failures_total`, `rate_limited_total` | counter | | WebSocket connection life |
//! | `gaps_total` | counter | | data gaps: no frame within the watchdog period (the connection is replaced) |
//! | `resubscribes_total` | counter | | catalog changes that changed the subscribed codes (the connections whose codes changed reconnect) |
//! | `catalog_refreshes_total`, `catalog_refresh_failures_total` | counter | | market catalog refetches, and those that failed (the previous catalog is kept) |
//! | `catalog_changes_total` | counter | | refetches that found a different catalog (published to the source and the stream stage) |
//! | `catalog_entries_rejected` | gauge | | malformed entries left out of the last catalog fetched (each logged; the valid entries are used) |
//! | `producer_queue_depth` | gauge | | records enqueued but not yet acknowledged by Kafka |
//! | `delivery_failures_total` | counter | | failed Kafka delivery attempts (retried with backoff, or given up on) |
//! | `delivery_failed_permanently_total` | counter | | records given up on: permanent broker error or attempts used up (logged, lost) |
//! | `stream_records_in_total` | counter | | records consumed by the stream stage |
//! | `tickers_written_total`, `tickers_stale_total`, `tickers_coalesced_total`, `candles_written_total` | counter | | stream stage writes |
//! | `store_writes_total` | counter | | items sent to DynamoDB |
//! | `dynamodb_retries_total` | counter | | failed stream flushes retried with backoff |
//! | `dead_letters_total` | counter | | poison records sent to the DLQ |
//! | `commits_total`, `commit_failures_total` | counter | | offset commits |
//! | `consumer_lag` | gauge | | Σ(high watermark − committed offset) over assigned partitions |
//! | `assigned_partitions` | gauge | | partitions held by the consumer |
//! | `lake_records_in_total`, `lake_records_rejected_total` | counter | | records consumed by the lake stage, and those skipped (not a valid ticker) |
//! | `lake_minutes_written_total`, `lake_ticks_written_total`, `lake_ticks_duplicate_total`, `lake_ticks_late_total` | counter | | market-minutes and tick rows written to the market-data lake; re-delivered ticks dropped; stragglers merged into a written minute |
//! | `lake_flush_retries_total`, `lake_commits_total`, `lake_commit_failures_total`, `lake_consumer_lag`, `lake_assigned_partitions` | counter, gauge | | the lake stage's consumer, as above |
//! | `hints_runs_total`, `hints_failures_total` | counter | | hints stage runs that wrote a set, and those that failed (the previous set stays served) |
//! | `hints_duration_ms_total`, `hints_last_duration_ms` | counter, gauge | | time spent in hints runs |
//! | `hints_warming_up` | gauge | | 1 while the last set lacked a forecast for some market |
//! | `hints_models_served`, `hints_model_refreshes_total`, `hints_model_load_failures_total` | gauge, counter, counter | | learned models in use, looks at the lake's `models/`, models that could not be read |

use std::sync::{Arc, OnceLock};

use crate::consumer::is_assigned;
use crate::hints::HintsMetrics;
use crate::lake::LakeMetrics;
use crate::metrics::exposition::{Exposition, Family, MetricSet, Scope};
use crate::sinks::KafkaBus;
use crate::sources::{CatalogMetrics, SourceMetrics};
use crate::stream::StreamMetrics;
use crate::transforms::TransformMetrics;

/// The metric handles of the stages that run in this process.
#[derive(Debug, Default)]
pub struct Registry {
    source: OnceLock<Arc<SourceMetrics>>,
    transform: OnceLock<Arc<TransformMetrics>>,
    bus: OnceLock<Arc<KafkaBus>>,
    stream: OnceLock<Arc<StreamMetrics>>,
    catalog: OnceLock<Arc<CatalogMetrics>>,
    hints: OnceLock<Arc<HintsMetrics>>,
    lake: OnceLock<Arc<LakeMetrics>>,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn register_source(&self, metrics: Arc<SourceMetrics>, transform: Arc<TransformMetrics>) {
        let _ = self.source.set(metrics);
        let _ = self.transform.set(transform);
    }

    pub fn register_bus(&self, bus: Arc<KafkaBus>) {
        let _ = self.bus.set(bus);
    }

    pub fn register_stream(&self, metrics: Arc<StreamMetrics>) {
        let _ = self.stream.set(metrics);
    }

    pub fn register_catalog(&self, metrics: Arc<CatalogMetrics>) {
        let _ = self.catalog.set(metrics);
    }

    pub fn register_hints(&self, metrics: Arc<HintsMetrics>) {
        let _ = self.hints.set(metrics);
    }

    pub fn register_lake(&self, metrics: Arc<LakeMetrics>) {
        let _ = self.lake.set(metrics);
    }

    /// Ready when every registered stage works: the source has a live connection, the stream
    /// stage holds partitions. Returns the reasons it is not.
    pub fn readiness(&self) -> Result<(), Vec<&'static str>> {
        let mut problems = Vec::new();
        if let Some(source) = self.source.get() {
            let snapshot = source.snapshot();
            if snapshot.connects <= snapshot.reconnects {
                problems.push("source: not connected to upbit");
            }
        }
        let unassigned = self
            .stream
            .get()
            .is_some_and(|stream| !is_assigned(&stream.consumer));
        if unassigned {
            problems.push("stream: no partition assigned");
        }
        if self
            .lake
            .get()
            .is_some_and(|lake| !is_assigned(&lake.consumer))
        {
            problems.push("lake: no partition assigned");
        }
        if self.source.get().is_none() && self.stream.get().is_none() {
            problems.push("starting: no stage registered yet");
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// Prometheus text exposition format 0.0.4: the registered stages' families, in the order
    /// of [`Self::declared`].
    pub fn render(&self) -> String {
        let mut out = Exposition::new();
        // The transform's families come first, with the source's: they run together.
        if let (Some(source), Some(transform)) = (self.source.get(), self.transform.get()) {
            transform.render(&mut out);
            source.render(&mut out);
        }
        render(&mut out, self.catalog.get());
        render(&mut out, self.bus.get());
        render(&mut out, self.stream.get());
        render(&mut out, self.lake.get());
        render(&mut out, self.hints.get());
        out.finish()
    }

    /// Every family `/metrics` can show (once every stage is registered), with its name without
    /// the `coinking_ingester_` prefix, in rendering order.
    pub fn declared() -> Vec<(String, Family)> {
        let mut families = Vec::new();
        let mut each = |name: String, family: &Family| families.push((name, *family));
        TransformMetrics::declared(Scope::ROOT, &mut each);
        SourceMetrics::declared(Scope::ROOT, &mut each);
        CatalogMetrics::declared(Scope::ROOT, &mut each);
        KafkaBus::declared(Scope::ROOT, &mut each);
        StreamMetrics::declared(Scope::ROOT, &mut each);
        LakeMetrics::declared(Scope::ROOT, &mut each);
        HintsMetrics::declared(Scope::ROOT, &mut each);
        families
    }
}

fn render(out: &mut Exposition, set: Option<&impl MetricSet>) {
    if let Some(set) = set {
        set.render(out);
    }
}

#[cfg(test)]
#[path = "registry_tests.rs"]
mod tests;
