//! The contact plan: every opportunity to move data, with its rate against time. This is
//! what the event engine consumes; it never propagates orbits itself.
//!
//! Ground contacts come from the pass finder: for every pass and every ground link (uplink,
//! downlink), the link budget of that station turns the pass geometry into a
//! piecewise-constant rate profile. The geometry is read from the pass finder's sampled
//! trajectory (Hermite interpolation), so building profiles costs no SGP4 calls.

pub mod stats;

use rand::RngExt;
use rayon::prelude::*;

use crate::access::isl::{IslError, IslSearch, IslTopology, IslWindow, find_isl_windows};
use crate::access::outages::{Outages, merged, overlaps};
use crate::access::passes::{
    Pass, PassItems, Retirement, StationSet, Window, merge_passes, search_satellite_rising_before,
};
use crate::access::trajectory::Track;
use crate::engine::rng_stream;
use crate::frames::Topocentric;
use crate::ground::GroundStation;
use crate::link::{
    GeometryKnot, LinkBudget, LinkDirection, LinkError, LinkParams, OpticalParams, ProfileBatch, RateProfile, RateStep,
    Site, Technology,
};
use crate::orbit::Satellite;
use crate::time::UtcTime;

/// Which way data flows in a contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContactKind {
    Uplink,
    Downlink,
    InterSatellite,
}

impl ContactKind {
    pub fn label(self) -> &'static str {
        match self {
            ContactKind::Uplink => "uplink",
            ContactKind::Downlink => "downlink",
            ContactKind::InterSatellite => "isl",
        }
    }

    fn of(direction: LinkDirection) -> Self {
        match direction {
            LinkDirection::Uplink => ContactKind::Uplink,
            LinkDirection::Downlink => ContactKind::Downlink,
            LinkDirection::InterSatellite => ContactKind::InterSatellite,
        }
    }
}

/// An end of a contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Node {
    Station(u32),
    Satellite(u32),
}

/// One contact: a link between two nodes over a time span, with its rate profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Contact {
    pub kind: ContactKind,
    /// Index into the plan's links.
    pub link: u16,
    pub from: Node,
    pub to: Node,
    pub start: UtcTime,
    pub tca: UtcTime,
    pub end: UtcTime,
    /// Highest elevation during the contact (ground contacts), degrees; NaN for ISLs.
    pub max_elevation_deg: f32,
    pub profile: RateProfile,
}

impl Contact {
    /// The satellite end of a ground contact (for an inter-satellite contact, the one with
    /// the lower index: such links are full duplex and have no sender).
    pub fn satellite(&self) -> Option<u32> {
        match (self.from, self.to) {
            (Node::Satellite(s), _) | (_, Node::Satellite(s)) => Some(s),
            _ => None,
        }
    }

    pub fn station(&self) -> Option<u32> {
        match (self.from, self.to) {
            (Node::Station(s), _) | (_, Node::Station(s)) => Some(s),
            _ => None,
        }
    }
}

/// Contacts, sorted by start time then by (kind, from, to), and the passes they came from.
#[derive(Debug, Default)]
pub struct ContactPlan {
    pub links: Vec<LinkParams>,
    pub contacts: Vec<Contact>,
    pub passes: Vec<Pass>,
    pub retirements: Vec<Retirement>,
}

/// Why a contact plan could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ContactError {
    #[error(transparent)]
    Link(#[from] LinkError),
    #[error("station `{0}`: {1}")]
    Station(String, LinkError),
}

/// Builds ground contacts for every pass of every satellite over every station, one per
/// ground link in `links` (inter-satellite links in `links` are ignored here). Optical
/// ground links lose a contact to cloud with the station's blockage probability, drawn from
/// a stream seeded by (`seed`, satellite, station, link) so results do not depend on the
/// thread count.
pub fn build_ground_contacts(
    satellites: &[Satellite],
    stations: &[GroundStation],
    window: Window,
    links: &[LinkParams],
    seed: u64,
    on_satellite_done: &(dyn Fn() + Sync),
) -> Result<ContactPlan, ContactError> {
    build_ground_contacts_for(
        satellites,
        &vec![true; satellites.len()],
        stations,
        window,
        None,
        links,
        seed,
        on_satellite_done,
    )
}

/// As [`build_ground_contacts`], for the satellites whose `include` entry is true only
/// (the others keep their indices but get no passes: a run skips satellites no mission
/// uses), and for the passes rising before `rising_before` only, when given (see
/// [`search_satellite_rising_before`]: a pass rising later costs neither its search nor
/// its contacts, and takes no cloud draw from the passes before it).
#[allow(clippy::too_many_arguments)]
pub fn build_ground_contacts_for(
    satellites: &[Satellite],
    include: &[bool],
    stations: &[GroundStation],
    window: Window,
    rising_before: Option<UtcTime>,
    links: &[LinkParams],
    seed: u64,
    on_satellite_done: &(dyn Fn() + Sync),
) -> Result<ContactPlan, ContactError> {
    let maker = GroundContactMaker::new(links, stations, seed)?;
    let set = StationSet::new(stations);
    let per_sat: Vec<(Vec<Pass>, Vec<Contact>, Option<Retirement>)> = satellites
        .par_iter()
        .enumerate()
        .map(|(i, sat)| {
            let mut passes = Vec::new();
            let mut contacts = Vec::new();
            if !include[i] {
                on_satellite_done();
                return (passes, contacts, None);
            }
            let mut clouds = CloudDraws::default();
            let mut knots = Vec::with_capacity(32);
            let mut profiles = ProfileBatch::default();
            let mut heads = Vec::new();
            let retirement = search_satellite_rising_before(i, sat, &set, window, rising_before, |pass, track| {
                pass_knots(pass, track, set.topocentric(pass.station), window.start, &mut knots);
                maker.each_contact(pass, &mut clouds, |head, budget, lost_to_cloud| {
                    let profile = profiles.push_from_knots(budget, pass.aos, pass.los, &knots);
                    if lost_to_cloud {
                        profiles.clear_data(profile);
                    }
                    heads.push((passes.len(), head));
                });
                passes.push(pass.clone());
            });
            // The profiles are complete (their store shared) only once the satellite is done.
            contacts.extend(heads.into_iter().zip(profiles.finish()).map(
                |((pass, (kind, link, from, to)), profile)| {
                    let pass: &Pass = &passes[pass];
                    Contact {
                        kind,
                        link,
                        from,
                        to,
                        start: pass.aos,
                        tca: pass.tca,
                        end: pass.los,
                        max_elevation_deg: pass.max_elevation_deg as f32,
                        profile,
                    }
                },
            ));
            on_satellite_done();
            (passes, contacts, retirement)
        })
        .collect();
    let (mut pass_runs, mut contact_runs) = (Vec::new(), Vec::new());
    let mut retirements = Vec::new();
    for (passes, contacts, retirement) in per_sat {
        pass_runs.push(passes);
        contact_runs.push(contacts);
        retirements.extend(retirement);
    }
    let (contacts, passes) =
        rayon::join(|| merge_contacts(contact_runs), || merge_passes(pass_runs, satellites, stations));
    Ok(ContactPlan { links: links.to_vec(), contacts, passes, retirements })
}

/// The (kind, link, from, to) of a ground contact.
type ContactHead = (ContactKind, u16, Node, Node);

/// How a pass becomes ground contacts: one per ground link, through that link's budget at
/// the pass's station (one budget per link and station: the atmosphere table is the costly
/// part). Optical ground links lose a contact to cloud with the station's blockage
/// probability, drawn from a stream seeded by (`seed`, satellite, station, link) so results
/// do not depend on the thread count or on how the search is split in time.
struct GroundContactMaker<'a> {
    ground_links: Vec<(u16, &'a LinkParams)>,
    budgets: Vec<Vec<LinkBudget>>,
    stations: usize,
    seed: u64,
}

/// A satellite's cloud-blockage streams, by (link, station) slot, created on first use.
#[derive(Default)]
pub struct CloudDraws(Vec<(usize, crate::engine::SimRng)>);

impl<'a> GroundContactMaker<'a> {
    fn new(links: &'a [LinkParams], stations: &[GroundStation], seed: u64) -> Result<Self, ContactError> {
        let ground_links: Vec<(u16, &LinkParams)> =
            links.iter().enumerate().filter(|(_, l)| l.is_ground_link()).map(|(i, l)| (i as u16, l)).collect();
        let budgets: Vec<Vec<LinkBudget>> = ground_links
            .iter()
            .map(|(_, params)| {
                stations
                    .par_iter()
                    .map(|st| {
                        let site = Site::new(st.site.lat_deg, st.site.lon_deg, st.site.alt_km);
                        LinkBudget::for_site(params, &site).map_err(|e| ContactError::Station(st.name.clone(), e))
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .collect::<Result<_, _>>()?;
        Ok(GroundContactMaker { ground_links, budgets, stations: stations.len(), seed })
    }

    /// Calls `each` once per ground link with the contact's head, the budget that gives its
    /// profile, and whether cloud takes the contact's data away.
    fn each_contact(&self, pass: &Pass, clouds: &mut CloudDraws, mut each: impl FnMut(ContactHead, &LinkBudget, bool)) {
        let i = pass.satellite;
        for (k, &(link_index, params)) in self.ground_links.iter().enumerate() {
            let budget = &self.budgets[k][pass.station];
            let mut lost_to_cloud = false;
            if let Some(p_cloud) = budget.cloud_blockage_probability() {
                let slot = k * self.stations + pass.station;
                let at = match clouds.0.iter().position(|(s, _)| *s == slot) {
                    Some(at) => at,
                    None => {
                        let entity = ((i as u64 * self.stations as u64 + pass.station as u64) << 8) | k as u64;
                        clouds.0.push((slot, rng_stream(self.seed, entity, "cloud-blockage")));
                        clouds.0.len() - 1
                    }
                };
                lost_to_cloud = clouds.0[at].1.random::<f64>() < p_cloud;
            }
            let (sat_node, station_node) = (Node::Satellite(i as u32), Node::Station(pass.station as u32));
            let (from, to) = match params.direction {
                LinkDirection::Uplink => (station_node, sat_node),
                _ => (sat_node, station_node),
            };
            each((ContactKind::of(params.direction), link_index, from, to), budget, lost_to_cloud);
        }
    }
}

/// Largest gap between geometry knots of a pass, seconds: keeps MODCOD change times within
/// a fraction of a second of exact root finding (see `tests/contacts.rs`).
pub const KNOT_SPACING_S: f64 = 60.0;

/// Geometry knots of a pass for its rate profiles: AOS, TCA, LOS and evenly spaced points
/// in between, read from the pass's sampled trajectory.
pub fn pass_knots(
    pass: &Pass,
    track: &Track,
    topo: &Topocentric,
    window_start: UtcTime,
    knots: &mut Vec<GeometryKnot>,
) {
    knots.clear();
    let aos = pass.aos.seconds_since(window_start);
    let tca = pass.tca.seconds_since(window_start);
    let los = pass.los.seconds_since(window_start);
    let mut push = |t: f64| {
        let (r, v) = track.ecef_at(t);
        let (elevation_deg, elevation_rate_deg_s, range_km, range_rate_km_s) = topo.elevation_and_range(&r, &v);
        knots.push(GeometryKnot { t: t - aos, elevation_deg, elevation_rate_deg_s, range_km, range_rate_km_s });
    };
    push(aos);
    for (from, to) in [(aos, tca), (tca, los)] {
        let span = to - from;
        if span <= 0.0 {
            continue;
        }
        let n = (span / KNOT_SPACING_S).ceil().max(1.0) as usize;
        for k in 1..=n {
            push(from + span * k as f64 / n as f64);
        }
    }
}

/// Merges contact lists into one ordered by start, then kind, link and endpoints: a total
/// order independent of how they were found.
pub fn merge_contacts(runs: Vec<Vec<Contact>>) -> Vec<Contact> {
    crate::merge::merge_sorted_runs(runs, |c| (c.start, c.kind, c.link, c.from, c.to))
}

/// The contacts with every stretch cut out during which one of their ends is down
/// ([`Outages`]: a satellite or its station for a ground contact; either satellite or its
/// laser terminals for an inter-satellite one). What is left of a contact becomes contacts
/// of their own, on the millisecond grid of its rate profile, each ending strictly before
/// the outage that cuts it and starting no earlier than the end of the one before: no byte
/// can cross a link while an end is down. The result is in plan order.
pub fn cut_outages(contacts: Vec<Contact>, outages: &Outages) -> Vec<Contact> {
    if outages.is_empty() {
        return contacts;
    }
    let mut out = Vec::with_capacity(contacts.len());
    let mut cut = false;
    for c in contacts {
        let (one, other) = match (c.from, c.to) {
            (Node::Satellite(a), Node::Satellite(b)) => (outages.isl_periods(a), outages.isl_periods(b)),
            _ => (
                c.satellite().map_or(&[][..], |s| outages.satellite_periods(s)),
                c.station().map_or(&[][..], |s| outages.station_periods(s)),
            ),
        };
        // Most contacts meet no outage: only those that do pay for merging the periods.
        if !overlaps(one, c.start, c.end) && !overlaps(other, c.start, c.end) {
            out.push(c);
            continue;
        }
        let down = merged(one, other);
        cut = true;
        let ms = |t: UtcTime| ((t.unix_nanos() - c.start.unix_nanos()).max(0) as u64).div_ceil(1_000_000) as u32;
        // [from, until): `until` is where an outage begins (the piece ends a millisecond
        // before it at most), or None for the contact's end.
        let mut piece = |from: UtcTime, until: Option<UtcTime>| {
            let to_ms = until.map_or(c.profile.duration_ms(), |u| ms(u).saturating_sub(1));
            let from_ms = ms(from);
            if to_ms > from_ms {
                let profile = c.profile.part(from_ms, to_ms);
                let (start, end) = (profile.start(), profile.end());
                out.push(Contact { start, end, tca: c.tca.clamp(start, end), profile, ..c.clone() });
            }
        };
        let mut from = c.start;
        for &(down_start, down_end) in &down {
            if down_end <= from {
                continue;
            }
            if down_start >= c.end {
                break;
            }
            piece(from, Some(down_start));
            from = down_end;
        }
        if from < c.end {
            piece(from, None);
        }
    }
    if cut {
        out.sort_by_key(|c| (c.start, c.kind, c.link, c.from, c.to));
    }
    out
}

/// A contact as the contact-plan table shows it: its ends, times and rate summary.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactRecord {
    pub kind: ContactKind,
    pub link: u16,
    pub from: Node,
    pub to: Node,
    pub start: UtcTime,
    pub end: UtcTime,
    pub max_elevation_deg: f32,
    pub mean_rate_bps: f64,
    pub peak_rate_bps: u64,
    pub deliverable_bytes: u64,
}

impl ContactRecord {
    pub fn of(c: &Contact) -> Self {
        ContactRecord {
            kind: c.kind,
            link: c.link,
            from: c.from,
            to: c.to,
            start: c.start,
            end: c.end,
            max_elevation_deg: c.max_elevation_deg,
            mean_rate_bps: c.profile.mean_rate_bps(),
            peak_rate_bps: c.profile.peak_rate_bps(),
            deliverable_bytes: c.profile.deliverable_bytes(),
        }
    }

    /// The order of [`merge_contacts`].
    pub fn key(&self) -> (UtcTime, ContactKind, u16, Node, Node) {
        (self.start, self.kind, self.link, self.from, self.to)
    }
}

/// Ground contacts as [`stream_search`] items: the contact-plan table of a fleet, built a
/// time block at a time (see [`crate::access::passes::stream_search`]) so that memory does
/// not grow with the number of contacts.
pub struct GroundContactRecords<'a> {
    maker: GroundContactMaker<'a>,
    set: StationSet<'a>,
    window_start: UtcTime,
}

impl<'a> GroundContactRecords<'a> {
    /// As [`build_ground_contacts`] would make them for `links` (inter-satellite links in
    /// `links` are ignored) over `stations` from `window_start`, with cloud draws from `seed`.
    pub fn new(
        links: &'a [LinkParams],
        stations: &'a [GroundStation],
        window_start: UtcTime,
        seed: u64,
    ) -> Result<Self, ContactError> {
        Ok(GroundContactRecords {
            maker: GroundContactMaker::new(links, stations, seed)?,
            set: StationSet::new(stations),
            window_start,
        })
    }
}

impl PassItems for GroundContactRecords<'_> {
    type State = CloudDraws;
    type Item = ContactRecord;
    type Key = (UtcTime, ContactKind, u16, Node, Node);

    fn state(&self, _: usize) -> CloudDraws {
        CloudDraws::default()
    }

    fn items(&self, clouds: &mut CloudDraws, pass: &Pass, track: &Track, out: &mut Vec<ContactRecord>) {
        let mut knots = Vec::with_capacity(32);
        pass_knots(pass, track, self.set.topocentric(pass.station), self.window_start, &mut knots);
        self.maker.each_contact(pass, clouds, |(kind, link, from, to), budget, lost_to_cloud| {
            let mut profile = budget.rate_profile_from_knots(pass.aos, pass.los, &knots);
            if lost_to_cloud {
                profile = RateProfile::empty(profile.start(), profile.duration_ms(), profile.rate_table().clone());
            }
            out.push(ContactRecord {
                kind,
                link,
                from,
                to,
                start: pass.aos,
                end: pass.los,
                max_elevation_deg: pass.max_elevation_deg as f32,
                mean_rate_bps: profile.mean_rate_bps(),
                peak_rate_bps: profile.peak_rate_bps(),
                deliverable_bytes: profile.deliverable_bytes(),
            });
        });
    }

    fn key(&self, c: &ContactRecord) -> Self::Key {
        c.key()
    }

    fn start(&self, c: &ContactRecord) -> UtcTime {
        c.start
    }
}

/// Longest inter-satellite contact, s. Rate profiles count milliseconds in a `u32` (49.7
/// days), so permanent links are cut into contacts of one day, aligned on whole days from
/// the window start; a continuing contact starts at full rate (no new acquisition).
pub const ISL_CONTACT_MAX_S: f64 = 86_400.0;

/// Why inter-satellite contacts could not be built.
#[derive(Debug, thiserror::Error)]
pub enum IslContactError {
    /// The link given is not an optical inter-satellite link.
    #[error("link `{0}`: inter-satellite contacts need an optical inter-satellite link (e.g. preset \"optical-isl\")")]
    NotOpticalIsl(String),
    /// The topology or search was rejected.
    #[error("isl: {0}")]
    Topology(#[from] IslError),
}

/// The optical parameters of an inter-satellite link, or why it is not one.
fn optical_isl(link: &LinkParams) -> Result<&OpticalParams, IslContactError> {
    match &link.technology {
        Technology::Optical(optical) if link.direction == LinkDirection::InterSatellite => Ok(optical),
        _ => Err(IslContactError::NotOpticalIsl(link.name.clone())),
    }
}

/// Contacts for ISL windows, one per window and in the same order (so `windows[i]` gives
/// the range and light time of `contacts[i]`). A window that starts a link (not a
/// continuation) begins with `link.setup_time_s` of acquisition at zero rate; after that
/// the link runs at the optical line rate until it ends (with a link budget, at the rate
/// the window's longest range supports). The link is bidirectional and
/// full duplex: `from` is the lower satellite index and `to` the higher, and each direction
/// may carry the profile's rate at the same time.
pub fn isl_contacts_from_windows(
    windows: &[IslWindow],
    link: &LinkParams,
    link_index: u16,
) -> Result<Vec<Contact>, IslContactError> {
    let budgeted = optical_isl(link)?.budget.is_some();
    let budget = LinkBudget::free_space(link);
    let rates = budget.rate_table().clone();
    let setup_ms = (link.setup_time_s * 1000.0).round().clamp(0.0, u32::MAX as f64) as u32;
    Ok(windows
        .par_iter()
        .map(|w| {
            let span_ms = (w.end.unix_nanos() - w.start.unix_nanos()) / 1_000_000;
            let duration_ms = span_ms.clamp(0, u32::MAX as i64) as u32;
            // With a link budget, the rate the longest range of the window supports: a
            // lower bound over the window (cluster links stay at their ceiling anyway).
            let level = if budgeted { budget.level_at(0.0, w.max_range_km as f64).max(1) as u8 } else { 1 };
            let steps = if w.continues {
                vec![RateStep { offset_ms: 0, level }]
            } else {
                vec![RateStep { offset_ms: 0, level: 0 }, RateStep { offset_ms: setup_ms, level }]
            };
            Contact {
                kind: ContactKind::InterSatellite,
                link: link_index,
                from: Node::Satellite(w.a),
                to: Node::Satellite(w.b),
                start: w.start,
                tca: w.closest,
                end: w.start.plus_nanos(duration_ms as i64 * 1_000_000),
                max_elevation_deg: f32::NAN,
                profile: RateProfile::new(w.start, duration_ms, steps, rates.clone()),
            }
        })
        .collect())
}

/// Inter-satellite contacts for `satellites` over `window`: the candidate pairs of
/// `topology`, each a contact whenever the range is within the optical link's
/// `max_range_km` and the line of sight clears the Earth plus 80 km (see
/// [`crate::access::isl`]), cut at whole days ([`ISL_CONTACT_MAX_S`]). `link` must be an
/// optical inter-satellite link (e.g. the `optical-isl` preset) and `link_index` its
/// position in the plan's links. Sorted like [`merge_contacts`]. Light time is not part of
/// a contact: add [`crate::access::isl::propagation_delay_ns`] of the range per message.
pub fn build_isl_contacts(
    satellites: &[Satellite],
    topology: &IslTopology,
    window: Window,
    link: &LinkParams,
    link_index: u16,
) -> Result<Vec<Contact>, IslContactError> {
    let optical = optical_isl(link)?;
    let search = IslSearch { window, max_range_km: optical.max_range_km, split_s: Some(ISL_CONTACT_MAX_S) };
    let found = find_isl_windows(satellites, topology, &search)?;
    isl_contacts_from_windows(&found.windows, link, link_index)
}

/// Adds inter-satellite contacts to a plan (see [`build_isl_contacts`]): `link` joins the
/// plan's links unless an identical one is already there, and the contacts are merged in
/// order. Returns the number of contacts added. Satellites that fail to propagate are
/// already in the plan's retirements from the ground search.
pub fn add_isl_contacts(
    plan: &mut ContactPlan,
    satellites: &[Satellite],
    topology: &IslTopology,
    window: Window,
    link: &LinkParams,
) -> Result<usize, IslContactError> {
    optical_isl(link)?;
    let link_index = match plan.links.iter().position(|l| l == link) {
        Some(i) => i,
        None => {
            plan.links.push(link.clone());
            plan.links.len() - 1
        }
    };
    let link_index = u16::try_from(link_index).map_err(|_| {
        IslContactError::Topology(IslError::Invalid { path: "links".into(), message: "more than 65,536 links".into() })
    })?;
    let isl = build_isl_contacts(satellites, topology, window, link, link_index)?;
    let added = isl.len();
    let ground = std::mem::take(&mut plan.contacts);
    plan.contacts = merge_contacts(vec![ground, isl]);
    Ok(added)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::access::outages::{Component, Outage};
    use crate::link::RateStep;

    fn at_ms(ms: i64) -> UtcTime {
        UtcTime::from_unix_nanos(1_700_000_000_000_000_000 + ms * 1_000_000)
    }

    fn contact(from: Node, to: Node, kind: ContactKind) -> Contact {
        // 100 s: 1 Mbit/s for 40 s, then 2 Mbit/s.
        let steps = [RateStep { offset_ms: 0, level: 1 }, RateStep { offset_ms: 40_000, level: 2 }];
        let profile = RateProfile::new(at_ms(0), 100_000, steps, Arc::from(vec![0, 1_000_000, 2_000_000]));
        Contact {
            kind,
            link: 0,
            from,
            to,
            start: at_ms(0),
            tca: at_ms(50_000),
            end: at_ms(100_000),
            max_elevation_deg: 40.0,
            profile,
        }
    }

    fn outage(component: Component, from_ns: i64, to_ns: i64) -> Outage {
        let t = |ns: i64| UtcTime::from_unix_nanos(at_ms(0).unix_nanos() + ns);
        Outage { component, start: t(from_ns), end: t(to_ns), scheduled: true, wipe: false }
    }

    #[test]
    fn outages_cut_contacts_into_pieces_that_stop_before_them() {
        let ground = contact(Node::Station(0), Node::Satellite(1), ContactKind::Uplink);
        let isl = contact(Node::Satellite(1), Node::Satellite(2), ContactKind::InterSatellite);
        let whole = ground.profile.deliverable_bytes();
        // Satellite 1 down over [30.0005 s, 50 s); station 0 over [90 s, 120 s); satellite 2's
        // laser terminals over [10 s, 20 s).
        let outages = Outages::from_list(
            vec![
                outage(Component::Satellite(1), 30_000_500_000, 50_000_000_000),
                outage(Component::Station(0), 90_000_000_000, 120_000_000_000),
                outage(Component::IslTerminal(2), 10_000_000_000, 20_000_000_000),
            ],
            3,
            &[1],
        );
        let cut = cut_outages(vec![ground, isl], &outages);
        let spans: Vec<(ContactKind, i64, i64)> = cut
            .iter()
            .map(|c| {
                (
                    c.kind,
                    (c.start.unix_nanos() - at_ms(0).unix_nanos()) / 1_000_000,
                    (c.end.unix_nanos() - at_ms(0).unix_nanos()) / 1_000_000,
                )
            })
            .collect();
        assert_eq!(
            spans,
            vec![
                (ContactKind::Uplink, 0, 30_000),
                (ContactKind::InterSatellite, 0, 9_999),
                (ContactKind::InterSatellite, 20_000, 30_000),
                (ContactKind::Uplink, 50_000, 89_999),
                (ContactKind::InterSatellite, 50_000, 100_000),
            ]
        );
        // Bytes: each piece carries its own stretch of the profile exactly.
        let ground_bytes: u64 =
            cut.iter().filter(|c| c.kind == ContactKind::Uplink).map(|c| c.profile.deliverable_bytes()).sum();
        assert_eq!(ground_bytes, (30_000_000 + 39_999 * 2_000) / 8);
        assert!(ground_bytes < whole);
        assert_eq!(cut[3].profile.rate_at(at_ms(50_000)), 2_000_000);
        assert_eq!(cut[0].tca, cut[0].end, "the time of closest approach is kept within the piece");
        // Without outages the plan is untouched.
        let plain = vec![contact(Node::Station(0), Node::Satellite(1), ContactKind::Uplink)];
        assert_eq!(cut_outages(plain.clone(), &Outages::none(3, &[1])), plain);
    }
}
