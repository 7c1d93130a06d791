//! The leaderboard bootstrap: config, one DynamoDB client, Redis in front with a cache, the loop.

use coinking_adapters::AwsSettings;
use coinking_adapters::aws::{DynamoDbBudget, dynamodb_client_with_budget, lambda_sdk_config};
use coinking_adapters::leaderboard::{
    DynamoDbLeaderboard, LeaderboardConfig, RedisLeaderboard, WriteThroughLeaderboard,
};
use coinking_adapters::market_store::{DynamoDbMarketStore, DynamoDbStoreConfig};
use coinking_adapters::market_store::{RedisMarketStore, TieredMarketStore};
use coinking_adapters::redis_client::{DEFAULT_PREFIX, connect, url_from_env};
use lambda_http::Error;
use leaderboard::{Config, Deps, serve};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    coinking_http::init_logging();
    let config = Config::from_env()?;
    let aws = AwsSettings::from_env()?;
    let sdk = lambda_sdk_config(&aws);
    // A player waits on every call: a short budget, so a slow table is a JSON 503 within 3 s.
    let client = dynamodb_client_with_budget(&sdk, &aws, DynamoDbBudget::INTERACTIVE);
    let (mut players, mut market) = (LeaderboardConfig::default(), DynamoDbStoreConfig::default());
    if let Some(table) = &config.leaderboard_table {
        players.table.clone_from(table);
    }
    if let Some(table) = &config.market_table {
        market.table.clone_from(table);
    }
    let durable = DynamoDbLeaderboard::new(client.clone(), players);
    let candles = DynamoDbMarketStore::new(client, market);
    // With the cache (EnableCache): rank pages from Redis, DynamoDB the source of truth.
    let Some(url) = url_from_env() else {
        return serve(Deps::new(durable, candles, config)).await;
    };
    let redis = connect(&url).await?;
    let cache = RedisLeaderboard::new(redis.clone(), DEFAULT_PREFIX);
    let board = WriteThroughLeaderboard::new(durable, cache);
    let candles = TieredMarketStore::new(RedisMarketStore::new(redis, DEFAULT_PREFIX), candles);
    serve(Deps::new(board, candles, config)).await
}
