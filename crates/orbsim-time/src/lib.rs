//! UTC instants, durations, Julian dates and sidereal time.
//!
//! Time is an integer count of nanoseconds since 1970-01-01T00:00:00 UTC with every day
//! 86,400 s long (POSIX time). Leap seconds are therefore not counted: an interval that
//! spans one (none has occurred since 2016-12-31) is 1 s short. TLE epochs are UTC, so
//! SGP4's minutes-since-epoch come out right for any window that does not cross a leap
//! second. Integer nanoseconds keep simulation time exact and totally ordered; an `i64`
//! covers 1677-09-21 to 2262-04-11.
//!
//! Inputs are held well inside that span so that no sum of them can wrap: times parse only
//! from [`FIRST_YEAR`] to [`LAST_YEAR`] and durations only up to [`MAX_DURATION_NS`]
//! (the latest time plus the longest duration ends in 2201, 60 years inside the clock). Arithmetic on instants is
//! checked all the same: overflow is a bug, never a silently wrapped date.
//!
//! UT1 is taken equal to UTC when Earth rotation is needed (|UT1−UTC| < 0.9 s, i.e. at
//! most about 0.4 km of Earth rotation at the equator; see `frames`).

use std::fmt;

pub const NANOS_PER_SECOND: i64 = 1_000_000_000;
pub const SECONDS_PER_DAY: i64 = 86_400;
pub const NANOS_PER_DAY: i64 = SECONDS_PER_DAY * NANOS_PER_SECOND;
/// Julian date of the Unix epoch 1970-01-01T00:00:00.
pub const JD_UNIX_EPOCH: f64 = 2_440_587.5;
/// J2000.0 (2000-01-01T12:00:00) as nanoseconds since the Unix epoch.
pub const J2000_UNIX_NS: i64 = 946_728_000 * NANOS_PER_SECOND;

/// The first and last calendar years a time may be written with (TLE and OMM epochs,
/// scenario and command-line times).
pub const FIRST_YEAR: i32 = 1900;
pub const LAST_YEAR: i32 = 2100;
/// The longest duration accepted anywhere: 100 years of 365.25 days.
pub const MAX_DURATION_NS: i64 = 36_525 * NANOS_PER_DAY;

/// A UTC instant: nanoseconds since 1970-01-01T00:00:00 UTC (leap seconds not counted).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct UtcTime(i64);

/// Why a time or duration string was rejected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TimeError {
    #[error("{} is not an ISO-8601 UTC time (expected e.g. 2026-03-19T00:00:00Z or 2026-03-19T00:00:00.250Z)", quoted(.0))]
    BadTime(String),
    #[error("{} is not a duration (expected a number and a unit: 90s, 30m, 12h, 7d, 500ms)", quoted(.0))]
    BadDuration(String),
    #[error("duration {} must not be negative", quoted(.0))]
    NegativeDuration(String),
    #[error("{} is outside the supported years {FIRST_YEAR}–{LAST_YEAR} (time is kept in 64-bit nanoseconds)", quoted(.0))]
    YearOutOfRange(String),
    #[error("duration {} is longer than the 100 years supported", quoted(.0))]
    DurationTooLong(String),
}

impl UtcTime {
    pub const fn from_unix_nanos(ns: i64) -> Self {
        UtcTime(ns)
    }

    pub const fn unix_nanos(self) -> i64 {
        self.0
    }

    /// Builds an instant from a calendar date and time of day (proleptic Gregorian); the
    /// date must lie in the clock's span (callers pass parsed or computed dates, not raw input).
    pub fn from_calendar(year: i32, month: u32, day: u32, hour: u32, minute: u32, nanos_of_minute: i64) -> Self {
        let days = days_from_civil(year, month, day);
        UtcTime(days * NANOS_PER_DAY + (hour as i64 * 3600 + minute as i64 * 60) * NANOS_PER_SECOND + nanos_of_minute)
    }

    /// Builds an instant from a TLE-style epoch: a year and a fractional day of year
    /// (1.0 is January 1st at 00:00). `None` unless the year is within
    /// [`FIRST_YEAR`]…[`LAST_YEAR`] and the day within 1 to 367 (exclusive).
    pub fn from_year_and_day(year: i32, day_of_year: f64) -> Option<Self> {
        if !(FIRST_YEAR..=LAST_YEAR).contains(&year) || !(1.0..367.0).contains(&day_of_year) {
            return None;
        }
        let jan1 = days_from_civil(year, 1, 1) * NANOS_PER_DAY;
        Some(UtcTime(jan1 + ((day_of_year - 1.0) * NANOS_PER_DAY as f64).round() as i64))
    }

    /// Parses ISO-8601 UTC: `YYYY-MM-DDTHH:MM[:SS[.fff…]]` followed by `Z`, `+00:00` or
    /// nothing (taken as UTC); a space may replace the `T`; a bare date means midnight.
    /// Years outside [`FIRST_YEAR`]…[`LAST_YEAR`] are rejected.
    pub fn parse(text: &str) -> Result<Self, TimeError> {
        let trimmed = text.trim();
        let year = trimmed.get(..4).filter(|y| y.bytes().all(|b| b.is_ascii_digit())).and_then(|y| y.parse().ok());
        if year.is_some_and(|y: i32| !(FIRST_YEAR..=LAST_YEAR).contains(&y)) {
            return Err(TimeError::YearOutOfRange(text.to_string()));
        }
        parse_iso(trimmed).ok_or_else(|| TimeError::BadTime(text.to_string()))
    }

    /// `self + ns`. Panics on overflow: validated inputs cannot reach it (see the module
    /// documentation), so reaching it is a bug to report, not a date to wrap.
    pub fn plus_nanos(self, ns: i64) -> Self {
        UtcTime(self.0.checked_add(ns).expect("simulation time overflowed the 64-bit nanosecond clock"))
    }

    /// `self + s` seconds (rounded to the nanosecond); panics like [`Self::plus_nanos`] if
    /// the result is not representable.
    pub fn plus_seconds(self, s: f64) -> Self {
        let ns = (s * NANOS_PER_SECOND as f64).round();
        assert!(ns.abs() < i64::MAX as f64, "time offset of {s} s is not representable");
        self.plus_nanos(ns as i64)
    }

    /// `self − earlier` in seconds.
    pub fn seconds_since(self, earlier: UtcTime) -> f64 {
        (self.0 - earlier.0) as f64 / NANOS_PER_SECOND as f64
    }

    /// Days since J2000.0 (2000-01-01T12:00:00 UTC), computed from the integer count so the
    /// fraction keeps full precision.
    pub fn days_since_j2000(self) -> f64 {
        let ns = self.0 - J2000_UNIX_NS;
        let days = ns.div_euclid(NANOS_PER_DAY);
        let rem = ns.rem_euclid(NANOS_PER_DAY);
        days as f64 + rem as f64 / NANOS_PER_DAY as f64
    }

    pub fn julian_date(self) -> f64 {
        2_451_545.0 + self.days_since_j2000()
    }

    /// Greenwich mean sidereal time (IAU-82, the expression SGP4 and python-sgp4 use),
    /// in radians in [0, 2π), with UT1 taken as UTC.
    pub fn gmst(self) -> f64 {
        gmst_from_days_since_j2000(self.days_since_j2000())
    }

    /// (year, month, day, hour, minute, second, nanosecond)
    pub fn to_calendar(self) -> (i32, u32, u32, u32, u32, u32, u32) {
        let days = self.0.div_euclid(NANOS_PER_DAY);
        let ns_of_day = self.0.rem_euclid(NANOS_PER_DAY);
        let (y, m, d) = civil_from_days(days);
        let secs = ns_of_day / NANOS_PER_SECOND;
        let nanos = (ns_of_day % NANOS_PER_SECOND) as u32;
        (y, m, d, (secs / 3600) as u32, ((secs / 60) % 60) as u32, (secs % 60) as u32, nanos)
    }

    /// ISO-8601 with milliseconds and `Z`, rounded to the nearest millisecond:
    /// `2026-03-19T04:05:06.789Z`.
    pub fn iso_millis(self) -> String {
        let rounded = UtcTime((self.0 + 500_000).div_euclid(1_000_000) * 1_000_000);
        let (y, mo, d, h, mi, s, ns) = rounded.to_calendar();
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{:03}Z", ns / 1_000_000)
    }
}

impl fmt::Display for UtcTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.iso_millis())
    }
}

impl fmt::Debug for UtcTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, mo, d, h, mi, s, ns) = self.to_calendar();
        write!(f, "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ns:09}Z")
    }
}

/// GMST (IAU-82) from days since J2000 in UT1, radians in [0, 2π).
pub fn gmst_from_days_since_j2000(days: f64) -> f64 {
    let t = days / 36_525.0;
    // Seconds of sidereal time; the large linear term is split so that its whole-day
    // part (876600 h × 3600 s per century = one turn a day) drops out before rounding.
    let seconds = 67_310.548_41 + 8_640_184.812_866 * t + 0.093_104 * t * t - 6.2e-6 * t * t * t;
    let turns_from_days = days.fract(); // the 876600·3600·t term is exactly `days` turns
    let angle = (seconds / 86_400.0 + turns_from_days) * std::f64::consts::TAU;
    angle.rem_euclid(std::f64::consts::TAU)
}

/// Parses `90s`, `30m`, `12h`, `7d`, `1.5h`, `500ms`, `2w` into nanoseconds.
/// A bare number is rejected, since its unit would be a guess.
pub fn parse_duration(text: &str) -> Result<i64, TimeError> {
    let t = text.trim();
    let bad = || TimeError::BadDuration(text.to_string());
    let split = t.find(|c: char| c.is_ascii_alphabetic()).ok_or_else(bad)?;
    let (number, unit) = t.split_at(split);
    let value: f64 = number.trim().parse().map_err(|_| bad())?;
    if !value.is_finite() {
        return Err(bad());
    }
    if value < 0.0 {
        return Err(TimeError::NegativeDuration(text.to_string()));
    }
    let unit_seconds = match unit.trim() {
        "ns" => 1e-9,
        "us" | "µs" => 1e-6,
        "ms" => 1e-3,
        "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
        "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3600.0,
        "d" | "day" | "days" => 86_400.0,
        "w" | "week" | "weeks" => 604_800.0,
        _ => return Err(bad()),
    };
    let ns = value * unit_seconds * NANOS_PER_SECOND as f64;
    if ns > MAX_DURATION_NS as f64 {
        return Err(TimeError::DurationTooLong(text.to_string()));
    }
    Ok(ns.round() as i64)
}

/// Formats nanoseconds as a short human duration: `43.2 s`, `12.5 min`, `3.25 h`, `2.10 d`.
pub fn format_duration(ns: i64) -> String {
    let s = ns as f64 / NANOS_PER_SECOND as f64;
    if s.abs() < 120.0 {
        format!("{s:.1} s")
    } else if s.abs() < 7200.0 {
        format!("{:.1} min", s / 60.0)
    } else if s.abs() < 2.0 * 86_400.0 {
        format!("{:.2} h", s / 3600.0)
    } else {
        format!("{:.2} d", s / 86_400.0)
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let y = year as i64 - if month <= 2 { 1 } else { 0 };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`].
pub fn civil_from_days(days: i64) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    ((y + if m <= 2 { 1 } else { 0 }) as i32, m, d)
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

fn parse_iso(s: &str) -> Option<UtcTime> {
    let b = s.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = b.get(range)?;
        if part.iter().all(u8::is_ascii_digit) { std::str::from_utf8(part).ok()?.parse().ok() } else { None }
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    // Four digits, so any year here is far inside the i64 nanosecond range until checked.
    let year = digits(0..4)? as i32;
    let month = digits(5..7)?;
    let day = digits(8..10)?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let mut rest = &s[10..];
    let (mut hour, mut minute, mut nanos_of_minute) = (0u32, 0u32, 0i64);
    if !rest.is_empty() && rest != "Z" {
        let sep = rest.as_bytes()[0];
        if sep != b'T' && sep != b't' && sep != b' ' {
            return None;
        }
        rest = &rest[1..];
        // Strip the zone designator: only UTC is accepted.
        let body = if let Some(stripped) = rest.strip_suffix(['Z', 'z']) {
            stripped
        } else if let Some(stripped) = rest.strip_suffix("+00:00") {
            stripped
        } else {
            rest
        };
        let rb = body.as_bytes();
        if rb.len() < 5 || rb[2] != b':' {
            return None;
        }
        let two = |p: &[u8]| -> Option<u32> {
            if p.len() == 2 && p.iter().all(u8::is_ascii_digit) {
                Some(((p[0] - b'0') * 10 + (p[1] - b'0')) as u32)
            } else {
                None
            }
        };
        hour = two(&rb[0..2])?;
        minute = two(&rb[3..5])?;
        if rb.len() > 5 {
            if rb[5] != b':' || rb.len() < 8 {
                return None;
            }
            let second = two(&rb[6..8])?;
            let mut frac_ns: i64 = 0;
            if rb.len() > 8 {
                if rb[8] != b'.' || rb.len() == 9 {
                    return None;
                }
                let frac = &rb[9..];
                if !frac.iter().all(u8::is_ascii_digit) {
                    return None;
                }
                let mut scale = 100_000_000i64;
                for &d in frac.iter().take(9) {
                    frac_ns += (d - b'0') as i64 * scale;
                    scale /= 10;
                }
            }
            if second > 60 {
                return None;
            }
            nanos_of_minute = second as i64 * NANOS_PER_SECOND + frac_ns;
        }
        if hour > 23 || minute > 59 {
            return None;
        }
    }
    Some(UtcTime::from_calendar(year, month, day, hour, minute, nanos_of_minute))
}

/// The most characters of a user's value an error message repeats.
const MAX_ECHO_CHARS: usize = 40;

/// A user's value as error messages echo it: in backticks, with line breaks, tabs and other
/// control characters escaped (the message stays one line) and cut after 40 characters with
/// an ellipsis (it stays short).
pub fn quoted(text: &str) -> String {
    let mut out = String::from("`");
    for (i, c) in text.chars().enumerate() {
        if i == MAX_ECHO_CHARS {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out.push('`');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip_and_known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        for d in [-800_000i64, -1, 0, 59, 10_000, 20_000, 700_000] {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
    }

    #[test]
    fn parses_and_formats_iso() {
        let t = UtcTime::parse("2026-03-19T00:00:00Z").unwrap();
        assert_eq!(t.iso_millis(), "2026-03-19T00:00:00.000Z");
        let t = UtcTime::parse("2026-03-19T04:05:06.7895Z").unwrap();
        assert_eq!(t.iso_millis(), "2026-03-19T04:05:06.790Z");
        assert_eq!(UtcTime::parse("2026-03-19").unwrap().iso_millis(), "2026-03-19T00:00:00.000Z");
        assert_eq!(UtcTime::parse("2026-03-19 12:30").unwrap().iso_millis(), "2026-03-19T12:30:00.000Z");
        assert_eq!(UtcTime::parse("2020-10-13T04:52:48.472320").unwrap().iso_millis(), "2020-10-13T04:52:48.472Z");
        for bad in
            ["2026-13-01T00:00:00Z", "2026-02-30", "yesterday", "2026-03-19T25:00:00Z", "2026-03-19T00:00:00+08:00", ""]
        {
            assert!(UtcTime::parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn julian_date_of_j2000_and_tle_epoch() {
        let j2000 = UtcTime::parse("2000-01-01T12:00:00Z").unwrap();
        assert_eq!(j2000.julian_date(), 2_451_545.0);
        let t = UtcTime::from_year_and_day(2000, 179.78495062).unwrap();
        assert!((t.julian_date() - 2_451_723.284_950_62).abs() < 1e-8);
    }

    #[test]
    fn gmst_matches_vallado_example() {
        // Vallado, Fundamentals of Astrodynamics, Example 3-5: 1992-08-20 12:14 UT1
        // gives GMST = 152.578787810°.
        let t = UtcTime::parse("1992-08-20T12:14:00Z").unwrap();
        let deg = t.gmst().to_degrees();
        assert!((deg - 152.578_787_810).abs() < 1e-6, "{deg}");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s").unwrap(), 90 * NANOS_PER_SECOND);
        assert_eq!(parse_duration("30m").unwrap(), 1800 * NANOS_PER_SECOND);
        assert_eq!(parse_duration("12h").unwrap(), 43_200 * NANOS_PER_SECOND);
        assert_eq!(parse_duration("7d").unwrap(), 7 * NANOS_PER_DAY);
        assert_eq!(parse_duration("1.5 h").unwrap(), 5400 * NANOS_PER_SECOND);
        assert_eq!(parse_duration("250ms").unwrap(), 250_000_000);
        assert!(matches!(parse_duration("-1d"), Err(TimeError::NegativeDuration(_))));
        for bad in ["", "10", "d", "10 parsecs", "1e400d"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_duration("36525d").unwrap(), MAX_DURATION_NS);
        assert!(matches!(parse_duration("36526d"), Err(TimeError::DurationTooLong(_))));
    }

    #[test]
    fn years_outside_the_supported_span_are_rejected_not_wrapped() {
        for bad in ["2263-01-01T00:00:00Z", "0001-01-01", "1899-12-31T23:59:59Z", "2101-01-01", "9999-12-31"] {
            assert!(matches!(UtcTime::parse(bad), Err(TimeError::YearOutOfRange(_))), "{bad}");
        }
        assert!(UtcTime::parse("1900-01-01").is_ok() && UtcTime::parse("2100-12-31T23:59:59.999Z").is_ok());
        let last = UtcTime::parse("2100-12-31T23:59:59Z").unwrap();
        // The latest time plus the longest duration and 60 more years still fits the clock.
        assert_eq!(last.plus_nanos(MAX_DURATION_NS).plus_nanos(60 * 365 * NANOS_PER_DAY).to_calendar().0, 2260);
        assert!(UtcTime::from_year_and_day(2263, 1.0).is_none());
        assert!(UtcTime::from_year_and_day(2020, f64::NAN).is_none());
        assert!(UtcTime::from_year_and_day(2020, 1e300).is_none());
        assert!(UtcTime::from_year_and_day(2020, 0.5).is_none());
    }

    #[test]
    #[should_panic(expected = "overflowed")]
    fn instant_overflow_panics_instead_of_wrapping() {
        let _ = UtcTime::from_unix_nanos(i64::MAX - 1).plus_nanos(2);
    }
}
