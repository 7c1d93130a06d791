//! The capture prepared for replay: every frame parsed once at start, shared by all connections.
//!
//! Each connection re-encodes these messages in the format its client asked for, so a capture in
//! mixed DEFAULT/SIMPLE keys replays as DEFAULT, SIMPLE or either list form.

use std::collections::{BTreeSet, HashMap};

use coinking_core::capture::parse_capture;
use coinking_core::market::MarketCode;
use coinking_core::upbit::{StreamType, UpbitMessage, parse_frame};

use crate::error::SimError;
use crate::subscription::DataType;

/// One realtime message of the capture.
#[derive(Debug, Clone)]
pub struct RecordedMessage {
    /// Milliseconds after the capture's first frame at which it was received.
    pub offset_ms: i64,
    pub data_type: DataType,
    pub code: MarketCode,
    pub message: UpbitMessage,
}

/// A parsed capture.
#[derive(Debug, Clone)]
pub struct Recording {
    realtime: Vec<RecordedMessage>,
    snapshots: HashMap<(DataType, MarketCode), UpbitMessage>,
    markets: BTreeSet<MarketCode>,
    loop_period_ms: i64,
    sequence_span: i64,
    skipped_frames: usize,
}

impl Recording {
    /// Parses NDJSON capture text. Lines that are not capture lines are an error; frames that
    /// hold no parseable market data (status answers, garbage) are skipped and counted.
    pub fn from_ndjson(text: &str) -> Result<Self, SimError> {
        let mut first_received_at: Option<i64> = None;
        let mut last_received_at = 0_i64;
        let mut skipped_frames = 0_usize;
        let mut received: Vec<(i64, UpbitMessage)> = Vec::new();
        for line in parse_capture(text) {
            let line = line?;
            let origin = *first_received_at.get_or_insert(line.received_at_ms);
            last_received_at = last_received_at.max(line.received_at_ms);
            let offset_ms = line.received_at_ms - origin;
            parse_frame(&line.frame, |result| match result {
                Ok(message) if DataType::of(&message).is_some() => {
                    received.push((offset_ms, message));
                }
                _ => skipped_frames += 1,
            });
        }
        let Some(origin) = first_received_at else {
            return Err(SimError::EmptyCapture);
        };
        Self::from_messages(received, last_received_at - origin, skipped_frames)
    }

    fn from_messages(
        received: Vec<(i64, UpbitMessage)>,
        received_span_ms: i64,
        skipped_frames: usize,
    ) -> Result<Self, SimError> {
        let mut realtime = Vec::with_capacity(received.len());
        let mut snapshots = HashMap::new();
        let mut markets = BTreeSet::new();
        let mut earliest_timestamp = i64::MAX;
        let mut latest_timestamp = i64::MIN;
        let mut lowest_sequence = i64::MAX;
        let mut highest_sequence = i64::MIN;
        for (offset_ms, message) in received {
            let (data_type, code, stream_type, timestamps) = match &message {
                UpbitMessage::Ticker(ticker) => (
                    DataType::Ticker,
                    ticker.code.clone(),
                    ticker.stream_type,
                    [ticker.trade_timestamp, ticker.timestamp],
                ),
                UpbitMessage::Trade(trade) => {
                    lowest_sequence = lowest_sequence.min(trade.sequential_id);
                    highest_sequence = highest_sequence.max(trade.sequential_id);
                    (
                        DataType::Trade,
                        trade.code.clone(),
                        trade.stream_type,
                        [trade.trade_timestamp, trade.timestamp],
                    )
                }
                UpbitMessage::Status(_)
                | UpbitMessage::Error { .. }
                | UpbitMessage::NotIngested(_) => continue,
            };
            for timestamp in timestamps {
                earliest_timestamp = earliest_timestamp.min(timestamp);
                latest_timestamp = latest_timestamp.max(timestamp);
            }
            markets.insert(code.clone());
            snapshots
                .entry((data_type, code.clone()))
                .or_insert_with(|| as_snapshot(&message));
            // The capture's own snapshots were the answer to its subscription; a replaying client
            // gets fresh ones from `snapshots` instead.
            if stream_type != Some(StreamType::Snapshot) {
                realtime.push(RecordedMessage {
                    offset_ms,
                    data_type,
                    code,
                    message,
                });
            }
        }
        if markets.is_empty() {
            return Err(SimError::EmptyCapture);
        }
        // Each pass starts one period after the previous one, and every timestamp moves forward
        // by the period: longer than both the receive span and the timestamp span, so a market's
        // timestamps keep increasing from one pass to the next.
        let timestamp_span = latest_timestamp.saturating_sub(earliest_timestamp);
        let loop_period_ms = received_span_ms.max(timestamp_span).saturating_add(1);
        let sequence_span = if lowest_sequence <= highest_sequence {
            highest_sequence
                .saturating_sub(lowest_sequence)
                .saturating_add(1)
        } else {
            1
        };
        Ok(Self {
            realtime,
            snapshots,
            markets,
            loop_period_ms,
            sequence_span,
            skipped_frames,
        })
    }

    /// The capture's realtime messages in receive order.
    pub fn realtime(&self) -> &[RecordedMessage] {
        &self.realtime
    }

    /// The first message of that type and market, marked SNAPSHOT.
    pub fn snapshot(&self, data_type: DataType, code: &MarketCode) -> Option<&UpbitMessage> {
        self.snapshots.get(&(data_type, code.clone()))
    }

    /// Every market with at least one ticker or trade message: the codes a client may subscribe to.
    pub fn markets(&self) -> &BTreeSet<MarketCode> {
        &self.markets
    }

    /// How far (in ms) each looping pass moves timestamps and the replay clock forward.
    pub fn loop_period_ms(&self) -> i64 {
        self.loop_period_ms
    }

    /// How far each looping pass moves trade sequential ids forward.
    pub fn sequence_span(&self) -> i64 {
        self.sequence_span
    }

    /// Frames without market data (status answers, unparseable frames).
    pub fn skipped_frames(&self) -> usize {
        self.skipped_frames
    }
}

fn as_snapshot(message: &UpbitMessage) -> UpbitMessage {
    let mut snapshot = message.clone();
    match &mut snapshot {
        UpbitMessage::Ticker(ticker) => ticker.stream_type = Some(StreamType::Snapshot),
        UpbitMessage::Trade(trade) => trade.stream_type = Some(StreamType::Snapshot),
        UpbitMessage::Status(_) | UpbitMessage::Error { .. } | UpbitMessage::NotIngested(_) => {}
    }
    snapshot
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SHIPPED_CAPTURE;

    #[test]
    fn the_shipped_capture_has_nine_markets_and_their_snapshots() {
        let recording = Recording::from_ndjson(SHIPPED_CAPTURE).unwrap();
        assert_eq!(recording.markets().len(), 9);
        for code in recording.markets() {
            for data_type in [DataType::Ticker, DataType::Trade] {
                let snapshot = recording.snapshot(data_type, code).unwrap();
                let stream_type = match snapshot {
                    UpbitMessage::Ticker(ticker) => ticker.stream_type,
                    UpbitMessage::Trade(trade) => trade.stream_type,
                    _ => None,
                };
                assert_eq!(stream_type, Some(StreamType::Snapshot), "{code}");
            }
        }
        // 2268 lines: 9 snapshot tickers and one status answer are not replayed as realtime.
        assert_eq!(recording.realtime().len(), 2258);
        assert_eq!(recording.skipped_frames(), 1);
        assert!(recording.loop_period_ms() > 60_000);
    }

    #[test]
    fn a_capture_without_market_data_is_refused() {
        let status_only = r#"{"recv_ms":1,"kind":"binary","frame":"{\"status\":\"UP\"}"}"#;
        assert!(matches!(
            Recording::from_ndjson(status_only),
            Err(SimError::EmptyCapture)
        ));
        assert!(matches!(
            Recording::from_ndjson(""),
            Err(SimError::EmptyCapture)
        ));
    }

    #[test]
    fn a_malformed_line_is_an_error_naming_it() {
        let err = Recording::from_ndjson("nonsense").unwrap_err().to_string();
        assert!(err.contains("capture line 1"), "{err}");
    }
}
