//! `coinking`: the platform on one machine.
//!
//! Module map:
//! - `cli`: the command line (clap).
//! - `platform`: `coinking up`, the local platform: the route table, the HTTP server that turns
//!   requests into API Gateway events for the Lambda handlers, and the market feed.
//! - `replay`: replays a raw capture through the parser and normaliser, printing tickers.
//! - `gen_capture`: writes a synthetic capture (`coinking gen-capture`).
//! - `analyze`: one run of the embedded analytics engine (`coinking analyze`).
//! - `backfill`: fills the lake's candles from Upbit's REST API (`coinking backfill`).
//! - `forecast_cmd`: `coinking backtest` and `coinking train` (the LSTM hints, issue 16).

mod analyze;
mod backfill;
mod cli;
mod forecast_cmd;
mod gen_capture;
mod platform;
mod replay;

use clap::Parser;

use crate::cli::{Cli, Command};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    coinking_logging::init(cli.log_format);
    match cli.command {
        Command::Up(args) => platform::run(args, shutdown_signal()).await,
        Command::Replay(args) => replay::run_replay(args, shutdown_signal()).await,
        Command::GenCapture(args) => gen_capture::run(args),
        Command::Analyze(args) => analyze::run(args).await,
        Command::Backfill(args) => backfill::run(args).await,
        Command::Backtest(args) => forecast_cmd::backtest(args).await,
        Command::Train(args) => forecast_cmd::train(args).await,
    }
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
    tracing::info!("shutdown requested");
}
