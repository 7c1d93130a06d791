//! Market codes and coin-id normalisation.
//!
//! Upbit names a market `QUOTE-BASE` (`KRW-BTC`). The game's frontend names coins `BASE/QUOTE`
//! (`BTC/KRW`), sometimes in lower case. Everything inside the platform uses the Upbit form, so
//! [`MarketCode::normalize`] accepts both spellings and [`MarketCode::parse`] accepts only the
//! canonical one (what Upbit itself sends).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Quote currencies Upbit lists markets in.
pub const QUOTE_CURRENCIES: [&str; 3] = ["KRW", "BTC", "USDT"];

/// Longest base-currency symbol accepted (Upbit's longest today is 10 characters).
pub const MAX_BASE_LEN: usize = 15;

/// The nine markets the game uses unless configured otherwise.
pub const DEFAULT_GAME_MARKETS: [&str; 9] = [
    "KRW-BTC",
    "KRW-ETH",
    "KRW-DOGE",
    "KRW-BIGTIME",
    "KRW-SUI",
    "KRW-UXLINK",
    "KRW-SOL",
    "KRW-XRP",
    "KRW-SXP",
];

/// Why a string is not a market code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MarketCodeError {
    #[error("is empty")]
    Empty,
    #[error("is not of the form QUOTE-BASE (e.g. KRW-BTC) or BASE/QUOTE (e.g. BTC/KRW)")]
    Shape,
    #[error("quote currency `{0}` is not one of KRW, BTC, USDT")]
    Quote(String),
    #[error("base currency must be 1 to {MAX_BASE_LEN} letters or digits")]
    Base,
    #[error("is not in canonical form (upper-case QUOTE-BASE, e.g. KRW-BTC)")]
    NotCanonical,
}

/// A market code in Upbit's canonical form, e.g. `KRW-BTC`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MarketCode(Box<str>);

impl MarketCode {
    /// Accepts exactly the canonical form Upbit uses on the wire (`KRW-BTC`).
    pub fn parse(input: &str) -> Result<Self, MarketCodeError> {
        // Fast path: the hot ingest loop parses canonical codes millions of times.
        if is_canonical(input) {
            return Ok(Self(Box::from(input)));
        }
        let normalized = Self::normalize(input)?;
        if normalized.as_str() == input {
            Ok(normalized)
        } else {
            Err(MarketCodeError::NotCanonical)
        }
    }

    /// Accepts `KRW-BTC`, `BTC/KRW` and either in any letter case; returns `KRW-BTC`.
    pub fn normalize(input: &str) -> Result<Self, MarketCodeError> {
        // Fast path: what the archiver reads back is always canonical already, and normalising
        // a canonical code gives it back unchanged.
        if is_canonical(input) {
            return Ok(Self(Box::from(input)));
        }
        if input.is_empty() {
            return Err(MarketCodeError::Empty);
        }
        let (quote, base) = if let Some((quote, base)) = input.split_once('-') {
            (quote, base)
        } else if let Some((base, quote)) = input.split_once('/') {
            (quote, base)
        } else {
            return Err(MarketCodeError::Shape);
        };
        let quote = quote.to_ascii_uppercase();
        if !QUOTE_CURRENCIES.contains(&quote.as_str()) {
            if quote.is_empty() || !quote.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(MarketCodeError::Shape);
            }
            return Err(MarketCodeError::Quote(quote));
        }
        let base_is_valid = !base.is_empty()
            && base.len() <= MAX_BASE_LEN
            && base.bytes().all(|b| b.is_ascii_alphanumeric());
        if !base_is_valid {
            return Err(MarketCodeError::Base);
        }
        let mut code = String::with_capacity(quote.len() + 1 + base.len());
        code.push_str(&quote);
        code.push('-');
        code.extend(base.chars().map(|c| c.to_ascii_uppercase()));
        Ok(Self(code.into_boxed_str()))
    }

    /// The canonical text, e.g. `KRW-BTC`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The quote currency, e.g. `KRW`.
    pub fn quote(&self) -> &str {
        self.0.split_once('-').map_or("", |(quote, _)| quote)
    }

    /// The base currency, e.g. `BTC`.
    pub fn base(&self) -> &str {
        self.0.split_once('-').map_or("", |(_, base)| base)
    }

    /// The frontend's spelling, e.g. `BTC/KRW`.
    pub fn to_slash_form(&self) -> String {
        format!("{}/{}", self.base(), self.quote())
    }

    /// The default game markets, parsed.
    pub fn default_game_markets() -> Vec<MarketCode> {
        DEFAULT_GAME_MARKETS
            .iter()
            .map(|code| MarketCode(Box::from(*code)))
            .collect()
    }
}

/// Most markets one configured or requested market list may name.
pub const MAX_LISTED_MARKETS: usize = 100;

/// Parses `KRW-BTC,KRW-ETH` (`COINKING_GAME_MARKETS`, get-ticker's `?markets=`): canonical codes,
/// at least one, at most [`MAX_LISTED_MARKETS`], duplicates dropped (first occurrence kept, so
/// the order is the caller's). The error is the rule broken, naming the element (`[1]: …`).
/// One parser for every function that reads a market list.
pub fn parse_market_list(text: &str) -> Result<Vec<MarketCode>, String> {
    let mut markets: Vec<MarketCode> = Vec::new();
    for (index, part) in text.split(',').enumerate() {
        let code = MarketCode::parse(part.trim()).map_err(|err| format!("[{index}] {err}"))?;
        if !markets.contains(&code) {
            markets.push(code);
        }
    }
    if markets.len() > MAX_LISTED_MARKETS {
        return Err(format!("must name at most {MAX_LISTED_MARKETS} markets"));
    }
    Ok(markets)
}

fn is_canonical(input: &str) -> bool {
    let Some((quote, base)) = input.split_once('-') else {
        return false;
    };
    QUOTE_CURRENCIES.contains(&quote)
        && !base.is_empty()
        && base.len() <= MAX_BASE_LEN
        && base
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

impl fmt::Display for MarketCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for MarketCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MarketCode({})", self.0)
    }
}

impl FromStr for MarketCode {
    type Err = MarketCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::normalize(s)
    }
}

impl AsRef<str> for MarketCode {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for MarketCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for MarketCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        MarketCode::normalize(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_frontend_spelling_becomes_the_upbit_code() {
        for input in ["BTC/KRW", "KRW-BTC", "btc/krw", "krw-btc", "Btc/Krw"] {
            assert_eq!(
                MarketCode::normalize(input).unwrap().as_str(),
                "KRW-BTC",
                "{input}"
            );
        }
    }

    #[test]
    fn other_quotes_are_kept() {
        assert_eq!(
            MarketCode::normalize("ETH/BTC").unwrap().as_str(),
            "BTC-ETH"
        );
        assert_eq!(
            MarketCode::normalize("USDT-XRP").unwrap().as_str(),
            "USDT-XRP"
        );
    }

    #[test]
    fn rejects_what_is_not_a_coin_id() {
        let cases = [
            ("", MarketCodeError::Empty),
            ("BTC", MarketCodeError::Shape),
            ("BTC KRW", MarketCodeError::Shape),
            ("EUR-BTC", MarketCodeError::Quote("EUR".into())),
            ("BTC/EUR", MarketCodeError::Quote("EUR".into())),
            ("KRW-", MarketCodeError::Base),
            ("KRW-BT C", MarketCodeError::Base),
            ("KRW-BTC-X", MarketCodeError::Base),
            ("KRW-ÄBC", MarketCodeError::Base),
            ("KRW-AAAAAAAAAAAAAAAA", MarketCodeError::Base),
            ("-BTC", MarketCodeError::Shape),
        ];
        for (input, expected) in cases {
            assert_eq!(MarketCode::normalize(input), Err(expected), "{input:?}");
        }
    }

    #[test]
    fn parse_accepts_only_the_canonical_form() {
        assert!(MarketCode::parse("KRW-BTC").is_ok());
        assert_eq!(
            MarketCode::parse("krw-btc"),
            Err(MarketCodeError::NotCanonical)
        );
        assert_eq!(
            MarketCode::parse("BTC/KRW"),
            Err(MarketCodeError::NotCanonical)
        );
    }

    #[test]
    fn splits_into_quote_and_base() {
        let code = MarketCode::parse("KRW-BIGTIME").unwrap();
        assert_eq!(code.quote(), "KRW");
        assert_eq!(code.base(), "BIGTIME");
        assert_eq!(code.to_slash_form(), "BIGTIME/KRW");
    }

    #[test]
    fn default_game_markets_are_canonical() {
        for code in MarketCode::default_game_markets() {
            assert_eq!(MarketCode::parse(code.as_str()).unwrap(), code);
        }
        assert_eq!(MarketCode::default_game_markets().len(), 9);
    }

    #[test]
    fn deserializes_by_normalizing() {
        let code: MarketCode = serde_json::from_str("\"sol/krw\"").unwrap();
        assert_eq!(code.as_str(), "KRW-SOL");
        let err = serde_json::from_str::<MarketCode>("\"nope\"").unwrap_err();
        assert!(err.to_string().contains("QUOTE-BASE"), "{err}");
    }
}
