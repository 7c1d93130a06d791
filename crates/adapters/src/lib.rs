//! CoinKing adapters: typed service settings and ready-made clients for the platform's
//! managed services. Domain types live in `coinking-core`; this crate is where I/O starts.
//!
//! Module map:
//! - [`config`]: [`AwsSettings`] (region, [`ServiceEndpoints`] overrides) and [`KafkaSettings`],
//!   read once from `COINKING_*` environment variables with local defaults. The Kafka client
//!   code that uses the latter is the ingester's (`coinking_ingester::kafka`), so no crate that
//!   depends on this one links librdkafka.
//! - [`aws`]: the shared SDK config (rustls + ring HTTPS) and DynamoDB, Kinesis and S3 clients.
//! - [`dynamodb`]: what the two DynamoDB adapters share: items and their typed reader, error
//!   classification, batched writes resubmitting `UnprocessedItems`, paged queries, table set-up.
//! - [`error`]: [`StoreError`], the store ports' error, classified as retryable or permanent.
//! - [`leaderboard`]: ports for the players table (best score per player, rankings through
//!   sharded GSIs, the affiliation list), with DynamoDB and in-memory implementations.
//! - [`retry`]: [`RetryPolicy`], the attempts and backoff of every resubmission of a partial
//!   success (DynamoDB `UnprocessedItems`, Kinesis refused records).
//! - [`market_store`]: ports for latest tickers, 1-minute candles and the market catalog, with
//!   DynamoDB (single table), Redis (feature `redis`) and in-memory implementations.
//! - `redis_client` (feature `redis`): the reconnecting Redis connection and its error
//!   classification, shared by the Redis adapters.
//!
//! Locally every service is a stand-in on 127.0.0.1 started by `scripts/services.sh up`
//! (dynalite, kinesalite, moto, tansu, redis-server); see DESIGN.md "Local stand-ins".

// Lets the shared market-store contract suite name this crate the same way from unit tests
// as from integration tests.
#[cfg(test)]
extern crate self as coinking_adapters;

pub mod aws;
pub mod config;
pub mod dynamodb;
pub mod error;
pub mod leaderboard;
pub mod market_store;
#[cfg(feature = "redis")]
pub mod redis_client;
pub mod retry;

pub use config::{AwsSettings, KafkaSettings, ServiceEndpoints};
pub use error::StoreError;
pub use retry::RetryPolicy;
