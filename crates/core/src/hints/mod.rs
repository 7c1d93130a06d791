//! The AI hints of `GET /get_deeplearning` (DESIGN.md "The frontend's contracts", item 4): per
//! game market, a next-minute forecast (`percentage`), its `rank`, `sell_up`/`sell_down` price
//! levels and seven flags, computed from the last closed 1-minute candles. Pure: the caller
//! passes the candles, the latest prices and the time.
//!
//! Module map:
//! - [`window`]: the window of closed candles and its statistics (minute % changes, volatility,
//!   rise, spike, mean change).
//! - [`forecast`]: the [`Forecaster`] trait and [`BaselineForecaster`] (`baseline-v1`).
//! - [`compute`]: [`compute_hints`]: flags, ranks, sell levels, warm-up.
//! - [`submit`]: the rules of a hint set: [`parse_submission`] (the body of
//!   `POST /set_deeplearning`) and [`fit_to_markets`] (what `GET /get_deeplearning` serves).
//!
//! Flags (exactly one market true per flag; ties go to the earlier market in the configured
//! order; markets without enough data for a statistic do not compete for its flags, and when no
//! market has the data the flag goes to the first market):
//! | flag | statistic over the window | chosen |
//! |---|---|---|
//! | `most_volatile` / `least_volatile` | sample std of minute-to-minute % changes of the close (≥ 2 changes) | max / min |
//! | `largest_rise` / `largest_drop` | % change from the first to the last close (≥ 2 candles) | max / min |
//! | `largest_spike` | last minute's volume ÷ the window's first minute's volume (≥ 2 candles) | max |
//! | `fastest_growth` / `fastest_decline` | mean of minute-to-minute % changes (≥ 1 change) | max / min |

use serde::{Deserialize, Serialize};

use crate::market::MarketCode;

pub mod compute;
pub mod forecast;
pub mod submit;
pub mod window;

pub use compute::{MarketInput, compute_hints};
pub use forecast::{BaselineForecaster, Forecaster, SharedForecaster};
pub use submit::{HintProblem, fit_to_markets, parse_submission};

/// How many closed 1-minute candles the hints look back over.
pub const WINDOW_MINUTES: usize = 10;
/// The model name of [`BaselineForecaster`].
pub const BASELINE_MODEL: &str = "baseline-v1";
/// The model label of a set made while some market still lacked the candles for a forecast.
pub const WARMING_UP_MODEL: &str = "warming-up";
/// Largest |percentage| a hint may carry: a forecast beyond ±100 % a minute is not a forecast.
pub const MAX_ABS_PERCENTAGE: f64 = 100.0;
/// Largest price a hint may carry (KRW); Upbit's highest prices are around 10^8.
pub const MAX_PRICE: f64 = 1e15;

/// One entry of `GET /get_deeplearning`, fields in the contract's order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hint {
    pub code: MarketCode,
    /// Predicted change of the close over the next minute, in percent.
    pub percentage: f64,
    /// 1..N by `percentage` descending, unique.
    pub rank: u32,
    /// KRW price just above the current one ("good time to sell" above it).
    pub sell_up: f64,
    /// KRW price just below the current one ("stop loss" below it).
    pub sell_down: f64,
    pub most_volatile: bool,
    pub least_volatile: bool,
    pub largest_drop: bool,
    pub largest_rise: bool,
    pub largest_spike: bool,
    pub fastest_growth: bool,
    pub fastest_decline: bool,
}

impl Hint {
    /// An entry with nothing known: zero forecast, no price levels, no flag.
    pub fn unknown(code: MarketCode) -> Self {
        Self {
            code,
            percentage: 0.0,
            rank: 0,
            sell_up: 0.0,
            sell_down: 0.0,
            most_volatile: false,
            least_volatile: false,
            largest_drop: false,
            largest_rise: false,
            largest_spike: false,
            fastest_growth: false,
            fastest_decline: false,
        }
    }

    pub fn flag(&self, flag: Flag) -> bool {
        match flag {
            Flag::MostVolatile => self.most_volatile,
            Flag::LeastVolatile => self.least_volatile,
            Flag::LargestDrop => self.largest_drop,
            Flag::LargestRise => self.largest_rise,
            Flag::LargestSpike => self.largest_spike,
            Flag::FastestGrowth => self.fastest_growth,
            Flag::FastestDecline => self.fastest_decline,
        }
    }

    pub fn set_flag(&mut self, flag: Flag, value: bool) {
        let slot = match flag {
            Flag::MostVolatile => &mut self.most_volatile,
            Flag::LeastVolatile => &mut self.least_volatile,
            Flag::LargestDrop => &mut self.largest_drop,
            Flag::LargestRise => &mut self.largest_rise,
            Flag::LargestSpike => &mut self.largest_spike,
            Flag::FastestGrowth => &mut self.fastest_growth,
            Flag::FastestDecline => &mut self.fastest_decline,
        };
        *slot = value;
    }
}

/// The seven flags, in the contract's field order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flag {
    MostVolatile,
    LeastVolatile,
    LargestDrop,
    LargestRise,
    LargestSpike,
    FastestGrowth,
    FastestDecline,
}

impl Flag {
    pub const ALL: [Flag; 7] = [
        Flag::MostVolatile,
        Flag::LeastVolatile,
        Flag::LargestDrop,
        Flag::LargestRise,
        Flag::LargestSpike,
        Flag::FastestGrowth,
        Flag::FastestDecline,
    ];

    /// The JSON field name.
    pub fn name(self) -> &'static str {
        match self {
            Flag::MostVolatile => "most_volatile",
            Flag::LeastVolatile => "least_volatile",
            Flag::LargestDrop => "largest_drop",
            Flag::LargestRise => "largest_rise",
            Flag::LargestSpike => "largest_spike",
            Flag::FastestGrowth => "fastest_growth",
            Flag::FastestDecline => "fastest_decline",
        }
    }
}

/// One hint set: what the hints stage writes every minute and `/get_deeplearning` serves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HintSet {
    /// When the set was made (epoch ms).
    pub generated_at_ms: i64,
    /// How new its data is (epoch ms): the newest candle close or ticker it used; when nothing
    /// was known, `generated_at_ms`.
    pub data_time_ms: i64,
    /// The forecaster's name (`baseline-v1`), or the external predictor's.
    pub model: String,
    /// Some market lacked the candles for a forecast (right after start): its entry has a
    /// zero forecast, and the response says `warming-up`.
    pub warming_up: bool,
    /// One entry per market, in the configured market order.
    pub entries: Vec<Hint>,
}

impl HintSet {
    /// The model as the response header states it: `warming-up` while warming up.
    pub fn model_label(&self) -> &str {
        if self.warming_up {
            WARMING_UP_MODEL
        } else {
            &self.model
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_hint_serialises_with_the_contracts_fields_in_order() {
        let mut hint = Hint::unknown(MarketCode::parse("KRW-BTC").unwrap());
        hint.percentage = 0.437;
        hint.rank = 1;
        hint.sell_up = 142_076_759.8;
        hint.sell_down = 141_663_240.2;
        hint.largest_rise = true;
        let text = serde_json::to_string(&hint).unwrap();
        assert_eq!(
            text,
            r#"{"code":"KRW-BTC","percentage":0.437,"rank":1,"sell_up":142076759.8,"sell_down":141663240.2,"most_volatile":false,"least_volatile":false,"largest_drop":false,"largest_rise":true,"largest_spike":false,"fastest_growth":false,"fastest_decline":false}"#
        );
    }

    #[test]
    fn flags_read_and_write_the_field_of_their_name() {
        let mut hint = Hint::unknown(MarketCode::parse("KRW-BTC").unwrap());
        for flag in Flag::ALL {
            hint.set_flag(flag, true);
            let json = serde_json::to_value(&hint).unwrap();
            assert_eq!(json[flag.name()], true, "{}", flag.name());
            assert!(hint.flag(flag));
            hint.set_flag(flag, false);
        }
    }
}
