//! The reads of either adapter: one `GetItem` by key, and one Query followed through
//! `LastEvaluatedKey`. Never a Scan.

use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;

use super::classify;
use super::item::Item;
use crate::error::StoreError;

/// The item stored under `key`, if any; `consistent` asks for a strongly consistent read.
pub(crate) async fn get_item(
    client: &Client,
    table: &str,
    key: Item,
    consistent: bool,
) -> Result<Option<Item>, StoreError> {
    let got = client
        .get_item()
        .table_name(table)
        .set_key(Some(key))
        .consistent_read(consistent)
        .send()
        .await
        .map_err(|error| classify("GetItem", table, error))?;
    Ok(got.item)
}

/// How to page one Query.
pub(crate) struct Paging<'a> {
    /// At most this many items are returned (`usize::MAX`: all of them).
    pub limit: usize,
    /// `Limit` of each page; `None` lets DynamoDB fill 1 MB pages.
    pub page_size: Option<i32>,
    /// Counts each page sent, when the adapter keeps a count of its requests.
    pub calls: Option<&'a AtomicU64>,
}

/// Every item `request` finds, page after page, stopping once `paging.limit` are found.
/// `request` is complete but for `Limit` and `ExclusiveStartKey`, which are set here.
pub(crate) async fn query_all(
    request: QueryFluentBuilder,
    table: &str,
    paging: Paging<'_>,
) -> Result<Vec<Item>, StoreError> {
    let Paging {
        limit,
        page_size,
        calls,
    } = paging;
    let mut found = Vec::new();
    let mut start_key = None;
    while found.len() < limit {
        let mut page_request = request.clone().set_exclusive_start_key(start_key.take());
        // Without a limit and a page size, DynamoDB's own 1 MB pages are the cheapest.
        if limit != usize::MAX || page_size.is_some() {
            let remaining = i32::try_from(limit - found.len()).unwrap_or(i32::MAX);
            page_request =
                page_request.limit(page_size.map_or(remaining, |size| size.min(remaining)));
        }
        if let Some(calls) = calls {
            calls.fetch_add(1, Ordering::Relaxed);
        }
        let page = page_request
            .send()
            .await
            .map_err(|error| classify("Query", table, error))?;
        found.extend(page.items.unwrap_or_default());
        match page.last_evaluated_key {
            Some(key) if !key.is_empty() => start_key = Some(key),
            _ => break,
        }
    }
    found.truncate(limit);
    Ok(found)
}
