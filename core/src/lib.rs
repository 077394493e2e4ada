//! Codex Flow's shared core: the wire contract between the backend and the
//! WASM panel, and the pure logic both run (alert states, stage health,
//! number formatting). It has no I/O and builds for native and
//! `wasm32-unknown-unknown`, so the panel and the backend cannot disagree
//! about a field name or about what "firing" means.

pub mod alerting;
pub mod api;
pub mod duration;
pub mod format;
pub mod labels;
pub mod pipeline;
pub mod status;
pub mod theme;
pub mod value;

pub use alerting::{AlertState, Ticks};
pub use labels::Labels;
pub use status::StageStatus;
