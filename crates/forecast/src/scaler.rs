//! [`Scaler`]: per-feature standardisation fitted on the training range only, saved in the
//! model card beside the weights so serving scales exactly as training did.

use serde::{Deserialize, Serialize};

use crate::features::{Examples, N_FEATURES};

/// Smallest std used: a constant feature is centred, not blown up.
const MIN_STD: f64 = 1e-8;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scaler {
    pub feature_mean: Vec<f64>,
    pub feature_std: Vec<f64>,
    pub target_mean: f64,
    pub target_std: f64,
}

impl Scaler {
    /// Mean and (population) std of each feature over every row of every window, and of the
    /// target.
    pub fn fit(examples: &Examples) -> Self {
        let mut sum = [0.0f64; N_FEATURES];
        let mut sum_sq = [0.0f64; N_FEATURES];
        let rows = examples.x.len() / N_FEATURES;
        for row in examples.x.chunks_exact(N_FEATURES) {
            for (feature, value) in row.iter().enumerate() {
                let value = f64::from(*value);
                sum[feature] += value;
                sum_sq[feature] += value * value;
            }
        }
        let moments = |total: f64, total_sq: f64, count: usize| {
            if count == 0 {
                return (0.0, 1.0);
            }
            let mean = total / count as f64;
            let variance = (total_sq / count as f64 - mean * mean).max(0.0);
            (mean, variance.sqrt().max(MIN_STD))
        };
        let mut feature_mean = Vec::with_capacity(N_FEATURES);
        let mut feature_std = Vec::with_capacity(N_FEATURES);
        for feature in 0..N_FEATURES {
            let (mean, std) = moments(sum[feature], sum_sq[feature], rows);
            feature_mean.push(mean);
            feature_std.push(std);
        }
        let target_sum: f64 = examples.y.iter().map(|v| f64::from(*v)).sum();
        let target_sum_sq: f64 = examples.y.iter().map(|v| f64::from(*v).powi(2)).sum();
        let (target_mean, target_std) = moments(target_sum, target_sum_sq, examples.y.len());
        Self {
            feature_mean,
            feature_std,
            target_mean,
            target_std,
        }
    }

    /// Scales rows of `N_FEATURES` values in place.
    pub fn scale_features(&self, x: &mut [f32]) {
        for row in x.chunks_exact_mut(N_FEATURES) {
            for (feature, value) in row.iter_mut().enumerate() {
                let mean = self.feature_mean.get(feature).copied().unwrap_or(0.0);
                let std = self.feature_std.get(feature).copied().unwrap_or(1.0);
                *value = ((f64::from(*value) - mean) / std) as f32;
            }
        }
    }

    pub fn scale_target(&self, value: f64) -> f64 {
        (value - self.target_mean) / self.target_std
    }

    pub fn unscale_target(&self, value: f64) -> f64 {
        value * self.target_std + self.target_mean
    }

    /// A scaler from a card must have one mean and one positive std per feature.
    pub fn is_consistent(&self) -> bool {
        self.feature_mean.len() == N_FEATURES
            && self.feature_std.len() == N_FEATURES
            && self.feature_std.iter().all(|s| s.is_finite() && *s > 0.0)
            && self.target_std.is_finite()
            && self.target_std > 0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaled_training_features_have_zero_mean_and_unit_std() {
        let mut examples = Examples {
            window: 1,
            ..Examples::default()
        };
        for i in 0..4 {
            examples
                .x
                .extend((0..N_FEATURES).map(|f| (i * (f + 1)) as f32));
            examples.y.push(i as f32);
        }
        let scaler = Scaler::fit(&examples);
        let mut x = examples.x.clone();
        scaler.scale_features(&mut x);
        let first_feature: Vec<f32> = x.chunks_exact(N_FEATURES).map(|r| r[1]).collect();
        let mean: f32 = first_feature.iter().sum::<f32>() / 4.0;
        let var: f32 = first_feature
            .iter()
            .map(|v| (v - mean).powi(2))
            .sum::<f32>()
            / 4.0;
        assert!(mean.abs() < 1e-6);
        assert!((var - 1.0).abs() < 1e-5);
        assert!((scaler.unscale_target(scaler.scale_target(3.0)) - 3.0).abs() < 1e-12);
        assert!(scaler.is_consistent());
    }
}
