//! Dead letters: records the stream stage cannot use, sent to `upbit.dlq` with the reason
//! instead of stopping their partition.
//!
//! The value is a JSON wrapper (readable with any Kafka tool, unlike headers):
//! `{"reason":"payload: …","topic":"upbit.ticker","partition":0,"offset":42,"key":"KRW-BTC","payload":"…"}`.
//! `key` and `payload` are the original bytes as UTF-8 text (lossy for non-UTF-8 bytes, which
//! are themselves the reason such a record is dead).

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::ClientConfig;
use serde::Serialize;

use crate::kafka::{KafkaClientError, KafkaSink};
use crate::sinks::SinkError;

/// The default dead-letter topic.
pub const DEFAULT_DLQ_TOPIC: &str = "upbit.dlq";

/// One unusable record and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// `<field>: <rule>`, e.g. `payload: unsupported normalised ticker version 2 (expected 1)`.
    pub reason: String,
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub key: Vec<u8>,
    pub payload: Vec<u8>,
}

#[derive(Serialize)]
struct Wrapper<'a> {
    reason: &'a str,
    topic: &'a str,
    partition: i32,
    offset: i64,
    key: String,
    payload: String,
}

impl DeadLetter {
    /// The DLQ value (see the module doc).
    pub fn to_json(&self) -> Vec<u8> {
        let wrapper = Wrapper {
            reason: &self.reason,
            topic: &self.topic,
            partition: self.partition,
            offset: self.offset,
            key: String::from_utf8_lossy(&self.key).into_owned(),
            payload: String::from_utf8_lossy(&self.payload).into_owned(),
        };
        // Strings and integers always serialise.
        serde_json::to_vec(&wrapper).unwrap_or_default()
    }
}

/// Where dead letters go. `send` enqueues; `flush` makes everything sent durable (the stream
/// stage flushes before it commits the offsets of dead records).
pub trait DeadLetterSink: Send + Sync {
    fn send(&self, letter: &DeadLetter) -> impl Future<Output = Result<(), SinkError>> + Send;
    fn flush(&self, timeout: Duration) -> impl Future<Output = Result<(), SinkError>> + Send;
}

/// Dead letters on a Kafka topic (key = the original key).
#[derive(Debug)]
pub struct KafkaDeadLetters {
    sink: KafkaSink,
}

impl KafkaDeadLetters {
    pub fn new(config: &ClientConfig, topic: &str) -> Result<Self, SinkError> {
        Ok(Self {
            sink: KafkaSink::new(config, topic)?,
        })
    }
}

impl DeadLetterSink for KafkaDeadLetters {
    async fn send(&self, letter: &DeadLetter) -> Result<(), SinkError> {
        self.sink.send(&letter.key, &letter.to_json()).await?;
        Ok(())
    }

    /// A dead letter the broker refuses for good is logged (key and reason) and taken, and the
    /// flush fails, so the stream stage does not commit past it this time.
    async fn flush(&self, timeout: Duration) -> Result<(), SinkError> {
        let result = self.sink.flush(timeout).await;
        if let Err(KafkaClientError::DeliveryFailed { .. }) = &result {
            crate::sinks::kafka::log_failed(&self.sink);
        }
        result?;
        Ok(())
    }
}

/// Dead letters kept in memory (the embedded run and tests); clones share the list.
#[derive(Debug, Clone, Default)]
pub struct MemoryDeadLetters {
    letters: Arc<Mutex<Vec<DeadLetter>>>,
}

impl MemoryDeadLetters {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn letters(&self) -> Vec<DeadLetter> {
        self.letters
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

impl DeadLetterSink for MemoryDeadLetters {
    async fn send(&self, letter: &DeadLetter) -> Result<(), SinkError> {
        self.letters
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(letter.clone());
        Ok(())
    }

    async fn flush(&self, _timeout: Duration) -> Result<(), SinkError> {
        Ok(())
    }
}
