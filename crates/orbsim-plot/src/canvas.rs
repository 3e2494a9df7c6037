//! A thin drawing surface over plotters' backends, in logical pixels.
//!
//! Charts lay themselves out in the logical pixel space of the final image (1200×700 by
//! default) with `f64` coordinates. The bitmap backend draws at [`SUPERSAMPLE`] times that
//! size (the PNG is averaged down afterwards, which anti-aliases lines and edges); the SVG
//! backend draws at logical size. Text is positioned by its baseline and cap height here
//! rather than by plotters' anchors, which place text differently on the two backends.

use std::fmt::Display;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontDesc, FontFamily, FontStyle, FontTransform};

use super::sealed::Draw;
use super::{PlotError, Rgb, ensure_font};

/// Font family name under which the bundled font is registered. plotters writes the family
/// verbatim into SVG `font-family` attributes, so the name doubles as a CSS fallback list:
/// Verdana has nearly DejaVu's metrics, so labels laid out for DejaVu still fit.
pub const FONT_FAMILY: &str = "DejaVu Sans, Verdana, sans-serif";

/// DejaVu Sans metrics in ems (hhea ascender 1901, descender 483, cap height 1493 of 2048
/// units). `ab_glyph` scales a font so that ascender + descender equals the requested size,
/// which makes one em `EM_PER_SIZE` of that size.
const EM_PER_SIZE: f64 = 2048.0 / (1901.0 + 483.0);
const CAP_HEIGHT: f64 = 1493.0 / 2048.0;
const DESCENT: f64 = 483.0 / 2048.0;

/// Bitmap charts are drawn this many times larger, then averaged down.
const SUPERSAMPLE: u32 = 2;

/// Horizontal text alignment relative to the given x.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HAlign {
    Left,
    Center,
    Right,
}

/// Vertical text alignment relative to the given y, by the capital letters: `Top` puts the
/// top of capitals at y, `Middle` centres capitals on y, `Bottom` puts the lowest descender
/// at y.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VAlign {
    Top,
    Middle,
    Baseline,
    Bottom,
}

/// Marker shapes; series get different shapes as well as colours so that they stay
/// distinguishable in greyscale print and for colour-blind readers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    Circle,
    Square,
    TriangleUp,
    Diamond,
    TriangleDown,
}

impl Marker {
    pub fn nth(i: usize) -> Marker {
        [Marker::Circle, Marker::Square, Marker::TriangleUp, Marker::Diamond, Marker::TriangleDown][i % 5]
    }
}

/// Width of `text` at `em` pixels per em. Measured through plotters with the registered font
/// at four times the size, so the integer result keeps sub-pixel precision.
pub fn text_width(text: &str, em: f64) -> f64 {
    if text.is_empty() {
        return 0.0;
    }
    let desc = FontDesc::new(FontFamily::Name(FONT_FAMILY), 4.0 * em / EM_PER_SIZE, FontStyle::Normal);
    match desc.box_size(text) {
        Ok((w, _)) => w as f64 / 4.0,
        // Unregistered font: a generous estimate keeps layout sane (render fails anyway).
        Err(_) => 0.6 * em * text.chars().count() as f64,
    }
}

/// Height of capitals at `em` pixels per em.
pub fn cap_height(em: f64) -> f64 {
    CAP_HEIGHT * em
}

/// Depth of descenders below the baseline at `em` pixels per em.
pub fn descent(em: f64) -> f64 {
    DESCENT * em
}

/// Shortens `text` with an ellipsis until it fits `max_width`.
pub fn ellipsize(text: &str, em: f64, max_width: f64) -> String {
    if text_width(text, em) <= max_width {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    let mut n = chars.len();
    while n > 1 {
        n -= 1;
        let candidate: String = chars[..n].iter().collect::<String>() + "…";
        if text_width(&candidate, em) <= max_width {
            return candidate;
        }
    }
    "…".to_string()
}

/// A drawing surface in logical pixels.
pub struct Canvas<'a, DB: DrawingBackend> {
    area: &'a DrawingArea<DB, Shift>,
    /// Backend pixels per logical pixel.
    k: f64,
    svg: bool,
    title: &'a str,
}

fn rgba(c: Rgb, alpha: f64) -> RGBAColor {
    RGBAColor(c.0, c.1, c.2, alpha)
}

impl<DB: DrawingBackend> Canvas<'_, DB> {
    fn fail(&self, e: impl Display) -> PlotError {
        PlotError::Render { title: self.title.to_string(), message: e.to_string() }
    }

    fn p(&self, (x, y): (f64, f64)) -> (i32, i32) {
        ((x * self.k).round() as i32, (y * self.k).round() as i32)
    }

    fn stroke(&self, width: f64) -> u32 {
        (width * self.k).round().max(1.0) as u32
    }

    pub fn fill(&self, colour: Rgb) -> Result<(), PlotError> {
        self.area.fill(&rgba(colour, 1.0)).map_err(|e| self.fail(e))
    }

    /// Draws text with its anchor at (x, y).
    #[allow(clippy::too_many_arguments)]
    pub fn text(
        &self,
        text: &str,
        x: f64,
        y: f64,
        em: f64,
        colour: Rgb,
        h: HAlign,
        v: VAlign,
    ) -> Result<(), PlotError> {
        if text.is_empty() {
            return Ok(());
        }
        let baseline = match v {
            VAlign::Top => y + CAP_HEIGHT * em,
            VAlign::Middle => y + CAP_HEIGHT * em / 2.0,
            VAlign::Baseline => y,
            VAlign::Bottom => y - DESCENT * em,
        };
        self.text_at_baseline(text, x, baseline, em, colour, h, FontTransform::None)
    }

    /// Draws text reading upwards (a y-axis title), its capitals centred on (x, y).
    pub fn text_up(&self, text: &str, x: f64, y: f64, em: f64, colour: Rgb) -> Result<(), PlotError> {
        // Rotated 270°, the text's "down" is the screen's +x: the baseline lies right of x.
        let baseline_x = x + CAP_HEIGHT * em / 2.0;
        self.text_at_baseline(text, baseline_x, y, em, colour, HAlign::Center, FontTransform::Rotate270)
    }

    /// Both backends are asked for top-anchored text; they put the baseline at different
    /// depths below that anchor (bitmap: half the ab_glyph size; SVG: `dy="0.76em"`), so the
    /// anchor is moved to land the baseline where it is wanted. The SVG size is scaled so
    /// that its em (plotters writes `font-size` = size / 1.24) matches the bitmap's.
    #[allow(clippy::too_many_arguments)]
    fn text_at_baseline(
        &self,
        text: &str,
        x: f64,
        baseline: f64,
        em: f64,
        colour: Rgb,
        h: HAlign,
        transform: FontTransform,
    ) -> Result<(), PlotError> {
        let em_px = em * self.k;
        let (size, drop) =
            if self.svg { (em_px * 1.24, 0.76 * em_px) } else { (em_px / EM_PER_SIZE, 0.5 * em_px / EM_PER_SIZE) };
        let hpos = match h {
            HAlign::Left => HPos::Left,
            HAlign::Center => HPos::Center,
            HAlign::Right => HPos::Right,
        };
        let rotated = matches!(transform, FontTransform::Rotate270);
        let pos = if rotated {
            ((x * self.k - drop).round() as i32, (baseline * self.k).round() as i32)
        } else {
            ((x * self.k).round() as i32, (baseline * self.k - drop).round() as i32)
        };
        let colour = rgba(colour, 1.0);
        let style = TextStyle::from(FontDesc::new(FontFamily::Name(FONT_FAMILY), size, FontStyle::Normal))
            .color(&colour)
            .pos(Pos::new(hpos, VPos::Top))
            .transform(transform);
        self.area.draw_text(text, &style, pos).map_err(|e| self.fail(e))
    }

    /// A polyline; consecutive points that land on the same backend pixel are merged.
    pub fn path(&self, points: &[(f64, f64)], colour: Rgb, alpha: f64, width: f64) -> Result<(), PlotError> {
        let mut pixels: Vec<(i32, i32)> = Vec::with_capacity(points.len());
        for &pt in points {
            let q = self.p(pt);
            if pixels.last() != Some(&q) {
                pixels.push(q);
            }
        }
        if pixels.len() == 1 {
            pixels.push(pixels[0]);
        }
        if pixels.is_empty() {
            return Ok(());
        }
        let stroke_width = self.stroke(width);
        let style = ShapeStyle { color: rgba(colour, alpha), filled: false, stroke_width };
        if self.svg || stroke_width <= 1 {
            return self.area.draw(&PathElement::new(pixels, style)).map_err(|e| self.fail(e));
        }
        // The bitmap rasteriser fills a thick polyline as one polygon, which turns into
        // streaks when the line doubles back on itself (noisy data). Drawing runs that only
        // turn gently, with round joints where they meet, avoids that.
        let runs = gentle_runs(&pixels);
        let joint = ShapeStyle { color: rgba(colour, alpha), filled: true, stroke_width: 0 };
        let r = (stroke_width / 2).max(1) as i32;
        for (k, run) in runs.iter().enumerate() {
            self.area.draw(&PathElement::new(run.clone(), style)).map_err(|e| self.fail(e))?;
            if k + 1 < runs.len()
                && let Some(&p) = run.last()
            {
                self.area.draw(&Circle::new(p, r, joint)).map_err(|e| self.fail(e))?;
            }
        }
        Ok(())
    }

    /// A dashed polyline: `dash` on, `gap` off, measured along the line in logical pixels.
    pub fn dashed_path(
        &self,
        points: &[(f64, f64)],
        colour: Rgb,
        width: f64,
        dash: f64,
        gap: f64,
    ) -> Result<(), PlotError> {
        for piece in dash_pieces(points, dash, gap) {
            self.path(&piece, colour, 1.0, width)?;
        }
        Ok(())
    }

    /// A filled axis-aligned rectangle between two corners.
    pub fn fill_rect(&self, a: (f64, f64), b: (f64, f64), colour: Rgb, alpha: f64) -> Result<(), PlotError> {
        let (p, q) = (self.p(a), self.p(b));
        let style = ShapeStyle { color: rgba(colour, alpha), filled: true, stroke_width: 0 };
        self.area.draw(&Rectangle::new([p, q], style)).map_err(|e| self.fail(e))
    }

    pub fn stroke_rect(&self, a: (f64, f64), b: (f64, f64), colour: Rgb, width: f64) -> Result<(), PlotError> {
        let (p, q) = (self.p(a), self.p(b));
        let style = ShapeStyle { color: rgba(colour, 1.0), filled: false, stroke_width: self.stroke(width) };
        self.area.draw(&Rectangle::new([p, q], style)).map_err(|e| self.fail(e))
    }

    pub fn fill_polygon(&self, points: &[(f64, f64)], colour: Rgb, alpha: f64) -> Result<(), PlotError> {
        let pixels: Vec<(i32, i32)> = points.iter().map(|&p| self.p(p)).collect();
        let style = ShapeStyle { color: rgba(colour, alpha), filled: true, stroke_width: 0 };
        self.area.draw(&Polygon::new(pixels, style)).map_err(|e| self.fail(e))
    }

    /// A filled marker of radius `r` centred on (x, y), with an optional outline that keeps
    /// overlapping markers apart.
    pub fn marker(&self, shape: Marker, x: f64, y: f64, r: f64, fill: Rgb, edge: Option<Rgb>) -> Result<(), PlotError> {
        let outline = |pts: &[(f64, f64)]| -> Vec<(f64, f64)> {
            let mut v = pts.to_vec();
            v.push(pts[0]);
            v
        };
        match shape {
            Marker::Circle => {
                let c = self.p((x, y));
                let rad = (r * self.k).round().max(1.0) as i32;
                let style = ShapeStyle { color: rgba(fill, 1.0), filled: true, stroke_width: 0 };
                self.area.draw(&Circle::new(c, rad, style)).map_err(|e| self.fail(e))?;
                if let Some(edge) = edge {
                    let style = ShapeStyle { color: rgba(edge, 1.0), filled: false, stroke_width: self.stroke(1.0) };
                    self.area.draw(&Circle::new(c, rad, style)).map_err(|e| self.fail(e))?;
                }
                Ok(())
            }
            _ => {
                let r = match shape {
                    Marker::Square => r * 0.9,
                    Marker::Diamond => r * 1.2,
                    _ => r * 1.15,
                };
                let pts: Vec<(f64, f64)> = match shape {
                    Marker::Square => vec![(x - r, y - r), (x + r, y - r), (x + r, y + r), (x - r, y + r)],
                    Marker::Diamond => vec![(x, y - r), (x + r, y), (x, y + r), (x - r, y)],
                    Marker::TriangleUp => vec![(x, y - r), (x + 0.866 * r, y + 0.5 * r), (x - 0.866 * r, y + 0.5 * r)],
                    _ => vec![(x, y + r), (x + 0.866 * r, y - 0.5 * r), (x - 0.866 * r, y - 0.5 * r)],
                };
                self.fill_polygon(&pts, fill, 1.0)?;
                if let Some(edge) = edge {
                    self.path(&outline(&pts), edge, 1.0, 1.0)?;
                }
                Ok(())
            }
        }
    }
}

/// Splits a pixel polyline where it turns by more than 60° or after 64 points: pieces
/// that a polygon fill strokes cleanly. Consecutive pieces share their joint point.
fn gentle_runs(points: &[(i32, i32)]) -> Vec<Vec<(i32, i32)>> {
    let mut runs = Vec::new();
    let mut run = vec![points[0]];
    for i in 1..points.len() {
        run.push(points[i]);
        let sharp = points.get(i + 1).is_some_and(|&next| {
            let (a, b) = (points[i - 1], points[i]);
            let (ux, uy) = ((b.0 - a.0) as f64, (b.1 - a.1) as f64);
            let (vx, vy) = ((next.0 - b.0) as f64, (next.1 - b.1) as f64);
            // cos(turn) < 0.5, i.e. a turn of more than 60°.
            ux * vx + uy * vy < 0.5 * (ux.hypot(uy) * vx.hypot(vy))
        });
        if (sharp || run.len() >= 64) && i + 1 < points.len() {
            runs.push(std::mem::replace(&mut run, vec![points[i]]));
        }
    }
    runs.push(run);
    runs
}

/// Splits a polyline into dashes.
fn dash_pieces(points: &[(f64, f64)], dash: f64, gap: f64) -> Vec<Vec<(f64, f64)>> {
    let mut pieces = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    let period = dash + gap;
    let mut phase = 0.0; // distance into the current period
    for w in points.windows(2) {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        let len = ((x1 - x0).powi(2) + (y1 - y0).powi(2)).sqrt();
        if len == 0.0 {
            continue;
        }
        let mut s = 0.0;
        while s < len {
            let on = phase < dash;
            let step = if on { dash - phase } else { period - phase }.min(len - s);
            let at = |d: f64| (x0 + (x1 - x0) * d / len, y0 + (y1 - y0) * d / len);
            if on {
                if current.is_empty() {
                    current.push(at(s));
                }
                current.push(at(s + step));
            }
            s += step;
            phase += step;
            if phase >= dash && !current.is_empty() && phase - step < dash {
                pieces.push(std::mem::take(&mut current));
            }
            if phase >= period {
                phase -= period;
            }
        }
    }
    if current.len() > 1 {
        pieces.push(current);
    }
    pieces
}

pub fn render_png<F: Draw + ?Sized>(figure: &F) -> Result<Vec<u8>, PlotError> {
    ensure_font()?;
    let (w, h) = figure.size();
    let (bw, bh) = (w * SUPERSAMPLE, h * SUPERSAMPLE);
    let mut big = vec![255u8; bw as usize * bh as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut big, (bw, bh)).into_drawing_area();
        let canvas = Canvas { area: &root, k: SUPERSAMPLE as f64, svg: false, title: figure.title() };
        figure.draw(&canvas)?;
        root.present().map_err(|e| canvas.fail(e))?;
    }
    let small = downsample(&big, w as usize, h as usize, SUPERSAMPLE as usize);
    let mut png = Vec::new();
    let encoder = image::codecs::png::PngEncoder::new_with_quality(
        &mut png,
        image::codecs::png::CompressionType::Default,
        image::codecs::png::FilterType::Adaptive,
    );
    image::ImageEncoder::write_image(encoder, &small, w, h, image::ColorType::Rgb8)
        .map_err(|e| PlotError::Encode { title: figure.title().to_string(), message: e.to_string() })?;
    Ok(png)
}

/// Box-filters an RGB image `k` times larger than `w`×`h` down to `w`×`h`.
fn downsample(big: &[u8], w: usize, h: usize, k: usize) -> Vec<u8> {
    let bw = w * k;
    let mut out = vec![0u8; w * h * 3];
    let n = (k * k) as u32;
    for y in 0..h {
        for x in 0..w {
            let mut sum = [0u32; 3];
            for dy in 0..k {
                let row = (y * k + dy) * bw;
                for dx in 0..k {
                    let i = (row + x * k + dx) * 3;
                    sum[0] += big[i] as u32;
                    sum[1] += big[i + 1] as u32;
                    sum[2] += big[i + 2] as u32;
                }
            }
            let o = (y * w + x) * 3;
            for c in 0..3 {
                out[o + c] = ((sum[c] + n / 2) / n) as u8;
            }
        }
    }
    out
}

pub fn render_svg<F: Draw + ?Sized>(figure: &F) -> Result<String, PlotError> {
    ensure_font()?;
    let size = figure.size();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        let canvas = Canvas { area: &root, k: 1.0, svg: true, title: figure.title() };
        figure.draw(&canvas)?;
        root.present().map_err(|e| canvas.fail(e))?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dashes_alternate_along_a_line() {
        let pieces = dash_pieces(&[(0.0, 0.0), (10.0, 0.0), (10.0, 10.0)], 3.0, 2.0);
        // 20 px of line with a 5 px period: dashes at 0–3, 5–8, 10–13 (around the corner), 15–18.
        assert_eq!(pieces.len(), 4);
        assert_eq!(pieces[0], vec![(0.0, 0.0), (3.0, 0.0)]);
        assert_eq!(pieces[2], vec![(10.0, 0.0), (10.0, 3.0)]);
    }

    #[test]
    fn downsampling_averages_blocks() {
        let big = [0u8, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255, 255];
        assert_eq!(downsample(&big, 1, 1, 2), vec![191, 191, 191]);
    }
}
