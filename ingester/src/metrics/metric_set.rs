//! `metric_set!`: declares a stage's metrics struct and, from the same lines, its
//! [`MetricSet`](super::exposition::MetricSet) impl. A metric's field, name, type, help text and
//! label are written once; adding one is adding one line.
//!
//! ```text
//! metric_set! {
//!     /// Live counters of one stage.
//!     #[derive(Debug, Default)]
//!     pub struct StageMetrics {
//!         /// Exported as `coinking_ingester_records_in_total`, a counter.
//!         pub records_in: AtomicU64 = counter("records_in_total", "Records consumed."),
//!         pub lag: AtomicI64 = gauge("lag", "Records behind."),
//!         /// Not exported: a plain field.
//!         pub flushes: AtomicU64,
//!         /// Another set's families, named as `LAKE` (a `Scope`) says.
//!         pub consumer: Arc<ConsumerMetrics> = nested(LAKE),
//!         // A labelled family: each member is a field, with its label value (an atomic) or
//!         // values (an array of atomics; any `[&str; N]` expression, evaluated when rendered).
//!         counter("frames_total", "Frames received.", by "kind") {
//!             pub binary_frames: AtomicU64 = "binary",
//!             pub errors: [AtomicU64; 2] = ["a", "b"],
//!         }
//!     }
//! }
//! ```
//!
//! Families are rendered in the order declared. Field types are the caller's: an exported one
//! implements [`Value`](super::exposition::Value) (or
//! [`Labelled`](super::exposition::Labelled) in a labelled family), a nested one
//! [`MetricSet`](super::exposition::MetricSet).

/// See the module doc. Entries are munched one at a time (fields and labelled families may
/// alternate), collecting the struct's fields and the families' items; the last rule writes the
/// struct and its impl.
macro_rules! metric_set {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident { $($body:tt)* }
    ) => {
        $crate::metrics::metric_set::metric_set!(
            @munch [$(#[$meta])* $vis struct $name] [] [] $($body)*
        );
    };

    // Everything munched.
    (
        @munch [$(#[$meta:meta])* $vis:vis struct $name:ident]
        [$($fields:tt)*] [$($items:tt)*]
    ) => {
        $(#[$meta])*
        $vis struct $name {
            $($fields)*
        }

        impl $crate::metrics::exposition::MetricSet for $name {
            fn declared(
                scope: $crate::metrics::exposition::Scope,
                each: &mut dyn FnMut(String, &$crate::metrics::exposition::Family),
            ) {
                $($crate::metrics::metric_set::metric_set!(@declared scope each $items);)*
            }

            fn render(&self, out: &mut $crate::metrics::exposition::Exposition) {
                $($crate::metrics::metric_set::metric_set!(@render self out $items);)*
            }
        }
    };

    // A labelled family and its member fields.
    (
        @munch $head:tt [$($fields:tt)*] [$($items:tt)*]
        $kind:ident($family:literal, $help:literal, by $label:literal) {
            $($(#[$fmeta:meta])* $fvis:vis $field:ident : $ty:ty = $labels:expr),* $(,)?
        }
        $($rest:tt)*
    ) => {
        $crate::metrics::metric_set::metric_set!(
            @munch $head
            [$($fields)* $($(#[$fmeta])* $fvis $field: $ty,)*]
            [$($items)* (@group $kind $family $help $label [$($field ($labels))*])]
            $($rest)*
        );
    };

    // A field: exported (`= counter(…)`, `= gauge(…)`, `= nested(…)`) or not.
    (
        @munch $head:tt [$($fields:tt)*] [$($items:tt)*]
        $(#[$fmeta:meta])* $fvis:vis $field:ident : $ty:ty $(= $kind:ident($($args:tt)*))?
        $(, $($rest:tt)*)?
    ) => {
        $crate::metrics::metric_set::metric_set!(
            @munch $head
            [$($fields)* $(#[$fmeta])* $fvis $field: $ty,]
            [$($items)* $((@single $kind $field [$ty] ($($args)*)))?]
            $($($rest)*)?
        );
    };

    (@family counter $family:literal $help:literal $label:expr) => {
        $crate::metrics::exposition::Family {
            name: $family,
            kind: $crate::metrics::exposition::Kind::Counter,
            help: $help,
            label: $label,
        }
    };
    (@family gauge $family:literal $help:literal $label:expr) => {
        $crate::metrics::exposition::Family {
            name: $family,
            kind: $crate::metrics::exposition::Kind::Gauge,
            help: $help,
            label: $label,
        }
    };

    (@render $this:ident $out:ident (@single nested $field:ident [$ty:ty] ($scope:expr))) => {
        $out.scoped($scope, |out| {
            $crate::metrics::exposition::MetricSet::render(&$this.$field, out)
        });
    };
    (
        @render $this:ident $out:ident
        (@single $kind:ident $field:ident [$ty:ty] ($family:literal, $help:literal $(,)?))
    ) => {{
        const FAMILY: $crate::metrics::exposition::Family =
            $crate::metrics::metric_set::metric_set!(@family $kind $family $help None);
        $out.family(&FAMILY);
        $out.sample(
            &FAMILY,
            None,
            $crate::metrics::exposition::Value::value(&$this.$field),
        );
    }};
    (
        @render $this:ident $out:ident
        (@group $kind:ident $family:literal $help:literal $label:literal
            [$($field:ident ($labels:expr))*])
    ) => {{
        const FAMILY: $crate::metrics::exposition::Family =
            $crate::metrics::metric_set::metric_set!(@family $kind $family $help Some($label));
        $out.family(&FAMILY);
        $($crate::metrics::exposition::Labelled::render(&$this.$field, $labels, &FAMILY, $out);)*
    }};

    // A nested set is named by its own scope, not the outer one (scopes do not compose).
    (@declared $scope:ident $each:ident (@single nested $field:ident [$ty:ty] ($inner:expr))) => {
        <$ty as $crate::metrics::exposition::MetricSet>::declared($inner, $each);
    };
    (
        @declared $scope:ident $each:ident
        (@single $kind:ident $field:ident [$ty:ty] ($family:literal, $help:literal $(,)?))
    ) => {{
        const FAMILY: $crate::metrics::exposition::Family =
            $crate::metrics::metric_set::metric_set!(@family $kind $family $help None);
        $each($scope.name(&FAMILY), &FAMILY);
    }};
    (
        @declared $scope:ident $each:ident
        (@group $kind:ident $family:literal $help:literal $label:literal
            [$($field:ident ($labels:expr))*])
    ) => {{
        const FAMILY: $crate::metrics::exposition::Family =
            $crate::metrics::metric_set::metric_set!(@family $kind $family $help Some($label));
        $each($scope.name(&FAMILY), &FAMILY);
    }};
}

pub(crate) use metric_set;

#[cfg(test)]
#[path = "metric_set_tests.rs"]
mod tests;
