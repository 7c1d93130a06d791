//! The JSON shapes of the modern routes. `/upbit_data` uses `coinking_core::ticker::UpbitData`
//! (the frontend's contract); here prices stay exact decimals, serialised as strings.

use coinking_core::candle::Candle;
use coinking_core::catalog::{CautionFlags, MarketInfo};
use coinking_core::market::MarketCode;
use coinking_core::ticker::NormalizedTicker;
use rust_decimal::Decimal;
use serde::Serialize;

/// One ticker: every normalised field, the catalog names, and how old it is.
#[derive(Debug, Serialize)]
pub struct TickerView<'a> {
    #[serde(flatten)]
    pub ticker: &'a NormalizedTicker,
    /// `null` for a market the catalog does not list (yet).
    pub korean_name: Option<&'a str>,
    pub english_name: Option<&'a str>,
    /// Now minus the ticker's `timestamp` (when Upbit produced it), ms, never negative.
    pub age_ms: i64,
}

/// `GET /tickers`.
#[derive(Debug, Serialize)]
pub struct TickerList<'a> {
    pub tickers: Vec<TickerView<'a>>,
    /// Age of the newest ticker in the list; `null` when the list is empty.
    pub age_ms: Option<i64>,
}

/// One market of `GET /markets`.
#[derive(Debug, Serialize)]
pub struct MarketView<'a> {
    pub market: &'a MarketCode,
    pub korean_name: &'a str,
    pub english_name: &'a str,
    pub warning: bool,
    pub caution: &'a CautionFlags,
    /// Whether the market is one of the configured game markets.
    pub game: bool,
}

impl<'a> MarketView<'a> {
    pub fn new(info: &'a MarketInfo, game: bool) -> Self {
        Self {
            market: &info.market,
            korean_name: &info.korean_name,
            english_name: &info.english_name,
            warning: info.warning,
            caution: &info.caution,
            game,
        }
    }
}

/// `GET /markets`.
#[derive(Debug, Serialize)]
pub struct MarketList<'a> {
    pub markets: Vec<MarketView<'a>>,
}

/// One 1-minute candle.
#[derive(Debug, Serialize)]
pub struct CandleView {
    pub minute_start_ms: i64,
    pub open: Decimal,
    pub high: Decimal,
    pub low: Decimal,
    pub close: Decimal,
    pub volume: Decimal,
    pub trade_count: u64,
}

impl From<&Candle> for CandleView {
    fn from(candle: &Candle) -> Self {
        Self {
            minute_start_ms: candle.minute_start_ms,
            open: candle.open,
            high: candle.high,
            low: candle.low,
            close: candle.close,
            volume: candle.volume,
            trade_count: candle.trade_count,
        }
    }
}

/// `GET /tickers/{market}/candles`.
#[derive(Debug, Serialize)]
pub struct CandleList<'a> {
    pub market: &'a MarketCode,
    pub interval: &'static str,
    pub from: i64,
    pub to: i64,
    pub limit: usize,
    pub candles: Vec<CandleView>,
    /// Age of the newest trade in the returned candles; `null` when there are none.
    pub age_ms: Option<i64>,
}
