//! One subscription's replay: the snapshots first, then the capture's realtime messages for the
//! subscribed types and codes, paced by their receive times, optionally looping.
//!
//! Pure apart from taking the current [`Instant`] as an argument, so the pacing is testable.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use coinking_core::market::MarketCode;
use coinking_core::time::UtcDateTime;
use coinking_core::upbit::UpbitMessage;
use tokio::time::Instant;

use crate::recording::Recording;
use crate::subscription::{DataType, Subscription};

/// What the replay wants next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// A message is due: call [`Replay::pop`].
    Ready,
    /// The next message is due at this instant.
    At(Instant),
    /// Due further in the future than an `Instant` can express (an absurdly low speed).
    Never,
    /// Nothing more will come.
    Done(Completion),
}

/// Why a replay has nothing more to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completion {
    /// Only snapshots were asked for (or the codes have no realtime messages).
    SnapshotsOnly,
    /// A non-looping replay went through the whole capture.
    EndOfCapture,
}

/// Pacing and looping of a replay.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pacing {
    /// Multiple of the recorded pace; 0 = as fast as possible.
    pub speed: f64,
    pub looping: bool,
}

#[derive(Debug)]
pub struct Replay {
    recording: Arc<Recording>,
    snapshots: VecDeque<UpbitMessage>,
    /// Indices into `recording.realtime()` of the subscribed messages, in capture order.
    selected: Vec<usize>,
    position: usize,
    pass: u64,
    pacing: Pacing,
    /// The instant the capture's first frame corresponds to in this replay.
    origin: Instant,
}

impl Replay {
    pub fn new(
        recording: Arc<Recording>,
        subscription: &Subscription,
        pacing: Pacing,
        now: Instant,
    ) -> Self {
        let mut snapshots = VecDeque::new();
        let mut snapshot_keys: HashSet<(DataType, &MarketCode)> = HashSet::new();
        let mut realtime_keys: HashSet<(DataType, &MarketCode)> = HashSet::new();
        for stream in &subscription.streams {
            for code in &stream.codes {
                let key = (stream.data_type, code);
                if stream.wants_snapshot() && snapshot_keys.insert(key) {
                    if let Some(snapshot) = recording.snapshot(stream.data_type, code) {
                        snapshots.push_back(snapshot.clone());
                    }
                }
                if stream.wants_realtime() {
                    realtime_keys.insert(key);
                }
            }
        }
        let selected = recording
            .realtime()
            .iter()
            .enumerate()
            .filter(|(_, recorded)| realtime_keys.contains(&(recorded.data_type, &recorded.code)))
            .map(|(index, _)| index)
            .collect();
        Self {
            recording,
            snapshots,
            selected,
            position: 0,
            pass: 0,
            pacing,
            origin: now,
        }
    }

    /// When the next message is due; snapshots are due at once.
    pub fn next(&self) -> Next {
        if !self.snapshots.is_empty() {
            return Next::Ready;
        }
        let Some(&index) = self.selected.get(self.position) else {
            return Next::Done(if self.selected.is_empty() {
                Completion::SnapshotsOnly
            } else {
                Completion::EndOfCapture
            });
        };
        if self.pacing.speed == 0.0 {
            return Next::Ready;
        }
        let offset_ms = self
            .pass_shift_ms()
            .saturating_add(self.recording.realtime()[index].offset_ms)
            .max(0);
        let seconds = offset_ms as f64 / 1000.0 / self.pacing.speed;
        match Duration::try_from_secs_f64(seconds)
            .ok()
            .and_then(|delay| self.origin.checked_add(delay))
        {
            Some(due) => Next::At(due),
            None => Next::Never,
        }
    }

    /// Whether a message is due at `now`.
    pub fn is_due(&self, now: Instant) -> bool {
        match self.next() {
            Next::Ready => true,
            Next::At(due) => due <= now,
            Next::Never | Next::Done(_) => false,
        }
    }

    /// Takes the next message (whether or not it is due: the caller checks [`Replay::next`]),
    /// with its timestamps moved forward for the current pass.
    pub fn pop(&mut self) -> Option<UpbitMessage> {
        if let Some(snapshot) = self.snapshots.pop_front() {
            return Some(snapshot);
        }
        let &index = self.selected.get(self.position)?;
        let message = shifted(
            &self.recording.realtime()[index].message,
            self.pass,
            &self.recording,
        );
        self.position += 1;
        if self.position == self.selected.len() && self.pacing.looping {
            self.position = 0;
            self.pass += 1;
        }
        Some(message)
    }

    /// Moves the rest of the schedule later, e.g. by the length of a stall, so the replay resumes
    /// at its pace instead of bursting to catch up.
    pub fn delay(&mut self, by: Duration) {
        if let Some(origin) = self.origin.checked_add(by) {
            self.origin = origin;
        }
    }

    fn pass_shift_ms(&self) -> i64 {
        i64::try_from(self.pass)
            .unwrap_or(i64::MAX)
            .saturating_mul(self.recording.loop_period_ms())
    }
}

/// The message as it appears in the given looping pass: timestamps moved forward by whole loop
/// periods (with the calendar fields to match), trade sequential ids by whole sequence spans.
pub fn shifted(message: &UpbitMessage, pass: u64, recording: &Recording) -> UpbitMessage {
    let mut out = message.clone();
    if pass == 0 {
        return out;
    }
    let passes = i64::try_from(pass).unwrap_or(i64::MAX);
    let shift_ms = passes.saturating_mul(recording.loop_period_ms());
    match &mut out {
        UpbitMessage::Ticker(ticker) => {
            ticker.trade_timestamp = ticker.trade_timestamp.saturating_add(shift_ms);
            ticker.timestamp = ticker.timestamp.saturating_add(shift_ms);
            let traded_at = UtcDateTime::from_epoch_ms(ticker.trade_timestamp);
            if ticker.trade_date.is_some() {
                ticker.trade_date = Some(traded_at.compact_date());
            }
            if ticker.trade_time.is_some() {
                ticker.trade_time = Some(traded_at.compact_time());
            }
        }
        UpbitMessage::Trade(trade) => {
            trade.trade_timestamp = trade.trade_timestamp.saturating_add(shift_ms);
            trade.timestamp = trade.timestamp.saturating_add(shift_ms);
            trade.sequential_id = trade
                .sequential_id
                .saturating_add(passes.saturating_mul(recording.sequence_span()));
            let traded_at = UtcDateTime::from_epoch_ms(trade.trade_timestamp);
            if trade.trade_date.is_some() {
                trade.trade_date = Some(traded_at.dashed_date());
            }
            if trade.trade_time.is_some() {
                trade.trade_time = Some(traded_at.colon_time());
            }
        }
        UpbitMessage::Status(_) | UpbitMessage::Error { .. } | UpbitMessage::NotIngested(_) => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::subscription::{Format, StreamRequest};

    /// Two markets, two realtime tickers each 1 s apart, one trade; timestamps as received.
    fn recording() -> Arc<Recording> {
        let ticker = |recv: i64, code: &str, stream_type: &str| {
            let frame = format!(
                r#"{{"ty":"ticker","cd":"{code}","op":1.0,"hp":1.0,"lp":1.0,"tp":1.0,"pcp":1.0,"c":"EVEN","cp":0.0,"cr":0.0,"tdt":"20241125","ttm":"000000","ttms":{recv},"tms":{recv},"st":"{stream_type}"}}"#
            );
            coinking_core::capture::CaptureLine::binary(recv, frame).to_ndjson()
        };
        let trade = |recv: i64, code: &str, sid: i64| {
            let frame = format!(
                r#"{{"ty":"trade","cd":"{code}","tp":1.0,"tv":1.0,"ab":"BID","td":"2024-11-25","ttm":"00:00:00","ttms":{recv},"tms":{recv},"sid":{sid},"st":"REALTIME"}}"#
            );
            coinking_core::capture::CaptureLine::binary(recv, frame).to_ndjson()
        };
        let lines = [
            ticker(1_732_492_800_000, "KRW-BTC", "SNAPSHOT"),
            ticker(1_732_492_800_000, "KRW-ETH", "SNAPSHOT"),
            ticker(1_732_492_801_000, "KRW-BTC", "REALTIME"),
            trade(1_732_492_801_500, "KRW-BTC", 10),
            ticker(1_732_492_802_000, "KRW-ETH", "REALTIME"),
            ticker(1_732_492_803_000, "KRW-BTC", "REALTIME"),
        ];
        Arc::new(Recording::from_ndjson(&lines.join("\n")).unwrap())
    }

    fn subscription(data_type: DataType, codes: &[&str], only_snapshot: bool) -> Subscription {
        Subscription {
            ticket: "t".into(),
            streams: vec![StreamRequest {
                data_type,
                codes: codes
                    .iter()
                    .map(|c| MarketCode::parse(c).unwrap())
                    .collect(),
                only_snapshot,
                only_realtime: false,
            }],
            format: Format::Default,
        }
    }

    fn ticker_of(message: &UpbitMessage) -> &coinking_core::upbit::Ticker {
        match message {
            UpbitMessage::Ticker(ticker) => ticker,
            other => panic!("expected a ticker, got {other:?}"),
        }
    }

    #[test]
    fn snapshots_come_first_then_only_the_subscribed_codes() {
        let pacing = Pacing {
            speed: 0.0,
            looping: false,
        };
        let sub = subscription(DataType::Ticker, &["KRW-BTC"], false);
        let mut replay = Replay::new(recording(), &sub, pacing, Instant::now());
        let mut timestamps = Vec::new();
        while replay.next() == Next::Ready {
            let message = replay.pop().unwrap();
            timestamps.push(ticker_of(&message).trade_timestamp);
            assert_eq!(ticker_of(&message).code.as_str(), "KRW-BTC");
        }
        assert_eq!(
            timestamps,
            [1_732_492_800_000, 1_732_492_801_000, 1_732_492_803_000]
        );
        assert_eq!(replay.next(), Next::Done(Completion::EndOfCapture));
    }

    #[test]
    fn snapshot_only_subscriptions_complete_after_the_snapshots() {
        let pacing = Pacing {
            speed: 1.0,
            looping: true,
        };
        let sub = subscription(DataType::Ticker, &["KRW-ETH", "KRW-BTC"], true);
        let mut replay = Replay::new(recording(), &sub, pacing, Instant::now());
        assert!(replay.pop().is_some() && replay.pop().is_some());
        assert_eq!(replay.next(), Next::Done(Completion::SnapshotsOnly));
    }

    #[test]
    fn messages_are_due_at_their_recorded_offset_divided_by_speed() {
        let start = Instant::now();
        let pacing = Pacing {
            speed: 2.0,
            looping: false,
        };
        let sub = subscription(DataType::Ticker, &["KRW-ETH"], false);
        let mut replay = Replay::new(recording(), &sub, pacing, start);
        replay.pop();
        assert_eq!(replay.next(), Next::At(start + Duration::from_millis(1000)));
        replay.delay(Duration::from_millis(300));
        assert_eq!(replay.next(), Next::At(start + Duration::from_millis(1300)));
        assert!(!replay.is_due(start + Duration::from_millis(1299)));
        assert!(replay.is_due(start + Duration::from_millis(1300)));
    }

    #[test]
    fn looping_moves_timestamps_and_sequential_ids_forward() {
        let recording = recording();
        let pacing = Pacing {
            speed: 0.0,
            looping: true,
        };
        let sub = subscription(DataType::Trade, &["KRW-BTC"], false);
        let mut replay = Replay::new(recording.clone(), &sub, pacing, Instant::now());
        let trades: Vec<_> = (0..4)
            .map(|_| match replay.pop().unwrap() {
                UpbitMessage::Trade(trade) => trade,
                other => panic!("expected a trade, got {other:?}"),
            })
            .collect();
        // Snapshot, then passes 0, 1, 2 of the single trade.
        let period = recording.loop_period_ms();
        assert_eq!(
            trades[1].trade_timestamp + period,
            trades[2].trade_timestamp
        );
        assert_eq!(trades[2].sequential_id + 1, trades[3].sequential_id);
        assert!(trades[3].timestamp > trades[2].timestamp);
        let expected = UtcDateTime::from_epoch_ms(trades[3].trade_timestamp);
        assert_eq!(
            trades[3].trade_date.as_deref(),
            Some(&*expected.dashed_date())
        );
        assert_eq!(
            trades[3].trade_time.as_deref(),
            Some(&*expected.colon_time())
        );
    }
}
