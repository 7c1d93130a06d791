//! Lambda entry point: config and clients once, then the handler for every request.

use coinking_adapters::{AwsSettings, aws};
use coinking_click_sink::handler_retry_policy;
use coinking_click_sink::kinesis::KinesisClickSink;
use lambda_http::{Error, run, service_fn};
use post_clickstream::{Config, Service, handle};

#[tokio::main]
async fn main() -> Result<(), Error> {
    coinking_http::init_logging();
    let config = Config::from_env()?;
    let settings = AwsSettings::from_env()?;
    let sdk = aws::lambda_sdk_config(&settings);
    let sink = KinesisClickSink::new(
        aws::kinesis_client(&sdk, &settings),
        config.stream,
        handler_retry_policy(),
    );
    let service =
        Service::new(sink, config.rules, config.cors).with_nickname_key(config.nickname_key);
    run(service_fn(|request| async {
        Ok::<_, std::convert::Infallible>(handle(&service, request).await)
    }))
    .await
}
