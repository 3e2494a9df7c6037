//! CZML export: the document is JSON that CesiumJS can load (a document packet with a clock
//! first, one packet per satellite, station and contact, unique ids, references that
//! resolve), positions are SGP4 rotated into the Earth-fixed frame in metres, and a
//! satellite that decays stops where it decayed.

use std::collections::HashSet;
use std::sync::Arc;

use orbsim::access::{Window, find_passes};
use orbsim::contact::{Contact, ContactKind, Node};
use orbsim::frames::{Geodetic, teme_to_ecef_position};
use orbsim::ground::GroundStation;
use orbsim::link::RateProfile;
use orbsim::orbit::tle::parse_tle_text;
use orbsim::orbit::{MeanElements, Satellite};
use orbsim::report::export::czml::{ContactSpan, satellite_entity_id, write_czml};
use orbsim::report::export::{Ephemeris, Step};
use orbsim::time::UtcTime;
use serde_json::Value;

const TLES: &str = "\
ISS (ZARYA)
1 25544U 98067A   14020.93268519  .00009878  00000-0  18200-3 0  5082
2 25544  51.6498 109.4756 0003572  55.9686 274.8005 15.49815350868473
ISS (ZARYA)
1 25544U 98067A   14020.93268519  .00009878  00000-0  18200-3 0  5082
2 25544  51.6498 109.4756 0003572  55.9686 274.8005 15.49815350868473
";

fn satellites() -> Vec<Satellite> {
    let (records, rejected) = parse_tle_text(TLES);
    assert!(rejected.is_empty());
    records.into_iter().map(|r| Satellite::new(r.name.unwrap(), Some(r.norad_id), r.elements).unwrap()).collect()
}

fn station(name: &str, lat_deg: f64, lon_deg: f64) -> GroundStation {
    GroundStation {
        name: name.into(),
        site: Geodetic { lat_deg, lon_deg, alt_km: 0.25 },
        min_elevation_deg: 10.0,
        azimuth_mask: None,
    }
}

fn stations() -> Vec<GroundStation> {
    // Two stations with the same name: ids must still differ.
    vec![
        station("Bluffton", 40.8939, -83.8917),
        station("Bluffton", 40.9, -83.9),
        station("Svalbard <KSAT>", 78.23, 15.41),
    ]
}

fn window() -> Window {
    let start = UtcTime::parse("2014-01-23T00:00:00Z").unwrap();
    Window { start, end: start.plus_seconds(86_400.0) }
}

/// A low, high-drag orbit that decays 6,540 s after its epoch.
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

fn render(sats: &[Satellite], stations: &[GroundStation], contacts: &[ContactSpan], step: Step) -> Vec<Value> {
    let mut buf = Vec::new();
    write_czml(&mut buf, sats, stations, contacts, window(), step).unwrap();
    let doc: Value = serde_json::from_slice(&buf).expect("CZML is JSON");
    doc.as_array().expect("CZML is an array of packets").clone()
}

fn packet<'a>(doc: &'a [Value], id: &str) -> &'a Value {
    doc.iter().find(|p| p["id"] == id).unwrap_or_else(|| panic!("no packet {id}"))
}

fn interval(text: &str) -> (UtcTime, UtcTime) {
    let (a, b) = text.split_once('/').unwrap_or_else(|| panic!("`{text}` is not start/end"));
    let (a, b) = (UtcTime::parse(a).unwrap(), UtcTime::parse(b).unwrap());
    assert!(a <= b, "{text}");
    (a, b)
}

fn all_contacts(sats: &[Satellite], stations: &[GroundStation]) -> Vec<ContactSpan> {
    let found = find_passes(sats, stations, window(), &|| {});
    assert!(!found.passes.is_empty());
    let mut spans: Vec<ContactSpan> = found.passes.iter().map(ContactSpan::from).collect();
    let first = &found.passes[0];
    let rates: Arc<[u64]> = Arc::from(vec![0u64, 1_000_000]);
    let uplink = Contact {
        kind: ContactKind::Uplink,
        link: 0,
        from: Node::Station(first.station as u32),
        to: Node::Satellite(first.satellite as u32),
        start: first.aos,
        tca: first.tca,
        end: first.los,
        max_elevation_deg: first.max_elevation_deg as f32,
        profile: RateProfile::empty(first.aos, 1000, rates),
    };
    spans.push(ContactSpan::from(&uplink));
    spans.push(ContactSpan {
        kind: Some(ContactKind::InterSatellite),
        from: Node::Satellite(0),
        to: Node::Satellite(1),
        start: window().start,
        end: window().start.plus_seconds(600.0),
        max_elevation_deg: None,
    });
    spans
}

#[test]
fn document_has_every_entity_with_unique_ids() {
    let (sats, stations) = (satellites(), stations());
    let contacts = all_contacts(&sats, &stations);
    let doc = render(&sats, &stations, &contacts, Step::DEFAULT);

    let document = &doc[0];
    assert_eq!(document["id"], "document");
    assert_eq!(document["version"], "1.0");
    let clock = &document["clock"];
    assert_eq!(interval(clock["interval"].as_str().unwrap()), (window().start, window().end));
    assert_eq!(clock["currentTime"], "2014-01-23T00:00:00.000Z");
    assert!(clock["multiplier"].as_f64().unwrap() > 1.0);

    assert_eq!(doc.len(), 1 + sats.len() + stations.len() + contacts.len());
    let ids: Vec<&str> = doc.iter().map(|p| p["id"].as_str().expect("every packet has an id")).collect();
    let unique: HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "ids must be unique: {ids:?}");
    assert_eq!(ids.iter().filter(|i| i.starts_with("sat-")).count(), sats.len());
    assert_eq!(ids.iter().filter(|i| i.starts_with("station-")).count(), stations.len());
    assert_eq!(ids.iter().filter(|i| i.starts_with("contact-")).count(), contacts.len());
    assert_eq!(ids[1..3], ["sat-0-iss-zarya", "sat-1-iss-zarya"]);
    assert_eq!(ids[3..6], ["station-0-bluffton", "station-1-bluffton", "station-2-svalbard-ksat"]);
    for id in &ids {
        assert!(id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'), "{id} must be safe in a reference");
    }

    let station = packet(&doc, "station-2-svalbard-ksat");
    assert_eq!(station["name"], "Svalbard <KSAT>");
    let lla: Vec<f64> =
        station["position"]["cartographicDegrees"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(lla, [15.41, 78.23, 250.0], "longitude, latitude, metres");
    assert!(station["point"].is_object() && station["label"]["text"] == "Svalbard <KSAT>");
}

#[test]
fn contacts_are_lines_between_entities_while_they_last() {
    let (sats, stations) = (satellites(), stations());
    let contacts = all_contacts(&sats, &stations);
    let doc = render(&sats, &stations, &contacts, Step::DEFAULT);
    let ids: HashSet<&str> = doc.iter().map(|p| p["id"].as_str().unwrap()).collect();
    let mut colours = HashSet::new();
    for (i, c) in contacts.iter().enumerate() {
        let p = doc.iter().find(|p| p["id"].as_str().unwrap().starts_with(&format!("contact-{i}-"))).unwrap();
        let (start, end) = interval(p["availability"].as_str().unwrap());
        assert!((start.seconds_since(c.start)).abs() <= 0.0005 && (end.seconds_since(c.end)).abs() <= 0.0005);
        let refs = p["polyline"]["positions"]["references"].as_array().unwrap();
        assert_eq!(refs.len(), 2);
        for r in refs {
            let target = r.as_str().unwrap().strip_suffix("#position").expect("references name a position");
            assert!(ids.contains(target), "{target} is not an entity");
        }
        assert_eq!(p["polyline"]["arcType"], "NONE");
        colours.insert(p["polyline"]["material"]["solidColor"]["color"]["rgba"].to_string());
    }
    assert_eq!(colours.len(), 3, "pass, uplink and ISL lines have different colours");
    let isl = doc.last().unwrap();
    assert!(isl["id"].as_str().unwrap().ends_with("-isl"));
    assert_eq!(isl["polyline"]["positions"]["references"][0], "sat-0-iss-zarya#position");
    assert_eq!(isl["polyline"]["positions"]["references"][1], "sat-1-iss-zarya#position");
}

#[test]
fn positions_are_sgp4_in_the_fixed_frame_in_metres() {
    let sats = satellites();
    let step = Step::parse("90s").unwrap();
    let doc = render(&sats, &[], &[], step);
    let w = window();
    let sat = packet(&doc, &satellite_entity_id(0, &sats[0]));
    assert_eq!(interval(sat["availability"].as_str().unwrap()), (w.start, w.end));
    let position = &sat["position"];
    assert_eq!(position["referenceFrame"], "FIXED");
    assert_eq!(position["interpolationAlgorithm"], "LAGRANGE");
    assert_eq!(UtcTime::parse(position["epoch"].as_str().unwrap()).unwrap(), w.start);
    let cartesian: Vec<f64> = position["cartesian"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(cartesian.len(), 4 * step.sample_count(w) as usize);
    assert_eq!(cartesian.len(), 4 * 961);
    let mut previous = -1.0;
    for sample in cartesian.chunks(4) {
        let (t, r) = (sample[0], [sample[1], sample[2], sample[3]]);
        assert!(t > previous, "times strictly increase");
        previous = t;
        let radius = (r[0] * r[0] + r[1] * r[1] + r[2] * r[2]).sqrt();
        assert!((6_600_000.0..6_900_000.0).contains(&radius), "ISS radius {radius} m");
        let when = w.start.plus_seconds(t);
        let expected = teme_to_ecef_position(&sats[0].propagate(when).unwrap().position, when.gmst()) * 1000.0;
        for k in 0..3 {
            assert!((r[k] - expected[k]).abs() <= 0.5, "sample at {t} s: {r:?} vs {expected:?}");
        }
    }
    assert_eq!(previous, 86_400.0, "the last sample is the window's end");
    assert!(sat["point"].is_object() && sat["label"]["text"] == "ISS (ZARYA)");
    assert!(sat["path"]["leadTime"].as_f64().unwrap() > 0.0 && sat["path"]["trailTime"].as_f64().unwrap() > 0.0);
}

#[test]
fn a_decaying_satellite_stops_where_it_decays() {
    let w = window();
    // One satellite decays 6,540 s into the window; the other decayed before it began.
    let sats = vec![decaying(w.start), decaying(w.start.plus_seconds(-86_400.0))];
    let eph = Ephemeris::sample(&sats[0], w, Step::DEFAULT);
    assert_eq!(eph.len(), 109, "samples at 0..=6480 s");
    assert_eq!(eph.stopped.as_ref().unwrap().time, w.start.plus_seconds(6540.0));

    let doc = render(&sats, &[], &[], Step::DEFAULT);
    let falling = packet(&doc, "sat-0-falling-star");
    let (start, end) = interval(falling["availability"].as_str().unwrap());
    assert_eq!((start, end), (w.start, w.start.plus_seconds(6480.0)));
    assert_eq!(falling["position"]["cartesian"].as_array().unwrap().len(), 4 * 109);
    assert!(falling["description"].as_str().unwrap().contains("stopped"));

    let fallen = packet(&doc, "sat-1-falling-star");
    assert_eq!(fallen["name"], "FALLING STAR");
    assert!(fallen.get("position").is_none() && fallen.get("point").is_none(), "nothing to draw: {fallen}");
}

#[test]
fn a_contact_with_an_unknown_end_is_refused_before_writing() {
    let sats = satellites();
    let bad = ContactSpan {
        kind: Some(ContactKind::Downlink),
        from: Node::Satellite(0),
        to: Node::Station(7),
        start: window().start,
        end: window().end,
        max_elevation_deg: None,
    };
    let mut buf = Vec::new();
    let err = write_czml(&mut buf, &sats, &stations(), &[bad], window(), Step::DEFAULT).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("Station(7)"), "{err}");
    assert!(buf.is_empty(), "nothing written");
}

#[test]
fn output_is_deterministic() {
    let (sats, stations) = (satellites(), stations());
    let contacts = all_contacts(&sats, &stations);
    let once = |_| {
        let mut buf = Vec::new();
        write_czml(&mut buf, &sats, &stations, &contacts, window(), Step::DEFAULT).unwrap();
        buf
    };
    assert_eq!(once(0), once(1));
}

#[test]
fn labels_start_hidden_for_large_fleets() {
    let one = satellites().remove(0);
    let step = Step::parse("1d").unwrap();
    let few = render(&vec![one.clone(); 3], &[], &[], step);
    assert_eq!(few[1]["label"]["show"], true);
    let many = render(&vec![one; orbsim::report::export::czml::MAX_SHOWN_LABELS + 1], &[], &[], step);
    assert!(many[1..].iter().all(|p| p["label"]["show"] == false));
    assert_eq!(many.len(), 2 + orbsim::report::export::czml::MAX_SHOWN_LABELS);
}
