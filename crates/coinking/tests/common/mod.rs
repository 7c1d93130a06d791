//! What the end-to-end tests share: `coinking up` as the tests start it.

use std::net::SocketAddr;
use std::process::{Command, Stdio};

/// Variables that would take `coinking up` off its embedded defaults (a developer's shell, or
/// `scripts/test.sh`, exports the stand-ins' endpoints); a test that wants one sets it after.
const NOT_INHERITED: [&str; 7] = [
    "COINKING_DYNAMODB_ENDPOINT",
    "COINKING_MARKET_STORE",
    "COINKING_GAME_MARKETS",
    "COINKING_CORS_ORIGINS",
    "COINKING_KAFKA_BROKERS",
    "COINKING_S3_ENDPOINT",
    "COINKING_NICKNAME_HASH_KEY",
];

/// `coinking up --source simulator --listen <address>` with the embedded defaults, warnings on
/// stderr, nothing on stdin or stdout; add arguments and variables, then spawn.
pub fn coinking_up(address: SocketAddr) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_coinking"));
    command
        .args(["up", "--source", "simulator", "--listen"])
        .arg(address.to_string());
    for variable in NOT_INHERITED {
        command.env_remove(variable);
    }
    command
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    command
}
