//! Sweeps: many runs of one base scenario over a grid of parameter values, on one machine
//! or split into shards across a cluster, with results that do not depend on how they
//! were split.
//!
//! The pattern is nyx's Monte Carlo runner: every input of a run is a function of the
//! sweep file and the run's index alone (its variant, replication and seed, see
//! [`Sweep::run`] and [`run_seed`]); runs execute in parallel in any order; results are
//! sorted by run index. So a run gives the same row whether it ran alone, in any shard or
//! in the whole sweep, on any number of threads, and `merge` of the shards writes the same
//! bytes as an unsharded run.
//!
//! * [`load_sweep`] reads a sweep file ([`spec`]): the base scenario, the grid of
//!   field-path overrides ([`overrides`]), replications and seed.
//! * [`run_shard`] runs a shard's runs with rayon and returns their rows ([`table`]).
//! * [`write_shard`] leaves a shard's rows and [`Manifest`] in `shard-<i>-of-<N>/`;
//!   [`write_sweep`] writes a whole sweep: `sweep.csv`, charts ([`plots`]), manifest.
//! * [`merge_shards`] checks shard manifests against each other and rebuilds the whole.
//!
//! ```no_run
//! use std::path::Path;
//! use orbsim::sweep::{Manifest, Shard, load_sweep, run_shard, write_sweep, SWEEP_CSV};
//!
//! let sweep = load_sweep(Path::new("scenarios/sweeps/qwen3-rate-chunk.toml")).unwrap();
//! let out = Path::new("output/sweeps/qwen3-rate-chunk");
//! let table = run_shard(&sweep, Shard::ALL, out, false, &|| {}).unwrap();
//! let manifest = Manifest::new(&sweep, Shard::ALL, SWEEP_CSV, &table.to_csv());
//! write_sweep(out, &manifest, &table).unwrap();
//! ```

#![warn(missing_docs)]

pub mod hash;
pub mod manifest;
pub mod overrides;
pub mod plots;
mod run;
pub mod shard;
pub mod spec;
pub mod table;
pub mod table_shards;

use std::path::{Path, PathBuf};

pub use manifest::{MANIFEST_FILE, Manifest, merge_shards};
pub use run::{check_shard, run_shard, write_shard, write_sweep};
pub use shard::Shard;
pub use spec::{Axis, RunSpec, Sweep, load_sweep, run_seed};
pub use table::SweepTable;

use crate::report::WriteError;
use crate::report::plot::PlotError;

/// The whole sweep's table, in its output folder.
pub const SWEEP_CSV: &str = "sweep.csv";

/// A shard's rows, in its shard folder.
pub const RUNS_CSV: &str = "runs.csv";

/// Why a sweep or a merge failed.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// The sweep file, its base scenario or one of its variants is wrong (the user's input).
    #[error("{}{message}", location(file, *line_col))]
    Invalid {
        /// The sweep file (or the file that could not be read or written).
        file: PathBuf,
        /// Line and column in `file`, when known.
        line_col: Option<(usize, usize)>,
        /// What is wrong, starting with the field (`grid."model.chunk_size"`, `replications`).
        message: String,
    },
    /// Shard outputs that are not the complete output of one sweep (the user's input).
    #[error("{0}")]
    Merge(String),
    /// An output file could not be written.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// A chart could not be drawn or written.
    #[error(transparent)]
    Plot(#[from] PlotError),
}

impl SweepError {
    /// Whether the user's input is at fault (the CLI exits with code 2), rather than the
    /// run or the machine (code 1).
    pub fn is_input(&self) -> bool {
        matches!(self, SweepError::Invalid { .. } | SweepError::Merge(_))
    }
}

fn location(file: &Path, line_col: Option<(usize, usize)>) -> String {
    match line_col {
        Some((l, c)) => format!("{}:{l}:{c}: ", file.display()),
        None => format!("{}: ", file.display()),
    }
}
