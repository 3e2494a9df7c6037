//! Manifests: what a shard (or a whole sweep) ran, so that `merge` can prove its inputs
//! are the complete output of one sweep.
//!
//! Every sweep output folder holds `manifest.json` next to its rows file: `runs.csv` in a
//! shard folder, `sweep.csv` in a finished sweep. A merged sweep's manifest is the one an
//! unsharded run writes (shard 0/1, every run id), so the two folders are identical.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::SweepError;
use super::hash::hash_bytes;
use super::shard::Shard;
use super::spec::Sweep;
use super::table::SweepTable;

/// The `format` of the manifests this version writes and reads.
pub const MANIFEST_FORMAT: &str = "orbsim-sweep-manifest/1";

/// The manifest's file name.
pub const MANIFEST_FILE: &str = "manifest.json";

/// A file the sweep read (see [`super::spec::Input`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestInput {
    /// `sweep`, `base`, or where the file is referenced (`base`, `grid:<key>`).
    pub role: String,
    /// As written where referenced.
    pub path: String,
    /// Content hash, `fnv1a128:<hex>`.
    pub hash: String,
}

/// Which shard a manifest describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardInfo {
    /// From 0.
    pub index: u64,
    /// Shards in the sweep; 1 for a whole sweep.
    pub count: u64,
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// [`MANIFEST_FORMAT`].
    pub format: String,
    /// The sweep's name.
    pub sweep: String,
    /// Hash over every input's role and content hash: equal hashes, same sweep.
    pub sweep_hash: String,
    /// The files hashed, for finding which one differs.
    pub inputs: Vec<ManifestInput>,
    /// The sweep seed.
    pub seed: u64,
    /// Variants in the grid.
    pub variants: u64,
    /// Replications per variant.
    pub replications: u64,
    /// Runs in the whole sweep.
    pub total_runs: u64,
    /// The orbsim version that ran it (results may change between versions).
    pub orbsim_version: String,
    /// This shard.
    pub shard: ShardInfo,
    /// The run ids in this shard's rows, ascending.
    pub run_ids: Vec<u64>,
    /// The rows file next to the manifest.
    pub rows: String,
    /// Content hash of the rows file: catches a truncated or edited copy.
    pub rows_hash: String,
}

impl Manifest {
    /// The manifest of `shard` of `sweep`, whose rows file `rows` holds `rows_bytes`.
    pub fn new(sweep: &Sweep, shard: Shard, rows: &str, rows_bytes: &[u8]) -> Manifest {
        Manifest {
            format: MANIFEST_FORMAT.into(),
            sweep: sweep.name.clone(),
            sweep_hash: sweep.hash.clone(),
            inputs: sweep
                .inputs
                .iter()
                .map(|i| ManifestInput { role: i.role.clone(), path: i.path.clone(), hash: i.hash.clone() })
                .collect(),
            seed: sweep.seed,
            variants: sweep.variants(),
            replications: sweep.replications,
            total_runs: sweep.total_runs(),
            orbsim_version: env!("CARGO_PKG_VERSION").into(),
            shard: ShardInfo { index: shard.index, count: shard.count },
            run_ids: shard.run_ids(sweep.total_runs()),
            rows: rows.into(),
            rows_hash: hash_bytes(rows_bytes),
        }
    }

    /// Pretty JSON with a final newline.
    pub fn to_json(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).unwrap_or_default();
        v.push(b'\n');
        v
    }
}

/// A shard as found on disk.
#[derive(Debug)]
struct Found {
    dir: PathBuf,
    manifest: Manifest,
    table: SweepTable,
}

fn merge_err(message: String) -> SweepError {
    SweepError::Merge(message)
}

/// Reads the manifest and rows in `dir`, checking that the rows are the ones the manifest
/// describes.
fn read_shard(dir: &Path) -> Result<Found, SweepError> {
    let path = dir.join(MANIFEST_FILE);
    let text = crate::input::read(&path).map_err(|e| merge_err(format!("{}: cannot read: {e}", path.display())))?;
    let manifest: Manifest = serde_json::from_slice(&text)
        .map_err(|e| merge_err(format!("{}: not a sweep manifest: {e}", path.display())))?;
    if manifest.format != MANIFEST_FORMAT {
        return Err(merge_err(format!(
            "{}: format `{}`; this orbsim reads `{MANIFEST_FORMAT}`",
            path.display(),
            manifest.format
        )));
    }
    if manifest.rows.contains(['/', '\\']) {
        return Err(merge_err(format!("{}: rows file `{}` is not a plain file name", path.display(), manifest.rows)));
    }
    let rows_path = dir.join(&manifest.rows);
    let bytes =
        crate::input::read(&rows_path).map_err(|e| merge_err(format!("{}: cannot read: {e}", rows_path.display())))?;
    if hash_bytes(&bytes) != manifest.rows_hash {
        return Err(merge_err(format!(
            "{}: contents differ from what {MANIFEST_FILE} recorded (truncated or edited?)",
            rows_path.display()
        )));
    }
    let table = SweepTable::parse(&bytes).map_err(|e| merge_err(format!("{}: {e}", rows_path.display())))?;
    let ids: Vec<u64> = (0..table.rows.len()).map(|i| table.run_id(i)).collect();
    if ids != manifest.run_ids {
        return Err(merge_err(format!("{}: its run ids differ from those in {MANIFEST_FILE}", rows_path.display())));
    }
    Ok(Found { dir: dir.to_path_buf(), manifest, table })
}

/// The shard folders under `dir`: its `shard-*` subfolders if it has any (a sweep's output
/// folder, possibly already merged), else `dir` itself (one shard folder).
fn shard_dirs(dir: &Path) -> Result<Vec<PathBuf>, SweepError> {
    // An unreadable folder is an error, not a folder without shards.
    std::fs::read_dir(dir).map_err(|e| merge_err(format!("{}: cannot read: {e}", dir.display())))?;
    let subs = super::shard::shard_subfolders(dir);
    if !subs.is_empty() {
        return Ok(subs);
    }
    if dir.join(MANIFEST_FILE).is_file() {
        return Ok(vec![dir.to_path_buf()]);
    }
    Err(merge_err(format!("{}: no {MANIFEST_FILE} and no shard-* folders: not sweep output", dir.display())))
}

fn list(ids: &[u64], limit: usize) -> String {
    let shown: Vec<String> = ids.iter().take(limit).map(|i| i.to_string()).collect();
    if ids.len() > limit { format!("{}, … ({} in all)", shown.join(", "), ids.len()) } else { shown.join(", ") }
}

/// Reads every shard under `dirs` and checks that together they are one complete sweep:
/// the same sweep (name, input hash, seed, grid size), written by this orbsim version,
/// with consistent shard counts, each shard present once and holding exactly its run
/// ids. Returns the whole sweep's manifest and rows, as an unsharded run would write them.
pub fn merge_shards(dirs: &[PathBuf]) -> Result<(Manifest, SweepTable), SweepError> {
    let mut found = Vec::new();
    for d in dirs {
        for s in shard_dirs(d)? {
            found.push(read_shard(&s)?);
        }
    }
    let first = found.first().ok_or_else(|| merge_err("no shard folders given".into()))?;
    let m0 = first.manifest.clone();
    let here = env!("CARGO_PKG_VERSION");
    for f in &found {
        let m = &f.manifest;
        let differs = |what: &str, a: String, b: String| {
            merge_err(format!(
                "{} and {} are not shards of the same sweep: {what} {a} ≠ {b}",
                first.dir.display(),
                f.dir.display()
            ))
        };
        if m.sweep != m0.sweep {
            return Err(differs("name", m0.sweep.clone(), m.sweep.clone()));
        }
        if m.sweep_hash != m0.sweep_hash {
            let changed: Vec<String> = m0
                .inputs
                .iter()
                .zip(&m.inputs)
                .filter(|(a, b)| a != b)
                .map(|(a, _)| format!("{} `{}`", a.role, a.path))
                .collect();
            let what = if changed.is_empty() || m.inputs.len() != m0.inputs.len() {
                "different input files".to_string()
            } else {
                format!("changed inputs: {}", changed.join(", "))
            };
            return Err(merge_err(format!(
                "{} and {} are not shards of the same sweep: {what} (input hash {} ≠ {})",
                first.dir.display(),
                f.dir.display(),
                m0.sweep_hash,
                m.sweep_hash
            )));
        }
        if m.orbsim_version != m0.orbsim_version {
            return Err(differs("orbsim version", m0.orbsim_version.clone(), m.orbsim_version.clone()));
        }
        if (m.seed, m.variants, m.replications, m.total_runs) != (m0.seed, m0.variants, m0.replications, m0.total_runs)
        {
            return Err(differs(
                "seed/variants/replications/runs",
                format!("{}/{}/{}/{}", m0.seed, m0.variants, m0.replications, m0.total_runs),
                format!("{}/{}/{}/{}", m.seed, m.variants, m.replications, m.total_runs),
            ));
        }
        if m.shard.count != m0.shard.count {
            return Err(merge_err(format!(
                "{} is shard {}/{} but {} is shard {}/{}: shards of one sweep must use one shard count (remove stale shard folders)",
                first.dir.display(),
                m0.shard.index,
                m0.shard.count,
                f.dir.display(),
                m.shard.index,
                m.shard.count
            )));
        }
        if f.table.header != first.table.header {
            return Err(differs("columns", first.table.header.join(","), f.table.header.join(",")));
        }
        let shard = Shard::new(m.shard.index, m.shard.count)
            .map_err(|e| merge_err(format!("{}: {e}", f.dir.join(MANIFEST_FILE).display())))?;
        if m.run_ids != shard.run_ids(m.total_runs) {
            return Err(merge_err(format!(
                "{}: run ids are not those of shard {shard} of {} runs",
                f.dir.join(MANIFEST_FILE).display(),
                m.total_runs
            )));
        }
    }
    if m0.orbsim_version != here {
        return Err(merge_err(format!(
            "the shards were written by orbsim {}, this is {here}: merge with the version that ran them",
            m0.orbsim_version
        )));
    }
    let count = m0.shard.count;
    if count > super::spec::MAX_RUNS {
        return Err(merge_err(format!("{}: {count} shards is not a plausible count", first.dir.display())));
    }
    let mut by_index: Vec<Option<&Found>> = vec![None; count as usize];
    for f in &found {
        let slot = &mut by_index[f.manifest.shard.index as usize];
        if let Some(other) = slot {
            return Err(merge_err(format!(
                "shard {}/{count} is given twice: {} and {}",
                f.manifest.shard.index,
                other.dir.display(),
                f.dir.display()
            )));
        }
        *slot = Some(f);
    }
    let missing: Vec<u64> = (0..count).filter(|&i| by_index[i as usize].is_none()).collect();
    if !missing.is_empty() {
        let runs: Vec<u64> =
            missing.iter().flat_map(|&i| Shard { index: i, count }.run_ids(m0.total_runs)).collect::<Vec<_>>();
        let mut runs = runs;
        runs.sort_unstable();
        return Err(merge_err(format!(
            "incomplete sweep `{}`: shard{} {} of {count} missing (runs {})",
            m0.sweep,
            if missing.len() == 1 { "" } else { "s" },
            list(&missing, 10),
            list(&runs, 10)
        )));
    }

    let mut rows: Vec<Vec<String>> = found.iter().flat_map(|f| f.table.rows.iter().cloned()).collect();
    rows.sort_by_key(|r| r[0].parse::<u64>().unwrap_or(u64::MAX));
    let ids_ok = rows.len() as u64 == m0.total_runs
        && rows.iter().enumerate().all(|(i, r)| r[0].parse::<u64>().ok() == Some(i as u64));
    if !ids_ok {
        return Err(merge_err(format!("the shards of `{}` do not hold each run id exactly once", m0.sweep)));
    }
    let table = SweepTable { header: first.table.header.clone(), rows };
    let manifest = Manifest {
        shard: ShardInfo { index: 0, count: 1 },
        run_ids: (0..m0.total_runs).collect(),
        rows: super::SWEEP_CSV.into(),
        rows_hash: hash_bytes(&table.to_csv()),
        ..m0
    };
    Ok((manifest, table))
}
