//! The market catalog: `GET /v1/market/all?is_details=true` with a timeout, parsed by
//! coinking-core. At start [`load_catalog`] falls back to [`Catalog::bundled`] when Upbit is
//! unreachable or answers something unusable (an empty list included); afterwards
//! [`super::catalog_watch`] refetches it periodically and keeps the previous one on failure.

use std::time::Duration;

use bytes::Bytes;
use coinking_core::catalog::{Catalog, parse_market_all};
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::{Connect, HttpConnector};
use hyper_util::rt::TokioExecutor;
use tracing::{debug, info, warn};

use super::tls;
use crate::sources::error::CatalogFetchError;

/// The catalog path, with Upbit's warning and caution details.
pub const MARKET_ALL_PATH: &str = "/v1/market/all?is_details=true";

/// Rejected entries logged at warn level per fetch (a broken listing can reject hundreds).
const LOGGED_REJECTIONS: usize = 3;

/// Largest catalog body accepted (the real one is a few hundred KB).
const MAX_CATALOG_BYTES: usize = 16 * 1024 * 1024;

/// Where the catalog in use came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogOrigin {
    Upbit,
    Bundled,
}

/// Fetches and parses the catalog from `base_url` (e.g. `https://api.upbit.com`; `http://` is
/// accepted for local tests).
pub async fn fetch_catalog(
    base_url: &str,
    timeout: Duration,
) -> Result<FetchedCatalog, CatalogFetchError> {
    let url = format!("{}{MARKET_ALL_PATH}", base_url.trim_end_matches('/'));
    let uri: http::Uri =
        url.parse()
            .map_err(|err: http::uri::InvalidUri| CatalogFetchError::Url {
                url: url.clone(),
                reason: err.to_string(),
            })?;
    let request = async {
        match uri.scheme_str() {
            Some("https") => {
                let tls = tls::client_config().map_err(CatalogFetchError::Tls)?;
                let connector = hyper_rustls::HttpsConnectorBuilder::new()
                    .with_tls_config(tls)
                    .https_only()
                    .enable_http1()
                    .build();
                get(connector, uri).await
            }
            Some("http") => get(HttpConnector::new(), uri).await,
            _ => Err(CatalogFetchError::Url {
                url: url.clone(),
                reason: "must start with https:// or http://".into(),
            }),
        }
    };
    let body = tokio::time::timeout(timeout, request)
        .await
        .map_err(|_| CatalogFetchError::Timeout(timeout))??;
    let parsed = parse_market_all(&body)?;
    if !parsed.rejected.is_empty() {
        // Counted by the caller; the first reasons here, the rest at debug level.
        for (shown, error) in parsed.rejected.iter().enumerate() {
            if shown < LOGGED_REJECTIONS {
                warn!(%error, "market catalog entry rejected; the valid entries are used");
            } else {
                debug!(%error, "market catalog entry rejected");
            }
        }
    }
    if parsed.markets.is_empty() {
        return Err(CatalogFetchError::Empty {
            rejected: parsed.rejected.len(),
        });
    }
    Ok(FetchedCatalog {
        catalog: Catalog::new(parsed.markets),
        rejected: parsed.rejected.len(),
    })
}

/// A fetched catalog: its valid entries, and how many malformed ones were left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedCatalog {
    pub catalog: Catalog,
    pub rejected: usize,
}

/// The catalog from Upbit, or the bundled one (logged as a warning) when that fails.
pub async fn load_catalog(base_url: &str, timeout: Duration) -> (Catalog, CatalogOrigin) {
    match fetch_catalog(base_url, timeout).await {
        Ok(FetchedCatalog { catalog, rejected }) => {
            info!(
                markets = catalog.len(),
                rejected, base_url, "market catalog fetched from upbit"
            );
            (catalog, CatalogOrigin::Upbit)
        }
        Err(err) => {
            let bundled = Catalog::bundled();
            warn!(
                error = %err,
                base_url,
                markets = bundled.len(),
                "market catalog unavailable; using the bundled catalog"
            );
            (bundled, CatalogOrigin::Bundled)
        }
    }
}

async fn get<C>(connector: C, uri: http::Uri) -> Result<Bytes, CatalogFetchError>
where
    C: Connect + Clone + Send + Sync + 'static,
{
    let client: Client<C, Empty<Bytes>> = Client::builder(TokioExecutor::new()).build(connector);
    let request = http::Request::get(uri)
        .header(http::header::ACCEPT, "application/json")
        .body(Empty::new())
        .map_err(|err| CatalogFetchError::Request(err.to_string()))?;
    let response = client
        .request(request)
        .await
        .map_err(|err| CatalogFetchError::Request(err.to_string()))?;
    let status = response.status();
    if !status.is_success() {
        return Err(CatalogFetchError::Status(status.as_u16()));
    }
    let body = Limited::new(response.into_body(), MAX_CATALOG_BYTES)
        .collect()
        .await
        .map_err(|err| CatalogFetchError::Request(err.to_string()))?;
    Ok(body.to_bytes())
}
