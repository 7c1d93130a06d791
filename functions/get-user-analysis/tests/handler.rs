#![allow(clippy::unwrap_used)]
//! Handler tests from the API Gateway HTTP API fixtures in events/get-user-analysis/, with the
//! in-memory reader.

use get_user_analysis::config::Source;
use get_user_analysis::{
    COMPAT_RESULTS, Config, CorsOrigins, Deps, EXTRA_RESULTS, MemoryReader, Shape, handler,
    max_age_secs,
};
use lambda_http::Body;
use lambda_http::http::StatusCode;
use serde_json::{Value, json};

const NOW_ISH_MS: i64 = 4_102_444_800_000; // 2100-01-01: the manifest is "fresh" for the test

fn request(fixture: &str) -> lambda_http::Request {
    let path = format!(
        "{}/../../events/get-user-analysis/{fixture}",
        env!("CARGO_MANIFEST_DIR")
    );
    lambda_http::request::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn deps(reader: MemoryReader) -> Deps<MemoryReader> {
    Deps {
        reader,
        config: Config {
            source: Source::Dir("unused".into()),
            interval_secs: 60,
            cors_origins: CorsOrigins::List(vec!["http://localhost:5173".into()]),
        },
    }
}

fn full_analysis() -> MemoryReader {
    let reader = MemoryReader::default();
    reader.insert(
        "analysis/_manifest.json",
        &json!({"generated_at_ms": NOW_ISH_MS}),
    );
    for (name, shape) in COMPAT_RESULTS.iter().chain(EXTRA_RESULTS.iter()) {
        let value = match shape {
            Shape::Array => json!([{"name": name}]),
            Shape::Object => json!({"name": name}),
        };
        reader.insert(&format!("analysis/{name}.json"), &value);
    }
    reader.insert(
        "analysis/users/김철수.json",
        &json!({"userName": "김철수", "games": 3}),
    );
    reader
}

fn body(response: &lambda_http::Response<Body>) -> Value {
    match response.body() {
        Body::Text(text) => serde_json::from_str(text).unwrap(),
        other => panic!("unexpected body {other:?}"),
    }
}

fn header<'a>(response: &'a lambda_http::Response<Body>, name: &str) -> &'a str {
    response.headers().get(name).unwrap().to_str().unwrap()
}

#[tokio::test]
async fn answers_exactly_the_thirteen_keys_with_their_shapes() {
    let response = handler(&deps(full_analysis()), request("analysis.json")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let value = body(&response);
    let object = value.as_object().unwrap();
    assert_eq!(object.len(), 13);
    for (name, shape) in COMPAT_RESULTS {
        assert_eq!(object[name].is_array(), shape == Shape::Array, "{name}");
    }
    assert_eq!(
        header(&response, "access-control-allow-origin"),
        "http://localhost:5173"
    );
    assert!(header(&response, "cache-control").starts_with("public, max-age="));
}

#[tokio::test]
async fn include_all_adds_the_seven_top_ten_percent_results() {
    let response = handler(&deps(full_analysis()), request("analysis-include-all.json")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body(&response).as_object().unwrap().len(), 20);
}

#[tokio::test]
async fn rejects_an_unknown_include_value() {
    let response = handler(&deps(full_analysis()), request("analysis-bad-include.json")).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        body(&response),
        json!({"error": {"code": "invalid_query", "message": "include: must be `all` (once) or absent"}})
    );
}

#[tokio::test]
async fn serves_a_player_by_url_encoded_name() {
    let response = handler(&deps(full_analysis()), request("user.json")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body(&response)["userName"], json!("김철수"));
}

#[tokio::test]
async fn unknown_player_is_404() {
    let response = handler(&deps(full_analysis()), request("user-unknown.json")).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(body(&response)["error"]["code"], json!("user_not_found"));
}

#[tokio::test]
async fn names_that_would_leave_the_key_are_400() {
    for fixture in ["user-dot-dot.json", "user-slash.json"] {
        let response = handler(&deps(full_analysis()), request(fixture)).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{fixture}");
        let error = body(&response);
        assert_eq!(error["error"]["code"], json!("invalid_user_name"));
        assert!(
            error["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("userName: ")
        );
    }
}

#[tokio::test]
async fn no_analysis_yet_is_404_with_a_clear_error() {
    let response = handler(&deps(MemoryReader::default()), request("analysis.json")).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        body(&response),
        json!({"error": {"code": "analysis_not_found", "message": "analysis: no analysis has been run yet"}})
    );
}

#[tokio::test]
async fn a_result_with_the_wrong_shape_is_500_and_a_missing_one_503() {
    let reader = full_analysis();
    reader.insert("analysis/leverage_ratio.json", &json!({"leverage": 1}));
    let response = handler(&deps(reader), request("analysis.json")).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);

    let reader = MemoryReader::default();
    reader.insert(
        "analysis/_manifest.json",
        &json!({"generated_at_ms": NOW_ISH_MS}),
    );
    let response = handler(&deps(reader), request("analysis.json")).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        body(&response)["error"]["code"],
        json!("analysis_incomplete")
    );
}

#[tokio::test]
async fn store_failure_is_503() {
    let reader = MemoryReader::failing();
    let response = handler(&deps(reader), request("analysis.json")).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(header(&response, "cache-control"), "no-store");
}

#[tokio::test]
async fn preflight_and_other_methods() {
    let response = handler(&deps(full_analysis()), request("preflight.json")).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        header(&response, "access-control-allow-methods"),
        "GET, OPTIONS"
    );
    let response = handler(&deps(full_analysis()), request("post.json")).await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[test]
fn max_age_runs_until_the_next_scheduled_run_and_never_below_one_second() {
    assert_eq!(max_age_secs(1_000_000, 60, 1_000_000 + 15_000), 45);
    assert_eq!(max_age_secs(1_000_000, 60, 1_000_000 + 600_000), 1);
}
