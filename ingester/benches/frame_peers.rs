//! The project's side of `scripts/bench-peers.sh` for Upbit frames: the ingester's transform
//! (`Normalizer`: parse + normalise into the keyed v1 JSON records it produces to Kafka) on the
//! same frames file cryptofeed's Upbit handler reads.
//!
//! - `gen <dir> <messages>`: writes `trades.ndjson` (SIMPLE-format trade frames, the format
//!   cryptofeed subscribes with) and `tickers.ndjson` (ticker frames; cryptofeed has no Upbit
//!   ticker handler), one raw frame per line, `messages` lines each, cycling over the shipped
//!   capture's frames.
//! - `run <frames.ndjson> <repeats>`: normalises every line, best of `repeats`; prints
//!   `project <records> <seconds>`.
//!
//! `cargo bench -p coinking-ingester --bench frame_peers -- run trades.ndjson 3`

use std::io::{Read, Write};
use std::time::Instant;

use coinking_core::capture::parse_capture;
use coinking_ingester::transforms::Normalizer;
use coinking_upbit_sim::SHIPPED_CAPTURE;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The shipped capture's frames that hold one message of `kind` in SIMPLE (`"ty"`) or DEFAULT
/// (`"type"`) keys.
fn frames(key: &str, kind: &str) -> Vec<Vec<u8>> {
    let needle = format!("\"{key}\":\"{kind}\"");
    parse_capture(SHIPPED_CAPTURE)
        .filter_map(|line| line.ok())
        .map(|line| line.frame)
        .filter(|frame| frame.windows(needle.len()).any(|w| w == needle.as_bytes()))
        .filter(|frame| !frame.contains(&b'\n'))
        .collect()
}

fn write_cycled(path: &std::path::Path, frames: &[Vec<u8>], messages: usize) -> Result<()> {
    if frames.is_empty() {
        return Err(format!("no frames for {}", path.display()).into());
    }
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    for index in 0..messages {
        out.write_all(&frames[index % frames.len()])?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

/// Normalises every frame of `path`, read into `bytes`: the buffer is kept across repeats, as
/// the peer's allocator keeps its memory, so that a repeat does not time the kernel zeroing a
/// fresh buffer's pages.
fn normalise_file(path: &str, bytes: &mut Vec<u8>) -> Result<usize> {
    bytes.clear();
    std::fs::File::open(path)?.read_to_end(bytes)?;
    let mut normalizer = Normalizer::new(true);
    let mut out = Vec::with_capacity(4);
    let mut records = 0;
    for frame in bytes.split(|b| *b == b'\n').filter(|f| !f.is_empty()) {
        normalizer.apply(frame, &mut out);
        records += out.len();
        out.clear();
    }
    let errors = normalizer.metrics().snapshot().parse_error_total();
    if errors > 0 {
        return Err(format!("{errors} frames did not parse").into());
    }
    Ok(records)
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
        ["gen", dir, messages] => {
            let messages: usize = messages.parse()?;
            let dir = std::path::Path::new(dir);
            write_cycled(&dir.join("trades.ndjson"), &frames("ty", "trade"), messages)?;
            write_cycled(
                &dir.join("tickers.ndjson"),
                &frames("type", "ticker"),
                messages,
            )?;
            Ok(())
        }
        ["run", path, repeats] => {
            let mut best = f64::INFINITY;
            let mut records = 0;
            let mut bytes = Vec::new();
            for _ in 0..repeats.parse::<usize>()?.max(1) {
                let started = Instant::now();
                records = normalise_file(path, &mut bytes)?;
                best = best.min(started.elapsed().as_secs_f64());
            }
            println!("project {records} {best:.6}");
            Ok(())
        }
        // `cargo bench --workspace` runs every bench without arguments: nothing to do.
        [] => Ok(()),
        _ => Err(
            "usage: frame_peers gen <dir> <messages> | frame_peers run <frames.ndjson> <repeats>"
                .into(),
        ),
    }
}
