//! Grafana's short URLs as the dev host plays them, as Grafana 12 and 13 keep them (grafana/grafana
//! `pkg/api/short_url.go`, `pkg/services/shorturls/shorturlimpl/shorturl.go`): `POST /api/short-urls`
//! with `{path}` for any signed-in user, the path relative (no leading `/`, no `../`), the same path in
//! the same org giving the same short URL (the service's signature de-duplication), answered
//! `{uid, url}` with `url` = `<appUrl>goto/<uid>?orgId=<org>`; `GET /goto/<uid>` looks the uid up in the
//! user's org and redirects (302) to `<appUrl><path>`, an unknown one (308) to the root URL.

use std::sync::Mutex;

use serde_json::{json, Value};

#[derive(Default)]
pub struct ShortUrls {
    /// (org, uid, path), in the order made.
    made: Mutex<Vec<(i64, String, String)>>,
}

impl ShortUrls {
    /// `POST /api/short-urls` in `org`, for a Grafana served at `app_url` (ending in `/`).
    pub fn create(&self, org: i64, body: &[u8], app_url: &str) -> (u16, Value) {
        let Some(path) = serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|v| v.get("path").and_then(Value::as_str).map(|p| p.trim().to_string()))
        else {
            return (400, json!({ "message": "bad request data" }));
        };
        if path.starts_with('/') {
            return (400, json!({ "message": "Path should be relative" }));
        }
        if path.contains("../") {
            return (400, json!({ "message": "Invalid short URL path" }));
        }
        let Ok(mut made) = self.made.lock() else {
            return (500, json!({ "message": "short URLs unavailable" }));
        };
        let uid = match made.iter().find(|(o, _, p)| *o == org && *p == path) {
            Some((_, uid, _)) => uid.clone(),
            None => {
                let uid = format!("cf{:06}", made.len() + 1);
                made.push((org, uid.clone(), path));
                uid
            }
        };
        (200, json!({ "uid": uid, "url": format!("{app_url}goto/{uid}?orgId={org}") }))
    }

    /// Where `GET /goto/<uid>` sends a user of `org`: the path made, relative to the root URL.
    pub fn target(&self, org: i64, uid: &str) -> Option<String> {
        let made = self.made.lock().ok()?;
        made.iter().find(|(o, u, _)| *o == org && u == uid).map(|(_, _, path)| path.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_is_shortened_once_per_org_and_bad_paths_are_refused() {
        let urls = ShortUrls::default();
        let (status, a) = urls.create(1, br#"{"path":"d/x?from=1&to=2"}"#, "http://h/");
        assert_eq!((status, a["url"].as_str()), (200, Some("http://h/goto/cf000001?orgId=1")));
        assert_eq!(urls.create(1, br#"{"path":"d/x?from=1&to=2"}"#, "http://h/").1, a);
        assert_eq!(urls.create(2, br#"{"path":"d/x?from=1&to=2"}"#, "http://h/").1["uid"], "cf000002");
        assert_eq!(urls.target(1, "cf000001").as_deref(), Some("d/x?from=1&to=2"));
        assert_eq!(urls.target(2, "cf000001"), None, "another org's");
        assert_eq!(urls.target(1, "nope"), None);
        for bad in [&br#"{"path":"/d/x"}"#[..], br#"{"path":"d/../../etc"}"#, b"[]", b"not json"] {
            assert_eq!(urls.create(1, bad, "http://h/").0, 400);
        }
    }
}
