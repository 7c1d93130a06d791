//! `coinking-ingester`: the Fargate service. `ingest` (Upbit → Kafka), `stream` (Kafka →
//! DynamoDB) or `both`, with `/healthz`, `/readyz`, `/metrics` and a graceful drain on
//! SIGTERM/SIGINT. See `coinking_ingester::config` for the configuration.

mod app;
mod cli;

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = cli::Cli::parse();
    coinking_logging::init(cli.log_format);
    let result = app::run(cli).await;
    if let Err(error) = &result {
        tracing::error!(error = format!("{error:#}"), "ingester failed");
    }
    result
}
