//! The backtest as a picture (`coinking backtest --svg-out`, docs/HINTS.md): per market, each
//! model's MAE of the next-minute close divided by the naive forecast's, as grouped bars with the
//! "no better than naive" line at 1. Plain SVG text, no plotting dependency.

use std::fmt::Write;

use crate::backtest::{BASELINE, BacktestReport, LSTM, NAIVE};

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 360.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 56.0;
/// The models drawn, in order, with their colours.
const SERIES: [(&str, &str); 3] = [(LSTM, "#d62728"), (BASELINE, "#1f77b4"), (NAIVE, "#7f7f7f")];

/// The chart of `report` as an SVG document.
pub fn mae_ratio_svg(report: &BacktestReport) -> String {
    let ratios: Vec<(&str, Vec<Option<f64>>)> = report
        .markets
        .iter()
        .map(|market| {
            let naive = market
                .metrics
                .get(NAIVE)
                .map(|m| m.mae)
                .filter(|m| *m > 0.0);
            let values = SERIES
                .iter()
                .map(|(model, _)| {
                    let mae = market.metrics.get(*model)?.mae;
                    naive.map(|naive| mae / naive).filter(|r| r.is_finite())
                })
                .collect();
            (market.market.as_str(), values)
        })
        .collect();
    let top_value = ratios
        .iter()
        .flat_map(|(_, values)| values.iter().flatten())
        .fold(1.2_f64, |top, value| top.max(*value * 1.1));
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let y_of = |value: f64| TOP + plot_h * (1.0 - value / top_value);

    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">"#
    );
    let _ = write!(
        svg,
        r#"<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/><text x="{LEFT}" y="22" font-size="14">Next-minute close: MAE ÷ naive MAE (below 1 = better than no change)</text>"#
    );
    // Axis ticks every 0.2.
    let mut tick = 0.0;
    while tick <= top_value + 1e-9 {
        let y = y_of(tick);
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#eeeeee"/><text x="{:.1}" y="{:.1}" text-anchor="end">{tick:.1}</text>"##,
            WIDTH - RIGHT,
            LEFT - 6.0,
            y + 4.0
        );
        tick += 0.2;
    }
    let group_w = plot_w / ratios.len().max(1) as f64;
    let bar_w = group_w * 0.8 / SERIES.len() as f64;
    for (index, (market, values)) in ratios.iter().enumerate() {
        let group_x = LEFT + group_w * index as f64 + group_w * 0.1;
        for (series, value) in values.iter().enumerate() {
            let Some(value) = value else { continue };
            let (model, colour) = SERIES[series];
            let x = group_x + bar_w * series as f64;
            let y = y_of(*value);
            let _ = write!(
                svg,
                r#"<rect x="{x:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="{colour}"><title>{market} {model}: {value:.3}</title></rect>"#,
                bar_w * 0.9,
                TOP + plot_h - y
            );
        }
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{market}</text>"#,
            group_x + group_w * 0.4,
            TOP + plot_h + 18.0
        );
    }
    let one = y_of(1.0);
    let _ = write!(
        svg,
        r##"<line x1="{LEFT}" y1="{one:.1}" x2="{:.1}" y2="{one:.1}" stroke="black" stroke-dasharray="4 3"/>"##,
        WIDTH - RIGHT
    );
    for (series, (model, colour)) in SERIES.iter().enumerate() {
        let x = LEFT + 150.0 * series as f64;
        let y = HEIGHT - 16.0;
        let _ = write!(
            svg,
            r#"<rect x="{x}" y="{:.1}" width="12" height="12" fill="{colour}"/><text x="{:.1}" y="{y:.1}">{model}</text>"#,
            y - 10.0,
            x + 16.0
        );
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::backtest::{MarketBacktest, Metrics};

    fn metrics(mae: f64) -> Metrics {
        Metrics {
            samples: 10,
            mae,
            ..Metrics::default()
        }
    }

    #[test]
    fn one_bar_per_market_and_model_scaled_to_the_naive_mae() {
        let market = |name: &str, lstm: f64| MarketBacktest {
            market: name.to_owned(),
            folds: Vec::new(),
            metrics: BTreeMap::from([
                (LSTM.to_owned(), metrics(lstm)),
                (BASELINE.to_owned(), metrics(11.0)),
                (NAIVE.to_owned(), metrics(10.0)),
            ]),
            forecasts: Vec::new(),
        };
        let report = BacktestReport {
            markets: vec![market("KRW-BTC", 8.0), market("KRW-ETH", 12.0)],
            games: BTreeMap::new(),
        };
        let svg = mae_ratio_svg(&report);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        assert_eq!(svg.matches("<title>").count(), 6);
        assert!(svg.contains("<title>KRW-BTC lstm: 0.800</title>"));
        assert!(svg.contains("<title>KRW-ETH lstm: 1.200</title>"));
        assert!(svg.contains("<title>KRW-ETH baseline-v1: 1.100</title>"));
        assert!(svg.contains("<title>KRW-BTC naive: 1.000</title>"));
        assert_eq!(svg, mae_ratio_svg(&report), "deterministic");
    }
}
