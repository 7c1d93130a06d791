//! The protocol around the data: request errors, formats, PING, idle timeout, routing.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use coinking_core::upbit::{StreamType, UpbitMessage};
use coinking_upbit_sim::SimConfig;
use common::*;
use futures_util::SinkExt;
use tokio::time::sleep;
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

/// Sends `request` on a fresh connection and returns the error answer's name.
async fn error_name_for(request: &str) -> String {
    let running = start(fast()).await;
    let mut client = connect(&running).await;
    send_text(&mut client, request).await;
    let (name, message) = error_answer(&mut client).await;
    assert!(!message.is_empty());
    assert_eq!(running.stats().subscription_errors, 1);
    name
}

#[tokio::test]
async fn request_that_is_not_json_gets_wrong_format() {
    assert_eq!(error_name_for("subscribe me").await, "WRONG_FORMAT");
}

#[tokio::test]
async fn request_that_is_not_an_array_gets_wrong_format() {
    let request = r#"{"ticket":"t","type":"ticker","codes":["KRW-BTC"]}"#;
    assert_eq!(error_name_for(request).await, "WRONG_FORMAT");
}

#[tokio::test]
async fn request_without_ticket_gets_no_ticket() {
    let request = r#"[{"type":"ticker","codes":["KRW-BTC"]},{"format":"DEFAULT"}]"#;
    assert_eq!(error_name_for(request).await, "NO_TICKET");
}

#[tokio::test]
async fn request_without_type_gets_no_type() {
    let request = r#"[{"ticket":"t"},{"format":"DEFAULT"}]"#;
    assert_eq!(error_name_for(request).await, "NO_TYPE");
}

#[tokio::test]
async fn type_without_codes_gets_no_codes() {
    let request = r#"[{"ticket":"t"},{"type":"ticker"}]"#;
    assert_eq!(error_name_for(request).await, "NO_CODES");
}

#[tokio::test]
async fn empty_codes_get_invalid_param_as_upbit_documents() {
    let request = r#"[{"ticket":"t"},{"type":"ticker","codes":[]}]"#;
    assert_eq!(error_name_for(request).await, "INVALID_PARAM");
}

#[tokio::test]
async fn unsupported_format_gets_invalid_param() {
    let request = r#"[{"ticket":"t"},{"type":"ticker","codes":["KRW-BTC"]},{"format":"XML"}]"#;
    assert_eq!(error_name_for(request).await, "INVALID_PARAM");
}

#[tokio::test]
async fn unsupported_type_gets_invalid_param() {
    let request = r#"[{"ticket":"t"},{"type":"orderbook","codes":["KRW-BTC"]}]"#;
    assert_eq!(error_name_for(request).await, "INVALID_PARAM");
}

#[tokio::test]
async fn lower_case_code_gets_invalid_param() {
    let request = r#"[{"ticket":"t"},{"type":"ticker","codes":["krw-btc"]}]"#;
    assert_eq!(error_name_for(request).await, "INVALID_PARAM");
}

#[tokio::test]
async fn market_missing_from_the_capture_gets_invalid_param() {
    let request = r#"[{"ticket":"t"},{"type":"ticker","codes":["KRW-BTC","KRW-ADA"]}]"#;
    assert_eq!(error_name_for(request).await, "INVALID_PARAM");
}

#[tokio::test]
async fn error_answers_are_binary_frames_and_the_connection_stays_usable() {
    let running = start(fast()).await;
    let mut client = connect(&running).await;
    send_text(&mut client, "[]").await;
    let frame = next_binary(&mut client).await;
    assert!(matches!(parse_one(&frame), UpbitMessage::Error { .. }));

    let request =
        r#"[{"ticket":"t"},{"type":"ticker","codes":["KRW-BTC"],"is_only_snapshot":true}]"#;
    send_text(&mut client, request).await;
    let snapshot = next_message(&mut client).await;
    assert_eq!(code(&snapshot), "KRW-BTC");
}

#[tokio::test]
async fn requests_in_binary_frames_are_accepted() {
    let running = start(fast()).await;
    let mut client = connect(&running).await;
    let request = r#"[{"ticket":"t"},{"type":"trade","codes":["KRW-ETH"],"isOnlySnapshot":true}]"#;
    client
        .send(Message::binary(request.as_bytes().to_vec()))
        .await
        .unwrap();
    let snapshot = next_message(&mut client).await;
    assert!(matches!(snapshot, UpbitMessage::Trade(_)));
    assert_eq!(stream_type(&snapshot), Some(StreamType::Snapshot));
}

#[tokio::test]
async fn simple_format_uses_short_keys() {
    let running = start(fast()).await;
    let mut client = connect(&running).await;
    let request = r#"[{"ticket":"t"},{"type":"ticker","codes":["KRW-BTC"]},{"type":"trade","codes":["KRW-BTC"]},{"format":"SIMPLE"}]"#;
    send_text(&mut client, request).await;
    for _ in 0..20 {
        let frame = next_binary(&mut client).await;
        let json: serde_json::Value = serde_json::from_slice(&frame).unwrap();
        let object = json.as_object().unwrap();
        assert!(
            object.contains_key("ty") && object.contains_key("cd"),
            "{json}"
        );
        assert!(
            !object.contains_key("type") && !object.contains_key("code"),
            "{json}"
        );
        parse_one(&frame);
    }
}

#[tokio::test]
async fn simple_list_format_sends_arrays_of_short_key_messages() {
    let running = start(fast()).await;
    let mut client = connect(&running).await;
    let request =
        r#"[{"ticket":"t"},{"type":"ticker","codes":["KRW-ETH"]},{"format":"SIMPLE_LIST"}]"#;
    send_text(&mut client, request).await;
    for _ in 0..20 {
        let frame = next_binary(&mut client).await;
        let json: serde_json::Value = serde_json::from_slice(&frame).unwrap();
        let elements = json.as_array().unwrap();
        assert!(!elements.is_empty());
        for element in elements {
            assert_eq!(element["ty"], "ticker", "{element}");
            assert_eq!(element["cd"], "KRW-ETH", "{element}");
        }
        assert_eq!(parse_all(&frame).len(), elements.len());
    }
}

#[tokio::test]
async fn json_list_format_sends_arrays_of_default_key_messages() {
    let running = start(fast()).await;
    let mut client = connect(&running).await;
    let request = r#"[{"ticket":"t"},{"type":"trade","codes":["KRW-SOL"]},{"format":"JSON_LIST"}]"#;
    send_text(&mut client, request).await;
    for _ in 0..20 {
        let frame = next_binary(&mut client).await;
        let json: serde_json::Value = serde_json::from_slice(&frame).unwrap();
        for element in json.as_array().unwrap() {
            assert_eq!(element["type"], "trade", "{element}");
            assert_eq!(element["code"], "KRW-SOL", "{element}");
        }
    }
}

#[tokio::test]
async fn text_ping_is_answered_with_status_up() {
    let running = start(fast()).await;
    let mut client = connect(&running).await;
    send_text(&mut client, "PING").await;
    let answer = next_message(&mut client).await;
    assert_eq!(answer, UpbitMessage::Status("UP".into()));
    assert_eq!(running.stats().pings_answered, 1);
}

#[tokio::test]
async fn websocket_ping_is_answered_with_pong() {
    let running = start(fast()).await;
    let mut client = connect(&running).await;
    client
        .send(Message::Ping(b"are you there".to_vec().into()))
        .await
        .unwrap();
    assert!(matches!(next_event(&mut client).await, Event::Pong));
}

#[tokio::test]
async fn idle_connection_is_closed_after_the_timeout() {
    let idle_timeout = Duration::from_millis(300);
    let running = start(SimConfig {
        idle_timeout,
        ..fast()
    })
    .await;
    let mut client = connect(&running).await;
    let connected_at = Instant::now();
    match next_event(&mut client).await {
        Event::Close(Some(frame)) => assert_eq!(frame.code, CloseCode::Normal),
        other => panic!("expected a close frame, got {other:?}"),
    }
    assert!(connected_at.elapsed() >= idle_timeout - Duration::from_millis(50));
    assert_eq!(running.stats().idle_closed, 1);
}

#[tokio::test]
async fn pings_keep_a_connection_from_going_idle() {
    let running = start(SimConfig {
        idle_timeout: Duration::from_millis(400),
        ..fast()
    })
    .await;
    let mut client = connect(&running).await;
    for _ in 0..6 {
        sleep(Duration::from_millis(150)).await;
        send_text(&mut client, "PING").await;
        assert_eq!(
            next_message(&mut client).await,
            UpbitMessage::Status("UP".into())
        );
    }
    assert_eq!(running.stats().idle_closed, 0);
}

#[tokio::test]
async fn path_other_than_websocket_v1_is_refused_with_404() {
    let running = start(fast()).await;
    let url = format!("ws://{}/websocket/v2", running.local_addr());
    let result = tokio::time::timeout(WAIT, connect_async(url.as_str()))
        .await
        .unwrap();
    match result {
        Err(WsError::Http(response)) => assert_eq!(response.status().as_u16(), 404),
        other => panic!("expected HTTP 404, got {other:?}"),
    }
    assert_eq!(running.stats().not_found, 1);
    assert_eq!(running.stats().connections_accepted, 0);
}

#[tokio::test]
async fn shutdown_closes_connections_with_going_away() {
    let running = start(fast()).await;
    let mut client = connect(&running).await;
    send_text(&mut client, "PING").await;
    next_message(&mut client).await;
    let shutdown = tokio::spawn(running.shutdown());
    match next_event(&mut client).await {
        Event::Close(Some(frame)) => assert_eq!(frame.code, CloseCode::Away),
        other => panic!("expected a close frame, got {other:?}"),
    }
    drop(client);
    tokio::time::timeout(WAIT, shutdown).await.unwrap().unwrap();
}
