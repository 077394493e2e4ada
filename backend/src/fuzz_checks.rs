//! The properties the fuzz targets check, one function per parser a viewer or an upstream can reach.
//!
//! They live in the library, not in `backend/fuzz/`, so that `cargo test` replays every committed seed
//! and regression input through exactly the same checks (see `tests/fuzz_regressions.rs`) without the
//! nightly-only libFuzzer build. Each function must return normally for every input: a panic is the bug.

use std::collections::{BTreeMap, HashMap};

use codexflow_core::api::{EvaluateRequest, SettingsCheckRequest, StageMetricsRequest};
use codexflow_core::limits::MAX_TICKS;

use crate::prom::wire::{parse, Expect};
use crate::prom::Redactor;
use crate::routes::parse_body;
use crate::settings::Settings;

/// A secret the checks plant so they can assert that no error text ever repeats it.
const PLANTED_SECRET: &str = "s3cret-planted";

/// One target's check: returns for every input, panics on a bug.
pub type Check = fn(&[u8]);

/// The fuzz targets, by the name `cargo fuzz` knows them and the folder their inputs live in.
pub const TARGETS: [(&str, Check); 8] = [
    ("settings", settings),
    ("rules_yaml", rules_yaml),
    ("promql", promql),
    ("prom_answer", prom_answer),
    ("resource_bodies", resource_bodies),
    ("ruler_answer", ruler_answer),
    ("datasource_query", datasource_query),
    ("alert_template", alert_template),
];

/// jsonData plus a bearer token as Grafana hands them over; the last quarter of the input is the secret.
pub fn settings(data: &[u8]) {
    let (json, secret) = data.split_at(data.len() / 4 * 3);
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(json) else { return };
    let secret = String::from_utf8_lossy(secret).to_string();
    let with = |token: &str| {
        let secrets: HashMap<String, String> =
            [(codexflow_core::settings::SecretKey::BearerToken.as_str().to_string(), token.to_string())].into();
        Settings::from_grafana(&value, &secrets)
    };
    // What the same settings say with another token of the same length: a token that happens to be
    // public text (the default pipeline's `jetstream_stream_total_me…`) is in it too, and is no leak.
    let other = "\u{1}".repeat(secret.chars().count());
    let shown = |r: &Result<Settings, codexflow_core::error::FieldError>| match r {
        Ok(settings) => format!("{settings:?}"),
        Err(e) => e.to_string(),
    };
    let answer = with(&secret);
    if let Ok(settings) = &answer {
        let _ = crate::health::expected_metrics(settings);
    }
    if secret.len() >= 8 {
        let (leaked, public) = (shown(&answer).matches(&secret).count(), shown(&with(&other)).matches(&secret).count());
        assert!(
            leaked <= public,
            "the bearer token in the settings' Debug output or error: {leaked} times, {public} without it"
        );
    }
}

/// A rule file: parsed or refused; every parsed rule gets a stage decision and can be summarised.
pub fn rules_yaml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(mut set) = crate::rules::RuleSet::parse(text) {
        crate::rules::stage::assign(&mut set, &crate::defaults::pipeline(), &BTreeMap::new());
        for rule in &set.rules {
            assert!(rule.stage.is_some() || rule.stage_why.starts_with("unassigned"), "{}: no decision", rule.name);
            let _ = (rule.summary(&set.groups), rule.info(&set.groups));
        }
        let _ = set.group_summaries(60_000);
    }
}

/// An annotation template from a rule file or a ruler: expanded or shown as written, for a few
/// values, never longer than the limit unless it is the text as written.
pub fn alert_template(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let labels: BTreeMap<String, String> =
        [("instance", "db-1:9100"), ("job", "node")].into_iter().map(|(k, v)| (k.into(), v.into())).collect();
    for value in [0.0, -1.5, 1234567.0, f64::NAN, f64::INFINITY, 1e300, 5e-324] {
        let out = crate::alert_template::expand_or_as_written(text, &labels, value);
        let limit = codexflow_core::limits::MAX_EXPANDED_ANNOTATION_BYTES + 4096;
        assert!(out == text || out.len() <= limit, "{} bytes from a {}-byte template", out.len(), text.len());
    }
}

/// A rules API answer (`data`), through selection, phase placement and the choice of rules.
pub fn ruler_answer(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(groups) = crate::ruler::wire::groups(text) else { return };
    let Ok(settings) = Settings::from_grafana(
        &serde_json::json!({"prometheusUrl": "http://fuzz", "ruleGroups": ".*"}),
        &HashMap::new(),
    ) else {
        return;
    };
    let in_force = crate::rules_in_force::decide(&settings, Ok(&groups), 1_800_000_000_000);
    for g in &in_force.set.groups {
        let s = g.summary(60_000);
        assert!(
            (0..s.interval_ms.max(1)).contains(&s.phase_ms),
            "phase {} outside its interval {}",
            s.phase_ms,
            s.interval_ms
        );
    }
    let _ = in_force.set.infos();
    let req = EvaluateRequest {
        from: 1_800_000_000_000,
        to: 1_800_000_600_000,
        interval_ms: None,
        encoding: Default::default(),
    };
    if let Ok(plan) = crate::evaluate::plan::plan(&req, 60_000, &in_force.set) {
        assert_eq!(plan.rules.len(), in_force.set.rules.len());
    }
}

/// A PromQL expression: through the shape check, the parser and every analysis the backend runs.
pub fn promql(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(q) = crate::promql::Query::parse(text) {
        let _ = q.metric_names();
        let _ = q.threshold();
        let _ = q.can_have_data(&|s: &str| s.len().is_multiple_of(2));
        let labels: BTreeMap<String, String> = [("__name__".to_string(), text.chars().take(8).collect())].into();
        let _ = q.selectors_present(&[labels]);
    }
}

/// An upstream answer: any bytes with any status, read as each kind of answer; no error repeats a secret.
pub fn prom_answer(data: &[u8]) {
    let Some((&first, body)) = data.split_first() else { return };
    let status = [200u16, 204, 302, 400, 401, 422, 500, 503][usize::from(first) % 8];
    let redactor = Redactor::new([PLANTED_SECRET.to_string()]);
    for expect in
        [Expect::Matrix, Expect::Vector, Expect::Series, Expect::Strings, Expect::AmAlerts, Expect::AmSilences]
    {
        if let Err(e) = parse(expect, status, body, "http://fuzz/api/v1/x", &redactor) {
            assert!(!e.to_string().contains(PLANTED_SECRET), "a secret in {e}");
        }
    }
}

/// Every resource body a viewer can send; an evaluate body is also planned, within the tick ceiling.
pub fn resource_bodies(data: &[u8]) {
    if let Ok(req) = parse_body::<EvaluateRequest>(data, "{}") {
        let rules = crate::defaults::rules();
        if let Ok(plan) = crate::evaluate::plan::plan(&req, 60_000, &rules) {
            assert!(plan.window.count <= MAX_TICKS, "{} ticks planned", plan.window.count);
        }
    }
    let _ = parse_body::<StageMetricsRequest>(data, "{}");
    if let Ok(req) = parse_body::<codexflow_core::panel_map::PanelMapRequest>(data, "{}") {
        if crate::panel_map::check(&req).is_ok() {
            let mapped = crate::panel_map::map_panels(&crate::defaults::pipeline(), &req);
            assert_eq!(mapped.stages.len(), crate::defaults::pipeline().stages.len());
        }
    }
    if let Ok(check) = parse_body::<SettingsCheckRequest>(data, "{}") {
        let _ = Settings::from_json_data(&check.json_data, &Default::default());
    }
}

/// A data source query as any viewer can send one through `/api/ds/query`: the first 16 bytes its
/// time range, the next its `queryType` choice, the rest its JSON. Screened and read, or refused;
/// a screened one is read by the SDK, and a read one is planned within the tick ceiling.
pub fn datasource_query(data: &[u8]) {
    use crate::datasource::query;
    use grafana_plugin_sdk::pluginv2;
    if data.len() < 17 {
        return;
    }
    let (range, rest) = data.split_at(16);
    let ms = |b: &[u8]| i64::from_le_bytes(b.try_into().unwrap_or([0; 8]));
    let query_type = ["", "stageStatus", "pipelineStatus", "alerts"][usize::from(rest[0] % 4)];
    let q = pluginv2::DataQuery {
        ref_id: "A".into(),
        query_type: query_type.into(),
        json: rest[1..].to_vec(),
        time_range: Some(pluginv2::TimeRange { from_epoch_ms: ms(&range[..8]), to_epoch_ms: ms(&range[8..]) }),
        ..Default::default()
    };
    if query::screen(&q).is_err() {
        return;
    }
    // A screened query is one the SDK reads without failing the request (or panicking).
    let read = grafana_plugin_sdk::backend::DataQuery::<serde_json::Value>::try_from(q);
    let Ok(sdk) = read else { panic!("a screened query the SDK refuses: {:?}", read.err()) };
    let (from, to) = (sdk.time_range.from.timestamp_millis(), sdk.time_range.to.timestamp_millis());
    if let Ok(ask) = query::read("A", query_type, from, to, &sdk.query) {
        let req = EvaluateRequest { from: ask.from, to: ask.to, interval_ms: None, encoding: Default::default() };
        if let Ok(plan) = crate::evaluate::plan::plan(&req, 60_000, &crate::defaults::rules()) {
            assert!(plan.window.count <= MAX_TICKS, "{} ticks planned", plan.window.count);
        }
    }
}
