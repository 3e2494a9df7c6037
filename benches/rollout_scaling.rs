//! How the run pipeline (passes, contact plan, rollout) scales with the fleet: the relay and
//! swarm rollouts of `scenarios/xingsuan-2800.toml` with every shell scaled to 2,800,
//! 5,600, 11,200, 28,000 and 56,000 satellites (planes multiplied, 30 satellites a plane
//! kept). Prints wall time, CPU time and peak memory, in total and per satellite, and
//! draws `rollout_scaling.png`/`.svg` (per-satellite time against fleet size, log-log).
//!
//! `cargo bench --bench rollout_scaling`. Each case runs in a child process of this
//! benchmark so that its peak memory is its own. Environment: `ROLLOUT_SCALING_RUNS`
//! (runs per case, median reported; default 1), `ROLLOUT_SCALING_FACTORS` (comma-separated
//! multiples of 2,800; default 1,2,4,10,20), `ROLLOUT_SCALING_FIGURE` (figure path stem;
//! default `target/rollout_scaling`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use orbsim::report::plot::{LineChart, Scale, Series, SeriesKind};

const STRATEGIES: [&str; 2] = ["relay", "swarm"];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--case") {
        let factor: u32 = args[i + 2].parse().expect("factor");
        run_case(&args[i + 1], factor);
        return;
    }
    let runs: usize = env_or("ROLLOUT_SCALING_RUNS", "1").parse().expect("ROLLOUT_SCALING_RUNS");
    let factors: Vec<u32> = env_or("ROLLOUT_SCALING_FACTORS", "1,2,4,10,20")
        .split(',')
        .map(|f| f.trim().parse().expect("ROLLOUT_SCALING_FACTORS"))
        .collect();
    println!("strategy | satellites | wall s | CPU s | peak MB | wall ms/sat | CPU ms/sat | peak KB/sat");
    let mut series = Vec::new();
    for strategy in STRATEGIES {
        let mut points = Vec::new();
        for &factor in &factors {
            let mut samples: Vec<Sample> = (0..runs).map(|_| child(strategy, factor)).collect();
            let median = |key: fn(&Sample) -> f64, samples: &mut Vec<Sample>| {
                samples.sort_by(|a, b| key(a).total_cmp(&key(b)));
                key(&samples[samples.len() / 2])
            };
            let sats = samples[0].satellites as f64;
            let wall = median(|s| s.wall_s, &mut samples);
            let cpu = median(|s| s.cpu_s, &mut samples);
            let peak_kb = median(|s| s.peak_kb, &mut samples);
            println!(
                "{strategy} | {sats} | {wall:.2} | {cpu:.2} | {:.0} | {:.3} | {:.3} | {:.1}",
                peak_kb / 1024.0,
                1e3 * wall / sats,
                1e3 * cpu / sats,
                peak_kb / sats
            );
            points.push((sats.log10(), 1e3 * cpu / sats));
        }
        series.push(Series::new(format!("{strategy}: CPU time per satellite"), SeriesKind::Line, points));
    }
    let chart = LineChart {
        title: "Run time per satellite against fleet size".into(),
        subtitle: "xingsuan-2800 with every shell scaled; passes, contact plan and rollout".into(),
        x_label: "Satellites (log10)".into(),
        y_label: "CPU time per satellite (ms)".into(),
        series,
        y_scale: Scale::Log,
        ..Default::default()
    };
    let stem = PathBuf::from(env_or("ROLLOUT_SCALING_FIGURE", "target/rollout_scaling"));
    match orbsim::report::save_figure(&chart, &stem) {
        Ok(_) => println!("figure: {}.png", stem.display()),
        Err(e) => eprintln!("figure not written: {e}"),
    }
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

struct Sample {
    satellites: u64,
    wall_s: f64,
    cpu_s: f64,
    peak_kb: f64,
}

/// Runs one case in a child process and reads the line it prints.
fn child(strategy: &str, factor: u32) -> Sample {
    let exe = std::env::current_exe().expect("benchmark executable");
    let out =
        Command::new(exe).args(["--case", strategy, &factor.to_string()]).output().expect("benchmark child process");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "case {strategy} ×{factor} failed: {}", String::from_utf8_lossy(&out.stderr));
    let fields: Vec<f64> = text.split_whitespace().map(|f| f.parse().expect("numbers from the child")).collect();
    Sample { satellites: fields[0] as u64, wall_s: fields[1], cpu_s: fields[2], peak_kb: fields[3] }
}

/// The child: scale the scenario, run it, print satellites, wall s, CPU s and peak KB.
fn run_case(strategy: &str, factor: u32) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("scenarios/xingsuan-2800.toml")).expect("scenario");
    let scaled: String = text
        .lines()
        .map(|line| {
            let scale = |key: &str| {
                line.strip_prefix(key)
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(|n| format!("{key}{}", n * factor as u64))
            };
            scale("total = ").or_else(|| scale("planes = ")).unwrap_or_else(|| line.to_string())
        })
        .map(|line| if line.starts_with("strategy = ") { format!("strategy = \"{strategy}\"") } else { line })
        .collect::<Vec<_>>()
        .join("\n");
    let path = root.join("scenarios").join(format!(".rollout-scaling-{}.toml", std::process::id()));
    std::fs::write(&path, scaled).expect("write the scaled scenario");
    let scenario = orbsim::scenario::load_scenario(&path, None);
    let _ = std::fs::remove_file(&path);
    let scenario = scenario.expect("scaled scenario");
    let cpu0 = cpu_seconds();
    let t0 = Instant::now();
    let result = orbsim::pipeline::run(&scenario, &orbsim::progress::Silent).expect("run");
    let wall = t0.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu0;
    let deployed = result.upload.satellites.iter().filter(|s| s.deployed.is_some()).count();
    let targets = result.upload.satellites.iter().filter(|s| s.target).count();
    assert_eq!(deployed, targets, "every target runs the model");
    println!("{} {wall} {cpu} {}", scenario.satellites.len(), status_kb("VmHWM:"));
}

/// User and system CPU seconds of this process (all threads), from /proc.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    // Fields after the command name (which is in parentheses): utime and stime are the
    // 14th and 15th fields of the line, in clock ticks (100 per second on Linux).
    let after = &stat[stat.rfind(')').expect("stat format") + 2..];
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = f[11].parse::<f64>().expect("utime") + f[12].parse::<f64>().expect("stime");
    ticks / 100.0
}

/// A `/proc/self/status` field in kB.
fn status_kb(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status.lines().find(|l| l.starts_with(field)).expect("status field");
    line[field.len()..].trim().trim_end_matches("kB").trim().parse().expect("kB value")
}
