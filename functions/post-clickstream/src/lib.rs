//! The post-clickstream Lambda: `POST /set_click_stream` → validated game record → Kinesis.
//!
//! Module map:
//! - [`config`]: typed settings from env (stream, CORS origins, game markets, nickname hash
//!   key), read once.
//! - [`nickname`]: the keyed hash that replaces the player's nickname (an e-mail) before the
//!   record goes to the stream.
//! - [`handler`]: the plain, tested request → response function over a
//!   [`ClickSink`](coinking_click_sink::ClickSink); every answer and limit is listed in
//!   its module doc.
//!
//! `main.rs` only wires these to the Kinesis sink and the Lambda runtime; the local platform
//! wires the same handler to an in-process queue.

pub mod config;
pub mod handler;
pub mod nickname;

pub use coinking_http::CorsOrigins;
pub use config::Config;
pub use handler::{Service, handle};
pub use nickname::NicknameKey;
