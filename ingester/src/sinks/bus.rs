//! [`InProcessBus`]: a bounded channel from the transform to the in-process stream stage.
//!
//! Each ticker record gets a position from one counter that only grows, assigned while the
//! record's channel slot is held so that channel order and position order agree: the stream
//! stage uses the position exactly like a Kafka offset (the candles' replay guard). Trade
//! records are not consumed by anything in process and are dropped (counted).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;

use super::{RecordSink, SinkError};
use crate::consumer::Record;
use crate::transforms::{KeyedRecord, Topic};

/// The partition number in-process records carry (there is one ordered stream).
pub const IN_PROCESS_PARTITION: i32 = 0;

/// The sending half; see the module doc.
#[derive(Debug)]
pub struct InProcessBus {
    sender: mpsc::Sender<Record>,
    next_position: Mutex<i64>,
    trades_dropped: AtomicU64,
}

/// The receiving half, for [`crate::stream::run_in_process`].
pub type BusReceiver = mpsc::Receiver<Record>;

impl InProcessBus {
    /// A bus holding at most `capacity` records in flight (at least 1).
    pub fn new(capacity: usize) -> (Self, BusReceiver) {
        let (sender, receiver) = mpsc::channel(capacity.max(1));
        let bus = Self {
            sender,
            next_position: Mutex::new(0),
            trades_dropped: AtomicU64::new(0),
        };
        (bus, receiver)
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
        let permit = self.sender.reserve().await.map_err(|_| SinkError::Closed)?;
        // The lock is held only to number and place the record, never across an await.
        let mut next = self
            .next_position
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        permit.send(Record {
            key: record.key.as_str().as_bytes().to_vec(),
            payload: record.value,
            partition: IN_PROCESS_PARTITION,
            offset: *next,
        });
        *next += 1;
        Ok(())
    }

    /// Waits until the stream stage has taken every record off the channel (its writes are
    /// its own drain's business).
    async fn flush(&self, timeout: Duration) -> Result<(), SinkError> {
        let deadline = tokio::time::Instant::now() + timeout;
        while self.pending() > 0 {
            if self.sender.is_closed() {
                return Err(SinkError::Closed);
            }
            if tokio::time::Instant::now() >= deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        Ok(())
    }

    fn pending(&self) -> usize {
        self.sender.max_capacity() - self.sender.capacity()
    }
}
