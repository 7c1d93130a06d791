//! Where the lake and the analysis live: a local directory or `s3://bucket/prefix`.
//!
//! Input is listed through `object_store` (it follows S3's continuation tokens, so there is no
//! 1,000-key cap). Output goes to a local directory with write-to-temp-then-rename (atomic per
//! file on one filesystem; the per-player directory is swapped in whole, `local_output`) or to S3
//! with one PUT per object (atomic per object in S3). In both cases the manifest is written last,
//! so a reader that finds a manifest finds every file it lists from the same or a newer run.

use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use crate::error::AnalyticsError;
use crate::local_output;

/// How many object PUTs are in flight at once when writing per-player files to S3.
const S3_PUT_CONCURRENCY: usize = 32;
/// Files of a directory made and put at a time (a multiple of [`S3_PUT_CONCURRENCY`]).
const S3_CHUNK_FILES: usize = 1024;

/// S3 client settings (endpoint override for local stand-ins, path-style addressing).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct S3Settings {
    /// e.g. `http://127.0.0.1:5055`; `None` means AWS.
    pub endpoint: Option<String>,
    pub region: String,
}

impl S3Settings {
    /// `COINKING_S3_ENDPOINT` and `COINKING_AWS_REGION` (default `us-east-1`).
    pub fn from_env() -> Self {
        Self {
            endpoint: std::env::var("COINKING_S3_ENDPOINT")
                .ok()
                .filter(|v| !v.is_empty()),
            region: std::env::var("COINKING_AWS_REGION").unwrap_or_else(|_| "us-east-1".into()),
        }
    }
}

/// A parsed `--input`/`--output` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Local(PathBuf),
    S3 { bucket: String, prefix: String },
}

impl Location {
    /// `s3://bucket[/prefix]` or a directory path.
    pub fn parse(text: &str) -> Result<Self, AnalyticsError> {
        let invalid = |reason: &str| AnalyticsError::InvalidLocation {
            location: text.to_owned(),
            reason: reason.to_owned(),
        };
        if let Some(rest) = text.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(invalid("missing bucket name"));
            }
            let prefix = prefix.trim_matches('/').to_owned();
            return Ok(Self::S3 {
                bucket: bucket.to_owned(),
                prefix,
            });
        }
        if text.contains("://") {
            return Err(invalid("only local directories and s3:// are supported"));
        }
        if text.is_empty() {
            return Err(invalid("must not be empty"));
        }
        Ok(Self::Local(PathBuf::from(text)))
    }
}

/// An opened location: the store, the key prefix inside it, and its URL.
#[derive(Debug, Clone)]
pub struct Store {
    pub location: Location,
    pub store: Arc<dyn ObjectStore>,
    /// Key prefix of the location inside `store` (no leading or trailing `/`).
    pub prefix: Path,
    /// `file:///` or `s3://bucket/`: prepended to a key to make a file's URL.
    pub url_base: String,
}

/// One input file as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    /// The key relative to the location, e.g. `clickstream/dt=…/hour=…/x.parquet`.
    pub relative: String,
    /// The file's URL (`url_base` + key), which the engine's errors name.
    pub url: String,
    pub size: u64,
}

impl Store {
    pub fn open(location: &Location, s3: &S3Settings) -> Result<Self, AnalyticsError> {
        match location {
            Location::Local(dir) => {
                let absolute = absolute_dir(dir)?;
                let prefix = Path::from_absolute_path(&absolute).map_err(|e| {
                    AnalyticsError::InvalidLocation {
                        location: dir.display().to_string(),
                        reason: e.to_string(),
                    }
                })?;
                Ok(Self {
                    location: location.clone(),
                    store: Arc::new(LocalFileSystem::new()),
                    prefix,
                    url_base: "file:///".to_owned(),
                })
            }
            Location::S3 { bucket, prefix } => {
                let mut builder = AmazonS3Builder::from_env()
                    .with_bucket_name(bucket)
                    .with_region(&s3.region)
                    .with_virtual_hosted_style_request(false);
                if let Some(endpoint) = &s3.endpoint {
                    builder = builder
                        .with_endpoint(endpoint)
                        .with_allow_http(endpoint.starts_with("http://"));
                    // Local stand-ins accept any credentials; never invent them for AWS.
                    if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
                        builder = builder
                            .with_access_key_id("test")
                            .with_secret_access_key("test");
                    }
                }
                let store = builder.build()?;
                Ok(Self {
                    location: location.clone(),
                    store: Arc::new(store),
                    prefix: Path::from(prefix.as_str()),
                    url_base: format!("s3://{bucket}/"),
                })
            }
        }
    }

    /// The full key of `relative` under this location.
    pub fn key(&self, relative: &str) -> Result<Path, AnalyticsError> {
        let joined = if self.prefix.as_ref().is_empty() {
            relative.to_owned()
        } else {
            format!("{}/{relative}", self.prefix.as_ref())
        };
        Path::parse(&joined).map_err(|e| AnalyticsError::InvalidLocation {
            location: joined.clone(),
            reason: e.to_string(),
        })
    }

    /// Where `key` is on the local filesystem, for a local location (read there directly: a
    /// file is decoded a page at a time instead of being loaded whole); `None` on S3.
    pub fn local_path(&self, key: &Path) -> Result<Option<PathBuf>, AnalyticsError> {
        match self.location {
            Location::Local(_) => Ok(Some(LocalFileSystem::new().path_to_filesystem(key)?)),
            Location::S3 { .. } => Ok(None),
        }
    }

    /// Every `*.parquet` under `<location>/<sub>/`, sorted by key. Listing follows pagination.
    pub async fn list_parquet(&self, sub: &str) -> Result<Vec<InputFile>, AnalyticsError> {
        let prefix = self.key(sub)?;
        let listed: Vec<object_store::ObjectMeta> = match self.location {
            // LocalFileSystem errors on a directory that does not exist yet: an empty lake.
            Location::Local(_) if !FsPath::new(&format!("/{}", prefix.as_ref())).exists() => {
                Vec::new()
            }
            _ => self.store.list(Some(&prefix)).try_collect().await?,
        };
        let strip = format!("{}/", self.prefix.as_ref());
        let mut files: Vec<InputFile> = listed
            .into_iter()
            .filter(|meta| meta.location.as_ref().ends_with(".parquet"))
            .map(|meta| {
                let key = meta.location.as_ref();
                let relative = if self.prefix.as_ref().is_empty() {
                    key.to_owned()
                } else {
                    key.strip_prefix(&strip).unwrap_or(key).to_owned()
                };
                InputFile {
                    relative,
                    url: format!("{}{}", self.url_base, key),
                    size: meta.size,
                }
            })
            .collect();
        files.sort_by(|a, b| a.relative.cmp(&b.relative));
        Ok(files)
    }

    /// Makes `<location>/<directory>/` hold exactly `files` (`(name, bytes)`, names without
    /// `/`), all from this call: locally a staging directory swapped in with one atomic rename
    /// (readers see the old set or the new one, never a mix; see `local_output`); on S3 one PUT
    /// per object (atomic per object; keys of earlier runs that this one lacks stay).
    pub async fn replace_directory<T, I, M>(
        &self,
        directory: &str,
        items: I,
        make: M,
    ) -> Result<(), AnalyticsError>
    where
        T: Send + 'static,
        I: IntoIterator<Item = T> + Send + 'static,
        I::IntoIter: Send,
        M: Fn(T) -> Result<(String, Vec<u8>), AnalyticsError> + Send + Sync + 'static,
    {
        match &self.location {
            Location::Local(dir) => {
                let target = dir.join(directory);
                let run_tag = uuid::Uuid::new_v4().simple().to_string();
                off_the_workers(move || {
                    local_output::replace_directory(&target, &run_tag, items, make)
                })
                .await
            }
            Location::S3 { .. } => {
                // A chunk at a time: the files are made as they are put, never all held at once.
                let mut items = items.into_iter();
                loop {
                    let chunk = items
                        .by_ref()
                        .take(S3_CHUNK_FILES)
                        .map(|item| {
                            make(item).map(|(name, bytes)| (format!("{directory}/{name}"), bytes))
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    if chunk.is_empty() {
                        return Ok(());
                    }
                    self.write_all(chunk).await?;
                }
            }
        }
    }

    /// Writes every `(relative key, bytes)` atomically per file (see the module doc).
    pub async fn write_all(&self, files: Vec<(String, Vec<u8>)>) -> Result<(), AnalyticsError> {
        match &self.location {
            Location::Local(dir) => {
                let dir = dir.clone();
                let run_tag = uuid::Uuid::new_v4().simple().to_string();
                off_the_workers(move || local_output::write_files(&dir, &run_tag, &files)).await
            }
            Location::S3 { .. } => {
                let mut puts = Vec::with_capacity(files.len());
                for (relative, bytes) in files {
                    puts.push((self.key(&relative)?, bytes));
                }
                futures_util::stream::iter(puts)
                    .map(|(key, bytes)| async move {
                        self.store.put(&key, PutPayload::from(bytes)).await
                    })
                    .buffer_unordered(S3_PUT_CONCURRENCY)
                    .try_collect::<Vec<_>>()
                    .await?;
                Ok(())
            }
        }
    }
}

/// Runs plain blocking file I/O on tokio's blocking pool, off the async workers.
async fn off_the_workers(
    write: impl FnOnce() -> Result<(), AnalyticsError> + Send + 'static,
) -> Result<(), AnalyticsError> {
    tokio::task::spawn_blocking(write)
        .await
        .map_err(|e| AnalyticsError::Unexpected(format!("writer task: {e}")))?
}

fn absolute_dir(dir: &FsPath) -> Result<PathBuf, AnalyticsError> {
    if dir.is_absolute() {
        return Ok(dir.to_path_buf());
    }
    let cwd = std::env::current_dir().map_err(|source| AnalyticsError::Io {
        path: dir.display().to_string(),
        source,
    })?;
    Ok(cwd.join(dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_s3_and_local_locations() {
        assert_eq!(
            Location::parse("s3://lake/a/b/").unwrap(),
            Location::S3 {
                bucket: "lake".into(),
                prefix: "a/b".into()
            }
        );
        assert_eq!(
            Location::parse("s3://lake").unwrap(),
            Location::S3 {
                bucket: "lake".into(),
                prefix: String::new()
            }
        );
        assert_eq!(
            Location::parse("out").unwrap(),
            Location::Local("out".into())
        );
        assert!(Location::parse("s3:///x").is_err());
        assert!(Location::parse("gs://x").is_err());
    }
}
