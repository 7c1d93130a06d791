#![allow(clippy::unwrap_used)]
//! Upbit message parsing: every format, every frame kind, every failure named.

use std::str::FromStr;

use coinking_core::market::MarketCode;
use coinking_core::ticker::{NormalizedTicker, UpbitData};
use coinking_core::upbit::{
    AskBid, Change, FieldError, NotIngested, ParseError, StreamType, UpbitMessage, parse_frame,
    parse_message,
};
use rust_decimal::Decimal;

const DEFAULT_TICKER: &str = r#"{"type":"ticker","code":"KRW-BTC","opening_price":31883000.0,
"high_price":32310000.0,"low_price":31855000.0,"trade_price":32287000.0,"prev_closing_price":31883000.00000000,
"acc_trade_price":78039261076.51241000,"change":"RISE","change_price":404000.00000000,
"signed_change_price":404000.00000000,"change_rate":0.0126713295,"signed_change_rate":0.0126713295,
"ask_bid":"ASK","trade_volume":0.03103806,"acc_trade_volume":2429.58834336,"trade_date":"20230221",
"trade_time":"074102","trade_timestamp":1676965262139,"acc_ask_volume":1146.25573608,
"acc_bid_volume":1283.33260728,"highest_52_week_price":57678000.00000000,"highest_52_week_date":"2022-03-28",
"lowest_52_week_price":20700000.00000000,"lowest_52_week_date":"2022-12-30","market_state":"ACTIVE",
"is_trading_suspended":false,"delisting_date":null,"market_warning":"NONE","timestamp":1676965262177,
"acc_trade_price_24h":228827082483.70729000,"acc_trade_volume_24h":7158.80283560,"stream_type":"REALTIME"}"#;

const SIMPLE_TICKER: &str = r#"{"ty":"ticker","cd":"KRW-BTC","op":31883000.0,"hp":32310000.0,
"lp":31855000.0,"tp":32287000.0,"pcp":31883000.0,"atp":7.803926107651241E10,"c":"RISE","cp":404000.0,
"scp":404000.0,"cr":0.0126713295,"scr":0.0126713295,"ab":"ASK","tv":0.03103806,"atv":2429.58834336,
"tdt":"20230221","ttm":"074102","ttms":1676965262139,"aav":1146.25573608,"abv":1283.33260728,
"h52wp":57678000.0,"h52wdt":"2022-03-28","l52wp":20700000.0,"l52wdt":"2022-12-30","ms":"ACTIVE",
"its":false,"dd":null,"mw":"NONE","tms":1676965262177,"atp24h":2.2882708248370729E11,"atv24h":7158.8028356,
"st":"REALTIME"}"#;

const DEFAULT_TRADE: &str = r#"{"type":"trade","code":"KRW-BTC","timestamp":1676965262177,
"trade_date":"2023-02-21","trade_time":"07:41:02","trade_timestamp":1676965262139,"trade_price":32287000.0,
"trade_volume":0.03103806,"ask_bid":"ASK","prev_closing_price":31883000.0,"change":"RISE",
"change_price":404000.0,"sequential_id":1676965262139000,"best_ask_price":32290000.0,
"best_ask_size":0.12,"best_bid_price":32287000.0,"best_bid_size":1.5,"stream_type":"REALTIME"}"#;

const SIMPLE_TRADE: &str = r#"{"ty":"trade","cd":"KRW-BTC","tms":1676965262177,"td":"2023-02-21",
"ttm":"07:41:02","ttms":1676965262139,"tp":32287000.0,"tv":0.03103806,"ab":"ASK","pcp":31883000.0,
"c":"RISE","cp":404000.0,"sid":1676965262139000,"bap":32290000.0,"bas":0.12,"bbp":32287000.0,
"bbs":1.5,"st":"REALTIME"}"#;

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

fn ticker(json: &str) -> Box<coinking_core::upbit::Ticker> {
    match parse_message(json.as_bytes()).unwrap() {
        UpbitMessage::Ticker(ticker) => ticker,
        other => panic!("expected a ticker, got {other:?}"),
    }
}

fn field_error(json: &str) -> (&'static str, FieldError) {
    match parse_message(json.as_bytes()) {
        Err(ParseError::Field { field, reason }) => (field, reason),
        other => panic!("expected a field error, got {other:?}"),
    }
}

#[test]
fn default_ticker_parses_with_exact_prices() {
    let t = ticker(DEFAULT_TICKER);
    assert_eq!(t.code, MarketCode::parse("KRW-BTC").unwrap());
    assert_eq!(t.trade_price, dec("32287000"));
    assert_eq!(t.change, Change::Rise);
    assert_eq!(t.change_rate, dec("0.0126713295"));
    assert_eq!(t.acc_trade_price, Some(dec("78039261076.51241")));
    assert_eq!(t.trade_volume, Some(dec("0.03103806")));
    assert_eq!(t.trade_timestamp, 1_676_965_262_139);
    assert_eq!(t.timestamp, 1_676_965_262_177);
    assert_eq!(t.ask_bid, Some(AskBid::Ask));
    assert_eq!(t.stream_type, Some(StreamType::Realtime));
    assert_eq!(t.delisting_date, None);
    assert_eq!(t.trade_date.as_deref(), Some("20230221"));
}

#[test]
fn simple_ticker_parses_to_the_same_values_including_scientific_notation() {
    let from_default = ticker(DEFAULT_TICKER);
    let from_simple = ticker(SIMPLE_TICKER);
    assert_eq!(from_simple, from_default);
}

#[test]
fn default_and_simple_trades_parse_to_the_same_values() {
    let default = parse_message(DEFAULT_TRADE.as_bytes()).unwrap();
    let simple = parse_message(SIMPLE_TRADE.as_bytes()).unwrap();
    assert_eq!(default, simple);
    let UpbitMessage::Trade(trade) = default else {
        panic!("not a trade")
    };
    assert_eq!(trade.sequential_id, 1_676_965_262_139_000);
    assert_eq!(trade.trade_date.as_deref(), Some("2023-02-21"));
    assert_eq!(trade.best_ask_price, Some(dec("32290000")));
}

#[test]
fn binary_and_text_frames_with_surrounding_whitespace_parse_alike() {
    let padded = format!("\n  {DEFAULT_TICKER}\r\n");
    assert_eq!(ticker(&padded), ticker(DEFAULT_TICKER));
}

#[test]
fn list_formats_deliver_each_element() {
    let frame = format!("[{DEFAULT_TICKER},{DEFAULT_TRADE}]");
    let mut got = Vec::new();
    let delivered = parse_frame(frame.as_bytes(), |r| got.push(r.unwrap()));
    assert_eq!(delivered, 2);
    assert!(matches!(got[0], UpbitMessage::Ticker(_)));
    assert!(matches!(got[1], UpbitMessage::Trade(_)));

    let simple_list = format!("[{SIMPLE_TICKER}]");
    let mut simple = Vec::new();
    parse_frame(simple_list.as_bytes(), |r| simple.push(r.unwrap()));
    assert_eq!(simple, vec![UpbitMessage::Ticker(ticker(DEFAULT_TICKER))]);
}

#[test]
fn one_bad_list_element_does_not_hide_its_neighbours() {
    let frame = format!(r#"[{DEFAULT_TICKER},{{"type":"ticker"}},{DEFAULT_TRADE}]"#);
    let mut oks = 0;
    let mut errors = Vec::new();
    parse_frame(frame.as_bytes(), |r| match r {
        Ok(_) => oks += 1,
        Err(e) => errors.push(e),
    });
    assert_eq!(oks, 2);
    assert_eq!(
        errors,
        vec![ParseError::Field {
            field: "code",
            reason: FieldError::Missing
        }]
    );
}

#[test]
fn status_and_error_messages_are_recognised() {
    assert_eq!(
        parse_message(br#"{"status":"UP"}"#).unwrap(),
        UpbitMessage::Status("UP".into())
    );
    let error = parse_message(
        r#"{"error":{"name":"WRONG_FORMAT","message":"잘못된 요청입니다."}}"#.as_bytes(),
    );
    assert_eq!(
        error.unwrap(),
        UpbitMessage::Error {
            name: "WRONG_FORMAT".into(),
            message: "잘못된 요청입니다.".into()
        }
    );
}

#[test]
fn upbit_types_the_platform_does_not_ingest_are_messages_not_errors() {
    // An orderbook as Upbit sends it (SIMPLE keys), and a 1-minute candle (DEFAULT keys).
    let orderbook = br#"{"ty":"orderbook","cd":"KRW-BTC","tms":1732492800000,"tas":1.5,"tbs":2.5,"obu":[{"ap":100.0,"bp":99.0,"as":0.5,"bs":1.0}],"st":"REALTIME","lv":0}"#;
    assert_eq!(
        parse_message(orderbook).unwrap(),
        UpbitMessage::NotIngested(NotIngested::Orderbook)
    );
    let candle = br#"{"type":"candle.1m","code":"KRW-BTC","candle_date_time_utc":"2024-11-25T00:00:00","opening_price":1.0,"stream_type":"REALTIME"}"#;
    assert_eq!(
        parse_message(candle).unwrap(),
        UpbitMessage::NotIngested(NotIngested::Candle)
    );
    let mut stats = coinking_core::upbit::DecodeStats::default();
    let frame = [&orderbook[..], b"\n"].concat();
    coinking_core::upbit::decode_counted(&frame, &mut stats, |_| {});
    assert_eq!(stats.parse_error_total(), 0);
    assert_eq!(stats.not_ingested.get("orderbook"), Some(&1));
    assert_eq!(stats.messages_total(), 1);
}

#[test]
fn unknown_fields_are_ignored() {
    let with_extra = DEFAULT_TICKER.replacen('{', r#"{"future_field":{"nested":[1,2]},"x":1,"#, 1);
    assert_eq!(ticker(&with_extra), ticker(DEFAULT_TICKER));
}

#[test]
fn missing_required_fields_are_named() {
    for field in [
        "code",
        "trade_price",
        "opening_price",
        "change",
        "trade_timestamp",
        "timestamp",
    ] {
        let mut value: serde_json::Value = serde_json::from_str(DEFAULT_TICKER).unwrap();
        value.as_object_mut().unwrap().remove(field);
        let (named, reason) = field_error(&value.to_string());
        assert_eq!((named, reason), (field, FieldError::Missing));
    }
}

#[test]
fn wrong_types_and_values_are_named_with_the_reason() {
    let cases: [(&str, &str, &str, FieldError); 9] = [
        (
            "trade_price",
            "32287000.0",
            "\"32287000\"",
            FieldError::NotANumber,
        ),
        ("trade_price", "32287000.0", "0", FieldError::NotPositive),
        ("trade_price", "32287000.0", "-5.0", FieldError::NotPositive),
        (
            "trade_timestamp",
            "1676965262139",
            "1676965262139.5",
            FieldError::NotAnInteger,
        ),
        (
            "change",
            "\"RISE\"",
            "\"UP\"",
            FieldError::UnknownValue("UP".into()),
        ),
        ("change", "\"RISE\"", "1", FieldError::NotAString),
        ("trade_volume", "0.03103806", "-0.1", FieldError::Negative),
        (
            "is_trading_suspended",
            "false",
            "\"no\"",
            FieldError::NotABoolean,
        ),
        ("trade_price", "32287000.0", "1e40", FieldError::OutOfRange),
    ];
    for (field, good, bad, expected) in cases {
        let json = DEFAULT_TICKER.replacen(
            &format!("\"{field}\":{good}"),
            &format!("\"{field}\":{bad}"),
            1,
        );
        assert_ne!(json, DEFAULT_TICKER, "fixture lacks {field}:{good}");
        assert_eq!(field_error(&json), (field, expected), "{field} = {bad}");
    }
}

#[test]
fn lower_case_market_codes_are_rejected_on_the_wire() {
    let json = DEFAULT_TICKER.replacen("\"KRW-BTC\"", "\"krw-btc\"", 1);
    let (field, reason) = field_error(&json);
    assert_eq!(field, "code");
    assert!(matches!(reason, FieldError::MarketCode(_)));
}

#[test]
fn malformed_frames_are_errors_not_panics() {
    let cases: [(&[u8], &str); 9] = [
        (b"", "empty"),
        (b"   ", "empty"),
        (b"PING", "json"),
        (b"{\"type\":\"ticker\"", "json"),
        (b"42", "not_an_object"),
        (b"\"ticker\"", "not_an_object"),
        (b"{\"type\":\"orderbook_v2\"}", "unknown_type"),
        (b"{}", "field"),
        (b"\xff\xfe{}", "json"),
    ];
    for (frame, kind) in cases {
        let err = parse_message(frame).unwrap_err();
        assert_eq!(
            err.kind(),
            kind,
            "{:?} → {err}",
            String::from_utf8_lossy(frame)
        );
    }
    let mut errors = 0;
    parse_frame(b"[1,2", |r| errors += usize::from(r.is_err()));
    assert_eq!(errors, 1);
}

#[test]
fn duplicate_keys_in_two_spellings_are_rejected() {
    let json = DEFAULT_TICKER.replacen('{', r#"{"cd":"KRW-ETH","#, 1);
    assert!(matches!(
        parse_message(json.as_bytes()),
        Err(ParseError::Json(_))
    ));
}

#[test]
fn normalised_ticker_is_canonical_and_versioned() {
    let normalized = NormalizedTicker::from_ticker(&ticker(SIMPLE_TICKER));
    let json: serde_json::Value = serde_json::from_slice(&normalized.to_json()).unwrap();
    assert_eq!(json["v"], 1);
    assert_eq!(json["market"], "KRW-BTC");
    assert_eq!(json["trade_price"], "32287000");
    assert_eq!(json["acc_trade_price_24h"], "228827082483.70729");
    assert_eq!(json["signed_change_rate"], "0.0126713295");
    assert_eq!(json["trade_timestamp"], 1_676_965_262_139_i64);
    assert_eq!(
        NormalizedTicker::from_json(&normalized.to_json()).unwrap(),
        normalized
    );
}

#[test]
fn normalised_ticker_derives_signed_changes_when_absent() {
    let json = DEFAULT_TICKER
        .replacen("\"change\":\"RISE\"", "\"change\":\"FALL\"", 1)
        .replacen("\"signed_change_price\":404000.00000000,", "", 1)
        .replacen("\"signed_change_rate\":0.0126713295,", "", 1);
    let normalized = NormalizedTicker::from_ticker(&ticker(&json));
    assert_eq!(normalized.signed_change_price, dec("-404000"));
    assert_eq!(normalized.signed_change_rate, dec("-0.0126713295"));
}

#[test]
fn normalised_ticker_rejects_other_versions() {
    let mut value: serde_json::Value =
        serde_json::from_slice(&NormalizedTicker::from_ticker(&ticker(DEFAULT_TICKER)).to_json())
            .unwrap();
    value["v"] = 2.into();
    let err = NormalizedTicker::from_json(value.to_string().as_bytes()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unsupported normalised ticker version 2 (expected 1)"
    );
}

#[test]
fn newer_trade_timestamp_wins() {
    let older = NormalizedTicker::from_ticker(&ticker(DEFAULT_TICKER));
    let mut newer = older.clone();
    newer.trade_timestamp += 1;
    assert!(newer.is_newer_than(&older));
    assert!(!older.is_newer_than(&newer));
    assert!(!older.is_newer_than(&older));
}

#[test]
fn compat_view_has_exactly_the_frontend_fields_as_json_numbers() {
    let normalized = NormalizedTicker::from_ticker(&ticker(DEFAULT_TICKER));
    let view = UpbitData::from_normalized(&normalized, "비트코인");
    let json = serde_json::to_value(&view).unwrap();
    let object = json.as_object().unwrap();
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "change",
            "change_price",
            "change_rate",
            "code",
            "coin_name",
            "high_price",
            "low_price",
            "timestamp",
            "trade_price",
            "trade_timestamp"
        ]
    );
    assert_eq!(json["code"], "KRW-BTC");
    assert_eq!(json["coin_name"], "비트코인");
    assert_eq!(json["change"], "RISE");
    assert!(json["trade_price"].is_f64());
    assert_eq!(json["trade_price"].as_f64(), Some(32_287_000.0));
    assert_eq!(json["change_rate"].as_f64(), Some(0.0126713295));
    assert!(json["timestamp"].is_i64());
    let text = serde_json::to_string(&view).unwrap();
    assert!(text.contains(r#""trade_price":32287000.0"#), "{text}");
}
