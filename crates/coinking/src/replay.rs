//! Replays a raw capture: frames are paced by their receive times, parsed, normalised, and the
//! normalised tickers (`--types ticker`, the default) and/or trades (`--types trade`) printed to
//! stdout as NDJSON: the `upbit.ticker` and `upbit.trade` Kafka values, in capture order.

use std::future::Future;
use std::io::Write;
use std::time::Duration;

use anyhow::Context;
use coinking_core::capture::{CaptureLine, parse_capture};
use coinking_core::ticker::NormalizedTicker;
use coinking_core::upbit::{DecodeStats, UpbitMessage, decode_counted};
use coinking_ingester::transforms::NormalizedTrade;
use tokio::time::Instant;

use crate::cli::{Pacing, ReplayArgs, ReplayType};

pub async fn run_replay(
    args: ReplayArgs,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.capture)
        .with_context(|| format!("reading capture {}", args.capture.display()))?;
    let lines =
        load(&text).with_context(|| format!("parsing capture {}", args.capture.display()))?;
    tracing::info!(capture = %args.capture.display(), frames = lines.len(), "replaying capture");
    replay(&lines, &args.types, &args.pacing, shutdown).await
}

fn load(text: &str) -> anyhow::Result<Vec<CaptureLine>> {
    let lines = parse_capture(text).collect::<Result<Vec<_>, _>>()?;
    anyhow::ensure!(!lines.is_empty(), "the capture has no frames");
    Ok(lines)
}

async fn replay(
    lines: &[CaptureLine],
    types: &[ReplayType],
    pacing: &Pacing,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    anyhow::ensure!(
        pacing.speed.is_finite() && pacing.speed >= 0.0,
        "--speed must be a finite number >= 0, got {}",
        pacing.speed
    );
    tokio::pin!(shutdown);
    let mut stats = DecodeStats::default();
    let mut pass = 0u64;
    loop {
        pass += 1;
        let finished = tokio::select! {
            result = replay_once(lines, types, pacing.speed, &mut stats) => { result?; true }
            () = &mut shutdown => false,
        };
        tracing::info!(
            pass,
            frames = stats.frames,
            tickers = stats.tickers,
            trades = stats.trades,
            parse_errors = stats.parse_error_total(),
            "replay progress"
        );
        if !finished || pacing.once {
            return Ok(());
        }
    }
}

async fn replay_once(
    lines: &[CaptureLine],
    types: &[ReplayType],
    speed: f64,
    stats: &mut DecodeStats,
) -> anyhow::Result<()> {
    let first_ms = lines.first().map_or(0, |line| line.received_at_ms);
    let started = Instant::now();
    let stdout = std::io::stdout();
    for line in lines {
        if speed > 0.0 {
            let offset_ms = (line.received_at_ms - first_ms).max(0) as f64 / speed;
            tokio::time::sleep_until(started + Duration::from_secs_f64(offset_ms / 1000.0)).await;
        }
        let mut out = stdout.lock();
        let mut write_result = Ok(());
        let mut print = |mut json: Vec<u8>| {
            json.push(b'\n');
            if write_result.is_ok() {
                write_result = out.write_all(&json);
            }
        };
        decode_counted(&line.frame, stats, |result| match result {
            Ok(UpbitMessage::Ticker(ticker)) if types.contains(&ReplayType::Ticker) => {
                print(NormalizedTicker::from_ticker(&ticker).to_json());
            }
            Ok(UpbitMessage::Trade(trade)) if types.contains(&ReplayType::Trade) => {
                print(NormalizedTrade::from_trade(&trade).to_json());
            }
            Ok(UpbitMessage::Error { name, message }) => {
                tracing::warn!(%name, %message, "upbit reported an error");
            }
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, kind = err.kind(), "malformed frame skipped"),
        });
        write_result.context("writing to stdout")?;
    }
    Ok(())
}
