//! `orbsim contacts` end to end, and one clear line naming the field for bad link input.

mod common;

use common::*;

const ISS: &str = "ISS (ZARYA)\n1 25544U 98067A   14020.93268519  .00009878  00000-0  18200-3 0  5082\n2 25544  51.6498 109.4756 0003572  55.9686 274.8005 15.49815350868473\n";

fn setup(name: &str) -> (std::path::PathBuf, String, String) {
    let dir = scratch(name);
    let tle = dir.join("sats.tle");
    let st = dir.join("stations.csv");
    std::fs::write(&tle, ISS).unwrap();
    std::fs::write(&st, "name,lat_deg,lon_deg,alt_m\nBluffton,40.8939,-83.8917,0\n").unwrap();
    (dir, tle.display().to_string(), st.display().to_string())
}

fn contacts(tle: &str, st: &str, extra: &[&str]) -> std::process::Output {
    let mut args =
        vec!["contacts", "--tle", tle, "--stations", st, "--start", "2014-01-23T00:00:00Z", "--duration", "1d"];
    args.extend_from_slice(extra);
    orbsim(&args)
}

#[test]
fn writes_the_contact_plan() {
    let (dir, tle, st) = setup("ok");
    let out_path = dir.join("contacts.csv");
    let out = contacts(&tle, &st, &["--link", "s-band-high-rate-uplink", "--out", out_path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(out_path).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "kind,from,to,start_utc,end_utc,duration_s,max_elevation_deg,mean_rate_bps,peak_rate_bps,deliverable_bytes"
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert!(rows.len() >= 3);
    for r in &rows {
        assert_eq!((r[0], r[1], r[2]), ("uplink", "Bluffton", "ISS (ZARYA)"));
        let (mean, peak, bytes, duration): (f64, f64, f64, f64) =
            (r[7].parse().unwrap(), r[8].parse().unwrap(), r[9].parse().unwrap(), r[5].parse().unwrap());
        assert!(mean <= peak && bytes <= peak * duration / 8.0 + 1.0);
    }
    assert!(stderr(&out).contains("contacts of 1 satellites"));
}

#[test]
fn bad_link_input_gets_one_clear_line() {
    let (_dir, tle, st) = setup("bad");
    for (extra, needle) in [
        (vec!["--link", "x-bnd-downlink"], "--link.preset: unknown preset `x-bnd-downlink`"),
        (vec!["--link", "x-band-downlink", "--set", "frequency_ghz=0"], "--link.frequency_ghz"),
        (vec!["--link", "x-band-downlink", "--set", "bandwidth_mhz=-5"], "--link.bandwidth_mhz"),
        (vec!["--link", "x-band-downlink", "--set", "required_margin_db=lots"], "--link"),
        (vec!["--link", "x-band-downlink", "--set", "modcods=[\"QPSK_1/7\"]"], "unknown MODCOD `QPSK_1/7`"),
        (vec!["--link", "x-band-downlink", "--set", "colour=\"blue\""], "colour"),
        (vec!["--link", "optical-isl"], "inter-satellite link"),
    ] {
        assert_input_error(&contacts(&tle, &st, &extra), needle);
    }
}

#[test]
fn link_rates_figure_is_written() {
    let dir = scratch("link-rates");
    let stem = dir.join("rates");
    let out = orbsim(&["link-rates", "--out", stem.to_str().unwrap(), "--altitude-km", "550"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let png = std::fs::read(dir.join("rates.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000);
    let svg = std::fs::read_to_string(dir.join("rates.svg")).unwrap();
    assert!(svg.contains("<svg") && svg.contains("x-band-downlink"));
    assert_input_error(&orbsim(&["link-rates", "--altitude-km", "50"]), "--altitude-km");
}

#[test]
fn merged_contact_shards_equal_the_unsharded_plan() {
    let dir = scratch("contact-shards");
    let run = |out: &str, threads: &str, extra: &[&str]| {
        let mut args = vec![
            "contacts",
            "--link",
            "optical-ground",
            "--tle",
            "data/tle/celestrak_2026-05-30/oneweb.tle",
            "--name",
            "ONEWEB-01",
            "--stations",
            "data/stations/commercial/ksat.geojson",
            "--start",
            "2026-05-31T00:00:00Z",
            "--duration",
            "1d",
            "--quiet",
            "--out",
            out,
        ];
        args.extend_from_slice(extra);
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_orbsim"))
            .current_dir(repo(""))
            .args(&args)
            .env_remove("SLURM_ARRAY_TASK_ID")
            .env_remove("JOB_COMPLETION_INDEX")
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
    };
    // The whole plan on one thread, the shards on three: the plan depends on neither.
    let whole = dir.join("whole.csv");
    run(whole.to_str().unwrap(), "1", &[]);
    let shards = dir.join("shards");
    for shard in ["0/2", "1/2"] {
        run(shards.to_str().unwrap(), "3", &["--shard", shard]);
    }
    let out = orbsim(&["merge", shards.to_str().unwrap(), "--quiet"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let merged = std::fs::read(shards.join("contacts.csv")).unwrap();
    let expected = std::fs::read(&whole).unwrap();
    // Cloud takes some contacts' data (deliverable 0), not all.
    let text = std::str::from_utf8(&expected).unwrap();
    assert!(text.lines().count() > 1000 && text.lines().any(|l| l.ends_with(",0")));
    assert!(merged == expected, "merged shards differ from the unsharded plan");
}
