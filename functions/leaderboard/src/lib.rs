//! The leaderboard Lambda: the game's rank page, behind API Gateway HTTP API.
//!
//! | route | answer |
//! |---|---|
//! | `POST /set_user_data` | body `{name, affiliation, nickname?, coin_1, coin_2, coin_3, balance}` → `{"message"}`; the balance is checked against the bound the stored candles allow (422 `score_out_of_bounds` above it) and kept only if it is the player's best |
//! | `GET /get_user_data?affiliation=all\|<affiliation>` | `{"message","data":[{name, affiliation, nickname:"", coin_1, coin_2, coin_3, balance}]}`, best first, `balance` a JSON integer |
//! | `GET /get_affiliation_list` | `{"message","affiliation":[…]}`, sorted |
//! | `GET /get_the_best_user_data` | `{"message","data":{row}}`, `data: null` when nobody has played |
//!
//! Errors are `{"error":{"code","message"}}` with the message `<field>: <rule>`: 400
//! `invalid_body` (plus `problems`), `invalid_parameter`, `invalid_header`; 404 `not_found`;
//! 405 `method_not_allowed`; 422 `score_out_of_bounds`; 503 `store_unavailable`; 500
//! `internal`. Every answer to an allowed origin carries the API's one CORS policy
//! (`coinking_http::apply_policy`); `OPTIONS` is each route's preflight.
//!
//! DynamoDB: the players table (`dynamodb:UpdateItem`, `PutItem`, `Query` on it and its
//! indexes) and `dynamodb:Query` on the market table for the candles. Per submission: three
//! candle Queries, then one to four writes (see `coinking_adapters::leaderboard::dynamodb`).
//!
//! Environment (what template.yaml declares for this function):
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `COINKING_GAME_MARKETS` | the nine game markets of docs/DESIGN.md | the markets a submitted coin must be one of |
//! | `COINKING_CORS_ORIGINS` | `*` | comma-separated allowed origins, or `*` |
//! | `COINKING_LEADERBOARD_TABLE` | `coinking-leaderboard` | the players table |
//! | `COINKING_DYNAMODB_TABLE` | `coinking-market` | the market table (candles for the score bound) |
//! | `COINKING_LEADERBOARD_MAX_ROWS` | 10000 | most rows one `/get_user_data` answer holds (the best ones) |
//! | `COINKING_AWS_REGION`, `COINKING_DYNAMODB_ENDPOINT` | `us-east-1`, unset | region; endpoint override for local stand-ins |
//! | `COINKING_LOG_FORMAT`, `RUST_LOG` | `auto`, `info` | JSON logs on Lambda |
//!
//! Module map:
//! - [`config`]: [`Config`], parsed once from the environment.
//! - [`handler`]: [`handle`]: routing, CORS, the edge around the routes.
//! - [`deps`]: [`Deps`], what the handler and every route share.
//! - [`edge`]: the error type, JSON answers, the preflight answer, the query string.
//! - [`routes`]: one file per route, and the rank row's JSON shape.
//! - [`score`]: reads the candles and draws core's score bound.
//! - [`metrics`]: counters of accepted, refused and fallen-back submissions.
//! - `main.rs`: the bootstrap: logging, config, SDK client, `lambda_http::run`.

pub mod config;
pub mod deps;
pub mod edge;
pub mod handler;
pub mod metrics;
pub mod routes;
pub mod score;

pub use config::{Config, ConfigError};
pub use handler::{Deps, handle, serve, system_clock};
pub use metrics::{Metrics, MetricsSnapshot};
