//! One file per route: each parses its input, calls the store and answers.
//!
//! - [`set_user_data`]: `POST /set_user_data`, validation, the score bound, the best-wins write.
//! - [`get_user_data`]: `GET /get_user_data?affiliation=all|<affiliation>`, a ranking.
//! - [`affiliation_list`]: `GET /get_affiliation_list`.
//! - [`best_user`]: `GET /get_the_best_user_data`, the global best (`data: null` when empty).
//! - [`RowView`]: the rank page's row, shared by the two ranking answers.

pub mod affiliation_list;
pub mod best_user;
pub mod get_user_data;
pub mod set_user_data;

use coinking_core::leaderboard::PlayerRow;
use serde::Serialize;

/// The frontend's row: every field a string except `balance` (a JSON integer); `nickname` is
/// never stored, so always `""`.
#[derive(Debug, Serialize)]
pub struct RowView<'a> {
    pub name: &'a str,
    pub affiliation: &'a str,
    pub nickname: &'static str,
    pub coin_1: &'a str,
    pub coin_2: &'a str,
    pub coin_3: &'a str,
    pub balance: u64,
}

impl<'a> From<&'a PlayerRow> for RowView<'a> {
    fn from(row: &'a PlayerRow) -> Self {
        Self {
            name: &row.name,
            affiliation: &row.affiliation,
            nickname: "",
            coin_1: row.coins[0].as_str(),
            coin_2: row.coins[1].as_str(),
            coin_3: row.coins[2].as_str(),
            balance: row.balance,
        }
    }
}
