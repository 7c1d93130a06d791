//! One pass over the lake: the files fetched and decoded `workers` at a time, each decoded on a
//! blocking thread into one of `workers` partial sums, which are handed back for merging.

use std::sync::Arc;

use arrow::array::RecordBatch;
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use object_store::ObjectStoreExt;

use super::batch::{GAME_COLUMNS, Games, read_file};
use crate::error::AnalyticsError;
use crate::storage::{InputFile, Store};

/// Reads `columns` of every file in `files` and calls `visit(partial, file, batch)` with each
/// batch; returns the `workers` partials.
pub async fn scan<P, V>(
    store: &Store,
    files: &[InputFile],
    workers: usize,
    columns: &'static [&'static str],
    visit: V,
) -> Result<Vec<P>, AnalyticsError>
where
    P: Default + Send + 'static,
    V: Fn(&mut P, &str, &RecordBatch) -> Result<(), AnalyticsError> + Send + Sync + 'static,
{
    // Each file is fetched here and decoded on a blocking thread, which owns one partial while
    // it works: `workers` files decode at once, whatever the runtime's flavour.
    let visit = Arc::new(visit);
    let mut idle: Vec<P> = (0..workers).map(|_| P::default()).collect();
    let mut pending = files.iter();
    let mut running = FuturesUnordered::new();
    loop {
        while let Some(partial) = idle.pop() {
            let Some(file) = pending.next() else {
                idle.push(partial);
                break;
            };
            let visit = Arc::clone(&visit);
            running.push(async move {
                let key = store.key(&file.relative)?;
                let bytes = store.store.get(&key).await?.bytes().await?;
                // Errors name the file by its URL: `file:///…` or `s3://bucket/…`.
                let name = file.url.clone();
                tokio::task::spawn_blocking(move || {
                    let mut partial = partial;
                    read_file(&name, bytes, columns, |batch| {
                        visit(&mut partial, &name, batch)
                    })?;
                    Ok::<P, AnalyticsError>(partial)
                })
                .await
                .map_err(|error| {
                    AnalyticsError::Unexpected(format!("decoding {}: {error}", file.url))
                })?
            });
        }
        match running.next().await {
            Some(done) => idle.push(done?),
            None => return Ok(idle),
        }
    }
}

/// [`scan`] of the game columns, calling `visit(partial, games, row)` for every row.
pub async fn scan_games<P, V>(
    store: &Store,
    files: &[InputFile],
    workers: usize,
    visit: V,
) -> Result<Vec<P>, AnalyticsError>
where
    P: Default + Send + 'static,
    V: Fn(&mut P, &Games, usize) + Send + Sync + 'static,
{
    scan(
        store,
        files,
        workers,
        GAME_COLUMNS,
        move |partial, file, batch| {
            let games = Games::of(file, batch)?;
            for row in 0..games.rows {
                visit(partial, &games, row);
            }
            Ok(())
        },
    )
    .await
}
