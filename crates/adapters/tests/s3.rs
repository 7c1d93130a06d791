#![allow(clippy::unwrap_used)]
//! S3 adapter against moto on 127.0.0.1: path-style buckets, prefixes, exact bytes.

mod common;

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use coinking_adapters::aws;
use common::{bounded, must};

const PREFIX: &str = "clickstream/dt=2024-11-25/";

#[tokio::test]
async fn s3_object_round_trips_byte_for_byte_and_lists_by_prefix() {
    let settings = common::aws_settings();
    let endpoint = settings.endpoints.s3.clone().unwrap();
    common::require_service("S3 stand-in (moto_server)", &endpoint);
    let sdk = aws::sdk_config(&settings).await;
    let client = aws::s3_client(&sdk, &settings);
    let bucket = format!("coinking-test-{}", uuid::Uuid::new_v4());

    let mut create = client.create_bucket().bucket(&bucket);
    // us-east-1 is the one region that must not be named as a location constraint.
    if settings.region != "us-east-1" {
        create = create.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(settings.region.as_str()))
                .build(),
        );
    }
    must(
        "create bucket",
        bounded("create bucket", create.send()).await,
    );
    let cleanup = {
        let (client, bucket) = (client.clone(), bucket.clone());
        async move { empty_and_delete(&client, &bucket).await }
    };
    common::with_cleanup(exercise_bucket(client, bucket), cleanup).await;
}

async fn exercise_bucket(client: Client, bucket: String) {
    // Every byte value plus multi-byte UTF-8: nothing may be re-encoded on the way.
    let mut body: Vec<u8> = (0..=255u8).collect();
    body.extend_from_slice("{\"coin_name\":\"비트코인\"}".as_bytes());
    let key = format!("{PREFIX}hour=02/shardId-000000000000-4959.parquet");
    let neighbours = [
        "clickstream/dt=2024-11-26/hour=00/other.parquet",
        "clickstream-bad/dt=2024-11-25/hour=02/bad.json",
        "analysis/_manifest.json",
    ];

    let put = client
        .put_object()
        .bucket(&bucket)
        .key(&key)
        .content_type("application/octet-stream")
        .body(ByteStream::from(body.clone()))
        .send();
    must("put object", bounded("put object", put).await);
    for other in neighbours {
        let put = client
            .put_object()
            .bucket(&bucket)
            .key(other)
            .body(ByteStream::from_static(b"{}"))
            .send();
        must("put object", bounded("put object", put).await);
    }

    let listed = client
        .list_objects_v2()
        .bucket(&bucket)
        .prefix(PREFIX)
        .send();
    let listed = must("list objects", bounded("list objects", listed).await);
    let keys_and_sizes: Vec<(String, i64)> = listed
        .contents()
        .iter()
        .map(|object| {
            (
                object.key().unwrap_or_default().to_owned(),
                object.size().unwrap_or(-1),
            )
        })
        .collect();
    assert_eq!(
        keys_and_sizes,
        vec![(key.clone(), i64::try_from(body.len()).unwrap())]
    );

    let got = client.get_object().bucket(&bucket).key(&key).send();
    let got = must("get object", bounded("get object", got).await);
    assert_eq!(got.content_type(), Some("application/octet-stream"));
    let bytes = bounded("read object body", got.body.collect())
        .await
        .unwrap()
        .into_bytes();
    assert_eq!(bytes.as_ref(), body.as_slice());
}

async fn empty_and_delete(client: &Client, bucket: &str) {
    let listed = client.list_objects_v2().bucket(bucket).send();
    let listed = must(
        "list objects for cleanup",
        bounded("list objects", listed).await,
    );
    for object in listed.contents() {
        let key = object.key().unwrap_or_default();
        let deleted = client.delete_object().bucket(bucket).key(key).send();
        must("delete object", bounded("delete object", deleted).await);
    }
    let deleted = client.delete_bucket().bucket(bucket).send();
    must("delete bucket", bounded("delete bucket", deleted).await);
}
