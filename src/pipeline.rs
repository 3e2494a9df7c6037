//! The whole run of a scenario, stage by stage: contact plan (geometry and link budgets),
//! then the mission models on the event engine. The CLI and sweeps call this; the report
//! module turns its result into files.
//!
//! The plan is built a day at a time, just ahead of the simulation, and no further once
//! every target runs the model: a relay that completes in half an hour does not pay for
//! thirty days of passes. Each day's passes are searched with an hour of look-ahead so a
//! pass that straddles midnight is found whole, in the day it rises; links already up when
//! a day begins carry on without a new acquisition.

use std::time::Instant;

use crate::access::Window;
use crate::access::isl::{IslError, IslSearch, find_isl_windows};
use crate::contact::{
    ContactError, ContactPlan, IslContactError, build_ground_contacts_for, build_isl_contacts,
    isl_contacts_from_windows, merge_contacts,
};
use crate::engine::ScheduleError;
use crate::mission::inference::{
    InferenceConfig, InferenceError, InferenceInputs, InferenceOutcome, simulate_inference,
};
use crate::mission::rollout::{Rollout, UploadOutcome};
use crate::progress::Progress;
use crate::scenario::Scenario;
use crate::time::NANOS_PER_DAY;

/// Span of plan built per step, ns.
pub const PLAN_STEP_NS: i64 = NANOS_PER_DAY;
/// How far past a step the pass search looks, so passes rising before its end are whole, s.
pub const PASS_LOOKAHEAD_S: f64 = 3.0 * 3600.0;

/// Why a run failed after its scenario validated.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("contact plan: {0}")]
    Contacts(#[from] ContactError),
    #[error("inter-satellite links: {0}")]
    Isl(#[from] IslContactError),
    #[error("simulation: {0}")]
    Engine(#[from] ScheduleError),
    #[error("inference: {0}")]
    Inference(#[from] InferenceError),
}

impl From<IslError> for RunError {
    fn from(e: IslError) -> Self {
        RunError::Isl(IslContactError::Topology(e))
    }
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
    /// The plan as far as it was built (the whole window unless the mission finished earlier).
    pub plan: ContactPlan,
    pub upload: UploadOutcome,
    pub times: StageTimes,
    /// The inference run, when the scenario has an `[inference]` section.
    pub inference: Option<InferenceOutcome>,
}

/// How many plan steps the scenario's window spans (for progress reporting).
pub fn plan_steps(scenario: &Scenario) -> u64 {
    ((scenario.end.unix_nanos() - scenario.start.unix_nanos()) as u64).div_ceil(PLAN_STEP_NS as u64)
}

/// Runs a scenario. `on_satellite_done` reports progress: one call per satellite per plan
/// step ([`plan_steps`]).
pub fn run(scenario: &Scenario, progress: &dyn Progress) -> Result<RunResult, RunError> {
    let links: Vec<_> = std::iter::once(scenario.uplink.clone()).chain(scenario.downlink.clone()).collect();
    let isl_index = links.len() as u16;
    let mut plan = ContactPlan { links: links.clone(), ..ContactPlan::default() };
    plan.links.extend(scenario.isl.clone());
    let mut rollout = Rollout::new(scenario.rollout_inputs());
    let mut times = StageTimes::default();
    let mut step_start = scenario.start;
    progress.begin(
        "contact plan and upload",
        scenario.satellites.len() as u64 * plan_steps(scenario),
        "satellite-days",
    );
    let on_satellite_done = || progress.advance(1);
    while step_start < scenario.end && !rollout.done() {
        let step_end = step_start.plus_nanos(PLAN_STEP_NS).min(scenario.end);
        let started = Instant::now();
        // Passes rising in [step_start, step_end), found whole thanks to the look-ahead.
        let search = Window { start: step_start, end: step_end.plus_seconds(PASS_LOOKAHEAD_S).min(scenario.end) };
        let mut part = build_ground_contacts_for(
            &scenario.satellites,
            &scenario.targets,
            &scenario.stations,
            search,
            &links,
            scenario.seed,
            &on_satellite_done,
        )?;
        let first_step = step_start == scenario.start;
        let belongs = |start: crate::time::UtcTime, cut_start: bool| {
            start < step_end && (first_step || !(cut_start && start == step_start))
        };
        part.passes.retain(|p| belongs(p.aos, p.cut_start));
        part.contacts.retain(|c| belongs(c.start, c.start == step_start && !first_step));
        let mut contacts = part.contacts;
        if let (Some(link), Some(topology)) = (&scenario.isl, &scenario.isl_topology) {
            let isl_search =
                IslSearch { window: Window { start: step_start, end: step_end }, max_range_km: 0.0, split_s: None };
            let max_range_km = match &link.technology {
                crate::link::Technology::Optical(o) => o.max_range_km,
                crate::link::Technology::Rf(_) => 0.0,
            };
            let mut found =
                find_isl_windows(&scenario.satellites, topology, &IslSearch { max_range_km, ..isl_search })?;
            // A link up when the step begins is not acquired again.
            for w in &mut found.windows {
                w.continues |= w.cut_start;
            }
            let isl = isl_contacts_from_windows(&found.windows, link, isl_index)?;
            contacts = merge_contacts(vec![contacts, isl]);
        }
        plan.passes.extend(part.passes);
        plan.retirements.extend(part.retirements.into_iter().filter(|r| r.time < step_end));
        times.contact_plan_s += started.elapsed().as_secs_f64();
        let started = Instant::now();
        rollout.add_contacts(contacts)?;
        rollout.run_until(step_end)?;
        times.simulation_s += started.elapsed().as_secs_f64();
        step_start = step_end;
    }
    // A satellite retired in one step is retired in all later ones: report it once.
    progress.end();
    plan.retirements.sort_by_key(|r| (r.satellite, r.time));
    plan.retirements.dedup_by_key(|r| r.satellite);
    let (upload, contacts) = rollout.finish();
    plan.contacts = contacts;
    let inference = match &scenario.inference {
        Some(config) => Some(run_inference(scenario, config, &upload, progress)?),
        None => None,
    };
    Ok(RunResult { plan, upload, times, inference })
}

/// The contacts inference needs, over the whole window (the rollout's plan stops once
/// every target runs the model, and covers only the targets): ground contacts when a
/// source is a portal (of the serving satellites, or of all with laser links), and the
/// inter-satellite links when the scenario has them. Links are indexed as in the run's plan (uplink, downlink, ISL).
pub fn inference_plan(
    scenario: &Scenario,
    config: &InferenceConfig,
    progress: &dyn Progress,
) -> Result<ContactPlan, RunError> {
    let window = Window { start: scenario.start, end: scenario.end };
    let links: Vec<_> = std::iter::once(scenario.uplink.clone()).chain(scenario.downlink.clone()).collect();
    let isl_index = links.len() as u16;
    let mut plan = ContactPlan { links: links.clone(), ..ContactPlan::default() };
    plan.links.extend(scenario.isl.clone());
    let portal =
        config.sources.iter().any(|s| matches!(s.terminals, crate::mission::inference::spec::Terminals::Portal(_)));
    let mut runs = Vec::new();
    if portal {
        // With laser links any satellite over a portal station can relay; without, only
        // the serving satellites matter.
        let include =
            if scenario.isl.is_some() { vec![true; scenario.satellites.len()] } else { config.serving.clone() };
        progress.begin("inference ground contacts", scenario.satellites.len() as u64, "satellites");
        let ground = build_ground_contacts_for(
            &scenario.satellites,
            &include,
            &scenario.stations,
            window,
            &links,
            scenario.seed,
            &|| progress.advance(1),
        )?;
        progress.end();
        runs.push(ground.contacts);
    }
    if let (Some(link), Some(topology)) = (&scenario.isl, &scenario.isl_topology) {
        progress.begin("inference ISL windows", 0, "");
        runs.push(build_isl_contacts(&scenario.satellites, topology, window, link, isl_index)?);
        progress.end();
    }
    plan.contacts = merge_contacts(runs);
    Ok(plan)
}

/// Runs the inference model after the rollout (see [`inference_plan`] for its contacts):
/// satellites serve from the rollout's deployment times unless the model is preinstalled.
pub fn run_inference(
    scenario: &Scenario,
    config: &InferenceConfig,
    upload: &UploadOutcome,
    progress: &dyn Progress,
) -> Result<InferenceOutcome, RunError> {
    let plan = inference_plan(scenario, config, progress)?;
    Ok(run_inference_on(scenario, config, &plan, upload, progress)?)
}

/// Runs the inference model over a given contact plan (e.g. one a test built).
pub fn run_inference_on(
    scenario: &Scenario,
    config: &InferenceConfig,
    plan: &ContactPlan,
    upload: &UploadOutcome,
    progress: &dyn Progress,
) -> Result<InferenceOutcome, InferenceError> {
    let deployed: Vec<_> = upload.satellites.iter().map(|s| s.deployed).collect();
    simulate_inference(&InferenceInputs {
        satellites: &scenario.satellites,
        stations: &scenario.stations,
        start: scenario.start,
        end: scenario.end,
        seed: scenario.seed,
        config,
        plan,
        deployed: &deployed,
        progress,
    })
}
