//! Grafana's annotation store and its HTTP API as a panel reads it with the viewer's session:
//! `GET /api/annotations` and, for tests and the demo to record changes, `POST /api/annotations`.
//!
//! Followed: grafana/grafana `pkg/api/annotations.go` (`GetAnnotations`: every query value read with
//! `QueryInt64`/`QueryBool`, so an unreadable number is 0 and never a 400; `limit` 0 is 100; `tags`
//! repeated; an unknown `dashboardUID` is 400 "Invalid dashboard UID in annotation request";
//! `PostAnnotation`: "Annotation added" with the id), `pkg/services/annotations/annotationsimpl/
//! xorm_store.go` (`Get`: the caller's org; the time filter only when `from` and `to` are both set,
//! as an overlap `time <= to AND timeEnd >= from`; tags all required unless `matchAny`; newest end
//! first, then newest start; `validateTimeRange`: no end is the start, a reversed range is swapped),
//! and `pkg/services/annotations/models.go` (`ItemDTO`: every key present, `userUID` from 13).
//! Not played: permissions beyond a signed-in session (a viewer reads the org's annotations, as
//! `fixed:annotations:reader` lets it), alert annotations, regions' edits and deletes.

use std::sync::RwLock;

use serde_json::{json, Value};

use crate::upstreams::percent_decode;

/// An answer: status and JSON body.
pub type Answer = (u16, Value);

#[derive(Debug, Clone)]
struct Item {
    id: i64,
    org: i64,
    dashboard_uid: Option<String>,
    panel_id: i64,
    time: i64,
    time_end: i64,
    text: String,
    tags: Vec<String>,
    created: i64,
}

/// Every org's annotations, in the order they were added.
#[derive(Default)]
pub struct Annotations {
    items: RwLock<Vec<Item>>,
}

/// `POST /api/annotations`'s body (`dtos.PostAnnotationsCmd`).
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct PostCommand {
    #[serde(default, rename = "dashboardUID")]
    dashboard_uid: Option<String>,
    #[serde(default)]
    panel_id: i64,
    #[serde(default)]
    time: i64,
    #[serde(default)]
    time_end: i64,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    text: String,
}

fn message(status: u16, text: &str) -> Answer {
    (status, json!({ "message": text }))
}

/// Go's `strconv.ParseBool`.
fn go_bool(s: &str) -> bool {
    matches!(s, "1" | "t" | "T" | "TRUE" | "true" | "True")
}

impl Annotations {
    /// `POST /api/annotations` in `org`, at `now` when the body names no time.
    pub fn add(&self, org: i64, body: &[u8], now: i64) -> Answer {
        let cmd: PostCommand = match serde_json::from_slice(body) {
            Ok(c) => c,
            Err(_) => return message(400, "bad request data"),
        };
        if cmd.text.trim().is_empty() {
            return message(400, "Text field must be set");
        }
        let time = if cmd.time == 0 { now } else { cmd.time };
        let time_end = if cmd.time_end == 0 { time } else { cmd.time_end };
        let (time, time_end) = (time.min(time_end), time.max(time_end));
        let Ok(mut items) = self.items.write() else { return message(500, "Failed to save annotation") };
        let id = items.len() as i64 + 1;
        items.push(Item {
            id,
            org,
            dashboard_uid: cmd.dashboard_uid.filter(|u| !u.is_empty()),
            panel_id: cmd.panel_id,
            time,
            time_end,
            text: cmd.text,
            tags: cmd.tags,
            created: now,
        });
        (200, json!({ "message": "Annotation added", "id": id }))
    }

    /// `GET /api/annotations?<query>` in `org`; `dashboard_exists` says which uids name a
    /// dashboard of the org; `with_user_uid` from Grafana 13.
    pub fn find(&self, org: i64, query: &str, dashboard_exists: &dyn Fn(&str) -> bool, with_user_uid: bool) -> Answer {
        let mut params: Vec<(String, String)> = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            params.push((percent_decode(k), percent_decode(&v.replace('+', " "))));
        }
        let get = |name: &str| params.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str());
        let int = |name: &str| get(name).parse::<i64>().unwrap_or(0);
        let (from, to, panel_id) = (int("from"), int("to"), int("panelId"));
        let limit = match int("limit") {
            0 => 100,
            n => n.max(1) as usize,
        };
        let tags: Vec<&str> = params.iter().filter(|(k, _)| k == "tags").map(|(_, v)| v.as_str()).collect();
        let match_any = go_bool(get("matchAny"));
        let dashboard = get("dashboardUID");
        if !dashboard.is_empty() && !dashboard_exists(dashboard) {
            return message(400, "Invalid dashboard UID in annotation request");
        }
        let Ok(items) = self.items.read() else { return message(500, "Failed to get annotations") };
        let mut found: Vec<&Item> = items
            .iter()
            .filter(|a| a.org == org)
            .filter(|a| from <= 0 || to <= 0 || (a.time <= to && a.time_end >= from))
            .filter(|a| dashboard.is_empty() || a.dashboard_uid.as_deref() == Some(dashboard))
            .filter(|a| panel_id == 0 || a.panel_id == panel_id)
            .filter(|_| get("type") != "alert") // no alert annotations are stored here
            .filter(|a| {
                let has = |t: &&str| a.tags.iter().any(|own| own == t);
                tags.is_empty() || if match_any { tags.iter().any(has) } else { tags.iter().all(has) }
            })
            .collect();
        found.sort_by_key(|a| std::cmp::Reverse((a.time_end, a.time)));
        found.truncate(limit);
        let rows: Vec<Value> = found
            .into_iter()
            .map(|a| {
                let mut row = json!({
                    "id": a.id, "alertId": 0, "alertName": "", "dashboardId": 0,
                    "dashboardUID": a.dashboard_uid, "panelId": a.panel_id, "userId": 1,
                    "newState": "", "prevState": "", "created": a.created, "updated": a.created,
                    "time": a.time, "timeEnd": a.time_end, "text": a.text, "tags": a.tags,
                    "login": "admin", "email": "", "avatarUrl": "", "data": {},
                });
                if with_user_uid {
                    row["userUID"] = json!("dev-host-admin");
                }
                row
            })
            .collect();
        (200, Value::Array(rows))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> Annotations {
        let a = Annotations::default();
        let post = |org: i64, body: Value| a.add(org, body.to_string().as_bytes(), 5_000);
        assert_eq!(post(1, json!({"dashboardUID": "d", "time": 1000, "text": "deploy v1", "tags": ["deploy"]})).0, 200);
        post(1, json!({"time": 3000, "timeEnd": 2000, "text": "config change", "tags": ["config", "deploy"]}));
        post(1, json!({"text": "now", "tags": []}));
        post(2, json!({"time": 1000, "text": "other org", "tags": ["deploy"]}));
        a
    }

    fn ids(answer: Answer) -> Vec<i64> {
        assert_eq!(answer.0, 200, "{}", answer.1);
        answer.1.as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect()
    }

    #[test]
    fn queries_filter_as_grafanas_store_does() {
        let a = store();
        let known = |uid: &str| uid == "d";
        let find = |q: &str| a.find(1, q, &known, false);
        assert_eq!(ids(find("")), [3, 2, 1], "newest end first, the caller's org only");
        assert_eq!(ids(find("from=1500&to=2500")), [2], "a region overlapping the range");
        assert_eq!(ids(find("from=abc&to=2500")), [3, 2, 1], "an unreadable number is 0: no time filter");
        assert_eq!(ids(find("dashboardUID=d")), [1]);
        assert_eq!(ids(find("tags=deploy&tags=config")), [2], "every tag");
        assert_eq!(ids(find("tags=deploy&tags=config&matchAny=true")), [2, 1]);
        assert_eq!(ids(find("limit=1")), [3]);
        assert_eq!(find("dashboardUID=nope"), message(400, "Invalid dashboard UID in annotation request"));
        let row = &find("dashboardUID=d").1[0];
        assert_eq!(
            (row["time"].as_i64(), row["timeEnd"].as_i64(), row["dashboardUID"].as_str()),
            (Some(1000), Some(1000), Some("d"))
        );
        assert!(row.get("userUID").is_none() && a.find(1, "", &known, true).1[0].get("userUID").is_some());
        let region = &find("from=1500&to=2500").1[0];
        assert_eq!(
            (region["time"].as_i64(), region["timeEnd"].as_i64()),
            (Some(2000), Some(3000)),
            "a reversed range is swapped"
        );
        assert_eq!(a.add(1, b"{\"text\":\" \"}", 0), message(400, "Text field must be set"));
        assert_eq!(a.add(1, b"[", 0).0, 400);
    }
}
