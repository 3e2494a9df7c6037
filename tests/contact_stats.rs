//! The station and satellite contact statistics against an independent count: the run's
//! own contacts.csv, read back and tallied here (passes, contact minutes, deliverable bytes,
//! longest gap from the sorted intervals), must give station_stats.csv and
//! satellite_contact_stats.csv; a station no satellite reaches reports no passes and a gap
//! as long as the window.

use std::collections::BTreeMap;
use std::path::Path;

use orbsim::pipeline::run;
use orbsim::report::run::write_run;
use orbsim::report::summary::RunSummary;
use orbsim::scenario::load_scenario_text;
use orbsim::time::UtcTime;

const DAYS: f64 = 2.0;

/// A 45° shell the South Pole never sees, three Chinese stations and the pole; a model far
/// too large to finish, so the plan covers the whole window.
const SCENARIO: &str = r#"
name = "contact-stats"
start = "2026-01-01T00:00:00Z"
duration = "2d"
seed = 7

[[fleet.shells]]
name = "w45"
pattern = "delta"
total = 12
planes = 3
phasing = 1
altitude_km = 550
inclination = 45.0

[stations]
file = "../data/stations/china/china_ground_stations.csv"
names = ["Sanya", "Kashi (Kashgar)", "Miyun"]
min_elevation_deg = 10.0
antennas = 1

[[stations.site]]
name = "South Pole"
lat_deg = -89.9
lon_deg = 0.0
alt_m = 2800
antennas = 1

[links.uplink]
preset = "s-band-high-rate-uplink"
setup_time_s = 30.0

[model]
name = "too large"
size = "2 TB"
chunk_size = "4 MiB"
chunk_header = "64 B"

[onboard]
storage = "5 TB"

[upload]
protocol = "cfdp"
nak_round_trip = "2s"
loss = { model = "fixed", packet_error_rate = 1e-7 }
"#;

/// passes, contact seconds, deliverable bytes and intervals of one node.
#[derive(Default)]
struct Count {
    passes: u64,
    seconds: f64,
    bytes: u64,
    intervals: Vec<(f64, f64)>,
}

impl Count {
    /// Longest stretch of [0, span] covered by no interval.
    fn longest_gap(&mut self, span: f64) -> f64 {
        self.intervals.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (mut covered, mut longest) = (0.0f64, 0.0f64);
        for &(a, b) in &self.intervals {
            longest = longest.max(a - covered);
            covered = covered.max(b);
        }
        longest.max(span - covered)
    }
}

fn read_csv(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| header.iter().map(String::from).zip(r.unwrap().iter().map(String::from)).collect())
        .collect()
}

fn number(row: &BTreeMap<String, String>, key: &str) -> f64 {
    row[key].parse().unwrap_or_else(|_| panic!("{key}: {}", row[key]))
}

/// Checks one stats table against the independent counts, by the node named in `key`.
fn check(table: &[BTreeMap<String, String>], key: &str, counts: &mut BTreeMap<String, Count>, span: f64) {
    for row in table {
        let mut empty = Count::default();
        let c = counts.get_mut(&row[key]).unwrap_or(&mut empty);
        let name = &row[key];
        assert_eq!(number(row, "passes") as u64, c.passes, "{name}");
        assert!((number(row, "passes_per_day") - c.passes as f64 / DAYS).abs() < 1e-3, "{name}");
        // contacts.csv rounds each duration to the millisecond.
        let minutes = c.seconds / 60.0 / DAYS;
        let tolerance = 1e-3 + c.passes as f64 * 1e-5;
        assert!((number(row, "contact_minutes_per_day") - minutes).abs() < tolerance, "{name}");
        assert_eq!(number(row, "deliverable_bytes") as u64, c.bytes, "{name}");
        assert!((number(row, "deliverable_bytes_per_day") - c.bytes as f64 / DAYS).abs() <= 0.5, "{name}");
        let gap = c.longest_gap(span);
        assert!((number(row, "longest_gap_s") - gap).abs() < 2e-3, "{name}: {} vs {gap}", row["longest_gap_s"]);
    }
}

#[test]
fn station_and_satellite_statistics_match_a_count_of_contacts_csv() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let scenario = load_scenario_text(&root.join("scenarios/contact-stats.toml"), SCENARIO, None).unwrap();
    let result = run(&scenario, &orbsim::progress::Silent).unwrap();
    let summary = RunSummary::new(&scenario, &result);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    write_run(&out, &scenario, &result, &summary).unwrap();

    let contacts_section = summary.contacts.as_ref().expect("the run has ground contacts");
    assert_eq!(contacts_section.plan, "upload");
    assert_eq!(contacts_section.span_end_utc, scenario.end, "the upload never finishes: the whole window");
    let start = scenario.start;
    let span = scenario.end.seconds_since(start);
    let at = |s: &str| UtcTime::parse(s).unwrap().seconds_since(start);

    let (mut stations, mut satellites) = (BTreeMap::<String, Count>::new(), BTreeMap::<String, Count>::new());
    for row in read_csv(&out.join("contacts.csv")).iter().filter(|r| r["kind"] == "uplink") {
        let (a, b) = (at(&row["start_utc"]), at(&row["end_utc"]));
        for count in
            [stations.entry(row["from"].clone()).or_default(), satellites.entry(row["to"].clone()).or_default()]
        {
            count.passes += 1;
            count.seconds += number(row, "duration_s");
            count.bytes += number(row, "deliverable_bytes") as u64;
            count.intervals.push((a, b));
        }
    }
    let station_table = read_csv(&out.join("station_stats.csv"));
    let satellite_table = read_csv(&out.join("satellite_contact_stats.csv"));
    assert_eq!(station_table.len(), 4);
    assert_eq!(satellite_table.len(), 12);
    assert!(stations.len() == 3 && satellites.len() == 12, "every satellite passes a Chinese station in two days");
    check(&station_table, "station", &mut stations, span);
    check(&satellite_table, "satellite", &mut satellites, span);

    let pole = station_table.iter().find(|r| r["station"] == "South Pole").unwrap();
    assert_eq!(number(pole, "passes"), 0.0);
    assert_eq!(number(pole, "contact_minutes_per_day"), 0.0);
    assert_eq!(number(pole, "deliverable_bytes"), 0.0);
    assert_eq!(number(pole, "longest_gap_s"), span, "no contact: the gap is the window");

    // summary.json holds the same figures, and the spread over the satellites.
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let section = &json["contacts"];
    assert_eq!(section["span_days"], DAYS);
    assert_eq!(section["stations"].as_array().unwrap().len(), 4);
    assert_eq!(section["stations"][3]["passes"], 0);
    let per_day: Vec<f64> = satellite_table.iter().map(|r| number(r, "passes_per_day")).collect();
    let spread = &section["satellites"]["passes_per_day"];
    let max = per_day.iter().copied().fold(0.0, f64::max);
    assert!((spread["max"].as_f64().unwrap() - max).abs() < 1e-3);
    assert_eq!(section["satellites"]["satellites"], 12);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<h2>Ground contact</h2>") && html.contains("South Pole"));
    assert!(out.join("satellite_contact_cdf.svg").exists());
}

#[test]
fn a_station_with_no_contact_has_no_passes_and_a_gap_of_the_whole_span() {
    let start = UtcTime::parse("2026-01-01T00:00:00Z").unwrap();
    let end = start.plus_seconds(86_400.0);
    let stats = orbsim::contact::stats::contact_stats(&[], 0, start, end, 2, &[true, false, true]);
    assert_eq!(stats.stations.len(), 2);
    assert_eq!(stats.satellites.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [0, 2], "covered satellites only");
    for tally in stats.stations.iter().chain(stats.satellites.iter().map(|(_, t)| t)) {
        assert_eq!((tally.passes, tally.contact_ns, tally.deliverable_bytes), (0, 0, 0));
        assert_eq!(tally.longest_gap_ns, 86_400 * 1_000_000_000);
    }
}
