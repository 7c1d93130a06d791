//! The simulator's typed configuration, with defaults that work locally.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use crate::error::SimError;

/// The capture shipped with the repository: 60 s of the nine default game markets, ticker and
/// trade frames in mixed DEFAULT/SIMPLE keys.
pub const SHIPPED_CAPTURE: &str = include_str!("../../../data/sample-capture.ndjson");

/// The WebSocket path Upbit serves its public quotation API on.
pub const WEBSOCKET_PATH: &str = "/websocket/v1";

/// Upbit closes connections that have been silent for about two minutes.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(120);

/// Where the replayed frames come from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum CaptureSource {
    /// [`SHIPPED_CAPTURE`], compiled into the binary.
    #[default]
    Shipped,
    /// An NDJSON capture file (`coinking_core::capture` format), read once at start.
    File(PathBuf),
    /// NDJSON capture text held in memory (tests build small captures this way).
    Text(String),
}

/// How the simulator listens and replays. `SimConfig::default()` binds an ephemeral port on
/// 127.0.0.1 and replays the shipped capture once at recorded speed.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    /// Address to listen on; port 0 picks a free one. Default `127.0.0.1:0`.
    pub listen: SocketAddr,
    /// The capture to replay. Default: the shipped capture.
    pub capture: CaptureSource,
    /// Replay speed as a multiple of the recorded pace; `0` sends as fast as the client reads.
    /// Default 1.
    pub speed: f64,
    /// Start the capture again at its end, shifting timestamps (and trade sequential ids)
    /// forward each pass so they keep increasing. Default false.
    pub looping: bool,
    /// Close the connection normally (close frame 1000) when a non-looping replay reaches the end
    /// of the capture; otherwise keep it open and silent. Default true.
    pub close_at_end: bool,
    /// Close connections that send no frame at all (request, `PING`, WebSocket ping) for this
    /// long. Default 120 s, as Upbit.
    pub idle_timeout: Duration,
    /// Time a client gets to complete the HTTP upgrade. Default 10 s.
    pub handshake_timeout: Duration,
    /// Largest client message accepted; requests are tiny. Default 64 KiB.
    pub max_request_bytes: usize,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            capture: CaptureSource::Shipped,
            speed: 1.0,
            looping: false,
            close_at_end: true,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            handshake_timeout: Duration::from_secs(10),
            max_request_bytes: 64 * 1024,
        }
    }
}

impl SimConfig {
    /// Checks the values a caller can get wrong; called by `UpbitSimulator::start`.
    pub fn validate(&self) -> Result<(), SimError> {
        if !self.speed.is_finite() || self.speed < 0.0 {
            return Err(SimError::Config(format!(
                "speed: must be a finite number >= 0, got {}",
                self.speed
            )));
        }
        if self.idle_timeout.is_zero() {
            return Err(SimError::Config(
                "idle_timeout: must be greater than zero".into(),
            ));
        }
        if self.handshake_timeout.is_zero() {
            return Err(SimError::Config(
                "handshake_timeout: must be greater than zero".into(),
            ));
        }
        if self.max_request_bytes == 0 {
            return Err(SimError::Config(
                "max_request_bytes: must be greater than zero".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_listen_on_loopback_and_are_valid() {
        let config = SimConfig::default();
        assert!(config.listen.ip().is_loopback());
        assert_eq!(config.listen.port(), 0);
        assert!(config.validate().is_ok());
    }

    #[test]
    fn rejects_negative_or_non_finite_speed() {
        for speed in [-1.0, f64::NAN, f64::INFINITY] {
            let config = SimConfig {
                speed,
                ..SimConfig::default()
            };
            let err = config.validate().unwrap_err().to_string();
            assert!(err.contains("speed"), "{err}");
        }
    }

    #[test]
    fn rejects_zero_idle_timeout() {
        let config = SimConfig {
            idle_timeout: Duration::ZERO,
            ..SimConfig::default()
        };
        assert!(config.validate().is_err());
    }
}
