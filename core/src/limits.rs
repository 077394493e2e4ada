//! Every limit and shared constant of the resource API, in one place, so the backend that enforces
//! a limit, the frontends that stay inside it and `docs/api.md` that documents it cannot drift.

use crate::error::FieldError;

/// A duration limit, with the words a form shows for it (a test checks they say the same).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bound {
    pub ms: i64,
    pub text: &'static str,
}

/// The shortest evaluation interval (tick spacing) anywhere: settings, requests, panel options.
pub const MIN_INTERVAL: Bound = Bound { ms: 1_000, text: "1s" };
/// The longest: a day.
pub const MAX_INTERVAL: Bound = Bound { ms: 86_400_000, text: "1d" };
pub const MIN_INTERVAL_MS: i64 = MIN_INTERVAL.ms;
pub const MAX_INTERVAL_MS: i64 = MAX_INTERVAL.ms;
/// The tick spacing when neither the request nor `jsonData.evaluationInterval` says.
pub const DEFAULT_INTERVAL: Bound = Bound { ms: 60_000, text: "1m" };

/// Upstream timeouts: at least a second, at most two minutes, ten seconds unless set.
pub const MIN_TIMEOUT: Bound = Bound { ms: 1_000, text: "1s" };
pub const MAX_TIMEOUT: Bound = Bound { ms: 120_000, text: "2m" };
pub const DEFAULT_TIMEOUT: Bound = Bound { ms: 10_000, text: "10s" };

/// The latest instant a request may name: the end of the year 9999 (epoch ms). Keeps every sum of
/// times, lookbacks and intervals far from the 64-bit limits.
pub const MAX_EPOCH_MS: i64 = 253_402_300_799_999;

/// Whether `t` (epoch ms) is an instant a request may name: from 1970 to the end of 9999.
pub fn within_dates(t: i64) -> bool {
    (0..=MAX_EPOCH_MS).contains(&t)
}

/// The longest stage id: ids go into `data-testid` attributes and URLs.
pub const MAX_STAGE_ID_BYTES: usize = 64;

/// The longest moment the flow panel reads from the dashboard's URL (`moment_param`): room for an
/// instant up to 9999 (15 digits), the separator and the longest stage id, with some to spare for
/// leading zeros. A longer one is ignored whole.
pub const MAX_MOMENT_BYTES: usize = 96;

/// Most ticks one `v1/evaluate` window may hold (7 days at 15 s is 40,320).
pub const MAX_TICKS: usize = 100_000;

/// A tick older than `jsonData.settleTime` is *settled*: its evaluation (each query's samples at it)
/// is kept and a later evaluation asks the upstream only for what is newer. Ten minutes unless set,
/// as Mimir's query-frontend does not cache the last 10 minutes of a result either
/// (`-query-frontend.max-cache-freshness`, grafana/mimir#7161): late scrapes, remote-write retries
/// and the out-of-order window land within it. `0s` keeps nothing; at most a day.
pub const MIN_SETTLE: Bound = Bound { ms: 0, text: "0s" };
pub const MAX_SETTLE: Bound = Bound { ms: 86_400_000, text: "1d" };
pub const DEFAULT_SETTLE: Bound = Bound { ms: 600_000, text: "10m" };

/// Bytes the settled evaluations of one plugin process may keep, all settings versions together;
/// the least recently used query's go first beyond it (CheckHealth reports the use).
pub const SETTLED_BUDGET_BYTES: usize = 64 << 20;
/// Ticks one query's settled evaluation keeps (the most a window holds): older ticks go first.
pub const SETTLED_MAX_TICKS: i64 = MAX_TICKS as i64;

/// Range queries sent together as one (`backend::upstream::plan`): small ones, their ticks together
/// at most this many (a refresh's new and unsettled ticks; a cold window's big queries go alone, in
/// parallel), and the ticks evaluated beyond the parts' own, summed, at most as many; at most
/// [`TOGETHER_MAX_PARTS`] parts to a request.
pub const TOGETHER_MAX_TICKS: i64 = 120;
pub const TOGETHER_MAX_PARTS: usize = 32;

/// Points in a sparkline (a headline or an edge's series); longer windows use a coarser step.
pub const SPARKLINE_POINTS: usize = 240;

/// Queue insight reads the last `jsonData.queueWindow` before the evaluation's last tick (ten minutes
/// unless set): long enough for a trend through a scrape's noise and for Burrow's "stopped for
/// longer than it moved", short enough to say what is happening now.
pub const MIN_QUEUE_WINDOW: Bound = Bound { ms: 10_000, text: "10s" };
pub const MAX_QUEUE_WINDOW: Bound = Bound { ms: 3_600_000, text: "1h" };
pub const DEFAULT_QUEUE_WINDOW: Bound = Bound { ms: 600_000, text: "10m" };
/// The insight's own queries read the window in this many steps (15 s over ten minutes), never
/// closer than a second. A backlog that is also a headline is read from the sparkline instead when
/// that has at least [`QUEUE_MIN_SPARK_POINTS`] steps in the window: no query of its own.
pub const QUEUE_STEPS: i64 = 40;
pub const QUEUE_MIN_SPARK_POINTS: i64 = 10;

/// The pipeline over the range (each backlog stage's data age, the clients' freshness and the
/// bottleneck at every tick) is read for ranges of at most this many ticks, and pipelines of at
/// most this many stages and edges and bytes of stage names (each tick's words may repeat them);
/// beyond, those series are absent and only now is said. A backlog stage is read tick by tick from
/// the series its insight asks anyway: the headline's sparkline, or its own queries, which then
/// reach over the range when that takes at most [`MAX_POINTS_PER_QUERY`] points (else they read
/// the last window, and the stage's age is not known at the range's ticks).
pub const MAX_HISTORY_TICKS: usize = 2_000;
pub const MAX_HISTORY_STAGES: usize = 32;
pub const MAX_HISTORY_EDGES: usize = 64;
pub const MAX_HISTORY_NAME_BYTES: usize = 4 << 10;

/// `v1/stage-metrics`: points per series when the request does not say, and the most it may ask.
pub const STAGE_METRICS_DEFAULT_POINTS: u32 = 600;
pub const STAGE_METRICS_MAX_POINTS: u32 = 5_000;

/// Prometheus' default lookback for instant vectors: a series is "there" this long after its last sample.
pub const STALENESS_MS: i64 = 5 * 60_000;

/// How far back, in total beyond the base lookback, the backend looks for the start of an episode
/// that was already active at the edge of what it looked at: an hour, then four, then a day. An
/// episode older than the last step gets `activeAtIsBound`.
pub const ACTIVE_AT_LOOKBACK_MS: [i64; 3] = [3_600_000, 4 * 3_600_000, 24 * 3_600_000];

/// Prometheus refuses range queries above 11,000 points per series; a longer range is sent in chunks
/// of at most this many steps.
pub const MAX_POINTS_PER_QUERY: i64 = 10_000;

/// Upstream requests in flight at once, across every evaluation of the plugin process.
pub const MAX_CONCURRENT_UPSTREAM: usize = 16;

/// The most bytes one upstream answer may have; a larger one is refused while it streams in, never
/// buffered whole.
pub const MAX_UPSTREAM_BODY_BYTES: usize = 8 << 20;

/// Alerts or silences one Alertmanager answer may list; more is refused, not truncated.
pub const MAX_ALERTMANAGER_ITEMS: usize = 20_000;

/// Silences named on one suppressed alert, and characters kept of a silence's author and comment:
/// the answer repeats them for every firing alert, so a hostile Alertmanager (one alert silenced by
/// 20,000 silences with long comments) must not multiply into the answer. Beyond them: "and N more".
pub const MAX_SILENCES_NAMED: usize = 5;
pub const MAX_SILENCE_TEXT_CHARS: usize = 300;

/// Series one upstream query may return before it is refused ("narrow it, e.g. `sum by (…)`").
pub const MAX_SERIES_PER_QUERY: usize = 2_000;

/// Bytes of one series' label names and values together.
pub const MAX_LABEL_BYTES: usize = 16 << 10;

/// How long a finished upstream answer is reused by identical queries (same upstream, credentials,
/// expression and range).
pub const SHARE_TTL_MS: u64 = 10_000;

/// The most bytes of finished answers kept for reuse; the oldest go first beyond it.
pub const SHARE_BUDGET_BYTES: usize = 64 << 20;

/// Characters of an upstream's raw error body quoted in a reason (after secrets and header echoes
/// are cut): enough to recognise a proxy's page, not to carry it.
pub const UPSTREAM_EXCERPT_CHARS: usize = 160;

/// Characters of a Prometheus API `error` message quoted in a reason: its own words, which say what
/// was wrong with the query, so more of them.
pub const UPSTREAM_MESSAGE_CHARS: usize = 600;

/// The longest Prometheus duration: what Go's `time.Duration` holds (int64 nanoseconds), about 292
/// years. Prometheus refuses anything longer ("duration out of range"), and so do we.
pub const MAX_DURATION_MS: i64 = i64::MAX / 1_000_000;

/// The longest `for` + `keep_firing_for` of a rule this panel evaluates: a week. Prometheus accepts
/// longer; such a rule is not evaluated here and its stage says why.
pub const MAX_RULE_HOLD_MS: i64 = 7 * 86_400_000;

/// One PromQL expression: bytes, bracket nesting, and operators (binary and unary). Checked
/// before the expression is parsed, so no expression can make the parser or the analysis deep.
pub const MAX_PROMQL_BYTES: usize = 16 << 10;
pub const MAX_PROMQL_DEPTH: usize = 64;
pub const MAX_PROMQL_OPERATORS: usize = 256;
/// The longest duration an expression may write as a bare number of seconds (`x[300]`): Go's
/// `time.Duration`, which Prometheus parses into, ends at 2^63 ns, about 292 years.
pub const MAX_PROMQL_DURATION_SECS: f64 = 9_223_372_036.0;

/// `jsonData.rulesYaml`: bytes, flow nesting (`[`/`{`), and alerting rules. With the pipeline's
/// bytes and a request body, settings travel in every gRPC request, which the SDK's server takes up
/// to 4 MiB.
pub const MAX_RULES_YAML_BYTES: usize = 512 << 10;
pub const MAX_YAML_DEPTH: usize = 32;
pub const MAX_RULES: usize = 1_000;

/// `jsonData.pipeline`: bytes, stages, edges, raw panels per stage and targets per panel.
pub const MAX_PIPELINE_BYTES: usize = 512 << 10;
pub const MAX_STAGES: usize = 500;
pub const MAX_EDGES: usize = 2_000;
pub const MAX_RAW_PANELS: usize = 32;
pub const MAX_TARGETS: usize = 16;

/// What one evaluation (or one `v1/stage-metrics` call) may ask of the upstream and hold: requests
/// sent, and samples kept from the answers plus points of the answer it builds.
pub const MAX_UPSTREAM_REQUESTS_PER_CALL: usize = 2_000;
pub const MAX_SAMPLES_PER_CALL: usize = 4_000_000;

/// Samples all calls of the process hold at once; a call that would go beyond waits for nothing
/// and fails its part with a reason, so memory stays bounded whatever many viewers ask.
pub const MAX_SAMPLES_IN_PROCESS: usize = 8_000_000;

/// The largest answer a resource sends; a larger one is refused while it is written, never built.
pub const MAX_ANSWER_BYTES: usize = 64 << 20;

/// Label sets one rule's result may have (one alert each).
pub const MAX_ALERTS_PER_RULE: usize = 2_000;

/// The largest resource request body (`v1/settings/check` carries rules YAML and a pipeline).
pub const MAX_REQUEST_BODY_BYTES: usize = 2 << 20;

/// `v1/panel-map`: most panels one request may describe, queries per panel (Grafana's refIds A–Z)
/// and the longest title read.
pub const MAX_DASHBOARD_PANELS: usize = 500;
pub const MAX_PANEL_QUERIES: usize = 26;
pub const MAX_PANEL_TITLE_BYTES: usize = 1024;

/// Settings versions kept compiled (a version is one `jsonData` + secrets as Grafana sends them);
/// the least recently used goes first.
pub const SETTINGS_VERSIONS_KEPT: usize = 32;

/// Checks a tick spacing in milliseconds: between a second and a day. `field` names it in the error.
pub fn check_interval(field: &str, interval_ms: i64) -> Result<i64, FieldError> {
    check_between(field, interval_ms, MIN_INTERVAL, MAX_INTERVAL)
}

/// Checks a queue insight window in milliseconds: between ten seconds and an hour.
pub fn check_queue_window(field: &str, window_ms: i64) -> Result<i64, FieldError> {
    check_between(field, window_ms, MIN_QUEUE_WINDOW, MAX_QUEUE_WINDOW)
}

/// Checks a settle time in milliseconds: between none and a day.
pub fn check_settle(field: &str, settle_ms: i64) -> Result<i64, FieldError> {
    check_between(field, settle_ms, MIN_SETTLE, MAX_SETTLE)
}

/// Checks an upstream timeout in milliseconds: between a second and two minutes.
pub fn check_timeout(field: &str, timeout_ms: i64) -> Result<i64, FieldError> {
    check_between(field, timeout_ms, MIN_TIMEOUT, MAX_TIMEOUT)
}

fn check_between(field: &str, ms: i64, min: Bound, max: Bound) -> Result<i64, FieldError> {
    if ms < min.ms {
        return Err(FieldError::new(field, format!("must be at least {}, got {ms} ms", min.text)));
    }
    if ms > max.ms {
        return Err(FieldError::new(field, format!("must be at most {}, got {ms} ms", max.text)));
    }
    Ok(ms)
}

/// How long one reading of the ruler's rules API serves every request, and a failed reading.
pub const RULER_TTL_MS: u64 = 60_000;
pub const RULER_ERROR_TTL_MS: u64 = 10_000;

/// Longest `ruleGroups` / `ruleFiles` pattern, in bytes.
pub const MAX_PATTERN_BYTES: usize = 4 << 10;

/// An annotation template longer than this is shown as written, not expanded; so is one whose
/// expansion grows past the second limit (a template repeating `{{ $labels }}`).
pub const MAX_ANNOTATION_BYTES: usize = 16 << 10;
pub const MAX_EXPANDED_ANNOTATION_BYTES: usize = 16 << 10;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_below_a_second_are_refused_with_their_field() {
        assert_eq!(check_interval("intervalMs", 1_000), Ok(1_000));
        let e = check_interval("jsonData.evaluationInterval", 999).unwrap_err();
        assert_eq!(e.field, "jsonData.evaluationInterval");
        assert!(e.message.contains("at least 1s"), "{e}");
        let e = check_interval("intervalMs", 150_000_000 * 365 * 86_400_000).unwrap_err();
        assert!(e.message.contains("at most 1d"), "{e}");
        assert!(check_timeout("jsonData.timeout", 121_000).unwrap_err().message.contains("at most 2m"));
    }

    #[test]
    fn bound_texts_say_their_values() {
        for b in [
            MIN_INTERVAL,
            MAX_INTERVAL,
            DEFAULT_INTERVAL,
            MIN_TIMEOUT,
            MAX_TIMEOUT,
            DEFAULT_TIMEOUT,
            MIN_QUEUE_WINDOW,
            MAX_QUEUE_WINDOW,
            DEFAULT_QUEUE_WINDOW,
            MIN_SETTLE,
            MAX_SETTLE,
            DEFAULT_SETTLE,
        ] {
            assert_eq!(crate::duration::format_duration(b.ms), b.text, "{b:?}");
        }
    }

    #[test]
    fn the_active_at_lookback_ends_at_one_day() {
        assert!(ACTIVE_AT_LOOKBACK_MS.windows(2).all(|w| w[0] < w[1]), "cumulative totals, growing");
        assert_eq!(ACTIVE_AT_LOOKBACK_MS.last(), Some(&86_400_000));
    }
}
