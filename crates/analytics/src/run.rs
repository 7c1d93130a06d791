//! `run_analysis`: list → analyze → write the 20 results, the per-player files, then the manifest.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tracing::{debug, info, warn};

use crate::engine;
use crate::engine::PlayerEntry;
use crate::error::AnalyticsError;
use crate::results::compute_results;
use crate::storage::{Location, S3Settings, Store};
use crate::users::player_summary;

/// Where the archived games are, under the input location.
pub const CLICKSTREAM_PREFIX: &str = "clickstream";
/// Where the results go, under the output location.
pub const ANALYSIS_PREFIX: &str = "analysis";
/// The manifest's key under the output location; written last.
pub const MANIFEST_KEY: &str = "analysis/_manifest.json";

/// One analysis run's settings.
#[derive(Debug, Clone)]
pub struct AnalyzeConfig {
    /// The lake root: a directory or `s3://bucket/prefix`; games are read from `<input>/clickstream/`.
    pub input: Location,
    /// The output root; results go to `<output>/analysis/`.
    pub output: Location,
    pub s3: S3Settings,
    /// Files decoded at once (default: the number of cores).
    pub target_partitions: usize,
}

impl AnalyzeConfig {
    pub fn new(input: Location, output: Location) -> Self {
        Self {
            input,
            output,
            s3: S3Settings::from_env(),
            target_partitions: std::thread::available_parallelism().map_or(2, |n| n.get()),
        }
    }
}

/// `analysis/_manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub run_id: String,
    pub engine: String,
    /// RFC 3339, UTC.
    pub generated_at: String,
    /// The same instant in epoch milliseconds (what readers compute cache lifetimes from).
    pub generated_at_ms: i64,
    /// Input keys relative to the input location, sorted.
    pub input_files: Vec<String>,
    /// Rows read, duplicates included.
    pub record_count: u64,
    /// Games after removing duplicate event_ids.
    pub game_count: u64,
    pub duplicates_dropped: u64,
    pub player_count: u64,
    /// The 0.9 quantile of balance; `null` without games.
    pub top_10_percent_threshold: Option<f64>,
    pub top_10_percent_games: u64,
    /// The result names written (`analysis/<name>.json`).
    pub results: Vec<String>,
}

/// The 20 results of one run in one document, so a reader gets them all from the same run with
/// one read (the per-result files are replaced one by one while a run writes them). Written
/// before the manifest.
pub const RESULTS_SNAPSHOT_KEY: &str = "analysis/_results.json";

/// `analysis/_results.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultsSnapshot {
    /// The manifest's `run_id` of the same run.
    pub run_id: String,
    /// The manifest's `generated_at_ms` of the same run.
    pub generated_at_ms: i64,
    /// Result name → the same JSON as `analysis/<name>.json`.
    pub results: Map<String, Value>,
}

/// Where the per-player summaries are, under the output location.
pub const USERS_DIRECTORY: &str = "analysis/users";

/// A player's file name in [`USERS_DIRECTORY`]. userName is a single key segment by the record
/// rules (no `/`, `\`, control characters, not `.`/`..`), so it is used as it is.
fn user_file(user_name: &str) -> String {
    format!("{user_name}.json")
}

/// Runs one analysis: everything in the module doc of `lib.rs`.
pub async fn run_analysis(config: &AnalyzeConfig) -> Result<Manifest, AnalyticsError> {
    let started = std::time::Instant::now();
    let input = Store::open(&config.input, &config.s3)?;
    let output = Store::open(&config.output, &config.s3)?;
    let files = input.list_parquet(CLICKSTREAM_PREFIX).await?;
    info!(files = files.len(), "input listed");
    let mut result = engine::analyze(&input, &files, config.target_partitions).await?;
    let computed = std::time::Instant::now();

    let run_id = uuid::Uuid::new_v4().to_string();
    let now = chrono::Utc::now();
    let mut documents: Vec<(String, Vec<u8>)> = Vec::new();
    let mut names = Vec::new();
    let mut snapshot = Map::new();
    for (name, value) in compute_results(&result.all, &result.top) {
        documents.push((format!("{ANALYSIS_PREFIX}/{name}.json"), to_json(&value)?));
        names.push(name.to_owned());
        snapshot.insert(name.to_owned(), value);
    }
    let snapshot = ResultsSnapshot {
        run_id: run_id.clone(),
        generated_at_ms: now.timestamp_millis(),
        results: snapshot,
    };
    documents.push((RESULTS_SNAPSHOT_KEY.to_owned(), to_json(&snapshot)?));
    output.write_all(documents).await?;
    let player_count = result.players.len() as u64;
    // Only a run with games writes player files: an empty lake leaves earlier ones alone. Each
    // file is made just before it is written, so the run never holds them all.
    if let Some(context) = result.context.filter(|_| player_count > 0) {
        let (players, maker) = std::mem::take(&mut result.players).into_parts();
        let summary = move |entry: PlayerEntry| {
            let player = maker.make(entry)?;
            Ok((
                user_file(&player.user_name),
                to_json(&player_summary(&player, &context))?,
            ))
        };
        output
            .replace_directory(USERS_DIRECTORY, players, summary)
            .await?;
    }
    debug!(
        players = player_count,
        elapsed_ms = computed.elapsed().as_millis() as u64,
        "results and player summaries written"
    );

    let manifest = Manifest {
        run_id,
        engine: "embedded".to_owned(),
        generated_at: now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        generated_at_ms: now.timestamp_millis(),
        input_files: files.iter().map(|f| f.relative.clone()).collect(),
        record_count: result.rows_read,
        game_count: result.all.games,
        duplicates_dropped: result.rows_read.saturating_sub(result.all.games),
        player_count,
        top_10_percent_threshold: result.top_threshold,
        top_10_percent_games: result.top.games,
        results: names,
    };
    output
        .write_all(vec![(MANIFEST_KEY.to_owned(), to_json(&manifest)?)])
        .await?;
    info!(
        games = manifest.game_count,
        duplicates = manifest.duplicates_dropped,
        players = manifest.player_count,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "analysis written"
    );
    Ok(manifest)
}

fn to_json<T: Serialize>(value: &T) -> Result<Vec<u8>, AnalyticsError> {
    Ok(serde_json::to_vec(value)?)
}

/// The local platform's scheduler: runs [`run_analysis`] now and then every `interval` until
/// `shutdown` resolves. A failed run is logged and retried at the next tick (the previous
/// complete output stays in place because its manifest is only replaced by a complete run).
pub async fn run_every(
    config: AnalyzeConfig,
    interval: Duration,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => return,
            _ = ticker.tick() => {
                if let Err(error) = run_analysis(&config).await {
                    warn!(%error, "scheduled analysis failed; retrying at the next tick");
                }
            }
        }
    }
}

/// The default interval of [`run_every`] on the local platform.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);

/// Reads a JSON document back (for tests and tools).
pub fn parse_json(bytes: &[u8]) -> Result<Value, AnalyticsError> {
    Ok(serde_json::from_slice(bytes)?)
}
