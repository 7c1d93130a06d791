//! Faults switched through the handle: drop, stall, garbage, rejection.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use coinking_core::upbit::UpbitMessage;
use coinking_upbit_sim::{Rejection, SimConfig};
use common::*;
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Error as WsError;

fn all_markets_request() -> String {
    format!(
        r#"[{{"ticket":"t"}},{{"type":"ticker","codes":{ALL_CODES}}},{{"type":"trade","codes":{ALL_CODES}}}]"#
    )
}

#[tokio::test]
async fn drop_after_n_ends_the_connection_after_exactly_n_data_frames_without_close_frame() {
    let running = start(fast()).await;
    running.faults().drop_after(25);
    let mut client = connect(&running).await;
    send_text(&mut client, &all_markets_request()).await;
    let (frames, end) = frames_until_end(&mut client).await;
    assert_eq!(frames.len(), 25);
    assert!(
        matches!(end, Event::Ended(_)),
        "expected no close frame, got {end:?}"
    );
    for frame in &frames {
        parse_one(frame);
    }
    assert_eq!(running.stats().connections_dropped, 1);
}

#[tokio::test]
async fn garbage_frames_arrive_every_n_messages_and_do_not_parse() {
    let running = start(fast()).await;
    running.faults().garbage_every(3);
    let mut client = connect(&running).await;
    send_text(&mut client, &all_markets_request()).await;
    let mut saw_invalid_utf8 = false;
    for index in 0..40 {
        let frame = next_binary(&mut client).await;
        let garbage_expected = index % 4 == 3;
        assert_eq!(is_unparseable(&frame), garbage_expected, "frame #{index}");
        saw_invalid_utf8 |= std::str::from_utf8(&frame).is_err();
    }
    assert!(saw_invalid_utf8, "one garbage frame in three is not UTF-8");
    assert!(running.stats().garbage_sent >= 10);
}

#[tokio::test]
async fn stall_stops_data_on_an_open_connection_until_cleared() {
    let running = start(SimConfig::default()).await;
    let mut client = connect(&running).await;
    send_text(&mut client, &all_markets_request()).await;
    for _ in 0..20 {
        next_message(&mut client).await;
    }

    running.faults().stall();
    // Frames already on the wire may still arrive; then nothing.
    while !silent_for(&mut client, Duration::from_millis(150)).await {}
    assert!(silent_for(&mut client, Duration::from_millis(600)).await);
    send_text(&mut client, "PING").await;
    assert_eq!(
        next_message(&mut client).await,
        UpbitMessage::Status("UP".into()),
        "a stalled connection stays open"
    );

    running.faults().clear_stall();
    let resumed = next_message(&mut client).await;
    assert!(matches!(
        resumed,
        UpbitMessage::Ticker(_) | UpbitMessage::Trade(_)
    ));
}

#[tokio::test]
async fn stall_for_a_duration_resumes_by_itself() {
    let running = start(fast()).await;
    let stall = Duration::from_millis(500);
    running.faults().stall_for(stall);
    let stalled_at = Instant::now();
    let mut client = connect(&running).await;
    send_text(&mut client, &all_markets_request()).await;
    next_message(&mut client).await;
    assert!(stalled_at.elapsed() >= stall - Duration::from_millis(20));
}

#[tokio::test]
async fn reject_fault_refuses_new_connections_with_429_until_lifted() {
    let running = start(fast()).await;
    running
        .faults()
        .reject_new_connections(Rejection::RateLimited);
    let refused = tokio::time::timeout(WAIT, connect_async(running.url().as_str()))
        .await
        .unwrap();
    match refused {
        Err(WsError::Http(response)) => assert_eq!(response.status().as_u16(), 429),
        other => panic!("expected HTTP 429, got {other:?}"),
    }
    assert_eq!(running.stats().connections_rejected, 1);

    running.faults().accept_new_connections();
    let mut client = connect(&running).await;
    send_text(&mut client, "PING").await;
    next_message(&mut client).await;
}
