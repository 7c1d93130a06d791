//! A deterministic generator of faithful synthetic Upbit captures.
//!
//! Same seed, same capture, byte for byte (the generator has its own PRNG, so no dependency
//! upgrade can change it). For each market it runs a random walk in whole Upbit ticks at a
//! realistic KRW price level and message rate, and emits what a subscription to ticker and trade
//! would receive: one SNAPSHOT ticker per market, then per execution a trade message followed by
//! the updated ticker, in DEFAULT or SIMPLE keys, plus the `{"status":"UP"}` answers to the
//! client's pings.

use std::str::FromStr;

use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;

use crate::capture::CaptureLine;
use crate::market::MarketCode;
use crate::tick_size::{krw_tick_size, round_to_tick};
use crate::time::UtcDateTime;
use crate::upbit::{
    AskBid, Change, KeyStyle, StreamType, Ticker, Trade, UpbitMessage, encode_message,
};

/// How one market behaves in the synthetic feed.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthMarket {
    pub code: &'static str,
    /// Price level in KRW (late-2024 levels).
    pub start_price: &'static str,
    /// Mean executions per second.
    pub trades_per_sec: f64,
    /// Largest move per execution, in ticks.
    pub max_ticks_per_trade: u32,
    /// Typical size of one execution, in coins.
    pub typical_volume: f64,
}

const fn market(
    code: &'static str,
    start_price: &'static str,
    trades_per_sec: f64,
    max_ticks_per_trade: u32,
    typical_volume: f64,
) -> SynthMarket {
    SynthMarket {
        code,
        start_price,
        trades_per_sec,
        max_ticks_per_trade,
        typical_volume,
    }
}

/// The nine default game markets.
pub const DEFAULT_SYNTH_MARKETS: [SynthMarket; 9] = [
    market("KRW-BTC", "132450000", 4.0, 3, 0.01),
    market("KRW-ETH", "4713000", 3.0, 3, 0.2),
    market("KRW-DOGE", "551.3", 2.0, 2, 3000.0),
    market("KRW-BIGTIME", "213.4", 0.8, 2, 5000.0),
    market("KRW-SUI", "5102", 1.5, 3, 150.0),
    market("KRW-UXLINK", "912.7", 0.7, 3, 800.0),
    market("KRW-SOL", "341250", 2.0, 2, 2.0),
    market("KRW-XRP", "2315", 3.0, 2, 1200.0),
    market("KRW-SXP", "402.6", 0.6, 3, 2500.0),
];

/// Which key styles appear in the capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StyleMix {
    Default,
    Simple,
    /// Each message in either style, at random: exercises both parsers in one capture.
    Both,
}

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthConfig {
    pub seed: u64,
    /// Epoch ms of the first frame.
    pub start_ms: i64,
    pub duration_ms: i64,
    pub styles: StyleMix,
    /// Emit trade messages before each ticker update.
    pub trades: bool,
    pub markets: Vec<SynthMarket>,
}

impl Default for SynthConfig {
    fn default() -> Self {
        Self {
            seed: 1,
            start_ms: 1_732_500_000_000, // 2024-11-25T02:00:00Z, 11:00 KST
            duration_ms: 60_000,
            styles: StyleMix::Both,
            trades: true,
            markets: DEFAULT_SYNTH_MARKETS.to_vec(),
        }
    }
}

/// Pings are answered every 30 s of capture time; Upbit closes connections idle for ~120 s.
const PING_INTERVAL_MS: i64 = 30_000;

/// Generates the capture, frames in receive order.
pub fn generate(config: &SynthConfig) -> Vec<CaptureLine> {
    let mut rng = SplitMix64::new(config.seed);
    let mut states: Vec<MarketState> = config
        .markets
        .iter()
        .map(|m| MarketState::new(m, &mut rng, config.start_ms))
        .collect();

    // Executions per market as Poisson processes, merged in time order.
    let end_ms = config.start_ms + config.duration_ms;
    let mut executions: Vec<(i64, usize)> = Vec::new();
    for (index, spec) in config.markets.iter().enumerate() {
        let mut at = config.start_ms + 200;
        loop {
            at += rng.exponential_ms(spec.trades_per_sec);
            if at >= end_ms {
                break;
            }
            executions.push((at, index));
        }
    }
    executions.sort_unstable();

    let mut out = Output {
        lines: Vec::with_capacity(executions.len() * 2 + states.len() + 4),
        styles: config.styles,
        last_received_ms: config.start_ms,
    };
    for (index, state) in states.iter().enumerate() {
        let sent_at = config.start_ms + 10 + index as i64;
        let snapshot = state.ticker(sent_at, StreamType::Snapshot);
        out.push(&mut rng, sent_at, UpbitMessage::Ticker(snapshot));
    }
    let mut next_ping_ms = config.start_ms + PING_INTERVAL_MS;
    for (at, index) in executions {
        while next_ping_ms <= at {
            out.push(
                &mut rng,
                next_ping_ms,
                UpbitMessage::Status("UP".to_owned()),
            );
            next_ping_ms += PING_INTERVAL_MS;
        }
        let spec = &config.markets[index];
        let state = &mut states[index];
        let trade = state.execute(spec, &mut rng, at);
        let trade_sent = at + 3 + rng.below(20) as i64;
        if config.trades {
            out.push(&mut rng, trade_sent, UpbitMessage::Trade(trade));
        }
        let ticker_sent = trade_sent + 1 + rng.below(4) as i64;
        let ticker = state.ticker(ticker_sent, StreamType::Realtime);
        out.push(&mut rng, ticker_sent, UpbitMessage::Ticker(ticker));
    }
    out.lines
}

/// Frames as one connection receives them: a varying network delay, but never out of order.
struct Output {
    lines: Vec<CaptureLine>,
    styles: StyleMix,
    last_received_ms: i64,
}

impl Output {
    fn push(&mut self, rng: &mut SplitMix64, sent_at: i64, message: UpbitMessage) {
        let mut line = frame(rng, self.styles, sent_at, message);
        line.received_at_ms = line.received_at_ms.max(self.last_received_ms);
        self.last_received_ms = line.received_at_ms;
        self.lines.push(line);
    }
}

fn frame(
    rng: &mut SplitMix64,
    styles: StyleMix,
    sent_at: i64,
    message: UpbitMessage,
) -> CaptureLine {
    let style = match styles {
        StyleMix::Default => KeyStyle::Default,
        StyleMix::Simple => KeyStyle::Simple,
        StyleMix::Both if rng.below(2) == 0 => KeyStyle::Default,
        StyleMix::Both => KeyStyle::Simple,
    };
    let network_delay_ms = 15 + rng.below(25) as i64;
    CaptureLine::binary(
        sent_at + network_delay_ms,
        encode_message(&message, style).into_bytes(),
    )
}

/// The running state of one market's day.
struct MarketState {
    code: MarketCode,
    price: Decimal,
    prev_closing_price: Decimal,
    opening_price: Decimal,
    high_price: Decimal,
    low_price: Decimal,
    acc_trade_volume: Decimal,
    acc_trade_price: Decimal,
    acc_trade_volume_24h: Decimal,
    acc_trade_price_24h: Decimal,
    acc_ask_volume: Decimal,
    acc_bid_volume: Decimal,
    last_volume: Decimal,
    last_side: AskBid,
    last_trade_ms: i64,
    sequential_id: i64,
    highest_52_week_price: Decimal,
    lowest_52_week_price: Decimal,
}

impl MarketState {
    fn new(spec: &SynthMarket, rng: &mut SplitMix64, start_ms: i64) -> Self {
        let code = MarketCode::normalize(spec.code).unwrap_or_else(|_| {
            unreachable!("synthetic market {} is not a market code", spec.code)
        });
        let price = round_to_tick(Decimal::from_str(spec.start_price).unwrap_or(Decimal::ONE));
        // Yesterday's close within ±3 % of today's level.
        let prev_closing_price = round_to_tick(price * decimal(1.0 + rng.uniform(-0.03, 0.03)));
        let day_volume =
            decimal(spec.typical_volume * 40_000.0 * rng.uniform(0.5, 1.5)).round_dp(8);
        let ask_share = decimal(rng.uniform(0.4, 0.6));
        Self {
            code,
            price,
            prev_closing_price,
            opening_price: prev_closing_price,
            high_price: price.max(prev_closing_price),
            low_price: price.min(prev_closing_price),
            acc_trade_volume: day_volume,
            acc_trade_price: (day_volume * price).round_dp(8),
            acc_trade_volume_24h: (day_volume * decimal(1.8)).round_dp(8),
            acc_trade_price_24h: (day_volume * decimal(1.8) * price).round_dp(8),
            acc_ask_volume: (day_volume * ask_share).round_dp(8),
            acc_bid_volume: (day_volume * (Decimal::ONE - ask_share)).round_dp(8),
            last_volume: decimal(spec.typical_volume).round_dp(8),
            last_side: AskBid::Bid,
            last_trade_ms: start_ms - 1_000,
            sequential_id: start_ms * 1_000,
            highest_52_week_price: round_to_tick(price * decimal(1.6)),
            lowest_52_week_price: round_to_tick(price * decimal(0.45)),
        }
    }

    /// One execution: the price moves a few ticks, volumes accumulate.
    fn execute(&mut self, spec: &SynthMarket, rng: &mut SplitMix64, at_ms: i64) -> Box<Trade> {
        let span = 2 * spec.max_ticks_per_trade + 1;
        let ticks =
            i64::from(rng.below(u64::from(span)) as u32) - i64::from(spec.max_ticks_per_trade);
        let tick = krw_tick_size(self.price);
        let moved = self.price + tick * Decimal::from(ticks);
        if moved > Decimal::ZERO {
            self.price = round_to_tick(moved);
        }
        let volume = decimal(spec.typical_volume * rng.uniform(0.05, 3.0))
            .round_dp(8)
            .max(Decimal::new(1, 8));
        self.last_side = match ticks.signum() {
            1 => AskBid::Bid,
            -1 => AskBid::Ask,
            _ if rng.below(2) == 0 => AskBid::Bid,
            _ => AskBid::Ask,
        };
        self.last_volume = volume;
        self.last_trade_ms = at_ms;
        self.sequential_id += 1 + rng.below(1_000) as i64;
        self.high_price = self.high_price.max(self.price);
        self.low_price = self.low_price.min(self.price);
        let notional = (volume * self.price).round_dp(8);
        self.acc_trade_volume += volume;
        self.acc_trade_price += notional;
        self.acc_trade_volume_24h += volume;
        self.acc_trade_price_24h += notional;
        match self.last_side {
            AskBid::Ask => self.acc_ask_volume += volume,
            AskBid::Bid => self.acc_bid_volume += volume,
        }
        let at = UtcDateTime::from_epoch_ms(at_ms);
        let tick = krw_tick_size(self.price);
        let (change, change_price) = self.change();
        Box::new(Trade {
            code: self.code.clone(),
            trade_price: self.price,
            trade_volume: volume,
            ask_bid: self.last_side,
            prev_closing_price: Some(self.prev_closing_price),
            change: Some(change),
            change_price: Some(change_price),
            trade_date: Some(at.dashed_date()),
            trade_time: Some(at.colon_time()),
            trade_timestamp: at_ms,
            timestamp: at_ms + 2,
            sequential_id: self.sequential_id,
            best_ask_price: Some(self.price + tick),
            best_ask_size: Some(decimal(spec.typical_volume * rng.uniform(0.5, 20.0)).round_dp(8)),
            best_bid_price: Some(self.price),
            best_bid_size: Some(decimal(spec.typical_volume * rng.uniform(0.5, 20.0)).round_dp(8)),
            stream_type: Some(StreamType::Realtime),
        })
    }

    fn change(&self) -> (Change, Decimal) {
        let difference = self.price - self.prev_closing_price;
        let change = if difference > Decimal::ZERO {
            Change::Rise
        } else if difference < Decimal::ZERO {
            Change::Fall
        } else {
            Change::Even
        };
        (change, difference.abs())
    }

    fn ticker(&self, sent_at_ms: i64, stream_type: StreamType) -> Box<Ticker> {
        let (change, change_price) = self.change();
        let change_rate = (change_price / self.prev_closing_price).round_dp(10);
        let sign = if change == Change::Fall {
            Decimal::NEGATIVE_ONE
        } else {
            Decimal::ONE
        };
        let at = UtcDateTime::from_epoch_ms(self.last_trade_ms);
        Box::new(Ticker {
            code: self.code.clone(),
            opening_price: self.opening_price,
            high_price: self.high_price,
            low_price: self.low_price,
            trade_price: self.price,
            prev_closing_price: self.prev_closing_price,
            change,
            change_price,
            signed_change_price: Some(change_price * sign),
            change_rate,
            signed_change_rate: Some(change_rate * sign),
            trade_volume: Some(self.last_volume),
            acc_trade_volume: Some(self.acc_trade_volume),
            acc_trade_volume_24h: Some(self.acc_trade_volume_24h),
            acc_trade_price: Some(self.acc_trade_price),
            acc_trade_price_24h: Some(self.acc_trade_price_24h),
            trade_date: Some(at.compact_date()),
            trade_time: Some(at.compact_time()),
            trade_timestamp: self.last_trade_ms,
            ask_bid: Some(self.last_side),
            acc_ask_volume: Some(self.acc_ask_volume),
            acc_bid_volume: Some(self.acc_bid_volume),
            highest_52_week_price: Some(self.highest_52_week_price),
            highest_52_week_date: Some("2024-03-14".to_owned()),
            lowest_52_week_price: Some(self.lowest_52_week_price),
            lowest_52_week_date: Some("2024-08-05".to_owned()),
            market_state: Some("ACTIVE".to_owned()),
            is_trading_suspended: Some(false),
            delisting_date: None,
            market_warning: Some("NONE".to_owned()),
            timestamp: sent_at_ms,
            stream_type: Some(stream_type),
        })
    }
}

fn decimal(value: f64) -> Decimal {
    Decimal::from_f64(value).unwrap_or(Decimal::ZERO)
}

/// SplitMix64: tiny, fast, and fixed forever, unlike a library PRNG whose stream may change.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn uniform(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.unit()
    }

    /// Uniform in `0..bound` (`bound` > 0).
    pub fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound.max(1)
    }

    /// Waiting time of a Poisson process with `rate_per_sec`, in whole ms (at least 1).
    fn exponential_ms(&mut self, rate_per_sec: f64) -> i64 {
        let wait_sec = -(1.0 - self.unit()).ln() / rate_per_sec.max(1e-6);
        ((wait_sec * 1000.0) as i64).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upbit::parse_frame;

    fn short_config(seed: u64) -> SynthConfig {
        SynthConfig {
            seed,
            duration_ms: 40_000,
            ..SynthConfig::default()
        }
    }

    fn messages(lines: &[CaptureLine]) -> Vec<UpbitMessage> {
        let mut out = Vec::new();
        for line in lines {
            parse_frame(&line.frame, |result| {
                out.push(result.expect("synthetic frame parses"))
            });
        }
        out
    }

    #[test]
    fn same_seed_same_capture() {
        assert_eq!(generate(&short_config(7)), generate(&short_config(7)));
        assert_ne!(generate(&short_config(7)), generate(&short_config(8)));
    }

    #[test]
    fn frames_are_in_receive_order_and_inside_the_window() {
        let config = short_config(3);
        let lines = generate(&config);
        assert!(
            lines
                .windows(2)
                .all(|w| w[0].received_at_ms <= w[1].received_at_ms)
        );
        assert!(lines.iter().all(|l| l.received_at_ms >= config.start_ms));
        assert!(
            lines
                .iter()
                .all(|l| l.received_at_ms < config.start_ms + config.duration_ms + 100)
        );
    }

    #[test]
    fn every_market_starts_with_a_snapshot_and_prices_sit_on_ticks() {
        let lines = generate(&short_config(11));
        let all = messages(&lines);
        let tickers: Vec<&Ticker> = all
            .iter()
            .filter_map(|m| match m {
                UpbitMessage::Ticker(t) => Some(t.as_ref()),
                _ => None,
            })
            .collect();
        for spec in &DEFAULT_SYNTH_MARKETS {
            let first = tickers
                .iter()
                .find(|t| t.code.as_str() == spec.code)
                .unwrap();
            assert_eq!(
                first.stream_type,
                Some(StreamType::Snapshot),
                "{}",
                spec.code
            );
        }
        for ticker in &tickers {
            let tick = krw_tick_size(ticker.trade_price);
            assert!(
                (ticker.trade_price % tick).is_zero(),
                "{} off tick",
                ticker.trade_price
            );
            assert!(
                ticker.low_price <= ticker.trade_price && ticker.trade_price <= ticker.high_price
            );
        }
    }

    #[test]
    fn mixes_both_key_styles_and_includes_trades_and_status() {
        let lines = generate(&short_config(5));
        let texts: Vec<&str> = lines
            .iter()
            .map(|l| std::str::from_utf8(&l.frame).unwrap())
            .collect();
        assert!(texts.iter().any(|t| t.starts_with(r#"{"type":"ticker""#)));
        assert!(texts.iter().any(|t| t.starts_with(r#"{"ty":"ticker""#)));
        assert!(texts.iter().any(|t| t.starts_with(r#"{"type":"trade""#)));
        assert!(texts.iter().any(|t| t.starts_with(r#"{"ty":"trade""#)));
        let all = messages(&lines);
        assert!(
            all.iter()
                .any(|m| matches!(m, UpbitMessage::Status(s) if s == "UP"))
        );
    }

    #[test]
    fn trade_sequence_ids_increase_per_market() {
        let all = messages(&generate(&short_config(9)));
        for spec in &DEFAULT_SYNTH_MARKETS {
            let ids: Vec<i64> = all
                .iter()
                .filter_map(|m| match m {
                    UpbitMessage::Trade(t) if t.code.as_str() == spec.code => Some(t.sequential_id),
                    _ => None,
                })
                .collect();
            assert!(ids.windows(2).all(|w| w[0] < w[1]), "{}", spec.code);
        }
    }
}
