//! An Upbit-compatible WebSocket server that replays a capture, for the ingester's tests and the
//! offline local run. It speaks Upbit's public quotation protocol on `ws://…/websocket/v1`:
//! subscription requests with Upbit's error answers, snapshots then realtime ticker and trade
//! messages as binary frames in any of the four formats, `PING` → `{"status":"UP"}`, the idle
//! timeout, and faults a flaky exchange shows (drops, stalls, garbage frames, HTTP 429).
//!
//! ```no_run
//! # async fn example() -> Result<(), coinking_upbit_sim::SimError> {
//! use coinking_upbit_sim::{SimConfig, UpbitSimulator};
//! let running = UpbitSimulator::start(SimConfig { speed: 0.0, ..SimConfig::default() }).await?;
//! println!("connect to {}", running.url());
//! running.faults().drop_after(100);
//! running.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! Module map:
//! - [`config`]: [`SimConfig`] (listen address, capture, speed, looping, idle timeout) and the
//!   shipped capture.
//! - [`server`]: [`UpbitSimulator::start`], the accept loop, the HTTP upgrade (404 off the path,
//!   429 under the reject fault) and [`RunningSimulator`].
//! - `connection`: one client: requests, `PING`, the replay loop, faults, idle timeout, closing.
//! - [`rest`]: Upbit's REST 1-minute candles (`GET /v1/candles/minutes/1`) on the same port,
//!   from a deterministic synthetic price path; [`RestFaults`] injects 429/418.
//! - [`subscription`]: request parsing and validation, pure (Upbit's error names).
//! - [`recording`]: the capture parsed once at start: realtime messages, snapshots, markets.
//! - [`replay`]: one subscription's schedule: snapshots, then paced (and looping) messages.
//! - [`faults`]: [`FaultHandle`], the runtime switches (drop, stall, garbage, reject).
//! - [`stats`]: [`SimStats`], the counters.
//! - [`error`]: [`SimError`], everything that can fail at start.

pub mod config;
mod connection;
pub mod error;
pub mod faults;
pub mod recording;
pub mod replay;
pub mod rest;
pub mod server;
pub mod stats;
pub mod subscription;

pub use config::{CaptureSource, SHIPPED_CAPTURE, SimConfig, WEBSOCKET_PATH};
pub use error::SimError;
pub use faults::{FaultHandle, Faults, GarbageKind, Rejection, Stall};
pub use rest::RestFaults;
pub use server::{RunningSimulator, UpbitSimulator};
pub use stats::SimStats;
