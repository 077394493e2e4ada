//! Codex Flow's Grafana backend: evaluates the pipeline's alert rules against a
//! Prometheus-compatible API exactly as a Prometheus ruler would, and serves
//! stage health, alert timelines and stage metrics to the flow panel.

pub mod alert_template;
pub mod alertmanager;
pub mod bottleneck;
pub mod budget;
pub mod datasource;
pub mod defaults;
pub mod evaluate;
pub mod freshness;
pub mod fuzz_checks;
pub mod health;
pub mod insight;
pub mod listener;
pub mod logging;
pub mod memory;
pub mod moment;
pub mod panel_map;
pub mod plugin;
pub mod prom;
pub mod promql;
pub mod resource_error;
pub mod routes;
pub mod ruler;
pub mod rules;
pub mod rules_in_force;
pub mod series;
pub mod serve;
pub mod settings;
pub mod settings_cache;
pub mod stage_metrics;
pub mod stage_reads;
pub mod upstream;

pub use plugin::CodexFlowPlugin;
