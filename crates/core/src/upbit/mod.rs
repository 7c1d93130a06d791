//! Upbit WebSocket messages.
//!
//! Upbit sends UTF-8 JSON in binary frames (text frames are accepted too). A frame holds one
//! message (formats DEFAULT and SIMPLE, which differ only in key names) or a JSON array of them
//! (JSON_LIST, SIMPLE_LIST). Besides market data there are `{"status":"UP"}` (the answer to a
//! `PING`) and `{"error":{"name":…,"message":…}}`.
//!
//! - [`parse`]: frame → [`UpbitMessage`]s; every malformed input is a [`ParseError`] naming the
//!   field and the reason, never a panic.
//! - [`ticker`] / [`trade`]: the typed messages, prices exact as [`rust_decimal::Decimal`].
//! - [`encode`]: the reverse, in either key style (the synthetic generator and the simulator use it).
//! - [`fields`]: the DEFAULT ↔ SIMPLE key table.
//! - [`stats`]: a decoder that counts every message and every error by kind.

pub mod encode;
pub mod error;
pub mod fields;
pub mod not_ingested;
pub mod parse;
mod raw;
mod scan;
pub mod stats;
pub mod ticker;
pub mod trade;

use serde::{Deserialize, Serialize};

pub use encode::{KeyStyle, encode_message};
pub use error::{FieldError, ParseError};
pub use not_ingested::NotIngested;
pub use parse::{parse_frame, parse_message};
pub use stats::{DecodeStats, decode_counted};
pub use ticker::Ticker;
pub use trade::Trade;

/// One message received from Upbit.
#[derive(Debug, Clone, PartialEq)]
pub enum UpbitMessage {
    Ticker(Box<Ticker>),
    Trade(Box<Trade>),
    /// `{"status":"UP"}`, Upbit's answer to a `PING`.
    Status(String),
    /// A well-formed message of a type the platform does not ingest (`orderbook`, …).
    NotIngested(NotIngested),
    /// `{"error":{"name":"WRONG_FORMAT","message":"…"}}`: the subscription was refused.
    Error {
        name: String,
        message: String,
    },
}

/// Direction of the price against the previous close.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Change {
    Rise,
    Even,
    Fall,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Rise => "RISE",
            Change::Even => "EVEN",
            Change::Fall => "FALL",
        }
    }

    fn from_wire(text: &str) -> Option<Self> {
        match text {
            "RISE" => Some(Change::Rise),
            "EVEN" => Some(Change::Even),
            "FALL" => Some(Change::Fall),
            _ => None,
        }
    }
}

/// Whether the last trade was a buy (BID) or a sell (ASK) taker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum AskBid {
    Ask,
    Bid,
}

impl AskBid {
    pub fn as_str(self) -> &'static str {
        match self {
            AskBid::Ask => "ASK",
            AskBid::Bid => "BID",
        }
    }

    fn from_wire(text: &str) -> Option<Self> {
        match text {
            "ASK" => Some(AskBid::Ask),
            "BID" => Some(AskBid::Bid),
            _ => None,
        }
    }
}

/// Snapshot (sent once on subscribe) or realtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum StreamType {
    Snapshot,
    Realtime,
}

impl StreamType {
    pub fn as_str(self) -> &'static str {
        match self {
            StreamType::Snapshot => "SNAPSHOT",
            StreamType::Realtime => "REALTIME",
        }
    }

    fn from_wire(text: &str) -> Option<Self> {
        match text {
            "SNAPSHOT" => Some(StreamType::Snapshot),
            "REALTIME" => Some(StreamType::Realtime),
            _ => None,
        }
    }
}

/// A subscribable data type (`"type"` in the subscription request).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DataType {
    Ticker,
    Trade,
}

impl DataType {
    pub fn as_str(self) -> &'static str {
        match self {
            DataType::Ticker => "ticker",
            DataType::Trade => "trade",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "ticker" => Some(DataType::Ticker),
            "trade" => Some(DataType::Trade),
            _ => None,
        }
    }

    /// The type of a market-data message; `None` for status and error messages.
    pub fn of(message: &UpbitMessage) -> Option<Self> {
        match message {
            UpbitMessage::Ticker(_) => Some(DataType::Ticker),
            UpbitMessage::Trade(_) => Some(DataType::Trade),
            UpbitMessage::Status(_) | UpbitMessage::Error { .. } | UpbitMessage::NotIngested(_) => {
                None
            }
        }
    }
}
