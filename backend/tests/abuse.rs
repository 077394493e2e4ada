//! No viewer can crash, stall or flood the plugin (issue 10): each request below is one any signed-in
//! viewer can send, or an upstream any admin can point the app at. For each, the plugin process
//! stays up, answers within a bound with a JSON error or a degraded stage, and a normal call
//! afterwards still succeeds. Upstream faults come from small scripted servers; the many-series
//! case also from a real Prometheus.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use codexflow_core::api::{ApiError, EvaluateResponse};
use codexflow_core::error::ErrorCode;
use codexflow_core::limits::SHARE_TTL_MS;
use codexflow_core::StageStatus;
use codexflow_testkit::grafana::plugin_host::{AppSettings, PluginProcess, ResourceResponse};
use codexflow_testkit::prometheus::PrometheusServer;
use codexflow_testkit::scenario::{openmetrics_of, Scenario};
use codexflow_testkit::upstreams::{self, matrix, Reply, Scripted};
use serde_json::{json, Value};

const MINUTE: i64 = 60_000;
/// The documented ceiling of the plugin's resident memory under the worst input (`docs/api.md`).
const RSS_CEILING_KIB: u64 = 512 * 1024;

fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_gpx_codexflow"))
}

fn settings(json_data: Value) -> AppSettings {
    AppSettings { json_data, secure_json_data: Default::default() }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

/// A call that must not stall: answered within `s.stall_bound()`, with how long it took (printed, not
/// judged: how fast is the benches' question).
async fn call(
    plugin: &PluginProcess,
    s: &AppSettings,
    method: &str,
    path: &str,
    body: &[u8],
) -> (ResourceResponse, Duration) {
    let started = Instant::now();
    let bound = s.stall_bound();
    let r = tokio::time::timeout(bound, plugin.call_resource(Some(s), method, path, body))
        .await
        .unwrap_or_else(|_| panic!("{method} {path} stalled: no answer within {bound:?}, the plugin's own bound"))
        .expect("CallResource");
    (r, started.elapsed())
}

fn api_error(r: &ResourceResponse) -> ApiError {
    serde_json::from_slice(&r.body)
        .unwrap_or_else(|e| panic!("not an ApiError ({e}): {}", String::from_utf8_lossy(&r.body)))
}

fn answer(r: &ResourceResponse) -> EvaluateResponse {
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body[..r.body.len().min(2000)]));
    serde_json::from_slice(&r.body).expect("an EvaluateResponse")
}

/// `v1/evaluate` of the hour up to the current minute.
async fn evaluate_last_hour(plugin: &PluginProcess, s: &AppSettings) -> (ResourceResponse, Duration) {
    let now = now_ms() / MINUTE * MINUTE;
    call(plugin, s, "POST", "v1/evaluate", json!({"from": now - 3_600_000, "to": now}).to_string().as_bytes()).await
}

/// The plugin is alive and serves a normal call.
async fn still_serves(plugin: &mut PluginProcess, s: &AppSettings) {
    assert!(plugin.is_running(), "the plugin died; stderr:\n{}", plugin.stderr());
    let (r, _) = call(plugin, s, "GET", "v1/pipeline", b"").await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert!(!plugin.stderr().contains("panicked"), "{}", plugin.stderr());
}

/// An upstream that answers every query with an empty matrix (and every other call emptily).
async fn quiet_upstream() -> Scripted {
    Scripted::start(|seen| {
        if seen.target.contains("/series") || seen.target.contains("/label/") {
            Reply::json(r#"{"status":"success","data":[]}"#)
        } else if seen.target.contains("/query_range") {
            Reply::json(r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#)
        } else {
            Reply::json(r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#)
        }
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numbers_near_the_64_bit_limits_are_refused_not_wrapped() {
    let up = quiet_upstream().await;
    let mut plugin = PluginProcess::start(&binary()).await.unwrap();
    // The rules API on a server of its own (every evaluation reads it): any request `up` sees is a query.
    let ruler = quiet_upstream().await;
    let s = settings(json!({ "prometheusUrl": up.url, "rulerUrl": ruler.url }));
    let (max, min) = (i64::MAX, i64::MIN);
    let cases: Vec<(&str, String, &str)> = vec![
        ("v1/evaluate", format!(r#"{{"from":0,"to":{max}}}"#), "to"),
        ("v1/evaluate", format!(r#"{{"from":{},"to":{max}}}"#, max - 1), "from"),
        ("v1/evaluate", format!(r#"{{"from":0,"to":60000,"intervalMs":{max}}}"#), "intervalMs"),
        ("v1/evaluate", format!(r#"{{"from":{min},"to":0}}"#), "from"),
        ("v1/stage-metrics", format!(r#"{{"stage":"kafka","from":0,"to":{max}}}"#), "from"),
        (
            "v1/stage-metrics",
            format!(r#"{{"stage":"kafka","from":0,"to":60000,"maxPoints":{}}}"#, u32::MAX),
            "maxPoints",
        ),
        // The chunk arithmetic of a step this wide wrapped before: gigabytes of chunks, then an abort.
        (
            "v1/evaluate",
            r#"{"from":0,"to":9000000000000000000,"intervalMs":1000000000000000}"#.to_string(),
            "intervalMs",
        ),
        ("v1/stage-metrics", format!(r#"{{"stage":"kafka","from":0,"to":{max},"maxPoints":2}}"#), "from"),
    ];
    for (path, body, field) in cases {
        let before = up.requests();
        let (r, _) = call(&plugin, &s, "POST", path, body.as_bytes()).await;
        let e = api_error(&r);
        assert_eq!(
            (r.status, e.code, e.field.as_deref()),
            (400, ErrorCode::BadRequest, Some(field)),
            "{path} {body}: {}",
            e.error
        );
        // Refused before any work: nothing was asked of Prometheus.
        assert_eq!(up.requests(), before, "{path} {body} asked Prometheus");
    }
    still_serves(&mut plugin, &s).await;
    let (r, _) = call(&plugin, &s, "POST", "v1/evaluate", br#"{"from":0,"to":600000}"#).await;
    answer(&r);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_long_or_nested_inputs_are_refused_before_parsing() {
    let up = quiet_upstream().await;
    let mut plugin = PluginProcess::start(&binary()).await.unwrap();
    let good = settings(json!({ "prometheusUrl": up.url }));
    let rule = |expr: &str| {
        format!("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: '{expr}'\n    labels: {{stage: kafka}}\n")
    };
    let parens = format!("{}up{}", "(".repeat(100_000), ")".repeat(100_000));
    let minus = format!("{}up", "-".repeat(100_000));
    let chain = vec!["up"; 40_000].join(" + ");
    let yaml_nest = format!("groups: {}{}", "[".repeat(50_000), "]".repeat(50_000));
    let pipeline = |expr: &str| json!({"stages": [{"id": "a", "name": "A", "headline": {"expr": expr}}]});
    let queue = |backlog: &str, position: &str| json!({"stages": [{"id": "a", "name": "A", "headline": {"expr": "up"}, "queue": {"backlog": backlog, "position": position}}]});
    let cases: Vec<(Value, &str)> = vec![
        (json!({"prometheusUrl": up.url, "rulesYaml": rule(&parens)}), "jsonData.rulesYaml"),
        (json!({"prometheusUrl": up.url, "rulesYaml": rule(&minus)}), "jsonData.rulesYaml"),
        (json!({"prometheusUrl": up.url, "rulesYaml": rule(&chain)}), "jsonData.rulesYaml"),
        (json!({"prometheusUrl": up.url, "rulesYaml": yaml_nest}), "jsonData.rulesYaml"),
        (json!({"prometheusUrl": up.url, "pipeline": pipeline(&minus)}), "jsonData.pipeline.stages[0].headline.expr"),
        (
            json!({"prometheusUrl": up.url, "pipeline": pipeline(&vec!["up"; 300].join(" * "))}),
            "jsonData.pipeline.stages[0].headline.expr",
        ),
        (
            json!({"prometheusUrl": up.url, "pipeline": queue(&minus, "up")}),
            "jsonData.pipeline.stages[0].queue.backlog",
        ),
        (
            json!({"prometheusUrl": up.url, "pipeline": queue("up", "up offset 1e400")}),
            "jsonData.pipeline.stages[0].queue.position",
        ),
    ];
    for (json_data, field) in cases {
        let body = json!({ "jsonData": json_data }).to_string();
        let before = up.requests();
        let (r, _) = call(&plugin, &good, "POST", "v1/settings/check", body.as_bytes()).await;
        let e = api_error(&r);
        assert_eq!((r.status, e.code, e.field.as_deref()), (400, ErrorCode::Settings, Some(field)), "{}", e.error);
        assert_eq!(up.requests(), before, "{field}: refused settings asked the upstream");
        // The same settings stored: CheckHealth and every call say what is wrong, without a stall.
        let stored = settings(json_data);
        let h = tokio::time::timeout(stored.stall_bound(), plugin.check_health(Some(&stored)))
            .await
            .expect("CheckHealth stalled")
            .unwrap();
        assert!(h.message.contains(field), "{}", h.message);
        let (r, _) = call(&plugin, &stored, "POST", "v1/evaluate", br#"{"from":0,"to":60000}"#).await;
        assert_eq!(r.status, 503);
    }
    still_serves(&mut plugin, &good).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checking_large_settings_holds_up_no_other_call() {
    let up = quiet_upstream().await;
    let plugin = std::sync::Arc::new(PluginProcess::start(&binary()).await.unwrap());
    let good = std::sync::Arc::new(settings(json!({ "prometheusUrl": up.url })));
    // Just under the limits: 1,000 rules, each a long but legal expression.
    let rules: String = (0..1_000)
        .map(|i| {
            format!("  - alert: A{i}\n    expr: '{}'\n    labels: {{stage: kafka}}\n", vec!["up"; 100].join(" + "))
        })
        .collect();
    let big = json!({ "jsonData": { "prometheusUrl": up.url, "rulesYaml": format!("groups:\n- name: g\n  rules:\n{rules}") } }).to_string();
    assert!(big.len() > 300_000, "{} bytes", big.len());
    let checks: Vec<_> = (0..4)
        .map(|_| {
            let (plugin, good, big) = (plugin.clone(), good.clone(), big.clone());
            tokio::spawn(async move { call(&plugin, &good, "POST", "v1/settings/check", big.as_bytes()).await.0 })
        })
        .collect();
    let started = Instant::now();
    for _ in 0..10 {
        let (r, _) = call(&plugin, &good, "GET", "v1/pipeline", b"").await;
        assert_eq!(r.status, 200);
    }
    let others = started.elapsed();
    for c in checks {
        let r = c.await.unwrap();
        assert!(r.status == 200 || r.status == 400, "{}", String::from_utf8_lossy(&r.body));
    }
    // Every call, the checks too, was answered within its stall bound (`call`), with the four largest
    // checks the limits allow in flight. How long they took is no proof: a check this size takes
    // milliseconds, and the checks are kept off the runtime by construction (`spawn_blocking`).
    println!("ten small calls took {others:?} beside four large checks");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absurd_durations_are_refused_or_cost_nothing() {
    let up = quiet_upstream().await;
    let mut plugin = PluginProcess::start(&binary()).await.unwrap();
    let good = settings(json!({ "prometheusUrl": up.url }));
    let rule = |for_: &str| {
        format!("groups:\n- name: g\n  rules:\n  - alert: Long\n    expr: up == 0\n    for: {for_}\n    labels: {{stage: kafka}}\n")
    };
    for (json_data, field) in [
        (json!({"prometheusUrl": up.url, "rulesYaml": rule("292000000y")}), "jsonData.rulesYaml"),
        (json!({"prometheusUrl": up.url, "evaluationInterval": "150000000y"}), "jsonData.evaluationInterval"),
        (json!({"prometheusUrl": up.url, "evaluationInterval": "2d"}), "jsonData.evaluationInterval"),
    ] {
        let (r, _) =
            call(&plugin, &good, "POST", "v1/settings/check", json!({ "jsonData": json_data }).to_string().as_bytes())
                .await;
        assert_eq!(
            (r.status, api_error(&r).field.as_deref()),
            (400, Some(field)),
            "{}",
            String::from_utf8_lossy(&r.body)
        );
    }
    // `for: 10y` is a rule Prometheus runs: it is not evaluated here, its stage says why, and it
    // costs the upstream nothing.
    let long = settings(json!({"prometheusUrl": up.url, "rulesYaml": rule("10y")}));
    let before = up.requests();
    let (r, took) = evaluate_last_hour(&plugin, &long).await;
    let a = answer(&r);
    let kafka = a.stages.iter().find(|s| s.id == "kafka").unwrap();
    assert_eq!(kafka.status, StageStatus::Nodata);
    assert!(kafka.reason.as_deref().unwrap_or("").contains("10y"), "{:?}", kafka.reason);
    // The rules API, the existence check, every headline and edge in one query (`evaluate::graphs`)
    // and the three backlog stages' consumer positions in another: none of it for the rule.
    let asked = up.requests() - before;
    assert!(asked <= 4, "a 1 h evaluation asked the upstream {asked} times");
    println!("a 1 h evaluation with a `for: 10y` rule: {took:?}");
    still_serves(&mut plugin, &good).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_upstream_answers_degrade_their_stage_and_memory_stays_bounded() {
    // Every range query answers by what it asks for: 2,500 series (over the series cap), one series
    // with a 60 MB label (over the body cap), or 100 series of 2,000 points per chunk, under both
    // caps, whose week at 30 s fills a call's sample budget.
    let up = Scripted::start(|seen| {
        if !seen.target.contains("/query_range") {
            return Reply::json(r#"{"status":"success","data":[]}"#);
        }
        let query = seen.form("query").unwrap_or_default();
        let start: f64 = seen.form("start").and_then(|s| s.parse().ok()).unwrap_or(0.0);
        let step: f64 = seen.form("step").and_then(|s| s.parse().ok()).unwrap_or(60.0);
        if query.contains("many") {
            Reply::json(matrix(2_500, 2, start, step, 0))
        } else if query.contains("wide") {
            Reply::json(matrix(1, 2, start, step, 60 << 20))
        } else {
            Reply::json(matrix(100, 2_000, start, step, 0))
        }
    })
    .await
    .unwrap();
    let plugin = PluginProcess::start(&binary()).await.unwrap();
    let rules = "groups:\n- name: g\n  rules:\n  - alert: Many\n    expr: many > 1\n    labels: {stage: kafka}\n  - alert: Wide\n    expr: wide > 1\n    labels: {stage: nats}\n  - alert: Full\n    expr: full > 1\n    labels: {stage: jangar}\n";
    let s = settings(json!({ "prometheusUrl": up.url, "rulesYaml": rules, "timeout": "30s" }));
    let (base_rss, _) = plugin.memory_kib();
    let now = now_ms() / MINUTE * MINUTE;
    // A week at 30 s: every rule's query is sent in chunks, each answered in full.
    let window = json!({"from": now - 7 * 86_400_000, "to": now, "intervalMs": 30_000}).to_string();
    let (r, took) = call(&plugin, &s, "POST", "v1/evaluate", window.as_bytes()).await;
    let a = answer(&r);
    let reason = |id: &str| a.stages.iter().find(|s| s.id == id).and_then(|s| s.reason.clone()).unwrap_or_default();
    assert!(reason("kafka").contains("more than the 2000 one query may"), "{}", reason("kafka"));
    assert!(reason("nats").contains("larger than 8 MiB"), "{}", reason("nats"));
    assert!(reason("jangar").contains("million samples"), "{}", reason("jangar"));
    assert!(r.body.len() < 64 << 20, "answer of {} bytes", r.body.len());
    // Ten viewers asking at once still stay under the ceiling.
    let plugin = std::sync::Arc::new(plugin);
    let viewers: Vec<_> = (0..10)
        .map(|i| {
            let (plugin, s) = (plugin.clone(), s.clone());
            let body = json!({"from": now - 7 * 86_400_000 + i * MINUTE, "to": now, "intervalMs": 30_000}).to_string();
            tokio::spawn(async move {
                plugin.call_resource(Some(&s), "POST", "v1/evaluate", body.as_bytes()).await.unwrap().status
            })
        })
        .collect();
    for v in viewers {
        assert_eq!(v.await.unwrap(), 200);
    }
    let (after_rss, peak) = plugin.memory_kib();
    eprintln!(
        "rss: baseline {base_rss} KiB, peak {peak} KiB, after {after_rss} KiB; first call {took:?}, answer {} bytes",
        r.body.len()
    );
    assert!(peak < RSS_CEILING_KIB, "peak RSS {peak} KiB over the {RSS_CEILING_KIB} KiB ceiling");
    // Once the calls are done, what they held is given back, and the shared answers expire within
    // two sweeps (SHARE_TTL_MS each) with no further request; 30 s more for a busy machine.
    let wait_s = 2 * SHARE_TTL_MS / 1_000 + 30;
    let settled = (0..wait_s).find_map(|_| {
        std::thread::sleep(Duration::from_secs(1));
        let (rss, _) = plugin.memory_kib();
        (rss < base_rss + 64 * 1024).then_some(rss)
    });
    assert!(settled.is_some(), "RSS {} KiB {wait_s} s after the calls, baseline {base_rss} KiB", plugin.memory_kib().0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_series_in_a_real_prometheus_degrade_only_their_stage() {
    let now = now_ms() / MINUTE * MINUTE;
    let mut sc = Scenario::new("many-series", now - 30 * MINUTE, 15_000, 30 * MINUTE);
    for i in 0..2_500 {
        let label = i.to_string();
        sc.series(
            "kafka_consumergroup_lag",
            &[
                ("consumergroup", "jangar-codex-completions"),
                ("partition", &label),
                ("topic", "argo.workflows.completions"),
            ],
            |_| Some(2.0),
        );
    }
    let prom = PrometheusServer::start(&openmetrics_of(std::slice::from_ref(&sc)), "").expect("prometheus");
    let mut plugin = PluginProcess::start(&binary()).await.unwrap();
    let rules = "groups:\n- name: g\n  rules:\n  - alert: PerPartition\n    expr: kafka_consumergroup_lag > 1\n    labels: {stage: kafka}\n  - alert: Summed\n    expr: sum(kafka_consumergroup_lag) > 1\n    labels: {stage: nats}\n";
    let s = settings(json!({ "prometheusUrl": prom.url, "rulesYaml": rules }));
    let (r, _) =
        call(&plugin, &s, "POST", "v1/evaluate", json!({"from": now - 20 * MINUTE, "to": now}).to_string().as_bytes())
            .await;
    let a = answer(&r);
    let stage = |id: &str| a.stages.iter().find(|s| s.id == id).unwrap().clone();
    assert_eq!(stage("kafka").status, StageStatus::Nodata);
    assert!(stage("kafka").reason.unwrap_or_default().contains("2500 series"), "the per-partition rule is refused");
    assert_eq!(stage("nats").status, StageStatus::Warning, "the summed rule still evaluates");
    still_serves(&mut plugin, &s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_reach_neither_the_log_nor_a_reason() {
    const TOKEN: &str = "tok-NEVER-SHOWN-31337";
    // An upstream that echoes the request's Authorization header in its error bodies and messages.
    let echo = Scripted::start(|seen| {
        let auth = seen.header("authorization").unwrap_or("").to_string();
        if seen.target.contains("/query_range") {
            let body = json!({"status": "error", "errorType": "bad_data", "error": format!("rejected request with Authorization: {auth}")});
            Reply { status: 400, headers: vec![("Content-Type".into(), "application/json".into())], body: body.to_string().into_bytes() }
        } else {
            Reply { status: 502, headers: vec![], body: format!("proxy error\nAuthorization: {auth}\nupstream said {auth}").into_bytes() }
        }
    })
    .await
    .unwrap();
    let mut plugin = PluginProcess::start_with_env(&binary(), &[], &[("RUST_LOG", "trace")]).await.unwrap();
    let s = AppSettings {
        json_data: json!({ "prometheusUrl": echo.url }),
        secure_json_data: [("bearerToken".to_string(), TOKEN.to_string())].into(),
    };
    let (r, _) = call(&plugin, &s, "POST", "v1/evaluate", br#"{"from":0,"to":600000}"#).await;
    let body = String::from_utf8_lossy(&r.body).to_string();
    assert_eq!(r.status, 200, "{body}");
    assert!(body.contains("rejected request with"), "the upstream's own words still reach the reason: {body}");
    let h = plugin.check_health(Some(&s)).await.unwrap();
    for text in [body.as_str(), h.message.as_str(), &String::from_utf8_lossy(&h.json_details)] {
        assert!(!text.contains(TOKEN) && !text.contains("NEVER-SHOWN"), "a secret in an answer: {text}");
    }
    let log = plugin.stderr();
    assert!(
        log.contains("TRACE") || log.contains("trace") || log.contains("DEBUG") || !log.is_empty(),
        "logging at trace is on"
    );
    assert!(!log.contains(TOKEN), "the secret reached the log at RUST_LOG=trace:\n{log}");
    still_serves(&mut plugin, &s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_are_errors_and_lying_upstreams_are_not_believed() {
    let moved = Scripted::start(|seen| {
        let location = if seen.target.contains("/query?") || seen.target.ends_with("/query") {
            "http://elsewhere.example/api/v1/query"
        } else {
            "/login"
        };
        Reply { status: 302, headers: vec![("Location".into(), location.into())], body: Vec::new() }
    })
    .await
    .unwrap();
    let liar = Scripted::start(|seen| {
        if seen.target.contains("/query_range") {
            let start: f64 = seen.form("start").and_then(|s| s.parse().ok()).unwrap_or(0.0);
            Reply::json(format!(r#"{{"status":"success","data":{{"resultType":"matrix","result":[{{"metric":{{}},"values":[[{start},"5"],[{start},"1500"]]}}]}}}}"#))
        } else {
            Reply::json(r#"{"status":"success","data":[]}"#)
        }
    })
    .await
    .unwrap();
    let mut plugin = PluginProcess::start(&binary()).await.unwrap();
    let to_moved = settings(json!({ "prometheusUrl": moved.url }));
    let (r, _) = call(&plugin, &to_moved, "POST", "v1/evaluate", br#"{"from":0,"to":600000}"#).await;
    let a = answer(&r);
    assert!(
        a.stages.iter().all(|s| s.reason.as_deref().unwrap_or("").contains("redirected (HTTP 302) to /login")),
        "{:?}",
        a.stages[0].reason
    );
    let h = plugin.check_health(Some(&to_moved)).await.unwrap();
    assert!(
        h.message.contains("redirected") && h.message.contains("elsewhere.example"),
        "a cross-origin redirect is not 'Connected': {}",
        h.message
    );
    let to_liar = settings(json!({ "prometheusUrl": liar.url }));
    let (r, _) = call(&plugin, &to_liar, "POST", "v1/evaluate", br#"{"from":0,"to":600000}"#).await;
    let a = answer(&r);
    assert!(a.stages[0].reason.as_deref().unwrap_or("").contains("repeat or go backwards"), "{:?}", a.stages[0].reason);
    still_serves(&mut plugin, &to_liar).await;
}

/// An upstream whose batched graph queries (`evaluate::graphs`) come back with series marked as no
/// expression of the batch (`mark`: the label's value, `None`: no mark at all), and whose single
/// queries answer 5 at every tick asked.
async fn mislabelling_upstream(mark: Option<&'static str>) -> Scripted {
    Scripted::start(move |seen| {
        if !seen.target.contains("/query_range") {
            return Reply::json(r#"{"status":"success","data":[]}"#);
        }
        let num = |k: &str| seen.form(k).and_then(|s| s.parse::<f64>().ok()).unwrap_or(0.0);
        let (start, end, step) = (num("start"), num("end"), num("step").max(1.0));
        let batch = seen.form("query").is_some_and(|q| q.contains("__codexflow_graph"));
        let value = if batch { "7" } else { "5" };
        let values: Vec<String> = (0..)
            .map(|i| start + f64::from(i) * step)
            .take_while(|t| *t <= end)
            .map(|t| format!(r#"[{t},"{value}"]"#))
            .collect();
        let metric = match (batch, mark) {
            (true, Some(mark)) => format!(r#"{{"__codexflow_graph":"{mark}"}}"#),
            (true, None) => r#"{"job":"unmarked"}"#.to_string(),
            (false, _) => "{}".to_string(),
        };
        Reply::json(format!(
            r#"{{"status":"success","data":{{"resultType":"matrix","result":[{{"metric":{metric},"values":[{}]}}]}}}}"#,
            values.join(",")
        ))
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_answered_with_series_of_no_expression_is_asked_again_one_by_one() {
    let mut plugin = PluginProcess::start(&binary()).await.unwrap();
    for mark in [None, Some("99"), Some("-1"), Some("x")] {
        let up = mislabelling_upstream(mark).await;
        let s = settings(json!({ "prometheusUrl": up.url, "settleTime": "0s" }));
        let (r, _) = evaluate_last_hour(&plugin, &s).await;
        let a = answer(&r);
        for stage in &a.stages {
            assert_eq!(
                stage.headline.value,
                Some(5.0),
                "{mark:?}: {} took the batch's 7 or nothing: {:?}",
                stage.id,
                stage.headline
            );
            assert!(
                stage.series.iter().all(|p| p.v == Some(5.0)),
                "{mark:?}: {}'s sparkline {:?}",
                stage.id,
                stage.series
            );
        }
        for edge in &a.edges {
            assert_eq!(edge.rate, Some(5.0), "{mark:?}: {} -> {}", edge.from, edge.to);
        }
    }
    still_serves(&mut plugin, &settings(json!({ "prometheusUrl": quiet_upstream().await.url }))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settle_times_at_and_beyond_their_limits() {
    let up = quiet_upstream().await;
    let mut plugin = PluginProcess::start(&binary()).await.unwrap();
    let good = settings(json!({ "prometheusUrl": up.url }));
    for bad in ["-1m", "1d1s", "292000000y", "soon", "1e9h"] {
        let check = json!({ "jsonData": {"prometheusUrl": up.url, "settleTime": bad} });
        let (r, _) = call(&plugin, &good, "POST", "v1/settings/check", check.to_string().as_bytes()).await;
        assert_eq!(
            (r.status, api_error(&r).field.as_deref()),
            (400, Some("jsonData.settleTime")),
            "{bad}: {}",
            String::from_utf8_lossy(&r.body)
        );
        // Saved anyway (Grafana does not ask the plugin first): evaluation refuses with the field named.
        let saved = settings(json!({ "prometheusUrl": up.url, "settleTime": bad }));
        let (r, _) = call(&plugin, &saved, "POST", "v1/evaluate", br#"{"from":0,"to":600000}"#).await;
        assert!(
            r.status >= 400 && String::from_utf8_lossy(&r.body).contains("settleTime"),
            "{bad}: {} {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        );
    }
    // The limits themselves serve, twice each (the second from what the first kept).
    for edge in ["0s", "1d"] {
        let s = settings(json!({ "prometheusUrl": up.url, "settleTime": edge }));
        for _ in 0..2 {
            let (r, _) = evaluate_last_hour(&plugin, &s).await;
            answer(&r);
        }
    }
    still_serves(&mut plugin, &good).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_request_defects() {
    let up = quiet_upstream().await;
    let mut plugin = PluginProcess::start(&binary()).await.unwrap();
    let s = settings(json!({ "prometheusUrl": up.url }));
    let (r, _) = call(&plugin, &s, "POST", "v1/evaluate", b"[1,2]").await;
    assert_eq!((r.status, api_error(&r).code), (400, ErrorCode::BadRequest));
    let (r, _) = call(&plugin, &s, "POST", "v1/evaluate", br#"{"from":"yesterday","to":1}"#).await;
    assert_eq!(api_error(&r).field.as_deref(), Some("from"), "the field, not the value");
    let (r, _) = call(&plugin, &s, "HEAD", "v1/rules", b"").await;
    assert_eq!((r.status, r.body.len()), (200, 0), "HEAD: GET's status, no body");
    let pipeline: Value = serde_json::from_str(include_str!("../defaults/pipeline.json")).unwrap();
    let object = json!({"jsonData": {"prometheusUrl": up.url, "pipeline": pipeline}});
    let (r, _) = call(&plugin, &s, "POST", "v1/settings/check", object.to_string().as_bytes()).await;
    assert_eq!(r.status, 200, "the object form of the pipeline: {}", String::from_utf8_lossy(&r.body));
    let huge = vec![b' '; 3 << 20];
    let (r, _) = call(&plugin, &s, "POST", "v1/evaluate", &huge).await;
    assert_eq!((r.status, api_error(&r).code), (413, ErrorCode::TooLarge));
    still_serves(&mut plugin, &s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plugin_listens_inside_grafanas_port_range_and_answers_beyond_four_mib() {
    let up = quiet_upstream().await;
    let port = codexflow_testkit::daemon::free_port().unwrap();
    let (min, max) = (port.to_string(), (port + 3).to_string());
    let plugin = PluginProcess::start_with_env(&binary(), &[], &[("PLUGIN_MIN_PORT", &min), ("PLUGIN_MAX_PORT", &max)])
        .await
        .unwrap();
    let bound: u16 = plugin.address.rsplit(':').next().unwrap().parse().unwrap();
    assert!((port..=port + 3).contains(&bound), "listening on {bound}, outside {min}..{max}");
    // Seven days at 15 s: an answer of several MiB, which Grafana's client (and the dev host) take.
    let s = settings(json!({ "prometheusUrl": up.url, "evaluationInterval": "15s" }));
    let now = now_ms() / MINUTE * MINUTE;
    let (r, _) = call(
        &plugin,
        &s,
        "POST",
        "v1/evaluate",
        json!({"from": now - 7 * 86_400_000, "to": now}).to_string().as_bytes(),
    )
    .await;
    assert!(r.body.len() > 4 << 20, "{} bytes", r.body.len());
    answer(&r);
    let _ = upstreams::closed_port_url();
}

/// A rules API answer with `rules` (JSON objects) in the pipeline's group.
fn rules_answer(rules: &[String]) -> Vec<u8> {
    format!(
        r#"{{"status":"success","data":{{"groups":[{{"name":"codex-pipeline-observability.rules","file":"/etc/rules/codex.yaml","interval":30,"rules":[{}]}}]}}}}"#,
        rules.join(",")
    )
    .into_bytes()
}

fn alerting(name: &str, query: &str) -> String {
    format!(
        r#"{{"name":{},"query":{},"type":"alerting","health":"ok","duration":0,"labels":{{}},"annotations":{{}},"alerts":[]}}"#,
        json!(name),
        json!(query)
    )
}

/// A ruler that answers `/api/v1/rules` with `body`, and every query emptily.
async fn ruler(body: Vec<u8>) -> Scripted {
    Scripted::start(move |seen| {
        if seen.target.contains("/api/v1/rules") {
            Reply::json(body.clone())
        } else if seen.target.contains("/query_range") {
            Reply::json(r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#)
        } else {
            Reply::json(r#"{"status":"success","data":[]}"#)
        }
    })
    .await
    .unwrap()
}

/// The rules API is an upstream like any other: too many rules, a rule nested 10^5 deep, an answer
/// over 8 MiB or a lie fall back to the built-in rules with the reason (or fail that one rule), fast,
/// and a pathological `ruleGroups` pattern is a settings error, not a stall.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_rulers_fall_back_with_a_reason() {
    let mut plugin = PluginProcess::start(&binary()).await.unwrap();
    let many: Vec<String> = (0..5_000).map(|i| alerting(&format!("R{i}"), "up > 1")).collect();
    let deep = alerting("Deep", &format!("{}up{}", "(".repeat(100_000), ")".repeat(100_000)));
    let huge = alerting("Huge", &format!("up{{x=\"{}\"}} > 1", "a".repeat(9 << 20)));
    let cases: [(&str, Vec<u8>, &str); 4] = [
        ("5,000 rules", rules_answer(&many), "more than the 1000 alerting rules"),
        ("over 8 MiB", rules_answer(&[huge]), "larger than 8 MiB"),
        ("not JSON", b"<html>login</html>".to_vec(), "the ruler's rules API failed"),
        (
            "status error",
            br#"{"status":"error","errorType":"unavailable","error":"ruler is shutting down"}"#.to_vec(),
            "ruler is shutting down",
        ),
    ];
    for (what, body, reason) in cases {
        let up = ruler(body).await;
        let s = settings(json!({ "prometheusUrl": up.url, "rulesSource": "ruler" }));
        let (r, took) = call(&plugin, &s, "GET", "v1/rules", b"").await;
        assert_eq!(r.status, 200, "{what}: {}", String::from_utf8_lossy(&r.body));
        let v: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["source"]["source"], "builtin", "{what}: {v}");
        let fallback = v["source"]["fallback"].as_str().unwrap_or("");
        assert!(fallback.contains(reason), "{what}: fallback {fallback:?}");
        println!("{what}: {took:?}");
        still_serves(&mut plugin, &s).await;
    }

    // One rule nested 10^5 deep among good ones: that rule is listed with its error, the rest run.
    let up = ruler(rules_answer(&[deep, alerting("Fine", "up > 1")])).await;
    let s = settings(json!({ "prometheusUrl": up.url, "rulesSource": "ruler" }));
    let (r, took) = call(&plugin, &s, "GET", "v1/rules", b"").await;
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["source"]["source"], "ruler", "{v}");
    let rule = |name: &str| {
        v["rules"].as_array().and_then(|a| a.iter().find(|x| x["name"] == name)).cloned().unwrap_or_default()
    };
    assert!(rule("Deep")["error"].as_str().is_some_and(|e| !e.is_empty()), "{}", rule("Deep"));
    assert!(rule("Fine")["error"].is_null(), "{}", rule("Fine"));
    println!("a rule nested 10^5 deep: rules in {took:?}");
    let now = now_ms();
    let body = json!({ "from": now - 3_600_000, "to": now }).to_string();
    let (r, took) = call(&plugin, &s, "POST", "v1/evaluate", body.as_bytes()).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let a = answer(&r);
    assert!(a.alerts.iter().any(|x| x.name == "Deep" && x.error.is_some()), "the deep rule is shown failed");
    assert!(a.alerts.iter().any(|x| x.name == "Fine" && x.error.is_none()));
    println!("a rule nested 10^5 deep: evaluated in {took:?}");

    // A pattern whose compiled form is huge is refused as a setting, at once.
    let check = json!({ "jsonData": { "prometheusUrl": up.url, "ruleGroups": "(?:a{1000}){1000}" } }).to_string();
    let before = up.requests();
    let (r, _) = call(&plugin, &s, "POST", "v1/settings/check", check.as_bytes()).await;
    assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(api_error(&r).field.as_deref(), Some("jsonData.ruleGroups"));
    assert_eq!(up.requests(), before, "a refused pattern asked the ruler");
    still_serves(&mut plugin, &s).await;
}

/// `v1/panel-map` takes a dashboard's worth of PromQL from any viewer: the biggest body it accepts
/// (deep, long and many expressions) is parsed off the runtime's threads and answered within the
/// bound, each bad expression only listed as unread, and beyond the limits the answer names the field.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_dashboards_for_the_panel_map_are_bounded() {
    let mut plugin = PluginProcess::start(&binary()).await.expect("handshake");
    let s = settings(json!({ "prometheusUrl": "http://127.0.0.1:9" }));
    let deep = format!("{}up{}", "(".repeat(10_000), ")".repeat(10_000));
    // Long but within the operator limit (256), so it parses.
    let long = format!("sum({})", vec!["kafka_consumergroup_lag"; 200].join(" + "));
    // Just under the 2 MiB body: deep and long expressions in many panels, plus plain noise.
    let mut panels = Vec::new();
    let mut bytes = 0;
    let mut id = 0;
    while bytes + deep.len() + long.len() < (2 << 20) - 4096 {
        id += 1;
        panels.push(json!({ "id": id, "title": "x", "exprs": [deep.clone(), long.clone(), "sum(rate(x[5m]"] }));
        bytes += deep.len() + long.len() + 64;
    }
    let body = serde_json::to_vec(&json!({ "panels": panels })).unwrap();
    assert!(body.len() < 2 << 20, "{} bytes", body.len());
    let (r, took) = call(&plugin, &s, "POST", "v1/panel-map", &body).await;
    println!("v1/panel-map, {} panels in {} bytes: {} in {took:?}", panels.len(), body.len(), r.status);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body[..r.body.len().min(500)]));
    let map: codexflow_core::panel_map::PanelMapResponse = serde_json::from_slice(&r.body).unwrap();
    let kafka = map.stages.iter().find(|s| s.stage == "kafka").unwrap();
    assert_eq!(kafka.panels.len(), id, "the long expression still reads as Kafka's: {took:?}");
    assert!(map.unread.is_empty(), "a readable query in each panel is enough");

    // Beyond the limits: too many queries in a panel, a title too long.
    let many = json!({ "panels": [{ "id": 1, "exprs": vec!["up"; 27] }] });
    let (r, _) = call(&plugin, &s, "POST", "v1/panel-map", many.to_string().as_bytes()).await;
    assert_eq!((r.status, api_error(&r).field.as_deref()), (400, Some("panels[0].exprs")));
    let titled = json!({ "panels": [{ "id": 1, "title": "t".repeat(2000), "exprs": ["up"] }] });
    let (r, _) = call(&plugin, &s, "POST", "v1/panel-map", titled.to_string().as_bytes()).await;
    assert_eq!((r.status, api_error(&r).field.as_deref()), (400, Some("panels[0].title")));
    still_serves(&mut plugin, &s).await;
}

/// A Prometheus whose every range query returns one series at 1,500 for each step asked, so every
/// rule fires throughout.
async fn firing_upstream() -> Scripted {
    Scripted::start(|seen| {
        if !seen.target.contains("/query_range") {
            return Reply::json(r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#);
        }
        let num = |k: &str| seen.form(k).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        let (start, end, step) = (num("start"), num("end"), num("step").max(1.0));
        let values: Vec<String> = (0..)
            .map(|i| start + i as f64 * step)
            .take_while(|t| *t <= end)
            .map(|t| format!(r#"[{t},"1500"]"#))
            .collect();
        Reply::json(format!(
            r#"{{"status":"success","data":{{"resultType":"matrix","result":[{{"metric":{{}},"values":[{}]}}]}}}}"#,
            values.join(",")
        ))
    })
    .await
    .unwrap()
}

/// An Alertmanager answering `/api/v2/alerts` with `alerts` and `/api/v2/silences` with `silences`.
async fn alertmanager(alerts: Vec<u8>, silences: Vec<u8>) -> Scripted {
    Scripted::start(move |seen| {
        Reply::json(if seen.target.contains("/api/v2/silences") { silences.clone() } else { alerts.clone() })
    })
    .await
    .unwrap()
}

/// The Alertmanager is an upstream like any other: one that never answers, lists too much, answers
/// over 8 MiB, HTML or JSON nested 10^5 deep costs the evaluation a reason in `alertmanager.error`
/// within the timeout, and nothing else; one alert silenced by thousands of long silences names five
/// of them, cut, and counts the rest, so the answer does not grow with the Alertmanager's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_alertmanagers_cost_a_reason_and_nothing_else() {
    let mut plugin = PluginProcess::start(&binary()).await.unwrap();
    let prom = firing_upstream().await;
    let rules = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up > 1\n";
    let with_am = |url: &str| {
        settings(
            json!({ "prometheusUrl": prom.url, "rulesSource": "yaml", "rulesYaml": rules, "alertmanagerUrl": url, "timeout": "2s" }),
        )
    };
    let now = now_ms();
    let body = json!({ "from": now - 10 * MINUTE, "to": now, "intervalMs": MINUTE }).to_string();
    let suppressed = |ids: &[String]| {
        format!(
            r#"[{{"labels":{{"alertname":"A"}},"status":{{"state":"suppressed","silencedBy":{},"inhibitedBy":[]}}}}]"#,
            json!(ids)
        )
        .into_bytes()
    };
    let one = suppressed(&["s".to_string()]);
    let many_alerts =
        format!("[{}]", vec![r#"{"labels":{},"status":{"state":"active"}}"#; 20_001].join(",")).into_bytes();
    let huge =
        format!(r#"[{{"labels":{{"alertname":"A","x":"{}"}},"status":{{"state":"active"}}}}]"#, "a".repeat(9 << 20))
            .into_bytes();
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes();
    let silent = upstreams::silent().unwrap();
    let cases: Vec<(&str, Option<Scripted>, &str)> = vec![
        ("never answers", None, "did not answer within 2000 ms"),
        ("20,001 alerts", Some(alertmanager(many_alerts, b"[]".to_vec()).await), "more than the 20000 read here"),
        ("over 8 MiB", Some(alertmanager(huge, b"[]".to_vec()).await), "larger than 8 MiB"),
        ("HTML", Some(alertmanager(one.clone(), b"<html>sign in</html>".to_vec()).await), "are not a JSON array"),
        ("nested 10^5 deep", Some(alertmanager(deep, b"[]".to_vec()).await), "the Alertmanager's alerts"),
    ];
    for (what, am, reason) in cases {
        let url = am.as_ref().map_or(silent.clone(), |a| a.url.clone());
        let (r, took) = call(&plugin, &with_am(&url), "POST", "v1/evaluate", body.as_bytes()).await;
        let a = answer(&r);
        let error = a.alertmanager.as_ref().and_then(|n| n.error.clone()).unwrap_or_default();
        assert!(error.contains(reason), "{what}: {error:?}");
        let alert = a.alerts.iter().find(|x| x.name == "A").expect("the rule");
        assert_eq!(alert.state, codexflow_core::AlertState::Firing, "{what}: the evaluation itself is untouched");
        assert!(alert.suppressed.is_none() && alert.held_back.is_none(), "{what}");
        println!("{what}: {took:?}");
        still_serves(&mut plugin, &with_am(&url)).await;
    }

    // 2,000 active silences with 1.5 KB authors and 1.5 KB comments (6 MB), all on the one alert.
    let ids: Vec<String> = (0..2_000).map(|i| format!("s{i}")).collect();
    let long = "c".repeat(1_500);
    let silences: Vec<String> = ids
        .iter()
        .map(|id| format!(r#"{{"id":"{id}","createdBy":"{long}","comment":"{long}","endsAt":"2099-01-01T00:00:00Z","status":{{"state":"active"}}}}"#))
        .collect();
    let am = alertmanager(suppressed(&ids), format!("[{}]", silences.join(",")).into_bytes()).await;
    let (r, took) = call(&plugin, &with_am(&am.url), "POST", "v1/evaluate", body.as_bytes()).await;
    println!("2,000 long silences on one alert: a {} byte answer in {took:?}", r.body.len());
    let a = answer(&r);
    let alert = a.alerts.iter().find(|x| x.name == "A").expect("the rule");
    let held = alert.suppressed.as_ref().unwrap_or_else(|| panic!("silenced: {:?} {:?}", a.alertmanager, alert.labels));
    assert_eq!((held.silences.len(), held.more_silences), (5, 1_995));
    assert!(alert.held_back.as_deref().is_some_and(|w| w.ends_with("and 1995 more silences")), "{:?}", alert.held_back);
    assert!(r.body.len() < 64 << 10, "the answer stays small: {} bytes", r.body.len());
    still_serves(&mut plugin, &with_am(&am.url)).await;
}
