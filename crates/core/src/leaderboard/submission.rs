//! The body of `POST /set_user_data`, as the frontend sends it when a player leaves the result
//! screen:
//! `{"name","affiliation","nickname"?,"coin_1","coin_2","coin_3","balance"}`.
//!
//! Rules (each broken rule is one [`Problem`], and every problem of a body is reported):
//! - `name`, `affiliation`: [`check_player_text`], the game record's rule; stored trimmed.
//! - `nickname`: optional (absent, `null` or a string of at most [`MAX_NICKNAME_CHARS`]). It is an
//!   e-mail given only for prize delivery: checked for shape, then dropped — never stored,
//!   logged or echoed, not even in an error message.
//! - `coin_1..3`: market codes in Upbit's form (`KRW-BTC`), each one of the configured game
//!   markets, all three distinct.
//! - `balance`: a finite JSON number, at least 0 and at most [`MAX_BALANCE_KRW`].
//! - no other keys, and no key twice (a duplicated key would let two readers see two bodies).

use std::collections::BTreeSet;
use std::fmt;

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::Value;

use super::{MAX_BALANCE_KRW, PlayerRow};
use crate::market::MarketCode;
use crate::player::{PlayerField, check_player_text};

/// Longest nickname accepted, in characters (an e-mail address is at most 254; some slack).
pub const MAX_NICKNAME_CHARS: usize = 320;

/// The keys a body may hold.
pub const FIELDS: [&str; 7] = [
    "name",
    "affiliation",
    "nickname",
    "coin_1",
    "coin_2",
    "coin_3",
    "balance",
];

/// One broken rule: the field (`body` for the whole body) and the rule, shown as `field: rule`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: String,
    pub rule: String,
}

impl Problem {
    pub fn new(field: impl Into<String>, rule: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            rule: rule.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.rule)
    }
}

/// A valid submission: the player's best game of the session. The nickname is not here.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreEntry {
    /// Trimmed.
    pub name: String,
    /// Trimmed.
    pub affiliation: String,
    pub coins: [MarketCode; 3],
    /// As sent (KRW, may have a fraction); checked against the score bound as is.
    pub balance: f64,
}

impl ScoreEntry {
    /// The balance stored and ranked: whole KRW, fractions dropped (the rank page shows an
    /// integer). Validation keeps it within `0..=MAX_BALANCE_KRW`.
    pub fn balance_krw(&self) -> u64 {
        // In range by validation; `as` saturates anyway.
        self.balance.floor() as u64
    }

    /// The row this submission ranks as when it is the player's best.
    pub fn row(&self) -> PlayerRow {
        PlayerRow {
            name: self.name.clone(),
            affiliation: self.affiliation.clone(),
            coins: self.coins.clone(),
            balance: self.balance_krw(),
        }
    }
}

/// A JSON object kept as its entries in order, so that duplicated keys are seen.
struct Entries(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor;
        impl<'de> Visitor<'de> for EntriesVisitor {
            type Value = Entries;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, Value>()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(EntriesVisitor)
    }
}

/// Validates a `/set_user_data` body against the game markets. On failure, every problem found.
pub fn parse_submission(
    body: &[u8],
    game_markets: &[MarketCode],
) -> Result<ScoreEntry, Vec<Problem>> {
    let entries = match serde_json::from_slice::<Entries>(body) {
        Ok(Entries(entries)) => entries,
        Err(err) => {
            return Err(vec![Problem::new(
                "body",
                format!("must be a JSON object ({err})"),
            )]);
        }
    };
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for (key, _) in &entries {
        if !FIELDS.contains(&key.as_str()) {
            problems.push(Problem::new(
                key.as_str(),
                format!("unknown field (expected {})", FIELDS.join(", ")),
            ));
        } else if !seen.insert(key.as_str()) {
            problems.push(Problem::new(key.as_str(), "must not be given twice"));
        }
    }
    let get = |key: &str| entries.iter().find(|(k, _)| k == key).map(|(_, v)| v);

    let name = player_text(get("name"), "name", PlayerField::Name, &mut problems);
    let affiliation = player_text(
        get("affiliation"),
        "affiliation",
        PlayerField::Affiliation,
        &mut problems,
    );
    check_nickname(get("nickname"), &mut problems);

    let mut coins: Vec<Option<MarketCode>> = Vec::with_capacity(3);
    for field in ["coin_1", "coin_2", "coin_3"] {
        let coin = coin(get(field), field, game_markets, &mut problems);
        if let Some(code) = &coin {
            let earlier = coins
                .iter()
                .position(|c| c.as_ref() == Some(code))
                .map(|index| index + 1);
            if let Some(index) = earlier {
                problems.push(Problem::new(
                    field,
                    format!("must differ from coin_{index} ({code} chosen twice)"),
                ));
            }
        }
        coins.push(coin);
    }
    let balance = balance(get("balance"), &mut problems);

    if !problems.is_empty() {
        return Err(problems);
    }
    match (name, affiliation, balance, coins.as_slice()) {
        (Some(name), Some(affiliation), Some(balance), [Some(c1), Some(c2), Some(c3)]) => {
            Ok(ScoreEntry {
                name,
                affiliation,
                coins: [c1.clone(), c2.clone(), c3.clone()],
                balance,
            })
        }
        // Every `None` above pushed a problem.
        _ => Err(vec![Problem::new("body", "is incomplete")]),
    }
}

fn player_text(
    value: Option<&Value>,
    field: &str,
    kind: PlayerField,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    let text = required_string(value, field, problems)?;
    match check_player_text(kind, text) {
        Ok(trimmed) => Some(trimmed.to_owned()),
        Err(rules) => {
            problems.extend(rules.into_iter().map(|rule| Problem::new(field, rule)));
            None
        }
    }
}

/// The nickname's rules never quote it.
fn check_nickname(value: Option<&Value>, problems: &mut Vec<Problem>) {
    match value {
        None | Some(Value::Null) => {}
        Some(Value::String(text)) if text.chars().count() <= MAX_NICKNAME_CHARS => {}
        Some(Value::String(_)) => problems.push(Problem::new(
            "nickname",
            format!("must have at most {MAX_NICKNAME_CHARS} characters"),
        )),
        Some(_) => problems.push(Problem::new("nickname", "must be a string or absent")),
    }
}

fn coin(
    value: Option<&Value>,
    field: &str,
    game_markets: &[MarketCode],
    problems: &mut Vec<Problem>,
) -> Option<MarketCode> {
    let text = required_string(value, field, problems)?;
    let code = match MarketCode::parse(text) {
        Ok(code) => code,
        Err(err) => {
            problems.push(Problem::new(field, format!("market code {err}")));
            return None;
        }
    };
    if !game_markets.contains(&code) {
        let markets: Vec<&str> = game_markets.iter().map(MarketCode::as_str).collect();
        problems.push(Problem::new(
            field,
            format!(
                "{code} is not a game market (one of {})",
                markets.join(", ")
            ),
        ));
        return None;
    }
    Some(code)
}

fn balance(value: Option<&Value>, problems: &mut Vec<Problem>) -> Option<f64> {
    let number = match value {
        None => {
            problems.push(Problem::new("balance", "is required"));
            return None;
        }
        Some(Value::Number(number)) => number.as_f64(),
        Some(_) => {
            problems.push(Problem::new("balance", "must be a number"));
            return None;
        }
    };
    match number {
        Some(balance)
            if balance.is_finite() && (0.0..=MAX_BALANCE_KRW as f64).contains(&balance) =>
        {
            Some(balance)
        }
        Some(balance) if balance.is_finite() && balance < 0.0 => {
            problems.push(Problem::new("balance", "must be at least 0"));
            None
        }
        _ => {
            problems.push(Problem::new(
                "balance",
                format!("must be a finite number at most {MAX_BALANCE_KRW}"),
            ));
            None
        }
    }
}

fn required_string<'a>(
    value: Option<&'a Value>,
    field: &str,
    problems: &mut Vec<Problem>,
) -> Option<&'a str> {
    match value {
        Some(Value::String(text)) => Some(text),
        None => {
            problems.push(Problem::new(field, "is required"));
            None
        }
        Some(_) => {
            problems.push(Problem::new(field, "must be a string"));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use super::*;

    /// The frontend's exact body (nickname absent: the player left the e-mail empty).
    const FRONTEND_BODY: &str = r#"{"name":"김철수","affiliation":"코인대학교","coin_1":"KRW-BTC","coin_2":"KRW-ETH","coin_3":"KRW-DOGE","balance":1734500000}"#;

    fn markets() -> Vec<MarketCode> {
        MarketCode::default_game_markets()
    }

    fn problems(body: &serde_json::Value) -> Vec<String> {
        parse_submission(body.to_string().as_bytes(), &markets())
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    fn valid() -> serde_json::Value {
        serde_json::from_str(FRONTEND_BODY).unwrap()
    }

    #[test]
    fn accepts_the_frontends_body_with_and_without_a_nickname() {
        let entry = parse_submission(FRONTEND_BODY.as_bytes(), &markets()).unwrap();
        assert_eq!(entry.name, "김철수");
        assert_eq!(entry.affiliation, "코인대학교");
        let coins: Vec<&str> = entry.coins.iter().map(MarketCode::as_str).collect();
        assert_eq!(coins, ["KRW-BTC", "KRW-ETH", "KRW-DOGE"]);
        assert_eq!(entry.balance_krw(), 1_734_500_000);

        let mut with_nickname = valid();
        with_nickname["nickname"] = json!("player@example.com");
        let entry_with = parse_submission(with_nickname.to_string().as_bytes(), &markets());
        assert_eq!(entry_with.unwrap(), entry);
    }

    #[test]
    fn trims_the_name_and_affiliation_by_the_player_rule() {
        let mut body = valid();
        body["name"] = json!("  김철수 ");
        body["affiliation"] = json!("\t코인대학교");
        let entry = parse_submission(body.to_string().as_bytes(), &markets()).unwrap();
        assert_eq!(
            (entry.name.as_str(), entry.affiliation.as_str()),
            ("김철수", "코인대학교")
        );
    }

    #[test]
    fn refuses_blank_or_hidden_character_names_naming_the_field() {
        let mut body = valid();
        body["name"] = json!("  ");
        body["affiliation"] = json!("a\u{202E}b");
        assert_eq!(
            problems(&body),
            [
                "name: must not be blank",
                "affiliation: must not contain zero-width or bidirectional-override characters"
            ]
        );
    }

    #[test]
    fn refuses_the_same_coin_twice_and_coins_outside_the_game() {
        let mut body = valid();
        body["coin_2"] = json!("KRW-BTC");
        body["coin_3"] = json!("KRW-ADA");
        assert_eq!(
            problems(&body),
            [
                "coin_2: must differ from coin_1 (KRW-BTC chosen twice)",
                "coin_3: KRW-ADA is not a game market (one of KRW-BTC, KRW-ETH, KRW-DOGE, KRW-BIGTIME, KRW-SUI, KRW-UXLINK, KRW-SOL, KRW-XRP, KRW-SXP)"
            ]
        );
    }

    #[test]
    fn refuses_coins_in_the_slash_form() {
        let mut body = valid();
        body["coin_1"] = json!("BTC/KRW");
        let found = problems(&body);
        assert_eq!(found.len(), 1);
        assert!(found[0].starts_with("coin_1: market code "), "{found:?}");
    }

    #[test]
    fn refuses_a_negative_or_non_numeric_balance() {
        let mut body = valid();
        body["balance"] = json!(-1);
        assert_eq!(problems(&body), ["balance: must be at least 0"]);
        body["balance"] = json!("1734500000");
        assert_eq!(problems(&body), ["balance: must be a number"]);
        body["balance"] = json!(1e300);
        assert_eq!(
            problems(&body),
            ["balance: must be a finite number at most 9007199254740991"]
        );
    }

    #[test]
    fn refuses_missing_unknown_and_duplicated_keys() {
        let body = r#"{"name":"a","name":"b","affiliation":"x","coin_1":"KRW-BTC","coin_2":"KRW-ETH","coin_3":"KRW-SOL","balance":1,"score":3}"#;
        let found: Vec<String> = parse_submission(body.as_bytes(), &markets())
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(found[0], "name: must not be given twice");
        assert!(found[1].starts_with("score: unknown field"), "{found:?}");

        let mut missing = valid();
        missing.as_object_mut().unwrap().remove("coin_3");
        assert_eq!(problems(&missing), ["coin_3: is required"]);
    }

    #[test]
    fn never_quotes_the_nickname_in_a_problem() {
        let mut body = valid();
        let nickname = format!("{}@example.com", "a".repeat(400));
        body["nickname"] = json!(nickname);
        let found = problems(&body);
        assert_eq!(found, ["nickname: must have at most 320 characters"]);
        assert!(!found[0].contains("example.com"));
    }

    #[test]
    fn refuses_a_body_that_is_not_an_object() {
        let found = parse_submission(b"[1,2]", &markets()).unwrap_err();
        assert_eq!(found[0].field, "body");
    }

    #[test]
    fn drops_the_fraction_of_the_stored_balance() {
        let mut body = valid();
        body["balance"] = json!(1_600_000_000.99);
        let entry = parse_submission(body.to_string().as_bytes(), &markets()).unwrap();
        assert_eq!(entry.balance_krw(), 1_600_000_000);
    }
}
