#![allow(clippy::unwrap_used)]
use super::*;

fn no_env(_: &str) -> Option<String> {
    None
}

#[test]
fn defaults_work_locally() {
    let config = IngesterConfig::from_parts(None, no_env).unwrap();
    assert_eq!(config.kafka.brokers, "127.0.0.1:9092");
    assert_eq!(config.kafka.ticker_topic, "upbit.ticker");
    assert_eq!(config.window(), Duration::from_millis(250));
    assert_eq!(config.source.codes.len(), 9);
    assert!(!config.forwards_trades());
    assert_eq!(config.drain_timeout(), Duration::from_secs(25));
    assert_eq!(config.catalog_refresh(), Some(Duration::from_secs(600)));
}

#[test]
fn the_catalog_refresh_comes_from_the_file_or_the_environment_and_zero_turns_it_off() {
    let from_file =
        IngesterConfig::from_parts(Some("[catalog]\nrefresh_secs = 60\n"), no_env).unwrap();
    assert_eq!(from_file.catalog_refresh(), Some(Duration::from_secs(60)));
    let env = |name: &str| (name == "COINKING_CATALOG_REFRESH_SECS").then(|| "0".to_owned());
    let off = IngesterConfig::from_parts(Some("[catalog]\nrefresh_secs = 60\n"), env).unwrap();
    assert_eq!(off.catalog_refresh(), None);
    let no_fetch = IngesterConfig::from_parts(Some("[catalog]\nfetch = false\n"), no_env).unwrap();
    assert_eq!(no_fetch.catalog_refresh(), None);
}

#[test]
fn rejects_a_catalog_refresh_that_is_not_a_number_shorter_than_the_timeout_or_over_a_day() {
    let env = |name: &str| (name == "COINKING_CATALOG_REFRESH_SECS").then(|| "10m".to_owned());
    let text = IngesterConfig::from_parts(None, env)
        .unwrap_err()
        .to_string();
    assert!(
        text.starts_with("config COINKING_CATALOG_REFRESH_SECS: must be a whole number"),
        "{text}"
    );
    let short = IngesterConfig::from_parts(
        Some("[catalog]\nrefresh_secs = 2\ntimeout_ms = 5000\n"),
        no_env,
    )
    .unwrap_err();
    assert_eq!(
        short.to_string(),
        "config catalog.refresh_secs: must be 0 (off) or at least catalog.timeout_ms"
    );
    let long =
        IngesterConfig::from_parts(Some("[catalog]\nrefresh_secs = 86401\n"), no_env).unwrap_err();
    assert!(
        long.to_string()
            .starts_with("config catalog.refresh_secs: must be at most 86400"),
        "{long}"
    );
}

#[test]
fn the_hints_stage_is_on_by_default_and_configurable() {
    let config = IngesterConfig::from_parts(None, no_env).unwrap();
    assert!(config.hints.enabled);
    assert_eq!(config.hints.delay(), Duration::from_secs(2));
    let env = |name: &str| (name == "COINKING_HINTS_ENABLED").then(|| "false".to_owned());
    let off = IngesterConfig::from_parts(Some("[hints]\ndelay_ms = 500\n"), env).unwrap();
    assert!(!off.hints.enabled);
    assert_eq!(off.hints.delay_ms, 500);
    let late = IngesterConfig::from_parts(Some("[hints]\ndelay_ms = 60000\n"), no_env).unwrap_err();
    assert!(
        late.to_string()
            .starts_with("config hints.delay_ms: must be at most 50000"),
        "{late}"
    );
    let env = |name: &str| (name == "COINKING_HINTS_ENABLED").then(|| "yes".to_owned());
    let bad = IngesterConfig::from_parts(None, env).unwrap_err();
    assert_eq!(
        bad.to_string(),
        "config COINKING_HINTS_ENABLED: must be true or false"
    );
}

#[test]
fn the_models_lake_is_off_by_default_and_checked_when_set() {
    let config = IngesterConfig::from_parts(None, no_env).unwrap();
    assert_eq!(config.hints.models_url, None);
    assert_eq!(config.hints.models_refresh(), Duration::from_secs(300));
    let dir = tempfile::tempdir().unwrap();
    let url = dir.path().to_str().unwrap().to_owned();
    let env = |name: &str| match name {
        "COINKING_MODELS_URL" => Some(url.clone()),
        "COINKING_MODELS_REFRESH_SECS" => Some("60".to_owned()),
        _ => None,
    };
    let on = IngesterConfig::from_parts(None, env).unwrap();
    assert_eq!(on.hints.models_url.as_deref(), Some(url.as_str()));
    assert_eq!(on.hints.models_refresh_secs, 60);
    let often =
        IngesterConfig::from_parts(Some("[hints]\nmodels_refresh_secs = 5\n"), no_env).unwrap_err();
    assert_eq!(
        often.to_string(),
        "config hints.models_refresh_secs: must be at least 10"
    );
    let env = |name: &str| (name == "COINKING_MODELS_URL").then(|| "ftp://x".to_owned());
    let bad = IngesterConfig::from_parts(None, env).unwrap_err();
    assert!(
        bad.to_string().starts_with("config hints.models_url: "),
        "{bad}"
    );
}

#[test]
fn the_environment_overrides_the_file() {
    let file = "drain_timeout_ms = 10000\n[kafka]\nbrokers = \"file:9092\"\n[stream]\nwindow_ms = 100\n[source]\nformat = \"SIMPLE\"\n";
    let env = |name: &str| match name {
        "COINKING_KAFKA_BROKERS" => Some("env:9092".to_owned()),
        "COINKING_MARKETS" => Some("KRW-BTC, KRW-ETH".to_owned()),
        // The same variable get-ticker reads: one name per setting across the platform.
        "COINKING_DYNAMODB_TABLE" => Some("env-table".to_owned()),
        _ => None,
    };
    let config = IngesterConfig::from_parts(Some(file), env).unwrap();
    assert_eq!(config.kafka.brokers, "env:9092");
    assert_eq!(config.stream.table, "env-table");
    assert_eq!(config.stream.window_ms, 100);
    assert_eq!(config.drain_timeout_ms, 10_000);
    assert_eq!(config.source.codes.len(), 2);
}

#[test]
fn unknown_keys_and_bad_values_name_the_field() {
    let unknown = IngesterConfig::from_parts(Some("[stream]\nwindow = 5\n"), no_env).unwrap_err();
    assert!(
        unknown.to_string().contains("unknown field `window`"),
        "{unknown}"
    );
    let zero = IngesterConfig::from_parts(Some("[stream]\nwindow_ms = 0\n"), no_env).unwrap_err();
    assert_eq!(
        zero.to_string(),
        "config stream.window_ms: must be greater than zero"
    );
    let env = |name: &str| (name == "COINKING_MARKETS").then(|| "BTC".to_owned());
    let market = IngesterConfig::from_parts(None, env).unwrap_err();
    assert!(
        market
            .to_string()
            .starts_with("config COINKING_MARKETS: `BTC`"),
        "{market}"
    );
}
#[test]
fn the_redis_hot_store_is_off_by_default_and_read_from_the_environment() {
    let config = IngesterConfig::from_parts(None, no_env).unwrap();
    assert_eq!(config.stream.redis_url, None);
    let env = |name: &str| {
        (name == "COINKING_REDIS_URL").then(|| " rediss://cache.example:6379/ ".to_owned())
    };
    let on = IngesterConfig::from_parts(None, env).unwrap();
    assert_eq!(
        on.stream.redis_url.as_deref(),
        Some("rediss://cache.example:6379/")
    );
    let bad = |name: &str| (name == "COINKING_REDIS_URL").then(|| "http://x".to_owned());
    let bad = IngesterConfig::from_parts(None, bad).unwrap_err();
    assert!(
        bad.to_string().starts_with("config stream.redis_url: "),
        "{bad}"
    );
    let blank = |name: &str| (name == "COINKING_REDIS_URL").then(String::new);
    assert_eq!(
        IngesterConfig::from_parts(None, blank)
            .unwrap()
            .stream
            .redis_url,
        None
    );
}

#[test]
fn the_lake_stage_is_off_by_default_and_needs_its_own_group() {
    let config = IngesterConfig::from_parts(None, no_env).unwrap();
    assert_eq!(config.lake.url, None);
    assert_eq!(config.lake.group_id, "coinking-lake");
    let dir = tempfile::tempdir().unwrap();
    let url = dir.path().to_str().unwrap().to_owned();
    let env = |name: &str| (name == "COINKING_LAKE_URL").then(|| url.clone());
    let on = IngesterConfig::from_parts(None, env).unwrap();
    assert_eq!(on.lake.url.as_deref(), Some(url.as_str()));
    let shared = IngesterConfig::from_parts(
        Some("[kafka]\ngroup_id = \"g\"\n[lake]\ngroup_id = \"g\"\n"),
        no_env,
    )
    .unwrap_err();
    assert!(
        shared
            .to_string()
            .starts_with("config lake.group_id: must differ from kafka.group_id"),
        "{shared}"
    );
    let bad = |name: &str| (name == "COINKING_LAKE_URL").then(|| "ftp://x".to_owned());
    let bad = IngesterConfig::from_parts(None, bad).unwrap_err();
    assert!(bad.to_string().starts_with("config lake.url: "), "{bad}");
}
