//! The figures orbsim draws from its own data: which chart shows what, with which labels.
//! The chart types themselves are in [`super::plot`].

use std::path::Path;

use super::plot::{LineChart, PlotError, PlotFiles, Scale, Series, SeriesKind, line_chart};
use crate::link::{LinkError, PRESET_NAMES, Site, preset_rate_vs_elevation};

/// Why a figure could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum FigureError {
    #[error(transparent)]
    Plot(#[from] PlotError),
    #[error(transparent)]
    Link(#[from] LinkError),
}

/// Data rate against elevation for every ground-link preset, seen from `site` by a
/// satellite at `altitude_km`: how much each band gains as a pass climbs.
pub fn link_rates(site: &Site, site_name: &str, altitude_km: f64, stem: &Path) -> Result<PlotFiles, FigureError> {
    let elevations: Vec<f64> = (0..=180).map(|k| k as f64 * 0.5).collect();
    let mut series = Vec::new();
    for name in PRESET_NAMES.iter().filter(|n| !n.contains("isl")) {
        let rates = preset_rate_vs_elevation(name, Some(site), altitude_km, &elevations)?;
        // Zero (no link) cannot sit on a log axis: leave a gap there.
        let points =
            elevations.iter().zip(rates).map(|(&el, r)| (el, if r > 0 { r as f64 / 1e6 } else { f64::NAN })).collect();
        series.push(Series::new(*name, SeriesKind::Step, points));
    }
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
    Ok(line_chart(&chart, stem)?)
}
