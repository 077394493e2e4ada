//! The clients' data age end to end: the pipeline simulator scraped by a real Prometheus (its past
//! hour backfilled from the same story), the real plugin binary spoken to as Grafana does, and
//! `v1/evaluate` asked at a moment of every act, then once over the whole loop (the same moments
//! read tick by tick). Each backlog stage's data age, and the pipeline's,
//! must be within 10 % of the simulator's own truth (`Story::data_age`, from its produced and
//! consumed counts, not from any scrape) at the instant of the last scrape the estimate read.
//!
//! The insight window is 200 s, so its 40 steps fall 5 s apart, on the scrape interval: every
//! sample is then as old as the last, and the estimate is the age at that scrape (a window whose
//! steps do not divide the scrapes reads each sample at another staleness, and is off by up to a
//! scrape interval).

use std::path::PathBuf;

use codexflow_testkit::grafana::plugin_host::{AppSettings, PluginProcess};
use codexflow_testkit::simulator::{now_ms, LivePipeline, Story, SCRAPE_MS};
use serde_json::json;

/// A moment of each act, seconds in.
const MOMENTS: &[(&str, i64)] = &[
    ("healthy", 50),
    ("Kafka lag past 1,000", 70),
    ("NATS consumer falls behind", 60),
    ("Jangar stops inserting", 60),
    ("SSE errors spike", 50),
    ("Kafka consumer stops committing", 45),
    ("recovery", 60),
];
const WINDOW_MS: i64 = 200_000;

/// Whether `estimate` (ms) is within 10 % of the truth at some instant of the last scrape interval
/// before `end`.
fn close(story: &Story, stage: &str, end: i64, estimate: i64) -> (bool, f64) {
    let truths: Vec<f64> =
        (0..SCRAPE_MS / 250).filter_map(|i| story.data_age(stage, end - i * 250)).map(|s| s * 1000.0).collect();
    let ok = truths.iter().any(|t| (estimate as f64 - t).abs() <= 0.1 * t);
    (ok, truths.first().copied().unwrap_or(f64::NAN))
}

/// Checks `stage`'s estimate at `moment` against the truth at `at`, printing it; an estimate off the
/// truth, absent or only a bound is a failure.
fn judge(
    story: &Story,
    failures: &mut Vec<String>,
    moment: &str,
    stage: &str,
    at: i64,
    estimate: Option<i64>,
    bound: bool,
) {
    let (ok, truth) = estimate.map_or((false, f64::NAN), |e| close(story, stage, at, e));
    let line = format!("{moment:>45} {stage:>7}: estimate {estimate:?} ms (bound {bound}), truth {truth:.0} ms");
    println!("{line}");
    if !ok || bound {
        failures.push(line);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_act_gives_the_data_age_the_simulator_knows() {
    let story = Story::past_loop(now_ms());
    let live = LivePipeline::start(story).await.expect("simulator and prometheus");
    let plugin = PluginProcess::start(&PathBuf::from(env!("CARGO_BIN_EXE_gpx_codexflow"))).await.expect("plugin");
    let settings = AppSettings {
        json_data: json!({ "prometheusUrl": live.prometheus.url, "queueWindow": "200s" }),
        secure_json_data: Default::default(),
    };
    let mut failures = Vec::new();
    for &(act, into) in MOMENTS {
        let t = story.instant(act, into as f64);
        let answer = plugin.evaluate(&settings, t - 60_000, t, Some(5_000)).await;
        // The insight's last step: `to` on its 5 s grid.
        let end = t.div_euclid(WINDOW_MS / 40) * (WINDOW_MS / 40);
        let moment = format!("{act} +{into}s");
        for stage in ["kafka", "nats", "jangar"] {
            let q =
                answer.stages.iter().find(|s| s.id == stage).and_then(|s| s.queue.as_ref()).expect("a backlog stage");
            judge(&story, &mut failures, &moment, stage, end, q.age_ms, q.age_is_bound);
        }
        let f = answer.freshness.clone().expect("the pipeline's freshness");
        judge(&story, &mut failures, &moment, "clients", end, f.age_ms, f.at_least);
        assert!(f.line.starts_with("Clients' data ≈ "), "{}", f.line);
    }
    // The same moments, tick by tick, from one evaluation of the whole loop at 5 s: each tick reads
    // the insight window up to it, as `to` does above.
    let (first, last) = (story.instant(MOMENTS[0].0, 0.0), story.instant(MOMENTS[MOMENTS.len() - 1].0, 70.0));
    let answer = plugin.evaluate(&settings, first, last, Some(5_000)).await;
    let f = answer.freshness.clone().expect("the pipeline's freshness");
    assert_eq!((f.timeline.len(), f.lines.len()), (answer.ticks.len(), answer.ticks.len()), "one a tick");
    for &(act, into) in MOMENTS {
        let tick = story.instant(act, into as f64).div_euclid(5_000) * 5_000;
        let i = answer.ticks.iter().position(|&x| x == tick).expect("the moment's tick");
        let moment = format!("{act} +{into}s, tick by tick");
        for stage in ["kafka", "nats", "jangar"] {
            let s = answer.stages.iter().find(|s| s.id == stage).expect("a backlog stage");
            judge(&story, &mut failures, &moment, stage, tick, s.age_timeline.get(i).copied().flatten(), false);
        }
        let (age, at_least) = f.timeline[i];
        judge(&story, &mut failures, &moment, "clients", tick, age, at_least);
        assert!(f.lines[i].starts_with("Clients' data ≈ "), "{}", f.lines[i]);
    }
    assert!(failures.is_empty(), "{} estimates are off the truth:\n{}", failures.len(), failures.join("\n"));
}
