//! Turning an untrusted request body into a [`GameRecord`], or into every reason it is not one.
//!
//! The body is parsed in two steps. First into a [`serde_json::Value`], with serde_json's
//! recursion limit left on so that hostile nesting is an error rather than a stack overflow.
//! Then a walk over the value checks each field of the contract in schema order and collects
//! every problem, so a client developer sees all of them in one 400 response instead of fixing
//! them one round trip at a time. A typed record is built only when nothing was wrong.
//!
//! That walk is the detailed path. [`parse_game_record`] first tries the typed fast path in
//! `fast`, which accepts a valid body that is exactly the contract without building the tree,
//! and falls back to the walk for anything else, so answers are the same either way.
//!
//! Unknown fields, at the top level and inside nested objects, are ignored: a newer frontend may
//! send more than this build knows, and refusing its games would lose data for no benefit. A key
//! given twice in one object is refused wherever it is: the tree keeps only the last value, and a
//! reader that keeps the first would see a different game.

use std::ops::RangeInclusive;

use serde_json::{Map, Value};

use super::error::{Problem, RecordError};
use super::limits::{
    BUY_AMOUNTS_KRW, COINS_LEN, DEEP_LEARNING_LEN, DEEP_LEARNING_RANK, MAX_BALANCE_KRW,
    MAX_BODY_BYTES, MAX_STRING_BYTES, STAGE_SECONDS,
};
use super::nickname::Nickname;
use super::record::{CoinBuy, CoinSell, DeepLearningEntry, GameRecord, Leverage};
use super::rules::{self, RecordRules, check_bytes};
use super::unique_keys::duplicate_key_problems;
use crate::market::MarketCode;
use crate::player::PlayerField;

/// The detailed path alone: a `Value` tree walked field by field, every problem collected.
pub(crate) fn parse_game_record_detailed(
    body: &[u8],
    rules: &RecordRules,
) -> Result<GameRecord, RecordError> {
    let value = parse_json(body, MAX_BODY_BYTES)?;
    let mut checker = Checker::new(rules);
    checker.unique_keys(body);
    let record = checker
        .root_object(&value)
        .and_then(|object| checker.record(object));
    checker.finish(record)
}

/// The syntax steps shared with the envelope: size, emptiness, JSON.
pub(crate) fn parse_json(body: &[u8], limit: usize) -> Result<Value, RecordError> {
    check_bytes(body, limit)?;
    // serde_json's default recursion limit (128) stays on: it is what turns `[[[[…` into an
    // error instead of a stack overflow, and no valid record nests deeper than 3.
    // A key given twice keeps its last value here (serde_json's rule); the detailed paths refuse
    // such a body through `Checker::unique_keys`.
    serde_json::from_slice(body).map_err(|error| RecordError::Malformed(error.to_string()))
}

/// Walks a parsed body and collects problems. Each check reports what is wrong with its own
/// value and returns `None` if anything was, so that a record is built only from good parts.
#[derive(Debug)]
pub(crate) struct Checker<'r> {
    rules: &'r RecordRules,
    problems: Vec<Problem>,
}

impl<'r> Checker<'r> {
    pub(crate) fn new(rules: &'r RecordRules) -> Self {
        Self {
            rules,
            problems: Vec::new(),
        }
    }

    pub(crate) fn report(&mut self, path: &str, rule: impl Into<String>) {
        self.problems.push(Problem {
            path: path.to_owned(),
            rule: rule.into(),
        });
    }

    /// Turns the walk's outcome into the caller's result.
    pub(crate) fn finish<T>(self, value: Option<T>) -> Result<T, RecordError> {
        if !self.problems.is_empty() {
            return Err(RecordError::Invalid(self.problems));
        }
        // A check that returned None without reporting why is a bug here, not in the body;
        // refusing the body is still better than panicking in a request handler.
        value.ok_or_else(|| {
            RecordError::Invalid(vec![Problem {
                path: "$".to_owned(),
                rule: "could not be validated".to_owned(),
            }])
        })
    }

    /// Reports every key given twice in one object of `body` (which parsed as JSON).
    pub(crate) fn unique_keys(&mut self, body: &[u8]) {
        self.problems.extend(duplicate_key_problems(body));
    }

    /// Reports each broken rule of a shared rule (`rules`) at `path`; the value if none.
    fn apply<T>(&mut self, path: &str, outcome: Result<T, Vec<String>>) -> Option<T> {
        match outcome {
            Ok(value) => Some(value),
            Err(broken) => {
                for rule in broken {
                    self.report(path, rule);
                }
                None
            }
        }
    }

    /// Like [`Self::field`] for a field that may be left out (or `null`): `Some(None)` then.
    fn optional_field<'v, T>(
        &mut self,
        object: &'v Map<String, Value>,
        parent: &str,
        key: &str,
        check: impl FnOnce(&mut Self, &'v Value, &str) -> Option<T>,
    ) -> Option<Option<T>> {
        match object.get(key) {
            None | Some(Value::Null) => Some(None),
            Some(_) => self.field(object, parent, key, check).map(Some),
        }
    }

    pub(crate) fn root_object<'v>(&mut self, root: &'v Value) -> Option<&'v Map<String, Value>> {
        self.object(root, "$")
    }

    /// Looks `key` up in `object` and hands it to `check` with its path, or reports it missing.
    pub(crate) fn field<'v, T>(
        &mut self,
        object: &'v Map<String, Value>,
        parent: &str,
        key: &str,
        check: impl FnOnce(&mut Self, &'v Value, &str) -> Option<T>,
    ) -> Option<T> {
        let path = if parent.is_empty() {
            key.to_owned()
        } else {
            format!("{parent}.{key}")
        };
        match object.get(key) {
            Some(value) => check(self, value, &path),
            None => {
                self.report(&path, "is required");
                None
            }
        }
    }

    /// Checks the record's fields, in the order the contract lists them.
    pub(crate) fn record(&mut self, object: &Map<String, Value>) -> Option<GameRecord> {
        let user_name = self.field(object, "", "userName", |checker, value, path| {
            checker.player_text(value, path, PlayerField::Name)
        });
        let user_affiliation = self.field(object, "", "userAffiliation", |checker, value, path| {
            checker.player_text(value, path, PlayerField::Affiliation)
        });
        let user_nickname = self
            .optional_field(object, "", "userNickname", Self::nickname)
            .map(Option::flatten);
        let remaining_time_1 = self.field(object, "", "remainingTime_1", Self::seconds);
        let remaining_time_2 = self.field(object, "", "remainingTime_2", Self::seconds);
        let remaining_time_3 = self.field(object, "", "remainingTime_3", Self::seconds);
        let coins = self.field(object, "", "coins", Self::coins);
        let deeplearning_data = self.field(object, "", "deeplearningData", Self::deep_learning);
        let ai_recommend_1 = self.field(object, "", "aiRecommend_1", Self::boolean);
        let ai_recommend_2 = self.field(object, "", "aiRecommend_2", Self::boolean);
        let leverage = self.field(object, "", "leverage", Self::leverage);
        // Whether a bought or sold coin was chosen can only be asked of valid `coins`; invalid
        // ones are reported already.
        let chosen = coins.as_deref();
        let buy =
            |checker: &mut Self, value: &Value, path: &str| checker.coin_buy(value, path, chosen);
        let user_buy_coin_money_1 = self.field(object, "", "userBuyCoinMoney_1", buy);
        let user_buy_coin_money_2 = self.field(object, "", "userBuyCoinMoney_2", buy);
        let user_buy_coin_money_3 = self.field(object, "", "userBuyCoinMoney_3", buy);
        let sell =
            |checker: &mut Self, value: &Value, path: &str| checker.coin_sell(value, path, chosen);
        let user_sell_time_1 = self.field(object, "", "userSellTime_1", sell);
        let user_sell_time_2 = self.field(object, "", "userSellTime_2", sell);
        let user_sell_time_3 = self.field(object, "", "userSellTime_3", sell);
        let balance = self.field(object, "", "balance", Self::balance);

        // Every field is checked above, so all problems are reported; the record needs them all.
        Some(GameRecord {
            user_name: user_name?,
            user_affiliation: user_affiliation?,
            user_nickname: user_nickname?,
            remaining_time_1: remaining_time_1?,
            remaining_time_2: remaining_time_2?,
            remaining_time_3: remaining_time_3?,
            coins: coins?,
            deeplearning_data: deeplearning_data?,
            ai_recommend_1: ai_recommend_1?,
            ai_recommend_2: ai_recommend_2?,
            leverage: leverage?,
            user_buy_coin_money_1: user_buy_coin_money_1?,
            user_buy_coin_money_2: user_buy_coin_money_2?,
            user_buy_coin_money_3: user_buy_coin_money_3?,
            user_sell_time_1: user_sell_time_1?,
            user_sell_time_2: user_sell_time_2?,
            user_sell_time_3: user_sell_time_3?,
            balance: balance?,
        })
    }

    // ---- JSON types ----

    pub(crate) fn string<'v>(&mut self, value: &'v Value, path: &str) -> Option<&'v str> {
        if let Value::String(text) = value {
            Some(text)
        } else {
            self.report(path, "must be a string");
            None
        }
    }

    pub(crate) fn number(&mut self, value: &Value, path: &str) -> Option<f64> {
        match value.as_f64() {
            Some(number) if number.is_finite() => Some(number),
            // serde_json never yields a non-finite number today; an f64 field must not start
            // accepting NaN if that ever changes.
            Some(_) => {
                self.report(path, "must be finite");
                None
            }
            None => {
                self.report(path, "must be a number");
                None
            }
        }
    }

    /// A number with no fractional part. `3.0` counts: JSON does not distinguish it from `3`.
    pub(crate) fn whole_number(&mut self, value: &Value, path: &str) -> Option<f64> {
        let number = self.number(value, path)?;
        if number.fract() == 0.0 {
            Some(number)
        } else {
            self.report(path, "must be an integer");
            None
        }
    }

    fn boolean(&mut self, value: &Value, path: &str) -> Option<bool> {
        if let Value::Bool(flag) = value {
            Some(*flag)
        } else {
            self.report(path, "must be a boolean");
            None
        }
    }

    fn object<'v>(&mut self, value: &'v Value, path: &str) -> Option<&'v Map<String, Value>> {
        if let Value::Object(object) = value {
            Some(object)
        } else {
            self.report(path, "must be an object");
            None
        }
    }

    /// An array within its length limits. The entries of an over-long array are not checked:
    /// their problems would only bury the one that matters.
    fn array<'v>(
        &mut self,
        value: &'v Value,
        path: &str,
        allowed_len: &RangeInclusive<usize>,
    ) -> Option<&'v [Value]> {
        let Value::Array(entries) = value else {
            self.report(path, "must be an array");
            return None;
        };
        if allowed_len.contains(&entries.len()) {
            Some(entries)
        } else {
            self.report(path, length_rule(allowed_len, entries.len(), "entries"));
            None
        }
    }

    // ---- the contract's fields ----

    fn player_text(&mut self, value: &Value, path: &str, field: PlayerField) -> Option<String> {
        let raw = self.string(value, path)?;
        self.apply(path, rules::player_text(field, raw))
    }

    /// A given nickname; `""` is none (`Some(None)`).
    fn nickname(&mut self, value: &Value, path: &str) -> Option<Option<Nickname>> {
        let raw = self.string(value, path)?;
        self.apply(path, rules::nickname(raw))
    }

    /// `sell_up` / `sell_down` of a hint.
    fn hint_price(&mut self, value: &Value, path: &str) -> Option<f64> {
        let price = self.number(value, path)?;
        self.apply(path, rules::hint_price(price).map_err(|rule| vec![rule]))
    }

    fn market_code(&mut self, value: &Value, path: &str) -> Option<MarketCode> {
        let text = self.string(value, path)?;
        if text.len() > MAX_STRING_BYTES {
            self.report(
                path,
                format!(
                    "must be at most {MAX_STRING_BYTES} bytes (got {})",
                    text.len()
                ),
            );
            return None;
        }
        match MarketCode::normalize(text) {
            Ok(code) => Some(code),
            Err(error) => {
                self.report(path, format!("is not a market code: {error}"));
                None
            }
        }
    }

    /// A coin the player traded: a market code the game offers.
    fn traded_coin(&mut self, value: &Value, path: &str) -> Option<MarketCode> {
        let code = self.market_code(value, path)?;
        if let Some(allowed) = &self.rules.allowed_markets {
            if !allowed.contains(&code) {
                self.report(path, "is not a game market");
                return None;
            }
        }
        Some(code)
    }

    fn coins(&mut self, value: &Value, path: &str) -> Option<Vec<MarketCode>> {
        let entries = self.array(value, path, &COINS_LEN)?;
        let mut coins = Vec::with_capacity(entries.len());
        for (index, entry) in entries.iter().enumerate() {
            coins.push(self.traded_coin(entry, &format!("{path}[{index}]")));
        }
        let mut all_distinct = true;
        for index in 0..coins.len() {
            if let Err(rule) = rules::distinct_coin(&coins, index) {
                self.report(&format!("{path}[{index}]"), rule);
                all_distinct = false;
            }
        }
        let coins: Option<Vec<MarketCode>> = coins.into_iter().collect();
        coins.filter(|_| all_distinct)
    }

    /// A bought or sold coin: a traded coin, and one of the `chosen` coins when those are valid.
    fn chosen_coin(
        &mut self,
        value: &Value,
        path: &str,
        chosen: Option<&[MarketCode]>,
    ) -> Option<MarketCode> {
        let coin = self.traded_coin(value, path)?;
        if let Some(chosen) = chosen {
            if let Err(rule) = rules::chosen_coin(&coin, chosen) {
                self.report(path, rule);
                return None;
            }
        }
        Some(coin)
    }

    fn deep_learning(&mut self, value: &Value, path: &str) -> Option<Vec<DeepLearningEntry>> {
        let entries = self.array(value, path, &DEEP_LEARNING_LEN)?;
        let mut ranking = Some(Vec::with_capacity(entries.len()));
        for (index, entry) in entries.iter().enumerate() {
            let checked = self.deep_learning_entry(entry, &format!("{path}[{index}]"));
            ranking = ranking.zip(checked).map(|(mut ranking, entry)| {
                ranking.push(entry);
                ranking
            });
        }
        ranking
    }

    fn deep_learning_entry(&mut self, value: &Value, path: &str) -> Option<DeepLearningEntry> {
        let object = self.object(value, path)?;
        let code = self.field(object, path, "code", Self::market_code);
        let fastest_decline = self.field(object, path, "fastest_decline", Self::boolean);
        let fastest_growth = self.field(object, path, "fastest_growth", Self::boolean);
        let largest_drop = self.field(object, path, "largest_drop", Self::boolean);
        let largest_rise = self.field(object, path, "largest_rise", Self::boolean);
        let largest_spike = self.field(object, path, "largest_spike", Self::boolean);
        let least_volatile = self.field(object, path, "least_volatile", Self::boolean);
        let most_volatile = self.field(object, path, "most_volatile", Self::boolean);
        let percentage = self.field(object, path, "percentage", Self::number);
        let rank = self.field(object, path, "rank", Self::rank);
        let sell_up = self.optional_field(object, path, "sell_up", Self::hint_price);
        let sell_down = self.optional_field(object, path, "sell_down", Self::hint_price);
        // As for the record: every field is checked, so all problems are reported.
        Some(DeepLearningEntry {
            code: code?,
            fastest_decline: fastest_decline?,
            fastest_growth: fastest_growth?,
            largest_drop: largest_drop?,
            largest_rise: largest_rise?,
            largest_spike: largest_spike?,
            least_volatile: least_volatile?,
            most_volatile: most_volatile?,
            percentage: percentage?,
            rank: rank?,
            sell_up: sell_up?,
            sell_down: sell_down?,
        })
    }

    fn rank(&mut self, value: &Value, path: &str) -> Option<u32> {
        let rank = self.whole_number(value, path)?;
        let (lowest, highest) = (*DEEP_LEARNING_RANK.start(), *DEEP_LEARNING_RANK.end());
        if rank < f64::from(lowest) || rank > f64::from(highest) {
            self.report(path, format!("must be between {lowest} and {highest}"));
            return None;
        }
        // In range and whole, so the conversion is exact.
        Some(rank as u32)
    }

    fn seconds(&mut self, value: &Value, path: &str) -> Option<f64> {
        let seconds = self.number(value, path)?;
        if (0.0..=STAGE_SECONDS).contains(&seconds) {
            Some(seconds)
        } else {
            self.report(
                path,
                format!("must be between 0 and {STAGE_SECONDS} seconds"),
            );
            None
        }
    }

    fn leverage(&mut self, value: &Value, path: &str) -> Option<Leverage> {
        let number = self.number(value, path)?;
        let leverage = Leverage::from_f64(number);
        if leverage.is_none() {
            self.report(path, Leverage::expected());
        }
        leverage
    }

    /// `{"coin": …, <key>: …}`: one of the chosen coins and one checked value beside it (a buy's
    /// money, a sell's time). Both are checked, so both problems are listed.
    fn coin_and<T>(
        &mut self,
        value: &Value,
        path: &str,
        chosen: Option<&[MarketCode]>,
        key: &str,
        check: fn(&mut Self, &Value, &str) -> Option<T>,
    ) -> Option<(MarketCode, T)> {
        let object = self.object(value, path)?;
        let coin = self.field(object, path, "coin", |checker, value, path| {
            checker.chosen_coin(value, path, chosen)
        });
        let other = self.field(object, path, key, check);
        Some((coin?, other?))
    }

    fn coin_buy(
        &mut self,
        value: &Value,
        path: &str,
        chosen: Option<&[MarketCode]>,
    ) -> Option<CoinBuy> {
        let (coin, money) = self.coin_and(value, path, chosen, "money", Self::money)?;
        Some(CoinBuy { coin, money })
    }

    fn money(&mut self, value: &Value, path: &str) -> Option<f64> {
        let money = self.number(value, path)?;
        if BUY_AMOUNTS_KRW.contains(&money) {
            Some(money)
        } else {
            let listed: Vec<String> = BUY_AMOUNTS_KRW.iter().map(f64::to_string).collect();
            self.report(path, format!("must be one of {} (KRW)", listed.join(", ")));
            None
        }
    }

    fn coin_sell(
        &mut self,
        value: &Value,
        path: &str,
        chosen: Option<&[MarketCode]>,
    ) -> Option<CoinSell> {
        let (coin, time) = self.coin_and(value, path, chosen, "time", Self::seconds)?;
        Some(CoinSell { coin, time })
    }

    fn balance(&mut self, value: &Value, path: &str) -> Option<f64> {
        let balance = self.number(value, path)?;
        if balance < 0.0 {
            self.report(path, "must not be negative");
            None
        } else if balance > MAX_BALANCE_KRW {
            self.report(path, format!("must be at most {MAX_BALANCE_KRW} (KRW)"));
            None
        } else {
            Some(balance)
        }
    }
}

/// Describes a length limit, and the length found, without echoing the value itself (which
/// may be 64 KiB long).
fn length_rule(allowed: &RangeInclusive<usize>, actual: usize, unit: &str) -> String {
    let (min, max) = (*allowed.start(), *allowed.end());
    if actual < min && min == 1 {
        "must not be empty".to_owned()
    } else if min == 0 {
        format!("must have at most {max} {unit} (got {actual})")
    } else {
        format!("must have {min} to {max} {unit} (got {actual})")
    }
}

#[cfg(test)]
#[path = "validate_tests/mod.rs"]
mod tests;
