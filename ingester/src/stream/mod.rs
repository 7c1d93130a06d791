//! The stream stage: normalised tickers off the bus into the market store.
//!
//! - [`processor`]: [`StreamProcessor`], the Kafka-independent core: coalesce per window, newest
//!   ticker per market, 1-minute candles keyed by offset, catalog items, dead letters; returns
//!   the offsets that are safe to commit.
//! - [`stage`]: [`StreamStage`], the processor as a [`crate::consumer::ConsumerStage`], and
//!   its starters [`run_kafka`] (a consumer group on `upbit.ticker` that commits offsets only
//!   after the window's writes succeeded) and [`run_in_process`] (the in-process bus).
//! - [`dead_letter`]: the `upbit.dlq` wrapper and its sinks (Kafka, memory).
//! - [`metrics`]: the [`StreamMetrics`] counters.

pub mod dead_letter;
pub mod metrics;
pub mod processor;
pub mod stage;

pub use crate::consumer::Record;
pub use dead_letter::{
    DEFAULT_DLQ_TOPIC, DeadLetter, DeadLetterSink, KafkaDeadLetters, MemoryDeadLetters,
};
pub use metrics::StreamMetrics;
pub use processor::{FlushError, FlushOutcome, StreamProcessor};
pub use stage::{KafkaStreamConfig, StreamStage, run_in_process, run_kafka};

/// The default coalescing window, the consumers' default flush window.
pub use crate::consumer::DEFAULT_WINDOW;
