//! Queue insight end to end: the pipeline simulator scraped by a real Prometheus (its past hour
//! backfilled from the same story, so every act of a whole loop is in the store), the real plugin
//! binary spoken to as Grafana does, and `v1/evaluate` asked at chosen moments of each act. Each act
//! must give the backlog stages the trend and the consumer status its script implies.

use std::path::PathBuf;

use codexflow_core::api::EvaluateResponse;
use codexflow_core::queue::{ConsumerStatus, QueueInsight, Trend};
use codexflow_testkit::grafana::plugin_host::{AppSettings, PluginProcess};
use codexflow_testkit::simulator::{now_ms, LivePipeline, Story, ACTS, KAFKA_DRAIN, NATS_DRAIN};
use serde_json::json;

/// One moment: the act (by name), seconds into it, and per stage what the insight must say.
struct Moment {
    act: &'static str,
    into: i64,
    expect: &'static [(&'static str, Trend, ConsumerStatus)],
}

use ConsumerStatus::{Ok as Fine, Stall, Stop};
use Trend::{Draining, Growing, Steady};

/// The story, act by act, with a 30 s insight window (the demo's).
const MOMENTS: &[Moment] = &[
    Moment {
        act: "healthy",
        into: 50,
        expect: &[("kafka", Steady, Fine), ("nats", Steady, Fine), ("jangar", Steady, Fine)],
    },
    // The burst: the consumer stopped while the lag rises at 90/s (since 10 s), healthy before.
    Moment { act: "Kafka lag past 1,000", into: 10, expect: &[("kafka", Growing, Fine), ("nats", Steady, Fine)] },
    Moment { act: "Kafka lag past 1,000", into: 70, expect: &[("kafka", Steady, Fine)] },
    // Kafka drains at 25/s for 56 s; the NATS consumer stopped while pending rises at 60/s for 39 s.
    Moment {
        act: "NATS consumer falls behind",
        into: 35,
        expect: &[("kafka", Draining, Fine), ("nats", Growing, Stall)],
    },
    // Jangar, the NATS consumer, takes nothing: NATS' backlog grows behind it at the publish rate.
    Moment { act: "Jangar stops inserting", into: 35, expect: &[("nats", Growing, Stall), ("jangar", Growing, Stall)] },
    // Jangar is back: NATS drains at 60/s for 47 s.
    Moment { act: "SSE errors spike", into: 35, expect: &[("kafka", Steady, Fine), ("nats", Draining, Fine)] },
    // The consumer group commits nothing: 20 s in it had moved for 10 s of the window, then not for 20.
    // NATS has drained (in the SSE act's first 47 s) and holds again.
    Moment {
        act: "Kafka consumer stops committing",
        into: 20,
        expect: &[("kafka", Growing, Stop), ("nats", Steady, Fine), ("jangar", Steady, Fine)],
    },
    Moment { act: "Kafka consumer stops committing", into: 45, expect: &[("kafka", Growing, Stall)] },
    Moment { act: "recovery", into: 26, expect: &[("kafka", Draining, Fine)] },
];

fn queue<'a>(answer: &'a EvaluateResponse, stage: &str) -> &'a QueueInsight {
    let s = answer.stages.iter().find(|s| s.id == stage).unwrap_or_else(|| panic!("stage {stage}"));
    s.queue.as_ref().unwrap_or_else(|| panic!("{stage} has no queue insight"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_act_of_the_story_gives_the_trend_and_consumer_status_it_scripts() {
    assert!(ACTS.iter().all(|a| !a.name.is_empty() && MOMENTS.iter().all(|m| ACTS.iter().any(|a| a.name == m.act))));
    // A loop that ended a few minutes ago, inside the backfilled hour.
    let story = Story::past_loop(now_ms());
    let live = LivePipeline::start(story).await.expect("simulator and prometheus");
    let plugin = PluginProcess::start(&PathBuf::from(env!("CARGO_BIN_EXE_gpx_codexflow"))).await.expect("plugin");
    let settings = AppSettings {
        json_data: json!({ "prometheusUrl": live.prometheus.url, "queueWindow": "30s" }),
        secure_json_data: Default::default(),
    };

    let mut failures = Vec::new();
    for m in MOMENTS {
        let t = story.instant(m.act, m.into as f64);
        let answer = plugin.evaluate(&settings, t - 60_000, t, Some(5_000)).await;
        for &(stage, trend, consumer) in m.expect {
            let q = queue(&answer, stage);
            let line = format!(
                "{:>34} +{:>2}s {stage:>6}: {:?} {:?} rate {:?}/s, backlog {:?}, drain {:?} ms, crosses {:?} ms, {} samples {} ms apart, missing {:?}",
                m.act,
                m.into,
                q.trend,
                q.consumer,
                q.rate_per_s.map(|r| (r * 10.0).round() / 10.0),
                q.backlog,
                q.drain_in_ms,
                q.crosses_in_ms,
                q.window_ms / q.step_ms.max(1) + 1,
                q.step_ms,
                q.missing
            );
            println!("{line}");
            if (q.trend, q.consumer) != (trend, consumer) {
                failures.push(format!("{line}\n    expected {trend:?} {consumer:?}"));
            }
        }
        // Where the window holds a pure drain, the drain time is the backlog over the drain rate.
        if m.act == "NATS consumer falls behind" {
            let kafka = queue(&answer, "kafka");
            let (rate, backlog) = (kafka.rate_per_s.unwrap_or(0.0), kafka.backlog.unwrap_or(0.0));
            assert!(
                (rate + KAFKA_DRAIN).abs() < 0.1 * KAFKA_DRAIN,
                "Kafka drains at {rate}/s, scripted {KAFKA_DRAIN}/s"
            );
            let expected = backlog / KAFKA_DRAIN * 1000.0;
            let drain = kafka.drain_in_ms.unwrap_or(0) as f64;
            assert!((drain - expected).abs() < 0.1 * expected, "drained in {drain} ms, scripted about {expected}");
            assert_eq!(kafka.threshold, Some(1000.0), "the threshold of CodexKafkaCompletionsLagHigh");
        }
        if m.act == "SSE errors spike" && m.into == 35 {
            let rate = queue(&answer, "nats").rate_per_s.unwrap_or(0.0);
            assert!((rate + NATS_DRAIN).abs() < 0.1 * NATS_DRAIN, "NATS drains at {rate}/s, scripted {NATS_DRAIN}/s");
        }
        if m.act == "Kafka consumer stops committing" {
            let kafka = queue(&answer, "kafka");
            assert_eq!(kafka.lag_time_ms, None, "a stopped consumer is not behind by a rate");
            let crosses = kafka.crosses_in_ms.expect("growing under the threshold: when it crosses") as f64;
            let expected = (1000.0 - kafka.backlog.unwrap_or(0.0)) / 12.0 * 1000.0;
            assert!(
                m.into < 30 || (crosses - expected).abs() < 0.1 * expected,
                "crosses 1,000 in {crosses} ms, scripted about {expected}"
            );
        }
    }
    assert!(failures.is_empty(), "{} moments disagree with the script:\n{}", failures.len(), failures.join("\n"));
}
