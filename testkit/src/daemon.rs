//! A server process a test starts for real (Prometheus, Alertmanager, vmalert): its output kept in a
//! log file in its scratch directory, started when an HTTP path answers (never a sleep), and killed,
//! with the directory removed, when dropped. A start that fails says why with the server's own log.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use thiserror::Error;

use crate::prometheus::http_get;

#[derive(Debug, Error)]
pub enum DaemonError {
    #[error("{binary} is not installed; run scripts/setup.sh (Debian package `{package}`)")]
    Missing { binary: &'static str, package: &'static str },
    #[error("{what}: {detail}")]
    Failed { what: String, detail: String },
}

pub(crate) fn failed(what: impl Into<String>, detail: impl ToString) -> DaemonError {
    DaemonError::Failed { what: what.into(), detail: detail.to_string() }
}

/// `binary` on the `PATH`, or which Debian package to install for it.
pub fn which(binary: &'static str, package: &'static str) -> Result<PathBuf, DaemonError> {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join(binary))
        .find(|p| p.is_file())
        .ok_or(DaemonError::Missing { binary, package })
}

/// A fresh directory under the system temp dir.
pub fn scratch_dir(prefix: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir =
        std::env::temp_dir().join(format!("{prefix}-{}-{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst)));
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// A port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Waits until `check` passes or `limit` runs out, polling every 50 ms.
pub fn wait_until(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

pub struct Daemon {
    child: Child,
    /// The scratch directory: configuration, data and `<name>.log`.
    pub dir: PathBuf,
}

/// How to know a daemon is up: `path` on `addr` answers with a status `ready` accepts, within `within`.
pub struct Readiness<'a> {
    pub addr: &'a str,
    pub path: &'a str,
    pub ready: &'a dyn Fn(u16) -> bool,
    pub within: Duration,
}

impl Daemon {
    /// Spawns `command` (its arguments set) with stdin closed and stdout and stderr in
    /// `<dir>/<name>.log`, then waits for `readiness`.
    pub fn start(name: &str, mut command: Command, dir: PathBuf, readiness: Readiness) -> Result<Daemon, DaemonError> {
        let log_path = dir.join(format!("{name}.log"));
        let log = std::fs::File::create(&log_path).map_err(|e| failed("log file", e))?;
        let child = command
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| failed("log file", e))?)
            .stderr(log)
            .spawn()
            .map_err(|e| failed(format!("start {name}"), e))?;
        let mut daemon = Daemon { child, dir };
        let Readiness { addr, path, ready, within } = readiness;
        let answered = wait_until(within, || http_get(addr, path).is_some_and(|(code, _)| ready(code)));
        if !answered || !daemon.is_running() {
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            return Err(failed(format!("{name} did not become ready"), log));
        }
        Ok(daemon)
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
