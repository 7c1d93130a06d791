//! `coinking gen-capture`: writes a synthetic capture.

use std::io::Write;

use anyhow::Context;
use coinking_core::synth::{self, StyleMix, SynthConfig};

use crate::cli::{GenCaptureArgs, Styles};

pub fn run(args: GenCaptureArgs) -> anyhow::Result<()> {
    let config = SynthConfig {
        seed: args.seed,
        start_ms: args.start_ms,
        duration_ms: i64::from(args.duration_secs) * 1000,
        styles: match args.styles {
            Styles::Default => StyleMix::Default,
            Styles::Simple => StyleMix::Simple,
            Styles::Both => StyleMix::Both,
        },
        trades: !args.no_trades,
        ..SynthConfig::default()
    };
    let lines = synth::generate(&config);
    let mut text = String::with_capacity(lines.len() * 700);
    for line in &lines {
        text.push_str(&line.to_ndjson());
        text.push('\n');
    }
    if args.out.as_os_str() == "-" {
        std::io::stdout().lock().write_all(text.as_bytes())?;
    } else {
        std::fs::write(&args.out, &text)
            .with_context(|| format!("writing capture to {}", args.out.display()))?;
    }
    tracing::info!(frames = lines.len(), seed = args.seed, out = %args.out.display(), "capture written");
    Ok(())
}
