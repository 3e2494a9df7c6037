//! Streamed pass and contact output: searches resumed a time block at a time give exactly
//! the passes and contacts of one search over the whole window, in the same order.

use std::path::Path;

use orbsim::access::passes::{
    PassItems, PassRows, SatelliteSearch, SearchBounds, SearchScratch, StationSet, search_satellite, stream_search,
};
use orbsim::access::trajectory::Track;
use orbsim::access::{Pass, Window, find_passes};
use orbsim::contact::{ContactRecord, GroundContactRecords, build_ground_contacts};
use orbsim::ground::{GroundStation, load_stations};
use orbsim::link::LinkConfig;
use orbsim::orbit::{Satellite, load_orbit_file};
use orbsim::time::UtcTime;

/// Passes in blocks of about 200, so that many passes straddle block boundaries.
struct SmallBlocks(PassRows);

impl PassItems for SmallBlocks {
    type State = ();
    type Item = Pass;
    type Key = <PassRows as PassItems>::Key;
    fn state(&self, satellite: usize) {
        self.0.state(satellite)
    }
    fn items(&self, state: &mut (), pass: &Pass, track: &Track, out: &mut Vec<Pass>) {
        self.0.items(state, pass, track, out)
    }
    fn key(&self, p: &Pass) -> Self::Key {
        self.0.key(p)
    }
    fn start(&self, p: &Pass) -> UtcTime {
        self.0.start(p)
    }
    fn items_per_block(&self) -> f64 {
        200.0
    }
}

fn fleet(file: &str, keep_every: usize) -> Vec<Satellite> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let all = load_orbit_file(&root.join(file), &[], false).unwrap().satellites;
    all.into_iter().step_by(keep_every).collect()
}

fn stations(file: &str) -> Vec<GroundStation> {
    load_stations(&Path::new(env!("CARGO_MANIFEST_DIR")).join(file), 10.0).unwrap()
}

/// Starts mid-second so that passes are cut by both ends of the window.
fn window(hours: f64) -> Window {
    let start = UtcTime::parse("2026-05-31T03:17:41.25Z").unwrap();
    Window { start, end: start.plus_seconds(hours * 3600.0) }
}

#[test]
fn a_search_resumed_many_times_finds_what_one_search_finds() {
    let sats = fleet("data/tle/celestrak_2026-05-30/oneweb.tle", 60);
    let stations = stations("data/stations/bench100.csv");
    let set = StationSet::new(&stations);
    let w = window(30.0);
    let mut scratch = SearchScratch::default();
    for (i, sat) in sats.iter().enumerate() {
        let mut whole = Vec::new();
        search_satellite(i, sat, &set, w, |p, _| whole.push(p.clone()));
        let bounds = SearchBounds::new(sat, &set);
        let mut search = SatelliteSearch::start(i, sat, &set, &bounds, w);
        let mut pieces: Vec<Pass> = Vec::new();
        // Uneven stops, some shorter than one sample step.
        let mut until = 0.0;
        for k in 0.. {
            until += [1.0, 37.0, 400.0, 3_333.0][k % 4];
            search.advance(sat, &set, &bounds, w, until, &mut scratch, &mut |p, _| pieces.push(p.clone()));
            if search.is_finished() {
                break;
            }
        }
        assert!(!whole.is_empty());
        assert_eq!(pieces, whole, "satellite {}", sat.name);
    }
}

#[test]
fn streamed_passes_equal_the_sorted_search_in_order() {
    let sats = fleet("data/tle/celestrak_2026-05-30/starlink.tle", 40);
    let stations = stations("data/stations/bench100.csv");
    let w = window(26.0);
    let expected = find_passes(&sats, &stations, w, &|| {}).passes;
    let mut blocks = 0;
    let mut streamed: Vec<Pass> = Vec::new();
    let rows = SmallBlocks(PassRows::new(&sats, &stations));
    let retirements = stream_search(&sats, &|_| true, &stations, w, &rows, &|_| {}, |block| {
        blocks += 1;
        streamed.extend(block);
        Ok::<(), ()>(())
    })
    .unwrap();
    assert!(retirements.is_empty());
    assert!(blocks > 20, "the window is streamed in several blocks ({blocks})");
    assert!(streamed.iter().any(|p| p.cut_start) && streamed.iter().any(|p| p.cut_end));
    assert_eq!(streamed.len(), expected.len());
    assert!(streamed == expected, "same passes in the same order");
}

#[test]
fn streamed_contacts_equal_the_plan_with_cloud_draws() {
    let sats = fleet("data/tle/celestrak_2026-05-30/oneweb.tle", 12);
    let stations = stations("data/stations/commercial/ksat.geojson");
    let w = window(40.0);
    let mut table = toml::Table::new();
    table.insert("preset".into(), toml::Value::String("optical-ground".into()));
    let link = LinkConfig::from_toml(&table, "link").unwrap().resolve("link").unwrap();
    let links = [link];
    let plan = build_ground_contacts(&sats, &stations, w, &links, 7, &|| {}).unwrap();
    let expected: Vec<ContactRecord> = plan.contacts.iter().map(ContactRecord::of).collect();
    assert!(expected.iter().any(|c| c.deliverable_bytes == 0) && expected.iter().any(|c| c.deliverable_bytes > 0));
    let records = GroundContactRecords::new(&links, &stations, w.start, 7).unwrap();
    let mut streamed = Vec::new();
    stream_search(&sats, &|_| true, &stations, w, &records, &|_| {}, |block| {
        streamed.extend(block);
        Ok::<(), ()>(())
    })
    .unwrap();
    assert_eq!(streamed.len(), expected.len());
    assert!(streamed == expected, "same contacts, same cloud losses, same order");
}
