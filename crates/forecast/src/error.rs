//! [`ForecastError`]: everything the forecasting library can fail with.

/// Errors of the lake, the model and the backtest. `Retryable` ones come from storage (the
/// object store) and may succeed on a second attempt; the rest are permanent.
#[derive(Debug, thiserror::Error)]
pub enum ForecastError {
    #[error("model: {0}")]
    Model(#[from] candle_core::Error),
    #[error("object store: {0}")]
    Store(#[from] object_store::Error),
    #[error("parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error("arrow: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
    #[error("model card: {0}")]
    Card(#[from] serde_json::Error),
    #[error("safetensors: {0}")]
    Weights(#[from] safetensors::SafeTensorError),
    #[error("invalid lake location {location:?}: {reason}")]
    InvalidLocation { location: String, reason: String },
    #[error("not enough data: {0}")]
    NotEnoughData(String),
    #[error("invalid config: {0}")]
    Config(String),
    #[error("upbit: {0}")]
    Upstream(String),
    #[error("upbit banned this client (HTTP 418); stopped: {0}")]
    Banned(String),
    #[error("a blocking task failed: {0}")]
    Task(String),
    /// Other writers kept changing the same lake files; a later attempt may get through.
    #[error("concurrent writes: {0}")]
    Conflict(String),
}

impl ForecastError {
    /// Whether a second attempt may succeed (storage hiccups) or not (bad data, bad config).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ForecastError::Store(_)
                | ForecastError::Task(_)
                | ForecastError::Upstream(_)
                | ForecastError::Conflict(_)
        )
    }
}
