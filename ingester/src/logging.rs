//! Tracing setup shared by the platform's long-running binaries (`coinking-ingester`, `coinking`):
//! JSON lines on AWS (CloudWatch parses them), human output on a laptop. Logs go to stderr so
//! stdout stays clean for data. The Lambdas keep their own smaller setup (a plain level filter,
//! no regex engine in the bootstrap).

use clap::ValueEnum;
use tracing_subscriber::EnvFilter;

/// `--log-format` / `COINKING_LOG_FORMAT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// JSON on AWS (Lambda, ECS), human elsewhere.
    Auto,
    Json,
    Human,
}

/// Installs the global subscriber: `RUST_LOG` as the filter (default `info`).
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if wants_json(format) {
        builder.json().flatten_event(true).init();
    } else {
        builder.init();
    }
}

fn wants_json(format: LogFormat) -> bool {
    match format {
        LogFormat::Json => true,
        LogFormat::Human => false,
        LogFormat::Auto => running_on_aws(),
    }
}

fn running_on_aws() -> bool {
    std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some()
        || std::env::var_os("ECS_CONTAINER_METADATA_URI_V4").is_some()
}
