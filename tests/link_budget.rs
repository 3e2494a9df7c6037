//! Link parameters, presets, validation messages and the link budget.

use orbsim::link::physics::{dish_gain_dbi, free_space_path_loss_db, g_over_t_db_per_k, sky_noise_degradation_db};
use orbsim::link::{
    Coding, LinkBudget, LinkConfig, LinkDirection, LinkError, PRESET_NAMES, Site, Technology, dvbs2_modcods,
    slant_range_km,
};

fn config(src: &str) -> LinkConfig {
    let table: toml::Table = toml::from_str(src).unwrap();
    LinkConfig::from_toml(&table, "links.l").unwrap()
}

fn resolve(src: &str) -> Result<orbsim::link::LinkParams, LinkError> {
    let table: toml::Table = toml::from_str(src).unwrap();
    LinkConfig::from_toml(&table, "links.l")?.resolve("links.l")
}

fn error(src: &str) -> String {
    resolve(src).unwrap_err().to_string()
}

#[test]
fn every_preset_resolves_and_closes_somewhere() {
    let chengdu = Site::new(30.67, 104.07, 0.502);
    for name in PRESET_NAMES {
        let params = resolve(&format!("preset = \"{name}\"")).unwrap();
        assert_eq!(params.name, name);
        let budget = if params.is_ground_link() {
            LinkBudget::for_site(&params, &chengdu).unwrap()
        } else {
            LinkBudget::free_space(&params)
        };
        if let Technology::Optical(o) = &params.technology
            && o.max_range_km < 500.0
        {
            // A short-range (cluster) link does not reach from a 500 km orbit to the ground.
            assert!(budget.rate_bps(0.0, 1.0) > 0, "{name}");
            continue;
        }
        let rates = budget.rate_vs_elevation(500.0, &[10.0, 20.0, 45.0, 90.0]);
        assert!(rates[3] > 0, "{name}: {rates:?}");
        // Rate never falls as the satellite climbs (shorter path, less atmosphere).
        assert!(rates.windows(2).all(|w| w[0] <= w[1]), "{name}: {rates:?}");
    }
}

#[test]
fn rate_against_elevation_curve() {
    let els: Vec<f64> = (0..=18).map(|k| 5.0 * k as f64).collect();
    let chengdu = Site::new(30.67, 104.07, 0.502);
    let curve = orbsim::link::preset_rate_vs_elevation("x-band-downlink", Some(&chengdu), 500.0, &els).unwrap();
    assert_eq!(curve[0], 0); // below the 10° minimum
    assert_eq!(curve[2], 167_109_300); // 8PSK 3/4 at 10°
    assert_eq!(*curve.last().unwrap(), 333_977_025); // 32APSK 9/10 overhead
    let vacuum = orbsim::link::preset_rate_vs_elevation("x-band-downlink", None, 500.0, &els).unwrap();
    assert!(vacuum.iter().zip(&curve).all(|(v, c)| v >= c));
    assert!(orbsim::link::preset_rate_vs_elevation("nope", None, 500.0, &els).is_err());
}

#[test]
fn preset_values_are_within_the_documented_bands() {
    for name in PRESET_NAMES {
        let params = resolve(&format!("preset = \"{name}\"")).unwrap();
        let Technology::Rf(rf) = &params.technology else {
            continue;
        };
        match name {
            n if n.starts_with("s-band") => {
                // docs/FACTS.md: 2025–2110 MHz, EIRP 20–50 dBW, ≤ 54 MHz.
                assert!((2.025..=2.110).contains(&rf.frequency_ghz));
                assert!((20.0..=50.0).contains(&rf.eirp_dbw), "{name} {}", rf.eirp_dbw);
                if let Coding::Adaptive { symbol_rate_sps, roll_off, .. } = rf.coding {
                    assert!(symbol_rate_sps * (1.0 + roll_off) <= 54e6);
                }
            }
            "x-band-downlink" => assert!((8.025..=8.4).contains(&rf.frequency_ghz)),
            _ => assert!((17.0..=31.0).contains(&rf.frequency_ghz)),
        }
    }
}

#[test]
fn c_over_n0_matches_hand_calculation() {
    // s-band-high-rate-uplink in free space at 10° from 500 km:
    // EIRP = 7 dBW + G(3.7 m, 55 %, 2.05 GHz) = 7 + 35.4093 = 42.4093 dBW
    // FSPL(1695.09 km, 2.05 GHz) = 163.2667 dB
    // losses 0.2 + 0.5 + 1.0 = 1.7 dB; G/T = 3 − 10·log10(600) = −24.7815 dB/K; −k = 228.6
    // C/N0 = 42.4093 − 163.2667 − 1.7 − 24.7815 + 228.6 = 81.2611 dB-Hz.
    let params = resolve("preset = \"s-band-high-rate-uplink\"").unwrap();
    let budget = LinkBudget::free_space(&params);
    let range = slant_range_km(10.0, 500.0);
    let eirp = 7.0 + dish_gain_dbi(3.7, 0.55, 2.05);
    assert!((eirp - 42.4093).abs() < 1e-3);
    let hand = eirp - free_space_path_loss_db(range, 2.05) - 1.7 + g_over_t_db_per_k(3.0, 600.0) + 228.6;
    assert!((hand - 81.2611).abs() < 0.01, "{hand}");
    let cn0 = budget.c_over_n0_dbhz(10.0, range).unwrap();
    assert!((cn0 - hand).abs() < 0.01, "{cn0} vs {hand}");

    // At a site, the atmosphere comes off C/N0; on a downlink its sky noise too.
    let chengdu = Site::new(30.67, 104.07, 0.502);
    let at_site = LinkBudget::for_site(&params, &chengdu).unwrap();
    let loss = at_site.atmospheric_penalty_db(10.0);
    assert!((0.4..0.8).contains(&loss), "{loss}");
    assert!((at_site.c_over_n0_dbhz(10.0, range).unwrap() - (hand - loss)).abs() < 0.01);

    let down = resolve("preset = \"x-band-downlink\"").unwrap();
    let down_site = LinkBudget::for_site(&down, &chengdu).unwrap();
    let penalty = down_site.atmospheric_penalty_db(10.0);
    // itur: 2.27 dB at Chengdu, 8.2 GHz, 10°, 1 % (1 m dish; ours is 3.7 m) + sky noise.
    let atten = penalty - sky_noise_degradation_db(penalty, 150.0);
    assert!(penalty > 4.0 && penalty < 5.0, "{penalty} ({atten})");
}

#[test]
fn modcod_choice_at_thresholds_on_both_sides() {
    // Free-space S-band high-rate uplink: find the range where Es/N0 − margin equals the
    // 8PSK 3/5 threshold (5.50 dB) and step 1 m either side.
    let params = resolve("preset = \"s-band-high-rate-uplink\"\nrequired_margin_db = 2.0").unwrap();
    let budget = LinkBudget::free_space(&params);
    let cn0_1km = budget.c_over_n0_dbhz(90.0, 1.0).unwrap();
    let needed = 5.50 + 2.0 + 70.0; // Es/N0 + margin + 10·log10(10 Msps)
    let range_at = |cn0: f64| 10f64.powf((cn0_1km - cn0) / 20.0);
    let r = range_at(needed);
    assert_eq!(budget.modcod_at(90.0, r * 0.999_999).unwrap().name, "8PSK_3/5");
    assert_eq!(budget.modcod_at(90.0, r * 1.000_001).unwrap().name, "QPSK_5/6");
    // QPSK 9/10 (6.42 dB) is more efficient than 8PSK 3/5 and takes over at its threshold.
    let r = range_at(6.42 + 2.0 + 70.0);
    assert_eq!(budget.modcod_at(90.0, r * 0.999_999).unwrap().name, "QPSK_9/10");
    assert_eq!(budget.modcod_at(90.0, r * 1.000_001).unwrap().name, "8PSK_3/5");
    // Below QPSK 1/4 + margin: no data.
    let r = range_at(-2.35 + 2.0 + 70.0);
    assert_eq!(budget.rate_bps(90.0, r * 1.000_001), 0);
    assert_eq!(budget.rate_bps(90.0, r * 0.999_999), (10e6 * 0.490243_f64).round() as u64);
    // Below the minimum elevation nothing flows whatever the range.
    assert_eq!(budget.rate_bps(9.999, 1.0), 0);
}

#[test]
fn fixed_coding_threshold() {
    let params = resolve("preset = \"s-band-ttc-uplink\"").unwrap();
    let budget = LinkBudget::free_space(&params);
    let cn0_1km = budget.c_over_n0_dbhz(90.0, 1.0).unwrap();
    // Eb/N0 9.6 + margin 3 at 200 kbit/s.
    let r = 10f64.powf((cn0_1km - (12.6 + 10.0 * 2e5f64.log10())) / 20.0);
    assert_eq!(budget.rate_bps(45.0, r * 0.999_999), 200_000);
    assert_eq!(budget.rate_bps(45.0, r * 1.000_001), 0);
}

#[test]
fn overrides_replace_fields_and_clear_alternatives() {
    let base = resolve("preset = \"s-band-high-rate-uplink\"").unwrap();
    let rf = base.rf().unwrap();
    assert!((rf.eirp_dbw - 42.4093).abs() < 1e-3);

    // EIRP given directly replaces power + dish.
    let p = resolve("preset = \"s-band-high-rate-uplink\"\neirp_dbw = 50.0").unwrap();
    assert_eq!(p.rf().unwrap().eirp_dbw, 50.0);
    // A gain replaces the preset's dish; power stays.
    let p = resolve("preset = \"s-band-high-rate-uplink\"\ntx_gain_dbi = 40.0").unwrap();
    assert!((p.rf().unwrap().eirp_dbw - 47.0).abs() < 1e-9);
    // G/T given directly replaces antenna gain + noise temperature.
    let p = resolve("preset = \"s-band-high-rate-uplink\"\ng_over_t_db_per_k = -20.0").unwrap();
    assert_eq!(p.rf().unwrap().g_over_t_db_per_k, -20.0);
    // Bandwidth replaces the symbol rate: 27 MHz / 1.35 = 20 Msps.
    let p = resolve("preset = \"s-band-high-rate-uplink\"\nbandwidth_mhz = 27.0").unwrap();
    let Coding::Adaptive { symbol_rate_sps, .. } = p.rf().unwrap().coding else { panic!() };
    assert!((symbol_rate_sps - 20e6).abs() < 1e-3);
    // A MODCOD subset, case-insensitive.
    let p = resolve("preset = \"x-band-downlink\"\nmodcods = [\"qpsk_1/2\", \"8PSK_3/5\", \"QPSK_9/10\"]").unwrap();
    let budget = LinkBudget::free_space(&p);
    // QPSK 9/10 is more efficient and needs more than 8PSK 3/5: both stay on the ladder.
    let names: Vec<_> = budget.levels().iter().map(|l| l.modcod.unwrap().name).collect();
    assert_eq!(names, ["QPSK_1/2", "8PSK_3/5", "QPSK_9/10"]);
    // Switching to fixed coding drops the preset's MODCOD list and symbol rate.
    let p = resolve("preset = \"x-band-downlink\"\ncoding = \"fixed\"\nrate_bps = 1e6\nmin_ebn0_db = 4.0").unwrap();
    assert!(matches!(p.rf().unwrap().coding, Coding::Fixed { .. }));
    // Setting a symbol rate together with fixed coding is refused.
    assert_eq!(
        error(
            "preset = \"x-band-downlink\"\ncoding = \"fixed\"\nrate_bps = 1e6\nmin_ebn0_db = 4.0\nsymbol_rate_msps = 5"
        ),
        "links.l.symbol_rate_msps: only used with coding = \"adaptive\""
    );
    let p = resolve(
        "preset = \"x-band-downlink\"\ncoding = \"fixed\"\nrate_bps = 1e6\nmin_ebn0_db = 4.0\n\
         bandwidth_mhz = 2.0\ncoding_note = 1",
    );
    assert!(p.is_err());
    // A custom link without a preset.
    let p = resolve(
        "direction = \"downlink\"\nfrequency_ghz = 8.1\neirp_dbw = 10\ng_over_t_db_per_k = 20\n\
         symbol_rate_msps = 5",
    )
    .unwrap();
    assert_eq!(p.name, "custom");
    assert_eq!(p.direction, LinkDirection::Downlink);
    assert_eq!(p.min_elevation_deg, 10.0);
    let Coding::Adaptive { modcods, .. } = &p.rf().unwrap().coding else { panic!() };
    assert_eq!(modcods.len(), dvbs2_modcods().len());
    // Optical presets.
    let p = resolve("preset = \"optical-isl\"\nrate_bps = 2e11").unwrap();
    let Technology::Optical(o) = &p.technology else { panic!() };
    assert_eq!((o.rate_bps, o.max_range_km), (200_000_000_000, 5000.0));
    assert_eq!(p.setup_time_s, 15.0);
}

#[test]
fn bad_input_gets_one_line_naming_the_field() {
    let x = "preset = \"x-band-downlink\"\n";
    let cases: &[(&str, &str)] = &[
        ("frequency_ghz = 0", "links.l.frequency_ghz: must be > 0"),
        ("frequency_ghz = -8.2", "links.l.frequency_ghz: must be > 0"),
        ("bandwidth_mhz = 0", "links.l.bandwidth_mhz: must be > 0"),
        ("symbol_rate_msps = -1", "links.l.symbol_rate_msps: must be > 0"),
        ("required_margin_db = nan", "links.l.required_margin_db: must be a finite number"),
        ("required_margin_db = inf", "links.l.required_margin_db: must be a finite number"),
        ("required_margin_db = \"abc\"", "links.l.required_margin_db: invalid type: string \"abc\", expected f64"),
        ("pointing_loss_db = -1", "links.l.pointing_loss_db: must be >= 0"),
        ("roll_off = 1.5", "links.l.roll_off: must be between 0 and 1"),
        ("rx_efficiency = 1.2", "links.l.rx_efficiency: must be between 0 and 1"),
        (
            "availability_percent = 95",
            "links.l.availability_percent: must be between 99 and 99.999 (the climate grid holds the 1 % statistics)",
        ),
        ("min_elevation_deg = 95", "links.l.min_elevation_deg: must be between 0 and 90"),
        ("max_range_km = 3000", "links.l.max_range_km: only used by optical links"),
        ("rate_bps = 1e6", "links.l.rate_bps: only used with coding = \"fixed\""),
        ("modcods = []", "links.l.modcods: must list at least one MODCOD"),
        ("coding = \"turbo\"", "links.l.coding: unknown variant `turbo`, expected `adaptive` or `fixed`"),
        (
            "frequency_ghz = 94",
            "links.l.frequency_ghz: must be between 1 and 55 GHz for ground links (the range of the ITU-R P.618 attenuation model)",
        ),
        (
            "rx_diameter_m = 3.0\nrx_gain_dbi = 40",
            "links.l.rx_gain_dbi: set either the gain or the dish diameter and efficiency, not both",
        ),
    ];
    for (extra, want) in cases {
        assert_eq!(error(&format!("{x}{extra}")), *want, "for `{extra}`");
    }
    assert_eq!(
        error("preset = \"x-bnd\""),
        "links.l.preset: unknown preset `x-bnd` (known: s-band-ttc-uplink, \
         s-band-high-rate-uplink, x-band-downlink, ka-band-uplink, ka-band-downlink, \
         optical-ground, optical-isl, optical-isl-cluster)"
    );
    let e = error(&format!("{x}modcods = [\"QPSK_1/2\", \"QPSK_7/8\"]"));
    assert!(e.starts_with("links.l.modcods: unknown MODCOD `QPSK_7/8` (known: QPSK_1/4, "), "{e}");
    let e = error(&format!("{x}frequncy_ghz = 8.2"));
    assert!(e.starts_with("links.l.frequncy_ghz: unknown field (expected one of `preset`"), "{e}");
    assert_eq!(
        error("preset = \"optical-isl\"\nfrequency_ghz = 193"),
        "links.l.frequency_ghz: not used by optical links"
    );
    assert_eq!(
        error("preset = \"x-band-downlink\"\nkind = \"optical\""),
        "links.l.kind: preset `x-band-downlink` is an RF link; start from a matching preset or none"
    );
    assert_eq!(error("frequency_ghz = 8.2"), "links.l.direction: missing: uplink, downlink or inter-satellite");
    for msg in cases.iter().map(|(_, m)| m) {
        assert!(!msg.contains('\n'));
    }
}

#[test]
fn struct_of_options_round_trips_through_toml() {
    let c = config("preset = \"ka-band-downlink\"\nrequired_margin_db = 4.5");
    assert_eq!(c.required_margin_db, Some(4.5));
    let text = toml::to_string(&c).unwrap();
    assert_eq!(toml::from_str::<LinkConfig>(&text).unwrap(), c);
    // The preset itself serialises to a complete, editable table.
    let full = orbsim::link::preset("ka-band-downlink").unwrap();
    let text = toml::to_string(&full).unwrap();
    assert!(text.contains("frequency_ghz = 20.0"), "{text}");
}

#[test]
fn optical_ground_link_exposes_cloud_blockage() {
    let p = resolve("preset = \"optical-ground\"").unwrap();
    let probability = |lat, lon, alt| {
        LinkBudget::for_site(&p, &Site::new(lat, lon, alt)).unwrap().cloud_blockage_probability().unwrap()
    };
    let singapore = probability(1.35, 103.82, 0.032);
    let kashgar = probability(39.5, 76.0, 1.326);
    assert!((0.78..0.86).contains(&singapore), "{singapore}");
    assert!((0.10..0.20).contains(&kashgar), "{kashgar}");
    // RF links carry none; ISLs have no site.
    let x = resolve("preset = \"x-band-downlink\"").unwrap();
    let b = LinkBudget::for_site(&x, &Site::new(1.35, 103.82, 0.0)).unwrap();
    assert_eq!(b.cloud_blockage_probability(), None);
    let isl = resolve("preset = \"optical-isl\"").unwrap();
    assert!(LinkBudget::for_site(&isl, &Site::new(0.0, 0.0, 0.0)).is_err());
    assert!(LinkBudget::for_site(&x, &Site::new(0.0, 0.0, 20.0)).unwrap_err().to_string().starts_with("site.alt_km"));
}

#[test]
fn budgets_and_profiles_are_shareable_across_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<LinkBudget>();
    send_sync::<orbsim::link::RateProfile>();
    send_sync::<orbsim::link::LinkParams>();
    assert_eq!(std::mem::size_of::<orbsim::link::RateStep>(), 5);
}
