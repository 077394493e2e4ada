//! Settings compiled once per version of the app's configuration, off the request path.
//!
//! Grafana sends the app's settings with every call. Parsing them (rules YAML, PromQL, the pipeline)
//! can take a while for a large configuration, so it happens once per version, on the blocking
//! pool: concurrent calls for a version being compiled wait for that one result, calls for other
//! versions go ahead, and no lock is held while parsing. The [`SETTINGS_VERSIONS_KEPT`] most recently
//! used versions are kept; the least recently used goes first.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use codexflow_core::error::FieldError;
use codexflow_core::limits::SETTINGS_VERSIONS_KEPT;
use serde_json::Value;
use tokio::sync::OnceCell;

use crate::prom::PromClient;
use crate::rules_in_force::{InForce, InForceCache};
use crate::settings::Settings;
use crate::upstream::Settled;

/// Settings ready to serve with: validated, with their clients, the rules in force (read from the
/// ruler about once a minute) and what CheckHealth looks for.
#[derive(Debug)]
pub struct Ready {
    pub settings: Settings,
    pub client: PromClient,
    /// The rules API's client: `client` at `rulerUrl` (the same URL unless set).
    pub ruler: PromClient,
    pub in_force: InForceCache,
    /// The settled ticks of these settings' queries (`crate::upstream::settled`), dropped with them.
    pub settled: Settled,
}

impl Ready {
    /// The rules in force now.
    pub async fn rules(&self, now_ms: i64) -> Arc<InForce> {
        self.in_force.get(&self.settings, &self.ruler, now_ms).await
    }
}

pub type Compiled = Result<Arc<Ready>, FieldError>;

/// The exact version: `jsonData` as text and the secrets, sorted. Compared in full, so two orgs'
/// settings can never be mistaken for each other, whatever their hashes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Version {
    json: String,
    secrets: Vec<(String, String)>,
}

struct Entry {
    hash: u64,
    version: Arc<Version>,
    cell: Arc<OnceCell<Compiled>>,
    used: u64,
}

type Compiler = fn(&Value, &HashMap<String, String>) -> Compiled;

pub struct SettingsCache {
    entries: Mutex<(Vec<Entry>, u64)>,
    compile: Compiler,
}

impl Default for SettingsCache {
    fn default() -> Self {
        SettingsCache::with_compiler(compile)
    }
}

/// The settings, their client and the metrics CheckHealth expects.
pub fn compile(json: &Value, secure: &HashMap<String, String>) -> Compiled {
    let settings = Settings::from_grafana(json, secure)?;
    let client = PromClient::new(&settings);
    let ruler = client.with_base(&settings.rules.ruler.url);
    let settled = Settled::new(settings.settle_ms);
    Ok(Arc::new(Ready { settings, client, ruler, in_force: InForceCache::default(), settled }))
}

impl SettingsCache {
    pub fn with_compiler(compile: Compiler) -> SettingsCache {
        SettingsCache { entries: Mutex::new((Vec::new(), 0)), compile }
    }

    /// The compiled settings of the instance settings a call carries. An app never configured
    /// arrives with empty settings (or, from a host that sends none, without any), which reads as
    /// "the Prometheus URL is required"; so does a call with none.
    pub async fn of(&self, instance: Option<(&Value, &HashMap<String, String>)>) -> Compiled {
        match instance {
            Some((json, secure)) => self.get(json, secure).await,
            None => self.get(&Value::Null, &HashMap::new()).await,
        }
    }

    /// The compiled settings of this version, compiling them if no one has yet.
    pub async fn get(&self, json: &Value, secure: &HashMap<String, String>) -> Compiled {
        let mut secrets: Vec<(String, String)> = secure.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        secrets.sort();
        let version = Version { json: json.to_string(), secrets };
        let mut hasher = DefaultHasher::new();
        version.hash(&mut hasher);
        let hash = hasher.finish();
        let cell = self.cell(hash, version);
        let compile = self.compile;
        let (json, secure) = (json.clone(), secure.clone());
        cell.get_or_init(|| async move {
            tokio::task::spawn_blocking(move || compile(&json, &secure)).await.unwrap_or_else(|e| {
                Err(FieldError::new("jsonData", format!("the settings could not be compiled: {e}")))
            })
        })
        .await
        .clone()
    }

    /// The cell of `version`, made (and the least recently used one dropped) if it is new.
    fn cell(&self, hash: u64, version: Version) -> Arc<OnceCell<Compiled>> {
        let mut guard = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let (entries, clock) = &mut *guard;
        *clock += 1;
        let now = *clock;
        if let Some(e) = entries.iter_mut().find(|e| e.hash == hash && *e.version == version) {
            e.used = now;
            return e.cell.clone();
        }
        if entries.len() >= SETTINGS_VERSIONS_KEPT {
            if let Some(oldest) = entries.iter().enumerate().min_by_key(|(_, e)| e.used).map(|(i, _)| i) {
                entries.swap_remove(oldest);
            }
        }
        let cell = Arc::new(OnceCell::new());
        entries.push(Entry { hash, version: Arc::new(version), cell: cell.clone(), used: now });
        cell
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Condvar;
    use std::time::Duration;

    static COUNTED: AtomicUsize = AtomicUsize::new(0);

    fn counting(json: &Value, _: &HashMap<String, String>) -> Compiled {
        COUNTED.fetch_add(1, Ordering::SeqCst);
        Err(FieldError::new("jsonData", json.to_string()))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_least_recently_used_version_goes_first_and_only_it() {
        let cache = SettingsCache::with_compiler(counting);
        let none = HashMap::new();
        let version = |i: usize| serde_json::json!({ "v": i });
        for i in 0..SETTINGS_VERSIONS_KEPT {
            let _ = cache.get(&version(i), &none).await;
        }
        let _ = cache.get(&version(0), &none).await; // 0 is now the most recently used
        let _ = cache.get(&version(SETTINGS_VERSIONS_KEPT), &none).await; // evicts 1, the least recently used
        assert_eq!(COUNTED.load(Ordering::SeqCst), SETTINGS_VERSIONS_KEPT + 1);
        for i in (0..=SETTINGS_VERSIONS_KEPT).filter(|i| *i != 1) {
            let _ = cache.get(&version(i), &none).await;
        }
        assert_eq!(COUNTED.load(Ordering::SeqCst), SETTINGS_VERSIONS_KEPT + 1, "all but version 1 were still compiled");
        let _ = cache.get(&version(1), &none).await;
        assert_eq!(COUNTED.load(Ordering::SeqCst), SETTINGS_VERSIONS_KEPT + 2);
    }

    /// Opened by the test: until then, compiling a version with `slow` set blocks.
    static GATE: (Mutex<bool>, Condvar) = (Mutex::new(false), Condvar::new());
    static GATED: AtomicUsize = AtomicUsize::new(0);

    fn gated(json: &Value, _: &HashMap<String, String>) -> Compiled {
        if json.get("slow").is_some() {
            GATED.fetch_add(1, Ordering::SeqCst);
            let (open, wake) = &GATE;
            let mut guard = open.lock().unwrap();
            while !*guard {
                guard = wake.wait(guard).unwrap();
            }
        }
        Err(FieldError::new("jsonData", json.to_string()))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_version_being_compiled_holds_up_only_its_own_callers() {
        let cache = Arc::new(SettingsCache::with_compiler(gated));
        let slow = serde_json::json!({ "slow": true });
        let waiting: Vec<_> = (0..4)
            .map(|_| {
                let (cache, slow) = (cache.clone(), slow.clone());
                tokio::spawn(async move { cache.get(&slow, &HashMap::new()).await })
            })
            .collect();
        // Another version is served while the slow one is still being compiled (the gate is shut);
        // the timeout only turns a hang into a failure.
        let fast = tokio::time::timeout(
            Duration::from_secs(30),
            cache.get(&serde_json::json!({ "fast": 1 }), &HashMap::new()),
        )
        .await;
        assert!(fast.is_ok(), "another version waited for the slow one");
        assert!(waiting.iter().all(|w| !w.is_finished()));
        {
            let (open, wake) = &GATE;
            *open.lock().unwrap() = true;
            wake.notify_all();
        }
        for w in waiting {
            assert!(w.await.unwrap().is_err());
        }
        assert_eq!(GATED.load(Ordering::SeqCst), 1, "the slow version was compiled once for all four callers");
    }
}
