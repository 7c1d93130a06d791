//! The raw capture format: one NDJSON line per WebSocket frame as it arrived.
//!
//! `{"recv_ms":1732500000123,"kind":"binary","frame":"{\"type\":\"ticker\",…}"}`
//!
//! The frame is kept byte for byte: as text when it is UTF-8 (every real Upbit frame), otherwise
//! as `frame_hex`, so even a corrupted frame can be captured and replayed faithfully.

use serde::{Deserialize, Serialize};

/// How the frame travelled: Upbit sends data as binary frames, control answers as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FrameKind {
    Binary,
    Text,
}

/// One captured frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureLine {
    /// Epoch ms at which the frame was received.
    pub received_at_ms: i64,
    pub kind: FrameKind,
    pub frame: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LineRepr {
    recv_ms: i64,
    kind: FrameKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    frame: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    frame_hex: Option<String>,
}

/// A capture line that cannot be read; `line` is 1-based.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaptureError {
    #[error("capture line {line}: {reason}")]
    Line { line: usize, reason: String },
}

impl CaptureLine {
    pub fn binary(received_at_ms: i64, frame: impl Into<Vec<u8>>) -> Self {
        Self {
            received_at_ms,
            kind: FrameKind::Binary,
            frame: frame.into(),
        }
    }

    /// The NDJSON line, without the trailing newline.
    pub fn to_ndjson(&self) -> String {
        let (frame, frame_hex) = match std::str::from_utf8(&self.frame) {
            Ok(text) => (Some(text.to_owned()), None),
            Err(_) => (None, Some(hex_encode(&self.frame))),
        };
        let repr = LineRepr {
            recv_ms: self.received_at_ms,
            kind: self.kind,
            frame,
            frame_hex,
        };
        // A struct of integers and strings always serialises.
        serde_json::to_string(&repr).unwrap_or_default()
    }

    /// Parses one NDJSON line; `line_number` (1-based) is only used in the error.
    pub fn parse(text: &str, line_number: usize) -> Result<Self, CaptureError> {
        let fail = |reason: String| CaptureError::Line {
            line: line_number,
            reason,
        };
        let repr: LineRepr = serde_json::from_str(text).map_err(|err| fail(err.to_string()))?;
        let frame = match (repr.frame, repr.frame_hex) {
            (Some(text), None) => text.into_bytes(),
            (None, Some(hex)) => {
                hex_decode(&hex).ok_or_else(|| fail("frame_hex is not hex".into()))?
            }
            _ => {
                return Err(fail(
                    "exactly one of frame and frame_hex is required".into(),
                ));
            }
        };
        Ok(Self {
            received_at_ms: repr.recv_ms,
            kind: repr.kind,
            frame,
        })
    }
}

/// Parses a whole capture, skipping blank lines.
pub fn parse_capture(text: &str) -> impl Iterator<Item = Result<CaptureLine, CaptureError>> + '_ {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| CaptureLine::parse(line, index + 1))
}

fn hex_encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    text.as_bytes()
        .chunks(2)
        .map(|pair| {
            let high = char::from(pair[0]).to_digit(16)?;
            let low = char::from(pair[1]).to_digit(16)?;
            u8::try_from(high * 16 + low).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_frames_are_kept_as_text() {
        let line = CaptureLine::binary(1_732_500_000_123, br#"{"ty":"ticker"}"#.to_vec());
        let text = line.to_ndjson();
        assert_eq!(
            text,
            r#"{"recv_ms":1732500000123,"kind":"binary","frame":"{\"ty\":\"ticker\"}"}"#
        );
        assert_eq!(CaptureLine::parse(&text, 1).unwrap(), line);
    }

    #[test]
    fn non_utf8_frames_round_trip_as_hex() {
        let line = CaptureLine::binary(5, vec![0xff, 0x00, 0x7b]);
        let text = line.to_ndjson();
        assert!(text.contains(r#""frame_hex":"ff007b""#), "{text}");
        assert_eq!(CaptureLine::parse(&text, 1).unwrap(), line);
    }

    #[test]
    fn bad_lines_name_their_line_number() {
        let capture = "{\"recv_ms\":1,\"kind\":\"text\",\"frame\":\"PING\"}\n\nnot json\n";
        let results: Vec<_> = parse_capture(capture).collect();
        assert_eq!(results.len(), 2);
        assert!(results[0].is_ok());
        let err = results[1].as_ref().unwrap_err().to_string();
        assert!(err.starts_with("capture line 3:"), "{err}");
        let both = r#"{"recv_ms":1,"kind":"binary","frame":"a","frame_hex":"61"}"#;
        assert!(CaptureLine::parse(both, 7).is_err());
        let odd_hex = r#"{"recv_ms":1,"kind":"binary","frame_hex":"abc"}"#;
        assert!(CaptureLine::parse(odd_hex, 7).is_err());
    }
}
