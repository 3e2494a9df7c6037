//! Frames against reference values: Vallado's Appendix C TEME→ITRF example, and Skyfield
//! 1.55 states, subpoints and look angles (`tests/fixtures/passes/skyfield_topocentric.json`).

use orbsim::frames::{Geodetic, Topocentric, teme_to_ecef};
use orbsim::orbit::Satellite;
use orbsim::orbit::tle::parse_tle_text;
use orbsim::time::{UtcTime, gmst_from_days_since_j2000};
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn vector(v: &Value) -> nalgebra::Vector3<f64> {
    let a: Vec<f64> = v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
    nalgebra::Vector3::new(a[0], a[1], a[2])
}

#[test]
fn vallado_appendix_c_teme_to_itrf() {
    let fixture = load("frames/vallado_appendix_c_teme_itrf.json");
    let case = &fixture["teme_to_itrf"];
    let utc = UtcTime::parse(case["utc"].as_str().unwrap()).unwrap();
    let dut1 = case["dut1_s"].as_f64().unwrap();
    let r = vector(&case["r_teme_km"]);
    let v = vector(&case["v_teme_km_s"]);
    let r_expected = vector(&case["r_itrf_km"]);
    let v_expected = vector(&case["v_itrf_km_s"]);

    // With the true UT1 the only thing left out is polar motion (0.14″, 0.33″): ≈ 15 m here.
    let gmst_ut1 = gmst_from_days_since_j2000(utc.plus_seconds(dut1).days_since_j2000());
    let (r_ecef, v_ecef) = teme_to_ecef(&r, &v, gmst_ut1);
    assert!((r_ecef - r_expected).norm() < 0.02, "{}", (r_ecef - r_expected).norm());
    assert!((v_ecef - v_expected).norm() < 2e-5, "{}", (v_ecef - v_expected).norm());

    // orbsim's convention, UT1 = UTC: the 0.44 s of UT1−UTC turns the Earth by 6.6″,
    // about 0.25 km at this satellite's distance from the axis.
    let (r_utc, _) = teme_to_ecef(&r, &v, utc.gmst());
    let err = (r_utc - r_expected).norm();
    assert!(err < 0.3, "{err}");
}

#[test]
fn appendix_c_satellite_state() {
    let fixture = load("frames/vallado_appendix_c_teme_itrf.json");
    let case = &fixture["appendix_c_satellite"];
    let lines: Vec<&str> = case["tle"].as_array().unwrap().iter().map(|l| l.as_str().unwrap()).collect();
    let (records, errors) = parse_tle_text(&lines.join("\n"));
    assert!(errors.is_empty());
    let sat = Satellite::new("00005".into(), Some(5), records[0].elements.clone()).unwrap();
    let state = sat.propagate_minutes(case["tsince_min"].as_f64().unwrap()).unwrap();
    assert!((state.position - vector(&case["r_teme_km"])).norm() < 1e-5);
    assert!((state.velocity - vector(&case["v_teme_km_s"])).norm() < 1e-8);
}

#[test]
fn states_subpoints_and_look_angles_match_skyfield() {
    let fixture = load("passes/skyfield_topocentric.json");
    let mut worst = [0.0f64; 6];
    let mut samples = 0;
    for case in fixture["cases"].as_array().unwrap() {
        let lines: Vec<&str> = case["tle"].as_array().unwrap().iter().map(|l| l.as_str().unwrap()).collect();
        let (records, _) = parse_tle_text(&lines.join("\n"));
        let sat = Satellite::new("s".into(), None, records[0].elements.clone()).unwrap();
        let st = &case["station"];
        let site = Geodetic {
            lat_deg: st["lat_deg"].as_f64().unwrap(),
            lon_deg: st["lon_deg"].as_f64().unwrap(),
            alt_km: st["alt_m"].as_f64().unwrap() / 1000.0,
        };
        assert!((site.to_ecef() - vector(&st["itrs_position_km"])).norm() < 1e-6, "station ECEF");
        let topo = Topocentric::new(&site);
        for s in case["samples"].as_array().unwrap() {
            let t = UtcTime::parse(s["utc"].as_str().unwrap()).unwrap();
            let state = sat.propagate(t).unwrap();
            // SGP4 itself, at Skyfield's time: python-sgp4 and the sgp4 crate agree to metres.
            let dr_teme = (state.position - vector(&s["teme_position_km"])).norm();
            // ECEF with UT1 = UTC: Skyfield used UT1 (0.03 s later), about 15 m of rotation.
            let (r, v) = teme_to_ecef(&state.position, &state.velocity, t.gmst());
            let dr_ecef = (r - vector(&s["itrs_position_km"])).norm();
            let sub = Geodetic::from_ecef(&r);
            let look = topo.look(&r, &v);
            let d_el = (look.elevation_deg - s["elevation_deg"].as_f64().unwrap()).abs();
            let d_az = {
                let d = (look.azimuth_deg - s["azimuth_deg"].as_f64().unwrap()).rem_euclid(360.0);
                d.min(360.0 - d)
            };
            let d_range = (look.range_km - s["range_km"].as_f64().unwrap()).abs();
            let d_rate = (look.range_rate_km_s - s["range_rate_km_s"].as_f64().unwrap()).abs();
            let d_height = (sub.alt_km - s["subpoint_height_km"].as_f64().unwrap()).abs();
            for (w, d) in worst.iter_mut().zip([dr_teme, dr_ecef, d_el, d_range, d_rate, d_height]) {
                *w = w.max(d);
            }
            assert!(dr_teme < 1e-3, "TEME {dr_teme} km at {t}");
            assert!(dr_ecef < 0.05, "ECEF {dr_ecef} km at {t}");
            assert!(d_el < 0.002, "elevation {d_el}° at {t}");
            // Azimuth is ill-conditioned near the zenith; compare it where elevation < 80°.
            if look.elevation_deg < 80.0 {
                assert!(d_az < 0.01, "azimuth {d_az}° at {t}");
            }
            assert!(d_range < 0.05, "range {d_range} km at {t}");
            assert!(d_rate < 1e-4, "range rate {d_rate} km/s at {t}");
            assert!(d_height < 0.05, "subpoint height {d_height} km at {t}");
            samples += 1;
        }
    }
    println!(
        "{samples} samples: worst TEME {:.2e} km, ECEF {:.3} km, elevation {:.5}°, range {:.4} km, range rate {:.2e} km/s, height {:.4} km",
        worst[0], worst[1], worst[2], worst[3], worst[4], worst[5]
    );
}
