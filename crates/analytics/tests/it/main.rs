#![allow(clippy::unwrap_used)]
//! The engine's integration tests, in one binary (one link instead of four):
//! - `engine`: hand-made lakes with hand-computed results;
//! - `parity`: the embedded engine and the Spark job on 100,000 generated games;
//! - `spark_oracle`: the top-10 % threshold and the rounding against real Spark;
//! - `s3`: S3 in and out through the stand-in, served by the get-user-analysis handler.

mod engine;
mod parity;
mod s3;
mod spark_oracle;
mod venv;
