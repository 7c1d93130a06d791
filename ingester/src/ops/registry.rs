//! [`Registry`]: the stages register their metric handles once at start; `/metrics` renders them
//! and `/readyz` asks them whether the process is doing its job.
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

use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use crate::consumer::{ConsumerMetrics, is_assigned};
use crate::hints::HintsMetrics;
use crate::lake::LakeMetrics;
use crate::sinks::{KafkaBus, RecordSink};
use crate::sources::{CatalogMetrics, SourceMetrics};
use crate::stream::StreamMetrics;
use crate::transforms::TransformMetrics;
use crate::transforms::normalize::PARSE_ERROR_KINDS;
use coinking_core::upbit::NotIngested;

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

const PREFIX: &str = "coinking_ingester_";

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

    /// Prometheus text exposition format 0.0.4.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        if let (Some(source), Some(transform)) = (self.source.get(), self.transform.get()) {
            let s = source.snapshot();
            let t = transform.snapshot();
            family(
                &mut out,
                "messages_in_total",
                "counter",
                "Upbit messages decoded, by type.",
            );
            for (label, value) in [
                ("ticker", t.tickers),
                ("trade", t.trades),
                ("status", t.statuses),
                ("error", t.upbit_errors),
            ] {
                sample(&mut out, "messages_in_total", Some(("type", label)), value);
            }
            family(
                &mut out,
                "messages_skipped_total",
                "counter",
                "Well-formed Upbit messages not ingested, by type (trades when not forwarded).",
            );
            sample(
                &mut out,
                "messages_skipped_total",
                Some(("type", "trade")),
                t.trades_skipped,
            );
            for (kind, value) in NotIngested::ALL.iter().zip(t.not_ingested) {
                sample(
                    &mut out,
                    "messages_skipped_total",
                    Some(("type", kind.as_str())),
                    value,
                );
            }
            family(
                &mut out,
                "parse_errors_total",
                "counter",
                "Malformed Upbit messages dropped, by reason.",
            );
            for (kind, value) in PARSE_ERROR_KINDS.iter().zip(t.parse_errors) {
                sample(&mut out, "parse_errors_total", Some(("kind", kind)), value);
            }
            family(
                &mut out,
                "source_frames_total",
                "counter",
                "WebSocket frames received.",
            );
            sample(
                &mut out,
                "source_frames_total",
                Some(("kind", "binary")),
                s.binary_frames,
            );
            sample(
                &mut out,
                "source_frames_total",
                Some(("kind", "text")),
                s.text_frames,
            );
            simple(
                &mut out,
                "connects_total",
                "counter",
                "WebSocket connections established.",
                s.connects,
            );
            simple(
                &mut out,
                "reconnects_total",
                "counter",
                "WebSocket connections lost and replaced.",
                s.reconnects,
            );
            simple(
                &mut out,
                "connect_failures_total",
                "counter",
                "WebSocket connect attempts that failed.",
                s.connect_failures,
            );
            simple(
                &mut out,
                "rate_limited_total",
                "counter",
                "Connects refused with HTTP 429/418.",
                s.rate_limited,
            );
            simple(
                &mut out,
                "gaps_total",
                "counter",
                "Data gaps: no frame within the watchdog period.",
                s.watchdog_fires,
            );
            simple(
                &mut out,
                "resubscribes_total",
                "counter",
                "Catalog changes that changed the subscribed codes.",
                s.resubscribes,
            );
        }
        if let Some(catalog) = self.catalog.get() {
            let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
            simple(
                &mut out,
                "catalog_refreshes_total",
                "counter",
                "Market catalog refetches, failed ones included.",
                read(&catalog.refreshes),
            );
            simple(
                &mut out,
                "catalog_refresh_failures_total",
                "counter",
                "Market catalog refetches that failed; the previous catalog was kept.",
                read(&catalog.refresh_failures),
            );
            simple(
                &mut out,
                "catalog_changes_total",
                "counter",
                "Market catalog refetches that found a different catalog.",
                read(&catalog.changes),
            );
            simple(
                &mut out,
                "catalog_entries_rejected",
                "gauge",
                "Malformed entries left out of the last market catalog fetched.",
                read(&catalog.entries_rejected),
            );
        }
        if let Some(bus) = self.bus.get() {
            let (tickers, trades) = bus.stats();
            let trades = trades.unwrap_or_default();
            family(
                &mut out,
                "messages_out_total",
                "counter",
                "Records accepted by the Kafka producer, by type.",
            );
            sample(
                &mut out,
                "messages_out_total",
                Some(("type", "ticker")),
                tickers.enqueued,
            );
            sample(
                &mut out,
                "messages_out_total",
                Some(("type", "trade")),
                trades.enqueued,
            );
            simple(
                &mut out,
                "producer_queue_depth",
                "gauge",
                "Records enqueued but not yet acknowledged.",
                bus.pending() as u64,
            );
            simple(
                &mut out,
                "delivery_failures_total",
                "counter",
                "Failed Kafka delivery attempts (retried with backoff, or given up on).",
                tickers.delivery_failures + trades.delivery_failures,
            );
            simple(
                &mut out,
                "delivery_failed_permanently_total",
                "counter",
                "Records given up on: a permanent broker error or attempts used up.",
                tickers.failed_permanently + trades.failed_permanently,
            );
        }
        if let Some(stream) = self.stream.get() {
            let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
            let counters = [
                (
                    "stream_records_in_total",
                    "Records consumed by the stream stage.",
                    read(&stream.records_in),
                ),
                (
                    "tickers_written_total",
                    "Latest tickers written.",
                    read(&stream.tickers_written),
                ),
                (
                    "tickers_stale_total",
                    "Tickers refused as not newer than the stored one.",
                    read(&stream.tickers_stale),
                ),
                (
                    "tickers_coalesced_total",
                    "Tickers superseded within their window.",
                    read(&stream.tickers_coalesced),
                ),
                (
                    "candles_written_total",
                    "Candles written.",
                    read(&stream.candles_written),
                ),
                (
                    "store_writes_total",
                    "Items sent to DynamoDB.",
                    read(&stream.store_writes),
                ),
                (
                    "dead_letters_total",
                    "Poison records sent to the dead-letter queue.",
                    read(&stream.dead_letters),
                ),
            ];
            for (name, help, value) in counters {
                simple(&mut out, name, "counter", help, value);
            }
            render_consumer(&mut out, "", "dynamodb_retries_total", &stream.consumer);
        }
        if let Some(lake) = self.lake.get() {
            let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
            let counters = [
                (
                    "lake_records_in_total",
                    "Records consumed by the lake stage.",
                    read(&lake.records_in),
                ),
                (
                    "lake_records_rejected_total",
                    "Records the lake stage skipped: not a valid ticker, or not storable.",
                    read(&lake.records_rejected),
                ),
                (
                    "lake_minutes_written_total",
                    "Market-minutes written to the lake (ticks and candle).",
                    read(&lake.minutes_written),
                ),
                (
                    "lake_ticks_written_total",
                    "Tick rows added to the lake.",
                    read(&lake.ticks_written),
                ),
                (
                    "lake_ticks_duplicate_total",
                    "Ticks already in the lake when their minute was written.",
                    read(&lake.ticks_duplicate),
                ),
                (
                    "lake_ticks_late_total",
                    "Ticks that arrived after their minute was written (merged in).",
                    read(&lake.ticks_late),
                ),
            ];
            for (name, help, value) in counters {
                simple(&mut out, name, "counter", help, value);
            }
            render_consumer(
                &mut out,
                "lake_",
                "lake_flush_retries_total",
                &lake.consumer,
            );
        }
        if let Some(hints) = self.hints.get() {
            let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
            let families = [
                (
                    "hints_runs_total",
                    "counter",
                    "Hints runs that wrote a hint set.",
                    read(&hints.runs),
                ),
                (
                    "hints_failures_total",
                    "counter",
                    "Hints runs that failed; the previous set stays served.",
                    read(&hints.failures),
                ),
                (
                    "hints_duration_ms_total",
                    "counter",
                    "Milliseconds spent in hints runs.",
                    read(&hints.duration_ms_total),
                ),
                (
                    "hints_last_duration_ms",
                    "gauge",
                    "Duration of the last hints run, ms.",
                    read(&hints.last_duration_ms),
                ),
                (
                    "hints_warming_up",
                    "gauge",
                    "1 while the last hint set lacked a forecast for some market.",
                    read(&hints.warming_up),
                ),
                (
                    "hints_models_served",
                    "gauge",
                    "Markets served by a learned model; the rest get the baseline.",
                    read(&hints.models_served),
                ),
                (
                    "hints_model_refreshes_total",
                    "counter",
                    "Looks at the lake's models/ for newer versions.",
                    read(&hints.model_refreshes),
                ),
                (
                    "hints_model_load_failures_total",
                    "counter",
                    "Markets whose newest model could not be read (served by the baseline).",
                    read(&hints.model_load_failures),
                ),
            ];
            for (name, kind, help, value) in families {
                simple(&mut out, name, kind, help, value);
            }
        }
        out
    }
}

/// A consumer stage's driver metrics, names prefixed with `prefix` (the stream stage keeps
/// the unprefixed names it has always had); `retries` names the flush-retry counter.
fn render_consumer(out: &mut String, prefix: &str, retries: &str, consumer: &ConsumerMetrics) {
    let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
    let gauge = |value: &AtomicI64| value.load(Ordering::Relaxed).max(0) as u64;
    simple(
        out,
        retries,
        "counter",
        "Failed flushes retried with backoff.",
        read(&consumer.flush_retries),
    );
    let families = [
        (
            "commits_total",
            "counter",
            "Offset commits that succeeded.",
            read(&consumer.commits),
        ),
        (
            "commit_failures_total",
            "counter",
            "Offset commits that failed.",
            read(&consumer.commit_failures),
        ),
        (
            "consumer_lag",
            "gauge",
            "Sum of high watermark minus committed offset.",
            gauge(&consumer.consumer_lag),
        ),
        (
            "assigned_partitions",
            "gauge",
            "Partitions held by the consumer.",
            gauge(&consumer.assigned_partitions),
        ),
    ];
    for (name, kind, help, value) in families {
        simple(out, &format!("{prefix}{name}"), kind, help, value);
    }
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {PREFIX}{name} {help}");
    let _ = writeln!(out, "# TYPE {PREFIX}{name} {kind}");
}

fn sample(out: &mut String, name: &str, label: Option<(&str, &str)>, value: u64) {
    match label {
        Some((key, label_value)) => {
            let _ = writeln!(out, "{PREFIX}{name}{{{key}=\"{label_value}\"}} {value}");
        }
        None => {
            let _ = writeln!(out, "{PREFIX}{name} {value}");
        }
    }
}

fn simple(out: &mut String, name: &str, kind: &str, help: &str, value: u64) {
    family(out, name, kind, help);
    sample(out, name, None, value);
}

#[cfg(test)]
#[path = "registry_tests.rs"]
mod tests;
