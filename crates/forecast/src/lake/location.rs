//! [`Lake`]: an opened lake root, a local directory or `s3://bucket/prefix`.

use std::path::PathBuf;
use std::sync::Arc;

use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, UpdateVersion};

use crate::error::ForecastError;

/// A lake root: the store and the key prefix inside it.
#[derive(Debug, Clone)]
pub struct Lake {
    store: Arc<dyn ObjectStore>,
    prefix: String,
    description: String,
    /// Whether [`Lake::put_expecting`] checks what it expects (S3's `If-Match` /
    /// `If-None-Match`, the in-memory store). A local directory has one writer (the
    /// in-process stage) whose writes are synchronous renames, so no write lands late there
    /// and object_store offers no conditional update for it.
    conditional: bool,
}

/// What a write expects to find at its key, so it never replaces a file it has not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// Whatever is there (a plain overwrite).
    Anything,
    /// No object.
    Absent,
    /// The object as it was read.
    Version(UpdateVersion),
}

impl Lake {
    /// `s3://bucket[/prefix]` (endpoint from `COINKING_S3_ENDPOINT` for local stand-ins,
    /// region from `COINKING_AWS_REGION`, default us-east-1) or a directory, created if missing.
    pub fn open(location: &str) -> Result<Self, ForecastError> {
        let invalid = |reason: String| ForecastError::InvalidLocation {
            location: location.to_owned(),
            reason,
        };
        if let Some(rest) = location.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(invalid("missing bucket name".into()));
            }
            let endpoint = std::env::var("COINKING_S3_ENDPOINT")
                .ok()
                .filter(|v| !v.is_empty());
            let region =
                std::env::var("COINKING_AWS_REGION").unwrap_or_else(|_| "us-east-1".into());
            let mut builder = AmazonS3Builder::from_env()
                .with_bucket_name(bucket)
                .with_region(region)
                .with_virtual_hosted_style_request(false);
            if let Some(endpoint) = endpoint {
                builder = builder
                    .with_allow_http(endpoint.starts_with("http://"))
                    .with_endpoint(endpoint);
                // Local stand-ins accept any credentials; never invent them for AWS.
                if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
                    builder = builder
                        .with_access_key_id("test")
                        .with_secret_access_key("test");
                }
            }
            return Ok(Self {
                store: Arc::new(builder.build()?),
                prefix: prefix.trim_matches('/').to_owned(),
                description: location.to_owned(),
                conditional: true,
            });
        }
        if location.is_empty() {
            return Err(invalid("must not be empty".into()));
        }
        if location.contains("://") {
            return Err(invalid(
                "only local directories and s3:// are supported".into(),
            ));
        }
        let dir = PathBuf::from(location);
        std::fs::create_dir_all(&dir).map_err(|e| invalid(e.to_string()))?;
        let store = LocalFileSystem::new_with_prefix(&dir)?;
        Ok(Self {
            store: Arc::new(store),
            prefix: String::new(),
            description: location.to_owned(),
            conditional: false,
        })
    }

    /// A lake over any store that supports conditional puts (`PutMode::Create` and
    /// `PutMode::Update`), such as the in-memory store.
    pub fn with_store(store: Arc<dyn ObjectStore>, prefix: &str) -> Self {
        Self {
            store,
            prefix: prefix.trim_matches('/').to_owned(),
            description: format!("{store_kind}/{prefix}", store_kind = "store"),
            conditional: true,
        }
    }

    pub fn store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    pub fn describe(&self) -> &str {
        &self.description
    }

    /// The full key of `relative`.
    pub fn key(&self, relative: &str) -> Path {
        if self.prefix.is_empty() {
            Path::from(relative)
        } else {
            Path::from(format!("{}/{relative}", self.prefix))
        }
    }

    /// `relative` of a full key (keys outside the prefix come back whole).
    pub fn relative(&self, key: &Path) -> String {
        let text = key.as_ref();
        if self.prefix.is_empty() {
            return text.to_owned();
        }
        text.strip_prefix(&format!("{}/", self.prefix))
            .unwrap_or(text)
            .to_owned()
    }

    /// One PUT: the object is either absent or whole.
    pub async fn put(&self, relative: &str, bytes: Vec<u8>) -> Result<(), ForecastError> {
        self.put_expecting(relative, bytes, Expected::Anything)
            .await
            .map(|_| ())
    }

    /// Writes `bytes` only if the key still holds what `expected` says: a newer file written
    /// meanwhile, by another writer or by a late-arriving earlier attempt, is never replaced.
    /// `Ok(false)`: the key changed since it was read; read it again, merge and retry. A plain
    /// overwrite on a local directory (see [`Lake`]'s `conditional`).
    pub async fn put_expecting(
        &self,
        relative: &str,
        bytes: Vec<u8>,
        expected: Expected,
    ) -> Result<bool, ForecastError> {
        let mode = match expected {
            _ if !self.conditional => PutMode::Overwrite,
            Expected::Anything => PutMode::Overwrite,
            Expected::Absent => PutMode::Create,
            Expected::Version(version) => PutMode::Update(version),
        };
        let options = PutOptions {
            mode,
            ..PutOptions::default()
        };
        match self
            .store
            .put_opts(&self.key(relative), PutPayload::from(bytes), options)
            .await
        {
            Ok(_) => Ok(true),
            Err(
                object_store::Error::AlreadyExists { .. }
                | object_store::Error::Precondition { .. },
            ) => Ok(false),
            Err(other) => Err(other.into()),
        }
    }

    /// The object (`None` when absent) and what a write replacing it must expect.
    pub async fn read_for_update(
        &self,
        relative: &str,
    ) -> Result<(Option<bytes::Bytes>, Expected), ForecastError> {
        match self.store.get(&self.key(relative)).await {
            Ok(result) => {
                let version = version_of(&result.meta);
                Ok((Some(result.bytes().await?), version))
            }
            Err(object_store::Error::NotFound { .. }) => Ok((None, Expected::Absent)),
            Err(other) => Err(other.into()),
        }
    }

    /// What a write replacing the object must expect, without reading it.
    pub async fn expected_at(&self, relative: &str) -> Result<Expected, ForecastError> {
        match self.store.head(&self.key(relative)).await {
            Ok(meta) => Ok(version_of(&meta)),
            Err(object_store::Error::NotFound { .. }) => Ok(Expected::Absent),
            Err(other) => Err(other.into()),
        }
    }

    pub async fn get(&self, relative: &str) -> Result<bytes::Bytes, ForecastError> {
        Ok(self.store.get(&self.key(relative)).await?.bytes().await?)
    }

    /// Every key under `relative/` (pagination followed), as relative keys, sorted.
    pub async fn list(&self, relative: &str) -> Result<Vec<ListedObject>, ForecastError> {
        use futures_util::TryStreamExt;
        let prefix = self.key(relative);
        let listed: Vec<_> = self.store.list(Some(&prefix)).try_collect().await?;
        let mut objects: Vec<ListedObject> = listed
            .into_iter()
            .map(|meta| ListedObject {
                relative: self.relative(&meta.location),
                last_modified_ms: meta.last_modified.timestamp_millis(),
                size: meta.size,
            })
            .collect();
        objects.sort_by(|a, b| a.relative.cmp(&b.relative));
        Ok(objects)
    }

    /// The object's metadata, `None` when it does not exist.
    pub async fn head(&self, relative: &str) -> Result<Option<ListedObject>, ForecastError> {
        match self.store.head(&self.key(relative)).await {
            Ok(meta) => Ok(Some(ListedObject {
                relative: relative.to_owned(),
                last_modified_ms: meta.last_modified.timestamp_millis(),
                size: meta.size,
            })),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(other) => Err(other.into()),
        }
    }
}

fn version_of(meta: &object_store::ObjectMeta) -> Expected {
    Expected::Version(UpdateVersion {
        e_tag: meta.e_tag.clone(),
        version: meta.version.clone(),
    })
}

/// One listed object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedObject {
    pub relative: String,
    pub last_modified_ms: i64,
    pub size: u64,
}
