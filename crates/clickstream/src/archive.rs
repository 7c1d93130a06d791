//! The archiver: one shard's batch of stream records → Parquet objects per partition, plus
//! the records that could not be decoded, written through any [`ObjectStore`].
//!
//! The same code runs in the Kinesis-triggered Lambda (S3) and in the local platform (a local
//! directory): only the store differs.
//!
//! **Object names** are `<shard id>-<first sequence number in that partition>`: a function of the
//! records alone, so a batch delivered again (Lambda retries, or a restart from an older
//! checkpoint with the same batch boundaries) overwrites the same objects rather than adding
//! copies. Each object is one PUT, atomic on S3 and written by rename on a local disk.
//!
//! **Failures** are per object. A Kinesis-triggered Lambda reports the lowest sequence number
//! among the records of every object that failed to write
//! ([`ArchiveReport::first_failed_sequence_number`]); Lambda then re-delivers from there.
//! Objects of later records that were written already may then be written again under another
//! name if the retried batch splits differently; they carry the same `event_id`s, which is what
//! the analysis deduplicates on (docs/DESIGN.md: exactly-once counting by event id).
//!
//! **Re-sent records** (the same `Idempotency-Key`, so the same `event_id`) within one batch are
//! written once: the first by sequence number; the others are counted
//! ([`ArchiveReport::duplicate_records`]) and dropped. Across batches the analysis deduplicates.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use coinking_core::game::parse_envelope;
use object_store::path::Path;
use object_store::{ObjectStore, PutOptions, PutPayload};
use serde::Serialize;
use tracing::{info, warn};

use crate::data_object::DataObject;
use crate::partition::{HourIndex, Partition, compare_sequence_numbers};

/// One record as the stream delivered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamRecord {
    pub sequence_number: String,
    pub partition_key: String,
    /// The payload: a [`ClickEnvelope`] as JSON when all is well. `Bytes`, so that a batch
    /// retried is not copied again and a reader holding one buffer can hand out slices of it.
    pub data: Bytes,
    /// When the stream received it (Kinesis `approximateArrivalTimestamp`), epoch ms. Decides the
    /// partition of a record that cannot be decoded (a good one uses its `received_at`).
    pub arrival_ms: i64,
}

/// A line of a `clickstream-bad/` NDJSON object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct BadRecordLine {
    pub sequence_number: String,
    pub partition_key: String,
    /// Why it was refused: every problem `parse_envelope` found.
    pub reason: String,
    /// The payload exactly as received.
    pub data_base64: String,
}

/// What an object holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    /// Parquet rows under `clickstream/`.
    Data,
    /// NDJSON lines under `clickstream-bad/`.
    Bad,
}

/// An object ready to upload.
#[derive(Debug, Clone)]
pub struct PreparedObject {
    pub key: String,
    pub kind: ObjectKind,
    pub body: Bytes,
    /// Records in it.
    pub records: usize,
    /// Lowest sequence number of its records.
    pub first_sequence_number: String,
}

/// An object that could not be produced or stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectFailure {
    pub key: String,
    pub first_sequence_number: String,
    pub reason: String,
}

/// What [`Archiver::archive`] did with one batch.
#[derive(Debug, Clone, Default)]
pub struct ArchiveReport {
    /// Objects written: key, kind and number of records.
    pub written: Vec<(String, ObjectKind, usize)>,
    /// Records decoded and written (or attempted) as Parquet rows.
    pub good_records: usize,
    /// Records that failed decoding and went (or were to go) to `clickstream-bad/`.
    pub bad_records: usize,
    /// Records dropped because an earlier record of the batch has their `event_id`.
    pub duplicate_records: usize,
    pub failures: Vec<ObjectFailure>,
}

/// What [`prepare`] made of one batch.
#[derive(Debug, Clone, Default)]
pub struct Prepared {
    pub objects: Vec<PreparedObject>,
    /// Objects that could not be encoded (a schema mismatch, which would be a bug).
    pub failures: Vec<ObjectFailure>,
    /// Records dropped as re-sends of an earlier record of the batch (same `event_id`).
    pub duplicates: usize,
}

impl ArchiveReport {
    /// The sequence number Kinesis should resume from (its `batchItemFailures` entry), if any
    /// object failed: the lowest first sequence number among the failed objects.
    pub fn first_failed_sequence_number(&self) -> Option<&str> {
        self.failures
            .iter()
            .map(|failure| failure.first_sequence_number.as_str())
            .min_by(|left, right| compare_sequence_numbers(left, right))
    }
}

/// Decodes, groups and encodes one shard's batch. CPU only, no I/O: run it off the async
/// threads ([`Archiver::archive`] uses `spawn_blocking`).
///
/// Returns the objects to write, the failures found while encoding (a schema mismatch, which
/// would be a bug: reported rather than panicking so that the batch is retried and visible),
/// and how many re-sent records were dropped (see the module doc).
pub fn prepare(shard_id: &str, records: &[StreamRecord]) -> Prepared {
    // BTreeMap: objects come out in partition order, which makes logs and tests stable.
    let mut good: BTreeMap<HourIndex, DataObject<'_>> = BTreeMap::new();
    let mut bad: BTreeMap<HourIndex, Vec<(&StreamRecord, String)>> = BTreeMap::new();
    // Records in sequence order, so the one kept of a re-sent pair is the first the stream took.
    let mut in_order: Vec<&StreamRecord> = records.iter().collect();
    in_order.sort_by(|left, right| {
        compare_sequence_numbers(&left.sequence_number, &right.sequence_number)
    });
    let mut seen = HashSet::with_capacity(records.len());
    let mut duplicates = 0;
    for record in in_order {
        match parse_envelope(&record.data) {
            Ok(envelope) if !seen.insert(envelope.event_id) => duplicates += 1,
            Ok(envelope) => good
                .entry(HourIndex::of_epoch_ms(envelope.received_at))
                .or_insert_with(|| DataObject::new(&record.sequence_number))
                .push(envelope),
            Err(error) => bad
                .entry(HourIndex::of_epoch_ms(record.arrival_ms))
                .or_default()
                .push((record, error.to_string())),
        }
    }

    let mut objects = Vec::with_capacity(good.len() + bad.len());
    let mut failures = Vec::new();
    for (hour, object) in good {
        let partition = Partition::of_hour(hour);
        let object = object.finish();
        let first = object.first.to_owned();
        let key = partition.data_key(shard_id, &first);
        match object.body {
            Ok(body) => objects.push(PreparedObject {
                key,
                kind: ObjectKind::Data,
                body: Bytes::from(body),
                records: object.records,
                first_sequence_number: first,
            }),
            Err(reason) => failures.push(ObjectFailure {
                key,
                first_sequence_number: first,
                reason: format!("encoding failed: {reason}"),
            }),
        }
    }
    for (hour, rows) in bad {
        let partition = Partition::of_hour(hour);
        let first = lowest_sequence_number(rows.iter().map(|(record, _)| *record));
        let key = partition.bad_key(shard_id, &first);
        let mut body = Vec::new();
        for (record, reason) in &rows {
            let line = BadRecordLine {
                sequence_number: record.sequence_number.clone(),
                partition_key: record.partition_key.clone(),
                reason: reason.clone(),
                data_base64: BASE64.encode(&record.data),
            };
            // Serialising strings to a Vec cannot fail.
            if serde_json::to_writer(&mut body, &line).is_ok() {
                body.push(b'\n');
            }
        }
        objects.push(PreparedObject {
            key,
            kind: ObjectKind::Bad,
            body: Bytes::from(body),
            records: rows.len(),
            first_sequence_number: first,
        });
    }
    Prepared {
        objects,
        failures,
        duplicates,
    }
}

fn lowest_sequence_number<'a>(records: impl Iterator<Item = &'a StreamRecord>) -> String {
    records
        .map(|record| record.sequence_number.as_str())
        .min_by(|left, right| compare_sequence_numbers(left, right))
        .unwrap_or_default()
        .to_owned()
}

/// Writes batches to one object store (S3, a local directory, memory).
#[derive(Debug, Clone)]
pub struct Archiver {
    store: Arc<dyn ObjectStore>,
}

impl Archiver {
    pub fn new(store: Arc<dyn ObjectStore>) -> Self {
        Self { store }
    }

    /// The store written to.
    pub fn store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    /// Archives one shard's batch: decode and encode on the blocking pool, then upload every
    /// object concurrently. Never fails as a whole: what could not be written is listed in the
    /// report's `failures` (the store's own retries, e.g. object_store's for S3, happen inside
    /// each PUT first).
    pub async fn archive(&self, shard_id: &str, records: Vec<StreamRecord>) -> ArchiveReport {
        let total = records.len();
        let lowest = lowest_sequence_number(records.iter());
        let shard = shard_id.to_owned();
        let prepared = tokio::task::spawn_blocking(move || prepare(&shard, &records)).await;
        let Prepared {
            objects,
            mut failures,
            duplicates,
        } = match prepared {
            Ok(prepared) => prepared,
            Err(error) => {
                // A panic while encoding: nothing was written, so the whole batch is retried.
                let report = ArchiveReport {
                    failures: vec![ObjectFailure {
                        key: String::new(),
                        first_sequence_number: lowest,
                        reason: format!("encoding task failed: {error}"),
                    }],
                    ..ArchiveReport::default()
                };
                warn!(shard_id, records = total, %error, "archive batch not encoded");
                return report;
            }
        };

        let mut report = ArchiveReport {
            duplicate_records: duplicates,
            ..ArchiveReport::default()
        };
        if duplicates > 0 {
            info!(
                shard_id,
                duplicates, "re-sent records (same event_id) archived once"
            );
        }
        for object in &objects {
            match object.kind {
                ObjectKind::Data => report.good_records += object.records,
                ObjectKind::Bad => report.bad_records += object.records,
            }
        }
        let uploads = objects.into_iter().map(|object| {
            let store = Arc::clone(&self.store);
            async move {
                let path = Path::from(object.key.as_str());
                let payload = PutPayload::from(object.body.clone());
                let result = store.put_opts(&path, payload, PutOptions::default()).await;
                (object, result)
            }
        });
        for (object, result) in futures_util::future::join_all(uploads).await {
            match result {
                Ok(_) => {
                    info!(
                        shard_id,
                        key = %object.key,
                        records = object.records,
                        bytes = object.body.len(),
                        "archive object written"
                    );
                    report
                        .written
                        .push((object.key, object.kind, object.records));
                }
                Err(error) => {
                    warn!(shard_id, key = %object.key, %error, "archive object not written");
                    failures.push(ObjectFailure {
                        key: object.key,
                        first_sequence_number: object.first_sequence_number,
                        reason: error.to_string(),
                    });
                }
            }
        }
        report.failures = failures;
        if report.bad_records > 0 {
            warn!(
                shard_id,
                bad_records = report.bad_records,
                "undecodable records kept under clickstream-bad/"
            );
        }
        report
    }
}
