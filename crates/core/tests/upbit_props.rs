#![allow(clippy::unwrap_used)]
//! Property tests: the parsers never panic, and what the encoder writes parses back unchanged.

use coinking_core::capture::{CaptureLine, FrameKind, parse_capture};
use coinking_core::catalog::parse_market_all;
use coinking_core::market::MarketCode;
use coinking_core::ticker::NormalizedTicker;
use coinking_core::upbit::encode::encode_list;
use coinking_core::upbit::{
    AskBid, Change, KeyStyle, NotIngested, StreamType, Ticker, Trade, UpbitMessage, encode_message,
    parse_frame, parse_message,
};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn decimal_with(mantissa: std::ops::Range<i64>) -> impl Strategy<Value = Decimal> {
    (mantissa, 0u32..=10).prop_map(|(m, scale)| Decimal::new(m, scale))
}

fn positive() -> impl Strategy<Value = Decimal> {
    decimal_with(1..1_000_000_000_000_000)
}

fn non_negative() -> impl Strategy<Value = Decimal> {
    decimal_with(0..1_000_000_000_000_000)
}

fn signed() -> impl Strategy<Value = Decimal> {
    decimal_with(-1_000_000_000_000_000..1_000_000_000_000_000)
}

fn code() -> impl Strategy<Value = MarketCode> {
    (
        prop::sample::select(vec!["KRW", "BTC", "USDT"]),
        "[A-Z0-9]{1,15}",
    )
        .prop_map(|(quote, base)| MarketCode::parse(&format!("{quote}-{base}")).unwrap())
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![Just(Change::Rise), Just(Change::Even), Just(Change::Fall)]
}

fn ask_bid() -> impl Strategy<Value = AskBid> {
    prop_oneof![Just(AskBid::Ask), Just(AskBid::Bid)]
}

fn stream_type() -> impl Strategy<Value = StreamType> {
    prop_oneof![Just(StreamType::Snapshot), Just(StreamType::Realtime)]
}

fn epoch_ms() -> impl Strategy<Value = i64> {
    0i64..4_102_444_800_000
}

fn text() -> impl Strategy<Value = String> {
    // Any Unicode, including quotes, backslashes and control characters that need escaping.
    any::<String>()
}

prop_compose! {
    fn ticker()(
        (code, opening_price, high_price, low_price, trade_price, prev_closing_price, change) in
            (code(), positive(), positive(), positive(), positive(), positive(), change()),
        (change_price, signed_change_price, change_rate, signed_change_rate) in
            (non_negative(), prop::option::of(signed()), non_negative(), prop::option::of(signed())),
        (trade_volume, acc_trade_volume, acc_trade_volume_24h, acc_trade_price, acc_trade_price_24h) in
            prop::array::uniform5(prop::option::of(non_negative())).prop_map(|a| (a[0], a[1], a[2], a[3], a[4])),
        (trade_date, trade_time, trade_timestamp, ask_bid, acc_ask_volume, acc_bid_volume) in
            (prop::option::of(text()), prop::option::of(text()), epoch_ms(), prop::option::of(ask_bid()),
             prop::option::of(non_negative()), prop::option::of(non_negative())),
        (highest_52_week_price, highest_52_week_date, lowest_52_week_price, lowest_52_week_date) in
            (prop::option::of(signed()), prop::option::of(text()), prop::option::of(signed()), prop::option::of(text())),
        (market_state, is_trading_suspended, delisting_date, market_warning, timestamp, stream_type) in
            (prop::option::of(text()), prop::option::of(any::<bool>()), prop::option::of(text()),
             prop::option::of(text()), epoch_ms(), prop::option::of(stream_type())),
    ) -> Ticker {
        Ticker {
            code, opening_price, high_price, low_price, trade_price, prev_closing_price, change,
            change_price, signed_change_price, change_rate, signed_change_rate, trade_volume,
            acc_trade_volume, acc_trade_volume_24h, acc_trade_price, acc_trade_price_24h, trade_date,
            trade_time, trade_timestamp, ask_bid, acc_ask_volume, acc_bid_volume,
            highest_52_week_price, highest_52_week_date, lowest_52_week_price, lowest_52_week_date,
            market_state, is_trading_suspended, delisting_date, market_warning, timestamp, stream_type,
        }
    }
}

prop_compose! {
    fn trade()(
        (code, trade_price, trade_volume, ask_bid, prev_closing_price, change, change_price) in
            (code(), positive(), non_negative(), ask_bid(), prop::option::of(signed()),
             prop::option::of(change()), prop::option::of(non_negative())),
        (trade_date, trade_time, trade_timestamp, timestamp, sequential_id) in
            (prop::option::of(text()), prop::option::of(text()), epoch_ms(), epoch_ms(), 0i64..i64::MAX),
        (best_ask_price, best_ask_size, best_bid_price, best_bid_size, stream_type) in
            (prop::option::of(non_negative()), prop::option::of(non_negative()),
             prop::option::of(non_negative()), prop::option::of(non_negative()),
             prop::option::of(stream_type())),
    ) -> Trade {
        Trade {
            code, trade_price, trade_volume, ask_bid, prev_closing_price, change, change_price,
            trade_date, trade_time, trade_timestamp, timestamp, sequential_id, best_ask_price,
            best_ask_size, best_bid_price, best_bid_size, stream_type,
        }
    }
}

fn style() -> impl Strategy<Value = KeyStyle> {
    prop_oneof![Just(KeyStyle::Default), Just(KeyStyle::Simple)]
}

fn message() -> impl Strategy<Value = UpbitMessage> {
    prop_oneof![
        ticker().prop_map(|t| UpbitMessage::Ticker(Box::new(t))),
        trade().prop_map(|t| UpbitMessage::Trade(Box::new(t))),
        text().prop_map(UpbitMessage::Status),
        (text(), text()).prop_map(|(name, message)| UpbitMessage::Error { name, message }),
        prop::sample::select(NotIngested::ALL.to_vec()).prop_map(UpbitMessage::NotIngested),
    ]
}

/// JSON objects built from Upbit's real keys with values of any type: reaches deep into the
/// typed conversion code, where arbitrary bytes rarely get.
fn upbit_shaped_json() -> impl Strategy<Value = String> {
    let keys = prop::sample::select(vec![
        "type",
        "ty",
        "code",
        "cd",
        "trade_price",
        "tp",
        "opening_price",
        "op",
        "high_price",
        "hp",
        "low_price",
        "lp",
        "prev_closing_price",
        "pcp",
        "change",
        "c",
        "change_price",
        "cp",
        "change_rate",
        "cr",
        "trade_timestamp",
        "ttms",
        "timestamp",
        "tms",
        "sequential_id",
        "sid",
        "ask_bid",
        "ab",
        "trade_volume",
        "tv",
        "status",
        "error",
        "stream_type",
        "st",
    ]);
    let values = prop_oneof![
        Just("\"ticker\"".to_owned()),
        Just("\"trade\"".to_owned()),
        Just("\"KRW-BTC\"".to_owned()),
        Just("\"RISE\"".to_owned()),
        Just("\"BID\"".to_owned()),
        Just("null".to_owned()),
        Just("true".to_owned()),
        Just("{}".to_owned()),
        Just("[]".to_owned()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| format!("{f:e}")),
        text().prop_map(|s| serde_json::to_string(&s).unwrap()),
    ];
    prop::collection::btree_map(keys, values, 0..20).prop_map(|fields| {
        let body: Vec<String> = fields.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
        format!("{{{}}}", body.join(","))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn frame_parser_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let mut delivered = 0;
        let count = parse_frame(&bytes, |_| delivered += 1);
        prop_assert_eq!(count, delivered);
        let _ = parse_message(&bytes);
    }

    #[test]
    fn frame_parser_never_panics_on_upbit_shaped_json(json in upbit_shaped_json()) {
        let _ = parse_message(json.as_bytes());
        let list = format!("[{json},{json}]");
        let mut delivered = 0;
        parse_frame(list.as_bytes(), |_| delivered += 1);
        prop_assert_eq!(delivered, 2);
    }

    #[test]
    fn encoded_messages_parse_back_unchanged(message in message(), style in style()) {
        let encoded = encode_message(&message, style);
        prop_assert_eq!(parse_message(encoded.as_bytes()).unwrap(), message);
    }

    #[test]
    fn list_frames_parse_back_in_order(messages in prop::collection::vec(message(), 0..5), style in style()) {
        let encoded = encode_list(&messages, style);
        let mut parsed = Vec::new();
        parse_frame(encoded.as_bytes(), |r| parsed.push(r.unwrap()));
        prop_assert_eq!(parsed, messages);
    }

    #[test]
    fn normalised_tickers_round_trip_through_json(ticker in ticker()) {
        let normalized = NormalizedTicker::from_ticker(&ticker);
        prop_assert_eq!(NormalizedTicker::from_json(&normalized.to_json()).unwrap(), normalized);
    }

    #[test]
    fn capture_lines_round_trip(received_at_ms in any::<i64>(), text_kind in any::<bool>(),
                                frame in prop::collection::vec(any::<u8>(), 0..512)) {
        let kind = if text_kind { FrameKind::Text } else { FrameKind::Binary };
        let line = CaptureLine { received_at_ms, kind, frame };
        let parsed: Vec<_> = parse_capture(&line.to_ndjson()).collect();
        prop_assert_eq!(parsed, vec![Ok(line)]);
    }

    #[test]
    fn capture_and_catalog_parsers_never_panic(text in any::<String>()) {
        let _ = parse_capture(&text).count();
        let _ = parse_market_all(text.as_bytes());
    }

    #[test]
    fn market_code_normalisation_is_idempotent(input in "[A-Za-z0-9/\\-]{0,20}") {
        if let Ok(code) = MarketCode::normalize(&input) {
            prop_assert_eq!(MarketCode::normalize(code.as_str()).unwrap(), code.clone());
            prop_assert_eq!(MarketCode::parse(code.as_str()).unwrap(), code);
        }
    }
}
