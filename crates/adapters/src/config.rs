//! Typed settings, read once from the environment, with defaults that work on a laptop.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `COINKING_AWS_REGION` | `AWS_REGION` (set by Lambda/ECS), else `us-east-1` | region for every AWS client |
//! | `COINKING_DYNAMODB_ENDPOINT` | unset (the real service) | e.g. `http://127.0.0.1:4567` (dynalite) |
//! | `COINKING_KINESIS_ENDPOINT` | unset (the real service) | e.g. `http://127.0.0.1:4569` (kinesalite) |
//! | `COINKING_S3_ENDPOINT` | unset (the real service) | e.g. `http://127.0.0.1:5055` (moto) |
//! | `COINKING_KAFKA_BROKERS` | `127.0.0.1:9092` | bootstrap servers, `host:port[,host:port…]` |
//! | `COINKING_KAFKA_SESSION_TIMEOUT_MS` | `10000` | consumer group session timeout |
//! | `COINKING_KAFKA_DELIVERY_TIMEOUT_MS` | `30000` | how long the producer retries one message |
//! | `COINKING_KAFKA_REPLICATION_FACTOR` | `-1` | for topics the service creates; `-1` = the broker's default |
//!
//! An empty variable counts as unset. Endpoint overrides exist for local stand-ins and tests;
//! production leaves them unset so the SDK resolves the real regional endpoints.

use std::time::Duration;

use crate::error::StoreError;

pub const ENV_AWS_REGION: &str = "COINKING_AWS_REGION";
pub const ENV_DYNAMODB_ENDPOINT: &str = "COINKING_DYNAMODB_ENDPOINT";
pub const ENV_KINESIS_ENDPOINT: &str = "COINKING_KINESIS_ENDPOINT";
pub const ENV_S3_ENDPOINT: &str = "COINKING_S3_ENDPOINT";
pub const ENV_KAFKA_BROKERS: &str = "COINKING_KAFKA_BROKERS";
pub const ENV_KAFKA_SESSION_TIMEOUT_MS: &str = "COINKING_KAFKA_SESSION_TIMEOUT_MS";
pub const ENV_KAFKA_DELIVERY_TIMEOUT_MS: &str = "COINKING_KAFKA_DELIVERY_TIMEOUT_MS";
pub const ENV_KAFKA_REPLICATION_FACTOR: &str = "COINKING_KAFKA_REPLICATION_FACTOR";

/// DynamoDB's table-name rule, for configured table names: 3–255 characters of
/// `a-z A-Z 0-9 _ - .`. Checked at start-up, so a typo fails the deployment rather than every
/// request.
pub fn check_table_name(name: &str) -> Result<(), &'static str> {
    let valid = (3..=255).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if valid {
        Ok(())
    } else {
        Err("must be 3 to 255 characters of a-z, A-Z, 0-9, `_`, `-`, `.`")
    }
}

pub const DEFAULT_AWS_REGION: &str = "us-east-1";
/// The region variable the Lambda and ECS runtimes set; used when `COINKING_AWS_REGION` is not.
pub const RUNTIME_AWS_REGION: &str = "AWS_REGION";
pub const DEFAULT_KAFKA_BROKERS: &str = "127.0.0.1:9092";
pub const DEFAULT_KAFKA_SESSION_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_KAFKA_DELIVERY_TIMEOUT: Duration = Duration::from_secs(30);
/// `-1` asks the broker for its `default.replication.factor` (Kafka 2.4+, MSK, tansu).
pub const DEFAULT_KAFKA_REPLICATION_FACTOR: i32 = -1;

/// Standard AWS variables any of which means "the environment brings its own credentials"
/// (access keys, a profile, a web identity or a container role, as on Lambda and Fargate).
const AWS_CREDENTIAL_VARIABLES: [&str; 5] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_PROFILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
];

/// Endpoint overrides, one per AWS service; `None` means the real regional endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceEndpoints {
    pub dynamodb: Option<String>,
    pub kinesis: Option<String>,
    pub s3: Option<String>,
}

/// Everything the AWS client builders need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsSettings {
    pub region: String,
    pub endpoints: ServiceEndpoints,
    /// Whether the environment names AWS credentials of its own (keys, profile, web identity or container role).
    pub environment_has_credentials: bool,
}

impl AwsSettings {
    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<Self, StoreError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `lookup`, which answers like `std::env::var(name).ok()`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, StoreError> {
        // Lambda and ECS set AWS_REGION to where the task runs; template.yaml does not repeat it.
        let region = non_empty(&lookup, ENV_AWS_REGION)
            .or_else(|| non_empty(&lookup, RUNTIME_AWS_REGION))
            .unwrap_or_else(|| DEFAULT_AWS_REGION.into());
        let endpoints = ServiceEndpoints {
            dynamodb: endpoint(&lookup, ENV_DYNAMODB_ENDPOINT)?,
            kinesis: endpoint(&lookup, ENV_KINESIS_ENDPOINT)?,
            s3: endpoint(&lookup, ENV_S3_ENDPOINT)?,
        };
        let environment_has_credentials = AWS_CREDENTIAL_VARIABLES
            .iter()
            .any(|name| non_empty(&lookup, name).is_some());
        Ok(Self {
            region,
            endpoints,
            environment_has_credentials,
        })
    }

    /// A client talks to `endpoint` with fixed local credentials only when the endpoint is
    /// overridden (a stand-in on this machine) and the environment brings no credentials:
    /// against real AWS the SDK's default provider chain is always used.
    pub fn uses_local_credentials(&self, endpoint: Option<&str>) -> bool {
        endpoint.is_some() && !self.environment_has_credentials
    }
}

/// Everything the Kafka builders need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaSettings {
    /// `bootstrap.servers`.
    pub brokers: String,
    /// Consumer `session.timeout.ms`: how long a silent member keeps its partitions.
    pub session_timeout: Duration,
    /// Producer `delivery.timeout.ms`: bounds every delivery future.
    pub delivery_timeout: Duration,
    /// Replication factor of topics the ingester creates (`KafkaAdmin::ensure_topic` in
    /// `coinking_ingester::kafka`).
    pub replication_factor: i32,
}

impl Default for KafkaSettings {
    fn default() -> Self {
        Self {
            brokers: DEFAULT_KAFKA_BROKERS.into(),
            session_timeout: DEFAULT_KAFKA_SESSION_TIMEOUT,
            delivery_timeout: DEFAULT_KAFKA_DELIVERY_TIMEOUT,
            replication_factor: DEFAULT_KAFKA_REPLICATION_FACTOR,
        }
    }
}

impl KafkaSettings {
    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<Self, StoreError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `lookup`, which answers like `std::env::var(name).ok()`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, StoreError> {
        let defaults = Self::default();
        let brokers = match non_empty(&lookup, ENV_KAFKA_BROKERS) {
            Some(brokers) => validate_brokers(brokers)?,
            None => defaults.brokers,
        };
        let session_timeout =
            millis(&lookup, ENV_KAFKA_SESSION_TIMEOUT_MS)?.unwrap_or(defaults.session_timeout);
        let delivery_timeout =
            millis(&lookup, ENV_KAFKA_DELIVERY_TIMEOUT_MS)?.unwrap_or(defaults.delivery_timeout);
        let replication_factor = match non_empty(&lookup, ENV_KAFKA_REPLICATION_FACTOR) {
            Some(text) => parse_replication_factor(&text)?,
            None => defaults.replication_factor,
        };
        Ok(Self {
            brokers,
            session_timeout,
            delivery_timeout,
            replication_factor,
        })
    }
}

fn non_empty(lookup: &impl Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    lookup(name)
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

fn endpoint(
    lookup: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
) -> Result<Option<String>, StoreError> {
    let Some(url) = non_empty(lookup, variable) else {
        return Ok(None);
    };
    let host = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"));
    match host {
        Some(rest) if !rest.is_empty() && !rest.starts_with('/') => Ok(Some(url)),
        _ => Err(StoreError::Config {
            variable,
            reason: format!("{url:?} is not an http:// or https:// URL with a host"),
        }),
    }
}

fn validate_brokers(brokers: String) -> Result<String, StoreError> {
    for broker in brokers.split(',') {
        let valid = broker
            .trim()
            .rsplit_once(':')
            .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
        if !valid {
            return Err(StoreError::Config {
                variable: ENV_KAFKA_BROKERS,
                reason: format!("{broker:?} is not host:port"),
            });
        }
    }
    Ok(brokers)
}

fn millis(
    lookup: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
) -> Result<Option<Duration>, StoreError> {
    let Some(text) = non_empty(lookup, variable) else {
        return Ok(None);
    };
    match text.parse::<u64>() {
        Ok(ms) if ms > 0 => Ok(Some(Duration::from_millis(ms))),
        _ => Err(StoreError::Config {
            variable,
            reason: format!("{text:?} is not a positive number of milliseconds"),
        }),
    }
}

fn parse_replication_factor(text: &str) -> Result<i32, StoreError> {
    match text.parse::<i32>() {
        Ok(factor) if factor == -1 || factor >= 1 => Ok(factor),
        _ => Err(StoreError::Config {
            variable: ENV_KAFKA_REPLICATION_FACTOR,
            reason: format!("{text:?} is neither -1 (broker default) nor a positive count"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn lookup_in(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn table_names_follow_dynamodb_s_rule() {
        for good in ["abc", "coinking-market", "a.b_c-D9", &"t".repeat(255)] {
            assert_eq!(check_table_name(good), Ok(()), "{good}");
        }
        for bad in ["", "ab", "has space", "sla/sh", &"t".repeat(256)] {
            assert!(check_table_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_empty_environment_means_real_aws_in_us_east_1() {
        let settings = AwsSettings::from_lookup(lookup_in(&[])).unwrap();
        assert_eq!(settings.region, "us-east-1");
        assert_eq!(settings.endpoints, ServiceEndpoints::default());
        assert!(!settings.uses_local_credentials(settings.endpoints.s3.as_deref()));
    }

    #[test]
    fn the_runtime_region_is_used_unless_coinking_aws_region_overrides_it() {
        let on_lambda =
            AwsSettings::from_lookup(lookup_in(&[(RUNTIME_AWS_REGION, "ap-northeast-2")])).unwrap();
        assert_eq!(on_lambda.region, "ap-northeast-2");
        let overridden = AwsSettings::from_lookup(lookup_in(&[
            (RUNTIME_AWS_REGION, "ap-northeast-2"),
            (ENV_AWS_REGION, "eu-west-1"),
        ]))
        .unwrap();
        assert_eq!(overridden.region, "eu-west-1");
    }

    #[test]
    fn endpoint_overrides_are_read_per_service_and_blank_counts_as_unset() {
        let settings = AwsSettings::from_lookup(lookup_in(&[
            (ENV_AWS_REGION, "ap-northeast-2"),
            (ENV_DYNAMODB_ENDPOINT, "http://127.0.0.1:4567"),
            (ENV_KINESIS_ENDPOINT, "  "),
            (ENV_S3_ENDPOINT, "https://s3.local.test:5055"),
        ]))
        .unwrap();
        assert_eq!(settings.region, "ap-northeast-2");
        assert_eq!(
            settings.endpoints.dynamodb.as_deref(),
            Some("http://127.0.0.1:4567")
        );
        assert_eq!(settings.endpoints.kinesis, None);
        assert_eq!(
            settings.endpoints.s3.as_deref(),
            Some("https://s3.local.test:5055")
        );
    }

    #[test]
    fn local_credentials_only_for_an_overridden_endpoint_without_environment_credentials() {
        let local =
            AwsSettings::from_lookup(lookup_in(&[(ENV_S3_ENDPOINT, "http://127.0.0.1:5055")]))
                .unwrap();
        assert!(local.uses_local_credentials(local.endpoints.s3.as_deref()));
        assert!(!local.uses_local_credentials(local.endpoints.dynamodb.as_deref()));

        let with_profile = AwsSettings::from_lookup(lookup_in(&[
            (ENV_S3_ENDPOINT, "http://127.0.0.1:5055"),
            ("AWS_PROFILE", "dev"),
        ]))
        .unwrap();
        assert!(!with_profile.uses_local_credentials(with_profile.endpoints.s3.as_deref()));
    }

    #[test]
    fn rejects_an_endpoint_that_is_not_an_http_url() {
        let error =
            AwsSettings::from_lookup(lookup_in(&[(ENV_KINESIS_ENDPOINT, "127.0.0.1:4569")]))
                .unwrap_err();
        assert!(matches!(
            error,
            StoreError::Config {
                variable: ENV_KINESIS_ENDPOINT,
                ..
            }
        ));
    }

    #[test]
    fn kafka_defaults_point_at_the_local_broker() {
        let settings = KafkaSettings::from_lookup(lookup_in(&[])).unwrap();
        assert_eq!(settings, KafkaSettings::default());
        assert_eq!(settings.brokers, "127.0.0.1:9092");
    }

    #[test]
    fn kafka_settings_are_read_and_validated() {
        let settings = KafkaSettings::from_lookup(lookup_in(&[
            (
                ENV_KAFKA_BROKERS,
                "b-1.msk.internal:9092,b-2.msk.internal:9092",
            ),
            (ENV_KAFKA_SESSION_TIMEOUT_MS, "6000"),
            (ENV_KAFKA_REPLICATION_FACTOR, "3"),
        ]))
        .unwrap();
        assert_eq!(
            settings.brokers,
            "b-1.msk.internal:9092,b-2.msk.internal:9092"
        );
        assert_eq!(settings.session_timeout, Duration::from_secs(6));
        assert_eq!(settings.replication_factor, 3);

        for (variable, value) in [
            (ENV_KAFKA_BROKERS, "localhost"),
            (ENV_KAFKA_SESSION_TIMEOUT_MS, "soon"),
            (ENV_KAFKA_DELIVERY_TIMEOUT_MS, "0"),
            (ENV_KAFKA_REPLICATION_FACTOR, "0"),
        ] {
            let error = KafkaSettings::from_lookup(lookup_in(&[(variable, value)])).unwrap_err();
            assert!(
                matches!(error, StoreError::Config { variable: rejected, .. } if rejected == variable),
                "{variable}={value} gave {error}"
            );
        }
    }
}
