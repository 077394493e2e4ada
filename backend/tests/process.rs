//! The built `gpx_codexflow` binary, started and spoken to as Grafana does:
//! go-plugin handshake, pluginv2 CheckHealth and CallResource, against a real
//! Prometheus and against upstreams that are down, slow, locked or talking nonsense.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use codexflow_core::api::{ApiError, EvaluateResponse, HealthDetails, RulesResponse, StageMetricsResponse};
use codexflow_core::StageStatus;
use codexflow_testkit::grafana::plugin_host::{AppSettings, PluginProcess, ResourceResponse};
use codexflow_testkit::prometheus::{PromOptions, PrometheusServer};
use codexflow_testkit::scenario::openmetrics_of;
use codexflow_testkit::stories::{absent_metrics, lag_spikes, MINUTE};
use codexflow_testkit::upstreams;
use serde_json::json;

const HEALTH_OK: i32 = 1;
const HEALTH_ERROR: i32 = 2;
/// bcrypt of "s3cret-pw" for Prometheus' own basic auth (`--web.config.file`).
const BASIC_AUTH_WEB_CONFIG: &str =
    "basic_auth_users:\n  codexflow: $2b$04$T09TyKIQhBqEMQgsFC13nOkFu4tjHmYtpaOGeViBi2eFFBVgZwO9G\n";

fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_gpx_codexflow"))
}

fn settings(json_data: serde_json::Value) -> AppSettings {
    AppSettings { json_data, secure_json_data: Default::default() }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

/// The absent-metrics story, ending a few minutes ago so CheckHealth's last-hour look sees it.
fn recent_story() -> (codexflow_testkit::scenario::Scenario, PrometheusServer) {
    let end = now_ms() / MINUTE * MINUTE - 3 * MINUTE;
    let story = absent_metrics(end - 120 * MINUTE);
    let prom = PrometheusServer::start(&openmetrics_of(std::slice::from_ref(&story)), "").expect("prometheus");
    (story, prom)
}

async fn post(
    plugin: &PluginProcess,
    s: Option<&AppSettings>,
    path: &str,
    body: serde_json::Value,
) -> ResourceResponse {
    plugin.call_resource(s, "POST", path, body.to_string().as_bytes()).await.expect("CallResource")
}

fn api_error(r: &ResourceResponse) -> ApiError {
    serde_json::from_slice(&r.body)
        .unwrap_or_else(|e| panic!("error body is not ApiError ({e}): {}", String::from_utf8_lossy(&r.body)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resource_api_over_grpc() {
    let (story, prom) = recent_story();
    let mut plugin = PluginProcess::start(&binary()).await.expect("handshake");
    let good = settings(json!({ "prometheusUrl": prom.url }));
    let window = json!({ "from": story.start, "to": story.end(), "intervalMs": 60_000 });

    // The evaluation: missing Jangar/NATS series mean nodata with a reason naming them.
    let r = post(&plugin, Some(&good), "v1/evaluate", window.clone()).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.headers.get("content-type").map(|v| v[0].as_str()), Some("application/json"));
    let answer: EvaluateResponse = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(answer.ticks.len(), 121);
    let stage = |id: &str| answer.stages.iter().find(|s| s.id == id).unwrap().clone();
    let jangar = stage("jangar");
    assert_eq!(jangar.status, StageStatus::Nodata);
    let reason = jangar.reason.unwrap();
    assert!(reason.contains("jangar_agent_comms_inserted_total") && reason.contains("can never fire"), "{reason}");
    assert_eq!(stage("sse").status, StageStatus::Nodata);
    let nats = stage("nats");
    assert_eq!(nats.status, StageStatus::Nodata);
    assert_eq!(nats.missing_series.len(), 2, "both NATS spellings are missing: {:?}", nats.missing_series);
    // Kafka lag was 1400 for 30 minutes: the strip shows the firing episode, now it is healthy again.
    let kafka = stage("kafka");
    assert_eq!(kafka.status, StageStatus::Ok);
    assert!(kafka.status_timeline.contains(&StageStatus::Warning));
    assert_eq!(kafka.headline.value, Some(100.0));
    assert_eq!(kafka.status_timeline.len(), answer.ticks.len());
    let edge = answer.edges.iter().find(|e| e.from == "kafka").unwrap();
    assert!((edge.rate.unwrap() - 6.0).abs() < 0.5, "kafka ingest ≈ 6 msg/s, got {:?}", edge.rate);

    // Stage metrics for the drill-down.
    let r = post(
        &plugin,
        Some(&good),
        "v1/stage-metrics",
        json!({"stage": "kafka", "from": story.start, "to": story.end()}),
    )
    .await;
    assert_eq!(r.status, 200);
    let metrics: StageMetricsResponse = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(metrics.panels.iter().map(|p| p.panel_id).collect::<Vec<_>>(), [Some(1), Some(2)]);
    assert!(metrics.panels.iter().all(|p| p.errors.is_empty() && !p.series.is_empty()));
    let r = post(&plugin, Some(&good), "v1/stage-metrics", json!({"stage": "db", "from": 0, "to": 1})).await;
    assert_eq!((r.status, api_error(&r).field.as_deref()), (400, Some("stage")));

    // Rules and pipeline; a query string is tolerated.
    let r = plugin.call_resource(Some(&good), "GET", "v1/rules?refresh=1", b"").await.unwrap();
    assert_eq!(r.status, 200);
    let rules: RulesResponse = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(
        rules.rules.iter().map(|r| (r.stage.as_deref().unwrap_or(""), r.stage_source.as_str())).collect::<Vec<_>>(),
        [("kafka", "default"), ("nats", "default"), ("jangar", "default"), ("sse", "default")]
    );
    let r = plugin.call_resource(Some(&good), "GET", "v1/pipeline", b"").await.unwrap();
    assert_eq!(r.json()["pipeline"]["stages"].as_array().unwrap().len(), 4);

    // Malformed requests: each a JSON error with a code, none a crash.
    let cases: Vec<(&str, &str, &[u8], i32, &str)> = vec![
        ("POST", "v1/evaluate", b"", 400, "bad_request"),
        ("POST", "v1/evaluate", b"{not json", 400, "bad_request"),
        ("POST", "v1/evaluate", br#"{"from": "yesterday", "to": 1}"#, 400, "bad_request"),
        ("POST", "v1/evaluate", br#"{"to": 1}"#, 400, "bad_request"),
        ("POST", "v1/evaluate", br#"{"from": 10, "to": 5}"#, 400, "bad_request"),
        ("POST", "v1/evaluate", br#"{"from": 0, "to": 864000000000, "intervalMs": 1000}"#, 400, "bad_request"),
        ("POST", "v1/evaluate", &[0xff, 0xfe, 0x00], 400, "bad_request"),
        ("GET", "v1/evaluate", b"", 405, "method_not_allowed"),
        ("DELETE", "v1/rules", b"", 405, "method_not_allowed"),
        ("GET", "v2/evaluate", b"", 404, "not_found"),
        ("GET", "", b"", 404, "not_found"),
        ("GET", "../../etc/passwd", b"", 404, "not_found"),
    ];
    for (method, path, body, status, code) in cases {
        let r = plugin.call_resource(Some(&good), method, path, body).await.unwrap();
        let err = api_error(&r);
        assert_eq!((r.status, err.code.as_str()), (status, code), "{method} {path}: {}", err.error);
        assert!(!err.error.is_empty());
    }
    let r = plugin.call_resource(Some(&good), "GET", "v1/evaluate", b"").await.unwrap();
    assert_eq!(r.headers.get("allow").map(|v| v[0].as_str()), Some("POST"));
    let r = post(&plugin, Some(&good), "v1/evaluate", json!({"to": 1})).await;
    assert_eq!(api_error(&r).field.as_deref(), Some("from"));

    // Unconfigured or misconfigured app: 503 naming the setting.
    let r = post(&plugin, None, "v1/evaluate", window.clone()).await;
    assert_eq!((r.status, api_error(&r).code.as_str()), (503, "settings"));
    let r =
        post(&plugin, Some(&settings(json!({"prometheusUrl": "localhost:9090"}))), "v1/evaluate", window.clone()).await;
    let err = api_error(&r);
    assert_eq!((r.status, err.field.as_deref()), (503, Some("jsonData.prometheusUrl")));

    // Upstream down, silent or speaking HTML: still a 200 answer, every stage nodata with the cause.
    let silent = upstreams::silent().unwrap();
    let html = upstreams::answering("<html><body>Sign in</body></html>", "text/html").unwrap();
    let closed = upstreams::closed_port_url().unwrap();
    for (url, needle) in [
        (closed.as_str(), "cannot reach"),
        (silent.as_str(), "did not answer within 1000 ms"),
        (html.as_str(), "did not answer like a Prometheus API"),
    ] {
        let started = Instant::now();
        let s = settings(json!({ "prometheusUrl": url, "timeout": "1s" }));
        let r = post(&plugin, Some(&s), "v1/evaluate", window.clone()).await;
        // Not stalled: within what the 1 s timeout allows every round of requests (the message below
        // shows the timeout itself applied).
        assert!(started.elapsed() < s.stall_bound(), "{url}: took {:?}", started.elapsed());
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        let answer: EvaluateResponse = serde_json::from_slice(&r.body).unwrap();
        for s in &answer.stages {
            assert_eq!(s.status, StageStatus::Nodata, "{url}: stage {}", s.id);
            let reason = s.reason.clone().unwrap_or_default();
            assert!(reason.contains(needle), "{url}: stage {} reason {reason:?} lacks {needle:?}", s.id);
        }
    }

    assert!(plugin.is_running(), "the plugin must survive all of the above");
    assert!(!plugin.stderr().contains("panicked"), "{}", plugin.stderr());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_health_reports_reachability_auth_and_metrics() {
    let (_story, prom) = recent_story();
    let plugin = PluginProcess::start(&binary()).await.expect("handshake");

    let h = plugin.check_health(Some(&settings(json!({ "prometheusUrl": prom.url })))).await.unwrap();
    assert_eq!(h.status, HEALTH_OK, "{}", h.message);
    let details: HealthDetails = serde_json::from_slice(&h.json_details).unwrap();
    assert!(details.reachable && details.auth_accepted);
    assert!(details.metrics_present.contains(&"kafka_consumergroup_lag".to_string()), "{details:?}");
    assert!(details.metrics_missing.contains(&"jangar_agent_comms_inserted_total".to_string()), "{details:?}");
    assert!(h.message.contains("missing:") && h.message.contains("jangar_agent_comms_inserted_total"), "{}", h.message);

    let h = plugin.check_health(Some(&settings(json!({})))).await.unwrap();
    assert_eq!(h.status, HEALTH_ERROR);
    assert!(h.message.contains("jsonData.prometheusUrl"), "{}", h.message);
    // An app never configured: Grafana sends empty settings, which say what to set.
    let h = plugin.check_health(None).await.unwrap();
    assert_eq!(h.status, HEALTH_ERROR);
    assert!(h.message.contains("jsonData.prometheusUrl") && h.message.contains("is required"), "{}", h.message);

    let closed = upstreams::closed_port_url().unwrap();
    let h = plugin.check_health(Some(&settings(json!({ "prometheusUrl": closed })))).await.unwrap();
    assert_eq!(h.status, HEALTH_ERROR);
    assert!(h.message.contains("cannot reach"), "{}", h.message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_is_sent_and_secrets_never_come_back() {
    let locked =
        PrometheusServer::start_with(&PromOptions { web_config: Some(BASIC_AUTH_WEB_CONFIG), ..Default::default() })
            .expect("prometheus with basic auth");
    let plugin = PluginProcess::start(&binary()).await.expect("handshake");
    let with = |json_data: serde_json::Value, secrets: &[(&str, &str)]| AppSettings {
        json_data,
        secure_json_data: secrets.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
    };

    let right = with(
        json!({"prometheusUrl": locked.url, "basicAuthUser": "codexflow", "tenant": "team-a"}),
        &[("basicAuthPassword", "s3cret-pw")],
    );
    let h = plugin.check_health(Some(&right)).await.unwrap();
    assert_eq!(h.status, HEALTH_OK, "{}", h.message);
    assert!(h.message.contains("tenant team-a"), "{}", h.message);

    let wrong =
        with(json!({"prometheusUrl": locked.url, "basicAuthUser": "codexflow"}), &[("basicAuthPassword", "guess")]);
    let h = plugin.check_health(Some(&wrong)).await.unwrap();
    assert_eq!(h.status, HEALTH_ERROR);
    assert!(h.message.contains("rejected the credentials"), "{}", h.message);

    let token = with(json!({"prometheusUrl": locked.url}), &[("bearerToken", "tok-XYZZY-123")]);
    let h = plugin.check_health(Some(&token)).await.unwrap();
    assert_eq!(h.status, HEALTH_ERROR);
    for path in ["v1/rules", "v1/pipeline"] {
        let r = plugin.call_resource(Some(&token), "GET", path, b"").await.unwrap();
        assert!(!String::from_utf8_lossy(&r.body).contains("XYZZY"), "{path} echoed the token");
    }
    let r = post(&plugin, Some(&token), "v1/evaluate", json!({"from": 0, "to": 600_000})).await;
    let body = String::from_utf8_lossy(&r.body);
    assert!(!body.contains("XYZZY") && body.contains("rejected the credentials"), "{body}");
    assert!(!h.message.contains("XYZZY") && !String::from_utf8_lossy(&h.json_details).contains("XYZZY"));
    assert!(!plugin.stderr().contains("XYZZY") && !plugin.stderr().contains("s3cret-pw"), "secrets in logs");
}

/// A refresh a minute later asks only its unsettled ticks, and asks them of every rule in one
/// request (`codexflow_backend::coalesce`); its answer is the cold evaluation's, tick for tick.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_asks_every_rules_new_ticks_in_one_request_and_answers_as_cold() {
    let (_story, prom) = recent_story();
    let proxy = upstreams::CountingProxy::start(&prom.url).await.unwrap();
    let plugin = PluginProcess::start(&binary()).await.expect("handshake");
    let kept = settings(json!({ "prometheusUrl": proxy.url }));
    let cold = settings(json!({ "prometheusUrl": prom.url, "settleTime": "0s" }));
    // An hour ending now: its last ten minutes are unsettled (the default settle time).
    let to = now_ms();
    let window = |k: i64| json!({ "from": to - 60 * MINUTE + k * MINUTE, "to": to + k * MINUTE, "intervalMs": MINUTE });
    let first = post(&plugin, Some(&kept), "v1/evaluate", window(0)).await;
    assert_eq!(first.status, 200, "{}", String::from_utf8_lossy(&first.body));
    let asked_first = proxy.requests().len();
    proxy.reset();
    let refresh = post(&plugin, Some(&kept), "v1/evaluate", window(1)).await;
    assert_eq!(refresh.status, 200, "{}", String::from_utf8_lossy(&refresh.body));
    let asked: Vec<String> = proxy.requests().iter().map(|r| upstreams::percent_decode(r)).collect();
    let rules = serde_json::from_slice::<EvaluateResponse>(&refresh.body).unwrap().rules.len();
    assert!(rules >= 4, "the built-in rules are in force");
    // One request carries every rule's new ticks, each part marked with its index.
    let together: Vec<&String> = asked.iter().filter(|r| r.contains("__codexflow_part")).collect();
    assert!(
        together.iter().any(|r| (0..rules).all(|i| r.contains(&format!("\"__codexflow_part\", \"{i}\"")))),
        "no request asks all {rules} rules together: {asked:#?}"
    );
    assert!(
        asked.len() < asked_first,
        "the refresh asks less often than the first evaluation ({} vs {asked_first}): {asked:#?}",
        asked.len()
    );
    let cold = post(&plugin, Some(&cold), "v1/evaluate", window(1)).await;
    let (refresh, cold): (serde_json::Value, serde_json::Value) =
        (serde_json::from_slice(&refresh.body).unwrap(), serde_json::from_slice(&cold.body).unwrap());
    for field in ["ticks", "stages", "edges", "rules", "alerts"] {
        assert_eq!(refresh[field], cold[field], "{field} differ from a cold evaluation's");
    }
}

/// The lag rule is `X > 1000` where `X` is kafka's headline: `X` is asked once, for the rule and
/// the headline both (issue 11, item 2), and the answer is what asking each on its own gives: here
/// the lag crosses 1000 twice, so the rule fires.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_filtering_a_headline_asks_it_once_and_answers_as_apart() {
    let story = lag_spikes(now_ms() / MINUTE * MINUTE - 200 * MINUTE);
    let prom = PrometheusServer::start(&openmetrics_of(std::slice::from_ref(&story)), "").expect("prometheus");
    let proxy = upstreams::CountingProxy::start(&prom.url).await.unwrap();
    let plugin = PluginProcess::start(&binary()).await.expect("handshake");
    let window = json!({ "from": story.start, "to": story.end(), "intervalMs": MINUTE });
    let together = post(
        &plugin,
        Some(&settings(json!({ "prometheusUrl": proxy.url, "settleTime": "0s" }))),
        "v1/evaluate",
        window.clone(),
    )
    .await;
    assert_eq!(together.status, 200, "{}", String::from_utf8_lossy(&together.body));
    let asked: Vec<String> = proxy.requests().iter().map(|r| upstreams::percent_decode(r)).collect();
    let answer: EvaluateResponse = serde_json::from_slice(&together.body).unwrap();
    let mut pipeline = codexflow_backend::defaults::pipeline();
    let kafka = pipeline.stages.iter_mut().find(|s| s.id == "kafka").expect("a kafka stage");
    let x = kafka.headline.expr.clone();
    let in_force = plugin
        .call_resource(Some(&settings(json!({ "prometheusUrl": prom.url }))), "GET", "v1/rules", b"")
        .await
        .unwrap();
    let in_force: RulesResponse = serde_json::from_slice(&in_force.body).unwrap();
    let lag_index = in_force
        .rules
        .iter()
        .position(|r| r.expr.trim() == format!("{x} > 1000"))
        .expect("a lag rule filtering kafka's headline");
    let lag = &in_force.rules[lag_index];
    assert_eq!(answer.rules[lag_index].name, lag.name);
    assert!(!asked.iter().any(|r| r.contains(&lag.expr)), "the rule's own text was asked: {asked:#?}");
    let x_asked = asked.iter().filter(|r| r.contains(&x)).count();
    assert_eq!(x_asked, 1, "kafka's headline is asked once: {asked:#?}");
    assert!(
        answer.alerts.iter().any(|a| a.rule == lag_index && a.error.is_none()),
        "the lag rule fires in this story: {:#?}",
        answer.alerts
    );

    // The same with the headline written so that it is no longer the rule's `X`: asked apart
    // (the backlog too, which queue insight reads from the headline's sparkline when they match).
    kafka.headline.expr = format!("({x}) * 1");
    kafka.queue.as_mut().expect("kafka holds a backlog").backlog = kafka.headline.expr.clone();
    proxy.reset();
    let apart = settings(
        json!({ "prometheusUrl": proxy.url, "settleTime": "0s", "pipeline": serde_json::to_value(&pipeline).unwrap() }),
    );
    let apart = post(&plugin, Some(&apart), "v1/evaluate", window).await;
    assert_eq!(apart.status, 200, "{}", String::from_utf8_lossy(&apart.body));
    assert!(
        proxy.requests().iter().map(|r| upstreams::percent_decode(r)).any(|r| r.contains(&lag.expr)),
        "apart, the rule asks its own text"
    );
    let (together, apart): (serde_json::Value, serde_json::Value) =
        (serde_json::from_slice(&together.body).unwrap(), serde_json::from_slice(&apart.body).unwrap());
    for field in ["ticks", "stages", "edges", "alerts"] {
        assert_eq!(together[field], apart[field], "{field} differ from asking apart");
    }
}

/// The existence check asks the last hour first and the rest only for what it lacks: a metric seen
/// only hours ago is present, one never seen is missing, and a refresh does not ask again where the
/// missing one was seen settled without series.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_existence_check_asks_the_earlier_part_only_for_what_it_has_not_seen() {
    let mut story = lag_spikes(now_ms() / MINUTE * MINUTE - 200 * MINUTE);
    let early =
        (0..story.steps).map(|i| (i64::try_from(i).unwrap() * story.scrape_ms < 60 * MINUTE).then_some(1.0)).collect();
    story.series.push(codexflow_testkit::scenario::SeriesData {
        metric: "codexflow_early_only".into(),
        labels: Vec::new(),
        values: early,
    });
    let prom = PrometheusServer::start(&openmetrics_of(std::slice::from_ref(&story)), "").expect("prometheus");
    let proxy = upstreams::CountingProxy::start(&prom.url).await.unwrap();
    let plugin = PluginProcess::start(&binary()).await.expect("handshake");
    let rules = "groups:\n  - name: g\n    rules:\n      - alert: EarlyOnly\n        expr: sum(codexflow_early_only) > 5\n        labels: {stage: kafka}\n      - alert: NeverThere\n        expr: sum(codexflow_never_there) > 0\n        labels: {stage: kafka}\n";
    let kept = settings(json!({ "prometheusUrl": proxy.url, "rulesYaml": rules }));
    let cold = settings(json!({ "prometheusUrl": proxy.url, "rulesYaml": rules, "settleTime": "0s" }));
    let evaluate = |s: &AppSettings, shift: i64| {
        let window = json!({ "from": story.start + shift, "to": story.end() + shift, "intervalMs": MINUTE });
        let s = s.clone();
        let plugin = &plugin;
        async move {
            let r = post(plugin, Some(&s), "v1/evaluate", window).await;
            assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
            serde_json::from_slice::<serde_json::Value>(&r.body).unwrap()
        }
    };
    // The series calls naming `metric`, as (start, end) in seconds.
    let series_asks = |metric: &str| -> Vec<(f64, f64)> {
        let field = |body: &str, key: &str| {
            body.split('&').find_map(|kv| kv.strip_prefix(key)).and_then(|v| v.parse::<f64>().ok()).unwrap_or(f64::NAN)
        };
        proxy
            .requests()
            .iter()
            .map(|r| upstreams::percent_decode(r))
            .filter(|r| r.contains("/api/v1/series") && r.contains(metric))
            .map(|r| (field(&r, "start="), field(&r, "end=")))
            .collect()
    };
    let missing = |answer: &serde_json::Value, rule: usize| -> Vec<String> {
        let alerts = answer["alerts"].as_array().cloned().unwrap_or_default();
        alerts
            .iter()
            .filter(|a| a["rule"] == rule)
            .flat_map(|a| a["missingSeries"].as_array().cloned().unwrap_or_default())
            .filter_map(|m| m.as_str().map(str::to_string))
            .collect()
    };

    let first = evaluate(&kept, 0).await;
    assert_eq!(missing(&first, 0), Vec::<String>::new(), "seen three hours ago is present: {first:#}");
    assert_eq!(missing(&first, 1), ["codexflow_never_there"]);
    let asks = series_asks("codexflow_never_there");
    assert_eq!(asks.len(), 2, "the last hour, then the rest: {asks:?}");
    assert!((asks[0].1 - asks[0].0 - 3600.0).abs() < 1.0 && asks[1].1 < asks[0].0, "{asks:?}");

    // A minute later: the window, seen settled without it, is not asked again before the last hour;
    // the one seen only hours ago is (that a selector has series somewhere is not kept).
    proxy.reset();
    let refreshed = evaluate(&kept, MINUTE).await;
    let asks = series_asks("codexflow_never_there");
    assert_eq!(asks.len(), 1, "only the last hour: {asks:?}");
    assert!((asks[0].1 - asks[0].0 - 3600.0).abs() < 1.0, "{asks:?}");
    assert_eq!(series_asks("codexflow_early_only").len(), 2);
    let cold = evaluate(&cold, MINUTE).await;
    for field in ["ticks", "stages", "alerts"] {
        assert_eq!(refreshed[field], cold[field], "{field} differ from a cold evaluation");
    }
}

/// A hundred viewers of one dashboard: the upstream sees each distinct query once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_identical_evaluations_share_upstream_queries() {
    let (story, prom) = recent_story();
    let proxy = upstreams::CountingProxy::start(&prom.url).await.unwrap();
    let plugin = std::sync::Arc::new(PluginProcess::start(&binary()).await.expect("handshake"));
    // Nothing kept (`settleTime: 0s`): an evaluation that starts after another has finished would
    // otherwise ask only the ticks that one did not keep, a query of its own.
    let s = std::sync::Arc::new(settings(json!({ "prometheusUrl": proxy.url, "settleTime": "0s" })));
    let body = json!({ "from": story.start, "to": story.end() }).to_string();

    let calls = (0..100).map(|_| {
        let (plugin, s, body) = (plugin.clone(), s.clone(), body.clone());
        tokio::spawn(async move { plugin.call_resource(Some(&s), "POST", "v1/evaluate", body.as_bytes()).await })
    });
    let answers = futures_util::future::join_all(calls).await;
    let mut first: Option<Vec<u8>> = None;
    for a in answers {
        let r = a.unwrap().unwrap();
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        let answer: EvaluateResponse = serde_json::from_slice(&r.body).unwrap();
        assert!(answer.alerts.iter().all(|a| a.error.is_none()));
        // Every viewer gets the same answer.
        match &first {
            None => first = Some(r.body),
            Some(f) => assert_eq!(f, &r.body),
        }
    }
    let requests = proxy.requests();
    let distinct: std::collections::HashSet<_> = requests.iter().collect();
    // One read of the ruler's rules (this Prometheus has none, so the built-in rules are in force),
    // one series call for the existence checks, a range query per rule, one for every headline and
    // edge together (`evaluate::graphs`; the sparkline ends on a tick of its own here, so no query
    // for the newest tick), and one for the three backlog stages' consumer positions together
    // (their backlogs are headlines, read from the sparkline, a minute apart over these two hours,
    // and so are the positions, on the sparkline's ticks, so that queue insight is read tick by
    // tick from the same answers; light asks go together only with their own kind).
    assert_eq!(distinct.len(), 1 + 1 + 4 + 1 + 1, "an evaluation's upstream queries: {distinct:#?}");
    assert_eq!(requests.len(), distinct.len(), "each distinct query must reach the upstream once: {requests:#?}");

    // A later, different window is not served from another window's answers.
    proxy.reset();
    let later = json!({ "from": story.start + MINUTE, "to": story.end() + MINUTE }).to_string();
    let r = plugin.call_resource(Some(&s), "POST", "v1/evaluate", later.as_bytes()).await.unwrap();
    assert_eq!(r.status, 200);
    assert!(!proxy.requests().is_empty());

    // With the default settle time (10m), a refresh a minute later asks only for the ticks that were
    // not settled when the first evaluation kept them (the story ends 3 minutes ago: its last 10
    // minutes) and the new one: no range query longer than that.
    let kept = settings(json!({ "prometheusUrl": proxy.url }));
    let first = plugin.call_resource(Some(&kept), "POST", "v1/evaluate", body.as_bytes()).await.unwrap();
    proxy.reset();
    let refreshed = plugin.call_resource(Some(&kept), "POST", "v1/evaluate", later.as_bytes()).await.unwrap();
    assert_eq!((first.status, refreshed.status), (200, 200));
    let ticks_asked = |line: &str| -> Option<i64> {
        let form = |name: &str| {
            line.split(['&', ' '])
                .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
                .and_then(|v| v.parse::<f64>().ok())
        };
        Some(((form("end")? - form("start")?) / form("step")?).round() as i64 + 1)
    };
    let asked: Vec<i64> =
        proxy.requests().iter().filter(|l| l.contains("/api/v1/query_range")).filter_map(|l| ticks_asked(l)).collect();
    assert!(
        !asked.is_empty() && asked.iter().all(|&n| n <= 12),
        "a refresh asks at most the unsettled ticks and the new one: {asked:?}\n{:#?}",
        proxy.requests()
    );
    // And answers as a cold evaluation of that window does.
    tokio::time::sleep(Duration::from_millis(codexflow_core::limits::SHARE_TTL_MS + 500)).await;
    let cold = plugin.call_resource(Some(&s), "POST", "v1/evaluate", later.as_bytes()).await.unwrap();
    assert!(cold.body == refreshed.body, "the refreshed answer is the cold one");
}

/// A rule that fails upstream at evaluation time (not at parse time) degrades only its own stage.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_failing_upstream_degrades_only_its_stage() {
    let (story, prom) = recent_story();
    let plugin = PluginProcess::start(&binary()).await.expect("handshake");
    let rules = r#"groups:
- name: g
  rules:
  - alert: KafkaLag
    expr: sum(kafka_consumergroup_lag) > 1000
    for: 5m
    labels: {stage: kafka, severity: critical}
  - alert: ManyToMany
    expr: kafka_consumergroup_lag * on(topic) kafka_topic_partition_current_offset > 0
    labels: {stage: nats}
"#;
    let s = settings(json!({ "prometheusUrl": prom.url, "rulesYaml": rules }));
    let r = post(&plugin, Some(&s), "v1/evaluate", json!({ "from": story.start, "to": story.end() })).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let answer: EvaluateResponse = serde_json::from_slice(&r.body).unwrap();
    let nats = answer.stages.iter().find(|s| s.id == "nats").unwrap();
    assert_eq!(nats.status, StageStatus::Nodata);
    assert!(nats.reason.as_deref().unwrap_or("").contains("many-to-many"), "{:?}", nats.reason);
    let kafka_alert = answer.alerts.iter().find(|a| a.name == "KafkaLag").unwrap();
    assert!(kafka_alert.error.is_none());
    assert!(
        kafka_alert.timeline.iter().any(|p| p.state == codexflow_core::AlertState::Firing),
        "the good rule still evaluates"
    );
}

/// The config page's check: proposed settings parsed by the backend itself, stored secrets merged as
/// Grafana merges them on save, nothing contacted and no secret echoed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proposed_settings_are_checked_before_saving() {
    let plugin = PluginProcess::start(&binary()).await.expect("handshake");
    let stored = |json_data: serde_json::Value, secrets: &[(&str, &str)]| AppSettings {
        json_data,
        secure_json_data: secrets.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
    };
    let check = |s: AppSettings, body: serde_json::Value| {
        let plugin = &plugin;
        async move { post(plugin, Some(&s), "v1/settings/check", body).await }
    };

    // Stored settings are broken (no URL); the check of good proposed ones still answers.
    let r = check(
        stored(json!({}), &[]),
        json!({"jsonData": {"prometheusUrl": "http://prom:9090", "evaluationInterval": "30s"}}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let ok: codexflow_core::api::SettingsCheckResponse = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(
        (ok.evaluation_interval.as_str(), ok.auth.as_str(), ok.rules, ok.rules_source.as_str(), ok.stages),
        ("30s", "none", 4, "auto", 4)
    );

    let r = check(stored(json!({}), &[]), json!({"jsonData": {"prometheusUrl": "http://prom:9090", "rulesYaml": "groups: [{name: g, rules: [{alert: A, expr: 'up >'}]}]"}})).await;
    assert_eq!(r.status, 400);
    assert_eq!(api_error(&r).field.as_deref(), Some("jsonData.rulesYaml"), "{:?}", api_error(&r));

    let r = check(stored(json!({}), &[]), json!({"jsonData": {"prometheusUrl": "ftp://x"}})).await;
    assert_eq!((r.status, api_error(&r).field.as_deref()), (400, Some("jsonData.prometheusUrl")));

    // A stored token is kept when the form does not send it, and cleared by an empty value.
    let with_token = stored(json!({"prometheusUrl": "http://prom:9090"}), &[("bearerToken", "tok-XYZZY-9")]);
    let r = check(with_token.clone(), json!({"jsonData": {"prometheusUrl": "http://prom:9090"}})).await;
    assert!(String::from_utf8_lossy(&r.body).contains("\"auth\":\"bearer\""), "{}", String::from_utf8_lossy(&r.body));
    assert!(!String::from_utf8_lossy(&r.body).contains("XYZZY"));
    let r = check(with_token.clone(), json!({"jsonData": {"prometheusUrl": "http://prom:9090", "basicAuthUser": "me"}, "secureJsonData": {"basicAuthPassword": "pw"}})).await;
    assert_eq!(
        api_error(&r).field.as_deref(),
        Some("secureJsonData.bearerToken"),
        "switching to basic auth without clearing the token"
    );
    let r = check(
        with_token,
        json!({"jsonData": {"prometheusUrl": "http://prom:9090", "basicAuthUser": "me"}, "secureJsonData": {"basicAuthPassword": "pw", "bearerToken": ""}}),
    )
    .await;
    assert!(String::from_utf8_lossy(&r.body).contains("\"auth\":\"basic\""), "{}", String::from_utf8_lossy(&r.body));

    let r = post(&plugin, None, "v1/settings/check", json!({"jsonData": 5})).await;
    assert_eq!((r.status, api_error(&r).code.as_str()), (400, "bad_request"));
    assert!(!plugin.stderr().contains("XYZZY"));
}

/// `v1/panel-map` over gRPC: the upstream dashboard's panels (the reference copy) map to their stages,
/// and a request over the limits is a 400 naming the field, with the plugin still answering.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panel_map_over_grpc() {
    use codexflow_core::panel_map::PanelMapResponse;
    let mut plugin = PluginProcess::start(&binary()).await.expect("handshake");
    // No Prometheus is asked: the mapping reads only the pipeline in force.
    let s = settings(json!({ "prometheusUrl": "http://127.0.0.1:9" }));
    let reference: serde_json::Value =
        serde_json::from_str(include_str!("../../tests/fixtures/reference/upstream-dashboard-panels.json"))
            .expect("reference copy");
    let panels: Vec<serde_json::Value> = reference["panels"]
        .as_array()
        .expect("panels")
        .iter()
        .map(|p| json!({ "id": p["id"], "title": p["title"], "exprs": p["targets"].as_array().unwrap().iter().map(|t| t["expr"].clone()).collect::<Vec<_>>() }))
        .collect();
    let r = post(&plugin, Some(&s), "v1/panel-map", json!({ "panels": panels })).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let map: PanelMapResponse = serde_json::from_slice(&r.body).expect("PanelMapResponse");
    let ids = |stage: &str| -> Vec<u32> {
        map.stages.iter().find(|s| s.stage == stage).unwrap().panels.iter().map(|p| p.id).collect()
    };
    assert_eq!(
        (ids("kafka"), ids("nats"), ids("jangar"), ids("sse")),
        (vec![1, 2], vec![3, 4, 5], vec![6, 7], vec![8, 9])
    );

    let too_many = json!({ "panels": vec![json!({ "id": 1, "exprs": ["up"] }); 501] });
    let r = post(&plugin, Some(&s), "v1/panel-map", too_many).await;
    assert_eq!((r.status, api_error(&r).field.as_deref()), (400, Some("panels")));
    let r = post(&plugin, Some(&s), "v1/panel-map", json!({ "panels": [{ "id": "x" }] })).await;
    assert_eq!((r.status, api_error(&r).field.as_deref()), (400, Some("panels[0].id")));
    assert!(plugin.is_running());
}
