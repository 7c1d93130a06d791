//! Trained models in the lake: `models/<market>/<version>/model.safetensors` + `model.json`.
//! The weights are written first and the card last, so whoever finds a card finds its weights.

use crate::card::{CARD_SCHEMA, ModelCard};
use crate::error::ForecastError;
use crate::lake::{Lake, MODELS_PREFIX};
use crate::train::TrainedModel;

pub const WEIGHTS_FILE: &str = "model.safetensors";
pub const CARD_FILE: &str = "model.json";

fn version_dir(market: &str, version: &str) -> String {
    format!("{MODELS_PREFIX}/{market}/{version}")
}

/// Writes the weights, then the card. Returns the version directory.
pub async fn save_model(
    lake: &Lake,
    card: &ModelCard,
    weights: Vec<u8>,
) -> Result<String, ForecastError> {
    let dir = version_dir(&card.market, &card.version);
    lake.put(&format!("{dir}/{WEIGHTS_FILE}"), weights).await?;
    let text = serde_json::to_vec_pretty(card)?;
    lake.put(&format!("{dir}/{CARD_FILE}"), text).await?;
    Ok(dir)
}

/// The newest card of `market` (versions sort by data time), `None` when there is none.
pub async fn newest_card(lake: &Lake, market: &str) -> Result<Option<ModelCard>, ForecastError> {
    let objects = lake.list(&format!("{MODELS_PREFIX}/{market}/")).await?;
    let newest = objects
        .iter()
        .filter(|o| o.relative.ends_with(&format!("/{CARD_FILE}")))
        .max_by(|a, b| a.relative.cmp(&b.relative));
    let Some(object) = newest else {
        return Ok(None);
    };
    let card: ModelCard = serde_json::from_slice(&lake.get(&object.relative).await?)?;
    if card.schema != CARD_SCHEMA || card.market != market {
        return Err(ForecastError::Config(format!(
            "{}: schema {} for market {}, expected schema {CARD_SCHEMA} for {market}",
            object.relative, card.schema, card.market
        )));
    }
    Ok(Some(card))
}

/// The model a card describes.
pub async fn load_model(lake: &Lake, card: &ModelCard) -> Result<TrainedModel, ForecastError> {
    let dir = version_dir(&card.market, &card.version);
    let weights = lake.get(&format!("{dir}/{WEIGHTS_FILE}")).await?;
    TrainedModel::from_weights(card.hyper.clone(), card.scaler.clone(), weights.to_vec())
}
