//! Figures for issue 10: what each abusive request or upstream costs a plugin binary (status, answer
//! time, answer bytes, peak resident memory, whether the process survived), so the binary before and
//! after can be compared in one run on one machine.
//!
//! Run: cargo bench -p codexflow-backend --bench abuse_figures -- [plugin binary …]
//! (absolute paths; default: the workspace's target/release/gpx_codexflow). With two binaries (the
//! landed one, then this one), every case runs against both in the same run, one after the other,
//! and the table shows them side by side. Each case gets a fresh plugin process, started under
//! `prlimit --as=6G` so a binary that allocates without bound fails instead of taking the machine.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use codexflow_testkit::grafana::plugin_host::{AppSettings, PluginProcess};
use codexflow_testkit::upstreams::{matrix, Reply, Scripted};
use serde_json::{json, Value};

const MINUTE: i64 = 60_000;

struct Figure {
    case: String,
    status: String,
    took: Duration,
    bytes: usize,
    peak_mib: u64,
    alive: bool,
    note: String,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

async fn start(binary: &Path, env: &[(&str, &str)]) -> PluginProcess {
    let args = ["--as=6442450944", "--", binary.to_str().unwrap()];
    PluginProcess::start_with_env(std::path::Path::new("/usr/bin/prlimit"), &args, env).await.expect("plugin starts")
}

/// One call against a fresh plugin with `json_data`, measured. (The table rows read best with every
/// part of a case on one line, hence the long argument list.)
#[allow(clippy::too_many_arguments)]
async fn case(
    binary: &Path,
    name: &str,
    json_data: Value,
    method: &str,
    path: &str,
    body: &str,
    env: &[(&str, &str)],
    note: impl Fn(&str, &str) -> String,
) -> Figure {
    let mut plugin = start(binary, env).await;
    let s = AppSettings {
        json_data,
        secure_json_data: [("bearerToken".to_string(), "tok-FIGURES-secret".to_string())].into(),
    };
    let started = Instant::now();
    let r =
        tokio::time::timeout(Duration::from_secs(120), plugin.call_resource(Some(&s), method, path, body.as_bytes()))
            .await;
    let took = started.elapsed();
    let (status, bytes, text) = match r {
        Ok(Ok(r)) => (
            r.status.to_string(),
            r.body.len(),
            String::from_utf8_lossy(&r.body[..r.body.len().min(200_000)]).to_string(),
        ),
        Ok(Err(e)) => ("gRPC error".to_string(), 0, e.to_string()),
        Err(_) => ("no answer in 120 s".to_string(), 0, String::new()),
    };
    let (_, peak) = plugin.memory_kib();
    let alive = plugin.is_running();
    let note = note(&text, &plugin.stderr());
    Figure { case: name.to_string(), status, took, bytes, peak_mib: peak / 1024, alive, note }
}

fn none(_: &str, _: &str) -> String {
    String::new()
}

/// The first reason of the answer, cut short.
fn first_reason(text: &str, _: &str) -> String {
    let v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    let reason = v["stages"][0]["reason"].as_str().or(v["error"].as_str()).unwrap_or("");
    reason.chars().take(90).collect()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // `cargo test --all-targets` runs bench binaries too, without `--bench`: the figures take minutes
    // and belong to `cargo bench`, while the same cases as pass/fail tests are in tests/abuse.rs.
    if !std::env::args().any(|a| a == "--bench") {
        println!("abuse_figures: figures are printed by cargo bench; the pass/fail cases are tests/abuse.rs");
        return;
    }
    let mut binaries: Vec<PathBuf> =
        std::env::args().skip(1).filter(|a| !a.starts_with('-')).map(PathBuf::from).collect();
    if binaries.is_empty() {
        binaries.push(PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target/release/gpx_codexflow")));
    }
    for b in &binaries {
        assert!(b.exists(), "{} missing: build it with cargo build --release -p codexflow-backend", b.display());
    }
    let tables: Vec<Vec<Figure>> = {
        let mut out = Vec::new();
        for b in &binaries {
            out.push(figures(b).await);
        }
        out
    };
    let heads: Vec<String> = binaries.iter().map(|b| b.display().to_string()).collect();
    println!(
        "columns per binary: status · time · answer bytes · peak RSS · survived · note; binaries: {}",
        heads.join(" | ")
    );
    println!("| case |{}", " result |".repeat(binaries.len()));
    println!("|---|{}", "---|".repeat(binaries.len()));
    for (i, f) in tables[0].iter().enumerate() {
        let cells: Vec<String> = tables
            .iter()
            .map(|t| {
                let f = &t[i];
                format!(
                    " {} · {:.2} s · {} B · {} MiB · {} · {} |",
                    f.status,
                    f.took.as_secs_f64(),
                    f.bytes,
                    f.peak_mib,
                    if f.alive { "up" } else { "DIED" },
                    f.note.replace('|', "/")
                )
            })
            .collect();
        println!("| {} |{}", f.case, cells.concat());
    }
}

async fn figures(binary: &Path) -> Vec<Figure> {
    let quiet = Scripted::start(|seen| {
        if seen.target.contains("/query_range") {
            Reply::json(r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#)
        } else {
            Reply::json(r#"{"status":"success","data":[]}"#)
        }
    })
    .await
    .unwrap();
    let many = Scripted::start(|seen| {
        if !seen.target.contains("/query_range") {
            return Reply::json(r#"{"status":"success","data":[]}"#);
        }
        let start: f64 = seen.form("start").and_then(|s| s.parse().ok()).unwrap_or(0.0);
        let step: f64 = seen.form("step").and_then(|s| s.parse().ok()).unwrap_or(60.0);
        match seen.form("query").unwrap_or_default().as_str() {
            q if q.contains("series50k") => Reply::json(matrix(50_000, 2, start, step, 0)),
            q if q.contains("series10k") => Reply::json(matrix(10_000, 60, start, step, 0)),
            q if q.contains("label60m") => Reply::json(matrix(1, 2, start, step, 60 << 20)),
            _ => Reply::json(r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#),
        }
    })
    .await
    .unwrap();
    let echo = Scripted::start(|seen| {
        let auth = seen.header("authorization").unwrap_or("").to_string();
        Reply { status: 502, headers: vec![], body: format!("bad gateway for Authorization: {auth}").into_bytes() }
    })
    .await
    .unwrap();
    let redirect = Scripted::start(|_| Reply {
        status: 302,
        headers: vec![("Location".into(), "/login".into())],
        body: Vec::new(),
    })
    .await
    .unwrap();
    let q = json!({ "prometheusUrl": quiet.url });
    let now = now_ms() / MINUTE * MINUTE;
    let hour = json!({"from": now - 3_600_000, "to": now}).to_string();
    let rule = |expr: &str, for_: &str| {
        format!("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: '{expr}'\n    for: {for_}\n    labels: {{stage: kafka}}\n")
    };
    let check = |json_data: Value| json!({ "jsonData": json_data }).to_string();
    let (max, min) = (i64::MAX, i64::MIN);
    let mut figures = Vec::new();

    // 1. Numbers near the 64-bit limits.
    for (name, path, body) in [
        ("1 evaluate to=i64::MAX", "v1/evaluate", format!(r#"{{"from":0,"to":{max}}}"#)),
        ("1 evaluate from=to-1=i64::MAX-1", "v1/evaluate", format!(r#"{{"from":{},"to":{max}}}"#, max - 1)),
        ("1 evaluate intervalMs=i64::MAX", "v1/evaluate", format!(r#"{{"from":0,"to":60000,"intervalMs":{max}}}"#)),
        ("1 evaluate from=i64::MIN", "v1/evaluate", format!(r#"{{"from":{min},"to":0}}"#)),
        ("1 stage-metrics to=i64::MAX", "v1/stage-metrics", format!(r#"{{"stage":"kafka","from":0,"to":{max}}}"#)),
        (
            "1 stage-metrics from=i64::MIN",
            "v1/stage-metrics",
            format!(r#"{{"stage":"kafka","from":{min},"to":{max},"maxPoints":5000}}"#),
        ),
        (
            "1 evaluate to=9e18, intervalMs=1e15",
            "v1/evaluate",
            r#"{"from":0,"to":9000000000000000000,"intervalMs":1000000000000000}"#.to_string(),
        ),
        (
            "1 stage-metrics to=i64::MAX, maxPoints=2",
            "v1/stage-metrics",
            format!(r#"{{"stage":"kafka","from":0,"to":{max},"maxPoints":2}}"#),
        ),
    ] {
        figures.push(case(binary, name, q.clone(), "POST", path, &body, &[], none).await);
    }
    // 2. Deep PromQL, through settings/check.
    let parens = format!("{}up{}", "(".repeat(100_000), ")".repeat(100_000));
    let minus = format!("{}up", "-".repeat(100_000));
    for (name, expr) in
        [("2 rule with 10^5 nested parentheses", parens.as_str()), ("2 rule with 10^5 unary minus", minus.as_str())]
    {
        let body = check(json!({"prometheusUrl": quiet.url, "rulesYaml": rule(expr, "0")}));
        figures.push(case(binary, name, q.clone(), "POST", "v1/settings/check", &body, &[], none).await);
    }
    // 3. Quadratic parsing.
    for terms in [10_000, 40_000] {
        let body = check(json!({"prometheusUrl": quiet.url, "rulesYaml": rule(&vec!["up"; terms].join(" + "), "0")}));
        figures.push(
            case(
                binary,
                &format!("3 rule of a {terms}-term chain"),
                q.clone(),
                "POST",
                "v1/settings/check",
                &body,
                &[],
                none,
            )
            .await,
        );
    }
    let yaml = format!("groups: {}{}", "[".repeat(50_000), "]".repeat(50_000));
    figures.push(
        case(
            binary,
            "3 rules YAML nested 50k deep",
            q.clone(),
            "POST",
            "v1/settings/check",
            &check(json!({"prometheusUrl": quiet.url, "rulesYaml": yaml})),
            &[],
            none,
        )
        .await,
    );
    // 4. Absurd durations.
    figures.push(
        case(
            binary,
            "4 check for: 292000000y",
            q.clone(),
            "POST",
            "v1/settings/check",
            &check(json!({"prometheusUrl": quiet.url, "rulesYaml": rule("up == 0", "292000000y")})),
            &[],
            none,
        )
        .await,
    );
    let before = quiet.requests();
    let mut f = case(
        binary,
        "4 evaluate 1 h with for: 10y",
        json!({"prometheusUrl": quiet.url, "rulesYaml": rule("up == 0", "10y")}),
        "POST",
        "v1/evaluate",
        &hour,
        &[],
        first_reason,
    )
    .await;
    f.note = format!("{} upstream requests; {}", quiet.requests() - before, f.note);
    figures.push(f);
    figures.push(
        case(
            binary,
            "4 evaluationInterval 150000000y",
            json!({"prometheusUrl": quiet.url, "evaluationInterval": "150000000y"}),
            "POST",
            "v1/evaluate",
            &hour,
            &[],
            first_reason,
        )
        .await,
    );
    // 5. What one upstream answer expands into.
    for (name, expr) in [
        ("5 10k series per answer", "series10k > 0"),
        ("5 50k series per answer", "series50k > 0"),
        ("5 one 60 MB label value", "label60m > 0"),
    ] {
        let data = json!({"prometheusUrl": many.url, "rulesYaml": rule(expr, "0"), "timeout": "60s"});
        figures.push(case(binary, name, data, "POST", "v1/evaluate", &hour, &[], first_reason).await);
    }
    // 7. Secrets: in the log at RUST_LOG=debug, in a reason from an echoing upstream.
    let mut f = case(
        binary,
        "7a RUST_LOG=debug",
        q.clone(),
        "POST",
        "v1/evaluate",
        &hour,
        &[("RUST_LOG", "debug")],
        |_, log| format!("secret in log: {}", log.contains("tok-FIGURES-secret")),
    )
    .await;
    f.note = f.note.clone();
    figures.push(f);
    figures.push(
        case(
            binary,
            "7b upstream echoing Authorization",
            json!({"prometheusUrl": echo.url}),
            "POST",
            "v1/evaluate",
            &hour,
            &[],
            |text, _| format!("secret in answer: {}", text.contains("tok-FIGURES-secret")),
        )
        .await,
    );
    // 8. Smaller defects.
    figures.push(case(binary, "8 body [1,2]", q.clone(), "POST", "v1/evaluate", "[1,2]", &[], none).await);
    figures.push(
        case(
            binary,
            "8 type error: field",
            q.clone(),
            "POST",
            "v1/evaluate",
            r#"{"from":"yesterday","to":1}"#,
            &[],
            |t, _| {
                format!(
                    "field {}",
                    serde_json::from_str::<Value>(t)
                        .ok()
                        .and_then(|v| v["field"].as_str().map(str::to_string))
                        .unwrap_or_default()
                )
            },
        )
        .await,
    );
    figures.push(case(binary, "8 HEAD v1/rules", q.clone(), "HEAD", "v1/rules", "", &[], none).await);
    let pipeline: Value = serde_json::from_str(include_str!("../defaults/pipeline.json")).unwrap();
    figures.push(
        case(
            binary,
            "8 check with the pipeline as an object",
            q.clone(),
            "POST",
            "v1/settings/check",
            &check(json!({"prometheusUrl": quiet.url, "pipeline": pipeline})),
            &[],
            none,
        )
        .await,
    );
    figures.push(
        case(
            binary,
            "8 upstream redirects (302 /login)",
            json!({"prometheusUrl": redirect.url}),
            "POST",
            "v1/evaluate",
            &hour,
            &[],
            first_reason,
        )
        .await,
    );
    figures
}
