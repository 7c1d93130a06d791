//! The function's typed configuration, read once per process from the variables template.yaml
//! declares (see the crate doc for the list). An empty variable counts as unset.

use coinking_core::market::{MarketCode, parse_market_list};
use coinking_http::CorsOrigins;

pub const ENV_GAME_MARKETS: &str = "COINKING_GAME_MARKETS";
pub const ENV_CORS_ORIGINS: &str = "COINKING_CORS_ORIGINS";
pub const ENV_LEADERBOARD_TABLE: &str = "COINKING_LEADERBOARD_TABLE";
pub const ENV_MARKET_TABLE: &str = "COINKING_DYNAMODB_TABLE";
pub const ENV_MAX_ROWS: &str = "COINKING_LEADERBOARD_MAX_ROWS";

/// The rank page is public and sent without credentials, like the market data.
pub const DEFAULT_CORS_ORIGINS: &str = "*";
/// Rows one `/get_user_data` answer holds at most (the best ones): about 1.5 MB of JSON, well
/// inside Lambda's 6 MB response limit.
pub const DEFAULT_MAX_ROWS: usize = 10_000;
/// Largest `COINKING_LEADERBOARD_MAX_ROWS` accepted (≈ 5 MB of JSON).
pub const MAX_MAX_ROWS: usize = 30_000;

/// The configuration error every Lambda shares (variable and rule).
pub use coinking_http::ConfigError;

/// Everything the handler is configured with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The markets a submitted coin must be one of.
    pub game_markets: Vec<MarketCode>,
    pub cors_origins: CorsOrigins,
    /// `None`: the adapters' default (`coinking-leaderboard`).
    pub leaderboard_table: Option<String>,
    /// The market table the candles are read from; `None`: `coinking-market`.
    pub market_table: Option<String>,
    pub max_rows: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            game_markets: MarketCode::default_game_markets(),
            cors_origins: CorsOrigins::Any,
            leaderboard_table: None,
            market_table: None,
            max_rows: DEFAULT_MAX_ROWS,
        }
    }
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads through `lookup`, which answers like `std::env::var(name).ok()`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let value = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let mut config = Self::default();
        if let Some(text) = value(ENV_GAME_MARKETS) {
            config.game_markets = parse_market_list(&text).map_err(|reason| ConfigError {
                variable: ENV_GAME_MARKETS,
                reason,
            })?;
        }
        if config.game_markets.len() < 3 {
            return Err(ConfigError {
                variable: ENV_GAME_MARKETS,
                reason: "must name at least 3 markets (a game takes three coins)".to_owned(),
            });
        }
        config.cors_origins = CorsOrigins::parse(
            &value(ENV_CORS_ORIGINS).unwrap_or_else(|| DEFAULT_CORS_ORIGINS.to_owned()),
        )
        .map_err(|err| ConfigError {
            variable: ENV_CORS_ORIGINS,
            reason: err.reason,
        })?;
        config.leaderboard_table = table(value(ENV_LEADERBOARD_TABLE), ENV_LEADERBOARD_TABLE)?;
        config.market_table = table(value(ENV_MARKET_TABLE), ENV_MARKET_TABLE)?;
        if let Some(text) = value(ENV_MAX_ROWS) {
            config.max_rows = text
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|rows| (1..=MAX_MAX_ROWS).contains(rows))
                .ok_or_else(|| ConfigError {
                    variable: ENV_MAX_ROWS,
                    reason: format!("must be an integer from 1 to {MAX_MAX_ROWS}"),
                })?;
        }
        Ok(config)
    }
}

/// A configured table name, trimmed, by DynamoDB's rule
/// ([`coinking_adapters::config::check_table_name`]).
fn table(name: Option<String>, variable: &'static str) -> Result<Option<String>, ConfigError> {
    let Some(name) = name.map(|n| n.trim().to_owned()) else {
        return Ok(None);
    };
    coinking_adapters::config::check_table_name(&name)
        .map_err(|rule| ConfigError::new(variable, rule))?;
    Ok(Some(name))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn defaults_are_the_nine_game_markets_and_the_default_tables() {
        assert_eq!(config(&[]).unwrap(), Config::default());
    }

    #[test]
    fn game_markets_use_the_shared_parser_and_need_three() {
        let err = config(&[(ENV_GAME_MARKETS, "KRW-BTC,btc")]).unwrap_err();
        assert!(
            err.to_string().starts_with("COINKING_GAME_MARKETS: [1] "),
            "{err}"
        );
        let err = config(&[(ENV_GAME_MARKETS, "KRW-BTC,KRW-ETH")]).unwrap_err();
        assert_eq!(err.variable, ENV_GAME_MARKETS);
        let ok = config(&[(ENV_GAME_MARKETS, "KRW-SOL,KRW-BTC,KRW-ETH")]).unwrap();
        assert_eq!(ok.game_markets.len(), 3);
    }

    #[test]
    fn tables_and_row_limit_are_checked() {
        let ok = config(&[(ENV_LEADERBOARD_TABLE, "lb-dev"), (ENV_MAX_ROWS, "500")]).unwrap();
        assert_eq!(ok.leaderboard_table.as_deref(), Some("lb-dev"));
        assert_eq!(ok.max_rows, 500);
        assert_eq!(
            config(&[(ENV_LEADERBOARD_TABLE, "a b")])
                .unwrap_err()
                .variable,
            ENV_LEADERBOARD_TABLE
        );
        assert_eq!(
            config(&[(ENV_MAX_ROWS, "0")]).unwrap_err().variable,
            ENV_MAX_ROWS
        );
    }
}
