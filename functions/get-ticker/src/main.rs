//! The get-ticker bootstrap: logging, typed config, one DynamoDB client, then the runtime loop.

use coinking_adapters::AwsSettings;
use coinking_adapters::aws::{DynamoDbBudget, dynamodb_client_with_budget, lambda_sdk_config};
use coinking_adapters::market_store::{DynamoDbMarketStore, DynamoDbStoreConfig};
use get_ticker::{Deps, TickerConfig, handle};
use lambda_http::{Error, service_fn};
use logging::init_logging;

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

/// JSON on Lambda (CloudWatch parses it), human elsewhere. `RUST_LOG` is one level (template.yaml's
/// `LogLevel`: error, warn, info, debug, trace); a plain level filter instead of `EnvFilter`
/// keeps the regex engine out of the bootstrap (about a megabyte).
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
