//! Real catalogues as shells, planes and slots (issue 16, item 4): Walker shells exported
//! as TLE group back exactly, with the generator's +Grid links; the bundled Starlink
//! snapshot's main shells come out with their planes; a stray satellite falls back to
//! range-based links; bad tolerances are one-line input errors.

mod common;

use std::path::{Path, PathBuf};

use orbsim::access::Window;
use orbsim::access::isl::{GridTopology, IslSearch, IslTopology, ShellLayout, catalogue_links, find_isl_windows};
use orbsim::orbit::catalogue::{Assignment, GroupingSpec, Unassigned, group_catalogue};
use orbsim::orbit::walker::{Inclination, WalkerPattern, WalkerShell};
use orbsim::orbit::{MeanElements, Satellite, load_orbit_file};
use orbsim::report::catalogue::write_catalogue_groups;
use orbsim::report::export::elements::write_tle;
use orbsim::scenario::{load_scenario_text, parse_scenario};
use orbsim::time::UtcTime;

use common::*;

/// Writes `satellites` as TLE with the existing export and reads them back.
fn through_tle(satellites: &[Satellite], path: &Path) -> Vec<Satellite> {
    let mut text = Vec::new();
    write_tle(&mut text, satellites).unwrap();
    std::fs::write(path, text).unwrap();
    load_orbit_file(path, &[], true).unwrap().satellites
}

#[test]
fn walker_shells_exported_as_tle_group_back_exactly() {
    let dir = scratch("catalogue-walker");
    for name in ["xingsuan-2800.toml", "xingsuan-2800-inference.toml", "xingsuan-2800-lifecycle.toml"] {
        let path = repo(&format!("scenarios/{name}"));
        let file = parse_scenario(&path, &std::fs::read_to_string(&path).unwrap()).unwrap();
        let start = UtcTime::parse(&file.start).unwrap();
        let shells = &file.fleet.shells;
        let generated: Vec<Satellite> =
            shells.iter().enumerate().flat_map(|(i, s)| s.satellites(i, start).unwrap()).collect();
        let satellites = through_tle(&generated, &dir.join(name.replace(".toml", ".tle")));
        assert_eq!(satellites.len(), generated.len());
        let members: Vec<usize> = (0..satellites.len()).collect();
        let grouping = group_catalogue(&satellites, &members, start, &GroupingSpec::default());
        assert!(grouping.unassigned().is_empty(), "{name}: {:?}", grouping.unassigned());
        assert_eq!(grouping.shells.len(), shells.len(), "{name}");

        // Where the generator put each fleet index: (shell, plane, slot).
        let layouts = ShellLayout::consecutive(shells, 0);
        let generator = |i: usize| {
            let (k, l) = layouts.iter().enumerate().find(|(_, l)| i < l.first_index + l.total()).unwrap();
            let offset = (i - l.first_index) as u32;
            (k, offset / l.per_plane, offset % l.per_plane)
        };
        let mut planes_seen = std::collections::BTreeSet::new();
        for shell in &grouping.shells {
            let (k, _, _) = generator(shell.planes[0].slots[0].satellite);
            assert_eq!(shell.planes.len(), layouts[k].planes as usize, "{name}: shell {k}'s planes");
            assert!((shell.altitude_km - shells[k].altitude_km).abs() < 0.01, "{name}: {}", shell.altitude_km);
            for plane in &shell.planes {
                let (_, p, _) = generator(plane.slots[0].satellite);
                assert_eq!(plane.slots.len(), layouts[k].per_plane as usize);
                for (a, b) in plane.slots.iter().zip(plane.slots.iter().cycle().skip(1)) {
                    let ((ka, pa, sa), (kb, pb, sb)) = (generator(a.satellite), generator(b.satellite));
                    assert_eq!((ka, pa, kb, pb), (k, p, k, p), "{name}: a plane mixes the generator's planes");
                    assert_eq!(sb, (sa + 1) % layouts[k].per_plane, "{name}: slots out of the generator's order");
                }
                assert!(planes_seen.insert((k, p)), "{name}: plane {p} of shell {k} found twice");
            }
        }
        // The same links as the generated shells' +Grid.
        let walker = GridTopology { shells: layouts.clone(), cross_plane_max_latitude_deg: Some(70.0) };
        assert_eq!(catalogue_links(&grouping, Some(70.0)), walker.links(satellites.len()).unwrap(), "{name}");
    }
}

#[test]
fn starlink_snapshot_main_shells_recovered() {
    let path = repo("data/tle/celestrak_2026-05-30/starlink.tle");
    let satellites = load_orbit_file(&path, &[], false).unwrap().satellites;
    let epoch = satellites.iter().map(|s| s.elements.epoch).max().unwrap();
    let members: Vec<usize> = (0..satellites.len()).collect();
    let started = std::time::Instant::now();
    let grouping = group_catalogue(&satellites, &members, epoch, &GroupingSpec::default());
    let elapsed = started.elapsed().as_secs_f64();
    println!("grouped {} satellites in {elapsed:.3} s", satellites.len());
    let shell = |inclination: f64, altitude: f64| {
        grouping
            .shells
            .iter()
            .find(|s| (s.inclination_deg - inclination).abs() < 0.1 && (s.altitude_km - altitude).abs() < 5.0)
            .unwrap_or_else(|| panic!("no shell near {inclination}°, {altitude} km"))
    };
    // Starlink's filed 53.2°/540 km shell has 72 planes; the 70°/570 km one 36, of which
    // the snapshot fills 34; the 43° shell at 485 km is the largest.
    assert_eq!(shell(53.2, 540.0).planes.len(), 72);
    assert_eq!(shell(70.0, 570.0).planes.len(), 34);
    assert!(shell(43.0, 485.0).satellites() > 3000);
    let unassigned = grouping.unassigned().len();
    assert!(unassigned * 10 < satellites.len(), "{unassigned} unassigned");
}

fn elements(epoch: UtcTime, mean_motion: f64, raan: f64, anomaly: f64) -> MeanElements {
    MeanElements {
        epoch,
        inclination_deg: 53.0,
        raan_deg: raan,
        eccentricity: 0.0001,
        arg_perigee_deg: 0.0,
        mean_anomaly_deg: anomaly,
        mean_motion_rev_per_day: mean_motion,
        bstar: 0.0,
        mean_motion_dot: 0.0,
        mean_motion_ddot: 0.0,
    }
}

/// A 6 × 8 Walker shell at 550 km and two strays 4° apart at about 700 km, as TLE in
/// `dir`; the strays are the last two.
fn catalogue_with_strays(dir: &Path) -> PathBuf {
    let epoch = UtcTime::parse("2026-01-01T00:00:00Z").unwrap();
    let shell = WalkerShell {
        name: Some("grid".into()),
        pattern: WalkerPattern::Delta,
        total: 48,
        planes: 6,
        phasing: 1,
        altitude_km: 550.0,
        inclination: Inclination::Degrees(53.0),
        raan_spread_deg: None,
        raan_offset_deg: 0.0,
        epoch: None,
        role: None,
    };
    let mut satellites = shell.satellites(0, epoch).unwrap();
    for (k, anomaly) in [10.0, 14.0].into_iter().enumerate() {
        satellites.push(Satellite::new(format!("STRAY-{k}"), None, elements(epoch, 14.6, 30.0, anomaly)).unwrap());
    }
    let path = dir.join("strays.tle");
    let mut text = Vec::new();
    write_tle(&mut text, &satellites).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

fn catalogue_scenario(tle: &Path, isl: &str) -> String {
    let fleet = format!("\n[[fleet.tle]]\nfile = \"{}\"\ngrid = true\n", tle.display());
    small_scenario_text("catalogue-grid", 1, "1h", &fleet, isl)
}

#[test]
fn strays_fall_back_to_range_links() {
    let dir = scratch("catalogue-strays");
    let tle = catalogue_with_strays(&dir);
    let text = catalogue_scenario(&tle, "[links.isl]\npreset = \"optical-isl\"");
    let scenario = load_scenario_text(&dir.join("s.toml"), &text, None).unwrap();
    let grouping = scenario.catalogue.as_ref().expect("grid = true groups the source");
    assert_eq!(grouping.unassigned(), vec![48, 49]);
    assert!(grouping.satellites[48..].iter().all(|s| s.assignment == Assignment::Unassigned(Unassigned::NoShell)));
    assert_eq!(grouping.shells.len(), 1);
    assert_eq!(grouping.shells[0].planes.len(), 6);

    let Some(IslTopology::GridWithFallback(mixed)) = &scenario.isl_topology else { panic!("not a grid with fallback") };
    assert_eq!(mixed.ranged, vec![48, 49]);
    assert_eq!(mixed.pairs.len(), 96, "four links per satellite of a 6 × 8 delta shell");
    assert!(mixed.pairs.iter().all(|p| p.b < 48));

    let search =
        IslSearch { window: Window { start: scenario.start, end: scenario.end }, max_range_km: 5000.0, split_s: None };
    let found = find_isl_windows(&scenario.satellites, scenario.isl_topology.as_ref().unwrap(), &search).unwrap();
    assert!(found.windows.iter().any(|w| (w.a, w.b) == (48, 49)), "the strays link to each other by range");
    for w in &found.windows {
        let gridded = mixed.pairs.iter().any(|p| (p.a, p.b) == (w.a, w.b));
        assert!(gridded || (w.a, w.b) == (48, 49), "unexpected link {} – {}", w.a, w.b);
    }
    assert!(found.windows.windows(2).all(|w| (w[0].start, w[0].a, w[0].b) < (w[1].start, w[1].a, w[1].b)));

    let mut csv = Vec::new();
    write_catalogue_groups(&mut csv, &scenario.satellites, grouping).unwrap();
    let csv = String::from_utf8(csv).unwrap();
    assert_eq!(csv.lines().count(), 51);
    let last = csv.lines().last().unwrap();
    assert!(last.starts_with("STRAY-1,50,unassigned,,,53.0000,"), "{last}");
    assert!(
        last.ends_with(",no shell: fewer than 3 satellites within ±0.25° of its inclination and ±3 km of its altitude")
    );
}

#[test]
fn run_and_shells_command_write_the_same_groups() {
    let dir = scratch("catalogue-run");
    let tle = catalogue_with_strays(&dir);
    let scenario = dir.join("s.toml");
    std::fs::write(&scenario, catalogue_scenario(&tle, "[links.isl]\npreset = \"optical-isl\"")).unwrap();
    let run_dir = dir.join("run");
    let out = orbsim(&["run", scenario.to_str().unwrap(), "--out", run_dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("48 of 50 satellites in 1 shell of 6 planes; 2 unassigned"), "{}", stderr(&out));

    let csv = dir.join("groups.csv");
    let args =
        ["shells", "--tle", tle.to_str().unwrap(), "--epoch", "2026-01-01T00:00:00Z", "--out", csv.to_str().unwrap()];
    let out = orbsim(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("shell 0: 53.00°, 550.0 km: 6 planes, 48 satellites, 8–8 a plane (median 8)"));
    let from_run = std::fs::read(run_dir.join("catalogue_groups.csv")).unwrap();
    assert_eq!(std::fs::read(&csv).unwrap(), from_run);
}

#[test]
fn bad_tolerances_and_settings_are_one_line_errors() {
    let dir = scratch("catalogue-hostile");
    let tle = catalogue_with_strays(&dir);
    let tle_arg = tle.to_str().unwrap();
    for (option, value) in [
        ("--altitude-tolerance", "-1"),
        ("--inclination-tolerance", "nan"),
        ("--raan-gap", "0"),
        ("--raan-gap", "200"),
        ("--min-per-plane", "0"),
        ("--epoch", "yesterday"),
    ] {
        assert_input_error(&orbsim(&["shells", "--tle", tle_arg, option, value]), &format!("{option}: "));
    }
    let isl = "[links.isl]\npreset = \"optical-isl\"";
    for (sections, field) in [
        (format!("{isl}\n[isl.grouping]\naltitude_tolerance_km = 0"), "isl.grouping.altitude_tolerance_km"),
        (format!("{isl}\n[isl.grouping]\nraan_gap_deg = -1.0"), "isl.grouping.raan_gap_deg"),
        (format!("{isl}\n[isl.grouping]\nmin_per_plane = 0"), "isl.grouping.min_per_plane"),
        (format!("{isl}\n[isl.grouping]\nplane_gap = 1"), "isl.grouping"),
        (format!("{isl}\n[isl]\ntopology = \"range\""), "fleet.tle[0].grid"),
        (String::new(), "fleet.tle[0].grid"),
    ] {
        let path = dir.join("bad.toml");
        std::fs::write(&path, catalogue_scenario(&tle, &sections)).unwrap();
        assert_input_error(&orbsim(&["validate", path.to_str().unwrap()]), field);
    }
    // Tolerances without a source to group.
    let path = dir.join("no-grid.toml");
    let text =
        catalogue_scenario(&tle, &format!("{isl}\n[isl.grouping]\nraan_gap_deg = 2.0")).replace("grid = true", "");
    std::fs::write(&path, text).unwrap();
    assert_input_error(&orbsim(&["validate", path.to_str().unwrap()]), "isl.grouping");
}
