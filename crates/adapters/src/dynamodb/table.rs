//! Table set-up for tests and the local run: create the table when it is missing, wait until it
//! is `ACTIVE`, optionally enable TTL. Deployments create the tables from template.yaml (the same
//! definitions), so nothing here runs in a Lambda.

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::create_table::builders::CreateTableFluentBuilder;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, KeySchemaElement, KeyType, ScalarAttributeType, TableStatus,
    TimeToLiveSpecification,
};
use tracing::{info, warn};

use super::{classify, invalid_request};
use crate::error::StoreError;

/// How long [`create_if_missing`] waits for a table to become `ACTIVE`.
pub const TABLE_ACTIVE_TIMEOUT: Duration = Duration::from_secs(60);

pub(crate) fn key(name: &str, key_type: KeyType) -> Result<KeySchemaElement, StoreError> {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(key_type)
        .build()
        .map_err(invalid_request)
}

pub(crate) fn attribute(
    name: &str,
    kind: ScalarAttributeType,
) -> Result<AttributeDefinition, StoreError> {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(kind)
        .build()
        .map_err(invalid_request)
}

/// Sends `definition` (a `CreateTable` naming `table`) if `table` does not exist, then waits
/// until the table is `ACTIVE`. A table created by someone else in between is fine.
pub(crate) async fn create_if_missing(
    client: &Client,
    table: &str,
    definition: CreateTableFluentBuilder,
) -> Result<(), StoreError> {
    let described = client.describe_table().table_name(table).send().await;
    match described {
        Ok(_) => {}
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            match definition.send().await {
                Ok(_) => info!(table, "table created"),
                Err(error)
                    if error
                        .as_service_error()
                        .is_some_and(|e| e.is_resource_in_use_exception()) => {}
                Err(error) => return Err(classify("CreateTable", table, error)),
            }
        }
        Err(error) => return Err(classify("DescribeTable", table, error)),
    }
    wait_until_active(client, table).await
}

async fn wait_until_active(client: &Client, table: &str) -> Result<(), StoreError> {
    let deadline = tokio::time::Instant::now() + TABLE_ACTIVE_TIMEOUT;
    loop {
        let described = client
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(|error| classify("DescribeTable", table, error))?;
        let status = described.table.and_then(|t| t.table_status);
        if status == Some(TableStatus::Active) {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(StoreError::DynamoDb {
                operation: "DescribeTable",
                table: table.to_owned(),
                retryable: true,
                message: format!("not ACTIVE after {TABLE_ACTIVE_TIMEOUT:?} (status {status:?})"),
            });
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Enables TTL on `attribute`. A server that refuses (dynalite has no `UpdateTimeToLive`, and
/// DynamoDB refuses to enable TTL twice) is logged and tolerated: in a test or the local run,
/// items simply never expire.
pub(crate) async fn enable_ttl(
    client: &Client,
    table: &str,
    attribute: &str,
) -> Result<(), StoreError> {
    let specification = TimeToLiveSpecification::builder()
        .attribute_name(attribute)
        .enabled(true)
        .build()
        .map_err(invalid_request)?;
    let updated = client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(specification)
        .send()
        .await;
    match updated {
        Ok(_) => Ok(()),
        Err(SdkError::ServiceError(service)) => {
            warn!(
                table,
                code = service.err().code().unwrap_or("unknown"),
                "could not enable TTL on the table, items will not expire"
            );
            Ok(())
        }
        Err(error) => Err(classify("UpdateTimeToLive", table, error)),
    }
}
