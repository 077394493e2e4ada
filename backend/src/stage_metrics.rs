//! `v1/stage-metrics`: a stage's raw panels over a window, for the drill-down charts.

use codexflow_core::api::{NamedSeries, PanelSeries, StageMetricsRequest, StageMetricsResponse};
use codexflow_core::error::FieldError;
use codexflow_core::limits::{MAX_EPOCH_MS, STAGE_METRICS_DEFAULT_POINTS, STAGE_METRICS_MAX_POINTS};
use codexflow_core::Ticks;

use crate::budget::Budget;
use crate::series::dense_points;
use crate::settings::Settings;
use crate::upstream::{Ask, Purpose, Upstream};

/// The step for `points` points over `[from, to]`: whole seconds, so viewers of the same window share
/// upstream queries.
fn step_ms(from: i64, to: i64, points: u32) -> i64 {
    let raw = (to - from) / (i64::from(points) - 1);
    (raw.max(1_000) + 999) / 1_000 * 1_000
}

pub async fn stage_metrics(
    settings: &Settings,
    upstream: &Upstream<'_>,
    req: &StageMetricsRequest,
) -> Result<StageMetricsResponse, FieldError> {
    let stage = settings.pipeline.stage(&req.stage).ok_or_else(|| {
        let known: Vec<_> = settings.pipeline.stages.iter().map(|s| s.id.as_str()).collect();
        FieldError::new("stage", format!("unknown stage {:?}; known stages: {}", req.stage, known.join(", ")))
    })?;
    if req.from < 0 || req.from > req.to || req.to > MAX_EPOCH_MS {
        return Err(FieldError::new(
            "from",
            format!("need 0 <= from <= to <= {MAX_EPOCH_MS}, got from={} to={}", req.from, req.to),
        ));
    }
    let points = req.max_points.unwrap_or(STAGE_METRICS_DEFAULT_POINTS);
    if !(2..=STAGE_METRICS_MAX_POINTS).contains(&points) {
        return Err(FieldError::new(
            "maxPoints",
            format!("must be between 2 and {STAGE_METRICS_MAX_POINTS}, got {points}"),
        ));
    }
    let step = step_ms(req.from, req.to, points);
    let ticks = Ticks::covering(req.from, req.to, step);
    let budget = Budget::default();
    // Every target of every panel, asked in one round (`crate::upstream`): repeats once.
    let asks: Vec<Ask> = stage
        .raw_panels
        .iter()
        .flat_map(|p| p.targets.iter())
        .enumerate()
        .map(|(i, t)| Ask::new(&t.expr, ticks, Purpose::Panel(i)))
        .collect();
    let mut answers = upstream.ask(&asks, &budget).await.into_iter();
    let panels = stage
        .raw_panels
        .iter()
        .map(|panel| {
            let mut out = PanelSeries {
                panel_id: panel.id,
                title: panel.title.clone(),
                unit: panel.unit.clone(),
                series: Vec::new(),
                errors: Vec::new(),
            };
            for target in &panel.targets {
                match answers.next().unwrap_or_else(|| Ok(Vec::new())) {
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
        })
        .collect();
    Ok(StageMetricsResponse { stage: stage.id.clone(), step_ms: step, panels })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_whole_seconds_and_never_zero() {
        assert_eq!(step_ms(0, 600_000, 601), 1_000);
        assert_eq!(step_ms(0, 86_400_000, 600), 145_000);
        assert_eq!(step_ms(0, 0, 2), 1_000);
        assert_eq!(step_ms(0, MAX_EPOCH_MS, 2) % 1_000, 0);
    }
}
