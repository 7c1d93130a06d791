//! Lambda entry point: the store once, then the handler for every Kinesis batch.

use clickstream_archiver::{ArchiveTarget, handle};
use coinking_clickstream::Archiver;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

/// Decoding a batch allocates and frees many buffers; glibc's malloc gives fresh pages back
/// and faults them in again (most of a 100,000-record run was page faults), mimalloc keeps
/// them (README "Benchmarks", Clickstream).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    coinking_http::init_logging();
    let archiver = Archiver::new(ArchiveTarget::from_env()?.store()?);
    run(service_fn(|event: LambdaEvent<_>| async {
        Ok::<_, std::convert::Infallible>(handle(&archiver, event.payload).await)
    }))
    .await
}
