//! Physical constants and Earth models, each defined once.
//!
//! SGP4 is defined with **WGS72** (Vallado's reference code, python-sgp4 and Skyfield use
//! it), so everything that must agree with SGP4 — Kozai mean motion of generated shells,
//! J2 drift, vis-viva bounds on a propagated orbit — uses the `sgp4` crate's WGS72 model.
//! Geodesy — station positions, the Earth's surface under a line of sight or a shadow —
//! uses **WGS84**, the datum station coordinates are given in.

/// WGS72 equatorial radius, km: the radius SGP4's element conversion uses.
pub const WGS72_RADIUS_KM: f64 = sgp4::WGS72.ae;
/// WGS72 gravitational parameter, km³/s² (the value SGP4's `ke` is derived from).
pub const WGS72_MU_KM3_S2: f64 = 398_600.8;
/// WGS72 second zonal harmonic (unnormalised).
pub const WGS72_J2: f64 = sgp4::WGS72.j2;

/// WGS84 equatorial radius, km.
pub const WGS84_A_KM: f64 = 6378.137;
/// WGS84 flattening.
pub const WGS84_F: f64 = 1.0 / 298.257_223_563;

/// Earth rotation rate (rad/s) consistent with the IAU-82 GMST expression.
pub const EARTH_ROTATION_RAD_S: f64 = 7.292_115_146_706_979e-5;

/// Speed of light in vacuum, m/s (exact by the definition of the metre).
pub const SPEED_OF_LIGHT_M_S: f64 = 299_792_458.0;
/// Speed of light in vacuum, km/s.
pub const SPEED_OF_LIGHT_KM_S: f64 = SPEED_OF_LIGHT_M_S / 1e3;

/// One-way light time over `range_km`, rounded to whole nanoseconds (the engine's clock).
pub fn light_time_ns(range_km: f64) -> i64 {
    (range_km / SPEED_OF_LIGHT_KM_S * 1e9).round() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_match_their_definitions() {
        assert_eq!(WGS72_RADIUS_KM, 6378.135);
        assert_eq!(WGS72_J2, 0.001_082_616);
        assert_eq!(SPEED_OF_LIGHT_KM_S, 299_792.458);
        // SGP4's ke (Earth radii^1.5 per minute) is 60 / sqrt(ae³ / μ).
        let ke = 60.0 / (WGS72_RADIUS_KM.powi(3) / WGS72_MU_KM3_S2).sqrt();
        assert!((ke - sgp4::WGS72.ke).abs() < 1e-12, "{ke}");
        assert_eq!(light_time_ns(SPEED_OF_LIGHT_KM_S), 1_000_000_000);
    }
}
