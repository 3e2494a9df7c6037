//! Link configuration as users write it ([`LinkConfig`]: a preset plus optional overrides)
//! and as the model uses it ([`LinkParams`]: complete and validated).

use serde::{Deserialize, Serialize};

use super::LinkError;
use super::atmosphere::GroundAntenna;
use super::modcod::{Modcod, dvbs2_modcods, known_modcod_names, modcod_by_name};
use super::physics::{dish_diameter_m, dish_gain_dbi, g_over_t_db_per_k};

/// Radio (DVB-S2 or fixed-rate) or laser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LinkKind {
    /// Radio: C/N0 from the link budget decides the rate.
    Rf,
    /// Laser: a fixed line rate within range; cloud blocks it on the ground.
    Optical,
}

/// Which way data flows; decides which end is on the ground (the transmitter for an uplink,
/// the receiver for a downlink) and whether the atmosphere applies at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LinkDirection {
    /// Ground transmits, satellite receives.
    Uplink,
    /// Satellite transmits, ground receives.
    Downlink,
    /// Satellite to satellite: no atmosphere, no elevation limit.
    InterSatellite,
}

/// How an RF link turns C/N0 into a rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CodingMode {
    /// DVB-S2 ACM: the most efficient MODCOD whose threshold plus margin is met.
    Adaptive,
    /// One rate, available while Eb/N0 ≥ `min_ebn0_db` + margin.
    Fixed,
}

/// Link parameters as written in a scenario (`[links.NAME]`) or on the command line: an
/// optional `preset` and any fields to override. Every field is optional here;
/// [`LinkConfig::resolve`] fills them from the preset and validates the result.
///
/// Alternatives (set one; setting one in an override clears the preset's other):
/// - transmitter: `eirp_dbw`, or `tx_power_dbw` with `tx_gain_dbi` or with
///   `tx_diameter_m` + `tx_efficiency`;
/// - receiver: `g_over_t_db_per_k`, or `rx_gain_dbi` (or `rx_diameter_m` +
///   `rx_efficiency`) with `system_noise_temp_k`; on a downlink `system_noise_temp_k` also
///   sets the sky-noise degradation and may accompany `g_over_t_db_per_k`;
/// - symbol rate: `symbol_rate_msps`, or `bandwidth_mhz` with `roll_off`
///   (Rs = B / (1 + α)).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkConfig {
    /// Name of the preset to start from (see [`PRESET_NAMES`](super::PRESET_NAMES)).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preset: Option<String>,
    /// `rf` (default) or `optical`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<LinkKind>,
    /// `uplink`, `downlink` or `inter-satellite`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<LinkDirection>,
    /// Carrier centre frequency, GHz (RF).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frequency_ghz: Option<f64>,
    /// Symbol rate, Msymbol/s (adaptive coding).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbol_rate_msps: Option<f64>,
    /// Occupied bandwidth, MHz; with `roll_off` gives the symbol rate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bandwidth_mhz: Option<f64>,
    /// Root-raised-cosine roll-off α, 0–1 (DVB-S2: 0.20, 0.25, 0.35; default 0.35).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roll_off: Option<f64>,
    /// Transmitter EIRP, dBW.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eirp_dbw: Option<f64>,
    /// Transmitter power at the antenna flange, dBW.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tx_power_dbw: Option<f64>,
    /// Transmit antenna gain, dBi.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tx_gain_dbi: Option<f64>,
    /// Transmit dish diameter, m.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tx_diameter_m: Option<f64>,
    /// Transmit dish aperture efficiency, 0–1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tx_efficiency: Option<f64>,
    /// Receive antenna gain, dBi.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rx_gain_dbi: Option<f64>,
    /// Receive dish diameter, m.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rx_diameter_m: Option<f64>,
    /// Receive dish aperture efficiency, 0–1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rx_efficiency: Option<f64>,
    /// Receiving system noise temperature looking at a loss-free sky, K.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_noise_temp_k: Option<f64>,
    /// Receiving figure of merit, dB/K.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub g_over_t_db_per_k: Option<f64>,
    /// Antenna mis-pointing loss, both ends together, dB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointing_loss_db: Option<f64>,
    /// Polarisation mismatch loss, dB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub polarization_loss_db: Option<f64>,
    /// Modem implementation loss against the ideal thresholds, dB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub implementation_loss_db: Option<f64>,
    /// Margin kept above the MODCOD (or Eb/N0) threshold, dB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required_margin_db: Option<f64>,
    /// `adaptive` (DVB-S2 ACM) or `fixed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coding: Option<CodingMode>,
    /// Adaptive coding: the MODCODs the modem may use (default: all 28), by table name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modcods: Option<Vec<String>>,
    /// Fixed coding: information rate, bit/s; optical links: line rate, bit/s.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_bps: Option<f64>,
    /// Fixed coding: Eb/N0 needed at that rate, dB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_ebn0_db: Option<f64>,
    /// Fraction of an average year the atmospheric loss is not exceeded, percent
    /// (99–99.999; default 99): the link is sized for the loss exceeded (100 − this) % of
    /// the time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub availability_percent: Option<f64>,
    /// Lowest elevation at which data flows, degrees (ground links; default 10).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_elevation_deg: Option<f64>,
    /// Time from the start of each contact before data flows (antenna acquisition, carrier
    /// and frame lock, laser acquisition), s.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub setup_time_s: Option<f64>,
    /// Longest range at which the link closes, km (optical links).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_range_km: Option<f64>,
    /// Optical link budget (all four, or none for a fixed line rate within range):
    /// transmitted optical power, W.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub optical_power_w: Option<f64>,
    /// Full-angle (1/e²) beam divergence, µrad.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beam_divergence_urad: Option<f64>,
    /// Receive telescope aperture diameter, m.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rx_aperture_m: Option<f64>,
    /// Receiver sensitivity: photons needed per bit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub photons_per_bit: Option<f64>,
    /// Laser wavelength, nm (default 1550).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wavelength_nm: Option<f64>,
    /// Transmit and receive optics, pointing and coupling losses together, dB (default 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub optics_loss_db: Option<f64>,
}

/// Complete, validated link parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkParams {
    /// The preset it came from, or `custom`.
    pub name: String,
    /// Which way data flows.
    pub direction: LinkDirection,
    /// Lowest elevation for data, degrees (0 for inter-satellite links).
    pub min_elevation_deg: f64,
    /// Acquisition and lock time at the start of each contact, s.
    pub setup_time_s: f64,
    /// Radio or optical parameters.
    pub technology: Technology,
}

/// The technology-specific half of [`LinkParams`].
#[derive(Debug, Clone, PartialEq)]
pub enum Technology {
    /// A radio link.
    Rf(RfParams),
    /// A laser link.
    Optical(OpticalParams),
}

/// A radio link's budget terms, resolved to the quantities the model uses.
#[derive(Debug, Clone, PartialEq)]
pub struct RfParams {
    /// Carrier frequency, GHz.
    pub frequency_ghz: f64,
    /// Transmitter EIRP (given, or power + antenna gain), dBW.
    pub eirp_dbw: f64,
    /// Receiver G/T (given, or antenna gain − 10·log10 T_sys), dB/K.
    pub g_over_t_db_per_k: f64,
    /// Receiver noise temperature, K, when known (sets the downlink sky-noise degradation).
    pub system_noise_temp_k: Option<f64>,
    /// Antenna mis-pointing loss, dB.
    pub pointing_loss_db: f64,
    /// Polarisation mismatch loss, dB.
    pub polarization_loss_db: f64,
    /// Modem implementation loss, dB.
    pub implementation_loss_db: f64,
    /// Margin kept above the threshold, dB.
    pub required_margin_db: f64,
    /// Percent of the year the atmospheric loss used is not exceeded (99–99.999).
    pub availability_percent: f64,
    /// The ground end's antenna, for scintillation aperture averaging: the given dish, or a
    /// dish of the given gain at 60 % efficiency, or itur's default 1 m at 50 % when the
    /// ground end is given only by EIRP or G/T.
    pub ground_antenna: GroundAntenna,
    /// Adaptive or fixed coding and modulation.
    pub coding: Coding,
}

/// How the RF link turns C/N0 into a rate.
#[derive(Debug, Clone, PartialEq)]
pub enum Coding {
    /// DVB-S2 ACM over `modcods` at `symbol_rate_sps` symbols per second.
    Adaptive {
        /// Symbols per second.
        symbol_rate_sps: f64,
        /// Root-raised-cosine roll-off (occupied bandwidth = Rs·(1 + α)).
        roll_off: f64,
        /// The MODCODs the modem may use.
        modcods: Vec<&'static Modcod>,
    },
    /// One information rate needing `min_ebn0_db`.
    Fixed {
        /// Information rate, bit/s.
        rate_bps: f64,
        /// Eb/N0 the demodulator needs, dB (before margin).
        min_ebn0_db: f64,
    },
}

/// An optical link: a fixed line rate while within range (and, on the ground, above the
/// minimum elevation and not blocked by cloud), or with a `budget`, the line rate as a
/// ceiling on what the received power supports at the range.
#[derive(Debug, Clone, PartialEq)]
pub struct OpticalParams {
    /// Line rate (the transceivers' ceiling), bit/s.
    pub rate_bps: u64,
    /// Longest range at which the link closes, km.
    pub max_range_km: f64,
    /// The link budget that lowers the rate with range, if any.
    pub budget: Option<OpticalBudget>,
}

/// A free-space laser link budget: a Gaussian beam of full divergence θ spreads to a 1/e²
/// radius w = θR/2 at range R (far field), of which a receive aperture of diameter D
/// collects the fraction 1 − exp(−D²/(2w²)); the received power over the photon energy
/// hc/λ and the photons each bit needs gives the rate. See `docs/clusters.md`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OpticalBudget {
    /// Transmitted optical power, W.
    pub power_w: f64,
    /// Full-angle beam divergence, rad.
    pub divergence_rad: f64,
    /// Receive aperture diameter, m.
    pub aperture_m: f64,
    /// Photons needed per bit.
    pub photons_per_bit: f64,
    /// Wavelength, m.
    pub wavelength_m: f64,
    /// Optics, pointing and coupling losses, dB.
    pub loss_db: f64,
}

/// Planck's constant, J·s (exact in the SI).
const PLANCK_J_S: f64 = 6.626_070_15e-34;

impl OpticalBudget {
    /// Fraction of the transmitted power the aperture collects at `range_km`.
    pub fn captured_fraction(&self, range_km: f64) -> f64 {
        let beam_radius_m = 0.5 * self.divergence_rad * range_km * 1e3;
        -(-(self.aperture_m * self.aperture_m) / (2.0 * beam_radius_m * beam_radius_m)).exp_m1()
    }

    /// Received optical power at `range_km`, W.
    pub fn received_power_w(&self, range_km: f64) -> f64 {
        self.power_w * 10f64.powf(-self.loss_db / 10.0) * self.captured_fraction(range_km)
    }

    /// Energy of one photon, J.
    pub fn photon_energy_j(&self) -> f64 {
        PLANCK_J_S * crate::constants::SPEED_OF_LIGHT_M_S / self.wavelength_m
    }

    /// The rate the received power supports at `range_km`, bit/s (no ceiling).
    pub fn supported_rate_bps(&self, range_km: f64) -> f64 {
        self.received_power_w(range_km) / (self.photon_energy_j() * self.photons_per_bit)
    }

    /// The range at which the supported rate falls to `rate_bps`, km; `None` when even an
    /// aperture collecting the whole beam would not support it.
    pub fn range_for_rate_km(&self, rate_bps: f64) -> Option<f64> {
        let fraction = rate_bps * self.photon_energy_j() * self.photons_per_bit
            / (self.power_w * 10f64.powf(-self.loss_db / 10.0));
        if !(fraction > 0.0 && fraction < 1.0) {
            return None;
        }
        // 1 − exp(−D²/(2w²)) = f  ⇒  w = D / √(−2 ln(1 − f)), and R = 2w/θ.
        let beam_radius_m = self.aperture_m / (-2.0 * (-fraction).ln_1p()).sqrt();
        Some(2.0 * beam_radius_m / self.divergence_rad / 1e3)
    }
}

impl LinkConfig {
    /// Parses a TOML table (e.g. `[links.uplink]` of a scenario, or overrides built from
    /// command-line `key=value` pairs) into a config; `path` prefixes error messages.
    pub fn from_toml(table: &toml::Table, path: &str) -> Result<LinkConfig, LinkError> {
        toml::Value::Table(table.clone()).try_into::<LinkConfig>().map_err(|e| serde_error(path, &e.to_string()))
    }

    /// Applies `overrides` on top of `self`: each field the overrides set replaces ours,
    /// and setting one side of an alternative (see the type's docs) clears the other.
    pub fn overlay(&mut self, overrides: &LinkConfig) {
        let o = overrides;
        let tx_parts = o.tx_power_dbw.is_some()
            || o.tx_gain_dbi.is_some()
            || o.tx_diameter_m.is_some()
            || o.tx_efficiency.is_some();
        if o.eirp_dbw.is_some() {
            self.tx_power_dbw = None;
            self.tx_gain_dbi = None;
            self.tx_diameter_m = None;
            self.tx_efficiency = None;
        }
        if tx_parts {
            self.eirp_dbw = None;
        }
        if o.tx_gain_dbi.is_some() {
            self.tx_diameter_m = None;
            self.tx_efficiency = None;
        }
        if o.tx_diameter_m.is_some() || o.tx_efficiency.is_some() {
            self.tx_gain_dbi = None;
        }
        if o.g_over_t_db_per_k.is_some() {
            self.rx_gain_dbi = None;
            self.rx_diameter_m = None;
            self.rx_efficiency = None;
        }
        if o.rx_gain_dbi.is_some() || o.rx_diameter_m.is_some() || o.rx_efficiency.is_some() {
            self.g_over_t_db_per_k = None;
        }
        if o.rx_gain_dbi.is_some() {
            self.rx_diameter_m = None;
            self.rx_efficiency = None;
        }
        if o.rx_diameter_m.is_some() || o.rx_efficiency.is_some() {
            self.rx_gain_dbi = None;
        }
        if o.symbol_rate_msps.is_some() {
            self.bandwidth_mhz = None;
        }
        if o.bandwidth_mhz.is_some() {
            self.symbol_rate_msps = None;
        }
        match o.coding {
            // A fixed-rate link has no symbol-rate ladder: drop the preset's.
            Some(CodingMode::Fixed) => {
                self.modcods = None;
                self.symbol_rate_msps = None;
                self.bandwidth_mhz = None;
                self.roll_off = None;
            }
            Some(CodingMode::Adaptive) => {
                self.rate_bps = None;
                self.min_ebn0_db = None;
            }
            None => {}
        }
        macro_rules! take {
            ($($f:ident),*) => { $( if o.$f.is_some() { self.$f = o.$f.clone(); } )* };
        }
        take!(
            preset,
            kind,
            direction,
            frequency_ghz,
            symbol_rate_msps,
            bandwidth_mhz,
            roll_off,
            eirp_dbw,
            tx_power_dbw,
            tx_gain_dbi,
            tx_diameter_m,
            tx_efficiency,
            rx_gain_dbi,
            rx_diameter_m,
            rx_efficiency,
            system_noise_temp_k,
            g_over_t_db_per_k,
            pointing_loss_db,
            polarization_loss_db,
            implementation_loss_db,
            required_margin_db,
            coding,
            modcods,
            rate_bps,
            min_ebn0_db,
            availability_percent,
            min_elevation_deg,
            setup_time_s,
            max_range_km,
            optical_power_w,
            beam_divergence_urad,
            rx_aperture_m,
            photons_per_bit,
            wavelength_nm,
            optics_loss_db
        );
    }

    /// Checks a fully merged config and turns it into link parameters; `name` is the
    /// preset it started from (or "custom").
    pub(super) fn validate(&self, name: String, path: &str) -> Result<LinkParams, LinkError> {
        let at = |field: &str| format!("{path}.{field}");
        let err = |field: &str, msg: &str| Err(LinkError::invalid(at(field), msg));
        let finite = |field: &str, v: Option<f64>| -> Result<Option<f64>, LinkError> {
            match v {
                Some(x) if !x.is_finite() => Err(LinkError::invalid(at(field), "must be a finite number")),
                other => Ok(other),
            }
        };
        let positive = |field: &str, v: Option<f64>| -> Result<Option<f64>, LinkError> {
            match finite(field, v)? {
                Some(x) if x <= 0.0 => Err(LinkError::invalid(at(field), "must be > 0")),
                other => Ok(other),
            }
        };
        let non_negative = |field: &str, v: Option<f64>| -> Result<f64, LinkError> {
            match finite(field, v)? {
                Some(x) if x < 0.0 => Err(LinkError::invalid(at(field), "must be >= 0")),
                other => Ok(other.unwrap_or(0.0)),
            }
        };
        let fraction = |field: &str, v: Option<f64>| -> Result<Option<f64>, LinkError> {
            match positive(field, v)? {
                Some(x) if x > 1.0 => Err(LinkError::invalid(at(field), "must be between 0 and 1")),
                other => Ok(other),
            }
        };
        let required = |field: &str, v: Option<f64>| -> Result<f64, LinkError> {
            v.ok_or_else(|| LinkError::invalid(at(field), "missing (no preset sets it)"))
        };

        let direction = self
            .direction
            .ok_or_else(|| LinkError::invalid(at("direction"), "missing: uplink, downlink or inter-satellite"))?;
        let ground = direction != LinkDirection::InterSatellite;
        let min_elevation_deg = match finite("min_elevation_deg", self.min_elevation_deg)? {
            Some(_) if !ground => {
                return err("min_elevation_deg", "not used by inter-satellite links");
            }
            Some(x) if !(0.0..90.0).contains(&x) => {
                return err("min_elevation_deg", "must be between 0 and 90");
            }
            Some(x) => x,
            None if ground => 10.0,
            None => 0.0,
        };
        let setup_time_s = non_negative("setup_time_s", self.setup_time_s)?;
        if setup_time_s > 86_400.0 {
            return err("setup_time_s", "must be at most one day");
        }

        if self.kind == Some(LinkKind::Optical) {
            let rf_only: &[(&str, bool)] = &[
                ("frequency_ghz", self.frequency_ghz.is_some()),
                ("symbol_rate_msps", self.symbol_rate_msps.is_some()),
                ("bandwidth_mhz", self.bandwidth_mhz.is_some()),
                ("roll_off", self.roll_off.is_some()),
                ("eirp_dbw", self.eirp_dbw.is_some()),
                ("tx_power_dbw", self.tx_power_dbw.is_some()),
                ("tx_gain_dbi", self.tx_gain_dbi.is_some()),
                ("tx_diameter_m", self.tx_diameter_m.is_some()),
                ("tx_efficiency", self.tx_efficiency.is_some()),
                ("rx_gain_dbi", self.rx_gain_dbi.is_some()),
                ("rx_diameter_m", self.rx_diameter_m.is_some()),
                ("rx_efficiency", self.rx_efficiency.is_some()),
                ("system_noise_temp_k", self.system_noise_temp_k.is_some()),
                ("g_over_t_db_per_k", self.g_over_t_db_per_k.is_some()),
                ("pointing_loss_db", self.pointing_loss_db.is_some()),
                ("polarization_loss_db", self.polarization_loss_db.is_some()),
                ("implementation_loss_db", self.implementation_loss_db.is_some()),
                ("required_margin_db", self.required_margin_db.is_some()),
                ("coding", self.coding.is_some()),
                ("modcods", self.modcods.is_some()),
                ("min_ebn0_db", self.min_ebn0_db.is_some()),
                ("availability_percent", self.availability_percent.is_some()),
            ];
            if let Some((field, _)) = rf_only.iter().find(|(_, set)| *set) {
                return err(field, "not used by optical links");
            }
            let rate = required("rate_bps", positive("rate_bps", self.rate_bps)?)?;
            if rate > 1e15 {
                return err("rate_bps", "must be at most 1e15 bit/s");
            }
            let max_range_km = required("max_range_km", positive("max_range_km", self.max_range_km)?)?;
            let budget = self.optical_budget(&at)?;
            return Ok(LinkParams {
                name,
                direction,
                min_elevation_deg,
                setup_time_s,
                technology: Technology::Optical(OpticalParams { rate_bps: rate.round() as u64, max_range_km, budget }),
            });
        }

        for (field, set) in [
            ("max_range_km", self.max_range_km.is_some()),
            ("optical_power_w", self.optical_power_w.is_some()),
            ("beam_divergence_urad", self.beam_divergence_urad.is_some()),
            ("rx_aperture_m", self.rx_aperture_m.is_some()),
            ("photons_per_bit", self.photons_per_bit.is_some()),
            ("wavelength_nm", self.wavelength_nm.is_some()),
            ("optics_loss_db", self.optics_loss_db.is_some()),
        ] {
            if set {
                return err(field, "only used by optical links");
            }
        }
        let frequency_ghz = required("frequency_ghz", positive("frequency_ghz", self.frequency_ghz)?)?;
        if ground && !(1.0..=55.0).contains(&frequency_ghz) {
            return err(
                "frequency_ghz",
                "must be between 1 and 55 GHz for ground links (the range of the ITU-R P.618 attenuation model)",
            );
        }

        // Transmitter.
        let tx_power = finite("tx_power_dbw", self.tx_power_dbw)?;
        let tx_gain = finite("tx_gain_dbi", self.tx_gain_dbi)?;
        let tx_diameter = positive("tx_diameter_m", self.tx_diameter_m)?;
        let tx_efficiency = fraction("tx_efficiency", self.tx_efficiency)?;
        let eirp_given = finite("eirp_dbw", self.eirp_dbw)?;
        let tx_dish = dish(at("tx"), tx_gain, tx_diameter, tx_efficiency)?;
        let eirp_dbw = match (eirp_given, tx_power, tx_dish) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                return err("eirp_dbw", "set either eirp_dbw or tx_power_dbw with a transmit antenna, not both");
            }
            (Some(e), None, None) => e,
            (None, Some(p), Some(d)) => p + d.gain_dbi(frequency_ghz),
            (None, Some(_), None) => {
                return err("tx_gain_dbi", "missing: tx_power_dbw needs tx_gain_dbi or tx_diameter_m + tx_efficiency");
            }
            (None, None, _) => {
                return err("eirp_dbw", "missing: set eirp_dbw or tx_power_dbw with a transmit antenna");
            }
        };

        // Receiver.
        let rx_gain = finite("rx_gain_dbi", self.rx_gain_dbi)?;
        let rx_diameter = positive("rx_diameter_m", self.rx_diameter_m)?;
        let rx_efficiency = fraction("rx_efficiency", self.rx_efficiency)?;
        let system_noise_temp_k = positive("system_noise_temp_k", self.system_noise_temp_k)?;
        let gt_given = finite("g_over_t_db_per_k", self.g_over_t_db_per_k)?;
        let rx_dish = dish(at("rx"), rx_gain, rx_diameter, rx_efficiency)?;
        let g_over_t = match (gt_given, rx_dish, system_noise_temp_k) {
            (Some(_), Some(_), _) => {
                return err("g_over_t_db_per_k", "set either g_over_t_db_per_k or a receive antenna, not both");
            }
            (Some(gt), None, _) => gt,
            (None, Some(d), Some(t)) => g_over_t_db_per_k(d.gain_dbi(frequency_ghz), t),
            (None, Some(_), None) => {
                return err("system_noise_temp_k", "missing: a receive antenna needs system_noise_temp_k");
            }
            (None, None, _) => {
                return err(
                    "g_over_t_db_per_k",
                    "missing: set g_over_t_db_per_k or rx_gain_dbi with system_noise_temp_k",
                );
            }
        };

        let ground_dish = match direction {
            LinkDirection::Uplink => tx_dish,
            LinkDirection::Downlink => rx_dish,
            LinkDirection::InterSatellite => None,
        };
        let ground_antenna = match ground_dish {
            Some(d) => d.as_ground_antenna(frequency_ghz),
            None => GroundAntenna { diameter_m: 1.0, efficiency: 0.5 },
        };

        let availability_percent = match finite("availability_percent", self.availability_percent)? {
            Some(_) if !ground => {
                return err("availability_percent", "not used by inter-satellite links");
            }
            Some(a) if !(99.0..=99.999).contains(&a) => {
                return err(
                    "availability_percent",
                    "must be between 99 and 99.999 (the climate grid holds the 1 % statistics)",
                );
            }
            Some(a) => a,
            None => 99.0,
        };

        let coding = match self.coding.unwrap_or(CodingMode::Adaptive) {
            CodingMode::Adaptive => {
                if self.rate_bps.is_some() {
                    return err("rate_bps", "only used with coding = \"fixed\"");
                }
                if self.min_ebn0_db.is_some() {
                    return err("min_ebn0_db", "only used with coding = \"fixed\"");
                }
                let roll_off = finite("roll_off", self.roll_off)?.unwrap_or(0.35);
                if !(0.0..=1.0).contains(&roll_off) {
                    return err("roll_off", "must be between 0 and 1");
                }
                let symbol_rate_msps = match (
                    positive("symbol_rate_msps", self.symbol_rate_msps)?,
                    positive("bandwidth_mhz", self.bandwidth_mhz)?,
                ) {
                    (Some(_), Some(_)) => {
                        return err("bandwidth_mhz", "set either symbol_rate_msps or bandwidth_mhz, not both");
                    }
                    (Some(rs), None) => rs,
                    (None, Some(b)) => b / (1.0 + roll_off),
                    (None, None) => {
                        return err(
                            "symbol_rate_msps",
                            "missing: adaptive coding needs symbol_rate_msps or bandwidth_mhz",
                        );
                    }
                };
                if symbol_rate_msps > 1e5 {
                    return err("symbol_rate_msps", "must be at most 100,000 Msps");
                }
                let modcods = match &self.modcods {
                    None => dvbs2_modcods().iter().collect(),
                    Some(names) if names.is_empty() => {
                        return err("modcods", "must list at least one MODCOD");
                    }
                    Some(names) => names
                        .iter()
                        .map(|n| {
                            modcod_by_name(n).ok_or_else(|| LinkError::UnknownModcod {
                                path: at("modcods"),
                                name: n.clone(),
                                known: known_modcod_names(),
                            })
                        })
                        .collect::<Result<Vec<_>, _>>()?,
                };
                Coding::Adaptive { symbol_rate_sps: symbol_rate_msps * 1e6, roll_off, modcods }
            }
            CodingMode::Fixed => {
                for (field, set) in [
                    ("modcods", self.modcods.is_some()),
                    ("symbol_rate_msps", self.symbol_rate_msps.is_some()),
                    ("bandwidth_mhz", self.bandwidth_mhz.is_some()),
                ] {
                    if set {
                        return err(field, "only used with coding = \"adaptive\"");
                    }
                }
                let rate_bps = required("rate_bps", positive("rate_bps", self.rate_bps)?)?;
                if rate_bps > 1e15 {
                    return err("rate_bps", "must be at most 1e15 bit/s");
                }
                let min_ebn0_db = required("min_ebn0_db", finite("min_ebn0_db", self.min_ebn0_db)?)?;
                Coding::Fixed { rate_bps, min_ebn0_db }
            }
        };

        Ok(LinkParams {
            name,
            direction,
            min_elevation_deg,
            setup_time_s,
            technology: Technology::Rf(RfParams {
                frequency_ghz,
                eirp_dbw,
                g_over_t_db_per_k: g_over_t,
                system_noise_temp_k,
                pointing_loss_db: non_negative("pointing_loss_db", self.pointing_loss_db)?,
                polarization_loss_db: non_negative("polarization_loss_db", self.polarization_loss_db)?,
                implementation_loss_db: non_negative("implementation_loss_db", self.implementation_loss_db)?,
                required_margin_db: non_negative("required_margin_db", self.required_margin_db)?,
                availability_percent,
                ground_antenna,
                coding,
            }),
        })
    }
}

impl LinkConfig {
    /// The optical link budget, when its four required terms are given (all or none).
    fn optical_budget(&self, at: &dyn Fn(&str) -> String) -> Result<Option<OpticalBudget>, LinkError> {
        let terms = [
            ("optical_power_w", self.optical_power_w, 1e-6..=1e3),
            ("beam_divergence_urad", self.beam_divergence_urad, 0.1..=1e5),
            ("rx_aperture_m", self.rx_aperture_m, 1e-3..=10.0),
            ("photons_per_bit", self.photons_per_bit, 1.0..=1e9),
        ];
        let given = terms.iter().filter(|t| t.1.is_some()).count();
        if given == 0 {
            for (field, set) in [("wavelength_nm", self.wavelength_nm), ("optics_loss_db", self.optics_loss_db)] {
                if set.is_some() {
                    return Err(LinkError::invalid(
                        at(field),
                        "only used with an optical link budget (optical_power_w, beam_divergence_urad, rx_aperture_m, photons_per_bit)",
                    ));
                }
            }
            return Ok(None);
        }
        let mut values = [0.0; 4];
        for (k, (field, value, range)) in terms.iter().enumerate() {
            let Some(v) = value else {
                return Err(LinkError::invalid(
                    at(field),
                    "missing: an optical link budget needs optical_power_w, beam_divergence_urad, rx_aperture_m and photons_per_bit",
                ));
            };
            values[k] =
                crate::units::check_range(*v, range.clone(), "").map_err(|m| LinkError::invalid(at(field), m))?;
        }
        let wavelength_nm = crate::units::check_range(self.wavelength_nm.unwrap_or(1550.0), 200.0..=20_000.0, " nm")
            .map_err(|m| LinkError::invalid(at("wavelength_nm"), m))?;
        let loss_db = crate::units::check_range(self.optics_loss_db.unwrap_or(0.0), 0.0..=100.0, " dB")
            .map_err(|m| LinkError::invalid(at("optics_loss_db"), m))?;
        Ok(Some(OpticalBudget {
            power_w: values[0],
            divergence_rad: values[1] * 1e-6,
            aperture_m: values[2],
            photons_per_bit: values[3],
            wavelength_m: wavelength_nm * 1e-9,
            loss_db,
        }))
    }
}

/// Turns a serde message into a field-path error: `unknown field `x`, expected …` and
/// `invalid type: …, expected f64 in `x`` both become `PATH.x: …`.
fn serde_error(path: &str, message: &str) -> LinkError {
    let message = message.trim().replace('\n', " ");
    // (No let-chains: the crate's declared MSRV is 1.85.)
    let unknown = message.strip_prefix("unknown field `").and_then(|rest| rest.split_once('`'));
    if let Some((field, tail)) = unknown {
        let expected = tail.trim_start_matches(", ");
        return LinkError::invalid(format!("{path}.{field}"), format!("unknown field ({expected})"));
    }
    let located = message.rsplit_once(" in `").and_then(|(head, field)| Some((head, field.strip_suffix('`')?)));
    // The parser's message may quote the whole value given: keep it one short line.
    let short = |text: &str| crate::units::one_line(text, 200);
    if let Some((head, field)) = located {
        return LinkError::invalid(format!("{path}.{field}"), short(head));
    }
    LinkError::invalid(path, short(&message))
}

/// A transmit or receive antenna, given by gain or by dish size.
#[derive(Debug, Clone, Copy)]
enum Dish {
    Gain(f64),
    Aperture { diameter_m: f64, efficiency: f64 },
}

/// Efficiency assumed when sizing a dish from its gain (typical of Cassegrain ground dishes).
const ASSUMED_DISH_EFFICIENCY: f64 = 0.6;

impl Dish {
    fn gain_dbi(self, frequency_ghz: f64) -> f64 {
        match self {
            Dish::Gain(g) => g,
            Dish::Aperture { diameter_m, efficiency } => dish_gain_dbi(diameter_m, efficiency, frequency_ghz),
        }
    }

    fn as_ground_antenna(self, frequency_ghz: f64) -> GroundAntenna {
        match self {
            Dish::Gain(g) => GroundAntenna {
                diameter_m: dish_diameter_m(g, ASSUMED_DISH_EFFICIENCY, frequency_ghz),
                efficiency: ASSUMED_DISH_EFFICIENCY,
            },
            Dish::Aperture { diameter_m, efficiency } => GroundAntenna { diameter_m, efficiency },
        }
    }
}

/// Resolves one antenna's alternatives; `prefix` is `PATH.tx` or `PATH.rx`.
fn dish(
    prefix: String,
    gain: Option<f64>,
    diameter: Option<f64>,
    efficiency: Option<f64>,
) -> Result<Option<Dish>, LinkError> {
    match (gain, diameter, efficiency) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => Err(LinkError::invalid(
            format!("{prefix}_gain_dbi"),
            "set either the gain or the dish diameter and efficiency, not both",
        )),
        (Some(g), None, None) => Ok(Some(Dish::Gain(g))),
        (None, Some(d), Some(e)) => Ok(Some(Dish::Aperture { diameter_m: d, efficiency: e })),
        (None, Some(_), None) => {
            Err(LinkError::invalid(format!("{prefix}_efficiency"), "missing: a dish diameter needs its efficiency"))
        }
        (None, None, Some(_)) => {
            Err(LinkError::invalid(format!("{prefix}_diameter_m"), "missing: a dish efficiency needs its diameter"))
        }
        (None, None, None) => Ok(None),
    }
}

impl LinkParams {
    /// The RF parameters, if this is a radio link.
    pub fn rf(&self) -> Option<&RfParams> {
        match &self.technology {
            Technology::Rf(rf) => Some(rf),
            Technology::Optical(_) => None,
        }
    }

    /// Whether one end is on the ground (the atmosphere and elevation limits apply).
    pub fn is_ground_link(&self) -> bool {
        self.direction != LinkDirection::InterSatellite
    }
}
