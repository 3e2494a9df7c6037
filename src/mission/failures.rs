//! The failures of a run, as a report: every outage of a satellite, station, antenna or
//! laser terminal (`outages.csv`), how much of the time each kind of component was down
//! (`missions.failures` in summary.json), and the satellites down against time.
//!
//! The outages themselves are drawn before the run ([`crate::access::outages`]) and act
//! through the plan and the other models (cut contacts, paused on-board work, rerouted
//! questions, versions stopped and started again), so this model runs no events: it is
//! the place where the failures are told.

use serde::Serialize;

use crate::access::outages::{Component, Outage, Outages, merged};
use crate::engine::{Bus, Process};
use crate::mission::{
    MissionChart, MissionContext, MissionError, MissionEvent, MissionFigure, MissionModel, MissionReport, MissionTable,
};
use crate::time::UtcTime;
use orbsim_plot::{LineChart, Series, SeriesKind};

/// The header of `outages.csv`.
pub const OUTAGES_HEADER: [&str; 7] = ["start_utc", "end_utc", "kind", "component", "scheduled", "wipe", "down_s"];

/// One kind of component's outages, for summary.json.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutageSummary {
    /// Components of the kind (satellites, stations, antennas, laser-terminal sets).
    pub components: usize,
    pub outages: usize,
    /// Of them, scheduled in the scenario (the rest drawn from MTBF and MTTR).
    pub scheduled: usize,
    /// Component-hours down within the window (overlapping outages of one component
    /// counted once).
    pub down_hours: f64,
    /// Share of component-time up.
    pub availability: f64,
}

/// `missions.failures` in summary.json.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailuresSummary {
    pub satellites: OutageSummary,
    /// Satellite failures that wiped what was on board.
    pub wipes: usize,
    pub stations: OutageSummary,
    pub antennas: OutageSummary,
    pub isl_terminals: OutageSummary,
}

/// Makes the model when the scenario has outages.
pub fn failures_model<'a>(context: &MissionContext<'a>) -> Option<Box<dyn MissionModel<'a> + 'a>> {
    (!context.outages.is_empty()).then(|| Box::new(Failures { context: *context }) as Box<dyn MissionModel<'a> + 'a>)
}

struct Failures<'a> {
    context: MissionContext<'a>,
}

/// Seconds the satellites' laser terminals were down, each satellite's terminal outages
/// merged first: a scheduled outage may overlap a random one.
fn isl_terminals_down_s(outages: &Outages, satellites: usize) -> f64 {
    let mut periods: Vec<Vec<(UtcTime, UtcTime)>> = vec![Vec::new(); satellites];
    for o in outages.list() {
        if let Component::IslTerminal(s) = o.component {
            periods[s as usize].push((o.start, o.end));
        }
    }
    periods.iter().flat_map(|p| merged(p, &[])).fold(0.0, |sum, p| sum + p.1.seconds_since(p.0))
}

impl Failures<'_> {
    fn window_s(&self) -> f64 {
        self.context.end.seconds_since(self.context.start)
    }

    fn summary(&self) -> FailuresSummary {
        let outages = self.context.outages;
        let satellites = self.context.satellites.len();
        let stations = self.context.stations.len();
        let window_s = self.window_s();
        let down_s = |periods: &[(UtcTime, UtcTime)]| periods.iter().fold(0.0, |sum, p| sum + p.1.seconds_since(p.0));
        let kind = |matches: fn(&Component) -> bool, components: usize, down: f64| {
            let list: Vec<&Outage> = outages.list().iter().filter(|o| matches(&o.component)).collect();
            OutageSummary {
                components,
                outages: list.len(),
                scheduled: list.iter().filter(|o| o.scheduled).count(),
                down_hours: down / 3600.0,
                availability: if components == 0 { 1.0 } else { 1.0 - down / (components as f64 * window_s) },
            }
        };
        let antennas: Vec<(u32, u32)> =
            (0..stations as u32).flat_map(|s| (0..outages.antennas_at(s)).map(move |a| (s, a))).collect();
        let terminals_down = isl_terminals_down_s(outages, satellites);
        FailuresSummary {
            satellites: kind(
                |c| matches!(c, Component::Satellite(_)),
                satellites,
                (0..satellites as u32).fold(0.0, |sum, s| sum + down_s(outages.satellite_periods(s))),
            ),
            wipes: outages.list().iter().filter(|o| o.wipe).count(),
            stations: kind(
                |c| matches!(c, Component::Station(_)),
                stations,
                (0..stations as u32).fold(0.0, |sum, s| sum + down_s(outages.station_periods(s))),
            ),
            antennas: kind(
                |c| matches!(c, Component::Antenna { .. }),
                antennas.len(),
                antennas.iter().fold(0.0, |sum, &(s, a)| sum + down_s(outages.antenna_periods(s, a))),
            ),
            isl_terminals: kind(|c| matches!(c, Component::IslTerminal(_)), satellites, terminals_down),
        }
    }

    fn component_name(&self, component: Component) -> String {
        let (satellites, stations) = (self.context.satellites, self.context.stations);
        match component {
            Component::Satellite(s) | Component::IslTerminal(s) => satellites[s as usize].name.clone(),
            Component::Station(s) => stations[s as usize].name.clone(),
            Component::Antenna { station, antenna } => format!("{} antenna {antenna}", stations[station as usize].name),
        }
    }

    fn table(&self) -> MissionTable {
        let rows = self
            .context
            .outages
            .list()
            .iter()
            .map(|o| {
                vec![
                    o.start.to_string(),
                    o.end.to_string(),
                    o.component.kind().into(),
                    self.component_name(o.component),
                    o.scheduled.to_string(),
                    o.wipe.to_string(),
                    format!("{:.3}", o.end.seconds_since(o.start)),
                ]
            })
            .collect();
        MissionTable { file: "outages.csv".into(), header: OUTAGES_HEADER.map(String::from).to_vec(), rows }
    }

    /// Satellites down against time.
    fn figure(&self) -> MissionFigure {
        let outages = self.context.outages;
        let mut changes: Vec<(UtcTime, i64)> = (0..self.context.satellites.len() as u32)
            .flat_map(|s| outages.satellite_periods(s).iter().flat_map(|p| [(p.0, 1), (p.1, -1)]))
            .collect();
        changes.sort();
        let mut down = 0;
        let mut points = vec![(self.context.start, 0.0)];
        for (t, step) in changes {
            down += step;
            match points.last_mut() {
                Some(last) if last.0 == t => last.1 = down as f64,
                _ => points.push((t, down as f64)),
            }
        }
        points.push((self.context.end, down as f64));
        MissionFigure {
            name: "satellites_down".into(),
            chart: MissionChart::Time(LineChart {
                title: "Satellites down".into(),
                subtitle: format!(
                    "{} satellite outages",
                    outages.list().iter().filter(|o| o.component.kind() == "satellite").count()
                ),
                x_label: "Time".into(),
                y_label: "Satellites down".into(),
                series: vec![Series::new("down", SeriesKind::Step, points)],
                ..LineChart::default()
            }),
        }
    }
}

impl Process<MissionEvent, MissionError> for Failures<'_> {
    fn next_event_time(&self) -> Option<UtcTime> {
        None
    }

    fn run_until(&mut self, _limit: UtcTime, _bus: &mut Bus<MissionEvent>) -> Result<(), MissionError> {
        Ok(())
    }
}

impl<'a> MissionModel<'a> for Failures<'a> {
    fn name(&self) -> &'static str {
        "failures"
    }

    fn report(&self) -> MissionReport {
        let summary = self.summary();
        let percent = |a: f64| format!("{:.2} %", 100.0 * a);
        let headline = vec![format!(
            "{} satellite outages ({} wiped), {} station, {} antenna, {} laser-terminal; satellites up {}, stations up {}",
            summary.satellites.outages,
            summary.wipes,
            summary.stations.outages,
            summary.antennas.outages,
            summary.isl_terminals.outages,
            percent(summary.satellites.availability),
            percent(summary.stations.availability),
        )];
        MissionReport {
            name: self.name(),
            summary: serde_json::to_value(&summary).expect("plain data"),
            headline,
            tables: vec![self.table()],
            figures: vec![self.figure()],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Window;
    use crate::access::outages::FailureConfig;
    use crate::time::NANOS_PER_SECOND;

    #[test]
    fn overlapping_terminal_outages_of_one_satellite_count_once() {
        let start = UtcTime::parse("2026-01-01T00:00:00Z").unwrap();
        let hour = 3600 * NANOS_PER_SECOND;
        // Satellite 1: 0–2 h and 1–3 h (3 h down, not 4); satellite 0: 5–6 h.
        let scheduled = vec![
            (Component::IslTerminal(1), 0, 2 * hour, false),
            (Component::IslTerminal(1), hour, 2 * hour, false),
            (Component::IslTerminal(0), 5 * hour, hour, false),
        ];
        let config = FailureConfig { satellites: None, stations: None, antennas: None, isl_terminals: None, scheduled };
        let window = Window { start, end: start.plus_nanos(24 * hour) };
        let outages = Outages::generate(&config, 2, &[], window, 1);
        assert_eq!(isl_terminals_down_s(&outages, 2), 4.0 * 3600.0);
    }
}
