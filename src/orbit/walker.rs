//! Walker constellations (delta and star) turned into SGP4 mean elements.
//!
//! A shell of `total` satellites in `planes` equally spaced planes with phasing factor
//! `F` puts satellite `s` of plane `p` at argument of latitude `360·s/S + 360·F·p/T` and
//! right ascension `offset + p·spread/P` (spread 360° for delta, 180° for star). Orbits
//! are circular. The altitude is that of the SGP4 (Brouwer) mean semi-major axis above
//! the WGS84 equatorial radius; `inclination = "sso"` solves for the sun-synchronous
//! inclination from the J2 nodal drift.

use serde::Deserialize;

use super::{MeanElements, Satellite};
use crate::constants::{WGS72_J2, WGS72_MU_KM3_S2, WGS72_RADIUS_KM, WGS84_A_KM};
use crate::time::UtcTime;
use crate::units::check_range;

/// Delta: planes spread over 360° of RAAN. Star: over 180°, planes meeting near the poles,
/// with a seam between the first and last plane where neighbours counter-rotate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum WalkerPattern {
    #[default]
    Delta,
    Star,
}

/// An inclination in degrees, or sun-synchronous.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Inclination {
    Degrees(f64),
    SunSynchronous,
}

impl<'de> Deserialize<'de> for Inclination {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(f64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Number(v) => Ok(Inclination::Degrees(v)),
            Raw::Text(t) if t.eq_ignore_ascii_case("sso") => Ok(Inclination::SunSynchronous),
            Raw::Text(t) => Err(serde::de::Error::custom(format!(
                "{} is not an inclination: give degrees or \"sso\"",
                crate::units::quoted(&t)
            ))),
        }
    }
}

/// One Walker shell as a scenario describes it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WalkerShell {
    /// Prefix of the satellite names (`<name>-p03-s07`); defaults to `shell<k>`.
    pub name: Option<String>,
    #[serde(default)]
    pub pattern: WalkerPattern,
    pub total: u32,
    pub planes: u32,
    /// Walker phasing factor F, 0 ≤ F < planes.
    #[serde(default)]
    pub phasing: u32,
    pub altitude_km: f64,
    pub inclination: Inclination,
    /// RAAN spread over all planes; defaults to 360° (delta) or 180° (star).
    pub raan_spread_deg: Option<f64>,
    /// RAAN of the first plane.
    #[serde(default)]
    pub raan_offset_deg: f64,
    /// Element epoch; defaults to the scenario start.
    pub epoch: Option<String>,
    /// What the shell's satellites are for (e.g. `inference`, `training`), for targeting.
    #[serde(default)]
    pub role: Option<String>,
}

/// Sun-synchronous nodal rate: one turn per tropical year, rad/s.
const SUN_SYNC_RATE_RAD_S: f64 = std::f64::consts::TAU / (365.242_19 * 86_400.0);

/// Inclination (degrees) of a circular sun-synchronous orbit at this altitude, if one exists
/// (above about 5,970 km none does).
pub fn sun_synchronous_inclination_deg(altitude_km: f64) -> Option<f64> {
    let a = WGS72_RADIUS_KM + altitude_km;
    let n = (WGS72_MU_KM3_S2 / a.powi(3)).sqrt();
    let cos_i = -SUN_SYNC_RATE_RAD_S / (1.5 * n * WGS72_J2 * (WGS72_RADIUS_KM / a).powi(2));
    (cos_i.abs() <= 1.0).then(|| cos_i.acos().to_degrees())
}

/// SGP4's recovery of the Brouwer mean motion (rad/min) and semi-major axis (Earth radii)
/// from a Kozai mean motion (rad/min) at inclination cosine `cos_i`: what the propagator
/// itself starts from.
pub(crate) fn brouwer_from_kozai(kozai_n: f64, cos_i: f64) -> (f64, f64) {
    let ke = sgp4::WGS72.ke; // sqrt(mu) in Earth radii^1.5 per minute
    let a1 = (ke / kozai_n).powf(2.0 / 3.0);
    let p0 = 0.75 * WGS72_J2 * (3.0 * cos_i * cos_i - 1.0);
    let d1 = p0 / (a1 * a1);
    let d0 = p0 / (a1 * (1.0 - d1 * d1 - d1 * (1.0 / 3.0 + 134.0 * d1 * d1 / 81.0))).powi(2);
    let n = kozai_n / (1.0 + d0);
    (n, (ke / n).powf(2.0 / 3.0))
}

/// Kozai mean motion (rev/day) whose SGP4 Brouwer semi-major axis is `a_km`, so the shell
/// sits at the altitude asked for rather than a few km off.
pub(crate) fn kozai_mean_motion_for(a_km: f64, inclination_deg: f64) -> f64 {
    let ke = sgp4::WGS72.ke;
    let target = a_km / WGS72_RADIUS_KM;
    let cos_i = inclination_deg.to_radians().cos();
    let mut n = (ke * ke / target.powi(3)).sqrt();
    for _ in 0..8 {
        n *= (brouwer_from_kozai(n, cos_i).1 / target).powf(1.5);
    }
    n * 1440.0 / std::f64::consts::TAU
}

impl WalkerShell {
    /// Checks the shell; `path` names it in errors (e.g. `fleet.shells[1]`).
    pub fn validate(&self, path: &str) -> Result<(), String> {
        check_range(self.total as usize, 1..=super::MAX_SATELLITES, " satellites (the most one run holds)")
            .map_err(|m| format!("{path}.total: {m}"))?;
        if self.planes == 0 {
            return Err(format!("{path}.planes: must be > 0"));
        }
        if !self.total.is_multiple_of(self.planes) {
            return Err(format!(
                "{path}.total: {} satellites do not divide evenly into {} planes",
                self.total, self.planes
            ));
        }
        if self.phasing >= self.planes {
            return Err(format!("{path}.phasing: must be between 0 and planes − 1 ({})", self.planes - 1));
        }
        check_range(self.altitude_km, 150.0..=50_000.0, " km").map_err(|m| format!("{path}.altitude_km: {m}"))?;
        match self.inclination {
            Inclination::Degrees(i) => {
                check_range(i, 0.0..=180.0, "°").map_err(|m| format!("{path}.inclination: {m}"))?;
            }
            Inclination::SunSynchronous if sun_synchronous_inclination_deg(self.altitude_km).is_none() => {
                return Err(format!("{path}.inclination: no sun-synchronous orbit exists at {} km", self.altitude_km));
            }
            _ => {}
        }
        check_range(self.raan_offset_deg, -360.0..=360.0, "°").map_err(|m| format!("{path}.raan_offset_deg: {m}"))?;
        if let Some(spread) = self.raan_spread_deg
            && !(spread > 0.0 && spread <= 360.0)
        {
            return Err(format!("{path}.raan_spread_deg: {spread} must be in (0, 360]"));
        }
        if let Some(epoch) = &self.epoch {
            UtcTime::parse(epoch).map_err(|e| format!("{path}.epoch: {e}"))?;
        }
        Ok(())
    }

    pub fn inclination_deg(&self) -> f64 {
        match self.inclination {
            Inclination::Degrees(i) => i,
            Inclination::SunSynchronous => sun_synchronous_inclination_deg(self.altitude_km).unwrap_or(90.0),
        }
    }

    pub fn slots_per_plane(&self) -> u32 {
        self.total / self.planes
    }

    /// Name prefix of this shell's satellites.
    pub fn prefix(&self, index: usize) -> String {
        self.name.clone().unwrap_or_else(|| format!("shell{index}"))
    }

    /// Generates the shell's satellites in plane-major order (plane 0 slot 0, slot 1, …).
    /// `index` is the shell's position in the fleet (for default names); `default_epoch` is
    /// used when the shell has none.
    pub fn satellites(&self, index: usize, default_epoch: UtcTime) -> Result<Vec<Satellite>, String> {
        self.validate(&format!("shell {index}"))?;
        let epoch = match &self.epoch {
            Some(text) => UtcTime::parse(text).map_err(|e| e.to_string())?,
            None => default_epoch,
        };
        let inclination = self.inclination_deg();
        let spread = self.raan_spread_deg.unwrap_or(match self.pattern {
            WalkerPattern::Delta => 360.0,
            WalkerPattern::Star => 180.0,
        });
        let per_plane = self.slots_per_plane();
        let mean_motion = kozai_mean_motion_for(WGS84_A_KM + self.altitude_km, inclination);
        let prefix = self.prefix(index);
        let mut out = Vec::with_capacity(self.total as usize);
        for plane in 0..self.planes {
            for slot in 0..per_plane {
                let elements = MeanElements {
                    epoch,
                    inclination_deg: inclination,
                    raan_deg: (self.raan_offset_deg + plane as f64 * spread / self.planes as f64).rem_euclid(360.0),
                    eccentricity: 0.0,
                    arg_perigee_deg: 0.0,
                    mean_anomaly_deg: (360.0 * slot as f64 / per_plane as f64
                        + 360.0 * self.phasing as f64 * plane as f64 / self.total as f64)
                        .rem_euclid(360.0),
                    mean_motion_rev_per_day: mean_motion,
                    bstar: 0.0,
                    mean_motion_dot: 0.0,
                    mean_motion_ddot: 0.0,
                };
                let name = format!("{prefix}-p{plane:02}-s{slot:02}");
                out.push(Satellite::new(name, None, elements)?);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shell(total: u32, planes: u32, phasing: u32, altitude_km: f64, inclination: Inclination) -> WalkerShell {
        WalkerShell {
            name: None,
            pattern: WalkerPattern::Delta,
            total,
            planes,
            phasing,
            altitude_km,
            inclination,
            raan_spread_deg: None,
            raan_offset_deg: 0.0,
            epoch: None,
            role: None,
        }
    }

    #[test]
    fn sun_synchronous_inclinations() {
        // Textbook values: 97.4° at 500 km, 98.6° at 800 km, 99.5° at 1000 km.
        assert!((sun_synchronous_inclination_deg(500.0).unwrap() - 97.40).abs() < 0.05);
        assert!((sun_synchronous_inclination_deg(800.0).unwrap() - 98.60).abs() < 0.05);
        assert!((sun_synchronous_inclination_deg(1000.0).unwrap() - 99.48).abs() < 0.05);
        assert!(sun_synchronous_inclination_deg(7000.0).is_none());
    }

    #[test]
    fn names_and_layout() {
        let epoch = UtcTime::parse("2026-01-01T00:00:00Z").unwrap();
        let sats = shell(24, 6, 1, 550.0, Inclination::Degrees(53.0)).satellites(0, epoch).unwrap();
        assert_eq!(sats.len(), 24);
        assert_eq!(sats[0].name, "shell0-p00-s00");
        assert_eq!(sats[23].name, "shell0-p05-s03");
        assert!((sats[4].elements.raan_deg - 60.0).abs() < 1e-12);
        assert!((sats[4].elements.mean_anomaly_deg - 15.0).abs() < 1e-12);
    }

    #[test]
    fn mean_altitude_matches_request() {
        let epoch = UtcTime::parse("2026-01-01T00:00:00Z").unwrap();
        let sats = shell(1, 1, 0, 550.0, Inclination::SunSynchronous).satellites(0, epoch).unwrap();
        // Average the SGP4 radius over one orbit: should sit within a few km of 550 km.
        let period = sats[0].elements.period_s();
        let mean_r: f64 = (0..200)
            .map(|k| sats[0].propagate(epoch.plus_seconds(period * k as f64 / 200.0)).unwrap().position.norm())
            .sum::<f64>()
            / 200.0;
        assert!((mean_r - 6378.137 - 550.0).abs() < 10.0, "mean altitude {}", mean_r - 6378.137);
    }

    #[test]
    fn rejects_bad_shells() {
        assert!(shell(10, 3, 0, 550.0, Inclination::Degrees(53.0)).validate("s").unwrap_err().contains("divide"));
        assert!(shell(12, 3, 3, 550.0, Inclination::Degrees(53.0)).validate("s").unwrap_err().contains("phasing"));
        assert!(
            shell(12, 3, 0, 9000.0, Inclination::SunSynchronous).validate("s").unwrap_err().contains("sun-synchronous")
        );
    }
}
