//! The DataFusion side: Parquet in, [`PopulationStats`] and [`PlayerAggregate`]s out.
//!
//! Steps: register the listed files as one table (`raw`), deduplicate by `event_id` into an
//! in-memory table `games` (only the columns the results use; the ranking by DEDUP_ORDER only
//! over the ids seen more than once), take the 0.9 quantile of balance from the sorted balances
//! as Spark's `approxQuantile(…, 0.0)` does, then run one small aggregate query per statistic over
//! `games` and over `top` (`balance >= q`), and three per-player queries. Every mean is an exact
//! decimal sum ([`exact_sum`], [`mean_at`]), so the same input gives the same bits on every run.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Decimal128Type, Float64Type, Int64Type};
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::prelude::{SessionConfig, SessionContext, col, lit};
use tracing::debug;
use url::Url;

use crate::error::AnalyticsError;
use crate::results::{GroupStat, PopulationStats, TOP_QUANTILE, approx_quantile_exact};
use crate::storage::{InputFile, Store};
use crate::users::{PlayerAggregate, PopulationContext};

/// Which row of a duplicated `event_id` is kept: the earliest `received_at`, then the smallest
/// value of every column an output depends on, in this order (docs/ANALYTICS.md). Rows that tie
/// on all of them are indistinguishable to every result, so which one survives cannot matter.
const DEDUP_ORDER: &str = "received_at, user_name, balance, leverage, ai_recommend_1, \
    ai_recommend_2, remaining_time_1, remaining_time_2, remaining_time_3, \
    user_sell_time_1['time'], user_sell_time_2['time'], user_sell_time_3['time'], \
    user_sell_time_1['coin'], user_sell_time_2['coin'], user_sell_time_3['coin'], \
    array_to_string(coins, ',')";

/// The columns of `games`, under the short names the queries use.
const GAME_COLUMNS: &str = "user_name, coins, CAST(leverage AS BIGINT) AS leverage, \
    ai_recommend_1 AS ai1, ai_recommend_2 AS ai2, \
    remaining_time_1 AS rt1, remaining_time_2 AS rt2, remaining_time_3 AS rt3, \
    user_sell_time_1['coin'] AS sc1, user_sell_time_1['time'] AS st1, \
    user_sell_time_2['coin'] AS sc2, user_sell_time_2['time'] AS st2, \
    user_sell_time_3['coin'] AS sc3, user_sell_time_3['time'] AS st3, \
    balance";

/// The type every mean is summed in: each double rounded to 10 decimal places, then added exactly
/// (i128), so the sum does not depend on the order the partitions' partial sums arrive in, which
/// varies from run to run. Balances are at most 1e15 KRW (record rules): 10^8 such games still
/// fit. The Spark job sums in the same type (`job.py` EXACT_SUM_TYPE).
const EXACT_SUM_TYPE: &str = "DECIMAL(38, 10)";

/// `sum(column)` in [`EXACT_SUM_TYPE`]; the mean is taken in Rust ([`mean_at`]) because Arrow's
/// decimal → double cast is not the nearest double (8e9 came out as 7999999999.999999).
fn exact_sum(column: &str) -> String {
    format!("sum(CAST({column} AS {EXACT_SUM_TYPE}))")
}

/// Everything the outputs are computed from.
#[derive(Debug, Clone, Default)]
pub struct EngineOutput {
    /// Rows read (before deduplication).
    pub rows_read: u64,
    pub all: PopulationStats,
    pub top: PopulationStats,
    /// `None` when there are no games.
    pub top_threshold: Option<f64>,
    pub players: Vec<PlayerAggregate>,
    pub context: Option<PopulationContext>,
}

/// Runs the analysis over `files` (already listed from `store`).
pub async fn analyze(
    store: &Store,
    files: &[InputFile],
    target_partitions: usize,
) -> Result<EngineOutput, AnalyticsError> {
    if files.is_empty() {
        return Ok(EngineOutput::default());
    }
    let config = SessionConfig::new()
        .with_target_partitions(target_partitions.max(1))
        .with_information_schema(false);
    let ctx = SessionContext::new_with_config(config);
    let base = Url::parse(&store.url_base).map_err(|e| AnalyticsError::InvalidLocation {
        location: store.url_base.clone(),
        reason: e.to_string(),
    })?;
    ctx.register_object_store(&base, Arc::clone(&store.store));

    let mut urls = Vec::with_capacity(files.len());
    for file in files {
        urls.push(ListingTableUrl::parse(&file.url)?);
    }
    let options = ListingOptions::new(Arc::new(ParquetFormat::default()))
        .with_file_extension(".parquet")
        // dt=/hour= are path partitions only; the file carries received_at itself.
        .with_table_partition_cols(vec![]);
    let table_config = ListingTableConfig::new_with_multi_paths(urls)
        .with_listing_options(options)
        .infer_schema(&ctx.state())
        .await?;
    ctx.register_table("raw", Arc::new(ListingTable::try_new(table_config)?))?;

    let phase = Instant::now();
    let rows_read = single_i64(&ctx, "SELECT count(*) FROM raw").await? as u64;
    // Deduplication without sorting every row: the event_ids seen more than once (a hash
    // aggregate, kept in memory: a few percent of the ids), then the rows of all other ids as
    // they are plus, for the duplicated ids only, the row DEDUP_ORDER ranks first. The same
    // result as ranking every row by event_id, at a fraction of the time and memory (README
    // "Benchmarks", Analytics).
    let duplicated = ctx
        .sql("SELECT event_id FROM raw GROUP BY event_id HAVING count(*) > 1")
        .await?
        .cache()
        .await?;
    ctx.register_table("duplicated", duplicated.into_view())?;
    let games_sql = format!(
        "SELECT {GAME_COLUMNS} FROM raw WHERE event_id NOT IN (SELECT event_id FROM duplicated) \
         UNION ALL \
         SELECT {GAME_COLUMNS} FROM ( \
             SELECT *, row_number() OVER (PARTITION BY event_id ORDER BY {DEDUP_ORDER}) AS rn \
             FROM raw WHERE event_id IN (SELECT event_id FROM duplicated)) \
         WHERE rn = 1"
    );
    let games = ctx.sql(&games_sql).await?.cache().await?;
    ctx.register_table("games", games.clone().into_view())?;
    let phase = phase_done("read and deduplicate", phase);

    let mut balances = f64_column(
        games
            .clone()
            .select(vec![col("balance")])?
            .collect()
            .await?,
        0,
    )?;
    balances.sort_unstable_by(f64::total_cmp);
    let threshold = approx_quantile_exact(&balances, TOP_QUANTILE);
    let Some(q) = threshold else {
        return Ok(EngineOutput {
            rows_read,
            ..EngineOutput::default()
        });
    };
    let top = games.filter(col("balance").gt_eq(lit(q)))?;
    ctx.register_table("top", top.into_view())?;
    let phase = phase_done("quantile", phase);

    let all = population(&ctx, "games").await?;
    let top = population(&ctx, "top").await?;
    let phase = phase_done("population statistics", phase);
    let mut players = players(&ctx).await?;
    phase_done("per-player aggregates", phase);

    let mut bests: Vec<f64> = players.iter().map(|p| p.best_balance).collect();
    bests.sort_unstable_by(f64::total_cmp);
    for player in &mut players {
        let best = player.best_balance;
        player.games_below_best = balances.partition_point(|b| *b < best) as u64;
        player.players_below = bests.partition_point(|b| *b < best) as u64;
    }
    let context = PopulationContext {
        games: all.games,
        players: players.len() as u64,
        avg_sell_time: all.avg_sell_time.map(|t| t.unwrap_or(0.0)),
        top_avg_sell_time: top.avg_sell_time.map(|t| t.unwrap_or(0.0)),
        top_threshold: q,
    };
    Ok(EngineOutput {
        rows_read,
        all,
        top,
        top_threshold: Some(q),
        players,
        context: Some(context),
    })
}

/// The statistics of one population (`games` or `top`).
async fn population(ctx: &SessionContext, table: &str) -> Result<PopulationStats, AnalyticsError> {
    let means = ["balance", "rt1", "rt2", "rt3", "st1", "st2", "st3"].map(exact_sum);
    let totals = ctx
        .sql(&format!(
            "SELECT count(*), {} FROM {table}",
            means.join(", ")
        ))
        .await?
        .collect()
        .await?;
    let mut stats = PopulationStats::default();
    if let Some(batch) = totals.iter().find(|b| b.num_rows() > 0) {
        let games = i64_at(batch, 0, 0)?;
        stats.games = games as u64;
        stats.avg_balance = mean_at(batch, 1, 0, games)?;
        for stage in 0..3 {
            stats.avg_remaining_time[stage] = mean_at(batch, 2 + stage, 0, games)?;
            stats.avg_sell_time[stage] = mean_at(batch, 5 + stage, 0, games)?;
        }
    }

    for batch in query(
        ctx,
        &format!(
            "SELECT leverage, count(*), {} FROM {table} GROUP BY leverage",
            exact_sum("balance")
        ),
    )
    .await?
    {
        for row in 0..batch.num_rows() {
            let count = i64_at(&batch, 1, row)?;
            stats.leverage.push(GroupStat {
                key: i64_at(&batch, 0, row)?,
                count: count as u64,
                avg_balance: non_null_mean_at(&batch, 2, row, count)?,
            });
        }
    }
    stats.ai_recommend_1 = bool_groups(ctx, table, "ai1").await?;
    stats.ai_recommend_2 = bool_groups(ctx, table, "ai2").await?;

    for batch in query(
        ctx,
        &format!(
            "SELECT coin, count(*) FROM (SELECT unnest(coins) AS coin FROM {table}) GROUP BY coin"
        ),
    )
    .await?
    {
        for row in 0..batch.num_rows() {
            stats
                .coin_picks
                .push((string_at(&batch, 0, row)?, i64_at(&batch, 1, row)? as u64));
        }
    }
    for batch in query(
        ctx,
        &format!(
            "SELECT coin, count(*), {} FROM ( \
            SELECT sc1 AS coin, st1 AS t FROM {table} \
            UNION ALL SELECT sc2 AS coin, st2 AS t FROM {table} \
            UNION ALL SELECT sc3 AS coin, st3 AS t FROM {table}) \
         GROUP BY coin",
            exact_sum("t")
        ),
    )
    .await?
    {
        for row in 0..batch.num_rows() {
            let count = i64_at(&batch, 1, row)?;
            stats.coin_sell_time.push((
                string_at(&batch, 0, row)?,
                non_null_mean_at(&batch, 2, row, count)?,
            ));
        }
    }
    Ok(stats)
}

async fn bool_groups(
    ctx: &SessionContext,
    table: &str,
    column: &str,
) -> Result<Vec<GroupStat<bool>>, AnalyticsError> {
    let mut groups = Vec::new();
    for batch in query(
        ctx,
        &format!(
            "SELECT {column}, count(*), {} FROM {table} GROUP BY {column}",
            exact_sum("balance")
        ),
    )
    .await?
    {
        let keys = batch.column(0).as_boolean_opt().ok_or_else(|| {
            AnalyticsError::Unexpected(format!("{column}: expected a boolean column"))
        })?;
        for row in 0..batch.num_rows() {
            let count = i64_at(&batch, 1, row)?;
            groups.push(GroupStat {
                key: keys.value(row),
                count: count as u64,
                avg_balance: non_null_mean_at(&batch, 2, row, count)?,
            });
        }
    }
    Ok(groups)
}

/// Per-player aggregates, sorted by user name.
async fn players(ctx: &SessionContext) -> Result<Vec<PlayerAggregate>, AnalyticsError> {
    let mut players: Vec<PlayerAggregate> = Vec::new();
    // user name → index in `players`: hundreds of thousands of players, millions of lookups.
    let mut index: HashMap<String, usize> = HashMap::new();
    for batch in query(
        ctx,
        &format!(
            "SELECT user_name, count(*), max(balance), {}, \
                sum(CASE WHEN ai1 THEN 1 ELSE 0 END), sum(CASE WHEN ai2 THEN 1 ELSE 0 END), \
                {}, {}, {} \
             FROM games GROUP BY user_name",
            exact_sum("balance"),
            exact_sum("st1"),
            exact_sum("st2"),
            exact_sum("st3")
        ),
    )
    .await?
    {
        let names = StrColumn::of(&batch, 0)?;
        for row in 0..batch.num_rows() {
            let user_name = names.value(row).to_owned();
            let games = i64_at(&batch, 1, row)?;
            index.insert(user_name.clone(), players.len());
            players.push(PlayerAggregate {
                user_name,
                games: games as u64,
                best_balance: f64_at(&batch, 2, row)?,
                avg_balance: non_null_mean_at(&batch, 3, row, games)?,
                ai_recommend_1_used: i64_at(&batch, 4, row)? as u64,
                ai_recommend_2_used: i64_at(&batch, 5, row)? as u64,
                avg_sell_time: [
                    non_null_mean_at(&batch, 6, row, games)?,
                    non_null_mean_at(&batch, 7, row, games)?,
                    non_null_mean_at(&batch, 8, row, games)?,
                ],
                ..PlayerAggregate::default()
            });
        }
    }
    let position = |name: &str| {
        index
            .get(name)
            .copied()
            .ok_or_else(|| AnalyticsError::Unexpected(format!("player `{name}` vanished")))
    };
    for batch in query(
        ctx,
        "SELECT user_name, count(*) FROM top GROUP BY user_name",
    )
    .await?
    {
        let names = StrColumn::of(&batch, 0)?;
        for row in 0..batch.num_rows() {
            players[position(names.value(row))?].top_games = i64_at(&batch, 1, row)? as u64;
        }
    }
    for batch in query(
        ctx,
        "SELECT user_name, leverage, count(*) FROM games GROUP BY user_name, leverage",
    )
    .await?
    {
        let names = StrColumn::of(&batch, 0)?;
        for row in 0..batch.num_rows() {
            players[position(names.value(row))?]
                .leverage
                .push((i64_at(&batch, 1, row)?, i64_at(&batch, 2, row)? as u64));
        }
    }
    for batch in query(
        ctx,
        "SELECT user_name, coin, count(*) \
         FROM (SELECT user_name, unnest(coins) AS coin FROM games) GROUP BY user_name, coin",
    )
    .await?
    {
        let names = StrColumn::of(&batch, 0)?;
        let coins = StrColumn::of(&batch, 1)?;
        for row in 0..batch.num_rows() {
            players[position(names.value(row))?]
                .coin_picks
                .push((coins.value(row).to_owned(), i64_at(&batch, 2, row)? as u64));
        }
    }
    players.sort_unstable_by(|a, b| a.user_name.cmp(&b.user_name));
    Ok(players)
}

/// Logs how long one step took (where a run's time goes, per step) and starts the next.
fn phase_done(step: &str, started: Instant) -> Instant {
    debug!(
        step,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "engine step done"
    );
    Instant::now()
}

async fn query(ctx: &SessionContext, sql: &str) -> Result<Vec<RecordBatch>, AnalyticsError> {
    Ok(ctx.sql(sql).await?.collect().await?)
}

async fn single_i64(ctx: &SessionContext, sql: &str) -> Result<i64, AnalyticsError> {
    let batches = query(ctx, sql).await?;
    let batch = batches
        .iter()
        .find(|b| b.num_rows() > 0)
        .ok_or_else(|| AnalyticsError::Unexpected(format!("no row from `{sql}`")))?;
    i64_at(batch, 0, 0)
}

fn column_error(index: usize, expected: &str) -> AnalyticsError {
    AnalyticsError::Unexpected(format!("column {index}: expected {expected}"))
}

fn i64_at(batch: &RecordBatch, index: usize, row: usize) -> Result<i64, AnalyticsError> {
    let column = batch.column(index);
    let values = column
        .as_primitive_opt::<Int64Type>()
        .ok_or_else(|| column_error(index, "Int64"))?;
    if values.is_null(row) {
        return Err(column_error(index, "a non-null Int64"));
    }
    Ok(values.value(row))
}

/// The mean of `count` values whose exact decimal sum ([`exact_sum`]) is at `index`; `None` when
/// the sum is null (no rows). Deterministic, and exact whenever the mean is a double (1.5e9, 9.5):
/// `sum / (count × 10^scale)` split into a whole part (exact as f64 below 2^53, and means of
/// balances are at most 1e15) and a fraction in [0, 1), rounded once each.
fn mean_at(
    batch: &RecordBatch,
    index: usize,
    row: usize,
    count: i64,
) -> Result<Option<f64>, AnalyticsError> {
    let column = batch.column(index);
    let DataType::Decimal128(_, scale) = column.data_type() else {
        return Err(column_error(index, "Decimal128"));
    };
    let sums = column.as_primitive::<Decimal128Type>();
    if sums.is_null(row) || count <= 0 {
        return Ok(None);
    }
    let scale = u32::try_from(*scale).map_err(|_| column_error(index, "a non-negative scale"))?;
    // count × 10^scale: at most 10^8 games × 10^10, far inside i128.
    let denominator = i128::from(count) * 10_i128.pow(scale);
    let sum = sums.value(row);
    let whole = sum.div_euclid(denominator);
    let fraction = sum.rem_euclid(denominator);
    Ok(Some(whole as f64 + fraction as f64 / denominator as f64))
}

fn non_null_mean_at(
    batch: &RecordBatch,
    index: usize,
    row: usize,
    count: i64,
) -> Result<f64, AnalyticsError> {
    mean_at(batch, index, row, count)?.ok_or_else(|| column_error(index, "a non-null sum"))
}

fn opt_f64_at(
    batch: &RecordBatch,
    index: usize,
    row: usize,
) -> Result<Option<f64>, AnalyticsError> {
    let values = batch
        .column(index)
        .as_primitive_opt::<Float64Type>()
        .ok_or_else(|| column_error(index, "Float64"))?;
    Ok((!values.is_null(row)).then(|| values.value(row)))
}

fn f64_at(batch: &RecordBatch, index: usize, row: usize) -> Result<f64, AnalyticsError> {
    opt_f64_at(batch, index, row)?.ok_or_else(|| column_error(index, "a non-null Float64"))
}

fn string_at(batch: &RecordBatch, index: usize, row: usize) -> Result<String, AnalyticsError> {
    Ok(StrColumn::of(batch, index)?.value(row).to_owned())
}

/// A string column in whichever of Arrow's string layouts DataFusion produced, read without
/// copying.
enum StrColumn<'a> {
    Utf8(&'a arrow::array::StringArray),
    View(&'a arrow::array::StringViewArray),
    LargeUtf8(&'a arrow::array::LargeStringArray),
}

impl<'a> StrColumn<'a> {
    fn of(batch: &'a RecordBatch, index: usize) -> Result<Self, AnalyticsError> {
        let column = batch.column(index);
        if let Some(values) = column.as_string_opt::<i32>() {
            return Ok(Self::Utf8(values));
        }
        if let Some(values) = column.as_string_view_opt() {
            return Ok(Self::View(values));
        }
        if let Some(values) = column.as_string_opt::<i64>() {
            return Ok(Self::LargeUtf8(values));
        }
        Err(column_error(index, "a string"))
    }

    fn value(&self, row: usize) -> &'a str {
        match self {
            Self::Utf8(values) => values.value(row),
            Self::View(values) => values.value(row),
            Self::LargeUtf8(values) => values.value(row),
        }
    }
}

fn f64_column(batches: Vec<RecordBatch>, index: usize) -> Result<Vec<f64>, AnalyticsError> {
    let mut values = Vec::with_capacity(batches.iter().map(RecordBatch::num_rows).sum());
    for batch in batches {
        let column = batch
            .column(index)
            .as_primitive_opt::<Float64Type>()
            .ok_or_else(|| column_error(index, "Float64"))?;
        values.extend(column.iter().flatten());
    }
    Ok(values)
}
