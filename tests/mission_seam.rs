//! The mission-model seam: a model registered from outside the crate runs on the shared
//! engine beside the upload, hears every deployment at the instant it happens, and its
//! report reaches summary.json, the console and report.html; a model cannot write outside
//! the run's folder.

use std::path::{Path, PathBuf};

use orbsim::engine::{Bus, Process};
use orbsim::mission::{
    MissionChart, MissionContext, MissionError, MissionEvent, MissionFigure, MissionModel, MissionReport, MissionTable,
};
use orbsim::pipeline::run_with;
use orbsim::report::plot::{LineChart, Series, SeriesKind};
use orbsim::report::summary::RunSummary;
use orbsim::scenario::load_scenario;
use orbsim::time::UtcTime;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Listens to the bus and nothing else: every deployment of the model with its time.
struct Listener {
    heard: Vec<(u32, UtcTime)>,
    table: &'static str,
}

impl Process<MissionEvent, MissionError> for Listener {
    fn next_event_time(&self) -> Option<UtcTime> {
        None
    }
    fn run_until(&mut self, _limit: UtcTime, _bus: &mut Bus<MissionEvent>) -> Result<(), MissionError> {
        Ok(())
    }
    fn receive(&mut self, at: UtcTime, event: &MissionEvent, _bus: &mut Bus<MissionEvent>) -> Result<(), MissionError> {
        if let MissionEvent::VersionDeployed { satellite, version: 0 } = *event {
            self.heard.push((satellite, at));
        }
        Ok(())
    }
}

impl MissionModel<'_> for Listener {
    fn name(&self) -> &'static str {
        "listener"
    }
    fn report(&self) -> MissionReport {
        MissionReport {
            name: "listener",
            summary: serde_json::json!({ "deployments_heard": self.heard.len() }),
            headline: vec![format!("heard {} deployments", self.heard.len())],
            tables: vec![MissionTable {
                file: self.table.into(),
                header: vec!["satellite".into(), "held_from_ns".into()],
                rows: self.heard.iter().map(|(s, t)| vec![s.to_string(), t.unix_nanos().to_string()]).collect(),
            }],
            figures: vec![MissionFigure {
                name: "listener_deployments".into(),
                chart: MissionChart::Time(LineChart {
                    title: "Deployments heard".into(),
                    x_label: "Time".into(),
                    y_label: "Satellites".into(),
                    series: vec![Series::new(
                        "heard",
                        SeriesKind::Step,
                        self.heard.iter().enumerate().map(|(k, &(_, t))| (t, (k + 1) as f64)).collect(),
                    )],
                    ..LineChart::default()
                }),
            }],
        }
    }
}

fn listener<'a>(_: &MissionContext<'a>) -> Option<Box<dyn MissionModel<'a> + 'a>> {
    Some(Box::new(Listener { heard: Vec::new(), table: "listener.csv" }))
}

fn escaping_listener<'a>(_: &MissionContext<'a>) -> Option<Box<dyn MissionModel<'a> + 'a>> {
    Some(Box::new(Listener { heard: Vec::new(), table: "../escape.csv" }))
}

#[test]
fn a_registered_model_hears_every_deployment_when_it_happens_and_is_reported() {
    let scenario = load_scenario(&repo("scenarios/walker100-upload.toml"), None).unwrap();
    let result = run_with(&scenario, &orbsim::progress::Silent, &[listener]).unwrap();
    // Every satellite the upload deployed was announced once, at its deployment instant.
    let mut deployed: Vec<(u32, UtcTime)> = result
        .upload
        .satellites
        .iter()
        .enumerate()
        .filter_map(|(i, s)| s.deployed.filter(|&d| d <= scenario.end).map(|d| (i as u32, d)))
        .collect();
    deployed.sort_unstable();
    assert!(deployed.len() > 50, "the scenario deploys most of its 100 satellites: {}", deployed.len());
    let report = &result.missions[0];
    assert_eq!(report.summary["deployments_heard"], deployed.len());
    let mut heard: Vec<(u32, UtcTime)> = report.tables[0]
        .rows
        .iter()
        .map(|r| (r[0].parse().unwrap(), UtcTime::from_unix_nanos(r[1].parse().unwrap())))
        .collect();
    heard.sort_unstable();
    assert_eq!(heard, deployed);

    let dir = std::env::temp_dir().join(format!("orbsim-seam-{}", std::process::id()));
    let written =
        orbsim::report::run::write_run(&dir, &scenario, &result, &RunSummary::new(&scenario, &result)).unwrap();
    assert!(written.iter().any(|p| p.ends_with("listener.csv")));
    assert!(std::fs::read(dir.join("listener_deployments.png")).unwrap().starts_with(b"\x89PNG"));
    assert!(std::fs::read_to_string(dir.join("listener_deployments.svg")).unwrap().contains("<svg"));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["missions"]["listener"]["deployments_heard"], deployed.len());
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("<h2>listener</h2>") && html.contains(&format!("heard {} deployments", deployed.len())));
    assert!(html.contains("<figure id=\"listener_deployments\">"), "the model's figure is in the page");
    let console =
        orbsim::report::summary::console_summary(&scenario, &result, &RunSummary::new(&scenario, &result), &dir);
    assert!(console.contains(&format!("  listener: heard {} deployments", deployed.len())), "{console}");
    let csv = std::fs::read_to_string(dir.join("listener.csv")).unwrap();
    assert_eq!(csv.lines().count(), deployed.len() + 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The same run without the listener gives the same upload: listening changes nothing.
#[test]
fn a_listening_model_does_not_change_the_upload() {
    let scenario = load_scenario(&repo("scenarios/qwen3-scs01.toml"), None).unwrap();
    let alone = run_with(&scenario, &orbsim::progress::Silent, &[]).unwrap();
    let with = run_with(&scenario, &orbsim::progress::Silent, &[listener]).unwrap();
    assert_eq!(alone.upload.satellites, with.upload.satellites);
    assert_eq!(alone.upload.sessions, with.upload.sessions);
    assert!(alone.missions.is_empty() && with.missions.len() == 1);
}

#[test]
fn a_model_cannot_write_outside_the_run_folder() {
    let scenario = load_scenario(&repo("scenarios/qwen3-scs01.toml"), None).unwrap();
    let result = run_with(&scenario, &orbsim::progress::Silent, &[escaping_listener]).unwrap();
    let dir = std::env::temp_dir().join(format!("orbsim-seam-escape-{}", std::process::id()));
    let err = orbsim::report::run::write_run(&dir, &scenario, &result, &RunSummary::new(&scenario, &result))
        .unwrap_err()
        .to_string();
    assert!(err.contains("listener") && err.contains("plain .csv"), "{err}");
    assert!(!dir.exists(), "a failed run leaves no folder");
    assert!(!std::env::temp_dir().join("escape.csv").exists());
}

/// Asks for the plan through the whole window and counts the uplink contacts it is given.
struct PlanReader {
    uplinks: usize,
}

impl Process<MissionEvent, MissionError> for PlanReader {
    fn next_event_time(&self) -> Option<UtcTime> {
        None
    }
    fn run_until(&mut self, _limit: UtcTime, _bus: &mut Bus<MissionEvent>) -> Result<(), MissionError> {
        Ok(())
    }
}

impl MissionModel<'_> for PlanReader {
    fn name(&self) -> &'static str {
        "plan_reader"
    }
    fn needs_plan(&self) -> bool {
        true
    }
    fn plan_extended(&mut self, contacts: &[orbsim::contact::Contact]) -> Result<(), MissionError> {
        self.uplinks += contacts.iter().filter(|c| c.kind == orbsim::contact::ContactKind::Uplink).count();
        Ok(())
    }
    fn report(&self) -> MissionReport {
        MissionReport {
            name: "plan_reader",
            summary: serde_json::json!({ "uplinks": self.uplinks }),
            headline: Vec::new(),
            tables: Vec::new(),
            figures: Vec::new(),
        }
    }
}

fn plan_reader<'a>(_: &MissionContext<'a>) -> Option<Box<dyn MissionModel<'a> + 'a>> {
    Some(Box::new(PlanReader { uplinks: 0 }))
}

/// A model that needs the plan past the upload's end gets every day of it, and the run's
/// plan keeps every contact built (one uplink per pass here: one station antenna each).
#[test]
fn a_model_needing_the_plan_gets_all_of_it_and_the_run_keeps_it() {
    let scenario = load_scenario(&repo("scenarios/qwen3-scs01.toml"), None).unwrap();
    let alone = run_with(&scenario, &orbsim::progress::Silent, &[]).unwrap();
    let with = run_with(&scenario, &orbsim::progress::Silent, &[plan_reader]).unwrap();
    // The upload ends two days before the window: alone, the plan stops there.
    assert!(alone.plan.passes.len() < with.plan.passes.len(), "{} passes", alone.plan.passes.len());
    let uplinks = with.plan.contacts.iter().filter(|c| c.kind == orbsim::contact::ContactKind::Uplink).count();
    assert_eq!(uplinks, with.plan.passes.len());
    assert_eq!(with.missions[0].summary["uplinks"], uplinks);
    assert!(with.plan.contacts.windows(2).all(|w| w[0].start <= w[1].start), "the plan stays in time order");
    assert_eq!(alone.upload.satellites, with.upload.satellites);
}
