//! The whole run of a scenario, stage by stage: contact plan (geometry and link budgets),
//! then the mission models together on the run's one shared engine (the upload first,
//! inference, then any registered model: see [`crate::mission::model`]). The CLI and
//! sweeps call this; the report module turns its result into files.
//!
//! The plan is built a day at a time, just ahead of the simulation, and no further once
//! every target runs the model: a relay that completes in half an hour does not pay for
//! thirty days of passes. Each day's passes are searched with an hour of look-ahead so a
//! pass that straddles midnight is found whole, in the day it rises; links already up when
//! a day begins carry on without a new acquisition. When the next day is sure to be wanted
//! (see [`Rollout::runs_past`]) it is built on the pool while the serial event loop runs the
//! current one.

use std::time::Instant;

use crate::access::isl::{IslError, IslSearch, find_isl_windows};
use crate::access::{Pass, Retirement, Window};
use crate::constants::WGS84_A_KM;
use crate::contact::stats::{ContactStats, contact_stats};
use crate::contact::{
    Contact, ContactError, ContactKind, ContactPlan, IslContactError, build_ground_contacts_for, build_isl_contacts,
    cut_outages, isl_contacts_from_windows, merge_contacts,
};
use crate::engine::{Bus, ScheduleError, SharedEngine};
use crate::link::{LinkBudget, LinkParams, Site, Technology};
use crate::mission::inference::{InferenceConfig, InferenceError, InferenceInputs, InferenceOutcome, InferenceRun};
use crate::mission::rollout::versions::{VersionHistory, versions_report};
use crate::mission::rollout::{Rollout, UploadOutcome};
use crate::mission::{
    MissionContext, MissionError, MissionEvent, MissionFactory, MissionModel, MissionProcess, MissionReport, REGISTRY,
};
use crate::orbit::cluster::{Hold, cluster_hold};
use crate::progress::Progress;
use crate::scenario::Scenario;
use crate::time::{NANOS_PER_DAY, NANOS_PER_SECOND, UtcTime};

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
    #[error("cluster: {0}")]
    Cluster(String),
}

impl From<MissionError> for RunError {
    fn from(e: MissionError) -> Self {
        match e {
            MissionError::Engine(e) => RunError::Engine(e),
            MissionError::Inference(e) => RunError::Inference(e),
        }
    }
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
    /// What every registered mission model reported, in registration order.
    pub missions: Vec<MissionReport>,
    /// Geometry the report draws (it computes none itself).
    pub views: RunViews,
    /// Ground contact per station and satellite, when the run built any.
    pub contact_stats: Option<RunContactStats>,
}

/// The run's ground-contact statistics ([`contact_stats`]) and the plan they read.
#[derive(Debug, Clone, PartialEq)]
pub struct RunContactStats {
    /// `upload`: the plan built a day at a time for the upload, over the days it was
    /// built (it stops once every target runs the model); `inference`: the plan of the
    /// whole window built for questions from portals, when the upload's covers less.
    pub plan: &'static str,
    pub stats: ContactStats,
}

/// Satellites drawn one by one in the report (ground tracks, progress charts).
pub const DRAWN_SATELLITES: usize = 8;
/// Points per drawn ground track.
const TRACK_SAMPLES: usize = 200;

/// Geometry computed for the report's figures.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunViews {
    /// Up to [`DRAWN_SATELLITES`] targets (fleet index) with their ground track over their
    /// first orbit (at most a day): (longitude, latitude) in degrees.
    pub ground_tracks: Vec<(usize, Vec<(f64, f64)>)>,
    /// The uplink's rate against elevation from the first station at the fleet's median
    /// altitude, when there is anything to upload.
    pub uplink_rates: Option<RateCurve>,
    /// How each formation cluster holds over the window, in the scenario's order.
    pub clusters: Vec<ClusterView>,
}

/// A formation cluster's satellites and how it holds ([`cluster_hold`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterView {
    /// Name prefix of its satellites.
    pub name: String,
    /// Fleet index of its first satellite.
    pub first: usize,
    /// Number of satellites.
    pub count: usize,
    pub hold: Hold,
    /// Each satellite's offset from the centroid at the window's start, m, in the
    /// centroid's (radial, along-track, normal) frame ([`crate::orbit::cluster::hill_offsets`]).
    pub offsets_at_start_m: Vec<[f64; 3]>,
}

/// Time between samples of a cluster's separations, s: about 1/100 of a low orbit, so the
/// twice-per-orbit breathing of a formation is resolved.
pub const CLUSTER_SAMPLE_S: f64 = 60.0;

/// A link's information rate against elevation, for one station and altitude.
#[derive(Debug, Clone, PartialEq)]
pub struct RateCurve {
    /// Index into the stations.
    pub station: usize,
    pub altitude_km: f64,
    /// (elevation in degrees, information rate in bit/s), every 0.5° from 0° to 90°.
    pub points: Vec<(f64, u64)>,
}

/// The geometry behind the report's figures (see [`RunViews`]).
fn views(scenario: &Scenario) -> Result<RunViews, RunError> {
    let ground_tracks = (0..scenario.satellites.len())
        .filter(|&i| scenario.targets[i])
        .take(DRAWN_SATELLITES)
        .map(|i| {
            let sat = &scenario.satellites[i];
            (i, sat.ground_track(scenario.start, sat.elements.period_s().min(86_400.0), TRACK_SAMPLES))
        })
        .collect();
    let uplink_rates = match scenario.stations.first() {
        Some(station) if scenario.targets.contains(&true) => {
            let site = Site::new(station.site.lat_deg, station.site.lon_deg, station.site.alt_km);
            let mut altitudes: Vec<f64> =
                scenario.satellites.iter().map(|s| s.elements.semi_major_axis_km() - WGS84_A_KM).collect();
            altitudes.sort_by(f64::total_cmp);
            let altitude_km = altitudes[altitudes.len() / 2].max(150.0);
            let budget = LinkBudget::for_site(&scenario.uplink, &site).map_err(ContactError::from)?;
            let elevations = crate::link::elevation_grid_deg();
            let rates = budget.rate_vs_elevation(altitude_km, &elevations);
            Some(RateCurve { station: 0, altitude_km, points: elevations.into_iter().zip(rates).collect() })
        }
        _ => None,
    };
    let clusters = scenario
        .clusters
        .iter()
        .map(|(spec, first)| {
            let count = spec.count();
            let members = &scenario.satellites[*first..*first + count];
            let hold = cluster_hold(spec, members, scenario.start, scenario.end, CLUSTER_SAMPLE_S)
                .map_err(RunError::Cluster)?;
            let offsets_at_start_m = crate::orbit::cluster::hill_offsets(members, scenario.start);
            Ok(ClusterView { name: spec.prefix(), first: *first, count, hold, offsets_at_start_m })
        })
        .collect::<Result<_, RunError>>()?;
    Ok(RunViews { ground_tracks, uplink_rates, clusters })
}

/// How many plan steps the scenario's window spans (for progress reporting).
pub fn plan_steps(scenario: &Scenario) -> u64 {
    ((scenario.end.unix_nanos() - scenario.start.unix_nanos()) as u64).div_ceil(PLAN_STEP_NS as u64)
}

/// Runs a scenario with the models of [`REGISTRY`].
pub fn run(scenario: &Scenario, progress: &dyn Progress) -> Result<RunResult, RunError> {
    run_with(scenario, progress, REGISTRY)
}

/// Runs a scenario with the upload, inference (when the scenario asks for it) and the
/// mission models `models` make, all on one shared engine. Progress: one call per
/// satellite per plan step ([`plan_steps`]), then the rest of the window in simulated
/// seconds if a model runs on after the upload is done.
pub fn run_with(
    scenario: &Scenario,
    progress: &dyn Progress,
    models: &[MissionFactory],
) -> Result<RunResult, RunError> {
    // On a worker of the pool, the event loop's parallel phases (sky snapshots every 30
    // simulated seconds, trajectory blocks, plan steps) start with its thread taking part,
    // instead of handing each over to the pool and sleeping until it ends: a month of
    // inference makes about a hundred thousand of them.
    rayon::scope(|_| run_on_worker(scenario, progress, models))
}

fn run_on_worker(
    scenario: &Scenario,
    progress: &dyn Progress,
    models: &[MissionFactory],
) -> Result<RunResult, RunError> {
    let links: Vec<_> = std::iter::once(scenario.uplink.clone()).chain(scenario.downlink.clone()).collect();
    let isl_index = links.len() as u16;
    let mut plan = ContactPlan { links: links.clone(), ..ContactPlan::default() };
    plan.links.extend(scenario.isl.clone());
    let context = MissionContext {
        satellites: &scenario.satellites,
        planned: &scenario.targets,
        stations: &scenario.stations,
        start: scenario.start,
        end: scenario.end,
        seed: scenario.seed,
        model: &scenario.model,
        releases: &scenario.releases,
        upsets: scenario.upsets.as_ref(),
        training: scenario.training.as_ref(),
        outages: &scenario.outages,
    };
    let mut extras: Vec<Box<dyn MissionModel + '_>> = models.iter().filter_map(|make| make(&context)).collect();
    // Inference is set up before the upload starts so that it serves from each deployment.
    let inference_plan = match &scenario.inference {
        Some(config) => Some((config, inference_plan(scenario, config, progress)?)),
        None => None,
    };
    let inference_inputs =
        inference_plan.as_ref().map(|(config, plan)| inference_inputs(scenario, config, plan, progress));
    let mut inference = inference_inputs.as_ref().map(InferenceRun::new).transpose()?;
    let mut bus = Bus::new(scenario.start);

    let mut rollout = Rollout::new(scenario.rollout_inputs());
    let mut times = StageTimes::default();
    let mut step_start = scenario.start;
    let mut later_contacts = Vec::new();
    let mut deferred: Vec<Contact> = Vec::new();
    progress.begin(
        "contact plan and upload",
        scenario.satellites.len() as u64 * plan_steps(scenario),
        "satellite-days",
    );
    let on_satellite_done = || progress.advance(1);
    let build_step = |from: UtcTime| build_plan_step(scenario, &links, isl_index, from, &on_satellite_done);
    let mut built: Option<Result<PlanStep, RunError>> = None;
    while step_start < scenario.end && (!rollout.done() || extras.iter().any(|m| m.needs_plan())) {
        let step_end = step_start.plus_nanos(PLAN_STEP_NS).min(scenario.end);
        let step = built.take().unwrap_or_else(|| build_step(step_start))?;
        times.contact_plan_s += step.seconds;
        let started = Instant::now();
        // Failures cut contacts into pieces; a piece starting after this step joins the
        // next one, so that every step's contacts start after the last step's.
        let mut contacts = if deferred.is_empty() {
            step.contacts
        } else {
            merge_contacts(vec![step.contacts, std::mem::take(&mut deferred)])
        };
        deferred = contacts.split_off(contacts.partition_point(|c| c.start < step_end));
        plan.passes.extend(step.passes);
        plan.retirements.extend(step.retirements);
        for model in &mut extras {
            model.plan_extended(&contacts)?;
        }
        // Once every target runs the model the upload has nothing left to do: it leaves
        // the engine, and its outcome is read as of the end of that step.
        let uploading = !rollout.done();
        if uploading {
            rollout.add_contacts(contacts)?;
        } else {
            // Built for another model after the upload finished: still part of the plan.
            later_contacts.extend(contacts);
        }
        // The next step's plan is built while the engine runs this one when it is sure to
        // be wanted: the pool's other threads then search passes while the event loop,
        // which is serial, runs (a guess would cost a day of passes nobody asked for).
        let wanted_next = step_end < scenario.end
            && ((uploading && rollout.runs_past(step_end)) || extras.iter().any(|m| m.needs_plan()));
        let mut processes: Vec<&mut MissionProcess> = Vec::new();
        if uploading {
            processes.push(&mut rollout);
        }
        processes.extend(inference.as_mut().map(|i| i as &mut MissionProcess));
        processes.extend(extras.iter_mut().map(|m| m.as_mut() as &mut MissionProcess));
        let simulated = rayon::in_place_scope(|scope| {
            if wanted_next {
                scope.spawn(|_| built = Some(build_step(step_end)));
            }
            SharedEngine::new(processes, &mut bus).run_until(step_end)
        });
        simulated?;
        times.simulation_s += started.elapsed().as_secs_f64();
        step_start = step_end;
    }
    // A satellite retired in one step is retired in all later ones: report it once.
    progress.end();
    plan.retirements.sort_by_key(|r| (r.satellite, r.time));
    plan.retirements.dedup_by_key(|r| r.satellite);

    // The rest of the window, for the models that go on after the upload.
    if step_start < scenario.end && (inference.is_some() || !extras.is_empty()) {
        let label = if inference.is_some() { "inference simulation" } else { "mission models" };
        let mut processes: Vec<&mut MissionProcess> = Vec::new();
        processes.extend(inference.as_mut().map(|i| i as &mut MissionProcess));
        processes.extend(extras.iter_mut().map(|m| m.as_mut() as &mut MissionProcess));
        let started = Instant::now();
        run_in_minutes(SharedEngine::new(processes, &mut bus), step_start, scenario.end, label, progress)?;
        times.simulation_s += started.elapsed().as_secs_f64();
    }
    let (upload, contacts) = rollout.finish();
    plan.contacts = contacts;
    // Later steps start at or after the end of the rollout's last one: appended, the plan
    // stays in time order.
    plan.contacts.extend(later_contacts);
    let mut missions: Vec<MissionReport> = extras.iter().map(|m| m.report()).collect();
    if !scenario.releases.is_empty() {
        let history = VersionHistory::new(&scenario.model, &scenario.releases, &upload, scenario.start);
        let names: Vec<String> = scenario.satellites.iter().map(|s| s.name.clone()).collect();
        missions.push(versions_report(&history, &upload.sessions, &names, &scenario.name, scenario.end));
    }
    let views = views(scenario)?;
    let inference = inference.map(InferenceRun::finish);
    let upload_plan = ("upload", &plan, step_start, scenario.targets.clone());
    let portal_plan = inference_plan.as_ref().and_then(|(config, plan)| {
        portal_satellites(scenario, config).map(|covered| ("inference", plan, scenario.end, covered))
    });
    // The plan covering the longer span; the upload's when they tie.
    let (source, counted, span_end, covered) = match portal_plan {
        Some(portal) if step_start < scenario.end => portal,
        _ => upload_plan,
    };
    let has_ground = counted.contacts.iter().any(|c| c.kind == ContactKind::Uplink);
    let contact_stats = (span_end > scenario.start && has_ground).then(|| RunContactStats {
        plan: source,
        stats: contact_stats(&counted.contacts, 0, scenario.start, span_end, scenario.stations.len(), &covered),
    });
    Ok(RunResult { plan, upload, times, inference, missions, views, contact_stats })
}

/// One step of the contact plan: the passes rising in it and their contacts, the
/// inter-satellite contacts starting in it, cut by the outages (pieces may start after
/// the step: the caller carries them into the next one).
struct PlanStep {
    passes: Vec<Pass>,
    retirements: Vec<Retirement>,
    contacts: Vec<Contact>,
    /// Wall time it took to build, s.
    seconds: f64,
}

/// Builds the plan step of `PLAN_STEP_NS` from `step_start`.
fn build_plan_step(
    scenario: &Scenario,
    links: &[LinkParams],
    isl_index: u16,
    step_start: UtcTime,
    on_satellite_done: &(dyn Fn() + Sync),
) -> Result<PlanStep, RunError> {
    let started = Instant::now();
    let step_end = step_start.plus_nanos(PLAN_STEP_NS).min(scenario.end);
    // Passes rising in [step_start, step_end), found whole thanks to the look-ahead.
    let search = Window { start: step_start, end: step_end.plus_seconds(PASS_LOOKAHEAD_S).min(scenario.end) };
    let mut part = build_ground_contacts_for(
        &scenario.satellites,
        &scenario.targets,
        &scenario.stations,
        search,
        Some(step_end),
        links,
        scenario.seed,
        on_satellite_done,
    )?;
    let first_step = step_start == scenario.start;
    let belongs =
        |start: UtcTime, cut_start: bool| start < step_end && (first_step || !(cut_start && start == step_start));
    part.passes.retain(|p| belongs(p.aos, p.cut_start));
    part.contacts.retain(|c| belongs(c.start, c.start == step_start && !first_step));
    let mut contacts = part.contacts;
    if let (Some(link), Some(topology)) = (&scenario.isl, &scenario.isl_topology) {
        let max_range_km = match &link.technology {
            Technology::Optical(o) => o.max_range_km,
            Technology::Rf(_) => 0.0,
        };
        let isl_search = IslSearch { window: Window { start: step_start, end: step_end }, max_range_km, split_s: None };
        let mut found = find_isl_windows(&scenario.satellites, topology, &isl_search)?;
        // A link up when the step begins is not acquired again.
        for w in &mut found.windows {
            w.continues |= w.cut_start;
        }
        let isl = isl_contacts_from_windows(&found.windows, link, isl_index)?;
        contacts = merge_contacts(vec![contacts, isl]);
    }
    Ok(PlanStep {
        passes: part.passes,
        retirements: part.retirements.into_iter().filter(|r| r.time < step_end).collect(),
        contacts: cut_outages(contacts, &scenario.outages),
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Runs `engine` from `from` to `end` a simulated minute at a time, showing progress in
/// simulated seconds under `label` (per event would be millions of calls).
fn run_in_minutes(
    mut engine: SharedEngine<MissionEvent, MissionError>,
    from: UtcTime,
    end: UtcTime,
    label: &str,
    progress: &dyn Progress,
) -> Result<(), MissionError> {
    let span_s = ((end.unix_nanos() - from.unix_nanos()) as u64).div_ceil(NANOS_PER_SECOND as u64);
    progress.begin(label, span_s, "simulated s");
    let mut t = from;
    while t < end {
        t = t.plus_nanos(60 * NANOS_PER_SECOND).min(end);
        engine.run_until(t)?;
        progress.set_position(((t.unix_nanos() - from.unix_nanos()) / NANOS_PER_SECOND) as u64);
    }
    progress.end();
    Ok(())
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
    let mut runs = Vec::new();
    if let Some(include) = portal_satellites(scenario, config) {
        progress.begin("inference ground contacts", scenario.satellites.len() as u64, "satellites");
        let ground = build_ground_contacts_for(
            &scenario.satellites,
            &include,
            &scenario.stations,
            window,
            None,
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
    plan.contacts = cut_outages(merge_contacts(runs), &scenario.outages);
    Ok(plan)
}

/// The satellites whose ground contacts inference needs, when a source is a portal: with
/// laser links any satellite over a portal station can relay; without, only the serving
/// satellites matter.
fn portal_satellites(scenario: &Scenario, config: &InferenceConfig) -> Option<Vec<bool>> {
    let portal =
        config.sources.iter().any(|s| matches!(s.terminals, crate::mission::inference::spec::Terminals::Portal(_)));
    portal.then(|| if scenario.isl.is_some() { vec![true; scenario.satellites.len()] } else { config.serving.clone() })
}

/// What the inference model reads of the scenario, with its contact plan.
fn inference_inputs<'a>(
    scenario: &'a Scenario,
    config: &'a InferenceConfig,
    plan: &'a ContactPlan,
    progress: &'a dyn Progress,
) -> InferenceInputs<'a> {
    InferenceInputs {
        satellites: &scenario.satellites,
        stations: &scenario.stations,
        start: scenario.start,
        end: scenario.end,
        seed: scenario.seed,
        config,
        plan,
        progress,
        upset_policy: scenario.upsets.as_ref().map(|u| u.policy),
        outages: &scenario.outages,
    }
}

/// Runs the inference model alone over a given contact plan (e.g. one a test built), the
/// satellites running the versions `upload` logged when it logged them (replayed on the bus).
pub fn run_inference_on(
    scenario: &Scenario,
    config: &InferenceConfig,
    plan: &ContactPlan,
    upload: &UploadOutcome,
    progress: &dyn Progress,
) -> Result<InferenceOutcome, RunError> {
    let inputs = inference_inputs(scenario, config, plan, progress);
    let mut inference = InferenceRun::new(&inputs)?;
    let mut history = Bus::new(scenario.start);
    let mut changes = upload.version_log.clone();
    changes.sort_by_key(|c| c.at);
    for change in changes {
        history.publish_at(change.at.max(scenario.start), change.event())?;
    }
    let engine = SharedEngine::new(vec![&mut inference as &mut MissionProcess], &mut history);
    run_in_minutes(engine, scenario.start, scenario.end, "inference simulation", progress)?;
    Ok(inference.finish())
}
