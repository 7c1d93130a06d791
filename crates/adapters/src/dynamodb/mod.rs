//! What the two DynamoDB adapters (the market store's single table and the leaderboard's table)
//! share, so each rule has one home:
//! - [`item`]: the item type, its `pk`/`sk` key, attribute constructors and a typed reader that
//!   names the item and attribute in every error;
//! - [`classify`]: an SDK error as a retryable or permanent [`StoreError::DynamoDb`];
//! - [`batch`]: `BatchWriteItem` in chunks of 25, resubmitting `UnprocessedItems` with backoff;
//! - [`query`]: one Query followed through `LastEvaluatedKey`;
//! - [`table`]: the table set-up of tests and the local run (deployments use template.yaml).

pub(crate) mod batch;
pub(crate) mod item;
pub(crate) mod query;
pub(crate) mod table;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{BuildError, DisplayErrorContext, ProvideErrorMetadata, SdkError};

use crate::error::StoreError;

/// Error codes that mean "busy, try again later", not "the request is wrong".
const RETRYABLE_CODES: [&str; 8] = [
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "LimitExceededException",
    "InternalServerError",
    "InternalFailure",
    "ServiceUnavailable",
    "TransactionConflictException",
];

/// Turns an SDK error into a [`StoreError::DynamoDb`], retryable by the adapters' one rule
/// ([`crate::aws::sdk_error_is_retryable`]) with DynamoDB's throttling codes.
pub fn classify<E>(
    operation: &'static str,
    table: &str,
    error: SdkError<E, HttpResponse>,
) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let retryable = crate::aws::sdk_error_is_retryable(&error, &RETRYABLE_CODES);
    StoreError::DynamoDb {
        operation,
        table: table.to_owned(),
        retryable,
        message: DisplayErrorContext(&error).to_string(),
    }
}

/// Whether a conditional write was refused because its condition failed: for both adapters an
/// expected answer ("a newer item is stored"), not an error.
pub(crate) fn is_condition_failure<E>(error: &SdkError<E, HttpResponse>) -> bool
where
    E: ProvideErrorMetadata,
{
    matches!(
        error
            .as_service_error()
            .and_then(ProvideErrorMetadata::code),
        Some("ConditionalCheckFailedException")
    )
}

/// A request the SDK's builder refused (a required field missing): our bug, never retried.
pub(crate) fn invalid_request(error: BuildError) -> StoreError {
    StoreError::InvalidRequest(error.to_string())
}

#[cfg(test)]
#[path = "classify_tests.rs"]
mod tests;
