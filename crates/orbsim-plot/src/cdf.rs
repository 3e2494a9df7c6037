//! Empirical cumulative distribution functions (latency CDFs), with percentile markers.

use std::path::Path;

use plotters::prelude::DrawingBackend;

use super::axis::{format_number, padded_log_range, padded_range};
use super::canvas::{Canvas, HAlign, Marker, VAlign};
use super::layout::{
    AxisKind, LegendItem, MUTED, NOTE_EM, Swatch, WHITE, clip_polyline, colour_or, decimate, header_and_legend,
    layout_plot, no_data,
};
use super::sealed::Draw;
use super::{DEFAULT_SIZE, Figure, PlotError, PlotFiles, Rgb, Scale};

/// One named sample set. `+∞` marks a sample that never completed (a request never
/// answered): it counts in the total but is never reached, so the curve stops below 100%.
/// NaN and `−∞` are ignored.
#[derive(Debug, Clone, Default)]
pub struct SampleSet {
    /// Legend label.
    pub name: String,
    /// The samples, in any order, in x-axis units.
    pub values: Vec<f64>,
    /// Colour; by default the palette colour of the set's position.
    pub colour: Option<Rgb>,
}

impl SampleSet {
    /// A sample set in the palette colour of its position.
    pub fn new(name: impl Into<String>, values: Vec<f64>) -> Self {
        SampleSet { name: name.into(), values, colour: None }
    }
}

/// Empirical CDFs of one or more sample sets: the share of samples at or below each x.
#[derive(Debug, Clone, Default)]
pub struct CdfChart {
    /// Chart title, e.g. "Answer latency".
    pub title: String,
    /// Context under the title (scenario, traffic mix); may be empty.
    pub subtitle: String,
    /// The samples' quantity with its unit, e.g. "Latency (s)".
    pub x_label: String,
    /// Y-axis title; "Share of samples ≤ x" when empty.
    pub y_label: String,
    /// Sample sets, one curve each, in legend order.
    pub sets: Vec<SampleSet>,
    /// Percentiles to mark on each curve (0–100), e.g. `[50.0, 95.0, 99.0]`; their values
    /// are also listed in the legend.
    pub percentiles: Vec<f64>,
    /// [`Scale::Log`] for quantities spanning orders of magnitude; samples ≤ 0 are then
    /// counted but not drawn.
    pub x_scale: Scale,
}

/// Renders `chart` to `<stem>.png` and `<stem>.svg`.
pub fn cdf(chart: &CdfChart, stem: &Path) -> Result<PlotFiles, PlotError> {
    chart.save(stem)
}

/// Sorted finite samples and the total count (finite plus `+∞`).
fn prepare(values: &[f64]) -> (Vec<f64>, usize) {
    let mut finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    finite.sort_by(f64::total_cmp);
    let never = values.iter().filter(|v| **v == f64::INFINITY).count();
    let total = finite.len() + never;
    (finite, total)
}

/// The smallest sample x with F(x) ≥ p/100 (nearest rank); `+∞` when the share of
/// completed samples is below p.
pub(crate) fn percentile(sorted: &[f64], total: usize, p: f64) -> f64 {
    if total == 0 {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * total as f64).ceil().max(1.0) as usize;
    sorted.get(rank - 1).copied().unwrap_or(f64::INFINITY)
}

fn percentile_name(p: f64) -> String {
    format!("p{}", format_number(p))
}

/// The unit in an axis title's last parentheses: "s" from "Latency (s)".
fn unit_of(label: &str) -> Option<&str> {
    let open = label.rfind('(')?;
    let close = open + label[open..].find(')')?;
    Some(label[open + 1..close].trim()).filter(|u| !u.is_empty())
}

impl Draw for CdfChart {
    fn size(&self) -> (u32, u32) {
        DEFAULT_SIZE
    }

    fn title(&self) -> &str {
        &self.title
    }

    fn draw<DB: DrawingBackend>(&self, c: &Canvas<DB>) -> Result<(), PlotError> {
        let size = self.size();
        let log = self.x_scale == Scale::Log;
        let prepared: Vec<(Vec<f64>, usize)> = self.sets.iter().map(|s| prepare(&s.values)).collect();
        let drawable = |v: &f64| !log || *v > 0.0;
        let extent = prepared
            .iter()
            .flat_map(|(v, _)| v.iter().filter(|v| drawable(v)))
            .fold(None, |acc, &v| Some(acc.map_or((v, v), |(lo, hi): (f64, f64)| (lo.min(v), hi.max(v)))));
        let Some((x_min, x_max)) = extent else {
            return no_data(c, size, &self.title, &self.subtitle, "no sample set has a finite value");
        };
        let (x_lo, x_hi) =
            if log { padded_log_range(x_min, x_max, 0.03) } else { padded_range(x_min, x_max, 0.03, true) };
        let percentiles: Vec<f64> = self.percentiles.iter().copied().filter(|p| *p > 0.0 && *p <= 100.0).collect();

        let legend: Vec<LegendItem> = self
            .sets
            .iter()
            .zip(&prepared)
            .enumerate()
            .map(|(i, (s, (sorted, total)))| {
                let mut label = s.name.clone();
                let unit = unit_of(&self.x_label).map(|u| format!(" {u}")).unwrap_or_default();
                let marks: Vec<String> = percentiles
                    .iter()
                    .map(|&p| {
                        let v = percentile(sorted, *total, p);
                        let unit = if v.is_finite() { unit.as_str() } else { "" };
                        format!("{} {}{unit}", percentile_name(p), format_number(v))
                    })
                    .collect();
                if !marks.is_empty() && *total > 0 {
                    label = format!("{label}: {}", marks.join(", "));
                }
                let never = total - sorted.len();
                if never > 0 {
                    label = format!("{label} ({} never completed)", format_number(never as f64));
                }
                LegendItem::new(Swatch::Line(colour_or(s.colour, i)), label)
            })
            .collect();
        // A single set's percentiles are worth a legend line too.
        let show_legend = legend.len() >= 2 || !percentiles.is_empty();
        let top = header_and_legend(c, size, &self.title, &self.subtitle, if show_legend { &legend } else { &[] })?;
        let x_kind = if log { AxisKind::Log(x_lo, x_hi) } else { AxisKind::Linear(x_lo, x_hi) };
        let y_title = if self.y_label.is_empty() { "Share of samples ≤ x" } else { &self.y_label };
        let plot = layout_plot(size, top, 34.0, x_kind, AxisKind::Percent(0.0, 1.0), &self.x_label, y_title);
        let area = plot.rect();
        plot.grid(c, true, true)?;

        // Dotted guides at the percentile levels, named at the right edge.
        for &p in &percentiles {
            let y = plot.py(p / 100.0);
            c.dashed_path(&[(area.x0, y), (area.x1, y)], MUTED, 1.0, 2.0, 4.0)?;
            c.text(&percentile_name(p), area.x1 + 5.0, y, NOTE_EM, MUTED, HAlign::Left, VAlign::Middle)?;
        }

        for (i, (s, (sorted, total))) in self.sets.iter().zip(&prepared).enumerate() {
            if *total == 0 {
                continue;
            }
            let col = colour_or(s.colour, i);
            let n = *total as f64;
            let start = sorted.iter().position(drawable).unwrap_or(sorted.len());
            if start == sorted.len() {
                continue;
            }
            // Staircase: horizontal at F(x⁻), vertical at each sample. Starts on the axis
            // floor (or at the share of undrawable samples below the log axis).
            let mut px = Vec::with_capacity(2 * sorted.len() + 2);
            let f0 = start as f64 / n;
            px.push(plot.map((x_lo, f0)));
            for (j, &v) in sorted.iter().enumerate().skip(start) {
                px.push(plot.map((v, j as f64 / n)));
                px.push(plot.map((v, (j + 1) as f64 / n)));
            }
            px.push(plot.map((x_hi, sorted.len() as f64 / n)));
            for piece in clip_polyline(&decimate(&px, 0.5), &area) {
                c.path(&piece, col, 1.0, 2.0)?;
            }
            for (k, &p) in percentiles.iter().enumerate() {
                let v = percentile(sorted, *total, p);
                if v.is_finite() && drawable(&v) {
                    let (x, y) = plot.map((v, p / 100.0));
                    c.marker(Marker::nth(k), x, y, 4.5, col, Some(WHITE))?;
                }
            }
        }
        plot.axes(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let (sorted, total) = prepare(&[5.0, 1.0, 3.0, 2.0, 4.0, f64::NAN]);
        assert_eq!(total, 5);
        assert_eq!(percentile(&sorted, total, 50.0), 3.0);
        assert_eq!(percentile(&sorted, total, 100.0), 5.0);
        assert_eq!(percentile(&sorted, total, 1.0), 1.0);
        let (sorted, total) = prepare(&[1.0, f64::INFINITY]);
        assert_eq!(percentile(&sorted, total, 50.0), 1.0);
        assert_eq!(percentile(&sorted, total, 95.0), f64::INFINITY);
    }

    #[test]
    fn units_come_from_the_axis_title() {
        assert_eq!(unit_of("Latency (s)"), Some("s"));
        assert_eq!(unit_of("Round trip (light) (ms)"), Some("ms"));
        assert_eq!(unit_of("Latency"), None);
        assert_eq!(percentile_name(99.9), "p99.9");
        assert_eq!(percentile_name(50.0), "p50");
    }
}
