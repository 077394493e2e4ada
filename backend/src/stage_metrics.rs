//! `v1/stage-metrics`: a stage's raw panels over a window, for the drill-down charts.

use codexflow_core::api::{NamedSeries, PanelSeries, StageMetricsRequest, StageMetricsResponse};
use codexflow_core::Ticks;
use futures_util::future::join_all;

use crate::evaluate::{dense_points, BadRequest};
use crate::prom::PromClient;
use crate::settings::Settings;

/// Default and ceiling for points per series.
const DEFAULT_POINTS: u32 = 600;
const MAX_POINTS: u32 = 5_000;

pub async fn stage_metrics(settings: &Settings, client: &PromClient, req: &StageMetricsRequest) -> Result<StageMetricsResponse, BadRequest> {
    let bad = |field: &str, message: String| BadRequest { field: field.into(), message };
    let stage = settings.pipeline.stage(&req.stage).ok_or_else(|| {
        let known: Vec<_> = settings.pipeline.stages.iter().map(|s| s.id.as_str()).collect();
        bad("stage", format!("unknown stage {:?}; known stages: {}", req.stage, known.join(", ")))
    })?;
    if req.from < 0 || req.from > req.to {
        return Err(bad("from", format!("need 0 <= from <= to, got from={} to={}", req.from, req.to)));
    }
    let points = req.max_points.unwrap_or(DEFAULT_POINTS);
    if !(2..=MAX_POINTS).contains(&points) {
        return Err(bad("maxPoints", format!("must be between 2 and {MAX_POINTS}, got {points}")));
    }
    // Whole seconds, aligned to the step, so viewers of the same window share upstream queries.
    let step = (((req.to - req.from) / (points as i64 - 1)).max(1_000) + 999) / 1_000 * 1_000;
    let ticks = Ticks::covering(req.from, req.to, step);
    let fetches = stage.raw_panels.iter().map(|panel| async move {
        let mut out = PanelSeries { panel_id: panel.id, title: panel.title.clone(), unit: panel.unit.clone(), series: Vec::new(), errors: Vec::new() };
        if ticks.count == 0 {
            return out;
        }
        let results = join_all(panel.targets.iter().map(|t| client.query_range(&t.expr, ticks.first, ticks.at(ticks.count - 1), step))).await;
        for (target, result) in panel.targets.iter().zip(results) {
            match result {
                Err(e) => out.errors.push(format!("{}: {e}", target.ref_id)),
                Ok(series) => out.series.extend(series.into_iter().map(|s| NamedSeries {
                    ref_id: target.ref_id.clone(),
                    legend: target.legend.clone(),
                    points: dense_points(&ticks, &s.samples),
                    labels: s.labels.into(),
                })),
            }
        }
        out
    });
    Ok(StageMetricsResponse { stage: stage.id.clone(), step_ms: step, panels: join_all(fetches).await })
}
