//! The analytics venv (pyspark, pyarrow) the Spark-backed tests run: found or installed by
//! `scripts/analytics-env.sh` (idempotent), or taken from `COINKING_ANALYTICS_PYTHON`. A missing
//! venv or Java is a failure, never a skip.

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn venv_python() -> PathBuf {
    if let Ok(python) = std::env::var("COINKING_ANALYTICS_PYTHON") {
        return PathBuf::from(python);
    }
    let output = Command::new("bash")
        .arg(repo_root().join("scripts/analytics-env.sh"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "scripts/analytics-env.sh failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    PathBuf::from(String::from_utf8(output.stdout).unwrap().trim())
}

/// `python <args>` with `spark/` importable and Spark bound to the loopback interface.
pub fn python_command(python: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(python);
    command
        .args(args)
        .env("PYTHONPATH", repo_root().join("spark"))
        .env("SPARK_LOCAL_IP", "127.0.0.1")
        .env("PYSPARK_PYTHON", python);
    command
}
