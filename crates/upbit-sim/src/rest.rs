//! Upbit's REST candles on the simulator's port: `GET /v1/candles/minutes/1?market&to&count`,
//! answered in Upbit's exact shape from a deterministic synthetic price path, so `coinking
//! backfill` can be tested (and run offline) over any time range.
//!
//! The path is a per-market random walk of the log price at one step per minute, built day by
//! day as a Brownian bridge between daily levels: any minute is computed from its day alone, and
//! neighbouring days join without a jump. About 2 % of minutes have no trades and, as on Upbit,
//! no candle. [`RestFaults`] makes the next requests answer 429 (or 418) for back-off tests.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use coinking_core::synth::{DEFAULT_SYNTH_MARKETS, SplitMix64};
use coinking_core::tick_size::round_to_tick;
use coinking_core::time::{MS_PER_DAY, UtcDateTime, parse_utc};
use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use serde_json::{Value, json};

use crate::faults::Rejection;

/// The path candles are served on.
pub const CANDLES_PATH: &str = "/v1/candles/minutes/1";
/// Upbit's largest `count`.
pub const MAX_COUNT: usize = 200;
/// Std of the log price per minute (0.1 %).
const MINUTE_SIGMA: f64 = 0.001;
/// Days before 1970 are not served; the daily levels are summed from this origin.
const ORIGIN_DAY: i64 = 0;
const MINUTES_PER_DAY: usize = 1440;
const KST_OFFSET_MS: i64 = 9 * 3_600_000;

/// Switches for the REST endpoint, and its request counter.
#[derive(Debug, Default)]
pub struct RestFaults {
    reject_next: AtomicU64,
    ban_after: AtomicU64,
    banned: AtomicBool,
    requests: AtomicU64,
    rejected: AtomicU64,
}

impl RestFaults {
    /// The next `count` REST requests answer 429 Too Many Requests.
    pub fn reject_next(&self, count: u64) {
        self.reject_next.store(count, Ordering::SeqCst);
    }

    /// Every REST request answers 418 (Upbit's ban) until cleared.
    pub fn set_banned(&self, banned: bool) {
        self.banned.store(banned, Ordering::SeqCst);
    }

    /// After `count` more requests, every request answers 418 (a ban) until cleared with
    /// [`RestFaults::set_banned`]`(false)`; 0 switches this off.
    pub fn ban_after(&self, count: u64) {
        let at = self.requests.load(Ordering::SeqCst) + count;
        self.ban_after
            .store(if count == 0 { 0 } else { at }, Ordering::SeqCst);
    }

    /// REST requests received (rejected ones included).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    /// REST requests answered 429 or 418.
    pub fn rejected(&self) -> u64 {
        self.rejected.load(Ordering::SeqCst)
    }

    fn take_rejection(&self) -> Option<Rejection> {
        let ban_at = self.ban_after.load(Ordering::SeqCst);
        if ban_at != 0 && self.requests.load(Ordering::SeqCst) > ban_at {
            self.banned.store(true, Ordering::SeqCst);
            self.ban_after.store(0, Ordering::SeqCst);
        }
        if self.banned.load(Ordering::SeqCst) {
            return Some(Rejection::Banned);
        }
        let took = self
            .reject_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        took.then_some(Rejection::RateLimited)
    }
}

/// An HTTP answer: status, extra headers, JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct RestResponse {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

fn error(status: u16, name: &str, message: &str) -> RestResponse {
    RestResponse {
        status,
        headers: Vec::new(),
        body: json!({"error": {"name": name, "message": message}}).to_string(),
    }
}

/// Answers one request target (`/v1/candles/minutes/1?market=…`). `now_ms` is the default `to`.
pub fn answer(target: &str, faults: &RestFaults, now_ms: i64) -> RestResponse {
    faults.requests.fetch_add(1, Ordering::SeqCst);
    if let Some(rejection) = faults.take_rejection() {
        faults.rejected.fetch_add(1, Ordering::SeqCst);
        let (name, message) = rejection.error();
        let mut response = error(rejection.status().as_u16(), name, message);
        response
            .headers
            .push(("Remaining-Req", "group=candles; min=0; sec=0".into()));
        return response;
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if path != CANDLES_PATH {
        return error(404, "not_found", "Only /v1/candles/minutes/1 is served.");
    }
    let mut market = None;
    let mut to = None;
    let mut count = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_decode(value);
        match key {
            "market" => market = Some(value),
            "to" => to = Some(value),
            "count" => count = Some(value),
            _ => {}
        }
    }
    let Some(market) = market.filter(|m| !m.is_empty()) else {
        return error(400, "validation_error", "market: is required");
    };
    let Some(base_price) = base_price(&market) else {
        return error(404, "Code not found", "Code not found");
    };
    let count = match count.as_deref().map(str::parse::<usize>) {
        None => 1,
        Some(Ok(n)) if (1..=MAX_COUNT).contains(&n) => n,
        Some(_) => {
            return error(
                400,
                "validation_error",
                "count: must be an integer from 1 to 200",
            );
        }
    };
    let to_ms = match to.as_deref() {
        None | Some("") => now_ms,
        Some(text) => match parse_utc(text) {
            Some(ms) => ms,
            None => {
                return error(
                    400,
                    "validation_error",
                    "to: must be yyyy-MM-ddTHH:mm:ss (UTC, optional Z) or yyyy-MM-dd HH:mm:ss",
                );
            }
        },
    };
    let candles = candles_before(&market, base_price, to_ms, count);
    RestResponse {
        status: 200,
        headers: vec![("Remaining-Req", "group=candles; min=600; sec=9".into())],
        body: Value::Array(candles).to_string(),
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'+' => out.push(b' '),
            b'%' if index + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[index + 1..index + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(byte) => {
                        out.push(byte);
                        index += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            other => out.push(other),
        }
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn base_price(market: &str) -> Option<f64> {
    DEFAULT_SYNTH_MARKETS
        .iter()
        .find(|m| m.code == market)
        .and_then(|m| m.start_price.parse::<f64>().ok())
}

fn seed_of(market: &str, salt: u64) -> u64 {
    // FNV-1a: a fixed hash, so the path never changes with a library upgrade.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in market.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// A standard normal draw (Box–Muller).
fn normal(rng: &mut SplitMix64) -> f64 {
    let u1 = rng.unit().max(1e-12);
    let u2 = rng.unit();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// The log-price level at the start of `day` (relative to the base price): a sum of daily
/// normal increments from the origin.
fn day_level(market: &str, day: i64) -> f64 {
    let daily_sigma = MINUTE_SIGMA * (MINUTES_PER_DAY as f64).sqrt();
    let mut level = 0.0;
    for d in ORIGIN_DAY..day {
        let mut rng = SplitMix64::new(seed_of(market, d as u64));
        level += daily_sigma * normal(&mut rng);
    }
    level
}

/// The closing log levels of every minute of `day` (index 0 = the day's first minute) and
/// whether each minute traded.
fn day_path(market: &str, day: i64) -> Vec<(f64, bool)> {
    let start = day_level(market, day);
    let end = start + {
        let mut rng = SplitMix64::new(seed_of(market, day as u64));
        MINUTE_SIGMA * (MINUTES_PER_DAY as f64).sqrt() * normal(&mut rng)
    };
    let mut rng = SplitMix64::new(seed_of(market, (day as u64) ^ 0xD1CE_5EED));
    let mut walk = Vec::with_capacity(MINUTES_PER_DAY);
    let mut sum = 0.0;
    let mut traded = Vec::with_capacity(MINUTES_PER_DAY);
    for _ in 0..MINUTES_PER_DAY {
        sum += MINUTE_SIGMA * normal(&mut rng);
        walk.push(sum);
        traded.push(rng.unit() >= 0.02);
    }
    let total = sum;
    walk.iter()
        .zip(traded)
        .enumerate()
        .map(|(k, (partial, traded))| {
            let share = (k + 1) as f64 / MINUTES_PER_DAY as f64;
            // Brownian bridge: ends exactly at the next day's level.
            (
                start + share * (end - start) + partial - share * total,
                traded,
            )
        })
        .collect()
}

fn price(base: f64, log_level: f64) -> Decimal {
    let value = Decimal::from_f64(base * log_level.exp()).unwrap_or(Decimal::ONE);
    round_to_tick(value)
}

fn number(value: Decimal) -> Value {
    value
        .to_f64()
        .and_then(serde_json::Number::from_f64)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// Up to `count` candles strictly before `to_ms`, newest first, skipping untraded minutes.
fn candles_before(market: &str, base: f64, to_ms: i64, count: usize) -> Vec<Value> {
    let mut out = Vec::with_capacity(count);
    // The newest minute that ends at or before `to` (Upbit: `to` is exclusive).
    let mut minute = (to_ms - 60_000).div_euclid(60_000) * 60_000;
    let mut cached: Option<(i64, Vec<(f64, bool)>)> = None;
    let origin_ms = ORIGIN_DAY * MS_PER_DAY;
    let mut looked = 0usize;
    while out.len() < count && minute >= origin_ms + 60_000 && looked < count * 4 + 10 {
        looked += 1;
        let day = minute.div_euclid(MS_PER_DAY);
        let index = (minute.rem_euclid(MS_PER_DAY) / 60_000) as usize;
        if cached.as_ref().map(|(d, _)| *d) != Some(day) {
            cached = Some((day, day_path(market, day)));
        }
        let Some((_, path)) = cached.as_ref() else {
            break;
        };
        let (close_level, traded) = path[index];
        let open_level = if index > 0 {
            path[index - 1].0
        } else {
            day_level(market, day)
        };
        if traded {
            let mut rng = SplitMix64::new(seed_of(market, minute as u64));
            let wick_up = MINUTE_SIGMA * 0.5 * rng.unit();
            let wick_down = MINUTE_SIGMA * 0.5 * rng.unit();
            let open = price(base, open_level);
            let close = price(base, close_level);
            let high = price(base, open_level.max(close_level) + wick_up).max(open.max(close));
            let low = price(base, open_level.min(close_level) - wick_down).min(open.min(close));
            let volume = (rng.uniform(0.5, 5.0) * 1e8).round() / 1e8;
            let mid = (open + close).to_f64().unwrap_or(0.0) / 2.0;
            let utc = UtcDateTime::from_epoch_ms(minute);
            let kst = UtcDateTime::from_epoch_ms(minute + KST_OFFSET_MS);
            out.push(json!({
                "market": market,
                "candle_date_time_utc": format!("{}T{}", utc.dashed_date(), utc.colon_time()),
                "candle_date_time_kst": format!("{}T{}", kst.dashed_date(), kst.colon_time()),
                "opening_price": number(open),
                "high_price": number(high),
                "low_price": number(low),
                "trade_price": number(close),
                "timestamp": minute + 59_000 + rng.below(1000) as i64,
                "candle_acc_trade_price": (mid * volume * 1e8).round() / 1e8,
                "candle_acc_trade_volume": volume,
                "unit": 1,
            }));
        }
        minute -= 60_000;
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const TO: &str = "2024-11-25T03:00:00Z";

    fn candles(target: &str) -> Vec<Value> {
        let response = answer(target, &RestFaults::default(), 0);
        assert_eq!(response.status, 200, "{}", response.body);
        serde_json::from_str(&response.body).unwrap()
    }

    #[test]
    fn answers_in_upbits_shape_newest_first_before_to() {
        let list = candles(&format!("{CANDLES_PATH}?market=KRW-BTC&to={TO}&count=200"));
        assert_eq!(list.len(), 200);
        let keys: Vec<&str> = list[0]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut expected = vec![
            "market",
            "candle_date_time_utc",
            "candle_date_time_kst",
            "opening_price",
            "high_price",
            "low_price",
            "trade_price",
            "timestamp",
            "candle_acc_trade_price",
            "candle_acc_trade_volume",
            "unit",
        ];
        let mut sorted_keys = keys.clone();
        sorted_keys.sort();
        expected.sort();
        assert_eq!(sorted_keys, expected);
        let times: Vec<&str> = list
            .iter()
            .map(|c| c["candle_date_time_utc"].as_str().unwrap())
            .collect();
        assert!(times.windows(2).all(|w| w[0] > w[1]), "newest first");
        assert!(times[0] < "2024-11-25T03:00:00");
        assert_eq!(list[0]["unit"], 1);
        for candle in &list {
            let high = candle["high_price"].as_f64().unwrap();
            let low = candle["low_price"].as_f64().unwrap();
            for field in ["opening_price", "trade_price"] {
                let v = candle[field].as_f64().unwrap();
                assert!(low <= v && v <= high, "{candle}");
            }
        }
    }

    #[test]
    fn the_same_minute_is_the_same_candle_whatever_the_page() {
        let a = candles(&format!(
            "{CANDLES_PATH}?market=KRW-ETH&to=2024-11-25T03:00:00&count=50"
        ));
        let b = candles(&format!(
            "{CANDLES_PATH}?market=KRW-ETH&to=2024-11-25%2002:40:00&count=10"
        ));
        let wanted = b[0]["candle_date_time_utc"].clone();
        let same = a
            .iter()
            .find(|c| c["candle_date_time_utc"] == wanted)
            .unwrap();
        assert_eq!(same, &b[0]);
    }

    #[test]
    fn days_join_without_a_jump() {
        // The last close before midnight and the first open after it are one tick apart at most.
        let list = candles(&format!(
            "{CANDLES_PATH}?market=KRW-BTC&to=2024-11-25T00:05:00Z&count=10"
        ));
        let after: Vec<_> = list
            .iter()
            .filter(|c| c["candle_date_time_utc"].as_str().unwrap() >= "2024-11-25")
            .collect();
        let before: Vec<_> = list
            .iter()
            .filter(|c| c["candle_date_time_utc"].as_str().unwrap() < "2024-11-25")
            .collect();
        let last_close = before[0]["trade_price"].as_f64().unwrap();
        let first_open = after.last().unwrap()["opening_price"].as_f64().unwrap();
        assert!(
            (last_close / first_open - 1.0).abs() < 0.01,
            "{last_close} {first_open}"
        );
    }

    #[test]
    fn rejects_bad_parameters_with_upbits_error_shape() {
        let faults = RestFaults::default();
        let r = answer(
            &format!("{CANDLES_PATH}?market=KRW-BTC&count=201"),
            &faults,
            0,
        );
        assert_eq!(r.status, 400);
        assert!(r.body.contains("count"));
        let r = answer(&format!("{CANDLES_PATH}?market=KRW-NOPE"), &faults, 0);
        assert_eq!(r.status, 404);
        let r = answer(&format!("{CANDLES_PATH}?count=1"), &faults, 0);
        assert!(r.body.contains("market"));
        let r = answer(
            &format!("{CANDLES_PATH}?market=KRW-BTC&to=soon"),
            &faults,
            0,
        );
        assert_eq!(r.status, 400);
    }

    #[test]
    fn injected_rejections_answer_429_then_recover_and_a_ban_answers_418() {
        let faults = RestFaults::default();
        faults.reject_next(2);
        let target = format!("{CANDLES_PATH}?market=KRW-BTC&to={TO}&count=1");
        assert_eq!(answer(&target, &faults, 0).status, 429);
        assert_eq!(answer(&target, &faults, 0).status, 429);
        assert_eq!(answer(&target, &faults, 0).status, 200);
        faults.set_banned(true);
        assert_eq!(answer(&target, &faults, 0).status, 418);
        assert_eq!(faults.requests(), 4);
        assert_eq!(faults.rejected(), 3);
    }
}
