//! `coinking backfill`: fills the lake's 1-minute candle table from Upbit's REST candles
//! (coinking-forecast's `backfill` does the work; this is the command line's edge).

use anyhow::Context;
use coinking_forecast::backfill::{BackfillConfig, backfill};
use coinking_forecast::lake::Lake;

use crate::cli::BackfillArgs;

pub async fn run(args: BackfillArgs) -> anyhow::Result<()> {
    let (from_ms, to_ms) = args.range.parse()?;
    let lake = Lake::open(&args.lake).with_context(|| format!("--lake {}", args.lake))?;
    let config = BackfillConfig {
        base_url: args.upbit_url,
        max_per_sec: args.max_per_sec,
        ..BackfillConfig::default()
    };
    let report = backfill(&lake, &args.markets, from_ms, to_ms, config).await?;
    println!(
        "{}",
        serde_json::json!({
            "blocks_written": report.blocks_written,
            "blocks_skipped": report.blocks_skipped,
            "candles_written": report.candles_written,
            "requests": report.requests,
            "rate_limited": report.rate_limited,
        })
    );
    Ok(())
}
