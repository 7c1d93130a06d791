//! Item ↔ domain mapping for the market table. Pure: no I/O, unit-tested here.
//!
//! Decimals are stored as DynamoDB numbers (`N`) written from the decimal's own text. `N` keeps
//! up to 38 significant digits exactly (a `Decimal` has at most 29), so nothing is rounded, and
//! numbers stay comparable in conditions and filters, which strings (`S`) would not be. DynamoDB
//! canonicalises the spelling (`1712.50` comes back as `1712.5`), which does not matter because
//! `Decimal` equality is numeric and tickers are normalised before storage anyway.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use coinking_core::candle::Candle;
use coinking_core::catalog::{CautionFlags, MarketInfo};
use coinking_core::hints::{Flag, Hint, HintSet};
use coinking_core::market::MarketCode;
use coinking_core::ticker::NormalizedTicker;
use coinking_core::upbit::{AskBid, Change, StreamType};

use crate::dynamodb::item::{Reader, n, s};
use crate::error::StoreError;

pub use crate::dynamodb::item::{Item, PK, SK, describe_key};
/// The TTL attribute (epoch seconds) DynamoDB's time-to-live is enabled on.
pub const TTL: &str = "ttl";
pub const TICKER_PK: &str = "TICKER";
pub const MARKET_PK: &str = "MARKET";
pub const CANDLE_1M_PK_PREFIX: &str = "CANDLE#1m#";
/// The partition of the AI hints: one item per market plus the set's item.
pub const HINT_PK: &str = "HINT";
/// The sort key of the hint set's own item ('#' sorts before every market code).
pub const HINT_SET_SK: &str = "#SET";
/// Width of a candle's sort key: epoch ms has 13 digits until the year 2286.
pub const CANDLE_SK_DIGITS: usize = 13;
/// The largest minute start a 13-digit sort key can hold.
pub const MAX_CANDLE_MS: i64 = 9_999_999_999_999;

const CAUTION: &str = "caution";
const CAUTION_FLAGS: [&str; 5] = [
    "price_fluctuations",
    "trading_volume_soaring",
    "deposit_amount_soaring",
    "global_price_differences",
    "concentration_of_small_accounts",
];

/// The key of `market`'s latest ticker.
pub fn ticker_key(market: &MarketCode) -> Item {
    Item::from([(PK.into(), s(TICKER_PK)), (SK.into(), s(market.as_str()))])
}

/// The partition of `market`'s 1-minute candles.
pub fn candle_pk(market: &MarketCode) -> String {
    format!("{CANDLE_1M_PK_PREFIX}{}", market.as_str())
}

/// A candle's sort key: the minute start, zero-padded so text order is time order.
/// Callers keep `minute_start_ms` within `0..=MAX_CANDLE_MS`.
pub fn candle_sk(minute_start_ms: i64) -> String {
    format!("{minute_start_ms:0width$}", width = CANDLE_SK_DIGITS)
}

/// The key of `market`'s catalog entry.
pub fn market_key(market: &MarketCode) -> Item {
    Item::from([(PK.into(), s(MARKET_PK)), (SK.into(), s(market.as_str()))])
}

pub fn ticker_to_item(ticker: &NormalizedTicker) -> Item {
    let mut item = ticker_key(&ticker.market);
    let mut put = |name: &str, value: AttributeValue| {
        item.insert(name.to_owned(), value);
    };
    put("v", n(ticker.v));
    put("trade_price", n(ticker.trade_price));
    put("opening_price", n(ticker.opening_price));
    put("high_price", n(ticker.high_price));
    put("low_price", n(ticker.low_price));
    put("prev_closing_price", n(ticker.prev_closing_price));
    put("change", s(ticker.change.as_str()));
    put("change_price", n(ticker.change_price));
    put("change_rate", n(ticker.change_rate));
    put("signed_change_price", n(ticker.signed_change_price));
    put("signed_change_rate", n(ticker.signed_change_rate));
    put("trade_timestamp", n(ticker.trade_timestamp));
    put("timestamp", n(ticker.timestamp));
    if let Some(value) = ticker.trade_volume {
        put("trade_volume", n(value));
    }
    if let Some(value) = ticker.acc_trade_volume_24h {
        put("acc_trade_volume_24h", n(value));
    }
    if let Some(value) = ticker.acc_trade_price_24h {
        put("acc_trade_price_24h", n(value));
    }
    if let Some(value) = ticker.ask_bid {
        put("ask_bid", s(value.as_str()));
    }
    if let Some(value) = ticker.stream_type {
        put("stream_type", s(value.as_str()));
    }
    if let Some(value) = &ticker.market_warning {
        put("market_warning", s(value.as_str()));
    }
    item
}

pub fn ticker_from_item(item: &Item) -> Result<NormalizedTicker, StoreError> {
    let read = Reader::new(item);
    Ok(NormalizedTicker {
        v: read.number("v")?,
        market: read.market(SK)?,
        trade_price: read.decimal("trade_price")?,
        opening_price: read.decimal("opening_price")?,
        high_price: read.decimal("high_price")?,
        low_price: read.decimal("low_price")?,
        prev_closing_price: read.decimal("prev_closing_price")?,
        change: read.one_of("change", &[Change::Rise, Change::Even, Change::Fall], |c| {
            c.as_str()
        })?,
        change_price: read.decimal("change_price")?,
        change_rate: read.decimal("change_rate")?,
        signed_change_price: read.decimal("signed_change_price")?,
        signed_change_rate: read.decimal("signed_change_rate")?,
        trade_volume: read.optional("trade_volume", |r, name| r.decimal(name))?,
        acc_trade_volume_24h: read.optional("acc_trade_volume_24h", |r, name| r.decimal(name))?,
        acc_trade_price_24h: read.optional("acc_trade_price_24h", |r, name| r.decimal(name))?,
        ask_bid: read.optional("ask_bid", |r, name| {
            r.one_of(name, &[AskBid::Ask, AskBid::Bid], |a| a.as_str())
        })?,
        trade_timestamp: read.number("trade_timestamp")?,
        timestamp: read.number("timestamp")?,
        stream_type: read.optional("stream_type", |r, name| {
            r.one_of(name, &[StreamType::Snapshot, StreamType::Realtime], |t| {
                t.as_str()
            })
        })?,
        market_warning: read.optional("market_warning", |r, name| {
            r.string(name).map(str::to_owned)
        })?,
    })
}

/// A candle item; `ttl` is the minute start plus `retention`, so replayed old candles expire
/// on the same schedule as the originals.
pub fn candle_to_item(candle: &Candle, retention: Duration) -> Item {
    let expires_at = candle.minute_start_ms.div_euclid(1000)
        + i64::try_from(retention.as_secs()).unwrap_or(i64::MAX / 2);
    Item::from([
        (PK.into(), s(candle_pk(&candle.market))),
        (SK.into(), s(candle_sk(candle.minute_start_ms))),
        ("open".into(), n(candle.open)),
        ("high".into(), n(candle.high)),
        ("low".into(), n(candle.low)),
        ("close".into(), n(candle.close)),
        ("volume".into(), n(candle.volume)),
        ("trade_count".into(), n(candle.trade_count)),
        ("open_trade_timestamp".into(), n(candle.open_key.0)),
        ("open_position".into(), n(candle.open_key.1)),
        ("close_trade_timestamp".into(), n(candle.close_key.0)),
        ("close_position".into(), n(candle.close_key.1)),
        ("last_position".into(), n(candle.last_position)),
        (TTL.into(), n(expires_at)),
    ])
}

pub fn candle_from_item(item: &Item) -> Result<Candle, StoreError> {
    let read = Reader::new(item);
    let pk = read.string(PK)?;
    let market_text = pk
        .strip_prefix(CANDLE_1M_PK_PREFIX)
        .ok_or_else(|| read.invalid(PK, format!("does not start with {CANDLE_1M_PK_PREFIX}")))?;
    let market = MarketCode::parse(market_text).map_err(|err| read.invalid(PK, err))?;
    let minute_start_ms = read
        .string(SK)?
        .parse::<i64>()
        .map_err(|err| read.invalid(SK, err))?;
    Ok(Candle {
        market,
        minute_start_ms,
        open: read.decimal("open")?,
        high: read.decimal("high")?,
        low: read.decimal("low")?,
        close: read.decimal("close")?,
        volume: read.decimal("volume")?,
        trade_count: read.number("trade_count")?,
        open_key: (
            read.number("open_trade_timestamp")?,
            read.number("open_position")?,
        ),
        close_key: (
            read.number("close_trade_timestamp")?,
            read.number("close_position")?,
        ),
        last_position: read.number("last_position")?,
    })
}

pub fn market_to_item(info: &MarketInfo) -> Item {
    let caution = &info.caution;
    let flags = [
        caution.price_fluctuations,
        caution.trading_volume_soaring,
        caution.deposit_amount_soaring,
        caution.global_price_differences,
        caution.concentration_of_small_accounts,
    ];
    let caution_map: HashMap<String, AttributeValue> = CAUTION_FLAGS
        .iter()
        .zip(flags)
        .map(|(name, flag)| ((*name).to_owned(), AttributeValue::Bool(flag)))
        .collect();
    let mut item = market_key(&info.market);
    item.insert("korean_name".into(), s(info.korean_name.as_str()));
    item.insert("english_name".into(), s(info.english_name.as_str()));
    item.insert("warning".into(), AttributeValue::Bool(info.warning));
    item.insert(CAUTION.into(), AttributeValue::M(caution_map));
    item
}

pub fn market_from_item(item: &Item) -> Result<MarketInfo, StoreError> {
    let read = Reader::new(item);
    let caution_map = match item.get(CAUTION) {
        Some(AttributeValue::M(map)) => map,
        Some(_) => return Err(read.invalid(CAUTION, "is not a map")),
        None => return Err(read.invalid(CAUTION, "is missing")),
    };
    let mut flags = [false; 5];
    for (flag, name) in flags.iter_mut().zip(CAUTION_FLAGS) {
        *flag = match caution_map.get(name) {
            Some(AttributeValue::Bool(value)) => *value,
            _ => return Err(read.invalid(format!("{CAUTION}.{name}"), "is not a boolean")),
        };
    }
    let [
        price_fluctuations,
        trading_volume_soaring,
        deposit_amount_soaring,
        global_price_differences,
        concentration_of_small_accounts,
    ] = flags;
    Ok(MarketInfo {
        market: read.market(SK)?,
        korean_name: read.string("korean_name")?.to_owned(),
        english_name: read.string("english_name")?.to_owned(),
        warning: read.boolean("warning")?,
        caution: CautionFlags {
            price_fluctuations,
            trading_volume_soaring,
            deposit_amount_soaring,
            global_price_differences,
            concentration_of_small_accounts,
        },
    })
}

/// The key of `market`'s hint.
pub fn hint_key(market: &MarketCode) -> Item {
    Item::from([(PK.into(), s(HINT_PK)), (SK.into(), s(market.as_str()))])
}

/// One market's hint. Numbers are written with Rust's shortest round-trip spelling, so they
/// read back as the same `f64`.
pub fn hint_to_item(hint: &Hint, generated_at_ms: i64) -> Item {
    let mut item = hint_key(&hint.code);
    item.insert("percentage".into(), n(hint.percentage));
    item.insert("rank".into(), n(hint.rank));
    item.insert("sell_up".into(), n(hint.sell_up));
    item.insert("sell_down".into(), n(hint.sell_down));
    item.insert("generated_at_ms".into(), n(generated_at_ms));
    for flag in Flag::ALL {
        item.insert(flag.name().into(), AttributeValue::Bool(hint.flag(flag)));
    }
    item
}

pub fn hint_from_item(item: &Item) -> Result<Hint, StoreError> {
    let read = Reader::new(item);
    let mut hint = Hint::unknown(read.market(SK)?);
    hint.percentage = read.number("percentage")?;
    hint.rank = read.number("rank")?;
    hint.sell_up = read.number("sell_up")?;
    hint.sell_down = read.number("sell_down")?;
    for flag in Flag::ALL {
        hint.set_flag(flag, read.boolean(flag.name())?);
    }
    Ok(hint)
}

/// The set's own item: its metadata and the markets it covers, in order.
pub fn hint_set_to_item(set: &HintSet) -> Item {
    let markets = set
        .entries
        .iter()
        .map(|hint| s(hint.code.as_str()))
        .collect();
    Item::from([
        (PK.into(), s(HINT_PK)),
        (SK.into(), s(HINT_SET_SK)),
        ("generated_at_ms".into(), n(set.generated_at_ms)),
        ("data_time_ms".into(), n(set.data_time_ms)),
        ("model".into(), s(set.model.as_str())),
        ("warming_up".into(), AttributeValue::Bool(set.warming_up)),
        ("markets".into(), AttributeValue::L(markets)),
    ])
}

/// The set from its own item and the market items of one Query: the entries of the markets it
/// names, in its order (missing ones left out); market items it does not name are ignored.
pub fn hint_set_from_items(items: &[Item]) -> Result<Option<HintSet>, StoreError> {
    let is_set =
        |item: &Item| matches!(item.get(SK), Some(AttributeValue::S(sk)) if sk == HINT_SET_SK);
    let Some(set_item) = items.iter().find(|item| is_set(item)) else {
        return Ok(None);
    };
    let read = Reader::new(set_item);
    let names = match read.get("markets")? {
        AttributeValue::L(values) => values,
        _ => return Err(read.invalid("markets", "is not a list (L)")),
    };
    let mut by_market: HashMap<&str, &Item> = HashMap::new();
    for item in items.iter().filter(|item| !is_set(item)) {
        if let Some(AttributeValue::S(sk)) = item.get(SK) {
            by_market.insert(sk.as_str(), item);
        }
    }
    let mut entries = Vec::with_capacity(names.len());
    for name in names {
        let AttributeValue::S(code) = name else {
            return Err(read.invalid("markets", "holds something other than strings"));
        };
        if let Some(item) = by_market.get(code.as_str()) {
            entries.push(hint_from_item(item)?);
        }
    }
    Ok(Some(HintSet {
        generated_at_ms: read.number("generated_at_ms")?,
        data_time_ms: read.number("data_time_ms")?,
        model: read.string("model")?.to_owned(),
        warming_up: read.boolean("warming_up")?,
        entries,
    }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::str::FromStr;

    use rust_decimal::Decimal;

    use super::*;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    fn market(code: &str) -> MarketCode {
        MarketCode::parse(code).unwrap()
    }

    fn ticker() -> NormalizedTicker {
        NormalizedTicker {
            v: 1,
            market: market("KRW-XRP"),
            trade_price: dec("1712.5"),
            opening_price: dec("1700"),
            high_price: dec("1720"),
            low_price: dec("1690.1"),
            prev_closing_price: dec("1700"),
            change: Change::Rise,
            change_price: dec("12.5"),
            change_rate: dec("0.0073529411764705882352941176"),
            signed_change_price: dec("12.5"),
            signed_change_rate: dec("0.0073529411764705882352941176"),
            trade_volume: Some(dec("0.00000001")),
            acc_trade_volume_24h: None,
            acc_trade_price_24h: Some(dec("123456789012345678.123456789")),
            ask_bid: Some(AskBid::Bid),
            trade_timestamp: 1_732_500_000_000,
            timestamp: 1_732_500_000_123,
            stream_type: Some(StreamType::Realtime),
            market_warning: None,
        }
    }

    #[test]
    fn a_ticker_round_trips_with_its_decimals_written_as_their_own_text() {
        let original = ticker();
        let item = ticker_to_item(&original);
        assert_eq!(item[PK], s("TICKER"));
        assert_eq!(item[SK], s("KRW-XRP"));
        assert_eq!(
            item["change_rate"],
            AttributeValue::N("0.0073529411764705882352941176".into())
        );
        assert!(!item.contains_key("acc_trade_volume_24h"));
        assert_eq!(ticker_from_item(&item).unwrap(), original);
    }

    #[test]
    fn canonical_and_exponent_spellings_read_back_as_equal_decimals() {
        let mut item = ticker_to_item(&ticker());
        item.insert("trade_price".into(), AttributeValue::N("1712.50".into()));
        item.insert("trade_volume".into(), AttributeValue::N("1E-8".into()));
        let read = ticker_from_item(&item).unwrap();
        assert_eq!(read.trade_price, dec("1712.5"));
        assert_eq!(read.trade_volume, Some(dec("0.00000001")));
    }

    #[test]
    fn a_candle_key_is_zero_padded_and_its_ttl_follows_the_minute() {
        assert_eq!(candle_sk(60_000), "0000000060000");
        assert_eq!(candle_sk(1_732_500_000_000), "1732500000000");
        let candle = Candle {
            market: market("KRW-BTC"),
            minute_start_ms: 1_732_500_000_000,
            open: dec("82635000"),
            high: dec("82700000"),
            low: dec("82600000"),
            close: dec("82650000.5"),
            volume: dec("1.23456789"),
            trade_count: 42,
            open_key: (1_732_500_000_100, 7),
            close_key: (1_732_500_059_000, 90),
            last_position: 91,
        };
        let item = candle_to_item(&candle, Duration::from_secs(3_600));
        assert_eq!(item[PK], s("CANDLE#1m#KRW-BTC"));
        assert_eq!(item[SK], s("1732500000000"));
        assert_eq!(item[TTL], AttributeValue::N("1732503600".into()));
        assert_eq!(candle_from_item(&item).unwrap(), candle);
    }

    #[test]
    fn a_market_round_trips_with_its_caution_flags() {
        let info = MarketInfo {
            market: market("KRW-SXP"),
            korean_name: "솔라".into(),
            english_name: "Solar".into(),
            warning: true,
            caution: CautionFlags {
                trading_volume_soaring: true,
                concentration_of_small_accounts: true,
                ..CautionFlags::default()
            },
        };
        let item = market_to_item(&info);
        assert_eq!(item[PK], s("MARKET"));
        assert_eq!(market_from_item(&item).unwrap(), info);
    }

    #[test]
    fn a_malformed_item_names_its_key_and_attribute() {
        let mut item = ticker_to_item(&ticker());
        item.insert("trade_price".into(), s("cheap"));
        item.remove("timestamp");
        let error = ticker_from_item(&item).unwrap_err();
        assert_eq!(
            error.to_string(),
            "dynamodb item TICKER/KRW-XRP: attribute trade_price: is not a number (N)"
        );
        assert!(!error.is_retryable());

        let mut item = ticker_to_item(&ticker());
        item.insert("change".into(), s("SIDEWAYS"));
        let error = ticker_from_item(&item).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("change: unknown value \"SIDEWAYS\"")
        );
    }
}
