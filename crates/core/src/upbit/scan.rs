//! The fast path: a scanner for the flat objects Upbit sends (string, number and literal values,
//! no escapes). It accepts only valid JSON and gives up — returning `None` — at anything else
//! (escapes, nested values, duplicates, syntax errors), leaving that frame to serde_json, which
//! parses the general case and words the errors. Both paths fill the same [`RawMessage`], and the
//! property tests compare them.

use super::raw::RawMessage;

/// Scans `text` as one flat JSON object, or `None` when the general parser must decide.
pub(crate) fn scan_flat_object(text: &str) -> Option<RawMessage<'_>> {
    let bytes = text.as_bytes();
    let mut message = RawMessage::default();
    let mut at = skip_whitespace(bytes, 0);
    if bytes.get(at) != Some(&b'{') {
        return None;
    }
    at = skip_whitespace(bytes, at + 1);
    if bytes.get(at) == Some(&b'}') {
        return only_whitespace_after(bytes, at + 1).then_some(message);
    }
    loop {
        let (key_start, key_end) = plain_string(bytes, at)?;
        at = skip_whitespace(bytes, key_end + 1);
        if bytes.get(at) != Some(&b':') {
            return None;
        }
        let value_start = skip_whitespace(bytes, at + 1);
        let value_end = value_end(bytes, value_start)?;
        let key = text.get(key_start..key_end)?;
        if let Some(slot) = message.slot(key) {
            if slot.is_some() {
                return None;
            }
            *slot = Some(text.get(value_start..value_end)?);
        }
        at = skip_whitespace(bytes, value_end);
        match bytes.get(at) {
            Some(b',') => at = skip_whitespace(bytes, at + 1),
            Some(b'}') => return only_whitespace_after(bytes, at + 1).then_some(message),
            _ => return None,
        }
    }
}

fn skip_whitespace(bytes: &[u8], mut at: usize) -> usize {
    while matches!(bytes.get(at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        at += 1;
    }
    at
}

fn only_whitespace_after(bytes: &[u8], at: usize) -> bool {
    skip_whitespace(bytes, at) == bytes.len()
}

/// A string without escapes or control characters starting at `at` (the opening quote):
/// returns (content start, index of the closing quote).
fn plain_string(bytes: &[u8], at: usize) -> Option<(usize, usize)> {
    if bytes.get(at) != Some(&b'"') {
        return None;
    }
    let start = at + 1;
    let length = bytes
        .get(start..)?
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
    let end = start + length;
    (bytes[end] == b'"').then_some((start, end))
}

/// The end (exclusive) of the scalar value starting at `at`, following JSON's grammar exactly.
fn value_end(bytes: &[u8], at: usize) -> Option<usize> {
    match bytes.get(at)? {
        b'"' => plain_string(bytes, at).map(|(_, end)| end + 1),
        b'-' | b'0'..=b'9' => number_end(bytes, at),
        b't' => literal_end(bytes, at, b"true"),
        b'f' => literal_end(bytes, at, b"false"),
        b'n' => literal_end(bytes, at, b"null"),
        _ => None,
    }
}

fn literal_end(bytes: &[u8], at: usize, literal: &[u8]) -> Option<usize> {
    let end = at + literal.len();
    (bytes.get(at..end)? == literal).then_some(end)
}

/// `-? (0 | [1-9][0-9]*) (\.[0-9]+)? ([eE][+-]?[0-9]+)?`
fn number_end(bytes: &[u8], mut at: usize) -> Option<usize> {
    let digits = |bytes: &[u8], at: usize| -> usize {
        bytes.get(at..).map_or(0, |rest| {
            rest.iter().take_while(|b| b.is_ascii_digit()).count()
        })
    };
    if bytes.get(at) == Some(&b'-') {
        at += 1;
    }
    match bytes.get(at)? {
        b'0' => at += 1,
        b'1'..=b'9' => at += digits(bytes, at),
        _ => return None,
    }
    if bytes.get(at) == Some(&b'.') {
        let fraction = digits(bytes, at + 1);
        if fraction == 0 {
            return None;
        }
        at += 1 + fraction;
    }
    if matches!(bytes.get(at), Some(b'e' | b'E')) {
        at += 1;
        if matches!(bytes.get(at), Some(b'+' | b'-')) {
            at += 1;
        }
        let exponent = digits(bytes, at);
        if exponent == 0 {
            return None;
        }
        at += exponent;
    }
    Some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_a_flat_object_with_both_key_spellings() {
        let message = scan_flat_object(
            r#" { "ty":"ticker", "code" : "KRW-BTC","tp":1.5E3,"its":false,"dd":null,"x":-0 } "#,
        )
        .unwrap();
        assert_eq!(message.ty, Some("\"ticker\""));
        assert_eq!(message.code, Some("\"KRW-BTC\""));
        assert_eq!(message.trade_price, Some("1.5E3"));
        assert_eq!(message.is_trading_suspended, Some("false"));
        assert_eq!(message.delisting_date, Some("null"));
    }

    #[test]
    fn leaves_everything_unusual_to_the_general_parser() {
        let unusual = [
            r#"{"code":"KRW\u002DBTC"}"#, // escape
            r#"{"error":{"name":"X"}}"#,  // nesting
            r#"{"code":"a","cd":"b"}"#,   // duplicate in two spellings
            r#"{"tp":01}"#,               // leading zero
            r#"{"tp":1.}"#,
            r#"{"tp":1e}"#,
            r#"{"tp":-}"#,
            r#"{"tp":1,}"#,
            r#"{"tp":1} x"#,
            r#"{"tp":tru}"#,
            "{\"code\":\"a\tb\"}", // raw control character
            r#"{"tp" 1}"#,
            r#"{"tp":1"#,
            "[]",
            "",
        ];
        for text in unusual {
            assert!(scan_flat_object(text).is_none(), "{text}");
        }
    }

    #[test]
    fn accepts_the_empty_object() {
        assert!(scan_flat_object(" {} ").is_some());
    }

    mod agreement {
        use super::super::super::raw::RawMessage;
        use super::scan_flat_object;
        use proptest::prelude::*;

        fn value() -> impl Strategy<Value = String> {
            prop_oneof![
                "-?(0|[1-9][0-9]{0,12})(\\.[0-9]{1,8})?([eE][+-]?[0-9]{1,3})?",
                "[-0-9.eE+]{1,6}",
                "\"[a-zA-Z0-9 -]{0,8}\"",
                Just("true".to_owned()),
                Just("null".to_owned()),
                Just("fals".to_owned()),
                Just("{}".to_owned()),
            ]
        }

        fn key() -> impl Strategy<Value = String> {
            prop::sample::select(vec![
                "type",
                "ty",
                "code",
                "cd",
                "tp",
                "trade_price",
                "x",
                "status",
            ])
            .prop_map(str::to_owned)
        }

        fn object() -> impl Strategy<Value = String> {
            let whitespace = prop::sample::select(vec!["", " ", "\n", "\t ", "\r\n"]);
            prop::collection::vec((key(), value(), whitespace), 0..6).prop_map(|members| {
                let body: Vec<String> = members
                    .iter()
                    .map(|(k, v, ws)| format!("{ws}\"{k}\"{ws}:{ws}{v}{ws}"))
                    .collect();
                format!("{{{}}}", body.join(","))
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]

            /// Whatever the scanner accepts, serde_json accepts too, with the same fields.
            #[test]
            fn scanner_agrees_with_serde(text in object()) {
                if let Some(fast) = scan_flat_object(&text) {
                    let general: RawMessage<'_> = serde_json::from_str(&text)
                        .map_err(|e| TestCaseError::fail(format!("scanner accepted invalid JSON: {e}")))?;
                    prop_assert_eq!(fast, general);
                }
            }
        }
    }
}
