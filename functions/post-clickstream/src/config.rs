//! Typed configuration, read once at start from the variables template.yaml declares.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `COINKING_CLICKSTREAM_STREAM` | `coinking-clickstream` | Kinesis stream the records go to |
//! | `COINKING_CORS_ORIGINS` | `*` (like get-ticker) | comma-separated allowed origins, or `*`; an empty value sends no CORS headers |
//! | `COINKING_GAME_MARKETS` | empty (any well-formed market) | comma-separated market codes players may trade |
//!
//! AWS endpoints and region come from `coinking_adapters::AwsSettings` (`COINKING_KINESIS_ENDPOINT`, …).

use coinking_core::game::RecordRules;
use coinking_core::market::MarketCode;
use coinking_http::CorsOrigins;

pub const ENV_STREAM: &str = "COINKING_CLICKSTREAM_STREAM";
pub const ENV_CORS_ORIGINS: &str = "COINKING_CORS_ORIGINS";
pub const ENV_GAME_MARKETS: &str = "COINKING_GAME_MARKETS";
pub const DEFAULT_STREAM: &str = "coinking-clickstream";

/// A variable was set to something unusable.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration {variable}: {reason}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub reason: String,
}

/// Everything the handler needs from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub stream: String,
    pub cors: CorsOrigins,
    pub rules: RecordRules,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let stream = lookup(ENV_STREAM)
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| DEFAULT_STREAM.to_owned());
        // Unset: `*`; set but empty: no CORS headers.
        let cors_text = lookup(ENV_CORS_ORIGINS).unwrap_or_else(|| "*".to_owned());
        let cors = CorsOrigins::parse(&cors_text).map_err(|error| ConfigError {
            variable: ENV_CORS_ORIGINS,
            reason: error.reason,
        })?;
        let markets = lookup(ENV_GAME_MARKETS).unwrap_or_default();
        let mut codes = Vec::new();
        for code in markets.split(',').map(str::trim).filter(|c| !c.is_empty()) {
            codes.push(MarketCode::parse(code).map_err(|error| ConfigError {
                variable: ENV_GAME_MARKETS,
                reason: format!("{code:?}: {error}"),
            })?);
        }
        let rules = if codes.is_empty() {
            RecordRules::default()
        } else {
            RecordRules::with_game_markets(codes)
        };
        Ok(Self {
            stream,
            cors,
            rules,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_need_no_environment() {
        let config = Config::from_lookup(|_| None).unwrap();
        assert_eq!(config.stream, DEFAULT_STREAM);
        assert_eq!(config.cors, CorsOrigins::Any);
        assert_eq!(config.rules, RecordRules::default());
    }

    #[test]
    fn reads_origins_and_markets_and_refuses_bad_ones() {
        let config = Config::from_lookup(|name| match name {
            ENV_CORS_ORIGINS => Some("https://game.example, http://localhost:5173".to_owned()),
            ENV_GAME_MARKETS => Some("KRW-BTC,KRW-ETH".to_owned()),
            _ => None,
        })
        .unwrap();
        assert_eq!(
            config.cors,
            CorsOrigins::List(vec![
                "https://game.example".into(),
                "http://localhost:5173".into()
            ])
        );
        assert!(config.rules.allowed_markets.is_some());
        let error = Config::from_lookup(|name| {
            (name == ENV_CORS_ORIGINS).then(|| "game.example".to_owned())
        })
        .unwrap_err();
        assert_eq!(error.variable, ENV_CORS_ORIGINS);
        let empty = Config::from_lookup(|name| (name == ENV_CORS_ORIGINS).then(String::new));
        assert_eq!(empty.unwrap().cors, CorsOrigins::None);
        assert!(
            Config::from_lookup(|name| (name == ENV_GAME_MARKETS).then(|| "BTC".to_owned()))
                .is_err()
        );
    }
}
