//! The stream stage: normalised tickers off the bus into the market store.
//!
//! - [`processor`]: [`StreamProcessor`], the Kafka-independent core: coalesce per window, newest
//!   ticker per market, 1-minute candles keyed by offset, catalog items, dead letters; returns
//!   the offsets that are safe to commit.
//! - [`kafka_driver`]: [`run_kafka`], a consumer group on `upbit.ticker` that commits offsets only
//!   after the window's writes succeeded.
//! - [`in_process`]: [`run_in_process`], the same core fed by the in-process bus.
//! - [`dead_letter`]: the `upbit.dlq` wrapper and its sinks (Kafka, memory).
//! - [`retry`]: flush retry with capped, jittered backoff.
//! - [`metrics`]: the [`StreamMetrics`] counters.

pub mod dead_letter;
pub mod in_process;
pub mod kafka_driver;
pub mod metrics;
pub mod processor;
pub mod retry;

use std::time::Duration;

pub use dead_letter::{
    DEFAULT_DLQ_TOPIC, DeadLetter, DeadLetterSink, KafkaDeadLetters, MemoryDeadLetters,
};
pub use in_process::run_in_process;
pub use kafka_driver::{KafkaStreamConfig, run_kafka};
pub use metrics::StreamMetrics;
pub use processor::{FlushError, FlushOutcome, Record, StreamProcessor};

/// The default coalescing window: at most one write per market (and candle) per 250 ms.
pub const DEFAULT_WINDOW: Duration = Duration::from_millis(250);
