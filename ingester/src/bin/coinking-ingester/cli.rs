//! Command line.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use coinking_logging::LogFormat;

#[derive(Debug, Parser)]
#[command(
    name = "coinking-ingester",
    version,
    about = "Upbit → Kafka → DynamoDB market data ingester"
)]
pub struct Cli {
    /// TOML configuration file (optional; `COINKING_*` variables override it).
    #[arg(long, global = true, env = "COINKING_INGESTER_CONFIG")]
    pub config: Option<PathBuf>,
    /// Log format: json on AWS, human on a laptop (auto detects ECS/Lambda).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Auto, env = "COINKING_LOG_FORMAT")]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Upbit WebSocket → Kafka `upbit.ticker`.
    Ingest(SourceArgs),
    /// Kafka `upbit.ticker` → DynamoDB (latest tickers, candles, catalog).
    Stream,
    /// Both in one process.
    Both(SourceArgs),
}

#[derive(Debug, Clone, clap::Args)]
pub struct SourceArgs {
    /// `upbit` (the configured URL) or `replay:<capture.ndjson>` (no network: an in-process
    /// Upbit simulator replays the capture).
    #[arg(long, default_value = "upbit")]
    pub source: String,
    /// Replay speed as a multiple of the recorded pace (0 = as fast as possible).
    #[arg(long, default_value_t = 1.0)]
    pub replay_speed: f64,
}
