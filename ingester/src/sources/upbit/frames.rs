//! A look at a frame: just enough to count it and to notice Upbit's answers (`{"status":…}`,
//! `{"error":…}`), and the error answer logged and judged permanent or not. Parsing proper is
//! the transform's job.

use coinking_core::upbit::{UpbitMessage, parse_message};
use tracing::warn;

/// What a frame is to the source: data (resets the watchdog), a status answer, or an error
/// answer (ends the connection).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FrameClass {
    Data,
    Status,
    Error,
}

/// Just enough of a look at the frame to count it and to notice Upbit's answers; parsing proper is
/// the transform's job.
pub(super) fn classify(frame: &[u8]) -> FrameClass {
    let json = frame.trim_ascii_start();
    if json.starts_with(b"{\"status\"") {
        FrameClass::Status
    } else if json.starts_with(b"{\"error\"") {
        FrameClass::Error
    } else {
        FrameClass::Data
    }
}

/// Logs Upbit's error answer; returns whether it is permanent (a request error resending cannot
/// fix).
pub(super) fn log_upbit_error(slot: u32, frame: &[u8]) -> bool {
    match parse_message(frame) {
        Ok(UpbitMessage::Error { name, message }) => {
            let permanent = matches!(
                name.as_str(),
                "WRONG_FORMAT" | "NO_TICKET" | "NO_TYPE" | "NO_CODES" | "INVALID_PARAM"
            );
            warn!(slot, error = %name, %message, permanent, "upbit refused the subscription");
            permanent
        }
        _ => {
            warn!(
                slot,
                frame = %String::from_utf8_lossy(frame),
                "upbit sent an unreadable error frame"
            );
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_status_and_error_answers_apart_from_data() {
        assert_eq!(classify(br#"{"status":"UP"}"#), FrameClass::Status);
        assert_eq!(
            classify(br#" {"error":{"name":"INVALID_PARAM","message":"x"}}"#),
            FrameClass::Error
        );
        assert_eq!(
            classify(br#"{"ty":"ticker","cd":"KRW-BTC"}"#),
            FrameClass::Data
        );
        assert_eq!(classify(b"not json"), FrameClass::Data);
    }
}
