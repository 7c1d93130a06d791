//! A client that talks to the simulator exactly as the ingester will: tokio-tungstenite, text
//! requests, binary data frames parsed with coinking-core. Every wait is bounded.
#![allow(dead_code)]

use std::time::Duration;

use coinking_core::capture::parse_capture;
use coinking_core::market::MarketCode;
use coinking_core::upbit::{StreamType, UpbitMessage, parse_frame, parse_message};
use coinking_upbit_sim::{RunningSimulator, SHIPPED_CAPTURE, SimConfig, UpbitSimulator};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

/// The longest any single wait may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(5);

pub type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Every market of the shipped capture, as a JSON array for requests.
pub const ALL_CODES: &str = r#"["KRW-BTC","KRW-ETH","KRW-DOGE","KRW-BIGTIME","KRW-SUI","KRW-UXLINK","KRW-SOL","KRW-XRP","KRW-SXP"]"#;

/// A config replaying the shipped capture as fast as the client reads.
pub fn fast() -> SimConfig {
    SimConfig {
        speed: 0.0,
        ..SimConfig::default()
    }
}

pub async fn start(config: SimConfig) -> RunningSimulator {
    timeout(WAIT, UpbitSimulator::start(config))
        .await
        .expect("the simulator starts in time")
        .expect("the simulator starts")
}

pub async fn connect(running: &RunningSimulator) -> Client {
    let (client, _) = timeout(WAIT, connect_async(running.url().as_str()))
        .await
        .expect("the upgrade completes in time")
        .expect("the upgrade succeeds");
    client
}

pub async fn send_text(client: &mut Client, text: &str) {
    timeout(WAIT, client.send(Message::text(text)))
        .await
        .expect("the send completes in time")
        .expect("the send succeeds");
}

/// What the client saw next.
#[derive(Debug)]
pub enum Event {
    Binary(Vec<u8>),
    Text(String),
    Pong,
    Close(Option<CloseFrame>),
    /// The stream ended: `None` cleanly, otherwise the error (e.g. reset without close frame).
    Ended(Option<String>),
}

pub async fn next_event(client: &mut Client) -> Event {
    loop {
        let next = timeout(WAIT, client.next())
            .await
            .unwrap_or_else(|_| panic!("nothing arrived within {WAIT:?}"));
        return match next {
            None => Event::Ended(None),
            Some(Err(err)) => Event::Ended(Some(err.to_string())),
            Some(Ok(Message::Binary(bytes))) => Event::Binary(bytes.to_vec()),
            Some(Ok(Message::Text(text))) => Event::Text(text.to_string()),
            Some(Ok(Message::Pong(_))) => Event::Pong,
            Some(Ok(Message::Close(frame))) => Event::Close(frame),
            Some(Ok(Message::Ping(_) | Message::Frame(_))) => continue,
        };
    }
}

pub async fn next_binary(client: &mut Client) -> Vec<u8> {
    match next_event(client).await {
        Event::Binary(bytes) => bytes,
        other => panic!("expected a binary frame, got {other:?}"),
    }
}

/// The next frame, which must hold exactly one message.
pub async fn next_message(client: &mut Client) -> UpbitMessage {
    parse_one(&next_binary(client).await)
}

/// Whether nothing at all arrives for `quiet`.
pub async fn silent_for(client: &mut Client, quiet: Duration) -> bool {
    timeout(quiet, client.next()).await.is_err()
}

/// Binary frames until the stream closes or ends, and how it ended.
pub async fn frames_until_end(client: &mut Client) -> (Vec<Vec<u8>>, Event) {
    let mut frames = Vec::new();
    loop {
        match next_event(client).await {
            Event::Binary(bytes) => frames.push(bytes),
            Event::Pong => {}
            end => return (frames, end),
        }
    }
}

pub fn parse_one(frame: &[u8]) -> UpbitMessage {
    parse_message(frame).unwrap_or_else(|err| {
        panic!(
            "unparseable frame {}: {err}",
            String::from_utf8_lossy(frame)
        )
    })
}

/// Every message of a frame (one, or an array in the list formats).
pub fn parse_all(frame: &[u8]) -> Vec<UpbitMessage> {
    let mut messages = Vec::new();
    parse_frame(frame, |result| {
        messages.push(result.unwrap_or_else(|err| panic!("unparseable element: {err}")));
    });
    messages
}

pub fn is_unparseable(frame: &[u8]) -> bool {
    let mut failed = false;
    parse_frame(frame, |result| failed |= result.is_err());
    failed
}

/// The `{"error":{…}}` answer to a request: (name, message).
pub async fn error_answer(client: &mut Client) -> (String, String) {
    match next_message(client).await {
        UpbitMessage::Error { name, message } => (name, message),
        other => panic!("expected an error, got {other:?}"),
    }
}

pub fn code(message: &UpbitMessage) -> &str {
    match message {
        UpbitMessage::Ticker(ticker) => ticker.code.as_str(),
        UpbitMessage::Trade(trade) => trade.code.as_str(),
        other => panic!("expected market data, got {other:?}"),
    }
}

pub fn stream_type(message: &UpbitMessage) -> Option<StreamType> {
    match message {
        UpbitMessage::Ticker(ticker) => ticker.stream_type,
        UpbitMessage::Trade(trade) => trade.stream_type,
        other => panic!("expected market data, got {other:?}"),
    }
}

/// The shipped capture's realtime messages, parsed independently of the simulator.
pub fn recorded_realtime() -> Vec<(i64, UpbitMessage)> {
    let mut origin = None;
    let mut messages = Vec::new();
    for line in parse_capture(SHIPPED_CAPTURE) {
        let line = line.expect("the shipped capture parses");
        let first = *origin.get_or_insert(line.received_at_ms);
        parse_frame(&line.frame, |result| {
            if let Ok(message @ (UpbitMessage::Ticker(_) | UpbitMessage::Trade(_))) = result {
                if stream_type(&message) == Some(StreamType::Realtime) {
                    messages.push((line.received_at_ms - first, message));
                }
            }
        });
    }
    messages
}

pub fn market(code: &str) -> MarketCode {
    MarketCode::parse(code).expect("a valid market code")
}
