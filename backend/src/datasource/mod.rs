//! The Codex Flow data source: the stage health as Grafana data (`QueryData`), for alert rules,
//! State timeline and other dashboards. Its queries are answered from the same evaluation as
//! `v1/evaluate`.

pub mod alert_frames;
pub mod changes;
pub mod frames;
pub mod query;
pub mod queue_frames;
pub mod service;
