//! A clickstream [`RecordBatch`] → envelopes again: the inverse of [`crate::encode_batch`], for
//! round-trip tests, tools and any reader that wants typed records rather than columns.

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, TimestampMillisecondType};
use arrow_array::{Array, RecordBatch, StructArray};
use coinking_core::game::{
    ClickEnvelope, CoinBuy, CoinSell, DeepLearningEntry, GameRecord, Leverage, SCHEMA_VERSION,
};
use coinking_core::market::MarketCode;
use uuid::Uuid;

use crate::schema::clickstream_schema;

/// Why a batch cannot be read back as envelopes.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("schema differs from the clickstream contract")]
    Schema,
    #[error("row {row}, column {column}: {reason}")]
    Value {
        row: usize,
        column: &'static str,
        reason: String,
    },
}

/// Reads every row of a batch whose schema is exactly the contract's.
pub fn decode_batch(batch: &RecordBatch) -> Result<Vec<ClickEnvelope>, DecodeError> {
    if batch.schema() != clickstream_schema() {
        return Err(DecodeError::Schema);
    }
    let column = |index: usize| batch.column(index);
    let text = |index: usize| column(index).as_string::<i32>();
    let float = |index: usize| column(index).as_primitive::<Float64Type>();
    let flag = |index: usize| column(index).as_boolean();
    let event_ids = text(0);
    let received_at = column(1).as_primitive::<TimestampMillisecondType>();
    let versions = column(2).as_primitive::<Int32Type>();
    let coins = column(9).as_list::<i32>();
    let ranking = column(10).as_list::<i32>();
    let leverage = column(13).as_primitive::<Int32Type>();

    let bad = |row: usize, column: &'static str, reason: String| DecodeError::Value {
        row,
        column,
        reason,
    };
    let market = |row: usize, column: &'static str, text: &str| {
        MarketCode::parse(text).map_err(|error| bad(row, column, error.to_string()))
    };
    let buy = |row: usize, index: usize| -> Result<CoinBuy, DecodeError> {
        let parts: &StructArray = column(index).as_struct();
        Ok(CoinBuy {
            coin: market(
                row,
                "user_buy_coin_money_N.coin",
                parts.column(0).as_string::<i32>().value(row),
            )?,
            money: parts.column(1).as_primitive::<Float64Type>().value(row),
        })
    };
    let sell = |row: usize, index: usize| -> Result<CoinSell, DecodeError> {
        let parts: &StructArray = column(index).as_struct();
        Ok(CoinSell {
            coin: market(
                row,
                "user_sell_time_N.coin",
                parts.column(0).as_string::<i32>().value(row),
            )?,
            time: parts.column(1).as_primitive::<Float64Type>().value(row),
        })
    };

    let mut envelopes = Vec::with_capacity(batch.num_rows());
    for row in 0..batch.num_rows() {
        let event_id = Uuid::try_parse(event_ids.value(row))
            .map_err(|error| bad(row, "event_id", error.to_string()))?;
        if versions.value(row) != i32::from(SCHEMA_VERSION) {
            return Err(bad(
                row,
                "schema_version",
                format!("must be {SCHEMA_VERSION}"),
            ));
        }
        let coin_values = coins.value(row);
        let mut row_coins = Vec::with_capacity(coin_values.len());
        for code in coin_values.as_string::<i32>().iter().flatten() {
            row_coins.push(market(row, "coins", code)?);
        }
        let entries_array = ranking.value(row);
        let entries = entries_array.as_struct();
        let mut deeplearning_data = Vec::with_capacity(entries.len());
        for item in 0..entries.len() {
            let flag_at = |child: usize| entries.column(child).as_boolean().value(item);
            let price_at = |child: usize| {
                let prices = entries.column(child).as_primitive::<Float64Type>();
                prices.is_valid(item).then(|| prices.value(item))
            };
            let rank = entries.column(9).as_primitive::<Int32Type>().value(item);
            deeplearning_data.push(DeepLearningEntry {
                code: market(
                    row,
                    "deeplearning_data.code",
                    entries.column(0).as_string::<i32>().value(item),
                )?,
                fastest_decline: flag_at(1),
                fastest_growth: flag_at(2),
                largest_drop: flag_at(3),
                largest_rise: flag_at(4),
                largest_spike: flag_at(5),
                least_volatile: flag_at(6),
                most_volatile: flag_at(7),
                percentage: entries.column(8).as_primitive::<Float64Type>().value(item),
                rank: u32::try_from(rank)
                    .map_err(|error| bad(row, "deeplearning_data.rank", error.to_string()))?,
                sell_up: price_at(10),
                sell_down: price_at(11),
            });
        }
        let multiplier = leverage.value(row);
        let leverage = u32::try_from(multiplier)
            .ok()
            .and_then(Leverage::from_multiplier)
            .ok_or_else(|| bad(row, "leverage", format!("{multiplier} is not offered")))?;
        let record = GameRecord {
            user_name: text(3).value(row).to_owned(),
            user_affiliation: text(4).value(row).to_owned(),
            user_nickname: None,
            remaining_time_1: float(6).value(row),
            remaining_time_2: float(7).value(row),
            remaining_time_3: float(8).value(row),
            coins: row_coins,
            deeplearning_data,
            ai_recommend_1: flag(11).value(row),
            ai_recommend_2: flag(12).value(row),
            leverage,
            user_buy_coin_money_1: buy(row, 14)?,
            user_buy_coin_money_2: buy(row, 15)?,
            user_buy_coin_money_3: buy(row, 16)?,
            user_sell_time_1: sell(row, 17)?,
            user_sell_time_2: sell(row, 18)?,
            user_sell_time_3: sell(row, 19)?,
            balance: float(20).value(row),
        };
        let nickname_hashes = text(5);
        let nickname_hash = nickname_hashes
            .is_valid(row)
            .then(|| nickname_hashes.value(row).to_owned());
        envelopes.push(
            ClickEnvelope::new(record, event_id, received_at.value(row))
                .with_nickname_hash(nickname_hash),
        );
    }
    Ok(envelopes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::synthetic_envelope;
    use crate::{encode_batch, from_parquet, to_parquet};

    #[test]
    fn every_field_survives_encode_parquet_decode() {
        let envelopes: Vec<ClickEnvelope> = (0..50)
            .map(|i| synthetic_envelope(i, 1_732_500_000_000 + i as i64))
            .collect();
        let mut envelopes = envelopes;
        envelopes[3].record.deeplearning_data.clear();
        envelopes[4].record.coins.truncate(1);
        let refs: Vec<&ClickEnvelope> = envelopes.iter().collect();
        let file = to_parquet(&encode_batch(&refs).unwrap()).unwrap();
        let batches = from_parquet(bytes::Bytes::from(file)).unwrap();
        let decoded: Vec<ClickEnvelope> = batches
            .iter()
            .flat_map(|batch| decode_batch(batch).unwrap())
            .collect();
        assert_eq!(decoded, envelopes);
    }

    #[test]
    fn writes_event_ids_as_lower_case_hyphenated_uuids() {
        let envelope = synthetic_envelope(0xABCDEF, 0);
        let batch = encode_batch(&[&envelope]).unwrap();
        let ids = batch.column(0).as_string::<i32>();
        assert_eq!(ids.value(0), envelope.event_id.hyphenated().to_string());
        assert_eq!(ids.value(0), ids.value(0).to_lowercase());
        assert_eq!(ids.value(0).len(), 36);
    }

    #[test]
    fn an_empty_slice_is_an_empty_batch_of_the_contract_schema() {
        let batch = encode_batch(&[]).unwrap();
        assert_eq!(batch.num_rows(), 0);
        assert_eq!(batch.schema(), clickstream_schema());
    }
}
