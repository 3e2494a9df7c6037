//! What every chart shares: the house style, the header (title, subtitle, legend), the plot
//! rectangle with its axes, clipping, decimation and label placement.

use plotters::prelude::DrawingBackend;

use super::PlotError;
use super::axis::{Axis, Tick, format_minute};
use super::canvas::{Canvas, HAlign, Marker, VAlign, cap_height, descent, ellipsize, text_width};
use super::{Rgb, palette};

pub const MARGIN: f64 = 18.0;
pub const TITLE_EM: f64 = 22.0;
pub const SUBTITLE_EM: f64 = 15.0;
pub const AXIS_TITLE_EM: f64 = 16.0;
pub const TICK_EM: f64 = 14.0;
pub const LEGEND_EM: f64 = 14.0;
pub const NOTE_EM: f64 = 13.0;
const TICK_LEN: f64 = 5.0;

pub const WHITE: Rgb = Rgb(255, 255, 255);
pub const INK: Rgb = Rgb(0x22, 0x22, 0x22);
pub const MUTED: Rgb = Rgb(0x5A, 0x5A, 0x5A);
pub const GRID: Rgb = Rgb(0xE4, 0xE4, 0xE4);
pub const AXIS: Rgb = Rgb(0x6A, 0x6A, 0x6A);
pub const BAND: Rgb = Rgb(0xF4, 0xF4, 0xF4);

/// Height of one line of text (capitals plus descenders) at `em`.
pub fn line_height(em: f64) -> f64 {
    cap_height(em) + descent(em)
}

/// Draws the white background, title and subtitle; returns the y below them.
pub fn header<DB: DrawingBackend>(c: &Canvas<DB>, width: f64, title: &str, subtitle: &str) -> Result<f64, PlotError> {
    c.fill(WHITE)?;
    let max = width - 2.0 * MARGIN;
    let mut y = MARGIN;
    c.text(&ellipsize(title, TITLE_EM, max), MARGIN, y, TITLE_EM, INK, HAlign::Left, VAlign::Top)?;
    y += cap_height(TITLE_EM) + descent(TITLE_EM);
    if !subtitle.is_empty() {
        y += 8.0;
        c.text(&ellipsize(subtitle, SUBTITLE_EM, max), MARGIN, y, SUBTITLE_EM, MUTED, HAlign::Left, VAlign::Top)?;
        y += line_height(SUBTITLE_EM);
    }
    Ok(y + 10.0)
}

/// What a legend entry shows next to its label.
#[derive(Debug, Clone, Copy)]
pub enum Swatch {
    Line(Rgb),
    Dashed(Rgb),
    /// A filled block, for areas and bars (colour, opacity).
    Patch(Rgb, f64),
    Marker(Marker, Rgb),
    /// No symbol (a note such as "+12 more").
    Blank,
}

#[derive(Debug, Clone)]
pub struct LegendItem {
    pub swatch: Swatch,
    pub label: String,
}

impl LegendItem {
    pub fn new(swatch: Swatch, label: impl Into<String>) -> Self {
        LegendItem { swatch, label: label.into() }
    }
}

const SWATCH_W: f64 = 26.0;
const SWATCH_GAP: f64 = 7.0;
const ITEM_GAP: f64 = 22.0;
const LEGEND_ROW: f64 = 22.0;
const MAX_LEGEND_ROWS: usize = 4;

/// Positions of legend items flowed left to right in rows between `x0` and `x1`.
fn legend_flow(items: &[LegendItem], x0: f64, x1: f64) -> Vec<(f64, usize, String)> {
    let max_label = (x1 - x0 - SWATCH_W - SWATCH_GAP).max(40.0);
    let mut out = Vec::new();
    let (mut x, mut row) = (x0, 0);
    for item in items {
        let label = ellipsize(&item.label, LEGEND_EM, max_label);
        let w = SWATCH_W + SWATCH_GAP + text_width(&label, LEGEND_EM);
        if x > x0 && x + w > x1 {
            x = x0;
            row += 1;
        }
        out.push((x, row, label));
        x += w + ITEM_GAP;
    }
    out
}

/// Draws a legend strip starting at `y`, flowing between `x0` and `x1`; returns the y below
/// it. Legends sit above the plot rather than inside it so they never hide data.
pub fn legend<DB: DrawingBackend>(
    c: &Canvas<DB>,
    items: &[LegendItem],
    x0: f64,
    x1: f64,
    y: f64,
) -> Result<f64, PlotError> {
    if items.is_empty() {
        return Ok(y);
    }
    // A legend may take a few rows; past that it would crowd out the plot, so the tail is
    // summarised as "+N more".
    let fits = |flow: &[(f64, usize, String)]| flow.last().is_none_or(|f| f.1 < MAX_LEGEND_ROWS);
    let mut shown: Vec<LegendItem> = items.to_vec();
    let mut flow = legend_flow(&shown, x0, x1);
    let mut keep = flow.iter().filter(|f| f.1 < MAX_LEGEND_ROWS).count();
    while !fits(&flow) && keep > 0 {
        keep -= 1;
        shown = items[..keep].to_vec();
        shown.push(LegendItem::new(Swatch::Blank, format!("+{} more", items.len() - keep)));
        flow = legend_flow(&shown, x0, x1);
    }
    let rows = flow.last().map(|f| f.1 + 1).unwrap_or(0);
    for (item, (x, row, label)) in shown.iter().zip(&flow) {
        let cy = y + *row as f64 * LEGEND_ROW + LEGEND_ROW / 2.0;
        let (sx0, sx1) = (*x, *x + SWATCH_W);
        match item.swatch {
            Swatch::Line(col) => c.path(&[(sx0, cy), (sx1, cy)], col, 1.0, 2.5)?,
            Swatch::Dashed(col) => c.dashed_path(&[(sx0, cy), (sx1, cy)], col, 1.5, 5.0, 3.0)?,
            Swatch::Patch(col, alpha) => c.fill_rect((sx0, cy - 7.0), (sx1, cy + 7.0), col, alpha.max(0.35))?,
            Swatch::Marker(m, col) => c.marker(m, (sx0 + sx1) / 2.0, cy, 5.0, col, Some(WHITE))?,
            Swatch::Blank => {}
        }
        c.text(label, sx1 + SWATCH_GAP, cy, LEGEND_EM, INK, HAlign::Left, VAlign::Middle)?;
    }
    Ok(y + rows as f64 * LEGEND_ROW + 6.0)
}

/// Header plus legend; returns the y where the plot region starts.
pub fn header_and_legend<DB: DrawingBackend>(
    c: &Canvas<DB>,
    size: (u32, u32),
    title: &str,
    subtitle: &str,
    items: &[LegendItem],
) -> Result<f64, PlotError> {
    let w = size.0 as f64;
    let y = header(c, w, title, subtitle)?;
    legend(c, items, MARGIN, w - MARGIN, y)
}

/// A whole chart that says there is nothing to show, keeping the title so a reader knows
/// which chart it is.
pub fn no_data<DB: DrawingBackend>(
    c: &Canvas<DB>,
    size: (u32, u32),
    title: &str,
    subtitle: &str,
    message: &str,
) -> Result<(), PlotError> {
    let (w, h) = (size.0 as f64, size.1 as f64);
    let top = header(c, w, title, subtitle)?;
    let (x0, y0, x1, y1) = (MARGIN, top + 10.0, w - MARGIN, h - MARGIN);
    c.fill_rect((x0, y0), (x1, y1), BAND, 1.0)?;
    c.stroke_rect((x0, y0), (x1, y1), GRID, 1.0)?;
    let cy = (y0 + y1) / 2.0;
    c.text("No data", w / 2.0, cy - 14.0, TITLE_EM, MUTED, HAlign::Center, VAlign::Middle)?;
    c.text(
        &ellipsize(message, SUBTITLE_EM, x1 - x0 - 40.0),
        w / 2.0,
        cy + 18.0,
        SUBTITLE_EM,
        MUTED,
        HAlign::Center,
        VAlign::Middle,
    )
}

/// An axis-aligned rectangle in logical pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

impl Rect {
    pub fn overlaps(&self, o: &Rect) -> bool {
        self.x0 < o.x1 && o.x0 < self.x1 && self.y0 < o.y1 && o.y0 < self.y1
    }

    pub fn inside(&self, o: &Rect) -> bool {
        self.x0 >= o.x0 && self.x1 <= o.x1 && self.y0 >= o.y0 && self.y1 <= o.y1
    }
}

/// How an axis is built once the plot's pixel length along it is known.
pub enum AxisKind {
    Linear(f64, f64),
    Log(f64, f64),
    Percent(f64, f64),
    /// Seconds since the epoch.
    Time(f64, f64),
    /// Fixed ticks (categories, degrees).
    Fixed(Axis),
}

impl AxisKind {
    /// `spacing` is the pixel distance wanted between ticks.
    fn build(&self, length: f64, spacing: f64) -> Axis {
        let n = ((length / spacing).floor() as usize).clamp(2, 12);
        match self {
            AxisKind::Linear(lo, hi) => Axis::linear(*lo, *hi, n),
            AxisKind::Log(lo, hi) => Axis::log(*lo, *hi, n),
            AxisKind::Percent(lo, hi) => Axis::percent(*lo, *hi, n),
            AxisKind::Time(lo, hi) => Axis::time(*lo, *hi, n),
            AxisKind::Fixed(a) => a.clone(),
        }
    }
}

/// The axis title of a UTC time axis: the caller's title, the time scale and the span, so a
/// reader knows which days the hour labels belong to.
pub fn time_title(title: &str, lo: f64, hi: f64) -> String {
    let title = if title.is_empty() { "Time" } else { title };
    format!("{title} (UTC)  ·  {} → {}", format_minute(lo), format_minute(hi))
}

/// The plot rectangle and its axes.
pub struct Plot {
    pub left: f64,
    pub top: f64,
    pub right: f64,
    pub bottom: f64,
    pub x: Axis,
    pub y: Axis,
    x_title: String,
    y_title: String,
    /// Tick labels shown on the x axis (thinned when they would collide).
    x_labels: Vec<Tick>,
    /// Lines in the tallest x tick label.
    x_lines: usize,
}

/// Gap between lines of a multi-line tick label.
const TICK_LINE: f64 = TICK_EM * 1.25;

/// Height of an x tick label block of `lines` lines.
fn x_label_block(lines: usize) -> f64 {
    line_height(TICK_EM) + (lines.max(1) - 1) as f64 * TICK_LINE
}

/// Width of a (possibly multi-line) tick label.
fn label_width(label: &str) -> f64 {
    label.lines().map(|l| text_width(l, TICK_EM)).fold(0.0, f64::max)
}

/// Room for the y-axis title column.
const Y_TITLE_COLUMN: f64 = 30.0;

/// Lays out the plot rectangle inside `(left_min, top) .. size`, leaving room for tick
/// labels and axis titles, with `right_pad` free on the right (for labels drawn there).
pub fn layout_plot(
    size: (u32, u32),
    top: f64,
    right_pad: f64,
    x: AxisKind,
    y: AxisKind,
    x_title: &str,
    y_title: &str,
) -> Plot {
    let (w, h) = (size.0 as f64, size.1 as f64);
    let x_title_h = if x_title.is_empty() { 0.0 } else { line_height(AXIS_TITLE_EM) + 10.0 };
    let x_lines = match &x {
        AxisKind::Fixed(a) => a.ticks.iter().map(|t| t.label.lines().count()).max().unwrap_or(1).max(1),
        _ => 1,
    };
    let bottom = h - MARGIN - x_title_h - x_label_block(x_lines) - TICK_LEN - 6.0;
    let top = top + 8.0;
    let yaxis = y.build(bottom - top, 56.0);
    let widest = yaxis.ticks.iter().map(|t| label_width(&t.label)).fold(0.0, f64::max);
    let y_title_w = if y_title.is_empty() { 0.0 } else { Y_TITLE_COLUMN };
    let left = MARGIN + y_title_w + widest + TICK_LEN + 8.0;
    let mut right = w - MARGIN - right_pad;
    let mut xaxis = x.build(right - left, 110.0);
    // A last tick label centred near the right edge would be cut off: pull the edge in.
    if let Some(t) = xaxis.ticks.last() {
        let px = left + xaxis.frac(t.value) * (right - left);
        let overflow = px + label_width(&t.label) / 2.0 - (w - 4.0);
        if overflow > 0.0 {
            right -= overflow;
            xaxis = x.build(right - left, 110.0);
        }
    }
    let mut plot = Plot {
        left,
        top,
        right,
        bottom,
        x: xaxis,
        y: yaxis,
        x_title: x_title.to_string(),
        y_title: y_title.to_string(),
        x_labels: Vec::new(),
        x_lines,
    };
    plot.x_labels = plot.thin_x_labels();
    plot
}

impl Plot {
    pub fn px(&self, v: f64) -> f64 {
        self.left + self.x.frac(v) * (self.right - self.left)
    }

    pub fn py(&self, v: f64) -> f64 {
        self.bottom - self.y.frac(v) * (self.bottom - self.top)
    }

    pub fn map(&self, (x, y): (f64, f64)) -> (f64, f64) {
        (self.px(x), self.py(y))
    }

    pub fn rect(&self) -> Rect {
        Rect { x0: self.left, y0: self.top, x1: self.right, y1: self.bottom }
    }

    pub fn width(&self) -> f64 {
        self.right - self.left
    }

    /// Shrinks the plot to a width:height `ratio` (a map's 2:1), centred horizontally or
    /// kept at the top.
    pub fn fit_aspect(&mut self, ratio: f64) {
        let (w, h) = (self.width(), self.bottom - self.top);
        if w > ratio * h {
            let mid = (self.left + self.right) / 2.0;
            self.left = mid - ratio * h / 2.0;
            self.right = mid + ratio * h / 2.0;
        } else {
            self.bottom = self.top + w / ratio;
        }
        self.x_labels = self.thin_x_labels();
    }

    /// Drops every other x label until neighbours no longer touch.
    fn thin_x_labels(&self) -> Vec<Tick> {
        let ticks: Vec<Tick> =
            self.x.ticks.iter().filter(|t| (0.0..=1.0).contains(&self.x.frac(t.value))).cloned().collect();
        let mut every = 1;
        loop {
            let kept: Vec<&Tick> = ticks.iter().step_by(every).collect();
            let fits = kept.windows(2).all(|p| {
                let gap = self.px(p[1].value) - self.px(p[0].value);
                gap >= (label_width(&p[0].label) + label_width(&p[1].label)) / 2.0 + 12.0
            });
            if fits || kept.len() <= 2 {
                return kept.into_iter().cloned().collect();
            }
            every += 1;
        }
    }

    /// Light grid lines at the ticks, drawn first so data lies on top.
    pub fn grid<DB: DrawingBackend>(&self, c: &Canvas<DB>, vertical: bool, horizontal: bool) -> Result<(), PlotError> {
        if vertical {
            for t in &self.x_labels {
                let x = self.px(t.value);
                c.path(&[(x, self.top), (x, self.bottom)], GRID, 1.0, 1.0)?;
            }
        }
        if horizontal {
            for t in &self.y.ticks {
                let y = self.py(t.value);
                if y >= self.top - 0.5 && y <= self.bottom + 0.5 {
                    c.path(&[(self.left, y), (self.right, y)], GRID, 1.0, 1.0)?;
                }
            }
        }
        Ok(())
    }

    /// Axis lines, ticks, tick labels and axis titles, drawn last so they sit on top.
    pub fn axes<DB: DrawingBackend>(&self, c: &Canvas<DB>) -> Result<(), PlotError> {
        c.path(&[(self.left, self.top), (self.left, self.bottom), (self.right, self.bottom)], AXIS, 1.0, 1.0)?;
        let label_top = self.bottom + TICK_LEN + 6.0;
        for t in &self.x_labels {
            let x = self.px(t.value);
            c.path(&[(x, self.bottom), (x, self.bottom + TICK_LEN)], AXIS, 1.0, 1.0)?;
            for (k, line) in t.label.lines().enumerate() {
                c.text(line, x, label_top + k as f64 * TICK_LINE, TICK_EM, INK, HAlign::Center, VAlign::Top)?;
            }
        }
        for t in &self.y.ticks {
            let y = self.py(t.value);
            if y < self.top - 0.5 || y > self.bottom + 0.5 {
                continue;
            }
            c.path(&[(self.left - TICK_LEN, y), (self.left, y)], AXIS, 1.0, 1.0)?;
            c.text(&t.label, self.left - TICK_LEN - 5.0, y, TICK_EM, INK, HAlign::Right, VAlign::Middle)?;
        }
        if !self.x_title.is_empty() {
            let y = label_top + x_label_block(self.x_lines) + 10.0;
            let title = ellipsize(&self.x_title, AXIS_TITLE_EM, self.width());
            c.text(&title, (self.left + self.right) / 2.0, y, AXIS_TITLE_EM, INK, HAlign::Center, VAlign::Top)?;
        }
        if !self.y_title.is_empty() {
            let title = ellipsize(&self.y_title, AXIS_TITLE_EM, self.bottom - self.top);
            let x = MARGIN + cap_height(AXIS_TITLE_EM) / 2.0;
            c.text_up(&title, x, (self.top + self.bottom) / 2.0, AXIS_TITLE_EM, INK)?;
        }
        Ok(())
    }
}

/// Clips a polyline to `r`, returning the visible pieces. Non-finite points break the line.
pub fn clip_polyline(points: &[(f64, f64)], r: &Rect) -> Vec<Vec<(f64, f64)>> {
    let mut pieces: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    let mut flush = |current: &mut Vec<(f64, f64)>| {
        if current.len() > 1 {
            pieces.push(std::mem::take(current));
        } else {
            current.clear();
        }
    };
    for w in points.windows(2) {
        let (a, b) = (w[0], w[1]);
        if !(a.0.is_finite() && a.1.is_finite() && b.0.is_finite() && b.1.is_finite()) {
            flush(&mut current);
            continue;
        }
        match clip_segment(a, b, r) {
            Some((p, q)) => {
                if current.last() != Some(&p) {
                    flush(&mut current);
                    current.push(p);
                }
                current.push(q);
                if q != b {
                    flush(&mut current);
                }
            }
            None => flush(&mut current),
        }
    }
    flush(&mut current);
    if points.len() == 1 && points[0].0.is_finite() && points[0].1.is_finite() {
        let p = points[0];
        if p.0 >= r.x0 && p.0 <= r.x1 && p.1 >= r.y0 && p.1 <= r.y1 {
            pieces.push(vec![p, p]);
        }
    }
    pieces
}

/// How many of the polylines' segments cross or touch `r`: a measure of how much data a
/// label placed there would hide.
pub fn segments_hitting(lines: &[Vec<(f64, f64)>], r: &Rect) -> usize {
    lines.iter().flat_map(|l| l.windows(2)).filter(|w| clip_segment(w[0], w[1], r).is_some()).count()
}

/// Liang–Barsky clipping of one segment.
fn clip_segment(a: (f64, f64), b: (f64, f64), r: &Rect) -> Option<((f64, f64), (f64, f64))> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [(-dx, a.0 - r.x0), (dx, r.x1 - a.0), (-dy, a.1 - r.y0), (dy, r.y1 - a.1)] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
        }
    }
    if t0 > t1 {
        return None;
    }
    let at = |t: f64| {
        if t == 0.0 {
            a
        } else if t == 1.0 {
            b
        } else {
            (a.0 + t * dx, a.1 + t * dy)
        }
    };
    Some((at(t0), at(t1)))
}

/// Reduces a polyline in pixel space to at most four points per `bucket` pixels of x (the
/// first, lowest, highest and last in each column), which draws the same picture from a
/// fraction of the points: a million-sample series becomes a few thousand SVG coordinates.
/// Lines that double back in x are returned unchanged.
pub fn decimate(points: &[(f64, f64)], bucket: f64) -> Vec<(f64, f64)> {
    let monotonic = points.windows(2).all(|w| w[1].0 >= w[0].0 || !w[1].0.is_finite() || !w[0].0.is_finite());
    if points.len() < 64 || !monotonic {
        return points.to_vec();
    }
    let mut out = Vec::with_capacity(points.len().min(4096));
    let mut i = 0;
    while i < points.len() {
        if !points[i].1.is_finite() || !points[i].0.is_finite() {
            out.push(points[i]);
            i += 1;
            continue;
        }
        let col = (points[i].0 / bucket).floor();
        let mut j = i;
        let (mut lo, mut hi) = (i, i);
        while j < points.len() && points[j].1.is_finite() && (points[j].0 / bucket).floor() == col {
            if points[j].1 < points[lo].1 {
                lo = j;
            }
            if points[j].1 > points[hi].1 {
                hi = j;
            }
            j += 1;
        }
        let mut keep = [i, lo, hi, j - 1];
        keep.sort_unstable();
        let mut last = usize::MAX;
        for k in keep {
            if k != last {
                out.push(points[k]);
                last = k;
            }
        }
        i = j;
    }
    out
}

/// Places text labels next to anchor points without overlapping each other, the markers or
/// the plot edge; labels that fit nowhere are dropped (or forced, for ones that must show).
pub struct LabelPlacer {
    bounds: Rect,
    taken: Vec<Rect>,
}

impl LabelPlacer {
    pub fn new(bounds: Rect) -> Self {
        LabelPlacer { bounds, taken: Vec::new() }
    }

    /// Marks an area (a marker, a legend) as occupied.
    pub fn block(&mut self, r: Rect) {
        self.taken.push(r);
    }

    /// Finds a spot for a `w`×`h` label `gap` away from (x, y); returns its top-left corner.
    pub fn place(&mut self, x: f64, y: f64, w: f64, h: f64, gap: f64, force: bool) -> Option<(f64, f64)> {
        let candidates = [
            (x + gap, y - h / 2.0),
            (x - gap - w, y - h / 2.0),
            (x - w / 2.0, y - gap - h),
            (x - w / 2.0, y + gap),
            (x + gap * 0.7, y - gap * 0.7 - h),
            (x + gap * 0.7, y + gap * 0.7),
            (x - gap * 0.7 - w, y - gap * 0.7 - h),
            (x - gap * 0.7 - w, y + gap * 0.7),
        ];
        let rect = |(cx, cy): (f64, f64)| Rect { x0: cx, y0: cy, x1: cx + w, y1: cy + h };
        let spot = candidates
            .iter()
            .copied()
            .find(|&p| rect(p).inside(&self.bounds) && !self.taken.iter().any(|t| t.overlaps(&rect(p))))
            .or_else(|| {
                force.then(|| {
                    candidates.iter().copied().find(|&p| rect(p).inside(&self.bounds)).unwrap_or(candidates[0])
                })
            })?;
        self.taken.push(rect(spot));
        Some(spot)
    }
}

/// Colour for the `i`-th item unless one is given.
pub fn colour_or(given: Option<Rgb>, i: usize) -> Rgb {
    given.unwrap_or_else(|| palette(i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_keeps_the_visible_part() {
        let r = Rect { x0: 0.0, y0: 0.0, x1: 10.0, y1: 10.0 };
        let pieces = clip_polyline(&[(-5.0, 5.0), (5.0, 5.0), (15.0, 5.0), (15.0, 8.0), (5.0, 8.0)], &r);
        assert_eq!(pieces, vec![vec![(0.0, 5.0), (5.0, 5.0), (10.0, 5.0)], vec![(10.0, 8.0), (5.0, 8.0)]]);
        let gap = clip_polyline(&[(1.0, 1.0), (2.0, 2.0), (f64::NAN, 3.0), (4.0, 4.0), (5.0, 5.0)], &r);
        assert_eq!(gap.len(), 2);
    }

    #[test]
    fn decimation_keeps_extremes_per_column() {
        let pts: Vec<(f64, f64)> = (0..1000).map(|i| (i as f64 / 100.0, ((i * 7919) % 101) as f64)).collect();
        let d = decimate(&pts, 1.0);
        assert!(d.len() <= 40, "{}", d.len());
        assert_eq!(d.first(), pts.first());
        assert_eq!(d.last(), pts.last());
        for col in 0..10 {
            let in_col = |p: &&(f64, f64)| p.0.floor() as i32 == col;
            let max = pts.iter().filter(in_col).map(|p| p.1).fold(f64::MIN, f64::max);
            assert!(d.iter().filter(in_col).any(|p| p.1 == max));
        }
    }

    #[test]
    fn labels_avoid_each_other() {
        let mut placer = LabelPlacer::new(Rect { x0: 0.0, y0: 0.0, x1: 100.0, y1: 100.0 });
        let a = placer.place(50.0, 50.0, 20.0, 10.0, 5.0, false).unwrap();
        let b = placer.place(50.0, 50.0, 20.0, 10.0, 5.0, false).unwrap();
        assert_ne!(a, b);
        // Near the right edge, the label goes to the left.
        let c = placer.place(95.0, 20.0, 20.0, 10.0, 5.0, false).unwrap();
        assert_eq!(c, (70.0, 15.0));
    }
}
