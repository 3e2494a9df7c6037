//! CCSDS OEM export: the header and metadata keywords CCSDS 502.0-B requires, in order; data
//! lines of seven fields; the first state is SGP4 at START_TIME; epochs strictly increase and
//! end at STOP_TIME; ITRF states are the TEME ones rotated; file names are safe and unique.

use orbsim::access::Window;
use orbsim::frames::teme_to_ecef;
use orbsim::orbit::tle::parse_tle_text;
use orbsim::orbit::{MeanElements, Satellite, cospar_id};
use orbsim::report::export::oem::{oem_file_names, select_satellites, write_oem, write_oem_files};
use orbsim::report::export::{Ephemeris, ExportError, OemFrame, OemOptions, Step};
use orbsim::time::UtcTime;

mod common;

const TLES: &str = "\
ISS (ZARYA)
1 25544U 98067A   14020.93268519  .00009878  00000-0  18200-3 0  5082
2 25544  51.6498 109.4756 0003572  55.9686 274.8005 15.49815350868473
ISS (ZARYA)
1 25544U 98067A   14020.93268519  .00009878  00000-0  18200-3 0  5082
2 25544  51.6498 109.4756 0003572  55.9686 274.8005 15.49815350868473
";

fn satellites() -> Vec<Satellite> {
    let (records, _) = parse_tle_text(TLES);
    records
        .into_iter()
        .map(|r| {
            let sat = Satellite::new(r.name.unwrap(), Some(r.norad_id), r.elements).unwrap();
            sat.with_cospar_id(cospar_id(&r.international_designator))
        })
        .collect()
}

fn window() -> Window {
    // A start off the whole second, to check that START_TIME is exact.
    let start = UtcTime::parse("2014-01-23T00:00:00.25Z").unwrap();
    Window { start, end: start.plus_seconds(6.0 * 3600.0) }
}

fn options(frame: OemFrame) -> OemOptions {
    OemOptions::new(frame, Step::parse("60s").unwrap(), UtcTime::parse("2026-03-19T12:00:00Z").unwrap())
}

fn decaying(epoch: UtcTime) -> Satellite {
    let elements = MeanElements {
        epoch,
        inclination_deg: 51.6,
        raan_deg: 10.0,
        eccentricity: 0.0005,
        arg_perigee_deg: 0.0,
        mean_anomaly_deg: 0.0,
        mean_motion_rev_per_day: 16.3,
        bstar: 0.05,
        mean_motion_dot: 0.0,
        mean_motion_ddot: 0.0,
    };
    Satellite::new("FALLING STAR".into(), None, elements).unwrap()
}

/// An OEM read back: keywords in file order, data lines as (epoch, 6 numbers).
struct Parsed {
    keywords: Vec<(String, String)>,
    data: Vec<(UtcTime, [f64; 6])>,
}

impl Parsed {
    fn get(&self, key: &str) -> &str {
        &self.keywords.iter().find(|(k, _)| k == key).unwrap_or_else(|| panic!("no {key}")).1
    }
}

fn parse(text: &str) -> Parsed {
    let (mut keywords, mut data) = (Vec::new(), Vec::new());
    let mut in_meta = false;
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if line.starts_with("COMMENT") {
            assert!(data.is_empty(), "comments only before the data lines");
            continue;
        }
        match line {
            "META_START" => {
                in_meta = true;
                keywords.push((line.to_string(), String::new()));
            }
            "META_STOP" => {
                in_meta = false;
                keywords.push((line.to_string(), String::new()));
            }
            _ if line.contains(" = ") => {
                assert!(data.is_empty(), "keyword after data: {line}");
                let (k, v) = line.split_once(" = ").unwrap();
                keywords.push((k.trim().to_string(), v.trim().to_string()));
            }
            _ => {
                assert!(!in_meta, "data inside metadata: {line}");
                let fields: Vec<&str> = line.split_whitespace().collect();
                assert_eq!(fields.len(), 7, "epoch and six numbers: {line}");
                let t = UtcTime::parse(fields[0]).unwrap_or_else(|_| panic!("epoch {}", fields[0]));
                let mut state = [0.0; 6];
                for (s, f) in state.iter_mut().zip(&fields[1..]) {
                    *s = f.parse().unwrap_or_else(|_| panic!("number `{f}` in {line}"));
                }
                data.push((t, state));
            }
        }
    }
    Parsed { keywords, data }
}

fn render(sat: &Satellite, frame: OemFrame) -> String {
    let eph = Ephemeris::sample(sat, window(), Step::parse("60s").unwrap());
    let mut buf = Vec::new();
    write_oem(&mut buf, sat, &eph, &options(frame)).unwrap();
    String::from_utf8(buf).unwrap()
}

#[test]
fn object_id_falls_back_to_the_catalogue_number_without_a_designator() {
    let sat = satellites()[0].clone().with_cospar_id(None);
    assert_eq!(parse(&render(&sat, OemFrame::Teme)).get("OBJECT_ID"), "25544");
}

#[test]
fn designators_take_cospar_form() {
    assert_eq!(cospar_id("98067A").as_deref(), Some("1998-067A"));
    assert_eq!(cospar_id("25100A  ").as_deref(), Some("2025-100A"));
    assert_eq!(cospar_id("57001B").as_deref(), Some("1957-001B"));
    assert_eq!(cospar_id("56001ABC").as_deref(), Some("2056-001ABC"));
    assert_eq!(cospar_id("1958-002B").as_deref(), Some("1958-002B"));
    for bad in ["", "   ", "98067", "9806A", "98067a", "98067ABCD", "1958-02B", "58-002B", "é8067A", "98067Ä"] {
        assert_eq!(cospar_id(bad), None, "{bad:?}");
    }
}

#[test]
fn header_and_metadata_keywords_are_present_and_in_order() {
    let text = render(&satellites()[0], OemFrame::Teme);
    assert!(text.starts_with("CCSDS_OEM_VERS = 2.0\n"), "the version comes first");
    let parsed = parse(&text);
    let keys: Vec<&str> = parsed.keywords.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "CCSDS_OEM_VERS",
            "CREATION_DATE",
            "ORIGINATOR",
            "META_START",
            "OBJECT_NAME",
            "OBJECT_ID",
            "CENTER_NAME",
            "REF_FRAME",
            "TIME_SYSTEM",
            "START_TIME",
            "STOP_TIME",
            "INTERPOLATION",
            "INTERPOLATION_DEGREE",
            "META_STOP"
        ]
    );
    assert_eq!(parsed.get("CREATION_DATE"), "2026-03-19T12:00:00.000");
    assert_eq!(parsed.get("ORIGINATOR"), "orbsim");
    assert_eq!(parsed.get("OBJECT_NAME"), "ISS (ZARYA)");
    assert_eq!(parsed.get("OBJECT_ID"), "1998-067A", "the international designator, as CCSDS recommends");
    assert_eq!(parsed.get("CENTER_NAME"), "EARTH");
    assert_eq!(parsed.get("REF_FRAME"), "TEME");
    assert_eq!(parsed.get("TIME_SYSTEM"), "UTC");
    assert_eq!(parsed.get("START_TIME"), "2014-01-23T00:00:00.250");
    assert_eq!(parsed.get("STOP_TIME"), "2014-01-23T06:00:00.250");
    assert_eq!(parsed.get("INTERPOLATION"), "LAGRANGE");
    assert_eq!(parsed.get("INTERPOLATION_DEGREE"), "7");
}

#[test]
fn data_lines_are_sgp4_states_at_increasing_epochs() {
    let sat = &satellites()[0];
    let parsed = parse(&render(sat, OemFrame::Teme));
    let w = window();
    assert_eq!(parsed.data.len(), 361, "every minute over six hours, both ends included");
    assert_eq!(parsed.data[0].0, UtcTime::parse(parsed.get("START_TIME")).unwrap());
    assert_eq!(parsed.data[0].0, w.start);
    assert_eq!(parsed.data.last().unwrap().0, UtcTime::parse(parsed.get("STOP_TIME")).unwrap());
    for pair in parsed.data.windows(2) {
        assert!(pair[1].0 > pair[0].0, "epochs strictly increase");
        assert_eq!(pair[1].0.seconds_since(pair[0].0), 60.0);
    }
    for &(t, state) in [&parsed.data[0], &parsed.data[180], parsed.data.last().unwrap()] {
        let sgp4 = sat.propagate(t).unwrap();
        for k in 0..3 {
            assert!((state[k] - sgp4.position[k]).abs() <= 1e-6, "km at {t}: {state:?} vs {sgp4:?}");
            assert!((state[k + 3] - sgp4.velocity[k]).abs() <= 1e-9, "km/s at {t}: {state:?} vs {sgp4:?}");
        }
        let radius = (state[0].powi(2) + state[1].powi(2) + state[2].powi(2)).sqrt();
        assert!((6600.0..6900.0).contains(&radius), "{radius} km");
    }
}

#[test]
fn itrf_states_are_the_teme_states_rotated() {
    let sat = &satellites()[0];
    let parsed = parse(&render(sat, OemFrame::Itrf));
    assert_eq!(parsed.get("REF_FRAME"), "ITRF");
    let (t, state) = parsed.data[10];
    let teme = sat.propagate(t).unwrap();
    let (r, v) = teme_to_ecef(&teme.position, &teme.velocity, t.gmst());
    for k in 0..3 {
        assert!((state[k] - r[k]).abs() <= 1e-6 && (state[k + 3] - v[k]).abs() <= 1e-9, "{state:?}");
    }
    // Earth-relative speed is lower than inertial speed for a prograde orbit.
    let speed = (state[3].powi(2) + state[4].powi(2) + state[5].powi(2)).sqrt();
    assert!(speed < teme.velocity.norm(), "{speed}");
}

#[test]
fn files_are_named_safely_and_uniquely_and_written_atomically() {
    let mut sats = satellites();
    let w = window();
    sats.push(decaying(w.start)); // decays 6,540 s into the window
    sats.push(decaying(w.start.plus_seconds(-86_400.0))); // decayed before it
    sats[1].name = "iss zarya".into(); // collides with `ISS (ZARYA)` once made safe
    assert_eq!(
        oem_file_names(&sats, &[0, 1, 2]),
        ["iss-zarya-0.oem", "iss-zarya-1.oem", "falling-star.oem"],
        "colliding names get their index"
    );

    let dir = common::scratch("export-oem-files");
    let chosen = select_satellites(&sats, &["zarya".into(), "FALLING".into()]).unwrap();
    assert_eq!(chosen, [0, 1, 2, 3]);
    let files = write_oem_files(&dir, &sats, &chosen, w, &options(OemFrame::Teme)).unwrap();
    assert_eq!(files.len(), 4);
    assert_eq!(files[0].path.as_deref(), Some(dir.join("iss-zarya-0.oem").as_path()));
    assert_eq!(files[0].states, 361);
    assert!(files[0].stopped.is_none());

    let stopped = &files[2];
    assert_eq!(stopped.states, 109);
    assert_eq!(stopped.stopped.as_ref().unwrap().time, w.start.plus_seconds(6540.0));
    let text = std::fs::read_to_string(stopped.path.as_ref().unwrap()).unwrap();
    assert!(text.contains("COMMENT Propagation stopped at 2014-01-23T01:49:00.250: decayed"), "{text}");
    let parsed = parse(&text);
    assert_eq!(parsed.get("OBJECT_ID"), "NONE", "a generated satellite has no catalogue number");
    assert_eq!(parsed.get("STOP_TIME"), "2014-01-23T01:48:00.250");
    assert_eq!(parsed.data.len(), 109);

    assert!(files[3].path.is_none() && files[3].states == 0, "no OEM without a state");
    let mut names: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names, ["falling-star-2.oem", "iss-zarya-0.oem", "iss-zarya-1.oem"], "no temporary files left");
}

#[test]
fn filters_that_match_nothing_are_errors() {
    let sats = satellites();
    assert_eq!(select_satellites(&sats, &[]).unwrap(), [0, 1]);
    match select_satellites(&sats, &["zarya".into(), "hubble".into()]) {
        Err(ExportError::NoMatch(f)) => assert_eq!(f, "hubble"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_empty_ephemeris_is_refused() {
    let w = window();
    let sat = decaying(w.start.plus_seconds(-86_400.0));
    let eph = Ephemeris::sample(&sat, w, Step::DEFAULT);
    assert!(eph.is_empty() && eph.stopped.is_some());
    let mut buf = Vec::new();
    let err = write_oem(&mut buf, &sat, &eph, &options(OemFrame::Teme)).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(buf.is_empty());
}
