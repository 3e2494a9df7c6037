//! The files of a coverage analysis: per-point and per-band tables, the world map of a
//! figure of merit and that figure against latitude.

use std::path::{Path, PathBuf};

use super::figures::coastline_path;
use super::plot::{FieldCell, Figure, LineChart, MapField, PlotError, Series, SeriesKind, WorldMap, load_coastline};
use super::tables::CsvRow;
use super::{WriteError, write_atomically};
use crate::access::Window;
use crate::access::coverage::{BandSummary, Coverage, CoverageConfig, FigureOfMerit, PointStats, band_summaries};

pub const POINTS_FILE: &str = "coverage_points.csv";
pub const SUMMARY_FILE: &str = "coverage_summary.csv";
pub const MAP_STEM: &str = "coverage_map";
pub const LATITUDE_STEM: &str = "coverage_latitude";

pub const POINTS_HEADER: &str = "lat_deg,lon_deg,area_share,share_covered,gaps,mean_gap_s,max_gap_s,mean_in_view,max_in_view,first_access_s,accesses";
pub const SUMMARY_HEADER: &str = "scope,lat_min_deg,lat_max_deg,points,share_mean,share_min,share_max,mean_gap_s,max_gap_s,mean_in_view,max_in_view,first_access_mean_s,first_access_max_s,never_covered";

#[derive(Debug, thiserror::Error)]
pub enum CoverageOutputError {
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error(transparent)]
    Plot(#[from] PlotError),
}

/// Writes the tables and figures into `dir`; returns the files written. `title` names
/// the scenario in the figures.
pub fn write_coverage(
    dir: &Path,
    title: &str,
    config: &CoverageConfig,
    window: Window,
    coverage: &Coverage,
) -> Result<Vec<PathBuf>, CoverageOutputError> {
    let window_s = window.duration_s();
    let points_path = dir.join(POINTS_FILE);
    write_atomically(&points_path, |out| {
        writeln!(out, "{POINTS_HEADER}")?;
        let mut row = CsvRow::default();
        for (p, s) in config.points.iter().zip(&coverage.stats) {
            row.fixed(p.lat_deg, 4).fixed(p.lon_deg, 4).fixed(p.area_share(), 9).fixed(s.share(window_s), 6);
            row.int(s.gaps).fixed(s.mean_gap_s(), 3).fixed(s.max_gap_s, 3);
            row.fixed(s.mean_in_view(window_s), 4).int(s.max_in_view);
            match s.first_access_s {
                Some(t) => row.fixed(t, 3),
                None => row.text(""),
            };
            row.int(s.accesses).end_row();
            row.finish(out)?;
        }
        Ok(())
    })?;
    let summaries = band_summaries(&config.points, &coverage.stats, config.band_deg, window_s);
    let summary_path = dir.join(SUMMARY_FILE);
    write_atomically(&summary_path, |out| {
        writeln!(out, "{SUMMARY_HEADER}")?;
        let mut row = CsvRow::default();
        for (i, b) in summaries.iter().enumerate() {
            summary_row(&mut row, b, if i + 1 == summaries.len() { "all" } else { "band" });
        }
        row.finish(out)
    })?;
    let subtitle = format!("{title}: {}, {} + {}", config.description, window.start.iso_millis(), duration(window_s));
    let coastline = load_coastline(&coastline_path())?;
    let map = coverage_map(config, coverage, window_s, coastline, &subtitle);
    let map_files = map.save(&dir.join(MAP_STEM))?;
    let latitude = latitude_chart(config, coverage, window_s, &subtitle);
    let latitude_files = latitude.save(&dir.join(LATITUDE_STEM))?;
    Ok(vec![points_path, summary_path, map_files.png, map_files.svg, latitude_files.png, latitude_files.svg])
}

fn summary_row(row: &mut CsvRow, b: &BandSummary, scope: &str) {
    row.text(scope).fixed(b.lat_lo, 3).fixed(b.lat_hi, 3).int(b.points as u64);
    row.fixed(b.share_mean, 6).fixed(b.share_min, 6).fixed(b.share_max, 6);
    row.fixed(b.mean_gap_s, 3).fixed(b.max_gap_s, 3).fixed(b.mean_in_view, 4).int(b.max_in_view);
    for v in [b.first_access_mean_s, b.first_access_max_s] {
        match v {
            Some(t) => row.fixed(t, 3),
            None => row.text(""),
        };
    }
    row.int(b.never_covered as u64).end_row();
}

fn duration(seconds: f64) -> String {
    if seconds >= 86_400.0 && seconds % 86_400.0 == 0.0 {
        format!("{} d", seconds / 86_400.0)
    } else {
        format!("{:.1} h", seconds / 3600.0)
    }
}

/// A figure of merit in the unit the figures show it in (percent, minutes, satellites),
/// with that axis title.
fn shown(figure: FigureOfMerit, stats: &PointStats, window_s: f64) -> f64 {
    let v = stats.figure(figure, window_s).unwrap_or(f64::NAN);
    match figure {
        FigureOfMerit::Share => 100.0 * v,
        FigureOfMerit::MeanGap | FigureOfMerit::MaxGap | FigureOfMerit::FirstAccess => v / 60.0,
        FigureOfMerit::MeanInView | FigureOfMerit::MaxInView => v,
    }
}

fn axis_title(figure: FigureOfMerit, k: u32) -> String {
    let seen = if k == 1 { "seen by a satellite".to_string() } else { format!("seen by {k} satellites") };
    match figure {
        FigureOfMerit::Share => format!("Share of time {seen} (%)"),
        FigureOfMerit::MeanGap => format!("Mean gap, not {seen} (min)"),
        FigureOfMerit::MaxGap => format!("Longest gap, not {seen} (min)"),
        FigureOfMerit::MeanInView => "Mean satellites in view".into(),
        FigureOfMerit::MaxInView => "Most satellites in view".into(),
        FigureOfMerit::FirstAccess => format!("Time until first {seen} (min)"),
    }
}

fn coverage_map(
    config: &CoverageConfig,
    coverage: &Coverage,
    window_s: f64,
    coastline: Vec<super::plot::Polyline>,
    subtitle: &str,
) -> WorldMap {
    let cells = config
        .points
        .iter()
        .zip(&coverage.stats)
        .map(|(p, s)| FieldCell {
            lon_lo: p.lon_lo,
            lon_hi: p.lon_hi,
            lat_lo: p.lat_lo,
            lat_hi: p.lat_hi,
            value: shown(config.figure, s, window_s),
        })
        .collect();
    let range = (config.figure == FigureOfMerit::Share).then_some((0.0, 100.0));
    WorldMap {
        title: format!("Coverage: {}", axis_title(config.figure, config.k)),
        subtitle: subtitle.to_string(),
        coastline,
        field: Some(MapField { cells, label: axis_title(config.figure, config.k), range }),
        ..Default::default()
    }
}

/// One row of the grid: its points' area-weighted sum and weight, least and greatest value.
struct LatitudeRow {
    lat_deg: f64,
    weighted_sum: f64,
    weight: f64,
    least: f64,
    greatest: f64,
}

/// The figure of merit along each row of the grid: its area-weighted mean over longitude,
/// and its least and greatest value.
fn latitude_chart(config: &CoverageConfig, coverage: &Coverage, window_s: f64, subtitle: &str) -> LineChart {
    let mut rows: Vec<LatitudeRow> = Vec::new();
    for (p, s) in config.points.iter().zip(&coverage.stats) {
        let v = shown(config.figure, s, window_s);
        let w = p.area_share();
        match rows.last_mut() {
            Some(row) if row.lat_deg == p.lat_deg => {
                row.weighted_sum += w * v;
                row.weight += w;
                row.least = row.least.min(v);
                row.greatest = row.greatest.max(v);
            }
            _ => rows.push(LatitudeRow { lat_deg: p.lat_deg, weighted_sum: w * v, weight: w, least: v, greatest: v }),
        }
    }
    rows.sort_by(|a, b| a.lat_deg.total_cmp(&b.lat_deg));
    let series = |name: &str, f: &dyn Fn(&LatitudeRow) -> f64| {
        Series::new(name, SeriesKind::Line, rows.iter().map(|r| (r.lat_deg, f(r))).collect())
    };
    LineChart {
        title: format!("Coverage against latitude: {}", axis_title(config.figure, config.k)),
        subtitle: subtitle.to_string(),
        x_label: "Latitude (deg)".into(),
        y_label: axis_title(config.figure, config.k),
        series: vec![
            series("mean over longitude", &|r| r.weighted_sum / r.weight),
            series("least", &|r| r.least),
            series("greatest", &|r| r.greatest),
        ],
        x_range: Some((-90.0, 90.0)),
        ..Default::default()
    }
}
