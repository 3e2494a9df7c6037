//! Shards: which runs of a sweep one process executes.
//!
//! Shard `i` of `N` runs the run ids with `run_id % N == i`. Striding (rather than cutting
//! the run list into blocks) spreads every variant's replications and every expensive
//! corner of the grid over all shards, so shards take about equally long.

use std::fmt;
use std::path::{Path, PathBuf};

/// Shard `index` of `count` (0 ≤ index < count).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This shard's index, from 0.
    pub index: u64,
    /// How many shards the sweep is split into.
    pub count: u64,
}

/// Environment variables read when `--shard` is not given (documented in the CLI help and
/// `deploy/`).
pub const SHARD_ENV: [&str; 5] =
    ["SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_COUNT", "JOB_COMPLETION_INDEX", "ORBSIM_SHARDS"];

impl Shard {
    /// The whole sweep as one shard.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Checks `index < count` and `count ≥ 1`.
    pub fn new(index: u64, count: u64) -> Result<Shard, String> {
        if count == 0 {
            return Err("the shard count must be at least 1".into());
        }
        if index >= count {
            return Err(format!("shard index {index} is out of range for {count} shards (0…{})", count - 1));
        }
        Ok(Shard { index, count })
    }

    /// Parses `i/N` (e.g. `2/8`).
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || format!("`{text}` is not a shard: expected INDEX/COUNT, e.g. 0/4 (indices start at 0)");
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let i: u64 = i.trim().parse().map_err(|_| bad())?;
        let n: u64 = n.trim().parse().map_err(|_| bad())?;
        Shard::new(i, n)
    }

    /// The shard a batch scheduler assigned, from the environment (`var` looks a variable
    /// up), or `None` outside an array job:
    ///
    /// * Slurm job arrays: `SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN` of
    ///   `SLURM_ARRAY_TASK_COUNT`, so `--array=0-7` and `--array=1-8` both give shards
    ///   0…7 of 8. A sparse array (`--array=0,2,4`) gives an out-of-range index: an error.
    /// * Kubernetes Indexed Jobs: `JOB_COMPLETION_INDEX` of `ORBSIM_SHARDS`. Kubernetes sets
    ///   only the index, so the Job must set `ORBSIM_SHARDS` to its `completions`.
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Option<Shard>, String> {
        let number = |name: &str| -> Result<Option<u64>, String> {
            match var(name) {
                None => Ok(None),
                Some(v) => v
                    .trim()
                    .parse()
                    .map(Some)
                    .map_err(|_| format!("environment variable {name}=`{v}` is not a whole number")),
            }
        };
        if let Some(id) = number("SLURM_ARRAY_TASK_ID")? {
            let count = number("SLURM_ARRAY_TASK_COUNT")?
                .ok_or("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not: give --shard INDEX/COUNT")?;
            let min = number("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
            let index = id.checked_sub(min).ok_or("SLURM_ARRAY_TASK_ID is below SLURM_ARRAY_TASK_MIN")?;
            return Shard::new(index, count).map(Some).map_err(|e| {
                format!(
                    "from SLURM_ARRAY_TASK_ID/COUNT: {e} (use a dense array such as --array=0-{})",
                    count.saturating_sub(1)
                )
            });
        }
        if let Some(index) = number("JOB_COMPLETION_INDEX")? {
            let count = number("ORBSIM_SHARDS")?.ok_or(
                "JOB_COMPLETION_INDEX is set but ORBSIM_SHARDS is not: set ORBSIM_SHARDS to the Job's completions",
            )?;
            return Shard::new(index, count)
                .map(Some)
                .map_err(|e| format!("from JOB_COMPLETION_INDEX/ORBSIM_SHARDS: {e}"));
        }
        Ok(None)
    }

    /// Whether this shard runs `run_id`.
    pub fn contains(&self, run_id: u64) -> bool {
        run_id % self.count == self.index
    }

    /// This shard's run ids among `total`, ascending.
    pub fn run_ids(&self, total: u64) -> Vec<u64> {
        (self.index..total).step_by(self.count as usize).collect()
    }

    /// The folder name of this shard's outputs: `shard-<i>-of-<N>`, `i` zero-padded to the
    /// width of `N` so that listings sort numerically.
    pub fn dir_name(&self) -> String {
        let width = self.count.to_string().len();
        format!("shard-{:0width$}-of-{}", self.index, self.count)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The `shard-*` folders directly inside `dir` ([`Shard::dir_name`]), sorted; none when
/// `dir` cannot be read.
pub fn shard_subfolders(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("shard-") && e.path().is_dir())
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    }

    #[test]
    fn parses_and_checks_range() {
        assert_eq!(Shard::parse("2/3").unwrap(), Shard { index: 2, count: 3 });
        assert!(Shard::parse("3/3").unwrap_err().contains("out of range"));
        assert!(Shard::parse("0/0").is_err());
        assert!(Shard::parse("1").is_err());
        assert!(Shard::parse("-1/3").is_err());
    }

    #[test]
    fn shards_partition_the_runs() {
        let total = 11;
        let mut all: Vec<u64> = (0..3).flat_map(|i| Shard::new(i, 3).unwrap().run_ids(total)).collect();
        all.sort();
        assert_eq!(all, (0..total).collect::<Vec<_>>());
        assert_eq!(Shard::new(1, 3).unwrap().run_ids(total), vec![1, 4, 7, 10]);
        assert_eq!(Shard::new(5, 20).unwrap().run_ids(3), Vec::<u64>::new());
        assert_eq!(Shard::new(3, 12).unwrap().dir_name(), "shard-03-of-12");
    }

    #[test]
    fn schedulers_set_the_default() {
        assert_eq!(Shard::from_env(env(&[])).unwrap(), None);
        let slurm = [("SLURM_ARRAY_TASK_ID", "4"), ("SLURM_ARRAY_TASK_MIN", "1"), ("SLURM_ARRAY_TASK_COUNT", "8")];
        assert_eq!(Shard::from_env(env(&slurm)).unwrap(), Some(Shard { index: 3, count: 8 }));
        let k8s = [("JOB_COMPLETION_INDEX", "2"), ("ORBSIM_SHARDS", "3")];
        assert_eq!(Shard::from_env(env(&k8s)).unwrap(), Some(Shard { index: 2, count: 3 }));
        assert!(Shard::from_env(env(&[("JOB_COMPLETION_INDEX", "2")])).unwrap_err().contains("ORBSIM_SHARDS"));
        let sparse = [("SLURM_ARRAY_TASK_ID", "4"), ("SLURM_ARRAY_TASK_COUNT", "3")];
        assert!(Shard::from_env(env(&sparse)).unwrap_err().contains("out of range"));
    }
}
