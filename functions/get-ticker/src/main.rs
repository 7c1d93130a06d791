//! The get-ticker bootstrap: logging, typed config, one DynamoDB client, then the runtime loop.

use coinking_adapters::AwsSettings;
use coinking_adapters::aws::{DynamoDbBudget, dynamodb_client_with_budget, lambda_sdk_config};
use coinking_adapters::market_store::{DynamoDbMarketStore, DynamoDbStoreConfig};
use coinking_http::init_logging;
use get_ticker::{Deps, TickerConfig, handle};
use lambda_http::{Error, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    init_logging();
    let config = TickerConfig::from_env()?;
    let aws = AwsSettings::from_env()?;
    let sdk = lambda_sdk_config(&aws);
    let mut store_config = DynamoDbStoreConfig::default();
    if let Some(table) = &config.market_table {
        store_config.table.clone_from(table);
    }
    // A player waits on every call: a short budget, so a slow table is a JSON 503 within 3 s.
    let client = dynamodb_client_with_budget(&sdk, &aws, DynamoDbBudget::INTERACTIVE);
    let store = DynamoDbMarketStore::new(client, store_config);
    let deps = Deps::new(store, config);
    lambda_http::run(service_fn(|request| async {
        Ok::<_, std::convert::Infallible>(handle(&deps, request).await)
    }))
    .await
}
