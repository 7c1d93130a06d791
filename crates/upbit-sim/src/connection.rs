//! One client connection after the upgrade: read requests and `PING`s, run the subscription's
//! replay, apply the faults, close on idleness, end of capture or shutdown.
//!
//! A single task owns the socket. Each turn of its loop waits for whichever comes first: a client
//! frame, the next replayed message falling due, a fault change, the idle deadline, or shutdown.
//! Sends are awaited in the loop, so a slow client slows its own replay (TCP backpressure) and
//! nothing is buffered without bound.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use coinking_core::upbit::{KeyStyle, UpbitMessage, encode_message};
use futures_util::{SinkExt, StreamExt};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::{Instant, Sleep, sleep, sleep_until, timeout};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tracing::{debug, info, warn};

use crate::faults::{ConnectionFaults, FaultHandle};
use crate::recording::Recording;
use crate::replay::{Completion, Next, Pacing, Replay};
use crate::stats::Counters;
use crate::subscription::{Format, is_ping, parse_request};

/// How long to wait for the client's close frame after sending ours.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// What every connection shares.
#[derive(Debug)]
pub(crate) struct ConnectionContext {
    pub recording: Arc<Recording>,
    pub pacing: Pacing,
    pub close_at_end: bool,
    pub idle_timeout: Duration,
    pub counters: Arc<Counters>,
    pub faults: FaultHandle,
}

/// Why a connection ended.
#[derive(Debug)]
enum Exit {
    ClientClosed,
    ClientError(WsError),
    SendFailed(WsError),
    IdleTimeout,
    EndOfCapture,
    Dropped,
    Shutdown,
}

enum Event {
    Shutdown,
    Frame(Option<Result<Message, WsError>>),
    FaultsChanged,
    Idle,
    Wake,
}

/// When the loop should wake up to send (or re-check a stall) without any other event.
#[derive(Debug, Clone, Copy)]
enum Wake {
    Now,
    At(Instant),
    Never,
}

impl Wake {
    async fn sleep(self) {
        match self {
            Wake::Now => {}
            Wake::At(deadline) => sleep_until(deadline).await,
            Wake::Never => std::future::pending().await,
        }
    }
}

pub(crate) async fn serve(
    socket: WebSocketStream<TcpStream>,
    peer: SocketAddr,
    context: Arc<ConnectionContext>,
    shutdown: watch::Receiver<bool>,
) {
    let mut connection = Connection {
        faults: ConnectionFaults::new(&context.faults),
        idle: Box::pin(sleep(context.idle_timeout)),
        socket,
        peer,
        context,
        shutdown,
        replay: None,
        format: Format::Default,
        data_sent: 0,
        stalled_since: None,
    };
    let exit = connection.run().await;
    let data_sent = connection.data_sent;
    match exit {
        Exit::ClientError(err) => info!(%peer, data_sent, error = %err, "connection failed"),
        Exit::SendFailed(err) => info!(%peer, data_sent, error = %err, "send failed"),
        other => info!(%peer, data_sent, reason = ?other, "connection ended"),
    }
}

struct Connection {
    socket: WebSocketStream<TcpStream>,
    peer: SocketAddr,
    context: Arc<ConnectionContext>,
    shutdown: watch::Receiver<bool>,
    faults: ConnectionFaults,
    idle: Pin<Box<Sleep>>,
    replay: Option<Replay>,
    format: Format,
    /// Data messages (snapshot and realtime) sent on this connection.
    data_sent: u64,
    /// Set while a stall fault holds the replay.
    stalled_since: Option<Instant>,
}

impl Connection {
    async fn run(&mut self) -> Exit {
        loop {
            if let Err(exit) = self.turn().await {
                return exit;
            }
        }
    }

    async fn turn(&mut self) -> Result<(), Exit> {
        self.faults.refresh(self.data_sent);
        if self.faults.must_drop(self.data_sent) {
            return Err(self.drop_connection().await);
        }
        let now = Instant::now();
        let stall = self.faults.stalled(now.into_std());
        self.track_stall(stall.is_some(), now);
        let wake = match stall {
            Some(Some(until)) => Wake::At(Instant::from_std(until)),
            Some(None) => Wake::Never,
            None => self.replay_wake(now).await?,
        };

        let event = tokio::select! {
            biased;
            _ = self.shutdown.wait_for(|stop| *stop) => Event::Shutdown,
            frame = self.socket.next() => Event::Frame(frame),
            () = self.faults.changed() => Event::FaultsChanged,
            () = self.idle.as_mut() => Event::Idle,
            () = wake.sleep() => Event::Wake,
        };

        match event {
            Event::Shutdown => {
                self.close(CloseCode::Away, "server shutting down").await;
                Err(Exit::Shutdown)
            }
            Event::Frame(None) => Err(Exit::ClientClosed),
            Event::Frame(Some(Err(err))) => Err(Exit::ClientError(err)),
            Event::Frame(Some(Ok(message))) => {
                let deadline = Instant::now() + self.context.idle_timeout;
                self.idle.as_mut().reset(deadline);
                self.on_client_message(message).await
            }
            Event::FaultsChanged => Ok(()),
            Event::Idle => {
                Counters::bump(&self.context.counters.idle_closed);
                self.close(CloseCode::Normal, "idle timeout").await;
                Err(Exit::IdleTimeout)
            }
            Event::Wake => {
                if stall.is_none() {
                    self.send_due_message().await?;
                }
                Ok(())
            }
        }
    }

    /// When the replay wants to send next; closes the connection at the end of the capture if
    /// configured to.
    async fn replay_wake(&mut self, now: Instant) -> Result<Wake, Exit> {
        let Some(replay) = &self.replay else {
            return Ok(Wake::Never);
        };
        match replay.next() {
            Next::Ready => Ok(Wake::Now),
            Next::At(due) if due <= now => Ok(Wake::Now),
            Next::At(due) => Ok(Wake::At(due)),
            Next::Never => Ok(Wake::Never),
            Next::Done(completion) => {
                self.replay = None;
                if completion == Completion::EndOfCapture && self.context.close_at_end {
                    self.close(CloseCode::Normal, "end of capture").await;
                    return Err(Exit::EndOfCapture);
                }
                Ok(Wake::Never)
            }
        }
    }

    async fn send_due_message(&mut self) -> Result<(), Exit> {
        let Some(replay) = &mut self.replay else {
            return Ok(());
        };
        if !replay.is_due(Instant::now()) {
            return Ok(());
        }
        let Some(message) = replay.pop() else {
            return Ok(());
        };
        self.send_data(&message).await
    }

    async fn send_data(&mut self, message: &UpbitMessage) -> Result<(), Exit> {
        let payload = self.format.encode(message);
        let garbage = self
            .faults
            .garbage_after(self.data_sent + 1)
            .map(|kind| kind.payload(payload.as_bytes()));
        self.send_frame(payload.into_bytes()).await?;
        self.data_sent += 1;
        Counters::bump(&self.context.counters.messages_sent);
        if let Some(garbage) = garbage {
            self.send_frame(garbage).await?;
            Counters::bump(&self.context.counters.garbage_sent);
        }
        Ok(())
    }

    /// Upbit sends everything as binary frames of UTF-8 JSON.
    async fn send_frame(&mut self, payload: Vec<u8>) -> Result<(), Exit> {
        self.socket
            .send(Message::binary(payload))
            .await
            .map_err(Exit::SendFailed)
    }

    async fn on_client_message(&mut self, message: Message) -> Result<(), Exit> {
        match message {
            Message::Text(text) => self.on_request(text.as_bytes()).await,
            Message::Binary(bytes) => self.on_request(&bytes).await,
            Message::Ping(_) => {
                // tungstenite has queued the pong; send it now rather than with the next frame.
                Counters::bump(&self.context.counters.pings_answered);
                self.socket.flush().await.map_err(Exit::SendFailed)
            }
            // tungstenite answers a close frame itself; the stream then ends.
            Message::Pong(_) | Message::Close(_) | Message::Frame(_) => Ok(()),
        }
    }

    async fn on_request(&mut self, frame: &[u8]) -> Result<(), Exit> {
        if is_ping(frame) {
            Counters::bump(&self.context.counters.pings_answered);
            let status = encode_message(&UpbitMessage::Status("UP".into()), KeyStyle::Default);
            return self.send_frame(status.into_bytes()).await;
        }
        match parse_request(frame, self.context.recording.markets()) {
            Ok(subscription) => {
                Counters::bump(&self.context.counters.subscriptions);
                info!(
                    peer = %self.peer,
                    ticket = %subscription.ticket,
                    streams = subscription.streams.len(),
                    format = ?subscription.format,
                    "subscribed"
                );
                let now = Instant::now();
                self.format = subscription.format;
                self.replay = Some(Replay::new(
                    Arc::clone(&self.context.recording),
                    &subscription,
                    self.context.pacing,
                    now,
                ));
                // A stall that began before this replay must not delay it by its whole length.
                if self.stalled_since.is_some() {
                    self.stalled_since = Some(now);
                }
                Ok(())
            }
            Err(refusal) => {
                Counters::bump(&self.context.counters.subscription_errors);
                debug!(peer = %self.peer, error = %refusal, "request refused");
                let body = encode_message(&refusal.to_message(), KeyStyle::Default);
                self.send_frame(body.into_bytes()).await
            }
        }
    }

    fn track_stall(&mut self, stalled: bool, now: Instant) {
        match (stalled, self.stalled_since) {
            (true, None) => self.stalled_since = Some(now),
            (false, Some(since)) => {
                self.stalled_since = None;
                if let Some(replay) = &mut self.replay {
                    replay.delay(now.saturating_duration_since(since));
                }
            }
            _ => {}
        }
    }

    /// The drop fault: end the TCP connection without a close frame, as a network failure would.
    async fn drop_connection(&mut self) -> Exit {
        Counters::bump(&self.context.counters.connections_dropped);
        if let Err(err) = self.socket.get_mut().shutdown().await {
            warn!(peer = %self.peer, error = %err, "shutting the socket down failed");
        }
        Exit::Dropped
    }

    /// Sends a close frame and gives the client a moment to answer it.
    async fn close(&mut self, code: CloseCode, reason: &'static str) {
        let frame = CloseFrame {
            code,
            reason: reason.into(),
        };
        if self.socket.close(Some(frame)).await.is_err() {
            return;
        }
        let drain = async { while let Some(Ok(_)) = self.socket.next().await {} };
        let _ = timeout(CLOSE_GRACE, drain).await;
    }
}
