//! Typed configuration, read once at start.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `COINKING_ARCHIVE_BUCKET` | unset | S3 bucket the archive is written to (the Lambda's setting) |
//! | `COINKING_ARCHIVE_DIR` | unset | a local directory instead (local runs); exactly one of the two |
//!
//! For S3, region and endpoint come from `coinking_adapters::AwsSettings`
//! (`COINKING_AWS_REGION`, `COINKING_S3_ENDPOINT`): an endpoint override means path-style
//! requests, plain HTTP allowed for `http://` endpoints, and fixed local credentials unless the
//! environment brings its own (the same rule as the SDK clients).

use std::path::PathBuf;
use std::sync::Arc;

use coinking_adapters::AwsSettings;
use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;

pub const ENV_BUCKET: &str = "COINKING_ARCHIVE_BUCKET";
pub const ENV_DIR: &str = "COINKING_ARCHIVE_DIR";

/// The configuration error every Lambda shares (variable and rule).
pub use coinking_http::ConfigError;

/// Where the archive goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArchiveTarget {
    S3 { bucket: String, aws: AwsSettings },
    Directory(PathBuf),
}

impl ArchiveTarget {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let set = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        match (set(ENV_BUCKET), set(ENV_DIR)) {
            (Some(bucket), None) => {
                let aws = AwsSettings::from_lookup(&lookup).map_err(|error| ConfigError {
                    variable: "COINKING_S3_ENDPOINT",
                    reason: error.to_string(),
                })?;
                Ok(Self::S3 { bucket, aws })
            }
            (None, Some(dir)) => Ok(Self::Directory(PathBuf::from(dir))),
            (Some(_), Some(_)) => Err(ConfigError {
                variable: ENV_BUCKET,
                reason: format!("set either {ENV_BUCKET} or {ENV_DIR}, not both"),
            }),
            (None, None) => Err(ConfigError {
                variable: ENV_BUCKET,
                reason: format!("one of {ENV_BUCKET} (S3) or {ENV_DIR} (local) is required"),
            }),
        }
    }

    /// The object store for this target. A local directory is created if missing.
    pub fn store(&self) -> Result<Arc<dyn ObjectStore>, ConfigError> {
        match self {
            Self::Directory(dir) => Ok(Arc::new(local_store(dir)?)),
            Self::S3 { bucket, aws } => Ok(Arc::new(s3_store(bucket, aws)?)),
        }
    }
}

/// A directory store; creates the directory first.
pub fn local_store(dir: &std::path::Path) -> Result<LocalFileSystem, ConfigError> {
    let bad = |reason: String| ConfigError {
        variable: ENV_DIR,
        reason,
    };
    std::fs::create_dir_all(dir).map_err(|error| bad(format!("{}: {error}", dir.display())))?;
    LocalFileSystem::new_with_prefix(dir).map_err(|error| bad(error.to_string()))
}

/// An S3 store through object_store (its own retries with backoff apply to each request).
pub fn s3_store(
    bucket: &str,
    aws: &AwsSettings,
) -> Result<object_store::aws::AmazonS3, ConfigError> {
    // from_env picks up the Lambda role's AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
    // AWS_SESSION_TOKEN, or the container credentials on ECS.
    let mut builder = AmazonS3Builder::from_env()
        .with_bucket_name(bucket)
        .with_region(&aws.region);
    let endpoint = aws.endpoints.s3.as_deref();
    if let Some(url) = endpoint {
        builder = builder
            .with_endpoint(url)
            .with_virtual_hosted_style_request(false)
            .with_allow_http(url.starts_with("http://"));
    }
    if aws.uses_local_credentials(endpoint) {
        builder = builder
            .with_access_key_id("coinking-local")
            .with_secret_access_key("coinking-local");
    }
    builder.build().map_err(|error| ConfigError {
        variable: ENV_BUCKET,
        reason: error.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needs_exactly_one_target() {
        assert!(ArchiveTarget::from_lookup(|_| None).is_err());
        let both = ArchiveTarget::from_lookup(|name| Some(format!("x-{name}")));
        assert!(both.is_err());
        let dir =
            ArchiveTarget::from_lookup(|name| (name == ENV_DIR).then(|| "/tmp/lake".to_owned()))
                .unwrap();
        assert_eq!(dir, ArchiveTarget::Directory(PathBuf::from("/tmp/lake")));
        let s3 = ArchiveTarget::from_lookup(|name| match name {
            ENV_BUCKET => Some("archive".to_owned()),
            "COINKING_S3_ENDPOINT" => Some("http://127.0.0.1:5055".to_owned()),
            _ => None,
        })
        .unwrap();
        assert!(matches!(&s3, ArchiveTarget::S3 { bucket, .. } if bucket == "archive"));
        assert!(s3.store().is_ok());
    }
}
