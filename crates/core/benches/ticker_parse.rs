//! Ticker parse + normalise throughput, DEFAULT and SIMPLE keys, on one core.
//! Run: `cargo bench -p coinking-core --bench ticker_parse`; figures go in the README.

use coinking_core::synth::{self, StyleMix, SynthConfig};
use coinking_core::ticker::NormalizedTicker;
use coinking_core::upbit::{UpbitMessage, parse_message};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

fn ticker_frames(styles: StyleMix) -> Vec<Vec<u8>> {
    let config = SynthConfig {
        styles,
        trades: false,
        duration_ms: 120_000,
        ..SynthConfig::default()
    };
    synth::generate(&config)
        .into_iter()
        .map(|line| line.frame)
        .filter(|frame| !frame.starts_with(br#"{"status""#))
        .take(1_000)
        .collect()
}

fn parse_and_normalise(frames: &[Vec<u8>]) -> usize {
    let mut normalised = 0;
    for frame in frames {
        if let Ok(UpbitMessage::Ticker(ticker)) = parse_message(frame) {
            black_box(NormalizedTicker::from_ticker(&ticker));
            normalised += 1;
        }
    }
    normalised
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("ticker_parse_normalise");
    for (name, styles) in [("default", StyleMix::Default), ("simple", StyleMix::Simple)] {
        let frames = ticker_frames(styles);
        assert_eq!(
            parse_and_normalise(&frames),
            frames.len(),
            "every frame is a ticker"
        );
        group.throughput(Throughput::Elements(frames.len() as u64));
        group.bench_function(name, |b| b.iter(|| parse_and_normalise(black_box(&frames))));
    }
    // Including the Kafka value serialisation the ingester does next.
    let frames = ticker_frames(StyleMix::Default);
    group.throughput(Throughput::Elements(frames.len() as u64));
    group.bench_function("default_to_kafka_json", |b| {
        b.iter(|| {
            for frame in &frames {
                if let Ok(UpbitMessage::Ticker(ticker)) = parse_message(frame) {
                    black_box(NormalizedTicker::from_ticker(&ticker).to_json());
                }
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
