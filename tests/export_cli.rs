//! `orbsim export` end to end: CZML and OEM files written, reproducible with
//! `SOURCE_DATE_EPOCH`, and one clear line with exit code 2 for every kind of bad input.

mod common;

use std::process::Command;

use common::*;

const TLES: &str = "\
ISS (ZARYA)
1 25544U 98067A   14020.93268519  .00009878  00000-0  18200-3 0  5082
2 25544  51.6498 109.4756 0003572  55.9686 274.8005 15.49815350868473
ISS DEBRIS
1 25544U 98067A   14020.93268519  .00009878  00000-0  18200-3 0  5082
2 25544  51.6498 209.4756 0003572  55.9686 174.8005 15.49815350868473
";
const STATIONS: &str = "name,lat_deg,lon_deg,alt_m\nBluffton,40.8939,-83.8917,0\nSvalbard,78.23,15.41,450\n";

fn setup(name: &str) -> (std::path::PathBuf, String, String) {
    let dir = scratch(name);
    let tle_path = dir.join("sats.tle");
    let st_path = dir.join("stations.csv");
    std::fs::write(&tle_path, TLES).unwrap();
    std::fs::write(&st_path, STATIONS).unwrap();
    (dir, tle_path.display().to_string(), st_path.display().to_string())
}

fn args<'a>(tle: &'a str, st: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args =
        vec!["export", "--tle", tle, "--stations", st, "--start", "2014-01-23T00:00:00Z", "--duration", "12h"];
    args.extend_from_slice(extra);
    args
}

#[test]
fn writes_czml_and_oem_files() {
    let (dir, tle, st) = setup("export-ok");
    let czml = dir.join("out/scene.czml");
    let oem_dir = dir.join("oem");
    let (czml_s, oem_s) = (czml.display().to_string(), oem_dir.display().to_string());
    let out = orbsim(&args(&tle, &st, &["--czml", &czml_s, "--oem", &oem_s, "--oem-name", "zarya", "--step", "2m"]));
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("2 satellites, 2 stations") && err.contains("1 OEM file"), "{err}");

    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&czml).unwrap()).unwrap();
    let packets = doc.as_array().unwrap();
    assert_eq!(packets[0]["id"], "document");
    assert_eq!(packets[1]["id"], "sat-0-iss-zarya");
    assert_eq!(packets[2]["id"], "sat-1-iss-debris");
    // 12 h at 2 min: 361 samples of (t, x, y, z).
    assert_eq!(packets[1]["position"]["cartesian"].as_array().unwrap().len(), 4 * 361);
    let passes = packets.iter().filter(|p| p["id"].as_str().unwrap().starts_with("contact-")).count();
    assert!(passes > 0, "passes are drawn as contacts");

    let files: Vec<String> =
        std::fs::read_dir(&oem_dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(files, ["iss-zarya.oem"]);
    let oem = std::fs::read_to_string(oem_dir.join("iss-zarya.oem")).unwrap();
    assert!(oem.contains("REF_FRAME = TEME\n") && oem.contains("START_TIME = 2014-01-23T00:00:00.000\n"));
    assert_eq!(oem.lines().filter(|l| l.starts_with("2014-")).count(), 361);
}

#[test]
fn oem_files_are_reproducible_with_source_date_epoch() {
    let (dir, tle, st) = setup("export-reproducible");
    let run = |sub: &str| {
        let oem_dir = dir.join(sub).display().to_string();
        let out = Command::new(env!("CARGO_BIN_EXE_orbsim"))
            .args(args(&tle, &st, &["--oem", &oem_dir, "--oem-frame", "itrf", "--quiet"]))
            .env("SOURCE_DATE_EPOCH", "1700000000")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(out.stderr.is_empty(), "--quiet");
        std::fs::read(dir.join(sub).join("iss-debris.oem")).unwrap()
    };
    let (a, b) = (run("a"), run("b"));
    assert_eq!(a, b);
    let text = String::from_utf8(a).unwrap();
    assert!(text.contains("CREATION_DATE = 2023-11-14T22:13:20.000\n"), "{text}");
    assert!(text.contains("REF_FRAME = ITRF\n"));
}

#[test]
fn bad_input_gets_one_line_and_exit_code_2() {
    let (dir, tle, st) = setup("export-bad");
    let czml = dir.join("x.czml").display().to_string();
    let oem = dir.join("oem").display().to_string();
    let cases: &[(&[&str], &str)] = &[
        (&["--czml", &czml, "--step", "0s"], "--step: the step must be longer than zero"),
        (&["--czml", &czml, "--step", "-60s"], "--step: duration `-60s` must not be negative"),
        (&["--czml", &czml, "--step", "often"], "--step: `often` is not a duration"),
        (&["--czml", &czml, "--step", "60"], "--step: `60` is not a duration"),
        (&["--czml", &czml, "--step", "1ns"], "--step: a step of"),
        (&["--oem", &oem, "--oem-name", "hubble"], "--oem-name: no satellite name contains `hubble`"),
        (&["--oem", &oem, "--oem-name", "zarya", "--oem-name", "tiangong"], "`tiangong`"),
        (&["--oem-name", "zarya"], "--oem-name: needs --oem"),
        (&["--oem", &oem, "--oem-frame", "j2000"], "--oem-frame: `j2000` is not a frame"),
        (&[], "nothing to export"),
    ];
    for (extra, needle) in cases {
        let out = orbsim(&args(&tle, &st, extra));
        assert_input_error(&out, needle);
    }
    assert!(!dir.join("x.czml").exists() && !dir.join("oem").exists(), "nothing written on bad input");
}
