//! Upbit's KRW-market price units ("호가 단위"): a price must be a multiple of the unit for its
//! price band. The synthetic generator moves prices in whole ticks so its captures look like the
//! real feed (e.g. KRW-BTC moves by 1,000 KRW, KRW-DOGE by 0.1 KRW).

use rust_decimal::Decimal;

/// (lower bound of the band, inclusive; price unit), highest band first.
/// Upbit's published KRW table (the 2024 revision that split the bands under 10,000 KRW).
const KRW_BANDS: [(i64, u32, i64, u32); 14] = [
    // (lower bound mantissa, scale, unit mantissa, scale)
    (2_000_000, 0, 1_000, 0),
    (1_000_000, 0, 500, 0),
    (500_000, 0, 100, 0),
    (100_000, 0, 50, 0),
    (10_000, 0, 10, 0),
    (1_000, 0, 1, 0),
    (100, 0, 1, 1),
    (10, 0, 1, 2),
    (1, 0, 1, 3),
    (1, 1, 1, 4),
    (1, 2, 1, 5),
    (1, 3, 1, 6),
    (1, 4, 1, 7),
    (0, 0, 1, 8),
];

/// The KRW-market price unit for `price`.
pub fn krw_tick_size(price: Decimal) -> Decimal {
    for (bound_mantissa, bound_scale, unit_mantissa, unit_scale) in KRW_BANDS {
        if price >= Decimal::new(bound_mantissa, bound_scale) {
            return Decimal::new(unit_mantissa, unit_scale);
        }
    }
    Decimal::new(1, 8)
}

/// Rounds `price` down to a whole number of ticks of its band.
pub fn round_to_tick(price: Decimal) -> Decimal {
    let tick = krw_tick_size(price);
    ((price / tick).floor() * tick).normalize()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    #[test]
    fn bands_match_upbits_table() {
        let cases = [
            ("130000000", "1000"),
            ("2000000", "1000"),
            ("1999999", "500"),
            ("4500000", "1000"),
            ("300000", "50"),
            ("55000", "10"),
            ("5000", "1"),
            ("550", "0.1"),
            ("12.5", "0.01"),
            ("3", "0.001"),
            ("0.5", "0.0001"),
            ("0.05", "0.00001"),
            ("0.005", "0.000001"),
            ("0.0005", "0.0000001"),
            ("0.00005", "0.00000001"),
        ];
        for (price, unit) in cases {
            assert_eq!(krw_tick_size(dec(price)), dec(unit), "price {price}");
        }
    }

    #[test]
    fn rounding_lands_on_a_tick() {
        assert_eq!(round_to_tick(dec("130000567")), dec("130000000"));
        assert_eq!(round_to_tick(dec("550.37")), dec("550.3"));
        assert_eq!(round_to_tick(dec("5000")), dec("5000"));
    }
}
