//! Line charts: quantities against time or another number (upload progress, fleet rollout,
//! link rate against elevation).

use std::path::Path;

use plotters::prelude::DrawingBackend;

use super::axis::{padded_log_range, padded_range, snap_time_range};
use super::canvas::{Canvas, HAlign, Marker, VAlign, cap_height, text_width};
use super::layout::{
    AxisKind, LegendItem, NOTE_EM, Rect, Swatch, WHITE, clip_polyline, colour_or, decimate, header_and_legend,
    layout_plot, no_data, segments_hitting, time_title,
};
use super::sealed::Draw;
use super::{DEFAULT_SIZE, Figure, PALETTE, PlotError, PlotFiles, Rgb, Scale, XValue};

/// How a series is drawn.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SeriesKind {
    /// Straight segments between points: for sampled continuous quantities.
    #[default]
    Line,
    /// Each value holds until the next point, then jumps: for cumulative counts that change
    /// in discrete events (bytes verified, satellites updated). The x of a point is when
    /// the new value starts.
    Step,
    /// Markers only, for unconnected samples.
    Points,
}

/// One named series of (x, y) points, in drawing order. A non-finite y breaks the line
/// (a gap in the data); points that cannot be placed (non-finite x, y ≤ 0 on a log axis)
/// are left out.
#[derive(Debug, Clone, Default)]
pub struct Series<X> {
    /// Legend label; shown when the chart has more than one legend entry.
    pub name: String,
    /// Line, step or points.
    pub kind: SeriesKind,
    /// (x, y) in axis units, in drawing order (normally increasing x).
    pub points: Vec<(X, f64)>,
    /// Colour; by default the palette colour of the series' position.
    pub colour: Option<Rgb>,
}

impl<X> Series<X> {
    /// A series in the palette colour of its position.
    pub fn new(name: impl Into<String>, kind: SeriesKind, points: Vec<(X, f64)>) -> Self {
        Series { name: name.into(), kind, points, colour: None }
    }
}

/// A set of x-intervals shaded behind the data (for example the passes during an upload),
/// with one legend entry.
#[derive(Debug, Clone, Default)]
pub struct Shading<X> {
    /// Legend label for all of the intervals, e.g. "pass over Svalbard".
    pub label: String,
    /// (start, end) pairs; reversed pairs are read as the same interval.
    pub intervals: Vec<(X, X)>,
    /// Tint; by default a light sky blue for the first set, then grey, yellow, purple.
    pub colour: Option<Rgb>,
}

impl<X> Shading<X> {
    /// A set of intervals in the default tint.
    pub fn new(label: impl Into<String>, intervals: Vec<(X, X)>) -> Self {
        Shading { label: label.into(), intervals, colour: None }
    }
}

/// A labelled horizontal line at a value of interest (a model's size, a deadline's worth of
/// bytes). The y-axis always extends to show it.
#[derive(Debug, Clone, Default)]
pub struct RefLine {
    /// In y-axis units.
    pub y: f64,
    /// Drawn above the line at its right end.
    pub label: String,
    /// Line and label colour; dark grey by default.
    pub colour: Option<Rgb>,
}

impl RefLine {
    /// A dark grey reference line.
    pub fn new(y: f64, label: impl Into<String>) -> Self {
        RefLine { y, label: label.into(), colour: None }
    }
}

/// A chart of one or more (x, y) series; x is `f64` or [`orbsim_time::UtcTime`].
#[derive(Debug, Clone, Default)]
pub struct LineChart<X: XValue = f64> {
    /// Chart title: what the reader is looking at, e.g. "Upload progress: SAT-1".
    pub title: String,
    /// Context under the title (scenario, window); may be empty.
    pub subtitle: String,
    /// X-axis title with its unit, e.g. "Elevation (deg)". For a time axis just "Time";
    /// "(UTC)" and the span shown are appended.
    pub x_label: String,
    /// Y-axis title with its unit, e.g. "Verified (GB)".
    pub y_label: String,
    /// Series in legend order; beyond eight they reuse the palette with dashed lines.
    pub series: Vec<Series<X>>,
    /// Shaded x-intervals drawn behind everything else.
    pub shading: Vec<Shading<X>>,
    /// Labelled horizontal reference lines.
    pub ref_lines: Vec<RefLine>,
    /// Linear or logarithmic y axis.
    pub y_scale: Scale,
    /// Fixed x range; by default the extent of the series' points.
    pub x_range: Option<(X, X)>,
    /// Fixed y range; by default the data (and reference lines) with a small margin, from
    /// zero when all values are non-negative and the smallest is near zero.
    pub y_range: Option<(f64, f64)>,
}

/// Renders `chart` to `<stem>.png` and `<stem>.svg`.
pub fn line_chart<X: XValue>(chart: &LineChart<X>, stem: &Path) -> Result<PlotFiles, PlotError> {
    chart.save(stem)
}

/// Series beyond the palette's length reuse its colours, dashed.
fn dashed(i: usize) -> bool {
    i >= PALETTE.len()
}

/// Light tints for shaded intervals, chosen to sit behind the palette's line colours.
const SHADES: [Rgb; 4] = [Rgb(0x56, 0xB4, 0xE9), Rgb(0x99, 0x99, 0x99), Rgb(0xF0, 0xE4, 0x42), Rgb(0xCC, 0x79, 0xA7)];
const SHADE_ALPHA: f64 = 0.3;

impl<X: XValue> LineChart<X> {
    /// The series as axis values, keeping only placeable points; NaN y kept as breaks.
    fn placeable(&self) -> Vec<Vec<(f64, f64)>> {
        let log = self.y_scale == Scale::Log;
        self.series
            .iter()
            .map(|s| {
                s.points
                    .iter()
                    .map(|&(x, y)| (x.axis_value(), y))
                    .filter(|&(x, y)| x.is_finite() && !(log && y <= 0.0))
                    .map(|(x, y)| if y.is_finite() { (x, y) } else { (x, f64::NAN) })
                    .collect()
            })
            .collect()
    }
}

fn extent(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values.filter(|v| v.is_finite()).fold(None, |acc, v| match acc {
        None => Some((v, v)),
        Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
    })
}

impl<X: XValue> Draw for LineChart<X> {
    fn size(&self) -> (u32, u32) {
        DEFAULT_SIZE
    }

    fn title(&self) -> &str {
        &self.title
    }

    fn draw<DB: DrawingBackend>(&self, c: &Canvas<DB>) -> Result<(), PlotError> {
        let size = self.size();
        let series = self.placeable();
        let xs = extent(series.iter().flatten().filter(|p| p.1.is_finite()).map(|p| p.0));
        let ys = extent(series.iter().flatten().map(|p| p.1));
        let (Some((x_min, x_max)), Some((y_min, y_max))) = (xs, ys) else {
            return no_data(c, size, &self.title, &self.subtitle, "none of the series has a point to plot");
        };
        let (x_lo, x_hi) = match self.x_range {
            Some((a, b)) if a.axis_value() < b.axis_value() => (a.axis_value(), b.axis_value()),
            _ if X::IS_TIME && x_max > x_min => snap_time_range(x_min, x_max),
            // One instant: an hour around it (a tenth of the value would be years).
            _ if X::IS_TIME => (x_min - 1800.0, x_max + 1800.0),
            _ => {
                let all_points = self.series.iter().all(|s| s.kind == SeriesKind::Points);
                padded_range(x_min, x_max, if all_points { 0.03 } else { 0.0 }, false)
            }
        };
        let log = self.y_scale == Scale::Log;
        let refs = self.ref_lines.iter().map(|r| r.y).filter(|&y| y.is_finite() && !(log && y <= 0.0));
        let (ry_min, ry_max) = extent(refs).map_or((y_min, y_max), |(a, b)| (a.min(y_min), b.max(y_max)));
        let (y_lo, y_hi) = match self.y_range {
            Some((a, b)) if a < b && !(log && a <= 0.0) => (a, b),
            _ if log => padded_log_range(ry_min, ry_max, 0.05),
            _ => padded_range(ry_min, ry_max, 0.05, true),
        };

        let mut legend = Vec::new();
        for (i, s) in self.series.iter().enumerate() {
            let col = colour_or(s.colour, i);
            let swatch = match s.kind {
                SeriesKind::Points => Swatch::Marker(Marker::nth(i), col),
                _ if dashed(i) => Swatch::Dashed(col),
                _ => Swatch::Line(col),
            };
            legend.push(LegendItem::new(swatch, &s.name));
        }
        for (i, s) in self.shading.iter().enumerate() {
            let col = s.colour.unwrap_or(SHADES[i % SHADES.len()]);
            legend.push(LegendItem::new(Swatch::Patch(col, SHADE_ALPHA), &s.label));
        }
        if legend.len() < 2 {
            legend.clear();
        }
        let top = header_and_legend(c, size, &self.title, &self.subtitle, &legend)?;
        let (x_kind, x_title) = if X::IS_TIME {
            (AxisKind::Time(x_lo, x_hi), time_title(&self.x_label, x_lo, x_hi))
        } else {
            (AxisKind::Linear(x_lo, x_hi), self.x_label.clone())
        };
        let y_kind = if log { AxisKind::Log(y_lo, y_hi) } else { AxisKind::Linear(y_lo, y_hi) };
        let plot = layout_plot(size, top, 0.0, x_kind, y_kind, &x_title, &self.y_label);
        let area = plot.rect();

        for (i, s) in self.shading.iter().enumerate() {
            let col = s.colour.unwrap_or(SHADES[i % SHADES.len()]);
            for &(a, b) in &s.intervals {
                let (a, b) = (plot.px(a.axis_value()), plot.px(b.axis_value()));
                let (a, b) = (a.min(b).max(area.x0), a.max(b).min(area.x1));
                if a.is_finite() && b.is_finite() && b >= a {
                    // At least a pixel wide, so that short intervals on a long axis still show.
                    let (a, b) = if b - a < 1.0 { ((a + b) / 2.0 - 0.5, (a + b) / 2.0 + 0.5) } else { (a, b) };
                    c.fill_rect((a, area.y0), (b, area.y1), col, SHADE_ALPHA)?;
                }
            }
        }
        plot.grid(c, true, true)?;

        // Series in pixels first: reference labels are placed where they hide the least.
        let mut lines: Vec<Vec<Vec<(f64, f64)>>> = Vec::new();
        let mut markers: Vec<Vec<(f64, f64)>> = Vec::new();
        for (s, pts) in self.series.iter().zip(&series) {
            let to_px = |(x, y): (f64, f64)| if y.is_finite() { plot.map((x, y)) } else { (plot.px(x), f64::NAN) };
            let mut px: Vec<(f64, f64)> = Vec::with_capacity(pts.len() * 2);
            match s.kind {
                SeriesKind::Step => {
                    for (j, &(x, y)) in pts.iter().enumerate() {
                        if j > 0 && pts[j - 1].1.is_finite() && y.is_finite() {
                            px.push(plot.map((x, pts[j - 1].1)));
                        }
                        px.push(to_px((x, y)));
                    }
                }
                _ => px.extend(pts.iter().map(|&p| to_px(p))),
            }
            // A lone point would be an invisible zero-length line: mark it instead.
            let lone = pts.iter().filter(|p| p.1.is_finite()).count() == 1;
            if s.kind == SeriesKind::Points || lone {
                let mut seen = std::collections::BTreeSet::new();
                // One marker per half pixel is all that can be seen.
                px.retain(|&(x, y)| {
                    let inside = x >= area.x0 && x <= area.x1 && y >= area.y0 && y <= area.y1;
                    inside && seen.insert(((x * 2.0) as i64, (y * 2.0) as i64))
                });
                lines.push(Vec::new());
                markers.push(px);
            } else {
                lines.push(clip_polyline(&decimate(&px, 0.5), &area));
                markers.push(Vec::new());
            }
        }

        let refs: Vec<(&RefLine, f64, Rgb)> = self
            .ref_lines
            .iter()
            .filter(|r| r.y.is_finite() && !(log && r.y <= 0.0))
            .map(|r| (r, plot.py(r.y), r.colour.unwrap_or(Rgb(0x44, 0x44, 0x44))))
            .filter(|(_, y, _)| *y >= area.y0 && *y <= area.y1)
            .collect();
        for &(_, y, col) in &refs {
            c.dashed_path(&[(area.x0, y), (area.x1, y)], col, 1.5, 7.0, 5.0)?;
        }
        for (i, (s, line)) in self.series.iter().zip(&lines).enumerate() {
            let col = colour_or(s.colour, i);
            for piece in line {
                if dashed(i) {
                    c.dashed_path(piece, col, 2.0, 8.0, 4.0)?;
                } else {
                    c.path(piece, col, 1.0, 2.0)?;
                }
            }
        }
        for (i, (s, pts)) in self.series.iter().zip(&markers).enumerate() {
            for &(x, y) in pts {
                c.marker(Marker::nth(i), x, y, 3.5, colour_or(s.colour, i), Some(WHITE))?;
            }
        }

        // Reference labels on top, at whichever end and side of their line crosses the
        // fewest data segments and no other label.
        let mut taken: Vec<Rect> = Vec::new();
        let data: Vec<Vec<(f64, f64)>> = lines.iter().flatten().cloned().collect();
        for &(r, y, col) in &refs {
            if r.label.is_empty() {
                continue;
            }
            let (w, h) = (text_width(&r.label, NOTE_EM) + 6.0, cap_height(NOTE_EM) + 6.0);
            let spots = [
                (area.x1 - 6.0 - w, y - 3.0 - h),
                (area.x0 + 6.0, y - 3.0 - h),
                (area.x1 - 6.0 - w, y + 3.0),
                (area.x0 + 6.0, y + 3.0),
            ];
            let score = |&(x0, y0): &(f64, f64)| {
                let rect = Rect { x0, y0, x1: x0 + w, y1: y0 + h };
                let outside = y0 < area.y0 || rect.y1 > area.y1;
                let clash = taken.iter().any(|t| t.overlaps(&rect));
                let hidden = segments_hitting(&data, &rect)
                    + markers
                        .iter()
                        .flatten()
                        .filter(|p| p.0 >= x0 && p.0 <= rect.x1 && p.1 >= y0 && p.1 <= rect.y1)
                        .count();
                (outside || clash, hidden)
            };
            let &(x0, y0) = spots.iter().min_by_key(|s| score(s)).unwrap_or(&spots[0]);
            taken.push(Rect { x0, y0, x1: x0 + w, y1: y0 + h });
            c.fill_rect((x0, y0), (x0 + w, y0 + h), WHITE, 0.8)?;
            c.text(&r.label, x0 + 3.0, y0 + 3.0, NOTE_EM, col, HAlign::Left, VAlign::Top)?;
        }
        plot.axes(c)
    }
}
