//! The 20 results as pure functions of two populations' aggregates (all games, top 10 %).
//!
//! The engine (`engine.rs`) reduces the games to [`PopulationStats`] with SQL; everything that
//! decides the *shape* of an answer (fixed orders, zero-filled groups, omitted empty groups,
//! ratios, what an empty population yields) lives here, so it is unit-tested without an engine and
//! the Spark job (`spark/coinking_analytics/job.py`) mirrors these rules one function each.
//! Every rule is written down in `docs/ANALYTICS.md`.

use serde_json::{Map, Value, json};

/// The leverages the game offers, in the order `leverage_ratio` lists them.
pub const LEVERAGES: [i64; 4] = [1, 10, 100, 1000];

/// The AI-hint groups in the order `ai_recommend_*` arrays list them: `true` first.
pub const AI_GROUPS: [bool; 2] = [true, false];

/// The quantile that defines "top 10 %": games with `balance >=` [`approx_quantile_exact`]`(0.9)`.
pub const TOP_QUANTILE: f64 = 0.9;

/// The 13 keys of `GET /get_user_analysis`, in the order the route answers them.
pub const COMPAT_KEYS: [&str; 13] = [
    "coin_ratio",
    "coin_avg_sell_time",
    "leverage_ratio",
    "ai_recommend_1_ratio",
    "ai_recommend_2_ratio",
    "ai_recommend_1_avg_balance",
    "ai_recommend_2_avg_balance",
    "leverage_avg_balance",
    "top_10_percent_coin_ratio",
    "avg_balance",
    "page_time_avg",
    "sell_time_avg",
    "top_10_percent_avg_sell_time_by_category",
];

/// The 7 top-10 % versions beyond the 13 compat keys.
pub const EXTRA_KEYS: [&str; 7] = [
    "top_10_percent_leverage_ratio",
    "top_10_percent_leverage_avg_balance",
    "top_10_percent_ai_recommend_1_ratio",
    "top_10_percent_ai_recommend_2_ratio",
    "top_10_percent_ai_recommend_1_avg_balance",
    "top_10_percent_ai_recommend_2_avg_balance",
    "top_10_percent_coin_avg_sell_time",
];

/// All 20 result names: the 13 compat keys, then the 7 extra ones.
pub fn all_keys() -> impl Iterator<Item = &'static str> {
    COMPAT_KEYS.iter().chain(EXTRA_KEYS.iter()).copied()
}

/// Count and mean balance of one group (one leverage, one AI-hint choice).
#[derive(Debug, Clone, PartialEq)]
pub struct GroupStat<K> {
    pub key: K,
    pub count: u64,
    pub avg_balance: f64,
}

/// What the results need to know about one population of (deduplicated) games.
///
/// Groups that no game falls into are simply absent from the vectors; the result functions
/// zero-fill or omit them as each result's rule says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PopulationStats {
    /// Number of games.
    pub games: u64,
    /// Mean `balance`; `None` when there are no games.
    pub avg_balance: Option<f64>,
    /// Mean `remaining_time_1..3`.
    pub avg_remaining_time: [Option<f64>; 3],
    /// Mean `user_sell_time_1..3.time`.
    pub avg_sell_time: [Option<f64>; 3],
    pub leverage: Vec<GroupStat<i64>>,
    pub ai_recommend_1: Vec<GroupStat<bool>>,
    pub ai_recommend_2: Vec<GroupStat<bool>>,
    /// How many times each market code appears in `coins` (each pick counts once).
    pub coin_picks: Vec<(String, u64)>,
    /// Mean sell time per market code over the three `user_sell_time_N` pairs pooled.
    pub coin_sell_time: Vec<(String, f64)>,
}

/// `count / total × 100`, and 0 (not NaN) for an empty total.
pub fn ratio(count: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        count as f64 / total as f64 * 100.0
    }
}

/// The `q`-quantile of `sorted` (ascending) exactly as Spark's
/// `approxQuantile(col, [q], relativeError = 0.0)` returns it, which is how the original analysis
/// chose its top 10 %: the element of 1-based rank `ceil(q × n)` (computed in f64, as Spark's
/// `QuantileSummaries.query` does), clamped to `1..=n`. Always a value present in the data, never
/// an interpolation, so every game tied at the threshold is in. Checked against pyspark 4.3 on
/// random, tied and constant data (`tests/it/spark_oracle.rs`, docs/ANALYTICS.md). `None` when
/// empty.
pub fn approx_quantile_exact(sorted: &[f64], q: f64) -> Option<f64> {
    let count = sorted.len();
    if count == 0 {
        return None;
    }
    // ceil(q × n) is at most n for q <= 1 and at least 0; the clamp maps 0 (q = 0) to the first
    // element, which is also what Spark answers for q <= relativeError.
    let rank = ((q * count as f64).ceil() as usize).clamp(1, count);
    Some(sorted[rank - 1])
}

/// `value` rounded to `decimals` places, half away from zero, exactly as Spark's `round(col, d)`
/// rounds a double: Spark takes the shortest decimal text that reads back as the double
/// (`Double.toString` → `BigDecimal`) and rounds that with HALF_UP, so `2.675` (stored as
/// 2.67499999…) becomes 2.68, where rounding the binary value would give 2.67. Rust's `{}` is
/// that same shortest text. Matched against Spark on 293,367 ratios (docs/ANALYTICS.md).
pub fn round_half_up(value: f64, decimals: usize) -> f64 {
    if !value.is_finite() {
        return value;
    }
    let text = format!("{}", value.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((text.as_str(), ""));
    if fraction.len() <= decimals {
        return value;
    }
    let mut digits: Vec<u8> = whole
        .bytes()
        .chain(fraction.bytes().take(decimals))
        .collect();
    if fraction.as_bytes()[decimals] >= b'5' {
        // Add one unit in the last kept place, carrying through nines (99.995 → 100.00).
        let mut position = digits.len();
        loop {
            if position == 0 {
                digits.insert(0, b'1');
                break;
            }
            position -= 1;
            if digits[position] == b'9' {
                digits[position] = b'0';
            } else {
                digits[position] += 1;
                break;
            }
        }
    }
    let split = digits.len() - decimals;
    let rounded = format!(
        "{}.{}",
        String::from_utf8_lossy(&digits[..split]),
        String::from_utf8_lossy(&digits[split..])
    );
    // The text is digits, a dot and digits: it always parses (`Err` cannot happen).
    match rounded.parse::<f64>() {
        // BigDecimal has no negative zero: -0.001 rounds to 0.0 in Spark.
        Ok(0.0) => 0.0,
        Ok(magnitude) => magnitude.copysign(value),
        Err(_) => value,
    }
}

/// The decimal places of `top_10_percent_coin_ratio`'s ratios (the original rounds them; no other
/// result is rounded).
pub const TOP_COIN_RATIO_DECIMALS: usize = 2;

/// Arrays of `{<key_name>, count, ratio}` with one entry for each of `order`, zero-filled.
fn complete_ratio<K: PartialEq + Copy + Into<Value>>(
    groups: &[GroupStat<K>],
    order: &[K],
    key_name: &str,
    total: u64,
) -> Value {
    let entries = order
        .iter()
        .map(|key| {
            let count = groups
                .iter()
                .find(|group| group.key == *key)
                .map_or(0, |group| group.count);
            let mut entry = Map::new();
            entry.insert(key_name.to_owned(), (*key).into());
            entry.insert("count".to_owned(), count.into());
            entry.insert("ratio".to_owned(), ratio(count, total).into());
            Value::Object(entry)
        })
        .collect();
    Value::Array(entries)
}

/// Arrays of `{<key_name>, avg_balance}` for the non-empty groups, in `order`.
fn non_empty_avg_balance<K: PartialEq + Copy + Into<Value>>(
    groups: &[GroupStat<K>],
    order: &[K],
    key_name: &str,
) -> Value {
    let entries = order
        .iter()
        .filter_map(|key| groups.iter().find(|g| g.key == *key && g.count > 0))
        .map(|group| {
            let mut entry = Map::new();
            entry.insert(key_name.to_owned(), group.key.into());
            entry.insert("avg_balance".to_owned(), group.avg_balance.into());
            Value::Object(entry)
        })
        .collect();
    Value::Array(entries)
}

/// `[{coin, count, ratio}]`, by count descending then coin ascending; total = all picks.
pub fn coin_ratio(stats: &PopulationStats) -> Value {
    coin_entries(stats, |ratio| ratio)
}

/// `coin_ratio` over the top 10 %, its ratios rounded to [`TOP_COIN_RATIO_DECIMALS`] places as
/// the original did (`round(…, 2)` in Spark).
pub fn top_10_percent_coin_ratio(top: &PopulationStats) -> Value {
    coin_entries(top, |ratio| round_half_up(ratio, TOP_COIN_RATIO_DECIMALS))
}

fn coin_entries(stats: &PopulationStats, shape_ratio: impl Fn(f64) -> f64) -> Value {
    let mut picks: Vec<&(String, u64)> = stats.coin_picks.iter().filter(|p| p.1 > 0).collect();
    picks.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let total: u64 = picks.iter().map(|p| p.1).sum();
    Value::Array(
        picks
            .into_iter()
            .map(|(coin, count)| {
                json!({"coin": coin, "count": count, "ratio": shape_ratio(ratio(*count, total))})
            })
            .collect(),
    )
}

/// `[{coin, avg_sell_time}]`, by coin ascending.
pub fn coin_avg_sell_time(stats: &PopulationStats) -> Value {
    let mut coins: Vec<&(String, f64)> = stats.coin_sell_time.iter().collect();
    coins.sort_by(|a, b| a.0.cmp(&b.0));
    Value::Array(
        coins
            .into_iter()
            .map(|(coin, avg)| json!({"coin": coin, "avg_sell_time": avg}))
            .collect(),
    )
}

/// `[{leverage, count, ratio}]`: always 1, 10, 100, 1000 in that order.
pub fn leverage_ratio(stats: &PopulationStats) -> Value {
    complete_ratio(&stats.leverage, &LEVERAGES, "leverage", stats.games)
}

/// `[{leverage, avg_balance}]`: the leverages somebody chose, ascending.
pub fn leverage_avg_balance(stats: &PopulationStats) -> Value {
    non_empty_avg_balance(&stats.leverage, &LEVERAGES, "leverage")
}

/// `[{aiRecommend_N, count, ratio}]`: always `true` then `false`.
pub fn ai_recommend_ratio(groups: &[GroupStat<bool>], key_name: &str, games: u64) -> Value {
    complete_ratio(groups, &AI_GROUPS, key_name, games)
}

/// `[{aiRecommend_N, avg_balance}]`: the non-empty groups, `true` first.
pub fn ai_recommend_avg_balance(groups: &[GroupStat<bool>], key_name: &str) -> Value {
    non_empty_avg_balance(groups, &AI_GROUPS, key_name)
}

/// A mean for an object-shaped result: 0 for an empty population, because the frontend formats
/// these as numbers and `null` would break it (documented in docs/ANALYTICS.md).
fn mean_or_zero(mean: Option<f64>) -> Value {
    mean.unwrap_or(0.0).into()
}

/// `{avg_balance}`.
pub fn avg_balance(stats: &PopulationStats) -> Value {
    json!({"avg_balance": mean_or_zero(stats.avg_balance)})
}

/// `{avg_time_1, avg_time_2, avg_time_3}`: mean `remaining_time_N`.
pub fn page_time_avg(stats: &PopulationStats) -> Value {
    let [one, two, three] = stats.avg_remaining_time;
    json!({"avg_time_1": mean_or_zero(one), "avg_time_2": mean_or_zero(two), "avg_time_3": mean_or_zero(three)})
}

/// `{avg_sell_time_1, avg_sell_time_2, avg_sell_time_3}`: mean `user_sell_time_N.time`.
pub fn sell_time_avg(stats: &PopulationStats) -> Value {
    let [one, two, three] = stats.avg_sell_time;
    json!({"avg_sell_time_1": mean_or_zero(one), "avg_sell_time_2": mean_or_zero(two), "avg_sell_time_3": mean_or_zero(three)})
}

/// All 20 results, keyed by name, from the whole population and the top 10 %.
pub fn compute_results(all: &PopulationStats, top: &PopulationStats) -> Vec<(&'static str, Value)> {
    const AI1: &str = "aiRecommend_1";
    const AI2: &str = "aiRecommend_2";
    vec![
        ("coin_ratio", coin_ratio(all)),
        ("coin_avg_sell_time", coin_avg_sell_time(all)),
        ("leverage_ratio", leverage_ratio(all)),
        (
            "ai_recommend_1_ratio",
            ai_recommend_ratio(&all.ai_recommend_1, AI1, all.games),
        ),
        (
            "ai_recommend_2_ratio",
            ai_recommend_ratio(&all.ai_recommend_2, AI2, all.games),
        ),
        (
            "ai_recommend_1_avg_balance",
            ai_recommend_avg_balance(&all.ai_recommend_1, AI1),
        ),
        (
            "ai_recommend_2_avg_balance",
            ai_recommend_avg_balance(&all.ai_recommend_2, AI2),
        ),
        ("leverage_avg_balance", leverage_avg_balance(all)),
        ("top_10_percent_coin_ratio", top_10_percent_coin_ratio(top)),
        ("avg_balance", avg_balance(all)),
        ("page_time_avg", page_time_avg(all)),
        ("sell_time_avg", sell_time_avg(all)),
        (
            "top_10_percent_avg_sell_time_by_category",
            sell_time_avg(top),
        ),
        ("top_10_percent_leverage_ratio", leverage_ratio(top)),
        (
            "top_10_percent_leverage_avg_balance",
            leverage_avg_balance(top),
        ),
        (
            "top_10_percent_ai_recommend_1_ratio",
            ai_recommend_ratio(&top.ai_recommend_1, AI1, top.games),
        ),
        (
            "top_10_percent_ai_recommend_2_ratio",
            ai_recommend_ratio(&top.ai_recommend_2, AI2, top.games),
        ),
        (
            "top_10_percent_ai_recommend_1_avg_balance",
            ai_recommend_avg_balance(&top.ai_recommend_1, AI1),
        ),
        (
            "top_10_percent_ai_recommend_2_avg_balance",
            ai_recommend_avg_balance(&top.ai_recommend_2, AI2),
        ),
        ("top_10_percent_coin_avg_sell_time", coin_avg_sell_time(top)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_is_the_element_of_rank_ceil_q_n_never_an_interpolation() {
        // n = 5: rank ceil(4.5) = 5. Interpolating (type 7) would give 46.
        let five = [10.0, 20.0, 30.0, 40.0, 50.0];
        assert_eq!(approx_quantile_exact(&five, 0.9), Some(50.0));
        // n = 10: rank 9 (the 9th smallest), where type 7 gives 9.1.
        let ten: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(approx_quantile_exact(&ten, 0.9), Some(9.0));
        // n = 11: rank ceil(9.9) = 10.
        let eleven: Vec<f64> = (1..=11).map(f64::from).collect();
        assert_eq!(approx_quantile_exact(&eleven, 0.9), Some(10.0));
        // n = 2: rank ceil(1.8) = 2, the larger one.
        assert_eq!(approx_quantile_exact(&[3.0, 4.0], 0.9), Some(4.0));
    }

    #[test]
    fn quantile_of_one_value_is_that_value_and_of_none_is_none() {
        assert_eq!(approx_quantile_exact(&[7.5], 0.9), Some(7.5));
        assert_eq!(approx_quantile_exact(&[], 0.9), None);
    }

    #[test]
    fn quantile_below_a_higher_value_is_the_tied_value() {
        // Eight players ended at the start balance, one above, one below: rank 9 is a tie, so the
        // threshold is 1.6e9 itself (type 7 interpolated 1.64e9 and left the eight out).
        let mut balances = vec![1.0e9];
        balances.extend([1.6e9; 8]);
        balances.push(2.0e9);
        assert_eq!(approx_quantile_exact(&balances, 0.9), Some(1.6e9));
    }

    #[test]
    fn quantile_at_the_ends_is_the_first_or_the_last() {
        let values = [1.0, 2.0, 3.0];
        assert_eq!(approx_quantile_exact(&values, 0.0), Some(1.0));
        assert_eq!(approx_quantile_exact(&values, 1.0), Some(3.0));
    }

    #[test]
    fn rounds_half_up_on_the_shortest_decimal_text_like_spark() {
        // Each of these is stored just below its .xx5 text; Spark still rounds up.
        for (value, rounded) in [
            (2.675, 2.68),
            (1.005, 1.01),
            (0.125, 0.13),
            (0.285, 0.29),
            (8.345, 8.35),
            (1.115, 1.12),
            (99.995, 100.0),
            (9.995, 10.0),
            (0.005, 0.01),
            (-2.675, -2.68),
        ] {
            assert_eq!(round_half_up(value, 2), rounded, "{value}");
        }
        assert_eq!(round_half_up(100.0 / 3.0, 2), 33.33);
        assert_eq!(round_half_up(200.0 / 3.0, 2), 66.67);
        assert_eq!(round_half_up(2.674, 2), 2.67);
        assert_eq!(round_half_up(12.5, 2), 12.5);
        assert_eq!(round_half_up(0.0, 2), 0.0);
        assert_eq!(round_half_up(1e-7, 2), 0.0);
        assert!(round_half_up(f64::NAN, 2).is_nan());
    }

    #[test]
    fn only_the_top_coin_ratio_is_rounded() {
        let stats = PopulationStats {
            coin_picks: vec![("KRW-BTC".to_owned(), 2), ("KRW-ETH".to_owned(), 1)],
            ..PopulationStats::default()
        };
        assert_eq!(
            top_10_percent_coin_ratio(&stats),
            json!([
                {"coin": "KRW-BTC", "count": 2, "ratio": 66.67},
                {"coin": "KRW-ETH", "count": 1, "ratio": 33.33},
            ])
        );
        assert_eq!(coin_ratio(&stats)[1]["ratio"], json!(1.0 / 3.0 * 100.0));
    }

    #[test]
    fn ratio_of_an_empty_total_is_zero() {
        assert_eq!(ratio(0, 0), 0.0);
        assert_eq!(ratio(1, 4), 25.0);
    }

    #[test]
    fn empty_population_yields_every_key_with_its_shape() {
        let empty = PopulationStats::default();
        let results = compute_results(&empty, &empty);
        let names: Vec<&str> = results.iter().map(|(name, _)| *name).collect();
        assert_eq!(names, all_keys().collect::<Vec<_>>());
        let get = |name: &str| results.iter().find(|(n, _)| *n == name).unwrap().1.clone();
        assert_eq!(
            get("leverage_ratio"),
            json!([
                {"leverage": 1, "count": 0, "ratio": 0.0},
                {"leverage": 10, "count": 0, "ratio": 0.0},
                {"leverage": 100, "count": 0, "ratio": 0.0},
                {"leverage": 1000, "count": 0, "ratio": 0.0},
            ])
        );
        assert_eq!(
            get("ai_recommend_2_ratio"),
            json!([
                {"aiRecommend_2": true, "count": 0, "ratio": 0.0},
                {"aiRecommend_2": false, "count": 0, "ratio": 0.0},
            ])
        );
        for name in [
            "coin_ratio",
            "coin_avg_sell_time",
            "leverage_avg_balance",
            "ai_recommend_1_avg_balance",
            "top_10_percent_coin_ratio",
        ] {
            assert_eq!(get(name), json!([]), "{name}");
        }
        assert_eq!(get("avg_balance"), json!({"avg_balance": 0.0}));
        assert_eq!(
            get("page_time_avg"),
            json!({"avg_time_1": 0.0, "avg_time_2": 0.0, "avg_time_3": 0.0})
        );
        assert_eq!(
            get("top_10_percent_avg_sell_time_by_category"),
            json!({"avg_sell_time_1": 0.0, "avg_sell_time_2": 0.0, "avg_sell_time_3": 0.0})
        );
    }

    #[test]
    fn leverage_ratio_zero_fills_and_avg_balance_omits_empty_groups() {
        let stats = PopulationStats {
            games: 4,
            leverage: vec![
                GroupStat {
                    key: 100,
                    count: 1,
                    avg_balance: 5.0,
                },
                GroupStat {
                    key: 1,
                    count: 3,
                    avg_balance: 2.0,
                },
            ],
            ..PopulationStats::default()
        };
        assert_eq!(
            leverage_ratio(&stats),
            json!([
                {"leverage": 1, "count": 3, "ratio": 75.0},
                {"leverage": 10, "count": 0, "ratio": 0.0},
                {"leverage": 100, "count": 1, "ratio": 25.0},
                {"leverage": 1000, "count": 0, "ratio": 0.0},
            ])
        );
        assert_eq!(
            leverage_avg_balance(&stats),
            json!([{"leverage": 1, "avg_balance": 2.0}, {"leverage": 100, "avg_balance": 5.0}])
        );
    }

    #[test]
    fn one_group_stays_an_array() {
        let groups = vec![GroupStat {
            key: false,
            count: 2,
            avg_balance: 3.0,
        }];
        assert_eq!(
            ai_recommend_avg_balance(&groups, "aiRecommend_1"),
            json!([{"aiRecommend_1": false, "avg_balance": 3.0}])
        );
        assert_eq!(
            ai_recommend_ratio(&groups, "aiRecommend_1", 2),
            json!([
                {"aiRecommend_1": true, "count": 0, "ratio": 0.0},
                {"aiRecommend_1": false, "count": 2, "ratio": 100.0},
            ])
        );
    }

    #[test]
    fn coin_ratio_orders_by_count_then_code_and_divides_by_all_picks() {
        let stats = PopulationStats {
            coin_picks: vec![
                ("KRW-SOL".to_owned(), 1),
                ("KRW-BTC".to_owned(), 2),
                ("KRW-ETH".to_owned(), 1),
            ],
            ..PopulationStats::default()
        };
        assert_eq!(
            coin_ratio(&stats),
            json!([
                {"coin": "KRW-BTC", "count": 2, "ratio": 50.0},
                {"coin": "KRW-ETH", "count": 1, "ratio": 25.0},
                {"coin": "KRW-SOL", "count": 1, "ratio": 25.0},
            ])
        );
    }
}
