#![allow(clippy::unwrap_used)]
//! Which Parquet writer settings cost what: the measurements behind `to_parquet`'s settings.
//! Prints each variant's file size, then times it on 500 synthetic rows (one Kinesis batch).
//!
//! `cargo bench -p coinking-clickstream --bench parquet_settings`
use std::hint::black_box;

use coinking_clickstream::encode_batch;
use coinking_clickstream::testing::synthetic_envelope;
use coinking_core::game::ClickEnvelope;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};

const ROWS: usize = 500;

fn write(batch: &arrow_array::RecordBatch, props: WriterProperties) -> usize {
    let mut file = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut file, batch.schema(), Some(props)).unwrap();
    writer.write(batch).unwrap();
    writer.close().unwrap();
    file.len()
}

fn settings(c: &mut Criterion) {
    let envelopes: Vec<ClickEnvelope> = (0..ROWS as u64)
        .map(|i| synthetic_envelope(i, 1_732_500_000_000 + i as i64))
        .collect();
    let refs: Vec<&ClickEnvelope> = envelopes.iter().collect();
    let batch = encode_batch(&refs).unwrap();
    let zstd1 = Compression::ZSTD(ZstdLevel::try_new(1).unwrap());
    let base = || {
        WriterProperties::builder()
            .set_compression(zstd1)
            .set_dictionary_enabled(false)
            .set_statistics_enabled(EnabledStatistics::None)
            .set_column_statistics_enabled("received_at".into(), EnabledStatistics::Chunk)
    };
    let path = |col: &str| {
        parquet::schema::types::ColumnPath::new(col.split('.').map(String::from).collect())
    };
    let variants: Vec<(&str, WriterProperties)> = vec![
        (
            "current",
            WriterProperties::builder()
                .set_compression(zstd1)
                .set_column_dictionary_enabled("event_id".into(), false)
                .build(),
        ),
        (
            "nodict_statsnone",
            WriterProperties::builder()
                .set_compression(zstd1)
                .set_dictionary_enabled(false)
                .set_statistics_enabled(EnabledStatistics::None)
                .build(),
        ),
        ("chosen_nodict_stats_received_at", base().build()),
        (
            "nodict_stats_received_at_wbs8192",
            base().set_write_batch_size(8192).build(),
        ),
        (
            "dict_codes",
            base()
                .set_column_dictionary_enabled(path("coins.list.element"), true)
                .set_column_dictionary_enabled(path("deeplearning_data.list.element.code"), true)
                .set_column_dictionary_enabled(path("user_affiliation"), true)
                .build(),
        ),
        ("dict_codes_small_uncompressed", {
            let mut b = base()
                .set_column_dictionary_enabled(path("coins.list.element"), true)
                .set_column_dictionary_enabled(path("deeplearning_data.list.element.code"), true);
            for col in [
                "schema_version",
                "ai_recommend_1",
                "ai_recommend_2",
                "leverage",
                "deeplearning_data.list.element.fastest_decline",
                "deeplearning_data.list.element.fastest_growth",
                "deeplearning_data.list.element.largest_drop",
                "deeplearning_data.list.element.largest_rise",
                "deeplearning_data.list.element.largest_spike",
                "deeplearning_data.list.element.least_volatile",
                "deeplearning_data.list.element.most_volatile",
            ] {
                b = b.set_column_compression(path(col), Compression::UNCOMPRESSED);
            }
            b.build()
        }),
        (
            "nodict_statsnone_uncompressed",
            WriterProperties::builder()
                .set_compression(Compression::UNCOMPRESSED)
                .set_dictionary_enabled(false)
                .set_statistics_enabled(EnabledStatistics::None)
                .build(),
        ),
    ];
    let mut group = c.benchmark_group("parquet_settings");
    group.throughput(Throughput::Elements(ROWS as u64));
    group.sample_size(10);
    for (name, props) in variants {
        eprintln!("{name}: {} bytes", write(&batch, props.clone()));
        group.bench_function(name, |b| b.iter(|| black_box(write(&batch, props.clone()))));
    }
    group.finish();
}

criterion_group!(benches, settings);
criterion_main!(benches);
