//! The subscription request: parsing and validation, pure.
//!
//! `[{"ticket":"…"},{"type":"ticker","codes":["KRW-BTC"],"is_only_snapshot":false},{"format":"SIMPLE"}]`
//!
//! Refusals carry Upbit's error names and (English) messages: WRONG_FORMAT (not a JSON array of
//! objects), NO_TICKET, NO_TYPE, NO_CODES (a type without `codes`), INVALID_PARAM (empty `codes`,
//! an unsupported type or format, a code that is not a canonical market code or not in the
//! capture). Objects without `ticket`, `type` or `format` are ignored.

use std::collections::BTreeSet;

use coinking_core::market::MarketCode;
use coinking_core::upbit::{KeyStyle, UpbitMessage, encode::encode_list, encode_message};
use serde_json::{Map, Value};

/// The data types the simulator can replay.
pub use coinking_core::upbit::DataType;

/// The `format` of a subscription: key style, and whether each frame is a JSON array.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Default,
    Simple,
    JsonList,
    SimpleList,
}

impl Format {
    fn from_name(name: &str) -> Option<Self> {
        match name {
            "DEFAULT" => Some(Format::Default),
            "SIMPLE" => Some(Format::Simple),
            "JSON_LIST" => Some(Format::JsonList),
            "SIMPLE_LIST" => Some(Format::SimpleList),
            _ => None,
        }
    }

    pub fn key_style(self) -> KeyStyle {
        match self {
            Format::Default | Format::JsonList => KeyStyle::Default,
            Format::Simple | Format::SimpleList => KeyStyle::Simple,
        }
    }

    /// The frame payload for one message: an object, or a one-element array in the list formats.
    pub fn encode(self, message: &UpbitMessage) -> String {
        match self {
            Format::Default | Format::Simple => encode_message(message, self.key_style()),
            Format::JsonList | Format::SimpleList => {
                encode_list(std::slice::from_ref(message), self.key_style())
            }
        }
    }
}

/// One `{"type":…}` object of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamRequest {
    pub data_type: DataType,
    /// In request order, duplicates removed.
    pub codes: Vec<MarketCode>,
    pub only_snapshot: bool,
    pub only_realtime: bool,
}

impl StreamRequest {
    pub fn wants_snapshot(&self) -> bool {
        !self.only_realtime
    }

    pub fn wants_realtime(&self) -> bool {
        !self.only_snapshot
    }
}

/// A valid subscription request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub ticket: String,
    pub streams: Vec<StreamRequest>,
    pub format: Format,
}

/// Upbit's error names for refused requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorName {
    WrongFormat,
    NoTicket,
    NoType,
    NoCodes,
    InvalidParam,
}

impl ErrorName {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorName::WrongFormat => "WRONG_FORMAT",
            ErrorName::NoTicket => "NO_TICKET",
            ErrorName::NoType => "NO_TYPE",
            ErrorName::NoCodes => "NO_CODES",
            ErrorName::InvalidParam => "INVALID_PARAM",
        }
    }
}

/// A refused request: what the client receives as `{"error":{"name":…,"message":…}}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", name.as_str())]
pub struct RequestError {
    pub name: ErrorName,
    pub message: String,
}

impl RequestError {
    fn new(name: ErrorName, message: impl Into<String>) -> Self {
        Self {
            name,
            message: message.into(),
        }
    }

    fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorName::InvalidParam, message)
    }

    /// The error as the message Upbit sends.
    pub fn to_message(&self) -> UpbitMessage {
        UpbitMessage::Error {
            name: self.name.as_str().to_owned(),
            message: self.message.clone(),
        }
    }
}

/// Whether a client frame is Upbit's keep-alive `PING` rather than a request.
pub fn is_ping(frame: &[u8]) -> bool {
    frame.trim_ascii() == b"PING"
}

/// Parses and validates a request frame; `markets` are the codes the capture can serve.
pub fn parse_request(
    frame: &[u8],
    markets: &BTreeSet<MarketCode>,
) -> Result<Subscription, RequestError> {
    let wrong_format = || RequestError::new(ErrorName::WrongFormat, "Requested using wrong format");
    let parsed: Value = serde_json::from_slice(frame).map_err(|_| wrong_format())?;
    let Value::Array(elements) = parsed else {
        return Err(wrong_format());
    };
    let mut objects = Vec::with_capacity(elements.len());
    for element in &elements {
        match element {
            Value::Object(object) => objects.push(object),
            _ => return Err(wrong_format()),
        }
    }

    let ticket = objects
        .iter()
        .find_map(|object| object.get("ticket"))
        .and_then(Value::as_str)
        .filter(|ticket| !ticket.trim().is_empty())
        .ok_or_else(|| RequestError::new(ErrorName::NoTicket, "Ticket field must be contained."))?;

    let type_objects: Vec<&Map<String, Value>> = objects
        .iter()
        .copied()
        .filter(|object| object.contains_key("type"))
        .collect();
    if type_objects.is_empty() {
        return Err(RequestError::new(
            ErrorName::NoType,
            "type field not exists.",
        ));
    }
    let mut streams = Vec::with_capacity(type_objects.len());
    for object in type_objects {
        streams.push(parse_stream(object, markets)?);
    }

    let format = match objects.iter().find_map(|object| object.get("format")) {
        None | Some(Value::Null) => Format::Default,
        Some(Value::String(name)) => Format::from_name(name)
            .ok_or_else(|| RequestError::invalid(format!("format {name} is not supported.")))?,
        Some(other) => {
            return Err(RequestError::invalid(format!(
                "format {other} is not supported."
            )));
        }
    };

    Ok(Subscription {
        ticket: ticket.to_owned(),
        streams,
        format,
    })
}

fn parse_stream(
    object: &Map<String, Value>,
    markets: &BTreeSet<MarketCode>,
) -> Result<StreamRequest, RequestError> {
    let data_type = match object.get("type") {
        Some(Value::String(name)) => DataType::from_name(name)
            .ok_or_else(|| RequestError::invalid(format!("type {name} is not supported.")))?,
        Some(other) => {
            return Err(RequestError::invalid(format!(
                "type {other} is not supported."
            )));
        }
        None => {
            return Err(RequestError::new(
                ErrorName::NoType,
                "type field not exists.",
            ));
        }
    };

    let codes = match object.get("codes") {
        None | Some(Value::Null) => {
            return Err(RequestError::new(
                ErrorName::NoCodes,
                "codes field not exists.",
            ));
        }
        Some(Value::Array(codes)) => codes,
        Some(_) => return Err(RequestError::invalid("codes field must be an array.")),
    };
    if codes.is_empty() {
        return Err(RequestError::invalid("codes field is empty."));
    }
    let mut unique_codes: Vec<MarketCode> = Vec::with_capacity(codes.len());
    for code in codes {
        let Some(text) = code.as_str() else {
            return Err(RequestError::invalid(format!(
                "code {code} is not supported."
            )));
        };
        let market = MarketCode::parse(text)
            .ok()
            .filter(|market| markets.contains(market))
            .ok_or_else(|| RequestError::invalid(format!("code {text} is not supported.")))?;
        if !unique_codes.contains(&market) {
            unique_codes.push(market);
        }
    }

    let only_snapshot = flag(object, "is_only_snapshot", "isOnlySnapshot")?;
    let only_realtime = flag(object, "is_only_realtime", "isOnlyRealtime")?;
    if only_snapshot && only_realtime {
        return Err(RequestError::invalid(
            "is_only_snapshot and is_only_realtime cannot both be true.",
        ));
    }

    Ok(StreamRequest {
        data_type,
        codes: unique_codes,
        only_snapshot,
        only_realtime,
    })
}

/// A boolean flag under its current name or Upbit's older camel-case one; absent means false.
fn flag(object: &Map<String, Value>, name: &str, old_name: &str) -> Result<bool, RequestError> {
    match object.get(name).or_else(|| object.get(old_name)) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(value)) => Ok(*value),
        Some(other) => Err(RequestError::invalid(format!(
            "{name} must be true or false, got {other}."
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn markets() -> BTreeSet<MarketCode> {
        ["KRW-BTC", "KRW-ETH", "KRW-XRP"]
            .into_iter()
            .map(|code| MarketCode::parse(code).unwrap())
            .collect()
    }

    fn parse(request: &str) -> Result<Subscription, RequestError> {
        parse_request(request.as_bytes(), &markets())
    }

    fn error_name(request: &str) -> &'static str {
        parse(request).unwrap_err().name.as_str()
    }

    #[test]
    fn parses_a_full_request() {
        let subscription = parse(
            r#"[{"ticket":"t1"},
                {"type":"ticker","codes":["KRW-XRP","KRW-BTC","KRW-XRP"],"is_only_realtime":true},
                {"type":"trade","codes":["KRW-ETH"],"isOnlySnapshot":true},
                {"format":"SIMPLE_LIST"}]"#,
        )
        .unwrap();
        assert_eq!(subscription.ticket, "t1");
        assert_eq!(subscription.format, Format::SimpleList);
        assert_eq!(subscription.streams.len(), 2);
        let ticker = &subscription.streams[0];
        assert_eq!(ticker.data_type, DataType::Ticker);
        let codes: Vec<&str> = ticker.codes.iter().map(MarketCode::as_str).collect();
        assert_eq!(codes, ["KRW-XRP", "KRW-BTC"]);
        assert!(!ticker.wants_snapshot() && ticker.wants_realtime());
        let trade = &subscription.streams[1];
        assert_eq!(trade.data_type, DataType::Trade);
        assert!(trade.wants_snapshot() && !trade.wants_realtime());
    }

    #[test]
    fn format_defaults_to_default() {
        let subscription = parse(r#"[{"ticket":"t"},{"type":"trade","codes":["KRW-BTC"]}]"#);
        assert_eq!(subscription.unwrap().format, Format::Default);
    }

    #[test]
    fn not_json_or_not_an_array_of_objects_is_wrong_format() {
        for request in [
            "",
            "PONG",
            "{\"ticket\":\"t\"}",
            "[1,2]",
            "[{\"ticket\":\"t\"}",
            "null",
        ] {
            assert_eq!(error_name(request), "WRONG_FORMAT", "{request}");
        }
        assert_eq!(
            parse_request(b"[\xff]", &markets()).unwrap_err().name,
            ErrorName::WrongFormat
        );
    }

    #[test]
    fn missing_or_blank_ticket_is_no_ticket() {
        for request in [
            "[]",
            r#"[{"type":"ticker","codes":["KRW-BTC"]}]"#,
            r#"[{"ticket":""},{"type":"ticker","codes":["KRW-BTC"]}]"#,
            r#"[{"ticket":7},{"type":"ticker","codes":["KRW-BTC"]}]"#,
        ] {
            assert_eq!(error_name(request), "NO_TICKET", "{request}");
        }
    }

    #[test]
    fn missing_type_object_is_no_type() {
        assert_eq!(
            error_name(r#"[{"ticket":"t"},{"format":"DEFAULT"}]"#),
            "NO_TYPE"
        );
    }

    #[test]
    fn missing_codes_is_no_codes_and_empty_codes_is_invalid_param() {
        assert_eq!(
            error_name(r#"[{"ticket":"t"},{"type":"ticker"}]"#),
            "NO_CODES"
        );
        let empty = parse(r#"[{"ticket":"t"},{"type":"ticker","codes":[]}]"#).unwrap_err();
        assert_eq!(empty.name, ErrorName::InvalidParam);
        assert_eq!(empty.message, "codes field is empty.");
    }

    #[test]
    fn unsupported_values_are_invalid_param() {
        for request in [
            r#"[{"ticket":"t"},{"type":"orderbook","codes":["KRW-BTC"]}]"#,
            r#"[{"ticket":"t"},{"type":"ticker","codes":["KRW-BTC"]},{"format":"XML"}]"#,
            r#"[{"ticket":"t"},{"type":"ticker","codes":["krw-btc"]}]"#,
            r#"[{"ticket":"t"},{"type":"ticker","codes":["KRW-NOPE"]}]"#,
            r#"[{"ticket":"t"},{"type":"ticker","codes":["BTC/KRW"]}]"#,
            r#"[{"ticket":"t"},{"type":"ticker","codes":[1]}]"#,
            r#"[{"ticket":"t"},{"type":"ticker","codes":"KRW-BTC"}]"#,
            r#"[{"ticket":"t"},{"type":"ticker","codes":["KRW-BTC"],"is_only_snapshot":"yes"}]"#,
        ] {
            assert_eq!(error_name(request), "INVALID_PARAM", "{request}");
        }
    }

    #[test]
    fn invalid_code_message_names_the_code() {
        let err = parse(r#"[{"ticket":"t"},{"type":"ticker","codes":["KRW-BTC","krw-eth"]}]"#)
            .unwrap_err();
        assert_eq!(err.message, "code krw-eth is not supported.");
    }

    #[test]
    fn ping_is_recognised_with_surrounding_whitespace() {
        assert!(is_ping(b"PING"));
        assert!(is_ping(b" PING\n"));
        assert!(!is_ping(b"ping"));
        assert!(!is_ping(b"[\"PING\"]"));
    }

    #[test]
    fn list_formats_wrap_each_message_in_an_array() {
        let status = UpbitMessage::Status("UP".into());
        assert_eq!(Format::Simple.encode(&status), r#"{"status":"UP"}"#);
        assert_eq!(Format::SimpleList.encode(&status), r#"[{"status":"UP"}]"#);
    }
}
