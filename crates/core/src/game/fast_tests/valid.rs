//! Valid records and envelopes as the frontend and the Lambda write them.

use super::*;

fn coin_id() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(crate::market::DEFAULT_GAME_MARKETS.to_vec())
            .prop_map(str::to_owned),
        1 => prop::sample::select(crate::market::DEFAULT_GAME_MARKETS.to_vec())
            .prop_map(|code| MarketCode::parse(code).map(|c| c.to_slash_form()).unwrap()),
        1 => (prop::sample::select(QUOTE_CURRENCIES.to_vec()), "[a-zA-Z0-9]{1,15}")
            .prop_map(|(quote, base)| format!("{base}/{}", quote.to_lowercase())),
    ]
}

fn seconds() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!(0)),
        Just(json!(90.0)),
        (0.0..=90.0).prop_map(Value::from)
    ]
}

/// A hint price as the hint writers send it, or none (older writers).
fn hint_price() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        Just(None),
        Just(Some(json!(0))),
        (0.0..2e8).prop_map(|price| Some(Value::from(price))),
    ]
}

fn entry() -> impl Strategy<Value = Value> {
    (
        coin_id(),
        prop::array::uniform7(any::<bool>()),
        -1e3..1e3,
        1_u32..=1000,
        hint_price(),
        hint_price(),
    )
        .prop_map(|(code, flags, percentage, rank, sell_up, sell_down)| {
            let mut entry = json!({
                "code": code,
                "fastest_decline": flags[0],
                "fastest_growth": flags[1],
                "largest_drop": flags[2],
                "largest_rise": flags[3],
                "largest_spike": flags[4],
                "least_volatile": flags[5],
                "most_volatile": flags[6],
                "percentage": percentage,
                "rank": rank,
            });
            for (key, price) in [("sell_up", sell_up), ("sell_down", sell_down)] {
                if let Some(price) = price {
                    entry[key] = price;
                }
            }
            entry
        })
}

/// A player text the shared rule accepts (untrimmed, so trimming is exercised too).
fn player_text(field: PlayerField) -> impl Strategy<Value = String> {
    "[^\\p{Cc}]{1,30}".prop_filter("refused by the player rule", move |text| {
        crate::player::is_valid_player_text(field, text)
    })
}

/// The nickname as the frontend sends it: absent, emptied, or an address.
fn nickname() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some(String::new())),
        "[^\\p{Cc}]{1,64}".prop_map(Some),
    ]
}

prop_compose! {
    /// A valid body as the frontend writes it (slash spellings, whole floats and all).
    pub(super) fn valid_body(max_ranked: usize)(
        names in (player_text(PlayerField::Name), player_text(PlayerField::Affiliation), nickname()),
        times in prop::array::uniform3(seconds()),
        coins in prop::collection::vec(coin_id(), 1..=3)
            .prop_filter("the same coin twice is refused", |coins| {
                let codes: std::collections::BTreeSet<MarketCode> =
                    coins.iter().filter_map(|c| MarketCode::normalize(c).ok()).collect();
                codes.len() == coins.len()
            }),
        ranking in prop::collection::vec(entry(), 0..=max_ranked),
        hints in prop::array::uniform2(any::<bool>()),
        leverage in prop::sample::select(vec![json!(1), json!(10), json!(100.0), json!(1000)]),
        buys in prop::array::uniform3((any::<prop::sample::Index>(), prop::sample::select(BUY_AMOUNTS_KRW.to_vec()))),
        sells in prop::array::uniform3((any::<prop::sample::Index>(), seconds())),
        balance in prop_oneof![Just(0.0), Just(MAX_BALANCE_KRW), 0.0..=MAX_BALANCE_KRW],
    ) -> Value {
        // Bought and sold coins are chosen ones, in any of their spellings.
        let chosen = |at: &prop::sample::Index| coins[at.index(coins.len())].clone();
        let mut body = json!({
            "userName": names.0,
            "userAffiliation": names.1,
            "remainingTime_1": times[0],
            "remainingTime_2": times[1],
            "remainingTime_3": times[2],
            "coins": coins,
            "deeplearningData": ranking,
            "aiRecommend_1": hints[0],
            "aiRecommend_2": hints[1],
            "leverage": leverage,
            "userBuyCoinMoney_1": {"coin": chosen(&buys[0].0), "money": buys[0].1},
            "userBuyCoinMoney_2": {"coin": chosen(&buys[1].0), "money": buys[1].1},
            "userBuyCoinMoney_3": {"coin": chosen(&buys[2].0), "money": buys[2].1},
            "userSellTime_1": {"coin": chosen(&sells[0].0), "time": sells[0].1},
            "userSellTime_2": {"coin": chosen(&sells[1].0), "time": sells[1].1},
            "userSellTime_3": {"coin": chosen(&sells[2].0), "time": sells[2].1},
            "balance": balance,
        });
        if let Some(nickname) = names.2 {
            body["userNickname"] = Value::from(nickname);
        }
        body
    }
}

pub(super) fn valid_envelope() -> impl Strategy<Value = Value> {
    (
        valid_body(4),
        any::<u128>(),
        any::<i64>(),
        prop::option::of("[0-9a-f]{64}"),
    )
        .prop_map(|(mut body, id, received_at, nickname_hash)| {
            let object = body.as_object_mut().unwrap();
            object.insert("event_id".into(), json!(Uuid::from_u128(id).to_string()));
            object.insert("received_at".into(), json!(received_at));
            object.insert("schema_version".into(), json!(SCHEMA_VERSION));
            if let Some(hash) = nickname_hash {
                object.insert("user_nickname_hash".into(), json!(hash));
            }
            body
        })
}
