//! The simulator's errors. All of them happen at start; once running, a connection's trouble is
//! logged and counted, never returned.

use std::net::SocketAddr;
use std::path::PathBuf;

use coinking_core::capture::CaptureError;

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("invalid simulator config: {0}")]
    Config(String),
    #[error("reading capture {path}: {source}")]
    ReadCapture {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Capture(#[from] CaptureError),
    #[error("the capture holds no ticker or trade message to replay")]
    EmptyCapture,
    #[error("binding {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("loading the capture failed: {0}")]
    LoadTask(String),
}
