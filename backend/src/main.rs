//! `gpx_codexflow`: started by Grafana as a go-plugin (protocol 2, gRPC).
//!
//! Nothing may reach stdout before the handshake line the SDK prints; logs go to stderr.

use grafana_plugin_sdk::backend;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listener = backend::initialize().await?;
    // Accepted sockets inherit TCP_NODELAY from the listener on Linux. Without it, Nagle's algorithm and
    // delayed ACKs stall every multi-segment gRPC answer by ~40 ms (Grafana's Go side sets NODELAY itself).
    if let Err(e) = socket2::SockRef::from(&listener).set_tcp_nodelay(true) {
        eprintln!("warning: cannot set TCP_NODELAY on the plugin listener: {e}");
    }
    let plugin = codexflow_backend::CodexFlowPlugin::default();
    backend::Plugin::new()
        .diagnostics_service(plugin.clone())
        .resource_service(plugin)
        .init_subscriber(true)
        .start(listener)
        .await?;
    Ok(())
}
