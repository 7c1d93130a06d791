//! The get-ticker bootstrap: logging, typed config, one DynamoDB client (and, with a cache, one
//! Redis connection in front of it), then the runtime loop.

use coinking_adapters::AwsSettings;
use coinking_adapters::aws::{DynamoDbBudget, dynamodb_client_with_budget, lambda_sdk_config};
use coinking_adapters::market_store::{
    DynamoDbMarketStore, DynamoDbStoreConfig, RedisMarketStore, TieredMarketStore,
};
use coinking_adapters::redis_client::url_from_env;
use coinking_http::init_logging;
use get_ticker::{Deps, TickerConfig, serve};
use lambda_http::Error;

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
    let durable = DynamoDbMarketStore::new(client, store_config);
    // With the cache (template.yaml's EnableCache) the ingester keeps the hot data in Redis only.
    match url_from_env() {
        Some(url) => {
            let hot = RedisMarketStore::connect(&url).await?;
            serve(Deps::new(TieredMarketStore::new(hot, durable), config)).await
        }
        None => serve(Deps::new(durable, config)).await,
    }
}
