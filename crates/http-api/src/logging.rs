//! One logging set-up for every Lambda's `main`.
//!
//! JSON on Lambda (CloudWatch Logs Insights parses the fields; CloudWatch stamps every line, so
//! no time of our own), human-readable elsewhere; `COINKING_LOG_FORMAT=json|human` overrides.
//! `RUST_LOG` is one level (template.yaml's `LogLevel`: error, warn, info, debug, trace; default
//! info): a plain level filter instead of `EnvFilter` keeps the regex engine out of the
//! bootstraps (about a megabyte each).

use tracing::Level;

/// Installs the global subscriber; call once, first thing in `main`.
pub fn init_logging() {
    let level = std::env::var("RUST_LOG")
        .ok()
        .and_then(|text| text.trim().parse::<Level>().ok())
        .unwrap_or(Level::INFO);
    let builder = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr);
    if json_logs(
        std::env::var("COINKING_LOG_FORMAT").ok().as_deref(),
        std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some(),
    ) {
        builder.json().flatten_event(true).without_time().init();
    } else {
        builder.init();
    }
}

/// JSON when asked, else when running on Lambda.
fn json_logs(format: Option<&str>, on_lambda: bool) -> bool {
    match format {
        Some("json") => true,
        Some("human") => false,
        _ => on_lambda,
    }
}

#[cfg(test)]
mod tests {
    use super::json_logs;

    #[test]
    fn json_on_lambda_unless_told_otherwise() {
        assert!(json_logs(None, true));
        assert!(!json_logs(None, false));
        assert!(json_logs(Some("json"), false));
        assert!(!json_logs(Some("human"), true));
        assert!(json_logs(Some("auto"), true));
    }
}
