//! Link model: from geometry (elevation, range) to data rate, and from a pass to a
//! piecewise-constant rate profile.
//!
//! The flow the contact-plan builder follows:
//!
//! ```
//! use orbsim::link::{LinkBudget, LinkConfig, Site};
//! use orbsim::time::UtcTime;
//!
//! // 1. Parameters: a named preset plus field-by-field overrides, validated once.
//! let config: LinkConfig = toml::from_str(r#"
//!     preset = "x-band-downlink"
//!     required_margin_db = 4.0
//! "#).unwrap();
//! let params = config.resolve("links.downlink").unwrap();
//!
//! // 2. Per (station, link): precompute the atmosphere so loss at an elevation is a lookup.
//! let chengdu = Site::new(30.67, 104.07, 0.502);
//! let budget = LinkBudget::for_site(&params, &chengdu).unwrap();
//!
//! // 3. Per pass: a rate profile from the window, TCA and a geometry closure.
//! let start = UtcTime::from_calendar(2025, 11, 13, 3, 0, 0);
//! let end = start.plus_nanos(440_000_000_000); // a 7 min 20 s pass
//! let tca = start.plus_nanos(220_000_000_000);
//! let geometry = |t: UtcTime| {
//!     // toy geometry: elevation 0° → 88° → 0°, range from the elevation at 500 km
//!     let x = 1.0 - (t.seconds_since(tca) / 220.0).abs();
//!     let el = 88.0 * x;
//!     (el, orbsim::link::slant_range_km(el, 500.0))
//! };
//! let profile = budget.rate_profile(start, tca, end, geometry);
//! assert!(profile.deliverable_bytes() > 0);
//! assert!(profile.peak_rate_bps() as f64 >= profile.mean_rate_bps());
//! ```
//!
//! Modules: [`physics`] (slant range, FSPL, C/N0, Es/N0, Eb/N0), [`modcod`] (DVB-S2 table,
//! ACM choice), [`climate`] and [`atmosphere`] (ITU-R attenuation from a compact climate
//! grid), `params` and `presets` (configuration), `budget` (the per-site link model) and
//! `profile` (rate profiles and byte accounting).

#![warn(missing_docs)]

pub mod atmosphere;
mod budget;
pub mod climate;
pub mod modcod;
mod params;
pub mod physics;
mod presets;
mod profile;

pub use atmosphere::{AtmosphereTable, Attenuation, GroundAntenna, SlantPathModel};
pub use budget::{GeometryKnot, LinkBudget, RateLevel};
pub use climate::{Site, SiteClimate};
pub use modcod::{Modcod, dvbs2_modcods};
pub use params::{
    Coding, CodingMode, LinkConfig, LinkDirection, LinkKind, LinkParams, OpticalBudget, OpticalParams, RfParams,
    Technology,
};
pub use physics::slant_range_km;
pub use presets::{PRESET_NAMES, preset};
pub use profile::{ProfileBatch, RateProfile, RateStep};

/// Why link parameters or a site were rejected. Every variant names the offending field by
/// its path (e.g. `links.uplink.frequency_ghz`) so the CLI can print one clear line.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LinkError {
    /// `preset = "…"` names no preset.
    #[error("{path}: unknown preset {} (known: {known})", crate::units::quoted(name))]
    UnknownPreset {
        /// Field path, e.g. `links.uplink.preset`.
        path: String,
        /// The name given.
        name: String,
        /// Every preset name, comma-separated.
        known: String,
    },
    /// A MODCOD in `modcods` is not in the DVB-S2 table.
    #[error("{path}: unknown MODCOD {} (known: {known})", crate::units::quoted(name))]
    UnknownModcod {
        /// Field path, e.g. `links.uplink.modcods`.
        path: String,
        /// The name given.
        name: String,
        /// Every MODCOD name, comma-separated.
        known: String,
    },
    /// A value is missing, out of range, of the wrong type or in conflict with another.
    #[error("{path}: {message}")]
    Invalid {
        /// Field path, e.g. `links.uplink.frequency_ghz`.
        path: String,
        /// What is wrong, e.g. `must be > 0`.
        message: String,
    },
}

/// Elevations every half degree from 0° to 90°: the grid of every rate-against-elevation
/// curve.
pub fn elevation_grid_deg() -> Vec<f64> {
    (0..=180).map(|k| k as f64 * 0.5).collect()
}

/// Data rate against elevation for a named preset (no overrides) seen from a satellite at
/// `altitude_km`, bit/s per entry of `elevations_deg`: the curve behind the
/// rate-vs-elevation plot. Ground links use the atmosphere at `site` (free space when
/// `None`); inter-satellite presets ignore `site` and use the elevation only to derive a
/// range.
pub fn preset_rate_vs_elevation(
    preset_name: &str,
    site: Option<&Site>,
    altitude_km: f64,
    elevations_deg: &[f64],
) -> Result<Vec<u64>, LinkError> {
    let config = LinkConfig { preset: Some(preset_name.to_string()), ..LinkConfig::default() };
    let params = config.resolve("link")?;
    let budget = match site {
        Some(site) if params.is_ground_link() => LinkBudget::for_site(&params, site)?,
        _ => LinkBudget::free_space(&params),
    };
    Ok(budget.rate_vs_elevation(altitude_km, elevations_deg))
}

impl LinkError {
    pub(crate) fn invalid(path: impl Into<String>, message: impl Into<String>) -> Self {
        LinkError::Invalid { path: path.into(), message: message.into() }
    }
}
