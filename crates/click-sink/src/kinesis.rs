//! [`ClickSink`] on Kinesis Data Streams: `PutRecords`, partition key = event id.

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::config::http::HttpResponse;
use aws_sdk_kinesis::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;

use super::error::ClickSinkError;
use super::{ClickRecord, ClickSink, EntryResult, PutRecordsCall, PutReport, put_with_retry};
use coinking_adapters::RetryPolicy;

/// Error codes of a whole call that mean "try again later".
const RETRYABLE_CODES: [&str; 5] = [
    "ProvisionedThroughputExceededException",
    "LimitExceededException",
    "KMSThrottlingException",
    "InternalFailure",
    "ServiceUnavailable",
];

/// Puts records on one stream.
#[derive(Debug, Clone)]
pub struct KinesisClickSink {
    client: Client,
    stream: String,
    policy: RetryPolicy,
}

impl KinesisClickSink {
    pub fn new(client: Client, stream: impl Into<String>, policy: RetryPolicy) -> Self {
        Self {
            client,
            stream: stream.into(),
            policy,
        }
    }
}

impl ClickSink for KinesisClickSink {
    async fn put(&self, records: &[ClickRecord]) -> PutReport {
        put_with_retry(self, records, &self.policy).await
    }
}

impl PutRecordsCall for KinesisClickSink {
    async fn put_records(
        &self,
        records: &[&ClickRecord],
    ) -> Result<Vec<EntryResult>, ClickSinkError> {
        let mut entries = Vec::with_capacity(records.len());
        for record in records {
            let entry = PutRecordsRequestEntry::builder()
                .partition_key(&record.partition_key)
                .data(Blob::new(record.data.clone()))
                .build()
                .map_err(|error| ClickSinkError::Kinesis {
                    operation: "PutRecords",
                    stream: self.stream.clone(),
                    retryable: false,
                    message: error.to_string(),
                })?;
            entries.push(entry);
        }
        let output = self
            .client
            .put_records()
            .stream_name(&self.stream)
            .set_records(Some(entries))
            .send()
            .await
            .map_err(|error| classify("PutRecords", &self.stream, error))?;
        Ok(output
            .records
            .into_iter()
            .map(|entry| match (entry.sequence_number, entry.shard_id) {
                (Some(sequence_number), Some(shard_id)) if entry.error_code.is_none() => {
                    EntryResult::Ok {
                        shard_id,
                        sequence_number,
                    }
                }
                _ => EntryResult::Err {
                    error_code: entry.error_code.unwrap_or_else(|| "Unknown".to_owned()),
                    error_message: entry.error_message.unwrap_or_default(),
                },
            })
            .collect())
    }
}

/// Maps an SDK error to [`ClickSinkError::Kinesis`], retryable by the adapters' one rule
/// ([`coinking_adapters::aws::sdk_error_is_retryable`]) with Kinesis's throttling codes.
pub fn classify<E>(
    operation: &'static str,
    stream: &str,
    error: SdkError<E, HttpResponse>,
) -> ClickSinkError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let retryable = coinking_adapters::aws::sdk_error_is_retryable(&error, &RETRYABLE_CODES);
    ClickSinkError::Kinesis {
        operation,
        stream: stream.to_owned(),
        retryable,
        message: DisplayErrorContext(&error).to_string(),
    }
}
