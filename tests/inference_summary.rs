//! The `inference` object of `summary.json` as written: a small run's summary survives a
//! trip through JSON text unchanged and carries exactly the documented keys.

use std::collections::BTreeSet;

use orbsim::report::summary::RunSummary;
use orbsim::scenario::load_scenario;
use serde_json::Value;

/// Twelve satellites in one plane over an hour, ships at sea asking, batteries modelled.
const SMALL: &str = r#"
name = "summary-keys"
start = "2026-03-20T00:00:00Z"
duration = "1h"
seed = 3

[[fleet.shells]]
name = "W"
total = 12
planes = 1
phasing = 0
altitude_km = 550
inclination = 53
role = "inference"

[stations]
[[stations.site]]
name = "Kashi"
lat_deg = 39.5
lon_deg = 76.0

[links.uplink]
preset = "s-band-high-rate-uplink"

[model]
name = "Qwen3-8B Q4_K_M"
size = "5027783488 B"
chunk_size = "64 MiB"

[upload]
targets = ["W-p00-s00"]

[inference]
preinstalled = true
parameters = 8.19e9
timeout = "20min"

[inference.accelerator]
tops = 744
memory_bandwidth = "204.8 GB/s"
memory = "64 GB"
power = "60 W"
idle_power = "15 W"
max_batch = 4

[inference.power]
solar_array = "250 W"
battery = "400 Wh"
bus_power = "100 W"
floor = 0.3

[[inference.sources]]
name = "ships"
kind = "ocean"
count = 100
rate = "20/h"
prompt_tokens = { dist = "fixed", value = 100 }
output_tokens = { dist = "fixed", value = 200 }
"#;

fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object().unwrap_or_else(|| panic!("not an object: {v}")).keys().map(String::as_str).collect()
}

/// Equal values, numbers to within a few units in the last place: serde_json reads floats
/// back without guaranteeing the last digit.
fn assert_same(a: &Value, b: &Value, at: &str) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            assert!(x.keys().eq(y.keys()), "{at}: keys differ");
            for (k, v) in x {
                assert_same(v, &y[k], &format!("{at}.{k}"));
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{at}: lengths differ");
            for (k, (v, w)) in x.iter().zip(y).enumerate() {
                assert_same(v, w, &format!("{at}[{k}]"));
            }
        }
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!((x - y).abs() <= 1e-14 * x.abs().max(y.abs()), "{at}: {x} against {y}");
        }
        _ => assert_eq!(a, b, "{at}"),
    }
}

fn set<'a>(names: &[&'a str]) -> BTreeSet<&'a str> {
    names.iter().copied().collect()
}

#[test]
fn the_inference_summary_round_trips_through_json_with_its_documented_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.toml");
    std::fs::write(&path, SMALL).unwrap();
    let scenario = load_scenario(&path, None).unwrap_or_else(|e| panic!("{e}"));
    let result = orbsim::pipeline::run(&scenario, &orbsim::progress::Silent).unwrap();
    let summary = RunSummary::new(&scenario, &result);
    let json = summary.to_json();
    let text = serde_json::to_string_pretty(&json).unwrap();
    let back: Value = serde_json::from_str(&text).unwrap();
    assert_same(&back, &json, "summary");

    let inference = summary.inference.as_ref().expect("the scenario serves inference");
    assert!(inference.all.requests > 0, "an hour of 100 ships at 20/h asks something");
    let inf = &back["inference"];
    let group = [
        "requests",
        "answered",
        "timeout",
        "rejected",
        "unfinished",
        "answered_share",
        "answered_within_120_s",
        "latency_s",
    ];
    let mut top = set(&group);
    top.extend([
        "asked_in_view",
        "asked_out_of_view",
        "phases_mean_s",
        "throughput",
        "drops",
        "isl_hops_mean",
        "timeout_s",
        "model",
        "accelerator",
        "satellites",
        "per_source",
        "per_satellite",
        "events",
        "visibility_snapshots",
        "route_nodes_settled",
    ]);
    assert_eq!(keys(inf), top);
    assert_eq!(keys(&inf["asked_in_view"]), set(&group));
    assert_eq!(keys(&inf["latency_s"]), set(&["p50", "p95", "p99", "mean", "min", "max"]));
    assert_eq!(
        keys(&inf["phases_mean_s"]),
        set(&["uplink_wait_s", "up_s", "isl_out_s", "queue_s", "compute_s", "answer_wait_s", "isl_back_s", "down_s"])
    );
    assert_eq!(keys(&inf["throughput"]), set(&["answered_per_hour", "output_tokens_per_s"]));
    assert_eq!(keys(&inf["model"]), set(&["parameters", "weight_bytes", "preinstalled"]));
    assert_eq!(
        keys(&inf["accelerator"]),
        set(&[
            "name",
            "prefill_tokens_per_s",
            "decode_tokens_per_s",
            "max_batch",
            "queue_limit",
            "power_w",
            "idle_power_w"
        ])
    );
    assert_eq!(
        keys(&inf["satellites"]),
        set(&[
            "serving",
            "with_model_by_end",
            "used",
            "busy_share_mean",
            "busy_share_p95",
            "busy_share_max",
            "accelerator_wh",
            "limited_s",
            "min_state_of_charge",
            "deficit_wh",
            "eclipse_share_mean",
        ])
    );
    let mut source = set(&group);
    source.extend(["name", "kind", "terminals"]);
    assert_eq!(keys(&inf["per_source"][0]), source);
    assert_eq!(inf["per_source"][0]["kind"], "ocean");
    assert_eq!(inf["per_satellite"].as_array().unwrap().len(), 12);
    assert_eq!(
        keys(&inf["per_satellite"][0]),
        set(&[
            "satellite",
            "model_from_utc",
            "completed",
            "busy_share",
            "slot_utilisation",
            "limited_s",
            "accelerator_wh",
            "eclipse_share",
            "energy",
        ])
    );
    assert_eq!(
        keys(&inf["per_satellite"][0]["energy"]),
        set(&[
            "solar_wh",
            "supplied_wh",
            "spilled_wh",
            "deficit_wh",
            "min_state_of_charge",
            "final_state_of_charge",
            "below_floor_s",
        ])
    );
    // The typed numbers are the ones written.
    assert_eq!(inf["requests"], inference.all.requests);
    assert_eq!(inf["drops"], inference.all.timeout + inference.all.rejected);
}
