//! JSON envelopes → Parquet rows on one core: what the archiver does per Kinesis batch.
//!
//! Each step at two batch sizes: 500 records (a typical Kinesis batch: the `PutRecords` limit
//! the producer writes in) and 100,000 (a bulk rate, where per-file costs vanish).
//! - `archive_prepare`: stream records → `archive::prepare` (decode with `parse_envelope`,
//!   group by partition, Arrow, zstd Parquet): the archiver's whole CPU path;
//! - `json_decode`: `parse_envelope` alone (fast path, full validation);
//! - `serde_derive_only`: serde's derived `Deserialize` for the envelope, unvalidated (a floor);
//! - `json_scan_only`: serde_json walking the bytes into `IgnoredAny` (the floor of any decode);
//! - `encode_parquet`: typed envelopes → `RecordBatch` → zstd Parquet bytes;
//! - `encode_arrow`: typed envelopes → `RecordBatch`.
//!
//! `cargo bench -p coinking-clickstream --bench archive_encode`; figures go to the README.

use std::hint::black_box;

use coinking_clickstream::archive::prepare;
use coinking_clickstream::testing::synthetic_envelope;
use coinking_clickstream::{StreamRecord, encode_batch, to_parquet};
use coinking_core::game::{ClickEnvelope, parse_envelope};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

/// A typical Kinesis batch, and a bulk rate.
const BATCH_SIZES: [usize; 2] = [500, 100_000];

/// Received within one hour, so each batch is one partition (one object), as it is normally.
fn envelopes(rows: usize) -> Vec<ClickEnvelope> {
    (0..rows as u64)
        .map(|i| synthetic_envelope(i, 1_732_500_000_000 + i as i64))
        .collect()
}

fn stream_records(envelopes: &[ClickEnvelope]) -> Vec<StreamRecord> {
    envelopes
        .iter()
        .enumerate()
        .map(|(index, envelope)| StreamRecord {
            sequence_number: format!("4959{index:052}"),
            partition_key: envelope.event_id.to_string(),
            data: serde_json::to_vec(envelope).unwrap_or_default().into(),
            arrival_ms: envelope.received_at,
        })
        .collect()
}

fn archive_encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("archive");
    group.sample_size(10);
    for rows in BATCH_SIZES {
        let envelopes = envelopes(rows);
        let records = stream_records(&envelopes);
        let refs: Vec<&ClickEnvelope> = envelopes.iter().collect();
        group.throughput(Throughput::Elements(rows as u64));
        group.bench_with_input(
            BenchmarkId::new("archive_prepare", rows),
            &records,
            |b, r| b.iter(|| black_box(prepare("shardId-000000000000", r))),
        );
        group.bench_with_input(BenchmarkId::new("json_decode", rows), &records, |b, r| {
            b.iter(|| {
                let decoded: Vec<ClickEnvelope> = r
                    .iter()
                    .filter_map(|record| parse_envelope(&record.data).ok())
                    .collect();
                black_box(decoded)
            })
        });
        // Reference, not a path the archiver takes: serde's derived `Deserialize` alone, no
        // validation: the floor the validating decode above is measured against.
        group.bench_with_input(
            BenchmarkId::new("serde_derive_only", rows),
            &records,
            |b, r| {
                b.iter(|| {
                    let decoded: Vec<ClickEnvelope> = r
                        .iter()
                        .filter_map(|record| serde_json::from_slice(&record.data).ok())
                        .collect();
                    black_box(decoded)
                })
            },
        );
        // Reference: serde_json only walking each record's bytes, building nothing. No decode
        // of this JSON can be faster, so it bounds what any JSON → Parquet path can reach.
        group.bench_with_input(
            BenchmarkId::new("json_scan_only", rows),
            &records,
            |b, r| {
                b.iter(|| {
                    let scanned = r
                        .iter()
                        .filter(|record| {
                            serde_json::from_slice::<serde::de::IgnoredAny>(&record.data).is_ok()
                        })
                        .count();
                    black_box(scanned)
                })
            },
        );
        group.bench_with_input(BenchmarkId::new("encode_parquet", rows), &refs, |b, r| {
            b.iter(|| black_box(encode_batch(r).ok().and_then(|b| to_parquet(&b).ok())))
        });
        group.bench_with_input(BenchmarkId::new("encode_arrow", rows), &refs, |b, r| {
            b.iter(|| black_box(encode_batch(r).ok()))
        });
    }
    group.finish();
}

criterion_group!(benches, archive_encode);
criterion_main!(benches);
