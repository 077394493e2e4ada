//! CheckHealth, Grafana's "Save & test": are the settings usable, does the upstream answer with the
//! configured tenant and credentials, and which of the metrics the rules and pipeline read exist there.

use codexflow_core::api::HealthDetails;
use codexflow_core::error::FieldError;
use grafana_plugin_sdk::backend::CheckHealthResponse;

use crate::promql::Query;
use crate::resource_error::ResourceError;
use crate::rules::RuleSet;
use crate::settings::Settings;
use crate::settings_cache::Ready;
use crate::stage_reads;

/// How far back CheckHealth looks for the expected metrics.
const METRICS_LOOKBACK_MS: i64 = 3_600_000;

/// Metric names the configured rules (`rulesYaml`, else the built-in ones), headlines, raw panels
/// and edges read, sorted and without repeats.
pub fn expected_metrics(settings: &Settings) -> Vec<String> {
    expected_metrics_of(settings, settings.rules.yaml.as_ref().unwrap_or(&settings.rules.builtin))
}

/// The same with the rules of `set` (the rules in force, read from the ruler).
pub fn expected_metrics_of(settings: &Settings, set: &RuleSet) -> Vec<String> {
    let pipeline = &settings.pipeline;
    let stages = pipeline.stages.iter().flat_map(stage_reads::exprs);
    let edges = pipeline.edges.iter().map(|e| &e.rate_expr);
    let (mut names, _) = stage_reads::metric_names(stages.chain(edges).map(String::as_str));
    names.extend(set.rules.iter().filter_map(|r| r.query.as_ref().ok()).flat_map(Query::metric_names));
    names.into_iter().collect()
}

pub async fn check_health(compiled: Result<&Ready, &FieldError>, now: i64) -> CheckHealthResponse {
    let mut details = HealthDetails::default();
    let ready = match compiled {
        Ok(r) => r,
        Err(e) => {
            details.errors.push(ResourceError::rejected_settings(e.clone()).api_error());
            return answer(false, format!("Invalid settings: {e}"), &details);
        }
    };
    let (settings, client) = (&ready.settings, &ready.client);
    details.prometheus_url = Some(settings.prometheus_url.clone());
    if let Err(e) = client.probe(now).await {
        details.reachable = e.reached();
        details.errors.push(upstream_error(&e.to_string()));
        return answer(false, e.to_string(), &details);
    }
    details.reachable = true;
    details.auth_accepted = true;

    // The rules in force (read from the ruler now if need be) and what they read.
    let rules = ready.rules(now).await;
    details.rules_source = Some(rules.note.clone());
    let expected = expected_metrics_of(settings, &rules.set);
    let matcher = format!("{{__name__=~\"{}\"}}", expected.join("|"));
    let names = match client.label_values("__name__", &[matcher], now - METRICS_LOOKBACK_MS, now).await {
        Ok(names) => names,
        Err(e) => {
            details.errors.push(upstream_error(&e.to_string()));
            return answer(false, format!("Connected, but listing metrics failed: {e}"), &details);
        }
    };
    let (present, missing): (Vec<String>, Vec<String>) = expected.into_iter().partition(|n| names.contains(n));
    let tenant = settings.tenant.as_deref().map(|t| format!(" (tenant {t})")).unwrap_or_default();
    let mut message = format!(
        "Connected to {}{tenant}: {} of {} expected metrics present in the last hour",
        settings.prometheus_url,
        present.len(),
        present.len() + missing.len()
    );
    if !missing.is_empty() {
        message.push_str(&format!("; missing: {} (stages reading them show no data)", missing.join(", ")));
    }
    message.push_str(&format!(". Rules: {} ({})", rules.note.source.as_str(), rules.note.why));
    if let Some(fallback) = &rules.note.fallback {
        message.push_str(&format!("; {fallback}"));
    }
    details.settled = Some(ready.settled.usage());
    details.metrics_present = present;
    details.metrics_missing = missing;
    answer(true, message, &details)
}

fn upstream_error(message: &str) -> codexflow_core::api::ApiError {
    codexflow_core::api::ApiError {
        code: codexflow_core::error::ErrorCode::Upstream,
        error: message.to_string(),
        field: None,
    }
}

fn answer(ok: bool, message: String, details: &HealthDetails) -> CheckHealthResponse {
    let response = if ok { CheckHealthResponse::ok(message) } else { CheckHealthResponse::error(message) };
    response.with_json_details(serde_json::to_value(details).unwrap_or(serde_json::Value::Null))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_configuration_expects_the_runbook_metrics_once_each() {
        let s = Settings::from_grafana(&serde_json::json!({"prometheusUrl": "http://p"}), &Default::default()).unwrap();
        let names = expected_metrics(&s);
        assert!(names.windows(2).all(|w| w[0] < w[1]), "sorted, no repeats: {names:?}");
        for n in [
            "kafka_consumergroup_lag",
            "jetstream_consumer_num_pending",
            "jangar_agent_comms_inserted_total",
            "jangar_sse_errors_total",
        ] {
            assert!(names.iter().any(|m| m == n), "{n} in {names:?}");
        }
    }
}
