//! Writes one of every chart kind, with synthetic but realistic data, into a folder:
//!
//! ```text
//! cargo run -p orbsim-plot --example plot_gallery -- target/plot_gallery
//! ```
//!
//! Handy for looking at the house style after changing the chart crate.

use std::path::{Path, PathBuf};
use std::time::Instant;

use orbsim_plot::{
    Bar, BarChart, BarSeries, Category, CdfChart, Coverage, Figure, GroundTrack, LineChart, MapStation, RefLine,
    SampleSet, Scale, ScatterChart, ScatterPoint, ScatterSeries, Series, SeriesKind, Shading, Timeline, TimelineRow,
    WorldMap, load_coastline,
};
use orbsim_time::UtcTime;

/// A small deterministic generator, so the gallery is the same on every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

const STATIONS: [(&str, f64, f64); 8] = [
    ("Svalbard", 15.4, 78.2),
    ("Tromsø", 18.9, 69.6),
    ("Kiruna", 20.2, 67.9),
    ("Fairbanks", -147.7, 64.8),
    ("Punta Arenas", -70.9, -53.2),
    ("Hartebeesthoek", 27.7, -25.9),
    ("Singapore", 103.8, 1.35),
    ("Awarua", 168.4, -46.5),
];

/// Passes of a polar satellite: clustered a few times a day, 4–12 minutes long.
fn passes(rng: &mut Lcg, t0: UtcTime, days: f64, lat: f64) -> Vec<(UtcTime, UtcTime, f64)> {
    let per_day = 4.0 + 10.0 * (lat.abs() / 90.0).powi(2);
    let mut out = Vec::new();
    let mut t = rng.next() * 3600.0;
    while t < days * 86400.0 {
        let dur = 240.0 + 480.0 * rng.next();
        out.push((t0.plus_seconds(t), t0.plus_seconds(t + dur), 5.0 + 80.0 * rng.next().powi(2)));
        t += 86400.0 / per_day * (0.4 + 1.2 * rng.next());
    }
    out
}

/// Sub-satellite points of a circular orbit (no J2), good enough for a picture.
fn ground_track(t0: UtcTime, hours: f64, inc_deg: f64, raan_deg: f64, alt_km: f64) -> Vec<(f64, f64)> {
    let mu = 398_600.441_8_f64;
    let a = 6378.137 + alt_km;
    let n = (mu / a.powi(3)).sqrt();
    let (inc, raan) = (inc_deg.to_radians(), raan_deg.to_radians());
    let gmst0 = t0.gmst();
    (0..=(hours * 60.0) as usize)
        .map(|m| {
            let t = m as f64 * 60.0;
            let u = n * t;
            let lat = (inc.sin() * u.sin()).asin();
            let lon = (inc.cos() * u.sin()).atan2(u.cos()) + raan - gmst0 - 7.292_115e-5 * t;
            (lon.to_degrees(), lat.to_degrees())
        })
        .collect()
}

fn timed(dir: &Path, name: &str, figure: &impl Figure) {
    let start = Instant::now();
    let png = figure.render_png().expect("png");
    let t_png = start.elapsed();
    let start = Instant::now();
    let svg = figure.render_svg().expect("svg");
    let t_svg = start.elapsed();
    figure.save(&dir.join(name)).expect("save");
    println!(
        "{name:<22} png {:>6.1} ms ({:>4} kB)   svg {:>6.1} ms ({:>4} kB)",
        t_png.as_secs_f64() * 1e3,
        png.len() / 1024,
        t_svg.as_secs_f64() * 1e3,
        svg.len() / 1024
    );
}

fn main() {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "target/plot_gallery".into()));
    let mut rng = Lcg(42);
    let t0 = UtcTime::parse("2026-03-19T00:00:00Z").unwrap();

    // Upload progress: bytes arrive only during passes.
    let ksat = passes(&mut rng, t0, 2.0, 78.0);
    let (mut received, mut verified) = (vec![(t0, 0.0)], vec![(t0, 0.0)]);
    let (mut got, mut ok) = (0.0, 0.0);
    for &(s, e, _) in &ksat {
        let secs = e.seconds_since(s);
        for k in 1..=10 {
            let t = s.plus_seconds(secs * k as f64 / 10.0);
            got = (got + secs / 10.0 * 12.5e6 / 8.0 / 1e9).min(5.03);
            received.push((t, got));
        }
        ok = (got - 0.05f64).max(ok).min(5.03);
        verified.push((e.plus_seconds(30.0), ok));
    }
    let upload = LineChart {
        title: "Upload progress: Qwen3-8B Q4_K_M to SAT-1".into(),
        subtitle: "Svalbard, 100 Mbps S-band preset, 1 MiB chunks, 2% loss".into(),
        x_label: "Time".into(),
        y_label: "Data on board (GB)".into(),
        series: vec![
            Series::new("received", SeriesKind::Step, received),
            Series::new("verified", SeriesKind::Step, verified),
        ],
        shading: vec![Shading::new("pass over Svalbard", ksat.iter().map(|p| (p.0, p.1)).collect())],
        ref_lines: vec![RefLine::new(5.03, "model size 5.03 GB")],
        ..Default::default()
    };
    let dir = dir.as_path();
    timed(dir, "upload_progress", &upload);

    // Fleet rollout: three strategies, logistic-ish curves.
    let strategies = [("ground only", 5.5, 1.6), ("ISL relay", 2.2, 0.7), ("chunk swarm", 1.4, 0.35)];
    let series = strategies
        .iter()
        .map(|&(name, mid, width)| {
            let pts = (0..=240)
                .map(|h| {
                    let d = h as f64 / 24.0;
                    (t0.plus_seconds(h as f64 * 3600.0), (2800.0 / (1.0 + (-(d - mid) / width * 2.0).exp())).floor())
                })
                .collect();
            Series::new(name, SeriesKind::Step, pts)
        })
        .collect();
    let rollout = LineChart {
        title: "Fleet rollout".into(),
        subtitle: "2,800 satellites, 72 planes; model released 2026-03-19 00:00 UTC".into(),
        x_label: "Time".into(),
        y_label: "Satellites running the new model".into(),
        series,
        ref_lines: vec![RefLine::new(2772.0, "99% of fleet")],
        ..Default::default()
    };
    timed(dir, "fleet_rollout", &rollout);

    // Link rate against elevation: MODCOD steps.
    let rate = |scale: f64| -> Vec<(f64, f64)> {
        (0..=900)
            .map(|i| {
                let el = i as f64 / 10.0;
                let esn0 = -2.0 + 14.0 * (el / 90.0).powf(0.6) * scale;
                let eff =
                    [(-2.35, 0.49), (0.0, 0.99), (2.0, 1.32), (4.0, 1.65), (6.0, 1.98), (8.0, 2.64), (10.0, 2.97)]
                        .iter()
                        .rev()
                        .find(|(th, _)| esn0 >= *th)
                        .map_or(f64::NAN, |(_, e)| *e);
                (el, eff * 50.0)
            })
            .collect()
    };
    let link = LineChart::<f64> {
        title: "Link rate against elevation".into(),
        subtitle: "DVB-S2 ACM, 50 Msym/s; no link below the lowest MODCOD threshold".into(),
        x_label: "Elevation (deg)".into(),
        y_label: "Information rate (Mbps)".into(),
        series: vec![
            Series::new("X-band 3.7 m", SeriesKind::Line, rate(1.0)),
            Series::new("S-band 2.4 m", SeriesKind::Line, rate(0.75)),
        ],
        x_range: Some((0.0, 90.0)),
        ..Default::default()
    };
    timed(dir, "link_rate", &link);

    // Pass timeline per station over three days.
    let rows = STATIONS
        .iter()
        .map(|&(name, _, lat)| {
            let bars = passes(&mut rng, t0, 3.0, lat)
                .into_iter()
                .map(|(s, e, el)| {
                    Bar::new(s, e, if el >= 30.0 { "max elevation ≥ 30°" } else { "max elevation < 30°" })
                })
                .collect();
            TimelineRow::new(name, bars)
        })
        .chain(std::iter::once(TimelineRow::new("Mauritius (no passes)", vec![])))
        .collect();
    let pass_timeline = Timeline {
        title: "Passes of SAT-1 per ground station".into(),
        subtitle: "Elevation mask 10°".into(),
        rows,
        categories: vec![Category::new("max elevation ≥ 30°", None), Category::new("max elevation < 30°", None)],
        ..Default::default()
    };
    timed(dir, "pass_timeline", &pass_timeline);

    // Eclipse timeline: umbra with penumbra either side, ~95 min orbits.
    let rows = (0..6)
        .map(|s| {
            let mut bars = Vec::new();
            let mut t = 600.0 * s as f64;
            while t < 86400.0 {
                let p = 8.0 + 2.0 * s as f64;
                bars.push(Bar::new(t0.plus_seconds(t), t0.plus_seconds(t + p), "penumbra"));
                bars.push(Bar::new(t0.plus_seconds(t + p), t0.plus_seconds(t + p + 2100.0), "umbra"));
                bars.push(Bar::new(t0.plus_seconds(t + p + 2100.0), t0.plus_seconds(t + 2.0 * p + 2100.0), "penumbra"));
                t += 5700.0;
            }
            TimelineRow::new(format!("SAT-{}", s + 1), bars)
        })
        .collect();
    let eclipse = Timeline {
        title: "Eclipses".into(),
        subtitle: "Conical Earth shadow".into(),
        rows,
        categories: vec![
            Category::new("umbra", Some(orbsim_plot::Rgb(0x33, 0x33, 0x33))),
            Category::new("penumbra", Some(orbsim_plot::Rgb(0xAA, 0xAA, 0xAA))),
        ],
        ..Default::default()
    };
    timed(dir, "eclipse_timeline", &eclipse);

    // Latency CDF: log-normal-ish with a tail waiting for the next pass.
    let mut sample = |median: f64, wait_share: f64, never: usize| -> Vec<f64> {
        let mut v: Vec<f64> = (0..5000)
            .map(|_| {
                let z = (rng.next() + rng.next() + rng.next() - 1.5) * 2.0;
                let base = median * (0.6 * z).exp();
                if rng.next() < wait_share { base + 600.0 + 5000.0 * rng.next() } else { base }
            })
            .collect();
        v.extend(std::iter::repeat_n(f64::INFINITY, never));
        v
    };
    let latency = CdfChart {
        title: "Answer latency".into(),
        subtitle: "Time from request to answer at the user terminal".into(),
        x_label: "Latency (s)".into(),
        y_label: "Share of requests answered".into(),
        sets: vec![
            SampleSet::new("ship, Pacific", sample(0.8, 0.08, 40)),
            SampleSet::new("aircraft, Atlantic", sample(0.4, 0.02, 0)),
            SampleSet::new("ground, Europe", sample(0.12, 0.0, 0)),
        ],
        percentiles: vec![50.0, 95.0, 99.0],
        x_scale: Scale::Log,
    };
    timed(dir, "latency_cdf", &latency);

    // Ground tracks over the coastline.
    let coastline =
        load_coastline(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/geo/ne_110m_coastline.geojson"))
            .unwrap_or_default();
    let map = WorldMap {
        title: "Ground tracks, first 6 hours".into(),
        subtitle: "Three satellites of a 550 km, 97.6° shell; stations with 10° visibility circles".into(),
        coastline,
        tracks: (0..3)
            .map(|i| GroundTrack::new(format!("SAT-{}", i + 1), ground_track(t0, 6.0, 97.6, 40.0 * i as f64, 550.0)))
            .collect(),
        stations: STATIONS.iter().map(|&(n, lon, lat)| MapStation::new(n, lon, lat)).collect(),
        coverage: STATIONS
            .iter()
            .map(|&(_, lon, lat)| Coverage { lon_deg: lon, lat_deg: lat, radius_km: 1800.0 })
            .collect(),
        coverage_label: "visible above 10° at 550 km".into(),
        ..WorldMap::default()
    };
    timed(dir, "ground_tracks", &map);

    // Sweep comparison.
    let layouts = ["12 planes × 24", "24 planes × 12", "36 planes × 8, polar stations only", "72 planes × 4"];
    let bars = BarChart {
        title: "Time to 99% of the fleet updated".into(),
        subtitle: "Mean of 8 replications per variant".into(),
        x_label: "Constellation layout".into(),
        y_label: "Time to 99% updated (h)".into(),
        categories: layouts.iter().map(|s| s.to_string()).collect(),
        series: vec![
            BarSeries::new("ground only", vec![131.0, 118.5, 142.0, 97.2]),
            BarSeries::new("ISL relay", vec![52.3, 41.0, 60.2, 33.9]),
            BarSeries::new("chunk swarm", vec![30.1, 26.7, f64::NAN, 21.4]),
        ],
    };
    timed(dir, "sweep_bars", &bars);

    let scatter = ScatterChart {
        title: "Rollout time against ground segment cost".into(),
        subtitle: "Each point is one sweep variant".into(),
        x_label: "Ground segment cost (M€ per year)".into(),
        y_label: "Time to 99% updated (h)".into(),
        series: ["ground only", "ISL relay"]
            .iter()
            .enumerate()
            .map(|(k, name)| {
                let pts = (0..8)
                    .map(|i| {
                        let cost = 0.8 + 0.9 * i as f64 + 0.3 * rng.next();
                        let time = (140.0 - 10.0 * i as f64) / (1.0 + 2.0 * k as f64) + 5.0 * rng.next();
                        ScatterPoint::new(cost, time, format!("{} stations", 2 + i))
                    })
                    .collect();
                ScatterSeries::new(*name, pts)
            })
            .collect(),
        ..Default::default()
    };
    timed(dir, "sweep_scatter", &scatter);

    let empty =
        LineChart::<UtcTime> { title: "Upload progress: SAT-9".into(), x_label: "Time".into(), ..Default::default() };
    timed(dir, "empty", &empty);
    println!("written to {}", dir.display());
}
