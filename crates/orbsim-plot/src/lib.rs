//! Charts for run reports: plain numbers, [`UtcTime`]s and strings in, `<stem>.png` and
//! `<stem>.svg` out.
//!
//! Each chart is a plain struct describing *what* to show (title, axis titles with units,
//! the data); the layout — tick positions, date labels, legend placement, label collision —
//! is decided here so that every chart of a run looks the same and reads at a glance. The
//! module knows nothing about satellites or passes: callers turn their own results into
//! series, bars or intervals.
//!
//! * [`line_chart`]: named (x, y) series drawn as lines, steps or points, x numeric or UTC,
//!   with optional shaded x-intervals and labelled horizontal reference lines.
//! * [`timeline`]: a Gantt chart of categorised intervals, one row per label, on a UTC axis.
//! * [`cdf`]: empirical distribution functions with percentile markers.
//! * [`world_map`]: an equirectangular map with coastline, ground tracks, stations,
//!   coverage circles and a colour-coded field of cells with a colour bar; [`load_coastline`] reads the bundled Natural Earth GeoJSON.
//! * [`bar_chart`] (grouped bars) and [`scatter`] (labelled points) for comparing sweep runs.
//!
//! Text is set in DejaVu Sans, compiled into the binary and rasterised by `ab_glyph`, so no
//! system font library is needed and a PNG is the same on every machine. PNGs are drawn at
//! twice their size and averaged down, which anti-aliases lines (plotters' rasteriser does
//! not). SVGs keep text as `<text>` (searchable, small) and name DejaVu Sans with wide
//! fallbacks (Verdana, then any sans-serif) so that labels laid out for DejaVu still fit.
//!
//! Output is deterministic: the same chart gives byte-identical files. Empty data never
//! panics: the chart is still written, with its title and a "No data" notice, so a report
//! can always show what was (not) there.
//!
//! ```no_run
//! use orbsim_plot::{line_chart, LineChart, Series, SeriesKind, Shading, RefLine};
//! use orbsim_time::UtcTime;
//!
//! let t0 = UtcTime::parse("2026-03-19T00:00:00Z").unwrap();
//! let chart = LineChart {
//!     title: "Upload progress".into(),
//!     x_label: "Time".into(),
//!     y_label: "Verified (GB)".into(),
//!     series: vec![Series::new("verified", SeriesKind::Step, vec![(t0, 0.0), (t0.plus_seconds(3600.0), 1.2)])],
//!     shading: vec![Shading::new("pass", vec![(t0.plus_seconds(600.0), t0.plus_seconds(1200.0))])],
//!     ref_lines: vec![RefLine::new(5.03, "model size 5.03 GB")],
//!     ..Default::default()
//! };
//! line_chart(&chart, std::path::Path::new("out/upload_progress")).unwrap();
//! ```

#![warn(missing_docs)]

mod axis;
mod bar;
mod canvas;
mod cdf;
mod layout;
mod line;
mod map;
mod scatter;
mod timeline;

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};

use orbsim_time::UtcTime;

pub use bar::{BarChart, BarSeries, bar_chart};
pub use cdf::{CdfChart, SampleSet, cdf};
pub use line::{LineChart, RefLine, Series, SeriesKind, Shading, line_chart};
pub use map::{
    Coverage, FieldCell, GroundTrack, MapField, MapPoints, MapStation, Polyline, WorldMap, load_coastline, world_map,
};
pub use scatter::{ScatterChart, ScatterPoint, ScatterSeries, scatter};
pub use timeline::{Bar, Category, Timeline, TimelineRow, timeline};

/// The bundled font (DejaVu Sans 2.35, Bitstream Vera licence: `crates/orbsim-plot/assets/fonts/LICENSE-DejaVu.txt`).
const FONT_BYTES: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");

/// Default image size in pixels: wide enough for a week of passes at a readable density,
/// and a 12:7 shape that suits both a report page and a slide.
pub const DEFAULT_SIZE: (u32, u32) = (1200, 700);

/// Why a chart could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The PNG or SVG file could not be written (nothing is left half-written).
    #[error("{path}: cannot write: {source}")]
    Write {
        /// The file that could not be written.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The drawing library failed (for example the font could not rasterise a glyph).
    #[error("cannot draw chart `{title}`: {message}")]
    Render {
        /// The chart's title.
        title: String,
        /// What the drawing library reported.
        message: String,
    },
    /// The PNG encoder failed.
    #[error("cannot encode PNG of chart `{title}`: {message}")]
    Encode {
        /// The chart's title.
        title: String,
        /// What the encoder reported.
        message: String,
    },
    /// The bundled font was rejected by the font loader (a build problem, not a data one).
    #[error("the bundled DejaVu Sans font cannot be loaded")]
    Font,
    /// The coastline file could not be read.
    #[error("{path}: cannot read coastline: {source}")]
    CoastlineRead {
        /// The file given.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The coastline file is not GeoJSON with line geometries.
    #[error("{path}: not a GeoJSON coastline: {message}")]
    CoastlineFormat {
        /// The file given.
        path: PathBuf,
        /// What is wrong, with the feature index where known.
        message: String,
    },
}

/// The two files a chart was written to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlotFiles {
    /// The PNG file.
    pub png: PathBuf,
    /// The SVG file.
    pub svg: PathBuf,
}

/// An sRGB colour. Charts pick colours from [`PALETTE`] unless one is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rgb(pub u8, pub u8, pub u8);

/// Okabe–Ito colours, distinguishable with the common colour-vision deficiencies, in the
/// order series receive them. Yellow comes last: it is the hardest to see on white.
pub const PALETTE: [Rgb; 8] = [
    Rgb(0x00, 0x72, 0xB2), // blue
    Rgb(0xE6, 0x9F, 0x00), // orange
    Rgb(0x00, 0x9E, 0x73), // bluish green
    Rgb(0xD5, 0x5E, 0x00), // vermillion
    Rgb(0xCC, 0x79, 0xA7), // reddish purple
    Rgb(0x56, 0xB4, 0xE9), // sky blue
    Rgb(0x00, 0x00, 0x00), // black
    Rgb(0xF0, 0xE4, 0x42), // yellow
];

/// The palette colour of the `i`-th series (cycling).
pub fn palette(i: usize) -> Rgb {
    PALETTE[i % PALETTE.len()]
}

/// How a numeric axis maps values to positions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Scale {
    #[default]
    /// Equal distances for equal differences.
    Linear,
    /// Base-10 logarithmic, for quantities spanning orders of magnitude (latencies from
    /// milliseconds to hours). Values ≤ 0 cannot be placed and are left out.
    Log,
}

/// A value that can sit on a horizontal axis: a plain number (`f64`) or a UTC instant
/// ([`UtcTime`], drawn with calendar-aligned ticks and UTC date/time labels).
pub trait XValue: Copy + sealed::XValue {}
impl XValue for f64 {}
impl XValue for UtcTime {}

/// A chart that can be rendered. Implemented by every chart type of this module.
pub trait Figure: sealed::Draw {
    /// The PNG file's bytes (8-bit RGB, anti-aliased).
    fn render_png(&self) -> Result<Vec<u8>, PlotError> {
        canvas::render_png(self)
    }

    /// The SVG document, e.g. to inline in an HTML report.
    fn render_svg(&self) -> Result<String, PlotError> {
        canvas::render_svg(self)
    }

    /// Renders both formats, then writes `<stem>.png` and `<stem>.svg` atomically (a
    /// temporary name, then a rename), creating the parent folder if needed. `stem` gets the
    /// extensions appended, so a stem containing a dot keeps it.
    fn save(&self, stem: &Path) -> Result<PlotFiles, PlotError> {
        let png = self.render_png()?;
        let svg = self.render_svg()?;
        let files = PlotFiles::for_stem(stem);
        write_atomically(&files.png, &png)?;
        write_atomically(&files.svg, svg.as_bytes())?;
        Ok(files)
    }
}

impl<T: sealed::Draw> Figure for T {}

/// Writes `bytes` to a temporary file beside `path` and renames it into place, so a reader
/// never sees half a chart; the parent folder is created if needed.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), PlotError> {
    let fail = |source| PlotError::Write { path: path.to_path_buf(), source };
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(fail)?;
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(fail)?;
    file.write_all(bytes).map_err(fail)?;
    file.as_file().sync_all().map_err(fail)?;
    file.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}

impl PlotFiles {
    /// `<stem>.png` and `<stem>.svg`: the extensions are appended, so a stem containing a
    /// dot keeps it.
    pub fn for_stem(stem: &Path) -> PlotFiles {
        PlotFiles { png: with_suffix(stem, ".png"), svg: with_suffix(stem, ".svg") }
    }
}

fn with_suffix(stem: &Path, suffix: &str) -> PathBuf {
    let mut name: OsString = stem.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Registers the bundled font with plotters once per process; plotters keeps a global
/// font table keyed by family name.
fn ensure_font() -> Result<(), PlotError> {
    static REGISTERED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(canvas::FONT_FAMILY, plotters::style::FontStyle::Normal, FONT_BYTES).is_ok()
    });
    if ok { Ok(()) } else { Err(PlotError::Font) }
}

pub(crate) mod sealed {
    use plotters::prelude::DrawingBackend;

    use super::PlotError;
    use super::canvas::Canvas;
    use orbsim_time::UtcTime;

    /// Chart drawing, shared by the PNG and SVG renderers. Not implementable outside.
    pub trait Draw {
        /// Logical size in pixels (the PNG's size; the SVG's `width`/`height`).
        fn size(&self) -> (u32, u32);
        /// The title, for error messages.
        fn title(&self) -> &str;
        fn draw<DB: DrawingBackend>(&self, c: &Canvas<DB>) -> Result<(), PlotError>;
    }

    pub trait XValue {
        /// Position on the axis: the number itself, or seconds since the Unix epoch.
        fn axis_value(self) -> f64;
        /// Whether the axis is a UTC time axis.
        const IS_TIME: bool;
    }

    impl XValue for f64 {
        fn axis_value(self) -> f64 {
            self
        }
        const IS_TIME: bool = false;
    }

    impl XValue for UtcTime {
        fn axis_value(self) -> f64 {
            // f64 seconds since 1970 resolve 0.5 µs today: far finer than a pixel.
            self.unix_nanos() as f64 / 1e9
        }
        const IS_TIME: bool = true;
    }
}
