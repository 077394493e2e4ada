//! Grafana's short URLs as the dev host plays them (grafana/grafana `pkg/api/short_url.go`,
//! `pkg/services/shorturls/shorturlimpl/shorturl.go`): `POST /api/short-urls` with `{path}` for any
//! signed-in user, the path relative (no leading `/`, no `../`), one short URL per org and path,
//! answered `{uid, url}` with `url` = `<appUrl>goto/<uid>?orgId=<org>`; `GET /goto/<uid>` redirects
//! to the path under the root URL, and an unknown uid to the root.

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

    /// Where `GET /goto/<uid>` sends the browser: the path made, relative to the root URL.
    pub fn target(&self, uid: &str) -> Option<String> {
        let made = self.made.lock().ok()?;
        made.iter().find(|(_, u, _)| u == uid).map(|(_, _, path)| path.clone())
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
        assert_eq!(urls.target("cf000001").as_deref(), Some("d/x?from=1&to=2"));
        assert_eq!(urls.target("nope"), None);
        for bad in [&br#"{"path":"/d/x"}"#[..], br#"{"path":"d/../../etc"}"#, b"[]", b"not json"] {
            assert_eq!(urls.create(1, bad, "http://h/").0, 400);
        }
    }
}
