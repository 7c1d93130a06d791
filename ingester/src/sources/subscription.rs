//! The subscription request, pure: the JSON Upbit expects, the split of codes over connections
//! and which configured codes the market catalog lists.
//!
//! `[{"ticket":"…"},{"type":"ticker","codes":["KRW-BTC"]},{"type":"trade","codes":["KRW-BTC"]},{"format":"DEFAULT"}]`

use coinking_core::catalog::Catalog;
use coinking_core::market::MarketCode;
use serde_json::{Value, json};

use super::config::{DataType, WireFormat};

/// The request text for one connection. `ticket` identifies the client to Upbit (a fresh UUID per
/// connection is fine).
pub fn build_request(
    ticket: &str,
    types: &[DataType],
    codes: &[MarketCode],
    format: WireFormat,
) -> String {
    let code_list: Vec<&str> = codes.iter().map(MarketCode::as_str).collect();
    let mut request: Vec<Value> = Vec::with_capacity(types.len() + 2);
    request.push(json!({ "ticket": ticket }));
    for data_type in types {
        request.push(json!({ "type": data_type.as_str(), "codes": code_list }));
    }
    request.push(json!({ "format": format.as_str() }));
    Value::Array(request).to_string()
}

/// Splits `codes` into groups of at most `max_per_connection` (one group per connection), in
/// order, without duplicates. `max_per_connection` of 0 is treated as 1.
pub fn split_codes(codes: &[MarketCode], max_per_connection: usize) -> Vec<Vec<MarketCode>> {
    let mut unique: Vec<MarketCode> = Vec::with_capacity(codes.len());
    for code in codes {
        if !unique.contains(code) {
            unique.push(code.clone());
        }
    }
    unique
        .chunks(max_per_connection.max(1))
        .map(<[MarketCode]>::to_vec)
        .collect()
}

/// The configured codes `catalog` lists, in configured order and without duplicates, and the
/// ones it does not list (`(listed, unlisted)`).
pub fn listed_codes(
    configured: &[MarketCode],
    catalog: &Catalog,
) -> (Vec<MarketCode>, Vec<MarketCode>) {
    let mut listed: Vec<MarketCode> = Vec::with_capacity(configured.len());
    let mut unlisted = Vec::new();
    for code in configured {
        if listed.contains(code) || unlisted.contains(code) {
            continue;
        }
        if catalog.get(code).is_some() {
            listed.push(code.clone());
        } else {
            unlisted.push(code.clone());
        }
    }
    (listed, unlisted)
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Market codes from their text (shared with the other sources' unit tests).
    pub(crate) fn codes(names: &[&str]) -> Vec<MarketCode> {
        names
            .iter()
            .map(|n| MarketCode::parse(n).unwrap())
            .collect()
    }

    #[test]
    fn request_lists_ticket_each_type_and_format() {
        let text = build_request(
            "t-1",
            &[DataType::Ticker, DataType::Trade],
            &codes(&["KRW-BTC", "KRW-ETH"]),
            WireFormat::Simple,
        );
        assert_eq!(
            text,
            r#"[{"ticket":"t-1"},{"codes":["KRW-BTC","KRW-ETH"],"type":"ticker"},{"codes":["KRW-BTC","KRW-ETH"],"type":"trade"},{"format":"SIMPLE"}]"#
        );
    }

    #[test]
    fn nine_codes_at_five_per_connection_make_two_connections() {
        let all = MarketCode::default_game_markets();
        let groups = split_codes(&all, 5);
        assert_eq!(groups.iter().map(Vec::len).collect::<Vec<_>>(), [5, 4]);
        assert_eq!(groups.concat(), all);
    }

    #[test]
    fn only_listed_codes_are_kept_in_configured_order() {
        let catalog = Catalog::new(codes(&["KRW-ETH", "KRW-BTC"]).into_iter().map(|market| {
            coinking_core::catalog::MarketInfo {
                korean_name: market.to_string(),
                english_name: market.to_string(),
                market,
                warning: false,
                caution: Default::default(),
            }
        }));
        let (listed, unlisted) = listed_codes(
            &codes(&["KRW-BTC", "KRW-XRP", "KRW-ETH", "KRW-BTC", "KRW-XRP"]),
            &catalog,
        );
        assert_eq!(listed, codes(&["KRW-BTC", "KRW-ETH"]));
        assert_eq!(unlisted, codes(&["KRW-XRP"]));
    }

    #[test]
    fn duplicates_are_subscribed_once() {
        let groups = split_codes(&codes(&["KRW-BTC", "KRW-BTC", "KRW-ETH"]), 10);
        assert_eq!(groups, [codes(&["KRW-BTC", "KRW-ETH"])]);
    }
}
