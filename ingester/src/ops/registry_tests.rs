use std::sync::atomic::Ordering;

use super::*;

#[test]
fn renders_registered_stages_in_prometheus_text() {
    let registry = Registry::new();
    let stream = Arc::new(StreamMetrics::default());
    stream
        .consumer
        .flush_retries
        .fetch_add(3, Ordering::Relaxed);
    registry.register_stream(Arc::clone(&stream));
    let text = registry.render();
    assert!(
        text.contains("# TYPE coinking_ingester_dynamodb_retries_total counter\n"),
        "{text}"
    );
    assert!(
        text.contains("\ncoinking_ingester_dynamodb_retries_total 3\n"),
        "{text}"
    );
    assert!(
        !text.contains("messages_in_total"),
        "no source registered: {text}"
    );
}

#[test]
fn renders_messages_skipped_by_type_apart_from_parse_errors() {
    let registry = Registry::new();
    let transform = Arc::new(TransformMetrics::default());
    transform.not_ingested[0].fetch_add(2, Ordering::Relaxed);
    transform.trades_skipped.fetch_add(5, Ordering::Relaxed);
    registry.register_source(Arc::new(SourceMetrics::default()), transform);
    let text = registry.render();
    for line in [
        "coinking_ingester_messages_skipped_total{type=\"orderbook\"} 2\n",
        "coinking_ingester_messages_skipped_total{type=\"trade\"} 5\n",
        "coinking_ingester_messages_skipped_total{type=\"candle\"} 0\n",
        "coinking_ingester_parse_errors_total{kind=\"unknown_type\"} 0\n",
    ] {
        assert!(text.contains(line), "{line} in {text}");
    }
}

#[test]
fn renders_the_catalog_counters_once_registered() {
    let registry = Registry::new();
    assert!(!registry.render().contains("catalog_"));
    let catalog = Arc::new(CatalogMetrics::default());
    catalog.refreshes.fetch_add(4, Ordering::Relaxed);
    catalog.refresh_failures.fetch_add(3, Ordering::Relaxed);
    catalog.changes.fetch_add(1, Ordering::Relaxed);
    catalog.entries_rejected.store(2, Ordering::Relaxed);
    registry.register_catalog(Arc::clone(&catalog));
    let text = registry.render();
    for line in [
        "# TYPE coinking_ingester_catalog_refreshes_total counter\n",
        "\ncoinking_ingester_catalog_refreshes_total 4\n",
        "\ncoinking_ingester_catalog_refresh_failures_total 3\n",
        "\ncoinking_ingester_catalog_changes_total 1\n",
        "# TYPE coinking_ingester_catalog_entries_rejected gauge\n",
        "\ncoinking_ingester_catalog_entries_rejected 2\n",
    ] {
        assert!(text.contains(line), "{line:?} in {text}");
    }
}

#[test]
fn renders_the_hints_counters_once_registered() {
    let registry = Registry::new();
    assert!(!registry.render().contains("hints_"));
    let hints = Arc::new(HintsMetrics::default());
    hints.runs.fetch_add(2, Ordering::Relaxed);
    hints.failures.fetch_add(1, Ordering::Relaxed);
    registry.register_hints(Arc::clone(&hints));
    let text = registry.render();
    for line in [
        "# TYPE coinking_ingester_hints_runs_total counter\n",
        "\ncoinking_ingester_hints_runs_total 2\n",
        "\ncoinking_ingester_hints_failures_total 1\n",
        "# TYPE coinking_ingester_hints_last_duration_ms gauge\n",
    ] {
        assert!(text.contains(line), "{line:?} in {text}");
    }
}

#[test]
fn ready_only_when_every_registered_stage_works() {
    let registry = Registry::new();
    assert!(registry.readiness().is_err());
    let stream = Arc::new(StreamMetrics::default());
    registry.register_stream(Arc::clone(&stream));
    assert_eq!(
        registry.readiness(),
        Err(vec!["stream: no partition assigned"])
    );
    stream
        .consumer
        .assigned_partitions
        .store(3, Ordering::Relaxed);
    assert_eq!(registry.readiness(), Ok(()));
    let lake = Arc::new(LakeMetrics::default());
    registry.register_lake(Arc::clone(&lake));
    assert_eq!(
        registry.readiness(),
        Err(vec!["lake: no partition assigned"])
    );
    lake.consumer
        .assigned_partitions
        .store(1, Ordering::Relaxed);
    assert_eq!(registry.readiness(), Ok(()));
}

/// Every stage registered, the bus included (a producer needs no broker until it sends).
fn registry_with_every_stage() -> Registry {
    let registry = Registry::new();
    registry.register_source(
        Arc::new(SourceMetrics::default()),
        Arc::new(TransformMetrics::default()),
    );
    registry.register_catalog(Arc::new(CatalogMetrics::default()));
    let mut config = rdkafka::ClientConfig::new();
    config.set("bootstrap.servers", "127.0.0.1:9");
    registry.register_bus(Arc::new(
        KafkaBus::new(&config, "ticker", Some("trade")).unwrap(),
    ));
    registry.register_stream(Arc::new(StreamMetrics::default()));
    registry.register_lake(Arc::new(LakeMetrics::default()));
    registry.register_hints(Arc::new(HintsMetrics::default()));
    registry
}

#[test]
fn every_declared_family_is_rendered_once_with_help_type_and_samples() {
    let text = registry_with_every_stage().render();
    let declared = Registry::declared();
    for (name, family) in &declared {
        let full = format!("coinking_ingester_{name}");
        let help = format!("# HELP {full} {}\n", family.help);
        let kind = format!("# TYPE {full} {}\n", family.kind.as_str());
        assert_eq!(text.matches(&help).count(), 1, "{help:?} in {text}");
        assert_eq!(text.matches(&kind).count(), 1, "{kind:?} in {text}");
        let sample = match family.label {
            Some(label) => format!("\n{full}{{{label}=\""),
            None => format!("\n{full} "),
        };
        assert!(text.contains(&sample), "{sample:?} in {text}");
    }
    let mut names: Vec<&str> = declared.iter().map(|(name, _)| name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), declared.len(), "a family declared twice");
    assert_eq!(
        text.matches("# HELP ").count(),
        declared.len(),
        "a family rendered but not declared: {text}"
    );
}

#[test]
fn the_doc_table_names_every_declared_family() {
    let source = include_str!("registry.rs");
    let table: String = source
        .lines()
        .take_while(|line| line.starts_with("//!"))
        .filter(|line| line.starts_with("//! | `"))
        .collect();
    for (name, _) in Registry::declared() {
        assert!(
            table.contains(&format!("`{name}`")),
            "{name} is not in the table atop registry.rs"
        );
    }
}
