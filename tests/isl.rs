//! Inter-satellite links: +Grid neighbour counts, geometry of every link checked against
//! SGP4, link ends at the failing condition, a dense scan that no window or outage is
//! missed, range-based terminal limits and symmetry, contacts with acquisition, and
//! determinism across thread counts.

use nalgebra::Vector3;
use orbsim::access::Window;
use orbsim::access::isl::{
    GridTopology, IslPair, IslSearch, IslTopology, IslWindow, LINE_OF_SIGHT_RADIUS_KM, RangeTopology, ShellLayout,
    find_isl_windows, line_of_sight_clearance_km,
};
use orbsim::contact::{
    ContactKind, ContactPlan, IslContactError, Node, add_isl_contacts, build_isl_contacts, merge_contacts,
};
use orbsim::frames::teme_to_ecef_position;
use orbsim::link::{LinkConfig, LinkParams};
use orbsim::orbit::walker::{Inclination, WalkerPattern, WalkerShell};
use orbsim::orbit::{MeanElements, Satellite, load_orbit_file};
use orbsim::time::UtcTime;

/// Interpolation against SGP4 (about 8 m at the sample spacing) plus millisecond rounding
/// of window ends: how far past a limit a link may be seen at its very ends, km.
const GEOMETRY_SLACK_KM: f64 = 0.03;
const LATITUDE_SLACK_DEG: f64 = 1e-3;

fn repo(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn start() -> UtcTime {
    UtcTime::parse("2026-05-31T00:00:00Z").unwrap()
}

fn window(hours: f64) -> Window {
    Window { start: start(), end: start().plus_seconds(hours * 3600.0) }
}

fn optical_isl() -> LinkParams {
    toml::from_str::<LinkConfig>("preset = \"optical-isl\"").unwrap().resolve("isl").unwrap()
}

#[allow(clippy::too_many_arguments)]
fn shell(
    name: &str,
    pattern: WalkerPattern,
    total: u32,
    planes: u32,
    phasing: u32,
    altitude_km: f64,
    inclination: Inclination,
) -> WalkerShell {
    WalkerShell {
        name: Some(name.into()),
        pattern,
        total,
        planes,
        phasing,
        altitude_km,
        inclination,
        raan_spread_deg: None,
        raan_offset_deg: 0.0,
        epoch: None,
        role: None,
    }
}

fn fleet(shells: &[WalkerShell]) -> (Vec<Satellite>, Vec<ShellLayout>) {
    let mut sats = Vec::new();
    for (i, s) in shells.iter().enumerate() {
        sats.extend(s.satellites(i, start()).unwrap());
    }
    (sats, ShellLayout::consecutive(shells, 0))
}

/// Two small shells: a sun-synchronous star (with its seam) and an inclined delta.
fn small_walker() -> (Vec<Satellite>, Vec<ShellLayout>) {
    fleet(&[
        shell("sso", WalkerPattern::Star, 72, 6, 1, 550.0, Inclination::SunSynchronous),
        shell("mid", WalkerPattern::Delta, 50, 5, 2, 800.0, Inclination::Degrees(50.0)),
    ])
}

fn starlink(count: usize, step: usize) -> Vec<Satellite> {
    let loaded = load_orbit_file(&repo("data/tle/celestrak_2026-05-30/starlink.tle"), &[], false).unwrap();
    loaded.satellites.into_iter().step_by(step).take(count).collect()
}

fn ecef(sat: &Satellite, t: UtcTime) -> Vector3<f64> {
    teme_to_ecef_position(&sat.propagate(t).unwrap().position, t.gmst())
}

fn latitude_deg(r: &Vector3<f64>) -> f64 {
    (r.z / r.norm()).asin().to_degrees()
}

/// Range, line-of-sight clearance and the higher |latitude| of the two ends.
fn geometry(a: &Satellite, b: &Satellite, t: UtcTime) -> (f64, f64, f64) {
    let (ra, rb) = (ecef(a, t), ecef(b, t));
    ((rb - ra).norm(), line_of_sight_clearance_km(&ra, &rb), latitude_deg(&ra).abs().max(latitude_deg(&rb).abs()))
}

/// The link is possible (allowing the interpolation slack).
fn holds(g: (f64, f64, f64), max_range_km: f64, max_lat: Option<f64>) -> bool {
    g.0 <= max_range_km + GEOMETRY_SLACK_KM
        && g.1 >= -GEOMETRY_SLACK_KM
        && max_lat.is_none_or(|l| g.2 <= l + LATITUDE_SLACK_DEG)
}

/// The link is impossible, or within the slack of a limit (a grazing crossing).
fn fails(g: (f64, f64, f64), max_range_km: f64, max_lat: Option<f64>) -> bool {
    g.0 > max_range_km - GEOMETRY_SLACK_KM
        || g.1 < GEOMETRY_SLACK_KM
        || max_lat.is_some_and(|l| g.2 > l - LATITUDE_SLACK_DEG)
}

fn degrees(links: &[IslPair], n: usize) -> Vec<usize> {
    let mut deg = vec![0; n];
    for l in links {
        deg[l.a as usize] += 1;
        deg[l.b as usize] += 1;
    }
    deg
}

#[test]
fn grid_neighbour_counts() {
    let (sats, layouts) = fleet(&[
        shell("delta", WalkerPattern::Delta, 72 * 22, 72, 39, 550.0, Inclination::Degrees(53.0)),
        shell("star", WalkerPattern::Star, 20 * 40, 20, 1, 700.0, Inclination::SunSynchronous),
    ]);
    let grid = GridTopology { shells: layouts.clone(), cross_plane_max_latitude_deg: None };
    let links = grid.links(sats.len()).unwrap();
    let deg = degrees(&links, sats.len());
    let delta = &layouts[0];
    assert!(deg[..delta.total()].iter().all(|&d| d == 4), "delta shell: 4 links each");
    let star = &layouts[1];
    for p in 0..star.planes {
        for s in 0..star.per_plane {
            let want = if p == 0 || p == star.planes - 1 { 3 } else { 4 };
            assert_eq!(deg[star.index(p, s)], want, "star plane {p} slot {s}");
        }
    }
    // No link leaves its shell, none crosses the star seam.
    for l in &links {
        let in_delta = |i: u32| (i as usize) < delta.total();
        assert_eq!(in_delta(l.a), in_delta(l.b));
        if !in_delta(l.a) {
            let plane = |i: u32| (i as usize - star.first_index) / star.per_plane as usize;
            assert!(plane(l.b) - plane(l.a) <= 1, "{l:?} crosses the seam");
        }
    }
}

#[test]
fn cross_plane_partner_is_the_nearest_in_phase() {
    // Over one orbit the partner in the next plane has the shortest mean range among that
    // plane's satellites, including across the delta seam where the phasing shifts slots.
    let shells = [shell("d", WalkerPattern::Delta, 12 * 16, 12, 5, 600.0, Inclination::Degrees(53.0))];
    let (sats, layouts) = fleet(&shells);
    let l = &layouts[0];
    let links = GridTopology { shells: layouts.clone(), cross_plane_max_latitude_deg: None }.links(sats.len()).unwrap();
    let period = sats[0].elements.period_s();
    let times: Vec<UtcTime> = (0..24).map(|k| start().plus_seconds(period * k as f64 / 24.0)).collect();
    let positions: Vec<Vec<Vector3<f64>>> = sats.iter().map(|s| times.iter().map(|&t| ecef(s, t)).collect()).collect();
    let mean_range =
        |i: usize, j: usize| positions[i].iter().zip(&positions[j]).map(|(a, b)| (a - b).norm()).sum::<f64>() / 24.0;
    for p in [0, 5, l.planes - 1] {
        let q = (p + 1) % l.planes;
        for s in 0..l.per_plane {
            let i = l.index(p, s);
            let partner = links
                .iter()
                .filter(|x| x.a as usize == i || x.b as usize == i)
                .map(|x| if x.a as usize == i { x.b as usize } else { x.a as usize })
                .find(|&j| (j - l.first_index) / l.per_plane as usize == q as usize)
                .unwrap();
            let best =
                (0..l.per_plane).map(|k| l.index(q, k)).min_by(|&x, &y| mean_range(i, x).total_cmp(&mean_range(i, y)));
            assert_eq!(Some(partner), best, "plane {p} slot {s}");
        }
    }
}

/// Checks every window against SGP4: the conditions hold at its ends and throughout (every
/// `spacing_s`), and at a window boundary that is a real change (not the search window's
/// edge, a split, a retirement, or a range-based link's formation) the link really changes
/// state within a second.
fn check_windows(
    sats: &[Satellite],
    windows: &[IslWindow],
    max_range_km: f64,
    lat_of: impl Fn(u32, u32) -> Option<f64>,
    spacing_s: f64,
    starts_are_changes: bool,
) -> (usize, usize) {
    let (mut samples, mut boundaries) = (0, 0);
    for w in windows {
        let (a, b) = (&sats[w.a as usize], &sats[w.b as usize]);
        let lat = lat_of(w.a, w.b);
        let duration = w.end.seconds_since(w.start);
        let n = (duration / spacing_s).ceil().max(1.0) as usize;
        for k in 0..=n {
            let t = w.start.plus_seconds(duration * k as f64 / n as f64);
            let (range, clearance, max_lat) = geometry(a, b, t);
            assert!(range <= max_range_km + GEOMETRY_SLACK_KM, "{w:?} at {t:?}: range {range}");
            assert!(clearance >= -GEOMETRY_SLACK_KM, "{w:?} at {t:?}: clearance {clearance}");
            if let Some(l) = lat {
                assert!(max_lat <= l + LATITUDE_SLACK_DEG, "{w:?} at {t:?}: latitude {max_lat}");
            }
            samples += 1;
        }
        let inside = 0.5f64.min(duration / 2.0);
        if starts_are_changes && !w.cut_start && !w.continues {
            assert!(holds(geometry(a, b, w.start.plus_seconds(inside)), max_range_km, lat), "{w:?} after start");
            assert!(fails(geometry(a, b, w.start.plus_seconds(-1.0)), max_range_km, lat), "{w:?} before start");
            boundaries += 1;
        }
        let split = w.end.seconds_since(start()).rem_euclid(86_400.0) == 0.0;
        if !w.cut_end && !split {
            assert!(holds(geometry(a, b, w.end.plus_seconds(-inside)), max_range_km, lat), "{w:?} before end");
            assert!(fails(geometry(a, b, w.end.plus_seconds(1.0)), max_range_km, lat), "{w:?} after end");
            boundaries += 1;
        }
    }
    (samples, boundaries)
}

#[test]
fn every_grid_link_has_range_and_line_of_sight_throughout() {
    let (sats, layouts) = small_walker();
    let grid = GridTopology { shells: layouts, cross_plane_max_latitude_deg: Some(65.0) };
    let links = grid.links(sats.len()).unwrap();
    let topology = IslTopology::PlusGrid(grid);
    let search = IslSearch { window: window(12.0), max_range_km: 5000.0, split_s: Some(86_400.0) };
    let found = find_isl_windows(&sats, &topology, &search).unwrap();
    assert!(found.retirements.is_empty());
    let lat_of = |a: u32, b: u32| links.iter().find(|l| l.a == a && l.b == b).unwrap().max_latitude_deg;
    let (samples, boundaries) = check_windows(&sats, &found.windows, 5000.0, lat_of, 30.0, true);
    // Cross-plane links come and go with the latitude limit, twice an orbit per end.
    assert!(boundaries > 500, "{boundaries} boundaries");
    println!("{} windows, {samples} samples, {boundaries} boundaries checked", found.windows.len());
    // In-plane links never break.
    for l in links.iter().filter(|l| l.max_latitude_deg.is_none()) {
        let ws: Vec<_> = found.windows.iter().filter(|w| w.a == l.a && w.b == l.b).collect();
        assert_eq!(ws.len(), 1, "{l:?}");
        assert_eq!((ws[0].start, ws[0].end), (search.window.start, search.window.end));
    }
}

#[test]
fn every_range_based_link_has_range_and_line_of_sight_throughout() {
    let sats = starlink(200, 37);
    let topology = IslTopology::RangeBased(RangeTopology { terminals: 3, ..RangeTopology::default() });
    let search = IslSearch { window: window(6.0), max_range_km: 3000.0, split_s: None };
    let found = find_isl_windows(&sats, &topology, &search).unwrap();
    let (samples, boundaries) = check_windows(&sats, &found.windows, 3000.0, |_, _| None, 30.0, false);
    println!("{} windows, {samples} samples, {boundaries} boundaries checked", found.windows.len());
    // Links form only at re-evaluations, so starts are not boundaries; they end at breaks.
    assert!(boundaries > 50, "{boundaries} link breaks");
}

/// Two satellites in one plane at different altitudes: the lower one gains about 15° an
/// orbit, so the pair drifts apart until the range, then the line of sight, fails.
fn drifting_pair() -> Vec<Satellite> {
    let elements = |altitude_km: f64| {
        let a = 6378.137 + altitude_km;
        let n = (398_600.8f64 / a.powi(3)).sqrt() * 86_400.0 / std::f64::consts::TAU;
        MeanElements {
            epoch: start(),
            inclination_deg: 53.0,
            raan_deg: 40.0,
            eccentricity: 0.0001,
            arg_perigee_deg: 0.0,
            mean_anomaly_deg: 0.0,
            mean_motion_rev_per_day: n,
            bstar: 0.0,
            mean_motion_dot: 0.0,
            mean_motion_ddot: 0.0,
        }
    };
    vec![
        Satellite::new("low".into(), None, elements(500.0)).unwrap(),
        Satellite::new("high".into(), None, elements(700.0)).unwrap(),
    ]
}

#[test]
fn contact_ends_when_range_or_line_of_sight_fails() {
    let sats = drifting_pair();
    let pairs = IslTopology::Pairs(vec![IslPair { a: 0, b: 1, max_latitude_deg: None }]);
    // 5,000 km is reached (about 41.5° apart) before the Earth's limb (about 44°).
    let by_range = IslSearch { window: window(12.0), max_range_km: 5000.0, split_s: None };
    let ws = find_isl_windows(&sats, &pairs, &by_range).unwrap().windows;
    assert!(ws[0].cut_start && !ws[0].cut_end, "{ws:?}");
    let range_end = ws[0].end;
    let (range, clearance, _) = geometry(&sats[0], &sats[1], range_end);
    assert!((range - 5000.0).abs() < 0.05 && clearance > 0.0, "ends on range: {range} km, clearance {clearance}");
    assert!(geometry(&sats[0], &sats[1], range_end.plus_seconds(0.5)).0 > 5000.0);
    // With a long reach, the line of sight ends it instead: the segment grazes 80 km.
    let by_sight = IslSearch { window: window(12.0), max_range_km: 20_000.0, split_s: None };
    let ws = find_isl_windows(&sats, &pairs, &by_sight).unwrap().windows;
    let sight_end = ws[0].end;
    let (range, clearance, _) = geometry(&sats[0], &sats[1], sight_end);
    assert!(range < 20_000.0 && clearance.abs() < 0.05, "ends on sight: clearance {clearance} km");
    let later = sight_end.plus_seconds(0.5);
    assert!(line_of_sight_clearance_km(&ecef(&sats[0], later), &ecef(&sats[1], later)) < 0.0);
    assert!(sight_end > range_end);
    println!("range ends at {range_end:?}, sight at {sight_end:?}");
}

#[test]
fn windows_match_a_dense_scan() {
    // Pairs across Starlink shells, 3,000 km reach, half of them with a 60° latitude limit:
    // many short windows and outages. Every second of a 4-hour brute-force SGP4 scan must
    // agree with the windows except within a second of a window boundary.
    let sats = starlink(40, 211);
    let mut pairs = Vec::new();
    for a in 0..sats.len() as u32 {
        for b in a + 1..sats.len() as u32 {
            pairs.push(IslPair { a, b, max_latitude_deg: ((a + b) % 2 == 0).then_some(60.0) });
        }
    }
    let hours = 4.0;
    let search = IslSearch { window: window(hours), max_range_km: 3000.0, split_s: None };
    let found = find_isl_windows(&sats, &IslTopology::Pairs(pairs.clone()), &search).unwrap();
    let seconds = (hours * 3600.0) as usize;
    let positions: Vec<Vec<Vector3<f64>>> =
        sats.iter().map(|s| (0..=seconds).map(|k| ecef(s, start().plus_seconds(k as f64))).collect()).collect();
    let mut by_pair: std::collections::HashMap<(u32, u32), Vec<&IslWindow>> = Default::default();
    for w in &found.windows {
        by_pair.entry((w.a, w.b)).or_default().push(w);
    }
    let (mut transitions, mut shortest_window, mut shortest_gap) = (0, f64::INFINITY, f64::INFINITY);
    for p in &pairs {
        let ws = by_pair.get(&(p.a, p.b)).cloned().unwrap_or_default();
        for w in &ws {
            shortest_window = shortest_window.min(w.end.seconds_since(w.start));
        }
        for g in ws.windows(2) {
            shortest_gap = shortest_gap.min(g[1].start.seconds_since(g[0].end));
        }
        let bounds: Vec<f64> = ws
            .iter()
            .flat_map(|w| [w.start.seconds_since(start()), w.end.seconds_since(start())])
            .filter(|&t| t > 0.0 && t < hours * 3600.0)
            .collect();
        transitions += bounds.len();
        let (pa, pb) = (&positions[p.a as usize], &positions[p.b as usize]);
        for k in 0..=seconds {
            let (ra, rb) = (&pa[k], &pb[k]);
            let lat_ok = p.max_latitude_deg.is_none_or(|l| latitude_deg(ra).abs() <= l && latitude_deg(rb).abs() <= l);
            let brute = (rb - ra).norm() <= 3000.0 && line_of_sight_clearance_km(ra, rb) >= 0.0 && lat_ok;
            let t = k as f64;
            let ours = ws.iter().any(|w| {
                let (s, e) = (w.start.seconds_since(start()), w.end.seconds_since(start()));
                t >= s && t <= e
            });
            if brute != ours {
                let near = bounds.iter().map(|b| (b - t).abs()).fold(f64::INFINITY, f64::min);
                assert!(near <= 1.0, "pair {p:?} at {t} s: scan says {brute}, windows say {ours}");
            }
        }
    }
    println!(
        "{} pairs, {} windows, {transitions} transitions; shortest window {shortest_window:.1} s, shortest outage \
         {shortest_gap:.1} s",
        pairs.len(),
        found.windows.len()
    );
    assert!(transitions > 500, "{transitions}");
}

#[test]
fn range_based_respects_terminals_and_forms_within_the_hysteresis_range() {
    let sats = starlink(300, 23);
    let terminals = 3;
    let topo = RangeTopology { terminals, form_within_km: Some(2500.0), ..RangeTopology::default() };
    let search = IslSearch { window: window(6.0), max_range_km: 3000.0, split_s: None };
    let found = find_isl_windows(&sats, &IslTopology::RangeBased(topo.clone()), &search).unwrap();
    let ws = &found.windows;
    assert!(!ws.is_empty());
    for w in ws {
        assert!(w.a < w.b);
        // A link forms at a re-evaluation, within the formation range, with spare clearance.
        let offset = w.start.seconds_since(start());
        assert_eq!(offset.rem_euclid(topo.reevaluation_s), 0.0, "{w:?}");
        let (ra, rb) = (ecef(&sats[w.a as usize], w.start), ecef(&sats[w.b as usize], w.start));
        assert!((rb - ra).norm() <= 2500.0 + GEOMETRY_SLACK_KM, "{w:?}");
        assert!(line_of_sight_clearance_km(&ra, &rb) >= topo.form_clearance_km - GEOMETRY_SLACK_KM, "{w:?}");
    }
    // Never more links than terminals; a pair never holds two links at once; a broken link's
    // terminals stay busy until the next re-evaluation.
    for minute in 0..=360 {
        let t = start().plus_seconds(minute as f64 * 60.0 + 30.0);
        let mut used = vec![0u32; sats.len()];
        let mut seen = std::collections::HashSet::new();
        for w in ws.iter().filter(|w| w.start <= t && t < w.end) {
            used[w.a as usize] += 1;
            used[w.b as usize] += 1;
            assert!(seen.insert((w.a, w.b)), "pair {:?} twice at {t:?}", (w.a, w.b));
        }
        assert!(used.iter().all(|&u| u <= terminals), "minute {minute}");
    }
    // At the first re-evaluation the pairing is maximal: no two satellites with a free
    // terminal could still link.
    let t0 = start();
    let mut used = vec![0u32; sats.len()];
    let mut linked = std::collections::HashSet::new();
    for w in ws.iter().filter(|w| w.start == t0) {
        used[w.a as usize] += 1;
        used[w.b as usize] += 1;
        linked.insert((w.a, w.b));
    }
    let pos: Vec<Vector3<f64>> = sats.iter().map(|s| ecef(s, t0)).collect();
    for a in 0..sats.len() {
        for b in a + 1..sats.len() {
            if used[a] < terminals && used[b] < terminals && !linked.contains(&(a as u32, b as u32)) {
                let could = (pos[b] - pos[a]).norm() <= 2500.0
                    && line_of_sight_clearance_km(&pos[a], &pos[b]) >= topo.form_clearance_km;
                assert!(!could, "{a} and {b} both have a free terminal and could link");
            }
        }
    }
    let full = used.iter().filter(|&&u| u == terminals).count();
    println!("{} windows; {full} of {} satellites use every terminal at the start", ws.len(), sats.len());
}

/// Everything a contact carries except the elevation (NaN for ISLs, never equal to itself).
type ContactKey = (UtcTime, UtcTime, UtcTime, Node, Node, u16, Vec<(UtcTime, UtcTime, u64)>);

fn contact_key(c: &orbsim::contact::Contact) -> ContactKey {
    (c.start, c.tca, c.end, c.from, c.to, c.link, c.profile.segments().collect())
}

#[test]
fn deterministic_across_thread_counts() {
    let (sats, layouts) = small_walker();
    let grid = IslTopology::PlusGrid(GridTopology { shells: layouts, cross_plane_max_latitude_deg: Some(60.0) });
    let starlink = starlink(150, 41);
    let range = IslTopology::RangeBased(RangeTopology::default());
    let link = optical_isl();
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            let a = build_isl_contacts(&sats, &grid, window(30.0), &link, 2).unwrap();
            let b = build_isl_contacts(&starlink, &range, window(6.0), &link, 0).unwrap();
            (a.iter().map(contact_key).collect::<Vec<_>>(), b.iter().map(contact_key).collect::<Vec<_>>())
        })
    };
    let one = run(1);
    assert!(!one.0.is_empty() && !one.1.is_empty());
    assert_eq!(one, run(2));
    assert_eq!(one, run(3));
}

#[test]
fn contacts_acquire_then_run_at_the_line_rate_split_by_day() {
    let (sats, layouts) = small_walker();
    let grid = GridTopology { shells: layouts, cross_plane_max_latitude_deg: Some(65.0) };
    let links = grid.links(sats.len()).unwrap();
    let link = optical_isl();
    let w = window(50.0);
    let contacts = build_isl_contacts(&sats, &IslTopology::PlusGrid(grid), w, &link, 3).unwrap();
    let rate = 100_000_000_000u64;
    let setup_ms = 15_000u64;
    // Sorted as the plan merges them.
    let key = |c: &orbsim::contact::Contact| (c.start, c.kind, c.link, c.from, c.to);
    assert!(contacts.windows(2).all(|p| key(&p[0]) <= key(&p[1])));
    for c in &contacts {
        assert_eq!((c.kind, c.link), (ContactKind::InterSatellite, 3));
        let (Node::Satellite(a), Node::Satellite(b)) = (c.from, c.to) else { panic!("{c:?}") };
        assert!(a < b && c.max_elevation_deg.is_nan());
        assert!(c.end.seconds_since(c.start) <= 86_400.0);
        assert_eq!(c.profile.end(), c.end);
        assert!(c.tca >= c.start && c.tca <= c.end);
        let continues = c.start.seconds_since(w.start).rem_euclid(86_400.0) == 0.0 && c.start > w.start;
        let duration_ms = c.profile.duration_ms() as u64;
        let expected =
            if continues { duration_ms * rate / 8000 } else { duration_ms.saturating_sub(setup_ms) * rate / 8000 };
        assert_eq!(c.profile.deliverable_bytes(), expected, "{c:?}");
        if !continues && duration_ms > setup_ms {
            assert_eq!(c.profile.data_start(), Some(c.start.plus_seconds(15.0)));
            assert_eq!(c.profile.rate_at(c.start.plus_seconds(14.9)), 0);
        }
        assert_eq!(c.profile.peak_rate_bps(), if duration_ms > setup_ms || continues { rate } else { 0 });
    }
    // In-plane links are permanent: one contact per day (24 + 24 + 2 hours).
    for l in links.iter().filter(|l| l.max_latitude_deg.is_none()) {
        let mine: Vec<_> =
            contacts.iter().filter(|c| c.from == Node::Satellite(l.a) && c.to == Node::Satellite(l.b)).collect();
        let hours: Vec<f64> = mine.iter().map(|c| c.end.seconds_since(c.start) / 3600.0).collect();
        assert_eq!(hours, [24.0, 24.0, 2.0], "{l:?}");
    }
    // Cross-plane links come and go near the poles, each time acquiring again.
    let cross = contacts.iter().filter(|c| c.profile.data_start() == Some(c.start.plus_seconds(15.0))).count();
    assert!(cross > 1000, "{cross}");
}

#[test]
fn isl_contacts_merge_into_a_plan() {
    let sats = starlink(60, 97);
    let link = optical_isl();
    let mut plan = ContactPlan::default();
    let topology = IslTopology::RangeBased(RangeTopology::default());
    let added = add_isl_contacts(&mut plan, &sats, &topology, window(3.0), &link).unwrap();
    assert_eq!(plan.links, std::slice::from_ref(&link));
    assert_eq!(plan.contacts.len(), added);
    // A second batch (same link) merges in order without a second link entry.
    let again = add_isl_contacts(&mut plan, &sats, &topology, window(3.0), &link).unwrap();
    assert_eq!(plan.links.len(), 1);
    assert_eq!(plan.contacts.len(), added + again);
    let key = |c: &orbsim::contact::Contact| (c.start, c.kind, c.link, c.from, c.to);
    assert!(plan.contacts.windows(2).all(|p| key(&p[0]) <= key(&p[1])));
    let merged = merge_contacts(vec![plan.contacts.clone()]);
    assert_eq!(
        merged.iter().map(contact_key).collect::<Vec<_>>(),
        plan.contacts.iter().map(contact_key).collect::<Vec<_>>()
    );
}

#[test]
fn a_decaying_satellite_ends_its_links() {
    // A 160 km orbit with heavy drag decays within hours: its link ends at its last sample.
    let mut sats = drifting_pair();
    let mut low = sats[0].elements.clone();
    low.mean_motion_rev_per_day = 16.35;
    low.bstar = 0.05;
    sats[0] = Satellite::new("decaying".into(), None, low).unwrap();
    let pairs = IslTopology::Pairs(vec![IslPair { a: 0, b: 1, max_latitude_deg: None }]);
    let search = IslSearch { window: window(24.0), max_range_km: 20_000.0, split_s: None };
    let found = find_isl_windows(&sats, &pairs, &search).unwrap();
    assert_eq!(found.retirements.len(), 1, "{:?}", found.retirements);
    let retired = found.retirements[0].time;
    assert!(!found.windows.is_empty());
    assert!(found.windows.iter().all(|w| w.end <= retired), "{:?} vs {retired:?}", found.windows);
    for w in found.windows.iter().filter(|w| w.cut_end) {
        assert!(retired.seconds_since(w.end) < 600.0, "{w:?} vs {retired:?}");
    }
    println!("retired {:?}: {:?}", retired, found.retirements[0].reason);
}

#[test]
fn rejects_bad_input() {
    let (sats, layouts) = small_walker();
    let grid = IslTopology::PlusGrid(GridTopology { shells: layouts.clone(), cross_plane_max_latitude_deg: None });
    let downlink = toml::from_str::<LinkConfig>("preset = \"x-band-downlink\"").unwrap().resolve("dl").unwrap();
    assert!(matches!(
        build_isl_contacts(&sats, &grid, window(1.0), &downlink, 0),
        Err(IslContactError::NotOpticalIsl(_))
    ));
    let ground_laser = toml::from_str::<LinkConfig>("preset = \"optical-ground\"").unwrap().resolve("og").unwrap();
    assert!(build_isl_contacts(&sats, &grid, window(1.0), &ground_laser, 0).is_err());
    let too_small = build_isl_contacts(&sats[..40], &grid, window(1.0), &optical_isl(), 0).unwrap_err();
    assert!(too_small.to_string().contains("first_index"), "{too_small}");
    let bad_pair = IslTopology::Pairs(vec![IslPair { a: 3, b: 3, max_latitude_deg: None }]);
    assert!(build_isl_contacts(&sats, &bad_pair, window(1.0), &optical_isl(), 0).is_err());
    let no_terminals = IslTopology::RangeBased(RangeTopology { terminals: 0, ..RangeTopology::default() });
    assert!(build_isl_contacts(&sats, &no_terminals, window(1.0), &optical_isl(), 0).is_err());
    // An empty window has no contacts.
    let empty = Window { start: start(), end: start() };
    assert!(build_isl_contacts(&sats, &grid, empty, &optical_isl(), 0).unwrap().is_empty());
    let _ = LINE_OF_SIGHT_RADIUS_KM;
}

#[test]
fn a_short_line_of_sight_outage_is_found() {
    // Two satellites on one eccentric orbit (e = 0.02), a fixed mean anomaly apart: the
    // chord between them dips lowest as they straddle perigee. Tune the separation so it
    // grazes 0.5 km below the 80 km margin: an outage of about two and a half minutes, a
    // fraction of a sample step, once an orbit. Shift the window so the outage falls at
    // different places between samples.
    let pair = |separation_deg: f64| {
        let elements = |mean_anomaly_deg: f64| MeanElements {
            epoch: start(),
            inclination_deg: 60.0,
            raan_deg: 10.0,
            eccentricity: 0.02,
            arg_perigee_deg: 90.0,
            mean_anomaly_deg,
            mean_motion_rev_per_day: 15.0,
            bstar: 0.0,
            mean_motion_dot: 0.0,
            mean_motion_ddot: 0.0,
        };
        vec![
            Satellite::new("lead".into(), None, elements(separation_deg)).unwrap(),
            Satellite::new("trail".into(), None, elements(0.0)).unwrap(),
        ]
    };
    let period = 86_400.0 / 15.0;
    let min_clearance = |sats: &[Satellite]| {
        (0..period as usize)
            .map(|k| {
                let t = start().plus_seconds(k as f64);
                line_of_sight_clearance_km(&ecef(&sats[0], t), &ecef(&sats[1], t))
            })
            .fold(f64::INFINITY, f64::min)
    };
    let (mut lo, mut hi) = (20.0, 60.0);
    for _ in 0..30 {
        let mid = 0.5 * (lo + hi);
        if min_clearance(&pair(mid)) > -0.5 { lo = mid } else { hi = mid }
    }
    let sats = pair(0.5 * (lo + hi));
    let topology = IslTopology::Pairs(vec![IslPair { a: 0, b: 1, max_latitude_deg: None }]);
    for shift in [0.0, 110.0, 220.0, 330.0, 440.0] {
        let from = start().plus_seconds(shift);
        let search = IslSearch {
            window: Window { start: from, end: from.plus_seconds(3.0 * period) },
            max_range_km: 20_000.0,
            split_s: None,
        };
        let ws = find_isl_windows(&sats, &topology, &search).unwrap().windows;
        assert!(ws.len() >= 3, "shift {shift}: {ws:?}");
        for gap in ws.windows(2) {
            let (down, up) = (gap[0].end, gap[1].start);
            let outage = up.seconds_since(down);
            assert!(outage > 60.0 && outage < 300.0, "shift {shift}: outage {outage} s");
            // The true outage, by a 0.1 s SGP4 scan around it.
            let blocked = |t: UtcTime| line_of_sight_clearance_km(&ecef(&sats[0], t), &ecef(&sats[1], t)) < 0.0;
            let scan: Vec<UtcTime> = (-100..=(outage as i64 + 10) * 10)
                .map(|k| down.plus_seconds(k as f64 / 10.0))
                .filter(|&t| blocked(t))
                .collect();
            let (first, last) = (scan[0], scan[scan.len() - 1]);
            println!(
                "shift {shift}: outage {outage:.1} s at {:.1} s, errors {:.3} {:.3}",
                down.seconds_since(from),
                first.seconds_since(down),
                last.seconds_since(up)
            );
            assert!(first.seconds_since(down).abs() < 1.0, "shift {shift}: outage starts {first:?}, found {down:?}");
            assert!(last.seconds_since(up).abs() < 1.0, "shift {shift}: outage ends {last:?}, found {up:?}");
        }
    }
}
