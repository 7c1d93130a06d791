//! Lambda entry point: the store once, then the handler for every Kinesis batch.

use clickstream_archiver::{ArchiveTarget, handle};
use coinking_clickstream::Archiver;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .without_time() // CloudWatch stamps every line
        .init();
    let archiver = Archiver::new(ArchiveTarget::from_env()?.store()?);
    run(service_fn(|event: LambdaEvent<_>| async {
        Ok::<_, std::convert::Infallible>(handle(&archiver, event.payload).await)
    }))
    .await
}
