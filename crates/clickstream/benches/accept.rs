//! Records validated and serialised per second on one core: post-clickstream's CPU path for one
//! `POST /set_click_stream` body (validate → envelope → JSON for Kinesis), no I/O. It lives
//! here rather than in the Lambda crate so that benchmarking it does not build the AWS SDK in
//! release mode; the code measured is `coinking-core`'s, exactly what the handler calls.
//!
//! `cargo bench -p coinking-clickstream --bench accept`; figures go to the README.

use std::hint::black_box;

use coinking_core::game::{ClickEnvelope, RecordRules, parse_game_record};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use uuid::Uuid;

const BODY: &str = include_str!("../../../crates/core/tests/fixtures/game_record_valid.json");

fn accept(c: &mut Criterion) {
    let rules = RecordRules::default();
    let mut group = c.benchmark_group("post_clickstream");
    group.throughput(Throughput::Elements(1));
    group.bench_function("validate_and_serialise", |b| {
        b.iter(|| {
            let record = parse_game_record(black_box(BODY.as_bytes()), &rules).ok();
            let envelope = record.map(|r| ClickEnvelope::new(r, Uuid::new_v4(), 1_732_500_000_000));
            black_box(envelope.and_then(|e| serde_json::to_vec(&e).ok()))
        })
    });
    group.bench_function("validate_only", |b| {
        b.iter(|| black_box(parse_game_record(black_box(BODY.as_bytes()), &rules).ok()))
    });
    group.finish();
}

criterion_group!(benches, accept);
criterion_main!(benches);
