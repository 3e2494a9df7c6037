//! When the parts of the system are down: satellites, ground stations, single antennas and
//! satellites' laser terminals fail and come back (`[failures]`).
//!
//! Two sources of outages, merged per component:
//! - **scheduled** windows (`[[failures.outages]]`): a named component is down from
//!   `after` (since the window's start) for `duration`;
//! - **random** failures per kind of component (`[failures.satellites]`, `.stations`,
//!   `.antennas`, `.isl_terminals`): each component alternates between up and down, the up
//!   times drawn from an exponential law of mean `mtbf` and the down times from one of mean
//!   `mttr` (the constant-hazard model behind MTBF/MTTR figures), starting up at the
//!   window's start. Each component draws from its own ChaCha stream keyed by the run's
//!   seed, its kind and its index, so a component's failures do not depend on how many
//!   others there are, on the order they are drawn, or on the thread count.
//!
//! A satellite failure may **wipe** what it held on board (`wipe = true`: the chunks of the
//! model are lost with it, as when a reboot reformats its storage); otherwise it keeps them.
//!
//! What a failure means downstream is decided elsewhere, from these periods alone:
//! `contact` cuts every contact of a down node out of the plan (a satellite or station
//! failure cuts its ground contacts, a satellite or laser-terminal failure its
//! inter-satellite links), the rollout takes a failed antenna out of service and pauses
//! a failed satellite's on-board work, and inference reroutes the questions a failed
//! satellite held. A satellite's laser terminals fail together: orbsim does not assign
//! links to individual terminals.

use rand::RngExt;
use serde::Deserialize;

use super::passes::Window;
use crate::engine::rng_stream;
use crate::time::UtcTime;
use crate::units::Duration;

/// A part of the system that can fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Component {
    /// A whole satellite (index into the fleet): no links, no on-board work, no service.
    Satellite(u32),
    /// A whole ground station (index into the stations): all its antennas.
    Station(u32),
    /// One antenna of a ground station (from 0).
    Antenna { station: u32, antenna: u32 },
    /// A satellite's laser terminals: its inter-satellite links.
    IslTerminal(u32),
}

impl Component {
    /// Lower-case label for tables.
    pub fn kind(self) -> &'static str {
        match self {
            Component::Satellite(_) => "satellite",
            Component::Station(_) => "station",
            Component::Antenna { .. } => "antenna",
            Component::IslTerminal(_) => "isl-terminal",
        }
    }

    /// The satellite it belongs to, if any.
    pub fn satellite(self) -> Option<u32> {
        match self {
            Component::Satellite(s) | Component::IslTerminal(s) => Some(s),
            _ => None,
        }
    }
}

/// One outage: `component` is down over [start, end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outage {
    pub component: Component,
    pub start: UtcTime,
    /// First instant it is up again (the window's end if it is still down then).
    pub end: UtcTime,
    /// It was scheduled (`[[failures.outages]]`) rather than drawn.
    pub scheduled: bool,
    /// A satellite failure that loses what the satellite held on board.
    pub wipe: bool,
}

/// Random failures of one kind of component, as written.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RandomFailureSpec {
    /// Mean time between failures (mean up time).
    pub mtbf: Duration,
    /// Mean time to repair (mean down time).
    pub mttr: Duration,
    /// Satellites only: a failure loses the chunks held on board.
    #[serde(default)]
    pub wipe: bool,
}

/// A scheduled outage as written: exactly one of `satellite`, `station` (optionally with
/// `antenna`) or `isl_terminal` names the component.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduledOutageSpec {
    pub satellite: Option<String>,
    pub station: Option<String>,
    /// An antenna of `station`, from 0 (without it the whole station is down).
    pub antenna: Option<u32>,
    /// The satellite whose laser terminals fail.
    pub isl_terminal: Option<String>,
    /// Start, after the window's start.
    pub after: Duration,
    pub duration: Duration,
    /// Satellites only: the failure loses the chunks held on board.
    #[serde(default)]
    pub wipe: bool,
}

/// The `[failures]` section as written.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailureSpec {
    pub satellites: Option<RandomFailureSpec>,
    pub stations: Option<RandomFailureSpec>,
    pub antennas: Option<RandomFailureSpec>,
    pub isl_terminals: Option<RandomFailureSpec>,
    #[serde(default)]
    pub outages: Vec<ScheduledOutageSpec>,
}

/// Random failures of one kind, validated: means in ns.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RandomFailures {
    pub mtbf_ns: i64,
    pub mttr_ns: i64,
    pub wipe: bool,
}

/// `[failures]`, validated: names resolved to indices.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FailureConfig {
    pub satellites: Option<RandomFailures>,
    pub stations: Option<RandomFailures>,
    pub antennas: Option<RandomFailures>,
    pub isl_terminals: Option<RandomFailures>,
    /// (component, start after the window's start, duration, wipe), ns.
    pub scheduled: Vec<(Component, i64, i64, bool)>,
}

/// A field of `[failures]` that is wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct FailureSpecError {
    /// Dotted path of the field, with list indices.
    pub path: String,
    pub message: String,
}

/// What `[failures]` may name.
pub struct FailureContext<'a> {
    pub satellites: &'a [String],
    pub stations: &'a [String],
    /// Antennas per station.
    pub antennas: &'a [u32],
    pub window_ns: i64,
}

/// Checks the section and resolves its names.
pub fn validate(spec: &FailureSpec, ctx: &FailureContext) -> Result<FailureConfig, FailureSpecError> {
    let error = |path: String, message: String| FailureSpecError { path, message };
    let random = |name: &str, r: &Option<RandomFailureSpec>, satellites: bool| {
        let Some(r) = r else { return Ok(None) };
        let path = |field: &str| format!("failures.{name}.{field}");
        if r.mtbf.0 <= 0 {
            return Err(error(path("mtbf"), "must be longer than zero".into()));
        }
        if r.mttr.0 <= 0 {
            return Err(error(path("mttr"), "must be longer than zero".into()));
        }
        if r.wipe && !satellites {
            return Err(error(path("wipe"), "only a satellite failure can wipe what is held on board".into()));
        }
        Ok(Some(RandomFailures { mtbf_ns: r.mtbf.0, mttr_ns: r.mttr.0, wipe: r.wipe }))
    };
    let satellites = random("satellites", &spec.satellites, true)?;
    let stations = random("stations", &spec.stations, false)?;
    let antennas = random("antennas", &spec.antennas, false)?;
    let isl_terminals = random("isl_terminals", &spec.isl_terminals, false)?;
    let mut scheduled = Vec::with_capacity(spec.outages.len());
    for (i, o) in spec.outages.iter().enumerate() {
        let path = |field: &str| format!("failures.outages[{i}].{field}");
        let find = |field: &str, names: &[String], wanted: &str| {
            let what = if field == "isl_terminal" { "satellite" } else { field };
            find_name(names, wanted).map_err(|e| error(path(field), e.message(wanted, what)))
        };
        let named = [o.satellite.is_some(), o.station.is_some(), o.isl_terminal.is_some()];
        if named.iter().filter(|&&n| n).count() != 1 {
            return Err(error(
                format!("failures.outages[{i}]"),
                "must name exactly one of satellite, station or isl_terminal".into(),
            ));
        }
        if o.antenna.is_some() && o.station.is_none() {
            return Err(error(path("antenna"), "needs the station it belongs to".into()));
        }
        let component = if let Some(name) = &o.satellite {
            Component::Satellite(find("satellite", ctx.satellites, name)?)
        } else if let Some(name) = &o.isl_terminal {
            Component::IslTerminal(find("isl_terminal", ctx.satellites, name)?)
        } else {
            let station = find("station", ctx.stations, o.station.as_deref().unwrap_or_default())?;
            match o.antenna {
                None => Component::Station(station),
                Some(antenna) if antenna < ctx.antennas[station as usize] => Component::Antenna { station, antenna },
                Some(antenna) => {
                    return Err(error(
                        path("antenna"),
                        format!(
                            "is {antenna}, but the station has {} antenna(s), numbered from 0",
                            ctx.antennas[station as usize]
                        ),
                    ));
                }
            }
        };
        if o.wipe && !matches!(component, Component::Satellite(_)) {
            return Err(error(path("wipe"), "only a satellite failure can wipe what is held on board".into()));
        }
        if o.duration.0 <= 0 {
            return Err(error(path("duration"), "must be longer than zero".into()));
        }
        if o.after.0 >= ctx.window_ns {
            return Err(error(path("after"), "starts after the simulated window ends".into()));
        }
        scheduled.push((component, o.after.0, o.duration.0, o.wipe));
    }
    Ok(FailureConfig { satellites, stations, antennas, isl_terminals, scheduled })
}

/// A component's down periods, sorted and disjoint: (start, end), end exclusive.
pub type Periods = Vec<(UtcTime, UtcTime)>;

/// Every outage of a run, and per component the periods it is down.
#[derive(Debug, Clone, Default)]
pub struct Outages {
    /// Every outage, by start (then component).
    list: Vec<Outage>,
    satellite: Vec<Periods>,
    /// Satellite wipes: instants at which a satellite loses what it holds (the start of a
    /// down period holding a failure that wipes), sorted.
    wipes: Vec<Vec<UtcTime>>,
    /// Down periods of each satellite's inter-satellite links (its own failures and its
    /// laser terminals').
    isl: Vec<Periods>,
    station: Vec<Periods>,
    antenna: Vec<Vec<Periods>>,
}

impl Outages {
    /// No outages, for `satellites` satellites and these stations.
    pub fn none(satellites: usize, antennas: &[u32]) -> Self {
        Outages {
            list: Vec::new(),
            satellite: vec![Vec::new(); satellites],
            wipes: vec![Vec::new(); satellites],
            isl: vec![Vec::new(); satellites],
            station: vec![Vec::new(); antennas.len()],
            antenna: antennas.iter().map(|&n| vec![Vec::new(); n as usize]).collect(),
        }
    }

    /// The outages of a run over `window`: the scheduled ones and draws for every component.
    pub fn generate(config: &FailureConfig, satellites: usize, antennas: &[u32], window: Window, seed: u64) -> Self {
        let mut list = Vec::new();
        for &(component, after, duration, wipe) in &config.scheduled {
            let start = window.start.plus_nanos(after);
            let end = start.plus_nanos(duration).min(window.end);
            list.push(Outage { component, start, end, scheduled: true, wipe });
        }
        let mut draw = |random: &Option<RandomFailures>,
                        components: &mut dyn Iterator<Item = Component>,
                        index: &dyn Fn(Component) -> u64| {
            let Some(r) = random else { return };
            for component in components {
                let mut rng = rng_stream(seed, index(component), &format!("failures.{}", component.kind()));
                let mut t = window.start.unix_nanos();
                let end = window.end.unix_nanos();
                let mut exponential = |mean_ns: i64| {
                    // 1 − u lies in (0, 1]: the logarithm is finite.
                    let u: f64 = rng.random();
                    (-(1.0 - u).ln() * mean_ns as f64).round().min(i64::MAX as f64 / 4.0) as i64
                };
                loop {
                    t = t.saturating_add(exponential(r.mtbf_ns));
                    if t >= end {
                        break;
                    }
                    let back = t.saturating_add(exponential(r.mttr_ns).max(1)).min(end);
                    let (start, stop) = (UtcTime::from_unix_nanos(t), UtcTime::from_unix_nanos(back));
                    list.push(Outage { component, start, end: stop, scheduled: false, wipe: r.wipe });
                    t = back;
                }
            }
        };
        let stations = antennas.len() as u32;
        draw(&config.satellites, &mut (0..satellites as u32).map(Component::Satellite), &|c| {
            c.satellite().unwrap_or(0) as u64
        });
        draw(&config.isl_terminals, &mut (0..satellites as u32).map(Component::IslTerminal), &|c| {
            c.satellite().unwrap_or(0) as u64
        });
        draw(&config.stations, &mut (0..stations).map(Component::Station), &|c| match c {
            Component::Station(s) => s as u64,
            _ => 0,
        });
        let every_antenna = (0..stations).flat_map(|station| {
            (0..antennas[station as usize]).map(move |antenna| Component::Antenna { station, antenna })
        });
        draw(&config.antennas, &mut every_antenna.into_iter(), &|c| match c {
            Component::Antenna { station, antenna } => (station as u64) << 32 | antenna as u64,
            _ => 0,
        });
        Self::from_list(list, satellites, antennas)
    }

    /// Indexes a list of outages (any order, overlaps allowed).
    pub fn from_list(mut list: Vec<Outage>, satellites: usize, antennas: &[u32]) -> Self {
        list.retain(|o| o.end > o.start);
        list.sort_by_key(|o| (o.start, o.component, o.end));
        let mut out = Outages::none(satellites, antennas);
        for o in &list {
            let period = (o.start, o.end);
            match o.component {
                Component::Satellite(s) => {
                    out.satellite[s as usize].push(period);
                    out.isl[s as usize].push(period);
                    if o.wipe {
                        out.wipes[s as usize].push(o.start);
                    }
                }
                Component::IslTerminal(s) => out.isl[s as usize].push(period),
                Component::Station(s) => out.station[s as usize].push(period),
                Component::Antenna { station, antenna } => out.antenna[station as usize][antenna as usize].push(period),
            }
        }
        let every = out
            .satellite
            .iter_mut()
            .chain(&mut out.isl)
            .chain(&mut out.station)
            .chain(out.antenna.iter_mut().flatten());
        for periods in every {
            *periods = union(std::mem::take(periods));
        }
        // A wipe takes effect when the satellite goes down: at the start of the (merged)
        // down period holding the failure that wipes.
        for (wipes, periods) in out.wipes.iter_mut().zip(&out.satellite) {
            for w in wipes.iter_mut() {
                *w = periods[periods.partition_point(|p| p.1 <= *w)].0;
            }
            wipes.sort();
            wipes.dedup();
        }
        out.list = list;
        out
    }

    /// Every outage, by start.
    pub fn list(&self) -> &[Outage] {
        &self.list
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Down periods of satellite `sat`.
    pub fn satellite_periods(&self, sat: u32) -> &[(UtcTime, UtcTime)] {
        &self.satellite[sat as usize]
    }

    /// Whether satellite `sat` is down at `t`.
    pub fn satellite_down(&self, sat: u32, t: UtcTime) -> bool {
        covers(&self.satellite[sat as usize], t)
    }

    /// Whether satellite `sat` is down at any instant of [from, to).
    pub fn satellite_down_within(&self, sat: u32, from: UtcTime, to: UtcTime) -> bool {
        overlaps(&self.satellite[sat as usize], from, to)
    }

    /// The first instant `t ≥ from` at which satellite `sat` stays up for `duration_ns`
    /// without interruption: on-board work interrupted by a failure starts over once the
    /// satellite is back.
    pub fn first_up_stretch(&self, sat: u32, from: UtcTime, duration_ns: i64) -> UtcTime {
        let periods = &self.satellite[sat as usize];
        let mut t = from;
        let mut i = periods.partition_point(|p| p.1 <= t);
        while let Some(&(down, up)) = periods.get(i) {
            if down.unix_nanos() >= t.unix_nanos().saturating_add(duration_ns) {
                break;
            }
            t = t.max(up);
            i += 1;
        }
        t
    }

    /// The first instant in [from, to) at which satellite `sat` loses what it holds.
    pub fn wipe_within(&self, sat: u32, from: UtcTime, to: UtcTime) -> Option<UtcTime> {
        let wipes = &self.wipes[sat as usize];
        wipes.get(wipes.partition_point(|&w| w < from)).copied().filter(|&w| w < to)
    }

    /// Down periods of station `station` (whole-station outages only).
    pub fn station_periods(&self, station: u32) -> &[(UtcTime, UtcTime)] {
        &self.station[station as usize]
    }

    /// Down periods of one antenna (its own outages only; its station's are in
    /// [`Outages::station_periods`]).
    pub fn antenna_periods(&self, station: u32, antenna: u32) -> &[(UtcTime, UtcTime)] {
        &self.antenna[station as usize][antenna as usize]
    }

    /// How many antennas station `station` has.
    pub fn antennas_at(&self, station: u32) -> u32 {
        self.antenna[station as usize].len() as u32
    }

    /// Down periods of satellite `sat`'s inter-satellite links.
    pub fn isl_periods(&self, sat: u32) -> &[(UtcTime, UtcTime)] {
        &self.isl[sat as usize]
    }
}

/// Why a name given in a scenario picks no single entry of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameError {
    NoMatch,
    /// It is part of this many names.
    Several(usize),
}

impl NameError {
    /// One line for the user: `wanted` names no (or several) `what`.
    pub fn message(self, wanted: &str, what: &str) -> String {
        match self {
            NameError::NoMatch => format!("{} names no {what}", crate::time::quoted(wanted)),
            NameError::Several(n) => {
                format!("{} is part of {n} {what} names: give more of one", crate::time::quoted(wanted))
            }
        }
    }
}

/// The index of `wanted` in `names`: a name as written, or a part of exactly one name
/// (case-insensitive, as `[stations] names` selects).
pub fn find_name(names: &[String], wanted: &str) -> Result<u32, NameError> {
    if let Some(k) = names.iter().position(|n| n == wanted) {
        return Ok(k as u32);
    }
    let lower = wanted.to_lowercase();
    let matching: Vec<usize> =
        (0..names.len()).filter(|&k| !lower.is_empty() && names[k].to_lowercase().contains(&lower)).collect();
    match matching[..] {
        [k] => Ok(k as u32),
        [] => Err(NameError::NoMatch),
        _ => Err(NameError::Several(matching.len())),
    }
}

/// Sorted, disjoint union of periods.
fn union(mut periods: Periods) -> Periods {
    periods.sort();
    let mut out: Periods = Vec::with_capacity(periods.len());
    for (start, end) in periods {
        match out.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => out.push((start, end)),
        }
    }
    out
}

/// Whether one of the sorted, disjoint `periods` covers `t`.
pub fn covers(periods: &[(UtcTime, UtcTime)], t: UtcTime) -> bool {
    let i = periods.partition_point(|p| p.1 <= t);
    periods.get(i).is_some_and(|p| p.0 <= t)
}

/// Whether one of the sorted, disjoint `periods` meets [from, to).
pub fn overlaps(periods: &[(UtcTime, UtcTime)], from: UtcTime, to: UtcTime) -> bool {
    let i = periods.partition_point(|p| p.1 <= from);
    periods.get(i).is_some_and(|p| p.0 < to)
}

/// Sorted, disjoint union of two sorted, disjoint period lists.
pub fn merged(a: &[(UtcTime, UtcTime)], b: &[(UtcTime, UtcTime)]) -> Periods {
    union(a.iter().chain(b).copied().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> UtcTime {
        UtcTime::from_unix_nanos(s * 1_000_000_000)
    }

    fn window(days: i64) -> Window {
        Window { start: t(0), end: t(days * 86_400) }
    }

    #[test]
    fn periods_merge_and_answer_queries() {
        let sat =
            |s, e, wipe| Outage { component: Component::Satellite(0), start: t(s), end: t(e), scheduled: true, wipe };
        let term =
            Outage { component: Component::IslTerminal(0), start: t(50), end: t(60), scheduled: true, wipe: false };
        let o = Outages::from_list(vec![sat(10, 20, false), sat(15, 30, true), term, sat(40, 40, false)], 1, &[]);
        assert_eq!(o.satellite_periods(0), &[(t(10), t(30))]);
        assert_eq!(o.isl_periods(0), &[(t(10), t(30)), (t(50), t(60))]);
        assert!(!o.satellite_down(0, t(9)) && o.satellite_down(0, t(10)) && !o.satellite_down(0, t(30)));
        assert!(o.satellite_down_within(0, t(0), t(11)) && !o.satellite_down_within(0, t(0), t(10)));
        assert!(!o.satellite_down_within(0, t(30), t(40)));
        // Work of 5 s from 8 s is interrupted at 10 s and starts over at 30 s; from 3 s it fits.
        assert_eq!(o.first_up_stretch(0, t(8), 5_000_000_000), t(30));
        assert_eq!(o.first_up_stretch(0, t(3), 5_000_000_000), t(3));
        assert_eq!(o.first_up_stretch(0, t(12), 0), t(30));
        // The wipe at 15 s lands inside the period that began at 10 s: it takes effect then.
        assert_eq!(o.wipe_within(0, t(0), t(11)), Some(t(10)));
        assert_eq!(o.wipe_within(0, t(0), t(10)), None);
        assert_eq!(o.list().len(), 3, "an empty period is no outage");
    }

    #[test]
    fn random_failures_match_mtbf_and_mttr() {
        // 400 satellites over 1000 days, MTBF 20 d and MTTR 1 d: about 19,000 failures; the
        // share of time down is MTTR / (MTBF + MTTR) = 1/21 within a few standard errors.
        let r = RandomFailures { mtbf_ns: 20 * 86_400_000_000_000, mttr_ns: 86_400_000_000_000, wipe: false };
        let config = FailureConfig { satellites: Some(r), ..FailureConfig::default() };
        let w = window(1000);
        let o = Outages::generate(&config, 400, &[], w, 7);
        let failures = o.list().len() as f64;
        let span = (w.end.unix_nanos() - w.start.unix_nanos()) as f64;
        let down: f64 = (0..400)
            .flat_map(|s| o.satellite_periods(s).iter().map(|p| (p.1.unix_nanos() - p.0.unix_nanos()) as f64))
            .sum();
        let share = down / (400.0 * span);
        assert!((share - 1.0 / 21.0).abs() < 0.003, "down share {share}");
        // Failures per satellite-day of up time: 1/MTBF.
        let rate = failures / ((400.0 * span - down) / 86_400e9);
        assert!((rate - 0.05).abs() < 0.0025, "failure rate {rate} per day");
        let mean_down_days = down / failures / 86_400e9;
        assert!((mean_down_days - 1.0).abs() < 0.03, "mean repair {mean_down_days} d");
    }

    #[test]
    fn draws_are_per_component_and_deterministic() {
        let r = RandomFailures { mtbf_ns: 86_400_000_000_000, mttr_ns: 3_600_000_000_000, wipe: false };
        let config = FailureConfig { satellites: Some(r), antennas: Some(r), ..FailureConfig::default() };
        let a = Outages::generate(&config, 10, &[2, 1], window(30), 1);
        let b = Outages::generate(&config, 20, &[2, 1, 3], window(30), 1);
        // Satellite 3 and antenna (0, 1) fail alike whatever else the fleet holds.
        assert_eq!(a.satellite_periods(3), b.satellite_periods(3));
        assert_eq!(a.antenna_periods(0, 1), b.antenna_periods(0, 1));
        assert_ne!(a.satellite_periods(3), a.satellite_periods(4));
        let c = Outages::generate(&config, 10, &[2, 1], window(30), 2);
        assert_ne!(a.satellite_periods(3), c.satellite_periods(3));
    }

    #[test]
    fn validation_names_the_field() {
        let ctx = FailureContext {
            satellites: &["SAT-A".to_string()],
            stations: &["Kashi".to_string()],
            antennas: &[2],
            window_ns: 86_400_000_000_000,
        };
        let check = |text: &str| {
            let spec: FailureSpec = toml::from_str(text).unwrap();
            validate(&spec, &ctx).map(|_| ()).map_err(|e| e.path)
        };
        assert_eq!(check("satellites = { mtbf = \"30d\", mttr = \"0s\" }"), Err("failures.satellites.mttr".into()));
        assert_eq!(check("stations = { mtbf = \"0s\", mttr = \"1h\" }"), Err("failures.stations.mtbf".into()));
        assert_eq!(
            check("stations = { mtbf = \"9d\", mttr = \"1h\", wipe = true }"),
            Err("failures.stations.wipe".into())
        );
        let outage = |body: &str| check(&format!("[[outages]]\nafter = \"1h\"\nduration = \"2h\"\n{body}"));
        assert_eq!(outage("satellite = \"SAT-B\""), Err("failures.outages[0].satellite".into()));
        assert_eq!(outage("station = \"Kashi\"\nantenna = 2"), Err("failures.outages[0].antenna".into()));
        assert_eq!(outage("station = \"Kashi\"\nsatellite = \"SAT-A\""), Err("failures.outages[0]".into()));
        assert_eq!(outage("isl_terminal = \"SAT-A\"\nwipe = true"), Err("failures.outages[0].wipe".into()));
        assert_eq!(outage("station = \"Kashi\"\nantenna = 1"), Ok(()));
        assert_eq!(
            check("[[outages]]\nsatellite = \"SAT-A\"\nafter = \"2d\"\nduration = \"1h\""),
            Err("failures.outages[0].after".into())
        );
        assert_eq!(
            check("[[outages]]\nsatellite = \"SAT-A\"\nafter = \"2h\"\nduration = \"0s\""),
            Err("failures.outages[0].duration".into())
        );
    }
}
