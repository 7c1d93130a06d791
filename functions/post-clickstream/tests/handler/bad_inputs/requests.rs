//! Bad requests: too large, wrong content type, base64 bodies, idempotency keys, method, and
//! batches (all-or-nothing).

use super::*;

pub(super) fn bad_requests() -> Vec<Case> {
    let mut cases = vec![
        // Too large.
        case(
            "body_over_64_kib",
            event_with_body(&with("/userAffiliation", json!("x".repeat(70_000)))),
            413,
            "body_too_large",
            "more than the limit of 65536",
        ),
        // Wrong content type.
        {
            let mut event = fixture(VALID);
            set_header(&mut event, "content-type", "text/plain");
            case(
                "content_type_text_plain",
                event,
                415,
                "unsupported_media_type",
                "Content-Type: must be application/json",
            )
        },
        {
            let mut event = fixture(VALID);
            set_header(
                &mut event,
                "content-type",
                "application/x-www-form-urlencoded",
            );
            case(
                "content_type_form",
                event,
                415,
                "unsupported_media_type",
                "Content-Type: must be application/json",
            )
        },
        {
            let mut event = fixture(VALID);
            set_header(
                &mut event,
                "content-type",
                "application/json; charset=latin1",
            );
            case(
                "content_type_latin1",
                event,
                415,
                "unsupported_media_type",
                "Content-Type: must be application/json in UTF-8",
            )
        },
        // Base64 bodies.
        case(
            "base64_malformed_json",
            base64_event(b"{\"userName\":"),
            400,
            "malformed_json",
            "$: body is not valid JSON",
        ),
        case(
            "base64_invalid_utf8",
            base64_event(&[0x7b, 0xff, 0xfe, 0x7d]),
            400,
            "malformed_json",
            "$: body is not valid JSON",
        ),
        case(
            "base64_invalid_record",
            base64_event(with("/leverage", json!(5)).as_bytes()),
            400,
            "invalid_record",
            "leverage: must be one of 1, 10, 100, 1000",
        ),
        // Idempotency keys.
        {
            let mut event = fixture(VALID);
            set_header(&mut event, "idempotency-key", "has space");
            case(
                "idempotency_key_with_space",
                event,
                400,
                "invalid_idempotency_key",
                "Idempotency-Key: must be a UUID or 1 to 128 characters",
            )
        },
        {
            let mut event = fixture(VALID);
            set_header(&mut event, "idempotency-key", &"k".repeat(129));
            case(
                "idempotency_key_129_chars",
                event,
                400,
                "invalid_idempotency_key",
                "Idempotency-Key: must be a UUID or 1 to 128 characters",
            )
        },
        // Method.
        {
            let mut event = fixture(VALID);
            event["requestContext"]["http"]["method"] = Value::from("GET");
            case(
                "get_method",
                event,
                405,
                "method_not_allowed",
                "method: must be POST (got GET)",
            )
        },
        // Batches (all-or-nothing).
        case(
            "batch_without_records",
            batch_event(&json!({"items": []})),
            400,
            "invalid_batch",
            "records: must be an array of game records",
        ),
        case(
            "batch_empty",
            batch_event(&json!({"records": []})),
            400,
            "invalid_batch",
            "records: must have 1 to 500 entries (got 0)",
        ),
        case(
            "batch_501_records",
            batch_event(&json!({"records": vec![json!({}); 501]})),
            400,
            "invalid_batch",
            "records: must have 1 to 500 entries (got 501)",
        ),
        case(
            "batch_one_bad_record",
            batch_event(
                &json!({"records": [sample(), serde_json::from_str::<Value>(&with("/leverage", json!(7))).unwrap(), sample()]}),
            ),
            400,
            "invalid_record",
            "records[1].leverage: must be one of 1, 10, 100, 1000",
        ),
        case(
            "batch_record_not_object",
            batch_event(&json!({"records": [sample(), 5]})),
            400,
            "invalid_record",
            "records[1]: must be an object",
        ),
    ];
    let mut oversized = fixture(BATCH);
    oversized["body"] = Value::from(" ".repeat(5 * 1024 * 1024 + 1));
    cases.push(case(
        "batch_over_5_mib",
        oversized,
        413,
        "body_too_large",
        "more than the limit of 5242880",
    ));
    cases
}
