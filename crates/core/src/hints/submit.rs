//! The rules of a hint set, in one place: what `POST /set_deeplearning` accepts
//! ([`parse_submission`]) and what `GET /get_deeplearning` always serves ([`fit_to_markets`]).
//!
//! A submitted set is accepted when it is a JSON array of 1..=N objects (N = the game markets),
//! each with exactly the contract's twelve fields (unknown or repeated keys are refused) and:
//! - `code`: a game market in canonical form (`KRW-BTC`), each market at most once (markets left
//!   out are served with a zero forecast);
//! - `percentage`: a number within ±[`MAX_ABS_PERCENTAGE`];
//! - `rank`: the ranks are a permutation of 1..=entries;
//! - `sell_up`, `sell_down`: numbers in `0..=`[`MAX_PRICE`], `sell_down ≤ sell_up`;
//! - the seven flags: booleans, each true on exactly one entry.
//!
//! Every problem is reported (`[3].rank: …`), so a predictor can fix its output in one go.

use std::collections::HashMap;
use std::fmt;

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::compute::assign_ranks;
use super::{Flag, Hint, MAX_ABS_PERCENTAGE, MAX_PRICE};
use crate::market::MarketCode;

/// One broken rule: the field (`[2].rank`, `most_volatile`, `body`) and the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HintProblem {
    pub field: String,
    pub rule: String,
}

impl HintProblem {
    fn new(field: impl Into<String>, rule: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            rule: rule.into(),
        }
    }
}

impl fmt::Display for HintProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.rule)
    }
}

/// One element as sent: every field optional here so that a missing one is reported by name.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHint {
    code: Option<Value>,
    percentage: Option<Value>,
    rank: Option<Value>,
    sell_up: Option<Value>,
    sell_down: Option<Value>,
    most_volatile: Option<Value>,
    least_volatile: Option<Value>,
    largest_drop: Option<Value>,
    largest_rise: Option<Value>,
    largest_spike: Option<Value>,
    fastest_growth: Option<Value>,
    fastest_decline: Option<Value>,
}

/// Parses and validates a submitted hint set against the game markets (see the module doc).
pub fn parse_submission(
    body: &str,
    game_markets: &[MarketCode],
) -> Result<Vec<Hint>, Vec<HintProblem>> {
    let elements: Vec<Box<RawValue>> = serde_json::from_str(body).map_err(|error| {
        vec![HintProblem::new(
            "body",
            format!("must be a JSON array of hint objects ({error})"),
        )]
    })?;
    if elements.is_empty() {
        return Err(vec![HintProblem::new(
            "body",
            "must hold at least one hint",
        )]);
    }
    if elements.len() > game_markets.len() {
        return Err(vec![HintProblem::new(
            "body",
            format!(
                "must hold at most {} hints (one per game market), got {}",
                game_markets.len(),
                elements.len()
            ),
        )]);
    }
    let count = elements.len();
    let mut problems = Vec::new();
    let mut entries = Vec::with_capacity(count);
    let mut seen: HashMap<MarketCode, usize> = HashMap::new();
    for (index, element) in elements.iter().enumerate() {
        let raw: RawHint = match serde_json::from_str(element.get()) {
            Ok(raw) => raw,
            Err(error) => {
                problems.push(HintProblem::new(
                    format!("[{index}]"),
                    format!("must be a hint object ({error})"),
                ));
                continue;
            }
        };
        let mut check = Checker {
            index,
            problems: &mut problems,
        };
        let code = check.code(raw.code.as_ref(), game_markets);
        if let Some(code) = &code {
            if let Some(first) = seen.get(code) {
                check.problem("code", format!("{code} is already the code of [{first}]"));
            } else {
                seen.insert(code.clone(), index);
            }
        }
        let percentage = check.number(
            "percentage",
            raw.percentage.as_ref(),
            -MAX_ABS_PERCENTAGE,
            MAX_ABS_PERCENTAGE,
        );
        let rank = check.rank(raw.rank.as_ref(), count);
        let sell_up = check.number("sell_up", raw.sell_up.as_ref(), 0.0, MAX_PRICE);
        let sell_down = check.number("sell_down", raw.sell_down.as_ref(), 0.0, MAX_PRICE);
        if let (Some(up), Some(down)) = (sell_up, sell_down) {
            if down > up {
                check.problem("sell_down", "must not be above sell_up");
            }
        }
        let flags = [
            raw.most_volatile,
            raw.least_volatile,
            raw.largest_drop,
            raw.largest_rise,
            raw.largest_spike,
            raw.fastest_growth,
            raw.fastest_decline,
        ];
        let mut flag_values = [false; 7];
        let mut flags_ok = true;
        for ((flag, value), slot) in Flag::ALL.iter().zip(&flags).zip(&mut flag_values) {
            match value {
                Some(Value::Bool(b)) => *slot = *b,
                None => {
                    check.problem(flag.name(), "is required");
                    flags_ok = false;
                }
                Some(_) => {
                    check.problem(flag.name(), "must be true or false");
                    flags_ok = false;
                }
            }
        }
        if let (Some(code), Some(percentage), Some(rank), Some(sell_up), Some(sell_down), true) =
            (code, percentage, rank, sell_up, sell_down, flags_ok)
        {
            let mut hint = Hint::unknown(code);
            hint.percentage = percentage;
            hint.rank = rank;
            hint.sell_up = sell_up;
            hint.sell_down = sell_down;
            for (flag, value) in Flag::ALL.iter().zip(flag_values) {
                hint.set_flag(*flag, value);
            }
            entries.push(hint);
        }
    }
    if problems.is_empty() {
        problems.extend(set_problems(&entries));
    }
    if problems.is_empty() {
        Ok(entries)
    } else {
        Err(problems)
    }
}

/// The set-wide rules: ranks a permutation of 1..=N, each flag true on exactly one entry.
pub fn set_problems(entries: &[Hint]) -> Vec<HintProblem> {
    let mut problems = Vec::new();
    let mut holder: HashMap<u32, usize> = HashMap::new();
    for (index, hint) in entries.iter().enumerate() {
        let in_range = (1..=entries.len()).contains(&(hint.rank as usize));
        if !in_range {
            problems.push(HintProblem::new(
                format!("[{index}].rank"),
                format!("must be an integer from 1 to {}", entries.len()),
            ));
        } else if let Some(first) = holder.get(&hint.rank) {
            problems.push(HintProblem::new(
                format!("[{index}].rank"),
                format!("{} is already the rank of [{first}]", hint.rank),
            ));
        } else {
            holder.insert(hint.rank, index);
        }
    }
    for flag in Flag::ALL {
        let holders: Vec<String> = entries
            .iter()
            .enumerate()
            .filter(|(_, hint)| hint.flag(flag))
            .map(|(index, _)| format!("[{index}]"))
            .collect();
        if holders.len() != 1 {
            let found = if holders.is_empty() {
                "none".to_owned()
            } else {
                holders.join(", ")
            };
            problems.push(HintProblem::new(
                flag.name(),
                format!("must be true on exactly one hint, is true on {found}"),
            ));
        }
    }
    problems
}

/// Exactly one entry per market of `markets`, in that order: the stored entry, else the
/// `fallback` entry of that market, else [`Hint::unknown`]. Other markets are dropped. When the
/// result breaks a set rule (markets were filled or dropped), it is repaired: a flag held by
/// several entries stays on the first, a flag held by none goes to the first entry, and ranks
/// that are not a permutation are made again from `percentage` (ties by market order).
pub fn fit_to_markets(stored: &[Hint], markets: &[MarketCode], fallback: &[Hint]) -> Vec<Hint> {
    let mut entries: Vec<Hint> = markets
        .iter()
        .map(|market| {
            stored
                .iter()
                .chain(fallback)
                .find(|hint| &hint.code == market)
                .cloned()
                .unwrap_or_else(|| Hint::unknown(market.clone()))
        })
        .collect();
    if entries.is_empty() {
        return entries;
    }
    for flag in Flag::ALL {
        let first = entries.iter().position(|hint| hint.flag(flag)).unwrap_or(0);
        for (index, hint) in entries.iter_mut().enumerate() {
            hint.set_flag(flag, index == first);
        }
    }
    let mut ranks: Vec<u32> = entries.iter().map(|hint| hint.rank).collect();
    ranks.sort_unstable();
    let permutation = ranks
        .iter()
        .enumerate()
        .all(|(position, rank)| *rank as usize == position + 1);
    if !permutation {
        assign_ranks(&mut entries);
    }
    entries
}

/// Per-element checks that record problems as `[index].field: rule`.
struct Checker<'a> {
    index: usize,
    problems: &'a mut Vec<HintProblem>,
}

impl Checker<'_> {
    fn problem(&mut self, field: &str, rule: impl Into<String>) {
        self.problems
            .push(HintProblem::new(format!("[{}].{field}", self.index), rule));
    }

    fn code(&mut self, value: Option<&Value>, game_markets: &[MarketCode]) -> Option<MarketCode> {
        let text = match value {
            Some(Value::String(text)) => text,
            None => {
                self.problem("code", "is required");
                return None;
            }
            Some(_) => {
                self.problem("code", "must be a string such as KRW-BTC");
                return None;
            }
        };
        let code = match MarketCode::parse(text) {
            Ok(code) => code,
            Err(error) => {
                self.problem("code", error.to_string());
                return None;
            }
        };
        if !game_markets.contains(&code) {
            self.problem("code", format!("{code} is not a game market"));
            return None;
        }
        Some(code)
    }

    fn number(&mut self, field: &str, value: Option<&Value>, min: f64, max: f64) -> Option<f64> {
        let number = match value {
            Some(Value::Number(number)) => number.as_f64(),
            None => {
                self.problem(field, "is required");
                return None;
            }
            Some(_) => None,
        };
        match number.filter(|n| n.is_finite() && (min..=max).contains(n)) {
            Some(n) => Some(n + 0.0),
            None => {
                self.problem(field, format!("must be a number from {min} to {max}"));
                None
            }
        }
    }

    fn rank(&mut self, value: Option<&Value>, count: usize) -> Option<u32> {
        let rank = match value {
            Some(Value::Number(number)) => number.as_u64(),
            None => {
                self.problem("rank", "is required");
                return None;
            }
            Some(_) => None,
        };
        match rank.filter(|r| (1..=count as u64).contains(r)) {
            Some(r) => u32::try_from(r).ok(),
            None => {
                self.problem("rank", format!("must be an integer from 1 to {count}"));
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use super::*;

    fn markets() -> Vec<MarketCode> {
        ["KRW-BTC", "KRW-ETH", "KRW-XRP"]
            .iter()
            .map(|c| MarketCode::parse(c).unwrap())
            .collect()
    }

    fn entry(code: &str, rank: u32, flags: &[&str]) -> Value {
        let mut value = json!({
            "code": code, "percentage": 0.25, "rank": rank, "sell_up": 101.0, "sell_down": 99.0,
            "most_volatile": false, "least_volatile": false, "largest_drop": false,
            "largest_rise": false, "largest_spike": false, "fastest_growth": false,
            "fastest_decline": false
        });
        for flag in flags {
            value[*flag] = json!(true);
        }
        value
    }

    fn valid() -> Value {
        json!([
            entry(
                "KRW-BTC",
                2,
                &[
                    "most_volatile",
                    "largest_rise",
                    "largest_spike",
                    "fastest_growth"
                ]
            ),
            entry("KRW-ETH", 1, &["least_volatile"]),
            entry("KRW-XRP", 3, &["largest_drop", "fastest_decline"]),
        ])
    }

    fn problems(body: &Value) -> Vec<String> {
        parse_submission(&body.to_string(), &markets())
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn accepts_a_complete_valid_set() {
        let hints = parse_submission(&valid().to_string(), &markets()).unwrap();
        assert_eq!(hints.len(), 3);
        assert_eq!(hints[1].rank, 1);
        assert!(hints[0].largest_spike);
    }

    #[test]
    fn names_each_broken_field() {
        let mut body = valid();
        body[0]["code"] = json!("KRW-DOGE");
        body[1]["percentage"] = json!("high");
        body[2]["sell_down"] = json!(500.0);
        body[2]["largest_rise"] = json!(1);
        body[1].as_object_mut().unwrap().remove("rank");
        assert_eq!(
            problems(&body),
            [
                "[0].code: KRW-DOGE is not a game market",
                "[1].percentage: must be a number from -100 to 100",
                "[1].rank: is required",
                "[2].sell_down: must not be above sell_up",
                "[2].largest_rise: must be true or false",
            ]
        );
    }

    #[test]
    fn refuses_repeated_markets_ranks_and_flags() {
        let mut body = valid();
        body[2]["code"] = json!("KRW-BTC");
        assert_eq!(
            problems(&body),
            ["[2].code: KRW-BTC is already the code of [0]"]
        );

        let mut body = valid();
        body[2]["rank"] = json!(2);
        assert_eq!(problems(&body), ["[2].rank: 2 is already the rank of [0]"]);

        let mut body = valid();
        body[1]["most_volatile"] = json!(true);
        body[0]["least_volatile"] = json!(false);
        body[1]["least_volatile"] = json!(false);
        assert_eq!(
            problems(&body),
            [
                "most_volatile: must be true on exactly one hint, is true on [0], [1]",
                "least_volatile: must be true on exactly one hint, is true on none",
            ]
        );
    }

    #[test]
    fn refuses_unknown_or_repeated_keys_and_non_arrays() {
        let mut body = valid();
        body[0]["confidence"] = json!(0.9);
        let found = problems(&body);
        assert!(
            found[0].starts_with("[0]: must be a hint object (unknown field `confidence`"),
            "{found:?}"
        );

        let repeated = valid()
            .to_string()
            .replacen("\"rank\":2", "\"rank\":2,\"rank\":3", 1);
        let found: Vec<String> = parse_submission(&repeated, &markets())
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert!(found[0].contains("duplicate field `rank`"), "{found:?}");

        assert!(problems(&json!({"code": "KRW-BTC"}))[0].starts_with("body: must be a JSON array"));
        assert_eq!(problems(&json!([])), ["body: must hold at least one hint"]);
    }

    #[test]
    fn a_subset_of_the_markets_is_accepted_with_ranks_over_the_subset() {
        let body = json!([entry(
            "KRW-XRP",
            1,
            &[
                "most_volatile",
                "least_volatile",
                "largest_drop",
                "largest_rise",
                "largest_spike",
                "fastest_growth",
                "fastest_decline"
            ]
        )]);
        assert_eq!(
            parse_submission(&body.to_string(), &markets())
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn fitting_fills_missing_markets_drops_others_and_repairs_the_rules() {
        let stored = parse_submission(&valid().to_string(), &markets()).unwrap();
        let sol = MarketCode::parse("KRW-SOL").unwrap();
        // Serve ETH, SOL (not stored), BTC: XRP (largest_drop, fastest_decline, rank 3) is dropped.
        let wanted = [markets()[1].clone(), sol.clone(), markets()[0].clone()];
        let fitted = fit_to_markets(&stored, &wanted, &[]);

        let codes: Vec<&str> = fitted.iter().map(|h| h.code.as_str()).collect();
        assert_eq!(codes, ["KRW-ETH", "KRW-SOL", "KRW-BTC"]);
        assert!(
            set_problems(&fitted).is_empty(),
            "{:?}",
            set_problems(&fitted)
        );
        assert!(
            fitted[0].largest_drop && fitted[0].fastest_decline,
            "orphan flags go to the first entry"
        );
        assert!(fitted[2].most_volatile, "held flags stay");
        // Ranks re-made from percentage: ETH 0.25, SOL 0, BTC 0.25 → ETH 1, BTC 2, SOL 3.
        let ranks: Vec<u32> = fitted.iter().map(|h| h.rank).collect();
        assert_eq!(ranks, [1, 3, 2]);
    }

    #[test]
    fn fitting_a_complete_valid_set_changes_nothing() {
        let stored = parse_submission(&valid().to_string(), &markets()).unwrap();
        assert_eq!(fit_to_markets(&stored, &markets(), &[]), stored);
    }
}
