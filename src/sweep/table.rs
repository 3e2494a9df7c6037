//! `sweep.csv`: one row per run, sorted by run id.
//!
//! Rows are kept as the text of their cells. A shard writes them, `merge` reads them back
//! and writes them again, and the charts are drawn from the same text, so a merged sweep
//! and an unsharded one go through identical bytes and produce identical files.

use crate::pipeline::RunResult;
use crate::report::summary::UploadSummary;
use crate::report::tables::{CsvRow, push_fixed};
use crate::scenario::Scenario;

use super::spec::RunSpec;

/// Columns before the grid parameters.
pub const LEAD_COLUMNS: [&str; 4] = ["run_id", "variant", "replication", "seed"];

/// Columns after the grid parameters: the run's headline numbers.
///
/// * `targets`, `deployed`: satellites to upload to, and those running the model by the end
/// * `passes_min`, `passes_median`, `passes_max`: passes used per deployed satellite
/// * `first_deployed_utc`, `last_deployed_utc`: the first and last deployment (ISO-8601 UTC)
/// * `hours_to_last_deployment`: from the scenario start to the last deployment, hours
/// * `bytes_sent`, `retransmitted_bytes`: over all satellites, including retransmissions
/// * `goodput`: the ground links' goodput, as on the console and in report.html
///   ([`UploadSummary::ground_goodput`]: new payload bytes delivered ÷ bytes sent)
/// * `error`: why the run failed (its other metric cells are then empty); empty for a run
///   that completed
///
/// Empty cells mean "none": nothing deployed.
pub const METRIC_COLUMNS: [&str; 12] = [
    "targets",
    "deployed",
    "passes_min",
    "passes_median",
    "passes_max",
    "first_deployed_utc",
    "last_deployed_utc",
    "hours_to_last_deployment",
    "bytes_sent",
    "retransmitted_bytes",
    "goodput",
    "error",
];

/// The rows of a sweep (or of a shard), as text cells, sorted by run id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepTable {
    /// Column names: [`LEAD_COLUMNS`], one per grid key, [`METRIC_COLUMNS`].
    pub header: Vec<String>,
    /// One row per run, as many cells as the header.
    pub rows: Vec<Vec<String>>,
}

fn fixed(v: f64, decimals: u32) -> String {
    let mut buf = Vec::new();
    push_fixed(&mut buf, v, decimals);
    String::from_utf8(buf).unwrap_or_default()
}

/// The cells of one run's row: run identity, the variant's labels, then the headline.
pub fn row(run: &RunSpec, labels: &[String], scenario: &Scenario, result: &RunResult) -> Vec<String> {
    let h = UploadSummary::new(scenario, result);
    let opt = |v: Option<String>| v.unwrap_or_default();
    let mut cells =
        vec![run.run_id.to_string(), run.variant.to_string(), run.replication.to_string(), run.seed.to_string()];
    cells.extend(labels.iter().cloned());
    cells.extend([
        h.targets.to_string(),
        h.deployed.to_string(),
        opt(h.passes_used_min.map(|p| p.to_string())),
        opt(h.passes_used_median.map(|p| p.to_string())),
        opt(h.passes_used_max.map(|p| p.to_string())),
        opt(h.first_deployed_utc.map(|t| t.iso_millis())),
        opt(h.last_deployed_utc.map(|t| t.iso_millis())),
        opt(h.last_deployed_utc.map(|t| fixed(t.seconds_since(scenario.start) / 3600.0, 4))),
        h.bytes_sent.to_string(),
        h.retransmitted_bytes.to_string(),
        opt(h.ground_goodput().map(|g| fixed(g, 6))),
        String::new(),
    ]);
    cells
}

/// The cells of a run that failed: run identity, the variant's labels, empty metrics and
/// the error on one line.
pub fn failed_row(run: &RunSpec, labels: &[String], error: &str) -> Vec<String> {
    let mut cells =
        vec![run.run_id.to_string(), run.variant.to_string(), run.replication.to_string(), run.seed.to_string()];
    cells.extend(labels.iter().cloned());
    cells.extend(std::iter::repeat_n(String::new(), METRIC_COLUMNS.len() - 1));
    cells.push(error.split_whitespace().collect::<Vec<_>>().join(" "));
    cells
}

impl SweepTable {
    /// An empty table for a grid with these keys.
    pub fn new(grid_keys: &[String]) -> SweepTable {
        let header = LEAD_COLUMNS
            .iter()
            .map(|s| s.to_string())
            .chain(grid_keys.iter().cloned())
            .chain(METRIC_COLUMNS.iter().map(|s| s.to_string()))
            .collect();
        SweepTable { header, rows: Vec::new() }
    }

    /// The grid keys: the columns between the lead and the metrics.
    pub fn grid_keys(&self) -> &[String] {
        &self.header[LEAD_COLUMNS.len()..self.header.len().saturating_sub(METRIC_COLUMNS.len())]
    }

    /// The index of a column.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// The rows of runs that failed, with their error.
    pub fn failures(&self) -> Vec<(u64, &str)> {
        let error = self.header.len() - 1;
        (0..self.rows.len())
            .filter(|&i| !self.rows[i][error].is_empty())
            .map(|i| (self.run_id(i), self.rows[i][error].as_str()))
            .collect()
    }

    /// Hours from the start until every target of row `i`'s run deployed; +∞ when some
    /// target never did or the run failed. What the charts and the console compare.
    pub fn hours_to_deploy_every_target(&self, i: usize) -> f64 {
        let cell = |name: &str| self.column(name).map_or("", |c| self.rows[i][c].as_str());
        if cell("targets") == cell("deployed") {
            cell("hours_to_last_deployment").parse().unwrap_or(f64::INFINITY)
        } else {
            f64::INFINITY
        }
    }

    /// The run id of row `i` (rows are checked on parsing).
    pub fn run_id(&self, i: usize) -> u64 {
        self.rows[i][0].parse().unwrap_or(u64::MAX)
    }

    /// The CSV text: header, then the rows as they are.
    pub fn to_csv(&self) -> Vec<u8> {
        let mut row = CsvRow::default();
        for cells in std::iter::once(&self.header).chain(&self.rows) {
            for c in cells {
                row.text(c);
            }
            row.end_row();
        }
        row.into_bytes()
    }

    /// Reads CSV written by [`SweepTable::to_csv`]: checks the header's shape, the cell
    /// counts and that run ids are whole numbers.
    pub fn parse(bytes: &[u8]) -> Result<SweepTable, String> {
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
        let mut records = reader.records();
        let header: Vec<String> = match records.next() {
            Some(Ok(r)) => r.iter().map(str::to_string).collect(),
            Some(Err(e)) => return Err(e.to_string()),
            None => return Err("empty file (no header)".into()),
        };
        let lead_ok = header.iter().take(LEAD_COLUMNS.len()).eq(LEAD_COLUMNS.iter());
        let tail_ok = header.len() >= LEAD_COLUMNS.len() + METRIC_COLUMNS.len()
            && header[header.len() - METRIC_COLUMNS.len()..].iter().eq(METRIC_COLUMNS.iter());
        if !(lead_ok && tail_ok) {
            return Err("the header is not that of a sweep table".into());
        }
        let mut rows = Vec::new();
        for (n, r) in records.enumerate() {
            let r = r.map_err(|e| e.to_string())?;
            let cells: Vec<String> = r.iter().map(str::to_string).collect();
            if cells.len() != header.len() {
                return Err(format!("row {} has {} cells, the header {}", n + 2, cells.len(), header.len()));
            }
            if cells[0].parse::<u64>().is_err() {
                return Err(format!("row {}: run id `{}` is not a whole number", n + 2, cells[0]));
            }
            rows.push(cells);
        }
        Ok(SweepTable { header, rows })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_round_trips_byte_for_byte() {
        let mut t = SweepTable::new(&["stations".into(), "model.chunk_size".into()]);
        let mut cells: Vec<String> =
            vec!["0", "0", "0", "17", "a, \"quoted\" set", "1 MiB"].into_iter().map(String::from).collect();
        cells.extend(METRIC_COLUMNS.iter().map(|_| String::new()));
        t.rows.push(cells);
        let bytes = t.to_csv();
        let back = SweepTable::parse(&bytes).unwrap();
        assert_eq!(back, t);
        assert_eq!(back.to_csv(), bytes);
        assert_eq!(back.grid_keys(), ["stations", "model.chunk_size"]);
    }

    #[test]
    fn foreign_files_are_rejected() {
        assert!(SweepTable::parse(b"").is_err());
        assert!(SweepTable::parse(b"a,b,c\n1,2,3\n").is_err());
    }
}
