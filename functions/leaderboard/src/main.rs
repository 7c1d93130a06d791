//! The leaderboard bootstrap: logging, typed config, one DynamoDB client for both tables, then
//! the runtime loop.

use coinking_adapters::AwsSettings;
use coinking_adapters::aws::{DynamoDbBudget, dynamodb_client_with_budget, lambda_sdk_config};
use coinking_adapters::leaderboard::{DynamoDbLeaderboard, LeaderboardConfig};
use coinking_adapters::market_store::{DynamoDbMarketStore, DynamoDbStoreConfig};
use lambda_http::{Error, service_fn};
use leaderboard::{Config, Deps, handle};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    coinking_http::init_logging();
    let config = Config::from_env()?;
    let aws = AwsSettings::from_env()?;
    let sdk = lambda_sdk_config(&aws);
    // A player waits on every call: a short budget, so a slow table is a JSON 503 within 3 s.
    let client = dynamodb_client_with_budget(&sdk, &aws, DynamoDbBudget::INTERACTIVE);
    let mut players = LeaderboardConfig::default();
    if let Some(table) = &config.leaderboard_table {
        players.table.clone_from(table);
    }
    let mut market = DynamoDbStoreConfig::default();
    if let Some(table) = &config.market_table {
        market.table.clone_from(table);
    }
    let deps = Deps::new(
        DynamoDbLeaderboard::new(client.clone(), players),
        DynamoDbMarketStore::new(client, market),
        config,
    );
    lambda_http::run(service_fn(|request| async {
        Ok::<_, std::convert::Infallible>(handle(&deps, request).await)
    }))
    .await
}
