//! Timelines (Gantt charts): categorised intervals in rows against UTC time, such as passes
//! per ground station or umbra and penumbra per satellite.

use std::path::Path;

use plotters::prelude::DrawingBackend;

use super::axis::{Axis, Tick, snap_time_range};
use super::canvas::{Canvas, ellipsize};
use super::layout::{
    AxisKind, BAND, LegendItem, Swatch, TICK_EM, header_and_legend, layout_plot, line_height, no_data, time_title,
};
use super::sealed::{Draw, XValue as _};
use super::{DEFAULT_SIZE, Figure, PlotError, PlotFiles, Rgb, palette};
use orbsim_time::UtcTime;

/// One interval in a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bar {
    /// When the interval starts.
    pub start: UtcTime,
    /// Reversed intervals are read as the same interval.
    pub end: UtcTime,
    /// Category name: decides the colour and the legend entry.
    pub category: String,
}

impl Bar {
    /// An interval of `category` from `start` to `end`.
    pub fn new(start: UtcTime, end: UtcTime, category: impl Into<String>) -> Self {
        Bar { start, end, category: category.into() }
    }
}

/// One labelled row (a station, a satellite). Rows with no bars are kept, so that "this
/// station never saw the satellite" is visible.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimelineRow {
    /// Row label on the left (ellipsised beyond about 240 px).
    pub label: String,
    /// The row's intervals, in any order; they may overlap.
    pub bars: Vec<Bar>,
}

impl TimelineRow {
    /// A row with its intervals.
    pub fn new(label: impl Into<String>, bars: Vec<Bar>) -> Self {
        TimelineRow { label: label.into(), bars }
    }
}

/// A category's legend position and colour.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Category {
    /// Category name, as used by [`Bar::category`].
    pub name: String,
    /// By default the palette colour of the category's position.
    pub colour: Option<Rgb>,
}

impl Category {
    /// A category; `None` takes the palette colour of its legend position.
    pub fn new(name: impl Into<String>, colour: Option<Rgb>) -> Self {
        Category { name: name.into(), colour }
    }
}

/// A Gantt chart on a UTC axis. The image is 1200 px wide and grows in height with the
/// number of rows (about 30 px a row, between 360 and 1800 px); when rows get thinner than
/// a line of text, only every n-th row is labelled.
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    /// Chart title, e.g. "Passes per ground station".
    pub title: String,
    /// Context under the title (mask, window); may be empty.
    pub subtitle: String,
    /// Time-axis title, "Time" when empty; "(UTC)" and the span are appended.
    pub x_label: String,
    /// Rows from top to bottom.
    pub rows: Vec<TimelineRow>,
    /// Legend order and colours. Categories used by bars but not listed here follow, in
    /// order of first appearance. The legend is shown when there are two or more.
    pub categories: Vec<Category>,
    /// Fixed time range; by default from the earliest start to the latest end.
    pub x_range: Option<(UtcTime, UtcTime)>,
}

/// Renders `chart` to `<stem>.png` and `<stem>.svg`.
pub fn timeline(chart: &Timeline, stem: &Path) -> Result<PlotFiles, PlotError> {
    chart.save(stem)
}

const ROW_PX: f64 = 30.0;
const ROW_LABEL_MAX: f64 = 240.0;

impl Timeline {
    /// Every category with its colour, in legend order.
    fn category_colours(&self) -> Vec<(String, Rgb)> {
        let mut out: Vec<(String, Rgb)> = Vec::new();
        let listed = self.categories.iter().map(|c| (c.name.as_str(), c.colour));
        let used = self.rows.iter().flat_map(|r| &r.bars).map(|b| (b.category.as_str(), None));
        for (name, colour) in listed.chain(used) {
            if !out.iter().any(|(n, _)| n == name) {
                let i = out.len();
                out.push((name.to_string(), colour.unwrap_or_else(|| palette(i))));
            }
        }
        out
    }
}

impl Draw for Timeline {
    fn size(&self) -> (u32, u32) {
        let h = 190.0 + ROW_PX * self.rows.len() as f64;
        (DEFAULT_SIZE.0, h.clamp(360.0, 1800.0) as u32)
    }

    fn title(&self) -> &str {
        &self.title
    }

    fn draw<DB: DrawingBackend>(&self, c: &Canvas<DB>) -> Result<(), PlotError> {
        let size = self.size();
        if self.rows.is_empty() {
            return no_data(c, size, &self.title, &self.subtitle, "there are no rows to show");
        }
        let bars = self.rows.iter().flat_map(|r| &r.bars);
        let span = bars.fold(None, |acc: Option<(f64, f64)>, b| {
            let (s, e) = (b.start.axis_value(), b.end.axis_value());
            let (s, e) = (s.min(e), s.max(e));
            Some(acc.map_or((s, e), |(lo, hi)| (lo.min(s), hi.max(e))))
        });
        let (lo, hi) = match (self.x_range, span) {
            (Some((a, b)), _) if a < b => (a.axis_value(), b.axis_value()),
            (_, Some((lo, hi))) if hi > lo => snap_time_range(lo, hi),
            // Only zero-length bars at one instant: an hour around it.
            (_, Some((lo, _))) => (lo - 1800.0, lo + 1800.0),
            _ => return no_data(c, size, &self.title, &self.subtitle, "no row has an interval"),
        };

        let colours = self.category_colours();
        let legend: Vec<LegendItem> = if colours.len() >= 2 {
            colours.iter().map(|(name, col)| LegendItem::new(Swatch::Patch(*col, 1.0), name)).collect()
        } else {
            Vec::new()
        };
        let top = header_and_legend(c, size, &self.title, &self.subtitle, &legend)?;

        // Rows run top to bottom; on the axis, row i occupies [n-1-i, n-i].
        let n = self.rows.len();
        let est_row = (size.1 as f64 - top - 90.0) / n as f64;
        let every = (line_height(TICK_EM) * 1.3 / est_row).ceil().max(1.0) as usize;
        let ticks = (0..n)
            .filter(|i| i % every == 0)
            .map(|i| Tick {
                value: (n - 1 - i) as f64 + 0.5,
                label: ellipsize(&self.rows[i].label, TICK_EM, ROW_LABEL_MAX),
            })
            .collect();
        let y = Axis { lo: 0.0, hi: n as f64, log: false, ticks };
        let plot = layout_plot(
            size,
            top,
            0.0,
            AxisKind::Time(lo, hi),
            AxisKind::Fixed(y),
            &time_title(&self.x_label, lo, hi),
            "",
        );
        let area = plot.rect();

        let row_h = (area.y1 - area.y0) / n as f64;
        for i in (1..n).step_by(2) {
            let y0 = area.y0 + i as f64 * row_h;
            c.fill_rect((area.x0, y0), (area.x1, y0 + row_h), BAND, 1.0)?;
        }
        plot.grid(c, true, false)?;
        let bar_h = (row_h * 0.64).max(1.0);
        for (i, row) in self.rows.iter().enumerate() {
            let cy = area.y0 + (i as f64 + 0.5) * row_h;
            for b in &row.bars {
                let (s, e) = (plot.px(b.start.axis_value()), plot.px(b.end.axis_value()));
                let (mut s, mut e) = (s.min(e).max(area.x0), s.max(e).min(area.x1));
                if e < s {
                    continue; // wholly outside the range shown
                }
                // Keep a pass of minutes visible on an axis of days.
                if e - s < 1.5 {
                    let m = (s + e) / 2.0;
                    (s, e) = ((m - 0.75).max(area.x0), (m + 0.75).min(area.x1));
                }
                let col = colours.iter().find(|(n, _)| *n == b.category).map_or(palette(0), |(_, c)| *c);
                c.fill_rect((s, cy - bar_h / 2.0), (e, cy + bar_h / 2.0), col, 1.0)?;
            }
        }
        plot.axes(c)
    }
}
