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
    logging::init_logging();
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

/// JSON on Lambda, human elsewhere; `RUST_LOG` is one level (as get-ticker's bootstrap).
mod logging {
    use tracing::Level;

    pub fn init_logging() {
        let level = std::env::var("RUST_LOG")
            .ok()
            .and_then(|text| text.trim().parse::<Level>().ok())
            .unwrap_or(Level::INFO);
        let json = match std::env::var("COINKING_LOG_FORMAT").as_deref() {
            Ok("json") => true,
            Ok("human") => false,
            _ => std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some(),
        };
        let builder = tracing_subscriber::fmt()
            .with_max_level(level)
            .with_writer(std::io::stderr);
        if json {
            builder.json().flatten_event(true).init();
        } else {
            builder.init();
        }
    }
}
