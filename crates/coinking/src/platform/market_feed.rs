//! The INTERIM market feed of the local platform: the real Upbit source (against Upbit or the
//! built-in simulator) → the core parser and normaliser → latest tickers and 1-minute candles
//! written straight into a market store.
//!
//! To be replaced by `coinking_ingester::embedded::run(config, store, shutdown)` (source →
//! transform → in-process bus → stream stage) once that lands; it does the same job through
//! the production pipeline's stages, and Kafka when brokers are configured.
//!
//! Writes are coalesced per market for [`FLUSH_INTERVAL`], as the stream stage does, so a
//! DynamoDB store sees a few writes per market per second, not one per message. A failed
//! write is logged and counted; the tickers stay pending and the next flush writes them (or
//! newer ones: latest-ticker writes are newer-wins, candle writes replay-guarded, both
//! idempotent).

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use coinking_adapters::market_store::{CandleWriter, CatalogWriter, TickerWriter};
use coinking_core::candle::{Candle, Tick, minute_start};
use coinking_core::catalog::Catalog;
use coinking_core::market::MarketCode;
use coinking_core::ticker::NormalizedTicker;
use coinking_core::upbit::{DecodeStats, UpbitMessage, decode_counted};
use coinking_ingester::sources::{SourceConfig, SourceEvent, UpbitSource};
use tokio::sync::{mpsc, watch};

/// How long writes are coalesced per market.
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(100);
/// Frames buffered between the source and the writer; beyond it the source stops reading.
const CHANNEL_CAPACITY: usize = 1024;
/// Minutes of candles kept in memory per market (the current one and the one before, which
/// late ticks may still update).
const OPEN_MINUTES: i64 = 2;

/// Where the frames come from and how their times are treated.
#[derive(Debug, Clone)]
pub struct FeedConfig {
    /// `wss://api.upbit.com/websocket/v1` or the simulator's `ws://127.0.0.1:…/websocket/v1`.
    pub url: String,
    pub markets: Vec<MarketCode>,
    /// Shift replayed timestamps so the first ticker reads as "now" (the shipped capture is
    /// from November 2024; the game and `age_ms` expect live times).
    pub rebase_to_now: bool,
}

/// Counters, logged when the feed stops.
#[derive(Debug, Default, Clone, Copy)]
pub struct FeedStats {
    pub tickers: u64,
    pub flushes: u64,
    pub write_failures: u64,
}

/// Runs until `shutdown` resolves: writes the catalog once, then tickers and candles.
pub async fn run<S>(
    config: FeedConfig,
    catalog: &Catalog,
    store: S,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<FeedStats>
where
    S: TickerWriter + CandleWriter + CatalogWriter,
{
    let markets: Vec<_> = catalog.iter().cloned().collect();
    if let Err(err) = store.put_markets(&markets).await {
        tracing::warn!(error = %err, "writing the market catalog failed; names fall back to the bundled catalog");
    }

    let source = UpbitSource::new(SourceConfig {
        url: config.url.clone(),
        codes: config.markets.clone(),
        ..SourceConfig::default()
    })?;
    let (stop, stopped) = watch::channel(false);
    let (frames_tx, mut frames) = mpsc::channel::<SourceEvent>(CHANNEL_CAPACITY);
    let source_stopped = wait_for(stopped);
    let source_task = tokio::spawn(source.run(frames_tx, source_stopped));

    let mut state = FeedState::new(config.rebase_to_now);
    let mut decode = DecodeStats::default();
    let mut flush = tokio::time::interval(FLUSH_INTERVAL);
    flush.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            frame = frames.recv() => match frame {
                Some(event) => state.absorb(&event.frame, &mut decode),
                None => break,
            },
            _ = flush.tick() => state.flush(&store).await,
        }
    }
    state.flush(&store).await;
    stop.send_replace(true);
    match source_task.await {
        Ok(Ok(())) => {}
        Ok(Err(err)) => tracing::warn!(error = %err, "upbit source failed"),
        Err(err) => tracing::warn!(error = %err, "upbit source task failed"),
    }
    tracing::info!(
        tickers = state.stats.tickers,
        flushes = state.stats.flushes,
        write_failures = state.stats.write_failures,
        parse_errors = decode.parse_error_total(),
        "market feed stopped"
    );
    Ok(state.stats)
}

async fn wait_for(mut stopped: watch::Receiver<bool>) {
    // An error means the sender is gone: stop as well.
    let _ = stopped.wait_for(|stop| *stop).await;
}

struct FeedState {
    rebase_to_now: bool,
    /// Added to replayed timestamps; fixed by the first ticker.
    shift_ms: Option<i64>,
    /// The candle replay guard's position: this process's message count.
    position: i64,
    pending: BTreeMap<MarketCode, NormalizedTicker>,
    candles: BTreeMap<(MarketCode, i64), Candle>,
    dirty: BTreeMap<(MarketCode, i64), ()>,
    stats: FeedStats,
}

impl FeedState {
    fn new(rebase_to_now: bool) -> Self {
        Self {
            rebase_to_now,
            shift_ms: None,
            position: 0,
            pending: BTreeMap::new(),
            candles: BTreeMap::new(),
            dirty: BTreeMap::new(),
            stats: FeedStats::default(),
        }
    }

    fn absorb(&mut self, frame: &[u8], decode: &mut DecodeStats) {
        let mut tickers = Vec::new();
        decode_counted(frame, decode, |message| match message {
            Ok(UpbitMessage::Ticker(ticker)) => {
                tickers.push(NormalizedTicker::from_ticker(&ticker))
            }
            Ok(UpbitMessage::Error { name, message }) => {
                tracing::warn!(%name, %message, "upbit reported an error");
            }
            Ok(_) => {}
            Err(err) => tracing::debug!(error = %err, "malformed frame skipped"),
        });
        for mut ticker in tickers {
            if self.rebase_to_now {
                let shift = *self
                    .shift_ms
                    .get_or_insert_with(|| get_ticker::handler::system_clock() - ticker.timestamp);
                ticker.timestamp += shift;
                ticker.trade_timestamp += shift;
            }
            self.position += 1;
            self.stats.tickers += 1;
            self.add_tick(&Tick::from_ticker(&ticker, self.position));
            match self.pending.get(&ticker.market) {
                Some(kept) if !ticker.is_newer_than(kept) => {}
                _ => {
                    self.pending.insert(ticker.market.clone(), ticker);
                }
            }
        }
    }

    fn add_tick(&mut self, tick: &Tick) {
        let key = (tick.market.clone(), minute_start(tick.trade_timestamp));
        match self.candles.get_mut(&key) {
            Some(candle) => {
                candle.apply(tick);
            }
            None => {
                self.candles.insert(key.clone(), Candle::from_tick(tick));
            }
        }
        self.dirty.insert(key, ());
    }

    async fn flush<S: TickerWriter + CandleWriter>(&mut self, store: &S) {
        if self.pending.is_empty() && self.dirty.is_empty() {
            return;
        }
        self.stats.flushes += 1;
        let tickers: Vec<NormalizedTicker> = self.pending.values().cloned().collect();
        match store.put_latest(&tickers).await {
            Ok(_) => self.pending.clear(),
            Err(err) => {
                self.stats.write_failures += 1;
                tracing::warn!(error = %err, markets = tickers.len(), "ticker write failed, retrying at the next flush");
            }
        }
        let candles: Vec<Candle> = self
            .dirty
            .keys()
            .filter_map(|key| self.candles.get(key).cloned())
            .collect();
        match store.put_candles(&candles).await {
            Ok(_) => self.dirty.clear(),
            Err(err) => {
                self.stats.write_failures += 1;
                tracing::warn!(error = %err, candles = candles.len(), "candle write failed, retrying at the next flush");
            }
        }
        self.forget_closed_minutes();
    }

    /// Keeps memory bounded: only each market's newest [`OPEN_MINUTES`] candles stay, once
    /// written.
    fn forget_closed_minutes(&mut self) {
        let mut newest: BTreeMap<MarketCode, i64> = BTreeMap::new();
        for (market, start) in self.candles.keys() {
            let entry = newest.entry(market.clone()).or_insert(*start);
            *entry = (*entry).max(*start);
        }
        let dirty = &self.dirty;
        self.candles.retain(|key, _| {
            let horizon =
                newest.get(&key.0).copied().unwrap_or(key.1) - (OPEN_MINUTES - 1) * 60_000;
            key.1 >= horizon || dirty.contains_key(key)
        });
    }
}
