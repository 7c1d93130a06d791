//! Which browser origins get CORS headers, and the headers themselves.
//!
//! `COINKING_CORS_ORIGINS` is `*`, or a comma-separated list of origins
//! (`scheme://host[:port]`, scheme `http` or `https`, no path), or empty (no CORS headers).
//! `*` must be the only entry, and no entry may be empty.

use std::fmt;

use lambda_http::http::HeaderMap;
use lambda_http::http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE, HeaderValue, VARY,
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

/// The API's one CORS policy, what template.yaml's HTTP API `CorsConfiguration` answers on AWS
/// for every route: the methods and request headers a browser may use.
pub const POLICY_ALLOW_METHODS: &str = "GET,POST,OPTIONS";
/// Request headers a browser may send: JSON bodies, the clickstream's idempotency key and the
/// hint writer's bearer token.
pub const POLICY_ALLOW_HEADERS: &str = "content-type,idempotency-key,authorization";
/// Response headers a browser script may read besides the safelisted ones: the AI hints' data
/// time and model, and the age of a ticker answer's data.
pub const POLICY_EXPOSE_HEADERS: &str =
    "x-coinking-hints-time,x-coinking-hints-model,x-data-age-ms";
/// How long a browser may reuse a preflight answer, in seconds.
pub const POLICY_MAX_AGE_SECS: &str = "600";

/// Applies the one policy to an answer, whatever produced it (a handler, a 404, a 413): any
/// `Access-Control-*` header already there is dropped (API Gateway, too, ignores the
/// integration's CORS headers once the API has a CORS configuration), then an allowed origin
/// gets `Access-Control-Allow-Origin` (with `Vary: Origin` when echoed) and the exposed headers.
/// A request without an allowed origin gets no CORS headers, as on AWS.
pub fn apply_policy(origins: &CorsOrigins, request_origin: Option<&str>, headers: &mut HeaderMap) {
    remove_cors_headers(headers);
    if let Some(allowed) = request_origin.and_then(|origin| origins.allow(origin)) {
        add_allow_origin(headers, &allowed);
        headers.insert(
            ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(POLICY_EXPOSE_HEADERS),
        );
    }
}

/// The preflight answer's headers under the one policy (the caller sets 204 and no body).
pub fn apply_preflight(
    origins: &CorsOrigins,
    request_origin: Option<&str>,
    headers: &mut HeaderMap,
) {
    remove_cors_headers(headers);
    if let Some(allowed) = request_origin.and_then(|origin| origins.allow(origin)) {
        add_allow_origin(headers, &allowed);
        add_allow_methods_and_headers(headers, POLICY_ALLOW_METHODS, POLICY_ALLOW_HEADERS);
        headers.insert(
            ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static(POLICY_MAX_AGE_SECS),
        );
    }
}

fn remove_cors_headers(headers: &mut HeaderMap) {
    let names: Vec<_> = headers
        .keys()
        .filter(|name| name.as_str().starts_with("access-control-"))
        .cloned()
        .collect();
    for name in names {
        headers.remove(name);
    }
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

    #[test]
    fn the_policy_replaces_whatever_cors_headers_an_answer_carried() {
        let origins = CorsOrigins::parse("http://localhost:5173").unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
        headers.insert(
            ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET"),
        );

        apply_policy(&origins, Some("http://localhost:5173"), &mut headers);

        assert_eq!(
            headers[ACCESS_CONTROL_ALLOW_ORIGIN],
            "http://localhost:5173"
        );
        assert_eq!(headers[VARY], "Origin");
        assert!(headers.get(ACCESS_CONTROL_ALLOW_METHODS).is_none());
        assert_eq!(
            headers[ACCESS_CONTROL_EXPOSE_HEADERS],
            POLICY_EXPOSE_HEADERS
        );
    }

    #[test]
    fn the_policy_gives_a_disallowed_origin_no_cors_headers_at_all() {
        let origins = CorsOrigins::parse("http://localhost:5173").unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));

        apply_policy(&origins, Some("https://evil.example"), &mut headers);
        apply_preflight(&origins, None, &mut headers);

        assert!(
            headers
                .keys()
                .all(|name| !name.as_str().starts_with("access-control-"))
        );
    }

    #[test]
    fn a_preflight_allows_the_methods_and_headers_of_every_route() {
        let mut headers = HeaderMap::new();
        apply_preflight(&CorsOrigins::Any, Some("https://a.example"), &mut headers);
        assert_eq!(headers[ACCESS_CONTROL_ALLOW_ORIGIN], "*");
        assert_eq!(headers[ACCESS_CONTROL_ALLOW_METHODS], "GET,POST,OPTIONS");
        assert_eq!(
            headers[ACCESS_CONTROL_ALLOW_HEADERS],
            "content-type,idempotency-key,authorization"
        );
        assert_eq!(headers[ACCESS_CONTROL_MAX_AGE], "600");
    }
}
