//! `orbsim passes` end to end: output format, and one clear line with exit code 2 for
//! every kind of bad input.

mod common;

use common::*;

const ISS: &str = "ISS (ZARYA)\n1 25544U 98067A   14020.93268519  .00009878  00000-0  18200-3 0  5082\n2 25544  51.6498 109.4756 0003572  55.9686 274.8005 15.49815350868473\n";
const STATIONS: &str = "name,lat_deg,lon_deg,alt_m\nBluffton,40.8939,-83.8917,0\n";

fn setup(name: &str, tle: &str, stations: &str) -> (std::path::PathBuf, String, String) {
    let dir = scratch(name);
    let tle_path = dir.join("sats.tle");
    let st_path = dir.join("stations.csv");
    std::fs::write(&tle_path, tle).unwrap();
    std::fs::write(&st_path, stations).unwrap();
    (dir, tle_path.display().to_string(), st_path.display().to_string())
}

fn passes(tle: &str, stations: &str, extra: &[&str]) -> std::process::Output {
    let mut args =
        vec!["passes", "--tle", tle, "--stations", stations, "--start", "2014-01-23T00:00:00Z", "--duration", "1d"];
    args.extend_from_slice(extra);
    orbsim(&args)
}

#[test]
fn writes_the_documented_csv() {
    let (dir, tle, st) = setup("ok", ISS, STATIONS);
    let out_path = dir.join("passes.csv");
    let out = passes(&tle, &st, &["--min-elevation", "30", "--out", out_path.to_str().unwrap(), "--quiet"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).is_empty(), "--quiet prints nothing: {}", stderr(&out));
    let text = std::fs::read_to_string(&out_path).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "satellite,norad_id,station,aos_utc,tca_utc,los_utc,duration_s,max_elevation_deg,aos_azimuth_deg,los_azimuth_deg"
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 2);
    assert!(rows[0].starts_with("ISS (ZARYA),25544,Bluffton,2014-01-23T06:25:3"), "{}", rows[0]);
    // No temporary files left next to the output.
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn flags_passes_cut_by_the_window() {
    let (_dir, tle, st) = setup("cut", ISS, STATIONS);
    // 06:27 is inside the first pass above 30°.
    let out = orbsim(&[
        "passes",
        "--tle",
        &tle,
        "--stations",
        &st,
        "--start",
        "2014-01-23T06:27:00Z",
        "--duration",
        "6h",
        "--min-elevation",
        "30",
        "--flag-cut",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(text.lines().next().unwrap().ends_with(",cut_start,cut_end"));
    let first = text.lines().nth(1).unwrap();
    assert!(first.contains("2014-01-23T06:27:00.000Z") && first.ends_with(",true,false"), "{first}");
    assert!(stderr(&out).contains("1 cut by the window"), "{}", stderr(&out));
}

#[test]
fn bad_tle_records_are_skipped_and_counted_or_fatal_with_strict() {
    let bad = ISS.replace("0  5082", "0  5083");
    let (_dir, tle, st) = setup("badsum", &format!("{bad}{ISS}"), STATIONS);
    let out = passes(&tle, &st, &[]);
    assert!(out.status.success());
    assert!(stderr(&out).contains("skipped 1 bad record (first: line 2: bad checksum"), "{}", stderr(&out));
    let out = passes(&tle, &st, &["--strict"]);
    assert_input_error(&out, "sats.tle:2: bad checksum");
}

#[test]
fn malformed_tles_get_one_clear_line() {
    let short = ISS.replace(" 0  5082", "");
    let letters = ISS.replace("51.6498", "51.6x98").replace("868473", "868479");
    for (name, text, needle) in [
        ("checksum", ISS.replace("0  5082", "0  5083"), "bad checksum"),
        ("short", short, "too short"),
        ("letters", letters, "inclination"),
        ("empty", String::new(), "no satellites"),
        ("garbage", "hello\nworld\n".into(), "expected element line 1"),
    ] {
        let (_dir, tle, st) = setup(name, &text, STATIONS);
        assert_input_error(&passes(&tle, &st, &[]), needle);
    }
    let (_dir, _, st) = setup("missing", ISS, STATIONS);
    assert_input_error(&passes("/nonexistent/sats.tle", &st, &[]), "/nonexistent/sats.tle: cannot read");
}

#[test]
fn bad_options_and_station_files_get_one_clear_line() {
    let (_dir, tle, st) = setup("opts", ISS, STATIONS);
    let run = |start: &str, duration: &str| {
        orbsim(&["passes", "--tle", &tle, "--stations", &st, "--start", start, "--duration", duration])
    };
    assert_input_error(&run("yesterday", "1d"), "--start: `yesterday` is not an ISO-8601 UTC time");
    assert_input_error(&run("2014-01-23T00:00:00Z", "10 parsecs"), "--duration: `10 parsecs` is not a duration");
    assert_input_error(&run("2014-01-23T00:00:00Z", "-1d"), "must not be negative");
    assert_input_error(&run("2014-01-23T00:00:00Z", "0s"), "longer than zero");
    assert_input_error(&passes(&tle, &st, &["--name", "HUBBLE"]), "no satellite name contains `HUBBLE`");

    for (name, stations, needle) in [
        ("lat", "name,lat_deg,lon_deg,alt_m\nX,95,10,0\n", "stations.csv:2: lat_deg: 95 is outside"),
        ("cols", "name,lon_deg,alt_m\nX,10,0\n", "stations.csv:1: missing column `lat_deg`"),
        ("num", "name,lat_deg,lon_deg,alt_m\nX,north,10,0\n", "stations.csv:2: lat_deg: `north` is not a number"),
        ("none", "name,lat_deg,lon_deg,alt_m\n", "no stations in the file"),
    ] {
        let (_dir, tle, st) = setup(name, ISS, stations);
        assert_input_error(&passes(&tle, &st, &[]), needle);
    }
}

#[test]
fn a_decaying_satellite_is_reported_and_dropped() {
    // Vallado's MINOTAUR R/B case: sub-orbital, lost within the hour.
    let decaying = "MINOTAUR R/B\n1 28872U 05037B   05333.02012661  .25992681  00000-0  24476-3 0  1534\n2 28872  96.4736 157.9986 0303955 244.0492 110.6523 16.46015938 10708\n";
    let (_dir, tle, st) = setup("decay", &format!("{decaying}{ISS}"), STATIONS);
    let out =
        orbsim(&["passes", "--tle", &tle, "--stations", &st, "--start", "2005-11-29T00:30:00Z", "--duration", "1d"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("MINOTAUR R/B retired at 2005-11-29T0"), "{err}");
    assert!(err.contains("decayed") || err.contains("SGP4 failed"), "{err}");
}

fn oneweb_args<'a>(out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "passes",
        "--tle",
        "data/tle/celestrak_2026-05-30/oneweb.tle",
        "--name",
        "ONEWEB-00",
        "--stations",
        "data/stations/commercial/ksat.geojson",
        "--start",
        "2026-05-31T05:43:17.5Z",
        "--duration",
        "20h",
        "--flag-cut",
        "--quiet",
        "--out",
        out,
    ];
    args.extend_from_slice(extra);
    args
}

fn orbsim_in_repo(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_orbsim"));
    command.current_dir(repo("")).args(args);
    for var in ["SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_COUNT", "JOB_COMPLETION_INDEX"] {
        command.env_remove(var);
    }
    command.envs(env.iter().copied()).output().unwrap()
}

#[test]
fn merged_shards_equal_the_unsharded_table_byte_for_byte() {
    let dir = scratch("shards");
    let whole = dir.join("whole.csv");
    let out = orbsim_in_repo(&oneweb_args(whole.to_str().unwrap(), &[]), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let shards = dir.join("shards");
    let shards_arg = shards.to_str().unwrap();
    // Shard 0 from --shard, shard 1 from a Slurm array task, shard 2 from a Kubernetes
    // Indexed Job.
    let out = orbsim_in_repo(&oneweb_args(shards_arg, &["--shard", "0/3"]), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let slurm = [("SLURM_ARRAY_TASK_ID", "2"), ("SLURM_ARRAY_TASK_MIN", "1"), ("SLURM_ARRAY_TASK_COUNT", "3")];
    let out = orbsim_in_repo(&oneweb_args(shards_arg, &[]), &slurm);
    assert!(out.status.success(), "{}", stderr(&out));
    // Merging with a shard missing is bad input.
    assert_input_error(&orbsim(&["merge", shards_arg]), "shard 2 missing");
    let k8s = [("JOB_COMPLETION_INDEX", "2"), ("ORBSIM_SHARDS", "3")];
    let out = orbsim_in_repo(&oneweb_args(shards_arg, &[]), &k8s);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = orbsim(&["merge", shards_arg, "--quiet"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let merged = std::fs::read(shards.join("passes.csv")).unwrap();
    let expected = std::fs::read(&whole).unwrap();
    assert!(expected.len() > 100_000 && std::str::from_utf8(&expected).unwrap().contains(",true,"));
    assert!(merged == expected, "merged shards differ from the unsharded table");

    // A shard of another computation (a different window) is refused.
    let other = dir.join("other");
    let mut args = oneweb_args(other.to_str().unwrap(), &["--shard", "1/3"]);
    args[10] = "21h";
    assert!(orbsim_in_repo(&args, &[]).status.success());
    let mixed = [shards.join("shard-0-of-3"), other.join("shard-1-of-3"), shards.join("shard-2-of-3")];
    let mixed: Vec<&str> = mixed.iter().map(|p| p.to_str().unwrap()).collect();
    let out_file = dir.join("mixed.csv");
    let mut merge = vec!["merge", "--out", out_file.to_str().unwrap()];
    merge.extend(mixed);
    assert_input_error(&orbsim(&merge), "different runs");
    assert!(!out_file.exists());

    // A shard given twice is refused too.
    let twice = shards.join("shard-1-of-3");
    let merge = ["merge", "--out", out_file.to_str().unwrap(), shards_arg, twice.to_str().unwrap()];
    assert_input_error(&orbsim(&merge), "a shard is given twice");
    assert!(!out_file.exists());
}

#[test]
fn the_table_and_its_shards_do_not_depend_on_the_thread_count() {
    let dir = scratch("threads");
    let table = |threads: &str, extra: &[&str]| {
        let out = dir.join(if extra.is_empty() { format!("{threads}.csv") } else { format!("{threads}-shards") });
        let result = orbsim_in_repo(&oneweb_args(out.to_str().unwrap(), extra), &[("RAYON_NUM_THREADS", threads)]);
        assert!(result.status.success(), "{}", stderr(&result));
        out
    };
    let one = std::fs::read(table("1", &[])).unwrap();
    let three = std::fs::read(table("3", &[])).unwrap();
    assert!(one.len() > 100_000);
    assert!(one == three, "passes.csv differs between 1 and 3 threads");
    let rows = |dir: std::path::PathBuf| std::fs::read(dir.join("shard-1-of-2").join("rows.bin")).unwrap();
    let one = rows(table("1", &["--shard", "1/2"]));
    let three = rows(table("3", &["--shard", "1/2"]));
    assert!(one == three, "a shard's rows differ between 1 and 3 threads");
}
