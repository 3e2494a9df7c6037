//! Sweep files through the library: run order, labels, file paths relative to the sweep
//! file, and an input hash that follows the contents of every file the sweep reads.

use std::path::{Path, PathBuf};

use orbsim::scenario::parse_scenario;
use orbsim::sweep::{Shard, load_sweep, run_seed};

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("orbsim-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A sweep in `dir/sweeps/` whose station file sits in `dir/stations/` (so the grid's
/// relative path must resolve against the sweep file, not the base scenario or the
/// working directory).
fn setup(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir.join("sweeps")).unwrap();
    std::fs::create_dir_all(dir.join("stations")).unwrap();
    std::fs::copy(repo("data/stations/commercial/ksat.geojson"), dir.join("stations/ksat.geojson")).unwrap();
    let text = format!(
        r#"name = "grid"
base = "{}"
seed = 11
replications = 3

[grid]
"model.chunk_size" = ["1 MiB", "4 MiB"]
"stations" = [{{ file = "../stations/ksat.geojson", names = ["Troll"], min_elevation_deg = 5.0 }}, {{ file = "../stations/ksat.geojson", names = ["Svalbard"] }}]
"upload.scheduling" = ["most-remaining", "round-robin", "earliest-set"]

[labels]
"stations" = ["Troll", "Svalbard"]
"#,
        repo("scenarios/qwen3-scs01.toml").display()
    );
    let path = dir.join("sweeps/grid.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn runs_enumerate_the_grid_in_written_order_with_replications_innermost() {
    let dir = scratch("sweep-grid-order");
    let sweep = load_sweep(&setup(&dir)).unwrap();
    let keys: Vec<&str> = sweep.axes.iter().map(|a| a.key.as_str()).collect();
    assert_eq!(keys, ["model.chunk_size", "stations", "upload.scheduling"], "file order, not sorted");
    assert_eq!((sweep.variants(), sweep.total_runs()), (12, 36));
    let r = sweep.run(22);
    assert_eq!((r.variant, r.replication), (7, 1));
    assert_eq!(r.seed, run_seed(11, 22));
    assert_eq!(sweep.labels(7), ["4 MiB", "Troll", "round-robin"]);
    assert_eq!(sweep.describe(5), "model.chunk_size = 1 MiB, stations = Svalbard, upload.scheduling = earliest-set");
    let ids = Shard::new(1, 4).unwrap().run_ids(sweep.total_runs());
    assert_eq!(ids.first().copied(), Some(1));
    assert!(ids.iter().all(|i| i % 4 == 1));
}

#[test]
fn variant_scenarios_have_absolute_paths_the_overrides_and_the_run_seed() {
    let dir = scratch("sweep-grid-variant");
    let sweep = load_sweep(&setup(&dir)).unwrap();
    // Variant 4: 1 MiB, Svalbard (KSAT file next to the sweep), round-robin.
    let text = sweep.variant_text(4, 12345).unwrap();
    let file = parse_scenario(Path::new("variant.toml"), &text).unwrap();
    let stations = file.stations.file.unwrap();
    assert_eq!(stations, std::path::absolute(dir.join("sweeps/../stations/ksat.geojson")).unwrap());
    assert_eq!(file.stations.names, ["Svalbard"]);
    assert_eq!(
        file.stations.min_elevation_deg, 10.0,
        "the table replaces [stations]: the default mask, not the base's 15°"
    );
    assert!(file.stations.site.is_empty(), "and the base's inline site");
    assert_eq!(file.seed, 12345);
    assert_eq!(file.model.chunk_size.0, 1 << 20);
    assert!(text.contains("round-robin"));
    // The base's own relative paths resolve against the base scenario's folder.
    let tle = &file.fleet.tle[0].file;
    assert!(tle.is_absolute() && tle.exists(), "{}", tle.display());
    let troll = parse_scenario(Path::new("v0.toml"), &sweep.variant_text(0, 1).unwrap()).unwrap();
    assert_eq!((troll.stations.names[0].as_str(), troll.stations.min_elevation_deg), ("Troll", 5.0));
}

#[test]
fn the_input_hash_follows_every_file_the_sweep_reads() {
    let dir = scratch("sweep-grid-hash");
    let path = setup(&dir);
    let a = load_sweep(&path).unwrap();
    assert_eq!(load_sweep(&path).unwrap().hash, a.hash, "deterministic");
    let roles: Vec<&str> = a.inputs.iter().map(|i| i.role.as_str()).collect();
    assert_eq!(roles, ["sweep", "base", "base", "base", "grid:stations"]);
    // Edit the station file only the grid references.
    let stations = dir.join("stations/ksat.geojson");
    let mut bytes = std::fs::read(&stations).unwrap();
    bytes.push(b'\n');
    std::fs::write(&stations, bytes).unwrap();
    let b = load_sweep(&path).unwrap();
    assert_ne!(a.hash, b.hash);
    let changed: Vec<&str> =
        a.inputs.iter().zip(&b.inputs).filter(|(x, y)| x.hash != y.hash).map(|(x, _)| x.path.as_str()).collect();
    assert_eq!(changed, ["../stations/ksat.geojson"]);
    // The same files elsewhere hash the same: contents, not paths.
    let moved = scratch("sweep-grid-hash-moved");
    let moved_path = setup(&moved);
    std::fs::copy(&stations, moved.join("stations/ksat.geojson")).unwrap();
    assert_eq!(load_sweep(&moved_path).unwrap().hash, b.hash);
}
