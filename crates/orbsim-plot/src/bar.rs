//! Grouped bar charts, for comparing a metric across sweep variants (layouts, strategies).

use std::path::Path;

use plotters::prelude::DrawingBackend;

use super::axis::{Axis, Tick, format_number, padded_range};
use super::canvas::{Canvas, HAlign, VAlign, ellipsize, text_width};
use super::layout::{
    AXIS, AxisKind, INK, LegendItem, MUTED, NOTE_EM, Swatch, TICK_EM, colour_or, header_and_legend, layout_plot,
    no_data,
};
use super::sealed::Draw;
use super::{DEFAULT_SIZE, Figure, PlotError, PlotFiles, Rgb};

/// One bar per category, all in one colour (e.g. one strategy across layouts).
#[derive(Debug, Clone, Default)]
pub struct BarSeries {
    /// Legend label (shown when there are two or more series).
    pub name: String,
    /// One value per category, in the chart's category order; NaN (or a missing tail)
    /// leaves the slot empty.
    pub values: Vec<f64>,
    /// Colour; by default the palette colour of the series' position.
    pub colour: Option<Rgb>,
}

impl BarSeries {
    /// A series in the palette colour of its position.
    pub fn new(name: impl Into<String>, values: Vec<f64>) -> Self {
        BarSeries { name: name.into(), values, colour: None }
    }
}

/// Bars grouped by category along x, one bar per series in each group. Bars start at zero;
/// values are printed on the bars when there is room.
#[derive(Debug, Clone, Default)]
pub struct BarChart {
    /// Chart title: what is compared, e.g. "Time to 99% of the fleet updated".
    pub title: String,
    /// Context under the title (sweep name, replications); may be empty.
    pub subtitle: String,
    /// What the categories are, e.g. "Station layout"; may be empty.
    pub x_label: String,
    /// The metric with its unit, e.g. "Time to 99% updated (h)".
    pub y_label: String,
    /// Group labels along x; long ones are wrapped onto up to three lines.
    pub categories: Vec<String>,
    /// Series, each drawn as one bar in every group, in legend order.
    pub series: Vec<BarSeries>,
}

/// Renders `chart` to `<stem>.png` and `<stem>.svg`.
pub fn bar_chart(chart: &BarChart, stem: &Path) -> Result<PlotFiles, PlotError> {
    chart.save(stem)
}

/// Greedy word wrap at spaces (and after commas) into at most `max_lines` lines of
/// `width`; the last line is shortened with an ellipsis if text remains.
fn wrap(text: &str, em: f64, width: f64, max_lines: usize) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let candidate = if current.is_empty() { word.to_string() } else { format!("{current} {word}") };
        if text_width(&candidate, em) <= width || current.is_empty() {
            current = candidate;
        } else {
            lines.push(std::mem::replace(&mut current, word.to_string()));
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    if lines.len() > max_lines {
        let rest = lines[max_lines - 1..].join(" ");
        lines.truncate(max_lines - 1);
        lines.push(rest);
    }
    lines.iter().map(|l| ellipsize(l, em, width)).collect::<Vec<_>>().join("\n")
}

/// Fraction of a category slot taken by its group of bars.
const GROUP: f64 = 0.78;

impl Draw for BarChart {
    fn size(&self) -> (u32, u32) {
        DEFAULT_SIZE
    }

    fn title(&self) -> &str {
        &self.title
    }

    fn draw<DB: DrawingBackend>(&self, c: &Canvas<DB>) -> Result<(), PlotError> {
        let size = self.size();
        let n = self.categories.len();
        let value = |s: &BarSeries, i: usize| s.values.get(i).copied().filter(|v| v.is_finite());
        let values: Vec<f64> = self.series.iter().flat_map(|s| (0..n).filter_map(move |i| value(s, i))).collect();
        if n == 0 || values.is_empty() {
            return no_data(c, size, &self.title, &self.subtitle, "no category has a value");
        }
        let min = values.iter().copied().fold(0.0, f64::min);
        let max = values.iter().copied().fold(0.0, f64::max);
        // min ≤ 0 ≤ max: bars grow from zero, so zero is always on the axis.
        let (lo, hi) = padded_range(min, max, 0.06, true);

        let legend: Vec<LegendItem> = if self.series.len() >= 2 {
            self.series
                .iter()
                .enumerate()
                .map(|(i, s)| LegendItem::new(Swatch::Patch(colour_or(s.colour, i), 1.0), &s.name))
                .collect()
        } else {
            Vec::new()
        };
        let top = header_and_legend(c, size, &self.title, &self.subtitle, &legend)?;
        let slot_estimate = (size.0 as f64 - 140.0) / n as f64;
        let ticks = self
            .categories
            .iter()
            .enumerate()
            .map(|(i, label)| Tick { value: i as f64 + 0.5, label: wrap(label, TICK_EM, slot_estimate - 8.0, 3) })
            .collect();
        let x = Axis { lo: 0.0, hi: n as f64, log: false, ticks };
        let plot =
            layout_plot(size, top, 0.0, AxisKind::Fixed(x), AxisKind::Linear(lo, hi), &self.x_label, &self.y_label);
        plot.grid(c, false, true)?;

        let ns = self.series.len().max(1) as f64;
        let slot = plot.width() / n as f64;
        let bar_w = slot * GROUP / ns;
        let zero = plot.py(0.0);
        for (j, s) in self.series.iter().enumerate() {
            let col = colour_or(s.colour, j);
            for i in 0..n {
                let x0 = plot.left + slot * (i as f64 + (1.0 - GROUP) / 2.0) + bar_w * j as f64;
                let x1 = x0 + bar_w - if ns > 1.0 { 1.0 } else { 0.0 };
                let Some(v) = value(s, i) else {
                    // Say so, rather than leave a gap that reads as zero.
                    if text_width("n/a", NOTE_EM) <= bar_w {
                        c.text("n/a", (x0 + x1) / 2.0, zero - 4.0, NOTE_EM, MUTED, HAlign::Center, VAlign::Bottom)?;
                    }
                    continue;
                };
                let y = plot.py(v).clamp(plot.top, plot.bottom);
                c.fill_rect((x0, y.min(zero)), (x1, y.max(zero)), col, 1.0)?;
                let label = format_number(v);
                if text_width(&label, NOTE_EM) + 4.0 <= bar_w {
                    let (ty, v_align) = if v >= 0.0 { (y - 4.0, VAlign::Bottom) } else { (y + 4.0, VAlign::Top) };
                    c.text(&label, (x0 + x1) / 2.0, ty, NOTE_EM, INK, HAlign::Center, v_align)?;
                }
            }
        }
        if lo < 0.0 {
            c.path(&[(plot.left, zero), (plot.right, zero)], AXIS, 1.0, 1.0)?;
        }
        plot.axes(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_respects_the_line_limit() {
        crate::ensure_font().unwrap();
        let w = wrap("twelve planes, three stations, fountain codes", TICK_EM, 90.0, 3);
        assert!(w.lines().count() <= 3, "{w}");
        assert!(w.lines().all(|l| text_width(l, TICK_EM) <= 90.0), "{w}");
        assert_eq!(wrap("short", TICK_EM, 90.0, 3), "short");
    }
}
