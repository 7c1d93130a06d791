//! The two definitions the engines take from the original analysis, checked against real Spark
//! (`spark/coinking_analytics/spark_probe.py` in the analytics venv, see `venv.rs`):
//! the top-10 % threshold is what `approxQuantile(col, [0.9], 0.0)` returns, and
//! `top_10_percent_coin_ratio` is rounded as `round(col, 2)` rounds. Exact comparison, bit for bit.

use std::io::Write;
use std::process::Stdio;

use coinking_analytics::results::{TOP_QUANTILE, approx_quantile_exact, ratio, round_half_up};
use serde_json::{Value, json};

use crate::venv::{python_command, venv_python};

/// Sends `request` to the probe and returns its answer for `part` as doubles.
fn ask_spark(request: &Value, part: &str) -> Vec<f64> {
    let python = venv_python();
    let mut child = python_command(&python, &["-m", "coinking_analytics.spark_probe"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(serde_json::to_string(request).unwrap().as_bytes())
        .unwrap();
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "spark_probe failed: {}",
        output.status
    );
    let answer: Value = serde_json::from_slice(&output.stdout).unwrap();
    answer[part]
        .as_array()
        .unwrap()
        .iter()
        .map(|bits| f64::from_bits(bits.as_u64().unwrap()))
        .collect()
}

/// SplitMix64: the same cases on every run.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

/// Balance lists: for n = 1..=50, random values (few ties), values tied at a few balances (1.6e9, the
/// start balance, most often), and one value n times; then larger n around multiples of ten and
/// two lakes of whole-million balances like the generator's.
fn quantile_cases() -> Vec<(String, Vec<f64>)> {
    let mut random = SplitMix(90);
    let mut cases = Vec::new();
    for n in 1..=50u64 {
        let distinct: Vec<f64> = (0..n)
            .map(|_| (1_000 + random.below(9_000)) as f64 * 1e6 + 0.5)
            .collect();
        cases.push((format!("n={n} random"), distinct));
        let choices = [1.6e9, 1.6e9, 1.6e9, 1.5e9, 1.7e9, 2.2e9];
        let tied: Vec<f64> = (0..n)
            .map(|_| choices[random.below(choices.len() as u64) as usize])
            .collect();
        cases.push((format!("n={n} tied"), tied));
        cases.push((format!("n={n} constant"), vec![1.6e9; n as usize]));
    }
    for n in [
        99u64, 100, 101, 999, 1000, 1001, 1999, 2000, 12_345, 100_000,
    ] {
        let values: Vec<f64> = (0..n)
            .map(|_| (1_200 + random.below(800)) as f64 * 1e6)
            .collect();
        cases.push((format!("n={n} whole millions"), values));
    }
    cases
}

#[test]
fn top_threshold_is_what_spark_approx_quantile_with_zero_error_returns() {
    let cases = quantile_cases();
    let lists: Vec<&Vec<f64>> = cases.iter().map(|(_, values)| values).collect();
    let spark = ask_spark(&json!({"q": TOP_QUANTILE, "quantile": lists}), "quantile");
    assert_eq!(spark.len(), cases.len());
    let mut problems = Vec::new();
    for ((name, values), spark_threshold) in cases.iter().zip(spark) {
        let mut sorted = values.clone();
        sorted.sort_unstable_by(f64::total_cmp);
        let ours = approx_quantile_exact(&sorted, TOP_QUANTILE).unwrap();
        if ours.to_bits() != spark_threshold.to_bits() {
            problems.push(format!("{name}: spark {spark_threshold}, ours {ours}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn top_coin_ratio_rounds_exactly_as_spark_round_two() {
    // Every ratio a top 10 % of up to 400 picks can have, and every x.xx5 below 100 (the
    // half-way texts that binary rounding gets wrong).
    let mut values = Vec::new();
    for total in 1..=400u64 {
        for count in 0..=total {
            values.push(ratio(count, total));
        }
    }
    for thousandths in (5..100_000u32).step_by(10) {
        values.push(f64::from(thousandths) / 1000.0);
    }
    let spark = ask_spark(&json!({"round": values, "decimals": 2}), "round");
    assert_eq!(spark.len(), values.len());
    let problems: Vec<String> = values
        .iter()
        .zip(spark)
        .filter(|(value, spark)| round_half_up(**value, 2).to_bits() != spark.to_bits())
        .map(|(value, spark)| format!("{value}: spark {spark}, ours {}", round_half_up(*value, 2)))
        .take(20)
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
