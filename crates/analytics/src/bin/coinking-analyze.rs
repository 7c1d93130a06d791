//! `coinking-analyze --input <dir|s3://bucket/prefix> --output <dir|s3://bucket/prefix>`: one
//! analysis run with the embedded engine (prints the manifest as JSON on stdout).

use anyhow::Context;
use clap::Parser;
use coinking_analytics::{AnalyzeConfig, Location, run_analysis};

// The system allocator: mimalloc served the earlier DataFusion engine (whose large buffers glibc
// kept returning to the kernel), but with the streaming engine it held a third more memory and
// was slower (1M games: 325–331 MiB and 1.1 s of passes against 238–258 MiB and 0.93 s).

#[derive(Debug, Parser)]
#[command(
    about = "Compute the clickstream analysis (20 results, per-player summaries) with the embedded engine"
)]
struct Args {
    /// Lake root: games are read from <input>/clickstream/.
    #[arg(long)]
    input: String,
    /// Output root: results go to <output>/analysis/.
    #[arg(long)]
    output: String,
    /// Parallelism (default: number of cores).
    #[arg(long)]
    partitions: Option<usize>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    coinking_logging::init(coinking_logging::LogFormat::from_env());
    let args = Args::parse();
    let mut config = AnalyzeConfig::new(
        Location::parse(&args.input).context("--input")?,
        Location::parse(&args.output).context("--output")?,
    );
    if let Some(partitions) = args.partitions {
        config.target_partitions = partitions;
    }
    let manifest = run_analysis(&config).await.context("analysis failed")?;
    println!("{}", serde_json::to_string(&manifest)?);
    Ok(())
}
