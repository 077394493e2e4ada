//! Grafana's data source store and its HTTP API, as far as a data source's settings page uses it:
//! add (`POST /api/datasources`), read and update by uid (`GET`/`PUT /api/datasources/uid/<uid>`),
//! and "Save & test" (`GET /api/datasources/uid/<uid>/health`, the plugin's `CheckHealth`, which
//! `devhost` answers as it answers the app's).
//! A provisioned data source is read-only unless provisioned `editable`, as Grafana keeps it
//! (`ReadOnly: !Editable`): an update is refused with 403.
//! Secrets are write-only: an answer says which are set (`secureJsonFields`), never their values,
//! and an update keeps the secrets it does not name.
//!
//! Followed: grafana/grafana `pkg/api/datasources.go` (`AddDataSource`, `UpdateDataSourceByUID`,
//! `GetDataSourceByUID`, `convertModelToDtos`), `pkg/api/plugins.go` (`CheckDatasourceHealthWithUID`:
//! 400 with the payload when the status is not OK), `pkg/services/datasources/service`
//! (`fillWithSecureJSONData`).

use std::collections::HashMap;
use std::sync::RwLock;

use serde_json::{json, Value};

use super::plugin_host::{AppSettings, DataSourceInstance};
use super::provisioning::{DatasourceMeta, Provisioning};

/// One stored data source.
#[derive(Debug, Clone)]
struct Row {
    id: i64,
    meta: DatasourceMeta,
    read_only: bool,
    version: i64,
    settings: AppSettings,
}

/// The data sources of org 1: the provisioned ones, then those added through the API.
pub struct Datasources {
    rows: RwLock<Vec<Row>>,
}

/// The body of an add or an update (Grafana's `AddDataSourceCommand`/`UpdateDataSourceCommand`).
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Command {
    name: String,
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    json_data: Option<Value>,
    #[serde(default)]
    secure_json_data: Option<HashMap<String, String>>,
}

/// An answer: status and JSON body.
pub type Answer = (u16, Value);

fn message(status: u16, text: &str) -> Answer {
    (status, json!({ "message": text }))
}

impl Datasources {
    pub fn from_provisioning(p: &Provisioning) -> Datasources {
        let rows = p
            .datasource_meta
            .iter()
            .enumerate()
            .map(|(i, meta)| Row {
                id: i64::try_from(i).unwrap_or(0) + 1,
                meta: meta.clone(),
                read_only: !meta.editable,
                version: 1,
                settings: p.datasource_settings.get(&meta.uid).cloned().unwrap_or_default(),
            })
            .collect();
        Datasources { rows: RwLock::new(rows) }
    }

    /// What the frontend settings list (`config.datasources`).
    pub fn metas(&self) -> Vec<DatasourceMeta> {
        self.rows.read().map(|rows| rows.iter().map(|r| r.meta.clone()).collect()).unwrap_or_default()
    }

    /// What a backend data source is handed for the data source `uid`, with its type.
    pub fn instance(&self, uid: &str) -> Option<(String, DataSourceInstance)> {
        let rows = self.rows.read().ok()?;
        let r = rows.iter().find(|r| r.meta.uid == uid)?;
        let instance = DataSourceInstance {
            id: r.id,
            uid: r.meta.uid.clone(),
            name: r.meta.name.clone(),
            settings: r.settings.clone(),
        };
        Some((r.meta.kind.clone(), instance))
    }

    /// `GET /api/datasources/uid/<uid>`.
    pub fn get(&self, uid: &str) -> Answer {
        let Ok(rows) = self.rows.read() else { return message(500, "store unavailable") };
        match rows.iter().find(|r| r.meta.uid == uid) {
            Some(r) => (200, dto(r)),
            None => message(404, "Data source not found"),
        }
    }

    /// `POST /api/datasources`: a new data source of `type`, named uniquely.
    pub fn add(&self, body: &[u8]) -> Answer {
        let cmd: Command = match serde_json::from_slice(body) {
            Ok(c) => c,
            Err(e) => return message(400, &format!("bad request data: {e}")),
        };
        if cmd.name.trim().is_empty() || cmd.kind.is_empty() {
            return message(400, "a data source needs a name and a type");
        }
        let Ok(mut rows) = self.rows.write() else { return message(500, "store unavailable") };
        if rows.iter().any(|r| r.meta.name == cmd.name) {
            return message(409, "data source with the same name already exists");
        }
        let id = rows.iter().map(|r| r.id).max().unwrap_or(0).saturating_add(1);
        // A uid no other data source has (a provisioned one may have any).
        let uid = (id..).map(|n| format!("ds-{n}")).find(|u| rows.iter().all(|r| &r.meta.uid != u)).unwrap_or_default();
        let row = Row {
            id,
            meta: DatasourceMeta { uid, name: cmd.name.clone(), kind: cmd.kind, is_default: false, editable: true },
            read_only: false,
            version: 1,
            settings: AppSettings {
                json_data: cmd.json_data.unwrap_or_else(|| json!({})),
                secure_json_data: cmd.secure_json_data.unwrap_or_default(),
            },
        };
        let answer = json!({ "message": "Datasource added", "id": id, "name": cmd.name, "datasource": dto(&row) });
        rows.push(row);
        (200, answer)
    }

    /// `PUT /api/datasources/uid/<uid>`: the new name and `jsonData`; the secrets it names replaced,
    /// the others kept. A provisioned one is refused.
    pub fn update(&self, uid: &str, body: &[u8]) -> Answer {
        let cmd: Command = match serde_json::from_slice(body) {
            Ok(c) => c,
            Err(e) => return message(400, &format!("bad request data: {e}")),
        };
        let Ok(mut rows) = self.rows.write() else { return message(500, "store unavailable") };
        match rows.iter().find(|r| r.meta.uid == uid) {
            None => return message(404, "Data source not found"),
            Some(r) if r.read_only => return message(403, "Cannot update read-only data source"),
            Some(_) => {}
        }
        if cmd.name.trim().is_empty() {
            return message(400, "a data source needs a name");
        }
        if rows.iter().any(|r| r.meta.name == cmd.name && r.meta.uid != uid) {
            return message(409, "data source with the same name already exists");
        }
        let Some(row) = rows.iter_mut().find(|r| r.meta.uid == uid) else {
            return message(404, "Data source not found");
        };
        row.meta.name = cmd.name;
        row.settings.json_data = cmd.json_data.unwrap_or_else(|| json!({}));
        row.settings.secure_json_data.extend(cmd.secure_json_data.unwrap_or_default());
        row.version = row.version.saturating_add(1);
        (200, json!({ "message": "Datasource updated", "id": row.id, "name": row.meta.name, "datasource": dto(row) }))
    }
}

/// A data source as the API shows it: its secrets only as set or not.
fn dto(r: &Row) -> Value {
    let secure: serde_json::Map<String, Value> = r
        .settings
        .secure_json_data
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, _)| (k.clone(), Value::Bool(true)))
        .collect();
    json!({
        "id": r.id, "uid": r.meta.uid, "orgId": 1, "name": r.meta.name, "type": r.meta.kind, "access": "proxy",
        "url": "", "isDefault": r.meta.is_default, "jsonData": r.settings.json_data, "secureJsonFields": secure,
        "readOnly": r.read_only, "version": r.version,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> Datasources {
        let mut p = Provisioning::default();
        p.datasource_meta.push(DatasourceMeta {
            uid: "codexflow".into(),
            name: "Codex Flow".into(),
            kind: "proompteng-codexflow-datasource".into(),
            is_default: false,
            editable: false,
        });
        Datasources::from_provisioning(&p)
    }

    #[test]
    fn an_added_data_source_is_read_and_updated_and_its_secret_never_shown() {
        let s = store();
        let body = json!({ "name": "Flow 2", "type": "proompteng-codexflow-datasource", "access": "proxy",
            "jsonData": { "prometheusUrl": "http://p" }, "secureJsonData": { "bearerToken": "s3cret" } });
        let (status, added) = s.add(body.to_string().as_bytes());
        assert_eq!(status, 200, "{added}");
        let uid = added["datasource"]["uid"].as_str().unwrap().to_string();
        let (_, read) = s.get(&uid);
        assert_eq!(read["secureJsonFields"], json!({ "bearerToken": true }));
        assert!(!read.to_string().contains("s3cret"), "{read}");
        // An update that names no secret keeps it; one that names it replaces it.
        let (status, updated) =
            s.update(&uid, json!({ "name": "Flow 2", "jsonData": { "tenant": "t" } }).to_string().as_bytes());
        assert_eq!((status, updated["datasource"]["version"].as_i64()), (200, Some(2)));
        let (_, instance) = s.instance(&uid).unwrap();
        assert_eq!(instance.settings.secure_json_data["bearerToken"], "s3cret");
        assert_eq!(instance.settings.json_data, json!({ "tenant": "t" }));
        s.update(&uid, json!({ "name": "Flow 2", "secureJsonData": { "bearerToken": "" } }).to_string().as_bytes());
        assert_eq!(s.get(&uid).1["secureJsonFields"], json!({}));
    }

    #[test]
    fn provisioned_is_read_only_names_are_unique_and_bad_bodies_refused() {
        let s = store();
        assert_eq!(s.update("codexflow", br#"{"name": "Codex Flow"}"#).0, 403);
        assert_eq!(s.add(br#"{"name": "Codex Flow", "type": "x"}"#).0, 409);
        assert_eq!(s.add(b"{not json").0, 400);
        assert_eq!(s.add(br#"{"name": " ", "type": "x"}"#).0, 400);
        assert_eq!(s.get("nope").0, 404);
        assert_eq!(s.update("nope", br#"{"name": "n"}"#).0, 404);
        let (_, added) = s.add(br#"{"name": "Mine", "type": "x"}"#);
        let uid = added["datasource"]["uid"].as_str().unwrap().to_string();
        assert_ne!(uid, "codexflow");
        assert_eq!(s.update(&uid, br#"{"name": ""}"#).0, 400);
        assert_eq!(s.update(&uid, br#"{"name": "Codex Flow"}"#).0, 409);
    }
}
