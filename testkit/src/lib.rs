//! Test and demo harness: plays Grafana's part towards the plugin binary and
//! runs the pipeline's telemetry in a real Prometheus.

pub mod alertmanager;
pub mod browser;
/// A real server process for a test: started, awaited, logged and cleaned up the same way.
pub mod daemon;
/// Everything that plays Grafana: the plugin host, the dev host and its page, provisioning, the
/// Angular detector.
pub mod grafana;
pub mod http;
pub mod oracle;
pub mod prometheus;
pub mod scenario;
pub mod simulator;
pub mod stories;
pub mod upstreams;
