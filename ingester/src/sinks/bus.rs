//! [`InProcessBus`]: bounded channels from the transform to the in-process stages, one per
//! stage (the stream stage, and the lake stage when it runs): like Kafka consumer groups, each
//! stage reads every ticker record at its own pace, and the slowest holds the source back.
//!
//! Each ticker record gets a position from one counter that only grows, assigned while the
//! record's channel slots are held so that channel order and position order agree: the stages
//! use the position exactly like a Kafka offset (the candles' replay guard). Trade records are
//! not consumed by anything in process and are dropped (counted).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;

use super::{RecordSink, SinkError};
use crate::transforms::{KeyedRecord, Topic};

/// One record off the bus: a Kafka message or an in-process record. Defined here, where the
/// ingest side hands records on, so that the consumers read it from an earlier stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub key: Vec<u8>,
    pub payload: Vec<u8>,
    pub partition: i32,
    /// The Kafka offset (or in-process position): the candles' replay guard.
    pub offset: i64,
}

/// The partition number in-process records carry (there is one ordered stream).
pub const IN_PROCESS_PARTITION: i32 = 0;

/// The sending half; see the module doc.
#[derive(Debug)]
pub struct InProcessBus {
    /// One per reading stage; every ticker record goes to each.
    senders: Vec<mpsc::Sender<Record>>,
    capacity: usize,
    next_position: Mutex<i64>,
    trades_dropped: AtomicU64,
}

/// A receiving half, for [`crate::consumer::run_in_process`].
pub type BusReceiver = mpsc::Receiver<Record>;

impl InProcessBus {
    /// A bus holding at most `capacity` records in flight per reader (at least 1), and its
    /// first reader.
    pub fn new(capacity: usize) -> (Self, BusReceiver) {
        let mut bus = Self {
            senders: Vec::new(),
            capacity: capacity.max(1),
            next_position: Mutex::new(0),
            trades_dropped: AtomicU64::new(0),
        };
        let receiver = bus.add_reader();
        (bus, receiver)
    }

    /// Another reader that gets every ticker record from now on, with the same positions.
    pub fn add_reader(&mut self) -> BusReceiver {
        let (sender, receiver) = mpsc::channel(self.capacity);
        self.senders.push(sender);
        receiver
    }

    pub fn trades_dropped(&self) -> u64 {
        self.trades_dropped.load(Ordering::Relaxed)
    }
}

impl RecordSink for InProcessBus {
    async fn publish(&self, record: KeyedRecord) -> Result<(), SinkError> {
        if record.topic == Topic::Trade {
            self.trades_dropped.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        }
        // A slot in every reader's channel first, so a record reaches all readers or none.
        let mut permits = Vec::with_capacity(self.senders.len());
        for sender in &self.senders {
            permits.push(sender.reserve().await.map_err(|_| SinkError::Closed)?);
        }
        // The lock is held only to number and place the record, never across an await.
        let mut next = self
            .next_position
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let record = Record {
            key: record.key.as_str().as_bytes().to_vec(),
            payload: record.value,
            partition: IN_PROCESS_PARTITION,
            offset: *next,
        };
        let last = permits.pop();
        for permit in permits {
            permit.send(record.clone());
        }
        if let Some(permit) = last {
            permit.send(record);
        }
        *next += 1;
        Ok(())
    }

    /// Waits until every reader has taken every record off its channel (their writes are
    /// their own drain's business).
    async fn flush(&self, timeout: Duration) -> Result<(), SinkError> {
        let deadline = tokio::time::Instant::now() + timeout;
        while self.pending() > 0 {
            if self.senders.iter().any(mpsc::Sender::is_closed) {
                return Err(SinkError::Closed);
            }
            if tokio::time::Instant::now() >= deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        Ok(())
    }

    /// Records the slowest reader has not taken yet.
    fn pending(&self) -> usize {
        self.senders
            .iter()
            .map(|sender| sender.max_capacity() - sender.capacity())
            .max()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::test_support::market;

    fn keyed(topic: Topic, code: &str, value: &str) -> KeyedRecord {
        KeyedRecord {
            topic,
            key: market(code),
            value: value.as_bytes().to_vec(),
        }
    }

    #[tokio::test]
    async fn every_reader_gets_every_ticker_with_the_same_positions() {
        let (mut bus, mut first) = InProcessBus::new(8);
        let mut second = bus.add_reader();
        bus.publish(keyed(Topic::Ticker, "KRW-BTC", "a"))
            .await
            .unwrap();
        bus.publish(keyed(Topic::Trade, "KRW-BTC", "t"))
            .await
            .unwrap();
        bus.publish(keyed(Topic::Ticker, "KRW-ETH", "b"))
            .await
            .unwrap();
        assert_eq!(bus.trades_dropped(), 1);
        for reader in [&mut first, &mut second] {
            let a = reader.recv().await.unwrap();
            let b = reader.recv().await.unwrap();
            assert_eq!(
                (a.key.as_slice(), a.payload.as_slice(), a.offset),
                (&b"KRW-BTC"[..], &b"a"[..], 0)
            );
            assert_eq!(
                (b.key.as_slice(), b.payload.as_slice(), b.offset),
                (&b"KRW-ETH"[..], &b"b"[..], 1)
            );
            assert!(reader.try_recv().is_err(), "the trade reached no reader");
        }
    }

    #[tokio::test]
    async fn the_slowest_reader_holds_the_source_back() {
        let (mut bus, mut fast) = InProcessBus::new(1);
        let mut slow = bus.add_reader();
        bus.publish(keyed(Topic::Ticker, "KRW-BTC", "a"))
            .await
            .unwrap();
        fast.recv().await.unwrap();
        assert_eq!(
            bus.pending(),
            1,
            "the slow reader's record is still pending"
        );
        let blocked = tokio::time::timeout(
            Duration::from_millis(50),
            bus.publish(keyed(Topic::Ticker, "KRW-BTC", "b")),
        )
        .await;
        assert!(blocked.is_err(), "publish waits for the slow reader's slot");
        assert_eq!(slow.recv().await.unwrap().offset, 0);
        bus.publish(keyed(Topic::Ticker, "KRW-BTC", "b"))
            .await
            .unwrap();
        assert_eq!(fast.recv().await.unwrap().offset, 1);
        assert_eq!(slow.recv().await.unwrap().offset, 1);
        bus.flush(Duration::from_millis(10)).await.unwrap();
        assert_eq!(bus.pending(), 0);
        drop(slow);
        bus.publish(keyed(Topic::Ticker, "KRW-BTC", "c"))
            .await
            .expect_err("a reader gone is a closed bus");
    }
}
