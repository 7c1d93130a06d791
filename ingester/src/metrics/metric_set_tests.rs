use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use crate::metrics::exposition::{Exposition, Kind, MetricSet, Scope};

metric_set! {
    #[derive(Debug, Default)]
    struct Inner {
        retries: AtomicU64 = counter("retries_total", "Retries."),
        lag: AtomicI64 = gauge("lag", "Lag."),
    }
}

const INNER: Scope = Scope {
    prefix: "inner_",
    renamed: &[("retries_total", "legacy_retries_total")],
};

metric_set! {
    /// Every form: a labelled family (one atomic, an array), a plain field, a gauge, a nested
    /// set, the last entry without a trailing comma.
    #[derive(Debug, Default)]
    struct Outer {
        counter("frames_total", "Frames.", by "kind") {
            binary: AtomicU64 = "binary",
            /// Indexed like the labels.
            errors: [AtomicU64; 2] = ["a", "b"],
        }
        plain: AtomicU64,
        depth: AtomicU64 = gauge("depth", "Depth.",),
        inner: Arc<Inner> = nested(INNER)
    }
}

fn render(set: &impl MetricSet) -> String {
    let mut out = Exposition::new();
    set.render(&mut out);
    out.finish()
}

#[test]
fn renders_every_form_in_declaration_order() {
    let outer = Outer::default();
    outer.binary.store(1, Ordering::Relaxed);
    outer.errors[1].store(2, Ordering::Relaxed);
    outer.plain.store(99, Ordering::Relaxed);
    outer.depth.store(3, Ordering::Relaxed);
    outer.inner.retries.store(4, Ordering::Relaxed);
    outer.inner.lag.store(5, Ordering::Relaxed);
    assert_eq!(
        render(&outer),
        "# HELP coinking_ingester_frames_total Frames.\n\
         # TYPE coinking_ingester_frames_total counter\n\
         coinking_ingester_frames_total{kind=\"binary\"} 1\n\
         coinking_ingester_frames_total{kind=\"a\"} 0\n\
         coinking_ingester_frames_total{kind=\"b\"} 2\n\
         # HELP coinking_ingester_depth Depth.\n\
         # TYPE coinking_ingester_depth gauge\n\
         coinking_ingester_depth 3\n\
         # HELP coinking_ingester_legacy_retries_total Retries.\n\
         # TYPE coinking_ingester_legacy_retries_total counter\n\
         coinking_ingester_legacy_retries_total 4\n\
         # HELP coinking_ingester_inner_lag Lag.\n\
         # TYPE coinking_ingester_inner_lag gauge\n\
         coinking_ingester_inner_lag 5\n"
    );
}

#[test]
fn a_negative_signed_gauge_renders_as_zero() {
    let inner = Inner::default();
    inner.lag.store(-7, Ordering::Relaxed);
    assert!(render(&inner).ends_with("\ncoinking_ingester_lag 0\n"));
}

#[test]
fn declared_lists_what_is_rendered_named_in_scope() {
    let mut declared = Vec::new();
    Outer::declared(Scope::ROOT, &mut |name, family| {
        declared.push((name, family.kind, family.label));
    });
    assert_eq!(
        declared,
        [
            ("frames_total".to_owned(), Kind::Counter, Some("kind")),
            ("depth".to_owned(), Kind::Gauge, None),
            ("legacy_retries_total".to_owned(), Kind::Counter, None),
            ("inner_lag".to_owned(), Kind::Gauge, None),
        ]
    );
}
