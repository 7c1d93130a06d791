//! Start-to-ready of the get-ticker bootstrap: the time from spawning the release binary to its
//! first `GET /2018-06-01/runtime/invocation/next` on a stand-in Lambda Runtime API (a loopback
//! listener), i.e. process start, logging, config, SDK client, runtime set-up. Also prints the
//! binary's size. No network beyond 127.0.0.1: the DynamoDB endpoint points at a closed local
//! port and is never called during init.
//! Run: `cargo bench -p get-ticker --bench cold_start` (builds the bench profile = release).

use std::io::Read;
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 30;

fn main() {
    let binary = env!("CARGO_BIN_EXE_get-ticker");
    let size = std::fs::metadata(binary)
        .expect("the bootstrap exists")
        .len();
    println!(
        "bootstrap {binary}: {size} bytes ({:.2} MiB)",
        size as f64 / (1024.0 * 1024.0)
    );

    let mut samples = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let runtime_api = listener.local_addr().expect("its address").to_string();
        let started = Instant::now();
        let mut child = Command::new(binary)
            .env_clear()
            .env("AWS_LAMBDA_RUNTIME_API", &runtime_api)
            .env("AWS_LAMBDA_FUNCTION_NAME", "get-ticker")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", "bench")
            .env("AWS_REGION", "us-east-1")
            .env("COINKING_DYNAMODB_ENDPOINT", "http://127.0.0.1:9")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the bootstrap starts");
        let (mut connection, _) = listener.accept().expect("the runtime connects");
        connection
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("a timeout");
        let mut request = [0u8; 512];
        let read = connection.read(&mut request).expect("a request");
        let ready = started.elapsed();
        let line = String::from_utf8_lossy(&request[..read]);
        assert!(
            line.starts_with("GET /2018-06-01/runtime/invocation/next"),
            "unexpected first request: {line}"
        );
        samples.push(ready);
        child.kill().expect("stop the bootstrap");
        child.wait().expect("reap the bootstrap");
    }
    samples.sort_unstable();
    println!(
        "start to ready (first /invocation/next): p50 {:?}  min {:?}  max {:?}  ({RUNS} runs)",
        samples[RUNS / 2],
        samples[0],
        samples[RUNS - 1]
    );
}
