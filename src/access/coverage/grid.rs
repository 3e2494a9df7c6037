//! The `[coverage]` section of a scenario and the grid of points it describes.
//!
//! Grids are laid out over the whole globe and then cut to the region (a bounding box or a
//! GeoJSON polygon), so a region's points sit exactly where the global grid's would.
//!
//! * `lat-lon`: a point at the centre of every `spacing_deg` × `spacing_deg` cell. Cells
//!   shrink towards the poles, so averages over points weight each by its cell's area.
//! * `equal-area`: latitude bands `spacing_deg` high, each cut into as many longitude cells
//!   as make their area that of a `spacing_deg` square at the equator (at least one): a
//!   global 2° grid holds about 10,300 points instead of 16,200.
//!
//! The spacing is adjusted so that bands and cells tile the globe exactly (180° / bands,
//! 360° / cells); the cell each point stands for is kept, for maps and area weights.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::units::{Duration, check_range};

/// Most points a coverage grid may hold (a 0.2° global grid is about 1.03 million).
pub const MAX_POINTS: usize = 1_000_000;

fn default_spacing() -> f64 {
    2.0
}
fn default_k() -> u32 {
    1
}
fn default_band() -> f64 {
    10.0
}

/// The `[coverage]` section as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoverageSpec {
    #[serde(default)]
    pub grid: GridKind,
    /// Grid spacing, degrees of latitude (and of longitude at the equator).
    #[serde(default = "default_spacing")]
    pub spacing_deg: f64,
    /// Keep only points inside this box (default: the whole globe).
    pub bbox: Option<BoundingBox>,
    /// Keep only points inside this GeoJSON Polygon or MultiPolygon (relative to the
    /// scenario file).
    pub polygon: Option<PathBuf>,
    /// Elevation mask at every point, degrees (default: the scenario's station mask).
    pub min_elevation_deg: Option<f64>,
    /// A point counts as covered while at least this many satellites see it.
    #[serde(default = "default_k")]
    pub k: u32,
    /// What the map is coloured by.
    #[serde(default)]
    pub figure: FigureOfMerit,
    /// Height of the latitude bands of the summary, degrees.
    #[serde(default = "default_band")]
    pub band_deg: f64,
    /// Analyse only the first part of the scenario's window.
    pub duration: Option<Duration>,
}

impl Default for CoverageSpec {
    fn default() -> Self {
        toml::from_str("").expect("every coverage field has a default")
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GridKind {
    #[default]
    EqualArea,
    LatLon,
}

/// A latitude/longitude box, degrees. Longitudes may run past 180° (170 to 200 spans the
/// antimeridian).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoundingBox {
    pub lat_min: f64,
    pub lat_max: f64,
    pub lon_min: f64,
    pub lon_max: f64,
}

/// A per-point statistic to colour the map by and plot against latitude.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FigureOfMerit {
    /// Share of the time seen by at least k satellites.
    #[default]
    Share,
    MeanGap,
    MaxGap,
    MeanInView,
    MaxInView,
    FirstAccess,
}

impl FigureOfMerit {
    /// The column of `coverage_points.csv` holding it.
    pub fn column(self) -> &'static str {
        match self {
            FigureOfMerit::Share => "share_covered",
            FigureOfMerit::MeanGap => "mean_gap_s",
            FigureOfMerit::MaxGap => "max_gap_s",
            FigureOfMerit::MeanInView => "mean_in_view",
            FigureOfMerit::MaxInView => "max_in_view",
            FigureOfMerit::FirstAccess => "first_access_s",
        }
    }
}

/// One point of the grid and the cell it stands for, degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GridPoint {
    pub lat_deg: f64,
    pub lon_deg: f64,
    pub lat_lo: f64,
    pub lat_hi: f64,
    pub lon_lo: f64,
    pub lon_hi: f64,
}

impl GridPoint {
    /// The cell's share of the Earth's surface (on a sphere).
    pub fn area_share(&self) -> f64 {
        let band = self.lat_hi.to_radians().sin() - self.lat_lo.to_radians().sin();
        band * (self.lon_hi - self.lon_lo) / 720.0
    }
}

/// The validated section.
#[derive(Debug, Clone)]
pub struct CoverageConfig {
    pub points: Vec<GridPoint>,
    pub min_elevation_deg: f64,
    pub k: u32,
    pub figure: FigureOfMerit,
    pub band_deg: f64,
    /// The window to analyse, nanoseconds (None: the scenario's).
    pub duration_ns: Option<i64>,
    /// One line naming the grid and region, for captions.
    pub description: String,
}

/// Validates the section. `scenario` anchors the polygon's path; `default_mask_deg` is the
/// scenario's station mask. Errors name the field (`coverage.…`) and what is wrong.
pub fn validate(spec: &CoverageSpec, scenario: &Path, default_mask_deg: f64) -> Result<CoverageConfig, String> {
    let s = spec.spacing_deg;
    if s.is_nan() || s <= 0.0 {
        return Err(format!("coverage.spacing_deg: {s} must be greater than 0"));
    }
    check_range(s, 0.0..=90.0, "°").map_err(|m| format!("coverage.spacing_deg: {m}"))?;
    if spec.k < 1 {
        return Err("coverage.k: must be at least 1 (the number of satellites a point needs in view)".into());
    }
    if spec.band_deg.is_nan() || spec.band_deg <= 0.0 {
        return Err(format!("coverage.band_deg: {} must be greater than 0", spec.band_deg));
    }
    check_range(spec.band_deg, 0.0..=180.0, "°").map_err(|m| format!("coverage.band_deg: {m}"))?;
    let mask = spec.min_elevation_deg.unwrap_or(default_mask_deg);
    check_range(mask, -5.0..=89.0, "°").map_err(|m| format!("coverage.min_elevation_deg: {m}"))?;
    if let Some(d) = spec.duration
        && d.0 <= 0
    {
        return Err("coverage.duration: must be longer than zero".into());
    }
    if spec.bbox.is_some() && spec.polygon.is_some() {
        return Err("coverage.polygon: give a bounding box or a polygon, not both".into());
    }
    let estimate = match spec.grid {
        GridKind::LatLon => (180.0 / s).round().max(1.0) * (360.0 / s).round().max(1.0),
        GridKind::EqualArea => 4.0 * std::f64::consts::PI * (180.0 / std::f64::consts::PI / s).powi(2),
    };
    if estimate > 1.2 * MAX_POINTS as f64 {
        return Err(format!(
            "coverage.spacing_deg: {s}° makes about {estimate:.0} points; at most {MAX_POINTS} fit one analysis"
        ));
    }
    let (region, inside): (String, Box<dyn Fn(f64, f64) -> bool>) = match (&spec.bbox, &spec.polygon) {
        (Some(b), _) => {
            check_bbox(b)?;
            let b = *b;
            (
                format!("box {}..{}° N, {}..{}° E", b.lat_min, b.lat_max, b.lon_min, b.lon_max),
                Box::new(move |lat, lon| {
                    let lon = b.lon_min + (lon - b.lon_min).rem_euclid(360.0);
                    (b.lat_min..=b.lat_max).contains(&lat) && lon <= b.lon_max
                }),
            )
        }
        (None, Some(file)) => {
            let path =
                if file.is_absolute() { file.clone() } else { scenario.parent().unwrap_or(Path::new(".")).join(file) };
            let rings = load_polygon(&path).map_err(|m| format!("coverage.polygon: {}: {m}", path.display()))?;
            let name = path.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            (format!("polygon {name}"), Box::new(move |lat, lon| inside_rings(&rings, lat, lon)))
        }
        (None, None) => ("global".into(), Box::new(|_, _| true)),
    };
    let points: Vec<GridPoint> =
        global_grid(spec.grid, s).into_iter().filter(|p| inside(p.lat_deg, p.lon_deg)).collect();
    if points.is_empty() {
        return Err(format!(
            "coverage: the region ({region}) holds no point of the {s}° grid: make spacing_deg smaller"
        ));
    }
    let kind = match spec.grid {
        GridKind::EqualArea => "equal-area",
        GridKind::LatLon => "lat-lon",
    };
    Ok(CoverageConfig {
        description: format!("{} points, {kind} {s}° grid, {region}, mask {mask}°, k = {}", points.len(), spec.k),
        points,
        min_elevation_deg: mask,
        k: spec.k,
        figure: spec.figure,
        band_deg: spec.band_deg,
        duration_ns: spec.duration.map(|d| d.0),
    })
}

fn check_bbox(b: &BoundingBox) -> Result<(), String> {
    for (field, v, range) in [
        ("lat_min", b.lat_min, -90.0..=90.0),
        ("lat_max", b.lat_max, -90.0..=90.0),
        ("lon_min", b.lon_min, -180.0..=360.0),
        ("lon_max", b.lon_max, -180.0..=360.0),
    ] {
        check_range(v, range, "°").map_err(|m| format!("coverage.bbox.{field}: {m}"))?;
    }
    if b.lat_min >= b.lat_max {
        return Err(format!("coverage.bbox: lat_min {} must be below lat_max {}", b.lat_min, b.lat_max));
    }
    if b.lon_min >= b.lon_max || b.lon_max - b.lon_min > 360.0 {
        return Err(format!(
            "coverage.bbox: lon_min {} must be below lon_max {}, at most 360° apart",
            b.lon_min, b.lon_max
        ));
    }
    Ok(())
}

/// Every point of the global grid, band by band from the south, west to east in a band.
pub fn global_grid(kind: GridKind, spacing_deg: f64) -> Vec<GridPoint> {
    let bands = (180.0 / spacing_deg).round().max(1.0) as usize;
    let height = 180.0 / bands as f64;
    let mut points = Vec::new();
    for b in 0..bands {
        let lat_lo = -90.0 + b as f64 * height;
        let lat_hi = lat_lo + height;
        let cells = match kind {
            GridKind::LatLon => (360.0 / spacing_deg).round().max(1.0) as usize,
            GridKind::EqualArea => {
                let band_area = lat_hi.to_radians().sin() - lat_lo.to_radians().sin();
                let cell_area = spacing_deg.to_radians() * spacing_deg.to_radians();
                (band_area * std::f64::consts::TAU / cell_area).round().max(1.0) as usize
            }
        };
        let width = 360.0 / cells as f64;
        for c in 0..cells {
            let lon_lo = -180.0 + c as f64 * width;
            points.push(GridPoint {
                lat_deg: 0.5 * (lat_lo + lat_hi),
                lon_deg: lon_lo + 0.5 * width,
                lat_lo,
                lat_hi,
                lon_lo,
                lon_hi: lon_lo + width,
            });
        }
    }
    points
}

/// A closed ring of (longitude, latitude) vertices, degrees (last vertex = first).
type Ring = Vec<(f64, f64)>;

/// The rings (outer boundaries and holes) of every Polygon and MultiPolygon in a GeoJSON
/// file (a FeatureCollection, a Feature or a bare geometry).
fn load_polygon(path: &Path) -> Result<Vec<Ring>, String> {
    let text = crate::input::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
    let doc: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("not JSON: {e}"))?;
    let mut geometries = Vec::new();
    match doc.get("type").and_then(|t| t.as_str()) {
        Some("FeatureCollection") => {
            let features = doc.get("features").and_then(|f| f.as_array()).ok_or("no `features` array")?;
            geometries.extend(features.iter().filter_map(|f| f.get("geometry")));
        }
        Some("Feature") => geometries.extend(doc.get("geometry")),
        Some(_) => geometries.push(&doc),
        None => return Err("no `type` at the top level: not GeoJSON".into()),
    }
    let mut rings = Vec::new();
    for (g, geometry) in geometries.iter().enumerate() {
        let polygons = match geometry.get("type").and_then(|t| t.as_str()) {
            Some("Polygon") => vec![geometry.get("coordinates")],
            Some("MultiPolygon") => match geometry.get("coordinates").and_then(|c| c.as_array()) {
                Some(list) => list.iter().map(Some).collect(),
                None => vec![None],
            },
            Some(other) => return Err(format!("geometry {g} is a {other}, not a Polygon or MultiPolygon")),
            None => return Err(format!("geometry {g} has no `type`")),
        };
        for (p, polygon) in polygons.into_iter().enumerate() {
            let polygon_rings = polygon
                .and_then(|c| c.as_array())
                .ok_or_else(|| format!("geometry {g}, polygon {p}: `coordinates` is not a list of rings"))?;
            for (r, ring) in polygon_rings.iter().enumerate() {
                let at = format!("geometry {g}, polygon {p}, ring {r}");
                rings.push(parse_ring(ring).map_err(|m| format!("{at}: {m}"))?);
            }
        }
    }
    if rings.is_empty() {
        return Err("holds no Polygon or MultiPolygon".into());
    }
    Ok(rings)
}

fn parse_ring(ring: &serde_json::Value) -> Result<Ring, String> {
    let positions = ring.as_array().ok_or("not a list of positions")?;
    let mut vertices = Vec::with_capacity(positions.len());
    for p in positions {
        match (p.get(0).and_then(|x| x.as_f64()), p.get(1).and_then(|x| x.as_f64())) {
            (Some(lon), Some(lat)) if lon.is_finite() && (-90.0..=90.0).contains(&lat) => vertices.push((lon, lat)),
            _ => return Err(format!("position {p} is not [longitude, latitude] in degrees")),
        }
    }
    if vertices.len() < 4 {
        return Err(format!("{} positions; a ring needs at least 4 (the last repeating the first)", vertices.len()));
    }
    let (first, last) = (vertices[0], vertices[vertices.len() - 1]);
    if first != last {
        return Err(format!(
            "does not close: it starts at [{}, {}] and ends at [{}, {}] (GeoJSON rings repeat the first position)",
            first.0, first.1, last.0, last.1
        ));
    }
    Ok(vertices)
}

/// Even-odd rule over all rings (holes included), on the longitude-latitude plane.
fn inside_rings(rings: &[Ring], lat: f64, lon: f64) -> bool {
    let mut inside = false;
    for ring in rings {
        for edge in ring.windows(2) {
            let ((x0, y0), (x1, y1)) = (edge[0], edge[1]);
            if (y0 > lat) != (y1 > lat) && lon < x0 + (lat - y0) / (y1 - y0) * (x1 - x0) {
                inside = !inside;
            }
        }
    }
    inside
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_area_grid_tiles_the_sphere() {
        let points = global_grid(GridKind::EqualArea, 2.0);
        assert!((10_000..10_600).contains(&points.len()), "{}", points.len());
        let total: f64 = points.iter().map(GridPoint::area_share).sum();
        assert!((total - 1.0).abs() < 1e-12);
        let mean = 1.0 / points.len() as f64;
        let equatorial = points.iter().filter(|p| p.lat_deg.abs() < 60.0);
        assert!(equatorial.map(|p| (p.area_share() / mean - 1.0).abs()).fold(0.0, f64::max) < 0.05);
    }

    #[test]
    fn regions_cut_the_global_grid() {
        let spec: CoverageSpec = toml::from_str(
            "grid = \"lat-lon\"\nspacing_deg = 5\nbbox = { lat_min = 0, lat_max = 20, lon_min = 170, lon_max = 200 }",
        )
        .unwrap();
        let config = validate(&spec, Path::new("s.toml"), 10.0).unwrap();
        assert_eq!(config.points.len(), 4 * 6);
        assert!(config.points.iter().all(|p| p.lon_deg > 170.0 || p.lon_deg < -160.0));
    }

    #[test]
    fn polygons_hold_their_inside() {
        let square: Ring = vec![(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0), (0.0, 0.0)];
        let hole: Ring = vec![(4.0, 4.0), (6.0, 4.0), (6.0, 6.0), (4.0, 6.0), (4.0, 4.0)];
        let rings = vec![square, hole];
        assert!(inside_rings(&rings, 2.0, 2.0));
        assert!(!inside_rings(&rings, 5.0, 5.0));
        assert!(!inside_rings(&rings, 12.0, 5.0));
    }
}
