//! [`KafkaAdmin`]: topics created explicitly (the brokers here do not auto-create them) and
//! deleted by tests.

use std::fmt;
use std::time::Duration;

use coinking_adapters::KafkaSettings;
use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::types::RDKafkaErrorCode;

use super::error::KafkaClientError;

/// Upper bound for one admin request, broker lookup included.
pub const ADMIN_TIMEOUT: Duration = Duration::from_secs(30);

/// What [`KafkaAdmin::ensure_topic`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopicStatus {
    Created,
    AlreadyExisted,
}

/// Topic administration against the configured brokers.
pub struct KafkaAdmin {
    client: AdminClient<DefaultClientContext>,
    replication_factor: i32,
}

impl fmt::Debug for KafkaAdmin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KafkaAdmin")
            .field("replication_factor", &self.replication_factor)
            .finish_non_exhaustive()
    }
}

impl KafkaAdmin {
    pub fn new(settings: &KafkaSettings) -> Result<Self, KafkaClientError> {
        let client = ClientConfig::new()
            .set("bootstrap.servers", &settings.brokers)
            .create()?;
        Ok(Self {
            client,
            replication_factor: settings.replication_factor,
        })
    }

    fn options() -> AdminOptions {
        AdminOptions::new()
            .request_timeout(Some(ADMIN_TIMEOUT))
            .operation_timeout(Some(ADMIN_TIMEOUT))
    }

    /// Creates topic `name` with `partitions` partitions unless it exists. An existing topic is
    /// success and is left as it is, whatever its partition count.
    pub async fn ensure_topic(
        &self,
        name: &str,
        partitions: i32,
    ) -> Result<TopicStatus, KafkaClientError> {
        let topic = NewTopic::new(
            name,
            partitions,
            TopicReplication::Fixed(self.replication_factor),
        );
        let results = self
            .client
            .create_topics([&topic], &Self::options())
            .await?;
        let mut status = TopicStatus::Created;
        for result in results {
            match result {
                Ok(_) => {}
                Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {
                    status = TopicStatus::AlreadyExisted
                }
                Err((topic, code)) => {
                    return Err(KafkaClientError::TopicAdmin {
                        topic,
                        operation: "create",
                        code,
                    });
                }
            }
        }
        tracing::info!(topic = name, partitions, ?status, "kafka topic ensured");
        Ok(status)
    }

    /// Deletes topic `name`; a topic that does not exist is success.
    pub async fn delete_topic(&self, name: &str) -> Result<(), KafkaClientError> {
        let results = self.client.delete_topics(&[name], &Self::options()).await?;
        for result in results {
            match result {
                Ok(_) | Err((_, RDKafkaErrorCode::UnknownTopicOrPartition)) => {}
                Err((topic, code)) => {
                    return Err(KafkaClientError::TopicAdmin {
                        topic,
                        operation: "delete",
                        code,
                    });
                }
            }
        }
        Ok(())
    }
}
