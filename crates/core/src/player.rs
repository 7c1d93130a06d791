//! Who played: the one rule for a player's name and affiliation, shared by the game record
//! (`POST /set_click_stream`) and the leaderboard (`POST /set_user_data`), so a player accepted by
//! one is accepted by the other.
//!
//! Both texts are shown to other players (the rank page) and become keys (the leaderboard's item
//! keys; `analysis/users/<userName>.json`), so they are checked after trimming and must not hide
//! anything: no control characters, no zero-width characters, no bidirectional overrides (which
//! can make a name render as a different one).

use std::ops::RangeInclusive;

/// Allowed length of a trimmed name or affiliation, in characters (Unicode scalar values:
/// `김철수` is three).
///
/// 30 characters fit the rank page's column and any person's or school's name; as UTF-8 they are
/// at most 120 bytes, far below S3's 1,024-byte key limit for `analysis/users/<userName>.json`.
pub const PLAYER_TEXT_CHARS: RangeInclusive<usize> = 1..=30;

/// Characters a name must not contain: path separators would split the S3 key segment it
/// becomes (and `\` is a separator for anyone who syncs the bucket to a Windows disk).
pub const NAME_FORBIDDEN_CHARS: [char; 2] = ['/', '\\'];

/// Whole values a name must not take: as a path segment they mean "this directory" and "the
/// parent directory" to every tool that maps keys to files.
pub const NAME_FORBIDDEN_VALUES: [&str; 2] = [".", ".."];

/// Which kind of player text is checked: names carry the key rules on top.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlayerField {
    Name,
    Affiliation,
}

/// Checks a name or affiliation; on success returns it trimmed (what is stored), otherwise every
/// rule it breaks, as the text that follows `"<field>: "` in an error message.
pub fn check_player_text(field: PlayerField, raw: &str) -> Result<&str, Vec<String>> {
    let text = raw.trim();
    let mut broken = Vec::new();
    let chars = text.chars().count();
    if chars == 0 {
        broken.push("must not be blank".to_owned());
    } else if !PLAYER_TEXT_CHARS.contains(&chars) {
        broken.push(format!(
            "must have {} to {} characters after trimming (got {chars})",
            PLAYER_TEXT_CHARS.start(),
            PLAYER_TEXT_CHARS.end()
        ));
    }
    if text.chars().any(char::is_control) {
        broken.push("must not contain control characters".to_owned());
    }
    if text.chars().any(is_invisible_format) {
        broken.push("must not contain zero-width or bidirectional-override characters".to_owned());
    }
    if field == PlayerField::Name {
        if text.contains(NAME_FORBIDDEN_CHARS) {
            broken.push("must not contain `/` or `\\`".to_owned());
        }
        if NAME_FORBIDDEN_VALUES.contains(&text) {
            broken.push("must not be `.` or `..`".to_owned());
        }
    }
    if broken.is_empty() {
        Ok(text)
    } else {
        Err(broken)
    }
}

/// Whether `text` passes [`check_player_text`] (the fast paths' yes/no, same rule).
pub fn is_valid_player_text(field: PlayerField, text: &str) -> bool {
    check_player_text(field, text).is_ok()
}

/// Invisible formatting characters that change how text renders or compares without showing:
/// zero-width space/joiners, word joiner, BOM, soft hyphen, Mongolian vowel separator, the
/// bidirectional marks, embeddings, overrides and isolates, and invisible operators.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(field: PlayerField, text: &str) -> Vec<String> {
        check_player_text(field, text).err().unwrap_or_default()
    }

    #[test]
    fn accepts_a_hangul_name_and_returns_it_trimmed() {
        assert_eq!(
            check_player_text(PlayerField::Name, "  김철수 "),
            Ok("김철수")
        );
    }

    #[test]
    fn refuses_a_name_or_affiliation_that_is_blank_after_trimming() {
        for field in [PlayerField::Name, PlayerField::Affiliation] {
            assert_eq!(rules(field, " \t "), ["must not be blank"]);
            assert_eq!(rules(field, ""), ["must not be blank"]);
        }
    }

    #[test]
    fn counts_characters_after_trimming() {
        let thirty = "가".repeat(30);
        assert!(is_valid_player_text(
            PlayerField::Name,
            &format!(" {thirty} ")
        ));
        assert_eq!(
            rules(PlayerField::Affiliation, &"a".repeat(31)),
            ["must have 1 to 30 characters after trimming (got 31)"]
        );
    }

    #[test]
    fn refuses_control_zero_width_and_bidi_override_characters() {
        assert_eq!(
            rules(PlayerField::Name, "a\u{0007}b"),
            ["must not contain control characters"]
        );
        for hidden in ['\u{200B}', '\u{200D}', '\u{202E}', '\u{2066}', '\u{FEFF}'] {
            assert_eq!(
                rules(PlayerField::Affiliation, &format!("a{hidden}b")),
                ["must not contain zero-width or bidirectional-override characters"],
                "{hidden:?}"
            );
        }
    }

    #[test]
    fn only_a_name_is_held_to_the_key_rules() {
        assert_eq!(
            rules(PlayerField::Name, "a/b"),
            ["must not contain `/` or `\\`"]
        );
        assert_eq!(rules(PlayerField::Name, ".."), ["must not be `.` or `..`"]);
        assert!(is_valid_player_text(PlayerField::Affiliation, "a/b"));
    }
}
