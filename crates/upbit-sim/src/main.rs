//! `upbit-sim`: serve a capture as an Upbit WebSocket until Ctrl-C or SIGTERM.
//!
//! `upbit-sim --listen 127.0.0.1:8765 --capture data/sample-capture.ndjson --speed 1 --loop`
//! prints the URL to connect to on stdout; logs go to stderr.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use coinking_upbit_sim::{CaptureSource, SimConfig, UpbitSimulator};

/// An Upbit-compatible WebSocket server replaying a capture.
#[derive(Debug, Parser)]
#[command(name = "upbit-sim", version)]
struct Args {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8765")]
    listen: SocketAddr,
    /// NDJSON capture to replay; the shipped 60 s capture when absent.
    #[arg(long)]
    capture: Option<PathBuf>,
    /// Multiple of the recorded pace; 0 sends as fast as the client reads.
    #[arg(long, default_value_t = 1.0)]
    speed: f64,
    /// Start the capture again at its end, with timestamps moved forward.
    #[arg(long = "loop")]
    looping: bool,
    /// Keep connections open (and silent) at the end of the capture instead of closing them.
    #[arg(long)]
    keep_open: bool,
    /// Close connections that send nothing for this many seconds.
    #[arg(long, default_value_t = 120)]
    idle_timeout_secs: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    coinking_logging::init(coinking_logging::LogFormat::from_env());

    let config = SimConfig {
        listen: args.listen,
        capture: args
            .capture
            .map_or(CaptureSource::Shipped, CaptureSource::File),
        speed: args.speed,
        looping: args.looping,
        close_at_end: !args.keep_open,
        idle_timeout: Duration::from_secs(args.idle_timeout_secs),
        ..SimConfig::default()
    };
    let running = UpbitSimulator::start(config)
        .await
        .context("starting the simulator")?;
    println!("{}", running.url());
    shutdown_signal().await;
    tracing::info!("shutdown requested");
    running.shutdown().await;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = ctrl_c => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    let _ = ctrl_c.await;
}
