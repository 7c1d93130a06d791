//! `BatchWriteItem` for both adapters: requests in chunks of [`BATCH_WRITE_MAX_ITEMS`], each
//! chunk resubmitting whatever DynamoDB leaves in `UnprocessedItems`, with the adapters' one
//! [`RetryPolicy`]. After the last attempt the error names every item not written; items already
//! written stay written (every batch write of the platform is an idempotent put, so the caller
//! simply retries the call).

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use tracing::warn;

use super::item::{Item, describe_key};
use super::{classify, invalid_request};
use crate::RetryPolicy;
use crate::error::StoreError;

/// DynamoDB's limit on the requests of one `BatchWriteItem` call.
pub const BATCH_WRITE_MAX_ITEMS: usize = 25;

pub(crate) fn put_request(item: Item) -> Result<WriteRequest, StoreError> {
    let put = PutRequest::builder()
        .set_item(Some(item))
        .build()
        .map_err(invalid_request)?;
    Ok(WriteRequest::builder().put_request(put).build())
}

fn describe_request(request: &WriteRequest) -> String {
    if let Some(put) = request.put_request() {
        return describe_key(put.item());
    }
    if let Some(delete) = request.delete_request() {
        return describe_key(delete.key());
    }
    "?".to_owned()
}

/// One `BatchWriteItem` call: sends `requests`, answers the ones left unprocessed.
pub(crate) trait BatchSender: Send + Sync {
    fn send(
        &self,
        requests: Vec<WriteRequest>,
    ) -> impl Future<Output = Result<Vec<WriteRequest>, StoreError>> + Send;
}

/// The real [`BatchSender`]: one SDK call per chunk, counted in `calls` when the adapter keeps
/// a count of its requests.
pub(crate) struct SdkBatchSender<'a> {
    pub client: &'a Client,
    pub table: &'a str,
    pub calls: Option<&'a AtomicU64>,
}

impl BatchSender for SdkBatchSender<'_> {
    async fn send(&self, requests: Vec<WriteRequest>) -> Result<Vec<WriteRequest>, StoreError> {
        if let Some(calls) = self.calls {
            calls.fetch_add(1, Ordering::Relaxed);
        }
        let output = self
            .client
            .batch_write_item()
            .request_items(self.table, requests)
            .send()
            .await
            .map_err(|error| classify("BatchWriteItem", self.table, error))?;
        Ok(output
            .unprocessed_items
            .and_then(|mut unprocessed| unprocessed.remove(self.table))
            .unwrap_or_default())
    }
}

/// Writes `requests` in chunks of [`BATCH_WRITE_MAX_ITEMS`], at most `concurrency` chunks in
/// flight. With a concurrency of 1 the chunks go one after the other in order, so a request
/// placed last lands only after every other (the hint set's own item relies on it). The first
/// failed chunk ends the call.
pub(crate) async fn write_in_chunks(
    sender: &impl BatchSender,
    table: &str,
    mut requests: Vec<WriteRequest>,
    policy: &RetryPolicy,
    concurrency: usize,
) -> Result<(), StoreError> {
    let mut chunks = Vec::with_capacity(requests.len().div_ceil(BATCH_WRITE_MAX_ITEMS));
    while !requests.is_empty() {
        let rest = requests.split_off(requests.len().min(BATCH_WRITE_MAX_ITEMS));
        chunks.push(std::mem::replace(&mut requests, rest));
    }
    stream::iter(chunks)
        .map(|chunk| write_batch(sender, table, chunk, policy))
        .buffer_unordered(concurrency.max(1))
        .try_collect::<Vec<()>>()
        .await?;
    Ok(())
}

/// Sends `requests` (at most [`BATCH_WRITE_MAX_ITEMS`]) and resubmits whatever comes back
/// unprocessed, waiting a jittered, growing delay between attempts; after
/// `policy.max_attempts` the error names every item not written.
pub(crate) async fn write_batch(
    sender: &impl BatchSender,
    table: &str,
    requests: Vec<WriteRequest>,
    policy: &RetryPolicy,
) -> Result<(), StoreError> {
    let mut pending = requests;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let unprocessed = sender.send(pending).await?;
        if unprocessed.is_empty() {
            return Ok(());
        }
        if attempt >= policy.max_attempts.max(1) {
            return Err(StoreError::Unprocessed {
                table: table.to_owned(),
                attempts: attempt,
                keys: unprocessed.iter().map(describe_request).collect(),
            });
        }
        let wait = policy.backoff(attempt);
        warn!(
            table,
            attempt,
            unprocessed = unprocessed.len(),
            wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
            "batch write left items unprocessed, retrying"
        );
        tokio::time::sleep(wait).await;
        pending = unprocessed;
    }
}

#[cfg(test)]
#[path = "batch_tests.rs"]
mod tests;
