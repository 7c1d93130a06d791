//! Writes games as Parquet in the archive's exact schema (`coinking_clickstream::schema`, docs/DESIGN.md
//! "S3 layout"): for the engine's tests and for tools that need a small lake. The large parity
//! and benchmark datasets come from `spark/coinking_analytics/gen.py` (same schema).

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, Float64Array, Int32Array, ListArray, ListBuilder, RecordBatch,
    StringArray, StringBuilder, StructArray, TimestampMillisecondArray,
};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use crate::error::AnalyticsError;

/// One game, with the fields the results use; the rest get fixed plausible values.
#[derive(Debug, Clone, PartialEq)]
pub struct Game {
    pub event_id: String,
    pub received_at_ms: i64,
    pub user_name: String,
    pub coins: Vec<String>,
    pub leverage: i32,
    pub ai_recommend_1: bool,
    pub ai_recommend_2: bool,
    pub remaining_time: [f64; 3],
    /// `user_sell_time_1..3` as `(coin, time)`.
    pub sells: [(String, f64); 3],
    pub balance: f64,
}

fn deeplearning_fields() -> Fields {
    let mut fields = vec![Field::new("code", DataType::Utf8, false)];
    for flag in [
        "fastest_decline",
        "fastest_growth",
        "largest_drop",
        "largest_rise",
        "largest_spike",
        "least_volatile",
        "most_volatile",
    ] {
        fields.push(Field::new(flag, DataType::Boolean, false));
    }
    fields.push(Field::new("percentage", DataType::Float64, false));
    fields.push(Field::new("rank", DataType::Int32, false));
    // The hint's sell band: nullable (absent from records written before it).
    fields.push(Field::new("sell_up", DataType::Float64, true));
    fields.push(Field::new("sell_down", DataType::Float64, true));
    Fields::from(fields)
}

fn pair_fields(value: &str) -> Fields {
    Fields::from(vec![
        Field::new("coin", DataType::Utf8, false),
        Field::new(value, DataType::Float64, false),
    ])
}

/// The clickstream Parquet schema, column for column.
pub fn clickstream_schema() -> SchemaRef {
    let mut fields = vec![
        Field::new("event_id", DataType::Utf8, false),
        Field::new(
            "received_at",
            DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
            false,
        ),
        Field::new("schema_version", DataType::Int32, false),
        Field::new("user_name", DataType::Utf8, false),
        Field::new("user_affiliation", DataType::Utf8, false),
        // Only a keyed hash of the nickname (an e-mail) is archived, never the nickname.
        Field::new("user_nickname_hash", DataType::Utf8, true),
    ];
    for stage in 1..=3 {
        fields.push(Field::new(
            format!("remaining_time_{stage}"),
            DataType::Float64,
            false,
        ));
    }
    fields.push(Field::new(
        "coins",
        DataType::List(Arc::new(Field::new("element", DataType::Utf8, false))),
        false,
    ));
    fields.push(Field::new(
        "deeplearning_data",
        DataType::List(Arc::new(Field::new(
            "element",
            DataType::Struct(deeplearning_fields()),
            false,
        ))),
        false,
    ));
    fields.push(Field::new("ai_recommend_1", DataType::Boolean, false));
    fields.push(Field::new("ai_recommend_2", DataType::Boolean, false));
    fields.push(Field::new("leverage", DataType::Int32, false));
    for stage in 1..=3 {
        fields.push(Field::new(
            format!("user_buy_coin_money_{stage}"),
            DataType::Struct(pair_fields("money")),
            false,
        ));
    }
    for stage in 1..=3 {
        fields.push(Field::new(
            format!("user_sell_time_{stage}"),
            DataType::Struct(pair_fields("time")),
            false,
        ));
    }
    fields.push(Field::new("balance", DataType::Float64, false));
    Arc::new(Schema::new(fields))
}

fn pair_array(value: &str, pairs: Vec<(String, f64)>) -> ArrayRef {
    let (coins, values): (Vec<String>, Vec<f64>) = pairs.into_iter().unzip();
    Arc::new(StructArray::new(
        pair_fields(value),
        vec![
            Arc::new(StringArray::from(coins)) as ArrayRef,
            Arc::new(Float64Array::from(values)) as ArrayRef,
        ],
        None,
    ))
}

/// The games as one record batch in the clickstream schema.
pub fn games_batch(games: &[Game]) -> Result<RecordBatch, AnalyticsError> {
    let schema = clickstream_schema();
    let n = games.len();
    let strings = |f: &dyn Fn(&Game) -> String| -> ArrayRef {
        Arc::new(StringArray::from(games.iter().map(f).collect::<Vec<_>>()))
    };
    let floats = |f: &dyn Fn(&Game) -> f64| -> ArrayRef {
        Arc::new(Float64Array::from(games.iter().map(f).collect::<Vec<_>>()))
    };
    let bools = |f: &dyn Fn(&Game) -> bool| -> ArrayRef {
        Arc::new(BooleanArray::from(games.iter().map(f).collect::<Vec<_>>()))
    };
    let mut coins = ListBuilder::new(StringBuilder::new()).with_field(Arc::new(Field::new(
        "element",
        DataType::Utf8,
        false,
    )));
    for game in games {
        for coin in &game.coins {
            coins.values().append_value(coin);
        }
        coins.append(true);
    }
    let deeplearning = ListArray::new(
        Arc::new(Field::new(
            "element",
            DataType::Struct(deeplearning_fields()),
            false,
        )),
        OffsetBuffer::new_zeroed(n),
        Arc::new(empty_struct(deeplearning_fields())?),
        None,
    );
    let mut columns: Vec<ArrayRef> = vec![
        strings(&|g| g.event_id.clone()),
        Arc::new(
            TimestampMillisecondArray::from(
                games.iter().map(|g| g.received_at_ms).collect::<Vec<_>>(),
            )
            .with_timezone("UTC"),
        ),
        Arc::new(Int32Array::from(vec![1; n])),
        strings(&|g| g.user_name.clone()),
        strings(&|_| String::new()),
        Arc::new(StringArray::new_null(n)),
        floats(&|g| g.remaining_time[0]),
        floats(&|g| g.remaining_time[1]),
        floats(&|g| g.remaining_time[2]),
        Arc::new(coins.finish()),
        Arc::new(deeplearning),
        bools(&|g| g.ai_recommend_1),
        bools(&|g| g.ai_recommend_2),
        Arc::new(Int32Array::from(
            games.iter().map(|g| g.leverage).collect::<Vec<_>>(),
        )),
    ];
    for stage in 0..3 {
        columns.push(pair_array(
            "money",
            games
                .iter()
                .map(|g| (g.sells[stage].0.clone(), 1e8))
                .collect(),
        ));
    }
    for stage in 0..3 {
        columns.push(pair_array(
            "time",
            games.iter().map(|g| g.sells[stage].clone()).collect(),
        ));
    }
    columns.push(floats(&|g| g.balance));
    Ok(RecordBatch::try_new(schema, columns)?)
}

/// The games as a zstd Parquet file's bytes.
pub fn games_parquet(games: &[Game]) -> Result<Vec<u8>, AnalyticsError> {
    let batch = games_batch(games)?;
    let properties = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .build();
    let mut bytes = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut bytes, batch.schema(), Some(properties))?;
    writer.write(&batch)?;
    writer.close()?;
    Ok(bytes)
}

/// A struct array with no rows and the given fields.
fn empty_struct(fields: Fields) -> Result<StructArray, AnalyticsError> {
    let children: Vec<ArrayRef> = fields
        .iter()
        .map(|field| arrow::array::new_empty_array(field.data_type()))
        .collect();
    Ok(StructArray::try_new(fields, children, None)?)
}
