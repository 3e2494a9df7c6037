//! Land or sea: a point-in-polygon test against land polygons rebuilt from the bundled
//! Natural Earth 1:110m coastline, for placing users "at random over the oceans".
//!
//! The coastline is a set of lines, not polygons. Most lines are closed rings (islands,
//! Australia, Antarctica's pieces); the continents come in open pieces that meet end to end,
//! some of them across the antimeridian. [`LandMask::from_geojson`] rebuilds the rings:
//!
//! 1. **Stitch** open pieces into rings, joining a piece whose start matches the current
//!    end (points within 10⁻³° of each other, or both on the antimeridian at the same
//!    latitude); pieces that continue in their own direction are preferred to reversed
//!    ones, which is what makes Eurasia close through Chukotka rather than into a fragment.
//!    Pieces that close nothing are dropped: in the bundled file there are two, of two and
//!    three points, lying along coasts already drawn.
//! 2. **Unwrap** each ring's longitudes so that consecutive points never differ by more than
//!    180°. A ring whose longitude then winds once around the globe (Antarctica) encloses a
//!    pole: it is closed through that pole.
//! 3. **Test** a point by the even-odd crossing rule in the unwrapped plane, at its
//!    longitude and ±360° (so rings that cross the antimeridian catch points on both sides).
//!    A point inside any ring is land.
//!
//! The result puts 28.5 % of the globe's area on land (Earth: 29 % with inland waters; the
//! 110m outline drops small islands and lakes and counts the Caspian as land): see the
//! tests for the points it is checked against.

use serde_json::Value;

/// The bundled coastline (Natural Earth 1:110m, public domain; see `data/SOURCES.md`).
pub const BUNDLED_COASTLINE: &str = include_str!("../../../data/geo/ne_110m_coastline.geojson");

/// Two endpoints this close (degrees) are the same point.
const JOIN_TOLERANCE_DEG: f64 = 1e-3;

/// One land polygon in unwrapped longitude, with its bounding box.
#[derive(Debug, Clone)]
struct Ring {
    lon_min: f64,
    lon_max: f64,
    lat_min: f64,
    lat_max: f64,
    /// (lon, lat) vertices in degrees; first = last.
    points: Vec<(f64, f64)>,
}

impl Ring {
    fn contains(&self, lon: f64, lat: f64) -> bool {
        if lat < self.lat_min || lat > self.lat_max {
            return false;
        }
        [lon, lon + 360.0, lon - 360.0]
            .into_iter()
            .any(|x| x >= self.lon_min && x <= self.lon_max && crossing_parity(&self.points, x, lat))
    }
}

/// Even-odd rule: is (x, y) inside the closed polygon?
fn crossing_parity(points: &[(f64, f64)], x: f64, y: f64) -> bool {
    let mut inside = false;
    for w in points.windows(2) {
        let ((x1, y1), (x2, y2)) = (w[0], w[1]);
        if (y1 > y) != (y2 > y) {
            let xi = x1 + (y - y1) * (x2 - x1) / (y2 - y1);
            if x < xi {
                inside = !inside;
            }
        }
    }
    inside
}

/// Land polygons: answers whether a point is on land.
#[derive(Debug, Clone)]
pub struct LandMask {
    rings: Vec<Ring>,
    /// Open pieces that closed no ring (dropped).
    dropped_pieces: usize,
}

fn same_point(a: (f64, f64), b: (f64, f64)) -> bool {
    if (a.1 - b.1).abs() > JOIN_TOLERANCE_DEG {
        return false;
    }
    if (a.0 - b.0).abs() < JOIN_TOLERANCE_DEG {
        return true;
    }
    (a.0.abs() - 180.0).abs() < JOIN_TOLERANCE_DEG && (b.0.abs() - 180.0).abs() < JOIN_TOLERANCE_DEG
}

fn lines_of(geometry: &Value, out: &mut Vec<Vec<(f64, f64)>>) -> Result<(), String> {
    let kind = geometry.get("type").and_then(Value::as_str).ok_or("geometry without `type`")?;
    let coords = geometry.get("coordinates").ok_or("geometry without `coordinates`")?;
    let line = |v: &Value| -> Result<Vec<(f64, f64)>, String> {
        v.as_array()
            .ok_or("coordinates are not an array")?
            .iter()
            .map(|p| {
                let lon = p.get(0).and_then(Value::as_f64).ok_or("a point without longitude")?;
                let lat = p.get(1).and_then(Value::as_f64).ok_or("a point without latitude")?;
                Ok((lon, lat))
            })
            .collect()
    };
    match kind {
        "LineString" => out.push(line(coords)?),
        "MultiLineString" | "Polygon" => {
            for l in coords.as_array().ok_or("coordinates are not an array")? {
                out.push(line(l)?);
            }
        }
        _ => {}
    }
    Ok(())
}

impl LandMask {
    /// The mask from the bundled coastline.
    pub fn bundled() -> LandMask {
        LandMask::from_geojson(BUNDLED_COASTLINE).expect("the bundled coastline parses")
    }

    /// Builds the mask from a GeoJSON FeatureCollection of coastline lines (see the module
    /// docs for how rings are rebuilt).
    pub fn from_geojson(text: &str) -> Result<LandMask, String> {
        let doc: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let features = doc.get("features").and_then(Value::as_array).ok_or("no `features` array")?;
        let mut lines = Vec::new();
        for (i, f) in features.iter().enumerate() {
            if let Some(g) = f.get("geometry").filter(|g| !g.is_null()) {
                lines_of(g, &mut lines).map_err(|m| format!("feature {i}: {m}"))?;
            }
        }
        let (mut closed, open): (Vec<_>, Vec<_>) =
            lines.into_iter().filter(|l| l.len() >= 2).partition(|l| l.len() >= 4 && l[0] == l[l.len() - 1]);
        let mut used = vec![false; open.len()];
        let mut dropped_pieces = 0;
        for i in 0..open.len() {
            if used[i] {
                continue;
            }
            used[i] = true;
            let mut chain = open[i].clone();
            let mut pieces = 1;
            while !(chain.len() >= 4 && same_point(chain[chain.len() - 1], chain[0])) {
                let end = chain[chain.len() - 1];
                let next = (0..open.len())
                    .find(|&j| !used[j] && same_point(end, open[j][0]))
                    .map(|j| (j, false))
                    .or_else(|| {
                        (0..open.len())
                            .find(|&j| !used[j] && same_point(end, open[j][open[j].len() - 1]))
                            .map(|j| (j, true))
                    });
                let Some((j, reversed)) = next else { break };
                used[j] = true;
                pieces += 1;
                if reversed {
                    chain.extend(open[j].iter().rev().skip(1));
                } else {
                    chain.extend(open[j].iter().skip(1));
                }
            }
            if chain.len() >= 4 && same_point(chain[chain.len() - 1], chain[0]) {
                closed.push(chain);
            } else {
                dropped_pieces += pieces;
            }
        }
        let rings = closed.into_iter().map(unwrap_ring).collect();
        Ok(LandMask { rings, dropped_pieces })
    }

    /// Whether (lat, lon) in degrees is on land.
    pub fn is_land(&self, lat_deg: f64, lon_deg: f64) -> bool {
        let lon = (lon_deg + 180.0).rem_euclid(360.0) - 180.0;
        self.rings.iter().any(|r| r.contains(lon, lat_deg))
    }

    /// Number of land polygons.
    pub fn rings(&self) -> usize {
        self.rings.len()
    }

    /// Open coastline pieces that closed no ring and were left out.
    pub fn dropped_pieces(&self) -> usize {
        self.dropped_pieces
    }
}

/// Unwraps longitudes and closes pole-encircling rings through their pole.
fn unwrap_ring(ring: Vec<(f64, f64)>) -> Ring {
    let mut points: Vec<(f64, f64)> = Vec::with_capacity(ring.len() + 3);
    let mut offset = 0.0;
    for (k, &(lon, lat)) in ring.iter().enumerate() {
        let mut x = lon + offset;
        if k > 0 {
            let prev = points[k - 1].0;
            while x - prev > 180.0 {
                offset -= 360.0;
                x -= 360.0;
            }
            while x - prev < -180.0 {
                offset += 360.0;
                x += 360.0;
            }
        }
        points.push((x, lat));
    }
    let first = points[0];
    let last = points[points.len() - 1];
    if (last.0 - first.0).abs() > 180.0 {
        let mean_lat = points.iter().map(|p| p.1).sum::<f64>() / points.len() as f64;
        let pole = if mean_lat < 0.0 { -90.0 } else { 90.0 };
        points.push((last.0, pole));
        points.push((first.0, pole));
        points.push(first);
    } else {
        // Close exactly (the join tolerance allows a tiny gap).
        points.push(first);
    }
    let (mut lon_min, mut lon_max, mut lat_min, mut lat_max) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y) in &points {
        lon_min = lon_min.min(x);
        lon_max = lon_max.max(x);
        lat_min = lat_min.min(y);
        lat_max = lat_max.max(y);
    }
    Ring { lon_min, lon_max, lat_min, lat_max, points }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_points_are_land_or_sea() {
        let mask = LandMask::bundled();
        assert_eq!(mask.dropped_pieces(), 2);
        let sea = [
            ("mid-Pacific", 0.0, -150.0),
            ("North Atlantic", 30.0, -40.0),
            ("Indian Ocean", -20.0, 80.0),
            ("Southern Ocean", -60.0, 0.0),
            ("Arctic Ocean", 85.0, 0.0),
            ("Mediterranean", 35.0, 18.0),
            ("Gulf of Mexico", 25.0, -90.0),
            ("Caribbean", 15.0, -75.0),
            ("Black Sea", 43.0, 34.0),
            ("Hudson Bay", 60.0, -85.0),
            ("Baltic", 57.0, 19.0),
            ("Bering Sea", 58.0, -175.0),
            ("Pacific at the antimeridian", 30.0, 180.0),
        ];
        let land = [
            ("Sahara", 23.0, 10.0),
            ("Siberia", 65.0, 100.0),
            ("Chukotka east of 180°", 66.0, -175.0),
            ("Chukotka west of 180°", 66.0, 175.0),
            ("Brazil", -10.0, -50.0),
            ("Australia", -25.0, 135.0),
            ("Antarctica", -85.0, 0.0),
            ("Antarctica", -75.0, 100.0),
            ("South Pole", -90.0, 0.0),
            ("Greenland", 72.0, -40.0),
            ("Madagascar", -20.0, 46.5),
            ("United States", 40.0, -100.0),
            ("Alaska", 65.0, -150.0),
            ("Great Britain", 53.0, -2.0),
            ("Japan", 36.0, 138.0),
            ("Wrangel Island", 71.2, -179.5),
        ];
        for (name, lat, lon) in sea {
            assert!(!mask.is_land(lat, lon), "{name} should be sea");
        }
        for (name, lat, lon) in land {
            assert!(mask.is_land(lat, lon), "{name} should be land");
        }
    }

    #[test]
    fn about_29_percent_of_the_globe_is_land() {
        let mask = LandMask::bundled();
        let mut rng = crate::engine::rng_stream(7, 0, "test.land");
        use rand::RngExt;
        let n = 20_000;
        let land = (0..n)
            .filter(|_| {
                let lat = (2.0 * rng.random::<f64>() - 1.0).asin().to_degrees();
                let lon = 360.0 * rng.random::<f64>() - 180.0;
                mask.is_land(lat, lon)
            })
            .count();
        let share = land as f64 / n as f64;
        assert!((0.27..0.30).contains(&share), "{share}");
    }
}
