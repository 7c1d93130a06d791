//! The get-ticker Lambda: market data for the game's frontend, behind API Gateway HTTP API.
//!
//! Routes (template.yaml declares each as `GET` on the HTTP API, whose `CorsConfiguration`
//! answers preflights on AWS; the function also answers `OPTIONS` and wrong methods itself, so
//! it behaves the same under `cargo lambda watch` or behind an `ANY` route):
//!
//! | route | answer |
//! |---|---|
//! | `GET /upbit_data` | the frontend's contract: JSON array, one `{code, coin_name, trade_price, high_price, low_price, change, change_price, change_rate, timestamp, trade_timestamp}` per configured game market that has a ticker, numbers as JSON numbers, Korean `coin_name` |
//! | `GET /markets` | the catalog: `{"markets":[{market, korean_name, english_name, warning, caution, game}]}` |
//! | `GET /tickers[?markets=KRW-BTC,KRW-ETH]` | `{"tickers":[…], "age_ms"}`; default the game markets, at most 100; markets without a ticker are left out |
//! | `GET /tickers/{market}` | one ticker (exact decimals as strings) with `korean_name`, `english_name`, `age_ms` |
//! | `GET /tickers/{market}/candles?from&to&limit` | 1-minute candles, oldest first: `to` defaults to now, `from` to one hour before `to`, `limit` to 60 (max 1440); all epoch ms |
//! | `GET /get_deeplearning` | the AI hints: always 200, one entry per game market in `/upbit_data` order ([`routes::hints`]) |
//! | `POST /set_deeplearning` | stores hints from an external predictor; IAM auth on AWS, a bearer token (`COINKING_HINTS_TOKEN`) elsewhere ([`routes::hints`]) |
//!
//! Every success has `Cache-Control: max-age=1`; ticker and candle routes (and `/upbit_data`)
//! carry `X-Data-Age-Ms`, how old the newest tick is. Errors are
//! `{"error":{"code","message"}}` with the message `<parameter>: <rule>`: 400
//! `invalid_parameter`, 404 `not_found` / `unknown_market` / `ticker_not_found`, 405
//! `method_not_allowed`, 403 `cors_origin_not_allowed` (preflight), 503 `store_unavailable`
//! (retryable store failure), 500 `internal`.
//!
//! Reads: one DynamoDB `Query` on `pk = TICKER` per list (never a Scan), one `GetItem`
//! per single ticker, one `Query` per candle range, one `Query` on `pk = HINT` per
//! `/get_deeplearning` (plus the ticker Query while hints are incomplete), and the catalog
//! `Query` at most once per five minutes per instance. The one write is `/set_deeplearning`'s
//! `BatchWriteItem` on the `HINT` partition. The IAM policy needs `dynamodb:Query` and
//! `dynamodb:GetItem` on the market table, and `dynamodb:BatchWriteItem` limited to the leading
//! key `HINT`.
//!
//! Environment (what template.yaml declares for this function):
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `COINKING_GAME_MARKETS` | the nine game markets of docs/DESIGN.md | comma-separated codes of `/upbit_data`, in display order |
//! | `COINKING_CORS_ORIGINS` | `*` | comma-separated allowed origins, or `*` (public, credential-less data) |
//! | `COINKING_DYNAMODB_TABLE` | `coinking-market` | the market table |
//! | `COINKING_AWS_REGION` | `us-east-1` | region (on Lambda, set it to `AWS_REGION`) |
//! | `COINKING_DYNAMODB_ENDPOINT` | unset | endpoint override, local stand-ins only |
//! | `COINKING_HINTS_TOKEN` | unset | bearer token of `POST /set_deeplearning` off AWS (at least 16 characters); unset: 403 |
//! | `COINKING_LOG_FORMAT`, `RUST_LOG` | `auto`, `info` | JSON logs on Lambda; `RUST_LOG` is one level (error … trace) |
//!
//! Module map:
//! - [`config`]: [`TickerConfig`], parsed once from the environment.
//! - [`handler`]: [`handle`]: the HTTP edge (routing, methods, preflight).
//! - [`deps`]: [`Deps`] and the store-error mapping, what the edge and every route share.
//! - [`respond`]: the error type, cache and data-age headers, CORS headers of this API; the JSON
//!   error shape, `Vary` and origin rules are `coinking_http`'s.
//! - [`views`]: the JSON shapes of the modern routes.
//! - [`routes`]: one file per route ([`routes::hints`]: `GET /get_deeplearning` and `POST /set_deeplearning`).
//! - [`catalog_cache`]: the store's catalog over the bundled one, cached per process.
//! - `main.rs`: the bootstrap: logging, config, SDK client, `lambda_http::run`.

pub mod catalog_cache;
pub mod config;
pub mod deps;
pub mod handler;
mod query;
pub mod respond;
pub mod routes;
pub mod views;

pub use coinking_http::CorsOrigins;
pub use config::{ConfigError, TickerConfig};
pub use handler::{Deps, handle, serve};
