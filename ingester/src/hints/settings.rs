//! The hints stage's settings (the binary's `[hints]` section, `coinking_ingester::embedded`'s
//! `hints` field).

use std::time::Duration;

use serde::Deserialize;

/// Default wait after each minute boundary before reading the closed minute.
pub const DEFAULT_HINTS_DELAY_MS: u64 = 2_000;
/// The delay must leave the run inside its minute.
pub const MAX_HINTS_DELAY_MS: u64 = 50_000;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HintsSettings {
    /// Run the stage (default true).
    pub enabled: bool,
    /// Milliseconds after each minute boundary (default 2000, at most 50000).
    pub delay_ms: u64,
}

impl Default for HintsSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            delay_ms: DEFAULT_HINTS_DELAY_MS,
        }
    }
}

impl HintsSettings {
    pub fn delay(&self) -> Duration {
        Duration::from_millis(self.delay_ms)
    }

    /// The broken rule, if any.
    pub fn problem(&self) -> Option<String> {
        (self.delay_ms > MAX_HINTS_DELAY_MS).then(|| {
            format!("must be at most {MAX_HINTS_DELAY_MS} so each run stays within its minute")
        })
    }
}
