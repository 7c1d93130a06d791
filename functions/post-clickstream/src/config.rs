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

/// Which browser origins get CORS headers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum CorsOrigins {
    /// No CORS headers (same-origin callers and servers only).
    #[default]
    None,
    /// `Access-Control-Allow-Origin: *`.
    Any,
    /// Exactly these origins, echoed back when they ask.
    List(Vec<String>),
}

impl CorsOrigins {
    /// Parses `*` or `https://a.example,https://b.example`.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let origins: Vec<String> = text
            .split(',')
            .map(str::trim)
            .filter(|origin| !origin.is_empty())
            .map(str::to_owned)
            .collect();
        if origins.is_empty() {
            return Ok(Self::None);
        }
        if origins.iter().any(|origin| origin == "*") {
            return Ok(Self::Any);
        }
        for origin in &origins {
            let valid = (origin.starts_with("http://") || origin.starts_with("https://"))
                && !origin.ends_with('/');
            if !valid {
                return Err(ConfigError {
                    variable: ENV_CORS_ORIGINS,
                    reason: format!("{origin:?} is not an origin like https://game.example"),
                });
            }
        }
        Ok(Self::List(origins))
    }

    /// The `Access-Control-Allow-Origin` value for a request from `origin`, if it is allowed.
    pub fn allow(&self, origin: Option<&str>) -> Option<String> {
        match self {
            Self::None => None,
            Self::Any => Some("*".to_owned()),
            Self::List(list) => {
                let origin = origin?;
                list.iter()
                    .any(|allowed| allowed == origin)
                    .then(|| origin.to_owned())
            }
        }
    }
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
        let cors = CorsOrigins::parse(&lookup(ENV_CORS_ORIGINS).unwrap_or_else(|| "*".to_owned()))?;
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
            config.cors.allow(Some("http://localhost:5173")).as_deref(),
            Some("http://localhost:5173")
        );
        assert_eq!(config.cors.allow(Some("https://evil.example")), None);
        assert!(config.rules.allowed_markets.is_some());
        assert!(CorsOrigins::parse("game.example").is_err());
        assert_eq!(
            CorsOrigins::parse("*").unwrap().allow(None).as_deref(),
            Some("*")
        );
        assert!(
            Config::from_lookup(|name| (name == ENV_GAME_MARKETS).then(|| "BTC".to_owned()))
                .is_err()
        );
    }
}
