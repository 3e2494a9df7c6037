//! Options shared by the commands that compute geometry from a fleet file and a station
//! file over a time window (`passes`, `contacts`).

use std::path::{Path, PathBuf};

use clap::Args;

use super::CliError;
use super::progress::Bars;
use orbsim::access::passes::{PassItems, stream_search};
use orbsim::access::{Retirement, Window};
use orbsim::ground::{GroundStation, filter_stations, load_stations};
use orbsim::orbit::{Satellite, load_orbit_files};
use orbsim::progress::Progress;
use orbsim::report::tables::CsvRow;
use orbsim::report::write_atomically;
use orbsim::sweep::Shard;
use orbsim::sweep::manifest::ShardInfo;
use orbsim::sweep::table_shards::{
    MANIFEST_FILE, ROWS_FILE, ShardRowsWriter, TABLE_SHARD_FORMAT, TableMergeError, TableShardManifest,
    check_table_shards, merge_table_shards, shard_dir,
};
use orbsim::time::{UtcTime, parse_duration};

#[derive(Args, Debug)]
pub struct GeometryArgs {
    /// Orbit file: TLE (2- or 3-line) or CelesTrak OMM (JSON or CSV). Repeatable.
    #[arg(long = "tle", value_name = "FILE", required = true)]
    pub tle: Vec<PathBuf>,
    /// Keep satellites whose name contains this (case-insensitive). Repeatable.
    #[arg(long = "name", value_name = "SUBSTRING")]
    pub name: Vec<String>,
    /// Ground stations: CSV (name,lat_deg,lon_deg[,alt_m][,min_elevation_deg]) or GeoJSON points.
    #[arg(long, value_name = "FILE")]
    pub stations: PathBuf,
    /// Keep stations whose name contains this (case-insensitive). Repeatable.
    #[arg(long = "station", value_name = "SUBSTRING")]
    pub station: Vec<String>,
    /// Window start, ISO-8601 UTC (e.g. 2026-03-19T00:00:00Z).
    #[arg(long, allow_hyphen_values = true)]
    pub start: String,
    /// Window length: 90s, 30m, 12h, 7d.
    #[arg(long, default_value = "1d", allow_hyphen_values = true)]
    pub duration: String,
    /// Elevation mask in degrees for stations whose file gives none.
    #[arg(long = "min-elevation", default_value_t = 10.0, allow_negative_numbers = true)]
    pub min_elevation: f64,
    /// Make any bad record in an orbit file fatal (by default they are skipped and counted).
    #[arg(long)]
    pub strict: bool,
    /// No progress bar or summary on stderr.
    #[arg(long)]
    pub quiet: bool,
}

/// The validated inputs of a geometry command.
pub struct GeometryInputs {
    pub satellites: Vec<Satellite>,
    pub stations: Vec<GroundStation>,
    pub window: Window,
}

impl GeometryArgs {
    pub fn load(&self) -> Result<GeometryInputs, CliError> {
        let start = UtcTime::parse(&self.start).map_err(|e| CliError::Input(format!("--start: {e}")))?;
        let duration = parse_duration(&self.duration).map_err(|e| CliError::Input(format!("--duration: {e}")))?;
        if duration == 0 {
            return Err(CliError::Input("--duration: must be longer than zero".into()));
        }
        let mut satellites = Vec::new();
        let files = load_orbit_files(&self.tle, &self.name, self.strict).map_err(|e| CliError::Input(e.to_string()))?;
        for loaded in files {
            if !self.quiet
                && let Some(summary) = loaded.skipped_summary()
            {
                super::console::warn(&summary);
            }
            satellites.extend(loaded.satellites);
        }
        orbsim::units::check_range(self.min_elevation, -5.0..=89.0, "°")
            .map_err(|m| CliError::Input(format!("--min-elevation: {m}")))?;
        let stations = load_stations(&self.stations, self.min_elevation).map_err(|e| CliError::Input(e.to_string()))?;
        let stations =
            filter_stations(stations, &self.station, &self.stations).map_err(|e| CliError::Input(e.to_string()))?;
        Ok(GeometryInputs { satellites, stations, window: Window { start, end: start.plus_nanos(duration) } })
    }

    /// Progress bars for this command (see [`Bars`]): none with `--quiet` or when standard
    /// error is not a terminal.
    pub fn bars(&self) -> Bars {
        Bars::new(self.quiet)
    }
}

/// Help for `--shard` of the geometry commands.
pub const SHARD_HELP: &str = "Compute only shard INDEX of COUNT (the satellites whose position in the fleet is INDEX \
modulo COUNT) and write its rows and manifest to DIR/shard-<INDEX>-of-<COUNT>/ (DIR from --out) for `orbsim merge \
DIR`. Without it, a Slurm array task (SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN of SLURM_ARRAY_TASK_COUNT) or a \
Kubernetes Indexed Job (JOB_COMPLETION_INDEX of ORBSIM_SHARDS) picks the shard; `all` computes everything regardless.";

impl GeometryArgs {
    /// A hash over the options and input files that decide a geometry command's rows, plus
    /// the command's own `extra` options: shards with equal hashes belong to one table.
    pub fn inputs_hash(&self, command: &str, extra: &[String]) -> Result<String, CliError> {
        let mut hash = orbsim::sweep::hash::Fnv128::default();
        hash.field(command.as_bytes());
        for path in self.tle.iter().chain([&self.stations]) {
            let bytes = orbsim::input::read(path).map_err(|e| CliError::Input(format!("{}: {e}", path.display())))?;
            hash.field(&bytes);
        }
        let options = [
            self.name.join("\n"),
            self.station.join("\n"),
            self.start.clone(),
            self.duration.clone(),
            self.min_elevation.to_string(),
            self.strict.to_string(),
        ];
        for text in options.iter().chain(extra) {
            hash.field(text.as_bytes());
        }
        Ok(hash.hex())
    }
}

/// Computes one shard of a geometry table (`passes`, `contacts`) and writes it as
/// `dir/shard-<i>-of-<N>/` (rows and manifest, see [`orbsim::sweep::table_shards`]). Returns the folder,
/// the rows written and the retirements.
#[allow(clippy::too_many_arguments)]
pub fn write_table_shard<P: PassItems>(
    inputs: &GeometryInputs,
    shard: Shard,
    dir: &Path,
    table: &str,
    header: &str,
    inputs_hash: String,
    items: &P,
    key: impl Fn(&P::Item, &mut Vec<u8>) + Sync,
    row: impl Fn(&mut CsvRow, &P::Item) + Sync,
    bar: &Bars,
) -> Result<(PathBuf, u64, Vec<Retirement>), CliError> {
    let folder = shard_dir(dir, shard);
    let mut retirements = Vec::new();
    let mut summary = (0, String::new());
    write_atomically(&folder.join(ROWS_FILE), |out| {
        let mut writer = ShardRowsWriter::new(out);
        retirements = stream_search(
            &inputs.satellites,
            &|i| shard.contains(i as u64),
            &inputs.stations,
            inputs.window,
            items,
            &|searched_s| bar.set_position(searched_s as u64),
            |block| writer.write(&block, &key, &row),
        )?;
        summary = writer.finish()?;
        Ok(())
    })
    .map_err(|e| CliError::Failed(e.to_string()))?;
    let manifest = TableShardManifest {
        format: TABLE_SHARD_FORMAT.into(),
        table: table.into(),
        inputs_hash,
        orbsim_version: env!("CARGO_PKG_VERSION").into(),
        shard: ShardInfo { index: shard.index, count: shard.count },
        header: header.into(),
        rows: summary.0,
        rows_hash: summary.1,
    };
    let mut json = serde_json::to_vec_pretty(&manifest).map_err(|e| CliError::Failed(e.to_string()))?;
    json.push(b'\n');
    write_atomically(&folder.join(MANIFEST_FILE), |out| out.write_all(&json))
        .map_err(|e| CliError::Failed(e.to_string()))?;
    Ok((folder, manifest.rows, retirements))
}

/// Warns of every satellite the search dropped (decayed, or SGP4 failed).
pub fn warn_retired(satellites: &[Satellite], retirements: &[Retirement]) {
    for r in retirements {
        super::console::warn(&format!("{} retired at {}: {}", satellites[r.satellite].name, r.time, r.reason));
    }
}

/// The closing lines of a shard run: what it dropped, what it wrote, how to merge.
pub fn report_shard(
    inputs: &GeometryInputs,
    written: (&Path, u64, &[Retirement]),
    what: &str,
    shard: Shard,
    dir: &Path,
    started: std::time::Instant,
) {
    let (folder, count, retirements) = written;
    warn_retired(&inputs.satellites, retirements);
    super::console::err_line(&format!(
        "shard {shard}: {count} {what} in {:.2} s; wrote {}\n  when every shard is done: orbsim merge {}",
        started.elapsed().as_secs_f64(),
        folder.display(),
        dir.display()
    ));
}

/// `orbsim merge` of table shards: joins them into the table an unsharded run writes,
/// `--out FILE` or `<table>.csv` in the folder given.
pub fn merge_table(dirs: &[PathBuf], out: Option<&Path>, quiet: bool) -> Result<(), CliError> {
    let shards = check_table_shards(dirs).map_err(merge_error)?;
    let manifest = shards.manifest();
    let path = match (out, dirs) {
        (Some(o), _) => o.to_path_buf(),
        (None, [one]) => one.join(format!("{}.csv", manifest.table)),
        (None, _) => {
            return Err(CliError::Input("merge: give --out FILE when merging shards from several folders".into()));
        }
    };
    let mut rows = 0;
    let mut failure = None;
    write_atomically(&path, |w| match merge_table_shards(&shards, w) {
        Ok(n) => {
            rows = n;
            Ok(())
        }
        Err(e) => {
            failure = Some(e);
            Err(std::io::Error::other("merge failed"))
        }
    })
    .map_err(|e| match failure.take() {
        Some(f) => merge_error(f),
        None => CliError::Failed(e.to_string()),
    })?;
    if !quiet {
        super::console::out_line(&format!(
            "merged {} shards of {}: {rows} rows; wrote {}",
            manifest.shard.count,
            manifest.table,
            path.display()
        ))?;
    }
    Ok(())
}

fn merge_error(e: TableMergeError) -> CliError {
    match e {
        TableMergeError::Shards(m) => CliError::Input(format!("merge: {m}")),
        TableMergeError::Io { .. } => CliError::Failed(format!("merge: {e}")),
    }
}
