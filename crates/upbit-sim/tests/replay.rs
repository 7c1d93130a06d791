//! What a subscription receives: snapshots, realtime messages, pacing, looping.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use coinking_core::upbit::{StreamType, UpbitMessage};
use coinking_upbit_sim::{CaptureSource, SimConfig, UpbitSimulator};
use common::*;

#[tokio::test]
async fn default_subscription_sends_snapshots_then_realtime_for_the_subscribed_codes_only() {
    let running = start(fast()).await;
    let mut client = connect(&running).await;
    let request =
        r#"[{"ticket":"t"},{"type":"ticker","codes":["KRW-XRP","KRW-BTC"]},{"format":"DEFAULT"}]"#;
    send_text(&mut client, request).await;

    let (frames, end) = frames_until_end(&mut client).await;
    assert!(matches!(end, Event::Close(Some(_))), "{end:?}");
    let messages: Vec<UpbitMessage> = frames.iter().map(|frame| parse_one(frame)).collect();
    let snapshot_codes: Vec<&str> = messages[..2].iter().map(code).collect();
    assert_eq!(snapshot_codes, ["KRW-XRP", "KRW-BTC"]);
    for snapshot in &messages[..2] {
        assert_eq!(stream_type(snapshot), Some(StreamType::Snapshot));
    }
    for message in &messages[2..] {
        assert!(matches!(message, UpbitMessage::Ticker(_)), "{message:?}");
        assert_eq!(stream_type(message), Some(StreamType::Realtime));
        assert!(
            ["KRW-XRP", "KRW-BTC"].contains(&code(message)),
            "{message:?}"
        );
    }
    let recorded = recorded_realtime()
        .into_iter()
        .filter(|(_, m)| matches!(m, UpbitMessage::Ticker(_)))
        .filter(|(_, m)| ["KRW-XRP", "KRW-BTC"].contains(&code(m)))
        .count();
    assert_eq!(messages.len() - 2, recorded);
    // DEFAULT keys on the wire.
    let first: serde_json::Value = serde_json::from_slice(&frames[2]).unwrap();
    assert_eq!(first["type"], "ticker");
}

#[tokio::test]
async fn is_only_snapshot_sends_only_snapshots_and_keeps_the_connection_open() {
    let running = start(fast()).await;
    let mut client = connect(&running).await;
    let request = r#"[{"ticket":"t"},
        {"type":"ticker","codes":["KRW-BTC","KRW-ETH","KRW-SOL"],"is_only_snapshot":true},
        {"type":"trade","codes":["KRW-BTC","KRW-ETH","KRW-SOL"],"is_only_snapshot":true}]"#;
    send_text(&mut client, request).await;
    let mut seen = HashSet::new();
    for _ in 0..6 {
        let message = next_message(&mut client).await;
        assert_eq!(stream_type(&message), Some(StreamType::Snapshot));
        let kind = matches!(message, UpbitMessage::Ticker(_));
        seen.insert((kind, code(&message).to_owned()));
    }
    assert_eq!(seen.len(), 6);
    assert!(silent_for(&mut client, Duration::from_millis(300)).await);
}

#[tokio::test]
async fn is_only_realtime_skips_the_snapshots() {
    let running = start(fast()).await;
    let mut client = connect(&running).await;
    let request =
        r#"[{"ticket":"t"},{"type":"ticker","codes":["KRW-DOGE"],"is_only_realtime":true}]"#;
    send_text(&mut client, request).await;
    let first = next_message(&mut client).await;
    assert_eq!(stream_type(&first), Some(StreamType::Realtime));
    assert_eq!(code(&first), "KRW-DOGE");
}

#[tokio::test]
async fn a_new_subscription_replaces_the_old_one() {
    let running = start(SimConfig {
        speed: 1.0,
        ..SimConfig::default()
    })
    .await;
    let mut client = connect(&running).await;
    send_text(
        &mut client,
        r#"[{"ticket":"t"},{"type":"ticker","codes":["KRW-BTC"]}]"#,
    )
    .await;
    assert_eq!(code(&next_message(&mut client).await), "KRW-BTC");

    send_text(
        &mut client,
        r#"[{"ticket":"t2"},{"type":"trade","codes":["KRW-ETH"]}]"#,
    )
    .await;
    // Frames already in flight may still be BTC tickers; from the new snapshot on, only ETH trades.
    loop {
        let message = next_message(&mut client).await;
        if stream_type(&message) == Some(StreamType::Snapshot) {
            assert!(matches!(message, UpbitMessage::Trade(_)));
            assert_eq!(code(&message), "KRW-ETH");
            break;
        }
    }
    for _ in 0..3 {
        let message = next_message(&mut client).await;
        assert!(matches!(message, UpbitMessage::Trade(_)), "{message:?}");
        assert_eq!(code(&message), "KRW-ETH");
    }
    assert_eq!(running.stats().subscriptions, 2);
}

#[tokio::test]
async fn at_speed_zero_every_realtime_ticker_equals_the_recording_in_order() {
    let running = start(fast()).await;
    let mut client = connect(&running).await;
    let request = format!(
        r#"[{{"ticket":"t"}},{{"type":"ticker","codes":{ALL_CODES}}},{{"type":"trade","codes":{ALL_CODES}}}]"#
    );
    send_text(&mut client, &request).await;
    let (frames, end) = frames_until_end(&mut client).await;
    assert!(matches!(end, Event::Close(Some(_))), "{end:?}");

    let mut received: BTreeMap<String, Vec<UpbitMessage>> = BTreeMap::new();
    let mut snapshots = 0;
    let mut realtime_trades = 0;
    for frame in &frames {
        let message = parse_one(frame);
        match (&message, stream_type(&message)) {
            (_, Some(StreamType::Snapshot)) => snapshots += 1,
            (UpbitMessage::Ticker(_), _) => {
                received
                    .entry(code(&message).to_owned())
                    .or_default()
                    .push(message);
            }
            _ => realtime_trades += 1,
        }
    }
    let mut expected: BTreeMap<String, Vec<UpbitMessage>> = BTreeMap::new();
    let mut expected_trades = 0;
    for (_, message) in recorded_realtime() {
        if matches!(message, UpbitMessage::Ticker(_)) {
            expected
                .entry(code(&message).to_owned())
                .or_default()
                .push(message);
        } else {
            expected_trades += 1;
        }
    }
    assert_eq!(snapshots, 18, "a ticker and a trade snapshot per market");
    assert_eq!(expected.len(), 9);
    assert_eq!(
        received.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
    for (market, tickers) in &expected {
        assert_eq!(received[market].len(), tickers.len(), "{market}");
        for (index, (got, want)) in received[market].iter().zip(tickers).enumerate() {
            assert_eq!(got, want, "{market} ticker #{index}");
        }
    }
    assert_eq!(realtime_trades, expected_trades);
    assert_eq!(running.stats().messages_sent, frames.len() as u64);
}

#[tokio::test]
async fn at_speed_one_messages_keep_the_recorded_pace() {
    let running = start(SimConfig::default()).await;
    let mut client = connect(&running).await;
    let request = format!(
        r#"[{{"ticket":"t"}},{{"type":"ticker","codes":{ALL_CODES},"is_only_realtime":true}},{{"type":"trade","codes":{ALL_CODES},"is_only_realtime":true}}]"#
    );
    let subscribed_at = Instant::now();
    send_text(&mut client, &request).await;
    let mut received = 0;
    while subscribed_at.elapsed() < Duration::from_millis(1000) {
        let left = Duration::from_millis(1000).saturating_sub(subscribed_at.elapsed());
        match tokio::time::timeout(left, next_event(&mut client)).await {
            Ok(Event::Binary(_)) => received += 1,
            Ok(other) => panic!("unexpected {other:?}"),
            Err(_) => break,
        }
    }
    let recorded_before = |ms: i64| {
        recorded_realtime()
            .iter()
            .filter(|(offset, _)| *offset < ms)
            .count()
    };
    assert!(
        received >= recorded_before(500) && received <= recorded_before(1500),
        "{received} messages in the first second; recorded: {} before 0.5 s, {} before 1.5 s",
        recorded_before(500),
        recorded_before(1500)
    );
}

#[tokio::test]
async fn looping_keeps_timestamps_and_sequential_ids_increasing() {
    let running = start(SimConfig {
        looping: true,
        ..fast()
    })
    .await;
    let mut client = connect(&running).await;
    let request = r#"[{"ticket":"t"},{"type":"ticker","codes":["KRW-SXP"]},{"type":"trade","codes":["KRW-SXP"]}]"#;
    send_text(&mut client, request).await;
    let per_pass = recorded_realtime()
        .iter()
        .filter(|(_, message)| code(message) == "KRW-SXP")
        .count();
    let recorded_latest = recorded_realtime()
        .iter()
        .filter_map(|(_, message)| match message {
            UpbitMessage::Ticker(ticker) => Some(ticker.trade_timestamp),
            _ => None,
        })
        .max()
        .unwrap();

    let mut last_ticker = (i64::MIN, i64::MIN);
    let mut last_trade = (i64::MIN, i64::MIN, i64::MIN);
    let mut latest_ticker_timestamp = i64::MIN;
    // Two snapshots (the first trade is also the trade snapshot), then three passes.
    for index in 0..(per_pass * 3 + 2) {
        let message = next_message(&mut client).await;
        if stream_type(&message) == Some(StreamType::Snapshot) {
            continue;
        }
        match message {
            UpbitMessage::Ticker(ticker) => {
                assert!(ticker.trade_timestamp > last_ticker.0, "ticker #{index}");
                assert!(ticker.timestamp >= last_ticker.1, "ticker #{index}");
                last_ticker = (ticker.trade_timestamp, ticker.timestamp);
                latest_ticker_timestamp = ticker.trade_timestamp;
            }
            UpbitMessage::Trade(trade) => {
                assert!(trade.trade_timestamp >= last_trade.0, "trade #{index}");
                assert!(trade.timestamp >= last_trade.1, "trade #{index}");
                assert!(trade.sequential_id > last_trade.2, "trade #{index}");
                last_trade = (trade.trade_timestamp, trade.timestamp, trade.sequential_id);
            }
            other => panic!("expected market data, got {other:?}"),
        }
    }
    assert!(
        latest_ticker_timestamp > recorded_latest + 60_000,
        "three passes must reach the third minute"
    );
}

#[tokio::test]
async fn a_capture_file_is_replayed() {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let file_name = format!("upbit-sim-capture-{}-{nanos}.ndjson", std::process::id());
    let path = std::env::temp_dir().join(file_name);
    let first_lines: Vec<&str> = coinking_upbit_sim::SHIPPED_CAPTURE
        .lines()
        .take(40)
        .collect();
    tokio::fs::write(&path, first_lines.join("\n"))
        .await
        .unwrap();
    let running = start(SimConfig {
        capture: CaptureSource::File(path.clone()),
        ..fast()
    })
    .await;
    tokio::fs::remove_file(&path).await.unwrap();
    let mut client = connect(&running).await;
    let request =
        r#"[{"ticket":"t"},{"type":"ticker","codes":["KRW-BTC"],"is_only_snapshot":true}]"#;
    send_text(&mut client, request).await;
    let snapshot = next_message(&mut client).await;
    assert_eq!(code(&snapshot), "KRW-BTC");
}

#[tokio::test]
async fn a_missing_capture_file_fails_to_start_naming_the_path() {
    let path = std::env::temp_dir().join("upbit-sim-no-such-capture.ndjson");
    let result = UpbitSimulator::start(SimConfig {
        capture: CaptureSource::File(path),
        ..fast()
    })
    .await;
    let err = result.unwrap_err().to_string();
    assert!(err.contains("upbit-sim-no-such-capture.ndjson"), "{err}");
}
