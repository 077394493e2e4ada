//! The resource API's paths under `/api/plugins/<app id>/resources/`, as the backend routes them and
//! the panel and config page call them (`docs/api.md`).

pub const EVALUATE: &str = "v1/evaluate";
pub const STAGE_METRICS: &str = "v1/stage-metrics";
pub const RULES: &str = "v1/rules";
pub const PIPELINE: &str = "v1/pipeline";
pub const PANEL_MAP: &str = "v1/panel-map";
pub const SETTINGS_CHECK: &str = "v1/settings/check";
