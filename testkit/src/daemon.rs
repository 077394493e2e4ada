//! A server process a test starts for real (Prometheus, Alertmanager, vmalert): its output kept in a
//! log file in its scratch directory, started when an HTTP path answers (never a sleep), and killed,
//! with the directory removed, when dropped. A start that fails says why with the server's own log.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::grafana::plugin_host::wait_until;
use crate::prometheus::{failed, http_get, PromServerError};

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
    pub fn start(
        name: &str,
        mut command: Command,
        dir: PathBuf,
        readiness: Readiness,
    ) -> Result<Daemon, PromServerError> {
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
