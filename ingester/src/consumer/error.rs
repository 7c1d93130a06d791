//! [`ConsumerError`]: what stops a consumer driver.

use crate::kafka::KafkaClientError;

/// What stops a consumer driver. A failed flush is not one: it is retried (see
/// [`super::retry`]); only a consumer that cannot be created or subscribed, or a shutdown
/// drain that could not write what it held, ends the stage with an error.
#[derive(Debug, thiserror::Error)]
pub enum ConsumerError {
    #[error(transparent)]
    Kafka(#[from] KafkaClientError),
    /// A drain on shutdown did not finish; the message says what was left. Its offsets stay
    /// uncommitted: nothing is lost, the records are read again.
    #[error("drain: {0}")]
    Drain(String),
}
