//! Handler tests of what every route shares, from the events in `events/get-ticker/`: bad
//! parameters, unknown routes, wrong methods, the CORS preflight and allowed origins.
#![allow(clippy::unwrap_used)]

use get_ticker::{CorsOrigins, TickerConfig};
use lambda_http::Request;
use lambda_http::http::StatusCode;
use serde_json::Value;

mod common;
mod handler_support;
use common::event;
use handler_support::{assert_error, call, deps_with, full_store, header};

#[tokio::test]
async fn every_bad_parameter_is_a_400_naming_the_parameter_and_rule() {
    let deps = deps_with(full_store().await, TickerConfig::default());
    let cases: [(Request, &str); 6] = [
        (
            event!("error_candles_bad_limit"),
            "limit: must be an integer from 1 to 1440",
        ),
        (
            event!("error_candles_bad_from"),
            "from: must be an integer epoch ms from 0 to 9999999999999",
        ),
        (
            event!("error_candles_from_after_to"),
            "from: must not be after to",
        ),
        (
            event!("error_candles_repeated_limit"),
            "limit: must be given at most once",
        ),
        (
            event!("error_tickers_bad_markets"),
            "markets: [1] is not of the form QUOTE-BASE (e.g. KRW-BTC) or BASE/QUOTE (e.g. BTC/KRW)",
        ),
        (
            event!("error_unknown_parameter"),
            "market: unknown parameter (expected one of markets)",
        ),
    ];
    for (request, message) in cases {
        let (status, body, _) = call(&deps, request).await;
        assert_error(
            status,
            &body,
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
            message,
        );
    }
}

#[tokio::test]
async fn an_unknown_route_is_404() {
    let deps = deps_with(full_store().await, TickerConfig::default());

    let (status, body, _) = call(&deps, event!("error_unknown_route")).await;

    assert_error(
        status,
        &body,
        StatusCode::NOT_FOUND,
        "not_found",
        "path: no route for /upbit_data/extra",
    );
}

#[tokio::test]
async fn a_wrong_method_is_405_with_allow() {
    let deps = deps_with(full_store().await, TickerConfig::default());

    let (status, body, response) = call(&deps, event!("error_wrong_method")).await;

    assert_error(
        status,
        &body,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "method: POST is not allowed on /upbit_data (allowed: GET, OPTIONS)",
    );
    assert_eq!(header(&response, "allow"), Some("GET, OPTIONS"));
}

#[tokio::test]
async fn the_cors_preflight_allows_get_from_any_origin_by_default() {
    let deps = deps_with(full_store().await, TickerConfig::default());

    let (status, body, response) = call(&deps, event!("preflight")).await;

    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(body, Value::Null);
    assert_eq!(header(&response, "access-control-allow-origin"), Some("*"));
    assert_eq!(
        header(&response, "access-control-allow-methods"),
        Some("GET, OPTIONS")
    );
    assert_eq!(
        header(&response, "access-control-allow-headers"),
        Some("content-type")
    );
    assert_eq!(header(&response, "access-control-max-age"), Some("600"));
}

#[tokio::test]
async fn a_preflight_for_another_method_is_405() {
    let deps = deps_with(full_store().await, TickerConfig::default());

    let (status, body, _) = call(&deps, event!("preflight_wrong_method")).await;

    assert_error(
        status,
        &body,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "Access-Control-Request-Method: must be GET, got DELETE",
    );
}

fn restricted(origin: &str) -> TickerConfig {
    TickerConfig {
        cors_origins: CorsOrigins::List(vec![origin.to_owned()]),
        ..TickerConfig::default()
    }
}

#[tokio::test]
async fn configured_origins_are_echoed_with_vary() {
    // The fixtures come from http://localhost:5173.
    let deps = deps_with(full_store().await, restricted("http://localhost:5173"));

    let (status, _, response) = call(&deps, event!("upbit_data")).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        header(&response, "access-control-allow-origin"),
        Some("http://localhost:5173")
    );
    assert_eq!(header(&response, "vary"), Some("Origin"));
    assert_eq!(
        header(&response, "access-control-expose-headers"),
        Some("x-data-age-ms, x-coinking-hints-time, x-coinking-hints-model")
    );
}

#[tokio::test]
async fn other_origins_get_no_cors_headers_and_a_403_preflight() {
    let deps = deps_with(full_store().await, restricted("https://game.example.com"));

    let (status, _, response) = call(&deps, event!("upbit_data")).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the browser, not the server, enforces CORS"
    );
    assert_eq!(header(&response, "access-control-allow-origin"), None);

    let (status, body, _) = call(&deps, event!("preflight")).await;
    assert_error(
        status,
        &body,
        StatusCode::FORBIDDEN,
        "cors_origin_not_allowed",
        "Origin: http://localhost:5173 is not an allowed origin",
    );
}

#[tokio::test]
async fn errors_carry_cors_headers_so_the_page_can_read_them() {
    let deps = deps_with(full_store().await, TickerConfig::default());

    let (status, _, response) = call(&deps, event!("error_unknown_market")).await;

    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(header(&response, "access-control-allow-origin"), Some("*"));
}
