//! The rules as the ruler runs them, against real rulers running in real time: Prometheus 2.42 as
//! its own ruler, the same Prometheus behind Mimir's path (`/prometheus`) and tenant header, and
//! vmalert writing its state into a Prometheus. The plugin binary is spawned as Grafana spawns it
//! and configured with no rules at all, so everything it evaluates comes from the ruler's API.
//!
//! The rules: the runbook's four as shipped (their `for` cut to 6 s) reading the pipeline simulator,
//! which turns from healthy to its Kafka act, and a team's own reading a small metrics endpoint on a
//! schedule (lag low, high for 16 s, low again); the rulers evaluate every 2 s and 3 s. After ~50 s
//! of wall time the test checks, per ruler:
//! * `v1/rules` reads both groups with their intervals, the phase the way that ruler ticks, the
//!   rule that fails in the ruler with its `lastError`, the rule no stage can be decided for;
//! * every instant the ruler evaluated at is one of our ticks of that rule's group, seen from
//!   outside the plugin: the raw `ALERTS` timestamps Prometheus wrote, and for vmalert (which
//!   stamps `ALERTS` with its wall clock) the `time` of each query it sent its datasource;
//! * tick for tick, our state equals what the ruler wrote, except where the ruler saw a sample one
//!   tick later than we do (marked `late`; at most two in all), and both went through pending and firing;
//! * a YAML rule with another threshold than the deployed one disagrees exactly where the two
//!   rules' conditions differ, and nowhere else.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use codexflow_core::api::{
    AlertTimeline, EvaluateResponse, PhaseSource, RuleHealth, RulesResponse, RulesSource, StageSource,
};
use codexflow_core::AlertState;
use codexflow_testkit::daemon::{free_port, scratch_dir};
use codexflow_testkit::daemon::{Daemon, Readiness};
use codexflow_testkit::grafana::plugin_host::{AppSettings, PluginProcess};
use codexflow_testkit::prometheus::{http_get, PromOptions, PrometheusServer};
use codexflow_testkit::simulator::{Simulator, Story};
use codexflow_testkit::upstreams::{percent_decode, CountingProxy};
use serde_json::json;

const GROUP: &str = "codex-pipeline-observability.rules";
const EXTRA: &str = "codex-extra";
/// Seconds after the metrics endpoint starts when the lag goes high, and when it goes low again.
const HIGH_FROM_S: f64 = 22.0;
const HIGH_UNTIL_S: f64 = 38.0;
/// When the compared window starts, and when the simulator's Kafka act does: every change falls
/// inside the window, none on its first tick (which has no tick before it to judge lateness by).
const WINDOW_FROM_S: i64 = 12;
const KAFKA_ACT_FROM_S: f64 = 20.0;
/// How long the rulers run before the test looks, and how long before that the compared window ends
/// (the rulers write their last evaluations; a busy machine delays them by seconds).
const RUN_S: u64 = 56;
const SETTLE_MS: i64 = 10_000;

/// The runbook's four rules as shipped, with every `for` cut to 6 s so they fire within the test.
fn runbook_rules() -> String {
    let shipped = include_str!("../../provisioning/rules/codex-pipeline-observability.rules.yaml");
    let body = shipped.split_once("    rules:\n").map_or("", |(_, rules)| rules);
    let mut out = String::new();
    // Shipped under `  - name:` / `    rules:`; here the group's rules sit four columns further left.
    for line in body.lines().map(|l| l.strip_prefix("    ").unwrap_or(l)) {
        match line.trim_start().strip_prefix("for: ") {
            Some(_) => out.push_str(&format!("{}for: 6s\n", &line[..line.len() - line.trim_start().len()])),
            None => out.push_str(&format!("{line}\n")),
        }
    }
    out
}

/// The deployed rules: the runbook's (reading the pipeline simulator) and a team's own (reading the
/// test's metrics endpoint), in two groups with their own intervals. `threshold`: the team's lag
/// rule's. `keep_firing_for` is left out of vmalert's copy: vmalert 1.79 rejects it.
fn rules_file(threshold: u32, keep_firing_for: bool) -> String {
    let keep = if keep_firing_for { "\n    keep_firing_for: 4s" } else { "" };
    let runbook = runbook_rules();
    format!(
        r#"groups:
- name: {GROUP}
  interval: 2s
  rules:
{runbook}  - alert: CodexTestLagHigh
    expr: sum(kafka_consumergroup_lag{{consumergroup="codex-test"}}) > {threshold}
    for: 4s
    labels:
      severity: warning
  - alert: CodexPartitionLagHigh
    expr: max by (partition) (kafka_consumergroup_lag{{consumergroup="codex-test"}}) > 400
    for: 2s{keep}
    labels:
      severity: warning
  - alert: DiskAlmostFull
    expr: codex_test_disk_free_ratio < 0.1
    labels:
      severity: critical
  - alert: CodexBrokenJoin
    expr: kafka_consumergroup_lag{{consumergroup="codex-test"}} > on() group_left() kafka_consumergroup_lag{{consumergroup="codex-test"}}
    labels:
      severity: warning
- name: {EXTRA}
  interval: 3s
  rules:
  - alert: CodexLagVeryHigh
    expr: sum(kafka_consumergroup_lag{{consumergroup="codex-test"}}) > 1500
    for: 3s
    labels:
      severity: critical
"#
    )
}

fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_gpx_codexflow"))
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// The pipeline's metrics on a schedule of the time since `start`.
fn exposition(start: Instant) -> String {
    let e = start.elapsed().as_secs_f64();
    let lag = if (HIGH_FROM_S..HIGH_UNTIL_S).contains(&e) { 800 } else { 100 };
    let mut out = String::from("# TYPE kafka_consumergroup_lag gauge\n");
    for p in 0..2 {
        out.push_str(&format!(
            "kafka_consumergroup_lag{{consumergroup=\"codex-test\",topic=\"codex-test\",partition=\"{p}\"}} {lag}\n"
        ));
    }
    out.push_str("# TYPE codex_test_disk_free_ratio gauge\ncodex_test_disk_free_ratio 0.05\n");
    out
}

/// Serves `exposition` on `/metrics` from `listener` until the test ends.
fn metrics_endpoint(start: Instant, listener: tokio::net::TcpListener) {
    tokio::spawn(async move {
        while let Ok((conn, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut conn = tokio::io::BufReader::new(conn);
                while let Ok(Some(_)) = codexflow_testkit::http::read_request(&mut conn, 1 << 16).await {
                    let body = exposition(start);
                    let headers = [("Content-Type", "text/plain; version=0.0.4")];
                    if codexflow_testkit::http::write_response(conn.get_mut(), 200, &headers, body.as_bytes(), false)
                        .await
                        .is_err()
                    {
                        break;
                    }
                }
            });
        }
    });
}

/// Scrapes of the pipeline simulator and of the test's own endpoint, every second.
fn scrape(simulator: &str, metrics: &str) -> String {
    let job = |name: &str, addr: &str| {
        format!("  - job_name: {name}\n    scrape_interval: 1s\n    static_configs:\n      - targets: ['{addr}']\n")
    };
    job("codex-simulator", simulator) + &job("team", metrics)
}

/// vmalert evaluating `rules` against `prom`, writing its state back into it; killed on drop.
struct VmAlert {
    _daemon: Daemon,
    url: String,
}

impl VmAlert {
    fn start(rules: &str, datasource: &str, prom: &str) -> VmAlert {
        let dir = scratch_dir("codexflow-vmalert");
        let file = dir.join("rules.yml");
        std::fs::write(&file, rules).expect("write vmalert rules");
        let addr = format!("127.0.0.1:{}", free_port().expect("port"));
        let mut command = Command::new("vmalert");
        command
            .arg(format!("-rule={}", file.display()))
            .arg(format!("-datasource.url={datasource}"))
            .arg(format!("-remoteWrite.url={prom}"))
            .arg("-remoteWrite.flushInterval=500ms")
            // No Alertmanager in this test: notifications go to a port where nothing listens.
            .arg(format!("-notifier.url=http://127.0.0.1:{}", free_port().expect("port")))
            .arg(format!("-httpListenAddr={addr}"));
        let readiness = Readiness {
            addr: &addr,
            path: "/api/v1/rules",
            ready: &|code| code == 200,
            within: Duration::from_secs(30),
        };
        let daemon = Daemon::start("vmalert", command, dir, readiness)
            .expect("vmalert (scripts/setup.sh installs Debian's victoria-metrics)");
        VmAlert { _daemon: daemon, url: format!("http://{addr}") }
    }
}

/// How each ruler under test is reached and how it ticks.
struct Ruler<'a> {
    what: &'a str,
    settings: AppSettings,
    /// Where the ruler's own `ALERTS` samples are read from (host:port and path prefix).
    storage: (&'a str, &'a str),
    phase: PhaseSource,
    /// The instants the ruler evaluated at, as seen from outside it.
    evidence: Evidence<'a>,
}

enum Evidence<'a> {
    /// Prometheus stamps each `ALERTS` sample with its evaluation time.
    AlertsStamps,
    /// vmalert stamps `ALERTS` with its wall clock, but queries its datasource at the evaluation
    /// time: the `time` of each query it sent through this proxy.
    QueryTimes(&'a CountingProxy),
}

async fn resource(
    plugin: &PluginProcess,
    s: &AppSettings,
    method: &str,
    path: &str,
    body: serde_json::Value,
) -> serde_json::Value {
    let r = plugin.call_resource(Some(s), method, path, body.to_string().as_bytes()).await.expect("CallResource");
    assert_eq!(r.status, 200, "{path}: {}", String::from_utf8_lossy(&r.body));
    r.json()
}

/// The raw timestamps (ms) of every `ALERTS` sample the ruler wrote for `alert` in the last `secs`.
fn ruler_sample_times(storage: (&str, &str), alert: &str, secs: u64) -> BTreeSet<i64> {
    let query = format!("ALERTS{{alertname=\"{alert}\"}}[{secs}s]");
    let path = format!("{}/api/v1/query?query={}", storage.1, urlencode(&query));
    let (code, body) = http_get(storage.0, &path).expect("query the ruler's storage");
    assert_eq!(code, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    let mut out = BTreeSet::new();
    for series in v["data"]["result"].as_array().into_iter().flatten() {
        for sample in series["values"].as_array().into_iter().flatten() {
            if let Some(t) = sample[0].as_f64() {
                out.insert((t * 1000.0).round() as i64);
            }
        }
    }
    out
}

/// The `time` (ms) of each instant query for `expr` that passed `proxy`, GET or POST.
fn query_times(proxy: &CountingProxy, expr: &str) -> BTreeSet<i64> {
    let mut out = BTreeSet::new();
    for line in proxy.requests() {
        let mut parts = line.splitn(3, ' ');
        let (_, target, body) = (parts.next(), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let Some((path, query)) = target.split_once('?').or(Some((target, ""))) else { continue };
        if !path.ends_with("/api/v1/query") {
            continue;
        }
        let params: Vec<(String, String)> = [query, body]
            .iter()
            .flat_map(|q| q.split('&'))
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (percent_decode(k), percent_decode(v)))
            .collect();
        let get = |k: &str| params.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
        if get("query").as_deref() == Some(expr) {
            if let Some(t) = get("time").and_then(|t| t.parse::<f64>().ok()) {
                out.insert((t * 1000.0).round() as i64);
            }
        }
    }
    out
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

fn alerts<'a>(answer: &'a EvaluateResponse, name: &str) -> Vec<&'a AlertTimeline> {
    answer.alerts.iter().filter(|a| a.name == name).collect()
}

fn check_ruler(r: &Ruler, rules: &RulesResponse, answer: &EvaluateResponse) {
    let what = r.what;
    // The rules came from the ruler, both groups at their own interval and the ruler's phase.
    assert_eq!(rules.source.source, RulesSource::Ruler, "{what}: {:?}", rules.source);
    assert_eq!(answer.source.source, RulesSource::Ruler, "{what}");
    let group = |name: &str| {
        answer
            .groups
            .iter()
            .find(|g| g.name == name)
            .unwrap_or_else(|| panic!("{what}: no group {name}: {:?}", answer.groups))
    };
    assert_eq!((group(GROUP).interval_ms, group(EXTRA).interval_ms), (2000, 3000), "{what}");
    for name in [GROUP, EXTRA] {
        assert_eq!(group(name).phase, r.phase, "{what}: {name} {:?}", group(name));
    }
    let info = |name: &str| {
        rules.rules.iter().find(|x| x.name == name).unwrap_or_else(|| panic!("{what}: rule {name} not listed"))
    };
    // Stage decisions: the runbook's by name, the team's lag rules by the metric they read, the disk
    // rule nowhere, and said so.
    let stage = |name: &str| (info(name).stage.clone(), info(name).stage_source);
    for (name, id) in [
        ("CodexKafkaCompletionsLagHigh", "kafka"),
        ("CodexNatsAgentCommsLagHigh", "nats"),
        ("CodexJangarAgentCommsStalled", "jangar"),
        ("CodexJangarSseErrorRate", "sse"),
    ] {
        assert_eq!(stage(name), (Some(id.to_string()), StageSource::Default), "{what}: {name}");
    }
    for name in ["CodexTestLagHigh", "CodexPartitionLagHigh", "CodexLagVeryHigh"] {
        assert_eq!(
            stage(name),
            (Some("kafka".to_string()), StageSource::Inferred),
            "{what}: {name}: {}",
            info(name).stage_why
        );
    }
    assert_eq!(rules.rules.len(), 9, "{what}: every rule of both groups, none lost");
    let disk = info("DiskAlmostFull");
    assert_eq!(
        (disk.stage.as_deref(), disk.stage_source),
        (None, StageSource::Unassigned),
        "{what}: {}",
        disk.stage_why
    );
    // The rule that fails in the ruler: its health and error are the ruler's own words.
    let broken =
        info("CodexBrokenJoin").ruler.as_ref().unwrap_or_else(|| panic!("{what}: no ruler status on the failing rule"));
    assert_eq!(broken.health, RuleHealth::Err, "{what}: {broken:?}");
    assert!(broken.last_error.as_deref().is_some_and(|e| e.contains("many-to-many")), "{what}: {broken:?}");
    assert!(
        alerts(answer, "CodexBrokenJoin").iter().all(|a| a.error.is_some()),
        "{what}: our evaluation fails too, and says so"
    );

    // Every instant the ruler evaluated at is one of our ticks of that group.
    let ticks_of = |name: &str| -> BTreeSet<i64> {
        alerts(answer, name).iter().flat_map(|a| a.timeline.iter().map(|p| p.t)).collect()
    };
    for (name, interval) in [
        ("CodexKafkaCompletionsLagHigh", 2000),
        ("CodexTestLagHigh", 2000),
        ("CodexLagVeryHigh", 3000),
        ("DiskAlmostFull", 2000),
    ] {
        let ours = ticks_of(name);
        let (first, last) = (*ours.first().expect("ticks"), *ours.last().expect("ticks"));
        assert!(
            ours.iter().zip(ours.iter().skip(1)).all(|(a, b)| b - a == interval),
            "{what}: {name} ticks every {interval} ms"
        );
        let evaluated = match r.evidence {
            Evidence::AlertsStamps => ruler_sample_times(r.storage, name, RUN_S + 30),
            Evidence::QueryTimes(proxy) => {
                let expr = &rules.rules.iter().find(|x| x.name == name).expect("listed").expr;
                query_times(proxy, expr)
            }
        };
        let theirs: BTreeSet<i64> = evaluated.into_iter().filter(|t| (first..=last).contains(t)).collect();
        assert!(theirs.len() >= 3, "{what}: the ruler wrote {name} at {theirs:?}");
        let off: Vec<&i64> = theirs.iter().filter(|t| !ours.contains(t)).collect();
        assert!(
            off.is_empty(),
            "{what}: {name}: the ruler evaluated at {off:?}, not on our ticks {first}..{last} step {interval}"
        );
    }

    // Tick for tick: our state is the ruler's, except one tick late; both saw pending and firing.
    let runbook = [
        "CodexKafkaCompletionsLagHigh",
        "CodexNatsAgentCommsLagHigh",
        "CodexJangarAgentCommsStalled",
        "CodexJangarSseErrorRate",
    ];
    for name in runbook.iter().copied().chain([
        "CodexTestLagHigh",
        "CodexPartitionLagHigh",
        "CodexLagVeryHigh",
        "DiskAlmostFull",
    ]) {
        let list = alerts(answer, name);
        assert!(!list.is_empty(), "{what}: no alert {name}");
        for a in &list {
            let compared = a.timeline.iter().filter(|p| p.ruler.is_some()).count();
            assert!(
                compared + 2 >= a.timeline.len(),
                "{what}: {name} {:?}: the ruler's state on {compared} of {} ticks",
                a.labels,
                a.timeline.len()
            );
            let wrong: Vec<_> = a
                .timeline
                .iter()
                .filter(|p| p.agrees == Some(false) && !p.late)
                .map(|p| (p.t, p.state, p.ruler))
                .collect();
            assert!(wrong.is_empty(), "{what}: {name} {:?} disagrees with the ruler at {wrong:?}", a.labels);
        }
        let states: BTreeSet<AlertState> = list.iter().flat_map(|a| a.timeline.iter().map(|p| p.state)).collect();
        // The simulator turns to its Kafka act: that rule pends, then fires; the other runbook stages
        // stay healthy. The team's lag goes up and down again.
        let expected: &[AlertState] = match name {
            "DiskAlmostFull" => &[AlertState::Firing],
            "CodexKafkaCompletionsLagHigh" => &[AlertState::Inactive, AlertState::Pending, AlertState::Firing],
            n if runbook.contains(&n) => &[AlertState::Inactive],
            _ => &[AlertState::Pending, AlertState::Firing, AlertState::Inactive],
        };
        assert!(expected.iter().all(|s| states.contains(s)), "{what}: {name} went through {states:?}");
    }
    let late: Vec<(&str, i64)> = answer
        .alerts
        .iter()
        .flat_map(|a| a.timeline.iter().filter(|p| p.late).map(move |p| (a.name.as_str(), p.t)))
        .collect();
    // On the ruler's own ticks a late tick needs a sample that reached the ruler just after it
    // evaluated: rare. Reading the ruler's state one evaluation off (as vmalert's wall-clock stamps
    // would make a naive reading) makes every change late instead.
    eprintln!("{what}: {} late ticks", late.len());
    assert!(late.len() <= 2, "{what}: late ticks {late:?}");
    assert_eq!(alerts(answer, "CodexPartitionLagHigh").len(), 2, "{what}: one alert per partition");
    let disk = alerts(answer, "DiskAlmostFull");
    assert!(
        disk.iter().all(|a| a.stage.is_none() && a.state == AlertState::Firing),
        "{what}: the unassigned rule is evaluated and shown"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rules_read_from_real_rulers_tick_and_agree_with_them() {
    // The scrape targets are bound first (their scrapes wait until they serve): the rulers and the
    // plugin start before the story does, so however long a busy machine takes to start them, the
    // story's schedule is whole inside the window.
    let bind = || async { tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a scrape target") };
    let (simulator_listener, metrics_listener) = (bind().await, bind().await);
    let addr = |l: &tokio::net::TcpListener| l.local_addr().expect("scrape target address").to_string();
    let scrape = scrape(&addr(&simulator_listener), &addr(&metrics_listener));
    let (prom_rules, vm_rules) = (rules_file(1000, true), rules_file(1000, false));
    let rule_files = [("codex.rules.yml", prom_rules.as_str())];
    // Prometheus as its own ruler; the same behind Mimir's prefix; a plain store for vmalert.
    let prom = PrometheusServer::start_with(&PromOptions {
        scrape_configs: &scrape,
        rule_files: &rule_files,
        ..PromOptions::default()
    })
    .expect("prometheus");
    let mimir_args = ["--web.route-prefix=/prometheus"];
    let mimir = PrometheusServer::start_with(&PromOptions {
        scrape_configs: &scrape,
        rule_files: &rule_files,
        args: &mimir_args,
        ..PromOptions::default()
    })
    .expect("prometheus under /prometheus");
    let store_args = ["--web.enable-remote-write-receiver"];
    let store = PrometheusServer::start_with(&PromOptions {
        scrape_configs: &scrape,
        args: &store_args,
        ..PromOptions::default()
    })
    .expect("prometheus for vmalert");
    let vm_datasource = CountingProxy::start(&store.url).await.expect("proxy before vmalert's datasource");
    let vmalert = VmAlert::start(&vm_rules, &vm_datasource.url, &store.url);
    let tenant_proxy = CountingProxy::start_requiring(&mimir.url, Some("x-scope-orgid")).await.expect("tenant proxy");
    let plugin = Arc::new(PluginProcess::start(&binary()).await.expect("handshake"));

    // The story starts now. Healthy, then the Kafka act: lag 1,650 for the 90 s it lasts; every other
    // stage healthy.
    let (start, t0) = (Instant::now(), now_ms());
    metrics_endpoint(start, metrics_listener);
    let _simulator =
        Simulator::serve(Story::in_act(t0, Some("kafka"), -KAFKA_ACT_FROM_S), simulator_listener).expect("simulator");
    // The window starts once each ruler has scraped and evaluated a few times: a ruler's very first
    // evaluation can come before its first scrape.
    let from = t0 + WINDOW_FROM_S * 1000;

    let base = |extra: serde_json::Value| {
        let mut j = json!({ "evaluationInterval": "2s", "ruleGroups": format!("{GROUP}|{EXTRA}") });
        if let (Some(o), Some(e)) = (j.as_object_mut(), extra.as_object()) {
            o.extend(e.clone());
        }
        AppSettings { json_data: j, secure_json_data: Default::default() }
    };
    let rulers = [
        Ruler {
            what: "prometheus",
            settings: base(json!({ "prometheusUrl": prom.url })),
            storage: (prom.address(), ""),
            phase: PhaseSource::GroupHash,
            evidence: Evidence::AlertsStamps,
        },
        Ruler {
            what: "mimir-shaped",
            settings: base(json!({ "prometheusUrl": format!("{}/prometheus", tenant_proxy.url), "tenant": "codex" })),
            storage: (mimir.address(), "/prometheus"),
            phase: PhaseSource::GroupHash,
            evidence: Evidence::AlertsStamps,
        },
        Ruler {
            what: "vmalert",
            settings: base(json!({ "prometheusUrl": store.url, "rulerUrl": vmalert.url, "rulesSource": "ruler" })),
            storage: (store.address(), ""),
            phase: PhaseSource::Aligned,
            evidence: Evidence::QueryTimes(&vm_datasource),
        },
    ];

    tokio::time::sleep(Duration::from_secs(RUN_S).saturating_sub(start.elapsed())).await;
    let to = now_ms() - SETTLE_MS;
    let window = json!({ "from": from, "to": to, "intervalMs": 2000 });
    for r in &rulers {
        let rules: RulesResponse =
            serde_json::from_value(resource(&plugin, &r.settings, "GET", "v1/rules", json!({})).await)
                .expect("RulesResponse");
        let answer: EvaluateResponse =
            serde_json::from_value(resource(&plugin, &r.settings, "POST", "v1/evaluate", window.clone()).await)
                .expect("EvaluateResponse");
        check_ruler(r, &rules, &answer);
    }
    assert!(!tenant_proxy.requests().is_empty(), "the Mimir-shaped ruler was read through the tenant proxy");

    // The same groups from YAML, with the team's lag rule at 1,700 instead of 1,000: the deployed
    // rule (sum 1,600 while high) pends and fires, ours never does. Every disagreement is where the
    // ruler is pending or firing; everywhere else both agree.
    let yaml = rules_file(1700, true);
    let s = base(json!({ "prometheusUrl": prom.url, "rulesYaml": yaml }));
    let answer: EvaluateResponse =
        serde_json::from_value(resource(&plugin, &s, "POST", "v1/evaluate", window.clone()).await)
            .expect("EvaluateResponse");
    assert_eq!(answer.source.source, RulesSource::Yaml);
    let lag = alerts(&answer, "CodexTestLagHigh");
    assert_eq!(lag.len(), 1, "{lag:?}");
    let points = &lag[0].timeline;
    assert!(points.iter().all(|p| p.state == AlertState::Inactive), "the stricter rule never pends");
    let differ: Vec<i64> = points.iter().filter(|p| p.agrees == Some(false)).map(|p| p.t).collect();
    let ruler_active: Vec<i64> =
        points.iter().filter(|p| p.ruler.is_some_and(|s| s != AlertState::Inactive)).map(|p| p.t).collect();
    assert!(differ.len() >= 4, "the deployed rule was active on {differ:?}");
    assert_eq!(differ, ruler_active, "disagreements are exactly where the deployed rule was active");
    assert!(points.iter().filter(|p| p.agrees == Some(false)).all(|p| !p.late), "a different rule is no late sample");
    // The unchanged rules still agree.
    for name in ["DiskAlmostFull", "CodexKafkaCompletionsLagHigh", "CodexPartitionLagHigh"] {
        let same = alerts(&answer, name);
        assert!(same.iter().all(|a| a.timeline.iter().all(|p| p.agrees != Some(false) || p.late)), "{name}: {same:?}");
    }
}
