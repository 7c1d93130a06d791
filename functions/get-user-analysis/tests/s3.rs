#![allow(clippy::unwrap_used)]
//! The S3 reader against the stand-in (moto on 127.0.0.1): documents at the keys the analysis
//! job writes are served by the handler; a missing manifest is a 404. Not running is a failure.

use aws_sdk_s3::primitives::ByteStream;
use get_user_analysis::config::Source;
use get_user_analysis::{
    COMPAT_RESULTS, Config, CorsOrigins, Deps, EXTRA_RESULTS, S3Reader, Shape, handler,
};
use lambda_http::Body;
use lambda_http::http::StatusCode;
use serde_json::{Value, json};

fn request(fixture: &str) -> lambda_http::Request {
    let path = format!(
        "{}/../../events/get-user-analysis/{fixture}",
        env!("CARGO_MANIFEST_DIR")
    );
    lambda_http::request::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn body(response: &lambda_http::Response<Body>) -> Value {
    match response.body() {
        Body::Text(text) => serde_json::from_str(text).unwrap(),
        other => panic!("unexpected body {other:?}"),
    }
}

#[tokio::test]
async fn s3_reader_serves_what_the_job_wrote() {
    let mut settings = coinking_adapters::AwsSettings::from_env().unwrap();
    let port = std::env::var("COINKING_S3_PORT").unwrap_or_else(|_| "5055".into());
    let endpoint = settings
        .endpoints
        .s3
        .get_or_insert_with(|| format!("http://127.0.0.1:{port}"))
        .clone();
    assert!(
        std::net::TcpStream::connect(endpoint.trim_start_matches("http://")).is_ok(),
        "S3 stand-in not reachable at {endpoint}: run `scripts/services.sh up`"
    );
    let sdk = coinking_adapters::aws::sdk_config(&settings).await;
    let client = coinking_adapters::aws::s3_client(&sdk, &settings);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let bucket = format!("coinking-gua-{nanos:x}");
    client.create_bucket().bucket(&bucket).send().await.unwrap();
    let deps = Deps {
        reader: S3Reader::new(client.clone(), bucket.clone(), "lake"),
        config: Config {
            source: Source::S3 {
                bucket: bucket.clone(),
                prefix: "lake".into(),
            },
            interval_secs: 60,
            cors_origins: CorsOrigins::None,
        },
    };

    let response = handler(&deps, request("analysis.json")).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        body(&response)["error"]["code"],
        json!("analysis_not_found")
    );

    let mut documents = vec![
        (
            "lake/analysis/_manifest.json".to_owned(),
            json!({"generated_at_ms": 4_102_444_800_000_i64}),
        ),
        (
            "lake/analysis/users/김철수.json".to_owned(),
            json!({"userName": "김철수", "games": 2}),
        ),
    ];
    let mut results = serde_json::Map::new();
    for (name, shape) in COMPAT_RESULTS.iter().chain(EXTRA_RESULTS.iter()) {
        let value = if *shape == Shape::Array {
            json!([{"n": name}])
        } else {
            json!({"n": name})
        };
        documents.push((format!("lake/analysis/{name}.json"), value.clone()));
        results.insert((*name).to_owned(), value);
    }
    documents.push((
        "lake/analysis/_results.json".to_owned(),
        json!({"run_id": "run-1", "generated_at_ms": 4_102_444_800_000_i64, "results": results}),
    ));
    for (key, value) in documents {
        client
            .put_object()
            .bucket(&bucket)
            .key(key)
            .body(ByteStream::from(serde_json::to_vec(&value).unwrap()))
            .send()
            .await
            .unwrap();
    }

    let response = handler(&deps, request("analysis-include-all.json")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let all = body(&response);
    assert_eq!(all.as_object().unwrap().len(), 20);
    assert_eq!(all["leverage_ratio"], json!([{"n": "leverage_ratio"}]));
    let response = handler(&deps, request("user.json")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body(&response)["games"], json!(2));
}
