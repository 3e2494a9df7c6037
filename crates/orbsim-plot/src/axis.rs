//! Axis ranges, tick positions and tick labels.
//!
//! Numeric ticks fall on 1, 2 and 5 times a power of ten; log axes tick at decades
//! (with 2 and 5 in between when there are few decades); time axes tick on UTC boundaries
//! (whole minutes, hours, days, Mondays, month starts) chosen by the span, and label in the
//! style of a wall calendar: `06:00`, `12:00`, then `Mar 20` at midnight.

use orbsim_time::{UtcTime, civil_from_days};

/// One tick: position in axis units and its label.
#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    pub value: f64,
    pub label: String,
}

/// A laid-out axis: its range, mapping and ticks. Time axes hold seconds since the epoch.
#[derive(Debug, Clone)]
pub struct Axis {
    pub lo: f64,
    pub hi: f64,
    pub log: bool,
    pub ticks: Vec<Tick>,
}

impl Axis {
    /// Position of `v` along the axis: 0 at `lo`, 1 at `hi` (outside for values beyond).
    pub fn frac(&self, v: f64) -> f64 {
        if self.log {
            (v.log10() - self.lo.log10()) / (self.hi.log10() - self.lo.log10())
        } else if (self.hi - self.lo).is_finite() {
            (v - self.lo) / (self.hi - self.lo)
        } else {
            // A span beyond f64 (±1e308 data): halve everything first.
            (v / 2.0 - self.lo / 2.0) / (self.hi / 2.0 - self.lo / 2.0)
        }
    }

    /// A linear axis over [lo, hi] with at most about `max_ticks` ticks.
    pub fn linear(lo: f64, hi: f64, max_ticks: usize) -> Axis {
        let ticks = linear_ticks(lo, hi, max_ticks);
        Axis { lo, hi, log: false, ticks }
    }

    /// A linear axis whose labels are percentages of a 0..1 value.
    pub fn percent(lo: f64, hi: f64, max_ticks: usize) -> Axis {
        let mut axis = Axis::linear(lo * 100.0, hi * 100.0, max_ticks);
        axis.lo = lo;
        axis.hi = hi;
        for t in &mut axis.ticks {
            t.value /= 100.0;
            t.label.push('%');
        }
        axis
    }

    /// A base-10 logarithmic axis over [lo, hi], both > 0.
    pub fn log(lo: f64, hi: f64, max_ticks: usize) -> Axis {
        Axis { lo, hi, log: true, ticks: log_ticks(lo, hi, max_ticks) }
    }

    /// A UTC time axis over [lo, hi] seconds since the epoch.
    pub fn time(lo: f64, hi: f64, max_ticks: usize) -> Axis {
        Axis { lo, hi, log: false, ticks: time_ticks(lo, hi, max_ticks) }
    }
}

/// A data range padded for display. `pad` is a fraction of the span added at both ends;
/// a degenerate range (one value) is widened so the value sits mid-axis. With `floor_zero`,
/// non-negative data whose minimum is near zero start exactly at zero, which is what a
/// reader expects for counts, bytes and rates.
pub fn padded_range(min: f64, max: f64, pad: f64, floor_zero: bool) -> (f64, f64) {
    let (mut lo, mut hi) = (min, max);
    if hi - lo <= f64::EPSILON * hi.abs().max(1.0) {
        let half = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        lo -= half;
        hi += half;
        if floor_zero && min >= 0.0 && lo < 0.0 {
            lo = 0.0;
        }
        return (lo, hi);
    }
    let span = hi - lo;
    if !span.is_finite() {
        return (lo, hi);
    }
    let near_zero = min >= 0.0 && min <= 0.25 * span;
    lo = if floor_zero && near_zero { 0.0 } else { lo - pad * span };
    hi += pad * span;
    if min >= 0.0 && lo < 0.0 && floor_zero {
        lo = 0.0;
    }
    (lo, hi)
}

/// A range for a log axis: `pad` is a fraction of the span in decades.
pub fn padded_log_range(min: f64, max: f64, pad: f64) -> (f64, f64) {
    let (a, b) = (min.log10(), max.log10());
    let span = (b - a).max(0.2);
    let mid = (a + b) / 2.0;
    let (a, b) = if b - a < 0.2 { (mid - 0.1, mid + 0.1) } else { (a, b) };
    (10f64.powf(a - pad * span), 10f64.powf(b + pad * span))
}

/// Whether [lo, hi] is a usable (finite, non-empty) range.
fn finite_range(lo: f64, hi: f64) -> bool {
    lo.is_finite() && hi.is_finite() && hi > lo
}

/// The nice step (1, 2 or 5 × 10^k) giving at most `max_ticks` intervals over `span`.
fn nice_step(span: f64, max_ticks: usize) -> f64 {
    let raw = span / max_ticks.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if m * mag >= raw * (1.0 - 1e-9) {
            return m * mag;
        }
    }
    10.0 * mag
}

/// Decimals needed to print multiples of `step` exactly.
fn decimals_for(step: f64) -> usize {
    (0..=12)
        .find(|&d| {
            let scaled = step * 10f64.powi(d as i32);
            (scaled - scaled.round()).abs() < 1e-6 * scaled.abs().max(1.0)
        })
        .unwrap_or(12)
}

pub fn linear_ticks(lo: f64, hi: f64, max_ticks: usize) -> Vec<Tick> {
    if !finite_range(lo, hi) {
        return Vec::new();
    }
    if !(hi - lo).is_finite() {
        let mut ticks = linear_ticks(lo / 2.0, hi / 2.0, max_ticks);
        for t in &mut ticks {
            t.value *= 2.0;
            t.label = format_number(t.value);
        }
        return ticks;
    }
    let step = nice_step(hi - lo, max_ticks);
    let decimals = decimals_for(step);
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    let biggest = lo.abs().max(hi.abs());
    let scientific = !(1e-3..1e6).contains(&biggest);
    (first..=last)
        .map(|i| {
            let value = i as f64 * step;
            let label = if i == 0 {
                "0".to_string()
            } else if scientific {
                format_scientific(value, step)
            } else {
                with_minus(format!("{value:.decimals$}"))
            };
            Tick { value, label }
        })
        .collect()
}

/// `−` (U+2212) rather than a hyphen, as typeset numbers use.
fn with_minus(s: String) -> String {
    match s.strip_prefix('-') {
        Some(rest) if rest.chars().any(|c| c != '0' && c != '.') => format!("−{rest}"),
        Some(rest) => rest.to_string(),
        None => s,
    }
}

const SUPERSCRIPTS: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];

fn superscript(n: i32) -> String {
    let mut s = String::new();
    if n < 0 {
        s.push('⁻');
    }
    for c in n.unsigned_abs().to_string().chars() {
        s.push(SUPERSCRIPTS[c.to_digit(10).unwrap_or(0) as usize]);
    }
    s
}

/// `2.5×10⁶`, with as many mantissa decimals as the step needs.
fn format_scientific(value: f64, step: f64) -> String {
    let exp = value.abs().log10().floor() as i32;
    let mantissa = value / 10f64.powi(exp);
    let decimals = decimals_for(step / 10f64.powi(exp)).min(3);
    let m = with_minus(format!("{mantissa:.decimals$}"));
    if m == "1" { format!("10{}", superscript(exp)) } else { format!("{m}×10{}", superscript(exp)) }
}

/// A short label for any number: whole numbers as they are, others to 3 significant
/// digits; scientific outside 10⁻³..10⁶.
pub fn format_number(v: f64) -> String {
    if !v.is_finite() {
        return if v > 0.0 { "∞".into() } else { "—".into() };
    }
    if v == 0.0 {
        return "0".into();
    }
    if v.fract() == 0.0 && v.abs() < 1e6 {
        return with_minus(format!("{v:.0}"));
    }
    let a = v.abs();
    if !(1e-3..1e6).contains(&a) {
        let exp = a.log10().floor() as i32;
        let m = v / 10f64.powi(exp);
        return format!("{}×10{}", with_minus(format!("{m:.2}")), superscript(exp));
    }
    let digits = 3 - 1 - a.log10().floor() as i32;
    let decimals = digits.max(0) as usize;
    with_minus(format!("{v:.decimals$}"))
}

/// A decade label: plain (`0.01`, `1000`) when `plain`, else `10ⁿ`.
fn format_decade(exp: i32, plain: bool) -> String {
    if plain {
        let v = 10f64.powi(exp);
        let decimals = (-exp).max(0) as usize;
        format!("{v:.decimals$}")
    } else {
        format!("10{}", superscript(exp))
    }
}

pub fn log_ticks(lo: f64, hi: f64, max_ticks: usize) -> Vec<Tick> {
    if !finite_range(lo, hi) || lo <= 0.0 {
        return Vec::new();
    }
    let (a, b) = (lo.log10(), hi.log10());
    if b - a < 1.0 {
        // Less than a decade: plain nice numbers read better than sparse decades.
        return linear_ticks(lo, hi, max_ticks.min(6)).into_iter().filter(|t| t.value > 0.0).collect();
    }
    let (first, last) = ((a - 1e-9).ceil() as i32, (b + 1e-9).floor() as i32);
    let decades = (last - first + 1) as usize;
    // One style per axis: plain numbers while they stay short, powers of ten otherwise.
    let plain = first >= -3 && last <= 4;
    let few_decades = b - a <= 2.0 + 1e-9;
    let every = decades.div_ceil(max_ticks.max(1)).max(1);
    let mut ticks = Vec::new();
    for e in first..=last {
        if ((e - first) as usize).is_multiple_of(every) {
            ticks.push(Tick { value: 10f64.powi(e), label: format_decade(e, plain) });
        }
    }
    if few_decades {
        // With one or two decades in view, 2 and 5 keep the axis readable.
        for e in (first - 1)..=last {
            for m in [2.0, 5.0] {
                let v = m * 10f64.powi(e);
                if v >= lo && v <= hi {
                    let label = if plain {
                        format!("{v:.*}", (-e).max(0) as usize)
                    } else {
                        format!("{m}×10{}", superscript(e))
                    };
                    ticks.push(Tick { value: v, label });
                }
            }
        }
        ticks.sort_by(|x, y| x.value.total_cmp(&y.value));
    }
    ticks
}

const MINUTE: i64 = 60;
const HOUR: i64 = 3600;
const DAY: i64 = 86_400;

/// Month names for date labels.
const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// Calendar-aligned ticks between `lo` and `hi` (seconds since the epoch).
pub fn time_ticks(lo: f64, hi: f64, max_ticks: usize) -> Vec<Tick> {
    if !finite_range(lo, hi) {
        return Vec::new();
    }
    let span = hi - lo;
    let max_ticks = max_ticks.max(2) as f64;
    if let Some(step) = fixed_time_step(span, max_ticks) {
        let origin = week_origin(step);
        let first = ((lo - origin as f64) / step as f64).ceil() as i64;
        let last = ((hi - origin as f64) / step as f64).floor() as i64;
        return (first..=last)
            .map(|i| {
                let t = origin + i * step;
                Tick { value: t as f64, label: time_label(t, step) }
            })
            .collect();
    }
    month_ticks(lo, hi, span, max_ticks)
}

/// Weeks start on Monday; 1970-01-01 was a Thursday, so Mondays are day 4 + 7n.
fn week_origin(step: i64) -> i64 {
    if step >= 7 * DAY { 4 * DAY } else { 0 }
}

/// The smallest clock-aligned step (seconds) giving at most `max_ticks` ticks over `span`,
/// or `None` when the span needs month steps.
fn fixed_time_step(span: f64, max_ticks: f64) -> Option<i64> {
    const FIXED: [i64; 21] = [
        1,
        2,
        5,
        10,
        15,
        30,
        MINUTE,
        2 * MINUTE,
        5 * MINUTE,
        10 * MINUTE,
        15 * MINUTE,
        30 * MINUTE,
        HOUR,
        2 * HOUR,
        3 * HOUR,
        6 * HOUR,
        12 * HOUR,
        DAY,
        2 * DAY,
        7 * DAY,
        14 * DAY,
    ];
    FIXED.iter().copied().find(|&s| span / s as f64 <= max_ticks)
}

/// Widens a time range outwards to round clock times (a quarter of the tick step), so that
/// an axis whose data start at 00:03 starts at 00:00.
pub fn snap_time_range(lo: f64, hi: f64) -> (f64, f64) {
    if !finite_range(lo, hi) {
        return (lo, hi);
    }
    match fixed_time_step(hi - lo, 36.0) {
        Some(step) => {
            let (origin, step) = (week_origin(step) as f64, step as f64);
            (origin + ((lo - origin) / step).floor() * step, origin + ((hi - origin) / step).ceil() * step)
        }
        None => (lo, hi),
    }
}

/// Month-start ticks for spans of months or years.
fn month_ticks(lo: f64, hi: f64, span: f64, max_ticks: f64) -> Vec<Tick> {
    // Month steps: 1, 2, 3, 6 months, then whole years.
    let months_span = span / (30.44 * DAY as f64);
    let step_months = [1, 2, 3, 6, 12, 24, 60, 120]
        .into_iter()
        .find(|&m| months_span / m as f64 <= max_ticks)
        .unwrap_or(((months_span / max_ticks).ceil() as i64 / 12 + 1) * 12);
    let (y0, m0, _) = civil_from_days((lo as i64).div_euclid(DAY));
    let mut index = y0 as i64 * 12 + (m0 as i64 - 1);
    index = index.div_euclid(step_months) * step_months;
    let mut ticks = Vec::new();
    loop {
        let (y, m) = (index.div_euclid(12) as i32, index.rem_euclid(12) as u32 + 1);
        let t = UtcTime::from_calendar(y, m, 1, 0, 0, 0).unix_nanos() / 1_000_000_000;
        if t as f64 > hi {
            break;
        }
        if t as f64 >= lo {
            let label = if step_months >= 12 { format!("{y}") } else { format!("{} {y}", MONTHS[m as usize - 1]) };
            ticks.push(Tick { value: t as f64, label });
        }
        index += step_months;
    }
    ticks
}

/// Label of a tick at `t` seconds on an axis stepping by `step` seconds: dates at
/// midnight, clock times otherwise.
fn time_label(t: i64, step: i64) -> String {
    let day = t.div_euclid(DAY);
    let sod = t.rem_euclid(DAY);
    let (_, m, d) = civil_from_days(day);
    if sod == 0 {
        format!("{} {d}", MONTHS[m as usize - 1])
    } else if step < MINUTE {
        format!("{:02}:{:02}:{:02}", sod / HOUR, (sod / MINUTE) % 60, sod % 60)
    } else {
        format!("{:02}:{:02}", sod / HOUR, (sod / MINUTE) % 60)
    }
}

/// `2026-03-19 04:05` (UTC) for axis titles.
pub fn format_minute(seconds: f64) -> String {
    let t = UtcTime::from_unix_nanos((seconds * 1e9).round() as i64);
    let (y, mo, d, h, mi, _, _) = t.to_calendar();
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(ticks: &[Tick]) -> Vec<&str> {
        ticks.iter().map(|t| t.label.as_str()).collect()
    }

    #[test]
    fn linear_ticks_are_round_numbers() {
        assert_eq!(labels(&linear_ticks(0.0, 5.3, 6)), ["0", "1", "2", "3", "4", "5"]);
        assert_eq!(labels(&linear_ticks(-0.12, 0.5, 8)), ["−0.1", "0", "0.1", "0.2", "0.3", "0.4", "0.5"]);
        assert_eq!(labels(&linear_ticks(0.0, 10.0, 4)), ["0", "5", "10"]);
        assert_eq!(labels(&linear_ticks(0.5, 1.0, 5)), ["0.5", "0.6", "0.7", "0.8", "0.9", "1.0"]);
        assert_eq!(labels(&linear_ticks(0.0, 3e6, 3)), ["0", "10⁶", "2×10⁶", "3×10⁶"]);
    }

    #[test]
    fn log_ticks_are_decades() {
        assert_eq!(labels(&log_ticks(0.05, 2000.0, 8)), ["0.1", "1", "10", "100", "1000"]);
        assert_eq!(labels(&log_ticks(1.0, 100.0, 8)), ["1", "2", "5", "10", "20", "50", "100"]);
        assert_eq!(
            labels(&log_ticks(1e-4, 1e6, 12)),
            ["10⁻⁴", "10⁻³", "10⁻²", "10⁻¹", "10⁰", "10¹", "10²", "10³", "10⁴", "10⁵", "10⁶"]
        );
    }

    #[test]
    fn time_ticks_follow_the_calendar() {
        let t0 = UtcTime::parse("2026-03-19T04:10:00Z").unwrap().unix_nanos() as f64 / 1e9;
        // 20 hours: 3-hour steps, midnight labelled with the date.
        let ticks = time_ticks(t0, t0 + 20.0 * 3600.0, 8);
        assert_eq!(labels(&ticks), ["06:00", "09:00", "12:00", "15:00", "18:00", "21:00", "Mar 20"]);
        // A week: daily ticks.
        let ticks = time_ticks(t0, t0 + 7.0 * 86400.0, 8);
        assert_eq!(labels(&ticks), ["Mar 20", "Mar 21", "Mar 22", "Mar 23", "Mar 24", "Mar 25", "Mar 26"]);
        // A year: month starts.
        let ticks = time_ticks(t0, t0 + 365.0 * 86400.0, 8);
        assert_eq!(ticks[0].label, "May 2026");
        assert!(ticks.len() <= 8);
        // Snapping widens to round times a quarter tick apart.
        let (lo, hi) = snap_time_range(t0 + 180.0, t0 + 3.0 * 86400.0 - 1000.0);
        assert_eq!((format_minute(lo), format_minute(hi)), ("2026-03-19 04:00".into(), "2026-03-22 04:00".into()));
        // Ten minutes: two-minute steps.
        let ticks = time_ticks(t0, t0 + 600.0, 8);
        assert_eq!(labels(&ticks), ["04:10", "04:12", "04:14", "04:16", "04:18", "04:20"]);
    }

    #[test]
    fn ranges_start_at_zero_for_counts() {
        assert_eq!(padded_range(3.0, 100.0, 0.05, true), (0.0, 104.85));
        assert_eq!(padded_range(5.0, 5.0, 0.05, false), (4.5, 5.5));
        assert_eq!(padded_range(0.0, 0.0, 0.05, true), (0.0, 1.0));
    }

    #[test]
    fn numbers_get_three_significant_digits() {
        assert_eq!(format_number(1234.4), "1234");
        assert_eq!(format_number(12.345), "12.3");
        assert_eq!(format_number(40.0), "40");
        assert_eq!(format_number(0.012345), "0.0123");
        assert_eq!(format_number(-2.5e7), "−2.50×10⁷");
    }
}
