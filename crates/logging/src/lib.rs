//! The platform's one logging set-up, for every binary: JSON lines on AWS (CloudWatch parses
//! the fields), human output elsewhere, always on stderr so that stdout stays clean for data.
//!
//! - [`init_lambda`], every Lambda's `main`: `RUST_LOG` is one level (template.yaml's
//!   `LogLevel`: error, warn, info, debug, trace; default info), a plain level filter that keeps
//!   `EnvFilter`'s regex engine out of the bootstraps (about a megabyte each); no time of our
//!   own, since CloudWatch stamps every line. `COINKING_LOG_FORMAT=json|human` overrides.
//! - [`init`], the long-running binaries (`coinking-ingester`, `coinking`, the simulator, the
//!   analysis): `RUST_LOG` as a full `EnvFilter` (default info), the format from
//!   `--log-format` / `COINKING_LOG_FORMAT`.
//!
//! Both decide JSON by one rule, [`LogFormat::wants_json`]: when asked, else when running on
//! AWS (Lambda or ECS).

use std::str::FromStr;

use tracing::Level;
use tracing_subscriber::EnvFilter;

/// `--log-format` / `COINKING_LOG_FORMAT`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum LogFormat {
    /// JSON on AWS (Lambda, ECS), human elsewhere.
    #[default]
    Auto,
    Json,
    Human,
}

impl FromStr for LogFormat {
    type Err = std::convert::Infallible;

    /// `json` or `human`; anything else is [`LogFormat::Auto`] (a typo in an environment
    /// variable must not stop a Lambda from starting).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(match text.trim() {
            "json" => Self::Json,
            "human" => Self::Human,
            _ => Self::Auto,
        })
    }
}

impl LogFormat {
    /// `COINKING_LOG_FORMAT`, [`LogFormat::Auto`] when unset.
    pub fn from_env() -> Self {
        std::env::var("COINKING_LOG_FORMAT")
            .ok()
            .and_then(|text| text.parse().ok())
            .unwrap_or_default()
    }

    /// JSON when asked, else when running on AWS.
    pub fn wants_json(self, on_aws: bool) -> bool {
        match self {
            Self::Json => true,
            Self::Human => false,
            Self::Auto => on_aws,
        }
    }
}

/// Whether this process runs on AWS: Lambda, or an ECS task (the ingester on Fargate).
pub fn running_on_aws() -> bool {
    std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some()
        || std::env::var_os("ECS_CONTAINER_METADATA_URI_V4").is_some()
}

/// Installs the global subscriber of a Lambda; call once, first thing in `main`.
pub fn init_lambda() {
    let level = std::env::var("RUST_LOG")
        .ok()
        .and_then(|text| text.trim().parse::<Level>().ok())
        .unwrap_or(Level::INFO);
    let builder = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr);
    if LogFormat::from_env().wants_json(running_on_aws()) {
        builder.json().flatten_event(true).without_time().init();
    } else {
        builder.init();
    }
}

/// Installs the global subscriber of a long-running binary: `RUST_LOG` as the filter (default
/// `info`).
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if format.wants_json(running_on_aws()) {
        builder.json().flatten_event(true).init();
    } else {
        builder.init();
    }
}

#[cfg(test)]
mod tests {
    use super::LogFormat;

    fn json_logs(format: Option<&str>, on_lambda: bool) -> bool {
        format
            .map_or(LogFormat::Auto, |text| text.parse().expect("infallible"))
            .wants_json(on_lambda)
    }

    #[test]
    fn json_on_lambda_unless_told_otherwise() {
        assert!(json_logs(None, true));
        assert!(!json_logs(None, false));
        assert!(json_logs(Some("json"), false));
        assert!(!json_logs(Some("human"), true));
        assert!(json_logs(Some("auto"), true));
    }

    #[test]
    fn an_unknown_format_is_auto() {
        assert_eq!(" human ".parse::<LogFormat>(), Ok(LogFormat::Human));
        assert_eq!("JSONL".parse::<LogFormat>(), Ok(LogFormat::Auto));
    }
}
