//! The bottleneck end to end: the pipeline simulator scraped by a real Prometheus (its past hour
//! backfilled from the same story), the plugin binary with the demo's own settings (the runbook's
//! rules with short windows, a 30 s insight window), and `v1/evaluate` asked at a moment of every
//! act: the bottleneck must be the stage the act breaks, with the stages that only suffer from it as
//! its symptoms (Jangar stopped: Jangar, NATS' growing backlog a symptom; the Kafka consumer
//! stopped: Kafka; SSE errors: SSE alone), and none while the pipeline is healthy; then the same
//! moments read tick by tick from one evaluation of the whole loop (`bottleneckRuns`, and each
//! stage's own runs, which the panel marks in time travel).

use std::path::{Path, PathBuf};

use codexflow_core::bottleneck::part_at;
use codexflow_testkit::grafana::plugin_host::PluginProcess;
use codexflow_testkit::grafana::provisioning::{demo_dirs, env_with_prometheus, Provisioning};
use codexflow_testkit::simulator::{now_ms, LivePipeline, Story};

/// A moment of each act (seconds in, once its alerts have had their 30 s `for`), the bottleneck
/// then, and its symptoms.
const MOMENTS: &[(&str, i64, Option<&str>, &[&str])] = &[
    ("healthy", 50, None, &[]),
    ("Kafka lag past 1,000", 70, Some("kafka"), &[]),
    ("NATS consumer falls behind", 80, Some("nats"), &[]),
    ("Jangar stops inserting", 60, Some("jangar"), &["nats"]),
    ("SSE errors spike", 60, Some("sse"), &[]),
    ("Kafka consumer stops committing", 45, Some("kafka"), &[]),
    ("recovery", 60, None, &[]),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_act_names_the_stage_it_breaks() {
    let story = Story::past_loop(now_ms());
    let live = LivePipeline::start(story).await.expect("simulator and prometheus");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let provisioning = Provisioning::read(&demo_dirs(&root), &env_with_prometheus(&live.prometheus.url))
        .expect("the demo's provisioning");
    let settings = provisioning.apps.first().expect("the demo's app settings").settings.clone();
    let plugin = PluginProcess::start(&PathBuf::from(env!("CARGO_BIN_EXE_gpx_codexflow"))).await.expect("plugin");
    let mut failures = Vec::new();
    for &(act, into, stage, symptoms) in MOMENTS {
        let t = story.instant(act, into as f64);
        let answer = plugin.evaluate(&settings, t - 300_000, t, None).await;
        let got = answer.bottleneck.as_ref();
        let line = format!(
            "{act:>32} +{into:>2}s: {} · symptoms {:?} · statuses {:?}",
            got.map_or("no bottleneck".to_string(), |b| b.why.clone()),
            got.map(|b| b.symptoms.iter().map(|s| s.why.as_str()).collect::<Vec<_>>()),
            answer.stages.iter().map(|s| (s.id.as_str(), s.status.as_str())).collect::<Vec<_>>()
        );
        println!("{line}");
        let named: Vec<&str> = got.map(|b| b.symptoms.iter().map(|s| s.stage.as_str()).collect()).unwrap_or_default();
        if got.map(|b| b.stage.as_str()) != stage || named != symptoms {
            failures.push(format!("{line}\n    expected {stage:?} with symptoms {symptoms:?}"));
        }
    }
    // The same moments, tick by tick, from one evaluation of the whole loop at 5 s.
    let (first, last) = (story.instant(MOMENTS[0].0, 0.0), story.instant(MOMENTS[MOMENTS.len() - 1].0, 70.0));
    let answer = plugin.evaluate(&settings, first - 300_000, last, Some(5_000)).await;
    for &(act, into, stage, symptoms) in MOMENTS {
        let tick = story.instant(act, into as f64).div_euclid(5_000) * 5_000;
        let got = answer.bottleneck_runs.iter().rev().find(|r| r.from <= tick).and_then(|r| r.bottleneck.as_ref());
        let line = format!(
            "{act:>32} +{into:>2}s, tick by tick: {} · symptoms {:?}",
            got.map_or("no bottleneck".to_string(), |b| b.why.clone()),
            got.map(|b| b.symptoms.iter().map(|s| s.stage.as_str()).collect::<Vec<_>>())
        );
        println!("{line}");
        let named: Vec<&str> = got.map(|b| b.symptoms.iter().map(|s| s.stage.as_str()).collect()).unwrap_or_default();
        // Each stage's own runs (what the panel marks in time travel) say the same.
        let parts: Vec<(&str, bool)> = answer
            .stages
            .iter()
            .filter_map(|s| part_at(&s.bottleneck_runs, tick).map(|(cause, _)| (s.id.as_str(), cause)))
            .collect();
        let expected_parts: Vec<(&str, bool)> = answer
            .stages
            .iter()
            .filter_map(|s| {
                let id = s.id.as_str();
                (Some(id) == stage).then_some((id, true)).or(symptoms.contains(&id).then_some((id, false)))
            })
            .collect();
        if got.map(|b| b.stage.as_str()) != stage || named != symptoms || parts != expected_parts {
            failures.push(format!("{line}\n    expected {stage:?} with symptoms {symptoms:?}; stages' runs {parts:?}"));
        }
    }
    assert!(failures.is_empty(), "{} acts name another bottleneck:\n{}", failures.len(), failures.join("\n"));
}
