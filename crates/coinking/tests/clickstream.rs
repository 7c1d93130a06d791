//! End to end on one machine: `coinking up` as a process, `POST /set_click_stream` as the
//! frontend sends it, and the record archived as Parquet in the local lake directory.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

use coinking_clickstream::{clickstream_schema, decode_batch, from_parquet};
use serde_json::Value;

mod common;

use common::coinking_up;

const BODY: &str = include_str!("../../core/tests/fixtures/game_record_valid.json");

struct Platform(Child);

impl Drop for Platform {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_address() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

fn post(address: SocketAddr, path: &str, body: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(1))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nOrigin: http://localhost:5173\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8(raw).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    Ok((status, body.to_owned()))
}

fn parquet_files(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "parquet") {
                found.push(path);
            }
        }
    }
    found
}

#[test]
fn a_posted_game_is_archived_as_parquet_in_the_local_lake() {
    let lake = tempfile::tempdir().unwrap();
    let address = free_address();
    let platform = Platform(
        coinking_up(address)
            .arg("--lake-dir")
            .arg(lake.path())
            .spawn()
            .unwrap(),
    );

    let deadline = Instant::now() + Duration::from_secs(20);
    let (status, body) = loop {
        match post(address, "/set_click_stream", BODY) {
            Ok(answer) => break answer,
            Err(error) => {
                assert!(Instant::now() < deadline, "platform not serving: {error}");
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    };
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["message"], "accepted");
    let event_id = answer["event_id"].as_str().unwrap().to_owned();

    let (status, body) = post(address, "/set_click_stream", "{\"leverage\": 3}").unwrap();
    assert_eq!(status, 400, "{body}");

    let deadline = Instant::now() + Duration::from_secs(10);
    let files = loop {
        // The clickstream archive only (the market-data lake is beside it).
        let files = parquet_files(&lake.path().join("clickstream"));
        if !files.is_empty() {
            break files;
        }
        assert!(Instant::now() < deadline, "nothing archived within 10 s");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(files.len(), 1, "{files:?}");
    let relative = files[0]
        .strip_prefix(lake.path())
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert!(relative.starts_with("clickstream/dt="), "{relative}");
    let batches = from_parquet(bytes::Bytes::from(std::fs::read(&files[0]).unwrap())).unwrap();
    assert_eq!(batches[0].schema(), clickstream_schema());
    let rows = decode_batch(&batches[0]).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].event_id.to_string(), event_id);
    assert_eq!(rows[0].record.user_name, "김철수");
    drop(platform);
}
