//! The get-user-analysis Lambda's entry: tracing, config, the reader, then the handler loop.

use get_user_analysis::config::Source;
use get_user_analysis::{Config, Deps, DirReader, S3Reader, handler};
use lambda_http::{Error, Request, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    coinking_http::init_logging();
    let config = Config::from_env()?;
    match config.source.clone() {
        Source::S3 { bucket, prefix } => {
            let settings = coinking_adapters::AwsSettings::from_env()?;
            let sdk = coinking_adapters::aws::lambda_sdk_config(&settings);
            let client = coinking_adapters::aws::s3_client(&sdk, &settings);
            let deps = Deps {
                reader: S3Reader::new(client, bucket, &prefix),
                config,
            };
            run(service_fn(|request: Request| {
                let deps = &deps;
                async move { Ok::<_, Error>(handler(deps, request).await) }
            }))
            .await
        }
        Source::Dir(root) => {
            let deps = Deps {
                reader: DirReader::new(root),
                config,
            };
            run(service_fn(|request: Request| {
                let deps = &deps;
                async move { Ok::<_, Error>(handler(deps, request).await) }
            }))
            .await
        }
    }
}
