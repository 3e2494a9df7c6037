//! A synthetic LEO pass shared by the profile tests and the bench: a circular orbit over a
//! non-rotating spherical Earth, the station offset from the ground track so the pass peaks
//! at a chosen elevation. Elevation rises monotonically to TCA and falls after; range does
//! the opposite, as in a real pass. It costs about as much as a cached SGP4 interpolation.

use orbsim::constants::WGS84_A_KM;
use orbsim::time::UtcTime;

const MU_KM3_PER_S2: f64 = 398_600.441_8;

#[derive(Debug, Clone, Copy)]
pub struct Pass {
    pub start: UtcTime,
    pub tca: UtcTime,
    pub end: UtcTime,
    radius_km: f64,
    rate_rad_per_s: f64,
    cross_track_rad: f64,
}

impl Pass {
    /// A pass at `altitude_km` peaking at `max_elevation_deg`, bounded by elevation
    /// `mask_deg` at both ends (AOS/LOS), with TCA at `tca`.
    pub fn new(altitude_km: f64, max_elevation_deg: f64, mask_deg: f64, tca: UtcTime) -> Pass {
        let radius_km = WGS84_A_KM + altitude_km;
        let rate_rad_per_s = (MU_KM3_PER_S2 / radius_km.powi(3)).sqrt();
        // Earth-central angle between station and sub-satellite point at an elevation.
        let central = |el_deg: f64| {
            let el = el_deg.to_radians();
            (WGS84_A_KM / radius_km * el.cos()).acos() - el
        };
        let cross_track_rad = central(max_elevation_deg);
        let edge = central(mask_deg);
        let half_angle = (edge.cos() / cross_track_rad.cos()).acos();
        let half_ns = (half_angle / rate_rad_per_s * 1e9) as i64;
        Pass {
            start: tca.plus_nanos(-half_ns),
            tca,
            end: tca.plus_nanos(half_ns),
            radius_km,
            rate_rad_per_s,
            cross_track_rad,
        }
    }

    /// (elevation °, range km) at `t`.
    pub fn look(&self, t: UtcTime) -> (f64, f64) {
        let theta = self.rate_rad_per_s * t.seconds_since(self.tca);
        let (st, ct) = theta.sin_cos();
        let (sb, cb) = self.cross_track_rad.sin_cos();
        // Satellite in the orbit plane; station at angle β off the plane, under TCA.
        let sat = [self.radius_km * ct, self.radius_km * st, 0.0];
        let up = [cb, 0.0, sb];
        let d = [sat[0] - WGS84_A_KM * up[0], sat[1], sat[2] - WGS84_A_KM * up[2]];
        let range = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
        let el = ((d[0] * up[0] + d[2] * up[2]) / range).asin().to_degrees();
        (el, range)
    }
}
