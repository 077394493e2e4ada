//! Which dashboard panels show which stage, by what they query (`POST v1/panel-map`).
//!
//! A stage is known by the metric names its headline and raw-panel queries read; a panel by the
//! metric names of its queries, parsed with the same PromQL parser the evaluation uses. A panel
//! belongs to the stage it shares the most metric names with; on a tie, to every stage tied (it
//! shows them alike, `crate::stage_reads`); sharing none, to no stage. A stage's panels keep the dashboard's layout
//! order. Grafana's own interval variables (`$__rate_interval`, `$__interval`, …), which a panel's
//! `replaceVariables` leaves for query time, read as `5m`, so the query parses as Grafana would run it.

use codexflow_core::error::FieldError;
use codexflow_core::limits::{MAX_DASHBOARD_PANELS, MAX_PANEL_QUERIES, MAX_PANEL_TITLE_BYTES};
use codexflow_core::panel_map::{FoundPanel, PanelMapRequest, PanelMapResponse, StageFound, UnreadPanel};
use codexflow_core::pipeline::PipelineSpec;

use crate::stage_reads;

/// Refuses a request beyond the documented limits, naming the field.
pub fn check(req: &PanelMapRequest) -> Result<(), FieldError> {
    if req.panels.len() > MAX_DASHBOARD_PANELS {
        return Err(FieldError::new("panels", format!("{} panels; at most {MAX_DASHBOARD_PANELS}", req.panels.len())));
    }
    for (i, p) in req.panels.iter().enumerate() {
        if p.exprs.len() > MAX_PANEL_QUERIES {
            return Err(FieldError::new(
                format!("panels[{i}].exprs"),
                format!("{} queries; at most {MAX_PANEL_QUERIES}", p.exprs.len()),
            ));
        }
        if p.title.len() > MAX_PANEL_TITLE_BYTES {
            return Err(FieldError::new(
                format!("panels[{i}].title"),
                format!("longer than {MAX_PANEL_TITLE_BYTES} bytes"),
            ));
        }
    }
    Ok(())
}

/// Grafana's built-in interval variables as a duration, so the expression parses.
fn with_builtin_intervals(expr: &str) -> String {
    let mut out = String::with_capacity(expr.len());
    let mut rest = expr;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (braced, body) = match after.strip_prefix('{') {
            Some(b) => (true, b),
            None => (false, after),
        };
        let name_len = body.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(body.len());
        let name = &body[..name_len];
        let closes = !braced || body[name_len..].starts_with('}');
        if name.starts_with("__") && closes {
            out.push_str("5m");
            rest = &body[name_len + usize::from(braced)..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// The panels of the dashboard for each stage of `pipeline`.
pub fn map_panels(pipeline: &PipelineSpec, req: &PanelMapRequest) -> PanelMapResponse {
    let mut stages: Vec<StageFound> = pipeline
        .stages
        .iter()
        .map(|s| {
            let mut queries: Vec<String> = stage_reads::exprs(s).cloned().collect();
            queries.dedup();
            StageFound { stage: s.id.clone(), panels: Vec::new(), queries }
        })
        .collect();
    let stage_metrics = stage_reads::per_stage(pipeline);
    let mut unread = Vec::new();
    for panel in &req.panels {
        let exprs: Vec<String> = panel.exprs.iter().map(|e| with_builtin_intervals(e)).collect();
        let (names, errors) = stage_reads::metric_names(exprs.iter().map(String::as_str));
        if let Some(error) = errors.into_iter().next().filter(|_| names.is_empty()) {
            unread.push(UnreadPanel { id: panel.id, error });
            continue;
        }
        for (i, metrics) in stage_reads::sharing_most(&names, &stage_metrics) {
            if let Some(stage) = stages.get_mut(i) {
                stage.panels.push(FoundPanel { id: panel.id, title: panel.title.clone(), metrics });
            }
        }
    }
    PanelMapResponse { stages, unread }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::defaults::pipeline as default_pipeline;
    use codexflow_core::panel_map::DashboardPanel;

    fn panel(id: u32, title: &str, exprs: &[&str]) -> DashboardPanel {
        DashboardPanel { id, title: title.into(), exprs: exprs.iter().map(|s| s.to_string()).collect() }
    }

    fn ids(r: &PanelMapResponse, stage: &str) -> Vec<u32> {
        r.stages.iter().find(|s| s.stage == stage).map(|s| s.panels.iter().map(|p| p.id).collect()).unwrap_or_default()
    }

    #[test]
    fn a_teams_dashboard_is_mapped_by_its_queries_in_layout_order() {
        let req = PanelMapRequest {
            panels: vec![
                panel(
                    40,
                    "Consumer lag (team)",
                    &[r#"sum by (partition) (kafka_consumergroup_lag{consumergroup="$group"})"#],
                ),
                panel(12, "Inserts", &["sum(rate(jangar_agent_comms_inserted_total[$__rate_interval]))"]),
                panel(3, "Notes", &[]),
                panel(14, "Offsets", &["sum(rate(kafka_topic_partition_current_offset[${__interval}]))"]),
                panel(7, "CPU", &["rate(process_cpu_seconds_total[5m])"]),
            ],
        };
        let r = map_panels(&default_pipeline(), &req);
        assert_eq!(ids(&r, "kafka"), [40, 14]);
        assert_eq!(ids(&r, "jangar"), [12]);
        assert_eq!(ids(&r, "nats"), Vec::<u32>::new(), "a stage without panels is listed, empty");
        assert_eq!(r.stages.iter().map(|s| s.stage.as_str()).collect::<Vec<_>>(), ["kafka", "nats", "jangar", "sse"]);
        assert!(r.unread.is_empty());
        assert!(
            r.stages[1].queries.iter().any(|q| q.contains("jetstream_consumer_num_pending")),
            "Explore gets the stage's own queries"
        );
        let kafka = &r.stages[0].panels[0];
        assert_eq!(
            (kafka.title.as_str(), kafka.metrics.as_slice()),
            ("Consumer lag (team)", &["kafka_consumergroup_lag".to_string()][..])
        );
    }

    #[test]
    fn most_metrics_in_common_wins_and_a_tie_goes_to_every_stage_tied() {
        let req = PanelMapRequest {
            panels: vec![
                // One NATS metric and two Jangar ones: Jangar.
                panel(1, "mixed", &["jetstream_stream_last_seq + jangar_agent_comms_inserted_total + jangar_agent_comms_ingest_errors_total"]),
                // One each: both stages, which it shows alike.
                panel(2, "tie", &["jetstream_stream_last_seq", "jangar_agent_comms_inserted_total"]),
            ],
        };
        let r = map_panels(&default_pipeline(), &req);
        assert_eq!((ids(&r, "jangar"), ids(&r, "nats")), (vec![1, 2], vec![2]));
    }

    #[test]
    fn unreadable_queries_are_reported_not_fatal() {
        let req = PanelMapRequest {
            panels: vec![
                panel(5, "broken", &["sum(rate(x[5m]"]),
                panel(6, "half", &["sum(", "kafka_consumergroup_lag"]),
            ],
        };
        let r = map_panels(&default_pipeline(), &req);
        assert_eq!(r.unread.iter().map(|u| u.id).collect::<Vec<_>>(), [5]);
        assert_eq!(ids(&r, "kafka"), [6], "one readable query is enough");
    }

    #[test]
    fn builtin_variables_read_as_durations_and_others_stay() {
        assert_eq!(with_builtin_intervals("rate(a[$__rate_interval]) / ${__range_s}"), "rate(a[5m]) / 5m");
        assert_eq!(with_builtin_intervals("a{x=\"$team\"} $"), "a{x=\"$team\"} $");
        assert_eq!(with_builtin_intervals("${__oops"), "${__oops");
        assert_eq!(with_builtin_intervals("é$__interval€"), "é5m€");
    }

    #[test]
    fn limits_name_the_field() {
        let many = PanelMapRequest { panels: vec![DashboardPanel::default(); MAX_DASHBOARD_PANELS + 1] };
        assert_eq!(check(&many).unwrap_err().field, "panels");
        let queries = PanelMapRequest {
            panels: vec![DashboardPanel { exprs: vec!["a".into(); MAX_PANEL_QUERIES + 1], ..Default::default() }],
        };
        assert_eq!(check(&queries).unwrap_err().field, "panels[0].exprs");
    }
}
