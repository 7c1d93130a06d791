//! Typed configuration, read once at start from the environment (the variables template.yaml
//! declares for this function).
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `COINKING_ANALYSIS_BUCKET` | unset | S3 bucket holding `analysis/…`; when unset, `COINKING_ANALYSIS_DIR` is used |
//! | `COINKING_ANALYSIS_PREFIX` | empty | key prefix inside the bucket |
//! | `COINKING_ANALYSIS_DIR` | `./lake` | local output root (the local platform) |
//! | `COINKING_ANALYSIS_INTERVAL_SECS` | `60` | the analysis schedule, for `Cache-Control` |
//! | `COINKING_CORS_ORIGINS` | `*` (like the other functions) | comma-separated allowed origins, or `*` for any (the caller's origin is echoed); the rules of `coinking_http::CorsOrigins` |

use std::path::PathBuf;

use coinking_http::CorsOrigins;

/// Where the analysis is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    S3 { bucket: String, prefix: String },
    Dir(PathBuf),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub source: Source,
    pub interval_secs: u64,
    pub cors_origins: CorsOrigins,
}

/// The configuration error every Lambda shares (variable and rule).
pub use coinking_http::ConfigError;

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let non_empty = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let source = match non_empty("COINKING_ANALYSIS_BUCKET") {
            Some(bucket) => Source::S3 {
                bucket,
                prefix: non_empty("COINKING_ANALYSIS_PREFIX").unwrap_or_default(),
            },
            None => Source::Dir(PathBuf::from(
                non_empty("COINKING_ANALYSIS_DIR").unwrap_or_else(|| "lake".to_owned()),
            )),
        };
        let interval_secs = match non_empty("COINKING_ANALYSIS_INTERVAL_SECS") {
            None => 60,
            Some(text) => match text.trim().parse::<u64>() {
                Ok(secs) if secs > 0 => secs,
                _ => {
                    return Err(ConfigError {
                        variable: "COINKING_ANALYSIS_INTERVAL_SECS",
                        reason: format!("must be a positive whole number of seconds, got `{text}`"),
                    });
                }
            },
        };
        let cors_text = non_empty("COINKING_CORS_ORIGINS").unwrap_or_else(|| "*".to_owned());
        let cors_origins = CorsOrigins::parse(&cors_text).map_err(|error| ConfigError {
            variable: "COINKING_CORS_ORIGINS",
            reason: error.reason,
        })?;
        Ok(Self {
            source,
            interval_secs,
            cors_origins,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_wins_over_directory_and_interval_must_be_positive() {
        let config = Config::from_lookup(|name| match name {
            "COINKING_ANALYSIS_BUCKET" => Some("lake".into()),
            "COINKING_ANALYSIS_PREFIX" => Some("p".into()),
            "COINKING_CORS_ORIGINS" => Some("https://a.example, https://b.example".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(
            config.source,
            Source::S3 {
                bucket: "lake".into(),
                prefix: "p".into()
            }
        );
        assert_eq!(config.interval_secs, 60);
        assert_eq!(
            config.cors_origins,
            CorsOrigins::List(vec!["https://a.example".into(), "https://b.example".into()])
        );
        let error = Config::from_lookup(|name| {
            (name == "COINKING_ANALYSIS_INTERVAL_SECS").then(|| "0".to_owned())
        })
        .unwrap_err();
        assert_eq!(error.variable, "COINKING_ANALYSIS_INTERVAL_SECS");
    }

    #[test]
    fn origins_default_to_any_and_bad_ones_name_the_variable() {
        let config = Config::from_lookup(|_| None).unwrap();
        assert_eq!(config.cors_origins, CorsOrigins::Any);
        let error = Config::from_lookup(|name| {
            (name == "COINKING_CORS_ORIGINS").then(|| "a.example".to_owned())
        })
        .unwrap_err();
        assert_eq!(error.variable, "COINKING_CORS_ORIGINS");
    }
}
