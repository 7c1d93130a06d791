//! The fast path: bodies that are exactly the contract, deserialized straight into typed structs.
//!
//! The detailed path in `validate` builds a [`serde_json::Value`] tree and walks it so that it
//! can name *every* problem. That costs a map per object and a heap string per key, which is
//! most of the archiver's time per record. Almost every body is valid and carries exactly the
//! contract's fields, so this path tries that case first: serde derive into borrowed structs,
//! read by sonic-rs (a SIMD JSON reader: 10–15 % less CPU per archived record than serde_json,
//! measured with the `peers` bench), then the same rules on the typed values. It answers only "here is the record" or "not sure";
//! on "not sure" the caller runs the detailed path, which decides and explains. So this module
//! never has to produce an error message, and it may refuse more than the detailed path does
//! (it refuses unknown keys, which the detailed path ignores; a duplicate key both refuse), but it
//! must never accept anything the detailed path refuses, nor build a different record: the
//! `fast_path_agrees_with_the_detailed_path` property tests below hold it to that, and since the
//! two paths use different JSON readers, the `lexical` tests hold them to the same answer on
//! every spelling of numbers, strings, whitespace and the bytes around a body.
//!
//! Why unknown keys are refused rather than skipped: serde skips an unknown value without fully
//! checking it (invalid UTF-8, lone surrogate escapes and out-of-range numbers pass), while the
//! detailed path parses every value and calls such a body malformed. Refusing unknown keys here
//! hands those bodies to the detailed path, which gives them the answer they always had.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, forward_to_deserialize_any};
use uuid::Uuid;

use super::envelope::{ClickEnvelope, SCHEMA_VERSION};
use super::limits::{
    BUY_AMOUNTS_KRW, COINS_LEN, DEEP_LEARNING_LEN, DEEP_LEARNING_RANK, MAX_BALANCE_KRW,
    MAX_STRING_BYTES, STAGE_SECONDS,
};
use super::record::{CoinBuy, CoinSell, DeepLearningEntry, GameRecord, Leverage};
use super::rules::{self, RecordRules};
use crate::market::MarketCode;
use crate::player::PlayerField;

/// The record in `body` if it is exactly the contract and valid under `rules`; `None` if the
/// detailed path must decide. Size and emptiness are the caller's checks.
pub(crate) fn record(body: &[u8], rules: &RecordRules) -> Option<GameRecord> {
    let raw = raw_record(body)?;
    // Envelope fields are not part of a request body: the detailed path ignores them, and
    // deciding that here would only make this path harder to hold equal to it.
    if raw.event_id.is_some()
        || raw.received_at.is_some()
        || raw.schema_version.is_some()
        || raw.user_nickname_hash.is_some()
    {
        return None;
    }
    raw.into_record(rules)
}

/// The envelope in `bytes` if it is exactly the contract and valid; `None` if the detailed path
/// must decide. Like `parse_envelope`, any well-formed market is accepted.
pub(crate) fn envelope(bytes: &[u8]) -> Option<ClickEnvelope> {
    let raw = raw_record(bytes)?;
    let event_id = Uuid::try_parse(&raw.event_id.as_ref()?.as_ref()?.0).ok()?;
    let received_at = raw.received_at??;
    if raw.schema_version?? != u64::from(SCHEMA_VERSION) {
        return None;
    }
    let user_nickname_hash = match &raw.user_nickname_hash {
        Some(Some(hash)) => {
            rules::nickname_hash(&hash.0).ok()?;
            Some(hash.0.clone().into_owned())
        }
        // An explicit null is a problem the detailed path names.
        Some(None) => return None,
        None => None,
    };
    let record = raw.into_record(&RecordRules::default())?;
    Some(ClickEnvelope::new(record, event_id, received_at).with_nickname_hash(user_nickname_hash))
}

/// `bytes` as one JSON object of the contract's fields. The body is checked as UTF-8 once, a fast
/// scan, so that the reader takes it as `str` and does not check every string again (that was 6 %
/// of the archiver's profile); a body that is not UTF-8 is one `from_slice` refuses too.
fn raw_record(bytes: &[u8]) -> Option<RawRecord<'_>> {
    let text = std::str::from_utf8(bytes).ok()?;
    let ObjectOnly(raw) = sonic_rs::from_str::<ObjectOnly<RawRecord<'_>>>(text).ok()?;
    Some(raw)
}

/// The contract's fields as JSON types, strings borrowed from the input where they have no
/// escapes. The envelope's three fields are here too (optional), so that one struct serves both
/// entry points and `deny_unknown_fields` can hold for both.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRecord<'a> {
    // Outer `None`: absent; `Some(None)`: an explicit null, which only the detailed path names.
    #[serde(borrow, default, deserialize_with = "present")]
    event_id: Option<Option<Text<'a>>>,
    #[serde(default, deserialize_with = "present")]
    received_at: Option<Option<i64>>,
    #[serde(default, deserialize_with = "present")]
    schema_version: Option<Option<u64>>,
    #[serde(borrow, default, deserialize_with = "present")]
    user_nickname_hash: Option<Option<Text<'a>>>,
    #[serde(rename = "userName", borrow)]
    user_name: Text<'a>,
    #[serde(rename = "userAffiliation", borrow)]
    user_affiliation: Text<'a>,
    #[serde(rename = "userNickname", borrow)]
    user_nickname: Option<Text<'a>>,
    #[serde(rename = "remainingTime_1")]
    remaining_time_1: f64,
    #[serde(rename = "remainingTime_2")]
    remaining_time_2: f64,
    #[serde(rename = "remainingTime_3")]
    remaining_time_3: f64,
    #[serde(borrow)]
    coins: Vec<Text<'a>>,
    #[serde(rename = "deeplearningData", borrow)]
    deeplearning_data: Vec<ObjectOnly<RawEntry<'a>>>,
    #[serde(rename = "aiRecommend_1")]
    ai_recommend_1: bool,
    #[serde(rename = "aiRecommend_2")]
    ai_recommend_2: bool,
    leverage: f64,
    #[serde(rename = "userBuyCoinMoney_1", borrow)]
    user_buy_coin_money_1: ObjectOnly<RawBuy<'a>>,
    #[serde(rename = "userBuyCoinMoney_2", borrow)]
    user_buy_coin_money_2: ObjectOnly<RawBuy<'a>>,
    #[serde(rename = "userBuyCoinMoney_3", borrow)]
    user_buy_coin_money_3: ObjectOnly<RawBuy<'a>>,
    #[serde(rename = "userSellTime_1", borrow)]
    user_sell_time_1: ObjectOnly<RawSell<'a>>,
    #[serde(rename = "userSellTime_2", borrow)]
    user_sell_time_2: ObjectOnly<RawSell<'a>>,
    #[serde(rename = "userSellTime_3", borrow)]
    user_sell_time_3: ObjectOnly<RawSell<'a>>,
    balance: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry<'a> {
    #[serde(borrow)]
    code: Text<'a>,
    fastest_decline: bool,
    fastest_growth: bool,
    largest_drop: bool,
    largest_rise: bool,
    largest_spike: bool,
    least_volatile: bool,
    most_volatile: bool,
    percentage: f64,
    rank: f64,
    sell_up: Option<f64>,
    sell_down: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBuy<'a> {
    #[serde(borrow)]
    coin: Text<'a>,
    money: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSell<'a> {
    #[serde(borrow)]
    coin: Text<'a>,
    time: f64,
}

impl RawRecord<'_> {
    /// The same rules as the detailed path's `Checker::record`, on typed values.
    fn into_record(self, rules: &RecordRules) -> Option<GameRecord> {
        if !COINS_LEN.contains(&self.coins.len())
            || !DEEP_LEARNING_LEN.contains(&self.deeplearning_data.len())
        {
            return None;
        }
        let mut chosen = Vec::with_capacity(self.coins.len());
        for coin in &self.coins {
            chosen.push(Some(traded_coin(coin, rules)?));
        }
        for index in 0..chosen.len() {
            rules::distinct_coin(&chosen, index).ok()?;
        }
        let coins: Vec<MarketCode> = chosen.into_iter().flatten().collect();
        let mut deeplearning_data = Vec::with_capacity(self.deeplearning_data.len());
        for ObjectOnly(entry) in &self.deeplearning_data {
            deeplearning_data.push(DeepLearningEntry {
                code: market_code(&entry.code)?,
                fastest_decline: entry.fastest_decline,
                fastest_growth: entry.fastest_growth,
                largest_drop: entry.largest_drop,
                largest_rise: entry.largest_rise,
                largest_spike: entry.largest_spike,
                least_volatile: entry.least_volatile,
                most_volatile: entry.most_volatile,
                percentage: finite(entry.percentage)?,
                rank: rank(entry.rank)?,
                sell_up: hint_price(entry.sell_up)?,
                sell_down: hint_price(entry.sell_down)?,
            });
        }
        let chosen_coin = |raw: &Text<'_>| -> Option<MarketCode> {
            let coin = traded_coin(raw, rules)?;
            rules::chosen_coin(&coin, &coins).ok()?;
            Some(coin)
        };
        let buy = |raw: &ObjectOnly<RawBuy<'_>>| -> Option<CoinBuy> {
            let money = finite(raw.0.money)?;
            BUY_AMOUNTS_KRW.contains(&money).then_some(())?;
            Some(CoinBuy {
                coin: chosen_coin(&raw.0.coin)?,
                money,
            })
        };
        let sell = |raw: &ObjectOnly<RawSell<'_>>| -> Option<CoinSell> {
            Some(CoinSell {
                coin: chosen_coin(&raw.0.coin)?,
                time: seconds(raw.0.time)?,
            })
        };
        let user_buy_coin_money_1 = buy(&self.user_buy_coin_money_1)?;
        let user_buy_coin_money_2 = buy(&self.user_buy_coin_money_2)?;
        let user_buy_coin_money_3 = buy(&self.user_buy_coin_money_3)?;
        let user_sell_time_1 = sell(&self.user_sell_time_1)?;
        let user_sell_time_2 = sell(&self.user_sell_time_2)?;
        let user_sell_time_3 = sell(&self.user_sell_time_3)?;
        let user_nickname = match &self.user_nickname {
            Some(raw) => rules::nickname(&raw.0).ok()?,
            None => None,
        };
        let balance = finite(self.balance)?;
        if !(0.0..=MAX_BALANCE_KRW).contains(&balance) {
            return None;
        }
        Some(GameRecord {
            user_name: rules::player_text(PlayerField::Name, &self.user_name.0).ok()?,
            user_affiliation: rules::player_text(
                PlayerField::Affiliation,
                &self.user_affiliation.0,
            )
            .ok()?,
            user_nickname,
            remaining_time_1: seconds(self.remaining_time_1)?,
            remaining_time_2: seconds(self.remaining_time_2)?,
            remaining_time_3: seconds(self.remaining_time_3)?,
            coins,
            deeplearning_data,
            ai_recommend_1: self.ai_recommend_1,
            ai_recommend_2: self.ai_recommend_2,
            leverage: Leverage::from_f64(finite(self.leverage)?)?,
            user_buy_coin_money_1,
            user_buy_coin_money_2,
            user_buy_coin_money_3,
            user_sell_time_1,
            user_sell_time_2,
            user_sell_time_3,
            balance,
        })
    }
}

// ---- the rules, as in `validate::Checker` but without messages ----

fn finite(number: f64) -> Option<f64> {
    number.is_finite().then_some(number)
}

fn seconds(number: f64) -> Option<f64> {
    let seconds = finite(number)?;
    (0.0..=STAGE_SECONDS).contains(&seconds).then_some(seconds)
}

fn rank(number: f64) -> Option<u32> {
    let rank = finite(number)?;
    let (lowest, highest) = (*DEEP_LEARNING_RANK.start(), *DEEP_LEARNING_RANK.end());
    if rank.fract() != 0.0 || rank < f64::from(lowest) || rank > f64::from(highest) {
        return None;
    }
    // In range and whole, so the conversion is exact.
    Some(rank as u32)
}

/// An optional hint price: absent is fine, present must pass the shared rule.
fn hint_price(price: Option<f64>) -> Option<Option<f64>> {
    match price {
        Some(price) => rules::hint_price(price).ok().map(Some),
        None => Some(None),
    }
}

fn market_code(raw: &Text<'_>) -> Option<MarketCode> {
    let text = raw.0.as_ref();
    if text.len() > MAX_STRING_BYTES {
        return None;
    }
    MarketCode::normalize(text).ok()
}

fn traded_coin(raw: &Text<'_>, rules: &RecordRules) -> Option<MarketCode> {
    let code = market_code(raw)?;
    match &rules.allowed_markets {
        Some(allowed) if !allowed.contains(&code) => None,
        _ => Some(code),
    }
}

// ---- serde helpers ----

/// A JSON string, borrowed from the input unless it contained escapes.
///
/// (`Cow<str>` itself always deserializes owned except as a direct `#[serde(borrow)]` field,
/// so inside a `Vec` it would copy every coin.)
struct Text<'a>(Cow<'a, str>);

/// A field that is present, null or not: `Some(value)` (the field's absence is serde's
/// `default`, `None`), so an explicit null is not mistaken for an absent field.
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(TextVisitor(PhantomData))
    }
}

struct TextVisitor<'a>(PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for TextVisitor<'a> {
    type Value = Text<'a>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, value: &'de str) -> Result<Text<'a>, E> {
        Ok(Text(Cow::Borrowed(value)))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Text<'a>, E> {
        Ok(Text(Cow::Owned(value.to_owned())))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Text<'a>, E> {
        Ok(Text(Cow::Owned(value)))
    }
}

/// A struct that must be written as a JSON object.
///
/// A derived `Deserialize` for a struct also accepts a JSON array of its fields in order
/// (`[coin, money]`); the detailed path says "must be an object" to that, so this wrapper asks
/// the deserializer for a map instead of a struct, and the reader refuses anything but `{…}`.
struct ObjectOnly<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ObjectOnly<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(MapOnly(deserializer)).map(ObjectOnly)
    }
}

/// Forwards everything to the inner deserializer, except that a struct is read as a map.
struct MapOnly<D>(D);

impl<'de, D: Deserializer<'de>> Deserializer<'de> for MapOnly<D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_map(visitor)
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

#[cfg(test)]
#[path = "fast_tests/mod.rs"]
mod tests;
