//! [`NotIngested`]: Upbit's message types the platform does not ingest.
//!
//! The platform subscribes to `ticker` (and `trade` when asked) only, but a shared connection,
//! a replayed capture or a subscription change can still bring other well-formed types. Those
//! are counted by type and dropped, not taken for malformed messages: a parse error means
//! something is broken, one of these does not.

/// A well-formed Upbit message of a type the platform does not ingest (its fields are not read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NotIngested {
    Orderbook,
    /// Any `candle.<unit>` stream (`candle.1s`, `candle.1m`, …).
    Candle,
    MyOrder,
    MyAsset,
}

impl NotIngested {
    /// Every variant, in the order metrics list them.
    pub const ALL: [NotIngested; 4] = [
        NotIngested::Orderbook,
        NotIngested::Candle,
        NotIngested::MyOrder,
        NotIngested::MyAsset,
    ];

    /// The type as Upbit names it (`candle` for every candle unit); the metrics' label.
    pub fn as_str(self) -> &'static str {
        match self {
            NotIngested::Orderbook => "orderbook",
            NotIngested::Candle => "candle",
            NotIngested::MyOrder => "myOrder",
            NotIngested::MyAsset => "myAsset",
        }
    }

    /// The `type` value written when encoding one (a candle as the 1-second unit).
    pub fn wire_type(self) -> &'static str {
        match self {
            NotIngested::Candle => "candle.1s",
            other => other.as_str(),
        }
    }

    /// The variant for an Upbit `type` value; `None` for a type Upbit does not send.
    pub fn from_type(message_type: &str) -> Option<Self> {
        match message_type {
            "orderbook" => Some(NotIngested::Orderbook),
            "myOrder" => Some(NotIngested::MyOrder),
            "myAsset" => Some(NotIngested::MyAsset),
            unit if unit
                .strip_prefix("candle.")
                .is_some_and(|unit| !unit.is_empty()) =>
            {
                Some(NotIngested::Candle)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upbit_s_other_types_are_recognised_and_made_up_ones_are_not() {
        for kind in NotIngested::ALL {
            assert_eq!(NotIngested::from_type(kind.wire_type()), Some(kind));
        }
        assert_eq!(
            NotIngested::from_type("candle.240m"),
            Some(NotIngested::Candle)
        );
        for unknown in ["candle.", "candle", "orderBook", "ticker", ""] {
            assert_eq!(NotIngested::from_type(unknown), None, "{unknown}");
        }
    }
}
