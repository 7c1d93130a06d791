//! Game records → one typed Arrow [`RecordBatch`] in the [contract schema](crate::schema).
//!
//! Columns are built directly from vectors (one pass over the records per column group), not
//! through row-wise builders: lists become an offsets buffer over one flat child array, structs
//! a set of child arrays. This is the archiver's hot loop; see the `archive_encode` bench.

use std::sync::Arc;

use arrow_array::builder::StringBuilder;
use arrow_array::{
    ArrayRef, BooleanArray, Float64Array, Int32Array, ListArray, RecordBatch, StringArray,
    StructArray, TimestampMillisecondArray,
};
use arrow_buffer::OffsetBuffer;
use arrow_schema::ArrowError;
use coinking_core::game::{ClickEnvelope, CoinBuy, CoinSell};

use crate::schema::{
    RECEIVED_AT_TZ, buy_fields, clickstream_schema, coins_item, deeplearning_fields,
    deeplearning_item, sell_fields,
};

/// Length of a hyphenated UUID's text.
const UUID_TEXT_LEN: usize = 36;

/// Encodes envelopes, in the given order, as one batch. An empty slice gives an empty batch.
///
/// Fails only if the arrays disagree with the schema, which would be a bug in this module
/// (the record types cannot hold a null or an out-of-range value).
pub fn encode_batch(envelopes: &[&ClickEnvelope]) -> Result<RecordBatch, ArrowError> {
    let rows = envelopes.len();
    let text = |get: fn(&ClickEnvelope) -> &str| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(
            envelopes.iter().map(|e| get(e)),
        ))
    };
    let float = |get: &dyn Fn(&ClickEnvelope) -> f64| -> ArrayRef {
        Arc::new(Float64Array::from_iter_values(
            envelopes.iter().map(|e| get(e)),
        ))
    };
    let flag = |get: &dyn Fn(&ClickEnvelope) -> bool| -> ArrayRef {
        Arc::new(BooleanArray::from_iter(
            envelopes.iter().map(|e| Some(get(e))),
        ))
    };

    // Written straight into one buffer: a String per id was a tenth of the batch's cost.
    let mut event_ids = StringBuilder::with_capacity(rows, rows * UUID_TEXT_LEN);
    for envelope in envelopes {
        let mut buffer = [0_u8; UUID_TEXT_LEN];
        event_ids.append_value(envelope.event_id.hyphenated().encode_lower(&mut buffer));
    }

    let mut columns: Vec<ArrayRef> = Vec::with_capacity(21);
    columns.push(Arc::new(event_ids.finish()));
    columns.push(Arc::new(
        TimestampMillisecondArray::from_iter_values(envelopes.iter().map(|e| e.received_at))
            .with_timezone(RECEIVED_AT_TZ),
    ));
    columns.push(Arc::new(Int32Array::from_iter_values(
        envelopes.iter().map(|e| i32::from(e.schema_version)),
    )));
    columns.push(text(|e| &e.record.user_name));
    columns.push(text(|e| &e.record.user_affiliation));
    columns.push(Arc::new(StringArray::from_iter(
        envelopes.iter().map(|e| e.user_nickname_hash.as_deref()),
    )));
    for stage in 0..3 {
        columns.push(float(&|e| e.record.remaining_times()[stage]));
    }
    columns.push(coins(envelopes)?);
    columns.push(deeplearning(envelopes)?);
    columns.push(flag(&|e| e.record.ai_recommend_1));
    columns.push(flag(&|e| e.record.ai_recommend_2));
    columns.push(Arc::new(Int32Array::from_iter_values(
        envelopes.iter().map(|e| {
            // At most 1000 (Leverage::ALL): always fits.
            i32::try_from(e.record.leverage.multiplier()).unwrap_or(i32::MAX)
        }),
    )));
    for stage in 0..3 {
        columns.push(buys(envelopes.iter().map(|e| e.record.buys()[stage]))?);
    }
    for stage in 0..3 {
        columns.push(sells(envelopes.iter().map(|e| e.record.sells()[stage]))?);
    }
    columns.push(float(&|e| e.record.balance));
    RecordBatch::try_new(clickstream_schema(), columns)
}

fn coins(envelopes: &[&ClickEnvelope]) -> Result<ArrayRef, ArrowError> {
    let values = strings(
        envelopes
            .iter()
            .flat_map(|e| e.record.coins.iter().map(|code| code.as_str())),
    );
    let offsets = OffsetBuffer::from_lengths(envelopes.iter().map(|e| e.record.coins.len()));
    Ok(Arc::new(ListArray::try_new(
        coins_item(),
        offsets,
        Arc::new(values),
        None,
    )?))
}

fn deeplearning(envelopes: &[&ClickEnvelope]) -> Result<ArrayRef, ArrowError> {
    let entries: Vec<_> = envelopes
        .iter()
        .flat_map(|e| e.record.deeplearning_data.iter())
        .collect();
    let flag = |get: fn(&coinking_core::game::DeepLearningEntry) -> bool| -> ArrayRef {
        Arc::new(BooleanArray::from_iter(
            entries.iter().map(|entry| Some(get(entry))),
        ))
    };
    let children: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(
            entries.iter().map(|entry| entry.code.as_str()),
        )),
        flag(|entry| entry.fastest_decline),
        flag(|entry| entry.fastest_growth),
        flag(|entry| entry.largest_drop),
        flag(|entry| entry.largest_rise),
        flag(|entry| entry.largest_spike),
        flag(|entry| entry.least_volatile),
        flag(|entry| entry.most_volatile),
        Arc::new(Float64Array::from_iter_values(
            entries.iter().map(|entry| entry.percentage),
        )),
        Arc::new(Int32Array::from_iter_values(entries.iter().map(|entry| {
            // At most 1000 (limits::DEEP_LEARNING_RANK): always fits.
            i32::try_from(entry.rank).unwrap_or(i32::MAX)
        }))),
        Arc::new(Float64Array::from_iter(
            entries.iter().map(|entry| entry.sell_up),
        )),
        Arc::new(Float64Array::from_iter(
            entries.iter().map(|entry| entry.sell_down),
        )),
    ];
    let items = StructArray::try_new(deeplearning_fields(), children, None)?;
    let offsets =
        OffsetBuffer::from_lengths(envelopes.iter().map(|e| e.record.deeplearning_data.len()));
    Ok(Arc::new(ListArray::try_new(
        deeplearning_item(),
        offsets,
        Arc::new(items),
        None,
    )?))
}

/// A string array from any iterator (arrow's `from_iter_values` needs an exact size hint, which
/// `flat_map` does not give).
fn strings<'a>(values: impl Iterator<Item = &'a str>) -> StringArray {
    let mut builder = StringBuilder::new();
    for value in values {
        builder.append_value(value);
    }
    builder.finish()
}

fn buys<'a>(stage: impl Iterator<Item = &'a CoinBuy> + Clone) -> Result<ArrayRef, ArrowError> {
    let coin = StringArray::from_iter_values(stage.clone().map(|buy| buy.coin.as_str()));
    let money = Float64Array::from_iter_values(stage.map(|buy| buy.money));
    Ok(Arc::new(StructArray::try_new(
        buy_fields(),
        vec![Arc::new(coin), Arc::new(money)],
        None,
    )?))
}

fn sells<'a>(stage: impl Iterator<Item = &'a CoinSell> + Clone) -> Result<ArrayRef, ArrowError> {
    let coin = StringArray::from_iter_values(stage.clone().map(|sell| sell.coin.as_str()));
    let time = Float64Array::from_iter_values(stage.map(|sell| sell.time));
    Ok(Arc::new(StructArray::try_new(
        sell_fields(),
        vec![Arc::new(coin), Arc::new(time)],
        None,
    )?))
}
