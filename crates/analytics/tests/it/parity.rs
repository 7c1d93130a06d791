//! Parity: the embedded engine and the Spark job (spark/coinking_analytics/job.py) produce the
//! same JSON from one generated lake of 100,000 games (duplicates, ties at the quantile,
//! one-row groups, an empty leverage group, player names that need care as file names).
//!
//! Needs the analytics venv and Java 17 (see `venv.rs`).

use std::collections::BTreeSet;
use std::path::Path;

use coinking_analytics::{AnalyzeConfig, Location, run_analysis};
use serde_json::Value;

use crate::venv::{python_command, venv_python};

const GAMES: &str = "100000";
const RELATIVE_TOLERANCE: f64 = 1e-9;

fn python(python: &Path, args: &[&str]) {
    let status = python_command(python, args).status().unwrap();
    assert!(status.success(), "{python:?} {args:?} failed: {status}");
}

fn same(path: &str, left: &Value, right: &Value, problems: &mut Vec<String>) {
    match (left, right) {
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
            let scale = a.abs().max(b.abs());
            if (a - b).abs() > RELATIVE_TOLERANCE * scale {
                problems.push(format!("{path}: {a} != {b}"));
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            if a.len() != b.len() {
                problems.push(format!("{path}: {} entries != {}", a.len(), b.len()));
                return;
            }
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                same(&format!("{path}[{i}]"), x, y, problems);
            }
        }
        (Value::Object(a), Value::Object(b)) => {
            let keys_a: Vec<&String> = a.keys().collect();
            let keys_b: Vec<&String> = b.keys().collect();
            if keys_a != keys_b {
                problems.push(format!("{path}: keys {keys_a:?} != {keys_b:?}"));
                return;
            }
            for (key, x) in a {
                same(&format!("{path}.{key}"), x, &b[key], problems);
            }
        }
        _ if left == right => {}
        _ => problems.push(format!("{path}: {left} != {right}")),
    }
}

fn read(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn file_names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".json"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_engine_and_spark_write_the_same_json() {
    let python_bin = venv_python();
    let work = tempfile::tempdir().unwrap();
    let lake = work.path().join("lake");
    let rust_out = work.path().join("rust");
    let spark_out = work.path().join("spark");
    python(
        &python_bin,
        &[
            "-m",
            "coinking_analytics.gen",
            "--out",
            lake.to_str().unwrap(),
            "--games",
            GAMES,
            "--rows-per-file",
            "30000",
        ],
    );

    let config = AnalyzeConfig::new(
        Location::Local(lake.clone()),
        Location::Local(rust_out.clone()),
    );
    let manifest = run_analysis(&config).await.unwrap();
    assert_eq!(manifest.game_count, 100_000);
    assert!(manifest.duplicates_dropped > 0);

    python(
        &python_bin,
        &[
            "-m",
            "coinking_analytics.job",
            "--input",
            lake.to_str().unwrap(),
            "--output",
            spark_out.to_str().unwrap(),
            "--master",
            "local[2]",
        ],
    );

    let mut problems = Vec::new();
    let rust_dir = rust_out.join("analysis");
    let spark_dir = spark_out.join("analysis");
    assert_eq!(file_names(&rust_dir), file_names(&spark_dir));
    for name in file_names(&rust_dir) {
        let (rust, spark) = (read(&rust_dir.join(&name)), read(&spark_dir.join(&name)));
        match name.as_str() {
            "_manifest.json" => continue,
            // run_id and generated_at_ms differ by nature; the results must not.
            "_results.json" => same(&name, &rust["results"], &spark["results"], &mut problems),
            _ => same(&name, &rust, &spark, &mut problems),
        }
    }
    let rust_users = file_names(&rust_dir.join("users"));
    let spark_users = file_names(&spark_dir.join("users"));
    assert_eq!(rust_users.len(), 5000);
    assert_eq!(rust_users, spark_users);
    for name in &rust_users {
        same(
            &format!("users/{name}"),
            &read(&rust_dir.join("users").join(name)),
            &read(&spark_dir.join("users").join(name)),
            &mut problems,
        );
    }
    let rust_manifest = read(&rust_dir.join("_manifest.json"));
    let spark_manifest = read(&spark_dir.join("_manifest.json"));
    for key in [
        "input_files",
        "record_count",
        "game_count",
        "duplicates_dropped",
        "player_count",
        "top_10_percent_threshold",
        "top_10_percent_games",
        "results",
    ] {
        same(
            &format!("_manifest.{key}"),
            &rust_manifest[key],
            &spark_manifest[key],
            &mut problems,
        );
    }
    assert!(
        problems.is_empty(),
        "{} differences, first ones:\n{}",
        problems.len(),
        problems
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );

    // The dataset really has the edge cases the rules are about.
    let leverage = read(&rust_dir.join("leverage_ratio.json"));
    assert_eq!(leverage[3]["count"], Value::from(0));
    let ai2 = read(&rust_dir.join("ai_recommend_2_ratio.json"));
    assert_eq!(ai2[0]["count"], Value::from(1));
    assert!(
        manifest.top_10_percent_games > 10_000,
        "ties at the quantile"
    );
}
