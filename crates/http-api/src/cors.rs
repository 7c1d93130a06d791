//! Which browser origins get CORS headers, and the headers themselves.
//!
//! `COINKING_CORS_ORIGINS` is `*`, or a comma-separated list of origins
//! (`scheme://host[:port]`, scheme `http` or `https`, no path), or empty (no CORS headers).
//! `*` must be the only entry, and no entry may be empty.

use std::fmt;

use lambda_http::http::HeaderMap;
use lambda_http::http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    HeaderValue, VARY,
};

/// Which origins get CORS headers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum CorsOrigins {
    /// No CORS headers (same-origin callers and servers only): an empty setting.
    #[default]
    None,
    /// `*`: every origin.
    Any,
    /// Exactly these origins (`scheme://host[:port]`), echoed back with `Vary: Origin`.
    List(Vec<String>),
}

/// A `COINKING_CORS_ORIGINS` value that breaks a rule; the message names the entry and the rule
/// (the caller adds the variable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorsParseError {
    pub reason: String,
}

impl fmt::Display for CorsParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for CorsParseError {}

impl CorsOrigins {
    /// Parses `*`, `https://a.example,http://localhost:5173`, or an empty (blank) text.
    pub fn parse(text: &str) -> Result<Self, CorsParseError> {
        if text.trim().is_empty() {
            return Ok(Self::None);
        }
        let entries: Vec<&str> = text.split(',').map(str::trim).collect();
        if entries.contains(&"*") {
            if entries.len() > 1 {
                return Err(CorsParseError {
                    reason: "`*` must be the only entry".to_owned(),
                });
            }
            return Ok(Self::Any);
        }
        let mut origins = Vec::with_capacity(entries.len());
        for (index, origin) in entries.iter().enumerate() {
            let rest = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"));
            let valid = rest.is_some_and(|host| {
                !host.is_empty() && !host.contains('/') && !host.contains(char::is_whitespace)
            });
            if !valid {
                return Err(CorsParseError {
                    reason: format!(
                        "[{index}] must be `*` or an origin like https://game.example.com (scheme, host, optional port, no path), got `{origin}`"
                    ),
                });
            }
            origins.push((*origin).to_owned());
        }
        Ok(Self::List(origins))
    }

    /// The `Access-Control-Allow-Origin` value for a request from `origin`, if it is allowed.
    pub fn allow(&self, origin: &str) -> Option<String> {
        match self {
            Self::None => None,
            Self::Any => Some("*".to_owned()),
            Self::List(origins) => origins.iter().find(|o| *o == origin).cloned(),
        }
    }
}

/// Sets `Access-Control-Allow-Origin` (a value that is not a valid header is left out); an echoed
/// origin (anything but `*`) also gets `Vary: Origin`, because the answer then depends on the
/// request's `Origin` and caches must key on it.
pub fn add_allow_origin(headers: &mut HeaderMap, allow_origin: &str) {
    if let Ok(value) = HeaderValue::from_str(allow_origin) {
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, value);
    }
    if allow_origin != "*" {
        add_vary_origin(headers);
    }
}

/// Adds `Vary: Origin` unless the response already varies on `Origin`.
pub fn add_vary_origin(headers: &mut HeaderMap) {
    let present = headers
        .get_all(VARY)
        .iter()
        .any(|value| value.as_bytes().eq_ignore_ascii_case(b"origin"));
    if !present {
        headers.append(VARY, HeaderValue::from_static("Origin"));
    }
}

/// Sets `Access-Control-Allow-Methods` and `Access-Control-Allow-Headers` (a preflight's
/// answer; get-user-analysis also sends them on every answer to an allowed origin).
pub fn add_allow_methods_and_headers(
    headers: &mut HeaderMap,
    methods: &'static str,
    allow_headers: &'static str,
) {
    headers.insert(
        ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static(methods),
    );
    headers.insert(
        ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(allow_headers),
    );
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_list_of_origins_is_kept_in_order() {
        assert_eq!(
            CorsOrigins::parse("https://game.example.com, http://localhost:5173").unwrap(),
            CorsOrigins::List(vec![
                "https://game.example.com".into(),
                "http://localhost:5173".into()
            ])
        );
    }

    #[test]
    fn a_lone_star_is_any_origin() {
        assert_eq!(CorsOrigins::parse(" * ").unwrap(), CorsOrigins::Any);
    }

    #[test]
    fn an_empty_value_sends_no_cors_headers() {
        assert_eq!(CorsOrigins::parse("").unwrap(), CorsOrigins::None);
        assert_eq!(CorsOrigins::parse("  ").unwrap(), CorsOrigins::None);
    }

    #[test]
    fn rejects_a_star_mixed_with_origins() {
        let err = CorsOrigins::parse("*,https://a.example").unwrap_err();
        assert_eq!(err.to_string(), "`*` must be the only entry");
    }

    #[test]
    fn rejects_an_origin_with_a_path_naming_the_entry() {
        let err = CorsOrigins::parse("https://a.example/path").unwrap_err();
        assert!(
            err.to_string().starts_with("[0] must be `*` or an origin"),
            "{err}"
        );
    }

    #[test]
    fn rejects_entries_without_scheme_or_host_and_empty_entries() {
        for text in [
            "game.example",
            "https://",
            "ftp://a.example",
            "https://a.example/",
            "https://a.example,",
            "https://a b.example",
        ] {
            assert!(CorsOrigins::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn allows_listed_origins_only() {
        let origins = CorsOrigins::parse("http://localhost:5173").unwrap();
        assert_eq!(
            origins.allow("http://localhost:5173").as_deref(),
            Some("http://localhost:5173")
        );
        assert_eq!(origins.allow("https://evil.example"), None);
        assert_eq!(
            CorsOrigins::Any.allow("https://a.example").as_deref(),
            Some("*")
        );
        assert_eq!(CorsOrigins::None.allow("https://a.example"), None);
    }

    #[test]
    fn an_echoed_origin_varies_on_origin_once_and_star_does_not() {
        let mut headers = HeaderMap::new();
        add_allow_origin(&mut headers, "*");
        assert_eq!(headers[ACCESS_CONTROL_ALLOW_ORIGIN], "*");
        assert!(headers.get(VARY).is_none());

        let mut headers = HeaderMap::new();
        add_allow_origin(&mut headers, "https://a.example");
        add_vary_origin(&mut headers);
        assert_eq!(headers[ACCESS_CONTROL_ALLOW_ORIGIN], "https://a.example");
        assert_eq!(headers.get_all(VARY).iter().count(), 1);
    }
}
