//! What changed around an incident, as teams record it: Grafana annotations (deploys, config
//! changes) over the dashboard's time range, read through Grafana's own annotations API
//! (`GET /api/annotations`, grafana/grafana `pkg/api/annotations.go` `GetAnnotations`) with the
//! viewer's session, and drawn as markers on the flow panel's strips and drill-down charts.
//!
//! Two queries, as Grafana's built-in "Annotations & Alerts" and a tag query ask: the dashboard's
//! own annotations (`dashboardUID`), and the organisation's annotations carrying any of the tags
//! the panel option names (`tags=…&matchAny=true`). Each is capped at [`CHANGES_PER_QUERY`], newest
//! first as Grafana answers; the panel says when a cap was reached.

use serde::Deserialize;

/// Grafana's annotations API, under its base URL.
pub const ANNOTATIONS_API: &str = "/api/annotations";
/// How many annotations one query asks for (Grafana's default `limit`).
pub const CHANGES_PER_QUERY: usize = 100;
/// Tags one panel option may name.
pub const MAX_CHANGE_TAGS: usize = 16;

/// One annotation as Grafana's API answers it (`pkg/services/annotations/models.go` `ItemDTO`);
/// only what the markers show is read, and a field Grafana sends as `null` reads as empty.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    #[serde(default)]
    pub id: i64,
    /// Epoch ms.
    #[serde(default)]
    pub time: i64,
    /// Equal to `time` for an instant, later for a region.
    #[serde(default)]
    pub time_end: i64,
    /// `null` for some rows Grafana stores; read as empty.
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
}

impl Change {
    /// What a marker says: the text, then its tags.
    pub fn label(&self) -> String {
        let text = self.text.as_deref().unwrap_or_default().trim();
        match self.tags.as_deref() {
            Some(tags) if !tags.is_empty() => format!("{text} [{}]", tags.join(", ")),
            _ => text.to_string(),
        }
    }
}

/// The tags a panel option names: comma-separated, trimmed, empty ones dropped, at most
/// [`MAX_CHANGE_TAGS`].
pub fn option_tags(option: &str) -> Vec<&str> {
    option.split(',').map(str::trim).filter(|t| !t.is_empty()).take(MAX_CHANGE_TAGS).collect()
}

/// `encodeURIComponent`: what a query value needs so Grafana reads it back unchanged.
fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The API calls for `[from, to]`: the dashboard's own annotations when it has a uid (a dashboard
/// not saved yet has none), and those with any of `tags`.
pub fn queries(from: i64, to: i64, dashboard_uid: Option<&str>, tags: &[&str]) -> Vec<String> {
    let base = format!("{ANNOTATIONS_API}?from={from}&to={to}&limit={CHANGES_PER_QUERY}");
    let mut out = Vec::new();
    if let Some(uid) = dashboard_uid.filter(|u| !u.is_empty()) {
        out.push(format!("{base}&dashboardUID={}", encode(uid)));
    }
    if !tags.is_empty() {
        let tags: String = tags.iter().map(|t| format!("&tags={}", encode(t))).collect();
        out.push(format!("{base}{tags}&matchAny=true"));
    }
    out
}

/// The answers of [`queries`] as one list, each annotation once, oldest first; `true` when some
/// answer was cut at the limit (older changes may be missing). At most two hundred, each put in
/// place as it comes: no sort routine in the panel's `.wasm` for it.
pub fn merge(answers: Vec<Vec<Change>>) -> (Vec<Change>, bool) {
    let capped = answers.iter().any(|a| a.len() >= CHANGES_PER_QUERY);
    let mut all: Vec<Change> = Vec::new();
    for change in answers.into_iter().flatten() {
        if all.iter().any(|c| c.id == change.id) {
            continue;
        }
        let at = all.iter().position(|c| (c.time, c.id) > (change.time, change.id)).unwrap_or(all.len());
        all.insert(at, change);
    }
    (all, capped)
}

/// Where a change falls along `[from, to]`, 0 to 1; `None` outside it.
pub fn fraction(t: i64, from: i64, to: i64) -> Option<f64> {
    let span = to.checked_sub(from).filter(|s| *s > 0)?;
    let into = t.checked_sub(from)?;
    (0..=span).contains(&into).then(|| into as f64 / span as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_ask_the_dashboards_own_and_the_tagged_ones() {
        let q = queries(1000, 2000, Some("codex pipeline"), &option_tags(" deploy, a&b ,, "));
        assert_eq!(
            q,
            [
                "/api/annotations?from=1000&to=2000&limit=100&dashboardUID=codex%20pipeline",
                "/api/annotations?from=1000&to=2000&limit=100&tags=deploy&tags=a%26b&matchAny=true",
            ]
        );
        assert_eq!(queries(1, 2, None, &[]), Vec::<String>::new());
        assert_eq!(queries(1, 2, Some(""), &["x"]).len(), 1);
        assert_eq!(option_tags(&"t,".repeat(40)).len(), MAX_CHANGE_TAGS);
    }

    #[test]
    fn answers_merge_once_each_oldest_first() {
        let answer = r#"[{"id":2,"time":20,"timeEnd":20,"text":"deploy jangar v2","tags":["deploy"],"dashboardUID":null,"data":null},
                         {"id":1,"time":10,"timeEnd":15,"text":null,"tags":null}]"#;
        let a: Vec<Change> = serde_json::from_str(answer).unwrap();
        let (all, capped) = merge(vec![a.clone(), a[..1].to_vec()]);
        assert_eq!(all.iter().map(|c| c.id).collect::<Vec<_>>(), [1, 2]);
        assert!(!capped);
        assert_eq!(all[1].label(), "deploy jangar v2 [deploy]");
        assert_eq!(all[0].label(), "");
        let many = vec![Change { id: 0, time: 0, time_end: 0, text: None, tags: None }; CHANGES_PER_QUERY];
        assert!(merge(vec![many]).1);
    }

    #[test]
    fn fractions_place_changes_in_the_range() {
        assert_eq!(fraction(1500, 1000, 2000), Some(0.5));
        assert_eq!(fraction(1000, 1000, 2000), Some(0.0));
        assert_eq!(fraction(2001, 1000, 2000), None);
        assert_eq!(fraction(5, 10, 10), None);
        assert_eq!(fraction(i64::MIN, i64::MAX - 1, i64::MAX), None);
    }
}
