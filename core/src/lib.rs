//! Codex Flow's shared core: the wire contract between the backend and the
//! WASM frontends, and the pure logic both sides run (alert states, stage
//! health, reasons, number formatting, limits). It builds for native and
//! `wasm32-unknown-unknown`, so the panel and the backend cannot disagree
//! about a field name or about what "firing" means. Its only I/O is
//! `web::call`, compiled for wasm32 alone: the frontends' one call through
//! the host's request function.

pub mod alerting;
pub mod api;
pub mod bottleneck;
pub mod by_name;
pub mod changes;
pub mod compact;
pub mod datasource;
pub mod duration;
pub mod error;
pub mod format;
pub mod labels;
pub mod limits;
pub mod moment_param;
pub mod options;
pub mod panel_map;
pub mod pipeline;
pub mod prometheus;
pub mod queue;
pub mod reason;
pub mod routes;
pub mod runbook;
pub mod settings;
pub mod silence;
pub mod status;
pub mod theme;
pub mod value;
pub mod web;

pub use alerting::{AlertState, Ticks};
pub use labels::Labels;
pub use status::StageStatus;
