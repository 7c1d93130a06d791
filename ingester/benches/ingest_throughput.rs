//! Parse + normalise (+ produce) throughput on one core: `cargo bench -p coinking-ingester --bench ingest_throughput`.
//!
//! Input: the ticker frames of the shipped capture, repeated. Two figures:
//! 1. parse + normalise only (the transform, no I/O);
//! 2. parse + normalise + enqueue into the Kafka sink, then flush, against the broker at
//!    `COINKING_KAFKA_BROKERS` (default 127.0.0.1:9092): msgs/s until every record is acknowledged.
//!    The runtime is current-thread (one core for our code); librdkafka's own I/O threads run beside it.

use std::time::{Duration, Instant};

use coinking_adapters::KafkaSettings;
use coinking_core::capture::parse_capture;
use coinking_ingester::kafka::{KafkaAdmin, producer_config};
use coinking_ingester::sinks::{KafkaBus, RecordSink};
use coinking_ingester::transforms::Normalizer;
use coinking_upbit_sim::SHIPPED_CAPTURE;

const MESSAGES: usize = 200_000;

fn frames() -> Vec<Vec<u8>> {
    parse_capture(SHIPPED_CAPTURE)
        .filter_map(Result::ok)
        .map(|line| line.frame)
        .filter(|frame| frame.windows(6).any(|w| w == b"ticker"))
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let frames = frames();
    let mut normalizer = Normalizer::new(false);
    let mut out = Vec::with_capacity(4);
    let started = Instant::now();
    let mut records = 0_usize;
    for index in 0..MESSAGES {
        normalizer.apply(&frames[index % frames.len()], &mut out);
        records += out.len();
        out.clear();
    }
    let elapsed = started.elapsed();
    println!(
        "parse+normalise: {records} tickers in {:.3} s = {:.0} msgs/s (one core)",
        elapsed.as_secs_f64(),
        records as f64 / elapsed.as_secs_f64()
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let settings = KafkaSettings::from_env()?;
        let topic = format!("bench-{}", uuid::Uuid::new_v4().simple());
        let admin = KafkaAdmin::new(&settings)?;
        admin.ensure_topic(&topic, 3).await?;
        let bus = KafkaBus::new(&producer_config(&settings), &topic, None)?;
        let mut normalizer = Normalizer::new(false);
        let mut out = Vec::with_capacity(4);
        let started = Instant::now();
        let mut sent = 0_usize;
        for index in 0..MESSAGES {
            normalizer.apply(&frames[index % frames.len()], &mut out);
            for record in out.drain(..) {
                bus.publish(record).await?;
                sent += 1;
            }
        }
        let enqueued = started.elapsed();
        bus.flush(Duration::from_secs(120)).await?;
        let delivered = started.elapsed();
        println!(
            "parse+normalise+enqueue: {sent} in {:.3} s = {:.0} msgs/s; until all acknowledged by {}: {:.3} s = {:.0} msgs/s",
            enqueued.as_secs_f64(),
            sent as f64 / enqueued.as_secs_f64(),
            settings.brokers,
            delivered.as_secs_f64(),
            sent as f64 / delivered.as_secs_f64()
        );
        admin.delete_topic(&topic).await?;
        Ok::<_, Box<dyn std::error::Error>>(())
    })
}
