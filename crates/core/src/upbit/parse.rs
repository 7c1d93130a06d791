//! Frame → messages.

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;

use super::error::{FieldError, ParseError};
use super::raw::{self, RawMessage};
use super::scan::scan_flat_object_into;
use super::{NotIngested, Ticker, Trade, UpbitMessage};

/// Parses one message object (DEFAULT or SIMPLE keys) from a binary or text frame's bytes.
pub fn parse_message(bytes: &[u8]) -> Result<UpbitMessage, ParseError> {
    let json = bytes.trim_ascii();
    match json.first() {
        None => Err(ParseError::Empty),
        Some(b'{') => {
            // Validating UTF-8 once for the whole frame and then parsing a &str is faster than
            // letting serde_json validate every borrowed value separately.
            let text = std::str::from_utf8(json)
                .map_err(|err| ParseError::Json(format!("frame is not UTF-8: {err}")))?;
            let mut message = RawMessage::default();
            if scan_flat_object_into(text, &mut message).is_none() {
                message = serde_json::from_str::<RawMessage<'_>>(text).map_err(json_error)?;
            }
            from_raw(&message)
        }
        Some(_) => Err(not_an_object(json)),
    }
}

/// Parses a frame holding one message or, in the JSON_LIST / SIMPLE_LIST formats, an array of
/// them. `on_message` is called once per message, with an error for each one that is malformed,
/// so one bad element never hides its neighbours. Returns how many results were delivered.
pub fn parse_frame(
    bytes: &[u8],
    mut on_message: impl FnMut(Result<UpbitMessage, ParseError>),
) -> usize {
    let json = bytes.trim_ascii();
    if json.first() != Some(&b'[') {
        on_message(parse_message(json));
        return 1;
    }
    let elements: Vec<&RawValue> = match serde_json::from_slice(json) {
        Ok(elements) => elements,
        Err(err) => {
            on_message(Err(json_error(err)));
            return 1;
        }
    };
    for element in &elements {
        on_message(parse_message(element.get().as_bytes()));
    }
    elements.len()
}

fn from_raw(message: &RawMessage<'_>) -> Result<UpbitMessage, ParseError> {
    if let Some(message_type) = raw::opt_str(message.ty, "type")? {
        return match &*message_type {
            "ticker" => Ticker::from_raw(message).map(|t| UpbitMessage::Ticker(Box::new(t))),
            "trade" => Trade::from_raw(message).map(|t| UpbitMessage::Trade(Box::new(t))),
            other => match NotIngested::from_type(other) {
                Some(kind) => Ok(UpbitMessage::NotIngested(kind)),
                None => Err(ParseError::UnknownType(message_type.into_owned())),
            },
        };
    }
    if message.status.is_some() {
        return raw::string(message.status, "status").map(UpbitMessage::Status);
    }
    if let Some(error) = message.error.filter(|text| *text != "null") {
        return parse_error_body(error);
    }
    Err(ParseError::field("type", FieldError::Missing))
}

fn parse_error_body(error: &str) -> Result<UpbitMessage, ParseError> {
    #[derive(Deserialize)]
    struct ErrorBody {
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        message: Option<String>,
    }
    let body: ErrorBody = serde_json::from_str(error)
        .map_err(|_| ParseError::field("error", FieldError::NotAnObject))?;
    Ok(UpbitMessage::Error {
        name: body.name.unwrap_or_default(),
        message: body.message.unwrap_or_default(),
    })
}

fn json_error(err: serde_json::Error) -> ParseError {
    ParseError::Json(err.to_string())
}

/// Valid JSON of the wrong shape is reported as such; anything else as a JSON error.
fn not_an_object(json: &[u8]) -> ParseError {
    match serde_json::from_slice::<IgnoredAny>(json) {
        Ok(_) => ParseError::NotAnObject,
        Err(err) => json_error(err),
    }
}
