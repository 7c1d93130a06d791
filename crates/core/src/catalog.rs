//! The market catalog: Upbit's `GET /v1/market/all` (with or without `is_details=true`).
//!
//! `coin_name` in `/upbit_data` is the catalog's Korean name. A catalog for the default game
//! markets is bundled ([`Catalog::bundled`]) so the platform works when Upbit is unreachable.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::market::MarketCode;

/// The catalog shipped with the platform (the `is_details=true` form).
pub const BUNDLED_CATALOG_JSON: &str = include_str!("../data/markets.json");

/// Upbit's five caution flags (`market_event.caution`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CautionFlags {
    pub price_fluctuations: bool,
    pub trading_volume_soaring: bool,
    pub deposit_amount_soaring: bool,
    pub global_price_differences: bool,
    pub concentration_of_small_accounts: bool,
}

impl CautionFlags {
    pub fn any(&self) -> bool {
        self.price_fluctuations
            || self.trading_volume_soaring
            || self.deposit_amount_soaring
            || self.global_price_differences
            || self.concentration_of_small_accounts
    }
}

/// One market of the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketInfo {
    pub market: MarketCode,
    pub korean_name: String,
    pub english_name: String,
    /// Upbit's investment warning ("투자유의"); false when the listing had no details.
    pub warning: bool,
    pub caution: CautionFlags,
}

/// A catalog response that cannot be used; the message names the element and field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    #[error("market catalog is not valid JSON: {0}")]
    Json(String),
    #[error("market catalog must be a JSON array")]
    NotAnArray,
    #[error("market catalog [{index}]{}{field}: {reason}", if .field.is_empty() { "" } else { "." })]
    Entry {
        index: usize,
        field: &'static str,
        reason: String,
    },
}

/// A parsed `/v1/market/all`: the valid entries, and why each other one was rejected.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedCatalog {
    pub markets: Vec<MarketInfo>,
    /// One [`CatalogError::Entry`] per malformed entry, in order.
    pub rejected: Vec<CatalogError>,
}

/// Parses `/v1/market/all`. Unknown fields are ignored; a malformed entry is rejected on its
/// own (one odd listing must not unlist every market), so only a body that is not a JSON
/// array is an error. Whether the valid entries are enough is the caller's call.
pub fn parse_market_all(bytes: &[u8]) -> Result<ParsedCatalog, CatalogError> {
    let value: Value =
        serde_json::from_slice(bytes).map_err(|err| CatalogError::Json(err.to_string()))?;
    let Value::Array(entries) = value else {
        return Err(CatalogError::NotAnArray);
    };
    let mut parsed = ParsedCatalog {
        markets: Vec::with_capacity(entries.len()),
        rejected: Vec::new(),
    };
    for (index, entry) in entries.iter().enumerate() {
        match parse_entry(index, entry) {
            Ok(market) => parsed.markets.push(market),
            Err(error) => parsed.rejected.push(error),
        }
    }
    Ok(parsed)
}

fn parse_entry(index: usize, entry: &Value) -> Result<MarketInfo, CatalogError> {
    let fail = |field: &'static str, reason: &str| CatalogError::Entry {
        index,
        field,
        reason: reason.to_owned(),
    };
    let Value::Object(fields) = entry else {
        return Err(fail("", "must be an object"));
    };
    let text = |field: &'static str| -> Result<String, CatalogError> {
        match fields.get(field) {
            Some(Value::String(text)) if !text.is_empty() => Ok(text.clone()),
            Some(Value::String(_)) => Err(fail(field, "must not be empty")),
            Some(_) => Err(fail(field, "must be a string")),
            None => Err(fail(field, "is required")),
        }
    };
    let code_text = text("market")?;
    let market = MarketCode::parse(&code_text).map_err(|err| fail("market", &err.to_string()))?;
    let korean_name = text("korean_name")?;
    let english_name = text("english_name")?;

    let (warning, caution) = match fields.get("market_event") {
        None | Some(Value::Null) => (
            legacy_warning(fields.get("market_warning")),
            Default::default(),
        ),
        Some(Value::Object(event)) => {
            let warning = matches!(event.get("warning"), Some(Value::Bool(true)));
            let flag = |name: &str| {
                event
                    .get("caution")
                    .and_then(|c| c.get(name))
                    .and_then(Value::as_bool)
                    .unwrap_or(false)
            };
            let caution = CautionFlags {
                price_fluctuations: flag("PRICE_FLUCTUATIONS"),
                trading_volume_soaring: flag("TRADING_VOLUME_SOARING"),
                deposit_amount_soaring: flag("DEPOSIT_AMOUNT_SOARING"),
                global_price_differences: flag("GLOBAL_PRICE_DIFFERENCES"),
                concentration_of_small_accounts: flag("CONCENTRATION_OF_SMALL_ACCOUNTS"),
            };
            (warning, caution)
        }
        Some(_) => return Err(fail("market_event", "must be an object")),
    };
    Ok(MarketInfo {
        market,
        korean_name,
        english_name,
        warning,
        caution,
    })
}

/// Before `market_event`, details came as `"market_warning": "NONE" | "CAUTION"`.
fn legacy_warning(value: Option<&Value>) -> bool {
    matches!(value, Some(Value::String(level)) if level == "CAUTION")
}

/// Markets by code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalog {
    markets: BTreeMap<MarketCode, MarketInfo>,
}

impl Catalog {
    pub fn new(markets: impl IntoIterator<Item = MarketInfo>) -> Self {
        Self {
            markets: markets.into_iter().map(|m| (m.market.clone(), m)).collect(),
        }
    }

    /// The catalog bundled with the platform.
    pub fn bundled() -> Self {
        // The bundled file is tested below; an error here is a broken build, not bad input.
        Self::new(
            parse_market_all(BUNDLED_CATALOG_JSON.as_bytes())
                .unwrap_or_default()
                .markets,
        )
    }

    pub fn get(&self, market: &MarketCode) -> Option<&MarketInfo> {
        self.markets.get(market)
    }

    /// The Korean name the frontend shows as `coin_name`.
    pub fn korean_name(&self, market: &MarketCode) -> Option<&str> {
        self.get(market).map(|m| m.korean_name.as_str())
    }

    pub fn len(&self) -> usize {
        self.markets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.markets.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &MarketInfo> {
        self.markets.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> MarketCode {
        MarketCode::parse(text).unwrap()
    }

    #[test]
    fn parses_the_listing_without_details() {
        let body = r#"[{"market":"KRW-BTC","korean_name":"비트코인","english_name":"Bitcoin"}]"#;
        let markets = parse_market_all(body.as_bytes()).unwrap().markets;
        assert_eq!(markets.len(), 1);
        assert_eq!(markets[0].market, code("KRW-BTC"));
        assert_eq!(markets[0].korean_name, "비트코인");
        assert!(!markets[0].warning);
        assert!(!markets[0].caution.any());
    }

    #[test]
    fn parses_market_event_details() {
        let body = r#"[{"market":"KRW-SXP","korean_name":"솔라","english_name":"Solar",
            "market_event":{"warning":true,"caution":{"PRICE_FLUCTUATIONS":false,
            "TRADING_VOLUME_SOARING":true,"DEPOSIT_AMOUNT_SOARING":false,
            "GLOBAL_PRICE_DIFFERENCES":false,"CONCENTRATION_OF_SMALL_ACCOUNTS":true}},
            "unknown_future_field":1}]"#;
        let market = &parse_market_all(body.as_bytes()).unwrap().markets[0];
        assert!(market.warning);
        assert!(market.caution.trading_volume_soaring);
        assert!(market.caution.concentration_of_small_accounts);
        assert!(!market.caution.price_fluctuations);
    }

    #[test]
    fn parses_the_legacy_market_warning_field() {
        let body = r#"[{"market":"KRW-SXP","korean_name":"솔라","english_name":"Solar","market_warning":"CAUTION"}]"#;
        assert!(parse_market_all(body.as_bytes()).unwrap().markets[0].warning);
    }

    #[test]
    fn a_malformed_entry_is_rejected_alone_with_its_index_and_field() {
        let body = r#"[{"market":"KRW-BTC","korean_name":"비트코인","english_name":"Bitcoin"},
                       {"market":"KRW-ETH","english_name":"Ethereum"},
                       7,
                       {"market":"KRW-XRP","korean_name":"리플","english_name":"Ripple"}]"#;
        let parsed = parse_market_all(body.as_bytes()).unwrap();
        let kept: Vec<&str> = parsed.markets.iter().map(|m| m.market.as_str()).collect();
        assert_eq!(kept, ["KRW-BTC", "KRW-XRP"]);
        let reasons: Vec<String> = parsed.rejected.iter().map(ToString::to_string).collect();
        assert_eq!(
            reasons,
            [
                "market catalog [1].korean_name: is required",
                "market catalog [2]: must be an object"
            ]
        );

        let parsed =
            parse_market_all(br#"[{"market":"btc","korean_name":"a","english_name":"b"}]"#)
                .unwrap();
        assert!(parsed.markets.is_empty());
        let err = &parsed.rejected[0];
        assert!(
            err.to_string().starts_with("market catalog [0].market:"),
            "{err}"
        );
        assert_eq!(parse_market_all(b"{}"), Err(CatalogError::NotAnArray));
        assert!(matches!(
            parse_market_all(b"[1,"),
            Err(CatalogError::Json(_))
        ));
    }

    #[test]
    fn bundled_catalog_names_every_default_game_market_in_korean() {
        let catalog = Catalog::bundled();
        for market in MarketCode::default_game_markets() {
            let name = catalog.korean_name(&market);
            assert!(
                name.is_some_and(|n| !n.is_empty()),
                "{market} has no Korean name"
            );
        }
        assert_eq!(catalog.korean_name(&code("KRW-BTC")), Some("비트코인"));
    }
}
