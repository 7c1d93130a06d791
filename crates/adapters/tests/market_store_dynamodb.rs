#![allow(clippy::unwrap_used)]
//! The market-store contract against DynamoDB (dynalite on 127.0.0.1): every case gets its own
//! randomly named table, created with `ensure_table` and deleted afterwards, pass or fail.

mod common;

#[macro_use]
#[path = "contract/market_store.rs"]
mod contract;

use std::future::Future;

use coinking_adapters::aws;
use coinking_adapters::market_store::{DynamoDbMarketStore, DynamoDbStoreConfig, ensure_table};
use common::{bounded, must};

/// Small enough that every Query in the contract crosses page boundaries.
const QUERY_PAGE_SIZE: i32 = 3;

async fn with_table<F, Fut>(case: F)
where
    F: FnOnce(DynamoDbMarketStore) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let settings = common::aws_settings();
    let endpoint = settings.endpoints.dynamodb.clone().unwrap();
    common::require_service("DynamoDB stand-in (dynalite)", &endpoint);
    let sdk = aws::sdk_config(&settings).await;
    let client = aws::dynamodb_client(&sdk, &settings);
    let table = format!("coinking-market-test-{}", uuid::Uuid::new_v4());
    bounded("ensure table", ensure_table(&client, &table))
        .await
        .unwrap();

    let store = DynamoDbMarketStore::new(
        client.clone(),
        DynamoDbStoreConfig {
            table: table.clone(),
            query_page_size: Some(QUERY_PAGE_SIZE),
            consistent_reads: true,
            ..DynamoDbStoreConfig::default()
        },
    );
    let cleanup = async move {
        let deleted = bounded(
            "delete table",
            client.delete_table().table_name(&table).send(),
        )
        .await;
        must("delete table", deleted);
    };
    common::with_cleanup(case(store), cleanup).await;
}

market_store_contract_tests!(with_table);

#[tokio::test]
async fn ensure_table_is_idempotent() {
    let settings = common::aws_settings();
    let endpoint = settings.endpoints.dynamodb.clone().unwrap();
    common::require_service("DynamoDB stand-in (dynalite)", &endpoint);
    let sdk = aws::sdk_config(&settings).await;
    let client = aws::dynamodb_client(&sdk, &settings);
    let table = format!("coinking-market-test-{}", uuid::Uuid::new_v4());

    bounded("ensure table", ensure_table(&client, &table))
        .await
        .unwrap();
    bounded("ensure table again", ensure_table(&client, &table))
        .await
        .unwrap();

    let deleted = bounded(
        "delete table",
        client.delete_table().table_name(&table).send(),
    )
    .await;
    must("delete table", deleted);
}
