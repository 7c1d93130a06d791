//! The ingest side as one task chain: [`UpbitSource`] → bounded channel → [`Normalizer`] →
//! [`RecordSink`].
//!
//! Shutdown: the source closes its connections when `shutdown` resolves and drops its end of the
//! channel; the transform then hands on what is left and flushes the sink (up to
//! `drain_timeout`). A sink error other than a full queue (which only waits) stops the chain.

use std::future::Future;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::error::IngesterError;
use crate::sinks::RecordSink;
use crate::sources::{SourceEvent, UpbitSource};
use crate::transforms::Normalizer;

/// Frames buffered between the source and the transform.
pub const SOURCE_CHANNEL_CAPACITY: usize = 1024;

/// Runs source → transform → `sink` until `shutdown`, then drains (see the module doc).
pub async fn run_ingest<K: RecordSink>(
    source: UpbitSource,
    mut normalizer: Normalizer,
    sink: &K,
    shutdown: impl Future<Output = ()> + Send + 'static,
    drain_timeout: Duration,
) -> Result<(), IngesterError> {
    let (frames_out, mut frames) = mpsc::channel::<SourceEvent>(SOURCE_CHANNEL_CAPACITY);
    let source_task = tokio::spawn(source.run(frames_out, shutdown));
    let mut records = Vec::new();
    let mut failure = None;
    while let Some(event) = frames.recv().await {
        normalizer.apply(&event.frame, &mut records);
        for record in records.drain(..) {
            if let Err(error) = sink.publish(record).await {
                failure = Some(error);
                break;
            }
        }
        if failure.is_some() {
            break;
        }
    }
    // Closing our end makes the source's slots stop on their next send.
    drop(frames);
    let source_result = source_task
        .await
        .map_err(|error| IngesterError::Task(format!("upbit source: {error}")))?;
    if let Some(error) = failure {
        return Err(error.into());
    }
    source_result?;
    sink.flush(drain_timeout).await?;
    tracing::info!("ingest drained");
    Ok(())
}
