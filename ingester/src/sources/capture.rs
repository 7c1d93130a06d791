//! Optional raw capture: every received frame appended as a `coinking_core::capture` NDJSON line
//! to size-rotated files, written by one blocking thread fed through a bounded channel (a slow
//! disk slows the source down rather than growing a buffer).

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use coinking_core::capture::CaptureLine;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::{info, warn};

use super::metrics::SourceMetrics;
use crate::sources::error::SourceError;

/// Lines in flight between the connections and the writer thread.
const CAPTURE_QUEUE: usize = 4096;

/// The running capture writer.
#[derive(Debug)]
pub(crate) struct CaptureWriter {
    sender: mpsc::Sender<CaptureLine>,
    task: JoinHandle<()>,
}

impl CaptureWriter {
    /// Creates `dir` if needed and starts the writer thread.
    pub(crate) fn start(
        dir: &Path,
        max_file_bytes: u64,
        metrics: Arc<SourceMetrics>,
    ) -> Result<Self, SourceError> {
        fs::create_dir_all(dir).map_err(|source| SourceError::CaptureDir {
            path: dir.to_owned(),
            source,
        })?;
        let (sender, mut receiver) = mpsc::channel::<CaptureLine>(CAPTURE_QUEUE);
        let mut files = RotatingFiles::new(dir.to_owned(), max_file_bytes);
        let task = tokio::task::spawn_blocking(move || {
            while let Some(line) = receiver.blocking_recv() {
                if let Err(err) = files.append(&line) {
                    SourceMetrics::bump(&metrics.capture_errors);
                    warn!(error = %err, "capture write failed");
                }
            }
            if let Err(err) = files.finish() {
                SourceMetrics::bump(&metrics.capture_errors);
                warn!(error = %err, "capture flush failed");
            }
        });
        Ok(Self { sender, task })
    }

    /// A handle for one connection.
    pub(crate) fn sender(&self) -> mpsc::Sender<CaptureLine> {
        self.sender.clone()
    }

    /// Waits until every queued line is written and the last file flushed. Call after every
    /// connection (and so every sender clone) has finished.
    pub(crate) async fn finish(self) {
        drop(self.sender);
        if let Err(err) = self.task.await {
            warn!(error = %err, "the capture writer failed");
        }
    }
}

/// `upbit-<start ms>-<index>.ndjson` files, the next one begun when the current one is full.
#[derive(Debug)]
struct RotatingFiles {
    dir: PathBuf,
    max_file_bytes: u64,
    prefix: i64,
    index: u32,
    current: Option<(BufWriter<File>, u64)>,
}

impl RotatingFiles {
    fn new(dir: PathBuf, max_file_bytes: u64) -> Self {
        Self {
            dir,
            max_file_bytes,
            prefix: crate::sources::now_ms(),
            index: 0,
            current: None,
        }
    }

    fn append(&mut self, line: &CaptureLine) -> std::io::Result<()> {
        let mut text = line.to_ndjson();
        text.push('\n');
        let length = u64::try_from(text.len()).unwrap_or(u64::MAX);
        let full = matches!(&self.current, Some((_, written)) if written.saturating_add(length) > self.max_file_bytes);
        if full {
            self.finish()?;
        }
        if self.current.is_none() {
            self.current = Some(self.open_next()?);
        }
        let Some((writer, written)) = &mut self.current else {
            return Ok(());
        };
        writer.write_all(text.as_bytes())?;
        *written = written.saturating_add(length);
        Ok(())
    }

    fn open_next(&mut self) -> std::io::Result<(BufWriter<File>, u64)> {
        self.index += 1;
        let path = self
            .dir
            .join(format!("upbit-{}-{:05}.ndjson", self.prefix, self.index));
        info!(path = %path.display(), "capture file opened");
        let file = File::create(&path)?;
        Ok((BufWriter::new(file), 0))
    }

    fn finish(&mut self) -> std::io::Result<()> {
        if let Some((mut writer, _)) = self.current.take() {
            writer.flush()?;
            writer.get_ref().sync_data()?;
        }
        Ok(())
    }
}
