//! Ground stations: where they are, what they can see over (elevation masks), and how
//! they are read from CSV or GeoJSON files.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::frames::{Geodetic, Topocentric};
use crate::units::{check_range, quoted};

/// Minimum elevation as a function of azimuth: points `(azimuth_deg, elevation_deg)`,
/// linearly interpolated and wrapping round north. A terrain or building profile.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "Vec<[f64; 2]>")]
pub struct AzimuthMask {
    points: Vec<(f64, f64)>,
}

impl TryFrom<Vec<[f64; 2]>> for AzimuthMask {
    type Error = String;
    fn try_from(points: Vec<[f64; 2]>) -> Result<Self, String> {
        AzimuthMask::new(points.into_iter().map(|[a, e]| (a, e)).collect())
    }
}

impl AzimuthMask {
    pub fn new(mut points: Vec<(f64, f64)>) -> Result<Self, String> {
        if points.is_empty() {
            return Err("an azimuth mask needs at least one (azimuth, elevation) point".into());
        }
        for &(az, el) in &points {
            if !(0.0..=360.0).contains(&az) {
                return Err(format!("mask azimuth {az} is outside 0–360°"));
            }
            if !(-5.0..=90.0).contains(&el) {
                return Err(format!("mask elevation {el} is outside −5…90°"));
            }
        }
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        Ok(AzimuthMask { points })
    }

    /// Parses `az:el az:el …` (also `;`- or `|`-separated), as station CSV files carry it.
    pub fn parse(text: &str) -> Result<Self, String> {
        let points = text
            .split([' ', ';', '|'])
            .filter(|p| !p.trim().is_empty())
            .map(|pair| {
                let (a, e) =
                    pair.split_once(':').ok_or_else(|| format!("{} is not azimuth:elevation", quoted(pair)))?;
                let a: f64 = a.trim().parse().map_err(|_| format!("{} is not a number", quoted(a)))?;
                let e: f64 = e.trim().parse().map_err(|_| format!("{} is not a number", quoted(e)))?;
                Ok((a, e))
            })
            .collect::<Result<Vec<_>, String>>()?;
        AzimuthMask::new(points)
    }

    pub fn min_elevation_at(&self, azimuth_deg: f64) -> f64 {
        let p = &self.points;
        if p.len() == 1 {
            return p[0].1;
        }
        let az = azimuth_deg.rem_euclid(360.0);
        let upper = p.partition_point(|q| q.0 <= az);
        let (a, b) = if upper == 0 || upper == p.len() {
            // Between the last point and the first, across north.
            let last = p[p.len() - 1];
            let first = p[0];
            (last, (first.0 + 360.0, first.1))
        } else {
            (p[upper - 1], p[upper])
        };
        let az = if az < a.0 { az + 360.0 } else { az };
        if b.0 - a.0 < 1e-12 {
            return a.1.max(b.1);
        }
        a.1 + (b.1 - a.1) * (az - a.0) / (b.0 - a.0)
    }

    /// The lowest elevation anywhere on the mask: what a pass must clear to be possible.
    pub fn lowest(&self) -> f64 {
        self.points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min)
    }
}

/// A ground station.
#[derive(Debug, Clone, PartialEq)]
pub struct GroundStation {
    pub name: String,
    pub site: Geodetic,
    /// Elevation mask, degrees (used where no azimuth mask is given).
    pub min_elevation_deg: f64,
    pub azimuth_mask: Option<AzimuthMask>,
}

impl GroundStation {
    pub fn topocentric(&self) -> Topocentric {
        Topocentric::new(&self.site)
    }

    /// Minimum elevation in the direction of `azimuth_deg`.
    pub fn mask_at(&self, azimuth_deg: f64) -> f64 {
        match &self.azimuth_mask {
            Some(mask) => mask.min_elevation_at(azimuth_deg),
            None => self.min_elevation_deg,
        }
    }

    /// The lowest elevation any pass must reach to be seen.
    pub fn lowest_mask_deg(&self) -> f64 {
        match &self.azimuth_mask {
            Some(mask) => mask.lowest(),
            None => self.min_elevation_deg,
        }
    }
}

/// Errors reading or validating stations.
#[derive(Debug, thiserror::Error)]
pub enum StationError {
    #[error("{path}: cannot read: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}:{line}: {reason}")]
    Bad { path: PathBuf, line: usize, reason: String },
    #[error("{path}: {reason}")]
    BadFile { path: PathBuf, reason: String },
    #[error("{path}: no station name contains {}", quoted(filter))]
    NoMatch { path: PathBuf, filter: String },
}

/// Highest station accepted, m: the ITU-R surface models behind the link budget's atmosphere
/// (`link::climate`) hold up to 8 km, so a higher "station" would pass here and fail there.
pub const MAX_STATION_ALT_M: f64 = 8_000.0;

/// Checks a site's coordinates; the message names the offending field.
pub fn validate_site(lat_deg: f64, lon_deg: f64, alt_m: f64) -> Result<(), String> {
    check_range(lat_deg, -90.0..=90.0, "°").map_err(|m| format!("lat_deg: {m}"))?;
    check_range(lon_deg, -180.0..=360.0, "°").map_err(|m| format!("lon_deg: {m}"))?;
    check_range(alt_m, -500.0..=MAX_STATION_ALT_M, " m (the atmosphere model holds up to 8 km)")
        .map_err(|m| format!("alt_m: {m}"))?;
    Ok(())
}

fn check_mask(min_elevation_deg: f64) -> Result<(), String> {
    check_range(min_elevation_deg, -5.0..=89.0, "°").map_err(|m| format!("min_elevation_deg: {m}"))?;
    Ok(())
}

/// A station as read, before names are made unique.
struct RawStation {
    station: GroundStation,
    provider: Option<String>,
}

/// Reads stations from a CSV file (`name,lat_deg,lon_deg[,alt_m][,min_elevation_deg][,azimuth_mask]`;
/// other columns are ignored; `lat`/`latitude`, `lon`/`lng`/`longitude` and `alt`/`altitude_m`
/// are accepted too) or a GeoJSON FeatureCollection of points (`[lon, lat(, alt_m)]`, name in
/// `properties.name`). Stations without their own mask get `default_mask_deg`. Names
/// repeated within the file (the same site offered by two providers) are qualified with
/// the provider, or numbered, so every output row names one station.
pub fn load_stations(path: &Path, default_mask_deg: f64) -> Result<Vec<GroundStation>, StationError> {
    let text =
        crate::input::read_to_string(path).map_err(|source| StationError::Io { path: path.to_path_buf(), source })?;
    let file_err = |reason: String| StationError::BadFile { path: path.to_path_buf(), reason };
    check_mask(default_mask_deg).map_err(file_err)?;
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    let raw = if trimmed.starts_with('{') || trimmed.starts_with('[') {
        parse_geojson(trimmed, default_mask_deg, path)?
    } else {
        parse_csv(trimmed, default_mask_deg, path)?
    };
    if raw.is_empty() {
        return Err(file_err("no stations in the file".into()));
    }
    Ok(unique_names(raw))
}

/// Keeps stations whose name contains any of the filters (case-insensitive); every filter
/// must match at least one station.
pub fn filter_stations(
    stations: Vec<GroundStation>,
    filters: &[String],
    path: &Path,
) -> Result<Vec<GroundStation>, StationError> {
    if filters.is_empty() {
        return Ok(stations);
    }
    let lowered: Vec<String> = filters.iter().map(|f| f.to_lowercase()).collect();
    for (filter, low) in filters.iter().zip(&lowered) {
        if !stations.iter().any(|s| s.name.to_lowercase().contains(low.as_str())) {
            return Err(StationError::NoMatch { path: path.to_path_buf(), filter: filter.clone() });
        }
    }
    Ok(stations.into_iter().filter(|s| lowered.iter().any(|f| s.name.to_lowercase().contains(f.as_str()))).collect())
}

fn unique_names(raw: Vec<RawStation>) -> Vec<GroundStation> {
    use std::collections::HashMap;
    let mut counts: HashMap<String, usize> = HashMap::new();
    for r in &raw {
        *counts.entry(r.station.name.clone()).or_default() += 1;
    }
    let mut qualified: Vec<GroundStation> = raw
        .into_iter()
        .map(|mut r| {
            if counts[&r.station.name] > 1
                && let Some(provider) = r.provider.filter(|p| !p.is_empty())
            {
                r.station.name = format!("{} ({provider})", r.station.name);
            }
            r.station
        })
        .collect();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for s in &mut qualified {
        let n = seen.entry(s.name.clone()).or_default();
        *n += 1;
        if *n > 1 {
            s.name = format!("{} #{}", s.name, n);
        }
    }
    qualified
}

fn parse_csv(text: &str, default_mask: f64, path: &Path) -> Result<Vec<RawStation>, StationError> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| StationError::BadFile { path: path.to_path_buf(), reason: format!("unreadable header: {e}") })?
        .clone();
    let find = |names: &[&str]| headers.iter().position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)));
    let missing = |what: &str| StationError::Bad {
        path: path.to_path_buf(),
        line: 1,
        reason: format!("missing column `{what}` (the header must have name, lat_deg, lon_deg, optionally alt_m)"),
    };
    let name_col = find(&["name"]).ok_or_else(|| missing("name"))?;
    let lat_col = find(&["lat_deg", "lat", "latitude"]).ok_or_else(|| missing("lat_deg"))?;
    let lon_col = find(&["lon_deg", "lon", "lng", "longitude"]).ok_or_else(|| missing("lon_deg"))?;
    let alt_col = find(&["alt_m", "altitude_m", "alt"]);
    let mask_col = find(&["min_elevation_deg", "min_horizon"]);
    let az_mask_col = find(&["azimuth_mask"]);
    let provider_col = find(&["provider", "network"]);
    let mut out = Vec::new();
    for row in reader.records() {
        let row = row.map_err(|e| StationError::Bad {
            path: path.to_path_buf(),
            line: e.position().map_or(0, |p| p.line() as usize),
            reason: format!("unreadable row: {e}"),
        })?;
        let line = row.position().map_or(0, |p| p.line() as usize);
        let bad = |reason: String| StationError::Bad { path: path.to_path_buf(), line, reason };
        let cell = |col: usize| row.get(col).unwrap_or("");
        let number = |col: usize, what: &str| -> Result<f64, StationError> {
            let text = cell(col);
            text.parse::<f64>().map_err(|_| {
                bad(if text.is_empty() {
                    format!("{what}: missing value")
                } else {
                    format!("{what}: {} is not a number", quoted(text))
                })
            })
        };
        let name = cell(name_col).to_string();
        if name.is_empty() {
            return Err(bad("name: missing value".into()));
        }
        let lat = number(lat_col, "lat_deg")?;
        let lon = number(lon_col, "lon_deg")?;
        let alt_m = match alt_col {
            Some(c) if !cell(c).is_empty() => number(c, "alt_m")?,
            _ => 0.0,
        };
        validate_site(lat, lon, alt_m).map_err(&bad)?;
        let min_elevation_deg = match mask_col {
            Some(c) if !cell(c).is_empty() => number(c, "min_elevation_deg")?,
            _ => default_mask,
        };
        check_mask(min_elevation_deg).map_err(&bad)?;
        let azimuth_mask = match az_mask_col {
            Some(c) if !cell(c).is_empty() => {
                Some(AzimuthMask::parse(cell(c)).map_err(|e| bad(format!("azimuth_mask: {e}")))?)
            }
            _ => None,
        };
        out.push(RawStation {
            station: GroundStation {
                name,
                site: Geodetic { lat_deg: lat, lon_deg: lon, alt_km: alt_m / 1000.0 },
                min_elevation_deg,
                azimuth_mask,
            },
            provider: provider_col.map(|c| cell(c).to_string()),
        });
    }
    Ok(out)
}

fn parse_geojson(text: &str, default_mask: f64, path: &Path) -> Result<Vec<RawStation>, StationError> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| StationError::Bad {
        path: path.to_path_buf(),
        line: e.line(),
        reason: format!("invalid JSON: {e}"),
    })?;
    let file_err = |reason: String| StationError::BadFile { path: path.to_path_buf(), reason };
    let features = value
        .get("features")
        .and_then(|f| f.as_array())
        .ok_or_else(|| file_err("expected a GeoJSON FeatureCollection with a `features` array".into()))?;
    let mut out = Vec::new();
    for (i, feature) in features.iter().enumerate() {
        let at = |reason: String| file_err(format!("feature {}: {reason}", i + 1));
        let props = feature.get("properties");
        let name = props
            .and_then(|p| p.get("name"))
            .and_then(|n| n.as_str())
            .filter(|n| !n.trim().is_empty())
            .ok_or_else(|| at("properties.name is missing".into()))?
            .trim()
            .to_string();
        let at = |reason: String| file_err(format!("feature {} ({}): {reason}", i + 1, quoted(&name)));
        let geometry = feature.get("geometry").ok_or_else(|| at("no geometry".into()))?;
        if geometry.get("type").and_then(|t| t.as_str()) != Some("Point") {
            return Err(at("geometry is not a Point".into()));
        }
        let coords: Vec<f64> = geometry
            .get("coordinates")
            .and_then(|c| c.as_array())
            .map(|c| c.iter().filter_map(|v| v.as_f64()).collect())
            .unwrap_or_default();
        if coords.len() < 2 {
            return Err(at("coordinates must be [lon, lat] or [lon, lat, alt_m]".into()));
        }
        let (lon, lat, alt_m) = (coords[0], coords[1], coords.get(2).copied().unwrap_or(0.0));
        validate_site(lat, lon, alt_m).map_err(&at)?;
        let min_elevation_deg = props
            .and_then(|p| p.get("min_elevation_deg").or_else(|| p.get("el_min_deg")))
            .and_then(|v| v.as_f64())
            .unwrap_or(default_mask);
        check_mask(min_elevation_deg).map_err(&at)?;
        let provider = props.and_then(|p| p.get("provider")).and_then(|v| v.as_str()).map(str::to_string);
        out.push(RawStation {
            station: GroundStation {
                name,
                site: Geodetic { lat_deg: lat, lon_deg: lon, alt_km: alt_m / 1000.0 },
                min_elevation_deg,
                azimuth_mask: None,
            },
            provider,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn azimuth_mask_interpolates_and_wraps() {
        let mask = AzimuthMask::parse("0:10 90:20 180:10 270:0").unwrap();
        assert_eq!(mask.min_elevation_at(45.0), 15.0);
        assert_eq!(mask.min_elevation_at(315.0), 5.0);
        assert_eq!(mask.min_elevation_at(360.0), 10.0);
        assert_eq!(mask.lowest(), 0.0);
        assert!(AzimuthMask::parse("0:10 400:5").is_err());
    }

    #[test]
    fn unique_names_use_provider_then_number() {
        let st = |name: &str, provider: Option<&str>| RawStation {
            station: GroundStation {
                name: name.into(),
                site: Geodetic { lat_deg: 0.0, lon_deg: 0.0, alt_km: 0.0 },
                min_elevation_deg: 10.0,
                azimuth_mask: None,
            },
            provider: provider.map(str::to_string),
        };
        let names: Vec<String> =
            unique_names(vec![st("Svalbard", Some("KSAT")), st("Svalbard", Some("SSC")), st("X", None), st("X", None)])
                .into_iter()
                .map(|s| s.name)
                .collect();
        assert_eq!(names, ["Svalbard (KSAT)", "Svalbard (SSC)", "X", "X #2"]);
    }
}
