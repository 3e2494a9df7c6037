//! Charts render to valid, non-trivial PNG and SVG files, deterministically, and empty or
//! awkward data give a readable chart rather than a panic.

mod common {
    use std::path::{Path, PathBuf};

    /// A file of the workspace (the coastline lives in the simulator's bundled data).
    pub fn repo(path: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path)
    }

    /// A fresh scratch directory for one test.
    pub fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("orbsim-plot-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use orbsim_plot::{
    Bar, BarChart, BarSeries, Category, CdfChart, Coverage, FieldCell, Figure, GroundTrack, LineChart, MapField,
    MapStation, PlotError, PlotFiles, RefLine, SampleSet, Scale, ScatterChart, ScatterPoint, ScatterSeries, Series,
    SeriesKind, Shading, Timeline, TimelineRow, WorldMap, bar_chart, cdf, line_chart, load_coastline, scatter,
    timeline, world_map,
};
use orbsim_time::UtcTime;

fn t0() -> UtcTime {
    UtcTime::parse("2026-03-19T00:00:00Z").unwrap()
}

fn hours(h: f64) -> UtcTime {
    t0().plus_seconds(h * 3600.0)
}

/// What a rendered chart must look like: the PNG decodes at `size` with more than
/// `min_colours` distinct colours and a fair share of non-white pixels; the SVG is a
/// complete document containing the title as text and drawn lines.
fn check(files: &PlotFiles, title: &str, size: (u32, u32), min_colours: usize) {
    let png = std::fs::read(&files.png).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{}: not a PNG", files.png.display());
    let img = image::load_from_memory_with_format(&png, image::ImageFormat::Png).unwrap().to_rgb8();
    assert_eq!(img.dimensions(), size, "{}", files.png.display());
    let colours: BTreeSet<[u8; 3]> = img.pixels().map(|p| p.0).collect();
    assert!(colours.len() > min_colours, "{}: only {} colours", files.png.display(), colours.len());
    let ink = img.pixels().filter(|p| p.0 != [255, 255, 255]).count();
    assert!(ink > (size.0 * size.1 / 100) as usize, "{}: almost blank ({ink} pixels)", files.png.display());

    let svg = std::fs::read_to_string(&files.svg).unwrap();
    assert!(svg.starts_with("<svg"), "{}", files.svg.display());
    assert!(svg.trim_end().ends_with("</svg>"), "{}", files.svg.display());
    assert!(svg.contains(&format!("width=\"{}\" height=\"{}\"", size.0, size.1)));
    assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
    let escaped = title.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    assert!(svg.contains(&escaped), "{}: title {escaped:?} missing", files.svg.display());
    assert!(svg.contains("<path") || svg.contains("<polyline"), "{}: no lines", files.svg.display());
}

/// The numeric tick labels of one axis of an SVG chart: labels sharing one baseline (the
/// x axis: same `y`) or one right edge (the y axis: same `x`), the largest such group.
fn axis_ticks(svg: &str, horizontal: bool) -> Vec<f64> {
    let mut labels: Vec<(i64, f64)> = Vec::new();
    for piece in svg.split("<text ").skip(1) {
        let attr = |name: &str| -> Option<f64> {
            let start =
                piece.find(&format!(" {name}=\"")).or_else(|| piece.starts_with(&format!("{name}=\"")).then_some(0))?;
            let rest = &piece[start..];
            let rest = &rest[rest.find('"')? + 1..];
            rest[..rest.find('"')?].parse().ok()
        };
        let Some(body) = piece.split_once('>').map(|(_, b)| b) else { continue };
        let text = body[..body.find("</text>").unwrap_or(body.len())].trim().replace('−', "-").replace(',', "");
        if let (Ok(value), Some(x), Some(y)) = (text.parse::<f64>(), attr("x"), attr("y")) {
            labels.push(((if horizontal { y } else { x }).round() as i64, value));
        }
    }
    let mut groups: std::collections::BTreeMap<i64, Vec<f64>> = std::collections::BTreeMap::new();
    for (key, value) in labels {
        groups.entry(key).or_default().push(value);
    }
    groups.into_values().max_by_key(|g| g.len()).unwrap_or_default()
}

/// The axis is labelled over the data: its ticks reach within one tick step of the data's
/// smallest and largest values, and do not run on more than two steps past them.
fn assert_axis_spans(files: &PlotFiles, horizontal: bool, data: (f64, f64)) {
    let svg = std::fs::read_to_string(&files.svg).unwrap();
    let mut ticks = axis_ticks(&svg, horizontal);
    ticks.sort_by(f64::total_cmp);
    let which = if horizontal { "x" } else { "y" };
    assert!(ticks.len() >= 3, "{}: {which} axis has ticks {ticks:?}", files.svg.display());
    let step = (ticks[ticks.len() - 1] - ticks[0]) / (ticks.len() - 1) as f64;
    let (lo, hi) = (ticks[0], ticks[ticks.len() - 1]);
    assert!(
        lo <= data.0 + step && hi >= data.1 - step && lo >= data.0 - 2.0 * step && hi <= data.1 + 2.0 * step,
        "{}: {which} ticks {ticks:?} do not span the data {data:?}",
        files.svg.display()
    );
}

/// The folder holds exactly the charts' files: nothing temporary is left behind.
fn assert_only(dir: &Path, stems: &[&str]) {
    let mut found: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    found.sort();
    let mut expected: Vec<String> = stems.iter().flat_map(|s| [format!("{s}.png"), format!("{s}.svg")]).collect();
    expected.sort();
    assert_eq!(found, expected);
}

fn upload_chart() -> LineChart<UtcTime> {
    let mut done = 0.0;
    let verified = (0..=48)
        .map(|h| {
            if h % 6 == 1 {
                done += 0.6;
            }
            (hours(h as f64), done)
        })
        .collect();
    LineChart {
        title: "Upload progress <SAT-1 & friends>".into(),
        subtitle: "Svalbard only".into(),
        x_label: "Time".into(),
        y_label: "Verified (GB)".into(),
        series: vec![Series::new("verified", SeriesKind::Step, verified)],
        shading: vec![Shading::new(
            "pass",
            (0..8).map(|k| (hours(6.0 * k as f64 + 0.9), hours(6.0 * k as f64 + 1.1))).collect(),
        )],
        ref_lines: vec![RefLine::new(5.03, "model size 5.03 GB")],
        ..Default::default()
    }
}

fn pass_timeline() -> Timeline {
    let rows = ["Svalbard", "Tromsø", "Kiruna"]
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let bars = (0..10)
                .map(|k| {
                    let s = hours(k as f64 * 2.3 + i as f64 * 0.4);
                    Bar::new(s, s.plus_seconds(480.0), if k % 3 == 0 { "high" } else { "low" })
                })
                .collect();
            TimelineRow::new(*name, bars)
        })
        .collect();
    Timeline {
        title: "Passes per station".into(),
        rows,
        categories: vec![Category::new("high", None), Category::new("low", None)],
        ..Default::default()
    }
}

fn latency_cdf() -> CdfChart {
    let set = |scale: f64| (1..=2000).map(|i| scale * (i as f64 / 200.0).exp()).collect::<Vec<f64>>();
    CdfChart {
        title: "Latency".into(),
        x_label: "Latency (s)".into(),
        sets: vec![SampleSet::new("ship", set(0.01)), SampleSet::new("aircraft", set(0.003))],
        percentiles: vec![50.0, 95.0, 99.0],
        x_scale: Scale::Log,
        ..Default::default()
    }
}

fn map() -> WorldMap {
    let track: Vec<(f64, f64)> = (0..400).map(|i| (i as f64 * 2.0 - 180.0, 60.0 * (i as f64 / 30.0).sin())).collect();
    WorldMap {
        title: "Ground tracks".into(),
        coastline: load_coastline(&common::repo("data/geo/ne_110m_coastline.geojson")).unwrap(),
        tracks: vec![GroundTrack::new("SAT-1", track)],
        stations: vec![MapStation::new("Svalbard", 15.4, 78.2), MapStation::new("Awarua", 168.4, -46.5)],
        coverage: vec![Coverage { lon_deg: 168.4, lat_deg: -46.5, radius_km: 2000.0 }],
        coverage_label: "10° mask".into(),
        ..Default::default()
    }
}

fn bars() -> BarChart {
    BarChart {
        title: "Time to 99% updated".into(),
        x_label: "Layout".into(),
        y_label: "Hours".into(),
        categories: vec!["12 × 24".into(), "24 × 12 with a long descriptive name that wraps".into(), "36 × 8".into()],
        series: vec![
            BarSeries::new("ground", vec![120.0, 100.0, 90.0]),
            BarSeries::new("ISL", vec![40.0, f64::NAN, 30.0]),
        ],
        ..Default::default()
    }
}

fn scatter_chart() -> ScatterChart {
    let pts = (0..10).map(|i| ScatterPoint::new(i as f64, 100.0 / (1.0 + i as f64), format!("v{i}"))).collect();
    ScatterChart {
        title: "Time against cost".into(),
        x_label: "Cost (M€)".into(),
        y_label: "Time (h)".into(),
        series: vec![ScatterSeries::new("variants", pts)],
        ..Default::default()
    }
}

#[test]
fn every_chart_renders_to_valid_png_and_svg() {
    let dir = common::scratch("plots-every");
    let upload = upload_chart();
    check(&line_chart(&upload, &dir.join("upload")).unwrap(), &upload.title, (1200, 700), 30);
    let passes = pass_timeline();
    let files = timeline(&passes, &dir.join("passes")).unwrap();
    check(&files, &passes.title, (1200, 360), 20);
    let latency = latency_cdf();
    check(&cdf(&latency, &dir.join("latency")).unwrap(), &latency.title, (1200, 700), 30);
    let m = map();
    check(&world_map(&m, &dir.join("map")).unwrap(), &m.title, (1200, 700), 30);
    let b = bars();
    let bar_files = bar_chart(&b, &dir.join("bars")).unwrap();
    check(&bar_files, &b.title, (1200, 700), 20);
    assert_axis_spans(&bar_files, false, (0.0, 120.0));
    let s = scatter_chart();
    let scatter_files = scatter(&s, &dir.join("scatter")).unwrap();
    check(&scatter_files, &s.title, (1200, 700), 20);
    assert_axis_spans(&scatter_files, true, (0.0, 9.0));
    assert_axis_spans(&scatter_files, false, (10.0, 100.0));
    assert_only(&dir, &["upload", "passes", "latency", "map", "bars", "scatter"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn numeric_x_line_chart_with_points_and_gaps() {
    let dir = common::scratch("plots-numeric");
    let rate = (0..=90).map(|e| (e as f64, if e < 5 { f64::NAN } else { (e / 10) as f64 * 12.5 })).collect();
    let samples = (0..30).map(|i| (i as f64 * 3.0, 50.0 + (i as f64).sin() * 20.0)).collect();
    let chart = LineChart::<f64> {
        title: "Link rate against elevation".into(),
        x_label: "Elevation (deg)".into(),
        y_label: "Rate (Mbps)".into(),
        series: vec![
            Series::new("X-band", SeriesKind::Line, rate),
            Series::new("measured", SeriesKind::Points, samples),
        ],
        ..Default::default()
    };
    let files = line_chart(&chart, &dir.join("rate")).unwrap();
    check(&files, &chart.title, (1200, 700), 30);
    // Elevations 0–90° (the rate's NaN gap included), rates and samples 0–112.5.
    assert_axis_spans(&files, true, (0.0, 90.0));
    assert_axis_spans(&files, false, (0.0, 112.5));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Renders a chart twice in both formats and requires identical bytes.
fn assert_deterministic(figure: &impl Figure) {
    let first = (figure.render_png().unwrap(), figure.render_svg().unwrap());
    let second = (figure.render_png().unwrap(), figure.render_svg().unwrap());
    assert!(first == second, "two renders of the same chart differ");
}

#[test]
fn rendering_is_deterministic() {
    assert_deterministic(&upload_chart());
    assert_deterministic(&pass_timeline());
    assert_deterministic(&latency_cdf());
    assert_deterministic(&map());
    assert_deterministic(&bars());
    assert_deterministic(&scatter_chart());
}

#[test]
fn empty_inputs_give_a_no_data_chart() {
    let dir = common::scratch("plots-empty");
    let files = [
        line_chart(&LineChart::<UtcTime> { title: "Empty line".into(), ..Default::default() }, &dir.join("line")),
        line_chart(
            &LineChart::<f64> {
                title: "All NaN".into(),
                series: vec![Series::new("nan", SeriesKind::Line, vec![(f64::NAN, 1.0), (1.0, f64::NAN)])],
                ..Default::default()
            },
            &dir.join("nan"),
        ),
        timeline(&Timeline { title: "Empty timeline".into(), ..Default::default() }, &dir.join("timeline")),
        timeline(
            &Timeline {
                title: "Rows without bars".into(),
                rows: vec![TimelineRow::new("A", vec![])],
                ..Default::default()
            },
            &dir.join("rows"),
        ),
        cdf(
            &CdfChart { title: "Empty CDF".into(), sets: vec![SampleSet::new("none", vec![])], ..Default::default() },
            &dir.join("cdf"),
        ),
        world_map(&WorldMap { title: "Empty map".into(), ..Default::default() }, &dir.join("map")),
        bar_chart(
            &BarChart { title: "Empty bars".into(), categories: vec!["a".into()], ..Default::default() },
            &dir.join("bars"),
        ),
        scatter(&ScatterChart { title: "Empty scatter".into(), ..Default::default() }, &dir.join("scatter")),
    ];
    for f in files {
        let f = f.unwrap();
        let svg = std::fs::read_to_string(&f.svg).unwrap();
        assert!(svg.contains("No data"), "{}", f.svg.display());
        let img = image::open(&f.png).unwrap().to_rgb8();
        assert_eq!(img.dimensions().0, 1200);
    }
    assert_only(&dir, &["line", "nan", "timeline", "rows", "cdf", "map", "bars", "scatter"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn awkward_data_renders_without_panicking() {
    let dir = common::scratch("plots-awkward");
    let single = LineChart::<UtcTime> {
        title: "One point".into(),
        series: vec![Series::new("a", SeriesKind::Step, vec![(t0(), 5e9)])],
        ref_lines: vec![RefLine::new(-1.0, "below"), RefLine::new(f64::NAN, "nan")],
        ..Default::default()
    };
    line_chart(&single, &dir.join("single")).unwrap();
    let log = LineChart::<f64> {
        title: "Log with zeros".into(),
        y_scale: Scale::Log,
        series: vec![Series::new("a", SeriesKind::Line, vec![(0.0, 0.0), (1.0, 1e-3), (2.0, 1e6), (3.0, -5.0)])],
        ..Default::default()
    };
    line_chart(&log, &dir.join("log")).unwrap();
    let many = LineChart::<f64> {
        title: "Twelve series and a million points".into(),
        series: (0..12)
            .map(|k| {
                let n = if k == 0 { 1_000_000 } else { 100 };
                let pts = (0..n).map(|i| (i as f64 / n as f64, k as f64 + (i as f64).sin())).collect();
                Series::new(format!("series number {k} with a long name"), SeriesKind::Line, pts)
            })
            .collect(),
        ..Default::default()
    };
    let files = line_chart(&many, &dir.join("many")).unwrap();
    // Decimation keeps the SVG small even with a million points.
    assert!(std::fs::metadata(&files.svg).unwrap().len() < 400_000);
    let crowd = LineChart::<f64> {
        title: "Forty series".into(),
        series: (0..40)
            .map(|k| Series::new(format!("strategy {k}"), SeriesKind::Line, vec![(0.0, k as f64), (1.0, 1.0)]))
            .collect(),
        ..Default::default()
    };
    let files = line_chart(&crowd, &dir.join("crowd")).unwrap();
    // The legend keeps to a few rows and summarises the rest.
    assert!(std::fs::read_to_string(&files.svg).unwrap().contains(" more"));
    let extreme = LineChart::<f64> {
        title: "Extreme values".into(),
        series: vec![Series::new(
            "a",
            SeriesKind::Line,
            vec![(0.0, 1e308), (1.0, -1e308), (2.0, f64::MAX), (1e300, 0.0)],
        )],
        ..Default::default()
    };
    line_chart(&extreme, &dir.join("extreme")).unwrap();
    let reversed = Timeline {
        title: "Reversed, out of range and many rows".into(),
        rows: (0..300)
            .map(|i| {
                TimelineRow::new(
                    format!("SAT-{i}"),
                    vec![Bar::new(hours(5.0), hours(1.0), "x"), Bar::new(hours(-9.0), hours(-8.0), "y")],
                )
            })
            .collect(),
        x_range: Some((t0(), hours(24.0))),
        ..Default::default()
    };
    let files = timeline(&reversed, &dir.join("reversed")).unwrap();
    assert_eq!(image::open(&files.png).unwrap().height(), 1800);
    let degenerate = ScatterChart {
        title: "All points equal".into(),
        series: vec![ScatterSeries::new("a", vec![ScatterPoint::new(1.0, 1.0, "same"); 5])],
        x_scale: Scale::Log,
        ..Default::default()
    };
    scatter(&degenerate, &dir.join("degenerate")).unwrap();
    let negative = BarChart {
        title: "Negative bars".into(),
        categories: vec!["a".into(), "b".into()],
        series: vec![BarSeries::new("delta", vec![-3.0, 2.0])],
        ..Default::default()
    };
    bar_chart(&negative, &dir.join("negative")).unwrap();
    let wrapped = WorldMap {
        title: "0..360 longitudes".into(),
        tracks: vec![GroundTrack::new("t", (0..200).map(|i| (i as f64 * 3.0, 0.0)).collect())],
        stations: vec![MapStation::new("pole", 0.0, 90.0), MapStation::new("bad", f64::NAN, 0.0)],
        coverage: vec![Coverage { lon_deg: 0.0, lat_deg: 89.0, radius_km: 3000.0 }],
        ..Default::default()
    };
    world_map(&wrapped, &dir.join("wrapped")).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn stems_keep_their_dots_and_folders_are_created() {
    let dir = common::scratch("plots-stem");
    let files = line_chart(&upload_chart(), &dir.join("nested/run.v2")).unwrap();
    assert_eq!(files.png, dir.join("nested/run.v2.png"));
    assert_eq!(files.svg, dir.join("nested/run.v2.svg"));
    assert!(files.png.exists() && files.svg.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn unwritable_destination_is_an_error() {
    let dir = common::scratch("plots-unwritable");
    std::fs::write(dir.join("file"), b"not a folder").unwrap();
    let err = line_chart(&upload_chart(), &dir.join("file/chart")).unwrap_err();
    assert!(matches!(err, PlotError::Write { .. }), "{err}");
    assert!(err.to_string().contains("chart.png"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn coastline_loads_and_bad_files_are_reported() {
    let lines = load_coastline(&common::repo("data/geo/ne_110m_coastline.geojson")).unwrap();
    assert_eq!(lines.len(), 134);
    assert_eq!(lines.iter().map(Vec::len).sum::<usize>(), 5128);
    assert!(lines.iter().flatten().all(|&(lon, lat)| (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat)));

    let dir = common::scratch("plots-coast");
    let missing = load_coastline(&dir.join("missing.geojson")).unwrap_err();
    assert!(matches!(missing, PlotError::CoastlineRead { .. }), "{missing}");
    let cases: [(&str, &str); 3] = [
        ("notjson", "not json"),
        (
            "badpos",
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"LineString","coordinates":[[1]]}}]}"#,
        ),
        ("nofeatures", r#"{"type":"FeatureCollection"}"#),
    ];
    for (name, text) in cases {
        let path: PathBuf = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let err = load_coastline(&path).unwrap_err();
        assert!(matches!(err, PlotError::CoastlineFormat { .. }), "{name}: {err}");
        assert!(err.to_string().contains(name), "{err}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn field_maps_have_a_colour_bar_and_are_deterministic() {
    let cells: Vec<FieldCell> = (0..36)
        .flat_map(|i| {
            (0..18).map(move |j| FieldCell {
                lon_lo: -180.0 + 10.0 * i as f64,
                lon_hi: -170.0 + 10.0 * i as f64,
                lat_lo: -90.0 + 10.0 * j as f64,
                lat_hi: -80.0 + 10.0 * j as f64,
                value: if i == 0 { f64::NAN } else { (j as f64 - 9.0).abs() * 10.0 },
            })
        })
        .collect();
    let map = WorldMap {
        title: "Share of time covered".into(),
        field: Some(MapField { cells, label: "Share of time covered (%)".into(), range: Some((0.0, 100.0)) }),
        ..Default::default()
    };
    let svg = map.render_svg().unwrap();
    assert!(svg.contains("Share of time covered (%)"), "colour bar title");
    let text: Vec<&str> = svg.lines().map(str::trim).collect();
    assert!(text.contains(&"100") && text.contains(&"0"), "colour bar ticks");
    assert_eq!(map.render_png().unwrap(), map.render_png().unwrap());
}
