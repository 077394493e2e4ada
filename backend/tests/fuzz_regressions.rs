//! Replays every committed fuzz input (`fuzz/seeds/` and `fuzz/regressions/`) through the same checks
//! the fuzz targets run, so a parser change that brings back a crash fails `cargo test` on stable Rust.
//! `fuzz/regressions/` holds the inputs that crashed, stalled or leaked in earlier versions (issue 10).

use std::path::Path;

use codexflow_backend::fuzz_checks::TARGETS;

#[test]
fn every_committed_fuzz_input_passes_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut replayed = 0usize;
    for (target, check) in TARGETS {
        let mut per_target = 0usize;
        for folder in ["seeds", "regressions"] {
            let dir = root.join(folder).join(target);
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            for entry in entries {
                let path = entry.expect("a readable directory entry").path();
                let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                // A panic names the input: the default hook prints it before the test fails.
                eprintln!("replaying {}", path.display());
                check(&data);
                per_target += 1;
            }
        }
        assert!(per_target > 0, "no committed inputs for fuzz target {target}");
        replayed += per_target;
    }
    assert!(replayed >= 30, "only {replayed} inputs replayed");
}

#[test]
fn the_fuzz_workspace_lists_exactly_the_library_targets() {
    let manifest = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/Cargo.toml"))
        .expect("fuzz/Cargo.toml");
    let listed: Vec<&str> = manifest
        .lines()
        .filter_map(|l| l.strip_prefix("name = \"")?.strip_suffix('"'))
        .filter(|n| *n != "codexflow-backend-fuzz")
        .collect();
    let known: Vec<&str> = TARGETS.iter().map(|(name, _)| *name).collect();
    assert_eq!(listed, known);
}
