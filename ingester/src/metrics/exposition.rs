//! The Prometheus text exposition (format 0.0.4) of declared metric families.
//!
//! A stage declares its metrics once, with [`metric_set!`](super::metric_set): each
//! family's name, type, help text and label next to the atomics it reads. The declaration
//! implements [`MetricSet`]: [`MetricSet::render`] writes the families through an [`Exposition`],
//! [`MetricSet::declared`] lists them (what the tests hold the rendering and the docs to). No
//! metrics crate: the stages' atomics are all there is to export, and the format is three lines a
//! family.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// Every family's name starts with this.
pub const PREFIX: &str = "coinking_ingester_";

/// The Prometheus metric types the ingester exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
}

impl Kind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Counter => "counter",
            Self::Gauge => "gauge",
        }
    }
}

/// One metric family as declared; `name` leaves out [`PREFIX`] and any [`Scope`] prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Family {
    pub name: &'static str,
    pub kind: Kind,
    pub help: &'static str,
    /// The label that tells the family's samples apart (`type`, `kind`); `None`: one sample.
    pub label: Option<&'static str>,
}

/// How the families of a set shared by several stages (a consumer's) are named for one stage:
/// `prefix` before each name, except the `renamed` ones, which keep the name they had before
/// the set was shared (scrapers and dashboards know them by it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Scope {
    pub prefix: &'static str,
    /// `(declared name, rendered name)`.
    pub renamed: &'static [(&'static str, &'static str)],
}

impl Scope {
    /// Names as declared.
    pub const ROOT: Self = Self {
        prefix: "",
        renamed: &[],
    };

    /// `family`'s name here, without [`PREFIX`].
    pub fn name(&self, family: &Family) -> String {
        let mut name = String::new();
        self.push_name(&mut name, family);
        name
    }

    fn push_name(&self, out: &mut String, family: &Family) {
        let renamed = self
            .renamed
            .iter()
            .find(|(declared, _)| *declared == family.name);
        match renamed {
            Some((_, rendered)) => out.push_str(rendered),
            None => {
                out.push_str(self.prefix);
                out.push_str(family.name);
            }
        }
    }
}

/// The text being written: each family's `# HELP` and `# TYPE` lines, then its samples.
#[derive(Debug, Default)]
pub struct Exposition {
    text: String,
    scope: Scope,
}

impl Exposition {
    pub fn new() -> Self {
        Self {
            text: String::with_capacity(4096),
            scope: Scope::ROOT,
        }
    }

    pub fn finish(self) -> String {
        self.text
    }

    /// Starts `family`: its `# HELP` and `# TYPE` lines.
    pub fn family(&mut self, family: &Family) {
        self.line_start("# HELP ", family);
        let _ = writeln!(self.text, " {}", family.help);
        self.line_start("# TYPE ", family);
        let _ = writeln!(self.text, " {}", family.kind.as_str());
    }

    /// One sample of `family`; `label_value` is given exactly when the family has a label.
    pub fn sample(&mut self, family: &Family, label_value: Option<&str>, value: u64) {
        debug_assert_eq!(
            family.label.is_some(),
            label_value.is_some(),
            "{}",
            family.name
        );
        self.line_start("", family);
        match (family.label, label_value) {
            (Some(key), Some(label_value)) => {
                let _ = writeln!(self.text, "{{{key}=\"{label_value}\"}} {value}");
            }
            _ => {
                let _ = writeln!(self.text, " {value}");
            }
        }
    }

    /// Runs `render` with `scope` naming the families (a nested set's). Scopes do not compose:
    /// sets nest one level.
    pub fn scoped(&mut self, scope: Scope, render: impl FnOnce(&mut Self)) {
        let outer = std::mem::replace(&mut self.scope, scope);
        render(self);
        self.scope = outer;
    }

    fn line_start(&mut self, start: &str, family: &Family) {
        self.text.push_str(start);
        self.text.push_str(PREFIX);
        self.scope.push_name(&mut self.text, family);
    }
}

/// A stored value a sample shows.
pub trait Value {
    fn value(&self) -> u64;
}

impl Value for AtomicU64 {
    fn value(&self) -> u64 {
        self.load(Ordering::Relaxed)
    }
}

/// Gauges stored signed because Kafka counts offsets and partitions in `i64`; a negative value
/// (none is stored today) shows as 0, as it always has, rather than as a huge unsigned one.
impl Value for AtomicI64 {
    fn value(&self) -> u64 {
        u64::try_from(self.load(Ordering::Relaxed)).unwrap_or(0)
    }
}

/// A member of a labelled family: one atomic and its label value, or an array of atomics and
/// one label value each (the compiler checks that the counts agree).
pub trait Labelled<L> {
    fn render(&self, labels: L, family: &Family, out: &mut Exposition);
}

impl Labelled<&str> for AtomicU64 {
    fn render(&self, label: &str, family: &Family, out: &mut Exposition) {
        out.sample(family, Some(label), self.value());
    }
}

impl<const N: usize> Labelled<[&str; N]> for [AtomicU64; N] {
    fn render(&self, labels: [&str; N], family: &Family, out: &mut Exposition) {
        for (atomic, label) in self.iter().zip(labels) {
            out.sample(family, Some(label), atomic.value());
        }
    }
}

/// A stage's metrics: what `/metrics` shows of it. Implemented by
/// [`metric_set!`](super::metric_set) declarations, or by hand for values computed
/// when scraped.
pub trait MetricSet {
    /// Calls `each` with the name (in `scope`, without [`PREFIX`]) and declaration of every
    /// family [`Self::render`] writes, in the same order.
    fn declared(scope: Scope, each: &mut dyn FnMut(String, &Family));

    fn render(&self, out: &mut Exposition);
}

impl<T: MetricSet> MetricSet for Arc<T> {
    fn declared(scope: Scope, each: &mut dyn FnMut(String, &Family)) {
        T::declared(scope, each);
    }

    fn render(&self, out: &mut Exposition) {
        T::render(self, out);
    }
}
