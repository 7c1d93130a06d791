//! The clickstream Parquet schema: the fixed contract between the archiver and both analytics
//! engines (Spark and the embedded DataFusion one). One row per game record, envelope first.
//!
//! Every column is non-nullable (the archiver only writes records that passed validation, so a
//! null would mean a bug, and declaring the columns required lets readers skip null handling),
//! except the optional ones: `user_nickname_hash` (no nickname given, or no hash key configured)
//! and a hint's `sell_up`/`sell_down` (absent from older records). Those are added at the end of
//! their level and nullable, so files written before them still read under this schema's
//! evolution rules (a missing nullable column reads as nulls).
//!
//! There is no clear nickname column: the nickname is personal data and only its keyed hash is
//! archived.
//! `dt` and `hour` are not columns: they are Hive path partitions (see [`crate::partition`]).

use std::sync::{Arc, OnceLock};

use arrow_schema::{DataType, Field, FieldRef, Fields, Schema, SchemaRef, TimeUnit};

/// Name of the item field of every list column (the Parquet LIST convention Spark writes too).
pub const LIST_ITEM: &str = "element";
/// Time zone of `received_at`: the partition is computed in UTC, and so is the column.
pub const RECEIVED_AT_TZ: &str = "UTC";

/// Column names, in schema order.
pub mod columns {
    pub const EVENT_ID: &str = "event_id";
    pub const RECEIVED_AT: &str = "received_at";
    pub const SCHEMA_VERSION: &str = "schema_version";
    pub const USER_NAME: &str = "user_name";
    pub const USER_AFFILIATION: &str = "user_affiliation";
    pub const USER_NICKNAME_HASH: &str = "user_nickname_hash";
    pub const REMAINING_TIME: [&str; 3] =
        ["remaining_time_1", "remaining_time_2", "remaining_time_3"];
    pub const COINS: &str = "coins";
    pub const DEEPLEARNING_DATA: &str = "deeplearning_data";
    pub const AI_RECOMMEND: [&str; 2] = ["ai_recommend_1", "ai_recommend_2"];
    pub const LEVERAGE: &str = "leverage";
    pub const USER_BUY_COIN_MONEY: [&str; 3] = [
        "user_buy_coin_money_1",
        "user_buy_coin_money_2",
        "user_buy_coin_money_3",
    ];
    pub const USER_SELL_TIME: [&str; 3] =
        ["user_sell_time_1", "user_sell_time_2", "user_sell_time_3"];
    pub const BALANCE: &str = "balance";
}

/// The seven flags of a `deeplearning_data` entry, in schema order.
pub const DEEPLEARNING_FLAGS: [&str; 7] = [
    "fastest_decline",
    "fastest_growth",
    "largest_drop",
    "largest_rise",
    "largest_spike",
    "least_volatile",
    "most_volatile",
];

fn required(name: &str, data_type: DataType) -> Field {
    Field::new(name, data_type, false)
}

fn nullable(name: &str, data_type: DataType) -> Field {
    Field::new(name, data_type, true)
}

/// `Timestamp(Millisecond, "UTC")`.
pub fn received_at_type() -> DataType {
    DataType::Timestamp(TimeUnit::Millisecond, Some(RECEIVED_AT_TZ.into()))
}

/// The item field of `coins`: non-null market codes.
pub fn coins_item() -> FieldRef {
    Arc::new(required(LIST_ITEM, DataType::Utf8))
}

/// The struct fields of one `deeplearning_data` entry.
pub fn deeplearning_fields() -> Fields {
    let mut fields = vec![required("code", DataType::Utf8)];
    fields.extend(
        DEEPLEARNING_FLAGS
            .iter()
            .map(|flag| required(flag, DataType::Boolean)),
    );
    fields.push(required("percentage", DataType::Float64));
    fields.push(required("rank", DataType::Int32));
    fields.push(nullable("sell_up", DataType::Float64));
    fields.push(nullable("sell_down", DataType::Float64));
    Fields::from(fields)
}

/// The item field of `deeplearning_data`.
pub fn deeplearning_item() -> FieldRef {
    Arc::new(required(LIST_ITEM, DataType::Struct(deeplearning_fields())))
}

/// `Struct<coin Utf8, money Float64>`.
pub fn buy_fields() -> Fields {
    Fields::from(vec![
        required("coin", DataType::Utf8),
        required("money", DataType::Float64),
    ])
}

/// `Struct<coin Utf8, time Float64>`.
pub fn sell_fields() -> Fields {
    Fields::from(vec![
        required("coin", DataType::Utf8),
        required("time", DataType::Float64),
    ])
}

/// The schema of every `clickstream/` Parquet file, built once per process.
pub fn clickstream_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA.get_or_init(|| Arc::new(build_schema())).clone()
}

fn build_schema() -> Schema {
    use columns::*;
    let mut fields = vec![
        required(EVENT_ID, DataType::Utf8),
        required(RECEIVED_AT, received_at_type()),
        required(SCHEMA_VERSION, DataType::Int32),
        required(USER_NAME, DataType::Utf8),
        required(USER_AFFILIATION, DataType::Utf8),
        nullable(USER_NICKNAME_HASH, DataType::Utf8),
    ];
    fields.extend(
        REMAINING_TIME
            .iter()
            .map(|name| required(name, DataType::Float64)),
    );
    fields.push(required(COINS, DataType::List(coins_item())));
    fields.push(required(
        DEEPLEARNING_DATA,
        DataType::List(deeplearning_item()),
    ));
    fields.extend(
        AI_RECOMMEND
            .iter()
            .map(|name| required(name, DataType::Boolean)),
    );
    fields.push(required(LEVERAGE, DataType::Int32));
    fields.extend(
        USER_BUY_COIN_MONEY
            .iter()
            .map(|name| required(name, DataType::Struct(buy_fields()))),
    );
    fields.extend(
        USER_SELL_TIME
            .iter()
            .map(|name| required(name, DataType::Struct(sell_fields()))),
    );
    fields.push(required(BALANCE, DataType::Float64));
    Schema::new(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_the_contract_columns_in_order() {
        let schema = clickstream_schema();
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(
            names,
            [
                "event_id",
                "received_at",
                "schema_version",
                "user_name",
                "user_affiliation",
                "user_nickname_hash",
                "remaining_time_1",
                "remaining_time_2",
                "remaining_time_3",
                "coins",
                "deeplearning_data",
                "ai_recommend_1",
                "ai_recommend_2",
                "leverage",
                "user_buy_coin_money_1",
                "user_buy_coin_money_2",
                "user_buy_coin_money_3",
                "user_sell_time_1",
                "user_sell_time_2",
                "user_sell_time_3",
                "balance",
            ]
        );
        let nullable: Vec<&str> = schema
            .fields()
            .iter()
            .filter(|f| f.is_nullable())
            .map(|f| f.name().as_str())
            .collect();
        assert_eq!(nullable, ["user_nickname_hash"]);
    }

    #[test]
    fn nests_lists_and_structs_as_the_contract_says() {
        let schema = clickstream_schema();
        let DataType::List(item) = schema
            .field_with_name("deeplearning_data")
            .unwrap()
            .data_type()
        else {
            panic!("deeplearning_data is not a list");
        };
        assert_eq!(item.name(), "element");
        assert!(!item.is_nullable());
        let DataType::Struct(fields) = item.data_type() else {
            panic!("deeplearning_data item is not a struct");
        };
        let names: Vec<&str> = fields.iter().map(|f| f.name().as_str()).collect();
        assert_eq!(
            names,
            [
                "code",
                "fastest_decline",
                "fastest_growth",
                "largest_drop",
                "largest_rise",
                "largest_spike",
                "least_volatile",
                "most_volatile",
                "percentage",
                "rank",
                "sell_up",
                "sell_down",
            ]
        );
        let nullable: Vec<&str> = fields
            .iter()
            .filter(|f| f.is_nullable())
            .map(|f| f.name().as_str())
            .collect();
        assert_eq!(nullable, ["sell_up", "sell_down"]);
        assert_eq!(
            schema.field_with_name("received_at").unwrap().data_type(),
            &DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
        );
        assert_eq!(
            schema.field_with_name("coins").unwrap().data_type(),
            &DataType::List(Arc::new(Field::new("element", DataType::Utf8, false)))
        );
    }
}
