//! The one rustls client configuration (ring provider, OS trust store) for `wss://` and HTTPS.

use std::sync::Arc;

use rustls::ClientConfig;
use tracing::warn;

/// Builds the client TLS config. Fails when the OS trust store is empty (the container image
/// needs `ca-certificates`).
pub(crate) fn client_config() -> Result<ClientConfig, String> {
    let mut roots = rustls::RootCertStore::empty();
    let loaded = rustls_native_certs::load_native_certs();
    for err in &loaded.errors {
        warn!(error = %err, "could not load a native root certificate");
    }
    let (added, _ignored) = roots.add_parsable_certificates(loaded.certs);
    if added == 0 {
        return Err("no root certificates in the OS trust store (install ca-certificates)".into());
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| err.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(config)
}
