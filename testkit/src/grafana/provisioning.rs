//! Reads a Grafana provisioning directory the way Grafana does at startup, for the dev host:
//! `plugins/*.yaml` (app settings), `datasources/*.yaml` (uid → URL) and `dashboards/*.yaml`
//! (file providers, whose dashboard JSON files are loaded).
//!
//! Like Grafana, string values may name environment variables as `$NAME` or `${NAME}` (`$$` is a
//! literal `$`), and a later file overrides an earlier one for the same app or datasource uid.
//! Provider paths are read as Grafana inside the Docker image sees them: `/etc/grafana/provisioning`
//! is the provisioning directory itself (the mount in `docker-compose.yaml`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_yaml_ng::Value;

use crate::grafana::plugin_host::AppSettings;

/// Where Grafana's Docker image finds its provisioning directory.
const GRAFANA_PROVISIONING: &str = "/etc/grafana/provisioning";

#[derive(Debug, thiserror::Error)]
pub enum ProvisioningError {
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
}

fn file_error(path: &Path, message: impl ToString) -> ProvisioningError {
    ProvisioningError::File { path: path.to_path_buf(), message: message.to_string() }
}

/// An app's or a datasource's `jsonData` (`{}` when absent) and `secureJsonData` (scalars as text).
fn settings_of(node: &Value, path: &Path) -> Result<AppSettings, ProvisioningError> {
    let json_data = node
        .get("jsonData")
        .map(to_json)
        .transpose()
        .map_err(|e| file_error(path, e))?
        .unwrap_or(serde_json::json!({}));
    let secure_json_data = match node.get("secureJsonData") {
        Some(Value::Mapping(m)) => {
            m.iter().filter_map(|(k, v)| Some((k.as_str()?.to_string(), scalar_string(v)?))).collect()
        }
        _ => HashMap::new(),
    };
    Ok(AppSettings { json_data, secure_json_data })
}

/// One provisioned app.
#[derive(Debug, Clone)]
pub struct ProvisionedApp {
    pub app_type: String,
    pub org_id: i64,
    pub enabled: bool,
    pub settings: AppSettings,
}

/// A provisioned datasource as the frontend sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasourceMeta {
    pub uid: String,
    pub name: String,
    pub kind: String,
    pub is_default: bool,
    /// `editable`: Grafana lets the UI change a provisioned data source only when set.
    pub editable: bool,
}

/// Everything the dev host takes from provisioning.
#[derive(Debug, Default, Clone)]
pub struct Provisioning {
    pub apps: Vec<ProvisionedApp>,
    /// Datasource uid → URL.
    pub datasources: HashMap<String, String>,
    /// What the frontend settings say of each datasource (Grafana's `config.datasources`).
    pub datasource_meta: Vec<DatasourceMeta>,
    /// Each datasource's `jsonData` and `secureJsonData` by uid: what its backend plugin is handed.
    pub datasource_settings: HashMap<String, AppSettings>,
    pub dashboards: Vec<serde_json::Value>,
    /// Grafana-managed alert rule groups (`alerting/*.yaml`), as [`super::alerting`] plays them.
    pub alert_groups: Vec<super::alerting::RuleGroup>,
    /// Uids of dashboards stored as schema v2, as Grafana 13 stores one saved from its editor with
    /// dynamic dashboards on (`super::dashboard_v2`); files provision v1, so a test names them here.
    pub stored_as_v2: Vec<String>,
}

impl Provisioning {
    /// Reads each directory in turn; `env` resolves `$NAME` references.
    pub fn read(dirs: &[PathBuf], env: &dyn Fn(&str) -> Option<String>) -> Result<Provisioning, ProvisioningError> {
        let mut out = Provisioning::default();
        for dir in dirs {
            for path in yaml_files(&dir.join("plugins"))? {
                let doc = load(&path, env)?;
                for app in doc.get("apps").and_then(Value::as_sequence).into_iter().flatten() {
                    let app_type = app
                        .get("type")
                        .and_then(Value::as_str)
                        .ok_or_else(|| file_error(&path, "an app without `type`"))?
                        .to_string();
                    let settings = settings_of(app, &path)?;
                    let provisioned = ProvisionedApp {
                        app_type: app_type.clone(),
                        org_id: app.get("org_id").and_then(Value::as_i64).unwrap_or(1),
                        enabled: !app.get("disabled").and_then(Value::as_bool).unwrap_or(false),
                        settings,
                    };
                    out.apps.retain(|a| a.app_type != app_type);
                    out.apps.push(provisioned);
                }
            }
            for path in yaml_files(&dir.join("alerting"))? {
                let file: super::alerting::RuleFile =
                    serde_yaml_ng::from_value(load(&path, env)?).map_err(|e| file_error(&path, e))?;
                for group in file.groups {
                    out.alert_groups.retain(|g| g.name != group.name);
                    out.alert_groups.push(group);
                }
            }
            for path in yaml_files(&dir.join("datasources"))? {
                let doc = load(&path, env)?;
                for ds in doc.get("datasources").and_then(Value::as_sequence).into_iter().flatten() {
                    if let Some(uid) = ds.get("uid").and_then(Value::as_str) {
                        // A backend data source may have no URL; its settings are its jsonData.
                        if let Some(url) = ds.get("url").and_then(Value::as_str) {
                            out.datasources.insert(uid.to_string(), url.trim_end_matches('/').to_string());
                        }
                        out.datasource_settings.insert(uid.to_string(), settings_of(ds, &path)?);
                        let text = |k: &str| ds.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
                        out.datasource_meta.retain(|d| d.uid != uid);
                        out.datasource_meta.push(DatasourceMeta {
                            uid: uid.to_string(),
                            name: text("name"),
                            kind: text("type"),
                            is_default: ds.get("isDefault").and_then(Value::as_bool).unwrap_or(false),
                            editable: ds.get("editable").and_then(Value::as_bool).unwrap_or(false),
                        });
                    }
                }
            }
            for path in yaml_files(&dir.join("dashboards"))? {
                let doc = load(&path, env)?;
                for provider in doc.get("providers").and_then(Value::as_sequence).into_iter().flatten() {
                    let Some(folder) = provider.get("options").and_then(|o| o.get("path")).and_then(Value::as_str)
                    else {
                        continue;
                    };
                    let folder = match Path::new(folder).strip_prefix(GRAFANA_PROVISIONING) {
                        Ok(rel) => dir.join(rel),
                        Err(_) => PathBuf::from(folder),
                    };
                    for json in files_with(&folder, "json")? {
                        let text = std::fs::read_to_string(&json).map_err(|e| file_error(&json, e))?;
                        let dashboard: serde_json::Value =
                            serde_json::from_str(&text).map_err(|e| file_error(&json, e))?;
                        let uid = dashboard["uid"].clone();
                        out.dashboards.retain(|d| d["uid"] != uid);
                        out.dashboards.push(dashboard);
                    }
                }
            }
        }
        Ok(out)
    }

    pub fn app(&self, app_type: &str) -> Option<&ProvisionedApp> {
        self.apps.iter().find(|a| a.app_type == app_type)
    }
}

/// The demo's provisioning: the repository's `provisioning/`, then the demo's app settings
/// (`testkit/demo/provisioning/`, the runbook's rules with short windows) over it.
pub fn demo_dirs(root: &Path) -> Vec<PathBuf> {
    vec![root.join("provisioning"), root.join("testkit/demo/provisioning")]
}

/// The environment Grafana would see with `CODEXFLOW_PROMETHEUS_URL` set to `url`, the variable
/// `provisioning/` reads, for hosts that start their own Prometheus.
pub fn env_with_prometheus(url: &str) -> impl Fn(&str) -> Option<String> {
    let url = url.to_string();
    move |name| if name == "CODEXFLOW_PROMETHEUS_URL" { Some(url.clone()) } else { std::env::var(name).ok() }
}

fn yaml_files(dir: &Path) -> Result<Vec<PathBuf>, ProvisioningError> {
    let mut files = files_with(dir, "yaml")?;
    files.extend(files_with(dir, "yml")?);
    files.sort();
    Ok(files)
}

fn files_with(dir: &Path, ext: &str) -> Result<Vec<PathBuf>, ProvisioningError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(file_error(dir, e)),
    };
    let mut files: Vec<PathBuf> =
        entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == ext)).collect();
    files.sort();
    Ok(files)
}

fn load(path: &Path, env: &dyn Fn(&str) -> Option<String>) -> Result<Value, ProvisioningError> {
    let text = std::fs::read_to_string(path).map_err(|e| file_error(path, e))?;
    let mut doc: Value = serde_yaml_ng::from_str(&text).map_err(|e| file_error(path, e))?;
    expand_tree(&mut doc, env);
    Ok(doc)
}

fn expand_tree(v: &mut Value, env: &dyn Fn(&str) -> Option<String>) {
    match v {
        Value::String(s) => *s = expand(s, env),
        Value::Sequence(items) => items.iter_mut().for_each(|i| expand_tree(i, env)),
        Value::Mapping(m) => m.iter_mut().for_each(|(_, i)| expand_tree(i, env)),
        _ => {}
    }
}

/// `$NAME` and `${NAME}` replaced by their values (unset: empty), `$$` by `$`.
pub fn expand(s: &str, env: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(inner) = after.strip_prefix('{') {
            match inner.find('}') {
                Some(end) => {
                    out.push_str(&env(&inner[..end]).unwrap_or_default());
                    rest = &inner[end + 1..];
                }
                None => {
                    out.push('$');
                    rest = after;
                }
            }
        } else {
            let end = after.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(after.len());
            if end == 0 {
                out.push('$');
            } else {
                out.push_str(&env(&after[..end]).unwrap_or_default());
            }
            rest = &after[end..];
        }
    }
    out.push_str(rest);
    out
}

fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn to_json(v: &Value) -> Result<serde_json::Value, String> {
    serde_json::to_value(v).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "URL" | "CODEXFLOW_PROMETHEUS_URL" => Some("http://127.0.0.1:9090".into()),
            _ => None,
        }
    }

    #[test]
    fn expands_like_grafana() {
        assert_eq!(expand("${URL}/api", &env), "http://127.0.0.1:9090/api");
        assert_eq!(expand("$URL", &env), "http://127.0.0.1:9090");
        assert_eq!(expand("cost $$5 ${UNSET}.", &env), "cost $5 .");
        assert_eq!(expand("a $ b ${open", &env), "a $ b ${open");
    }

    #[test]
    fn reads_the_repository_provisioning() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let p = Provisioning::read(&[root.join("provisioning")], &env).unwrap();
        let app = p.app(crate::grafana::plugin_host::APP_ID).expect("the app is provisioned");
        assert!(app.enabled);
        assert_eq!(app.settings.json_data["prometheusUrl"], "http://127.0.0.1:9090");
        assert_eq!(p.datasources["codex-prometheus"], "http://127.0.0.1:9090");
        // The Codex Flow data source: no URL, its settings in jsonData.
        assert_eq!(p.datasource_settings["codexflow"].json_data["prometheusUrl"], "http://127.0.0.1:9090");
        assert!(p
            .datasource_meta
            .iter()
            .any(|d| d.uid == "codexflow" && d.kind == codexflow_core::datasource::DATASOURCE_ID));
        assert!(p.dashboards.iter().any(|d| d["uid"] == "codex-pipeline-observability"));
    }

    #[test]
    fn the_data_source_reads_what_the_app_reads_in_the_repository_and_the_demo() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for dirs in [vec![root.join("provisioning")], demo_dirs(&root)] {
            let p = Provisioning::read(&dirs, &env).unwrap();
            let app = p.app(crate::grafana::plugin_host::APP_ID).expect("the app");
            assert_eq!(p.datasource_settings["codexflow"].json_data, app.settings.json_data, "{dirs:?}");
            let rule = &p.alert_groups[0].rules[0];
            assert_eq!(rule.data[0].datasource_uid, "codexflow", "the alert rule asks the data source");
        }
    }

    #[test]
    fn a_later_directory_overrides_the_app() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let p = Provisioning::read(&demo_dirs(&root), &env).unwrap();
        assert_eq!(p.apps.len(), 1);
        let json = &p.app(crate::grafana::plugin_host::APP_ID).unwrap().settings.json_data;
        assert_eq!(json["evaluationInterval"], "15s");
        assert!(json["rulesYaml"].as_str().is_some_and(|r| r.contains("for: 30s")));
        assert_eq!(p.dashboards.len(), 1);
    }
}
