//! Where an archived record goes: the Hive partition of its arrival time and the object names.
//!
//! `clickstream/dt=YYYY-MM-DD/hour=HH/<shard id>-<first sequence number>.parquet`, and
//! `clickstream-bad/…/<…>.ndjson` for records that could not be decoded. Names are a function of
//! the records alone, so a batch delivered again overwrites its objects instead of adding copies.

use std::cmp::Ordering;
use std::fmt;

use coinking_core::time::UtcDateTime;

/// Prefix of good records.
pub const DATA_PREFIX: &str = "clickstream";
/// Prefix of records that failed decoding.
pub const BAD_PREFIX: &str = "clickstream-bad";

/// One `dt=…/hour=…` partition (UTC).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Partition {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// 0–23.
    pub hour: u32,
}

/// Milliseconds in one partition.
const HOUR_MS: i64 = 3_600_000;

/// The hour an instant falls in, as whole hours since the epoch: one per partition, in the
/// partitions' order, and cheap to compute per record (formatting the partition's date per
/// record was 3 % of the archiver's profile); [`Partition::of_hour`] names it once per object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HourIndex(i64);

impl HourIndex {
    pub fn of_epoch_ms(epoch_ms: i64) -> Self {
        Self(epoch_ms.div_euclid(HOUR_MS))
    }
}

impl Partition {
    /// The partition of an instant in epoch milliseconds.
    pub fn of_epoch_ms(epoch_ms: i64) -> Self {
        let utc = UtcDateTime::from_epoch_ms(epoch_ms);
        Self {
            date: utc.dashed_date(),
            hour: utc.hour,
        }
    }

    /// The partition of an hour.
    pub fn of_hour(hour: HourIndex) -> Self {
        Self::of_epoch_ms(hour.0.saturating_mul(HOUR_MS))
    }

    /// `clickstream/dt=…/hour=…/<shard>-<first sequence>.parquet`.
    pub fn data_key(&self, shard_id: &str, first_sequence_number: &str) -> String {
        format!("{DATA_PREFIX}/{self}/{shard_id}-{first_sequence_number}.parquet")
    }

    /// `clickstream-bad/dt=…/hour=…/<shard>-<first sequence>.ndjson`.
    pub fn bad_key(&self, shard_id: &str, first_sequence_number: &str) -> String {
        format!("{BAD_PREFIX}/{self}/{shard_id}-{first_sequence_number}.ndjson")
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "dt={}/hour={:02}", self.date, self.hour)
    }
}

/// Orders Kinesis sequence numbers, which are decimal integers of up to 128 bits written as
/// text: a shorter one is smaller, equal lengths compare as text. Anything else (not expected
/// from Kinesis) falls back to plain text order, still a total order.
pub fn compare_sequence_numbers(left: &str, right: &str) -> Ordering {
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if numeric(left) && numeric(right) {
        let left = left.trim_start_matches('0');
        let right = right.trim_start_matches('0');
        left.len().cmp(&right.len()).then_with(|| left.cmp(right))
    } else {
        left.cmp(right)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_hour_index_names_the_partition_of_every_instant_in_it_and_keeps_their_order() {
        let instants = [
            -3_600_001,
            -1,
            0,
            3_599_999,
            3_600_000,
            1_732_500_000_123,
            1_732_503_599_999,
            1_732_503_600_000,
            253_402_300_799_999, // 9999-12-31T23:59:59.999Z
        ];
        for at in instants {
            assert_eq!(
                Partition::of_hour(HourIndex::of_epoch_ms(at)),
                Partition::of_epoch_ms(at),
                "{at}"
            );
        }
        for pair in instants.windows(2) {
            assert_eq!(
                HourIndex::of_epoch_ms(pair[0]).cmp(&HourIndex::of_epoch_ms(pair[1])),
                Partition::of_epoch_ms(pair[0]).cmp(&Partition::of_epoch_ms(pair[1])),
                "{pair:?}"
            );
        }
    }

    #[test]
    fn partitions_by_utc_date_and_hour() {
        // 2024-11-25T02:00:00.123Z
        let partition = Partition::of_epoch_ms(1_732_500_000_123);
        assert_eq!(partition.to_string(), "dt=2024-11-25/hour=02");
        assert_eq!(
            partition.data_key("shardId-000000000000", "4959"),
            "clickstream/dt=2024-11-25/hour=02/shardId-000000000000-4959.parquet"
        );
        assert_eq!(
            partition.bad_key("shardId-000000000001", "7"),
            "clickstream-bad/dt=2024-11-25/hour=02/shardId-000000000001-7.ndjson"
        );
        // The last millisecond of an hour stays in it; the next one moves on, across midnight too.
        assert_eq!(
            Partition::of_epoch_ms(1_732_579_199_999).to_string(),
            "dt=2024-11-25/hour=23"
        );
        assert_eq!(
            Partition::of_epoch_ms(1_732_579_200_000).to_string(),
            "dt=2024-11-26/hour=00"
        );
        assert_eq!(
            Partition::of_epoch_ms(-1).to_string(),
            "dt=1969-12-31/hour=23"
        );
    }

    #[test]
    fn orders_sequence_numbers_as_numbers() {
        assert_eq!(compare_sequence_numbers("9", "10"), Ordering::Less);
        assert_eq!(
            compare_sequence_numbers(
                "49590338271490256608559692538361571095921575989136588898",
                "49590338271490256608559692538361571095921575989136588899"
            ),
            Ordering::Less
        );
        assert_eq!(compare_sequence_numbers("010", "10"), Ordering::Equal);
        assert_eq!(compare_sequence_numbers("b", "a"), Ordering::Greater);
    }
}
