//! The link model for one (link, ground site) pair, precomputed for the hot path.

use std::sync::Arc;

use super::LinkError;
use super::atmosphere::{AtmosphereTable, SlantPathModel};
use super::climate::{Site, SiteClimate};
use super::modcod::{Modcod, acm_ladder};
use super::params::{Coding, LinkDirection, LinkParams, Technology};
use super::physics::{
    BOLTZMANN_DBW_PER_K_HZ, free_space_path_loss_at_1_km_db, sky_noise_degradation_db, slant_range_km,
};

/// One rung of a link's rate ladder: the rate it gives and the quality it needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLevel {
    /// Information rate, bit/s.
    pub rate_bps: u64,
    /// The link-quality value from which this rung is available. RF links: C/N0 in dB-Hz
    /// (the MODCOD's ideal Es/N0 + margin + 10·log10 Rs, or for fixed coding
    /// Eb/N0 + margin + 10·log10 Rb). Optical links: range headroom
    /// `max_range_km − range_km` in km, threshold 0.
    pub threshold: f64,
    /// The DVB-S2 MODCOD of this rung (adaptive RF links).
    pub modcod: Option<&'static Modcod>,
}

#[derive(Debug, Clone, PartialEq)]
enum Metric {
    /// C/N0 = `cn0_at_1_km_dbhz` − 20·log10(range_km) − table(elevation).
    Rf { cn0_at_1_km_dbhz: f64 },
    /// `max_range_km` − range_km.
    Optical { max_range_km: f64 },
}

/// A link's budget bound to one ground site (or to free space for inter-satellite links),
/// with everything that does not depend on the instant precomputed: C/N0 at 1 km, the
/// rate ladder, and atmospheric loss against elevation. Evaluating the rate at an
/// (elevation, range) costs one `log10`, a table lookup and a short scan. Build one per
/// (station, link) and share it (`&LinkBudget` is `Sync`) across satellites.
#[derive(Debug, Clone)]
pub struct LinkBudget {
    params: LinkParams,
    metric: Metric,
    /// Rungs above "no data", ascending in threshold and rate.
    levels: Box<[RateLevel]>,
    /// `rates[0] = 0`, `rates[i] = levels[i − 1].rate_bps`: what profile steps index.
    rates: Arc<[u64]>,
    /// Atmospheric loss (plus sky-noise degradation for ground receivers), dB, by elevation.
    atmosphere: AtmosphereTable,
    cloud_blockage_probability: Option<f64>,
}

impl LinkBudget {
    /// The link as seen from a ground `site`: precomputes the ITU-R attenuation exceeded for
    /// (100 − availability) % of the time at the link frequency against elevation (~0.2 ms).
    /// Optical ground links instead carry the site's cloud-blockage probability. Fails for
    /// inter-satellite links and invalid sites.
    pub fn for_site(params: &LinkParams, site: &Site) -> Result<LinkBudget, LinkError> {
        if !params.is_ground_link() {
            return Err(LinkError::invalid(
                "direction",
                "inter-satellite links have no ground site: use LinkBudget::free_space",
            ));
        }
        site.validate("site")?;
        let climate = SiteClimate::at(site);
        match &params.technology {
            Technology::Rf(rf) => {
                let percent = 100.0 - rf.availability_percent;
                let model = SlantPathModel::new(site, &climate, rf.frequency_ghz, percent, rf.ground_antenna);
                let sky_noise_temp = match params.direction {
                    LinkDirection::Downlink => rf.system_noise_temp_k,
                    _ => None,
                };
                let atmosphere = AtmosphereTable::tabulate(|el| {
                    let a = model.attenuation(el).total_db;
                    a + sky_noise_temp.map_or(0.0, |t| sky_noise_degradation_db(a, t))
                });
                Ok(Self::build(params, atmosphere, None))
            }
            Technology::Optical(_) => {
                Ok(Self::build(params, AtmosphereTable::zero(), Some(climate.cloud_blockage_probability())))
            }
        }
    }

    /// The link in free space: no atmosphere (inter-satellite links, or a ground link
    /// evaluated in vacuum for comparison).
    pub fn free_space(params: &LinkParams) -> LinkBudget {
        Self::build(params, AtmosphereTable::zero(), None)
    }

    fn build(params: &LinkParams, atmosphere: AtmosphereTable, cloud_blockage_probability: Option<f64>) -> LinkBudget {
        let (metric, levels): (Metric, Vec<RateLevel>) = match &params.technology {
            Technology::Rf(rf) => {
                let cn0_at_1_km_dbhz = rf.eirp_dbw
                    - free_space_path_loss_at_1_km_db(rf.frequency_ghz)
                    - rf.pointing_loss_db
                    - rf.polarization_loss_db
                    - rf.implementation_loss_db
                    + rf.g_over_t_db_per_k
                    - BOLTZMANN_DBW_PER_K_HZ;
                let levels = match &rf.coding {
                    Coding::Adaptive { symbol_rate_sps, modcods, .. } => acm_ladder(modcods.iter().copied())
                        .into_iter()
                        .map(|m| RateLevel {
                            rate_bps: (symbol_rate_sps * m.bits_per_symbol).round() as u64,
                            threshold: m.ideal_es_n0_db + rf.required_margin_db + 10.0 * symbol_rate_sps.log10(),
                            modcod: Some(m),
                        })
                        .collect(),
                    Coding::Fixed { rate_bps, min_ebn0_db } => vec![RateLevel {
                        rate_bps: rate_bps.round() as u64,
                        threshold: min_ebn0_db + rf.required_margin_db + 10.0 * rate_bps.log10(),
                        modcod: None,
                    }],
                };
                (Metric::Rf { cn0_at_1_km_dbhz }, levels)
            }
            Technology::Optical(o) => (Metric::Optical { max_range_km: o.max_range_km }, optical_ladder(o)),
        };
        let rates: Arc<[u64]> = std::iter::once(0).chain(levels.iter().map(|l| l.rate_bps)).collect();
        LinkBudget {
            params: params.clone(),
            metric,
            levels: levels.into_boxed_slice(),
            rates,
            atmosphere,
            cloud_blockage_probability,
        }
    }

    /// The parameters this budget was built from.
    pub fn params(&self) -> &LinkParams {
        &self.params
    }

    /// The rate ladder above "no data", ascending.
    pub fn levels(&self) -> &[RateLevel] {
        &self.levels
    }

    /// Rates by level index (`[0]` is 0 bit/s); shared by every profile of this budget.
    pub fn rate_table(&self) -> &Arc<[u64]> {
        &self.rates
    }

    /// Optical ground links: probability (0–1) that cloud blocks the link at a random
    /// instant at this site, for the contact-plan builder's seeded draw. `None` otherwise.
    pub fn cloud_blockage_probability(&self) -> Option<f64> {
        self.cloud_blockage_probability
    }

    /// Atmospheric loss at `elevation_deg` as the budget uses it, dB (attenuation plus, for
    /// ground receivers, the sky-noise G/T degradation; 0 in free space).
    pub fn atmospheric_penalty_db(&self, elevation_deg: f64) -> f64 {
        self.atmosphere.loss_db(elevation_deg)
    }

    /// C/N0 at an (elevation, range), dB-Hz; `None` for optical links.
    pub fn c_over_n0_dbhz(&self, elevation_deg: f64, range_km: f64) -> Option<f64> {
        match self.metric {
            Metric::Rf { .. } => Some(self.metric(elevation_deg, range_km)),
            Metric::Optical { .. } => None,
        }
    }

    /// The quality metric the rate ladder's thresholds are in (see [`RateLevel`]).
    #[inline]
    pub(crate) fn metric(&self, elevation_deg: f64, range_km: f64) -> f64 {
        match self.metric {
            Metric::Rf { cn0_at_1_km_dbhz } => {
                cn0_at_1_km_dbhz - 20.0 * range_km.log10() - self.atmosphere.loss_db(elevation_deg)
            }
            Metric::Optical { max_range_km } => max_range_km - range_km,
        }
    }

    /// [`LinkBudget::metric`] at a geometry knot and its time derivative along the
    /// trajectory, per second.
    #[inline]
    pub(crate) fn metric_and_rate(&self, knot: &GeometryKnot) -> (f64, f64) {
        match self.metric {
            Metric::Rf { cn0_at_1_km_dbhz } => {
                // d/dt of −20·log10(range) − loss(elevation), the loss slope by a central
                // difference (smooth across the table's nodes, unlike a segment's slope).
                let el = knot.elevation_deg;
                let loss = self.atmosphere.loss_db(el);
                let loss_slope = (self.atmosphere.loss_db(el + 0.05) - self.atmosphere.loss_db(el - 0.05)) / 0.1;
                (
                    cn0_at_1_km_dbhz - 20.0 * knot.range_km.log10() - loss,
                    -20.0 / std::f64::consts::LN_10 * knot.range_rate_km_s / knot.range_km
                        - loss_slope * knot.elevation_rate_deg_s,
                )
            }
            Metric::Optical { max_range_km } => (max_range_km - knot.range_km, -knot.range_rate_km_s),
        }
    }

    /// Index into [`LinkBudget::rate_table`] of the best rung a metric value reaches.
    #[inline]
    pub(crate) fn level_for_metric(&self, metric: f64) -> usize {
        self.levels.partition_point(|l| l.threshold <= metric)
    }

    /// [`LinkBudget::level_for_metric`], walking from a nearby rung `from`: along a contact
    /// the metric moves a rung or two between evaluations, so this beats a binary search.
    #[inline]
    pub(crate) fn level_for_metric_near(&self, metric: f64, from: usize) -> usize {
        if metric.is_nan() {
            return 0;
        }
        let mut level = from.min(self.levels.len());
        while level < self.levels.len() && self.levels[level].threshold <= metric {
            level += 1;
        }
        while level > 0 && self.levels[level - 1].threshold > metric {
            level -= 1;
        }
        level
    }

    /// Whether data may flow at this elevation (ground links: at or above the minimum).
    #[inline]
    pub(crate) fn elevation_allows_data(&self, elevation_deg: f64) -> bool {
        !self.params.is_ground_link() || elevation_deg >= self.params.min_elevation_deg
    }

    /// The rung in use at an (elevation, range): 0 for no data.
    pub fn level_at(&self, elevation_deg: f64, range_km: f64) -> usize {
        if !self.elevation_allows_data(elevation_deg) {
            return 0;
        }
        self.level_for_metric(self.metric(elevation_deg, range_km))
    }

    /// Information rate at an (elevation, range), bit/s (0 below the minimum elevation or
    /// when not even the most robust rung closes).
    pub fn rate_bps(&self, elevation_deg: f64, range_km: f64) -> u64 {
        self.rates[self.level_at(elevation_deg, range_km)]
    }

    /// The MODCOD chosen at an (elevation, range), for adaptive RF links.
    pub fn modcod_at(&self, elevation_deg: f64, range_km: f64) -> Option<&'static Modcod> {
        match self.level_at(elevation_deg, range_km) {
            0 => None,
            level => self.levels[level - 1].modcod,
        }
    }

    /// Rate against elevation for a satellite at `altitude_km` (spherical Earth), bit/s,
    /// one value per entry of `elevations_deg`: the data behind a rate-vs-elevation plot.
    pub fn rate_vs_elevation(&self, altitude_km: f64, elevations_deg: &[f64]) -> Vec<u64> {
        elevations_deg.iter().map(|&el| self.rate_bps(el, slant_range_km(el, altitude_km))).collect()
    }
}

/// Rungs of an optical link with a budget, in steps of this many dB below its line rate.
const OPTICAL_RUNG_DB: f64 = 1.0;
/// Lowest rung of an optical link with a budget, dB below its line rate (at 30 dB the
/// link carries a thousandth of its ceiling: below that it is of no use).
const OPTICAL_FLOOR_DB: f64 = 30.0;

/// The rate ladder of an optical link: its line rate within range; with a budget, rungs
/// every [`OPTICAL_RUNG_DB`] below it, each from the range at which the received power
/// supports it (threshold `max_range_km − range`). Rungs every range within the maximum
/// reaches collapse into the best of them at threshold 0.
fn optical_ladder(o: &super::params::OpticalParams) -> Vec<RateLevel> {
    let Some(budget) = &o.budget else {
        return vec![RateLevel { rate_bps: o.rate_bps, threshold: 0.0, modcod: None }];
    };
    let rungs = (OPTICAL_FLOOR_DB / OPTICAL_RUNG_DB).round() as i32;
    let mut levels: Vec<RateLevel> = (0..=rungs)
        .rev()
        .filter_map(|k| {
            let rate_bps = (o.rate_bps as f64 * 10f64.powf(-OPTICAL_RUNG_DB * k as f64 / 10.0)).round();
            let reach_km = budget.range_for_rate_km(rate_bps)?;
            Some(RateLevel { rate_bps: rate_bps as u64, threshold: (o.max_range_km - reach_km).max(0.0), modcod: None })
        })
        .collect();
    // Keep, of the rungs available everywhere within range, only the best.
    let everywhere = levels.iter().rposition(|l| l.threshold == 0.0).unwrap_or(0);
    levels.drain(..everywhere);
    levels
}

/// The link geometry at one instant with its rates of change: a knot for
/// [`LinkBudget::rate_profile_from_knots`](crate::link::LinkBudget::rate_profile_from_knots).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeometryKnot {
    /// Seconds after the contact start.
    pub t: f64,
    /// Elevation of the far end, degrees (ignored for inter-satellite links).
    pub elevation_deg: f64,
    /// Its time derivative, degrees per second.
    pub elevation_rate_deg_s: f64,
    /// Slant range, km.
    pub range_km: f64,
    /// Its time derivative, km/s.
    pub range_rate_km_s: f64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::LinkConfig;

    #[test]
    fn optical_budget_worked_example() {
        // 1 W at 1550 nm, 200 µrad, 10 cm aperture, 1000 photons/bit, 3 dB of losses. At
        // 100 km the beam radius is 10 m and the aperture collects
        // 1 − exp(−0.01 / 200) = 4.99988e-5 of the power; 0.50119 W × that = 25.058 µW,
        // over 1.28159e-19 J/photon × 1000 photons/bit = 195.5 Gbit/s.
        let params = toml::from_str::<LinkConfig>("preset = \"optical-isl-cluster\"").unwrap().resolve("link").unwrap();
        let Technology::Optical(optical) = &params.technology else { panic!("optical") };
        let b = optical.budget.unwrap();
        assert!((b.photon_energy_j() - 1.281_59e-19).abs() < 1e-23);
        assert!((b.captured_fraction(100.0) - 4.999_875e-5).abs() < 1e-10);
        assert!((b.received_power_w(100.0) - 25.059e-6).abs() < 0.01e-6, "{}", b.received_power_w(100.0));
        assert!((b.supported_rate_bps(100.0) / 1e9 - 195.53).abs() < 0.05, "{}", b.supported_rate_bps(100.0));
        // The 800 Gbit/s ceiling holds out to √(195.53/800) × 100 km ≈ 49.4 km.
        let reach = b.range_for_rate_km(800e9).unwrap();
        assert!((reach - 49.44).abs() < 0.05, "{reach}");
        let budget = LinkBudget::free_space(&params);
        assert_eq!(budget.rate_bps(0.0, 1.0), 800_000_000_000);
        assert_eq!(budget.rate_bps(0.0, 49.0), 800_000_000_000);
        let at_60 = budget.rate_bps(0.0, 60.0) as f64;
        assert!(at_60 < b.supported_rate_bps(60.0) && at_60 > b.supported_rate_bps(60.0) * 0.79, "{at_60}");
        assert!(budget.rate_bps(0.0, 100.0) > 0);
        assert_eq!(budget.rate_bps(0.0, 100.1), 0);
    }

    #[test]
    fn walking_to_a_level_agrees_with_the_binary_search() {
        let params =
            toml::from_str::<LinkConfig>("preset = \"s-band-high-rate-uplink\"").unwrap().resolve("link").unwrap();
        let budget = LinkBudget::for_site(&params, &Site::new(30.67, 104.07, 0.5)).unwrap();
        let n = budget.levels().len();
        assert!(n > 10);
        let (lo, hi) = (budget.levels()[0].threshold - 3.0, budget.levels()[n - 1].threshold + 3.0);
        for k in 0..=2000 {
            let metric = lo + (hi - lo) * k as f64 / 2000.0;
            for from in 0..=n + 1 {
                assert_eq!(
                    budget.level_for_metric_near(metric, from),
                    budget.level_for_metric(metric),
                    "{metric} {from}"
                );
            }
        }
        for level in budget.levels() {
            for from in 0..=n {
                assert_eq!(
                    budget.level_for_metric_near(level.threshold, from),
                    budget.level_for_metric(level.threshold)
                );
            }
        }
        assert_eq!(budget.level_for_metric_near(f64::NAN, 5), 0);
    }
}
