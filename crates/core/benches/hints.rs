//! The hints computation of one minute (flags, baseline forecast, ranks, sell levels) for 9 and
//! for 200 markets, ten closed candles each. Run: `cargo bench -p coinking-core --bench hints`;
//! figures go in the README ("Benchmarks", hints).

use std::hint::black_box;

use coinking_core::candle::{CANDLE_INTERVAL_MS, Candle};
use coinking_core::hints::{BaselineForecaster, MarketInput, WINDOW_MINUTES, compute_hints};
use coinking_core::market::MarketCode;
use criterion::{Criterion, criterion_group, criterion_main};
use rust_decimal::Decimal;

const T0: i64 = 1_732_500_000_000;

fn markets(count: usize) -> Vec<MarketCode> {
    (0..count)
        .filter_map(|i| MarketCode::parse(&format!("KRW-C{i:03}")).ok())
        .collect()
}

/// Ten minutes of a deterministic zig-zag per market, prices in different tick bands.
fn candles(market: &MarketCode, index: usize) -> Vec<Candle> {
    let base = 100 + (index as i64 * 7_919) % 90_000_000;
    (0..WINDOW_MINUTES as i64)
        .map(|minute| {
            let start = T0 + minute * CANDLE_INTERVAL_MS;
            let close = Decimal::new(
                base * 1_000 + ((minute * 37 + index as i64) % 11 - 5) * base,
                3,
            );
            Candle {
                market: market.clone(),
                minute_start_ms: start,
                open: close,
                high: close,
                low: close,
                close,
                volume: Decimal::new(1 + (minute + index as i64) % 13, 1),
                trade_count: 1,
                open_key: (start, minute),
                close_key: (start + 1, minute),
                last_position: minute,
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let as_of = T0 + WINDOW_MINUTES as i64 * CANDLE_INTERVAL_MS + 2_000;
    let forecaster = BaselineForecaster::default();
    for count in [9, 200] {
        let markets = markets(count);
        let series: Vec<Vec<Candle>> = markets
            .iter()
            .enumerate()
            .map(|(i, m)| candles(m, i))
            .collect();
        let inputs: Vec<MarketInput<'_>> = markets
            .iter()
            .zip(&series)
            .map(|(market, candles)| MarketInput {
                market,
                candles,
                price: candles.last().map(|c| (c.close, as_of)),
            })
            .collect();
        c.bench_function(&format!("compute_hints/{count}_markets"), |b| {
            b.iter(|| black_box(compute_hints(black_box(&inputs), &forecaster, as_of)))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
