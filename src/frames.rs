//! Reference frames: TEME → ECEF, WGS84 geodetic ↔ ECEF, and topocentric look angles.
//!
//! SGP4 produces states in TEME (true equator, mean equinox). We rotate them into the
//! Earth-fixed frame about the z axis by the Greenwich mean sidereal time (IAU-82), the
//! same rotation Vallado's and Skyfield's `TEME_to_ITRF` use, with two simplifications:
//!
//! * **UT1 = UTC.** |UT1 − UTC| stays below 0.9 s, which turns the Earth by at most
//!   0.0038° — about 0.4 km at the equator, and typically well under 0.1 s of pass timing.
//! * **No polar motion.** The pole wanders by about 0.3″ (≈10 m on the ground).
//!
//! Both are far below the few-km along-track error of a TLE a day from its epoch.
//! Distances are in km, velocities in km/s, angles in radians unless a name says `_deg`.

use nalgebra::Vector3;

use crate::constants::{EARTH_ROTATION_RAD_S, WGS84_A_KM, WGS84_F};

const WGS84_E2: f64 = WGS84_F * (2.0 - WGS84_F);

/// Rotates a TEME state into the Earth-fixed frame given GMST (radians).
/// The velocity is relative to the rotating Earth (it includes −ω × r).
pub fn teme_to_ecef(r: &Vector3<f64>, v: &Vector3<f64>, gmst: f64) -> (Vector3<f64>, Vector3<f64>) {
    let (s, c) = gmst.sin_cos();
    let r_ecef = Vector3::new(c * r.x + s * r.y, -s * r.x + c * r.y, r.z);
    let v_rot = Vector3::new(c * v.x + s * v.y, -s * v.x + c * v.y, v.z);
    let v_ecef =
        Vector3::new(v_rot.x + EARTH_ROTATION_RAD_S * r_ecef.y, v_rot.y - EARTH_ROTATION_RAD_S * r_ecef.x, v_rot.z);
    (r_ecef, v_ecef)
}

/// Rotates a position only (no velocity transport) from TEME to ECEF.
pub fn teme_to_ecef_position(r: &Vector3<f64>, gmst: f64) -> Vector3<f64> {
    let (s, c) = gmst.sin_cos();
    Vector3::new(c * r.x + s * r.y, -s * r.x + c * r.y, r.z)
}

/// A point on or above the WGS84 ellipsoid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Geodetic {
    pub lat_deg: f64,
    pub lon_deg: f64,
    pub alt_km: f64,
}

impl Geodetic {
    pub fn to_ecef(&self) -> Vector3<f64> {
        let (sin_lat, cos_lat) = self.lat_deg.to_radians().sin_cos();
        let (sin_lon, cos_lon) = self.lon_deg.to_radians().sin_cos();
        let n = WGS84_A_KM / (1.0 - WGS84_E2 * sin_lat * sin_lat).sqrt();
        Vector3::new(
            (n + self.alt_km) * cos_lat * cos_lon,
            (n + self.alt_km) * cos_lat * sin_lon,
            (n * (1.0 - WGS84_E2) + self.alt_km) * sin_lat,
        )
    }

    /// Geodetic coordinates of an ECEF point (Bowring's start, then Newton on the
    /// latitude; converges to well below a millimetre in three iterations for any
    /// point outside the Earth's core).
    pub fn from_ecef(r: &Vector3<f64>) -> Geodetic {
        let p = (r.x * r.x + r.y * r.y).sqrt();
        let lon = r.y.atan2(r.x);
        if p < 1e-9 {
            let lat = if r.z >= 0.0 { 90.0 } else { -90.0 };
            let b = WGS84_A_KM * (1.0 - WGS84_F);
            return Geodetic { lat_deg: lat, lon_deg: 0.0, alt_km: r.z.abs() - b };
        }
        let mut lat = (r.z / (p * (1.0 - WGS84_E2))).atan();
        let mut alt = 0.0;
        for _ in 0..5 {
            let sin_lat = lat.sin();
            let n = WGS84_A_KM / (1.0 - WGS84_E2 * sin_lat * sin_lat).sqrt();
            alt = p / lat.cos() - n;
            let next = (r.z / (p * (1.0 - WGS84_E2 * n / (n + alt)))).atan();
            if (next - lat).abs() < 1e-14 {
                lat = next;
                break;
            }
            lat = next;
        }
        Geodetic { lat_deg: lat.to_degrees(), lon_deg: lon.to_degrees(), alt_km: alt }
    }
}

/// Azimuth (from north through east), elevation, range and range rate of a target seen
/// from a site.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LookAngles {
    pub azimuth_deg: f64,
    pub elevation_deg: f64,
    pub range_km: f64,
    pub range_rate_km_s: f64,
}

/// A fixed site on the Earth with its local east/north/up basis precomputed, so look
/// angles cost a handful of multiplications.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Topocentric {
    pub position: Vector3<f64>,
    pub east: Vector3<f64>,
    pub north: Vector3<f64>,
    /// Ellipsoid normal (geodetic vertical): elevation is measured from the plane normal to it.
    pub up: Vector3<f64>,
}

impl Topocentric {
    /// How a target at ECEF `r` (km) moving at `v` (km/s) is seen from here: the sine of
    /// its elevation, its rate of change times the range (km/s), and 1 / range (1/km).
    /// The pass and coverage searches find rises and sets from these.
    pub fn sin_elevation_and_rate(&self, r: &Vector3<f64>, v: &Vector3<f64>) -> (f64, f64, f64) {
        let rho = r - self.position;
        let inv_range = 1.0 / rho.norm();
        let sin_elevation = rho.dot(&self.up) * inv_range;
        let range_rate = rho.dot(v) * inv_range;
        (sin_elevation, v.dot(&self.up) - sin_elevation * range_rate, inv_range)
    }

    pub fn new(site: &Geodetic) -> Self {
        let (sin_lat, cos_lat) = site.lat_deg.to_radians().sin_cos();
        let (sin_lon, cos_lon) = site.lon_deg.to_radians().sin_cos();
        Topocentric {
            position: site.to_ecef(),
            east: Vector3::new(-sin_lon, cos_lon, 0.0),
            north: Vector3::new(-sin_lat * cos_lon, -sin_lat * sin_lon, cos_lat),
            up: Vector3::new(cos_lat * cos_lon, cos_lat * sin_lon, sin_lat),
        }
    }

    /// Sine of the elevation of an ECEF point: cheaper than [`Self::look`] when only a
    /// comparison against a mask is needed.
    pub fn sin_elevation(&self, r_ecef: &Vector3<f64>) -> f64 {
        let rho = r_ecef - self.position;
        rho.dot(&self.up) / rho.norm()
    }

    pub fn look(&self, r_ecef: &Vector3<f64>, v_ecef: &Vector3<f64>) -> LookAngles {
        let rho = r_ecef - self.position;
        let range = rho.norm();
        let e = rho.dot(&self.east);
        let n = rho.dot(&self.north);
        let u = rho.dot(&self.up);
        LookAngles {
            azimuth_deg: e.atan2(n).to_degrees().rem_euclid(360.0),
            elevation_deg: (u / range).clamp(-1.0, 1.0).asin().to_degrees(),
            range_km: range,
            range_rate_km_s: rho.dot(v_ecef) / range,
        }
    }

    /// Elevation (°), its rate (°/s), range (km) and range rate (km/s) of a target moving at
    /// `v_ecef`: what a link budget needs, without the azimuth's atan2.
    pub fn elevation_and_range(&self, r_ecef: &Vector3<f64>, v_ecef: &Vector3<f64>) -> (f64, f64, f64, f64) {
        let rho = r_ecef - self.position;
        let range = rho.norm();
        let sin_el = (rho.dot(&self.up) / range).clamp(-1.0, 1.0);
        let range_rate = rho.dot(v_ecef) / range;
        let d_sin_el = (v_ecef.dot(&self.up) - sin_el * range_rate) / range;
        let cos_el = (1.0 - sin_el * sin_el).sqrt().max(1e-6);
        (sin_el.asin().to_degrees(), (d_sin_el / cos_el).to_degrees(), range, range_rate)
    }

    /// Azimuth (degrees) of an ECEF point.
    pub fn azimuth_deg(&self, r_ecef: &Vector3<f64>) -> f64 {
        let rho = r_ecef - self.position;
        rho.dot(&self.east).atan2(rho.dot(&self.north)).to_degrees().rem_euclid(360.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geodetic_round_trip() {
        for &(lat, lon, alt) in
            &[(0.0, 0.0, 0.0), (45.0, 120.0, 1.5), (-78.2, -15.4, 0.5), (89.9, 10.0, 500.0), (-33.0, 151.0, 35_786.0)]
        {
            let g = Geodetic { lat_deg: lat, lon_deg: lon, alt_km: alt };
            let back = Geodetic::from_ecef(&g.to_ecef());
            assert!((back.lat_deg - lat).abs() < 1e-9, "{back:?}");
            assert!((back.lon_deg - lon).abs() < 1e-9);
            assert!((back.alt_km - alt).abs() < 1e-7);
        }
    }

    #[test]
    fn look_angles_of_point_straight_up_and_north() {
        let site = Geodetic { lat_deg: 30.0, lon_deg: 100.0, alt_km: 0.0 };
        let topo = Topocentric::new(&site);
        let above = topo.position + topo.up * 500.0;
        let look = topo.look(&above, &Vector3::zeros());
        assert!((look.elevation_deg - 90.0).abs() < 1e-9);
        assert!((look.range_km - 500.0).abs() < 1e-9);
        let north = topo.position + topo.north * 100.0 + topo.up * 100.0;
        let look = topo.look(&north, &(topo.north * 1.0));
        assert!((look.elevation_deg - 45.0).abs() < 1e-9);
        assert!(look.azimuth_deg.abs() < 1e-9);
        assert!((look.range_rate_km_s - 0.5f64.sqrt()).abs() < 1e-12);
    }
}
