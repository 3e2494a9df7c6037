//! Named link presets: realistic starting points that users override field by field.
//!
//! The numbers describe representative equipment, not any particular mission; each preset
//! says what it assumes. Rates quoted are for a 500 km orbit at the default 99 %
//! availability (the link is sized for the atmospheric loss exceeded 1 % of the year) at
//! Chengdu; [`super::LinkBudget::rate_vs_elevation`] gives the whole curve.

use super::LinkError;
use super::params::{CodingMode, LinkConfig, LinkDirection, LinkKind, LinkParams};

/// Every preset name, in the order they are documented.
pub const PRESET_NAMES: [&str; 8] = [
    "s-band-ttc-uplink",
    "s-band-high-rate-uplink",
    "x-band-downlink",
    "ka-band-uplink",
    "ka-band-downlink",
    "optical-ground",
    "optical-isl",
    "optical-isl-cluster",
];

impl LinkConfig {
    /// Starts from `preset` (if set), applies this config's fields as overrides and
    /// validates the result. `path` names the config in errors, e.g. `links.uplink` gives
    /// `links.uplink.frequency_ghz: must be > 0`.
    pub fn resolve(&self, path: &str) -> Result<LinkParams, LinkError> {
        let (name, mut merged) = match &self.preset {
            Some(name) => {
                let base = preset(name).ok_or_else(|| LinkError::UnknownPreset {
                    path: format!("{path}.preset"),
                    name: name.clone(),
                    known: PRESET_NAMES.join(", "),
                })?;
                if let (Some(kind), Some(base_kind)) = (self.kind, base.kind)
                    && kind != base_kind
                {
                    let what = match base_kind {
                        LinkKind::Rf => "an RF",
                        LinkKind::Optical => "an optical",
                    };
                    return Err(LinkError::invalid(
                        format!("{path}.kind"),
                        format!(
                            "preset {} is {what} link; start from a matching preset or none",
                            crate::units::quoted(name)
                        ),
                    ));
                }
                (name.clone(), base)
            }
            None => ("custom".to_string(), LinkConfig::default()),
        };
        merged.overlay(self);
        merged.validate(name, path)
    }
}

/// The preset called `name` (exact, lower case), as a fully populated [`LinkConfig`].
pub fn preset(name: &str) -> Option<LinkConfig> {
    let mut c = match name {
        "s-band-ttc-uplink" => s_band_ttc_uplink(),
        "s-band-high-rate-uplink" => s_band_high_rate_uplink(),
        "x-band-downlink" => x_band_downlink(),
        "ka-band-uplink" => ka_band_uplink(),
        "ka-band-downlink" => ka_band_downlink(),
        "optical-ground" => optical_ground(),
        "optical-isl" => optical_isl(),
        "optical-isl-cluster" => optical_isl_cluster(),
        _ => return None,
    };
    c.preset = None;
    Some(c)
}

fn rf(direction: LinkDirection) -> LinkConfig {
    LinkConfig { kind: Some(LinkKind::Rf), direction: Some(direction), ..LinkConfig::default() }
}

/// Command uplink: 200 kbit/s (the smallsat figure in docs/FACTS.md), uncoded BPSK needing
/// Eb/N0 9.6 dB at BER 10⁻⁵. Ground: 10 W into a 3.7 m dish at 55 % (EIRP 45.4 dBW, inside
/// the 20–50 dBW of commercial S-band stations). Satellite: a 0 dBi near-omni antenna so
/// commands get through whatever the attitude, 600 K system noise (Earth at 290 K plus a
/// 2 dB noise-figure front end). Works from 5° with 3 dB margin; 10 s to sweep and lock
/// the carrier.
fn s_band_ttc_uplink() -> LinkConfig {
    LinkConfig {
        frequency_ghz: Some(2.05),
        tx_power_dbw: Some(10.0),
        tx_diameter_m: Some(3.7),
        tx_efficiency: Some(0.55),
        rx_gain_dbi: Some(0.0),
        system_noise_temp_k: Some(600.0),
        pointing_loss_db: Some(0.2),
        polarization_loss_db: Some(1.0),
        implementation_loss_db: Some(1.0),
        required_margin_db: Some(3.0),
        coding: Some(CodingMode::Fixed),
        rate_bps: Some(200_000.0),
        min_ebn0_db: Some(9.6),
        availability_percent: Some(99.0),
        min_elevation_deg: Some(5.0),
        setup_time_s: Some(10.0),
        ..rf(LinkDirection::Uplink)
    }
}

/// Bulk (model) uplink in S band with DVB-S2 ACM at 10 Msps (13.5 MHz occupied with
/// α = 0.35, well inside the 54 MHz a commercial station allows). Ground: 5 W into a 3.7 m
/// dish (EIRP 42.4 dBW). Satellite: a 3 dBi patch with 600 K. With 3 dB margin this gives
/// 8PSK 2/3 (19.8 Mbit/s) at 10° rising to 32APSK 9/10 (44.5 Mbit/s) above ~50°: the ACM
/// range of a link sized to close at the minimum elevation. 10 s setup.
fn s_band_high_rate_uplink() -> LinkConfig {
    LinkConfig {
        frequency_ghz: Some(2.05),
        symbol_rate_msps: Some(10.0),
        roll_off: Some(0.35),
        tx_power_dbw: Some(7.0),
        tx_diameter_m: Some(3.7),
        tx_efficiency: Some(0.55),
        rx_gain_dbi: Some(3.0),
        system_noise_temp_k: Some(600.0),
        pointing_loss_db: Some(0.2),
        polarization_loss_db: Some(0.5),
        implementation_loss_db: Some(1.0),
        required_margin_db: Some(3.0),
        coding: Some(CodingMode::Adaptive),
        availability_percent: Some(99.0),
        min_elevation_deg: Some(10.0),
        setup_time_s: Some(10.0),
        ..rf(LinkDirection::Uplink)
    }
}

/// Payload downlink of a 100 kg class satellite at 8.2 GHz (band 8025–8400 MHz): 3.2 W
/// (5 dBW) into a 12 dBi antenna (EIRP 17 dBW), 75 Msps (101 MHz occupied). Ground: 3.7 m
/// dish at 60 % (47.8 dBi) with 150 K looking at a cold sky (the model adds the
/// atmosphere's emission). 8PSK 3/4 (167 Mbit/s) at 10° to 32APSK 9/10 (334 Mbit/s) from
/// ~30° (docs/FACTS.md: 300+ Mbit/s from this class). 10 s setup.
fn x_band_downlink() -> LinkConfig {
    LinkConfig {
        frequency_ghz: Some(8.2),
        symbol_rate_msps: Some(75.0),
        roll_off: Some(0.35),
        tx_power_dbw: Some(5.0),
        tx_gain_dbi: Some(12.0),
        rx_diameter_m: Some(3.7),
        rx_efficiency: Some(0.6),
        system_noise_temp_k: Some(150.0),
        pointing_loss_db: Some(0.5),
        polarization_loss_db: Some(0.3),
        implementation_loss_db: Some(1.0),
        required_margin_db: Some(3.0),
        coding: Some(CodingMode::Adaptive),
        availability_percent: Some(99.0),
        min_elevation_deg: Some(10.0),
        setup_time_s: Some(10.0),
        ..rf(LinkDirection::Downlink)
    }
}

/// Ka-band feeder uplink at 27 GHz: 10 W into a 2.4 m dish at 60 % (EIRP 64.4 dBW),
/// 50 Msps; satellite 25 dBi with 700 K. Rain dominates: at 99 % availability Chengdu has
/// no link at 10° (24 dB of attenuation), 8PSK 3/5 (89 Mbit/s) at 15° and 32APSK 9/10
/// (223 Mbit/s) from 30°; Svalbard has 220 Mbit/s from 10°. 10 s setup.
fn ka_band_uplink() -> LinkConfig {
    LinkConfig {
        frequency_ghz: Some(27.0),
        symbol_rate_msps: Some(50.0),
        roll_off: Some(0.35),
        tx_power_dbw: Some(10.0),
        tx_diameter_m: Some(2.4),
        tx_efficiency: Some(0.6),
        rx_gain_dbi: Some(25.0),
        system_noise_temp_k: Some(700.0),
        pointing_loss_db: Some(0.8),
        polarization_loss_db: Some(0.3),
        implementation_loss_db: Some(1.5),
        required_margin_db: Some(3.0),
        coding: Some(CodingMode::Adaptive),
        availability_percent: Some(99.0),
        min_elevation_deg: Some(10.0),
        setup_time_s: Some(10.0),
        ..rf(LinkDirection::Uplink)
    }
}

/// Ka-band payload downlink at 20 GHz: 5 W (7 dBW) into a 23 dBi steerable antenna (EIRP
/// 30 dBW), 150 Msps; ground 2.4 m dish at 60 % (51.8 dBi) with 200 K. Chengdu: no link at
/// 10° (rain plus its sky noise cost 20 dB), 198 Mbit/s at 15°, 668 Mbit/s from ~45°.
/// 10 s setup.
fn ka_band_downlink() -> LinkConfig {
    LinkConfig {
        frequency_ghz: Some(20.0),
        symbol_rate_msps: Some(150.0),
        roll_off: Some(0.35),
        tx_power_dbw: Some(7.0),
        tx_gain_dbi: Some(23.0),
        rx_diameter_m: Some(2.4),
        rx_efficiency: Some(0.6),
        system_noise_temp_k: Some(200.0),
        pointing_loss_db: Some(0.8),
        polarization_loss_db: Some(0.3),
        implementation_loss_db: Some(1.5),
        required_margin_db: Some(3.0),
        coding: Some(CodingMode::Adaptive),
        availability_percent: Some(99.0),
        min_elevation_deg: Some(10.0),
        setup_time_s: Some(10.0),
        ..rf(LinkDirection::Downlink)
    }
}

/// Laser downlink to an optical ground station: 10 Gbit/s line rate (between the 1.8
/// Gbit/s EDRS terminal and the 200 Gbit/s TBIRD bursts of docs/FACTS.md) out to 2,000 km
/// (about 15° elevation from 500 km), above 20° where the air mass is small enough for
/// tracking. 20 s acquisition (the ~15 s quoted for inter-satellite terminals plus
/// atmospheric beacon tracking). Clouds block rather than fade the beam:
/// [`super::SiteClimate::cloud_blockage_probability`] gives the per-station probability.
fn optical_ground() -> LinkConfig {
    LinkConfig {
        kind: Some(LinkKind::Optical),
        direction: Some(LinkDirection::Downlink),
        rate_bps: Some(10e9),
        max_range_km: Some(2000.0),
        min_elevation_deg: Some(20.0),
        setup_time_s: Some(20.0),
        ..LinkConfig::default()
    }
}

/// Laser inter-satellite link: 100 Gbit/s (Starlink and ADA Space class), up to 5,000 km,
/// 15 s acquisition (the vendor figure in docs/FACTS.md).
fn optical_isl() -> LinkConfig {
    LinkConfig {
        kind: Some(LinkKind::Optical),
        direction: Some(LinkDirection::InterSatellite),
        rate_bps: Some(100e9),
        max_range_km: Some(5000.0),
        setup_time_s: Some(15.0),
        ..LinkConfig::default()
    }
}

/// Short-range laser link between satellites of a formation cluster: an 800 Gbit/s
/// ceiling each way (the off-the-shelf DWDM transceivers Project Suncatcher demonstrated
/// on the bench, docs/FACTS.md), with a link budget of 1 W at 1550 nm into a 200 µrad
/// beam, a 10 cm receive aperture, 1,000 photons per bit (the sensitivity of coherent
/// 100 Gbit/s-class receivers, about −30 dBm per channel) and 3 dB of optics and pointing
/// losses: the ceiling holds to about 49 km and the rate then falls as 1/R², to about
/// 195 Gbit/s at the 100 km limit. Co-flying satellites keep their terminals pointed, so
/// acquisition takes 1 s. Derivation in docs/clusters.md.
fn optical_isl_cluster() -> LinkConfig {
    LinkConfig {
        kind: Some(LinkKind::Optical),
        direction: Some(LinkDirection::InterSatellite),
        rate_bps: Some(800e9),
        max_range_km: Some(100.0),
        setup_time_s: Some(1.0),
        optical_power_w: Some(1.0),
        beam_divergence_urad: Some(200.0),
        rx_aperture_m: Some(0.1),
        photons_per_bit: Some(1000.0),
        wavelength_nm: Some(1550.0),
        optics_loss_db: Some(3.0),
        ..LinkConfig::default()
    }
}
