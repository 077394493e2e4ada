//! Test and demo harness: plays Grafana's part towards the plugin binary and
//! runs the pipeline's telemetry in a real Prometheus.

pub mod oracle;
pub mod plugin_host;
pub mod prometheus;
pub mod scenario;
pub mod stories;
pub mod upstreams;
pub mod devhost;
pub mod http;
pub mod simulator;
pub mod provisioning;
pub mod browser;
pub mod angular;

