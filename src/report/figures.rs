//! The figures orbsim draws from its own data: which chart shows what, with which labels.
//! The chart types themselves are in [`super::plot`].

use std::path::Path;

use super::plot::{
    Bar, Category, CdfChart, GroundTrack, LineChart, MapStation, PlotError, PlotFiles, RefLine, Rgb, Scale, Series,
    SeriesKind, Shading, Timeline, TimelineRow, WorldMap, load_coastline,
};
use crate::link::Site;
use crate::mission::MissionChart;
use crate::pipeline::{RateCurve, RunResult};
use crate::scenario::Scenario;
use crate::time::UtcTime;

/// Why a figure could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum FigureError {
    #[error(transparent)]
    Plot(#[from] PlotError),
    #[error("mission model `{0}`: figure name `{1}` is not a new plain file stem")]
    Name(&'static str, String),
}

/// Data rate against elevation for ground-link presets, seen from `site` by a satellite at
/// `altitude_km`: how much each band gains as a pass climbs. `curves` holds each preset's
/// name and its rates (bit/s) at `elevations`.
pub fn link_rates(
    site: &Site,
    site_name: &str,
    altitude_km: f64,
    elevations: &[f64],
    curves: &[(&str, Vec<u64>)],
    stem: &Path,
) -> Result<PlotFiles, FigureError> {
    let series = curves
        .iter()
        .map(|(name, rates)| {
            // Zero (no link) cannot sit on a log axis: leave a gap there.
            let points = elevations
                .iter()
                .zip(rates)
                .map(|(&el, &r)| (el, if r > 0 { r as f64 / 1e6 } else { f64::NAN }))
                .collect();
            Series::new(*name, SeriesKind::Step, points)
        })
        .collect();
    let chart = LineChart {
        title: "Data rate against elevation, link presets".into(),
        subtitle: format!(
            "satellite at {altitude_km:.0} km seen from {site_name} ({:.2}°, {:.2}°); ITU-R atmosphere at 99 % availability; DVB-S2 ACM where adaptive",
            site.lat_deg, site.lon_deg
        ),
        x_label: "Elevation (deg)".into(),
        y_label: "Information rate (Mbit/s)".into(),
        series,
        y_scale: Scale::Log,
        x_range: Some((0.0, 90.0)),
        y_range: Some((0.1, 20_000.0)),
        ..LineChart::default()
    };
    Ok(super::save_figure(&chart, stem)?.0)
}

/// A figure of a run: where its files are and its SVG, for the HTML report.
#[derive(Debug, Clone)]
pub struct RunFigure {
    /// File stem, e.g. `upload_progress`.
    pub name: String,
    pub title: String,
    pub files: PlotFiles,
    pub svg: String,
}

/// Longest span a timeline shows: beyond a couple of days passes are too thin to see.
const TIMELINE_SPAN_S: f64 = 2.0 * 86_400.0;
/// Satellites drawn individually in progress charts and on the map (the run computes
/// ground tracks for as many).
const MAX_DRAWN_SATELLITES: usize = crate::pipeline::DRAWN_SATELLITES;

/// Draws every figure the run's data supports into `dir` (PNG and SVG each).
pub fn run_figures(scenario: &Scenario, result: &RunResult, dir: &Path) -> Result<Vec<RunFigure>, FigureError> {
    let mut figures = Vec::new();
    let mut save = |name: &str, figure: &dyn SaveFigure| -> Result<(), FigureError> {
        let (files, svg, title) = figure.save_with_svg(&dir.join(name))?;
        figures.push(RunFigure { name: name.to_string(), title, files, svg });
        Ok(())
    };
    let targets = scenario.targets.iter().filter(|&&t| t).count();
    // Upload figures only for runs that upload (a preinstalled model needs none).
    if targets > 0 {
        save("pass_timeline", &pass_timeline(scenario, result))?;
        save("upload_progress", &upload_progress(scenario, result))?;
    }
    if targets > 1 {
        save("fleet_rollout", &fleet_rollout(scenario, result))?;
    }
    let coastline = load_coastline(&coastline_path())?;
    save("ground_tracks", &ground_tracks(scenario, result, coastline.clone()))?;
    if let Some(curve) = &result.views.uplink_rates {
        save("uplink_rate", &uplink_rate(scenario, curve))?;
    }
    if !result.views.clusters.is_empty() {
        save("cluster_separation", &cluster_separation(scenario, result))?;
        save("cluster_geometry", &cluster_geometry(scenario, result))?;
    }
    if let Some(inference) = &result.inference {
        save("inference_latency_cdf", &super::inference::latency_chart(scenario, inference))?;
        save("eclipse_timeline", &eclipse_timeline(scenario, &inference.eclipses))?;
    }
    if let Some(run) = result.contact_stats.as_ref().filter(|c| c.stats.satellites.len() > 1) {
        save("satellite_contact_cdf", &super::contacts::satellite_contact_chart(scenario, &run.stats))?;
    }
    for mission in &result.missions {
        for figure in &mission.figures {
            // A plain stem, so a model cannot write outside the run's folder or over a file.
            let stem = &figure.name;
            let plain = !stem.is_empty() && Path::new(stem).file_name().is_some_and(|n| n == stem.as_str());
            let taken = ["png", "svg"].iter().any(|ext| dir.join(format!("{stem}.{ext}")).exists());
            if !plain || taken {
                return Err(FigureError::Name(mission.name, stem.clone()));
            }
            match &figure.chart {
                MissionChart::Time(chart) => save(stem, chart)?,
                MissionChart::Line(chart) => save(stem, chart)?,
                MissionChart::Cdf(chart) => save(stem, chart)?,
                MissionChart::Map(map) if map.coastline.is_empty() => {
                    save(stem, &WorldMap { coastline: coastline.clone(), ..map.clone() })?
                }
                MissionChart::Map(map) => save(stem, map)?,
            }
        }
    }
    Ok(figures)
}

/// The bundled Natural Earth coastline.
pub fn coastline_path() -> std::path::PathBuf {
    let local = Path::new("data/geo/ne_110m_coastline.geojson");
    if local.exists() { local.to_path_buf() } else { Path::new(env!("CARGO_MANIFEST_DIR")).join(local) }
}

/// A chart that can be saved and also rendered to SVG for inlining.
trait SaveFigure {
    fn save_with_svg(&self, stem: &Path) -> Result<(PlotFiles, String, String), PlotError>;
}

macro_rules! save_figure {
    ($($ty:ty),*) => {$(
        impl SaveFigure for $ty {
            fn save_with_svg(&self, stem: &Path) -> Result<(PlotFiles, String, String), PlotError> {
                let (files, svg) = super::save_figure(self, stem)?;
                Ok((files, svg, self.title.clone()))
            }
        }
    )*};
}
save_figure!(LineChart<UtcTime>, LineChart<f64>, Timeline, WorldMap, CdfChart);

/// Passes per station (first two days) with the parts used by the upload.
fn pass_timeline(scenario: &Scenario, result: &RunResult) -> Timeline {
    // Up to two days, and no further than shortly after the rollout's last event.
    let last_event = result.upload.satellites.iter().filter_map(|s| s.deployed).max();
    let until = scenario
        .start
        .plus_seconds(TIMELINE_SPAN_S)
        .min(scenario.end)
        .min(last_event.map_or(scenario.end, |t| t.plus_seconds(t.seconds_since(scenario.start) * 0.2 + 1800.0)));
    let stations = scenario.stations.len();
    let mut in_view: Vec<Vec<(UtcTime, UtcTime)>> = vec![Vec::new(); stations];
    let mut uploading: Vec<Vec<(UtcTime, UtcTime)>> = vec![Vec::new(); stations];
    for p in result.plan.passes.iter().filter(|p| p.aos < until) {
        in_view[p.station].push((p.aos, p.los));
    }
    for s in result.upload.sessions.iter().filter(|s| s.start < until && s.bytes_sent > 0) {
        uploading[s.station as usize].push((s.start, s.end));
    }
    // With many satellites passes overlap: draw when any satellite is in view, and when
    // an antenna is uploading, as merged intervals.
    let mut rows: Vec<TimelineRow> = (0..stations)
        .map(|i| {
            let bars = union(&mut in_view[i])
                .into_iter()
                .map(|(a, b)| Bar::new(a, b, "satellite in view"))
                .chain(union(&mut uploading[i]).into_iter().map(|(a, b)| Bar::new(a, b, "uploading")))
                .collect();
            TimelineRow::new(&scenario.stations[i].name, bars)
        })
        .collect();
    // Busiest stations first, at most 30 rows.
    rows.sort_by_key(|r| std::cmp::Reverse(r.bars.len()));
    rows.truncate(30);
    rows.retain(|r| !r.bars.is_empty());
    Timeline {
        title: "Passes over the ground stations".into(),
        subtitle: format!(
            "{}: when any of its {} satellites is above a station's mask, and when the station is uploading",
            scenario.name,
            scenario.satellites.len()
        ),
        x_label: "Time".into(),
        rows,
        categories: vec![
            Category { name: "satellite in view".into(), colour: Some(Rgb(190, 205, 220)) },
            Category { name: "uploading".into(), colour: Some(Rgb(0, 114, 178)) },
        ],
        x_range: Some((scenario.start, until)),
    }
}

/// Sorts and merges overlapping intervals.
fn union(intervals: &mut [(UtcTime, UtcTime)]) -> Vec<(UtcTime, UtcTime)> {
    intervals.sort();
    let mut out: Vec<(UtcTime, UtcTime)> = Vec::new();
    for &(a, b) in intervals.iter() {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

/// Model bytes held on board against time, per satellite (up to eight) or for the fleet,
/// with the upload's passes shaded.
fn upload_progress(scenario: &Scenario, result: &RunResult) -> LineChart<UtcTime> {
    let model = &scenario.model;
    let gb = |chunks: u32| chunks as f64 * model.chunk_payload as f64 / 1e9;
    let targets: Vec<usize> = (0..scenario.satellites.len()).filter(|&i| scenario.targets[i]).collect();
    let end = result
        .upload
        .satellites
        .iter()
        .filter_map(|s| s.deployed)
        .max()
        .map_or(scenario.end, |t| t.plus_seconds(600.0).min(scenario.end));
    let mut series = Vec::new();
    for &i in targets.iter().take(MAX_DRAWN_SATELLITES) {
        let mut points = vec![(scenario.start, 0.0)];
        for s in result.upload.sessions.iter().filter(|s| s.satellite as usize == i) {
            points.push((s.end, gb(s.chunks_complete_after).min(model.transfer_bytes as f64 / 1e9)));
        }
        if let Some(last) = result.upload.satellites[i].last_chunk {
            points.push((last, model.transfer_bytes as f64 / 1e9));
        }
        points.sort_by_key(|p| p.0);
        series.push(Series::new(scenario.satellites[i].name.clone(), SeriesKind::Step, points));
    }
    let shading = vec![Shading {
        label: "upload pass".into(),
        intervals: result
            .upload
            .sessions
            .iter()
            .filter(|s| {
                s.bytes_sent > 0 && targets.iter().take(MAX_DRAWN_SATELLITES).any(|&i| i == s.satellite as usize)
            })
            .map(|s| (s.start, s.end))
            .collect(),
        colour: None,
    }];
    LineChart {
        title: "Upload progress".into(),
        subtitle: format!(
            "{} ({}) held on board{}",
            model.name,
            crate::units::Bytes(model.transfer_bytes),
            if targets.len() > MAX_DRAWN_SATELLITES {
                format!("; first {MAX_DRAWN_SATELLITES} of {} targets", targets.len())
            } else {
                String::new()
            }
        ),
        x_label: "Time".into(),
        y_label: "Model on board (GB)".into(),
        series,
        shading,
        ref_lines: vec![RefLine { y: model.transfer_bytes as f64 / 1e9, label: "whole model".into(), colour: None }],
        x_range: Some((scenario.start, end)),
        ..LineChart::default()
    }
}

/// Satellites holding and running the model against time.
fn fleet_rollout(scenario: &Scenario, result: &RunResult) -> LineChart<UtcTime> {
    let curve = super::summary::rollout_curve(&result.upload.satellites);
    let first = (scenario.start, 0.0);
    let holding = std::iter::once(first).chain(curve.iter().map(|&(t, h, _)| (t, h as f64))).collect();
    let deployed = std::iter::once(first).chain(curve.iter().map(|&(t, _, d)| (t, d as f64))).collect();
    let targets = scenario.targets.iter().filter(|&&t| t).count();
    let end = curve.last().map_or(scenario.end, |c| c.0.plus_seconds(600.0).min(scenario.end));
    LineChart {
        title: "Fleet rollout".into(),
        subtitle: format!(
            "{}: {} strategy, {targets} target satellites",
            scenario.name,
            scenario.rollout.strategy.name()
        ),
        x_label: "Time".into(),
        y_label: "Satellites".into(),
        series: vec![
            Series::new("holding the whole model", SeriesKind::Step, holding),
            Series::new("running it (deployed)", SeriesKind::Step, deployed),
        ],
        ref_lines: vec![RefLine { y: targets as f64, label: "all targets".into(), colour: None }],
        x_range: Some((scenario.start, end)),
        ..LineChart::default()
    }
}

/// How each formation cluster holds: its closest pair, farthest pair and radius against time.
fn cluster_separation(scenario: &Scenario, result: &RunResult) -> LineChart<UtcTime> {
    let clusters = &result.views.clusters;
    let mut series = Vec::new();
    for c in clusters {
        let name = |what: &str| if clusters.len() == 1 { what.to_string() } else { format!("{}: {what}", c.name) };
        let line = |value: fn(&crate::orbit::cluster::HoldSample) -> f64| {
            c.hold.samples.iter().map(|s| (s.time, value(s))).collect()
        };
        series.push(Series::new(name("closest pair"), SeriesKind::Line, line(|s| s.min_separation_m)));
        series.push(Series::new(name("radius about the centroid"), SeriesKind::Line, line(|s| s.radius_m)));
        series.push(Series::new(name("farthest pair"), SeriesKind::Line, line(|s| s.max_separation_m)));
    }
    LineChart {
        title: "Formation cluster separations".into(),
        subtitle: format!("{}: SGP4, every {:.0} s", scenario.name, crate::pipeline::CLUSTER_SAMPLE_S),
        x_label: "Time".into(),
        y_label: "Distance (m)".into(),
        series,
        x_range: Some((scenario.start, scenario.end)),
        ..LineChart::default()
    }
}

/// Each cluster as seen from its centroid at the window's start: radial and orbit-normal
/// offsets against the along-track one, in the centroid's local orbital frame.
fn cluster_geometry(scenario: &Scenario, result: &RunResult) -> LineChart<f64> {
    let clusters = &result.views.clusters;
    let mut series = Vec::new();
    for c in clusters {
        let name = |what: &str| if clusters.len() == 1 { what.to_string() } else { format!("{}: {what}", c.name) };
        let against_along = |axis: usize| c.offsets_at_start_m.iter().map(|o| (o[1], o[axis])).collect();
        series.push(Series::new(name("radial"), SeriesKind::Points, against_along(0)));
        series.push(Series::new(name("orbit normal"), SeriesKind::Points, against_along(2)));
    }
    LineChart {
        title: "Formation cluster geometry in the orbital frame".into(),
        subtitle: format!("{} at {}: offsets from the centroid (SGP4)", scenario.name, scenario.start.iso_millis()),
        x_label: "Along-track offset (m)".into(),
        y_label: "Radial or orbit-normal offset (m)".into(),
        series,
        ..LineChart::default()
    }
}

/// Ground tracks of up to eight target satellites over their first orbit, and the stations.
fn ground_tracks(scenario: &Scenario, result: &RunResult, coastline: Vec<crate::report::plot::Polyline>) -> WorldMap {
    let tracks = result
        .views
        .ground_tracks
        .iter()
        .map(|(i, points)| GroundTrack {
            name: scenario.satellites[*i].name.clone(),
            points: points.clone(),
            colour: None,
        })
        .collect();
    WorldMap {
        title: "Ground tracks and stations".into(),
        subtitle: format!("first orbit from {}", scenario.start.iso_millis()),
        coastline,
        tracks,
        stations: scenario
            .stations
            .iter()
            .map(|s| MapStation { name: s.name.clone(), lon_deg: s.site.lon_deg, lat_deg: s.site.lat_deg })
            .collect(),
        ..WorldMap::default()
    }
}

/// The uplink's rate against elevation, as the run computed it.
fn uplink_rate(scenario: &Scenario, curve: &RateCurve) -> LineChart<f64> {
    let points = curve.points.iter().map(|&(e, r)| (e, r as f64 / 1e6)).collect();
    LineChart {
        title: "Uplink rate against elevation".into(),
        subtitle: format!(
            "{} from {}, satellite at {:.0} km",
            scenario.uplink.name, scenario.stations[curve.station].name, curve.altitude_km
        ),
        x_label: "Elevation (deg)".into(),
        y_label: "Information rate (Mbit/s)".into(),
        series: vec![Series::new(scenario.uplink.name.clone(), SeriesKind::Step, points)],
        x_range: Some((0.0, 90.0)),
        ..LineChart::default()
    }
}

/// Umbra and penumbra of up to eight serving satellites over the first day.
fn eclipse_timeline(scenario: &Scenario, eclipses: &[Vec<crate::access::eclipse::EclipseInterval>]) -> Timeline {
    let until = scenario.start.plus_seconds(86_400.0).min(scenario.end);
    let rows = eclipses
        .iter()
        .enumerate()
        .filter(|(_, e)| !e.is_empty())
        .take(MAX_DRAWN_SATELLITES)
        .map(|(i, intervals)| {
            let mut bars = Vec::new();
            for e in intervals.iter().filter(|e| e.start < until) {
                bars.push(Bar::new(e.start, e.end, "penumbra"));
                if let (Some(a), Some(b)) = (e.umbra_start, e.umbra_end) {
                    bars.push(Bar::new(a, b, "umbra"));
                }
            }
            TimelineRow::new(&scenario.satellites[i].name, bars)
        })
        .collect();
    Timeline {
        title: "Eclipses".into(),
        subtitle: "Earth's shadow (conical, with penumbra) over the first day".into(),
        x_label: "Time".into(),
        rows,
        categories: vec![
            Category { name: "penumbra".into(), colour: Some(Rgb(170, 170, 170)) },
            Category { name: "umbra".into(), colour: Some(Rgb(40, 40, 40)) },
        ],
        x_range: Some((scenario.start, until)),
    }
}
