//! [`Bar`]: one market's 1-minute candle as the model sees it (f64, gap-filled).

use coinking_core::candle::CANDLE_INTERVAL_MS;

/// One closed 1-minute candle in floating point: the model's input unit. Exact decimals stay in
/// the lake; the model only needs ratios.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bar {
    /// Epoch ms of the minute's start.
    pub minute_start_ms: i64,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: f64,
}

impl Bar {
    /// A minute without trades: flat at the previous close, no volume. Upbit's REST candles
    /// and the stream both leave such minutes out.
    pub fn flat(minute_start_ms: i64, close: f64) -> Self {
        Self {
            minute_start_ms,
            open: close,
            high: close,
            low: close,
            close,
            volume: 0.0,
        }
    }
}

/// Sorts by minute, drops duplicate minutes (the first kept) and fills missing minutes with
/// flat bars, so that index distance is time distance: windows and "next minute" mean what they
/// say.
pub fn fill_gaps(mut bars: Vec<Bar>) -> Vec<Bar> {
    bars.sort_by_key(|bar| bar.minute_start_ms);
    bars.dedup_by_key(|bar| bar.minute_start_ms);
    let mut filled: Vec<Bar> = Vec::with_capacity(bars.len());
    for bar in bars {
        if let Some(previous) = filled.last().copied() {
            let mut minute = previous.minute_start_ms + CANDLE_INTERVAL_MS;
            while minute < bar.minute_start_ms {
                filled.push(Bar::flat(minute, previous.close));
                minute += CANDLE_INTERVAL_MS;
            }
        }
        filled.push(bar);
    }
    filled
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(minute: i64, close: f64) -> Bar {
        Bar {
            minute_start_ms: minute * CANDLE_INTERVAL_MS,
            open: close,
            high: close,
            low: close,
            close,
            volume: 1.0,
        }
    }

    #[test]
    fn missing_minutes_become_flat_bars_at_the_previous_close() {
        let filled = fill_gaps(vec![bar(3, 10.0), bar(0, 7.0)]);
        let closes: Vec<f64> = filled.iter().map(|b| b.close).collect();
        assert_eq!(closes, vec![7.0, 7.0, 7.0, 10.0]);
        assert_eq!(filled[1].volume, 0.0);
        assert_eq!(filled[3].minute_start_ms, 3 * CANDLE_INTERVAL_MS);
    }

    #[test]
    fn duplicate_minutes_keep_one_bar() {
        assert_eq!(fill_gaps(vec![bar(1, 1.0), bar(1, 2.0)]).len(), 1);
    }
}
