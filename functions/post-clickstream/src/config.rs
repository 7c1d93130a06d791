//! Typed configuration, read once at start from the variables template.yaml declares.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `COINKING_CLICKSTREAM_STREAM` | `coinking-clickstream` | Kinesis stream the records go to |
//! | `COINKING_CORS_ORIGINS` | `*` (like get-ticker) | comma-separated allowed origins, or `*`; an empty value sends no CORS headers |
//! | `COINKING_GAME_MARKETS` | empty (any well-formed market) | comma-separated market codes players may trade, by the rule every function reads this variable with (`parse_market_list`: no blank entry, at most 100) |
//! | `COINKING_NICKNAME_HASH_KEY` | empty: **nicknames are dropped** | secret key of the HMAC-SHA256 that replaces `userNickname` (the player's e-mail) before the record leaves the Lambda; only the hash is archived. Unset or empty, no hash is kept and the nickname is dropped. Never logged |
//!
//! AWS endpoints and region come from `coinking_adapters::AwsSettings` (`COINKING_KINESIS_ENDPOINT`, …).

use coinking_core::game::RecordRules;
use coinking_core::market::parse_market_list;
use coinking_http::CorsOrigins;

use crate::nickname::NicknameKey;

pub const ENV_STREAM: &str = "COINKING_CLICKSTREAM_STREAM";
pub const ENV_CORS_ORIGINS: &str = "COINKING_CORS_ORIGINS";
pub const ENV_GAME_MARKETS: &str = "COINKING_GAME_MARKETS";
pub const ENV_NICKNAME_HASH_KEY: &str = "COINKING_NICKNAME_HASH_KEY";
pub const DEFAULT_STREAM: &str = "coinking-clickstream";

/// The configuration error every Lambda shares (variable and rule).
pub use coinking_http::ConfigError;

/// Everything the handler needs from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub stream: String,
    pub cors: CorsOrigins,
    pub rules: RecordRules,
    /// `None`: nicknames are dropped rather than hashed.
    pub nickname_key: Option<NicknameKey>,
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
        // The same rule as every other function's COINKING_GAME_MARKETS (`parse_market_list`);
        // unset or blank: any well-formed market.
        let rules = match lookup(ENV_GAME_MARKETS).filter(|text| !text.trim().is_empty()) {
            Some(text) => {
                RecordRules::with_game_markets(parse_market_list(&text).map_err(|reason| {
                    ConfigError {
                        variable: ENV_GAME_MARKETS,
                        reason,
                    }
                })?)
            }
            None => RecordRules::default(),
        };
        let nickname_key = lookup(ENV_NICKNAME_HASH_KEY).and_then(NicknameKey::new);
        Ok(Self {
            stream,
            cors,
            rules,
            nickname_key,
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
        assert_eq!(config.nickname_key, None);
    }

    #[test]
    fn reads_the_nickname_key_and_treats_an_empty_one_as_none() {
        let config = Config::from_lookup(|name| {
            (name == ENV_NICKNAME_HASH_KEY).then(|| "s3cr3t".to_owned())
        })
        .unwrap();
        assert_eq!(config.nickname_key, NicknameKey::new("s3cr3t"));
        assert!(!format!("{config:?}").contains("s3cr3t"));
        let empty = Config::from_lookup(|name| (name == ENV_NICKNAME_HASH_KEY).then(String::new));
        assert_eq!(empty.unwrap().nickname_key, None);
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

    /// COINKING_GAME_MARKETS means the same in every function: get-ticker's and the
    /// leaderboard's rule (`parse_market_list`), element named on error.
    #[test]
    fn game_markets_follow_the_one_market_list_rule() {
        let with = |text: &str| {
            let text = text.to_owned();
            Config::from_lookup(move |name| (name == ENV_GAME_MARKETS).then(|| text.clone()))
        };
        let config = with(" KRW-BTC , KRW-ETH,KRW-BTC").unwrap();
        assert_eq!(
            config
                .rules
                .allowed_markets
                .as_ref()
                .map(|markets| markets.len()),
            Some(2)
        );
        for bad in ["KRW-BTC,btc", "KRW-BTC,", "KRW-BTC,,KRW-ETH"] {
            let error = with(bad).unwrap_err();
            assert_eq!(error.variable, ENV_GAME_MARKETS);
            assert!(
                error.to_string().starts_with("COINKING_GAME_MARKETS: [1] "),
                "{error}"
            );
        }
        assert_eq!(with("  ").unwrap().rules, RecordRules::default());
    }
}
