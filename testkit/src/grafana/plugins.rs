//! Which plugins of a package Grafana would load, and why not.
//!
//! Grafana finds every `plugin.json` below a plugin's directory (a nested one, like our panel under
//! `panel/`, has the plugin it sits in as its parent), then validates signatures as grafana/grafana
//! `pkg/plugins/manager/signature/signature.go` (`Validation.ValidateSignature`) does: a nested
//! plugin takes its parent's signature, and an unsigned plugin loads only when
//! `pkg/plugins/manager/signature/authorizer.go` (`UnsignedPluginAuthorizer.CanLoadPlugin`) allows
//! it: in development mode, or when the plugin's **own** id is in `allow_loading_unsigned_plugins`.
//! That setting comes from `[plugins]` in `grafana.ini`, split as `pkg/util/strings.go`
//! (`SplitString`: a JSON list, or words separated by commas or spaces), and an environment variable
//! `GF_<SECTION>_<KEY>` overrides the file (`pkg/setting/setting.go`, `applyEnvVariableOverrides`).
//!
//! A package with a `MANIFEST.txt` is signed; this host cannot check the signature against
//! grafana.com's keys, so it refuses such a package and says so rather than pretend.

use std::path::{Path, PathBuf};

/// What decides whether unsigned plugins load.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadingConfig {
    /// `app_mode = development`: Grafana then loads any unsigned plugin.
    pub development: bool,
    /// `[plugins] allow_loading_unsigned_plugins`.
    pub allow_unsigned: Vec<String>,
}

impl LoadingConfig {
    /// From a `grafana.ini` text (if any) and the environment, the environment winning as in Grafana.
    pub fn read(ini: Option<&str>, env: &dyn Fn(&str) -> Option<String>) -> LoadingConfig {
        let file = |section: &str, key: &str| ini.and_then(|text| ini_value(text, section, key));
        let value = |section: &str, key: &str| env(&env_key(section, key)).or_else(|| file(section, key));
        LoadingConfig {
            development: value("", "app_mode").is_some_and(|m| m == "development"),
            allow_unsigned: value("plugins", "allow_loading_unsigned_plugins")
                .map(|v| split_string(&v))
                .unwrap_or_default(),
        }
    }

    /// From `GF_*` variables and the `grafana.ini` at `path`, when there is one.
    pub fn from_file_and_process_env(path: Option<&Path>) -> std::io::Result<LoadingConfig> {
        let text = path.map(std::fs::read_to_string).transpose()?;
        Ok(LoadingConfig::read(text.as_deref(), &|k| std::env::var(k).ok()))
    }

    /// The demo's `testkit/demo/grafana.ini` alone (no `GF_*` variables), for tests.
    pub fn demo(root: &Path) -> LoadingConfig {
        let text = std::fs::read_to_string(root.join("testkit/demo/grafana.ini")).unwrap_or_default();
        LoadingConfig::read(Some(&text), &|_| None)
    }

    /// Loads only the plugins listed (production mode).
    pub fn allowing(ids: &[&str]) -> LoadingConfig {
        LoadingConfig { development: false, allow_unsigned: ids.iter().map(|s| s.to_string()).collect() }
    }
}

/// Grafana's environment name for an ini key: `GF_` + section + `_` + key, upper-cased, with `.`
/// and `-` as `_`; the unnamed top section is `DEFAULT`.
pub fn env_key(section: &str, key: &str) -> String {
    let up = |s: &str| s.to_uppercase().replace(['.', '-'], "_");
    let section = if section.is_empty() { "DEFAULT" } else { section };
    format!("GF_{}_{}", up(section), up(key))
}

/// A key's value in an ini text (`;` and `#` start comments, a value may be quoted).
fn ini_value(text: &str, section: &str, key: &str) -> Option<String> {
    let mut current = String::new();
    let mut found = None;
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with(';') || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = name.trim().to_string();
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            if current == section && k.trim() == key {
                let v = v.trim();
                let unquoted = v.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(v);
                found = Some(unquoted.to_string());
            }
        }
    }
    found
}

/// `pkg/util/strings.go` `SplitString`: a JSON list, or words separated by commas or spaces.
pub fn split_string(s: &str) -> Vec<String> {
    if s.trim_start().starts_with('[') {
        return serde_json::from_str(s).unwrap_or_default();
    }
    s.replace(',', " ").split_whitespace().map(str::to_string).collect()
}

/// A plugin's signature as Grafana's manifest check would find it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signature {
    Unsigned,
    /// A `MANIFEST.txt` this host cannot verify.
    Unverifiable,
}

/// One `plugin.json` found in the package.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundPlugin {
    pub id: String,
    pub kind: String,
    pub name: String,
    /// The directory holding its `plugin.json`.
    pub dir: PathBuf,
    /// The id of the plugin it is nested in.
    pub parent: Option<String>,
    /// Its own signature, before any inheritance.
    pub signature: Signature,
    pub skip_data_query: bool,
}

/// Why Grafana would not load a plugin, in the words of its error (`plugins.Error`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("plugin {0} is unsigned and not in allow_loading_unsigned_plugins")]
    Unsigned(String),
    #[error("plugin {0} has a MANIFEST.txt this dev host cannot verify")]
    Unverifiable(String),
}

/// The plugins of the package at `root` (its `plugin.json` and every nested one, a few levels deep).
pub fn discover(root: &Path) -> Vec<FoundPlugin> {
    let mut found = Vec::new();
    walk(root, None, 0, &mut found);
    found
}

fn walk(dir: &Path, parent: Option<&FoundPlugin>, depth: usize, out: &mut Vec<FoundPlugin>) {
    const MAX_DEPTH: usize = 4;
    let here = read_plugin(dir, parent);
    let parent = match &here {
        Some(p) => {
            out.push(p.clone());
            Some(p)
        }
        None => parent,
    };
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut dirs: Vec<PathBuf> = entries.flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
    dirs.sort();
    if depth < MAX_DEPTH {
        for d in dirs {
            walk(&d, parent, depth + 1, out);
        }
    }
}

fn read_plugin(dir: &Path, parent: Option<&FoundPlugin>) -> Option<FoundPlugin> {
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("plugin.json")).ok()?).ok()?;
    let text = |k: &str| json[k].as_str().unwrap_or_default().to_string();
    let signature = if dir.join("MANIFEST.txt").exists() { Signature::Unverifiable } else { Signature::Unsigned };
    Some(FoundPlugin {
        id: text("id"),
        kind: text("type"),
        name: text("name"),
        dir: dir.to_path_buf(),
        parent: parent.map(|p| p.id.clone()),
        signature,
        skip_data_query: json["skipDataQuery"].as_bool().unwrap_or(false),
    })
}

/// Whether Grafana would load `plugin`, found among `all`.
pub fn decide(plugin: &FoundPlugin, all: &[FoundPlugin], config: &LoadingConfig) -> Result<(), Refusal> {
    // A nested plugin carries the signature of the plugin it sits in.
    let root = plugin.parent.as_ref().and_then(|id| all.iter().find(|p| &p.id == id));
    let signature = root.map_or(plugin.signature, |r| r.signature);
    match signature {
        Signature::Unverifiable => Err(Refusal::Unverifiable(plugin.id.clone())),
        Signature::Unsigned if config.development || config.allow_unsigned.contains(&plugin.id) => Ok(()),
        Signature::Unsigned => Err(Refusal::Unsigned(plugin.id.clone())),
    }
}

/// The package's plugins split into those Grafana loads and those it refuses.
pub fn load(root: &Path, config: &LoadingConfig) -> (Vec<FoundPlugin>, Vec<Refusal>) {
    let all = discover(root);
    let (mut loaded, mut refused) = (Vec::new(), Vec::new());
    for p in &all {
        match decide(p, &all, config) {
            Ok(()) => loaded.push(p.clone()),
            Err(r) => refused.push(r),
        }
    }
    (loaded, refused)
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP: &str = "proompteng-codexflow-app";
    const PANEL: &str = "proompteng-codexflow-panel";
    const DATASOURCE: &str = codexflow_core::datasource::DATASOURCE_ID;

    /// A scratch package directory, removed when dropped.
    struct Scratch(PathBuf);
    impl Scratch {
        fn path(&self) -> &Path {
            &self.0
        }
    }
    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn package(signed: bool) -> Scratch {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = Scratch(std::env::temp_dir().join(format!("codexflow-plugins-{}-{n}", std::process::id())));
        std::fs::create_dir_all(dir.path()).unwrap();
        std::fs::write(dir.path().join("plugin.json"), format!(r#"{{"id":"{APP}","type":"app","name":"Codex Flow"}}"#))
            .unwrap();
        std::fs::create_dir(dir.path().join("panel")).unwrap();
        std::fs::write(
            dir.path().join("panel/plugin.json"),
            format!(r#"{{"id":"{PANEL}","type":"panel","skipDataQuery":true}}"#),
        )
        .unwrap();
        if signed {
            std::fs::write(dir.path().join("MANIFEST.txt"), "-----BEGIN PGP SIGNED MESSAGE-----").unwrap();
        }
        dir
    }

    fn ids(plugins: &[FoundPlugin]) -> Vec<&str> {
        plugins.iter().map(|p| p.id.as_str()).collect()
    }

    #[test]
    fn the_nested_panel_is_found_with_its_parent() {
        let dir = package(false);
        let found = discover(dir.path());
        assert_eq!(ids(&found), [APP, PANEL]);
        assert_eq!(found[1].parent.as_deref(), Some(APP));
        assert!(found[1].skip_data_query);
    }

    #[test]
    fn each_plugin_needs_its_own_id_listed() {
        let dir = package(false);
        let (loaded, refused) = load(dir.path(), &LoadingConfig::allowing(&[APP]));
        assert_eq!(ids(&loaded), [APP]);
        assert_eq!(refused, [Refusal::Unsigned(PANEL.into())], "the panel inherits the app's unsigned signature");
        let (loaded, refused) = load(dir.path(), &LoadingConfig::allowing(&[APP, PANEL]));
        assert_eq!((ids(&loaded), refused), (vec![APP, PANEL], vec![]));
        let (loaded, _) = load(dir.path(), &LoadingConfig::default());
        assert!(loaded.is_empty(), "production mode with nothing listed loads nothing unsigned");
        let (loaded, _) = load(dir.path(), &LoadingConfig { development: true, allow_unsigned: vec![] });
        assert_eq!(ids(&loaded), [APP, PANEL]);
    }

    #[test]
    fn a_signature_this_host_cannot_check_is_refused_for_the_nested_panel_too() {
        let dir = package(true);
        let (loaded, refused) = load(dir.path(), &LoadingConfig::allowing(&[APP, PANEL]));
        assert!(loaded.is_empty());
        assert_eq!(refused, [Refusal::Unverifiable(APP.into()), Refusal::Unverifiable(PANEL.into())]);
    }

    #[test]
    fn the_setting_is_read_as_grafana_reads_it() {
        let ini = "; comment\napp_mode = production\n[plugins]\nallow_loading_unsigned_plugins = a, b c\n[other]\nallow_loading_unsigned_plugins = x\n";
        let none = |_: &str| None;
        assert_eq!(
            LoadingConfig::read(Some(ini), &none),
            LoadingConfig { development: false, allow_unsigned: vec!["a".into(), "b".into(), "c".into()] }
        );
        let env = |k: &str| match k {
            "GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS" => Some(r#"["p"]"#.to_string()),
            "GF_DEFAULT_APP_MODE" => Some("development".to_string()),
            _ => None,
        };
        assert_eq!(
            LoadingConfig::read(Some(ini), &env),
            LoadingConfig { development: true, allow_unsigned: vec!["p".into()] },
            "the environment wins"
        );
        assert_eq!(env_key("auth.generic-oauth", "client_id"), "GF_AUTH_GENERIC_OAUTH_CLIENT_ID");
        assert_eq!(split_string(""), Vec::<String>::new());
        assert_eq!(split_string("[not json"), Vec::<String>::new());
    }

    #[test]
    fn the_demo_lists_every_id() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        assert_eq!(LoadingConfig::demo(&root), LoadingConfig::allowing(&[APP, PANEL, DATASOURCE]));
        let compose = std::fs::read_to_string(root.join("docker-compose.yaml")).unwrap();
        assert!(
            compose.contains(&format!("GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS: {APP},{PANEL},{DATASOURCE}")),
            "docker-compose.yaml lists every id"
        );
    }
}
