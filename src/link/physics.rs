//! Link-budget physics: geometry, free-space loss, antenna gain, carrier-to-noise ratios.
//!
//! Pure functions in the units their names say. Decibel quantities are `f64` dB (dBW, dBi,
//! dB/K, dB-Hz); ranges are kilometres, frequencies gigahertz.

use crate::constants::{SPEED_OF_LIGHT_M_S, WGS84_A_KM};

/// The spherical Earth used for slant ranges: WGS84's equatorial radius, km.
const EARTH_RADIUS_KM: f64 = WGS84_A_KM;
/// Boltzmann's constant in dBW/K/Hz (10·log10 1.380649e-23 = −228.6).
pub const BOLTZMANN_DBW_PER_K_HZ: f64 = -228.6;

/// Distance from a ground point to a satellite at `altitude_km` seen at `elevation_deg`,
/// on a spherical Earth of radius [`EARTH_RADIUS_KM`]:
/// d = √((R+h)² − R²cos²ε) − R·sin ε.
/// (500 km altitude: 1695 km at 10°, 909.5 km at 30°, 500 km at 90°.)
pub fn slant_range_km(elevation_deg: f64, altitude_km: f64) -> f64 {
    let r = EARTH_RADIUS_KM;
    let (sin_e, cos_e) = elevation_deg.to_radians().sin_cos();
    let rh = r + altitude_km;
    (rh * rh - r * r * cos_e * cos_e).sqrt() - r * sin_e
}

/// Free-space path loss (ITU-R P.525), dB: 20·log10(4π·d·f / c).
pub fn free_space_path_loss_db(distance_km: f64, frequency_ghz: f64) -> f64 {
    20.0 * (4.0 * std::f64::consts::PI * distance_km * 1e3 * frequency_ghz * 1e9 / SPEED_OF_LIGHT_M_S).log10()
}

/// The part of the free-space path loss that does not depend on distance:
/// FSPL(d) = this + 20·log10(d_km). Precomputed so the hot path needs one `log10`.
pub fn free_space_path_loss_at_1_km_db(frequency_ghz: f64) -> f64 {
    free_space_path_loss_db(1.0, frequency_ghz)
}

/// Gain of a circular aperture (parabolic dish), dBi: η·(π·D/λ)².
pub fn dish_gain_dbi(diameter_m: f64, efficiency: f64, frequency_ghz: f64) -> f64 {
    let wavelength_m = SPEED_OF_LIGHT_M_S / (frequency_ghz * 1e9);
    10.0 * (efficiency * (std::f64::consts::PI * diameter_m / wavelength_m).powi(2)).log10()
}

/// Diameter of a dish with `gain_dbi` and `efficiency` at `frequency_ghz` (the inverse of
/// [`dish_gain_dbi`]); used to size the antenna-averaging of scintillation when a ground
/// antenna is given by its gain.
pub fn dish_diameter_m(gain_dbi: f64, efficiency: f64, frequency_ghz: f64) -> f64 {
    let wavelength_m = SPEED_OF_LIGHT_M_S / (frequency_ghz * 1e9);
    wavelength_m / std::f64::consts::PI * (10f64.powf(gain_dbi / 10.0) / efficiency).sqrt()
}

/// Receive figure of merit, dB/K: G − 10·log10(T_sys).
pub fn g_over_t_db_per_k(gain_dbi: f64, system_noise_temp_k: f64) -> f64 {
    gain_dbi - 10.0 * system_noise_temp_k.log10()
}

/// Carrier-to-noise-density ratio, dB-Hz: C/N0 = EIRP − L_path − L_other + G/T − k.
/// `other_losses_db` is the sum of every further loss (atmosphere, pointing,
/// polarisation, implementation), all as positive numbers.
pub fn c_over_n0_dbhz(eirp_dbw: f64, path_loss_db: f64, other_losses_db: f64, g_over_t_db_per_k: f64) -> f64 {
    eirp_dbw - path_loss_db - other_losses_db + g_over_t_db_per_k - BOLTZMANN_DBW_PER_K_HZ
}

/// Energy per symbol over noise density, dB: Es/N0 = C/N0 − 10·log10(Rs).
pub fn es_over_n0_db(c_over_n0_dbhz: f64, symbol_rate_sps: f64) -> f64 {
    c_over_n0_dbhz - 10.0 * symbol_rate_sps.log10()
}

/// Energy per bit over noise density, dB: Eb/N0 = C/N0 − 10·log10(Rb).
pub fn eb_over_n0_db(c_over_n0_dbhz: f64, bit_rate_bps: f64) -> f64 {
    c_over_n0_dbhz - 10.0 * bit_rate_bps.log10()
}

/// Mean radiating temperature of the atmosphere for sky-noise estimates, K
/// (ITU-R P.618-13 §3, T_mr = 275 K for clouds and rain).
pub const ATMOSPHERE_MEAN_RADIATING_TEMP_K: f64 = 275.0;

/// How much an attenuating atmosphere degrades a ground receiver's G/T, dB: the absorbed
/// power re-radiates as noise ΔT = T_mr·(1 − 10^(−A/10)) (ITU-R P.618-13 §3), so
/// G/T falls by 10·log10((T_sys + ΔT) / T_sys). `system_noise_temp_k` is the receiver's
/// noise temperature looking at a loss-free sky.
pub fn sky_noise_degradation_db(attenuation_db: f64, system_noise_temp_k: f64) -> f64 {
    let delta_t = ATMOSPHERE_MEAN_RADIATING_TEMP_K * (1.0 - 10f64.powf(-attenuation_db.max(0.0) / 10.0));
    10.0 * ((system_noise_temp_k + delta_t) / system_noise_temp_k).log10()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slant_range_worked_examples() {
        // docs/FACTS.md: 500 km altitude, spherical Earth R = 6378.137 km.
        assert!((slant_range_km(10.0, 500.0) - 1695.0).abs() < 0.5);
        assert!((slant_range_km(30.0, 500.0) - 909.5).abs() < 0.1);
        assert!((slant_range_km(90.0, 500.0) - 500.0).abs() < 1e-9);
    }

    #[test]
    fn fspl_worked_example() {
        // 4π · 1 695 091 m · 2.05e9 Hz / c = 1.4566e8 → 163.27 dB.
        let d = slant_range_km(10.0, 500.0);
        let l = free_space_path_loss_db(d, 2.05);
        assert!((l - 163.3).abs() < 0.05, "{l}");
        assert!((free_space_path_loss_at_1_km_db(2.05) + 20.0 * d.log10() - l).abs() < 1e-9);
    }

    #[test]
    fn c_over_n0_matches_hand_calculation() {
        // EIRP 45 dBW, FSPL 163.27 dB, losses 0.3 + 0.5 + 1.0 + 0.6 = 2.4 dB,
        // G/T = 3 dBi − 10·log10(600 K) = 3 − 27.7815 = −24.7815 dB/K, −k = 228.6:
        // C/N0 = 45 − 163.27 − 2.4 − 24.7815 + 228.6 = 83.1485 dB-Hz.
        let gt = g_over_t_db_per_k(3.0, 600.0);
        assert!((gt + 24.7815).abs() < 1e-4);
        let cn0 = c_over_n0_dbhz(45.0, 163.27, 2.4, gt);
        assert!((cn0 - 83.1485).abs() < 0.01, "{cn0}");
        // Es/N0 at 5 Msps: 83.1485 − 66.9897 = 16.1588 dB; Eb/N0 at 200 kbit/s: 30.1382 dB.
        assert!((es_over_n0_db(cn0, 5e6) - 16.1588).abs() < 0.01);
        assert!((eb_over_n0_db(cn0, 2e5) - 30.1382).abs() < 0.01);
    }

    #[test]
    fn dish_gain_round_trip() {
        // 3.7 m, 55 %, 2.05 GHz: λ = 0.14624 m, (π·3.7/λ)² = 6317.5 → 35.41 dBi.
        let g = dish_gain_dbi(3.7, 0.55, 2.05);
        assert!((g - 35.41).abs() < 0.01, "{g}");
        assert!((dish_diameter_m(g, 0.55, 2.05) - 3.7).abs() < 1e-9);
    }

    #[test]
    fn sky_noise_degradation() {
        assert_eq!(sky_noise_degradation_db(0.0, 150.0), 0.0);
        // 3 dB of rain: ΔT = 275·(1 − 0.5012) = 137.2 K; 10·log10(287.2/150) = 2.82 dB.
        assert!((sky_noise_degradation_db(3.0, 150.0) - 2.821).abs() < 0.01);
    }
}
