//! Annotation templates expanded here against the same templates expanded by a real Prometheus:
//! rules that fire at once with chosen labels and values, each carrying every template of the
//! table below; Prometheus' `/api/v1/alerts` gives its annotations, and `alert_template` must print
//! exactly the same for what it runs, and the template as written for what it does not. Then the
//! plugin binary, spawned as Grafana spawns it with the same rules, must answer `v1/evaluate` with
//! those annotations on every alert.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use codexflow_backend::alert_template::{expand, expand_or_as_written};
use codexflow_core::api::EvaluateResponse;
use codexflow_testkit::grafana::plugin_host::{AppSettings, PluginProcess};
use codexflow_testkit::prometheus::{http_get, PromOptions, PrometheusServer};
use serde_json::json;

/// What this backend does with a template.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    /// Expands it, to Prometheus' text.
    Same,
    /// Shows it as written; Prometheus fails on it too (`<error expanding template: …>`).
    PrometheusFails,
    /// Shows it as written; Prometheus expands it (a feature not run here).
    NotRun,
}

const TEMPLATES: &[(&str, Kind)] = &[
    ("{{ $labels.instance }} on {{ $labels.job }} is down", Kind::Same),
    ("{{ .Labels.instance }}|{{ $labels.nosuch }}|", Kind::Same),
    ("{{ $value }}", Kind::Same),
    ("{{ .Value }}", Kind::Same),
    ("{{ $value | humanize }}", Kind::Same),
    ("{{ humanize1024 $value }}B", Kind::Same),
    ("{{ $value | humanizeDuration }}", Kind::Same),
    ("{{ $value | humanizePercentage }}", Kind::Same),
    ("{{ $value | humanizeTimestamp }}", Kind::Same),
    ("{{ printf \"%.2f\" $value }} / {{ $value | printf \"%.3g\" }} / {{ printf \"%e\" $value }}", Kind::Same),
    ("{{ printf \"%.0f%%\" $value }} {{ printf \"%s-%v\" $labels.job $value }}", Kind::Same),
    ("LABELS = {{ $labels }}", Kind::Same),
    ("{{ if gt $value 80.0 }}high{{ else if gt $value 1.0 }}mid{{ else }}low{{ end }}", Kind::Same),
    ("{{ with $labels.job -}} on {{ . }} {{- end }}!", Kind::Same),
    ("{{ $x := humanize $value }}[{{ $x }}] {{ toUpper $labels.job }} {{ len $labels }}", Kind::Same),
    ("{{ if and (eq $labels.job \"node\") (not false) }}yes{{ end }} {{ index $labels \"instance\" }}", Kind::Same),
    ("{{ if gt $value 80 }}high{{ end }}", Kind::PrometheusFails),
    ("{{ humanize \"one\" }}", Kind::PrometheusFails),
    ("{{ .Foo }}", Kind::PrometheusFails),
    ("{{ printf \"%d\" $value }}", Kind::NotRun),
    ("{{ title $labels.job }}", Kind::NotRun),
    ("{{ range $k, $v := $labels }}{{ $k }}={{ $v }};{{ end }}", Kind::NotRun),
    ("{{ $externalLabels.cluster }}", Kind::NotRun),
];

/// The alerts' values: integers, fractions, large, small, a timestamp.
const VALUES: &[f64] =
    &[1234567.0, 0.5, 0.12, 90000.0, 1048576.0, 2.34567, 99.5, 81.0, 0.1234567, 1e-05, 1435065584.128];

fn yaml_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn rules() -> String {
    let mut out = String::from("groups:\n- name: templates\n  interval: 1s\n  rules:\n");
    for (i, value) in VALUES.iter().enumerate() {
        out.push_str(&format!(
            "  - alert: T{i}\n    expr: label_replace(label_replace(vector({value:e}), \"instance\", \"db-{i}:9100\", \"\", \"\"), \"job\", \"node\", \"\", \"\")\n    annotations:\n"
        ));
        for (j, (template, _)) in TEMPLATES.iter().enumerate() {
            out.push_str(&format!("      a{j}: {}\n", yaml_quote(template)));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn annotations_expand_as_a_real_prometheus_expands_them() {
    let rules = rules();
    let rule_files = [("templates.rules.yml", rules.as_str())];
    let prom = PrometheusServer::start_with(&PromOptions { rule_files: &rule_files, ..PromOptions::default() })
        .expect("prometheus starts");
    let addr = prom.address().to_string();
    // The group runs every second; wait (at most a minute) until every rule's alert is listed.
    let deadline = Instant::now() + Duration::from_secs(60);
    let alerts = loop {
        let listed = http_get(&addr, "/api/v1/alerts")
            .filter(|(code, _)| *code == 200)
            .and_then(|(_, body)| serde_json::from_str::<serde_json::Value>(&body).ok())
            .and_then(|v| v["data"]["alerts"].as_array().cloned())
            .unwrap_or_default();
        if listed.len() == VALUES.len() {
            break listed;
        }
        assert!(Instant::now() < deadline, "Prometheus listed {} of {} alerts in a minute", listed.len(), VALUES.len());
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let mut compared = BTreeMap::new();
    let mut theirs_by_alert = BTreeMap::new();
    for alert in &alerts {
        // The query's series labels: the alert's, less `alertname` (the rules add no labels).
        let mut labels: BTreeMap<String, String> = serde_json::from_value(alert["labels"].clone()).unwrap();
        let name = labels.remove("alertname").unwrap();
        // Prometheus reports the value as `%e` with the shortest digits: exactly the float.
        let value: f64 = alert["value"].as_str().unwrap().parse().unwrap();
        for (j, (template, kind)) in TEMPLATES.iter().enumerate() {
            let theirs = alert["annotations"][format!("a{j}")].as_str().unwrap();
            let ours = expand(template, &labels, value);
            match kind {
                Kind::Same => assert_eq!(ours.as_deref(), Ok(theirs), "{name} (value {value}): {template}"),
                Kind::PrometheusFails => {
                    assert!(theirs.starts_with("<error expanding template: "), "{name}: {template} gave {theirs}");
                    assert!(ours.is_err(), "{template}");
                }
                Kind::NotRun => {
                    assert!(!theirs.starts_with("<error"), "{name}: {template} gave {theirs}");
                    assert!(ours.is_err(), "{template}");
                }
            }
            assert!(kind == &Kind::Same || expand_or_as_written(template, &labels, value) == *template);
            *compared.entry(kind_name(*kind)).or_insert(0) += 1;
        }
        theirs_by_alert.insert(name, alert["annotations"].clone());
    }
    eprintln!("compared with Prometheus: {compared:?}");
    assert_eq!(compared.get("same"), Some(&(16 * VALUES.len())));

    // The same rules in the plugin: every alert of `v1/evaluate` carries the same annotations.
    let plugin =
        PluginProcess::start(std::path::Path::new(env!("CARGO_BIN_EXE_gpx_codexflow"))).await.expect("handshake");
    let settings = AppSettings {
        json_data: json!({ "prometheusUrl": prom.url, "rulesYaml": rules }),
        secure_json_data: Default::default(),
    };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    let body = json!({ "from": now - 30_000, "to": now }).to_string();
    let r = plugin.call_resource(Some(&settings), "POST", "v1/evaluate", body.as_bytes()).await.expect("CallResource");
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let answer: EvaluateResponse = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(answer.alerts.len(), VALUES.len());
    for alert in &answer.alerts {
        let theirs = &theirs_by_alert[&alert.name];
        for (j, (template, kind)) in TEMPLATES.iter().enumerate() {
            let key = format!("a{j}");
            let want = if *kind == Kind::Same { theirs[&key].as_str().unwrap() } else { template };
            assert_eq!(alert.annotations.get(&key), Some(want), "{} {template}", alert.name);
        }
        assert!(alert.annotations_at.is_some_and(|t| t > now - 30_000), "{}", alert.name);
    }
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Same => "same",
        Kind::PrometheusFails => "prometheus fails",
        Kind::NotRun => "not run",
    }
}
