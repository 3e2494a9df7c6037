//! Scatter plots of labelled points, for trade-offs between sweep variants ("rollout time
//! against cost").

use std::path::Path;

use plotters::prelude::DrawingBackend;

use super::axis::{padded_log_range, padded_range};
use super::canvas::{Canvas, HAlign, Marker, VAlign, cap_height, descent, text_width};
use super::layout::{
    AxisKind, LabelPlacer, LegendItem, MUTED, NOTE_EM, Rect, Swatch, WHITE, colour_or, header_and_legend, layout_plot,
    no_data,
};
use super::sealed::Draw;
use super::{DEFAULT_SIZE, Figure, PlotError, PlotFiles, Rgb, Scale};

/// One point with an optional label (the variant's name).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScatterPoint {
    /// Position on the x axis, in its units.
    pub x: f64,
    /// Position on the y axis, in its units.
    pub y: f64,
    /// Printed next to the point where it fits without overlapping; may be empty.
    pub label: String,
}

impl ScatterPoint {
    /// A point with a label (may be empty).
    pub fn new(x: f64, y: f64, label: impl Into<String>) -> Self {
        ScatterPoint { x, y, label: label.into() }
    }
}

/// A group of points sharing a colour and marker shape (e.g. one dissemination strategy).
#[derive(Debug, Clone, Default)]
pub struct ScatterSeries {
    /// Legend label (shown when there are two or more series).
    pub name: String,
    /// The series' points.
    pub points: Vec<ScatterPoint>,
    /// Colour; by default the palette colour of the series' position.
    pub colour: Option<Rgb>,
}

impl ScatterSeries {
    /// A series in the palette colour (and marker shape) of its position.
    pub fn new(name: impl Into<String>, points: Vec<ScatterPoint>) -> Self {
        ScatterSeries { name: name.into(), points, colour: None }
    }
}

/// x against y for labelled points. Points with a non-finite coordinate, or ≤ 0 on a log
/// axis, are left out.
#[derive(Debug, Clone, Default)]
pub struct ScatterChart {
    /// Chart title: the trade-off shown, e.g. "Rollout time against cost".
    pub title: String,
    /// Context under the title; may be empty.
    pub subtitle: String,
    /// X quantity with its unit.
    pub x_label: String,
    /// Y quantity with its unit.
    pub y_label: String,
    /// Series in legend order, each with its own colour and marker shape.
    pub series: Vec<ScatterSeries>,
    /// Linear or logarithmic x axis.
    pub x_scale: Scale,
    /// Linear or logarithmic y axis.
    pub y_scale: Scale,
}

/// Renders `chart` to `<stem>.png` and `<stem>.svg`.
pub fn scatter(chart: &ScatterChart, stem: &Path) -> Result<PlotFiles, PlotError> {
    chart.save(stem)
}

fn range(values: &[f64], scale: Scale) -> (f64, f64) {
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    match scale {
        Scale::Log => padded_log_range(lo, hi, 0.08),
        Scale::Linear => padded_range(lo, hi, 0.08, false),
    }
}

fn kind(scale: Scale, (lo, hi): (f64, f64)) -> AxisKind {
    match scale {
        Scale::Log => AxisKind::Log(lo, hi),
        Scale::Linear => AxisKind::Linear(lo, hi),
    }
}

impl Draw for ScatterChart {
    fn size(&self) -> (u32, u32) {
        DEFAULT_SIZE
    }

    fn title(&self) -> &str {
        &self.title
    }

    fn draw<DB: DrawingBackend>(&self, c: &Canvas<DB>) -> Result<(), PlotError> {
        let size = self.size();
        let ok = |v: f64, s: Scale| v.is_finite() && !(s == Scale::Log && v <= 0.0);
        let placeable = |p: &&ScatterPoint| ok(p.x, self.x_scale) && ok(p.y, self.y_scale);
        let points: Vec<&ScatterPoint> = self.series.iter().flat_map(|s| s.points.iter().filter(placeable)).collect();
        if points.is_empty() {
            return no_data(c, size, &self.title, &self.subtitle, "no point has finite coordinates");
        }
        let xs: Vec<f64> = points.iter().map(|p| p.x).collect();
        let ys: Vec<f64> = points.iter().map(|p| p.y).collect();
        let legend: Vec<LegendItem> = if self.series.len() >= 2 {
            self.series
                .iter()
                .enumerate()
                .map(|(i, s)| LegendItem::new(Swatch::Marker(Marker::nth(i), colour_or(s.colour, i)), &s.name))
                .collect()
        } else {
            Vec::new()
        };
        let top = header_and_legend(c, size, &self.title, &self.subtitle, &legend)?;
        let x_kind = kind(self.x_scale, range(&xs, self.x_scale));
        let y_kind = kind(self.y_scale, range(&ys, self.y_scale));
        let plot = layout_plot(size, top, 0.0, x_kind, y_kind, &self.x_label, &self.y_label);
        plot.grid(c, true, true)?;

        let mut placer = LabelPlacer::new(plot.rect());
        let mut drawn = Vec::new();
        for (i, s) in self.series.iter().enumerate() {
            for p in s.points.iter().filter(placeable) {
                let (x, y) = plot.map((p.x, p.y));
                placer.block(Rect { x0: x - 6.0, y0: y - 6.0, x1: x + 6.0, y1: y + 6.0 });
                drawn.push((i, (x, y), p));
            }
        }
        for &(i, (x, y), _) in &drawn {
            c.marker(Marker::nth(i), x, y, 5.5, colour_or(self.series[i].colour, i), Some(WHITE))?;
        }
        let h = cap_height(NOTE_EM) + descent(NOTE_EM);
        let mut labelled: Vec<((f64, f64), &str)> = Vec::new();
        for &(_, (x, y), p) in &drawn {
            // Coinciding points with the same label (replications) are named once.
            let repeat = labelled.iter().any(|&((lx, ly), l)| l == p.label && (lx - x).hypot(ly - y) < 3.0);
            if p.label.is_empty() || repeat {
                continue;
            }
            labelled.push(((x, y), &p.label));
            let w = text_width(&p.label, NOTE_EM);
            if let Some((lx, ly)) = placer.place(x, y, w + 2.0, h + 2.0, 8.0, false) {
                c.text(&p.label, lx + 1.0, ly + 1.0, NOTE_EM, MUTED, HAlign::Left, VAlign::Top)?;
            }
        }
        plot.axes(c)
    }
}
