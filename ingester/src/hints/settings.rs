//! The hints stage's settings (the binary's `[hints]` section, `coinking_ingester::embedded`'s
//! `hints` field).

use std::time::Duration;

use serde::Deserialize;

/// Default wait after each minute boundary before reading the closed minute.
pub const DEFAULT_HINTS_DELAY_MS: u64 = 2_000;
/// The delay must leave the run inside its minute.
pub const MAX_HINTS_DELAY_MS: u64 = 50_000;
/// Default seconds between looks for newer model versions in the lake.
pub const DEFAULT_MODELS_REFRESH_SECS: u64 = 300;
/// Shortest refresh period accepted (each look lists the lake's `models/` prefix).
pub const MIN_MODELS_REFRESH_SECS: u64 = 10;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HintsSettings {
    /// Run the stage (default true).
    pub enabled: bool,
    /// Milliseconds after each minute boundary (default 2000, at most 50000).
    pub delay_ms: u64,
    /// The lake holding `models/<market>/<version>/` (a local directory or `s3://bucket/prefix`);
    /// unset: the statistical baseline only.
    pub models_url: Option<String>,
    /// Seconds between looks for newer model versions (default 300, at least 10).
    pub models_refresh_secs: u64,
}

impl Default for HintsSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            delay_ms: DEFAULT_HINTS_DELAY_MS,
            models_url: None,
            models_refresh_secs: DEFAULT_MODELS_REFRESH_SECS,
        }
    }
}

impl HintsSettings {
    pub fn delay(&self) -> Duration {
        Duration::from_millis(self.delay_ms)
    }

    pub fn models_refresh(&self) -> Duration {
        Duration::from_secs(self.models_refresh_secs)
    }

    /// The broken rule, if any: the setting's name and the rule.
    pub fn problem(&self) -> Option<(&'static str, String)> {
        if self.delay_ms > MAX_HINTS_DELAY_MS {
            return Some((
                "hints.delay_ms",
                format!("must be at most {MAX_HINTS_DELAY_MS} so each run stays within its minute"),
            ));
        }
        if self.models_refresh_secs < MIN_MODELS_REFRESH_SECS {
            return Some((
                "hints.models_refresh_secs",
                format!("must be at least {MIN_MODELS_REFRESH_SECS}"),
            ));
        }
        if let Some(url) = &self.models_url {
            if let Err(error) = coinking_forecast::lake::Lake::open(url) {
                return Some(("hints.models_url", error.to_string()));
            }
        }
        None
    }
}
