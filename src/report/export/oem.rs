//! CCSDS Orbit Ephemeris Messages (CCSDS 502.0-B, version 2.0, KVN form), one file per
//! satellite.
//!
//! A file looks like this (one segment, no covariance; about 110 bytes per state, so 160 KB
//! per satellite-day at the default 60 s step):
//!
//! ```text
//! CCSDS_OEM_VERS = 2.0
//! COMMENT SGP4 (WGS72) ephemeris from mean elements with epoch 2014-01-20T22:23:04.000416
//! CREATION_DATE = 2026-03-19T12:00:00.000
//! ORIGINATOR = orbsim
//!
//! META_START
//! OBJECT_NAME = ISS (ZARYA)
//! OBJECT_ID = 1998-067A
//! CENTER_NAME = EARTH
//! REF_FRAME = TEME
//! TIME_SYSTEM = UTC
//! START_TIME = 2014-01-23T00:00:00.000
//! STOP_TIME = 2014-01-24T00:00:00.000
//! INTERPOLATION = LAGRANGE
//! INTERPOLATION_DEGREE = 7
//! META_STOP
//!
//! 2014-01-23T00:00:00.000    -548.805821    6739.349607    -681.739558  -4.808210741   0.202882892   5.961651797
//! 2014-01-23T00:01:00.000    -835.822137    6736.090842    -322.750142  -4.755358105  -0.311483197   6.000102932
//! …
//! ```
//!
//! Positions are in km and velocities in km/s, as the standard requires. Epochs are UTC
//! without a zone letter, with as many fractional digits (3, 6 or 9) as they need to be
//! exact, so `START_TIME` equals the first data epoch character for character.
//!
//! `OBJECT_ID` is the international designator (`1998-067A`), as CCSDS recommends, taken
//! from the TLE (columns 10–17) or the OMM's `OBJECT_ID`. A satellite whose source gives
//! none gets its NORAD catalogue number instead (`25544`), and a generated (Walker)
//! satellite, which has neither, `NONE`; [`OemOptions::object_id`] overrides all three.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::{Ephemeris, ExportError, Step, Stop, slug};
use crate::access::Window;
use crate::frames::teme_to_ecef;
use crate::orbit::Satellite;
use crate::report::write_atomically;
use crate::time::{NANOS_PER_SECOND, UtcTime};

/// The frame an OEM's states are given in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OemFrame {
    /// True equator, mean equinox: SGP4's own output, unrotated. Use it when the reader
    /// knows TEME (Orekit, STK, GMAT do) so that nothing is lost to approximation.
    #[default]
    Teme,
    /// Earth-fixed: TEME rotated by GMST with UT1 = UTC and no polar motion (within about
    /// 0.4 km of true ITRF, see [`crate::frames`]); velocities are relative to the rotating
    /// Earth.
    Itrf,
}

impl OemFrame {
    /// The `REF_FRAME` value.
    pub fn ref_frame(self) -> &'static str {
        match self {
            OemFrame::Teme => "TEME",
            OemFrame::Itrf => "ITRF",
        }
    }

    /// Parses `teme` or `itrf` (any case).
    pub fn parse(text: &str) -> Option<OemFrame> {
        match text.trim().to_ascii_lowercase().as_str() {
            "teme" => Some(OemFrame::Teme),
            "itrf" | "ecef" => Some(OemFrame::Itrf),
            _ => None,
        }
    }
}

/// How OEM files are written.
#[derive(Debug, Clone, PartialEq)]
pub struct OemOptions {
    /// `REF_FRAME` of the states.
    pub frame: OemFrame,
    /// Time between data lines.
    pub step: Step,
    /// `CREATION_DATE`. Given by the caller rather than read from the clock, so that the
    /// same inputs can give byte-identical files.
    pub creation_date: UtcTime,
    /// `INTERPOLATION_DEGREE` recommended to readers; lowered when there are too few
    /// states for it. 7 (8 points) keeps Lagrange interpolation of a 60 s LEO ephemeris
    /// to millimetres.
    pub interpolation_degree: u32,
    /// `OBJECT_ID` to write instead of the satellite's own, used only by [`write_oem`] for
    /// a single satellite.
    pub object_id: Option<String>,
}

impl OemOptions {
    /// TEME-or-ITRF states every `step`, interpolation degree 7, the satellite's own `OBJECT_ID`.
    pub fn new(frame: OemFrame, step: Step, creation_date: UtcTime) -> Self {
        OemOptions { frame, step, creation_date, interpolation_degree: 7, object_id: None }
    }
}

/// What [`write_oem_files`] did for one satellite.
#[derive(Debug, Clone, PartialEq)]
pub struct OemFile {
    /// Index into the satellites given.
    pub satellite: usize,
    /// The file written, or `None` when the satellite could not be propagated even at the
    /// window's start (an OEM needs at least one state).
    pub path: Option<PathBuf>,
    /// Data lines written.
    pub states: usize,
    /// Propagation stopped inside the window: the file ends with the last good state.
    pub stopped: Option<Stop>,
}

/// Indices of the satellites whose name contains any of `filters` (case-insensitive), in
/// their original order; all of them when `filters` is empty. A filter matching nothing is
/// an error, since it is almost certainly a typo.
pub fn select_satellites(satellites: &[Satellite], filters: &[String]) -> Result<Vec<usize>, ExportError> {
    if filters.is_empty() {
        return Ok((0..satellites.len()).collect());
    }
    let names: Vec<String> = satellites.iter().map(|s| s.name.to_lowercase()).collect();
    let lowered: Vec<String> = filters.iter().map(|f| f.to_lowercase()).collect();
    if let Some(k) = lowered.iter().position(|f| !names.iter().any(|n| n.contains(f.as_str()))) {
        return Err(ExportError::NoMatch(filters[k].clone()));
    }
    Ok((0..satellites.len()).filter(|&i| lowered.iter().any(|f| names[i].contains(f.as_str()))).collect())
}

/// File names (`{slug}.oem`) for the `chosen` satellites, in the same order. Names that
/// would collide (repeated or differing only in punctuation or case, which also collide on
/// case-insensitive file systems) all get `-{index}` added.
pub fn oem_file_names(satellites: &[Satellite], chosen: &[usize]) -> Vec<String> {
    let mut slugs: Vec<String> = chosen.iter().map(|&i| slug(&satellites[i].name)).collect();
    for s in &mut slugs {
        // Names Windows reserves for devices, whatever the extension.
        if matches!(s.as_str(), "con" | "prn" | "aux" | "nul")
            || (s.len() == 4 && (s.starts_with("com") || s.starts_with("lpt")) && s.as_bytes()[3].is_ascii_digit())
        {
            s.push_str("-sat");
        }
    }
    let mut counts = std::collections::HashMap::new();
    for s in &slugs {
        *counts.entry(s.clone()).or_insert(0usize) += 1;
    }
    chosen
        .iter()
        .zip(&slugs)
        .map(|(&i, s)| if counts[s] > 1 { format!("{s}-{i}.oem") } else { format!("{s}.oem") })
        .collect()
}

/// Samples each of the `chosen` satellites over `window` and writes one OEM per satellite
/// into `dir` (created if needed), each atomically. Satellites are sampled in parallel; the
/// result is in the order of `chosen`. A satellite that cannot be propagated at the start
/// gets no file (`path` is `None`) rather than failing the others.
pub fn write_oem_files(
    dir: &Path,
    satellites: &[Satellite],
    chosen: &[usize],
    window: Window,
    options: &OemOptions,
) -> Result<Vec<OemFile>, ExportError> {
    options.step.check_window(window)?;
    let names = oem_file_names(satellites, chosen);
    let options = OemOptions { object_id: None, ..options.clone() };
    let results: Vec<Result<OemFile, ExportError>> = chosen
        .par_iter()
        .zip(&names)
        .map(|(&index, name)| {
            let sat = &satellites[index];
            let eph = Ephemeris::sample(sat, window, options.step);
            let mut file = OemFile { satellite: index, path: None, states: eph.len(), stopped: eph.stopped.clone() };
            if !eph.is_empty() {
                let path = dir.join(name);
                write_atomically(&path, |out| write_oem(out, sat, &eph, &options))?;
                file.path = Some(path);
            }
            Ok(file)
        })
        .collect();
    results.into_iter().collect()
}

/// Writes one satellite's ephemeris as an OEM. `ephemeris` must come from
/// [`Ephemeris::sample`] for `satellite` (its states are TEME; they are rotated here when
/// `options.frame` is ITRF). Fails with `InvalidInput` on an empty ephemeris, since an OEM
/// without a state is not valid.
pub fn write_oem(
    out: &mut dyn Write,
    satellite: &Satellite,
    ephemeris: &Ephemeris,
    options: &OemOptions,
) -> io::Result<()> {
    let (Some(&start), Some(&stop)) = (ephemeris.times.first(), ephemeris.times.last()) else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{}: no state to write (propagation failed at the window's start)", satellite.name),
        ));
    };
    let mut text = String::with_capacity(1024 + ephemeris.len() * 110);
    let object_id = match (&options.object_id, &satellite.cospar_id, satellite.norad_id) {
        (Some(id), _, _) => id.clone(),
        (None, Some(cospar), _) => cospar.clone(),
        (None, None, Some(n)) => n.to_string(),
        (None, None, None) => "NONE".to_string(),
    };
    // `fmt::Write` into a String cannot fail; the results are ignored below for that reason.
    let _ = writeln!(text, "CCSDS_OEM_VERS = 2.0");
    let _ = writeln!(
        text,
        "COMMENT SGP4 (WGS72) ephemeris from mean elements with epoch {}",
        oem_epoch(satellite.elements.epoch)
    );
    let _ = writeln!(text, "CREATION_DATE = {}", oem_epoch(options.creation_date));
    let _ = writeln!(text, "ORIGINATOR = orbsim");
    let _ = writeln!(text);
    let _ = writeln!(text, "META_START");
    if options.frame == OemFrame::Itrf {
        let _ = writeln!(text, "COMMENT ITRF approximated by rotating TEME through GMST (IAU-82),");
        let _ = writeln!(text, "COMMENT with UT1 = UTC and no polar motion (within about 0.4 km of ITRF)");
    }
    // KVN values run to the end of the line: a line break in a name would start a new key.
    let _ = writeln!(text, "OBJECT_NAME = {}", single_line(&satellite.name));
    let _ = writeln!(text, "OBJECT_ID = {}", single_line(&object_id));
    let _ = writeln!(text, "CENTER_NAME = EARTH");
    let _ = writeln!(text, "REF_FRAME = {}", options.frame.ref_frame());
    let _ = writeln!(text, "TIME_SYSTEM = UTC");
    let _ = writeln!(text, "START_TIME = {}", oem_epoch(start));
    let _ = writeln!(text, "STOP_TIME = {}", oem_epoch(stop));
    let degree = (options.interpolation_degree as usize).min(ephemeris.len() - 1);
    if degree > 0 {
        let _ = writeln!(text, "INTERPOLATION = LAGRANGE");
        let _ = writeln!(text, "INTERPOLATION_DEGREE = {degree}");
    }
    let _ = writeln!(text, "META_STOP");
    let _ = writeln!(text);
    if let Some(s) = &ephemeris.stopped {
        let _ = writeln!(
            text,
            "COMMENT Propagation stopped at {}: {}",
            oem_epoch(s.time),
            single_line(&s.reason.to_string())
        );
    }
    out.write_all(text.as_bytes())?;
    for (t, state) in ephemeris.times.iter().zip(&ephemeris.states) {
        text.clear();
        let (r, v) = match options.frame {
            OemFrame::Teme => (state.position, state.velocity),
            OemFrame::Itrf => teme_to_ecef(&state.position, &state.velocity, t.gmst()),
        };
        // mm and µm/s: finer than SGP4's own precision, so nothing is lost in the text.
        let _ = writeln!(
            text,
            "{} {:>14.6} {:>14.6} {:>14.6} {:>13.9} {:>13.9} {:>13.9}",
            oem_epoch(*t),
            r.x,
            r.y,
            r.z,
            v.x,
            v.y,
            v.z
        );
        out.write_all(text.as_bytes())?;
    }
    Ok(())
}

/// `YYYY-MM-DDThh:mm:ss.fff` (or `.ffffff`, `.fffffffff` when needed to be exact), the
/// CCSDS ASCII time code A without a zone letter, which every OEM reader accepts.
pub fn oem_epoch(t: UtcTime) -> String {
    let (y, mo, d, h, mi, s, ns) = t.to_calendar();
    let base = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}");
    if ns % 1_000_000 == 0 {
        format!("{base}.{:03}", ns / 1_000_000)
    } else if ns % 1_000 == 0 {
        format!("{base}.{:06}", ns / 1_000)
    } else {
        debug_assert!((ns as i64) < NANOS_PER_SECOND);
        format!("{base}.{ns:09}")
    }
}

fn single_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epochs_are_exact() {
        let t = UtcTime::parse("2026-03-19T04:05:06Z").unwrap();
        assert_eq!(oem_epoch(t), "2026-03-19T04:05:06.000");
        assert_eq!(oem_epoch(t.plus_nanos(1_500)), "2026-03-19T04:05:06.000001500");
        assert_eq!(oem_epoch(t.plus_nanos(250_000)), "2026-03-19T04:05:06.000250");
    }

    #[test]
    fn frames_parse() {
        assert_eq!(OemFrame::parse("ITRF"), Some(OemFrame::Itrf));
        assert_eq!(OemFrame::parse("teme"), Some(OemFrame::Teme));
        assert_eq!(OemFrame::parse("j2000"), None);
    }
}
