//! What the HTTP Lambdas (get-ticker, post-clickstream, get-user-analysis) share, so that they
//! read `COINKING_CORS_ORIGINS` by one rule set and answer errors in one shape.
//!
//! Module map:
//! - [`clock`]: [`Clock`] and [`system_clock`], the one wall clock of the Lambdas.
//! - [`config_error`]: [`ConfigError`], every Lambda's configuration error (variable and rule).
//! - [`cors`]: [`CorsOrigins`], parsed from the `COINKING_CORS_ORIGINS` text, the API's one CORS
//!   policy for every answer and preflight ([`apply_policy`], [`apply_preflight`]), and the CORS
//!   response headers ([`add_allow_origin`], [`add_vary_origin`],
//!   [`add_allow_methods_and_headers`]).
//! - [`error`]: JSON responses and the error body `{"error":{"code","message"}}`
//!   ([`json_response`], [`error_body`], [`error_response`]).
//! - [`api_error`]: [`ApiError`], the error answer of every route (JSON body, `no-store`,
//!   `Allow` on a 405).
//! - [`query`]: [`unknown_parameter`], the query-string rule of every route, and [`Query`], a
//!   request's parameters read by it.
//! - [`init_logging`]: `coinking_logging::init_lambda`, the platform's one logging set-up as
//!   every Lambda starts it (the archiver's too).
//!
//! Routing, preflights and success cache headers stay in each function: they differ by route.

pub mod api_error;
pub mod clock;
pub mod config_error;
pub mod cors;
pub mod error;
pub mod query;

pub use api_error::{ApiError, NO_STORE};
pub use clock::{Clock, system_clock};
pub use coinking_logging::init_lambda as init_logging;
pub use config_error::ConfigError;
pub use cors::{
    CorsOrigins, CorsParseError, add_allow_methods_and_headers, add_allow_origin, add_vary_origin,
    apply_policy, apply_preflight,
};
pub use error::{error_body, error_response, json_response};
pub use query::{Query, unknown_parameter};
