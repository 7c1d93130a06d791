//! The project's side of `scripts/bench-peers.sh`: the archiver's JSON → zstd Parquet on the same
//! input file the peers (pyarrow, DuckDB, Polars) read, one thread, file to file.
//!
//! - `gen <out.ndjson> <rows>`: writes `rows` synthetic Kinesis payloads (the envelopes
//!   post-clickstream puts on the stream), one per line, all received within one hour (one
//!   partition, one object, as a bulk archive run writes them).
//! - `run <in.ndjson> <out.parquet> <repeats>`: reads the file, makes one `StreamRecord` per line,
//!   runs `archive::prepare` (decode and validate every rule, Arrow, zstd level 1 Parquet) and
//!   writes the object; prints the best of `repeats` as `project <rows> <seconds>`.
//!
//! `cargo bench -p coinking-clickstream --bench peers -- run in.ndjson out.parquet 3`

use std::io::{BufRead, Write};
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};
use coinking_clickstream::StreamRecord;
use coinking_clickstream::archive::{Prepared, prepare};
use coinking_clickstream::testing::synthetic_envelope;

/// The archiver Lambda's allocator (`functions/clickstream-archiver/src/main.rs`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Room for one synthetic envelope (about 2.9 KB of JSON) without regrowing.
const LINE_CAPACITY: usize = 4096;

/// 2024-11-25 00:00 UTC: every generated record falls in one `dt`/`hour` partition.
const FIRST_RECEIVED_MS: i64 = 1_732_492_800_000;

fn generate(path: &str, rows: u64) -> Result<()> {
    let file = std::fs::File::create(path).with_context(|| format!("create {path}"))?;
    let mut out = std::io::BufWriter::new(file);
    for i in 0..rows {
        // Spread over less than an hour: one partition whatever `rows` is.
        let received = FIRST_RECEIVED_MS + (i % 3_000_000) as i64;
        serde_json::to_writer(&mut out, &synthetic_envelope(i, received))?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

fn archive_once(input: &str, output: &str) -> Result<usize> {
    // Each line read straight into its record's own buffer, as the Lambda runtime hands each
    // Kinesis record over: no second copy of the whole file (the peers read it once too).
    let file = std::fs::File::open(input).with_context(|| format!("open {input}"))?;
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
    let mut records: Vec<StreamRecord> = Vec::new();
    loop {
        let mut data = Vec::with_capacity(LINE_CAPACITY);
        if reader
            .read_until(b'\n', &mut data)
            .with_context(|| format!("read {input}"))?
            == 0
        {
            break;
        }
        if data.last() == Some(&b'\n') {
            data.pop();
        }
        if data.is_empty() {
            continue;
        }
        let index = records.len();
        records.push(StreamRecord {
            sequence_number: format!("4959{index:052}"),
            partition_key: index.to_string(),
            data,
            arrival_ms: FIRST_RECEIVED_MS,
        });
    }
    let Prepared {
        objects, failures, ..
    } = prepare("shardId-000000000000", &records);
    ensure!(failures.is_empty(), "objects failed: {failures:?}");
    let [object] = objects.as_slice() else {
        bail!("expected one object (one partition), got {}", objects.len());
    };
    ensure!(
        object.records == records.len(),
        "{} of {} records archived: the input holds invalid records",
        object.records,
        records.len()
    );
    std::fs::write(output, &object.body).with_context(|| format!("write {output}"))?;
    Ok(object.records)
}

fn main() -> Result<()> {
    // `cargo bench` appends `--bench`; everything else is ours.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["gen", path, rows] => generate(path, rows.parse().context("rows")?),
        ["run", input, output, repeats] => {
            let repeats: usize = repeats.parse().context("repeats")?;
            let mut best = f64::INFINITY;
            let mut rows = 0;
            for _ in 0..repeats.max(1) {
                let started = Instant::now();
                rows = archive_once(input, output)?;
                best = best.min(started.elapsed().as_secs_f64());
            }
            println!("project {rows} {best:.6}");
            Ok(())
        }
        // `cargo bench --workspace` runs every bench without arguments: nothing to do.
        [] => Ok(()),
        _ => bail!(
            "usage: peers gen <out.ndjson> <rows> | peers run <in.ndjson> <out.parquet> <repeats>"
        ),
    }
}
