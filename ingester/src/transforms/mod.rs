//! Transforms: raw source frames → keyed records for the bus.
//!
//! - [`normalize`]: [`Normalizer`], frame → `decode_counted` → [`KeyedRecord`]s (normalised v1
//!   ticker JSON on [`Topic::Ticker`], normalised trade JSON on [`Topic::Trade`]), counting
//!   every message and every parse error by reason.
//! - [`trade`]: [`NormalizedTrade`], the `"v":1` value of topic `upbit.trade`.

pub mod normalize;
pub mod trade;

pub use normalize::{Normalizer, TransformMetrics, TransformMetricsSnapshot};
pub use trade::NormalizedTrade;

use coinking_core::market::MarketCode;

/// Which topic a record belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Topic {
    /// `upbit.ticker`: normalised tickers; the stream stage consumes it.
    Ticker,
    /// `upbit.trade`: normalised trades (only when trades are subscribed).
    Trade,
}

impl Topic {
    /// The default Kafka topic name.
    pub fn default_name(self) -> &'static str {
        match self {
            Topic::Ticker => "upbit.ticker",
            Topic::Trade => "upbit.trade",
        }
    }
}

/// One record for the bus: key = market code, value = normalised v1 JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyedRecord {
    pub topic: Topic,
    pub key: MarketCode,
    pub value: Vec<u8>,
}
