//! Generated hostile inputs (issue 17): the parsers and scenario validation never panic,
//! never wrap a date or a byte count, and reject bad input with one line of at most 300
//! characters that names the file and the field. Library functions are driven directly
//! (thousands of cases in well under a minute); the binary gets a smaller sample, checked
//! for exit code 2 and one `error:` line.
//!
//! Case counts per property are in the `cases` constants; the totals are printed with
//! `--nocapture`.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use orbsim::ground::load_stations;
use orbsim::orbit::omm::{parse_omm_csv, parse_omm_json};
use orbsim::orbit::tle::parse_tle_text;
use orbsim::scenario::load_scenario;
use orbsim::time::{FIRST_YEAR, LAST_YEAR, MAX_DURATION_NS, UtcTime, parse_duration};
use orbsim::units::{BitRate, ByteRate, Bytes, Duration, MAX_BYTES, WattHours, Watts};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};

use common::*;

/// Longest error line the CLI may print, `error: ` included.
const MAX_LINE: usize = 300;

fn config(cases: u32) -> Config {
    Config { cases, failure_persistence: Some(Box::new(FileFailurePersistence::Off)), ..Config::default() }
}

/// One line, at most [`MAX_LINE`] characters once the CLI's `error: ` is in front.
fn assert_one_short_line(message: &str) {
    assert!(!message.contains(['\n', '\r']), "multi-line error: {message:?}");
    assert!(message.chars().count() + "error: ".len() <= MAX_LINE, "{} chars: {message}", message.chars().count());
}

/// Days in a month of the proleptic Gregorian calendar (0 for a month that does not exist).
fn days_in_month(year: u32, month: u32) -> u32 {
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => 0,
    }
}

/// Numbers as users (and fuzzers) write them, including the ones that break naive code.
fn number_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<f64>().prop_map(|v| format!("{v}")),
        any::<f64>().prop_map(|v| format!("{v:e}")),
        any::<i64>().prop_map(|v| v.to_string()),
        any::<u64>().prop_map(|v| v.to_string()),
        (0u32..400).prop_map(|e| format!("1e{e}")),
        (0u32..400).prop_map(|e| format!("1e-{e}")),
        Just("18446744073709551615".to_string()),
        Just("inf".to_string()),
        Just("NaN".to_string()),
        Just("-0".to_string()),
        Just("1_000".to_string()),
        "[0-9.eE+_-]{0,12}",
    ]
}

/// Text that breaks error messages: line breaks, control characters, huge lengths.
fn nasty_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,30}",
        "[a-z\r\n\t\u{0}\u{1b}]{0,30}",
        (1usize..20_000).prop_map(|n| "x".repeat(n)),
        Just("line one\nline two\r\nline three".to_string()),
    ]
}

proptest! {
    #![proptest_config(config(3000))]

    #[test]
    fn times_parse_within_the_supported_years_or_fail_cleanly(
        year in 0u32..10_000, month in 0u32..14, day in 0u32..33, hour in 0u32..26, minute in 0u32..62,
        second in 0u32..62, frac in "[0-9]{0,12}", zone in prop_oneof![Just(""), Just("Z"), Just("+00:00"), Just("+08:00")],
    ) {
        let dot = if frac.is_empty() { "" } else { "." };
        let text = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}{dot}{frac}{zone}");
        match UtcTime::parse(&text) {
            Ok(t) => {
                let (y, m, d, h, mi, _, _) = t.to_calendar();
                prop_assert!((FIRST_YEAR..=LAST_YEAR).contains(&y), "{text} → {t:?}");
                if second < 60 {
                    prop_assert_eq!((y as u32, m, d, h, mi), (year, month, day, hour, minute), "{}", text);
                }
                // The latest time plus the longest duration stays on the clock.
                let _ = t.plus_nanos(MAX_DURATION_NS);
            }
            Err(e) => {
                assert_one_short_line(&e.to_string());
                prop_assert!(
                    !(FIRST_YEAR as u32..=LAST_YEAR as u32).contains(&year)
                        || !(1..=12).contains(&month) || !(1..=days_in_month(year, month)).contains(&day) || hour > 23 || minute > 59
                        || second > 60 || zone == "+08:00",
                    "{} rejected: {}", text, e
                );
            }
        }
    }

    #[test]
    fn arbitrary_text_never_panics_the_time_and_quantity_parsers(text in prop_oneof![nasty_text(), number_text()]) {
        for e in [UtcTime::parse(&text).err().map(|e| e.to_string()), parse_duration(&text).err().map(|e| e.to_string())]
            .into_iter()
            .flatten()
        {
            assert_one_short_line(&e);
        }
        for unit in ["", " B", " GiB", " Mbps", " MB/s", " W", " Wh", "d", "ms"] {
            let t = format!("{text}{unit}");
            let errors = [
                Bytes::parse(&t).err(), BitRate::parse(&t).err(), ByteRate::parse(&t).err(),
                Watts::parse(&t).err(), WattHours::parse(&t).err(), Duration::parse(&t).err(),
            ];
            for e in errors.into_iter().flatten() {
                assert_one_short_line(&e.to_string());
            }
        }
    }

    #[test]
    fn quantities_stay_under_their_ceilings(number in number_text(), unit in prop_oneof![
        Just(" B"), Just(" kB"), Just(" PB"), Just(" PiB"), Just(" Gbps"), Just(" Pbit/s"), Just(" GB/s"),
        Just(" PB/s"), Just(" MW"), Just(" kW"), Just(" kWh"), Just(" MWh"), Just("d"), Just("w"), Just("ns"),
    ]) {
        let t = format!("{number}{unit}");
        if let Ok(b) = Bytes::parse(&t) { prop_assert!(b.0 <= MAX_BYTES, "{t}"); }
        if let Ok(r) = BitRate::parse(&t) { prop_assert!(r.0.is_finite() && r.0 >= 0.0 && r.0 <= 1e15, "{t}"); }
        if let Ok(r) = ByteRate::parse(&t) { prop_assert!(r.0.is_finite() && r.0 >= 0.0 && r.0 <= 1e15, "{t}"); }
        if let Ok(w) = Watts::parse(&t) { prop_assert!(w.0.is_finite() && w.0 >= 0.0 && w.0 <= 1e6, "{t}"); }
        if let Ok(w) = WattHours::parse(&t) { prop_assert!(w.0.is_finite() && w.0 >= 0.0 && w.0 <= 1e9, "{t}"); }
        if let Ok(d) = Duration::parse(&t) { prop_assert!((0..=MAX_DURATION_NS).contains(&d.0), "{t}"); }
    }
}

const ISS_TLE: &str = "SCS-01 A\n\
1 63982U 25100A   26078.25874299  .00007059  00000+0  31840-3 0  9994\n\
2 63982  97.3732 152.9903 0023419 300.8495  59.0437 15.21075366 46978";

/// A valid TLE with `edits` (position, replacement byte) applied and, optionally, cut.
fn mutated_tle() -> impl Strategy<Value = String> {
    let len = ISS_TLE.len();
    (
        prop::collection::vec(
            (0..len, prop_oneof![any::<u8>(), Just(b'\r'), Just(b'\n'), Just(b'9'), Just(b' ')]),
            0..6,
        ),
        prop::option::of(0..len),
    )
        .prop_map(|(edits, cut)| {
            let mut bytes = ISS_TLE.as_bytes().to_vec();
            for (at, b) in edits {
                bytes[at] = b;
            }
            if let Some(c) = cut {
                bytes.truncate(c);
            }
            String::from_utf8_lossy(&bytes).into_owned()
        })
}

proptest! {
    #![proptest_config(config(4000))]

    #[test]
    fn tle_records_parse_or_fail_on_one_line(text in prop_oneof![mutated_tle(), nasty_text()]) {
        let (records, errors) = parse_tle_text(&text);
        for e in &errors {
            assert_one_short_line(&format!("stations.tle:{}: {}", e.line, e.reason));
        }
        for r in &records {
            let year = r.elements.epoch.to_calendar().0;
            prop_assert!((FIRST_YEAR..=LAST_YEAR).contains(&year));
        }
    }
}

/// One OMM record with every field drawn from numbers, nasty text or sensible values.
fn omm_value() -> impl Strategy<Value = serde_json::Value> {
    prop_oneof![
        any::<f64>().prop_filter("JSON has no NaN", |v| v.is_finite()).prop_map(serde_json::Value::from),
        number_text().prop_map(serde_json::Value::from),
        nasty_text().prop_map(serde_json::Value::from),
        Just(serde_json::Value::Null),
        (0u32..10_000).prop_map(|y| serde_json::Value::from(format!("{y:04}-03-19T12:00:00.000000"))),
    ]
}

const OMM_KEYS: [&str; 9] = [
    "EPOCH",
    "MEAN_MOTION",
    "ECCENTRICITY",
    "INCLINATION",
    "RA_OF_ASC_NODE",
    "ARG_OF_PERICENTER",
    "MEAN_ANOMALY",
    "NORAD_CAT_ID",
    "BSTAR",
];

fn omm_object() -> impl Strategy<Value = serde_json::Map<String, serde_json::Value>> {
    (0..OMM_KEYS.len(), omm_value()).prop_map(|(k, v)| {
        let mut m = serde_json::Map::new();
        m.insert("OBJECT_NAME".into(), "TEST SAT".into());
        m.insert("OBJECT_ID".into(), "2026-001A".into());
        m.insert("EPOCH".into(), "2026-03-19T12:00:00.000000".into());
        for (key, value) in OMM_KEYS.iter().zip([15.5, 0.0001, 51.6, 10.0, 90.0, 0.0, 25544.0, 1e-4]).skip(1) {
            m.insert(key.to_string(), value.into());
        }
        m.insert(OMM_KEYS[k].to_string(), v);
        m
    })
}

proptest! {
    #![proptest_config(config(3000))]

    #[test]
    fn omm_json_and_csv_parse_or_fail_on_one_line(objects in prop::collection::vec(omm_object(), 1..4)) {
        let json = serde_json::to_string_pretty(&objects).unwrap();
        let checks = |result: Result<(Vec<orbsim::orbit::ElementRecord>, Vec<orbsim::orbit::RecordError>), String>| {
            match result {
                Ok((records, errors)) => {
                    for e in errors {
                        assert_one_short_line(&format!("f.json:{}: {}", e.line, e.reason));
                    }
                    for r in records {
                        let e = &r.elements;
                        assert!((FIRST_YEAR..=LAST_YEAR).contains(&e.epoch.to_calendar().0));
                        for angle in [e.raan_deg, e.arg_perigee_deg, e.mean_anomaly_deg] {
                            assert!(angle.abs() <= 360.0, "{e:?}");
                        }
                        assert!(e.bstar.abs() <= 1.0 && e.mean_motion_rev_per_day > 0.0 && e.mean_motion_rev_per_day < 100.0);
                    }
                }
                Err(e) => assert_one_short_line(&e),
            }
        };
        checks(parse_omm_json(&json));
        let mut csv = csv::Writer::from_writer(Vec::new());
        let keys: Vec<&String> = objects[0].keys().collect();
        csv.write_record(&keys).unwrap();
        for o in &objects {
            let row: Vec<String> = keys.iter().map(|k| match o.get(*k) {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(serde_json::Value::Null) | None => String::new(),
                Some(v) => v.to_string(),
            }).collect();
            csv.write_record(&row).unwrap();
        }
        checks(parse_omm_csv(&String::from_utf8(csv.into_inner().unwrap()).unwrap()));
    }
}

/// A scratch folder for the file-based properties, created once per test process.
fn scratch_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| scratch("hostile"))
}

fn station_cell() -> impl Strategy<Value = String> {
    prop_oneof![number_text(), nasty_text(), Just("45.0".to_string()), Just("9000".to_string())]
}

proptest! {
    #![proptest_config(config(1500))]

    #[test]
    fn station_files_load_or_fail_on_one_line_naming_the_file(
        name in nasty_text(), lat in station_cell(), lon in station_cell(), alt in station_cell(), mask in station_cell(),
        geojson in any::<bool>(), case in 0u64..u64::MAX,
    ) {
        let dir = scratch_dir();
        let (path, text) = if geojson {
            let parse = |t: &str| t.parse::<f64>().ok().filter(|v| v.is_finite()).map_or(serde_json::Value::from(t), serde_json::Value::from);
            let doc = serde_json::json!({"type": "FeatureCollection", "features": [{"type": "Feature",
                "properties": {"name": name, "min_elevation_deg": parse(&mask)},
                "geometry": {"type": "Point", "coordinates": [parse(&lon), parse(&lat), parse(&alt)]}}]});
            (dir.join(format!("s{case}.geojson")), doc.to_string())
        } else {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(["name", "lat_deg", "lon_deg", "alt_m", "min_elevation_deg"]).unwrap();
            w.write_record([&name, &lat, &lon, &alt, &mask]).unwrap();
            (dir.join(format!("s{case}.csv")), String::from_utf8(w.into_inner().unwrap()).unwrap())
        };
        std::fs::write(&path, text).unwrap();
        match load_stations(&path, 10.0) {
            Ok(stations) => for s in stations {
                prop_assert!(s.site.alt_km <= 8.0 && s.site.lat_deg.abs() <= 90.0 && s.min_elevation_deg < 90.0);
            },
            Err(e) => {
                let e = e.to_string();
                assert_one_short_line(&e);
                prop_assert!(e.contains(&*path.file_name().unwrap().to_string_lossy()), "{}", e);
            }
        }
        let _ = std::fs::remove_file(&path);
    }
}

// ---------------------------------------------------------------------------------------
// Scenarios through validation: one field at a time replaced by a hostile value.

/// The bundled scenarios, with data paths made absolute so copies can live anywhere.
fn scenario_table(name: &str) -> toml::Table {
    let text = std::fs::read_to_string(repo(&format!("scenarios/{name}"))).unwrap();
    let text = text.replace("../data", repo("data").to_str().unwrap());
    text.parse().unwrap()
}

/// Field paths (table keys, `[n]` for array entries) worth attacking, per bundled scenario.
const FIELDS: [(&str, &[&str]); 3] = [
    (
        "qwen3-scs01.toml",
        &[
            "name",
            "start",
            "duration",
            "seed",
            "stations.min_elevation_deg",
            "stations.antennas",
            "stations.site[0].lat_deg",
            "stations.site[0].lon_deg",
            "stations.site[0].alt_m",
            "stations.site[0].antennas",
            "stations.site[0].name",
            "links.uplink.rate_bps",
            "links.uplink.setup_time_s",
            "links.uplink.min_ebn0_db",
            "model.name",
            "model.size",
            "model.compression_ratio",
            "model.chunk_size",
            "model.chunk_header",
            "upload.nak_round_trip",
            "upload.packet_size",
            "upload.loss.packet_error_rate",
            "onboard.storage",
            "onboard.write_rate",
            "onboard.hash_rate",
            "onboard.decompress_rate",
            "onboard.deploy_time",
        ],
    ),
    (
        "walker100-upload.toml",
        &[
            "fleet.shells[0].total",
            "fleet.shells[0].planes",
            "fleet.shells[0].phasing",
            "fleet.shells[0].altitude_km",
            "fleet.shells[0].inclination",
            "fleet.shells[0].raan_offset_deg",
            "fleet.shells[0].raan_spread_deg",
            "fleet.shells[0].epoch",
            "upload.receivers",
            "rollout.batch_chunks",
            "stations.antennas",
            "model.chunk_size",
        ],
    ),
    (
        "qwen3-scs01-inference.toml",
        &[
            "inference.parameters",
            "inference.bytes_per_weight",
            "inference.timeout",
            "inference.bytes_per_token",
            "inference.message_overhead",
            "inference.accelerator.tops",
            "inference.accelerator.memory_bandwidth",
            "inference.accelerator.memory",
            "inference.accelerator.power",
            "inference.accelerator.max_batch",
            "inference.accelerator.queue_limit",
            "inference.accelerator.compute_efficiency",
            "inference.sources[0].rate",
            "inference.isl_hop_delay",
            "inference.max_isl_hops",
        ],
    ),
];

fn hostile_value() -> impl Strategy<Value = toml::Value> {
    prop_oneof![
        any::<i64>().prop_map(toml::Value::Integer),
        prop_oneof![Just(i64::MAX), Just(u32::MAX as i64), Just(1_000_000_000), Just(0), Just(-1)]
            .prop_map(toml::Value::Integer),
        any::<f64>().prop_map(toml::Value::Float),
        prop_oneof![
            Just(f64::INFINITY),
            Just(f64::NAN),
            Just(1e308),
            Just(-1e308),
            Just(1e-308),
            Just(90.0),
            Just(9000.0)
        ]
        .prop_map(toml::Value::Float),
        nasty_text().prop_map(toml::Value::String),
        (
            number_text(),
            prop_oneof![
                Just(" B"),
                Just(" PB"),
                Just(" GB/s"),
                Just(" Mbps"),
                Just("d"),
                Just("ns"),
                Just(" W"),
                Just("/h")
            ]
        )
            .prop_map(|(n, u)| toml::Value::String(format!("{n}{u}"))),
        (0u32..10_000).prop_map(|y| toml::Value::String(format!("{y:04}-01-01T00:00:00Z"))),
        Just(toml::Value::String("2262-04-11T00:00:00Z".into())),
        Just(toml::Value::Boolean(true)),
    ]
}

/// Sets `path` (e.g. `fleet.shells[0].total`) in `table`.
fn set(table: &mut toml::Table, path: &str, value: toml::Value) {
    let mut parts: Vec<&str> = path.split('.').collect();
    let last = parts.pop().unwrap();
    let mut here = table;
    for part in parts {
        here = match part.split_once('[') {
            Some((key, index)) => {
                let i: usize = index.trim_end_matches(']').parse().unwrap();
                here.get_mut(key).unwrap().as_array_mut().unwrap()[i].as_table_mut().unwrap()
            }
            None => here.entry(part).or_insert_with(|| toml::Value::Table(toml::Table::new())).as_table_mut().unwrap(),
        };
    }
    here.insert(last.to_string(), value);
}

/// Writes `table` as a scenario file and validates it: Ok, or one short line naming the file.
fn validate_variant(table: &toml::Table, case: u64) -> Result<orbsim::scenario::Scenario, String> {
    let path = scratch_dir().join(format!("v{case}.toml"));
    std::fs::write(&path, toml::to_string(table).unwrap()).unwrap();
    let result = load_scenario(&path, None);
    let _ = std::fs::remove_file(&path);
    result.map_err(|e| {
        let e = e.to_string();
        assert_one_short_line(&e);
        assert!(e.starts_with(&path.display().to_string()), "the error names the file: {e}");
        e
    })
}

proptest! {
    #![proptest_config(config(2500))]

    #[test]
    fn scenario_fields_validate_or_fail_on_one_line(
        which in 0..FIELDS.len(), field in any::<prop::sample::Index>(), value in hostile_value(), case in 0u64..u64::MAX,
    ) {
        let (file, fields) = FIELDS[which];
        let field = fields[field.index(fields.len())];
        let mut table = scenario_table(file);
        set(&mut table, field, value.clone());
        if let Ok(s) = validate_variant(&table, case) {
            // What validation lets through is bounded: no wrapped dates, no absurd allocation.
            prop_assert!(s.start < s.end, "{field} = {value}");
            prop_assert!((FIRST_YEAR..=LAST_YEAR + 1).contains(&s.end.to_calendar().0), "{field} = {value}");
            prop_assert!(s.satellites.len() <= orbsim::orbit::MAX_SATELLITES);
            prop_assert!(s.antennas.iter().all(|&a| (1..=orbsim::mission::rollout::spec::MAX_ANTENNAS).contains(&a)));
            let m = &s.model;
            prop_assert!(m.chunk_header <= m.chunk_payload && m.chunks as u64 <= orbsim::mission::rollout::spec::MAX_CHUNKS);
            prop_assert!(m.chunks as u64 * (m.chunk_payload + m.chunk_header) < u64::MAX / 4);
            prop_assert!(s.satellites.iter().any(|sat| sat.propagate(s.start).is_ok()), "{field} = {value}: decays at start");
        }
    }
}

/// Validation accepts a scenario only if the run accepts it too: a sample of variants that
/// validate is run to the end (short windows keep this fast).
#[test]
fn what_validate_accepts_runs_without_an_input_error() {
    let mut runner = proptest::test_runner::TestRunner::new(config(48));
    let fields = FIELDS[0].1;
    let strategy = (any::<prop::sample::Index>(), hostile_value(), 0u64..u64::MAX);
    let ran = std::sync::atomic::AtomicUsize::new(0);
    runner
        .run(&strategy, |(field, value, case)| {
            let field = fields[field.index(fields.len())];
            let mut table = scenario_table("qwen3-scs01.toml");
            set(&mut table, "duration", toml::Value::String("1d".into()));
            set(&mut table, field, value.clone());
            if let Ok(s) = validate_variant(&table, case) {
                ran.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let r = orbsim::pipeline::run(&s, &orbsim::progress::Silent);
                prop_assert!(r.is_ok(), "{field} = {value}: validated, then run failed: {}", r.err().unwrap());
            }
            Ok(())
        })
        .unwrap();
    println!("{} validated variants ran", ran.into_inner());
}

// ---------------------------------------------------------------------------------------
// The issue's examples, each by name, through the binary.

fn write_variant(name: &str, scenario: &str, edits: &[(&str, &str)]) -> PathBuf {
    let mut text = std::fs::read_to_string(repo(&format!("scenarios/{scenario}"))).unwrap();
    text = text.replace("../data", repo("data").to_str().unwrap());
    for (from, to) in edits {
        assert!(text.contains(from), "{from}");
        text = text.replacen(from, to, 1);
    }
    let path = scratch_dir().join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

fn validate_rejects(name: &str, scenario: &str, edits: &[(&str, &str)], field: &str) {
    let path = write_variant(name, scenario, edits);
    let out = orbsim(&["validate", path.to_str().unwrap()]);
    assert_input_error(&out, field);
    let line = stderr(&out);
    assert!(line.contains(&format!("{name}.toml")), "names the file: {line}");
    assert!(line.trim_end().chars().count() <= MAX_LINE, "{line}");
}

#[test]
fn sizes_that_would_exhaust_memory_are_rejected_with_their_limit() {
    validate_rejects(
        "walker-1e9",
        "walker100-upload.toml",
        &[("total = 100", "total = 1000000000")],
        "fleet.shells[0].total",
    );
    validate_rejects(
        "antennas-max",
        "qwen3-scs01.toml",
        &[("antennas = 1", "antennas = 4294967295")],
        "stations.antennas",
    );
    validate_rejects(
        "batch-max",
        "walker100-upload.toml",
        &[("[upload]", "[rollout]\nbatch_chunks = 4294967295\n\n[upload]")],
        "rollout.batch_chunks",
    );
    validate_rejects(
        "terminals-max",
        "qwen3-scs01-inference.toml",
        &[(
            "[[inference.sources]]",
            "[[inference.sources]]\nname = \"ships\"\nkind = \"ocean\"\ncount = 4294967295\nrate = \"0.000001/d\"\nprompt_tokens = { dist = \"fixed\", value = 10 }\noutput_tokens = { dist = \"fixed\", value = 10 }\n\n[[inference.sources]]",
        )],
        "inference.sources[0].count",
    );
    for chunk in ["1 B", "2 B"] {
        validate_rejects(
            "tiny-chunks",
            "qwen3-scs01.toml",
            &[("chunk_size = \"1 MiB\"", &format!("chunk_size = \"{chunk}\""))],
            "model.chunk_size",
        );
    }
}

/// The issue's examples for model versions, each naming the file, line and field.
#[test]
fn bad_releases_are_rejected_naming_file_line_and_field() {
    let cases: [(&str, &str, &str, &str); 6] = [
        ("no-base", "base = \"Qwen3-8B Q4_K_M\"", "base = \"Qwen3-9B\"", "releases[1].base"),
        ("big-adapter", "size = \"87 MB\"", "size = \"6 GB\"", "releases[0].size"),
        ("delta-fraction", "changed_fraction = 0.12", "changed_fraction = 1.5", "releases[1].changed_fraction"),
        ("after-end", "after = \"18d\"", "after = \"31d\"", "releases[1].after"),
        ("unknown-swap", "swap = \"gap\"", "swap = \"warm\"", "releases[1].swap"),
        ("unknown-version", "version = \"latest\"", "version = \"newest\"", "inference.sources[0].version"),
    ];
    for (name, from, to, field) in cases {
        validate_rejects(name, "qwen3-scs01-update.toml", &[(from, to)], field);
        let out = orbsim(&["validate", scratch_dir().join(format!("{name}.toml")).to_str().unwrap()]);
        let line = stderr(&out);
        assert!(
            line.contains(&format!("{name}.toml:"))
                && line.split(':').nth(2).is_some_and(|l| l.trim().parse::<usize>().is_ok()),
            "names the line: {line}"
        );
    }
}

#[test]
fn dates_and_magnitudes_that_used_to_wrap_are_rejected() {
    for start in ["2263-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "2262-04-11T00:00:00Z"] {
        validate_rejects("far-start", "qwen3-scs01.toml", &[("2025-11-13T00:00:00Z", start)], "start");
    }
    validate_rejects(
        "huge-header",
        "qwen3-scs01.toml",
        &[("chunk_header = \"64 B\"", "chunk_header = 18446744073709551615")],
        "model.chunk_header",
    );
    for raan in ["inf", "nan", "1e308"] {
        validate_rejects(
            "raan",
            "walker100-upload.toml",
            &[("total = 100", &format!("total = 100\nraan_offset_deg = {raan}"))],
            "raan_offset_deg",
        );
    }
    validate_rejects(
        "bus",
        "qwen3-scs01-inference.toml",
        &[("bus_power = ", "bus_power = \"1e300 W\"\n#")],
        "bus_power",
    );
    validate_rejects(
        "tops",
        "qwen3-scs01-inference.toml",
        &[("tops = ", "tops = 1e308\n#")],
        "inference.accelerator.tops",
    );
    // An OMM epoch and --start outside the span.
    let omm = scratch_dir().join("far.json");
    std::fs::write(
        &omm,
        r#"[{"OBJECT_NAME":"FAR","OBJECT_ID":"2026-001A","EPOCH":"2263-01-01T00:00:00","MEAN_MOTION":15.5,"ECCENTRICITY":0.001,"INCLINATION":51.6,"RA_OF_ASC_NODE":10,"ARG_OF_PERICENTER":0,"MEAN_ANOMALY":0,"NORAD_CAT_ID":1,"BSTAR":0}]"#,
    )
    .unwrap();
    let stations = repo("data/stations/china/china_ground_stations.csv");
    let out = orbsim(&[
        "passes",
        "--tle",
        omm.to_str().unwrap(),
        "--stations",
        stations.to_str().unwrap(),
        "--strict",
        "--start",
        "2026-03-19T00:00:00Z",
        "--duration",
        "1h",
    ]);
    assert_input_error(&out, "EPOCH");
    let tle = repo("data/tle/active_2026-03-19/scs01_three_body_computing.tle");
    let out = orbsim(&[
        "passes",
        "--tle",
        tle.to_str().unwrap(),
        "--stations",
        stations.to_str().unwrap(),
        "--start",
        "2263-01-01T00:00:00Z",
        "--duration",
        "1h",
    ]);
    assert_input_error(&out, "--start");
}

#[test]
fn validate_rejects_what_run_would_reject() {
    validate_rejects("high-station", "qwen3-scs01.toml", &[("alt_m = 500", "alt_m = 9000")], "stations.site[0]");
    for (name, from, to) in [
        ("slow-tops", "tops = ", "tops = 1e-6\n#"),
        ("slow-memory", "memory_bandwidth = ", "memory_bandwidth = \"1 B/s\"\n#"),
        ("huge-model", "parameters = ", "parameters = 1e300\n#"),
    ] {
        validate_rejects(name, "qwen3-scs01-inference.toml", &[(from, to)], "inference.");
    }
}

#[test]
fn echoed_values_stay_on_one_short_line() {
    validate_rejects(
        "multiline",
        "qwen3-scs01.toml",
        &[("chunk_size = \"1 MiB\"", "chunk_size = \"\"\"1\nMiB and\nmore\"\"\"")],
        "model.chunk_size",
    );
    let long = "9".repeat(15_000);
    validate_rejects(
        "long",
        "qwen3-scs01.toml",
        &[("chunk_size = \"1 MiB\"", &format!("chunk_size = \"{long} QB\""))],
        "model.chunk_size",
    );
    validate_rejects(
        "mask90",
        "qwen3-scs01.toml",
        &[("min_elevation_deg = 15.0", "min_elevation_deg = 90")],
        "stations.min_elevation_deg",
    );
    // A TLE with carriage returns in the middle of its lines.
    let tle = scratch_dir().join("cr.tle");
    std::fs::write(&tle, ISS_TLE.replacen("63982U", "639\r82U", 1).replacen("97.3732", "97\r3732", 1)).unwrap();
    let stations = repo("data/stations/china/china_ground_stations.csv");
    let out = orbsim(&[
        "passes",
        "--tle",
        tle.to_str().unwrap(),
        "--stations",
        stations.to_str().unwrap(),
        "--strict",
        "--start",
        "2026-03-19T00:00:00Z",
        "--duration",
        "1h",
    ]);
    assert_input_error(&out, "cr.tle");
    // Link overrides and presets echo what was given, shortened and escaped.
    let tle = repo("data/tle/active_2026-03-19/scs01_three_body_computing.tle");
    let common =
        ["--tle", tle.to_str().unwrap(), "--stations", stations.to_str().unwrap(), "--start=2026-03-19T00:00:00Z"];
    let long_value = format!("setup_time_s=\"{}\"", "9".repeat(5_000));
    let nasty_preset = "x\n".repeat(3_000);
    for args in [
        ["--link", "s-band-high-rate-uplink", "--set", &long_value],
        ["--link", &nasty_preset, "--set", "required_margin_db=3"],
    ] {
        let out = orbsim(&[&["contacts"][..], &args, &common].concat());
        assert_input_error(&out, "--link");
        assert!(stderr(&out).trim_end().chars().count() <= MAX_LINE, "{}", stderr(&out));
    }
}

// ---------------------------------------------------------------------------------------
// A smaller sample through the binary: exit 0, or exit 2 with one line naming the input.

/// The binary's verdict on bad input: exit 2, one `error:` line of at most 300 characters
/// that contains `names`, no panic.
fn assert_clean_verdict(out: &std::process::Output, names: &[&str]) -> Result<(), TestCaseError> {
    let err = stderr(out);
    match out.status.code() {
        Some(0) => Ok(()),
        Some(2) => {
            // clap's own rejection of a typed option (`invalid value '1_000' for
            // '--min-elevation'`) adds a "For more information, try '--help'." trailer; the
            // command-line layer, not input validation, owns that format.
            let lines: Vec<&str> = err
                .lines()
                .filter(|l| !l.trim().is_empty() && !l.starts_with("For more information, try '--help'"))
                .collect();
            prop_assert_eq!(lines.len(), 1, "{}", err);
            prop_assert!(lines[0].starts_with("error: ") && lines[0].chars().count() <= MAX_LINE, "{}", err);
            prop_assert!(names.iter().any(|n| lines[0].contains(n)), "names none of {:?}: {}", names, err);
            Ok(())
        }
        other => Err(TestCaseError::fail(format!("exit {other:?}: {err}"))),
    }
}

#[test]
fn the_binary_validates_hostile_scenarios_with_exit_0_or_2() {
    let mut runner = proptest::test_runner::TestRunner::new(config(60));
    let strategy = (0..FIELDS.len(), any::<prop::sample::Index>(), hostile_value(), 0u64..u64::MAX);
    runner
        .run(&strategy, |(which, field, value, case)| {
            let (file, fields) = FIELDS[which];
            let field = fields[field.index(fields.len())];
            let mut table = scenario_table(file);
            set(&mut table, field, value);
            let path = scratch_dir().join(format!("cli{case}.toml"));
            std::fs::write(&path, toml::to_string(&table).unwrap()).unwrap();
            let out = orbsim(&["validate", path.to_str().unwrap()]);
            let _ = std::fs::remove_file(&path);
            assert_clean_verdict(&out, &[&format!("cli{case}.toml")])
        })
        .unwrap();
}

#[test]
fn the_binary_answers_hostile_pass_options_with_exit_0_or_2() {
    let station = scratch_dir().join("one-station.csv");
    std::fs::write(&station, "name,lat_deg,lon_deg\nKashi,39.5,76.0\n").unwrap();
    let tle = repo("data/tle/active_2026-03-19/scs01_three_body_computing.tle");
    let mut runner = proptest::test_runner::TestRunner::new(config(60));
    let start = prop_oneof![
        nasty_text(),
        (0u32..10_000).prop_map(|y| format!("{y:04}-03-19T00:00:00Z")),
        Just("2026-03-19T00:00:00Z".to_string()),
    ];
    let duration = prop_oneof![
        nasty_text(),
        number_text().prop_map(|n| format!("{n}h")),
        (0u32..48).prop_map(|h| format!("{h}h")),
    ];
    let mask = prop_oneof![number_text(), (-10i32..100).prop_map(|m| m.to_string())];
    runner
        // A command line cannot carry NUL bytes; `--option=value` keeps values that start
        // with a dash (clap takes `-9e-82` for an option) as values.
        .run(&(start, duration, mask), |(start, duration, mask)| {
            let (start, duration, mask) = (start.replace('\0', ""), duration.replace('\0', ""), mask.replace('\0', ""));
            let out = orbsim(&[
                "passes",
                "--tle",
                tle.to_str().unwrap(),
                "--name",
                "SCS-01 A",
                "--stations",
                station.to_str().unwrap(),
                &format!("--start={start}"),
                &format!("--duration={duration}"),
                &format!("--min-elevation={mask}"),
                "--quiet",
            ]);
            assert_clean_verdict(&out, &["--start", "--duration", "--min-elevation", "one-station.csv", "scs01"])
        })
        .unwrap();
}
