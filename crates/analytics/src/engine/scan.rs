//! One pass over the lake: the files decoded by `workers` threads of the pass's own, each adding
//! every batch to the one partial sum it owns, which it hands back for merging at the end.
//!
//! Threads of its own rather than tokio's blocking pool: a blocking task runs on whichever pool
//! thread is free, so a partial and the buffers decoding its files used to be spread over every
//! thread the pool had grown to, and glibc's malloc gives each thread its own arena, keeping what
//! is freed in it for that arena's later allocations. With one thread per partial, the arenas in
//! use are `workers` (reused pass after pass: an exited thread's arena goes to the next thread)
//! and a freed decode buffer is reused by the same thread's next file. At 1M games this took the
//! peak RSS from about 185 MiB to about 150 MiB.

use std::fs::File;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use arrow::array::RecordBatch;
use bytes::Bytes;
use futures_util::StreamExt;
use object_store::ObjectStoreExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};

use super::batch::{GAME_COLUMNS, Games, read_file};
use crate::error::AnalyticsError;
use crate::storage::{InputFile, Store};

/// Where one file's bytes come from.
enum Source {
    /// A local file, read where it is a page at a time as it is decoded.
    Local(PathBuf),
    /// An object's bytes, fetched whole.
    Fetched(Bytes),
}

/// One file for a decoding thread.
struct Job {
    /// The file's URL, which errors name: `file:///…` or `s3://bucket/…`.
    name: String,
    source: Source,
    /// Held until the file is decoded: bounds the files held at once.
    _held: OwnedSemaphorePermit,
}

/// Waits for room to hold one more file, then finds it: a local file by its path, an object
/// fetched whole. Boxed futures made up front, not an `async` block in a stream's closure: that
/// closure, held across an `await`, made the caller's future not provably `Send` (rustc's
/// higher-ranked lifetime limits), and the local platform `tokio::spawn`s the analysis.
fn fetch<'a>(
    store: &'a Store,
    file: &'a InputFile,
    held: Arc<Semaphore>,
) -> futures_util::future::BoxFuture<'a, Result<Job, AnalyticsError>> {
    Box::pin(async move {
        let permit = held
            .acquire_owned()
            .await
            .map_err(|error| AnalyticsError::Unexpected(error.to_string()))?;
        let key = store.key(&file.relative)?;
        let source = match store.local_path(&key)? {
            Some(path) => Source::Local(path),
            None => Source::Fetched(store.store.get(&key).await?.bytes().await?),
        };
        Ok(Job {
            name: file.url.clone(),
            source,
            _held: permit,
        })
    })
}

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
    let visit = Arc::new(visit);
    let (queue, jobs) = mpsc::channel::<Job>(workers);
    let jobs = Arc::new(Mutex::new(jobs));
    let stop = Arc::new(AtomicBool::new(false));
    let mut results = Vec::with_capacity(workers);
    for _ in 0..workers {
        let (done, result) = oneshot::channel();
        let (jobs, visit, stop) = (Arc::clone(&jobs), Arc::clone(&visit), Arc::clone(&stop));
        std::thread::Builder::new()
            .name("analytics-decode".to_owned())
            .spawn(move || {
                let outcome = decode(&jobs, &stop, columns, &*visit);
                // Dropped before answering: what `visit` holds is the caller's again once
                // the pass returns.
                drop(visit);
                if outcome.is_err() {
                    stop.store(true, Ordering::Relaxed);
                }
                // The pass has stopped waiting only if it failed already.
                let _ = done.send(outcome);
            })
            .map_err(|error| AnalyticsError::Unexpected(format!("decoding thread: {error}")))?;
        results.push(result);
    }
    drop(jobs);

    // The files being decoded, queued or fetched are at most one more than the threads: an
    // object on S3 is held whole until it is decoded.
    let held = Arc::new(Semaphore::new(workers + 1));
    // Made before the first `await` (they start when polled): no closure is held across one.
    let fetches: Vec<_> = files
        .iter()
        .map(|file| fetch(store, file, Arc::clone(&held)))
        .collect();
    let mut fetched = futures_util::stream::iter(fetches).buffered(workers);
    let mut failure = None;
    while let Some(job) = fetched.next().await {
        match job {
            // A closed queue: every thread has stopped, on an error it reports below.
            Ok(job) => {
                if queue.send(job).await.is_err() {
                    break;
                }
            }
            Err(error) => {
                stop.store(true, Ordering::Relaxed);
                failure = Some(error);
                break;
            }
        }
    }
    drop(fetched);
    drop(queue);

    let mut partials = Vec::with_capacity(workers);
    for result in results {
        match result.await {
            Ok(Ok(partial)) => partials.push(partial),
            Ok(Err(error)) => {
                failure.get_or_insert(error);
            }
            Err(_) => {
                failure.get_or_insert(AnalyticsError::Unexpected(
                    "a decoding thread stopped without an answer".to_owned(),
                ));
            }
        }
    }
    match failure {
        Some(error) => Err(error),
        None => Ok(partials),
    }
}

/// One decoding thread: takes files from `jobs` until it is closed (or another thread failed)
/// and adds them to its partial.
fn decode<P, V>(
    jobs: &Mutex<mpsc::Receiver<Job>>,
    stop: &AtomicBool,
    columns: &[&str],
    visit: &V,
) -> Result<P, AnalyticsError>
where
    P: Default,
    V: Fn(&mut P, &str, &RecordBatch) -> Result<(), AnalyticsError>,
{
    let mut partial = P::default();
    loop {
        if stop.load(Ordering::Relaxed) {
            return Ok(partial);
        }
        let job = match jobs.lock() {
            Ok(mut jobs) => jobs.blocking_recv(),
            Err(_) => {
                return Err(AnalyticsError::Unexpected(
                    "a decoding thread panicked".to_owned(),
                ));
            }
        };
        // The permit is released when this file is decoded.
        let Some(Job {
            name,
            source,
            _held,
        }) = job
        else {
            return Ok(partial);
        };
        let each = |batch: &RecordBatch| visit(&mut partial, &name, batch);
        match source {
            Source::Local(path) => {
                let file = File::open(&path).map_err(|source| AnalyticsError::Read {
                    path: name.clone(),
                    source,
                })?;
                read_file(&name, file, columns, each)?;
            }
            Source::Fetched(bytes) => read_file(&name, bytes, columns, each)?,
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
