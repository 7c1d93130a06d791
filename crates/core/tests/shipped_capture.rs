#![allow(clippy::unwrap_used)]
//! The shipped capture is fully parseable, and corrupted frames are each counted as one error,
//! never a panic and never a message.

use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};

use coinking_core::capture::{CaptureLine, parse_capture};
use coinking_core::market::DEFAULT_GAME_MARKETS;
use coinking_core::synth::{self, SplitMix64, SynthConfig};
use coinking_core::upbit::{DecodeStats, UpbitMessage, decode_counted};
use serde_json::Value;

const SHIPPED: &str = include_str!("../../../data/sample-capture.ndjson");

fn shipped_lines() -> Vec<CaptureLine> {
    parse_capture(SHIPPED).collect::<Result<_, _>>().unwrap()
}

#[test]
fn every_message_of_the_shipped_capture_parses() {
    let lines = shipped_lines();
    let mut stats = DecodeStats::default();
    let mut markets = BTreeSet::new();
    for line in &lines {
        decode_counted(&line.frame, &mut stats, |result| {
            if let Ok(UpbitMessage::Ticker(ticker)) = result {
                markets.insert(ticker.code.to_string());
            }
        });
    }
    assert_eq!(stats.parse_error_total(), 0, "{:?}", stats.parse_errors);
    assert_eq!(stats.frames, lines.len() as u64);
    assert_eq!(stats.messages_total(), lines.len() as u64);
    assert!(
        stats.tickers > 500 && stats.trades > 500 && stats.statuses >= 1,
        "{stats:?}"
    );
    let expected: BTreeSet<String> = DEFAULT_GAME_MARKETS.iter().map(|m| m.to_string()).collect();
    assert_eq!(markets, expected);
}

#[test]
fn shipped_capture_is_what_the_generator_produces() {
    // The file is `coinking gen-capture --out data/sample-capture.ndjson` with default settings;
    // regenerating must give the same bytes, so the generator and the file never drift apart.
    let regenerated: String = synth::generate(&SynthConfig::default())
        .iter()
        .map(|line| line.to_ndjson() + "\n")
        .collect();
    assert!(
        regenerated == SHIPPED,
        "shipped capture differs from the generator's output"
    );
}

/// Keys that every ticker and trade needs, in both spellings.
const REQUIRED: [(&str, &str); 5] = [
    ("type", "ty"),
    ("code", "cd"),
    ("trade_price", "tp"),
    ("trade_timestamp", "ttms"),
    ("timestamp", "tms"),
];

fn required_key<'a>(object: &serde_json::Map<String, Value>, rng: &mut SplitMix64) -> &'a str {
    let (long, short) = REQUIRED[rng.below(REQUIRED.len() as u64) as usize];
    if object.contains_key(long) {
        long
    } else {
        short
    }
}

/// One corruption that can never yield a valid message.
fn corrupt(frame: &[u8], rng: &mut SplitMix64) -> Vec<u8> {
    let mut object: serde_json::Map<String, Value> = serde_json::from_slice(frame).unwrap();
    match rng.below(8) {
        // A strict prefix of an object is never valid JSON.
        0 => frame[..rng.below(frame.len() as u64) as usize].to_vec(),
        // Random bytes; never starting with `[` or whitespace, which could make a valid empty list.
        1 => {
            let length = 1 + rng.below(200) as usize;
            let mut bytes: Vec<u8> = (0..length).map(|_| rng.below(256) as u8).collect();
            while bytes[0] == b'[' || bytes[0].is_ascii_whitespace() {
                bytes[0] = rng.below(256) as u8;
            }
            bytes
        }
        2 => {
            let key = required_key(&object, rng);
            object.remove(key);
            serde_json::to_vec(&object).unwrap()
        }
        3 => {
            let key = required_key(&object, rng);
            let wrong = if key == "type" || key == "ty" || key == "code" || key == "cd" {
                Value::from(12)
            } else {
                Value::from("12")
            };
            object.insert(key.to_owned(), wrong);
            serde_json::to_vec(&object).unwrap()
        }
        // Invalid UTF-8 inside the market code string.
        4 => {
            let text = String::from_utf8(frame.to_vec()).unwrap();
            let at = text.find("KRW-").unwrap() + 1;
            let mut bytes = frame.to_vec();
            bytes[at] = 0xFF;
            bytes
        }
        5 => {
            let key = if object.contains_key("type") {
                "type"
            } else {
                "ty"
            };
            // A type Upbit does not send (`orderbook` is a real type, counted as not ingested).
            object.insert(key.to_owned(), Value::from("ticker_v2"));
            serde_json::to_vec(&object).unwrap()
        }
        6 => {
            let key = if object.contains_key("trade_price") {
                "trade_price"
            } else {
                "tp"
            };
            object.insert(key.to_owned(), Value::from(-1.5));
            serde_json::to_vec(&object).unwrap()
        }
        // The same field in both spellings: ambiguous, rejected.
        _ => {
            let text = String::from_utf8(frame.to_vec()).unwrap();
            let duplicate = if text.contains("\"code\"") {
                "\"cd\":\"KRW-ETH\","
            } else {
                "\"code\":\"KRW-ETH\","
            };
            format!("{{{duplicate}{}", &text[1..]).into_bytes()
        }
    }
}

#[test]
fn ten_thousand_corrupted_frames_give_ten_thousand_counted_errors_and_no_panic() {
    let data_frames: Vec<Vec<u8>> = shipped_lines()
        .into_iter()
        .map(|line| line.frame)
        .filter(|frame| !frame.starts_with(br#"{"status""#))
        .collect();
    let mut rng = SplitMix64::new(20_241_125);
    let mut stats = DecodeStats::default();
    let mut panics = 0;
    let mut delivered_messages = 0;
    for _ in 0..10_000 {
        let source = &data_frames[rng.below(data_frames.len() as u64) as usize];
        let corrupted = corrupt(source, &mut rng);
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            decode_counted(&corrupted, &mut stats, |result| {
                delivered_messages += usize::from(result.is_ok());
            });
        }));
        panics += usize::from(outcome.is_err());
    }
    assert_eq!(panics, 0);
    assert_eq!(delivered_messages, 0);
    assert_eq!(stats.frames, 10_000);
    assert_eq!(
        stats.parse_error_total(),
        10_000,
        "{:?}",
        stats.parse_errors
    );
    // Every corruption family was exercised.
    for kind in ["empty", "json", "field", "unknown_type"] {
        assert!(
            stats.parse_errors.get(kind).copied().unwrap_or(0) > 0,
            "no {kind} errors"
        );
    }
}
