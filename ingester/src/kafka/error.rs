//! [`KafkaClientError`]: what the Kafka client code fails with, classified as retryable or
//! permanent at the broker boundary.

use rdkafka::error::{KafkaError, RDKafkaErrorCode};

/// Everything a Kafka client, the admin or the sink can fail with.
#[derive(Debug, thiserror::Error)]
pub enum KafkaClientError {
    /// A Kafka client could not be created or a Kafka call failed.
    #[error("kafka: {0}")]
    Client(#[from] KafkaError),

    /// The broker refused an admin operation on one topic.
    #[error("kafka topic {topic}: {operation} failed with {code}")]
    TopicAdmin {
        /// The topic the operation was about.
        topic: String,
        /// `create` or `delete`.
        operation: &'static str,
        /// The broker's error code.
        code: RDKafkaErrorCode,
    },

    /// A flush deadline passed with records still undelivered. Retryable: they are still queued.
    #[error(
        "kafka: {pending} records still undelivered and {failed} failed permanently at the flush deadline"
    )]
    Undelivered {
        /// Records in flight or waiting to be retried.
        pending: usize,
        /// Records given up on and not yet taken by the caller (`KafkaSink::take_failed`).
        failed: usize,
    },

    /// Everything was either delivered or given up on, and some records were given up on (a
    /// permanent broker error or their attempts ran out). Permanent: producing them again will
    /// not help; the caller takes them with `KafkaSink::take_failed` to dead-letter or log.
    #[error("kafka topic {topic}: {failed} records failed delivery permanently")]
    DeliveryFailed {
        /// The topic they were meant for.
        topic: String,
        /// Records given up on and not yet taken.
        failed: usize,
    },
}

impl KafkaClientError {
    /// Whether trying the same operation again later can succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Client(error) => error.rdkafka_error_code().is_none_or(is_retryable_code),
            Self::TopicAdmin { code, .. } => is_retryable_code(*code),
            Self::Undelivered { .. } => true,
            Self::DeliveryFailed { .. } => false,
        }
    }
}

/// Codes that mean "the cluster is busy or moving", not "the request is wrong".
fn is_retryable_code(code: RDKafkaErrorCode) -> bool {
    matches!(
        code,
        RDKafkaErrorCode::RequestTimedOut
            | RDKafkaErrorCode::OperationTimedOut
            | RDKafkaErrorCode::BrokerTransportFailure
            | RDKafkaErrorCode::AllBrokersDown
            | RDKafkaErrorCode::NotController
            | RDKafkaErrorCode::LeaderNotAvailable
            | RDKafkaErrorCode::NotLeaderForPartition
            | RDKafkaErrorCode::NetworkException
            | RDKafkaErrorCode::NotEnoughReplicas
            | RDKafkaErrorCode::CoordinatorLoadInProgress
            | RDKafkaErrorCode::CoordinatorNotAvailable
            | RDKafkaErrorCode::MessageTimedOut
            | RDKafkaErrorCode::QueueFull
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timed_out_topic_creation_is_retryable_but_a_bad_request_is_not() {
        let timed_out = KafkaClientError::TopicAdmin {
            topic: "upbit.ticker".to_owned(),
            operation: "create",
            code: RDKafkaErrorCode::RequestTimedOut,
        };
        let invalid = KafkaClientError::TopicAdmin {
            topic: "upbit.ticker".to_owned(),
            operation: "create",
            code: RDKafkaErrorCode::InvalidPartitions,
        };
        assert!(timed_out.is_retryable());
        assert!(!invalid.is_retryable());
    }
}
