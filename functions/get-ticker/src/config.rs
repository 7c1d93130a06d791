//! The function's typed configuration, read once per process from the variables template.yaml
//! declares (see the crate doc for the list). An empty variable counts as unset.

use coinking_core::market::{DEFAULT_GAME_MARKETS, MarketCode};
use coinking_http::CorsOrigins;

/// Comma-separated game markets of `/upbit_data`, in the order the frontend lists them.
pub const ENV_GAME_MARKETS: &str = "COINKING_GAME_MARKETS";
/// Comma-separated origins allowed by CORS, or `*`.
pub const ENV_CORS_ORIGINS: &str = "COINKING_CORS_ORIGINS";
/// The market table's name.
pub const ENV_DYNAMODB_TABLE: &str = "COINKING_DYNAMODB_TABLE";
/// The bearer token `POST /set_deeplearning` requires off AWS (unset: the route answers 403).
pub const ENV_HINTS_TOKEN: &str = "COINKING_HINTS_TOKEN";
/// Shortest accepted hints token: a guessable token would make the route public.
pub const MIN_HINTS_TOKEN_LEN: usize = 16;

/// Any origin may read: the market data is public, read-only and sent without credentials
/// (Upbit's own REST API answers `Access-Control-Allow-Origin: *` for the same data). A
/// deployment that wants to pin the game's origin sets `COINKING_CORS_ORIGINS`.
pub const DEFAULT_CORS_ORIGINS: &str = "*";

/// Most markets one configuration or one `?markets=` list may name.
pub const MAX_MARKETS: usize = coinking_core::market::MAX_LISTED_MARKETS;

/// The configuration error every Lambda shares (variable and rule).
pub use coinking_http::ConfigError;

/// Everything the handler is configured with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TickerConfig {
    /// The markets of `/upbit_data` (and the default of `/tickers`), in display order.
    pub game_markets: Vec<MarketCode>,
    pub cors_origins: CorsOrigins,
    /// `None`: the adapters' default table (`coinking-market`).
    pub market_table: Option<String>,
    /// `POST /set_deeplearning`'s bearer token; `None` turns token writes off (on AWS the route
    /// is authorised by IAM instead).
    pub hints_token: Option<String>,
}

impl Default for TickerConfig {
    fn default() -> Self {
        Self {
            game_markets: MarketCode::default_game_markets(),
            cors_origins: CorsOrigins::Any,
            market_table: None,
            hints_token: None,
        }
    }
}

impl TickerConfig {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads through `lookup`, which answers like `std::env::var(name).ok()`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let value = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let game_markets = match value(ENV_GAME_MARKETS) {
            Some(text) => parse_market_list(&text).map_err(|reason| ConfigError {
                variable: ENV_GAME_MARKETS,
                reason,
            })?,
            None => DEFAULT_GAME_MARKETS
                .iter()
                .filter_map(|code| MarketCode::parse(code).ok())
                .collect(),
        };
        let cors_origins = CorsOrigins::parse(
            &value(ENV_CORS_ORIGINS).unwrap_or_else(|| DEFAULT_CORS_ORIGINS.to_owned()),
        )
        .map_err(|err| ConfigError {
            variable: ENV_CORS_ORIGINS,
            reason: err.reason,
        })?;
        let market_table = value(ENV_DYNAMODB_TABLE).map(|t| t.trim().to_owned());
        if let Some(table) = &market_table {
            validate_table_name(table)?;
        }
        let hints_token = value(ENV_HINTS_TOKEN).map(|t| t.trim().to_owned());
        if hints_token.as_ref().is_some_and(|t| {
            t.len() < MIN_HINTS_TOKEN_LEN || !t.bytes().all(|b| b.is_ascii_graphic())
        }) {
            return Err(ConfigError {
                variable: ENV_HINTS_TOKEN,
                reason: format!(
                    "must be at least {MIN_HINTS_TOKEN_LEN} printable ASCII characters without spaces"
                ),
            });
        }
        Ok(Self {
            game_markets,
            cors_origins,
            market_table,
            hints_token,
        })
    }
}

/// The market-list parser is core's, shared with the leaderboard (`COINKING_GAME_MARKETS`).
pub use coinking_core::market::parse_market_list;

/// DynamoDB's table-name rule ([`coinking_adapters::config::check_table_name`]).
fn validate_table_name(table: &str) -> Result<(), ConfigError> {
    coinking_adapters::config::check_table_name(table)
        .map_err(|rule| ConfigError::new(ENV_DYNAMODB_TABLE, rule))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<TickerConfig, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        TickerConfig::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn defaults_are_the_nine_game_markets_any_origin_and_the_default_table() {
        let config = config(&[]).unwrap();
        assert_eq!(config, TickerConfig::default());
        let codes: Vec<&str> = config.game_markets.iter().map(MarketCode::as_str).collect();
        assert_eq!(codes, DEFAULT_GAME_MARKETS);
    }

    #[test]
    fn game_markets_keep_the_configured_order_without_duplicates() {
        let config = config(&[(ENV_GAME_MARKETS, "KRW-SOL, KRW-BTC,KRW-SOL")]).unwrap();
        let codes: Vec<&str> = config.game_markets.iter().map(MarketCode::as_str).collect();
        assert_eq!(codes, ["KRW-SOL", "KRW-BTC"]);
    }

    #[test]
    fn a_malformed_game_market_names_the_variable_and_element() {
        let err = config(&[(ENV_GAME_MARKETS, "KRW-BTC,btc")]).unwrap_err();
        assert_eq!(err.variable, ENV_GAME_MARKETS);
        assert!(
            err.to_string().starts_with("COINKING_GAME_MARKETS: [1] "),
            "{err}"
        );
    }

    #[test]
    fn origins_are_parsed_by_the_shared_rules_and_errors_name_the_variable() {
        let config = config(&[(ENV_CORS_ORIGINS, "https://game.example.com")]).unwrap();
        assert_eq!(
            config.cors_origins,
            CorsOrigins::List(vec!["https://game.example.com".into()])
        );
        let err = self::config(&[(ENV_CORS_ORIGINS, "https://a.example/path")]).unwrap_err();
        assert_eq!(err.variable, ENV_CORS_ORIGINS);
        assert!(
            err.to_string()
                .starts_with("COINKING_CORS_ORIGINS: [0] must be `*` or an origin"),
            "{err}"
        );
    }

    #[test]
    fn the_hints_token_is_optional_but_never_short() {
        assert_eq!(config(&[]).unwrap().hints_token, None);
        let token = "s3cret-token-0123456789";
        assert_eq!(
            config(&[(ENV_HINTS_TOKEN, token)])
                .unwrap()
                .hints_token
                .as_deref(),
            Some(token)
        );
        let err = config(&[(ENV_HINTS_TOKEN, "short")]).unwrap_err();
        assert_eq!(err.variable, ENV_HINTS_TOKEN);
    }

    #[test]
    fn table_names_follow_dynamodb_rules() {
        assert_eq!(
            config(&[(ENV_DYNAMODB_TABLE, "coinking-market-dev")])
                .unwrap()
                .market_table
                .as_deref(),
            Some("coinking-market-dev")
        );
        assert!(config(&[(ENV_DYNAMODB_TABLE, "a b")]).is_err());
    }
}
