//! World maps: ground tracks, stations, coverage circles and a colour-coded field of cells
//! over a coastline, in the equirectangular projection (longitude and latitude as plain x and y, −180..180 by
//! −90..90), which keeps tracks and circles easy to read off against the degree grid.

use std::path::Path;

use plotters::prelude::DrawingBackend;

use super::axis::{Axis, Tick, linear_ticks};
use super::canvas::{Canvas, HAlign, Marker, VAlign, cap_height, descent, text_width};
use super::layout::{
    AXIS_TITLE_EM, AxisKind, INK, LabelPlacer, LegendItem, NOTE_EM, Rect, Swatch, TICK_EM, WHITE, clip_polyline,
    colour_or, header_and_legend, layout_plot, no_data,
};
use super::sealed::Draw;
use super::{DEFAULT_SIZE, Figure, PlotError, PlotFiles, Rgb};

/// A line of (longitude, latitude) points in degrees.
pub type Polyline = Vec<(f64, f64)>;

/// Mean Earth radius (IUGG R1) for turning coverage radii into angles; the sphere is far
/// more accurate than the few-pixel width of a line on a world map.
const EARTH_RADIUS_KM: f64 = 6371.0088;

/// A satellite's sub-satellite points in time order, (longitude, latitude) in degrees.
/// Longitudes may be in any turn (−180..180 or 0..360); the track is split where it wraps
/// across the antimeridian.
#[derive(Debug, Clone, Default)]
pub struct GroundTrack {
    /// Legend label.
    pub name: String,
    /// (longitude, latitude) in degrees, in time order.
    pub points: Vec<(f64, f64)>,
    /// Colour; by default the palette colour of the track's position.
    pub colour: Option<Rgb>,
}

impl GroundTrack {
    /// A track in the palette colour of its position.
    pub fn new(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        GroundTrack { name: name.into(), points, colour: None }
    }
}

/// A labelled point on the map (a ground station, a user terminal).
#[derive(Debug, Clone, Default)]
pub struct MapStation {
    /// Label printed next to the marker.
    pub name: String,
    /// Geodetic longitude in degrees (east positive).
    pub lon_deg: f64,
    /// Geodetic latitude in degrees (north positive).
    pub lat_deg: f64,
}

impl MapStation {
    /// A labelled marker at (longitude, latitude) in degrees.
    pub fn new(name: impl Into<String>, lon_deg: f64, lat_deg: f64) -> Self {
        MapStation { name: name.into(), lon_deg, lat_deg }
    }
}

/// Unlabelled points sharing a legend entry and a colour (say, where events happened),
/// drawn as small dots over the tracks.
#[derive(Debug, Clone)]
pub struct MapPoints {
    /// Legend label.
    pub name: String,
    /// (longitude, latitude) in degrees.
    pub points: Vec<(f64, f64)>,
    /// Colour of the dots.
    pub colour: Rgb,
}

/// A circle on the Earth's surface: all points within `radius_km` great-circle distance of
/// the centre (e.g. where a station sees a satellite above its elevation mask).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Coverage {
    /// Centre longitude in degrees (east positive).
    pub lon_deg: f64,
    /// Centre latitude in degrees (north positive).
    pub lat_deg: f64,
    /// Great-circle radius in km on a sphere of the mean Earth radius (6371 km).
    pub radius_km: f64,
}

/// A world map with optional coastline, ground tracks, stations and coverage circles.
#[derive(Debug, Clone, Default)]
pub struct WorldMap {
    /// Map title, e.g. "Ground tracks, first orbit".
    pub title: String,
    /// Context under the title (shell, window); may be empty.
    pub subtitle: String,
    /// Coastline polylines, e.g. from [`load_coastline`].
    pub coastline: Vec<Polyline>,
    /// Tracks, each in its own colour; with more than eight, the legend has one entry for
    /// all of them.
    pub tracks: Vec<GroundTrack>,
    /// Labelled markers, drawn on top of everything else.
    pub stations: Vec<MapStation>,
    /// Sets of unlabelled dots, each with a legend entry.
    pub points: Vec<MapPoints>,
    /// Circles drawn dashed, with one legend entry.
    pub coverage: Vec<Coverage>,
    /// Legend label for the coverage circles, e.g. "visible above 10°"; "coverage" when empty.
    pub coverage_label: String,
    /// Values over cells, drawn under everything else with a colour bar on the right.
    pub field: Option<MapField>,
}

/// One cell of a [`MapField`]: a longitude-latitude rectangle, degrees, and its value.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FieldCell {
    /// West edge, degrees (−180..180).
    pub lon_lo: f64,
    /// East edge, degrees.
    pub lon_hi: f64,
    /// South edge, degrees.
    pub lat_lo: f64,
    /// North edge, degrees.
    pub lat_hi: f64,
    /// The value; NaN cells are drawn grey (no value).
    pub value: f64,
}

/// A quantity over the map (a figure of merit per grid cell), in a sequential colour scale
/// (viridis: dark for low, yellow for high, readable in grey and with colour-vision
/// deficiencies) explained by a colour bar.
#[derive(Debug, Clone, Default)]
pub struct MapField {
    /// The cells.
    pub cells: Vec<FieldCell>,
    /// Colour bar title with its unit, e.g. "Share of time covered (%)".
    pub label: String,
    /// Values mapped to the ends of the scale; by default the cells' extent.
    pub range: Option<(f64, f64)>,
}

/// Viridis at nine evenly spaced stops.
const VIRIDIS: [Rgb; 9] = [
    Rgb(0x44, 0x01, 0x54),
    Rgb(0x47, 0x2D, 0x7B),
    Rgb(0x3B, 0x52, 0x8B),
    Rgb(0x2C, 0x72, 0x8E),
    Rgb(0x21, 0x91, 0x8C),
    Rgb(0x28, 0xAE, 0x80),
    Rgb(0x5E, 0xC9, 0x62),
    Rgb(0xAD, 0xDC, 0x30),
    Rgb(0xFD, 0xE7, 0x25),
];
const NO_VALUE: Rgb = Rgb(0xC8, 0xC8, 0xC8);
/// Room on the right for the colour bar, its ticks and its title.
const COLOUR_BAR_ROOM: f64 = 120.0;
const COLOUR_BAR_WIDTH: f64 = 18.0;

/// The viridis colour of `f` ∈ [0, 1] (clamped; NaN is the scale's low end).
fn viridis(f: f64) -> Rgb {
    let f = if f.is_nan() { 0.0 } else { f.clamp(0.0, 1.0) };
    let x = f * (VIRIDIS.len() - 1) as f64;
    let i = (x.floor() as usize).min(VIRIDIS.len() - 2);
    let w = x - i as f64;
    let mix = |a: u8, b: u8| (a as f64 + w * (b as f64 - a as f64)).round() as u8;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    Rgb(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

impl MapField {
    /// The scale's range: as given, else the finite values' extent (widened when flat).
    fn scale(&self) -> (f64, f64) {
        let (lo, hi) = self.range.unwrap_or_else(|| {
            self.cells
                .iter()
                .map(|c| c.value)
                .filter(|v| v.is_finite())
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)))
        });
        if !(lo.is_finite() && hi.is_finite()) {
            (0.0, 1.0)
        } else if hi > lo {
            (lo, hi)
        } else {
            (lo - 0.5, hi + 0.5)
        }
    }
}

/// Renders `map` to `<stem>.png` and `<stem>.svg`.
pub fn world_map(map: &WorldMap, stem: &Path) -> Result<PlotFiles, PlotError> {
    map.save(stem)
}

/// Reads line geometries (LineString, MultiLineString, and the rings of Polygon and
/// MultiPolygon) from a GeoJSON FeatureCollection, Feature or bare geometry, such as
/// Natural Earth's `ne_110m_coastline.geojson`. Coordinates are [longitude, latitude] in
/// degrees; any third (height) value is ignored.
pub fn load_coastline(path: &Path) -> Result<Vec<Polyline>, PlotError> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| PlotError::CoastlineRead { path: path.to_path_buf(), source })?;
    let bad = |message: String| PlotError::CoastlineFormat { path: path.to_path_buf(), message };
    let doc: serde_json::Value = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    let mut lines = Vec::new();
    match doc.get("type").and_then(|t| t.as_str()) {
        Some("FeatureCollection") => {
            let features =
                doc.get("features").and_then(|f| f.as_array()).ok_or_else(|| bad("no `features` array".into()))?;
            for (i, f) in features.iter().enumerate() {
                if let Some(g) = f.get("geometry").filter(|g| !g.is_null()) {
                    collect_lines(g, &mut lines).map_err(|m| bad(format!("feature {i}: {m}")))?;
                }
            }
        }
        Some("Feature") => {
            if let Some(g) = doc.get("geometry").filter(|g| !g.is_null()) {
                collect_lines(g, &mut lines).map_err(bad)?;
            }
        }
        Some(_) => collect_lines(&doc, &mut lines).map_err(bad)?,
        None => return Err(bad("no `type` member at the top level".into())),
    }
    Ok(lines)
}

fn collect_lines(geometry: &serde_json::Value, out: &mut Vec<Polyline>) -> Result<(), String> {
    let kind = geometry.get("type").and_then(|t| t.as_str()).ok_or("geometry without `type`")?;
    let coords = geometry.get("coordinates");
    let depth = match kind {
        "LineString" => 0,
        "MultiLineString" | "Polygon" => 1,
        "MultiPolygon" => 2,
        "Point" | "MultiPoint" => return Ok(()),
        "GeometryCollection" => {
            for g in geometry.get("geometries").and_then(|g| g.as_array()).ok_or("collection without `geometries`")? {
                collect_lines(g, out)?;
            }
            return Ok(());
        }
        other => return Err(format!("unsupported geometry type `{other}`")),
    };
    let coords = coords.ok_or_else(|| format!("{kind} without `coordinates`"))?;
    collect_at_depth(coords, depth, out).map_err(|m| format!("{kind}: {m}"))
}

fn collect_at_depth(v: &serde_json::Value, depth: usize, out: &mut Vec<Polyline>) -> Result<(), String> {
    let items = v.as_array().ok_or("coordinates are not an array")?;
    if depth > 0 {
        for item in items {
            collect_at_depth(item, depth - 1, out)?;
        }
        return Ok(());
    }
    let mut line = Vec::with_capacity(items.len());
    for p in items {
        let lon = p.get(0).and_then(|x| x.as_f64());
        let lat = p.get(1).and_then(|x| x.as_f64());
        match (lon, lat) {
            (Some(lon), Some(lat)) => line.push((lon, lat)),
            _ => return Err(format!("position {p} is not [longitude, latitude]")),
        }
    }
    out.push(line);
    Ok(())
}

/// Longitude in [−180, 180).
fn wrap_lon(lon: f64) -> f64 {
    (lon + 180.0).rem_euclid(360.0) - 180.0
}

/// Splits a (lon, lat) polyline where consecutive points are more than 180° of longitude
/// apart (the short way round crosses the antimeridian), ending one piece at the map edge
/// and starting the next at the opposite edge, at the interpolated latitude. Non-finite
/// points break the line.
pub(crate) fn split_antimeridian(points: &[(f64, f64)]) -> Vec<Polyline> {
    let mut pieces = Vec::new();
    let mut current: Polyline = Vec::new();
    let mut prev: Option<(f64, f64)> = None;
    for &(lon, lat) in points {
        if !lon.is_finite() || !lat.is_finite() {
            if current.len() > 1 {
                pieces.push(std::mem::take(&mut current));
            }
            current.clear();
            prev = None;
            continue;
        }
        let p = (wrap_lon(lon), lat);
        if let Some(a) = prev
            && (p.0 - a.0).abs() > 180.0
        {
            let edge = if a.0 > 0.0 { 180.0 } else { -180.0 };
            let unwrapped = p.0 + 2.0 * edge;
            let t = (edge - a.0) / (unwrapped - a.0);
            let lat_edge = a.1 + t * (p.1 - a.1);
            current.push((edge, lat_edge));
            if current.len() > 1 {
                pieces.push(std::mem::take(&mut current));
            }
            current = vec![(-edge, lat_edge)];
        }
        current.push(p);
        prev = Some(p);
    }
    if current.len() > 1 {
        pieces.push(current);
    }
    pieces
}

/// The outline of a coverage circle as (lon, lat) points, every 2° of bearing.
pub(crate) fn small_circle(c: &Coverage) -> Polyline {
    let (lat1, lon1) = (c.lat_deg.to_radians(), c.lon_deg.to_radians());
    let d = c.radius_km / EARTH_RADIUS_KM;
    (0..=180)
        .map(|i| {
            let theta = (i as f64 * 2.0).to_radians();
            let lat2 = (lat1.sin() * d.cos() + lat1.cos() * d.sin() * theta.cos()).asin();
            let lon2 = lon1 + (theta.sin() * d.sin() * lat1.cos()).atan2(d.cos() - lat1.sin() * lat2.sin());
            (lon2.to_degrees(), lat2.to_degrees())
        })
        .collect()
}

fn degree_ticks(step: i32, max: i32, pos: char, neg: char) -> Axis {
    let ticks = (-max / step..=max / step)
        .map(|i| {
            let v = i * step;
            let label = match v {
                0 => "0°".to_string(),
                v if v.abs() == 180 => "180°".to_string(),
                v if v > 0 => format!("{v}°{pos}"),
                v => format!("{}°{neg}", -v),
            };
            Tick { value: v as f64, label }
        })
        .collect();
    Axis { lo: -(max as f64), hi: max as f64, log: false, ticks }
}

const OCEAN: Rgb = Rgb(0xF2, 0xF6, 0xFA);
const COAST: Rgb = Rgb(0x7D, 0x86, 0x90);
/// Coverage is dashed dark grey: any palette colour could be a track's.
const COVERAGE: Rgb = Rgb(0x3A, 0x3A, 0x3A);
/// Legends list at most this many tracks by name.
const MAX_NAMED_TRACKS: usize = 8;

impl Draw for WorldMap {
    fn size(&self) -> (u32, u32) {
        DEFAULT_SIZE
    }

    fn title(&self) -> &str {
        &self.title
    }

    fn draw<DB: DrawingBackend>(&self, c: &Canvas<DB>) -> Result<(), PlotError> {
        let size = self.size();
        let has_tracks = self.tracks.iter().any(|t| t.points.len() > 1);
        let has_field = self.field.as_ref().is_some_and(|f| !f.cells.is_empty());
        let has_points = self.points.iter().any(|p| !p.points.is_empty());
        if self.coastline.is_empty()
            && !has_tracks
            && !has_points
            && self.stations.is_empty()
            && self.coverage.is_empty()
            && !has_field
        {
            return no_data(c, size, &self.title, &self.subtitle, "no coastline, tracks, stations or coverage to draw");
        }
        let mut legend = Vec::new();
        let tracks: Vec<&GroundTrack> = self.tracks.iter().filter(|t| t.points.len() > 1).collect();
        if tracks.len() <= MAX_NAMED_TRACKS {
            if tracks.len() > 1 || !self.stations.is_empty() || !self.coverage.is_empty() || has_points {
                for (i, t) in tracks.iter().enumerate() {
                    legend.push(LegendItem::new(Swatch::Line(colour_or(t.colour, i)), &t.name));
                }
            }
        } else {
            legend.push(LegendItem::new(Swatch::Line(colour_or(None, 0)), format!("ground tracks ({})", tracks.len())));
        }
        if !self.stations.is_empty() && (has_tracks || !self.coverage.is_empty()) {
            legend.push(LegendItem::new(Swatch::Marker(Marker::TriangleUp, INK), "ground station"));
        }
        if !self.coverage.is_empty() {
            let label = if self.coverage_label.is_empty() { "coverage" } else { &self.coverage_label };
            legend.push(LegendItem::new(Swatch::Dashed(COVERAGE), label));
        }
        for set in &self.points {
            legend.push(LegendItem::new(
                Swatch::Marker(Marker::Circle, set.colour),
                format!("{} ({})", set.name, set.points.len()),
            ));
        }
        let top = header_and_legend(c, size, &self.title, &self.subtitle, &legend)?;
        let mut plot = layout_plot(
            size,
            top,
            if has_field { COLOUR_BAR_ROOM } else { 0.0 },
            AxisKind::Fixed(degree_ticks(30, 180, 'E', 'W')),
            AxisKind::Fixed(degree_ticks(30, 90, 'N', 'S')),
            "",
            "",
        );
        plot.fit_aspect(2.0);
        let area = plot.rect();
        c.fill_rect((area.x0, area.y0), (area.x1, area.y1), OCEAN, 1.0)?;
        if let Some(field) = self.field.as_ref().filter(|_| has_field) {
            let (lo, hi) = field.scale();
            for cell in &field.cells {
                let colour = if cell.value.is_finite() { viridis((cell.value - lo) / (hi - lo)) } else { NO_VALUE };
                let (x0, y0) = plot.map((cell.lon_lo, cell.lat_hi));
                let (x1, y1) = plot.map((cell.lon_hi, cell.lat_lo));
                // Half a pixel of overlap hides the seams anti-aliasing would leave.
                c.fill_rect((x0 - 0.25, y0 - 0.25), (x1 + 0.25, y1 + 0.25), colour, 1.0)?;
            }
            colour_bar(c, &area, &field.label, (lo, hi))?;
        }
        plot.grid(c, true, true)?;

        let draw_lonlat = |line: &[(f64, f64)], col: Rgb, alpha: f64, width: f64| -> Result<(), PlotError> {
            for piece in split_antimeridian(line) {
                let px: Vec<(f64, f64)> = piece.iter().map(|&p| plot.map(p)).collect();
                for clipped in clip_polyline(&px, &area) {
                    c.path(&clipped, col, alpha, width)?;
                }
            }
            Ok(())
        };
        for line in &self.coastline {
            draw_lonlat(line, COAST, 1.0, 1.0)?;
        }
        for cov in &self.coverage {
            if cov.radius_km > 0.0 && cov.lon_deg.is_finite() && cov.lat_deg.is_finite() {
                for piece in split_antimeridian(&small_circle(cov)) {
                    let px: Vec<(f64, f64)> = piece.iter().map(|&p| plot.map(p)).collect();
                    for clipped in clip_polyline(&px, &area) {
                        c.dashed_path(&clipped, COVERAGE, 1.2, 5.0, 3.0)?;
                    }
                }
            }
        }
        for (i, t) in tracks.iter().enumerate() {
            draw_lonlat(&t.points, colour_or(t.colour, i), 0.9, 1.6)?;
        }
        for set in &self.points {
            for &(lon, lat) in set.points.iter().filter(|(lon, lat)| lon.is_finite() && lat.is_finite()) {
                let (x, y) = plot.map((wrap_lon(lon), lat.clamp(-90.0, 90.0)));
                c.marker(Marker::Circle, x, y, 2.0, set.colour, None)?;
            }
        }

        // Stations last, with labels on a light halo placed clear of each other.
        let mut placer = LabelPlacer::new(area);
        let stations: Vec<(&MapStation, (f64, f64))> = self
            .stations
            .iter()
            .filter(|s| s.lon_deg.is_finite() && s.lat_deg.is_finite())
            .map(|s| (s, plot.map((wrap_lon(s.lon_deg), s.lat_deg.clamp(-90.0, 90.0)))))
            .collect();
        for (_, (x, y)) in &stations {
            placer.block(Rect { x0: x - 6.0, y0: y - 6.0, x1: x + 6.0, y1: y + 6.0 });
        }
        for (_, (x, y)) in &stations {
            c.marker(Marker::TriangleUp, *x, *y, 6.0, INK, Some(WHITE))?;
        }
        let h = cap_height(NOTE_EM) + descent(NOTE_EM);
        for (s, (x, y)) in &stations {
            let w = text_width(&s.name, NOTE_EM);
            if let Some((lx, ly)) = placer.place(*x, *y, w + 4.0, h + 4.0, 8.0, true) {
                c.fill_rect((lx, ly), (lx + w + 4.0, ly + h + 4.0), WHITE, 0.75)?;
                c.text(&s.name, lx + 2.0, ly + 2.0, NOTE_EM, INK, HAlign::Left, VAlign::Top)?;
            }
        }
        c.stroke_rect((area.x0, area.y0), (area.x1, area.y1), COAST, 1.0)?;
        plot.axes(c)
    }
}

/// A vertical colour bar right of the map, with ticks and its title written upwards.
fn colour_bar<DB: DrawingBackend>(
    c: &Canvas<DB>,
    area: &Rect,
    label: &str,
    (lo, hi): (f64, f64),
) -> Result<(), PlotError> {
    let x0 = area.x1 + 16.0;
    let x1 = x0 + COLOUR_BAR_WIDTH;
    let steps = 128;
    let height = area.y1 - area.y0;
    for i in 0..steps {
        let (f0, f1) = (i as f64 / steps as f64, (i + 1) as f64 / steps as f64);
        let colour = viridis((f0 + f1) / 2.0);
        c.fill_rect((x0, area.y1 - f1 * height - 0.25), (x1, area.y1 - f0 * height + 0.25), colour, 1.0)?;
    }
    c.stroke_rect((x0, area.y0), (x1, area.y1), COAST, 1.0)?;
    let max_ticks = ((height / 60.0).floor() as usize).clamp(2, 10);
    for tick in linear_ticks(lo, hi, max_ticks) {
        let y = area.y1 - (tick.value - lo) / (hi - lo) * height;
        if y < area.y0 - 0.5 || y > area.y1 + 0.5 {
            continue;
        }
        c.path(&[(x1, y), (x1 + 5.0, y)], INK, 1.0, 1.0)?;
        c.text(&tick.label, x1 + 8.0, y, TICK_EM, INK, HAlign::Left, VAlign::Middle)?;
    }
    let title_x = x1 + COLOUR_BAR_ROOM - COLOUR_BAR_WIDTH - 16.0 - cap_height(AXIS_TITLE_EM) / 2.0;
    c.text_up(label, title_x, (area.y0 + area.y1) / 2.0, AXIS_TITLE_EM, INK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracks_split_at_the_antimeridian() {
        let pieces = split_antimeridian(&[(170.0, 10.0), (-170.0, 20.0), (-160.0, 25.0)]);
        assert_eq!(pieces.len(), 2);
        assert_eq!(pieces[0], vec![(170.0, 10.0), (180.0, 15.0)]);
        assert_eq!(pieces[1], vec![(-180.0, 15.0), (-170.0, 20.0), (-160.0, 25.0)]);
        // Westward, and 0..360 longitudes.
        let pieces = split_antimeridian(&[(190.0, 0.0), (170.0, 10.0)]);
        assert_eq!(pieces, vec![vec![(-170.0, 0.0), (-180.0, 5.0)], vec![(180.0, 5.0), (170.0, 10.0)]]);
    }

    #[test]
    fn viridis_runs_from_purple_to_yellow() {
        assert_eq!(viridis(0.0), VIRIDIS[0]);
        assert_eq!(viridis(1.0), VIRIDIS[8]);
        assert_eq!(viridis(0.5), VIRIDIS[4]);
        assert_eq!(viridis(f64::NAN), VIRIDIS[0]);
    }

    #[test]
    fn coverage_circles_have_the_right_radius() {
        let circle = small_circle(&Coverage { lon_deg: 0.0, lat_deg: 0.0, radius_km: 1000.0 });
        let deg = (1000.0 / EARTH_RADIUS_KM).to_degrees();
        assert!((circle[0].1 - deg).abs() < 1e-9); // due north
        assert!((circle[45].0 - deg).abs() < 1e-9); // due east
    }
}
