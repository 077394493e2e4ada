//! The installable package (`scripts/package.sh`): dist/ layout, binary modes, the zip's single root
//! folder, and both binaries completing the go-plugin handshake and answering CheckHealth (arm64 under qemu).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use codexflow_testkit::grafana::angular::angular_pattern;
use codexflow_testkit::grafana::plugin_host::PluginProcess;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn dist(rel: &str) -> PathBuf {
    let p = root().join("dist").join(rel);
    assert!(p.exists(), "{} is missing: run scripts/package.sh (scripts/test.sh does)", p.display());
    p
}

/// Grafana's loader refuses (12) or flags (11) a plugin its Angular detector matches in module.js.
#[test]
fn no_module_js_trips_grafanas_angular_detector() {
    for f in ["module.js", "panel/module.js", "datasource/module.js"] {
        let text = std::fs::read(dist(f)).unwrap();
        assert_eq!(angular_pattern(&text), None, "dist/{f} contains a pattern Grafana takes for Angular");
    }
}

#[test]
fn dist_has_what_grafana_loads() {
    for f in [
        "plugin.json",
        "module.js",
        "codexflow_config_bg.wasm",
        "img/logo.svg",
        "README.md",
        "CHANGELOG.md",
        "LICENSE",
        "panel/plugin.json",
        "panel/module.js",
        "panel/codexflow_panel_bg.wasm",
        "panel/img/logo.svg",
        "datasource/plugin.json",
        "datasource/module.js",
        "datasource/img/logo.svg",
    ] {
        dist(f);
    }
    for bin in ["gpx_codexflow_linux_amd64", "gpx_codexflow_linux_arm64"] {
        let mode = std::fs::metadata(dist(bin)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o755, "{bin} mode {mode:o}");
    }
}

#[test]
fn the_zip_has_one_root_folder_named_after_the_plugin() {
    let version = std::fs::read_to_string(root().join("Cargo.toml"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("version = \"").map(|v| v.trim_end_matches('"').to_string()))
        .unwrap();
    let zip = root().join(format!("proompteng-codexflow-app-{version}.zip"));
    assert!(zip.exists(), "{} is missing: run scripts/package.sh", zip.display());
    let out = std::process::Command::new("unzip").arg("-Z1").arg(&zip).output().expect("unzip");
    let names = String::from_utf8_lossy(&out.stdout);
    let roots: std::collections::BTreeSet<&str> = names.lines().map(|l| l.split('/').next().unwrap_or("")).collect();
    assert_eq!(roots.into_iter().collect::<Vec<_>>(), ["proompteng-codexflow-app"]);
    for f in [
        "plugin.json",
        "module.js",
        "codexflow_config_bg.wasm",
        "gpx_codexflow_linux_amd64",
        "gpx_codexflow_linux_arm64",
        "panel/module.js",
        "panel/codexflow_panel_bg.wasm",
        "datasource/plugin.json",
        "datasource/module.js",
    ] {
        assert!(names.lines().any(|l| l == format!("proompteng-codexflow-app/{f}")), "{f} not in the zip");
    }
    // Modes survive in the zip (Grafana's installer keeps them): rwxr-xr-x on both binaries.
    let listing =
        String::from_utf8_lossy(&std::process::Command::new("unzip").arg("-Z").arg(&zip).output().unwrap().stdout)
            .to_string();
    for bin in ["gpx_codexflow_linux_amd64", "gpx_codexflow_linux_arm64"] {
        let line = listing.lines().find(|l| l.ends_with(bin)).unwrap_or_default();
        assert!(line.starts_with("-rwxr-xr-x"), "{bin}: {line}");
    }
}

/// A shipped binary, once it has completed the handshake, answers CheckHealth over gRPC as an app never
/// configured does.
async fn answers_as_unconfigured(plugin: PluginProcess) {
    let h = plugin.check_health(None).await.expect("CheckHealth over gRPC");
    assert_eq!(h.status, 2, "an app never configured is an error: {}", h.message);
    assert!(h.message.contains("jsonData.prometheusUrl"), "{}", h.message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_arm64_binary_hand_shakes_under_qemu() {
    let qemu = Path::new("/usr/bin/qemu-aarch64");
    assert!(qemu.exists(), "qemu-aarch64 missing: scripts/setup.sh installs Debian's qemu-user");
    let binary = dist("gpx_codexflow_linux_arm64");
    let plugin = PluginProcess::start_with(qemu, &["-L", "/usr/aarch64-linux-gnu", binary.to_str().unwrap()])
        .await
        .expect("arm64 plugin hand-shakes under qemu");
    answers_as_unconfigured(plugin).await;
}

/// The integration tests start the debug build (docs/testing.md, *Which profile each build uses*); the
/// release binary that ships is started here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_amd64_release_binary_hand_shakes() {
    let plugin = PluginProcess::start(&dist("gpx_codexflow_linux_amd64")).await.expect("amd64 plugin hand-shakes");
    answers_as_unconfigured(plugin).await;
}
