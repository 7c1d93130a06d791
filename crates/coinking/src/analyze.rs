//! `coinking analyze --input <dir|s3://…> --output <dir|s3://…>`: one run of the embedded
//! analytics engine, the same as the `coinking-analyze` binary and as each scheduled run of
//! `coinking up`. The manifest goes to stdout as JSON, logs to stderr.
//!
//! A failed run writes no manifest (the previous run's output stays readable) and exits
//! non-zero; re-running is always safe because the output is a pure function of the input.

use anyhow::Context;
use coinking_analytics::{AnalyzeConfig, Location, run_analysis};

use crate::cli::AnalyzeArgs;

pub async fn run(args: AnalyzeArgs) -> anyhow::Result<()> {
    let mut config = AnalyzeConfig::new(
        Location::parse(&args.input).context("--input")?,
        Location::parse(&args.output).context("--output")?,
    );
    if let Some(partitions) = args.partitions {
        // The parser bounds it to 1..=1024, so it fits any usize.
        config.target_partitions = usize::try_from(partitions).unwrap_or(1);
    }
    let manifest = run_analysis(&config).await.context("analysis failed")?;
    println!(
        "{}",
        serde_json::to_string(&manifest).context("printing the manifest")?
    );
    Ok(())
}
