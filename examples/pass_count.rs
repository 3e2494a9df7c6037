//! A mission model in one file: count the passes each planned satellite has over any
//! ground station, and how many of them came after it held the model.
//!
//! It is living documentation of the seam in `orbsim::mission::model` (ARCHITECTURE.md
//! walks through it): a model is told the contact plan as it is built, runs its own
//! events on the run's shared engine, hears the other models' events (here, the upload's
//! `VersionDeployed`), and hands the report a summary.json section, console lines, a table and
//! a figure.
//! Inside the crate it would be one module under `src/mission/` and one line in
//! `mission::REGISTRY`; from outside, it is handed to `pipeline::run_with`.
//!
//! ```text
//! cargo run --release --example pass_count -- scenarios/qwen3-scs01.toml output/pass-count
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use orbsim::contact::{Contact, ContactKind};
use orbsim::engine::{Bus, Process, Simulation};
use orbsim::mission::{
    MissionChart, MissionContext, MissionError, MissionEvent, MissionFigure, MissionModel, MissionReport, MissionTable,
};
use orbsim::report::plot::{LineChart, Series, SeriesKind};
use orbsim::time::UtcTime;
use serde::Serialize;

/// The model: a queue of pass starts, a count per satellite.
struct PassCount<'a> {
    context: MissionContext<'a>,
    /// One event per pass: the satellite it belongs to.
    sim: Simulation<u32>,
    passes: Vec<u32>,
    passes_holding: Vec<u32>,
    holding: Vec<bool>,
    /// When each counted pass began, in time order (for the figure).
    pass_starts: Vec<UtcTime>,
}

/// Its section of summary.json.
#[derive(Serialize)]
struct PassCountSummary {
    satellites: usize,
    passes: u64,
    passes_holding_model: u64,
    median_passes_per_satellite: Option<u32>,
}

/// The factory the registry (or `run_with`) calls: this model runs in every scenario.
fn pass_count<'a>(context: &MissionContext<'a>) -> Option<Box<dyn MissionModel<'a> + 'a>> {
    let n = context.satellites.len();
    Some(Box::new(PassCount {
        context: *context,
        sim: Simulation::new(context.start),
        passes: vec![0; n],
        passes_holding: vec![0; n],
        holding: vec![false; n],
        pass_starts: Vec::new(),
    }))
}

impl Process<MissionEvent, MissionError> for PassCount<'_> {
    fn next_event_time(&self) -> Option<UtcTime> {
        self.sim.peek_time()
    }

    fn run_until(&mut self, limit: UtcTime, _bus: &mut Bus<MissionEvent>) -> Result<(), MissionError> {
        let (passes, passes_holding, holding) = (&mut self.passes, &mut self.passes_holding, &self.holding);
        let starts = &mut self.pass_starts;
        self.sim.run_until(limit, |_, now, satellite| {
            let s = satellite as usize;
            passes[s] += 1;
            passes_holding[s] += u32::from(holding[s]);
            starts.push(now);
            Ok::<(), MissionError>(())
        })?;
        Ok(())
    }

    fn receive(
        &mut self,
        _at: UtcTime,
        event: &MissionEvent,
        _bus: &mut Bus<MissionEvent>,
    ) -> Result<(), MissionError> {
        if let MissionEvent::VersionDeployed { satellite, .. } = *event {
            self.holding[satellite as usize] = true;
        }
        Ok(())
    }
}

impl<'a> MissionModel<'a> for PassCount<'a> {
    fn name(&self) -> &'static str {
        "pass_count"
    }

    /// Passes are counted over the whole window, not just until the upload is done.
    fn needs_plan(&self) -> bool {
        true
    }

    fn plan_extended(&mut self, contacts: &[Contact]) -> Result<(), MissionError> {
        // A pass gives one uplink contact per station: count those.
        for c in contacts.iter().filter(|c| c.kind == ContactKind::Uplink) {
            let satellite = c.satellite().expect("an uplink has a satellite end");
            self.sim.schedule_at(c.start, satellite)?;
        }
        Ok(())
    }

    fn report(&self) -> MissionReport {
        let planned: Vec<usize> = (0..self.passes.len()).filter(|&i| self.context.planned[i]).collect();
        let mut counts: Vec<u32> = planned.iter().map(|&i| self.passes[i]).collect();
        counts.sort_unstable();
        let summary = PassCountSummary {
            satellites: planned.len(),
            passes: counts.iter().map(|&c| u64::from(c)).sum(),
            passes_holding_model: planned.iter().map(|&i| u64::from(self.passes_holding[i])).sum(),
            median_passes_per_satellite: counts.get(counts.len() / 2).copied(),
        };
        let headline = vec![
            format!("{} passes of {} planned satellite(s)", summary.passes, summary.satellites),
            format!("{} of them with the model on board", summary.passes_holding_model),
        ];
        let rows = planned
            .iter()
            .map(|&i| {
                vec![
                    self.context.satellites[i].name.clone(),
                    self.passes[i].to_string(),
                    self.passes_holding[i].to_string(),
                ]
            })
            .collect();
        MissionReport {
            name: self.name(),
            summary: serde_json::to_value(&summary).expect("plain data"),
            headline,
            tables: vec![MissionTable {
                file: "pass_count.csv".into(),
                header: vec!["satellite".into(), "passes".into(), "passes_holding_model".into()],
                rows,
            }],
            figures: vec![MissionFigure {
                name: "pass_count".into(),
                chart: MissionChart::Time(LineChart {
                    title: "Passes over the ground stations".into(),
                    subtitle: format!("{} planned satellites", summary.satellites),
                    x_label: "Time".into(),
                    y_label: "Passes so far".into(),
                    series: vec![Series::new(
                        "passes",
                        SeriesKind::Step,
                        self.pass_starts.iter().enumerate().map(|(k, &t)| (t, (k + 1) as f64)).collect(),
                    )],
                    ..LineChart::default()
                }),
            }],
        }
    }
}

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let scenario = args.next().map_or_else(|| PathBuf::from("scenarios/qwen3-scs01.toml"), PathBuf::from);
    let out = args.next().map_or_else(|| PathBuf::from("output/pass-count"), PathBuf::from);
    let run = || -> Result<String, String> {
        let scenario = orbsim::scenario::load_scenario(&scenario, None).map_err(|e| e.to_string())?;
        let result = orbsim::pipeline::run_with(&scenario, &orbsim::progress::Silent, &[pass_count])
            .map_err(|e| e.to_string())?;
        let summary = orbsim::report::summary::RunSummary::new(&scenario, &result);
        orbsim::report::run::write_run(&out, &scenario, &result, &summary).map_err(|e| e.to_string())?;
        Ok(orbsim::report::summary::console_summary(&scenario, &result, &summary, &out))
    };
    match run() {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
