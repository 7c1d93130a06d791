//! [`DynamoDbLeaderboard`]: the leaderboard ports on their own DynamoDB table.
//!
//! A submission is at most four writes and no read:
//! 1. `UpdateItem` on the player, condition `attribute_not_exists(pk) OR balance < :b`: a new
//!    best writes the row, the index keys, `best_at_ms`, counts the game and sets `last_seen_ms`
//!    and `last_request`, all in one atomic step (`ReturnValues=ALL_OLD` tells what it replaced).
//! 2. Only when the condition failed (a best at least as high is stored): `UpdateItem` counting
//!    the game, condition `last_request <> :rid`. The row is untouched, and since no projected
//!    attribute changes, neither index is written.
//! 3. Only for a player whose affiliation is not yet known to be listed (a new player):
//!    `PutItem` of the `AFFILIATION` item, then
//! 4. `UpdateItem` setting `listed`. In this order, a crash between them only repeats the
//!    idempotent put on the player's next submission.
//!
//! Retries are idempotent: the SDK's transport retries of a call that did succeed, and a request
//! retried with the same request id, meet a stored balance equal to theirs (step 1 fails) and a
//! `last_request` equal to theirs (step 2 fails), so nothing is counted twice
//! ([`SubmitOutcome::Duplicate`]). Concurrent submissions for one player are serialised by
//! DynamoDB per item: the highest balance survives whatever the order.
//!
//! Reads are Queries in balance order on the two indexes (the global one on every shard, merged)
//! and on `pk = AFFILIATION`, each followed through `LastEvaluatedKey`; one `GetItem` per
//! [`PlayerReader::player`]. Never a Scan.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::operation::update_item::{UpdateItemError, UpdateItemOutput};
use aws_sdk_dynamodb::types::{
    AttributeValue, BillingMode, GlobalSecondaryIndex, KeyType, Projection, ProjectionType,
    ReturnValue, ScalarAttributeType,
};
use coinking_core::leaderboard::{PlayerRecord, PlayerRow, ScoreEntry, best_first};
use futures_util::stream::{self, StreamExt, TryStreamExt};

use super::items::{self, Item, n, s};
use super::{
    AffiliationReader, DEFAULT_LEADERBOARD_TABLE, LeaderboardImport, PlayerReader, RankingReader,
    RankingScope, ScoreWriter, SubmitOutcome,
};
use crate::RetryPolicy;
use crate::dynamodb::batch::{SdkBatchSender, put_request, write_in_chunks};
use crate::dynamodb::item::Reader;
use crate::dynamodb::query::{Paging, get_item, query_all};
use crate::dynamodb::table::{attribute, create_if_missing, key};
use crate::dynamodb::{classify, invalid_request, is_condition_failure};
use crate::error::StoreError;

/// Step 1's rule: only a strictly higher balance replaces the stored best.
const HIGHER_BALANCE_WINS: &str = "attribute_not_exists(pk) OR balance < :b";
/// Step 2's rule: a request id is counted once.
const NOT_YET_COUNTED: &str = "attribute_exists(pk) AND last_request <> :rid";
/// `BatchWriteItem` calls in flight during an import.
const IMPORT_CONCURRENCY: usize = 8;

/// Settings of the DynamoDB leaderboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaderboardConfig {
    pub table: String,
    /// `Limit` of each Query page; `None` lets DynamoDB fill 1 MB pages. Tests set it small.
    pub query_page_size: Option<i32>,
    /// Strongly consistent reads where DynamoDB offers them (the table, not its indexes).
    pub consistent_reads: bool,
    /// Resubmission of `UnprocessedItems` during an import.
    pub batch_retry: RetryPolicy,
}

impl Default for LeaderboardConfig {
    fn default() -> Self {
        Self {
            table: DEFAULT_LEADERBOARD_TABLE.to_owned(),
            query_page_size: None,
            consistent_reads: false,
            batch_retry: crate::retry::RESUBMIT_POLICY,
        }
    }
}

/// DynamoDB requests sent so far (each Query page is one read; a failed conditional write
/// still counts, as DynamoDB bills it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallCounts {
    pub reads: u64,
    pub writes: u64,
}

#[derive(Debug, Default)]
struct Counters {
    reads: AtomicU64,
    writes: AtomicU64,
}

/// The leaderboard on DynamoDB. Cheap to clone (shared client and counters).
#[derive(Debug, Clone)]
pub struct DynamoDbLeaderboard {
    client: Client,
    config: Arc<LeaderboardConfig>,
    counters: Arc<Counters>,
}

impl DynamoDbLeaderboard {
    pub fn new(client: Client, config: LeaderboardConfig) -> Self {
        Self {
            client,
            config: Arc::new(config),
            counters: Arc::default(),
        }
    }

    pub fn config(&self) -> &LeaderboardConfig {
        &self.config
    }

    /// Requests sent since the store was built (a metric, and what the benches report).
    pub fn calls(&self) -> CallCounts {
        CallCounts {
            reads: self.counters.reads.load(Ordering::Relaxed),
            writes: self.counters.writes.load(Ordering::Relaxed),
        }
    }

    fn table(&self) -> &str {
        &self.config.table
    }

    fn read(&self) {
        self.counters.reads.fetch_add(1, Ordering::Relaxed);
    }

    fn write(&self) {
        self.counters.writes.fetch_add(1, Ordering::Relaxed);
    }

    fn error<E>(&self, operation: &'static str, error: SdkError<E, HttpResponse>) -> StoreError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        classify(operation, self.table(), error)
    }

    /// A conditional `UpdateItem`'s answer: the item's old attributes, or `None` when its
    /// condition failed because this step was done already (the request id was seen).
    fn unless_done(
        &self,
        sent: Result<UpdateItemOutput, SdkError<UpdateItemError, HttpResponse>>,
    ) -> Result<Option<Item>, StoreError> {
        match sent {
            Ok(output) => Ok(Some(output.attributes.unwrap_or_default())),
            Err(error) if is_condition_failure(&error) => Ok(None),
            Err(error) => Err(self.error("UpdateItem", error)),
        }
    }

    /// An `UpdateItem` on the entry's player item, counted as a write (steps 1, 2 and 4).
    fn update_player(&self, entry: &ScoreEntry) -> UpdateItemFluentBuilder {
        self.write();
        self.client
            .update_item()
            .table_name(self.table())
            .set_key(Some(items::player_key(&entry.affiliation, &entry.name)))
    }

    /// Step 1; `Ok(None)` when a best at least as high is stored.
    async fn write_if_best(
        &self,
        entry: &ScoreEntry,
        at_ms: i64,
        request_id: &str,
    ) -> Result<Option<Item>, StoreError> {
        let shard = items::global_shard(&entry.affiliation, &entry.name);
        let sent = self
            .update_player(entry)
            .update_expression(
                "SET player_name = :name, affiliation = :aff, coin_1 = :c1, coin_2 = :c2, \
                 coin_3 = :c3, balance = :b, best_at_ms = :now, last_seen_ms = :now, \
                 first_seen_ms = if_not_exists(first_seen_ms, :now), last_request = :rid, \
                 gsi_all_pk = :gall, gsi_aff_pk = :gaff ADD games_played :one",
            )
            .condition_expression(HIGHER_BALANCE_WINS)
            .expression_attribute_values(":name", s(entry.name.as_str()))
            .expression_attribute_values(":aff", s(entry.affiliation.as_str()))
            .expression_attribute_values(":c1", s(entry.coins[0].as_str()))
            .expression_attribute_values(":c2", s(entry.coins[1].as_str()))
            .expression_attribute_values(":c3", s(entry.coins[2].as_str()))
            .expression_attribute_values(":b", n(entry.balance_krw()))
            .expression_attribute_values(":now", n(at_ms))
            .expression_attribute_values(":rid", s(request_id))
            .expression_attribute_values(":gall", s(items::global_pk(shard)))
            .expression_attribute_values(":gaff", s(items::affiliation_gsi_pk(&entry.affiliation)))
            .expression_attribute_values(":one", n(1))
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        self.unless_done(sent)
    }

    /// Step 2; `Ok(None)` when this request id was already counted.
    async fn count_game(
        &self,
        entry: &ScoreEntry,
        at_ms: i64,
        request_id: &str,
    ) -> Result<Option<Item>, StoreError> {
        let sent = self
            .update_player(entry)
            .update_expression("SET last_seen_ms = :now, last_request = :rid ADD games_played :one")
            .condition_expression(NOT_YET_COUNTED)
            .expression_attribute_values(":now", n(at_ms))
            .expression_attribute_values(":rid", s(request_id))
            .expression_attribute_values(":one", n(1))
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        self.unless_done(sent)
    }

    /// Steps 3 and 4.
    async fn list_affiliation(&self, entry: &ScoreEntry) -> Result<(), StoreError> {
        self.write();
        self.client
            .put_item()
            .table_name(self.table())
            .set_item(Some(items::affiliation_item(&entry.affiliation)))
            .send()
            .await
            .map_err(|error| self.error("PutItem", error))?;
        let marked = self
            .update_player(entry)
            .update_expression("SET listed = :t")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":t", AttributeValue::Bool(true))
            .send()
            .await;
        match marked {
            Ok(_) => Ok(()),
            // The player item is gone (deleted by an operator): nothing to mark.
            Err(error) if is_condition_failure(&error) => Ok(()),
            Err(error) => Err(self.error("UpdateItem", error)),
        }
    }

    /// Every item of `key = value` on the table or an index, best first on an index, paged
    /// through `LastEvaluatedKey` until `limit` items.
    async fn query(
        &self,
        index: Option<&'static str>,
        key: &'static str,
        value: String,
        limit: usize,
    ) -> Result<Vec<Item>, StoreError> {
        let mut request = self
            .client
            .query()
            .table_name(self.table())
            .set_index_name(index.map(str::to_owned))
            .key_condition_expression("#k = :k")
            .expression_attribute_names("#k", key)
            .expression_attribute_values(":k", s(value));
        request = if index.is_some() {
            request.scan_index_forward(false)
        } else {
            // Indexes offer eventually consistent reads only.
            request.consistent_read(self.config.consistent_reads)
        };
        let paging = Paging {
            limit,
            page_size: self.config.query_page_size,
            calls: Some(&self.counters.reads),
        };
        query_all(request, self.table(), paging).await
    }
}

impl ScoreWriter for DynamoDbLeaderboard {
    async fn submit(
        &self,
        entry: &ScoreEntry,
        at_ms: i64,
        request_id: &str,
    ) -> Result<SubmitOutcome, StoreError> {
        let (outcome, old) = match self.write_if_best(entry, at_ms, request_id).await? {
            Some(old) => {
                let previous = if old.is_empty() {
                    None
                } else {
                    Some(Reader::new(&old).number::<u64>(items::BALANCE)?)
                };
                (SubmitOutcome::NewBest { previous }, Some(old))
            }
            None => match self.count_game(entry, at_ms, request_id).await? {
                Some(old) => {
                    let best = Reader::new(&old).number::<u64>(items::BALANCE)?;
                    (SubmitOutcome::Kept { best }, Some(old))
                }
                None => (SubmitOutcome::Duplicate, None),
            },
        };
        // A duplicate's first attempt listed the affiliation, unless it failed on the way; the
        // listing is idempotent, so it is repeated rather than trusted.
        let listed = old
            .as_ref()
            .is_some_and(|old| Reader::new(old).flag(items::LISTED));
        if !listed {
            self.list_affiliation(entry).await?;
        }
        Ok(outcome)
    }
}

impl RankingReader for DynamoDbLeaderboard {
    async fn ranking(
        &self,
        scope: &RankingScope,
        limit: usize,
    ) -> Result<Vec<PlayerRow>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let found = match scope {
            RankingScope::Affiliation(affiliation) => {
                self.query(
                    Some(items::GSI_AFFILIATION),
                    items::GSI_AFF_PK,
                    items::affiliation_gsi_pk(affiliation),
                    limit,
                )
                .await?
            }
            RankingScope::All => {
                // Each shard's best `limit` holds every player of the overall best `limit`.
                let shards = (0..items::GLOBAL_SHARDS).map(|shard| {
                    self.query(
                        Some(items::GSI_ALL),
                        items::GSI_ALL_PK,
                        items::global_pk(shard),
                        limit,
                    )
                });
                stream::iter(shards)
                    .buffer_unordered(items::GLOBAL_SHARDS as usize)
                    .try_concat()
                    .await?
            }
        };
        let rows = found
            .iter()
            .map(items::row_from_item)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(best_first(rows, limit))
    }
}

impl AffiliationReader for DynamoDbLeaderboard {
    async fn affiliations(&self) -> Result<Vec<String>, StoreError> {
        let found = self
            .query(
                None,
                items::PK,
                items::AFFILIATION_PK.to_owned(),
                usize::MAX,
            )
            .await?;
        // Sort keys come back in UTF-8 byte order, which is `str`'s order.
        found
            .iter()
            .map(|item| Reader::new(item).string(items::SK).map(str::to_owned))
            .collect()
    }
}

impl PlayerReader for DynamoDbLeaderboard {
    async fn player(
        &self,
        affiliation: &str,
        name: &str,
    ) -> Result<Option<PlayerRecord>, StoreError> {
        self.read();
        let key = items::player_key(affiliation, name);
        let got = get_item(
            &self.client,
            self.table(),
            key,
            self.config.consistent_reads,
        )
        .await?;
        got.as_ref().map(items::record_from_item).transpose()
    }
}

impl LeaderboardImport for DynamoDbLeaderboard {
    /// `BatchWriteItem` in chunks of 25, several in flight, `UnprocessedItems` resubmitted; the
    /// last record per player wins within the call (a batch refuses duplicate keys).
    async fn import(&self, records: &[PlayerRecord]) -> Result<usize, StoreError> {
        let mut players = std::collections::BTreeMap::new();
        let mut affiliations = std::collections::BTreeSet::new();
        for record in records {
            let row = &record.row;
            affiliations.insert(row.affiliation.as_str());
            players.insert((row.affiliation.as_str(), row.name.as_str()), record);
        }
        let mut requests = Vec::with_capacity(players.len() + affiliations.len());
        for affiliation in &affiliations {
            requests.push(put_request(items::affiliation_item(affiliation))?);
        }
        for record in players.values() {
            requests.push(put_request(items::record_to_item(record))?);
        }
        let sender = SdkBatchSender {
            client: &self.client,
            table: self.table(),
            calls: Some(&self.counters.writes),
        };
        let policy = &self.config.batch_retry;
        write_in_chunks(&sender, self.table(), requests, policy, IMPORT_CONCURRENCY).await?;
        Ok(players.len())
    }
}

/// Creates the leaderboard table if it is missing (PAY_PER_REQUEST, `pk` S / `sk` S, both
/// indexes) and waits until it is `ACTIVE`. For tests and the local run; deployments create it
/// from template.yaml (the same definition).
pub async fn ensure_leaderboard_table(client: &Client, table: &str) -> Result<(), StoreError> {
    let projection = Projection::builder()
        .projection_type(ProjectionType::Include)
        .set_non_key_attributes(Some(
            items::PROJECTED.iter().map(|a| (*a).to_owned()).collect(),
        ))
        .build();
    let index = |name: &str, partition: &str| -> Result<GlobalSecondaryIndex, StoreError> {
        GlobalSecondaryIndex::builder()
            .index_name(name)
            .key_schema(key(partition, KeyType::Hash)?)
            .key_schema(key(items::BALANCE, KeyType::Range)?)
            .projection(projection.clone())
            .build()
            .map_err(invalid_request)
    };
    let definition = client
        .create_table()
        .table_name(table)
        .key_schema(key(items::PK, KeyType::Hash)?)
        .key_schema(key(items::SK, KeyType::Range)?)
        .attribute_definitions(attribute(items::PK, ScalarAttributeType::S)?)
        .attribute_definitions(attribute(items::SK, ScalarAttributeType::S)?)
        .attribute_definitions(attribute(items::GSI_ALL_PK, ScalarAttributeType::S)?)
        .attribute_definitions(attribute(items::GSI_AFF_PK, ScalarAttributeType::S)?)
        .attribute_definitions(attribute(items::BALANCE, ScalarAttributeType::N)?)
        .global_secondary_indexes(index(items::GSI_ALL, items::GSI_ALL_PK)?)
        .global_secondary_indexes(index(items::GSI_AFFILIATION, items::GSI_AFF_PK)?)
        .billing_mode(BillingMode::PayPerRequest);
    create_if_missing(client, table, definition).await
}
