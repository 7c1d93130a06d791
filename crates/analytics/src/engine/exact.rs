//! Exact decimal sums: each double rounded to [`SCALE`] decimal places and added as an integer,
//! so a sum does not depend on the order its values arrive in (files are read in parallel, in
//! whatever order they finish). The rounding is Arrow's `CAST(double AS DECIMAL(38, 10))`
//! (`(v × 10^10).round()`, half away from zero), which the Spark job (`job.py`
//! `EXACT_SUM_TYPE`) and the DuckDB peer use too, so all three sum the same integers.

/// Decimal places each value is rounded to before it is added.
pub const SCALE: u32 = 10;

/// `value` as an integer count of 10^-[`SCALE`]. Balances are at most 1e15 KRW (record rules),
/// so 10^8 such games still fit an i128 many times over.
pub fn scaled(value: f64) -> i128 {
    // 10^10 is exact in f64; the product is rounded once, as Arrow's cast does.
    (value * 10_f64.powi(SCALE as i32)).round() as i128
}

/// The mean of `count` values whose exact sum is `sum`: `sum / (count × 10^scale)` split into a
/// whole part (exact as f64 below 2^53; means of balances are at most 1e15) and a fraction in
/// [0, 1), each rounded once. Deterministic, and exact whenever the mean is a double (1.5e9, 9.5).
pub fn mean(sum: i128, count: u64) -> f64 {
    let denominator = i128::from(count) * 10_i128.pow(SCALE);
    let whole = sum.div_euclid(denominator);
    let fraction = sum.rem_euclid(denominator);
    whole as f64 + fraction as f64 / denominator as f64
}

/// A sum of values, some of which may be missing (SQL `sum` skips nulls; a sum of nothing is
/// null).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExactSum {
    pub sum: i128,
    /// How many values were added (nulls are not).
    pub values: u64,
}

impl ExactSum {
    pub fn add(&mut self, value: f64) {
        self.sum += scaled(value);
        self.values += 1;
    }

    pub fn merge(&mut self, other: &Self) {
        self.sum += other.sum;
        self.values += other.values;
    }

    /// The sum divided by `count` rows (nulls included, as `sum(x) / count(*)`); `None` for a
    /// null sum or no rows.
    pub fn mean_over(&self, count: u64) -> Option<f64> {
        (self.values > 0 && count > 0).then(|| mean(self.sum, count))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_half_away_from_zero_at_ten_places() {
        assert_eq!(scaled(1.5), 15_000_000_000);
        assert_eq!(scaled(0.000_000_000_05), 1);
        assert_eq!(scaled(-0.000_000_000_05), -1);
        assert_eq!(scaled(1_600_000_000.0), 16_000_000_000_000_000_000);
    }

    #[test]
    fn a_mean_that_is_a_double_comes_out_exactly() {
        let mut sum = ExactSum::default();
        for value in [1e9, 2e9] {
            sum.add(value);
        }
        assert_eq!(sum.mean_over(2), Some(1.5e9));
        let mut times = ExactSum::default();
        for value in [9.0, 10.0] {
            times.add(value);
        }
        assert_eq!(times.mean_over(2), Some(9.5));
        // 8e9 once came out of Arrow's decimal → double cast as 7999999999.999999.
        let mut eight = ExactSum::default();
        eight.add(8e9);
        assert_eq!(eight.mean_over(1), Some(8e9));
    }

    #[test]
    fn a_sum_of_nothing_has_no_mean() {
        assert_eq!(ExactSum::default().mean_over(3), None);
        let mut sum = ExactSum::default();
        sum.add(1.0);
        assert_eq!(sum.mean_over(0), None);
    }

    #[test]
    fn the_sum_does_not_depend_on_the_order() {
        let values = [0.1, 0.2, 0.3, 1e15, 1e-10, 123.456_789_012_3];
        let mut forward = ExactSum::default();
        values.iter().for_each(|v| forward.add(*v));
        let mut backward = ExactSum::default();
        values.iter().rev().for_each(|v| backward.add(*v));
        assert_eq!(forward, backward);
    }
}
