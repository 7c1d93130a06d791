//! AWS SDK clients: one shared [`SdkConfig`] (region, rustls + ring HTTPS client), then one
//! client per service with its endpoint override and, for local stand-ins only, fixed credentials.

use aws_config::environment::EnvironmentVariableCredentialsProvider;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_async::rt::sleep::default_async_sleep;
use aws_smithy_async::time::SystemTimeSource;
use std::time::Duration;

use aws_sdk_dynamodb::config::Credentials;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};

use crate::config::AwsSettings;

/// Name the fixed local credentials report as their provider (shows up in SDK debug logs).
const LOCAL_CREDENTIALS_PROVIDER: &str = "coinking-local-stand-in";

/// Loads the shared SDK configuration once per process: region from the settings, credentials
/// from the default provider chain (environment, profile, web identity, container, IMDS).
pub async fn sdk_config(settings: &AwsSettings) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(settings.region.clone()))
        .http_client(https_client())
        .load()
        .await
}

/// The shared SDK configuration of a Lambda bootstrap: like [`sdk_config`] (region from the
/// settings, the same HTTPS client), but credentials only from the environment, which is where
/// the Lambda runtime puts the function role's (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
/// `AWS_SESSION_TOKEN`). Why not the default chain: it links STS, SSO, IMDS, ECS and profile-file
/// support, about a fifth of a bootstrap (README "Benchmarks", get-ticker), none of which a
/// Lambda can use.
pub fn lambda_sdk_config(settings: &AwsSettings) -> SdkConfig {
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(LAMBDA_CONNECT_TIMEOUT)
        .build();
    let mut builder = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(settings.region.clone()))
        .http_client(https_client())
        .timeout_config(timeouts)
        .time_source(SystemTimeSource::new())
        .credentials_provider(SharedCredentialsProvider::new(
            EnvironmentVariableCredentialsProvider::new(),
        ));
    if let Some(sleep) = default_async_sleep() {
        builder = builder.sleep_impl(sleep);
    }
    builder.build()
}

/// Both configurations' HTTPS client: rustls with ring (no aws-lc-sys to build or link).
fn https_client() -> aws_sdk_dynamodb::config::SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// The default chain's connect timeout (aws-config's), kept for [`lambda_sdk_config`].
const LAMBDA_CONNECT_TIMEOUT: Duration = Duration::from_millis(3100);

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

/// How long one DynamoDB call may take, retries included: the SDK's own attempts (transport-level
/// retries of throttling, 5xx, timeouts and I/O errors, capped exponential backoff with full
/// jitter) and the time limits around them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DynamoDbBudget {
    /// Attempts per call made by the SDK itself.
    pub max_attempts: u32,
    /// First backoff ceiling (DynamoDB recovers from throttling in tens of milliseconds; the
    /// SDK's 1 s default is meant for control-plane calls).
    pub initial_backoff: Duration,
    /// Cap of the backoff between attempts.
    pub max_backoff: Duration,
    /// One attempt that takes longer than this is abandoned and retried.
    pub attempt_timeout: Duration,
    /// Bound of one call including all its attempts.
    pub operation_timeout: Duration,
}

impl DynamoDbBudget {
    /// Background writers (the stream stage): patient, because a failed flush is retried anyway
    /// and nothing is committed meanwhile.
    pub const BACKGROUND: Self = Self {
        max_attempts: DYNAMODB_MAX_ATTEMPTS,
        initial_backoff: DYNAMODB_INITIAL_BACKOFF,
        max_backoff: DYNAMODB_MAX_BACKOFF,
        attempt_timeout: DYNAMODB_ATTEMPT_TIMEOUT,
        operation_timeout: DYNAMODB_OPERATION_TIMEOUT,
    };
    /// Requests a player is waiting for (get-ticker, polled every second): give up after 3 s,
    /// well inside the Lambda's 10 s timeout, so the caller gets the handler's JSON 503 rather
    /// than API Gateway's timeout, and the next poll simply tries again.
    pub const INTERACTIVE: Self = Self {
        max_attempts: 3,
        initial_backoff: DYNAMODB_INITIAL_BACKOFF,
        max_backoff: Duration::from_millis(500),
        attempt_timeout: Duration::from_secs(1),
        operation_timeout: Duration::from_secs(3),
    };
}

/// [`DynamoDbBudget::BACKGROUND`]'s attempts per call.
pub const DYNAMODB_MAX_ATTEMPTS: u32 = 4;
/// [`DynamoDbBudget::BACKGROUND`]'s first backoff ceiling.
pub const DYNAMODB_INITIAL_BACKOFF: Duration = Duration::from_millis(50);
/// [`DynamoDbBudget::BACKGROUND`]'s backoff cap.
pub const DYNAMODB_MAX_BACKOFF: Duration = Duration::from_secs(2);
/// [`DynamoDbBudget::BACKGROUND`]'s time limit per attempt.
pub const DYNAMODB_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(3);
/// [`DynamoDbBudget::BACKGROUND`]'s time limit per call.
pub const DYNAMODB_OPERATION_TIMEOUT: Duration = Duration::from_secs(15);

/// A DynamoDB client for background writers ([`DynamoDbBudget::BACKGROUND`]), pointed at
/// `COINKING_DYNAMODB_ENDPOINT` when set (see `market_store::retry` for which layer retries what).
pub fn dynamodb_client(sdk: &SdkConfig, settings: &AwsSettings) -> aws_sdk_dynamodb::Client {
    dynamodb_client_with_budget(sdk, settings, DynamoDbBudget::BACKGROUND)
}

/// A DynamoDB client whose calls stay within `budget`, pointed at `COINKING_DYNAMODB_ENDPOINT`
/// when set.
pub fn dynamodb_client_with_budget(
    sdk: &SdkConfig,
    settings: &AwsSettings,
    budget: DynamoDbBudget,
) -> aws_sdk_dynamodb::Client {
    let endpoint = settings.endpoints.dynamodb.as_deref();
    let retry = RetryConfig::standard()
        .with_max_attempts(budget.max_attempts)
        .with_initial_backoff(budget.initial_backoff)
        .with_max_backoff(budget.max_backoff);
    let timeouts = TimeoutConfig::builder()
        .operation_attempt_timeout(budget.attempt_timeout)
        .operation_timeout(budget.operation_timeout)
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

/// Whether a failed SDK call can succeed on retry, the one rule of every AWS adapter: transport
/// timeouts and I/O failures, malformed responses, the service's throttling codes
/// (`retryable_codes`) and 5xx statuses are retryable; validation, missing resources, access
/// denied and request construction are not.
pub fn sdk_error_is_retryable<E>(
    error: &SdkError<E, HttpResponse>,
    retryable_codes: &[&str],
) -> bool
where
    E: ProvideErrorMetadata,
{
    match error {
        SdkError::TimeoutError(_) | SdkError::ResponseError(_) => true,
        SdkError::DispatchFailure(failure) => failure.is_timeout() || failure.is_io(),
        SdkError::ServiceError(service) => {
            service
                .err()
                .code()
                .is_some_and(|code| retryable_codes.contains(&code))
                || service.raw().status().is_server_error()
        }
        _ => false,
    }
}
