//! `coinking replay` as a process on the shipped capture: the default prints the normalised
//! tickers, `--types trade` the normalised trades, `--types ticker,trade` both in capture order,
//! each exactly as many as the capture holds (counted here independently).
#![allow(clippy::unwrap_used)]

use std::process::Command;

use coinking_core::capture::parse_capture;
use coinking_core::upbit::{UpbitMessage, parse_frame};
use serde_json::Value;

const CAPTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/sample-capture.ndjson"
);

/// The capture's messages in order: `true` for a trade, `false` for a ticker.
fn capture_kinds() -> Vec<bool> {
    let text = std::fs::read_to_string(CAPTURE).unwrap();
    let mut kinds = Vec::new();
    for line in parse_capture(&text) {
        parse_frame(&line.unwrap().frame, |message| match message {
            Ok(UpbitMessage::Ticker(_)) => kinds.push(false),
            Ok(UpbitMessage::Trade(_)) => kinds.push(true),
            _ => {}
        });
    }
    kinds
}

fn replay(extra: &[&str]) -> Vec<Value> {
    let output = Command::new(env!("CARGO_BIN_EXE_coinking"))
        .args(["replay", CAPTURE, "--once", "--speed", "0"])
        .args(extra)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn is_trade(value: &Value) -> bool {
    value.get("sequential_id").is_some()
}

#[test]
fn replay_prints_tickers_trades_or_both_in_capture_order() {
    let kinds = capture_kinds();
    let trades = kinds.iter().filter(|trade| **trade).count();
    assert!(trades > 0, "the shipped capture holds trades");

    let tickers = replay(&[]);
    assert_eq!(tickers.len(), kinds.len() - trades);
    assert!(
        tickers
            .iter()
            .all(|t| !is_trade(t) && t["trade_price"].is_string())
    );

    let only_trades = replay(&["--types", "trade"]);
    assert_eq!(only_trades.len(), trades);
    for trade in &only_trades {
        assert!(trade["sequential_id"].is_i64(), "{trade}");
        assert!(
            ["ASK", "BID"].contains(&trade["ask_bid"].as_str().unwrap()),
            "{trade}"
        );
    }

    let both = replay(&["--types", "ticker,trade"]);
    assert_eq!(both.iter().map(is_trade).collect::<Vec<_>>(), kinds);
}

#[test]
fn an_unknown_type_is_refused_naming_the_choices() {
    let output = Command::new(env!("CARGO_BIN_EXE_coinking"))
        .args(["replay", CAPTURE, "--types", "orderbook"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("possible values: ticker, trade"),
        "{stderr}"
    );
}
