//! AWS SDK clients: one shared [`SdkConfig`] (region, rustls + ring HTTPS client), then one
//! client per service with its endpoint override and, for local stand-ins only, fixed credentials.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;
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

/// A DynamoDB client, pointed at `COINKING_DYNAMODB_ENDPOINT` when set.
pub fn dynamodb_client(sdk: &SdkConfig, settings: &AwsSettings) -> aws_sdk_dynamodb::Client {
    let endpoint = settings.endpoints.dynamodb.as_deref();
    let mut builder = aws_sdk_dynamodb::config::Builder::from(sdk);
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
