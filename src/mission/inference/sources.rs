//! Request sources at run time: where their terminals are, and when requests arrive.
//!
//! Every terminal of a source asks at the same Poisson rate, independently, so the
//! source as a whole is one Poisson process at the summed rate whose arrivals fall on a
//! terminal chosen uniformly (superposition). One pending arrival per source is then
//! enough, however many terminals it has (the engine keeps its heap small). Each source
//! draws gaps, terminals and token counts from its own stream,
//! `rng_stream(seed, source, "inference.arrivals")`, so adding a source does not change
//! the requests of the others.

use rand::RngExt;

use super::ocean::LandMask;
use super::spec::{Source, Terminals};
use crate::engine::{SimRng, rng_stream};
use crate::frames::Geodetic;
use crate::ground::GroundStation;

/// Terminals of a source placed on the globe: given positions as they are, random ones
/// drawn from `rng_stream(seed, source_index, "inference.positions")` uniformly by area
/// (latitude = asin(2u − 1)), over the oceans by rejecting land. Empty for a portal.
/// Names are the given ones, or `<source>-<k>` numbered from 1.
pub fn place_terminals(
    source: &Source,
    source_index: usize,
    seed: u64,
    land: &mut Option<LandMask>,
) -> Vec<GroundStation> {
    match &source.terminals {
        Terminals::Positions(p) => p.clone(),
        Terminals::Portal(_) => Vec::new(),
        &Terminals::Random { count, ocean } => {
            let mut rng = rng_stream(seed, source_index as u64, "inference.positions");
            let mask = if ocean { Some(&*land.get_or_insert_with(LandMask::bundled)) } else { None };
            let width = count.to_string().len();
            (0..count)
                .map(|k| {
                    let (lat, lon) = loop {
                        let lat = (2.0 * rng.random::<f64>() - 1.0).clamp(-1.0, 1.0).asin().to_degrees();
                        let lon = 360.0 * rng.random::<f64>() - 180.0;
                        if mask.is_none_or(|m| !m.is_land(lat, lon)) {
                            break (lat, lon);
                        }
                    };
                    GroundStation {
                        name: format!("{}-{:0width$}", source.name, k + 1),
                        site: Geodetic { lat_deg: lat, lon_deg: lon, alt_km: 0.0 },
                        min_elevation_deg: 0.0,
                        azimuth_mask: None,
                    }
                })
                .collect()
        }
    }
}

/// One source's arrival process and draws.
#[derive(Debug, Clone)]
pub struct Arrivals {
    rng: SimRng,
    rate_per_s: f64,
    terminals: u32,
}

/// What one arrival asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Draw {
    /// Which terminal of the source (0 for a portal).
    pub terminal: u32,
    /// Prompt tokens.
    pub prompt: u32,
    /// Output tokens.
    pub output: u32,
}

impl Arrivals {
    /// The process of source number `index`.
    pub fn new(source: &Source, index: usize, seed: u64) -> Arrivals {
        Arrivals {
            rng: rng_stream(seed, index as u64, "inference.arrivals"),
            rate_per_s: source.total_rate_per_s(),
            terminals: source.terminal_count().max(1) as u32,
        }
    }

    /// Time to the next arrival, ns: exponential with the source's total rate, at least 1.
    pub fn next_gap_ns(&mut self) -> i64 {
        let u: f64 = self.rng.random();
        let gap_s = -(1.0 - u).ln() / self.rate_per_s;
        ((gap_s * 1e9).round() as i64).clamp(1, i64::MAX / 4)
    }

    /// The terminal and token counts of an arrival.
    pub fn draw(&mut self, source: &Source) -> Draw {
        let terminal = if self.terminals > 1 { self.rng.random_range(0..self.terminals) } else { 0 };
        let prompt = source.prompt.sample(&mut self.rng);
        let output = source.output.sample(&mut self.rng).max(1);
        Draw { terminal, prompt, output }
    }
}
