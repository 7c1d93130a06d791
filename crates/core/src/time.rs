//! Calendar conversions for Upbit's date and time fields (UTC), without a date-time dependency.
//!
//! Upbit timestamps are epoch milliseconds; its `trade_date`/`trade_time` fields are the same
//! instant as UTC calendar text. Only the synthetic generator and validation need the mapping.

/// Milliseconds in one day.
pub const MS_PER_DAY: i64 = 86_400_000;

/// The platform's one wall clock: now in epoch milliseconds (0 before 1970, `i64::MAX` past the
/// year 292 million). Code that must be testable takes "now" as an argument or a
/// `coinking_http::Clock` and calls this only at its edge.
pub fn now_epoch_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|since| i64::try_from(since.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A UTC calendar date and time of day, to the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UtcDateTime {
    pub year: i32,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

impl UtcDateTime {
    /// The UTC calendar fields of an epoch-millisecond instant.
    pub fn from_epoch_ms(epoch_ms: i64) -> Self {
        let days = epoch_ms.div_euclid(MS_PER_DAY);
        let ms_of_day = epoch_ms.rem_euclid(MS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        let seconds_of_day = (ms_of_day / 1000) as u32;
        Self {
            year,
            month,
            day,
            hour: seconds_of_day / 3600,
            minute: seconds_of_day / 60 % 60,
            second: seconds_of_day % 60,
        }
    }

    /// `yyyyMMdd`, Upbit's ticker `trade_date`.
    pub fn compact_date(&self) -> String {
        format!("{:04}{:02}{:02}", self.year, self.month, self.day)
    }

    /// `HHmmss`, Upbit's ticker `trade_time`.
    pub fn compact_time(&self) -> String {
        format!("{:02}{:02}{:02}", self.hour, self.minute, self.second)
    }

    /// `yyyy-MM-dd`, Upbit's trade `trade_date` (and the S3 `dt=` partition).
    pub fn dashed_date(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    /// `HH:mm:ss`, Upbit's trade `trade_time`.
    pub fn colon_time(&self) -> String {
        format!("{:02}:{:02}:{:02}", self.hour, self.minute, self.second)
    }
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar.
/// Howard Hinnant's `civil_from_days`, exact for the whole i32 year range.
pub fn civil_from_days(days_since_epoch: i64) -> (i32, u32, u32) {
    let shifted = days_since_epoch + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year as i32, month, day)
}

/// (year, month, day) to days since 1970-01-01: the inverse of [`civil_from_days`]
/// (Howard Hinnant's `days_from_civil`).
pub fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let year = i64::from(year) - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Parses UTC text as Upbit's REST API writes and accepts it: `yyyy-MM-dd`,
/// `yyyy-MM-ddTHH:mm[:ss]` (also with a space instead of `T`), optionally ending in `Z` or
/// `+00:00`. Returns epoch ms, or `None` for anything else (other offsets included).
pub fn parse_utc(text: &str) -> Option<i64> {
    let text = text.trim();
    let text = text
        .strip_suffix('Z')
        .or_else(|| text.strip_suffix("+00:00"))
        .unwrap_or(text);
    let (date, time) = match text.split_once(['T', ' ']) {
        Some((date, time)) => (date, Some(time)),
        None => (text, None),
    };
    let mut date_parts = date.split('-');
    let year: i32 = date_parts.next()?.parse().ok()?;
    let month: u32 = date_parts.next()?.parse().ok()?;
    let day: u32 = date_parts.next()?.parse().ok()?;
    if date_parts.next().is_some() || !(1..=12).contains(&month) || day == 0 {
        return None;
    }
    let (mut hour, mut minute, mut second) = (0u32, 0u32, 0u32);
    if let Some(time) = time {
        let mut parts = time.split(':');
        hour = parts.next()?.parse().ok()?;
        minute = parts.next()?.parse().ok()?;
        if let Some(seconds) = parts.next() {
            second = seconds.parse().ok()?;
        }
        if parts.next().is_some() || hour > 23 || minute > 59 || second > 59 {
            return None;
        }
    }
    let days = days_from_civil(year, month, day);
    // Rejects 2024-02-30 and friends: the date must survive the round trip.
    if civil_from_days(days) != (year, month, day) {
        return None;
    }
    Some(days * MS_PER_DAY + i64::from(hour * 3600 + minute * 60 + second) * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_is_1970_01_01() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
    }

    #[test]
    fn known_instant_formats_like_upbit() {
        // 2024-11-25T02:40:00.123Z
        let at = UtcDateTime::from_epoch_ms(1_732_502_400_123);
        assert_eq!(at.compact_date(), "20241125");
        assert_eq!(at.compact_time(), "024000");
        assert_eq!(at.dashed_date(), "2024-11-25");
        assert_eq!(at.colon_time(), "02:40:00");
    }

    #[test]
    fn leap_day_and_pre_epoch_dates() {
        assert_eq!(
            UtcDateTime::from_epoch_ms(951_782_400_000).dashed_date(),
            "2000-02-29"
        );
        assert_eq!(UtcDateTime::from_epoch_ms(-1).dashed_date(), "1969-12-31");
        assert_eq!(UtcDateTime::from_epoch_ms(-1).compact_time(), "235959");
    }

    #[test]
    fn the_wall_clock_is_after_2024() {
        // 2024-01-01T00:00:00Z: a clock before it is not the wall clock.
        assert!(super::now_epoch_ms() > 1_704_067_200_000);
    }

    #[test]
    fn parse_utc_reads_upbits_forms_and_round_trips() {
        let ms = super::parse_utc("2024-11-25T01:02:03Z").expect("a valid instant");
        let back = UtcDateTime::from_epoch_ms(ms);
        assert_eq!(
            (back.dashed_date(), back.colon_time()),
            ("2024-11-25".into(), "01:02:03".into())
        );
        assert_eq!(super::parse_utc("2024-11-25 01:02:03"), Some(ms));
        assert_eq!(super::parse_utc("2024-11-25T01:02:03+00:00"), Some(ms));
        assert_eq!(super::parse_utc("1970-01-01"), Some(0));
        assert_eq!(super::parse_utc("2024-02-30"), None);
        assert_eq!(super::parse_utc("2024-11-25T01:02:03+09:00"), None);
        assert_eq!(super::parse_utc("yesterday"), None);
    }
}
