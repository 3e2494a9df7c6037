//! Ground contact per station and per satellite ([`crate::contact::stats`]): the
//! `contacts` section of summary.json (which report.html's "Ground contact" section
//! shows), `station_stats.csv`, `satellite_contact_stats.csv`, the console lines and the
//! per-satellite distribution figure.

use serde::Serialize;

use super::iso;
use super::plot::{CdfChart, SampleSet, Scale};
use super::tables::{CsvRow, write_rows_parallel};
use crate::contact::stats::{ContactStats, ContactTally};
use crate::pipeline::RunContactStats;
use crate::scenario::Scenario;
use crate::time::{NANOS_PER_SECOND, UtcTime, format_duration};
use crate::units::Bytes;

pub const STATION_STATS_FILE: &str = "station_stats.csv";
pub const SATELLITE_STATS_FILE: &str = "satellite_contact_stats.csv";
pub const STATION_STATS_HEADER: &str =
    "station,passes,passes_per_day,contact_minutes_per_day,longest_gap_s,deliverable_bytes,deliverable_bytes_per_day";
pub const SATELLITE_STATS_HEADER: &str =
    "satellite,passes,passes_per_day,contact_minutes_per_day,longest_gap_s,deliverable_bytes,deliverable_bytes_per_day";

/// One station's or satellite's contact figures over the span (see [`ContactTally`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ContactRates {
    pub passes: u64,
    pub passes_per_day: f64,
    pub contact_minutes_per_day: f64,
    pub longest_gap_s: f64,
    pub deliverable_bytes: u64,
    pub deliverable_bytes_per_day: f64,
}

impl ContactRates {
    pub fn new(tally: &ContactTally, days: f64) -> ContactRates {
        let seconds = |ns: i64| ns as f64 / NANOS_PER_SECOND as f64;
        ContactRates {
            passes: tally.passes,
            passes_per_day: tally.passes as f64 / days,
            contact_minutes_per_day: seconds(tally.contact_ns) / 60.0 / days,
            longest_gap_s: seconds(tally.longest_gap_ns),
            deliverable_bytes: tally.deliverable_bytes,
            deliverable_bytes_per_day: tally.deliverable_bytes as f64 / days,
        }
    }

    fn row(&self, row: &mut CsvRow) {
        row.int(self.passes)
            .fixed(self.passes_per_day, 3)
            .fixed(self.contact_minutes_per_day, 3)
            .fixed(self.longest_gap_s, 3)
            .int(self.deliverable_bytes)
            .fixed(self.deliverable_bytes_per_day, 0);
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StationContacts {
    pub station: String,
    #[serde(flatten)]
    pub rates: ContactRates,
}

/// The smallest, median (the upper one of an even count) and largest of a figure over
/// the satellites.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Spread {
    pub min: f64,
    pub median: f64,
    pub max: f64,
}

impl Spread {
    fn of(mut values: Vec<f64>) -> Option<Spread> {
        values.sort_by(f64::total_cmp);
        Some(Spread { min: *values.first()?, median: values[values.len() / 2], max: *values.last()? })
    }
}

/// The satellites' figures, each as a [`Spread`] over the satellites the plan covers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FleetContacts {
    pub satellites: usize,
    pub passes_per_day: Option<Spread>,
    pub contact_minutes_per_day: Option<Spread>,
    pub longest_gap_s: Option<Spread>,
    pub deliverable_bytes_per_day: Option<Spread>,
}

/// summary.json's `contacts`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContactsSummary {
    /// Which plan was read: `upload` or `inference` ([`RunContactStats::plan`]).
    pub plan: &'static str,
    /// The link whose contacts and deliverable bytes are counted: the scenario's uplink.
    pub link: String,
    #[serde(serialize_with = "iso")]
    pub span_start_utc: UtcTime,
    #[serde(serialize_with = "iso")]
    pub span_end_utc: UtcTime,
    pub span_days: f64,
    /// Whether the span is the whole window (else the plan stopped early: see `plan`).
    pub covers_window: bool,
    pub stations: Vec<StationContacts>,
    pub satellites: FleetContacts,
}

impl ContactsSummary {
    pub fn new(scenario: &Scenario, run: &RunContactStats) -> ContactsSummary {
        let stats = &run.stats;
        let days = stats.days();
        let rates: Vec<ContactRates> = stats.satellites.iter().map(|(_, t)| ContactRates::new(t, days)).collect();
        let spread = |figure: fn(&ContactRates) -> f64| Spread::of(rates.iter().map(figure).collect());
        ContactsSummary {
            plan: run.plan,
            link: scenario.uplink.name.clone(),
            span_start_utc: stats.start,
            span_end_utc: stats.end,
            span_days: days,
            covers_window: stats.start == scenario.start && stats.end == scenario.end,
            stations: (stats.stations.iter().zip(&scenario.stations))
                .map(|(t, s)| StationContacts { station: s.name.clone(), rates: ContactRates::new(t, days) })
                .collect(),
            satellites: FleetContacts {
                satellites: rates.len(),
                passes_per_day: spread(|r| r.passes_per_day),
                contact_minutes_per_day: spread(|r| r.contact_minutes_per_day),
                longest_gap_s: spread(|r| r.longest_gap_s),
                deliverable_bytes_per_day: spread(|r| r.deliverable_bytes_per_day),
            },
        }
    }

    /// Over which span, from which plan and on which link: every place that shows the
    /// figures says it.
    pub fn span_line(&self) -> String {
        let plan = match (self.plan, self.covers_window) {
            ("upload", true) => "the upload's contact plan",
            ("upload", false) => "the upload's contact plan, which stops once no model needs more",
            _ => "the inference contact plan",
        };
        format!(
            "over {} → {} ({:.2} days, {plan}); uplink `{}` contacts rising in the span, counted whole; gaps include the span's edges",
            self.span_start_utc.iso_millis(),
            self.span_end_utc.iso_millis(),
            self.span_days,
            self.link
        )
    }

    /// The console lines.
    pub fn console_lines(&self) -> Vec<String> {
        let mut lines = vec![format!("  ground contact {}", self.span_line())];
        let total: u64 = self.stations.iter().map(|s| s.rates.passes).sum();
        let busiest = self.stations.iter().max_by(|a, b| a.rates.passes_per_day.total_cmp(&b.rates.passes_per_day));
        if let Some(b) = busiest {
            lines.push(format!(
                "    {total} passes over {} stations; busiest {}: {:.1} passes, {:.1} contact min, {} a day",
                self.stations.len(),
                b.station,
                b.rates.passes_per_day,
                b.rates.contact_minutes_per_day,
                Bytes(b.rates.deliverable_bytes_per_day as u64)
            ));
        }
        let f = &self.satellites;
        if let (Some(p), Some(m), Some(g)) = (f.passes_per_day, f.contact_minutes_per_day, f.longest_gap_s) {
            lines.push(format!(
                "    per satellite ({}): median {:.1} passes and {:.1} contact min a day (min {:.1}, max {:.1}); longest gap median {} (max {})",
                f.satellites,
                p.median,
                m.median,
                m.min,
                m.max,
                format_duration((g.median * 1e9) as i64),
                format_duration((g.max * 1e9) as i64)
            ));
        }
        lines
    }
}

/// `station_stats.csv`: one row per station ([`STATION_STATS_HEADER`]).
pub fn write_station_stats(w: &mut dyn std::io::Write, summary: &ContactsSummary) -> std::io::Result<()> {
    writeln!(w, "{STATION_STATS_HEADER}")?;
    write_rows_parallel(w, &summary.stations, |row, s: &StationContacts| {
        row.text(&s.station);
        s.rates.row(row);
    })
}

/// `satellite_contact_stats.csv`: one row per satellite the plan covers
/// ([`SATELLITE_STATS_HEADER`]).
pub fn write_satellite_stats(
    w: &mut dyn std::io::Write,
    scenario: &Scenario,
    stats: &ContactStats,
) -> std::io::Result<()> {
    writeln!(w, "{SATELLITE_STATS_HEADER}")?;
    let days = stats.days();
    write_rows_parallel(w, &stats.satellites, |row, (i, tally): &(u32, ContactTally)| {
        row.text(&scenario.satellites[*i as usize].name);
        ContactRates::new(tally, days).row(row);
    })
}

/// Contact minutes a day over the satellites, as a distribution (for two or more).
pub fn satellite_contact_chart(scenario: &Scenario, stats: &ContactStats) -> CdfChart {
    let days = stats.days();
    let minutes = stats.satellites.iter().map(|(_, t)| ContactRates::new(t, days).contact_minutes_per_day).collect();
    CdfChart {
        title: "Ground contact per satellite".into(),
        subtitle: format!(
            "{}: {} satellites, uplink `{}` contacts {} → {}",
            scenario.name,
            stats.satellites.len(),
            scenario.uplink.name,
            stats.start.iso_millis(),
            stats.end.iso_millis()
        ),
        x_label: "Contact minutes a day".into(),
        y_label: "Share of satellites with at most x".into(),
        sets: vec![SampleSet::new("contact minutes a day", minutes)],
        percentiles: vec![10.0, 50.0, 90.0],
        x_scale: Scale::Linear,
    }
}
