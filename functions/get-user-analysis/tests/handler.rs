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

/// The 20 results of one run, each value naming its result and `run`.
fn run_results(run: &str) -> serde_json::Map<String, Value> {
    let mut results = serde_json::Map::new();
    for (name, shape) in COMPAT_RESULTS.iter().chain(EXTRA_RESULTS.iter()) {
        let value = match shape {
            Shape::Array => json!([{"name": name, "run": run}]),
            Shape::Object => json!({"name": name, "run": run}),
        };
        results.insert((*name).to_owned(), value);
    }
    results
}

fn full_analysis() -> MemoryReader {
    let reader = MemoryReader::default();
    reader.insert(
        "analysis/_manifest.json",
        &json!({"run_id": "run-1", "generated_at_ms": NOW_ISH_MS}),
    );
    let results = run_results("run-1");
    for (name, value) in &results {
        reader.insert(&format!("analysis/{name}.json"), value);
    }
    reader.insert(
        "analysis/_results.json",
        &json!({"run_id": "run-1", "generated_at_ms": NOW_ISH_MS, "results": results}),
    );
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
async fn a_result_with_the_wrong_shape_or_missing_is_500_naming_it() {
    let reader = full_analysis();
    let mut results = run_results("run-1");
    results.insert("leverage_ratio".into(), json!({"leverage": 1}));
    reader.insert(
        "analysis/_results.json",
        &json!({"generated_at_ms": NOW_ISH_MS, "results": results}),
    );
    let response = handler(&deps(reader), request("analysis.json")).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        body(&response)["error"]["message"],
        json!("analysis/_results.json: results.leverage_ratio: must be an array")
    );

    let reader = full_analysis();
    let mut results = run_results("run-1");
    results.remove("sell_time_avg");
    reader.insert(
        "analysis/_results.json",
        &json!({"generated_at_ms": NOW_ISH_MS, "results": results}),
    );
    let response = handler(&deps(reader), request("analysis.json")).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        body(&response)["error"],
        json!({"code": "corrupt_analysis", "message": "analysis/_results.json: results.sell_time_avg: missing"})
    );
}

/// While a run replaces the per-result files one by one, they mix two runs; the answer comes
/// from the one results document, so it is one run's whole.
#[tokio::test]
async fn the_results_come_from_one_run_even_while_the_next_run_writes() {
    let reader = full_analysis();
    for (name, value) in run_results("run-2").into_iter().take(7) {
        reader.insert(&format!("analysis/{name}.json"), &value);
    }
    let response = handler(&deps(reader), request("analysis-include-all.json")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = body(&response);
    let runs: std::collections::BTreeSet<String> = body
        .as_object()
        .unwrap()
        .values()
        .map(|value| {
            let first = if value.is_array() { &value[0] } else { value };
            first["run"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(runs, ["run-1".to_owned()].into());
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
    // The API's one CORS policy (coinking_http::apply_preflight), as for every route.
    assert_eq!(
        header(&response, "access-control-allow-methods"),
        "GET,POST,OPTIONS"
    );
    assert_eq!(
        header(&response, "access-control-allow-origin"),
        "http://localhost:5173"
    );
    let response = handler(&deps(full_analysis()), request("post.json")).await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[test]
fn max_age_runs_until_the_next_scheduled_run_and_never_below_one_second() {
    assert_eq!(max_age_secs(1_000_000, 60, 1_000_000 + 15_000), 45);
    assert_eq!(max_age_secs(1_000_000, 60, 1_000_000 + 600_000), 1);
}
