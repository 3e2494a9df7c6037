//! Comparison charts of a sweep, drawn from `sweep.csv`'s cells (never from in-memory
//! results) so that a merged sweep draws exactly what an unsharded one draws.

use std::path::{Path, PathBuf};

use super::table::SweepTable;
use crate::report::plot::{BarChart, BarSeries, PlotError, ScatterChart, ScatterPoint, ScatterSeries};
use crate::report::save_figure;

/// Chart file stems written next to `sweep.csv` (each as `.png` and `.svg`).
pub const CHARTS: [&str; 2] = ["time_to_deploy", "bytes_vs_time"];

/// One run as the charts see it.
struct Point {
    variant: u64,
    labels: Vec<String>,
    /// Hours to the last deployment when every target deployed; +∞ otherwise.
    hours: f64,
    bytes: f64,
}

fn points(table: &SweepTable) -> Vec<Point> {
    let col = |name: &str| table.column(name).unwrap_or(0);
    let (variant, bytes) = (col("variant"), col("bytes_sent"));
    let grid =
        crate::sweep::table::LEAD_COLUMNS.len()..crate::sweep::table::LEAD_COLUMNS.len() + table.grid_keys().len();
    table
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| Point {
            variant: r[variant].parse().unwrap_or(0),
            labels: r[grid.clone()].to_vec(),
            hours: table.hours_to_deploy_every_target(i),
            bytes: r[bytes].parse::<f64>().unwrap_or(f64::NAN),
        })
        .collect()
}

/// The median, with +∞ (not finished) counted as the largest values; NaN when the median
/// itself did not finish.
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let m = if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    if m.is_finite() { m } else { f64::NAN }
}

/// A duration given in hours, in the unit that shows its size: "2.5 h", "12 min", "9 s".
fn short_hours(h: f64) -> String {
    if h >= 1.0 {
        format!("{h:.1} h")
    } else if h * 60.0 >= 1.0 {
        format!("{:.0} min", h * 60.0)
    } else {
        format!("{:.0} s", h * 3600.0)
    }
}

fn leaf(key: &str) -> &str {
    let last = key.rsplit('.').next().unwrap_or(key);
    last.split('[').next().unwrap_or(last)
}

/// Grid layout of the charts: the last grid key picks the colour (series), the others
/// make the categories along x.
struct Layout {
    categories: Vec<Vec<String>>,
    series: Vec<String>,
    series_key: Option<String>,
    category_keys: Vec<String>,
}

fn layout(keys: &[String], points: &[Point]) -> Layout {
    let split = if keys.len() >= 2 { keys.len() - 1 } else { keys.len() };
    let mut categories: Vec<Vec<String>> = Vec::new();
    let mut series: Vec<String> = Vec::new();
    for p in points {
        let (c, s) = p.labels.split_at(split);
        if !categories.iter().any(|x| x == c) {
            categories.push(c.to_vec());
        }
        if let Some(s) = s.first().filter(|s| !series.contains(s)) {
            series.push(s.clone());
        }
    }
    Layout {
        categories,
        series,
        series_key: (keys.len() >= 2).then(|| keys[keys.len() - 1].clone()),
        category_keys: keys[..split].to_vec(),
    }
}

fn category_label(keys: &[String], values: &[String]) -> String {
    match values.len() {
        0 => "base scenario".into(),
        1 => values[0].clone(),
        _ => keys.iter().zip(values).map(|(k, v)| format!("{}={v}", leaf(k))).collect::<Vec<_>>().join(", "),
    }
}

/// Writes the comparison charts of a sweep into `dir`; returns the files.
///
/// * `time_to_deploy`: per variant, the median over replications of the hours from the
///   start until every target runs the model (grouped bars: the last grid key picks the
///   bar colour, the other keys the group); the subtitle gives the largest spread between
///   replications.
/// * `bytes_vs_time`: every run that finished, bytes sent against that time: the price in
///   link time of each layout, and the replication scatter.
pub fn write_charts(dir: &Path, name: &str, table: &SweepTable) -> Result<Vec<PathBuf>, PlotError> {
    let keys = table.grid_keys().to_vec();
    let pts = points(table);
    let lay = layout(&keys, &pts);
    let variants = pts.iter().map(|p| p.variant).max().map_or(0, |v| v + 1);
    let replications = (pts.len() as u64).checked_div(variants).unwrap_or(0);
    let group = |p: &Point| {
        let split = lay.category_keys.len();
        let c = lay.categories.iter().position(|c| c[..] == p.labels[..split]).unwrap_or(0);
        let s = p.labels.get(split).and_then(|s| lay.series.iter().position(|x| x == s)).unwrap_or(0);
        (c, s)
    };
    let n_series = lay.series.len().max(1);

    let mut per_bar: Vec<Vec<Vec<f64>>> = vec![vec![Vec::new(); lay.categories.len()]; n_series];
    for p in &pts {
        let (c, s) = group(p);
        per_bar[s][c].push(p.hours);
    }
    let mut spread: f64 = 0.0;
    for bars in &per_bar {
        for h in bars.iter().filter(|h| h.len() > 1 && h.iter().all(|x| x.is_finite())) {
            let (lo, hi) = h.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, u), &x| (l.min(x), u.max(x)));
            spread = spread.max(hi - lo);
        }
    }
    let series_name = |i: usize| match &lay.series_key {
        Some(k) => format!("{}={}", leaf(k), lay.series[i]),
        None => "median".into(),
    };
    let series: Vec<BarSeries> = per_bar
        .into_iter()
        .enumerate()
        .map(|(i, bars)| BarSeries::new(series_name(i), bars.into_iter().map(median).collect()))
        .collect();
    let runs_text = format!(
        "{name}: {variants} variant{} × {replications} replication{}",
        if variants == 1 { "" } else { "s" },
        if replications == 1 { "" } else { "s" }
    );
    let subtitle = if replications > 1 {
        format!(
            "{runs_text}; bars: median over replications (largest spread {}); n/a: not every target deployed",
            short_hours(spread)
        )
    } else {
        format!("{runs_text}; n/a: not every target deployed within the simulated window")
    };
    let bars = BarChart {
        title: "Time until every target runs the model".into(),
        subtitle,
        x_label: if lay.category_keys.is_empty() { String::new() } else { lay.category_keys.join(" × ") },
        y_label: "Hours from the start to the last deployment".into(),
        categories: lay.categories.iter().map(|c| category_label(&lay.category_keys, c)).collect(),
        series,
    };
    let mut files = Vec::new();
    let (f, _) = save_figure(&bars, &dir.join(CHARTS[0]))?;
    files.extend([f.png, f.svg]);

    let mut scatter_series: Vec<ScatterSeries> =
        (0..n_series).map(|i| ScatterSeries::new(series_name(i), Vec::new())).collect();
    if lay.series_key.is_none() {
        scatter_series[0].name = "run".into();
    }
    let mut labelled = std::collections::HashSet::new();
    let mut unfinished = 0;
    for p in &pts {
        if !p.hours.is_finite() {
            unfinished += 1;
            continue;
        }
        let (c, s) = group(p);
        // One label per variant: replications of a variant sit close together.
        let label = if labelled.insert(p.variant) {
            category_label(&lay.category_keys, &lay.categories[c])
        } else {
            String::new()
        };
        scatter_series[s].points.push(ScatterPoint::new(p.hours, p.bytes / 1e9, label));
    }
    let chart = ScatterChart {
        title: "Bytes sent against time to deploy on every target".into(),
        subtitle: format!(
            "{runs_text}; one point per run{}",
            if unfinished > 0 { format!("; {unfinished} unfinished run(s) left out") } else { String::new() }
        ),
        x_label: "Hours from the start to the last deployment".into(),
        y_label: "Bytes sent, all satellites (GB)".into(),
        series: scatter_series,
        ..Default::default()
    };
    let (f, _) = save_figure(&chart, &dir.join(CHARTS[1]))?;
    files.extend([f.png, f.svg]);
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_count_unfinished_runs_as_slowest() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![1.0, f64::INFINITY, 2.0]), 2.0);
        assert!(median(vec![1.0, f64::INFINITY]).is_nan());
        assert!(median(vec![]).is_nan());
        assert_eq!(leaf("fleet.shells[0].planes"), "planes");
        assert_eq!([short_hours(2.54), short_hours(0.2), short_hours(0.0026)], ["2.5 h", "12 min", "9 s"]);
    }
}
