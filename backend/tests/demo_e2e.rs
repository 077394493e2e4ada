//! The live demo end to end: the pipeline simulator scraped by a real Prometheus (the hour before
//! backfilled), the real plugin binary, the dev host reading `dist/` and the repository's and the
//! demo's provisioning as Grafana does, and headless Chromium driven by `tests/e2e/demo.e2e.mjs`.
//! Needs `scripts/build-frontend.sh`, `scripts/package.sh` and the harness build first; `scripts/test.sh`
//! does all three. Each runs under every Grafana the host plays; screenshots land in
//! `target/e2e/grafana-<version>/`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use codexflow_testkit::browser::{assert_built, assert_passes_on_each_demo_host, assert_script_passes};
use codexflow_testkit::grafana::boot::PLAYED_VERSIONS;
use codexflow_testkit::grafana::devhost::DevHost;
use codexflow_testkit::grafana::plugin_host::PluginProcess;
use codexflow_testkit::grafana::provisioning::{demo_dirs, env_with_prometheus, Provisioning};
use codexflow_testkit::simulator::{now_ms, LivePipeline, Story, ACTS};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The live demo a browser test runs against: `story` played by the simulator and scraped by a real
/// Prometheus, the demo's provisioning pointed at it, and the plugin binary started as Grafana does.
async fn live_demo(root: &Path, story: Story) -> (LivePipeline, Provisioning, Arc<PluginProcess>) {
    let live = LivePipeline::start(story).await.expect("simulator and prometheus");
    let provisioning =
        Provisioning::read(&demo_dirs(root), &env_with_prometheus(&live.prometheus.url)).expect("provisioning");
    let plugin = Arc::new(PluginProcess::start(Path::new(env!("CARGO_BIN_EXE_gpx_codexflow"))).await.expect("plugin"));
    (live, provisioning, plugin)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_demo_in_chromium() {
    let root = root();
    assert_built(&root);
    // Each act four times as long (6 minutes for the NATS act) and two minutes into it: the NATS
    // alert has fired (30 s `for`), and the act outlasts the test's start-up by minutes.
    let (live, provisioning, plugin) =
        live_demo(&root, Story::stretched_in_act(now_ms(), Some("nats"), 120.0, 4.0)).await;
    let simulator = format!("http://{}", live.simulator.addr);
    let script = "tests/e2e/demo.e2e.mjs";
    for shots in assert_passes_on_each_demo_host(&root, &provisioning, &plugin, script, &[&simulator]).await {
        assert!(shots.join("demo-dashboard.png").exists());
    }
}

/// Queue insight in the browser: the live demo while the Kafka consumer commits nothing (under the
/// alert's threshold, so only the insight sees it), in both themes; `tests/e2e/insight.e2e.mjs`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_insight_in_chromium() {
    let root = root();
    assert_built(&root);
    // 22 s into the act when the pipeline starts: even read from scrapes 5 s old, the consumer has
    // been still for longer than it moved in the 30 s window (Burrow's STOP), later for all of it
    // (STALL), and the act's 60 s outlast the test (about 10 s).
    let act = ACTS.iter().position(|a| a.name == "Kafka consumer stops committing").expect("the act");
    let before: i64 = ACTS[..act].iter().map(|a| a.secs).sum();
    // A pipeline of its own per Grafana played, so each run starts 22 s into the act.
    for version in PLAYED_VERSIONS {
        let (_live, provisioning, plugin) = live_demo(&root, Story::at(now_ms(), before as f64 + 22.0)).await;
        let host = DevHost { version: version.into(), ..DevHost::demo(&root, provisioning, plugin.clone()) }
            .start("127.0.0.1:0")
            .await
            .expect("dev host");
        let shots = assert_script_passes(&root, version, &host.url, "tests/e2e/insight.e2e.mjs", &[], &plugin).await;
        for theme in ["dark", "light"] {
            assert!(
                shots.join(format!("insight-tile-{theme}.png")).exists()
                    && shots.join(format!("insight-tooltip-{theme}.png")).exists()
                    && shots.join(format!("insight-drilldown-{theme}.png")).exists()
            );
        }
    }
}

/// The bottleneck in the browser: the live demo while Jangar inserts nothing, so NATS' backlog grows
/// behind it; the mark, the symptom and the sentences, in both themes; `tests/e2e/bottleneck.e2e.mjs`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bottleneck_in_chromium() {
    let root = root();
    assert_built(&root);
    // The act four times as long (6 minutes) and 60 s into it: Jangar's stall alert has fired (30 s
    // `for`), NATS' backlog has grown for the whole 30 s insight window, and the act outlasts both
    // hosts' runs by minutes.
    let (_live, provisioning, plugin) =
        live_demo(&root, Story::stretched_in_act(now_ms(), Some("jangar"), 60.0, 4.0)).await;
    let script = "tests/e2e/bottleneck.e2e.mjs";
    for shots in assert_passes_on_each_demo_host(&root, &provisioning, &plugin, script, &[]).await {
        assert!(shots.join("bottleneck-time-travel.png").exists());
        for theme in ["dark", "light"] {
            assert!(
                shots.join(format!("bottleneck-tooltip-{theme}.png")).exists()
                    && shots.join(format!("bottleneck-drilldown-{theme}.png")).exists()
            );
        }
    }
}

/// Sharing a moment in the browser (`tests/e2e/share.e2e.mjs`), 60 s into Jangar's stop so the
/// statuses differ across the window: the moment in the URL and the copied link round trip, two flow
/// panels on one dashboard (`codex-flow-twice`: the demo's flow panel and a copy, id 99), hostile
/// moments ignored, the diagram exported as SVG and PNG in both themes, and `/d-solo`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn share_in_chromium() {
    let root = root();
    assert_built(&root);
    let (_live, mut provisioning, plugin) =
        live_demo(&root, Story::stretched_in_act(now_ms(), Some("jangar"), 60.0, 4.0)).await;
    let demo = provisioning.dashboards.iter().find(|d| d["uid"] == "codex-pipeline-observability").cloned();
    let mut twice = demo.expect("the demo dashboard");
    let flow =
        twice["panels"].as_array().and_then(|p| p.iter().find(|p| p["type"] == "proompteng-codexflow-panel")).cloned();
    let mut copy = flow.expect("the demo's flow panel");
    copy["id"] = 99.into();
    copy["gridPos"]["y"] = 10.into();
    twice["uid"] = "codex-flow-twice".into();
    twice["title"] = "Codex Pipeline, two flows".into();
    twice["panels"] = serde_json::json!([
        twice["panels"]
            .as_array()
            .and_then(|p| p.iter().find(|p| p["id"] != 99 && p["type"] == "proompteng-codexflow-panel")),
        copy
    ]);
    provisioning.dashboards.push(twice);
    for shots in assert_passes_on_each_demo_host(&root, &provisioning, &plugin, "tests/e2e/share.e2e.mjs", &[]).await {
        for shot in ["share-link-opened.png", "share-panel-dark.png", "share-panel-light.png", "share-d-solo.png"] {
            assert!(shots.join(shot).exists(), "{shot}");
        }
    }
}
