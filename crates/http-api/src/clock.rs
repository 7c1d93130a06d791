//! The Lambdas' clock type. Handlers take a [`Clock`] so tests pin "now"; production passes
//! [`system_clock`], the platform's one wall clock (`coinking_core::time::now_epoch_ms`).

/// Source of "now" in epoch ms; tests pin it.
pub type Clock = fn() -> i64;

pub use coinking_core::time::now_epoch_ms as system_clock;
