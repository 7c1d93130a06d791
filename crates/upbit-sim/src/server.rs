//! The listener: load the capture, bind, accept, upgrade (or refuse with 404 / 429), hand each
//! connection to its own task, and shut everything down on request.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use coinking_core::market::MarketCode;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::{sleep, timeout};
use tokio_tungstenite::accept_hdr_async_with_config;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode, header};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tracing::{debug, info, warn};

use crate::config::{CaptureSource, SHIPPED_CAPTURE, SimConfig, WEBSOCKET_PATH};
use crate::connection::{self, ConnectionContext};
use crate::error::SimError;
use crate::faults::FaultHandle;
use crate::recording::Recording;
use crate::replay::Pacing;
use crate::rest::{self, RestFaults};
use crate::stats::{Counters, SimStats};

/// How long shutdown waits for connections to send their close frames before aborting them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// Pause after a failed `accept` (e.g. out of file descriptors) so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// The entry point: `UpbitSimulator::start(SimConfig::default()).await?`.
#[derive(Debug, Clone, Copy)]
pub struct UpbitSimulator;

impl UpbitSimulator {
    /// Loads the capture, binds the listen address and starts serving on the current tokio
    /// runtime. Returns once the socket is bound, so [`RunningSimulator::url`] is usable at once.
    pub async fn start(config: SimConfig) -> Result<RunningSimulator, SimError> {
        config.validate()?;
        let recording = Arc::new(load_recording(&config.capture).await?);
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|source| SimError::Bind {
                addr: config.listen,
                source,
            })?;
        let local_addr = listener.local_addr().map_err(|source| SimError::Bind {
            addr: config.listen,
            source,
        })?;
        let counters = Arc::new(Counters::default());
        let faults = FaultHandle::new();
        let context = Arc::new(ConnectionContext {
            recording: Arc::clone(&recording),
            pacing: Pacing {
                speed: config.speed,
                looping: config.looping,
            },
            close_at_end: config.close_at_end,
            idle_timeout: config.idle_timeout,
            counters: Arc::clone(&counters),
            faults: faults.clone(),
        });
        let websocket_config =
            WebSocketConfig::default().max_message_size(Some(config.max_request_bytes));
        let (shutdown_sender, shutdown) = watch::channel(false);
        let rest_faults = Arc::new(RestFaults::default());
        let listener_task = tokio::spawn(accept_loop(
            listener,
            Listener {
                context,
                websocket_config,
                handshake_timeout: config.handshake_timeout,
                rest_faults: Arc::clone(&rest_faults),
            },
            shutdown,
        ));
        info!(
            addr = %local_addr,
            markets = recording.markets().len(),
            messages = recording.realtime().len(),
            speed = config.speed,
            looping = config.looping,
            "upbit simulator listening"
        );
        Ok(RunningSimulator {
            local_addr,
            recording,
            counters,
            faults,
            rest_faults,
            shutdown: shutdown_sender,
            listener_task: Some(listener_task),
        })
    }
}

/// A simulator serving in the background. Dropping it stops the server too, without waiting.
#[derive(Debug)]
pub struct RunningSimulator {
    local_addr: SocketAddr,
    recording: Arc<Recording>,
    counters: Arc<Counters>,
    faults: FaultHandle,
    rest_faults: Arc<RestFaults>,
    shutdown: watch::Sender<bool>,
    listener_task: Option<JoinHandle<()>>,
}

impl RunningSimulator {
    /// The bound address (the real port when the config asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `ws://127.0.0.1:PORT/websocket/v1`: what a client connects to.
    pub fn url(&self) -> String {
        format!("ws://{}{WEBSOCKET_PATH}", self.local_addr)
    }

    /// `http://127.0.0.1:PORT`: the REST base URL (Upbit's `https://api.upbit.com`).
    pub fn rest_url(&self) -> String {
        format!("http://{}", self.local_addr)
    }

    /// The REST endpoint's switches (429/418 injection) and request counter.
    pub fn rest_faults(&self) -> &RestFaults {
        &self.rest_faults
    }

    /// Switches faults on and off for current and new connections.
    pub fn faults(&self) -> &FaultHandle {
        &self.faults
    }

    /// The counters so far.
    pub fn stats(&self) -> SimStats {
        self.counters.snapshot()
    }

    /// The codes a client may subscribe to (every market in the capture).
    pub fn markets(&self) -> Vec<MarketCode> {
        self.recording.markets().iter().cloned().collect()
    }

    /// Stops accepting, closes every connection with a close frame (1001 going away) and waits
    /// for them to finish (at most a few seconds).
    pub async fn shutdown(mut self) {
        self.shutdown.send_replace(true);
        if let Some(task) = self.listener_task.take() {
            if let Err(err) = task.await {
                warn!(error = %err, "the listener task failed");
            }
        }
    }
}

impl Drop for RunningSimulator {
    fn drop(&mut self) {
        self.shutdown.send_replace(true);
    }
}

async fn load_recording(source: &CaptureSource) -> Result<Recording, SimError> {
    let text = match source {
        CaptureSource::Shipped => SHIPPED_CAPTURE.to_owned(),
        CaptureSource::Text(text) => text.clone(),
        CaptureSource::File(path) => {
            tokio::fs::read_to_string(path)
                .await
                .map_err(|source| SimError::ReadCapture {
                    path: path.clone(),
                    source,
                })?
        }
    };
    // Parsing a capture of a few MB is CPU work: keep it off the async workers.
    tokio::task::spawn_blocking(move || Recording::from_ndjson(&text))
        .await
        .map_err(|err| SimError::LoadTask(err.to_string()))?
}

/// What the accept loop needs for each new connection.
struct Listener {
    context: Arc<ConnectionContext>,
    websocket_config: WebSocketConfig,
    handshake_timeout: Duration,
    rest_faults: Arc<RestFaults>,
}

enum ListenerEvent {
    Shutdown,
    Accepted(std::io::Result<(TcpStream, SocketAddr)>),
    Finished,
}

async fn accept_loop(
    listener: TcpListener,
    settings: Listener,
    mut shutdown: watch::Receiver<bool>,
) {
    let settings = Arc::new(settings);
    let mut connections = JoinSet::new();
    loop {
        let event = tokio::select! {
            _ = shutdown.wait_for(|stop| *stop) => ListenerEvent::Shutdown,
            accepted = listener.accept() => ListenerEvent::Accepted(accepted),
            Some(finished) = connections.join_next(), if !connections.is_empty() => {
                if let Err(err) = finished {
                    warn!(error = %err, "a connection task failed");
                }
                ListenerEvent::Finished
            }
        };
        match event {
            ListenerEvent::Shutdown => break,
            ListenerEvent::Finished => {}
            ListenerEvent::Accepted(Ok((stream, peer))) => {
                connections.spawn(handle_connection(
                    stream,
                    peer,
                    Arc::clone(&settings),
                    shutdown.clone(),
                ));
            }
            ListenerEvent::Accepted(Err(err)) => {
                warn!(error = %err, "accept failed");
                sleep(ACCEPT_BACKOFF).await;
            }
        }
    }
    drop(listener);
    let drain = async { while connections.join_next().await.is_some() {} };
    if timeout(SHUTDOWN_GRACE, drain).await.is_err() {
        warn!(
            remaining = connections.len(),
            "connections did not close in time; aborting them"
        );
        connections.abort_all();
    }
    info!("upbit simulator stopped");
}

async fn handle_connection(
    stream: TcpStream,
    peer: SocketAddr,
    settings: Arc<Listener>,
    shutdown: watch::Receiver<bool>,
) {
    // Small frames at a steady pace: send each one now rather than coalescing.
    if let Err(err) = stream.set_nodelay(true) {
        debug!(%peer, error = %err, "could not disable Nagle's algorithm");
    }
    if is_rest_request(&stream, settings.handshake_timeout).await {
        serve_rest(
            stream,
            peer,
            &settings.rest_faults,
            settings.handshake_timeout,
        )
        .await;
        return;
    }
    let context = &settings.context;
    let counters = &context.counters;
    let rejection = context.faults.rejection();
    // The signature is tungstenite's handshake callback; the error is the HTTP response itself.
    #[allow(clippy::result_large_err)]
    let route = |request: &Request, response: Response| -> Result<Response, ErrorResponse> {
        if let Some(rejection) = rejection {
            Counters::bump(&counters.connections_rejected);
            let (name, message) = rejection.error();
            return Err(error_response(rejection.status(), name, message));
        }
        if request.uri().path() != WEBSOCKET_PATH {
            Counters::bump(&counters.not_found);
            return Err(error_response(
                StatusCode::NOT_FOUND,
                "not_found",
                "Only /websocket/v1 is served.",
            ));
        }
        Ok(response)
    };
    let upgrade = accept_hdr_async_with_config(stream, route, Some(settings.websocket_config));
    let socket = match timeout(settings.handshake_timeout, upgrade).await {
        Ok(Ok(socket)) => socket,
        Ok(Err(err)) => {
            // Refusals (404, 429) arrive here too, after the response has been written.
            debug!(%peer, error = %err, "upgrade refused or failed");
            if !matches!(err, tokio_tungstenite::tungstenite::Error::Http(_)) {
                Counters::bump(&counters.handshakes_failed);
            }
            return;
        }
        Err(_) => {
            debug!(%peer, "upgrade timed out");
            Counters::bump(&counters.handshakes_failed);
            return;
        }
    };
    Counters::bump(&counters.connections_accepted);
    info!(%peer, "client connected");
    connection::serve(socket, peer, Arc::clone(context), shutdown).await;
}

/// Largest REST request head read; Upbit's candle requests are a few hundred bytes.
const MAX_REST_HEAD: usize = 8 * 1024;

/// Whether the connection opens with `GET /v1/` (REST) rather than the WebSocket upgrade.
/// Peeks, so a WebSocket client's bytes stay unread for the handshake.
async fn is_rest_request(stream: &TcpStream, wait: Duration) -> bool {
    const PREFIX: &[u8] = b"GET /v1/";
    let mut buf = [0u8; 8];
    let peeked = timeout(wait, async {
        loop {
            match stream.peek(&mut buf).await {
                Ok(n) if n >= PREFIX.len() || n == 0 => return n,
                Ok(_) => sleep(Duration::from_millis(2)).await,
                Err(_) => return 0,
            }
        }
    })
    .await
    .unwrap_or(0);
    peeked >= PREFIX.len() && &buf[..PREFIX.len()] == PREFIX
}

/// Serves one REST request (HTTP/1.1, `Connection: close`).
async fn serve_rest(mut stream: TcpStream, peer: SocketAddr, faults: &RestFaults, wait: Duration) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut head = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    let read = timeout(wait, async {
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_REST_HEAD {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return false,
                Ok(n) => head.extend_from_slice(&chunk[..n]),
            }
        }
        true
    })
    .await;
    if !matches!(read, Ok(true)) {
        debug!(%peer, "rest request incomplete");
        return;
    }
    let text = String::from_utf8_lossy(&head);
    let target = text
        .lines()
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .unwrap_or("/");
    let now_ms = coinking_core::time::now_epoch_ms();
    let response = rest::answer(target, faults, now_ms);
    let reason = StatusCode::from_u16(response.status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    let mut out = format!(
        "HTTP/1.1 {} {reason}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n",
        response.status,
        response.body.len()
    );
    for (name, value) in &response.headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(&response.body);
    if let Err(err) = stream.write_all(out.as_bytes()).await {
        debug!(%peer, error = %err, "rest answer not sent");
    }
    let _ = stream.shutdown().await;
}

/// A JSON error body in Upbit's shape, sent instead of the upgrade.
fn error_response(status: StatusCode, name: &str, message: &str) -> ErrorResponse {
    let body = serde_json::json!({ "error": { "name": name, "message": message } }).to_string();
    let mut response = ErrorResponse::new(Some(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}
