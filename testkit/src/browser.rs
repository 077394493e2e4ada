//! Runs a Playwright script of `tests/e2e/` (headless Debian Chromium) against a running dev host.

use std::path::{Path, PathBuf};

/// Panics, saying what to run, unless the package's frontends, the dev host's page and Playwright are
/// built: what every browser test needs before it starts anything.
pub fn assert_built(root: &Path) {
    for needed in [
        "dist/module.js",
        "dist/panel/module.js",
        "dist/panel/codexflow_panel_bg.wasm",
        "target/harness/grafana-12/host.js",
        "target/harness/grafana-13/host.js",
        "node_modules/playwright-core",
    ] {
        assert!(
            root.join(needed).exists(),
            "{needed} is missing: run scripts/test.sh (it builds the package and the harness)"
        );
    }
}

/// Where a browser test's screenshots go when the host plays `version`: `target/e2e/grafana-<version>/`.
pub fn shots_dir(root: &Path, version: &str) -> PathBuf {
    root.join("target/e2e").join(format!("grafana-{version}"))
}

/// What the script printed (stdout then stderr), and whether it passed.
pub struct ScriptRun {
    pub passed: bool,
    pub output: String,
}

/// `node <root>/<script> <args…>` from the repository root. Missing node is a failed run, not a panic.
pub async fn run_script(root: &Path, script: &str, args: &[&str]) -> ScriptRun {
    match tokio::process::Command::new("node").arg(root.join(script)).args(args).current_dir(root).output().await {
        Ok(out) => ScriptRun {
            passed: out.status.success(),
            output: format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
        },
        Err(e) => ScriptRun { passed: false, output: format!("cannot run node: {e}") },
    }
}

/// Runs `script` (its arguments after the host URL and the screenshot folder) against `host`, a host
/// playing `version`, printing what it said; panics with the plugin's log unless it passed.
/// Returns the screenshot folder (`shots_dir`).
pub async fn assert_script_passes(
    root: &Path,
    version: &str,
    host: &str,
    script: &str,
    more: &[&str],
    plugin: &crate::grafana::plugin_host::PluginProcess,
) -> PathBuf {
    let shots = shots_dir(root, version);
    let shots_arg = shots.display().to_string();
    let args: Vec<&str> = [host, shots_arg.as_str()].into_iter().chain(more.iter().copied()).collect();
    let run = run_script(root, script, &args).await;
    println!("Grafana {version}:\n{}", run.output);
    assert!(
        run.passed,
        "{script} under Grafana {version} failed:\n{}\nplugin stderr:\n{}",
        run.output,
        plugin.stderr()
    );
    shots
}

/// Runs `script` (with `more` arguments) once under each Grafana the dev host plays, each time on a
/// demo host serving `provisioning` with `plugin`, as [`assert_script_passes`]; returns the
/// screenshot folders, one a version.
pub async fn assert_passes_on_each_demo_host(
    root: &Path,
    provisioning: &crate::grafana::provisioning::Provisioning,
    plugin: &std::sync::Arc<crate::grafana::plugin_host::PluginProcess>,
    script: &str,
    more: &[&str],
) -> Vec<PathBuf> {
    use crate::grafana::devhost::DevHost;
    let mut shots = Vec::new();
    for version in crate::grafana::boot::PLAYED_VERSIONS {
        let host = DevHost { version: version.into(), ..DevHost::demo(root, provisioning.clone(), plugin.clone()) }
            .start("127.0.0.1:0")
            .await
            .expect("dev host");
        shots.push(assert_script_passes(root, version, &host.url, script, more, plugin).await);
    }
    shots
}
