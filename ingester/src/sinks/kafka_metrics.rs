//! What `/metrics` shows of the [`KafkaBus`]: computed when scraped from its two sinks'
//! counters and queues (summed, or one sample per topic), so written by hand rather than with
//! `metric_set!`; each family is still declared once, here.

use super::{KafkaBus, RecordSink};
use crate::metrics::exposition::{Exposition, Family, Kind, MetricSet, Scope};

const MESSAGES_OUT: Family = Family {
    name: "messages_out_total",
    kind: Kind::Counter,
    help: "Records accepted by the Kafka producer, by type.",
    label: Some("type"),
};
const PRODUCER_QUEUE_DEPTH: Family = Family {
    name: "producer_queue_depth",
    kind: Kind::Gauge,
    help: "Records enqueued but not yet acknowledged.",
    label: None,
};
const DELIVERY_FAILURES: Family = Family {
    name: "delivery_failures_total",
    kind: Kind::Counter,
    help: "Failed Kafka delivery attempts (retried with backoff, or given up on).",
    label: None,
};
const DELIVERY_FAILED_PERMANENTLY: Family = Family {
    name: "delivery_failed_permanently_total",
    kind: Kind::Counter,
    help: "Records given up on: a permanent broker error or attempts used up.",
    label: None,
};

/// In the order rendered.
const FAMILIES: [&Family; 4] = [
    &MESSAGES_OUT,
    &PRODUCER_QUEUE_DEPTH,
    &DELIVERY_FAILURES,
    &DELIVERY_FAILED_PERMANENTLY,
];

impl MetricSet for KafkaBus {
    fn declared(scope: Scope, each: &mut dyn FnMut(String, &Family)) {
        for family in FAMILIES {
            each(scope.name(family), family);
        }
    }

    fn render(&self, out: &mut Exposition) {
        let (tickers, trades) = self.stats();
        // No trade sink (trades not forwarded): nothing produced, zeros.
        let trades = trades.unwrap_or_default();
        out.family(&MESSAGES_OUT);
        out.sample(&MESSAGES_OUT, Some("ticker"), tickers.enqueued);
        out.sample(&MESSAGES_OUT, Some("trade"), trades.enqueued);
        out.family(&PRODUCER_QUEUE_DEPTH);
        let pending = u64::try_from(self.pending()).unwrap_or(u64::MAX);
        out.sample(&PRODUCER_QUEUE_DEPTH, None, pending);
        out.family(&DELIVERY_FAILURES);
        let failures = tickers.delivery_failures + trades.delivery_failures;
        out.sample(&DELIVERY_FAILURES, None, failures);
        out.family(&DELIVERY_FAILED_PERMANENTLY);
        let given_up = tickers.failed_permanently + trades.failed_permanently;
        out.sample(&DELIVERY_FAILED_PERMANENTLY, None, given_up);
    }
}
