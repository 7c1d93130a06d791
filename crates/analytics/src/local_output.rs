//! Atomic output to a local directory.
//!
//! Small files: write a temporary sibling, then rename it over the target (atomic per file on one
//! filesystem). A whole directory (the per-player summaries: half a million files at 10M games):
//! write every file straight into a fresh staging directory, then swap it with the live one in one
//! atomic `renameat2(RENAME_EXCHANGE)` and delete the old set. A rename per file in a directory
//! that large costs about ten times the write itself (ext4 looks both names up in its directory
//! index and journals both); creating files in an empty directory does not. A staging directory
//! that a killed run left behind (idle for ten minutes) is removed by the next run.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::AnalyticsError;

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> AnalyticsError + '_ {
    move |source| AnalyticsError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Writes each `(relative path, bytes)` under `dir`, each through a temporary sibling named with
/// `run_tag` and renamed over the target.
pub fn write_files(
    dir: &Path,
    run_tag: &str,
    files: &[(String, Vec<u8>)],
) -> Result<(), AnalyticsError> {
    for (relative, bytes) in files {
        let target = dir.join(relative);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(io_error(parent))?;
        }
        // The temporary name sits in the same directory, so the rename never crosses filesystems.
        let mut temporary = target.clone().into_os_string();
        temporary.push(format!(".tmp-{run_tag}"));
        std::fs::write(&temporary, bytes).map_err(io_error(&target))?;
        std::fs::rename(&temporary, &target).map_err(io_error(&target))?;
    }
    Ok(())
}

/// Makes `target` hold exactly the files `make` turns `items` into (`(file name, bytes)`, made
/// by the writer threads just before each is written, so a run never holds them all): staged in
/// a sibling directory, then swapped in atomically. On failure (making or writing a file) before
/// the swap the live directory is untouched and the staging directory is removed.
pub fn replace_directory<T: Send>(
    target: &Path,
    run_tag: &str,
    items: impl IntoIterator<Item = T, IntoIter: Send>,
    make: impl Fn(T) -> Result<(String, Vec<u8>), AnalyticsError> + Sync,
) -> Result<(), AnalyticsError> {
    let staging = staging_path(target, run_tag)?;
    if let Some(parent) = staging.parent() {
        std::fs::create_dir_all(parent).map_err(io_error(parent))?;
        remove_abandoned_staging(parent, target)?;
    }
    std::fs::create_dir(&staging).map_err(io_error(&staging))?;
    let staged = write_in_parallel(&staging, items.into_iter(), make);
    if let Err(error) = staged {
        // Best effort: the error that stopped the run is the one worth reporting.
        let _ = std::fs::remove_dir_all(&staging);
        return Err(error);
    }
    if swap(&staging, target).map_err(io_error(target))? {
        // The staging path now holds the previous set.
        std::fs::remove_dir_all(&staging).map_err(io_error(&staging))?;
    }
    Ok(())
}

/// Threads writing the files of one directory: a file's cost is mostly waiting on the
/// filesystem (creating the name, journalling), which several writers overlap.
const DIRECTORY_WRITERS: usize = 4;

/// Files taken from the shared iterator at a time by one writer.
const WRITER_CHUNK: usize = 64;

/// Makes and writes the file of every item of `items` into `dir` with [`DIRECTORY_WRITERS`]
/// threads (each takes a chunk of items under the lock, then makes and writes them outside it);
/// the first error stops them all and is returned.
fn write_in_parallel<T, I>(
    dir: &Path,
    items: I,
    make: impl Fn(T) -> Result<(String, Vec<u8>), AnalyticsError> + Sync,
) -> Result<(), AnalyticsError>
where
    T: Send,
    I: Iterator<Item = T> + Send,
{
    let items = std::sync::Mutex::new(items);
    let failed = std::sync::atomic::AtomicBool::new(false);
    let write_some = || -> Result<(), AnalyticsError> {
        loop {
            if failed.load(std::sync::atomic::Ordering::Relaxed) {
                return Ok(());
            }
            let chunk: Vec<T> = match items.lock() {
                Ok(mut items) => items.by_ref().take(WRITER_CHUNK).collect(),
                Err(_) => return Err(AnalyticsError::Unexpected("a writer panicked".into())),
            };
            if chunk.is_empty() {
                return Ok(());
            }
            for item in chunk {
                let (name, bytes) = make(item)?;
                if name.contains('/') || name.is_empty() || name == "." || name == ".." {
                    return Err(AnalyticsError::Unexpected(format!(
                        "`{name}` is not a file name"
                    )));
                }
                let path = dir.join(&name);
                std::fs::write(&path, bytes).map_err(io_error(&path))?;
            }
        }
    };
    std::thread::scope(|scope| {
        let writers: Vec<_> = (0..DIRECTORY_WRITERS)
            .map(|_| {
                scope.spawn(|| {
                    let written = write_some();
                    if written.is_err() {
                        failed.store(true, std::sync::atomic::Ordering::Relaxed);
                    }
                    written
                })
            })
            .collect();
        let mut outcome = Ok(());
        for writer in writers {
            let written = writer
                .join()
                .unwrap_or_else(|_| Err(AnalyticsError::Unexpected("a writer panicked".into())));
            if outcome.is_ok() {
                outcome = written;
            }
        }
        outcome
    })
}

/// A staging directory untouched for this long belongs to a run that was killed. A live run
/// creates files in its staging directory continuously, which keeps its modification time fresh,
/// so a second run writing the same location at the same time is never mistaken for one.
const ABANDONED_AFTER: Duration = Duration::from_secs(600);

/// Removes staging directories a killed run left next to `target`.
fn remove_abandoned_staging(parent: &Path, target: &Path) -> Result<(), AnalyticsError> {
    let Some(prefix) = staging_path(target, "")?
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
    else {
        return Ok(());
    };
    for entry in std::fs::read_dir(parent).map_err(io_error(parent))? {
        let entry = entry.map_err(io_error(parent))?;
        if !entry.file_name().to_string_lossy().starts_with(&prefix) {
            continue;
        }
        let path = entry.path();
        let idle = entry
            .metadata()
            .and_then(|meta| meta.modified())
            .map_err(io_error(&path))?
            .elapsed()
            .unwrap_or_default();
        if idle >= ABANDONED_AFTER {
            std::fs::remove_dir_all(&path).map_err(io_error(&path))?;
        }
    }
    Ok(())
}

/// `.<name>.staging-<run_tag>` next to `target`.
fn staging_path(target: &Path, run_tag: &str) -> Result<PathBuf, AnalyticsError> {
    let name = target.file_name().ok_or_else(|| {
        AnalyticsError::Unexpected(format!("{}: not a directory name", target.display()))
    })?;
    let mut staged = std::ffi::OsString::from(".");
    staged.push(name);
    staged.push(format!(".staging-{run_tag}"));
    Ok(target.with_file_name(staged))
}

/// Puts `staging` in place of `target`. Returns whether an old `target` was swapped out (it is
/// then at `staging`).
#[cfg(target_os = "linux")]
fn swap(staging: &Path, target: &Path) -> std::io::Result<bool> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};

    if !target.exists() {
        std::fs::rename(staging, target)?;
        return Ok(false);
    }
    renameat_with(CWD, staging, CWD, target, RenameFlags::EXCHANGE)?;
    Ok(true)
}

/// Without an atomic exchange: move the old directory aside, then the new one in. A reader in
/// between finds no directory (a 404 for that one request), never a mix of two runs.
#[cfg(not(target_os = "linux"))]
fn swap(staging: &Path, target: &Path) -> std::io::Result<bool> {
    if !target.exists() {
        std::fs::rename(staging, target)?;
        return Ok(false);
    }
    let aside = staging.with_extension("old");
    std::fs::rename(target, &aside)?;
    std::fs::rename(staging, target)?;
    std::fs::rename(&aside, staging)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::SystemTime;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    fn file(name: &str, text: &str) -> (String, Vec<u8>) {
        (name.to_owned(), text.as_bytes().to_vec())
    }

    #[test]
    fn a_directory_is_created_then_replaced_whole_and_nothing_is_left_behind() {
        let root = tempfile::tempdir().unwrap();
        let users = root.path().join("analysis").join("users");

        replace_directory(
            &users,
            "one",
            [file("a.json", "1"), file("b.json", "1")],
            Ok,
        )
        .unwrap();
        assert_eq!(names(&users), ["a.json", "b.json"]);

        replace_directory(
            &users,
            "two",
            [file("b.json", "2"), file("c.json", "2")],
            Ok,
        )
        .unwrap();
        assert_eq!(
            names(&users),
            ["b.json", "c.json"],
            "a.json belonged to the old set"
        );
        assert_eq!(std::fs::read_to_string(users.join("b.json")).unwrap(), "2");
        assert_eq!(
            names(&root.path().join("analysis")),
            ["users"],
            "no staging directory is left"
        );
    }

    #[test]
    fn a_failed_replacement_leaves_the_live_directory_as_it_was() {
        let root = tempfile::tempdir().unwrap();
        let users = root.path().join("users");
        replace_directory(&users, "one", [file("a.json", "1")], Ok).unwrap();

        let error = replace_directory(&users, "two", [file("b.json", "2"), file("../x", "2")], Ok)
            .unwrap_err();

        assert!(
            error.to_string().contains("`../x` is not a file name"),
            "{error}"
        );
        assert_eq!(names(&users), ["a.json"]);
        assert_eq!(std::fs::read_to_string(users.join("a.json")).unwrap(), "1");
        assert_eq!(
            names(root.path()),
            ["users"],
            "the staging directory is removed"
        );
    }

    #[test]
    fn a_staging_directory_left_by_a_killed_run_is_removed_by_the_next() {
        let root = tempfile::tempdir().unwrap();
        let users = root.path().join("users");
        let abandoned = root.path().join(".users.staging-killed");
        std::fs::create_dir(&abandoned).unwrap();
        std::fs::write(abandoned.join("half.json"), "{").unwrap();
        let long_ago = SystemTime::now() - ABANDONED_AFTER - Duration::from_secs(1);
        std::fs::File::open(&abandoned)
            .unwrap()
            .set_modified(long_ago)
            .unwrap();
        let live = root.path().join(".users.staging-running");
        std::fs::create_dir(&live).unwrap();
        std::fs::write(root.path().join("keep.json"), "1").unwrap();

        replace_directory(&users, "next", [file("a.json", "1")], Ok).unwrap();

        assert_eq!(
            names(root.path()),
            [".users.staging-running", "keep.json", "users"],
            "the idle staging directory is gone, the one in use is not"
        );
        assert_eq!(names(&users), ["a.json"]);
    }

    #[test]
    fn small_files_are_written_in_place_without_temporaries() {
        let root = tempfile::tempdir().unwrap();
        write_files(root.path(), "tag", &[file("analysis/x.json", "1")]).unwrap();
        write_files(root.path(), "tag", &[file("analysis/x.json", "2")]).unwrap();
        assert_eq!(names(&root.path().join("analysis")), ["x.json"]);
        assert_eq!(
            std::fs::read_to_string(root.path().join("analysis/x.json")).unwrap(),
            "2"
        );
    }
}
