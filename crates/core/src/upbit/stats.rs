//! Counting decoder: every frame ends up counted as messages of a kind or as errors of a kind,
//! so nothing malformed disappears silently (the ingester exports these as metrics).

use std::collections::BTreeMap;

use super::{ParseError, UpbitMessage, parse_frame};

/// What the decoder has seen so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DecodeStats {
    pub frames: u64,
    pub tickers: u64,
    pub trades: u64,
    pub statuses: u64,
    /// `{"error":…}` messages from Upbit (valid messages reporting a refused request).
    pub upbit_errors: u64,
    /// Well-formed messages of types the platform does not ingest, by [`super::NotIngested::as_str`].
    pub not_ingested: BTreeMap<&'static str, u64>,
    /// Malformed messages, by [`ParseError::kind`].
    pub parse_errors: BTreeMap<&'static str, u64>,
}

impl DecodeStats {
    pub fn parse_error_total(&self) -> u64 {
        self.parse_errors.values().sum()
    }

    pub fn messages_total(&self) -> u64 {
        self.tickers
            + self.trades
            + self.statuses
            + self.upbit_errors
            + self.not_ingested.values().sum::<u64>()
    }

    fn record(&mut self, result: &Result<UpbitMessage, ParseError>) {
        match result {
            Ok(UpbitMessage::Ticker(_)) => self.tickers += 1,
            Ok(UpbitMessage::Trade(_)) => self.trades += 1,
            Ok(UpbitMessage::Status(_)) => self.statuses += 1,
            Ok(UpbitMessage::Error { .. }) => self.upbit_errors += 1,
            Ok(UpbitMessage::NotIngested(kind)) => {
                *self.not_ingested.entry(kind.as_str()).or_default() += 1;
            }
            Err(err) => *self.parse_errors.entry(err.kind()).or_default() += 1,
        }
    }
}

/// Decodes a frame, counting each result, and hands every result (good or bad) to `on_message`.
pub fn decode_counted(
    frame: &[u8],
    stats: &mut DecodeStats,
    mut on_message: impl FnMut(Result<UpbitMessage, ParseError>),
) {
    stats.frames += 1;
    parse_frame(frame, |result| {
        stats.record(&result);
        on_message(result);
    });
}
