//! The whole run of a scenario, stage by stage: contact plan (geometry and link budgets),
//! then the mission models on the event engine. The CLI and sweeps call this; the report
//! module turns its result into files.

use std::time::Instant;

use crate::access::Window;
use crate::contact::{ContactError, ContactPlan, build_ground_contacts};
use crate::engine::ScheduleError;
use crate::mission::rollout::{UploadOutcome, simulate_upload};
use crate::scenario::Scenario;

/// Why a run failed after its scenario validated.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("contact plan: {0}")]
    Contacts(#[from] ContactError),
    #[error("simulation: {0}")]
    Engine(#[from] ScheduleError),
}

/// Wall-clock time per stage, seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StageTimes {
    pub contact_plan_s: f64,
    pub simulation_s: f64,
}

/// Everything a run produced.
#[derive(Debug)]
pub struct RunResult {
    pub plan: ContactPlan,
    pub upload: UploadOutcome,
    pub times: StageTimes,
}

/// Runs a scenario. `on_satellite_done` reports contact-plan progress (one call per
/// satellite).
pub fn run(scenario: &Scenario, on_satellite_done: &(dyn Fn() + Sync)) -> Result<RunResult, RunError> {
    let started = Instant::now();
    let links: Vec<_> = std::iter::once(scenario.uplink.clone()).chain(scenario.downlink.clone()).collect();
    let window = Window { start: scenario.start, end: scenario.end };
    let plan = build_ground_contacts(
        &scenario.satellites,
        &scenario.stations,
        window,
        &links,
        scenario.seed,
        on_satellite_done,
    )?;
    let contact_plan_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let upload = simulate_upload(scenario, &plan)?;
    let simulation_s = started.elapsed().as_secs_f64();
    Ok(RunResult { plan, upload, times: StageTimes { contact_plan_s, simulation_s } })
}
