//! Electrical power of a computing satellite: solar array, battery and loads, driven by the
//! eclipse intervals of [`crate::access::eclipse`].
//!
//! # Model
//! - **Generation** is the array's output in full sunlight (`solar_array`, already including
//!   pointing and cell temperature: the figure an operator quotes for the orbit's sunlit
//!   part), times the visible share of the Sun's disc. Eclipse intervals give that share
//!   piecewise: 1 in sunlight, 0 in the umbra, and ½ in the penumbra — the mean of the
//!   visible fraction across a penumbra crossing, which at LEO lasts about 10 s, so the
//!   error is a few joules per eclipse.
//! - **Loads** are the platform bus (constant) plus the accelerator: its active draw while
//!   it computes, its idle draw otherwise (weights stay loaded), and a throttled draw in
//!   the `throttle` policy below.
//! - **Battery**: energy moves at the net power (generation − load) between events, which
//!   are the only instants either changes, so the integration is exact. A full battery
//!   spills the surplus; an empty one cannot supply the load, and the shortfall is counted
//!   as a deficit (a brown-out the platform would have to shed load for). Stored energy is
//!   therefore never negative and never above the capacity. Charge and discharge
//!   efficiencies are folded into the loads (not modelled separately).
//! - **Floor**: inference may not take the battery below `floor` (a share of capacity kept
//!   for the platform). When the battery reaches it, the accelerator either **pauses**
//!   (jobs keep their slots, draw idle power and make no progress) or is **throttled** (a
//!   lower-power mode running at `throttle_speed` of full speed). It returns to full speed
//!   once the battery has recharged to `resume` (hysteresis, so the mode does not chatter at
//!   the floor).
//!
//! [`Battery`] is the pure state machine; the inference model (see
//! [`super::inference`]) drives it from its event loop.

#![warn(missing_docs)]

use serde::Deserialize;

use crate::access::eclipse::EclipseInterval;
use crate::time::{NANOS_PER_SECOND, UtcTime};
pub use crate::units::{WattHours, Watts};

/// Joules per watt-hour.
pub const JOULES_PER_WH: f64 = 3600.0;

/// What the accelerator does when the battery reaches its floor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum BelowFloor {
    /// Stop computing (running jobs hold their slots and resume later).
    #[default]
    Pause,
    /// Keep computing in a low-power mode at `throttle_speed` of full speed.
    Throttle,
}

fn default_floor() -> f64 {
    0.3
}
fn default_initial() -> f64 {
    1.0
}

/// `[inference.power]` as written: the satellite's power system, the same for every
/// serving satellite.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PowerSpec {
    /// Array output in full sunlight (after pointing and temperature), e.g. `"300 W"`.
    pub solar_array: Watts,
    /// Usable battery capacity, e.g. `"500 Wh"`.
    pub battery: WattHours,
    /// State of charge (0–1) below which inference may not draw the battery; default 0.3.
    #[serde(default = "default_floor")]
    pub floor: f64,
    /// State of charge (0–1) at which full-speed inference resumes; default floor + 0.05.
    pub resume: Option<f64>,
    /// State of charge at the start (0–1); default 1.
    #[serde(default = "default_initial")]
    pub initial_charge: f64,
    /// Constant platform load (avionics, thermal, radios), e.g. `"80 W"`; default 0.
    #[serde(default)]
    pub bus_power: Watts,
    /// `pause` (default) or `throttle`.
    #[serde(default)]
    pub below_floor: BelowFloor,
    /// Accelerator draw when throttled; required with `below_floor = "throttle"`.
    pub throttle_power: Option<Watts>,
    /// Speed when throttled, as a share of full speed (0–1]; required with `throttle`.
    pub throttle_speed: Option<f64>,
}

/// What limits inference below the floor, resolved.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Limit {
    /// No progress; the accelerator draws its idle power.
    Pause,
    /// Progress at `speed` of full speed while drawing `power_w`.
    Throttle {
        /// Accelerator draw, W.
        power_w: f64,
        /// Share of full speed, (0, 1].
        speed: f64,
    },
}

/// A validated power system, in SI units (W, J).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PowerConfig {
    /// Array output in full sunlight, W.
    pub solar_w: f64,
    /// Battery capacity, J.
    pub capacity_j: f64,
    /// Inference floor, J.
    pub floor_j: f64,
    /// Full speed resumes at this charge, J.
    pub resume_j: f64,
    /// Charge at the start, J.
    pub initial_j: f64,
    /// Platform load, W.
    pub bus_w: f64,
    /// What happens below the floor.
    pub limit: Limit,
}

impl PowerSpec {
    /// Checks the section; errors name the field under `path` (e.g. `inference.power`).
    /// Returns (field path, message) on error.
    pub fn validate(&self, path: &str) -> Result<PowerConfig, (String, String)> {
        let field = |f: &str| format!("{path}.{f}");
        let positive = |f: &str, v: f64, unit: &str| {
            if v.is_finite() && v > 0.0 { Ok(v) } else { Err((field(f), format!("{v} {unit} must be > 0"))) }
        };
        let share = |f: &str, v: f64| {
            if v.is_finite() && (0.0..=1.0).contains(&v) {
                Ok(v)
            } else {
                Err((field(f), format!("{v} must be a share of capacity between 0 and 1")))
            }
        };
        let solar_w = positive("solar_array", self.solar_array.0, "W")?;
        let capacity_j = positive("battery", self.battery.0, "Wh")? * JOULES_PER_WH;
        let floor = share("floor", self.floor)?;
        let resume = match self.resume {
            Some(r) => share("resume", r)?,
            None => (floor + 0.05).min(1.0),
        };
        if resume < floor {
            return Err((field("resume"), format!("{resume} must be at least the floor ({floor})")));
        }
        let initial = share("initial_charge", self.initial_charge)?;
        if !(self.bus_power.0.is_finite() && self.bus_power.0 >= 0.0) {
            return Err((field("bus_power"), format!("{} W must be ≥ 0", self.bus_power.0)));
        }
        let limit = match self.below_floor {
            BelowFloor::Pause => {
                if self.throttle_power.is_some() || self.throttle_speed.is_some() {
                    return Err((
                        field("below_floor"),
                        "`throttle_power` and `throttle_speed` apply only to below_floor = \"throttle\"".into(),
                    ));
                }
                Limit::Pause
            }
            BelowFloor::Throttle => {
                let power = self
                    .throttle_power
                    .ok_or_else(|| (field("throttle_power"), "is required with below_floor = \"throttle\"".into()))?;
                let speed = self
                    .throttle_speed
                    .ok_or_else(|| (field("throttle_speed"), "is required with below_floor = \"throttle\"".into()))?;
                if !(power.0.is_finite() && power.0 >= 0.0) {
                    return Err((field("throttle_power"), format!("{} W must be ≥ 0", power.0)));
                }
                if !(speed.is_finite() && speed > 0.0 && speed <= 1.0) {
                    return Err((field("throttle_speed"), format!("{speed} must be in (0, 1]")));
                }
                Limit::Throttle { power_w: power.0, speed }
            }
        };
        Ok(PowerConfig {
            solar_w,
            capacity_j,
            floor_j: floor * capacity_j,
            resume_j: resume * capacity_j,
            initial_j: initial * capacity_j,
            bus_w: self.bus_power.0,
            limit,
        })
    }
}

/// The share of full sunlight from `at` on, and when it next changes, from one
/// satellite's eclipse intervals (sorted, as [`crate::access::eclipse::eclipse_intervals`]
/// returns them): 1, ½ in penumbra, 0 in umbra.
///
/// Returns the steps `(time, share)` in time order; the share before the first step is 1.
pub fn sunlight_steps(intervals: &[EclipseInterval]) -> Vec<(UtcTime, f64)> {
    let mut steps: Vec<(UtcTime, f64)> = Vec::with_capacity(intervals.len() * 4);
    let mut push = |t: UtcTime, share: f64| {
        if let Some(last) = steps.last_mut()
            && last.0 == t
        {
            *last = (t, share);
            return;
        }
        steps.push((t, share));
    };
    for e in intervals {
        match (e.umbra_start, e.umbra_end) {
            (Some(us), Some(ue)) => {
                push(e.start, 0.5);
                push(us, 0.0);
                push(ue, 0.5);
            }
            _ => push(e.start, 0.5),
        }
        push(e.end, 1.0);
    }
    steps
}

/// Energy book of one battery over a run, J unless named otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct EnergyAccount {
    /// Solar energy the array produced (∫ generation dt).
    pub solar_j: f64,
    /// Produced but neither used nor storable (battery full).
    pub spilled_j: f64,
    /// Energy delivered to the loads.
    pub supplied_j: f64,
    /// Load the battery could not supply (it was empty).
    pub deficit_j: f64,
    /// Lowest stored energy seen.
    pub min_energy_j: f64,
    /// Time spent at or below the inference floor, ns.
    pub below_floor_ns: i64,
}

/// A battery with a solar array and a load, integrated exactly between the instants the
/// generation or the load change. Energy stays within [0, capacity]; see the module docs.
#[derive(Debug, Clone)]
pub struct Battery {
    config: PowerConfig,
    energy_j: f64,
    last_ns: i64,
    generation_w: f64,
    load_w: f64,
    account: EnergyAccount,
}

impl Battery {
    /// A battery at its initial charge at `start`, with the given generation and load.
    pub fn new(config: PowerConfig, start: UtcTime, generation_w: f64, load_w: f64) -> Self {
        let energy_j = config.initial_j.clamp(0.0, config.capacity_j);
        Battery {
            config,
            energy_j,
            last_ns: start.unix_nanos(),
            generation_w,
            load_w,
            account: EnergyAccount { min_energy_j: energy_j, ..Default::default() },
        }
    }

    /// The configuration it was built with.
    pub fn config(&self) -> &PowerConfig {
        &self.config
    }

    /// Brings the state to `now` at the current generation and load. Times before the
    /// last update are ignored (the state never goes back).
    pub fn advance(&mut self, now: UtcTime) {
        let now_ns = now.unix_nanos();
        if now_ns <= self.last_ns {
            return;
        }
        let dt = (now_ns - self.last_ns) as f64 / NANOS_PER_SECOND as f64;
        let cap = self.config.capacity_j;
        let a = &mut self.account;
        a.solar_j += self.generation_w * dt;
        let net = self.generation_w - self.load_w;
        let start = self.energy_j;
        // Time at or below the floor within this step (the charge is linear in it).
        let floor = self.config.floor_j;
        let unclamped = start + net * dt;
        let below = if start <= floor && unclamped <= floor {
            dt
        } else if start > floor && unclamped < floor {
            dt * (unclamped - floor).abs() / (unclamped - start).abs()
        } else if start <= floor && unclamped > floor {
            dt * (floor - start) / (unclamped - start)
        } else {
            0.0
        };
        a.below_floor_ns += (below * NANOS_PER_SECOND as f64).round() as i64;
        if unclamped > cap {
            a.spilled_j += unclamped - cap;
            a.supplied_j += self.load_w * dt;
            self.energy_j = cap;
        } else if unclamped < 0.0 {
            a.deficit_j += -unclamped;
            a.supplied_j += self.load_w * dt + unclamped;
            self.energy_j = 0.0;
        } else {
            a.supplied_j += self.load_w * dt;
            self.energy_j = unclamped;
        }
        a.min_energy_j = a.min_energy_j.min(self.energy_j);
        self.last_ns = now_ns;
    }

    /// Changes the generation from `now` on (advancing first).
    pub fn set_generation(&mut self, now: UtcTime, watts: f64) {
        self.advance(now);
        self.generation_w = watts;
    }

    /// Changes the load from `now` on (advancing first).
    pub fn set_load(&mut self, now: UtcTime, watts: f64) {
        self.advance(now);
        self.load_w = watts;
    }

    /// Stored energy at the last update, J.
    pub fn energy_j(&self) -> f64 {
        self.energy_j
    }

    /// Stored energy over capacity at the last update.
    pub fn state_of_charge(&self) -> f64 {
        self.energy_j / self.config.capacity_j
    }

    /// Generation minus load, W.
    pub fn net_w(&self) -> f64 {
        self.generation_w - self.load_w
    }

    /// Current load, W.
    pub fn load_w(&self) -> f64 {
        self.load_w
    }

    /// The energy book so far.
    pub fn account(&self) -> &EnergyAccount {
        &self.account
    }

    /// When the stored energy reaches `target_j` at the current net power, as a delay in
    /// whole nanoseconds from the last update (rounded up, so the target is reached or
    /// passed by then); `None` if it never does (moving away, or not moving).
    pub fn delay_to(&self, target_j: f64) -> Option<i64> {
        let net = self.net_w();
        let gap = target_j - self.energy_j;
        if gap == 0.0 {
            return Some(0);
        }
        if net == 0.0 || gap.signum() != net.signum() {
            return None;
        }
        // A full battery does not charge further, nor an empty one discharge.
        if (net > 0.0 && target_j > self.config.capacity_j) || (net < 0.0 && target_j < 0.0) {
            return None;
        }
        let s = gap / net;
        Some((s * NANOS_PER_SECOND as f64).ceil().min(i64::MAX as f64 / 4.0) as i64)
    }

    /// Time of the last update.
    pub fn last_update(&self) -> UtcTime {
        UtcTime::from_unix_nanos(self.last_ns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> PowerConfig {
        PowerSpec {
            solar_array: Watts(100.0),
            battery: WattHours(10.0),
            floor: 0.3,
            resume: None,
            initial_charge: 1.0,
            bus_power: Watts(20.0),
            below_floor: BelowFloor::Pause,
            throttle_power: None,
            throttle_speed: None,
        }
        .validate("p")
        .unwrap()
    }

    #[test]
    fn discharge_clamps_at_zero_and_counts_the_deficit() {
        let c = config();
        let t0 = UtcTime::from_unix_nanos(0);
        let mut b = Battery::new(c, t0, 0.0, 100.0);
        // 36 kJ at 100 W: empty after 360 s; run 400 s.
        b.advance(t0.plus_seconds(400.0));
        assert_eq!(b.energy_j(), 0.0);
        assert!((b.account().deficit_j - 4000.0).abs() < 1e-6);
        assert!((b.account().supplied_j - 36_000.0).abs() < 1e-6);
        assert_eq!(b.account().min_energy_j, 0.0);
        // Below the 30 % floor from 252 s on.
        assert!((b.account().below_floor_ns as f64 / 1e9 - 148.0).abs() < 1e-6);
    }

    #[test]
    fn charge_spills_when_full_and_delay_to_is_exact() {
        let c = config();
        let t0 = UtcTime::from_unix_nanos(0);
        let mut b = Battery::new(c, t0, 0.0, 60.0);
        let d = b.delay_to(c.floor_j).unwrap();
        b.advance(t0.plus_nanos(d));
        assert!((b.energy_j() - c.floor_j).abs() < 1e-6, "{}", b.energy_j());
        b.set_generation(t0.plus_nanos(d), 160.0);
        let to_full = b.delay_to(c.capacity_j).unwrap();
        b.advance(t0.plus_nanos(d + to_full + 10 * NANOS_PER_SECOND));
        assert_eq!(b.energy_j(), c.capacity_j);
        assert!((b.account().spilled_j - 1000.0).abs() < 1e-3);
    }

    #[test]
    fn sunlight_steps_follow_the_intervals() {
        let t = |s: f64| UtcTime::from_unix_nanos(0).plus_seconds(s);
        let e = EclipseInterval {
            start: t(10.0),
            end: t(100.0),
            umbra_start: Some(t(18.0)),
            umbra_end: Some(t(92.0)),
            cut_start: false,
            cut_end: false,
        };
        let steps = sunlight_steps(&[e]);
        assert_eq!(steps, vec![(t(10.0), 0.5), (t(18.0), 0.0), (t(92.0), 0.5), (t(100.0), 1.0)]);
    }

    #[test]
    fn validation_names_fields() {
        let mut s = PowerSpec {
            solar_array: Watts(-1.0),
            battery: WattHours(10.0),
            floor: 0.3,
            resume: None,
            initial_charge: 1.0,
            bus_power: Watts(0.0),
            below_floor: BelowFloor::Throttle,
            throttle_power: None,
            throttle_speed: None,
        };
        assert_eq!(s.validate("inference.power").unwrap_err().0, "inference.power.solar_array");
        s.solar_array = Watts(10.0);
        assert_eq!(s.validate("inference.power").unwrap_err().0, "inference.power.throttle_power");
        s.throttle_power = Some(Watts(5.0));
        s.throttle_speed = Some(1.5);
        assert_eq!(s.validate("inference.power").unwrap_err().0, "inference.power.throttle_speed");
        s.throttle_speed = Some(0.5);
        s.floor = 1.2;
        assert_eq!(s.validate("inference.power").unwrap_err().0, "inference.power.floor");
    }
}
