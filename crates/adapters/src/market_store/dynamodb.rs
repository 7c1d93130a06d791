//! [`DynamoDbMarketStore`]: the market-store ports on the single DynamoDB table.
//!
//! - Latest tickers and candles are conditional `PutItem`s (newer wins; candle replay guard),
//!   several in flight at once ([`DynamoDbStoreConfig::write_concurrency`]). `BatchWriteItem`
//!   cannot carry conditions, and `TransactWriteItems` would fail the whole batch on one stale
//!   item; a single conditional put per item costs the same write units as a batch entry. The
//!   ingester coalesces per market before writing, so the number of puts follows the number of
//!   markets, not the message rate.
//! - A failed condition is not an error: the item is counted as `stale` in the [`WriteReport`].
//! - The catalog is written with `BatchWriteItem` in chunks of [`BATCH_WRITE_MAX_ITEMS`],
//!   resubmitting `UnprocessedItems` with backoff (see [`super::retry`] for who retries what).
//! - The AI hint set is one `BatchWriteItem` round per [`BATCH_WRITE_MAX_ITEMS`] items (the
//!   market entries, then the set's own item in the last chunk), `UnprocessedItems` resubmitted
//!   the same way; it is read back with one Query on `pk = HINT`.
//! - Reads are `GetItem` and `Query`, paged through `LastEvaluatedKey`; never `Scan`.

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{AttributeValue, BillingMode, KeyType, ScalarAttributeType};
use coinking_core::candle::Candle;
use coinking_core::catalog::MarketInfo;
use coinking_core::hints::HintSet;
use coinking_core::market::MarketCode;
use coinking_core::ticker::NormalizedTicker;
use futures_util::StreamExt;
use futures_util::stream;

use super::items::{self, Item};
use super::{
    CandleReader, CandleWriter, CatalogReader, CatalogWriter, DEFAULT_CANDLE_RETENTION,
    DEFAULT_TABLE_NAME, HintReader, HintWriter, TickerReader, TickerWriter, WriteReport,
    candle_batch, candle_range_is_empty, check_hint_set, last_per_market, newest_per_market,
};
use crate::RetryPolicy;
use crate::dynamodb::batch::{SdkBatchSender, put_request, write_in_chunks};
use crate::dynamodb::query::{Paging, query_all};
use crate::dynamodb::table::{attribute, create_if_missing, enable_ttl, key};
use crate::dynamodb::{classify, is_condition_failure};
use crate::error::StoreError;

pub use crate::dynamodb::batch::BATCH_WRITE_MAX_ITEMS;
pub use crate::dynamodb::table::TABLE_ACTIVE_TIMEOUT;

/// Conditional puts in flight per write call by default.
pub const DEFAULT_WRITE_CONCURRENCY: usize = 16;

/// The latest-ticker rule: only a strictly newer trade replaces the stored ticker.
const TICKER_NEWER_WINS: &str = "attribute_not_exists(sk) OR trade_timestamp < :ts";
/// The candle rule: only a candle that has applied more of the stream replaces the stored one.
const CANDLE_ADVANCES: &str = "attribute_not_exists(sk) OR last_position < :pos";

/// Settings of the DynamoDB market store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DynamoDbStoreConfig {
    pub table: String,
    /// Candles expire this long after their minute (the `ttl` attribute).
    pub candle_retention: Duration,
    /// Conditional puts in flight per `put_latest` / `put_candles` call.
    pub write_concurrency: usize,
    /// Resubmission of `UnprocessedItems`.
    pub batch_retry: RetryPolicy,
    /// `Limit` of each Query page; `None` lets DynamoDB fill 1 MB pages. Tests set it small
    /// to exercise paging.
    pub query_page_size: Option<i32>,
    /// Strongly consistent reads (twice the read cost). Off by default: the frontend polls
    /// every second and an up-to-a-second-old ticker is fine.
    pub consistent_reads: bool,
}

impl Default for DynamoDbStoreConfig {
    fn default() -> Self {
        Self {
            table: DEFAULT_TABLE_NAME.to_owned(),
            candle_retention: DEFAULT_CANDLE_RETENTION,
            write_concurrency: DEFAULT_WRITE_CONCURRENCY,
            batch_retry: crate::retry::RESUBMIT_POLICY,
            query_page_size: None,
            consistent_reads: false,
        }
    }
}

/// The market store on DynamoDB. Cheap to clone (the SDK client is shared).
#[derive(Debug, Clone)]
pub struct DynamoDbMarketStore {
    client: Client,
    config: Arc<DynamoDbStoreConfig>,
}

enum Outcome {
    Written,
    Stale,
}

impl DynamoDbMarketStore {
    pub fn new(client: Client, config: DynamoDbStoreConfig) -> Self {
        Self {
            client,
            config: Arc::new(config),
        }
    }

    pub fn config(&self) -> &DynamoDbStoreConfig {
        &self.config
    }

    fn table(&self) -> &str {
        &self.config.table
    }

    fn error<E>(&self, operation: &'static str, error: SdkError<E, HttpResponse>) -> StoreError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        classify(operation, self.table(), error)
    }

    /// A conditional put; a failed condition means the stored item is at least as new.
    async fn put_if(
        &self,
        item: Item,
        condition: &'static str,
        placeholder: &'static str,
        value: AttributeValue,
    ) -> Result<Outcome, StoreError> {
        let sent = self
            .client
            .put_item()
            .table_name(self.table())
            .set_item(Some(item))
            .condition_expression(condition)
            .expression_attribute_values(placeholder, value)
            .send()
            .await;
        match sent {
            Ok(_) => Ok(Outcome::Written),
            Err(error) if is_condition_failure(&error) => Ok(Outcome::Stale),
            Err(error) => Err(self.error("PutItem", error)),
        }
    }

    /// Runs `puts` with at most `write_concurrency` in flight; the first error ends the call
    /// (the rest are idempotent and the caller retries the batch).
    async fn run_puts<F>(
        &self,
        puts: Vec<F>,
        mut report: WriteReport,
    ) -> Result<WriteReport, StoreError>
    where
        F: Future<Output = Result<Outcome, StoreError>>,
    {
        let mut in_flight =
            stream::iter(puts).buffer_unordered(self.config.write_concurrency.max(1));
        while let Some(outcome) = in_flight.next().await {
            match outcome? {
                Outcome::Written => report.written += 1,
                Outcome::Stale => report.stale += 1,
            }
        }
        Ok(report)
    }

    /// Every item of one Query, paged through `LastEvaluatedKey`, stopping early after `limit`
    /// items. `key_condition` uses `:pk` and optionally `:from` / `:to`.
    async fn query(
        &self,
        key_condition: &'static str,
        values: Vec<(&'static str, AttributeValue)>,
        limit: usize,
    ) -> Result<Vec<Item>, StoreError> {
        let mut request = self
            .client
            .query()
            .table_name(self.table())
            .key_condition_expression(key_condition)
            .consistent_read(self.config.consistent_reads);
        for (placeholder, value) in values {
            request = request.expression_attribute_values(placeholder, value);
        }
        let paging = Paging {
            limit,
            page_size: self.config.query_page_size,
            calls: None,
        };
        query_all(request, self.table(), paging).await
    }

    fn batch_sender(&self) -> SdkBatchSender<'_> {
        SdkBatchSender {
            client: &self.client,
            table: self.table(),
            calls: None,
        }
    }
}

impl TickerWriter for DynamoDbMarketStore {
    async fn put_latest(&self, tickers: &[NormalizedTicker]) -> Result<WriteReport, StoreError> {
        let (newest, stale_in_batch) = newest_per_market(tickers);
        let puts = newest
            .into_iter()
            .map(|ticker| {
                self.put_if(
                    items::ticker_to_item(ticker),
                    TICKER_NEWER_WINS,
                    ":ts",
                    AttributeValue::N(ticker.trade_timestamp.to_string()),
                )
            })
            .collect();
        let report = WriteReport {
            written: 0,
            stale: stale_in_batch,
        };
        self.run_puts(puts, report).await
    }
}

impl TickerReader for DynamoDbMarketStore {
    /// One Query on `pk = TICKER`, narrowed to the sort-key range of the requested markets;
    /// tickers of other markets inside that range are dropped here.
    async fn latest(&self, markets: &[MarketCode]) -> Result<Vec<NormalizedTicker>, StoreError> {
        let wanted: BTreeSet<&str> = markets.iter().map(MarketCode::as_str).collect();
        let (Some(first), Some(last)) = (wanted.first(), wanted.last()) else {
            return Ok(Vec::new());
        };
        let values = vec![
            (":pk", AttributeValue::S(items::TICKER_PK.to_owned())),
            (":from", AttributeValue::S((*first).to_owned())),
            (":to", AttributeValue::S((*last).to_owned())),
        ];
        let found = self
            .query("pk = :pk AND sk BETWEEN :from AND :to", values, usize::MAX)
            .await?;
        let mut tickers = Vec::with_capacity(wanted.len());
        for item in &found {
            let requested = matches!(item.get(items::SK), Some(AttributeValue::S(sk)) if wanted.contains(sk.as_str()));
            if requested {
                tickers.push(items::ticker_from_item(item)?);
            }
        }
        Ok(tickers)
    }

    async fn latest_one(
        &self,
        market: &MarketCode,
    ) -> Result<Option<NormalizedTicker>, StoreError> {
        let got = self
            .client
            .get_item()
            .table_name(self.table())
            .set_key(Some(items::ticker_key(market)))
            .consistent_read(self.config.consistent_reads)
            .send()
            .await
            .map_err(|error| self.error("GetItem", error))?;
        got.item.as_ref().map(items::ticker_from_item).transpose()
    }
}

impl CandleWriter for DynamoDbMarketStore {
    async fn put_candles(&self, candles: &[Candle]) -> Result<WriteReport, StoreError> {
        let (latest, report) = candle_batch(candles)?;
        let retention = self.config.candle_retention;
        let puts = latest
            .into_iter()
            .map(|candle| {
                self.put_if(
                    items::candle_to_item(candle, retention),
                    CANDLE_ADVANCES,
                    ":pos",
                    AttributeValue::N(candle.last_position.to_string()),
                )
            })
            .collect();
        self.run_puts(puts, report).await
    }
}

impl CandleReader for DynamoDbMarketStore {
    async fn candles(
        &self,
        market: &MarketCode,
        from_ms: i64,
        to_ms: i64,
        limit: usize,
    ) -> Result<Vec<Candle>, StoreError> {
        if candle_range_is_empty(from_ms, to_ms, limit)? {
            return Ok(Vec::new());
        }
        let values = vec![
            (":pk", AttributeValue::S(items::candle_pk(market))),
            (":from", AttributeValue::S(items::candle_sk(from_ms))),
            (":to", AttributeValue::S(items::candle_sk(to_ms))),
        ];
        let found = self
            .query("pk = :pk AND sk BETWEEN :from AND :to", values, limit)
            .await?;
        found.iter().map(items::candle_from_item).collect()
    }
}

impl CatalogWriter for DynamoDbMarketStore {
    async fn put_markets(&self, markets: &[MarketInfo]) -> Result<WriteReport, StoreError> {
        let distinct = last_per_market(markets);
        let requests = distinct
            .iter()
            .map(|info| put_request(items::market_to_item(info)))
            .collect::<Result<Vec<_>, _>>()?;
        let sender = self.batch_sender();
        write_in_chunks(&sender, self.table(), requests, &self.config.batch_retry, 1).await?;
        Ok(WriteReport {
            written: distinct.len(),
            stale: 0,
        })
    }
}

impl CatalogReader for DynamoDbMarketStore {
    async fn markets(&self) -> Result<Vec<MarketInfo>, StoreError> {
        let values = vec![(":pk", AttributeValue::S(items::MARKET_PK.to_owned()))];
        let found = self.query("pk = :pk", values, usize::MAX).await?;
        found.iter().map(items::market_from_item).collect()
    }
}

impl HintWriter for DynamoDbMarketStore {
    /// The entries in chunks of [`BATCH_WRITE_MAX_ITEMS`], the set's item in the last chunk, so
    /// it lands only after every entry (chunks are sent one after the other).
    async fn put_hints(&self, set: &HintSet) -> Result<WriteReport, StoreError> {
        check_hint_set(set)?;
        let mut requests = Vec::with_capacity(set.entries.len() + 1);
        for hint in &set.entries {
            requests.push(put_request(items::hint_to_item(hint, set.generated_at_ms))?);
        }
        requests.push(put_request(items::hint_set_to_item(set))?);
        let written = requests.len();
        // One chunk after the other: the set's item, last, lands after every entry.
        let sender = self.batch_sender();
        write_in_chunks(&sender, self.table(), requests, &self.config.batch_retry, 1).await?;
        Ok(WriteReport { written, stale: 0 })
    }
}

impl HintReader for DynamoDbMarketStore {
    async fn hints(&self) -> Result<Option<HintSet>, StoreError> {
        let values = vec![(":pk", AttributeValue::S(items::HINT_PK.to_owned()))];
        let found = self.query("pk = :pk", values, usize::MAX).await?;
        items::hint_set_from_items(&found)
    }
}

/// Creates the market table if it is missing (PAY_PER_REQUEST, `pk` S / `sk` S), waits until it
/// is `ACTIVE` and enables TTL on `ttl`. For tests and the local run; deployments create the
/// table from template.yaml. A server without TTL support (dynalite) is tolerated with a warning.
pub async fn ensure_table(client: &Client, table: &str) -> Result<(), StoreError> {
    let definition = client
        .create_table()
        .table_name(table)
        .key_schema(key(items::PK, KeyType::Hash)?)
        .key_schema(key(items::SK, KeyType::Range)?)
        .attribute_definitions(attribute(items::PK, ScalarAttributeType::S)?)
        .attribute_definitions(attribute(items::SK, ScalarAttributeType::S)?)
        .billing_mode(BillingMode::PayPerRequest);
    create_if_missing(client, table, definition).await?;
    enable_ttl(client, table, items::TTL).await
}
