//! The project's side of `scripts/bench-peers.sh`: the archiver's JSON → zstd Parquet on the same
//! input file the peers (pyarrow, DuckDB, Polars) read, one thread, file to file.
//!
//! - `gen <out.ndjson> <rows>`: writes `rows` synthetic Kinesis payloads (the envelopes
//!   post-clickstream puts on the stream), one per line, all received within one hour (one
//!   partition, one object, as a bulk archive run writes them).
//! - `run <in.ndjson> <out.parquet> <repeats>`: reads the file, makes one `StreamRecord` per line
//!   (a slice of the file's buffer),
//!   runs `archive::prepare` (decode and validate every rule, Arrow, zstd level 1 Parquet) and
//!   writes the object; prints the best of `repeats` as `project <rows> <seconds>`.
//!
//! `cargo bench -p coinking-clickstream --bench peers -- run in.ndjson out.parquet 3`

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};
use bytes::Bytes;
use coinking_clickstream::StreamRecord;
use coinking_clickstream::archive::{Prepared, prepare};
use coinking_clickstream::testing::synthetic_envelope;
use memchr::memchr;

/// The archiver Lambda's allocator (`functions/clickstream-archiver/src/main.rs`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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

/// The input file's bytes, shared by every record's `Bytes` slice and handed back once they are
/// all dropped, so that the next repeat reads into the same memory.
struct Input(Arc<Vec<u8>>);

impl AsRef<[u8]> for Input {
    fn as_ref(&self) -> &[u8] {
        self.0.as_slice()
    }
}

fn archive_once(input: &str, output: &str, buffer: &mut Arc<Vec<u8>>) -> Result<usize> {
    // The file read once into one buffer, each line a slice of it (`Bytes`, no copy): the Lambda
    // runtime hands its records over already in memory, and the peers read their input once.
    // The buffer is kept across repeats, as the peers' allocators keep their pools; a fresh
    // 275 MB buffer per repeat timed the kernel zeroing its pages, a fifth of a run.
    let bytes = Arc::get_mut(buffer).context("the input buffer is still shared")?;
    bytes.clear();
    std::fs::File::open(input)
        .and_then(|mut file| file.read_to_end(bytes))
        .with_context(|| format!("read {input}"))?;
    let whole = Bytes::from_owner(Input(Arc::clone(buffer)));
    let mut records: Vec<StreamRecord> = Vec::new();
    let mut start = 0;
    while start < whole.len() {
        let end = memchr(b'\n', &whole[start..]).map_or(whole.len(), |at| start + at);
        if end > start {
            let index = records.len();
            records.push(StreamRecord {
                sequence_number: format!("4959{index:052}"),
                partition_key: index.to_string(),
                data: whole.slice(start..end),
                arrival_ms: FIRST_RECEIVED_MS,
            });
        }
        start = end + 1;
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
            let mut buffer = Arc::new(Vec::new());
            for _ in 0..repeats.max(1) {
                let started = Instant::now();
                rows = archive_once(input, output, &mut buffer)?;
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
