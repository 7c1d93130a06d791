#![allow(clippy::unwrap_used)]
//! DynamoDB adapter against dynalite on 127.0.0.1: the single-table key shape from DESIGN.md.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType, TableStatus,
};
use coinking_adapters::aws;
use common::{bounded, must};

/// The latest-ticker write rule: only a newer trade replaces the stored one.
const NEWER_WINS: &str = "attribute_not_exists(sk) OR trade_timestamp < :ts";

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

fn n(value: &str) -> AttributeValue {
    AttributeValue::N(value.to_owned())
}

fn ticker(
    market: &str,
    trade_price: &str,
    trade_timestamp: &str,
) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("pk".to_owned(), s("TICKER")),
        ("sk".to_owned(), s(market)),
        ("trade_price".to_owned(), n(trade_price)),
        ("trade_timestamp".to_owned(), n(trade_timestamp)),
    ])
}

#[tokio::test]
async fn dynamodb_puts_gets_queries_and_enforces_a_condition() {
    let settings = common::aws_settings();
    let endpoint = settings.endpoints.dynamodb.clone().unwrap();
    common::require_service("DynamoDB stand-in (dynalite)", &endpoint);
    let sdk = aws::sdk_config(&settings).await;
    let client = aws::dynamodb_client(&sdk, &settings);
    let table = format!("coinking-test-{}", uuid::Uuid::new_v4());

    create_table(&client, &table).await;
    let cleanup = {
        let (client, table) = (client.clone(), table.clone());
        async move {
            let deleted = bounded(
                "delete table",
                client.delete_table().table_name(&table).send(),
            )
            .await;
            must("delete table", deleted);
        }
    };
    common::with_cleanup(exercise_table(client, table), cleanup).await;
}

async fn create_table(client: &Client, table: &str) {
    let key = |name: &str, key_type| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(key_type)
            .build()
            .unwrap()
    };
    let string_attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .unwrap()
    };
    let created = client
        .create_table()
        .table_name(table)
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .attribute_definitions(string_attribute("pk"))
        .attribute_definitions(string_attribute("sk"))
        .billing_mode(BillingMode::PayPerRequest)
        .send();
    must("create table", bounded("create table", created).await);

    let deadline = tokio::time::Instant::now() + common::WAIT;
    loop {
        let described = bounded(
            "describe table",
            client.describe_table().table_name(table).send(),
        )
        .await;
        let status = must("describe table", described)
            .table
            .and_then(|t| t.table_status);
        if status == Some(TableStatus::Active) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "table {table} not ACTIVE: {status:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn exercise_table(client: Client, table: String) {
    let btc = ticker("KRW-BTC", "82635000", "1732500000000");
    let eth = ticker("KRW-ETH", "4712000", "1732500000100");
    // DynamoDB stores numbers canonically: "1712.50" is read back as "1712.5". Exact
    // decimals survive, their wire spelling does not.
    let xrp_as_written = ticker("KRW-XRP", "1712.50", "1732500000200");
    let xrp = ticker("KRW-XRP", "1712.5", "1732500000200");
    let catalog_entry = HashMap::from([
        ("pk".to_owned(), s("MARKET")),
        ("sk".to_owned(), s("KRW-BTC")),
        ("korean_name".to_owned(), s("비트코인")),
    ]);
    // Out of key order on purpose: the Query must come back sorted by sk.
    for item in [&xrp_as_written, &btc, &catalog_entry, &eth] {
        let put = client
            .put_item()
            .table_name(&table)
            .set_item(Some(item.clone()))
            .send();
        must("put item", bounded("put item", put).await);
    }

    let got = client
        .get_item()
        .table_name(&table)
        .key("pk", s("TICKER"))
        .key("sk", s("KRW-BTC"))
        .consistent_read(true)
        .send();
    let got = must("get item", bounded("get item", got).await);
    assert_eq!(got.item, Some(btc.clone()));

    let queried = client
        .query()
        .table_name(&table)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", s("TICKER"))
        .consistent_read(true)
        .send();
    let queried = must("query", bounded("query", queried).await);
    assert_eq!(queried.items, Some(vec![btc.clone(), eth, xrp]));

    // An older trade must not overwrite the stored one: the server evaluates the condition.
    let older = ticker("KRW-BTC", "80000000", "1732499999999");
    let rejected = client
        .put_item()
        .table_name(&table)
        .set_item(Some(older))
        .condition_expression(NEWER_WINS)
        .expression_attribute_values(":ts", n("1732499999999"))
        .send();
    let error = bounded("conditional put (older)", rejected)
        .await
        .expect_err("a put with an older trade_timestamp must fail its condition");
    assert!(
        error
            .as_service_error()
            .is_some_and(|e| e.is_conditional_check_failed_exception()),
        "expected ConditionalCheckFailedException, got {}",
        aws_sdk_dynamodb::error::DisplayErrorContext(&error)
    );

    // A newer trade passes the same condition.
    let newer = ticker("KRW-BTC", "83000000", "1732500001000");
    let accepted = client
        .put_item()
        .table_name(&table)
        .set_item(Some(newer.clone()))
        .condition_expression(NEWER_WINS)
        .expression_attribute_values(":ts", n("1732500001000"))
        .send();
    must(
        "conditional put (newer)",
        bounded("conditional put (newer)", accepted).await,
    );

    let after = client
        .get_item()
        .table_name(&table)
        .key("pk", s("TICKER"))
        .key("sk", s("KRW-BTC"))
        .consistent_read(true)
        .send();
    assert_eq!(
        must("get item", bounded("get item", after).await).item,
        Some(newer)
    );
}
