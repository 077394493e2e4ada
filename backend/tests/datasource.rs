//! The data source through the built plugin process, as Grafana calls it: `QueryData` as
//! `/api/ds/query` and alerting send it, against the oracle's stories in a real Prometheus, held to
//! `v1/evaluate` tick by tick; bad queries beside good ones; `CheckHealth` with the data source's
//! own settings.

use std::collections::HashMap;
use std::path::PathBuf;

use codexflow_core::api::{EvaluateRequest, EvaluateResponse};
use codexflow_core::datasource::status_code;
use codexflow_core::StageStatus;
use codexflow_testkit::grafana::frames::{read_frame, ReadFrame};
use codexflow_testkit::grafana::plugin_host::{AppSettings, DataSourceInstance, PluginProcess};
use codexflow_testkit::prometheus::PrometheusServer;
use codexflow_testkit::scenario::openmetrics_of;
use codexflow_testkit::stories::{base_days_ago, oracle_scenarios, MINUTE};
use grafana_plugin_sdk::pluginv2;
use serde_json::{json, Value};

fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_gpx_codexflow"))
}

fn instance(prom: &PrometheusServer) -> DataSourceInstance {
    DataSourceInstance {
        id: 7,
        uid: "codexflow".into(),
        name: "Codex Flow".into(),
        settings: AppSettings {
            json_data: json!({ "prometheusUrl": prom.url, "evaluationInterval": "1m" }),
            secure_json_data: Default::default(),
        },
    }
}

/// A query as Grafana's `DataSourceWithBackend` sends it: its own fields beside Grafana's.
fn query(ref_id: &str, query_type: &str, own: Value, from: i64, to: i64) -> pluginv2::DataQuery {
    let mut json = json!({ "refId": ref_id, "datasource": { "type": "proompteng-codexflow-datasource", "uid": "codexflow" },
        "intervalMs": 60_000, "maxDataPoints": 1_000 });
    if let (Some(obj), Some(extra)) = (json.as_object_mut(), own.as_object()) {
        obj.extend(extra.clone());
    }
    pluginv2::DataQuery {
        ref_id: ref_id.into(),
        query_type: query_type.into(),
        max_data_points: 1_000,
        interval_ms: 60_000,
        time_range: Some(pluginv2::TimeRange { from_epoch_ms: from, to_epoch_ms: to }),
        json: json.to_string().into_bytes(),
    }
}

async fn evaluate(plugin: &PluginProcess, ds: &DataSourceInstance, from: i64, to: i64) -> EvaluateResponse {
    let body = serde_json::to_vec(&EvaluateRequest { from, to, interval_ms: None, encoding: Default::default() })
        .expect("request");
    let r = plugin.call_resource(Some(&ds.settings), "POST", "v1/evaluate", &body).await.expect("CallResource");
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    serde_json::from_slice(&r.body).expect("EvaluateResponse")
}

fn frames_of(response: &pluginv2::QueryDataResponse, ref_id: &str) -> Vec<ReadFrame> {
    let answer = response.responses.get(ref_id).unwrap_or_else(|| panic!("no answer for {ref_id}"));
    assert!(answer.error.is_empty(), "{ref_id}: {}", answer.error);
    answer.frames.iter().map(|f| read_frame(f).expect("an Arrow frame")).collect()
}

fn ints(values: &[Value]) -> Vec<i64> {
    values.iter().map(|v| v.as_i64().expect("a number")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_stage_status_in_the_frames_is_v1_evaluates_at_every_tick() {
    let scenarios = oracle_scenarios(base_days_ago(4));
    let prom = PrometheusServer::start(&openmetrics_of(&scenarios), "").expect("prometheus");
    let plugin = PluginProcess::start(&binary()).await.expect("handshake");
    let ds = instance(&prom);
    let mut ticks = 0;
    for sc in &scenarios {
        for (from, to) in [(sc.start, sc.end()), (sc.start + 37 * MINUTE + 1, sc.end() - 13 * MINUTE)] {
            let expected = evaluate(&plugin, &ds, from, to).await;
            let queries = vec![
                query("S", "stageStatus", json!({}), from, to),
                query("P", "pipelineStatus", json!({}), from, to),
                query("K", "", json!({ "stages": ["kafka"] }), from, to),
            ];
            let response = plugin.query_data(&ds, queries, HashMap::new()).await.expect("QueryData");
            let stages = frames_of(&response, "S");
            assert_eq!(
                stages.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
                expected.stages.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
                "{}: a frame per stage, in pipeline order",
                sc.name
            );
            for (frame, stage) in stages.iter().zip(&expected.stages) {
                assert_eq!(frame.ref_id, "S");
                assert_eq!(ints(&frame.fields[0].values), expected.ticks, "{}: the ticks", sc.name);
                let codes: Vec<i64> = stage.status_timeline.iter().map(|s| status_code(*s)).collect();
                assert_eq!(ints(&frame.fields[1].values), codes, "{} {}: every tick's status", sc.name, stage.id);
                assert_eq!(frame.fields[1].config["displayNameFromDS"], json!(stage.name));
                assert_eq!(frame.fields[1].config["thresholds"]["steps"][3]["color"], "red");
                ticks += codes.len();
            }
            let pipeline = &frames_of(&response, "P")[0];
            let worst: Vec<i64> = (0..expected.ticks.len())
                .map(|i| {
                    let status = expected.stages.iter().map(|s| s.status_timeline[i]).max();
                    status_code(status.unwrap_or(StageStatus::Ok))
                })
                .collect();
            assert_eq!(ints(&pipeline.fields[1].values), worst, "{}: the pipeline is its worst stage", sc.name);
            assert!(worst.iter().any(|&c| c > 0), "{}: the story has an incident", sc.name);
            let kafka = frames_of(&response, "K");
            assert_eq!(kafka.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(), ["kafka"]);
            ticks += same_alerts_queues_and_changes(&plugin, &ds, &expected, from, to, &sc.name).await;
        }
    }
    assert!(ticks > 1_000, "{ticks} stage ticks compared");
}

/// The `alerts`, `queue`, `stageChanges` and `stages` frames of `[from, to]` against `expected`, that
/// range's `v1/evaluate`; the alert ticks compared.
async fn same_alerts_queues_and_changes(
    plugin: &PluginProcess,
    ds: &DataSourceInstance,
    expected: &EvaluateResponse,
    from: i64,
    to: i64,
    story: &str,
) -> usize {
    let queries = vec![
        query("AL", "alerts", json!({}), from, to),
        query("Q", "queue", json!({}), from, to),
        query("C", "stageChanges", json!({}), from, to),
        query("L", "stages", json!({}), from, to),
    ];
    let response = plugin.query_data(ds, queries, HashMap::new()).await.expect("QueryData");
    let alerts = frames_of(&response, "AL");
    assert_eq!(alerts.len(), expected.alerts.len(), "{story}: a frame per alert");
    let mut compared = 0;
    for (frame, alert) in alerts.iter().zip(&expected.alerts) {
        assert_eq!(frame.name, alert.name);
        let times: Vec<i64> = alert.timeline.iter().map(|p| p.t).collect();
        let states: Vec<i64> =
            alert.timeline.iter().map(|p| codexflow_core::datasource::alert_state_code(p.state)).collect();
        assert_eq!(ints(&frame.fields[0].values), times, "{story} {}: its group's ticks", alert.name);
        assert_eq!(ints(&frame.fields[1].values), states, "{story} {}: every tick's state", alert.name);
        compared += states.len();
    }
    // A row per backlog stage, the numbers v1/evaluate gives, what is not known null.
    let queues = frames_of(&response, "Q");
    let with_queue: Vec<_> = expected.stages.iter().filter_map(|s| Some((s, s.queue.as_ref()?))).collect();
    assert_eq!(queues.len(), with_queue.len(), "{story}: a frame per backlog stage");
    assert!(!queues.is_empty(), "{story}: the pipeline has backlog stages");
    for (frame, (stage, q)) in queues.iter().zip(&with_queue) {
        assert_eq!(frame.name, stage.id);
        assert_eq!(ints(&frame.fields[0].values), [*expected.ticks.last().expect("ticks")]);
        let number = |i: usize| frame.fields[i].values[0].as_f64();
        assert_eq!(number(1), q.backlog.filter(|v| v.is_finite()), "{story} {}: backlog", stage.id);
        assert_eq!(number(2), q.rate_per_s.filter(|v| v.is_finite()), "{story} {}: net rate", stage.id);
        assert_eq!(number(3), q.lag_time_ms.map(|ms| ms as f64 / 1000.0), "{story} {}: lag in s", stage.id);
        assert_eq!(number(4), q.drain_in_ms.map(|ms| ms as f64 / 1000.0), "{story} {}: drain in s", stage.id);
        assert_eq!(frame.fields[5].values[0], q.trend.as_str(), "{story} {}: trend", stage.id);
        assert_eq!(frame.fields[6].values[0], q.consumer.as_str(), "{story} {}: consumer", stage.id);
        assert_eq!(frame.fields[3].config["unit"], "s");
    }
    // An event at every tick a stage's status changes, tagged with the stage and its new status.
    let events = &frames_of(&response, "C")[0];
    let mut changes = Vec::new();
    for i in 1..expected.ticks.len() {
        for stage in &expected.stages {
            let (before, now) = (stage.status_timeline[i - 1], stage.status_timeline[i]);
            if before != now {
                changes.push((expected.ticks[i], stage.id.clone()));
            }
        }
    }
    let got: Vec<(i64, String)> = events.fields[0]
        .values
        .iter()
        .zip(&events.fields[4].values)
        .map(|(t, s)| (t.as_i64().expect("a time"), s.as_str().expect("a stage").to_string()))
        .collect();
    assert_eq!(got, changes, "{story}: the stage changes");
    assert!(!changes.is_empty(), "{story}: the story changes a status");
    assert!(events.fields[2].values.iter().all(|t| t.as_str().is_some_and(|t| t.contains(" → "))));
    let list = &frames_of(&response, "L")[0];
    let ids: Vec<&str> = list.fields[1].values.iter().filter_map(Value::as_str).collect();
    assert_eq!(ids, expected.stages.iter().map(|s| s.id.as_str()).collect::<Vec<_>>());
    compared
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerting_bad_queries_and_health() {
    let scenarios = oracle_scenarios(base_days_ago(4));
    let sc = &scenarios[0];
    let prom = PrometheusServer::start(&openmetrics_of(std::slice::from_ref(sc)), "").expect("prometheus");
    let mut plugin = PluginProcess::start(&binary()).await.expect("handshake");
    let ds = instance(&prom);
    let (from, to) = (sc.start + 60 * MINUTE, sc.start + 70 * MINUTE);

    // As Grafana's alerting engine asks: no panel, no user interval, 43,200 points, `FromAlert`.
    let mut alerting = query("A", "pipelineStatus", json!({}), from, to);
    alerting.max_data_points = 43_200;
    alerting.interval_ms = 1_000;
    let headers = HashMap::from([("FromAlert".to_string(), "true".to_string())]);
    let mut per_stage = query("B", "stageStatus", json!({}), from, to);
    per_stage.max_data_points = 43_200;
    let response = plugin.query_data(&ds, vec![alerting, per_stage], headers).await.expect("QueryData");
    let frame = &frames_of(&response, "A")[0];
    assert_eq!(frame.fields.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(), ["time", "status"], "one series");
    assert_eq!(frame.fields[0].values.len(), 11, "a tick a minute, both ends");
    // A series per stage, told apart by its label (what alerting needs of several frames).
    let labels: Vec<Value> = frames_of(&response, "B").iter().map(|f| f.fields[1].labels["stage"].clone()).collect();
    assert_eq!(labels, [json!("kafka"), json!("nats"), json!("jangar"), json!("sse")]);
    // Alerts and queues too: wide frames of numbers, each series its own label set.
    let asks = vec![query("AL", "alerts", json!({}), from, to), query("Q", "queue", json!({}), from, to)];
    let headers = HashMap::from([("FromAlert".to_string(), "true".to_string())]);
    let response = plugin.query_data(&ds, asks, headers).await.expect("QueryData");
    let mut seen = Vec::new();
    for frame in frames_of(&response, "AL").iter().chain(&frames_of(&response, "Q")) {
        for field in &frame.fields[1..] {
            assert_eq!(field.kind, "number", "{}: numbers only", frame.name);
            assert!(!seen.contains(&field.labels), "{}: labels {} twice", frame.name, field.labels);
            assert!(field.labels.get("alertname").is_none(), "Grafana would drop it: {}", field.labels);
            seen.push(field.labels.clone());
        }
    }
    assert!(seen.len() > 4, "{seen:?}");

    // Bad queries beside a good one: each bad one its own error, the good one served.
    let mut hostile = query("T", "", json!({}), 0, 1);
    hostile.time_range = Some(pluginv2::TimeRange { from_epoch_ms: i64::MAX, to_epoch_ms: i64::MIN });
    let mut not_json = query("RAW", "", json!({}), from, to);
    not_json.json = b"{not json".to_vec();
    let mut twice = query("TWICE", "", json!({}), from, to);
    let twin = twice.clone();
    twice.query_type = "pipelineStatus".into();
    // 2300: a date, but past what a frame's nanosecond times hold.
    let late = query("LATE", "", json!({}), 10_413_792_000_000, 10_413_792_600_000);
    let mut queries = vec![
        query("OK", "stageStatus", json!({}), from, to),
        query("TYPE", "alert", json!({}), from, to),
        query("STAGE", "stageStatus", json!({ "stages": ["kafak"] }), from, to),
        query("JSON", "stageStatus", json!({ "stages": "kafka" }), from, to),
        hostile,
        not_json,
        twice,
        twin,
        late,
    ];
    // Five more ranges: each range is an evaluation, and a request gets four.
    queries.extend((1..=5).map(|k| query(&format!("R{k}"), "", json!({}), from - k * MINUTE, to)));
    let response = plugin.query_data(&ds, queries, HashMap::new()).await.expect("QueryData");
    assert_eq!(frames_of(&response, "OK").len(), 4, "the good query is served beside the bad ones");
    let error = |id: &str| response.responses.get(id).map(|r| (r.status, r.error.clone())).expect("an answer");
    assert!(error("TYPE").1.contains("queryType \"alert\" is not one of stageStatus, "), "{:?}", error("TYPE"));
    assert!(error("STAGE").1.contains("no stage with id \"kafak\"; the stages are kafka"), "{:?}", error("STAGE"));
    assert!(error("JSON").1.contains("{\"stages\": [<stage id>, …]}"), "{:?}", error("JSON"));
    assert!(error("RAW").1.contains("not JSON"), "{:?}", error("RAW"));
    assert!(error("TWICE").1.contains("used by 2 queries"), "{:?}", error("TWICE"));
    assert!(error("LATE").1.contains("(1970 to 2262)"), "{:?}", error("LATE"));
    assert_eq!(error("T").0, 400);
    assert!(error("T").1.contains("is not one of dates"), "{:?}", error("T"));
    let over: Vec<&str> =
        ["R1", "R2", "R3", "R4", "R5"].into_iter().filter(|id| error(id).1.contains("at most 4 time ranges")).collect();
    assert_eq!(over.len(), 3, "OK's range, LATE's, R1's and R2's are evaluated: {over:?}");
    assert!(plugin.is_running(), "no query stops the plugin: {}", plugin.stderr());

    // Unusable settings: every query says so.
    let broken = DataSourceInstance {
        settings: AppSettings { json_data: json!({}), secure_json_data: Default::default() },
        ..ds.clone()
    };
    let response = plugin.query_data(&broken, vec![query("A", "", json!({}), from, to)], HashMap::new()).await;
    let answer = response.expect("QueryData").responses.remove("A").expect("an answer");
    assert!(
        answer.error.contains("the data source's settings: ") && answer.error.contains("prometheusUrl"),
        "{answer:?}"
    );

    // The stage list needs no evaluation: it is there while the upstream is not.
    let unreachable = DataSourceInstance {
        settings: AppSettings {
            json_data: json!({ "prometheusUrl": "http://127.0.0.1:9" }),
            secure_json_data: Default::default(),
        },
        ..ds.clone()
    };
    let asks =
        vec![query("L", "stages", json!({}), from, to), query("N", "stages", json!({ "stages": ["nats"] }), from, to)];
    let response = plugin.query_data(&unreachable, asks, HashMap::new()).await.expect("QueryData");
    let ids: Vec<Value> = frames_of(&response, "L")[0].fields[1].values.clone();
    assert_eq!(ids, [json!("kafka"), json!("nats"), json!("jangar"), json!("sse")]);
    assert_eq!(frames_of(&response, "N")[0].fields[0].values, [json!("NATS agent comms")]);

    // "Save & test": the same checks as the app's health, with the data source's settings.
    let health = plugin.check_datasource_health(&ds).await.expect("CheckHealth");
    assert_eq!(health.status, 1, "{}", health.message);
    let health = plugin.check_datasource_health(&broken).await.expect("CheckHealth");
    assert_eq!(health.status, 2, "{}", health.message);
}
