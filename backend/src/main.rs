//! `gpx_codexflow`: started by Grafana as a go-plugin (protocol 2, gRPC).
//!
//! Nothing may reach stdout before the handshake line the SDK prints; logs go to stderr.

use grafana_plugin_sdk::backend;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listener = backend::initialize().await?;
    let plugin = codexflow_backend::CodexFlowPlugin::default();
    backend::Plugin::new()
        .diagnostics_service(plugin.clone())
        .resource_service(plugin)
        .init_subscriber(true)
        .start(listener)
        .await?;
    Ok(())
}
