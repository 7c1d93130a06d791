//! `coinking backfill`: fills the lake's candle table from Upbit's REST candles
//! (`GET /v1/candles/minutes/1?market&to&count`).
//!
//! Work is cut into aligned 3-hour blocks per market (180 candles ≤ Upbit's 200 per request,
//! and 8 blocks a day, so a block never crosses a `dt=` partition). A block is one request and
//! one file, `…/dt=…/market=…/backfill-HH.parquet`, written in one PUT: a re-run overwrites
//! the same object (idempotent), and a block whose file was written after the block ended is
//! done and skipped (resumable; blocks that were still open when written are fetched again).
//!
//! Upbit's limits: requests are paced below the candle group's 10 per second (and a
//! `Remaining-Req: …; sec=0` answer waits for the next second); a 429 backs off exponentially
//! with jitter and retries; a 418 (Upbit's ban) stops the run at once with an error.

use std::time::{Duration, Instant};

use bytes::Bytes;
use coinking_core::time::{UtcDateTime, now_epoch_ms as now_ms, parse_utc};
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rust_decimal::Decimal;
use serde_json::Value;
use tracing::{info, warn};

use crate::error::ForecastError;
use crate::lake::Lake;
use crate::lake::candles::{CandleRow, Source, partition, to_parquet};

/// Minutes per block (and per request).
pub const BLOCK_MINUTES: i64 = 180;
const BLOCK_MS: i64 = BLOCK_MINUTES * 60_000;
/// The candles path.
pub const CANDLES_PATH: &str = "/v1/candles/minutes/1";
/// Largest answer accepted (180 candles are about 50 KB).
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Limits and endpoints of one run.
#[derive(Debug, Clone)]
pub struct BackfillConfig {
    /// `https://api.upbit.com`, or the simulator's `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// Requests per second at most (Upbit's candle group allows 10).
    pub max_per_sec: u32,
    /// Retries of one request after 429s before giving up.
    pub max_retries: u32,
    /// First back-off after a 429; doubles up to `backoff_cap`.
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    pub request_timeout: Duration,
}

impl Default for BackfillConfig {
    fn default() -> Self {
        Self {
            base_url: "https://api.upbit.com".into(),
            max_per_sec: 8,
            max_retries: 8,
            backoff_base: Duration::from_millis(250),
            backoff_cap: Duration::from_secs(10),
            request_timeout: Duration::from_secs(10),
        }
    }
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackfillReport {
    pub blocks_written: usize,
    pub blocks_skipped: usize,
    pub candles_written: usize,
    pub requests: usize,
    pub rate_limited: usize,
}

/// The block starts covering `[from_ms, to_ms)`, aligned to 3-hour boundaries (UTC).
pub fn blocks(from_ms: i64, to_ms: i64) -> Vec<i64> {
    let mut start = from_ms.div_euclid(BLOCK_MS) * BLOCK_MS;
    let mut out = Vec::new();
    while start < to_ms {
        out.push(start);
        start += BLOCK_MS;
    }
    out
}

/// `…/dt=YYYY-MM-DD/market=M/backfill-HH.parquet` of the block starting at `block_start_ms`.
pub fn block_key(market: &str, block_start_ms: i64) -> String {
    let hour = UtcDateTime::from_epoch_ms(block_start_ms).hour;
    format!(
        "{}/backfill-{hour:02}.parquet",
        partition(market, block_start_ms)
    )
}

fn iso(epoch_ms: i64) -> String {
    let at = UtcDateTime::from_epoch_ms(epoch_ms);
    format!("{}T{}Z", at.dashed_date(), at.colon_time())
}

/// A REST answer.
struct Answer {
    status: u16,
    remaining_sec: Option<u32>,
    body: Bytes,
}

/// The HTTP client (https with the OS trust store, or plain http for the simulator) and the
/// request pacing.
struct UpbitRest {
    config: BackfillConfig,
    https: Option<Client<hyper_rustls::HttpsConnector<HttpConnector>, Empty<Bytes>>>,
    http: Client<HttpConnector, Empty<Bytes>>,
    next_slot: Instant,
    rng: fastrand::Rng,
}

impl UpbitRest {
    fn new(config: BackfillConfig) -> Result<Self, ForecastError> {
        if config.max_per_sec == 0 {
            return Err(ForecastError::Config(
                "max_per_sec: must be greater than zero".into(),
            ));
        }
        let https = if config.base_url.starts_with("https://") {
            let connector = hyper_rustls::HttpsConnectorBuilder::new()
                .with_native_roots()
                .map_err(|e| ForecastError::Config(format!("tls: {e}")))?
                .https_only()
                .enable_http1()
                .build();
            Some(Client::builder(TokioExecutor::new()).build(connector))
        } else if config.base_url.starts_with("http://") {
            None
        } else {
            return Err(ForecastError::Config(format!(
                "base_url {:?}: must start with https:// or http://",
                config.base_url
            )));
        };
        Ok(Self {
            https,
            http: Client::builder(TokioExecutor::new()).build(HttpConnector::new()),
            next_slot: Instant::now(),
            rng: fastrand::Rng::with_seed(0x5eed),
            config,
        })
    }

    async fn get_once(&mut self, path_and_query: &str) -> Result<Answer, ForecastError> {
        // Pace: one request per 1/max_per_sec.
        let now = Instant::now();
        if self.next_slot > now {
            tokio::time::sleep(self.next_slot - now).await;
        }
        self.next_slot = Instant::now() + Duration::from_secs(1) / self.config.max_per_sec;
        let url = format!(
            "{}{path_and_query}",
            self.config.base_url.trim_end_matches('/')
        );
        let uri: http::Uri = url
            .parse()
            .map_err(|e: http::uri::InvalidUri| ForecastError::Config(format!("{url}: {e}")))?;
        let request = http::Request::get(uri)
            .header(http::header::ACCEPT, "application/json")
            .body(Empty::new())
            .map_err(|e| ForecastError::Config(e.to_string()))?;
        let call = async {
            let response = match &self.https {
                Some(client) => client.request(request).await,
                None => self.http.request(request).await,
            }
            .map_err(|e| ForecastError::Upstream(format!("{url}: {e}")))?;
            let status = response.status().as_u16();
            let remaining_sec = response
                .headers()
                .get("remaining-req")
                .and_then(|v| v.to_str().ok())
                .and_then(parse_remaining_sec);
            let body = Limited::new(response.into_body(), MAX_BODY_BYTES)
                .collect()
                .await
                .map_err(|e| ForecastError::Upstream(format!("{url}: {e}")))?
                .to_bytes();
            Ok::<_, ForecastError>(Answer {
                status,
                remaining_sec,
                body,
            })
        };
        tokio::time::timeout(self.config.request_timeout, call)
            .await
            .map_err(|_| ForecastError::Upstream(format!("{url}: timed out")))?
    }

    /// One request with Upbit's rules: 429 → back off and retry, 418 → stop.
    async fn get(
        &mut self,
        path_and_query: &str,
        report: &mut BackfillReport,
    ) -> Result<Bytes, ForecastError> {
        let mut delay = self.config.backoff_base;
        for attempt in 0..=self.config.max_retries {
            let answer = self.get_once(path_and_query).await?;
            report.requests += 1;
            if answer.remaining_sec == Some(0) {
                // The second's budget is spent: the next request waits for the next second.
                self.next_slot = self.next_slot.max(Instant::now() + Duration::from_secs(1));
            }
            match answer.status {
                200 => return Ok(answer.body),
                418 => {
                    return Err(ForecastError::Banned(
                        String::from_utf8_lossy(&answer.body).into_owned(),
                    ));
                }
                429 => {
                    report.rate_limited += 1;
                    // Full jitter in [delay/2, delay].
                    let jittered = delay / 2 + delay.mul_f64(self.rng.f64() / 2.0);
                    warn!(
                        attempt,
                        wait_ms = jittered.as_millis() as u64,
                        "upbit answered 429; backing off"
                    );
                    tokio::time::sleep(jittered).await;
                    delay = (delay * 2).min(self.config.backoff_cap);
                }
                status => {
                    return Err(ForecastError::Upstream(format!(
                        "{path_and_query}: HTTP {status}: {}",
                        String::from_utf8_lossy(&answer.body)
                    )));
                }
            }
        }
        Err(ForecastError::Upstream(format!(
            "{path_and_query}: still 429 after {} retries",
            self.config.max_retries
        )))
    }
}

/// `sec=N` of Upbit's `Remaining-Req: group=candles; min=599; sec=9`.
fn parse_remaining_sec(header: &str) -> Option<u32> {
    header
        .split(';')
        .filter_map(|part| part.trim().strip_prefix("sec="))
        .find_map(|v| v.trim().parse().ok())
}

fn decimal(value: &Value, field: &str) -> Result<Decimal, ForecastError> {
    let text = match value.get(field) {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.clone(),
        _ => {
            return Err(ForecastError::Upstream(format!(
                "candle: {field} is missing or not a number"
            )));
        }
    };
    text.parse::<Decimal>()
        .or_else(|_| Decimal::from_scientific(&text))
        .map_err(|e| ForecastError::Upstream(format!("candle: {field} = {text}: {e}")))
}

/// Parses Upbit's candle list into rows of `market` (other markets are an error).
pub fn parse_candles(body: &[u8], market: &str) -> Result<Vec<CandleRow>, ForecastError> {
    let list: Vec<Value> = serde_json::from_slice(body)?;
    let mut rows = Vec::with_capacity(list.len());
    for item in &list {
        if item.get("market").and_then(Value::as_str) != Some(market) {
            return Err(ForecastError::Upstream(format!(
                "candle: market is not {market}: {item}"
            )));
        }
        let minute_start_ms = item
            .get("candle_date_time_utc")
            .and_then(Value::as_str)
            .and_then(parse_utc)
            .ok_or_else(|| {
                ForecastError::Upstream(format!("candle: bad candle_date_time_utc: {item}"))
            })?;
        rows.push(CandleRow {
            market: market.to_owned(),
            minute_start_ms,
            open: decimal(item, "opening_price")?,
            high: decimal(item, "high_price")?,
            low: decimal(item, "low_price")?,
            close: decimal(item, "trade_price")?,
            volume: decimal(item, "candle_acc_trade_volume")?,
            quote_volume: Some(decimal(item, "candle_acc_trade_price")?),
            trade_count: None,
            source: Source::Backfill,
        });
    }
    Ok(rows)
}

/// Fills `[from_ms, to_ms)` for each market (whole blocks), skipping finished blocks.
pub async fn backfill(
    lake: &Lake,
    markets: &[String],
    from_ms: i64,
    to_ms: i64,
    config: BackfillConfig,
) -> Result<BackfillReport, ForecastError> {
    if from_ms >= to_ms {
        return Err(ForecastError::Config("from: must be before to".into()));
    }
    let mut rest = UpbitRest::new(config)?;
    let mut report = BackfillReport::default();
    let now = now_ms();
    for market in markets {
        for block_start in blocks(from_ms, to_ms) {
            if block_start >= now {
                break;
            }
            let block_end = block_start + BLOCK_MS;
            let key = block_key(market, block_start);
            if let Some(existing) = lake.head(&key).await? {
                if existing.last_modified_ms >= block_end {
                    report.blocks_skipped += 1;
                    continue;
                }
            }
            let query = format!(
                "{CANDLES_PATH}?market={market}&to={}&count={BLOCK_MINUTES}",
                iso(block_end)
            );
            let body = rest.get(&query, &mut report).await?;
            let mut rows: Vec<CandleRow> = parse_candles(&body, market)?
                .into_iter()
                .filter(|row| row.minute_start_ms >= block_start && row.minute_start_ms < block_end)
                .collect();
            rows.sort_by_key(|row| row.minute_start_ms);
            rows.dedup_by_key(|row| row.minute_start_ms);
            report.candles_written += rows.len();
            lake.put(&key, to_parquet(&rows)?).await?;
            report.blocks_written += 1;
            info!(market = %market, block = %iso(block_start), candles = rows.len(), "backfill block written");
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_aligned_to_three_hours_and_cover_the_range() {
        let day = 1_732_492_800_000; // 2024-11-25T00:00Z
        let got = blocks(day + 60_000, day + BLOCK_MS + 1);
        assert_eq!(got, vec![day, day + BLOCK_MS]);
        assert_eq!(
            block_key("KRW-BTC", day + BLOCK_MS),
            "market-data/candles_1m/dt=2024-11-25/market=KRW-BTC/backfill-03.parquet"
        );
    }

    #[test]
    fn reads_the_seconds_budget_from_remaining_req() {
        assert_eq!(
            parse_remaining_sec("group=candles; min=599; sec=0"),
            Some(0)
        );
        assert_eq!(parse_remaining_sec("group=candles; min=599"), None);
    }

    #[test]
    fn parses_upbits_candle_exactly() {
        let body = br#"[{"market":"KRW-BTC","candle_date_time_utc":"2018-04-18T10:16:00","candle_date_time_kst":"2018-04-18T19:16:00","opening_price":8615000,"high_price":8618000,"low_price":8611000,"trade_price":8616000,"timestamp":1524046594584,"candle_acc_trade_price":60018891.90054,"candle_acc_trade_volume":6.96780929,"unit":1}]"#;
        let rows = parse_candles(body, "KRW-BTC").expect("parses");
        assert_eq!(rows[0].minute_start_ms, 1_524_046_560_000);
        assert_eq!(rows[0].volume.to_string(), "6.96780929");
        assert_eq!(rows[0].close.to_string(), "8616000");
        assert!(parse_candles(body, "KRW-ETH").is_err());
    }
}
