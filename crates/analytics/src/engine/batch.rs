//! One file of the lake as the engine reads it: only the columns the results use (not the hint
//! list or the buy amounts, the widest columns), each cast to one canonical type so files
//! written by other tools (the Spark generator, pyarrow) read the same, in batches of
//! [`BATCH_ROWS`]. A column the contract requires that is missing or null is an error naming
//! the file and column.

use std::cmp::Ordering;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array, ListArray, RecordBatch,
    StringArray, StructArray,
};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Int64Type, TimeUnit};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::reader::ChunkReader;

use crate::error::AnalyticsError;

/// Rows per decoded batch.
const BATCH_ROWS: usize = 8192;

/// The top-level columns a pass reads.
pub const ID_COLUMNS: &[&str] = &["event_id"];
pub const GAME_COLUMNS: &[&str] = &[
    "event_id",
    "received_at",
    "user_name",
    "remaining_time_1",
    "remaining_time_2",
    "remaining_time_3",
    "coins",
    "ai_recommend_1",
    "ai_recommend_2",
    "leverage",
    "user_sell_time_1",
    "user_sell_time_2",
    "user_sell_time_3",
    "balance",
];

/// Decodes `columns` of one Parquet file (a local file, read a page at a time, or an object's
/// bytes) and calls `each` with every batch.
pub fn read_file(
    name: &str,
    file: impl ChunkReader + 'static,
    columns: &[&str],
    mut each: impl FnMut(&RecordBatch) -> Result<(), AnalyticsError>,
) -> Result<(), AnalyticsError> {
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)?;
    let schema = Arc::clone(builder.schema());
    let mut roots = Vec::with_capacity(columns.len());
    for column in columns {
        let index = schema
            .index_of(column)
            .map_err(|_| invalid(name, column, "is missing"))?;
        roots.push(index);
    }
    let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
    let reader = builder
        .with_projection(mask)
        .with_batch_size(BATCH_ROWS)
        .build()?;
    for batch in reader {
        each(&batch?)?;
    }
    Ok(())
}

fn invalid(file: &str, column: &str, reason: &str) -> AnalyticsError {
    AnalyticsError::Unexpected(format!("{file}: column `{column}` {reason}"))
}

/// `column` of `batch` as `target`, refusing nulls.
fn required(
    file: &str,
    batch: &RecordBatch,
    column: &str,
    target: &DataType,
) -> Result<ArrayRef, AnalyticsError> {
    let array = batch
        .column_by_name(column)
        .ok_or_else(|| invalid(file, column, "is missing"))?;
    required_array(file, column, array, target)
}

fn required_array(
    file: &str,
    column: &str,
    array: &ArrayRef,
    target: &DataType,
) -> Result<ArrayRef, AnalyticsError> {
    let array = if array.data_type() == target {
        Arc::clone(array)
    } else {
        cast(array, target).map_err(|error| {
            invalid(
                file,
                column,
                &format!("cannot be read as {target}: {error}"),
            )
        })?
    };
    if array.null_count() > 0 {
        return Err(invalid(
            file,
            column,
            "holds nulls, which the contract forbids",
        ));
    }
    Ok(array)
}

/// The event ids of one batch.
pub fn event_ids(file: &str, batch: &RecordBatch) -> Result<StringArray, AnalyticsError> {
    Ok(required(file, batch, "event_id", &DataType::Utf8)?
        .as_string::<i32>()
        .clone())
}

/// One batch's game columns, typed.
pub struct Games {
    pub rows: usize,
    pub event_id: StringArray,
    /// Epoch ms.
    pub received_at: Int64Array,
    pub user_name: StringArray,
    pub remaining: [Float64Array; 3],
    pub coins: ListArray,
    coin_values: StringArray,
    pub ai: [BooleanArray; 2],
    pub leverage: Int64Array,
    pub sell_coin: [StringArray; 3],
    pub sell_time: [Float64Array; 3],
    pub balance: Float64Array,
}

impl Games {
    pub fn of(file: &str, batch: &RecordBatch) -> Result<Self, AnalyticsError> {
        let float = |column: &str| -> Result<Float64Array, AnalyticsError> {
            Ok(required(file, batch, column, &DataType::Float64)?
                .as_primitive()
                .clone())
        };
        let text = |column: &str| -> Result<StringArray, AnalyticsError> {
            Ok(required(file, batch, column, &DataType::Utf8)?
                .as_string::<i32>()
                .clone())
        };
        let boolean = |column: &str| -> Result<BooleanArray, AnalyticsError> {
            Ok(required(file, batch, column, &DataType::Boolean)?
                .as_boolean()
                .clone())
        };
        // Any timestamp unit, as epoch ms (only its order matters: deduplication). The zone is
        // kept: a timestamp's value is UTC whatever zone it is labelled with, and dropping the
        // label in a cast would shift the value to that zone's wall clock.
        let zone = match batch
            .schema()
            .field_with_name("received_at")
            .map(|f| f.data_type())
        {
            Ok(DataType::Timestamp(_, zone)) => zone.clone(),
            _ => None,
        };
        let received_at = required(
            file,
            batch,
            "received_at",
            &DataType::Timestamp(TimeUnit::Millisecond, zone),
        )?;
        let received_at = cast(&received_at, &DataType::Int64)?
            .as_primitive::<Int64Type>()
            .clone();
        let coins_type = DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true)));
        let coins = required(file, batch, "coins", &coins_type)?
            .as_list::<i32>()
            .clone();
        let coin_values = required_array(file, "coins", coins.values(), &DataType::Utf8)?
            .as_string::<i32>()
            .clone();
        let sells = ["user_sell_time_1", "user_sell_time_2", "user_sell_time_3"];
        let mut sell_coin = Vec::with_capacity(3);
        let mut sell_time = Vec::with_capacity(3);
        for column in sells {
            let pair = batch
                .column_by_name(column)
                .ok_or_else(|| invalid(file, column, "is missing"))?;
            let pair: &StructArray = pair
                .as_struct_opt()
                .ok_or_else(|| invalid(file, column, "is not a struct"))?;
            let field = |name: &str| {
                pair.column_by_name(name)
                    .ok_or_else(|| invalid(file, column, &format!("has no field `{name}`")))
            };
            let path = format!("{column}.coin");
            sell_coin.push(
                required_array(file, &path, field("coin")?, &DataType::Utf8)?
                    .as_string::<i32>()
                    .clone(),
            );
            let path = format!("{column}.time");
            sell_time.push(
                required_array(file, &path, field("time")?, &DataType::Float64)?
                    .as_primitive()
                    .clone(),
            );
        }
        Ok(Self {
            rows: batch.num_rows(),
            event_id: text("event_id")?,
            received_at,
            user_name: text("user_name")?,
            remaining: [
                float("remaining_time_1")?,
                float("remaining_time_2")?,
                float("remaining_time_3")?,
            ],
            coins,
            coin_values,
            ai: [boolean("ai_recommend_1")?, boolean("ai_recommend_2")?],
            leverage: required(file, batch, "leverage", &DataType::Int64)?
                .as_primitive()
                .clone(),
            sell_coin: three(sell_coin),
            sell_time: three(sell_time),
            balance: float("balance")?,
        })
    }

    /// The market codes of row `row`'s `coins`.
    pub fn coins(&self, row: usize) -> impl Iterator<Item = &str> + '_ {
        let offsets = self.coins.value_offsets();
        let (start, end) = (offsets[row] as usize, offsets[row + 1] as usize);
        (start..end).map(|index| self.coin_values.value(index))
    }

    /// Row `row`, owned: what is kept of a duplicated id's rows until the winner is known.
    pub fn owned(&self, row: usize) -> OwnedGame {
        let pieces = [self.user_name.value(row)]
            .into_iter()
            .chain([0, 1, 2].map(|i| self.sell_coin[i].value(row)))
            .chain(self.coins(row));
        let mut text = String::new();
        let mut ends = Vec::new();
        for piece in pieces {
            text.push_str(piece);
            ends.push(text.len());
        }
        OwnedGame {
            received_at: self.received_at.value(row),
            balance: self.balance.value(row),
            leverage: self.leverage.value(row),
            ai: [self.ai[0].value(row), self.ai[1].value(row)],
            remaining: [0, 1, 2].map(|i| self.remaining[i].value(row)),
            sell_time: [0, 1, 2].map(|i| self.sell_time[i].value(row)),
            text: text.into_boxed_str(),
            ends: ends.into_boxed_slice(),
        }
    }
}

/// One game's columns, owned. Its text (`user_name`, the three sell coins, then the coins) is
/// one string with where each piece ends, two allocations where a `String` each took eight: the
/// rows of the duplicated ids (2 % of the rows) are held until the winners are known.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnedGame {
    pub received_at: i64,
    pub balance: f64,
    pub leverage: i64,
    pub ai: [bool; 2],
    pub remaining: [f64; 3],
    pub sell_time: [f64; 3],
    text: Box<str>,
    /// The end of each piece of `text`: `user_name`, `user_sell_time_1..3.coin`, the coins.
    ends: Box<[usize]>,
}

/// Where the pieces of an [`OwnedGame`]'s text before the coins are.
const USER_NAME: usize = 0;
const SELL_COINS: usize = 1;
const COINS: usize = 4;

impl OwnedGame {
    /// Piece `index` of the text.
    fn piece(&self, index: usize) -> &str {
        let start = if index == 0 { 0 } else { self.ends[index - 1] };
        &self.text[start..self.ends[index]]
    }

    pub fn user_name(&self) -> &str {
        self.piece(USER_NAME)
    }

    /// `user_sell_time_1..3.coin`.
    pub fn sell_coin(&self) -> [&str; 3] {
        [0, 1, 2].map(|i| self.piece(SELL_COINS + i))
    }

    /// The market codes of `coins`.
    pub fn coins(&self) -> impl Iterator<Item = &str> + '_ {
        (COINS..self.ends.len()).map(|index| self.piece(index))
    }

    /// DEDUP_ORDER (docs/ANALYTICS.md): which row of a duplicated `event_id` is kept. The
    /// earliest `received_at`, then the smallest value of every column an output depends on, in
    /// this order; rows equal on all of them are indistinguishable to every result.
    pub fn dedup_order(&self, other: &Self) -> Ordering {
        self.received_at
            .cmp(&other.received_at)
            .then_with(|| self.user_name().cmp(other.user_name()))
            .then_with(|| self.balance.total_cmp(&other.balance))
            .then_with(|| self.leverage.cmp(&other.leverage))
            .then_with(|| self.ai[0].cmp(&other.ai[0]))
            .then_with(|| self.ai[1].cmp(&other.ai[1]))
            .then_with(|| floats(&self.remaining, &other.remaining))
            .then_with(|| floats(&self.sell_time, &other.sell_time))
            .then_with(|| self.sell_coin().cmp(&other.sell_coin()))
            .then_with(|| joined(self.coins()).cmp(&joined(other.coins())))
    }
}

/// The three columns pushed for `user_sell_time_1..3`, in order.
fn three<T>(columns: Vec<T>) -> [T; 3] {
    match <[T; 3]>::try_from(columns) {
        Ok(three) => three,
        Err(_) => unreachable!("one column is pushed per user_sell_time_N"),
    }
}

/// The coins joined with `,`, as DEDUP_ORDER compares them.
fn joined<'a>(coins: impl Iterator<Item = &'a str>) -> String {
    coins.collect::<Vec<_>>().join(",")
}

fn floats(left: &[f64], right: &[f64]) -> Ordering {
    left.iter()
        .zip(right)
        .map(|(l, r)| l.total_cmp(r))
        .find(|order| order.is_ne())
        .unwrap_or(Ordering::Equal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::{Game, games_batch};

    fn game(sells: [&str; 3], coins: &[&str]) -> Game {
        Game {
            event_id: "11111111-1111-4111-8111-111111111111".to_owned(),
            received_at_ms: 1_732_500_000_000,
            user_name: "kim".to_owned(),
            coins: coins.iter().map(|coin| (*coin).to_owned()).collect(),
            leverage: 1,
            ai_recommend_1: false,
            ai_recommend_2: false,
            remaining_time: [10.0, 20.0, 30.0],
            sells: sells.map(|coin| (coin.to_owned(), 5.0)),
            balance: 2e9,
        }
    }

    fn owned(games: &[Game]) -> Vec<OwnedGame> {
        let batch = games_batch(games).unwrap();
        let games = Games::of("test", &batch).unwrap();
        (0..games.rows).map(|row| games.owned(row)).collect()
    }

    #[test]
    fn an_owned_row_keeps_each_piece_of_its_text() {
        let rows = owned(&[
            game(["KRW-BTC", "", "KRW-ETH"], &["KRW-XRP", "KRW-BTC"]),
            game(["", "", ""], &[]),
        ]);
        assert_eq!(rows[0].user_name(), "kim");
        assert_eq!(rows[0].sell_coin(), ["KRW-BTC", "", "KRW-ETH"]);
        assert_eq!(rows[0].coins().collect::<Vec<_>>(), ["KRW-XRP", "KRW-BTC"]);
        assert_eq!(rows[1].sell_coin(), ["", "", ""]);
        assert_eq!(rows[1].coins().count(), 0);
    }

    #[test]
    fn dedup_order_compares_the_sell_coins_in_turn_then_the_coins_joined() {
        let rows = owned(&[
            game(["KRW-BTC", "KRW-ETH", "KRW-XRP"], &["A"]),
            game(["KRW-BTC", "KRW-BTC", "KRW-XRP"], &["B"]),
            game(["KRW-BTC", "KRW-BTC", "KRW-XRP"], &["A", "B"]),
            game(["KRW-BTC", "KRW-BTC", "KRW-XRP"], &["A,B"]),
        ]);
        // The second sell coin decides before any coin is looked at.
        assert_eq!(rows[1].dedup_order(&rows[0]), Ordering::Less);
        // "A,B" < "B"; and two coins read as one joined text are a tie.
        assert_eq!(rows[2].dedup_order(&rows[1]), Ordering::Less);
        assert_eq!(rows[2].dedup_order(&rows[3]), Ordering::Equal);
    }
}
