//! The command line.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use coinking_logging::LogFormat;

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
    /// Replay a raw capture file (NDJSON) and print normalised tickers (and trades with
    /// `--types ticker,trade`).
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
    /// Files the analysis decodes at once (default: the number of cores).
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
    /// The Redis hot store at `COINKING_REDIS_URL` (default `redis://127.0.0.1:6379/`).
    Redis,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Capture file (NDJSON: `{"recv_ms":…,"kind":"binary","frame":"…"}` per line).
    pub capture: PathBuf,
    /// What to print, comma-separated: the `upbit.ticker` and/or `upbit.trade` Kafka values, in
    /// capture order (a trade line is told apart by its `sequential_id`).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "ticker")]
    pub types: Vec<ReplayType>,
    #[command(flatten)]
    pub pacing: Pacing,
}

/// A normalised message type `coinking replay` can print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReplayType {
    Ticker,
    Trade,
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

/// The training range: `--last-days N`, or `--from`/`--to` as in [`TimeRange`]; exactly one.
#[derive(Debug, Clone, Args)]
#[group(skip)]
#[command(group(
    clap::ArgGroup::new("model_range")
        .required(true)
        .args(["from", "last_days"])
))]
pub struct ModelRange {
    /// Start, UTC `yyyy-MM-dd` or `yyyy-MM-ddTHH:mm[:ss][Z]` (needs --to).
    #[arg(long, requires = "to")]
    pub from: Option<String>,
    /// End (exclusive), same formats (needs --from).
    #[arg(long, requires = "from")]
    pub to: Option<String>,
    /// The last N days up to the current UTC minute (exclusive): for scheduled runs.
    #[arg(
        long,
        value_name = "N",
        conflicts_with_all = ["from", "to"],
        value_parser = clap::value_parser!(u32).range(1..=365)
    )]
    pub last_days: Option<u32>,
}

impl ModelRange {
    /// (from, to) in epoch ms, `--last-days` counted back from the current UTC minute; an error
    /// names the flag and the rule.
    pub fn parse(&self) -> anyhow::Result<(i64, i64)> {
        self.parse_at(coinking_core::time::now_epoch_ms())
    }

    /// [`Self::parse`] with the clock given: `--last-days N` is
    /// `[minute(now) - N days, minute(now))`.
    pub fn parse_at(&self, now_ms: i64) -> anyhow::Result<(i64, i64)> {
        const MINUTE_MS: i64 = 60_000;
        const DAY_MS: i64 = 86_400_000;
        match (self.last_days, &self.from, &self.to) {
            (Some(days), None, None) => {
                let to = now_ms - now_ms.rem_euclid(MINUTE_MS);
                Ok((to - i64::from(days) * DAY_MS, to))
            }
            (None, Some(from), Some(to)) => TimeRange {
                from: from.clone(),
                to: to.clone(),
            }
            .parse(),
            (Some(_), _, _) => anyhow::bail!("--last-days: cannot be used with --from or --to"),
            (None, _, _) => {
                anyhow::bail!("the range: give either --last-days <N> or both --from and --to")
            }
        }
    }
}

#[derive(Debug, Args)]
pub struct ModelArgs {
    /// Markets, comma-separated.
    #[arg(long, value_delimiter = ',', required = true)]
    pub markets: Vec<String>,
    #[command(flatten)]
    pub range: ModelRange,
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

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::{Cli, Command, ModelArgs};

    fn train(args: &[&str]) -> Result<ModelArgs, clap::Error> {
        let argv = ["coinking", "train", "--markets", "KRW-BTC"]
            .into_iter()
            .chain(args.iter().copied());
        match Cli::try_parse_from(argv)?.command {
            Command::Train(args) => Ok(args),
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn last_days_is_n_days_ending_at_the_current_minute() {
        // 2024-11-26T12:34:56.789Z.
        let now_ms = 1_732_624_496_789;
        let minute = 1_732_624_440_000;
        let args = train(&["--last-days", "30"]).unwrap();
        let (from, to) = args.range.parse_at(now_ms).unwrap();
        assert_eq!(to, minute);
        assert_eq!(to - from, 30 * 86_400_000);
        assert_eq!(from, minute - 30 * 86_400_000);
        assert_eq!(
            coinking_core::time::parse_utc("2024-10-27T12:34").unwrap(),
            from
        );
        // The wall-clock form: a 30-day range ending at a minute boundary.
        let (from, to) = args.range.parse().unwrap();
        assert_eq!(to % 60_000, 0);
        assert_eq!(to - from, 30 * 86_400_000);
    }

    #[test]
    fn from_and_to_still_work() {
        let args = train(&["--from", "2024-11-25", "--to", "2024-11-26T12:00"]).unwrap();
        assert_eq!(
            args.range.parse_at(0).unwrap(),
            (1_732_492_800_000, 1_732_622_400_000)
        );
    }

    #[test]
    fn last_days_with_from_or_to_is_refused() {
        for extra in [
            &["--from", "2024-11-25"][..],
            &["--to", "2024-11-26"][..],
            &["--from", "2024-11-25", "--to", "2024-11-26"][..],
        ] {
            let mut args = vec!["--last-days", "30"];
            args.extend_from_slice(extra);
            let err = train(&args).unwrap_err();
            assert_eq!(
                err.kind(),
                clap::error::ErrorKind::ArgumentConflict,
                "{args:?}"
            );
            let text = err.to_string();
            assert!(text.contains("--last-days"), "{text}");
        }
    }

    #[test]
    fn a_range_is_required() {
        let err = train(&[]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::MissingRequiredArgument);
        let text = err.to_string();
        assert!(
            text.contains("--from") && text.contains("--last-days"),
            "{text}"
        );
        // Half a --from/--to pair is refused too.
        for half in [&["--from", "2024-11-25"][..], &["--to", "2024-11-26"][..]] {
            let err = train(half).unwrap_err();
            assert_eq!(
                err.kind(),
                clap::error::ErrorKind::MissingRequiredArgument,
                "{half:?}"
            );
        }
    }

    #[test]
    fn a_range_built_in_code_is_checked_too() {
        let range = |last_days, from: Option<&str>, to: Option<&str>| super::ModelRange {
            from: from.map(String::from),
            to: to.map(String::from),
            last_days,
        };
        let err = range(Some(30), Some("2024-11-25"), None)
            .parse_at(0)
            .unwrap_err();
        assert!(err.to_string().contains("--last-days"), "{err}");
        let err = range(None, Some("2024-11-25"), None)
            .parse_at(0)
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("--last-days") && text.contains("--to"),
            "{text}"
        );
        let err = range(None, Some("2024-11-26"), Some("2024-11-25"))
            .parse_at(0)
            .unwrap_err();
        assert!(err.to_string().contains("--from"), "{err}");
    }

    #[test]
    fn last_days_is_bounded() {
        for bad in ["0", "366", "-1", "x"] {
            assert!(train(&["--last-days", bad]).is_err(), "{bad}");
        }
        assert!(train(&["--last-days", "365"]).is_ok());
        assert!(train(&["--last-days", "1"]).is_ok());
    }

    #[test]
    fn backtest_takes_last_days_too() {
        let cli = Cli::try_parse_from([
            "coinking",
            "backtest",
            "--markets",
            "KRW-BTC",
            "--last-days",
            "7",
        ])
        .unwrap();
        let Command::Backtest(args) = cli.command else {
            panic!("not backtest");
        };
        assert_eq!(args.range.last_days, Some(7));
    }

    #[test]
    fn the_scheduled_trainer_command_parses() {
        // template.yaml's TrainerTaskDefinition command, with the default GameMarkets.
        let cli = Cli::try_parse_from([
            "coinking",
            "train",
            "--markets",
            "KRW-BTC,KRW-ETH,KRW-DOGE,KRW-BIGTIME,KRW-SUI,KRW-UXLINK,KRW-SOL,KRW-XRP,KRW-SXP",
            "--last-days",
            "30",
            "--lake",
            "s3://bucket/lake",
            "--folds",
            "3",
            "--epochs",
            "20",
        ])
        .unwrap();
        let Command::Train(args) = cli.command else {
            panic!("not train");
        };
        assert_eq!(args.markets.len(), 9);
        assert_eq!(args.range.last_days, Some(30));
        assert_eq!((args.folds, args.epochs), (3, 20));
        assert_eq!(args.lake, "s3://bucket/lake");
    }

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
