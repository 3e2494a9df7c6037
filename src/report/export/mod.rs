//! Exports for other tools: CZML for a 3-D globe in CesiumJS, and CCSDS Orbit Ephemeris
//! Messages (OEM) for flight-dynamics software.
//!
//! Both formats carry orbits *sampled* at a fixed [`Step`] from SGP4, so other tools see
//! exactly the trajectories orbsim's geometry used, without having to run SGP4 themselves
//! (and without disagreeing about WGS72 versus WGS84 constants).
//!
//! # CZML (CesiumJS)
//!
//! [`czml::write_czml`] writes one document: a clock over the window, one entity per
//! satellite (sampled Earth-fixed positions, a point, a label and an orbit path), one per
//! ground station, and one line per contact that exists only while the contact lasts. Load
//! it in CesiumJS with
//!
//! ```js
//! const viewer = new Cesium.Viewer("cesiumContainer", { shouldAnimate: true });
//! viewer.dataSources.add(Cesium.CzmlDataSource.load("orbsim.czml"));
//! ```
//!
//! Browsers refuse `fetch` from `file://` pages, so serve the folder over HTTP (for
//! example `python3 -m http.server`) or drop the file onto a viewer extended with
//! `viewer.extend(Cesium.viewerDragDropMixin)`. The document's clock starts the animation
//! at the window's start, 60× real time, looping over the window.
//!
//! Size, measured for 100 Starlink satellites over 20 stations for one day at the default
//! 60 s step: 8.0 MB, of which 4.6 MB are satellites (1,441 samples, about 45 KB per
//! satellite-day) and 3.5 MB the 7,133 passes (about 500 bytes each); CesiumJS 1.145 parses
//! it in about 0.6 s. A longer step shrinks the satellites' share: at 120 s the same export
//! is 5.8 MB and Cesium's degree-5 Lagrange interpolation stays within 2 m of SGP4 between
//! samples, at 300 s it is 4.5 MB and within 240 m (invisible on a globe, far below TLE
//! error). A 2,800-satellite week at 60 s would approach 1 GB of positions alone, more than
//! a browser handles comfortably: lengthen the step or export fewer satellites.
//!
//! # CCSDS OEM
//!
//! [`oem::write_oem`] writes one satellite's ephemeris as an OEM in KVN (plain-text
//! `KEY = value`) form, version 2.0 of CCSDS 502.0-B (Orbit Data Messages): a header, one
//! metadata block, and lines of `epoch x y z vx vy vz` in km and km/s, in TEME (the frame
//! SGP4 works in) or Earth-fixed ITRF. Tools that read OEM include Orekit
//! (`new ParserBuilder().buildOemParser()`), GMAT (its ephemeris-file propagator), Ansys/AGI
//! STK and STK Components (`CcsdsOrbitEphemerisMessageFile`), and small libraries such as
//! the Python `oem` package (which reads orbsim's files, checked by hand).
//!
//! # Earth-fixed positions
//!
//! CZML's `FIXED` frame and OEM's `ITRF` are the International Terrestrial Reference Frame.
//! orbsim gets there by rotating TEME about the pole by GMST (IAU-82) with UT1 taken as UTC
//! and polar motion ignored (see [`crate::frames`]): errors of at most about 0.4 km and
//! 10 m, far below the error of a TLE a day from its epoch.

#![warn(missing_docs)]

pub mod czml;
pub mod elements;
pub mod oem;

use nalgebra::Vector3;

use crate::access::Window;
use crate::orbit::{PropagationFailure, Satellite, StateTeme};
use crate::report::WriteError;
use crate::time::{NANOS_PER_SECOND, TimeError, UtcTime, parse_duration};

pub use czml::{ContactSpan, write_czml};
pub use oem::{OemFile, OemFrame, OemOptions, select_satellites, write_oem, write_oem_files};

/// The most samples one satellite may have over a window: ten million states are already
/// gigabytes of text, and a larger count is almost always a step given in the wrong unit.
pub const MAX_SAMPLES_PER_SATELLITE: u64 = 10_000_000;

/// Why an export could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The step text is not a duration, or is negative.
    #[error("{0}")]
    BadStep(TimeError),
    /// A zero step would never advance.
    #[error("the step must be longer than zero")]
    ZeroStep,
    /// The window holds more than [`MAX_SAMPLES_PER_SATELLITE`] steps.
    #[error("a step of {step_s} s over a {window_s} s window gives {samples} samples per satellite (at most {max}); use a longer step", max = MAX_SAMPLES_PER_SATELLITE)]
    TooManySamples {
        /// The step, seconds.
        step_s: f64,
        /// The window's length, seconds.
        window_s: f64,
        /// Samples the window would need.
        samples: u64,
    },
    /// A satellite name filter matched no satellite (almost certainly a typo).
    #[error("no satellite name contains `{0}`")]
    NoMatch(String),
    /// An output file could not be written.
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// The time between two exported samples: a positive whole number of nanoseconds.
///
/// A newtype so that the writers never see a zero or negative step; build one with
/// [`Step::from_nanos`] or [`Step::parse`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Step(i64);

impl Step {
    /// 60 s: smooth under Lagrange interpolation for any orbit above about 300 km, and about
    /// 30 bytes per satellite per minute in CZML.
    pub const DEFAULT: Step = Step(60 * NANOS_PER_SECOND);

    /// A step of `ns` nanoseconds; zero and negative steps are rejected.
    pub fn from_nanos(ns: i64) -> Result<Step, ExportError> {
        if ns > 0 { Ok(Step(ns)) } else { Err(ExportError::ZeroStep) }
    }

    /// Parses a duration such as `60s`, `2m` or `500ms` (see [`crate::time::parse_duration`]).
    pub fn parse(text: &str) -> Result<Step, ExportError> {
        Step::from_nanos(parse_duration(text).map_err(ExportError::BadStep)?)
    }

    /// The step in nanoseconds, the unit of [`UtcTime`] arithmetic.
    pub fn nanos(self) -> i64 {
        self.0
    }

    /// The step in seconds, the unit CZML and people use.
    pub fn seconds(self) -> f64 {
        self.0 as f64 / NANOS_PER_SECOND as f64
    }

    /// How many samples one satellite gets over `window`: every multiple of the step from
    /// the start that falls before the end, plus the end itself (so the last sample always
    /// lands on the window's end). A window that ends at or before its start has one sample.
    pub fn sample_count(self, window: Window) -> u64 {
        let span = window.end.unix_nanos().saturating_sub(window.start.unix_nanos());
        if span <= 0 {
            return 1;
        }
        (span as u64).div_ceil(self.0 as u64) + 1
    }

    /// Rejects windows that would need more than [`MAX_SAMPLES_PER_SATELLITE`] samples.
    pub fn check_window(self, window: Window) -> Result<u64, ExportError> {
        let samples = self.sample_count(window);
        if samples > MAX_SAMPLES_PER_SATELLITE {
            return Err(ExportError::TooManySamples { step_s: self.seconds(), window_s: window.duration_s(), samples });
        }
        Ok(samples)
    }

    /// The sample times over `window` (see [`Step::sample_count`]), strictly increasing.
    pub fn times(self, window: Window) -> impl Iterator<Item = UtcTime> {
        let (start, end, step) = (window.start.unix_nanos(), window.end.unix_nanos(), self.0);
        let mut next = Some(start);
        std::iter::from_fn(move || {
            let t = next?;
            // Integer arithmetic, so samples never drift off the step grid.
            next = match t.checked_add(step) {
                Some(n) if n < end => Some(n),
                _ if t < end => Some(end),
                _ => None,
            };
            Some(UtcTime::from_unix_nanos(t))
        })
    }
}

impl Default for Step {
    fn default() -> Self {
        Step::DEFAULT
    }
}

/// Where and why a satellite's propagation stopped.
#[derive(Debug, Clone, PartialEq)]
pub struct Stop {
    /// The first sample time at which SGP4 failed or the orbit had decayed; the last good
    /// state is one step earlier.
    pub time: UtcTime,
    /// What SGP4 or the decay check reported there.
    pub reason: PropagationFailure,
}

/// One satellite's TEME states at the [`Step::times`] of a window, up to the first sample
/// that could not be propagated.
#[derive(Debug, Clone, PartialEq)]
pub struct Ephemeris {
    /// Sample times, strictly increasing, on the step grid from the window's start.
    pub times: Vec<UtcTime>,
    /// TEME position (km) and velocity (km/s) at each of `times`.
    pub states: Vec<StateTeme>,
    /// Set when propagation failed inside the window: no later state is given, because a
    /// decayed satellite does not come back.
    pub stopped: Option<Stop>,
}

impl Ephemeris {
    /// Samples `satellite` over `window` every `step` with SGP4 (WGS72).
    pub fn sample(satellite: &Satellite, window: Window, step: Step) -> Ephemeris {
        let capacity = step.sample_count(window).min(MAX_SAMPLES_PER_SATELLITE) as usize;
        let mut eph =
            Ephemeris { times: Vec::with_capacity(capacity), states: Vec::with_capacity(capacity), stopped: None };
        for t in step.times(window) {
            match satellite.propagate(t) {
                Ok(state) => {
                    eph.times.push(t);
                    eph.states.push(state);
                }
                Err(reason) => {
                    eph.stopped = Some(Stop { time: t, reason });
                    break;
                }
            }
        }
        eph
    }

    /// No state at all: propagation failed at the window's start.
    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }

    /// Number of states (and times).
    pub fn len(&self) -> usize {
        self.states.len()
    }

    /// Earth-fixed positions (km) at each sample: TEME rotated by GMST, UT1 = UTC, no polar
    /// motion (see the module documentation).
    pub fn ecef_positions(&self) -> Vec<Vector3<f64>> {
        self.times
            .iter()
            .zip(&self.states)
            .map(|(t, s)| crate::frames::teme_to_ecef_position(&s.position, t.gmst()))
            .collect()
    }
}

/// A lower-case ASCII slug of a name (`ISS (ZARYA)` → `iss-zarya`), for entity ids and
/// file names: letters and digits kept, every other run of characters turned into one `-`,
/// at most 48 characters, never empty.
pub fn slug(name: &str) -> String {
    let mut out = String::with_capacity(name.len().min(48));
    let mut gap = false;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            if gap && !out.is_empty() {
                out.push('-');
            }
            gap = false;
            if out.len() >= 48 {
                break;
            }
            out.push(c.to_ascii_lowercase());
        } else {
            gap = true;
        }
    }
    if out.is_empty() { "unnamed".to_string() } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(start_s: i64, end_s: i64) -> Window {
        Window {
            start: UtcTime::from_unix_nanos(start_s * NANOS_PER_SECOND),
            end: UtcTime::from_unix_nanos(end_s * NANOS_PER_SECOND),
        }
    }

    #[test]
    fn step_times_end_on_the_window_end() {
        let step = Step::parse("60s").unwrap();
        let w = window(0, 150);
        let times: Vec<i64> = step.times(w).map(|t| t.unix_nanos() / NANOS_PER_SECOND).collect();
        assert_eq!(times, [0, 60, 120, 150]);
        assert_eq!(step.sample_count(w), 4);
        let w = window(0, 120);
        assert_eq!(step.times(w).count(), 3);
        assert_eq!(step.sample_count(w), 3);
        let w = window(10, 10);
        assert_eq!(step.times(w).count(), 1);
        assert_eq!(step.sample_count(w), 1);
    }

    #[test]
    fn bad_steps_are_rejected() {
        assert!(matches!(Step::parse("0s"), Err(ExportError::ZeroStep)));
        assert!(matches!(Step::parse("-5s"), Err(ExportError::BadStep(_))));
        assert!(matches!(Step::parse("often"), Err(ExportError::BadStep(_))));
        assert!(Step::from_nanos(-1).is_err());
        let w = window(0, 86_400);
        assert!(matches!(Step::parse("1ms").unwrap().check_window(w), Err(ExportError::TooManySamples { .. })));
        assert_eq!(Step::DEFAULT.check_window(w).unwrap(), 1441);
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("ISS (ZARYA)"), "iss-zarya");
        assert_eq!(slug("  STARLINK-1007 "), "starlink-1007");
        assert_eq!(slug("天宫"), "unnamed");
        assert_eq!(slug(&"A".repeat(100)).len(), 48);
    }
}
