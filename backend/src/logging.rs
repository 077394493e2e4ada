//! The plugin's log subscriber: Grafana's log format on stderr (the SDK's `layer`), at the level
//! `RUST_LOG` asks for, except that the SDK's own request spans never go below `info`.
//!
//! The SDK instruments `CallResource`, `CheckHealth`, `QueryData` and the stream calls with debug
//! spans that record the whole gRPC request, whose `PluginContext` carries the app's decrypted
//! secrets. Capping those targets keeps a secret out of the log at any level anyone sets.

use tracing_subscriber::prelude::*;
use tracing_subscriber::EnvFilter;

/// The SDK's targets whose spans record a request.
const REQUEST_SPANS: [&str; 4] = [
    "grafana_plugin_sdk::backend::resource",
    "grafana_plugin_sdk::backend::diagnostics",
    "grafana_plugin_sdk::backend::data",
    "grafana_plugin_sdk::backend::stream",
];

/// The filter for `rust_log` (the `RUST_LOG` value, `info` when unset or unreadable).
pub fn filter(rust_log: Option<&str>) -> EnvFilter {
    let base = rust_log.and_then(|v| EnvFilter::try_new(v).ok()).unwrap_or_else(|| EnvFilter::new("info"));
    REQUEST_SPANS.iter().fold(base, |f, target| match format!("{target}=info").parse() {
        Ok(directive) => f.add_directive(directive),
        Err(_) => f,
    })
}

/// Installs the subscriber; call once, before the plugin serves.
pub fn init() {
    let rust_log = std::env::var("RUST_LOG").ok();
    let _ = tracing_subscriber::registry()
        .with(grafana_plugin_sdk::backend::layer())
        .with(filter(rust_log.as_deref()))
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_spans_stay_at_info_whatever_the_user_asks() {
        for asked in [
            None,
            Some("debug"),
            Some("trace"),
            Some("grafana_plugin_sdk=trace"),
            Some("grafana_plugin_sdk::backend::resource=trace,debug"),
        ] {
            let text = filter(asked).to_string();
            for target in REQUEST_SPANS {
                assert!(text.contains(&format!("{target}=info")), "{asked:?}: {text}");
                assert!(
                    !text.contains(&format!("{target}=trace")) && !text.contains(&format!("{target}=debug")),
                    "{asked:?}: {text}"
                );
            }
        }
    }
}
