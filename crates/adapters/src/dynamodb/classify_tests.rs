#![allow(clippy::unwrap_used)]

use aws_sdk_dynamodb::error::{ConnectorError, ErrorMetadata};
use aws_sdk_dynamodb::operation::put_item::PutItemError;

use super::*;

fn put_error(code: &str, status: u16) -> SdkError<PutItemError, HttpResponse> {
    let metadata = ErrorMetadata::builder()
        .code(code)
        .message("scripted")
        .build();
    let raw = HttpResponse::new(status.try_into().unwrap(), "{}".into());
    SdkError::service_error(PutItemError::generic(metadata), raw)
}

#[test]
fn throttling_server_errors_and_timeouts_are_retryable() {
    let retryable = [
        put_error("ProvisionedThroughputExceededException", 400),
        put_error("ThrottlingException", 400),
        put_error("SomethingNew", 503),
        SdkError::timeout_error("attempt timed out"),
        SdkError::dispatch_failure(ConnectorError::timeout("read timed out".into())),
        SdkError::dispatch_failure(ConnectorError::io("connection reset".into())),
    ];
    for error in retryable {
        let classified = classify("PutItem", "t", error);
        assert!(classified.is_retryable(), "{classified}");
    }
}

#[test]
fn rejected_requests_are_permanent_and_keep_the_service_message() {
    let permanent = [
        put_error("ValidationException", 400),
        put_error("ResourceNotFoundException", 400),
        put_error("AccessDeniedException", 400),
        SdkError::construction_failure("no region"),
    ];
    for error in permanent {
        let classified = classify("PutItem", "t", error);
        assert!(!classified.is_retryable(), "{classified}");
    }
    let classified = classify("PutItem", "t", put_error("ValidationException", 400));
    assert!(
        classified.to_string().contains("ValidationException"),
        "{classified}"
    );
}
