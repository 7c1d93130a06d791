//! AWS SDK clients: one shared [`SdkConfig`] (region, rustls + ring HTTPS client), then one
//! client per service with its endpoint override and, for local stand-ins only, fixed credentials.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use std::time::Duration;

use aws_sdk_dynamodb::config::Credentials;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};

use crate::config::AwsSettings;

/// Name the fixed local credentials report as their provider (shows up in SDK debug logs).
const LOCAL_CREDENTIALS_PROVIDER: &str = "coinking-local-stand-in";

/// Loads the shared SDK configuration once per process: region from the settings, credentials
/// from the default provider chain (environment, profile, web identity, container, IMDS).
pub async fn sdk_config(settings: &AwsSettings) -> SdkConfig {
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https();
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(settings.region.clone()))
        .http_client(http_client)
        .load()
        .await
}

/// Stand-ins accept any signature but still require a well-formed signed request.
fn local_credentials() -> Credentials {
    Credentials::new(
        "coinking-local",
        "coinking-local",
        None,
        None,
        LOCAL_CREDENTIALS_PROVIDER,
    )
}

/// Attempts per DynamoDB call made by the SDK itself (transport-level retries of throttling,
/// 5xx, timeouts and I/O errors, with capped exponential backoff and full jitter).
pub const DYNAMODB_MAX_ATTEMPTS: u32 = 4;
/// First backoff ceiling of the SDK's DynamoDB retries (DynamoDB recovers from throttling in
/// tens of milliseconds; the SDK's 1 s default is meant for control-plane calls).
pub const DYNAMODB_INITIAL_BACKOFF: Duration = Duration::from_millis(50);
/// Cap of the SDK's backoff between DynamoDB attempts.
pub const DYNAMODB_MAX_BACKOFF: Duration = Duration::from_secs(2);
/// One DynamoDB attempt that takes longer than this is abandoned and retried.
pub const DYNAMODB_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(3);
/// Bound of one DynamoDB call including all its attempts.
pub const DYNAMODB_OPERATION_TIMEOUT: Duration = Duration::from_secs(15);

/// A DynamoDB client, pointed at `COINKING_DYNAMODB_ENDPOINT` when set. Retries and timeouts
/// are set explicitly (see `market_store::retry` for which layer retries what).
pub fn dynamodb_client(sdk: &SdkConfig, settings: &AwsSettings) -> aws_sdk_dynamodb::Client {
    let endpoint = settings.endpoints.dynamodb.as_deref();
    let retry = RetryConfig::standard()
        .with_max_attempts(DYNAMODB_MAX_ATTEMPTS)
        .with_initial_backoff(DYNAMODB_INITIAL_BACKOFF)
        .with_max_backoff(DYNAMODB_MAX_BACKOFF);
    let timeouts = TimeoutConfig::builder()
        .operation_attempt_timeout(DYNAMODB_ATTEMPT_TIMEOUT)
        .operation_timeout(DYNAMODB_OPERATION_TIMEOUT)
        .build();
    let mut builder = aws_sdk_dynamodb::config::Builder::from(sdk)
        .retry_config(retry)
        .timeout_config(timeouts);
    if let Some(url) = endpoint {
        builder = builder.endpoint_url(url);
    }
    if settings.uses_local_credentials(endpoint) {
        builder = builder.credentials_provider(local_credentials());
    }
    aws_sdk_dynamodb::Client::from_conf(builder.build())
}

/// A Kinesis client, pointed at `COINKING_KINESIS_ENDPOINT` when set.
pub fn kinesis_client(sdk: &SdkConfig, settings: &AwsSettings) -> aws_sdk_kinesis::Client {
    let endpoint = settings.endpoints.kinesis.as_deref();
    let mut builder = aws_sdk_kinesis::config::Builder::from(sdk);
    if let Some(url) = endpoint {
        builder = builder.endpoint_url(url);
    }
    if settings.uses_local_credentials(endpoint) {
        builder = builder.credentials_provider(local_credentials());
    }
    aws_sdk_kinesis::Client::from_conf(builder.build())
}

/// An S3 client, pointed at `COINKING_S3_ENDPOINT` when set. Path-style addressing
/// (`http://host/bucket/key`) always: stand-ins on 127.0.0.1 have no per-bucket host names,
/// and real S3 still serves it.
pub fn s3_client(sdk: &SdkConfig, settings: &AwsSettings) -> aws_sdk_s3::Client {
    let endpoint = settings.endpoints.s3.as_deref();
    let mut builder = aws_sdk_s3::config::Builder::from(sdk).force_path_style(true);
    if let Some(url) = endpoint {
        builder = builder.endpoint_url(url);
    }
    if settings.uses_local_credentials(endpoint) {
        builder = builder.credentials_provider(local_credentials());
    }
    aws_sdk_s3::Client::from_conf(builder.build())
}
