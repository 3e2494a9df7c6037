//! `orbsim run` and `orbsim validate` with an `[inference]` section: the files written,
//! byte-identical across thread counts, the latency decomposition checked from the CSV
//! itself, and one clear error line with the field path (exit code 2) for bad input.

mod common;

use std::process::Command;

use common::*;

fn run_demo(dir: &std::path::Path, threads: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_orbsim"))
        .args(["run", repo("scenarios/qwen3-scs01-inference.toml").to_str().unwrap(), "--out", dir.to_str().unwrap()])
        .env("RAYON_NUM_THREADS", threads)
        .output()
        .unwrap()
}

/// Seconds written with nine decimals, as integer nanoseconds (exact, no floating point).
fn ns(field: &str) -> i64 {
    let (whole, frac) = field.split_once('.').unwrap_or((field, ""));
    assert_eq!(frac.len(), 9, "{field}");
    whole.parse::<i64>().unwrap() * 1_000_000_000 + frac.parse::<i64>().unwrap()
}

#[test]
fn the_demonstration_writes_its_files_identically_on_any_thread_count() {
    let (a, b) = (scratch("inference-1"), scratch("inference-2"));
    let out = run_demo(&a, "1");
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("inference: ") && text.contains("answered"), "{text}");
    assert!(run_demo(&b, "2").status.success());
    for file in ["inference_requests.csv", "inference_satellites.csv", "eclipses.csv", "summary.json"] {
        let (x, y) = (std::fs::read(a.join(file)).unwrap(), std::fs::read(b.join(file)).unwrap());
        assert!(x == y, "{file} differs between 1 and 2 threads");
    }
    // Its figures are valid, non-trivial files and appear in report.html.
    let html = std::fs::read_to_string(a.join("report.html")).unwrap();
    for name in ["inference_latency_cdf", "eclipse_timeline"] {
        let png = std::fs::read(a.join(format!("{name}.png"))).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 5_000, "{name}.png");
        let svg = std::fs::read_to_string(a.join(format!("{name}.svg"))).unwrap();
        assert!(svg.contains("<svg") && svg.contains("</svg>") && svg.len() > 1_000, "{name}.svg");
        assert!(html.contains(name), "report.html lacks {name}");
    }

    // The decomposition, from the file: the phases add up to the latency to the nanosecond.
    let csv = std::fs::read_to_string(a.join("inference_requests.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap_or_else(|| panic!("{name}"));
    let phases =
        ["uplink_wait_s", "up_s", "isl_out_s", "queue_s", "compute_s", "answer_wait_s", "isl_back_s", "down_s"];
    let (outcome, latency) = (col("outcome"), col("latency_s"));
    let mut answered = 0;
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f.len(), header.len(), "{line}");
        if f[outcome] == "answered" {
            let sum: i64 = phases.iter().map(|p| ns(f[col(p)])).sum();
            assert_eq!(sum, ns(f[latency]), "{line}");
            answered += 1;
        } else {
            assert_eq!(f[latency], "");
        }
    }
    assert!(answered > 50, "{answered}");

    let summary: serde_json::Value = serde_json::from_slice(&std::fs::read(a.join("summary.json")).unwrap()).unwrap();
    let inf = &summary["inference"];
    assert_eq!(inf["requests"].as_u64().unwrap() as usize, csv.lines().count() - 1);
    assert!(inf["latency_s"]["p99"].as_f64().unwrap() >= inf["latency_s"]["p50"].as_f64().unwrap());
    let in_view = &inf["asked_in_view"];
    assert_eq!(in_view["answered_within_120_s"], in_view["requests"]);
    assert!(inf["asked_out_of_view"]["timeout"].as_u64().unwrap() > 0);
    assert_eq!(inf["per_satellite"].as_array().unwrap().len(), 1);
    assert!(inf["per_satellite"][0]["energy"]["min_state_of_charge"].as_f64().unwrap() > 0.3);
    let eclipses = std::fs::read_to_string(a.join("eclipses.csv")).unwrap();
    assert!(eclipses.starts_with("satellite,start_utc,end_utc"));
    assert!(eclipses.lines().count() > 100, "12 days of 15 eclipses a day");
}

/// Writes the demonstration scenario with one edit and runs `validate` on it.
fn validate_with(name: &str, from: &str, to: &str) -> std::process::Output {
    let text = std::fs::read_to_string(repo("scenarios/qwen3-scs01-inference.toml")).unwrap();
    assert!(text.contains(from), "{from}");
    let dir = scratch(name);
    let path = dir.join("s.toml");
    std::fs::write(&path, text.replace("../data", repo("data").to_str().unwrap()).replacen(from, to, 1)).unwrap();
    orbsim(&["validate", path.to_str().unwrap()])
}

const PORTAL: &str = "kind = \"portal\"\nstations = [\"Chengdu\", \"Kashi\"]";

#[test]
fn bad_inference_input_gets_one_line_with_the_field_path() {
    let users_csv = scratch("users-csv").join("users.csv");
    std::fs::write(&users_csv, "name,lat_deg,lon_deg\nship-1,10.0,150.0\nship-2,95.0,150.0\n").unwrap();
    let csv_source = format!("kind = \"users\"\nfile = \"{}\"", users_csv.display());
    for (name, from, to, needle) in [
        ("negative-rate", "rate = \"4/h\"", "rate = \"-4/h\"", "inference.sources[0].rate: -4 per hour must be > 0"),
        (
            "bad-rate-unit",
            "rate = \"4/h\"",
            "rate = \"4/fortnight\"",
            "inference.sources[0].rate: `4/fortnight` is not a request rate",
        ),
        ("zero-tops", "tops = 744", "tops = 0", "inference.accelerator.tops: 0 is outside 1e-6…1000000 TOPS"),
        (
            "zero-bandwidth",
            "memory_bandwidth = \"204.8 GB/s\"",
            "memory_bandwidth = \"0 GB/s\"",
            "inference.accelerator.memory_bandwidth",
        ),
        ("too-small", "memory = \"64 GB\"", "memory = \"4 GB\"", "inference.accelerator.memory: 4.000 GB cannot hold"),
        (
            "negative-tokens",
            "prompt_tokens = { dist = \"lognormal\", median = 60, sigma = 0.7, max = 2048 }",
            "prompt_tokens = { dist = \"uniform\", min = -10, max = 100 }",
            "inference.sources[0].prompt_tokens.min: -10 is negative",
        ),
        ("negative-median", "median = 300", "median = -300", "inference.sources[0].output_tokens.median"),
        (
            "unknown-dist",
            "dist = \"lognormal\", median = 300",
            "dist = \"pareto\", median = 300",
            "inference.sources[0].output_tokens",
        ),
        (
            "latitude",
            PORTAL,
            "kind = \"users\"\nusers = [{ name = \"ship\", lat_deg = 95.0, lon_deg = 120.0 }]",
            "inference.sources[0].users[0].lat_deg: 95 is outside",
        ),
        ("latitude-csv", PORTAL, csv_source.as_str(), "inference.sources[0].file"),
        (
            "station",
            "stations = [\"Chengdu\", \"Kashi\"]",
            "stations = [\"Chengdu\", \"Nowhere\"]",
            "inference.sources[0].stations[1]: `Nowhere` matches no scenario station",
        ),
        ("unknown-key", "timeout = \"3h\"", "timout = \"3h\"", "inference.timout: unknown field `timout`"),
        ("negative-timeout", "timeout = \"3h\"", "timeout = \"-3h\"", "inference.timeout"),
        ("floor", "floor = 0.3", "floor = 1.5", "inference.power.floor"),
        ("battery", "battery = \"400 Wh\"", "battery = \"-400 Wh\"", "inference.power.battery"),
        (
            "source-window",
            "start = \"2025-11-22T00:00:00Z\"",
            "start = \"2026-11-22T00:00:00Z\"",
            "inference.sources[0].start",
        ),
    ] {
        let out = validate_with(name, from, to);
        assert_input_error(&out, needle);
    }
    // The CSV error names the file's line.
    let out = validate_with("latitude-csv-line", PORTAL, &csv_source);
    assert!(stderr(&out).contains("users.csv:3"), "{}", stderr(&out));
}

#[test]
fn run_rejects_bad_inference_input_too() {
    let text = std::fs::read_to_string(repo("scenarios/qwen3-scs01-inference.toml")).unwrap();
    let dir = scratch("run-bad-inference");
    let path = dir.join("s.toml");
    std::fs::write(
        &path,
        text.replace("../data", repo("data").to_str().unwrap()).replacen("tops = 744", "tops = -1", 1),
    )
    .unwrap();
    let out = orbsim(&["run", path.to_str().unwrap(), "--out", dir.join("out").to_str().unwrap()]);
    assert_input_error(&out, "inference.accelerator.tops");
    assert!(!dir.join("out").exists());
}

/// Writes the demonstration scenario with text edits (`from` → `to`, each once) into `dir`.
fn demo_with(dir: &std::path::Path, edits: &[(&str, &str)]) -> std::path::PathBuf {
    let mut text = std::fs::read_to_string(repo("scenarios/qwen3-scs01-inference.toml")).unwrap();
    for (from, to) in edits {
        assert!(text.contains(from), "{from}");
        text = text.replacen(from, to, 1);
    }
    let path = dir.join("s.toml");
    std::fs::write(&path, text.replace("../data", repo("data").to_str().unwrap())).unwrap();
    path
}

#[test]
fn a_preinstalled_model_without_an_upload_section_uploads_nothing() {
    let upload = "[upload]\nprotocol = \"cfdp\"\nnak_round_trip = \"2s\"\npacket_size = \"1 KiB\"\n\
                  loss = { model = \"fixed\", packet_error_rate = 1e-6 }\nscheduling = \"most-remaining\"\n";
    let preinstalled = ("preinstalled = false", "preinstalled = true");

    let dir = scratch("preinstalled-no-upload");
    let path = demo_with(&dir, &[preinstalled, (upload, "")]);
    let out = orbsim(&["run", path.to_str().unwrap(), "--out", dir.join("out").to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("preinstalled on board") && text.contains("answered"), "{text}");
    assert!(!text.contains("deployed"), "{text}");
    let summary = std::fs::read_to_string(dir.join("out/upload_summary.csv")).unwrap();
    assert_eq!(summary.lines().count(), 1, "only the header: nothing uploaded");
    let html = std::fs::read_to_string(dir.join("out/report.html")).unwrap();
    assert!(html.contains("answer latency p50") && !html.contains("upload_progress"));

    // With the section, or without a preinstalled model, the upload runs as before.
    for (name, edits) in [("preinstalled-with-upload", vec![preinstalled]), ("no-upload-section", vec![(upload, "")])] {
        let dir = scratch(name);
        let path = demo_with(&dir, &edits);
        let out = orbsim(&["run", path.to_str().unwrap(), "--out", dir.join("out").to_str().unwrap(), "--quiet"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let summary = std::fs::read_to_string(dir.join("out/upload_summary.csv")).unwrap();
        assert_eq!(summary.lines().count(), 2, "{name}: one satellite uploaded");
    }
}
