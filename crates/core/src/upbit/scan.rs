//! The fast path: a scanner for the flat objects Upbit sends (string, number and literal values,
//! no escapes). It accepts only valid JSON and gives up — returning `None` — at anything else
//! (escapes, nested values, duplicates, syntax errors), leaving that frame to serde_json, which
//! parses the general case and words the errors. Both paths fill the same [`RawMessage`], and the
//! property tests compare them.

use super::raw::RawMessage;

/// Scans `text` as one flat JSON object, or `None` when the general parser must decide.
#[cfg(test)]
pub(crate) fn scan_flat_object(text: &str) -> Option<RawMessage<'_>> {
    let mut message = RawMessage::default();
    scan_flat_object_into(text, &mut message).map(|()| message)
}

/// Scans `text` as one flat JSON object into `message` (which must start empty; it is filled in
/// place, as the struct is large); `None`, with `message` partly filled, when the general parser
/// must decide.
pub(crate) fn scan_flat_object_into<'a>(text: &'a str, message: &mut RawMessage<'a>) -> Option<()> {
    let bytes = text.as_bytes();
    let mut at = skip_whitespace(bytes, 0);
    if bytes.get(at) != Some(&b'{') {
        return None;
    }
    at = skip_whitespace(bytes, at + 1);
    if bytes.get(at) == Some(&b'}') {
        return only_whitespace_after(bytes, at + 1).then_some(());
    }
    loop {
        let (key_start, key_end) = plain_string(bytes, at)?;
        at = skip_whitespace(bytes, key_end + 1);
        if bytes.get(at) != Some(&b':') {
            return None;
        }
        let value_start = skip_whitespace(bytes, at + 1);
        let value_end = value_end(bytes, value_start)?;
        if let Some(slot) = message.slot(bytes.get(key_start..key_end)?) {
            if slot.is_some() {
                return None;
            }
            *slot = Some(text.get(value_start..value_end)?);
        }
        at = skip_whitespace(bytes, value_end);
        match bytes.get(at) {
            Some(b',') => at = skip_whitespace(bytes, at + 1),
            Some(b'}') => return only_whitespace_after(bytes, at + 1).then_some(()),
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
    let end = start + special_byte(bytes.get(start..)?)?;
    (bytes[end] == b'"').then_some((start, end))
}

/// One in every byte of a word.
const LANES: u64 = 0x0101_0101_0101_0101;
/// The top bit of every byte.
const HIGH: u64 = 0x80 * LANES;

/// The index of the first `"`, `\` or control character in `bytes`, eight bytes at a time.
/// In each mask below a byte's top bit is set where the byte matches; a lane can only borrow
/// from the lane below when that one matched, so the lowest set bit is the first match.
fn special_byte(bytes: &[u8]) -> Option<usize> {
    let zero_lanes = |word: u64| word.wrapping_sub(LANES) & !word & HIGH;
    let mut count = 0;
    while let Some(chunk) = bytes.get(count..count + 8) {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let word = u64::from_le_bytes(word);
        let special = zero_lanes(word ^ (u64::from(b'"') * LANES))
            | zero_lanes(word ^ (u64::from(b'\\') * LANES))
            | (word.wrapping_sub(0x20 * LANES) & !word & HIGH);
        if special != 0 {
            return Some(count + (special.trailing_zeros() / 8) as usize);
        }
        count += 8;
    }
    let tail = bytes[count..]
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
    Some(count + tail)
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

/// How many ASCII digits `bytes` holds from `at` on. Eight bytes at a time (timestamps and ids
/// have 13 to 16 digits): a byte is a digit when it is below 0x80, not below 0x30 and not
/// above 0x39; no lane borrows or carries into the next one.
fn digits(bytes: &[u8], at: usize) -> usize {
    let rest = bytes.get(at..).unwrap_or_default();
    let mut count = 0;
    while let Some(chunk) = rest.get(count..count + 8) {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let word = u64::from_le_bytes(word);
        let low = word & !HIGH;
        let above_9 = low.wrapping_add(0x46 * LANES) & HIGH;
        let below_0 = !((low | HIGH).wrapping_sub(0x30 * LANES)) & HIGH;
        let not_digit = (word & HIGH) | above_9 | below_0;
        if not_digit != 0 {
            return count + (not_digit.trailing_zeros() / 8) as usize;
        }
        count += 8;
    }
    count
        + rest[count..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
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

    /// Every pair of adjacent byte values (a borrow or carry can only cross into the next lane)
    /// at every offset of two eight-byte words and the tail, against a byte-by-byte reference.
    fn every_byte_pair(mut check: impl FnMut(&[u8])) {
        for position in 0..19 {
            for first in 0..=u8::MAX {
                for second in 0..=u8::MAX {
                    let mut text = [b'7'; 20];
                    text[position] = first;
                    text[position + 1] = second;
                    check(&text);
                }
            }
        }
    }

    #[test]
    fn digits_agrees_with_a_byte_by_byte_count() {
        every_byte_pair(|text| {
            for at in [0, 1, 7, 8, 13, 20] {
                let expected = text[at..].iter().take_while(|b| b.is_ascii_digit()).count();
                assert_eq!(digits(text, at), expected, "{text:?} from {at}");
            }
        });
        assert_eq!(digits(b"12", 5), 0);
    }

    #[test]
    fn special_byte_agrees_with_a_byte_by_byte_search() {
        every_byte_pair(|text| {
            for from in [0, 3, 12] {
                let text = &text[from..];
                let expected = text
                    .iter()
                    .position(|&b| b == b'"' || b == b'\\' || b < 0x20);
                assert_eq!(special_byte(text), expected, "{text:?}");
            }
        });
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
