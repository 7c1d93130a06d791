//! The binary's typed configuration: an optional TOML file, then `COINKING_*` environment
//! variables on top, then validation. Unknown keys are an error. Every default works locally
//! against `scripts/services.sh up` (Kafka on 127.0.0.1:9092, dynalite on 127.0.0.1:4567 when
//! `COINKING_DYNAMODB_ENDPOINT` is set) and the real Upbit.
//!
//! | file key | env | default | meaning |
//! |---|---|---|---|
//! | `[source]` … | `COINKING_UPBIT_URL`, `COINKING_MARKETS` (comma list) | Upbit, the 9 game markets | see `sources::SourceConfig` (`types` default `["ticker"]` here) |
//! | `kafka.brokers` | `COINKING_KAFKA_BROKERS` | `127.0.0.1:9092` | bootstrap servers |
//! | `kafka.ticker_topic` | | `upbit.ticker` | |
//! | `kafka.trade_topic` | | `upbit.trade` | used when `source.types` includes `trade` |
//! | `kafka.dlq_topic` | | `upbit.dlq` | |
//! | `kafka.partitions` | | `3` | when the ingester creates the topics |
//! | `kafka.create_topics` | | `true` | create missing topics at start |
//! | `kafka.group_id` | `COINKING_KAFKA_GROUP` | `coinking-stream` | stream stage consumer group |
//! | `kafka.session_timeout_ms` | `COINKING_KAFKA_SESSION_TIMEOUT_MS` | `10000` | |
//! | `kafka.delivery_timeout_ms` | `COINKING_KAFKA_DELIVERY_TIMEOUT_MS` | `30000` | |
//! | `stream.window_ms` | `COINKING_STREAM_WINDOW_MS` | `250` | coalescing window |
//! | `stream.max_pending` | | `10000` | flush early above this many records |
//! | `stream.table` | `COINKING_DYNAMODB_TABLE` | `coinking-market` | DynamoDB table |
//! | `stream.create_table` | | `true` | create the table if missing (set false on AWS: SAM owns it) |
//! | `stream.redis_url` | `COINKING_REDIS_URL` | unset | the Redis hot store (`redis://` or `rediss://`): tickers, live candles and hints go there and DynamoDB gets each closed minute once (`TieredMarketStore`); unset: DynamoDB only. get-ticker must be given the same URL |
//! | `catalog.fetch` | | `true` | fetch `/v1/market/all` (else the bundled catalog) |
//! | `catalog.rest_base_url` | | `https://api.upbit.com` | |
//! | `catalog.refresh_secs` | `COINKING_CATALOG_REFRESH_SECS` | `600` | refetch the catalog this often, resubscribe and rewrite the catalog items on a change; `0` turns it off (so does `catalog.fetch = false`) |
//! | `hints.enabled` | `COINKING_HINTS_ENABLED` (`true`/`false`) | `true` | run the hints stage (AI hints of `/get_deeplearning`) beside the stream stage (`stream` and `both`) |
//! | `hints.delay_ms` | | `2000` | run this long after each minute boundary (at most 50000) |
//! | `hints.models_url` | `COINKING_MODELS_URL` | unset | the lake whose `models/` the hints stage serves learned models from (local directory or `s3://bucket/prefix`); unset: the baseline only |
//! | `lake.url` | `COINKING_LAKE_URL` | unset | the market-data lake the lake stage writes closed minutes of ticks and candles to (local directory or `s3://bucket/prefix`), beside the stream stage (`stream` and `both`); unset: no lake stage |
//! | `lake.group_id` | | `coinking-lake` | the lake stage's consumer group (must differ from `kafka.group_id`) |
//! | `hints.models_refresh_secs` | `COINKING_MODELS_REFRESH_SECS` | `300` | how often it looks for newer model versions (at least 10) |
//! | `http.listen` | `COINKING_HTTP_LISTEN` | `127.0.0.1:9400` | `/healthz` `/readyz` `/metrics` (use `0.0.0.0:9400` in a container) |
//! | `drain_timeout_ms` | | `25000` | graceful drain budget after SIGTERM/SIGINT |
//!
//! DynamoDB's endpoint and region come from `COINKING_DYNAMODB_ENDPOINT` / `COINKING_AWS_REGION`
//! (the adapters' settings).

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use coinking_adapters::KafkaSettings;
use coinking_adapters::market_store::DEFAULT_TABLE_NAME;
use coinking_core::market::MarketCode;
use serde::Deserialize;

use crate::error::IngesterError;
use crate::hints::HintsSettings;
use crate::sources::{DataType, SourceConfig};
use crate::stream::DEFAULT_DLQ_TOPIC;
use crate::transforms::Topic;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IngesterConfig {
    pub source: SourceConfig,
    pub kafka: KafkaSection,
    pub stream: StreamSection,
    pub catalog: CatalogSection,
    pub hints: HintsSettings,
    pub lake: LakeSection,
    pub http: HttpSection,
    pub drain_timeout_ms: u64,
}

/// The lake stage (`crate::lake`): on when `url` is set.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LakeSection {
    /// The market-data lake: a local directory or `s3://bucket/prefix`; unset: no lake stage.
    pub url: Option<String>,
    /// Its own consumer group (sharing the stream stage's would split the partitions between
    /// two different stages).
    pub group_id: String,
}

impl Default for LakeSection {
    fn default() -> Self {
        Self {
            url: None,
            group_id: crate::lake::DEFAULT_LAKE_GROUP.to_owned(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KafkaSection {
    pub brokers: String,
    pub ticker_topic: String,
    pub trade_topic: String,
    pub dlq_topic: String,
    pub partitions: i32,
    pub create_topics: bool,
    pub group_id: String,
    pub session_timeout_ms: u64,
    pub delivery_timeout_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StreamSection {
    pub window_ms: u64,
    pub max_pending: usize,
    pub table: String,
    pub create_table: bool,
    /// The Redis hot store in front of the table; unset: the table only.
    pub redis_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CatalogSection {
    pub fetch: bool,
    pub rest_base_url: String,
    pub timeout_ms: u64,
    /// Seconds between catalog refreshes; 0 = fetch once at start only.
    pub refresh_secs: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpSection {
    pub listen: SocketAddr,
}

impl Default for IngesterConfig {
    fn default() -> Self {
        Self {
            source: SourceConfig {
                types: vec![DataType::Ticker],
                ..SourceConfig::default()
            },
            kafka: KafkaSection::default(),
            stream: StreamSection::default(),
            catalog: CatalogSection::default(),
            hints: HintsSettings::default(),
            lake: LakeSection::default(),
            http: HttpSection::default(),
            drain_timeout_ms: 25_000,
        }
    }
}

impl Default for KafkaSection {
    fn default() -> Self {
        let settings = KafkaSettings::default();
        Self {
            brokers: settings.brokers,
            ticker_topic: Topic::Ticker.default_name().to_owned(),
            trade_topic: Topic::Trade.default_name().to_owned(),
            dlq_topic: DEFAULT_DLQ_TOPIC.to_owned(),
            partitions: 3,
            create_topics: true,
            group_id: "coinking-stream".to_owned(),
            session_timeout_ms: settings.session_timeout.as_millis() as u64,
            delivery_timeout_ms: settings.delivery_timeout.as_millis() as u64,
        }
    }
}

impl Default for StreamSection {
    fn default() -> Self {
        Self {
            window_ms: 250,
            max_pending: 10_000,
            table: DEFAULT_TABLE_NAME.to_owned(),
            create_table: true,
            redis_url: None,
        }
    }
}

impl Default for CatalogSection {
    fn default() -> Self {
        Self {
            fetch: true,
            rest_base_url: crate::sources::config::DEFAULT_REST_BASE_URL.to_owned(),
            timeout_ms: 5_000,
            refresh_secs: DEFAULT_CATALOG_REFRESH_SECS,
        }
    }
}

impl Default for HttpSection {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 9400)),
        }
    }
}

/// Upbit lists new markets a few times a month: ten minutes is prompt enough and one small
/// request per period is far inside the REST limits.
pub const DEFAULT_CATALOG_REFRESH_SECS: u64 = 600;

/// The longest refresh period accepted (a day); longer is as good as off.
pub const MAX_CATALOG_REFRESH_SECS: u64 = 86_400;

fn invalid(field: &'static str, reason: impl Into<String>) -> IngesterError {
    IngesterError::Config {
        field,
        reason: reason.into(),
    }
}

impl IngesterConfig {
    /// File (if any), then the process environment, then validation.
    pub fn load(file: Option<&Path>) -> Result<Self, IngesterError> {
        let text = match file {
            Some(path) => Some(std::fs::read_to_string(path).map_err(|error| {
                invalid("config", format!("cannot read {}: {error}", path.display()))
            })?),
            None => None,
        };
        Self::from_parts(text.as_deref(), |name| std::env::var(name).ok())
    }

    /// `toml` text (if any) and an environment lookup; see the module doc.
    pub fn from_parts(
        toml_text: Option<&str>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, IngesterError> {
        let mut config: IngesterConfig = match toml_text {
            Some(text) => {
                toml::from_str(text).map_err(|error| invalid("config", error.to_string()))?
            }
            None => IngesterConfig::default(),
        };
        let var = |name: &str| env(name).filter(|value| !value.trim().is_empty());
        let millis = |name: &'static str, value: String| {
            value
                .trim()
                .parse::<u64>()
                .map_err(|_| invalid(name, "must be a whole number of milliseconds"))
        };
        if let Some(url) = var("COINKING_UPBIT_URL") {
            config.source.url = url;
        }
        if let Some(list) = var("COINKING_MARKETS") {
            let mut codes = Vec::new();
            for code in list
                .split(',')
                .map(str::trim)
                .filter(|code| !code.is_empty())
            {
                codes.push(
                    MarketCode::parse(code).map_err(|error| {
                        invalid("COINKING_MARKETS", format!("`{code}`: {error}"))
                    })?,
                );
            }
            config.source.codes = codes;
        }
        if let Some(brokers) = var("COINKING_KAFKA_BROKERS") {
            config.kafka.brokers = brokers;
        }
        if let Some(group) = var("COINKING_KAFKA_GROUP") {
            config.kafka.group_id = group;
        }
        if let Some(value) = var("COINKING_KAFKA_SESSION_TIMEOUT_MS") {
            config.kafka.session_timeout_ms = millis("COINKING_KAFKA_SESSION_TIMEOUT_MS", value)?;
        }
        if let Some(value) = var("COINKING_KAFKA_DELIVERY_TIMEOUT_MS") {
            config.kafka.delivery_timeout_ms = millis("COINKING_KAFKA_DELIVERY_TIMEOUT_MS", value)?;
        }
        if let Some(value) = var("COINKING_STREAM_WINDOW_MS") {
            config.stream.window_ms = millis("COINKING_STREAM_WINDOW_MS", value)?;
        }
        if let Some(table) = var("COINKING_DYNAMODB_TABLE") {
            config.stream.table = table;
        }
        if let Some(value) = var("COINKING_CATALOG_REFRESH_SECS") {
            config.catalog.refresh_secs = value.trim().parse::<u64>().map_err(|_| {
                invalid(
                    "COINKING_CATALOG_REFRESH_SECS",
                    "must be a whole number of seconds (0 turns the refresh off)",
                )
            })?;
        }
        if let Some(value) = var("COINKING_HINTS_ENABLED") {
            config.hints.enabled = match value.trim() {
                "true" => true,
                "false" => false,
                _ => return Err(invalid("COINKING_HINTS_ENABLED", "must be true or false")),
            };
        }
        if let Some(url) = var("COINKING_MODELS_URL") {
            config.hints.models_url = Some(url.trim().to_owned()).filter(|url| !url.is_empty());
        }
        if let Some(url) = var("COINKING_REDIS_URL") {
            config.stream.redis_url = Some(url.trim().to_owned()).filter(|url| !url.is_empty());
        }
        if let Some(url) = var("COINKING_LAKE_URL") {
            config.lake.url = Some(url.trim().to_owned()).filter(|url| !url.is_empty());
        }
        if let Some(value) = var("COINKING_MODELS_REFRESH_SECS") {
            config.hints.models_refresh_secs = value.trim().parse::<u64>().map_err(|_| {
                invalid(
                    "COINKING_MODELS_REFRESH_SECS",
                    "must be a whole number of seconds",
                )
            })?;
        }
        if let Some(listen) = var("COINKING_HTTP_LISTEN") {
            config.http.listen = listen.trim().parse().map_err(|_| {
                invalid(
                    "COINKING_HTTP_LISTEN",
                    "must be host:port, e.g. 0.0.0.0:9400",
                )
            })?;
        }
        config.validate()?;
        Ok(config)
    }

    pub fn validate(&self) -> Result<(), IngesterError> {
        self.source.validate()?;
        if self.kafka.brokers.trim().is_empty() {
            return Err(invalid("kafka.brokers", "must not be empty"));
        }
        for (field, topic) in [
            ("kafka.ticker_topic", &self.kafka.ticker_topic),
            ("kafka.trade_topic", &self.kafka.trade_topic),
            ("kafka.dlq_topic", &self.kafka.dlq_topic),
            ("kafka.group_id", &self.kafka.group_id),
            ("stream.table", &self.stream.table),
        ] {
            if topic.trim().is_empty() {
                return Err(invalid(field, "must not be empty"));
            }
        }
        if self.kafka.partitions < 1 {
            return Err(invalid("kafka.partitions", "must be at least 1"));
        }
        for (field, value) in [
            ("stream.window_ms", self.stream.window_ms),
            ("kafka.session_timeout_ms", self.kafka.session_timeout_ms),
            ("kafka.delivery_timeout_ms", self.kafka.delivery_timeout_ms),
            ("drain_timeout_ms", self.drain_timeout_ms),
            ("catalog.timeout_ms", self.catalog.timeout_ms),
        ] {
            if value == 0 {
                return Err(invalid(field, "must be greater than zero"));
            }
        }
        if let Some((field, rule)) = self.hints.problem() {
            return Err(invalid(field, rule));
        }
        if let Some(url) = &self.stream.redis_url {
            if let Err(error) = coinking_adapters::redis_client::check_url(url) {
                return Err(invalid("stream.redis_url", error.to_string()));
            }
        }
        if let Some(url) = &self.lake.url {
            if let Err(error) = coinking_forecast::lake::Lake::open(url) {
                return Err(invalid("lake.url", error.to_string()));
            }
        }
        if self.lake.group_id.trim().is_empty() {
            return Err(invalid("lake.group_id", "must not be empty"));
        }
        if self.lake.group_id == self.kafka.group_id {
            return Err(invalid(
                "lake.group_id",
                "must differ from kafka.group_id (the stream stage's group)",
            ));
        }
        if self.stream.max_pending == 0 {
            return Err(invalid("stream.max_pending", "must be greater than zero"));
        }
        let refresh_ms = self.catalog.refresh_secs.saturating_mul(1000);
        if self.catalog.refresh_secs != 0 && refresh_ms < self.catalog.timeout_ms {
            return Err(invalid(
                "catalog.refresh_secs",
                "must be 0 (off) or at least catalog.timeout_ms",
            ));
        }
        if self.catalog.refresh_secs > MAX_CATALOG_REFRESH_SECS {
            return Err(invalid(
                "catalog.refresh_secs",
                format!("must be at most {MAX_CATALOG_REFRESH_SECS} (a day); 0 turns it off"),
            ));
        }
        Ok(())
    }

    pub fn kafka_settings(&self) -> KafkaSettings {
        KafkaSettings {
            brokers: self.kafka.brokers.clone(),
            session_timeout: Duration::from_millis(self.kafka.session_timeout_ms),
            delivery_timeout: Duration::from_millis(self.kafka.delivery_timeout_ms),
            ..KafkaSettings::default()
        }
    }

    pub fn forwards_trades(&self) -> bool {
        self.source.types.contains(&DataType::Trade)
    }

    /// How often the catalog is refetched: `None` when `catalog.fetch` is off or
    /// `catalog.refresh_secs` is 0.
    pub fn catalog_refresh(&self) -> Option<Duration> {
        (self.catalog.fetch && self.catalog.refresh_secs > 0)
            .then(|| Duration::from_secs(self.catalog.refresh_secs))
    }

    pub fn catalog_timeout(&self) -> Duration {
        Duration::from_millis(self.catalog.timeout_ms)
    }

    pub fn window(&self) -> Duration {
        Duration::from_millis(self.stream.window_ms)
    }

    pub fn drain_timeout(&self) -> Duration {
        Duration::from_millis(self.drain_timeout_ms)
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
