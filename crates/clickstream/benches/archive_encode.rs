//! JSON envelopes → Parquet rows on one core: what the archiver does per Kinesis batch.
//!
//! - `decode_and_encode`: envelope JSON bytes → `parse_envelope` (full re-validation) → Arrow
//!   `RecordBatch` → zstd Parquet bytes (the archiver's whole CPU path);
//! - `encode_only`: typed envelopes → `RecordBatch` → zstd Parquet bytes;
//! - `arrow_only`: typed envelopes → `RecordBatch`.
//!
//! `cargo bench -p coinking-clickstream --bench archive_encode`; figures go to the README.

use std::hint::black_box;

use coinking_clickstream::testing::synthetic_envelope;
use coinking_clickstream::{encode_batch, to_parquet};
use coinking_core::game::{ClickEnvelope, parse_envelope};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// Rows per batch: a large Lambda batch (the Kinesis trigger allows up to 10,000).
const ROWS: usize = 10_000;

fn envelopes() -> Vec<ClickEnvelope> {
    (0..ROWS as u64)
        .map(|i| synthetic_envelope(i, 1_732_500_000_000 + i as i64))
        .collect()
}

fn archive_encode(c: &mut Criterion) {
    let envelopes = envelopes();
    let payloads: Vec<Vec<u8>> = envelopes
        .iter()
        .map(|e| serde_json::to_vec(e).unwrap_or_default())
        .collect();
    let mut group = c.benchmark_group("archive");
    group.throughput(Throughput::Elements(ROWS as u64));
    group.sample_size(10);
    group.bench_function("decode_and_encode", |b| {
        b.iter(|| {
            let decoded: Vec<ClickEnvelope> = payloads
                .iter()
                .filter_map(|p| parse_envelope(p).ok())
                .collect();
            let refs: Vec<&ClickEnvelope> = decoded.iter().collect();
            let batch = encode_batch(&refs).ok();
            black_box(batch.and_then(|b| to_parquet(&b).ok()))
        })
    });
    let refs: Vec<&ClickEnvelope> = envelopes.iter().collect();
    group.bench_function("encode_only", |b| {
        b.iter(|| {
            let batch = encode_batch(black_box(&refs)).ok();
            black_box(batch.and_then(|b| to_parquet(&b).ok()))
        })
    });
    group.bench_function("arrow_only", |b| {
        b.iter(|| black_box(encode_batch(black_box(&refs)).ok()))
    });
    group.bench_function("json_decode_only", |b| {
        b.iter(|| {
            black_box(
                payloads
                    .iter()
                    .filter_map(|p| parse_envelope(p).ok())
                    .count(),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, archive_encode);
criterion_main!(benches);
