//! Lambda entry point: the store once, then the handler for every Kinesis batch.

use clickstream_archiver::{ArchiveTarget, handle};
use coinking_clickstream::Archiver;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    coinking_http::init_logging();
    let archiver = Archiver::new(ArchiveTarget::from_env()?.store()?);
    run(service_fn(|event: LambdaEvent<_>| async {
        Ok::<_, std::convert::Infallible>(handle(&archiver, event.payload).await)
    }))
    .await
}
