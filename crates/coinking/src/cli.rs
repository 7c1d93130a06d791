//! The command line.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use coinking_ingester::logging::LogFormat;

#[derive(Debug, Parser)]
#[command(name = "coinking", version, about = "CoinKing data platform")]
pub struct Cli {
    /// Log format; `auto` is JSON on AWS (Lambda, ECS) and human-readable elsewhere.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Auto, env = "COINKING_LOG_FORMAT")]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the platform locally with embedded defaults (no AWS, no Docker): every Lambda's
    /// routes on http://127.0.0.1:3000, fed by Upbit or, offline, the built-in simulator.
    Up(UpArgs),
    /// Replay a raw capture file (NDJSON) and print normalised tickers.
    Replay(ReplayArgs),
    /// Write a deterministic synthetic Upbit capture for the default game markets.
    GenCapture(GenCaptureArgs),
    /// Compute the clickstream analysis once (the 20 results and per-player summaries) from
    /// `<input>/clickstream/` into `<output>/analysis/`; prints the manifest as JSON.
    Analyze(AnalyzeArgs),
    /// Fill the lake's 1-minute candles from Upbit's REST API (resumable, idempotent).
    Backfill(BackfillArgs),
    /// Walk-forward backtest of the LSTM, the baseline and the naive forecast over the lake.
    Backtest(ModelArgs),
    /// Backtest, then train one LSTM per market on the whole range and save it with its card.
    Train(ModelArgs),
}

#[derive(Debug, Args)]
pub struct UpArgs {
    /// Address of the local HTTP API.
    #[arg(long, env = "COINKING_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,
    /// Market data: `auto` uses Upbit when it answers within 1.5 s, else the simulator.
    #[arg(long, env = "COINKING_MARKET_SOURCE", value_enum, default_value_t = SourceChoice::Auto)]
    pub source: SourceChoice,
    /// Market store and leaderboard (players table); default `dynamodb` when
    /// COINKING_DYNAMODB_ENDPOINT is set, else `memory`.
    #[arg(long, env = "COINKING_MARKET_STORE", value_enum)]
    pub store: Option<StoreChoice>,
    /// Simulator replay speed (1 = as recorded).
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Directory of the clickstream archive (S3's layout: `clickstream/dt=…/hour=…/*.parquet`).
    #[arg(long, env = "COINKING_LAKE_DIR", default_value = ".coinking/lake")]
    pub lake_dir: std::path::PathBuf,
    /// Seconds between analysis runs over the lake (the first runs at start); the results are
    /// written to `<lake-dir>/analysis/` and served by `GET /get_user_analysis`.
    #[arg(
        long,
        env = "COINKING_ANALYSIS_INTERVAL_SECS",
        default_value_t = 60,
        value_parser = clap::value_parser!(u64).range(1..=86_400)
    )]
    pub analysis_interval_secs: u64,
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Lake root (a directory or `s3://bucket/prefix`): games are read from `<input>/clickstream/`.
    #[arg(long)]
    pub input: String,
    /// Output root (a directory or `s3://bucket/prefix`): results go to `<output>/analysis/`.
    #[arg(long)]
    pub output: String,
    /// DataFusion parallelism (default: the number of cores).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub partitions: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SourceChoice {
    Auto,
    Upbit,
    Simulator,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StoreChoice {
    Memory,
    Dynamodb,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Capture file (NDJSON: `{"recv_ms":…,"kind":"binary","frame":"…"}` per line).
    pub capture: PathBuf,
    #[command(flatten)]
    pub pacing: Pacing,
}

#[derive(Debug, Clone, Args)]
pub struct Pacing {
    /// Replay speed: 1 = as recorded, 10 = ten times faster, 0 = as fast as possible.
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Replay the capture once and exit instead of looping until Ctrl-C.
    #[arg(long)]
    pub once: bool,
}

#[derive(Debug, Args)]
pub struct GenCaptureArgs {
    /// Output file; `-` writes to stdout.
    #[arg(long, short)]
    pub out: PathBuf,
    /// PRNG seed: the same seed always gives the same capture.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Length of the capture in seconds.
    #[arg(long, default_value_t = 60)]
    pub duration_secs: u32,
    /// Epoch ms of the first frame.
    #[arg(long, default_value_t = 1_732_500_000_000)]
    pub start_ms: i64,
    /// Key styles to emit.
    #[arg(long, value_enum, default_value_t = Styles::Both)]
    pub styles: Styles,
    /// Leave out trade messages.
    #[arg(long)]
    pub no_trades: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Styles {
    Default,
    Simple,
    Both,
}

/// `--from`/`--to`: UTC `yyyy-MM-dd` or `yyyy-MM-ddTHH:mm[:ss][Z]`, `to` exclusive.
#[derive(Debug, Clone, Args)]
pub struct TimeRange {
    #[arg(long)]
    pub from: String,
    #[arg(long)]
    pub to: String,
}

impl TimeRange {
    /// (from, to) in epoch ms; an error names the flag and the rule.
    pub fn parse(&self) -> anyhow::Result<(i64, i64)> {
        let read = |flag: &str, text: &str| {
            coinking_core::time::parse_utc(text).ok_or_else(|| {
                anyhow::anyhow!(
                    "--{flag} {text:?}: must be yyyy-MM-dd or yyyy-MM-ddTHH:mm[:ss][Z] (UTC)"
                )
            })
        };
        let from = read("from", &self.from)?;
        let to = read("to", &self.to)?;
        if from >= to {
            anyhow::bail!("--from: must be before --to");
        }
        Ok((from, to))
    }
}

#[derive(Debug, Args)]
pub struct BackfillArgs {
    /// Markets, comma-separated (`KRW-BTC,KRW-ETH`).
    #[arg(long, value_delimiter = ',', required = true)]
    pub markets: Vec<String>,
    #[command(flatten)]
    pub range: TimeRange,
    /// Lake root: a directory or `s3://bucket/prefix`.
    #[arg(long, env = "COINKING_MARKET_LAKE", default_value = ".coinking/lake")]
    pub lake: String,
    /// Upbit's REST base URL (the simulator's `http://127.0.0.1:PORT` offline).
    #[arg(
        long,
        env = "COINKING_UPBIT_REST_URL",
        default_value = "https://api.upbit.com"
    )]
    pub upbit_url: String,
    /// Requests per second at most (Upbit's candle group allows 10).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=10))]
    pub max_per_sec: u32,
}

#[derive(Debug, Args)]
pub struct ModelArgs {
    /// Markets, comma-separated.
    #[arg(long, value_delimiter = ',', required = true)]
    pub markets: Vec<String>,
    #[command(flatten)]
    pub range: TimeRange,
    /// Lake root: a directory or `s3://bucket/prefix` (models go to `<lake>/models/`).
    #[arg(long, env = "COINKING_MARKET_LAKE", default_value = ".coinking/lake")]
    pub lake: String,
    /// Also write the backtest as JSON here.
    #[arg(long)]
    pub json_out: Option<PathBuf>,
    /// Also draw the backtest (MAE ÷ naive per market and model) as an SVG chart here.
    #[arg(long)]
    pub svg_out: Option<PathBuf>,
    #[arg(long, default_value_t = 2)]
    pub folds: usize,
    /// Share of the range held out over all folds.
    #[arg(long, default_value_t = 0.3)]
    pub test_fraction: f64,
    #[arg(long, default_value_t = 10)]
    pub window: usize,
    #[arg(long, default_value_t = 50)]
    pub hidden: usize,
    #[arg(long, default_value_t = 25)]
    pub dense: usize,
    #[arg(long, default_value_t = 20)]
    pub epochs: usize,
    #[arg(long, default_value_t = 64)]
    pub batch_size: usize,
    #[arg(long, default_value_t = 1e-3)]
    pub learning_rate: f64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}
