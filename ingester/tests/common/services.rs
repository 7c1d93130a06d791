//! Real services for the integration tests: the shared stand-ins from `scripts/services.sh`
//! (endpoints from the same `COINKING_*` variables), and test-owned tansu / dynalite processes
//! that a test may stop and restart. A missing service fails the test; nothing is skipped.
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use coinking_adapters::market_store::{DynamoDbMarketStore, DynamoDbStoreConfig, ensure_table};
use coinking_adapters::{AwsSettings, KafkaSettings, aws};

const HOW_TO_START: &str =
    "start the local stand-ins with `scripts/services.sh up` (or run `bash scripts/test.sh`)";

pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_listening(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "{what} did not listen on {port} within 30 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Fails the test unless something accepts connections at `host:port`.
pub fn require(service: &str, host_port: &str) {
    let address = host_port
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    if TcpStream::connect(&address).is_err() {
        panic!("{service} is not running at {address}; {HOW_TO_START}");
    }
}

/// Kafka settings from the environment (default broker 127.0.0.1:9092) with a short session
/// timeout for quick group joins.
pub fn kafka_settings() -> KafkaSettings {
    let mut settings = KafkaSettings::from_env().unwrap();
    settings.session_timeout = Duration::from_secs(6);
    settings
}

/// Kafka settings of the shared broker, with a short session timeout for quick group joins.
pub fn shared_kafka() -> KafkaSettings {
    let settings = kafka_settings();
    require("kafka", &settings.brokers);
    settings
}

/// The shared dynalite's URL.
pub fn shared_dynamodb_url() -> String {
    let url = std::env::var("COINKING_DYNAMODB_ENDPOINT").unwrap_or_else(|_| {
        let port = std::env::var("COINKING_DYNAMODB_PORT").unwrap_or_else(|_| "4567".into());
        format!("http://127.0.0.1:{port}")
    });
    require("dynamodb", &url);
    url
}

/// A DynamoDB market store on a new randomly named table at `url`.
pub async fn dynamodb_store(url: &str) -> DynamoDbMarketStore {
    dynamodb_store_on(url, &unique("market")).await
}

/// A DynamoDB market store on table `table` at `url` (created if missing).
pub async fn dynamodb_store_on(url: &str, table: &str) -> DynamoDbMarketStore {
    let mut settings = AwsSettings::from_env().unwrap();
    settings.endpoints.dynamodb = Some(url.to_owned());
    let sdk = aws::sdk_config(&settings).await;
    let client = aws::dynamodb_client(&sdk, &settings);
    ensure_table(&client, table).await.unwrap();
    DynamoDbMarketStore::new(
        client,
        DynamoDbStoreConfig {
            table: table.to_owned(),
            consistent_reads: true,
            ..DynamoDbStoreConfig::default()
        },
    )
}

/// A process of the test's own on a free port, stoppable and restartable.
pub struct OwnProcess {
    pub port: u16,
    pub data_dir: PathBuf,
    program: String,
    args: Vec<String>,
    child: Option<Child>,
    name: &'static str,
}

impl OwnProcess {
    fn start(
        name: &'static str,
        program: String,
        args: Vec<String>,
        port: u16,
        data_dir: PathBuf,
    ) -> Self {
        let mut process = Self {
            port,
            data_dir,
            program,
            args,
            child: None,
            name,
        };
        process.restart();
        process
    }

    /// A tansu broker with its own SQLite data (as `scripts/services.sh` finds the binary).
    pub fn tansu() -> Self {
        let port = free_port();
        let data_dir = std::env::temp_dir().join(unique("coinking-tansu"));
        std::fs::create_dir_all(&data_dir).unwrap();
        let url = format!("tcp://127.0.0.1:{port}");
        let program = std::env::var("COINKING_TANSU_BIN").unwrap_or_else(|_| {
            let cargo_home = std::env::var("CARGO_HOME")
                .unwrap_or_else(|_| format!("{}/.cargo", std::env::var("HOME").unwrap()));
            let installed = format!("{cargo_home}/bin/tansu");
            if std::path::Path::new(&installed).exists() {
                installed
            } else {
                "tansu".into()
            }
        });
        let args = [
            "broker",
            "--listener-url",
            &url,
            "--advertised-listener-url",
            &url,
            "--storage-engine",
            "sqlite://tansu.db",
        ]
        .map(String::from)
        .to_vec();
        Self::start("tansu", program, args, port, data_dir)
    }

    /// A dynalite with LevelDB storage in its own directory, so data survives a restart.
    pub fn dynalite() -> Self {
        let port = free_port();
        let data_dir = std::env::temp_dir().join(unique("coinking-dynalite"));
        std::fs::create_dir_all(&data_dir).unwrap();
        let tools = std::env::var("COINKING_TOOLS_DIR").unwrap_or_else(|_| {
            format!("{}/.cache/coinking/tools", std::env::var("HOME").unwrap())
        });
        let cli = format!("{tools}/node/node_modules/dynalite/cli.js");
        assert!(
            std::path::Path::new(&cli).exists(),
            "dynalite not installed at {cli}; run `scripts/services.sh install`"
        );
        let db = data_dir.join("db").to_string_lossy().into_owned();
        let args = vec![
            cli,
            "--host".into(),
            "127.0.0.1".into(),
            "--port".into(),
            port.to_string(),
            "--createTableMs".into(),
            "0".into(),
            "--deleteTableMs".into(),
            "0".into(),
            "--path".into(),
            db,
        ];
        Self::start("dynalite", "node".into(), args, port, data_dir)
    }

    pub fn restart(&mut self) {
        let log = std::fs::File::options()
            .create(true)
            .append(true)
            .open(self.data_dir.join(format!("{}.log", self.name)))
            .unwrap();
        let child = Command::new(&self.program)
            .args(&self.args)
            .current_dir(&self.data_dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {} ({e}); {HOW_TO_START}", self.name));
        self.child = Some(child);
        wait_listening(self.port, self.name);
    }

    /// SIGTERM, then wait for the exit (SIGKILL after 10 s).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn kafka_settings(&self) -> KafkaSettings {
        KafkaSettings {
            brokers: format!("127.0.0.1:{}", self.port),
            session_timeout: Duration::from_secs(6),
            ..KafkaSettings::default()
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for OwnProcess {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}
