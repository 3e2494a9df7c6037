//! Which satellites a user terminal sees, computed on demand.
//!
//! Users at sea are many and each asks rarely, so passes are **not** computed per user
//! (2,800 satellites over a few hundred "virtual terminals" would already be millions of
//! passes, most never used). Instead visibility is answered per request from two layers:
//!
//! 1. **A compact trajectory of every satellite** in a rolling window: SGP4 states every
//!    `step` (at most 0.25 rad of the fastest orbit's arc, about 220 s in low orbit) on one
//!    grid from the window's start, stored in the Earth-fixed frame as position, velocity
//!    and acceleration (`f32`, 36 bytes a sample, time-major so that one instant's fleet is
//!    contiguous). Between samples a quintic Hermite interpolant reproduces SGP4 to about a
//!    metre (the same interpolant as [`crate::access::trajectory`], written in the rotating
//!    frame: the acceleration adds the Coriolis and centrifugal terms). The samples are
//!    built in blocks of [`BLOCK_INTERVALS`] steps (about four hours), in parallel, when a
//!    query first reaches them; only the newest block and the one before it are kept,
//!    since the event loop asks about instants near its clock (and at most a timeout
//!    ahead). So memory does not grow with the window (two blocks of 2,800 satellites take
//!    about 16 MB) and a run does not wait for a month of propagation before its first
//!    event. A query behind the kept blocks rebuilds its block (the same samples:
//!    propagation is deterministic) and is counted ([`Sky::blocks_rebuilt`]).
//! 2. **Snapshots** every [`SNAPSHOT_S`] seconds, built when a query first needs them and
//!    kept in a small direct-mapped cache (the event loop moves forward in time, so a
//!    handful are live at once): every satellite's state at the snapshot instant, and a
//!    grid of 36 equal-area latitude bands × 72 longitude cells holding the satellites by
//!    sub-satellite point. A query looks only at the cells within the largest visibility
//!    radius (the Earth-central angle at which the highest satellite sits at the mask,
//!    widened by how far any satellite moves in one snapshot interval), and places each
//!    candidate at the query instant by a second-order Taylor step from the snapshot
//!    (within about 40 m over 30 s: 0.002° of elevation at 1,000 km). About a hundred
//!    candidates are examined per query for a 2,800-satellite fleet (about 1.7 µs).
//!
//! Elevations use the WGS84 geodetic vertical of the terminal (as the pass finder does).
//! [`Sky::next_rise`] looks ahead on the interpolant: per trajectory step only satellites
//! near the site at the step's start (a second cell grid, per sample) are examined, far
//! ones are skipped by a bound on how fast the angle to the site can close, near ones are
//! scanned at 10 s steps, and each rise is refined to 1 ms; a satellite that clears the
//! mask for less than 10 s can be missed.

use std::cell::{Cell, RefCell};
use std::sync::Arc;

use nalgebra::Vector3;
use rayon::prelude::*;

use crate::access::trajectory::gravity;
use crate::constants::{EARTH_ROTATION_RAD_S, WGS72_MU_KM3_S2};
use crate::frames::{Geodetic, Topocentric, teme_to_ecef};
use crate::numeric::{Bracket, Safeguard, Start, Tolerance, locate_root, quintic_hermite};
use crate::orbit::Satellite;
use crate::time::UtcTime;

/// Seconds between snapshots.
pub const SNAPSHOT_S: f64 = 30.0;
/// Fine scanning step of [`Sky::next_rise`], seconds.
pub const RISE_SCAN_S: f64 = 10.0;
/// Largest trajectory step, seconds.
const MAX_STEP_S: f64 = 240.0;
/// Largest arc of the fastest orbit between trajectory samples, radians.
const MAX_ARC_RAD: f64 = 0.25;
/// Satellites are grouped by highest radius in bins this wide (km), each with its own
/// visibility radius in rise searches.
const RADIUS_BIN_KM: f64 = 25.0;
/// Trajectory steps per block of the rolling window (about four hours in low orbit).
pub const BLOCK_INTERVALS: usize = 64;
/// Snapshots kept (direct-mapped by index).
const SNAPSHOT_SLOTS: usize = 64;
/// Snapshots filled together (see [`Sky::fill_snapshots`]); well below [`SNAPSHOT_SLOTS`].
const SNAPSHOT_BATCH: i64 = 8;
const BANDS: usize = 36;
const LON_CELLS: usize = 72;

/// One Earth-fixed sample: position (km), velocity (km/s), acceleration (km/s²).
type Packed = [f32; 9];

fn pack(r: &Vector3<f64>, v: &Vector3<f64>, a: &Vector3<f64>) -> Packed {
    [r.x as f32, r.y as f32, r.z as f32, v.x as f32, v.y as f32, v.z as f32, a.x as f32, a.y as f32, a.z as f32]
}

fn unpack(p: &Packed) -> (Vector3<f64>, Vector3<f64>, Vector3<f64>) {
    let f = |i: usize| p[i] as f64;
    (Vector3::new(f(0), f(1), f(2)), Vector3::new(f(3), f(4), f(5)), Vector3::new(f(6), f(7), f(8)))
}

/// Earth-fixed acceleration at an Earth-fixed state: gravity (two-body + J2, which is
/// symmetric about the rotation axis, so the inertial formula holds in the rotating frame)
/// plus the Coriolis and centrifugal terms.
fn ecef_acceleration(r: &Vector3<f64>, v: &Vector3<f64>) -> Vector3<f64> {
    let w = EARTH_ROTATION_RAD_S;
    gravity(r) + Vector3::new(2.0 * w * v.y + w * w * r.x, -2.0 * w * v.x + w * w * r.y, 0.0)
}

/// Quintic Hermite between two Earth-fixed samples `h` seconds apart, at fraction `s`.
fn hermite(a: &Packed, b: &Packed, h: f64, s: f64) -> (Vector3<f64>, Vector3<f64>) {
    let (r0, v0, a0) = unpack(a);
    let (r1, v1, a1) = unpack(b);
    quintic_hermite([r0, v0, a0], [r1, v1, a1], h, s)
}

/// A satellite seen from a terminal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Seen {
    /// Satellite index.
    pub satellite: u32,
    /// Elevation, degrees.
    pub elevation_deg: f64,
    /// Slant range, km.
    pub range_km: f64,
}

/// A terminal prepared for visibility queries.
#[derive(Debug, Clone)]
pub struct SkySite {
    topo: Topocentric,
    sin_mask: f64,
    /// Geocentric latitude and longitude of the site, radians.
    lat: f64,
    lon: f64,
    /// Cap radius to search around the site (satellite positions at snapshot time), rad.
    search_rad: f64,
    /// Largest Earth-central angle between the site and a satellite above its mask, rad,
    /// per radius bin of the sky (a satellite's own bound).
    lambda_rad: Vec<f64>,
    /// Unit vector towards the site (geocentric).
    unit: Vector3<f64>,
}

impl SkySite {
    /// The site as seen from `sky`'s fleet, with elevation mask `mask_deg`.
    pub fn new(sky: &Sky, site: &Geodetic, mask_deg: f64) -> SkySite {
        let topo = Topocentric::new(site);
        let p = topo.position;
        let radius = p.norm();
        // The geodetic vertical is within 0.2° of the geocentric one.
        let eps = (mask_deg - 0.2).max(0.0).to_radians();
        let lambda_of = |r_max: f64| ((radius / r_max) * eps.cos()).min(1.0).acos() - eps;
        let lambda = lambda_of(sky.r_max_km);
        SkySite {
            topo,
            sin_mask: mask_deg.to_radians().sin(),
            lat: (p.z / radius).asin(),
            lon: p.y.atan2(p.x),
            search_rad: lambda + sky.omega_max * SNAPSHOT_S + 0.005,
            lambda_rad: sky.radius_bins.iter().map(|&r| lambda_of(r) + 0.002).collect(),
            unit: p / radius,
        }
    }

    /// The terminal's topocentric frame.
    pub fn topocentric(&self) -> &Topocentric {
        &self.topo
    }

    fn margin(&self, r: &Vector3<f64>) -> (f64, f64) {
        let rho = r - self.topo.position;
        let d = rho.norm();
        (rho.dot(&self.topo.up) / d - self.sin_mask, d)
    }
}

/// Every satellite's state at one instant, with a sub-satellite-point grid.
#[derive(Debug, Clone)]
struct Snapshot {
    /// −1 for a slot not filled yet.
    index: i64,
    /// Whether a query used it (snapshots filled ahead and never used are not counted).
    queried: bool,
    t_s: f64,
    /// Earth-fixed (r, v, a) per satellite, meaningful where `cell_of` is not `None`.
    states: Vec<[Vector3<f64>; 3]>,
    /// Each satellite's sub-satellite cell; `None` for one that does not propagate
    /// through the interval.
    cell_of: Vec<Option<usize>>,
    /// Satellites by cell (CSR).
    cell_start: Vec<u32>,
    cell_sats: Vec<u32>,
}

impl Default for Snapshot {
    fn default() -> Self {
        Snapshot {
            index: -1,
            queried: false,
            t_s: 0.0,
            states: Vec::new(),
            cell_of: Vec::new(),
            cell_start: Vec::new(),
            cell_sats: Vec::new(),
        }
    }
}

/// The trajectory over one block's steps: samples `first ..= first + BLOCK_INTERVALS + 1`
/// (those of the window). The first sample past the block's last step closes that step's
/// interpolation, and the one after it tells whether a satellite still propagates at the
/// end of a snapshot interval that starts in the last step, without the next block.
#[derive(Debug)]
struct Block {
    index: usize,
    first: usize,
    /// `states[(k - first) * satellites + i]`: satellite `i` at sample `k`.
    states: Vec<Packed>,
    /// Per step of the block, the satellites by sub-satellite cell at its start (CSR:
    /// offsets at `(k - first) * (CELLS + 1)`, satellite indices at
    /// `(k - first) * satellites`), so a rise search looks only near the site.
    cell_start: Vec<u32>,
    cell_sats: Vec<u32>,
}

impl Block {
    fn state(&self, k: usize, sat: usize, satellites: usize) -> &Packed {
        &self.states[(k - self.first) * satellites + sat]
    }

    fn bytes(&self) -> usize {
        self.states.len() * std::mem::size_of::<Packed>() + (self.cell_start.len() + self.cell_sats.len()) * 4
    }
}

/// The rolling window of trajectory blocks.
#[derive(Debug, Default)]
struct Blocks {
    /// The newest block built in order and the one before it.
    current: Vec<Arc<Block>>,
    /// The last block rebuilt for a query behind `current`.
    recalled: Option<Arc<Block>>,
    /// Blocks built in order so far: a failure to propagate is known through their samples.
    built: usize,
    rebuilt: u64,
    peak_bytes: usize,
}

impl Blocks {
    fn note_bytes(&mut self) {
        let held: usize = self.current.iter().chain(&self.recalled).map(|b| b.bytes()).sum();
        self.peak_bytes = self.peak_bytes.max(held);
    }
}

/// The fleet's trajectories and snapshot cache. See the module docs.
#[derive(Debug)]
pub struct Sky {
    fleet: Vec<Satellite>,
    start: UtcTime,
    step_s: f64,
    samples: usize,
    satellites: usize,
    /// Samples each satellite has (later ones failed to propagate), as far as the blocks
    /// built in order tell; `samples` until a failure is found.
    valid: RefCell<Vec<u32>>,
    blocks: RefCell<Blocks>,
    r_max_km: f64,
    /// Highest radius a satellite reaches, rounded up to [`RADIUS_BIN_KM`]: the distinct
    /// values, and each satellite's.
    radius_bins: Vec<f64>,
    bin_of: Vec<u16>,
    /// Fastest angular motion of a sub-satellite point, rad/s.
    omega_max: f64,
    /// Interior mutability so that queries take `&self`: the router prices hops and scores
    /// destinations with two closures that both read the sky.
    snapshots: RefCell<Vec<Snapshot>>,
    snapshots_built: Cell<u64>,
}

impl Sky {
    /// Prepares the sampling of every satellite over [start, end] (plus two steps of
    /// margin); the samples are built block by block as queries reach them.
    pub fn build(satellites: &[Satellite], start: UtcTime, end: UtcTime) -> Sky {
        let mut omega_max: f64 = 1e-4;
        let mut r_max_km: f64 = 6500.0;
        let mut radius_bins: Vec<f64> = Vec::new();
        let mut bin_of = Vec::with_capacity(satellites.len());
        for s in satellites {
            let e = &s.elements;
            let (rp, a) = (e.perigee_radius_km(), e.semi_major_axis_km());
            let perigee_rate = (WGS72_MU_KM3_S2 * (2.0 / rp - 1.0 / a)).max(0.0).sqrt() / rp;
            omega_max = omega_max.max(perigee_rate + EARTH_ROTATION_RAD_S);
            // SGP4's osculating radius wanders a few tens of km around the mean apogee.
            let r = ((e.apogee_radius_km() + 50.0) / RADIUS_BIN_KM).ceil() * RADIUS_BIN_KM;
            r_max_km = r_max_km.max(r);
            let bin = match radius_bins.iter().position(|&b| b == r) {
                Some(b) => b,
                None => {
                    radius_bins.push(r);
                    radius_bins.len() - 1
                }
            };
            bin_of.push(bin.min(u16::MAX as usize) as u16);
        }
        let step_s = (MAX_ARC_RAD / omega_max).min(MAX_STEP_S);
        let span = end.seconds_since(start).max(0.0);
        let samples = (span / step_s).ceil() as usize + 3;
        Sky {
            fleet: satellites.to_vec(),
            start,
            step_s,
            samples,
            satellites: satellites.len(),
            valid: RefCell::new(vec![samples as u32; satellites.len()]),
            blocks: RefCell::new(Blocks::default()),
            r_max_km,
            radius_bins,
            bin_of,
            omega_max,
            snapshots: RefCell::new(vec![Snapshot::default(); SNAPSHOT_SLOTS]),
            snapshots_built: Cell::new(0),
        }
    }

    /// Number of satellites.
    pub fn satellites(&self) -> usize {
        self.satellites
    }

    /// Seconds between trajectory samples.
    pub fn step_s(&self) -> f64 {
        self.step_s
    }

    /// Most bytes the trajectory blocks and their cell index held at once.
    pub fn trajectory_bytes(&self) -> usize {
        self.blocks.borrow().peak_bytes
    }

    /// Snapshots queried so far (a cost counter for benchmarks).
    pub fn snapshots_built(&self) -> u64 {
        self.snapshots_built.get()
    }

    /// Blocks built again because a query went behind the rolling window (see the module
    /// docs): a cost counter, zero when queries follow the clock.
    pub fn blocks_rebuilt(&self) -> u64 {
        self.blocks.borrow().rebuilt
    }

    /// Block `index` of the trajectory (the caller keeps `index` below the block count),
    /// building it and any before it not built yet; blocks older than the one before the
    /// newest are dropped.
    fn block(&self, index: usize) -> Arc<Block> {
        let mut blocks = self.blocks.borrow_mut();
        if let Some(b) = blocks.current.iter().chain(&blocks.recalled).find(|b| b.index == index) {
            return Arc::clone(b);
        }
        if index < blocks.built {
            let b = Arc::new(self.build_block(index));
            blocks.rebuilt += 1;
            blocks.recalled = Some(Arc::clone(&b));
            blocks.note_bytes();
            return b;
        }
        // In order, so that each satellite's first failure to propagate is known before any
        // later sample is used.
        loop {
            let b = Arc::new(self.build_block(blocks.built));
            blocks.built += 1;
            blocks.current.retain(|c| c.index + 1 == b.index);
            blocks.current.push(Arc::clone(&b));
            blocks.note_bytes();
            if b.index == index {
                return b;
            }
        }
    }

    /// Samples every satellite over block `index`, in parallel, on the window's grid; the
    /// first failure to propagate of a satellite ends its samples for good.
    fn build_block(&self, index: usize) -> Block {
        let n = self.satellites;
        let first = index * BLOCK_INTERVALS;
        let end = (first + BLOCK_INTERVALS + 2).min(self.samples);
        let steps = (first + BLOCK_INTERVALS).min(self.samples - 1) - first;
        let (start, step_s) = (self.start, self.step_s);
        let per_sat: Vec<Vec<Packed>> = {
            let valid = self.valid.borrow();
            self.fleet
                .par_iter()
                .zip(valid.par_iter())
                .map(|(sat, &valid)| {
                    let mut out = Vec::with_capacity(end - first);
                    for k in first..end.min(valid as usize) {
                        let t = start.plus_seconds(k as f64 * step_s);
                        let Ok(state) = sat.propagate(t) else { break };
                        let (r, v) = teme_to_ecef(&state.position, &state.velocity, t.gmst());
                        out.push(pack(&r, &v, &ecef_acceleration(&r, &v)));
                    }
                    out
                })
                .collect()
        };
        let mut valid = self.valid.borrow_mut();
        let mut states = vec![[0.0f32; 9]; (end - first) * n];
        for (i, track) in per_sat.iter().enumerate() {
            if first + track.len() < end.min(valid[i] as usize) {
                valid[i] = (first + track.len()) as u32;
            }
            for (m, p) in track.iter().enumerate() {
                states[m * n + i] = *p;
            }
        }
        let valid: &[u32] = &valid;
        let grids: Vec<(Vec<u32>, Vec<u32>)> = (first..first + steps)
            .into_par_iter()
            .map(|k| {
                let cell_of: Vec<Option<usize>> = (0..n)
                    .map(|i| (k < valid[i] as usize).then(|| cell_index(&unpack(&states[(k - first) * n + i]).0)))
                    .collect();
                by_cell(&cell_of)
            })
            .collect();
        let cells = BANDS * LON_CELLS;
        let mut cell_start = Vec::with_capacity(steps * (cells + 1));
        let mut cell_sats = vec![0u32; steps * n];
        for (m, (starts, sats)) in grids.into_iter().enumerate() {
            cell_start.extend_from_slice(&starts);
            cell_sats[m * n..m * n + sats.len()].copy_from_slice(&sats);
        }
        Block { index, first, states, cell_start, cell_sats }
    }

    /// Earth-fixed position and velocity of `sat` at `t` from the interpolant; `None`
    /// outside the sampled span or after the satellite stopped propagating.
    pub fn state_at(&self, sat: u32, t: UtcTime) -> Option<(Vector3<f64>, Vector3<f64>)> {
        let x = t.seconds_since(self.start) / self.step_s;
        if x.is_nan() || x < 0.0 {
            return None;
        }
        let k = x.floor() as usize;
        if k >= self.samples - 1 {
            return None;
        }
        let block = self.block(k / BLOCK_INTERVALS);
        let i = sat as usize;
        if k + 1 >= self.valid.borrow()[i] as usize {
            return None;
        }
        let n = self.satellites;
        Some(hermite(block.state(k, i, n), block.state(k + 1, i, n), self.step_s, x - k as f64))
    }

    /// Elevation (degrees) and range (km) of `sat` from `site` at `t`, from the interpolant.
    pub fn look(&self, site: &SkySite, sat: u32, t: UtcTime) -> Option<(f64, f64)> {
        let (r, _) = self.state_at(sat, t)?;
        let (m, d) = site.margin(&r);
        Some(((m + site.sin_mask).clamp(-1.0, 1.0).asin().to_degrees(), d))
    }

    /// Runs `f` on snapshot `index`, building it first if the cache does not hold it.
    fn with_snapshot<R>(&self, index: i64, f: impl FnOnce(&Snapshot) -> R) -> Option<R> {
        if index < 0 {
            return None;
        }
        let slot = index as usize % SNAPSHOT_SLOTS;
        let mut cache = self.snapshots.borrow_mut();
        if cache[slot].index != index {
            self.fill_snapshots(index, &mut cache);
        }
        let snap = &mut cache[slot];
        if !snap.queried {
            snap.queried = true;
            self.snapshots_built.set(self.snapshots_built.get() + 1);
        }
        Some(f(snap))
    }

    /// Fills snapshot `first` and the [`SNAPSHOT_BATCH`] − 1 after it that the cache lacks,
    /// a snapshot per task: the event loop moves forward, so it will want them, and one
    /// parallel call for several gives the pool's other threads time to wake and share
    /// the work (a single snapshot is done before they would). The slots' buffers are
    /// reused: a month of snapshots would otherwise allocate (and the kernel zero) a few
    /// hundred kilobytes every 30 simulated seconds.
    fn fill_snapshots(&self, first: i64, cache: &mut [Snapshot]) {
        let wanted: Vec<i64> =
            (first..first + SNAPSHOT_BATCH).filter(|&i| cache[i as usize % SNAPSHOT_SLOTS].index != i).collect();
        let step = self.step_s;
        let geometry = move |index: i64| {
            let t_s = index as f64 * SNAPSHOT_S;
            let k = (t_s / step).floor() as usize;
            // Alive through the whole snapshot interval (its samples bracket the
            // interval's end too), so a query never uses a state extrapolated past a failure.
            let k_end = ((t_s + SNAPSHOT_S) / step).floor() as usize;
            (t_s, k, k_end)
        };
        // The blocks, built here in order (each in parallel): the block of `k_end` knows
        // failures through sample `k_end + 1`.
        let blocks: Vec<Option<Arc<Block>>> = wanted
            .iter()
            .map(|&index| {
                let (_, k, k_end) = geometry(index);
                (k_end < self.samples - 1).then(|| {
                    self.block(k_end / BLOCK_INTERVALS);
                    self.block(k / BLOCK_INTERVALS)
                })
            })
            .collect();
        let mut jobs: Vec<(&mut Snapshot, i64, Option<&Block>)> = Vec::with_capacity(wanted.len());
        for (slot, snap) in cache.iter_mut().enumerate() {
            if let Some(w) = wanted.iter().position(|&i| i as usize % SNAPSHOT_SLOTS == slot) {
                jobs.push((snap, wanted[w], blocks[w].as_deref()));
            }
        }
        // The cache's cells are not shared between threads; the samples are.
        let (valid, n) = (self.valid.borrow(), self.satellites);
        let valid: &[u32] = &valid;
        jobs.into_par_iter().for_each(|(snap, index, block)| {
            let (t_s, k, k_end) = geometry(index);
            let x = t_s / step;
            snap.index = index;
            snap.t_s = t_s;
            snap.queried = false;
            snap.states.resize(n, [Vector3::zeros(); 3]);
            snap.cell_of.resize(n, None);
            for (i, (state, cell)) in snap.states.iter_mut().zip(snap.cell_of.iter_mut()).enumerate() {
                *cell = block.filter(|_| k_end + 1 < valid[i] as usize).map(|block| {
                    let (r, v) = hermite(block.state(k, i, n), block.state(k + 1, i, n), step, x - k as f64);
                    *state = [r, v, ecef_acceleration(&r, &v)];
                    cell_index(&r)
                });
            }
            by_cell_into(&snap.cell_of, &mut snap.cell_start, &mut snap.cell_sats);
        });
    }

    fn snapshot_index(&self, t: UtcTime) -> i64 {
        (t.seconds_since(self.start) / SNAPSHOT_S).floor() as i64
    }

    /// Every satellite above `site`'s mask at `t`, appended to `out` (cleared first), in
    /// increasing satellite order.
    pub fn visible(&self, site: &SkySite, t: UtcTime, out: &mut Vec<Seen>) {
        out.clear();
        let index = self.snapshot_index(t);
        let t_rel = t.seconds_since(self.start);
        self.with_snapshot(index, |snap| {
            let dt = t_rel - snap.t_s;
            for_cells(site.lat, site.lon, site.search_rad, |c| {
                for &i in &snap.cell_sats[snap.cell_start[c] as usize..snap.cell_start[c + 1] as usize] {
                    let [r0, v0, a0] = &snap.states[i as usize];
                    let r = r0 + v0 * dt + a0 * (0.5 * dt * dt);
                    let rho = r - site.topo.position;
                    // Above the mask: ρ·up ≥ sin(mask)·|ρ|, tested without a square root first.
                    let up = rho.dot(&site.topo.up);
                    let d2 = rho.norm_squared();
                    if up < 0.0 || up * up < site.sin_mask * site.sin_mask * d2 {
                        continue;
                    }
                    let d = d2.sqrt();
                    let sin_el = (up / d).clamp(-1.0, 1.0);
                    out.push(Seen { satellite: i, elevation_deg: sin_el.asin().to_degrees(), range_km: d });
                }
            });
        });
        out.sort_unstable_by_key(|s| s.satellite);
    }

    /// Earth-fixed position of `sat` at `t` from the snapshot (cheap; for link ranges).
    pub fn position(&self, sat: u32, t: UtcTime) -> Option<Vector3<f64>> {
        let index = self.snapshot_index(t);
        let t_rel = t.seconds_since(self.start);
        self.with_snapshot(index, |snap| {
            // Only a satellite that propagates through the interval has a cell.
            snap.cell_of[sat as usize]?;
            let dt = t_rel - snap.t_s;
            let [r0, v0, a0] = &snap.states[sat as usize];
            Some(r0 + v0 * dt + a0 * (0.5 * dt * dt))
        })
        .flatten()
    }

    /// Distance between two satellites at `t`, km.
    pub fn range_km(&self, a: u32, b: u32, t: UtcTime) -> Option<f64> {
        let ra = self.position(a, t)?;
        let rb = self.position(b, t)?;
        Some((ra - rb).norm())
    }

    /// The earliest instant in (`from`, `until`] at which a satellite for which `usable`
    /// holds rises above `site`'s mask (below it just before), to 1 ms, and which one.
    /// Satellites already up at `from` count only if they set and rise again.
    ///
    /// Per trajectory step, a satellite is examined only if the angle from the site to its
    /// sub-satellite point could drop below the visibility radius during the step: the
    /// angle moves at most `ω_max` per second, so from its values θa, θb at the two ends
    /// its minimum is at least (θa + θb − ω_max·step) / 2. Within a step, far from the site
    /// the search jumps by (θ − λ) / ω_max (no rise can happen sooner), and near it
    /// advances in [`RISE_SCAN_S`] steps.
    pub fn next_rise(
        &self,
        site: &SkySite,
        from: UtcTime,
        until: UtcTime,
        usable: impl Fn(u32) -> bool,
    ) -> Option<(UtcTime, u32)> {
        if until <= from {
            return None;
        }
        let t0 = from.seconds_since(self.start).max(0.0);
        let t1 = until.seconds_since(self.start);
        let n = self.satellites;
        let (u, omega, h) = (site.unit, self.omega_max, self.step_s);
        let lambda_max = site.lambda_rad.iter().copied().fold(0.0, f64::max);
        // A satellite farther than λ + ω·h/2 from the site at both ends of a step cannot
        // be within λ during it (see below): tested on cosines, without trigonometry.
        let cos_reach: Vec<f64> =
            site.lambda_rad.iter().map(|l| (l + omega * h / 2.0).min(std::f64::consts::PI).cos()).collect();
        let angle = |r: &Vector3<f64>| (r.dot(&u) / r.norm()).clamp(-1.0, 1.0).acos();
        let mut k = (t0 / h).floor() as usize;
        while k < self.samples - 1 && (k as f64) * h < t1 {
            let (a, b) = ((k as f64 * h).max(t0), ((k + 1) as f64 * h).min(t1));
            let mut best: Option<(f64, u32)> = None;
            let block = self.block(k / BLOCK_INTERVALS);
            // Satellites within reach during the step are within λ + ω·h of the site at its
            // start.
            let cells = BANDS * LON_CELLS;
            let m = k - block.first;
            let starts = &block.cell_start[m * (cells + 1)..(m + 1) * (cells + 1)];
            let sats = &block.cell_sats[m * n..(m + 1) * n];
            let mut candidates: Vec<u32> = Vec::new();
            for_cells(site.lat, site.lon, lambda_max + omega * h + 0.005, |c| {
                candidates.extend_from_slice(&sats[starts[c] as usize..starts[c + 1] as usize]);
            });
            for i in candidates.into_iter().map(|i| i as usize) {
                if k + 1 >= self.valid.borrow()[i] as usize || !usable(i as u32) {
                    continue;
                }
                let bin = self.bin_of[i] as usize;
                let lambda = site.lambda_rad[bin];
                let (sa, sb) = (block.state(k, i, n), block.state(k + 1, i, n));
                let (ra, _, _) = unpack(sa);
                let (rb, _, _) = unpack(sb);
                let reach = cos_reach[bin];
                if ra.dot(&u) < reach * ra.norm() && rb.dot(&u) < reach * rb.norm() {
                    continue;
                }
                if (angle(&ra) + angle(&rb) - omega * h) / 2.0 > lambda {
                    continue;
                }
                let at = |t: f64| hermite(sa, sb, h, (t - k as f64 * h) / h).0;
                let mut t = a;
                let mut was_down: Option<bool> = None;
                let mut t_prev = a;
                while t <= b {
                    let r = at(t);
                    let m = site.margin(&r).0;
                    if m >= 0.0 && was_down == Some(true) {
                        let rise = rise_within_a_millisecond(t_prev, t, |t| site.margin(&at(t)).0 >= 0.0);
                        if best.is_none_or(|(bt, bi)| (rise, i as u32) < (bt, bi)) {
                            best = Some((rise, i as u32));
                        }
                        break;
                    }
                    was_down = Some(m < 0.0);
                    if t >= b {
                        break;
                    }
                    let theta = angle(&r);
                    // Far from the site, jump as far as no rise can happen; near it, scan.
                    let step = if m < 0.0 && theta > lambda {
                        ((theta - lambda) / omega).max(RISE_SCAN_S)
                    } else {
                        RISE_SCAN_S
                    };
                    t_prev = t;
                    t = (t + step).min(b);
                }
            }
            if let Some((t, sat)) = best {
                // Round up to the next whole millisecond so the satellite is up by then.
                let ns = ((t * 1e3).ceil() as i64) * 1_000_000;
                let at = self.start.plus_nanos(ns).max(from.plus_nanos(1));
                return (at <= until).then_some((at, sat));
            }
            k += 1;
        }
        None
    }
}

/// The first instant, to 1 ms, in (`down`, `up`] at which `is_up` holds, given that it does
/// not at `down` and does at `up`: the upper end of a bisected bracket, so up by then.
fn rise_within_a_millisecond(down: f64, up: f64, is_up: impl Fn(f64) -> bool) -> f64 {
    let tolerance = Tolerance { bracket: 1e-3, step: 0.0, safeguard: Safeguard::Bisection };
    if up - down <= tolerance.bracket {
        return up;
    }
    // Only the side matters: ±1 with no slope makes every step a bisection, and the margin
    // exactly at the mask counts as up.
    let side = |t: f64| (if is_up(t) { 1.0 } else { -1.0 }, f64::NAN);
    let bracket = Bracket { lo: down, f_lo: -1.0, hi: up, f_hi: 1.0 };
    let start = Start { guess: Some(0.5 * (down + up)), slope: None };
    locate_root(bracket, start, tolerance, side).bracket.hi
}

/// Cell of an Earth-fixed position: equal-area latitude band (by z/r) and longitude cell.
fn cell_index(r: &Vector3<f64>) -> usize {
    let z = (r.z / r.norm()).clamp(-1.0, 1.0);
    let band = (((z + 1.0) * 0.5 * BANDS as f64) as usize).min(BANDS - 1);
    let lon = r.y.atan2(r.x);
    let cell = (((lon + std::f64::consts::PI) / std::f64::consts::TAU * LON_CELLS as f64) as usize).min(LON_CELLS - 1);
    band * LON_CELLS + cell
}

/// Items by cell (CSR: offsets per cell, then item indices in increasing order) from each
/// item's cell, `None` for items left out.
fn by_cell(cell_of: &[Option<usize>]) -> (Vec<u32>, Vec<u32>) {
    let (mut start, mut items) = (Vec::new(), Vec::new());
    by_cell_into(cell_of, &mut start, &mut items);
    (start, items)
}

/// [`by_cell`] into buffers that are reused.
fn by_cell_into(cell_of: &[Option<usize>], start: &mut Vec<u32>, items: &mut Vec<u32>) {
    let cells = BANDS * LON_CELLS;
    start.clear();
    start.resize(cells + 1, 0);
    for &c in cell_of.iter().flatten() {
        start[c + 1] += 1;
    }
    for c in 0..cells {
        start[c + 1] += start[c];
    }
    items.clear();
    items.resize(start[cells] as usize, 0);
    // `start[c]` serves as cell c's fill cursor and ends at cell c + 1's start: shifting
    // by one restores the offsets without a second array.
    for (i, &c) in cell_of.iter().enumerate() {
        if let Some(c) = c {
            items[start[c] as usize] = i as u32;
            start[c] += 1;
        }
    }
    start.copy_within(0..cells, 1);
    start[0] = 0;
}

/// Calls `f` with every cell that may hold a point within `radius` (rad) of (lat, lon).
fn for_cells(lat: f64, lon: f64, radius: f64, mut f: impl FnMut(usize)) {
    use std::f64::consts::{FRAC_PI_2, PI, TAU};
    let lo = (lat - radius).max(-FRAC_PI_2).sin();
    let hi = (lat + radius).min(FRAC_PI_2).sin();
    let band_of = |z: f64| (((z + 1.0) * 0.5 * BANDS as f64) as usize).min(BANDS - 1);
    let (b0, b1) = (band_of(lo), band_of(hi));
    // Longitude half-width of the cap (all longitudes if it reaches a pole).
    let half =
        if lat.abs() + radius >= FRAC_PI_2 - 1e-9 { PI } else { (radius.sin() / lat.cos()).clamp(-1.0, 1.0).asin() };
    let cell_w = TAU / LON_CELLS as f64;
    let (c0, count) = if half >= PI - 1e-9 {
        (0i64, LON_CELLS as i64)
    } else {
        let first = ((lon - half + PI) / cell_w).floor() as i64;
        let last = ((lon + half + PI) / cell_w).floor() as i64;
        (first, (last - first + 1).min(LON_CELLS as i64))
    };
    for b in b0..=b1 {
        for k in 0..count {
            let c = (c0 + k).rem_euclid(LON_CELLS as i64) as usize;
            f(b * LON_CELLS + c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orbit::tle::parse_lines;

    fn sun_synchronous() -> Satellite {
        let (id, _, elements) = parse_lines(
            "1 63982U 25100A   26078.25874299  .00007059  00000+0  31840-3 0  9994",
            "2 63982  97.3732 152.9903 0023419 300.8495  59.0437 15.21075366 46978",
        )
        .unwrap();
        Satellite::new("s".into(), Some(id), elements).unwrap()
    }

    #[test]
    fn interpolant_follows_sgp4_in_the_earth_fixed_frame() {
        let sat = sun_synchronous();
        let start = UtcTime::parse("2026-03-20T00:00:00Z").unwrap();
        let sky = Sky::build(std::slice::from_ref(&sat), start, start.plus_seconds(86_400.0));
        let mut worst: f64 = 0.0;
        for k in 0..2000 {
            let t = start.plus_seconds(k as f64 * 43.1);
            let s = sat.propagate(t).unwrap();
            let (r, _) = teme_to_ecef(&s.position, &s.velocity, t.gmst());
            let (ri, _) = sky.state_at(0, t).unwrap();
            worst = worst.max((r - ri).norm());
        }
        assert!(worst < 0.01, "{worst} km");
    }

    #[test]
    fn next_rise_agrees_with_a_one_second_scan_over_a_walker_shell() {
        let shell: crate::orbit::walker::WalkerShell =
            toml::from_str("name = \"W\"\ntotal = 60\nplanes = 6\nphasing = 1\naltitude_km = 550\ninclination = 53")
                .unwrap();
        let start = UtcTime::parse("2026-03-20T00:00:00Z").unwrap();
        let sats = shell.satellites(0, start).unwrap();
        let end = start.plus_seconds(6.0 * 3600.0);
        let sky = Sky::build(&sats, start, end);
        let mut rng = crate::engine::rng_stream(5, 0, "test.rise");
        use rand::RngExt;
        let mut checked = 0;
        for _ in 0..40 {
            let site = Geodetic {
                lat_deg: rng.random_range(-50.0..50.0),
                lon_deg: rng.random_range(-180.0..180.0),
                alt_km: 0.0,
            };
            let s = SkySite::new(&sky, &site, 25.0);
            let from = start.plus_seconds(rng.random_range(0.0..10_000.0));
            let until = from.plus_seconds(3600.0);
            let up = |t: UtcTime| -> Vec<bool> {
                (0..sats.len() as u32).map(|i| sky.look(&s, i, t).is_some_and(|(el, _)| el >= 25.0)).collect()
            };
            // Brute force: the first second at which a satellite is up that was down the
            // second before.
            let mut prev = up(from);
            let mut expected = None;
            for k in 1..=3600 {
                let t = from.plus_seconds(k as f64);
                let now = up(t);
                if let Some(i) = (0..now.len()).find(|&i| now[i] && !prev[i]) {
                    expected = Some((t, i as u32));
                    break;
                }
                prev = now;
            }
            let found = sky.next_rise(&s, from, until, |_| true);
            match (expected, found) {
                (Some((te, ie)), Some((tf, i_f))) => {
                    assert!((te.seconds_since(tf)).abs() <= 1.0, "{te:?} vs {tf:?}");
                    assert!(ie == i_f || (te.seconds_since(tf)).abs() <= 1.0);
                    checked += 1;
                }
                (None, None) => {}
                (e, f) => panic!("brute force {e:?}, next_rise {f:?}"),
            }
        }
        assert!(checked > 20, "{checked}");
    }

    #[test]
    fn a_query_behind_the_rolling_window_rebuilds_its_block_with_the_same_samples() {
        let sat = sun_synchronous();
        let start = UtcTime::parse("2026-03-20T00:00:00Z").unwrap();
        let sky = Sky::build(std::slice::from_ref(&sat), start, start.plus_seconds(3.0 * 86_400.0));
        let block_s = BLOCK_INTERVALS as f64 * sky.step_s();
        let early = start.plus_seconds(0.3 * block_s);
        let first = sky.state_at(0, early).unwrap();
        // Forward through block boundaries, as the event loop goes: nothing is rebuilt.
        for k in 1..=40 {
            sky.state_at(0, start.plus_seconds(k as f64 * 0.1 * block_s)).unwrap();
        }
        assert_eq!(sky.blocks_rebuilt(), 0);
        assert_eq!(sky.state_at(0, early).unwrap(), first);
        assert_eq!(sky.blocks_rebuilt(), 1);
        // Two blocks of samples and a recalled one at most, however long the window.
        assert!(sky.trajectory_bytes() <= 3 * (BLOCK_INTERVALS + 2) * (36 + 4 + 4 * (BANDS * LON_CELLS + 1)));
    }

    #[test]
    fn visible_matches_a_brute_force_scan_and_next_rise_finds_the_pass() {
        let sat = sun_synchronous();
        let start = UtcTime::parse("2026-03-20T00:00:00Z").unwrap();
        let end = start.plus_seconds(86_400.0);
        let sky = Sky::build(std::slice::from_ref(&sat), start, end);
        let site = Geodetic { lat_deg: 30.67, lon_deg: 104.07, alt_km: 0.5 };
        let sky_site = SkySite::new(&sky, &site, 10.0);
        let topo = Topocentric::new(&site);
        let mut out = Vec::new();
        let mut visible_s = 0;
        for k in 0..86_400 / 7 {
            let t = start.plus_seconds(k as f64 * 7.0);
            let s = sat.propagate(t).unwrap();
            let (r, v) = teme_to_ecef(&s.position, &s.velocity, t.gmst());
            let el = topo.look(&r, &v).elevation_deg;
            sky.visible(&sky_site, t, &mut out);
            if (el - 10.0).abs() > 0.01 {
                assert_eq!(!out.is_empty(), el > 10.0, "at {t:?}: elevation {el}");
            }
            if let Some(seen) = out.first() {
                assert!((seen.elevation_deg - el).abs() < 1e-3);
                visible_s += 7;
            }
        }
        assert!(visible_s > 600, "{visible_s}");
        // The first rise of the day, and the elevation there is the mask.
        let (rise, sat_index) = sky.next_rise(&sky_site, start, end, |_| true).unwrap();
        assert_eq!(sat_index, 0);
        let (el, _) = sky.look(&sky_site, 0, rise).unwrap();
        assert!((0.0..0.01).contains(&(el - 10.0)), "{el}");
        let (el_before, _) = sky.look(&sky_site, 0, rise.plus_nanos(-2_000_000)).unwrap();
        assert!(el_before < 10.0);
    }
}
