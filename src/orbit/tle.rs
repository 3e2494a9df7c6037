//! Two- and three-line element sets.
//!
//! Accepts the layouts found in the wild: 2-line records, 3-line records whose name line
//! may start with `0 ` (Space-Track style), CRLF or LF line endings, blank lines, `#`
//! comment lines, and text after column 69 (Vallado's verification file puts its test
//! start/stop/step there). Every field is checked; a bad record is reported with its line
//! number and the reason, and parsing carries on with the next record.

use super::{ElementRecord, MeanElements, RecordError};
use crate::time::UtcTime;
use crate::units::quoted;

/// Parses every record of a TLE text, returning the good ones and the reasons for the bad.
pub fn parse_tle_text(text: &str) -> (Vec<ElementRecord>, Vec<RecordError>) {
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches(['\r', ' ', '\t'])))
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .collect();
    let mut records = Vec::new();
    let mut errors = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let (first_line_no, first) = lines[i];
        let (name, line1_index) = if looks_like_line(first, b'1') {
            (None, i)
        } else {
            let name = first.strip_prefix("0 ").unwrap_or(first).trim().to_string();
            (Some(name), i + 1)
        };
        let record_line = first_line_no;
        let Some(&(l1_no, l1)) = lines.get(line1_index) else {
            errors
                .push(RecordError { line: record_line, reason: "name line without element lines (file ends)".into() });
            break;
        };
        if !looks_like_line(l1, b'1') {
            errors.push(RecordError {
                line: l1_no,
                reason: format!(
                    "expected element line 1 (starting `1 `) {}, found {}",
                    if name.is_some() { "after the name line" } else { "" },
                    quoted(l1)
                ),
            });
            // Resynchronise on the next line that starts a record.
            i = line1_index.max(i + 1);
            continue;
        }
        let Some(&(l2_no, l2)) = lines.get(line1_index + 1) else {
            errors.push(RecordError { line: l1_no, reason: "element line 1 without line 2 (file ends)".into() });
            break;
        };
        if !looks_like_line(l2, b'2') {
            errors.push(RecordError {
                line: l2_no,
                reason: format!("expected element line 2 (starting `2 `), found {}", quoted(l2)),
            });
            i = line1_index + 1;
            continue;
        }
        match parse_lines(l1, l2) {
            Ok((norad_id, designator, elements)) => records.push(ElementRecord {
                name,
                norad_id,
                international_designator: designator,
                elements,
                line: record_line,
            }),
            Err(FieldError { on_line2, reason }) => {
                errors.push(RecordError { line: if on_line2 { l2_no } else { l1_no }, reason })
            }
        }
        i = line1_index + 2;
    }
    (records, errors)
}

fn looks_like_line(line: &str, number: u8) -> bool {
    let b = line.as_bytes();
    b.len() >= 2 && b[0] == number && b[1] == b' '
}

/// Why a pair of element lines was rejected, and on which of the two.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    pub on_line2: bool,
    pub reason: String,
}

/// Parses the two element lines of one record: catalogue number, international
/// designator and mean elements.
pub fn parse_lines(l1: &str, l2: &str) -> Result<(u32, String, MeanElements), FieldError> {
    for (line, on_line2) in [(l1, false), (l2, true)] {
        let err = |reason: String| FieldError { on_line2, reason };
        if !line.is_ascii() {
            return Err(err("line contains non-ASCII characters".into()));
        }
        if line.len() < 69 {
            return Err(err(format!(
                "element line {} is too short: {} characters, a TLE line has 69",
                if on_line2 { 2 } else { 1 },
                line.len()
            )));
        }
        let expected = checksum(&line[..68]);
        let found = line.as_bytes()[68];
        if !found.is_ascii_digit() || (found - b'0') as u32 != expected {
            return Err(err(format!(
                "bad checksum on line {}: column 69 is {}, the digits give {expected}",
                if on_line2 { 2 } else { 1 },
                quoted(&(found as char).to_string())
            )));
        }
    }
    let f1 = Fields { line: l1, on_line2: false };
    let f2 = Fields { line: l2, on_line2: true };
    let id1 = f1.norad(3, 7)?;
    let id2 = f2.norad(3, 7)?;
    if id1 != id2 {
        return Err(FieldError {
            on_line2: true,
            reason: format!("catalogue number {id2} on line 2 differs from {id1} on line 1"),
        });
    }
    let designator = l1[9..17].trim().to_string();
    let year2 = f1.integer(19, 20, "epoch year")?;
    let day = f1.decimal(21, 32, "epoch day of year")?;
    if !(1.0..367.0).contains(&day) {
        return Err(f1.error(21, 32, "epoch day of year", "must be between 1 and 366.99…"));
    }
    // Two-digit years: 57–99 are 1957–1999, 00–56 are 2000–2056 (the NORAD convention).
    let year = if year2 < 57 { 2000 + year2 } else { 1900 + year2 } as i32;
    let mean_motion_dot = f1.decimal(34, 43, "first derivative of mean motion")?;
    let mean_motion_ddot = f1.implied_exponent(45, 52, "second derivative of mean motion")?;
    let bstar = f1.implied_exponent(54, 61, "B* drag term")?;
    let inclination = f2.decimal(9, 16, "inclination")?;
    let raan = f2.decimal(18, 25, "right ascension of the ascending node")?;
    let ecc_text = &l2[26..33];
    if !ecc_text.trim().bytes().all(|b| b.is_ascii_digit()) || ecc_text.trim().is_empty() {
        return Err(f2.error(27, 33, "eccentricity", "must be 7 digits with an implied leading decimal point"));
    }
    let eccentricity: f64 =
        format!("0.{}", ecc_text.trim()).parse().map_err(|_| f2.error(27, 33, "eccentricity", "not a number"))?;
    let arg_perigee = f2.decimal(35, 42, "argument of perigee")?;
    let mean_anomaly = f2.decimal(44, 51, "mean anomaly")?;
    let mean_motion = f2.decimal(53, 63, "mean motion")?;
    if !(0.0..=180.0).contains(&inclination) {
        return Err(f2.error(9, 16, "inclination", "must be between 0 and 180 degrees"));
    }
    if mean_motion <= 0.0 {
        return Err(f2.error(53, 63, "mean motion", "must be positive"));
    }
    let epoch = UtcTime::from_year_and_day(year, day)
        .ok_or_else(|| f1.error(21, 32, "epoch day of year", "must be between 1 and 366.99…"))?;
    let elements = MeanElements {
        epoch,
        inclination_deg: inclination,
        raan_deg: raan,
        eccentricity,
        arg_perigee_deg: arg_perigee,
        mean_anomaly_deg: mean_anomaly,
        mean_motion_rev_per_day: mean_motion,
        bstar,
        mean_motion_dot,
        mean_motion_ddot,
    };
    Ok((id1, designator, elements))
}

/// Modulo-10 checksum: digits count their value, minus signs count 1.
pub fn checksum(text: &str) -> u32 {
    text.bytes()
        .map(|b| match b {
            b'0'..=b'9' => (b - b'0') as u32,
            b'-' => 1,
            _ => 0,
        })
        .sum::<u32>()
        % 10
}

struct Fields<'a> {
    line: &'a str,
    on_line2: bool,
}

impl Fields<'_> {
    /// Columns are 1-based and inclusive, as in the format's definition.
    fn raw(&self, from: usize, to: usize) -> &str {
        &self.line[from - 1..to]
    }

    fn error(&self, from: usize, to: usize, what: &str, why: &str) -> FieldError {
        FieldError {
            on_line2: self.on_line2,
            reason: format!(
                "line {}, columns {from}-{to} ({what}): {} {why}",
                if self.on_line2 { 2 } else { 1 },
                quoted(self.raw(from, to).trim())
            ),
        }
    }

    fn decimal(&self, from: usize, to: usize, what: &str) -> Result<f64, FieldError> {
        let text = self.raw(from, to).trim();
        let text = text.strip_prefix('+').unwrap_or(text);
        let ok = !text.is_empty()
            && text.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
            && text.bytes().any(|b| b.is_ascii_digit());
        match text.parse::<f64>() {
            Ok(v) if ok && v.is_finite() => Ok(v),
            _ => Err(self.error(from, to, what, "is not a number")),
        }
    }

    fn integer(&self, from: usize, to: usize, what: &str) -> Result<u32, FieldError> {
        let text = self.raw(from, to).trim();
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(self.error(from, to, what, "is not a whole number"));
        }
        text.parse().map_err(|_| self.error(from, to, what, "is not a whole number"))
    }

    /// Catalogue numbers: 5 digits, or Alpha-5 (a letter standing for 10–33, I and O skipped).
    fn norad(&self, from: usize, to: usize) -> Result<u32, FieldError> {
        let text = self.raw(from, to).trim();
        let bad = || self.error(from, to, "catalogue number", "is not a catalogue number");
        let bytes = text.as_bytes();
        if bytes.is_empty() {
            return Err(bad());
        }
        let (lead, rest) = match bytes[0] {
            b'0'..=b'9' => (0u32, text),
            b'A'..=b'H' => ((bytes[0] - b'A' + 10) as u32, &text[1..]),
            b'J'..=b'N' => ((bytes[0] - b'J' + 18) as u32, &text[1..]),
            b'P'..=b'Z' => ((bytes[0] - b'P' + 23) as u32, &text[1..]),
            _ => return Err(bad()),
        };
        if !rest.bytes().all(|b| b.is_ascii_digit()) || rest.is_empty() {
            return Err(bad());
        }
        let n: u32 = rest.parse().map_err(|_| bad())?;
        Ok(if lead > 0 { lead * 10_000 + n } else { n })
    }

    /// Fields like ` 12345-4` meaning 0.12345e-4, with optional signs on both parts.
    fn implied_exponent(&self, from: usize, to: usize, what: &str) -> Result<f64, FieldError> {
        let text = self.raw(from, to).trim();
        let bad = || self.error(from, to, what, "is not in the ±NNNNN±E form");
        if text.is_empty() {
            return Ok(0.0);
        }
        let (sign, body) = match text.as_bytes()[0] {
            b'-' => (-1.0, &text[1..]),
            b'+' => (1.0, &text[1..]),
            _ => (1.0, text),
        };
        let body = body.trim_start();
        if body.len() < 2 {
            return Err(bad());
        }
        let (mantissa, exponent) = body.split_at(body.len() - 2);
        let exp_sign = match exponent.as_bytes()[0] {
            b'-' => -1,
            b'+' | b' ' => 1,
            b'0' if mantissa.is_empty() => 1,
            _ => return Err(bad()),
        };
        let exp_digit = exponent.as_bytes()[1];
        if !exp_digit.is_ascii_digit() || mantissa.is_empty() || !mantissa.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let m: f64 = format!("0.{mantissa}").parse().map_err(|_| bad())?;
        Ok(sign * m * 10f64.powi(exp_sign * (exp_digit - b'0') as i32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISS: &str = "ISS (ZARYA)\n1 25544U 98067A   20194.88612269 -.00002218  00000-0 -31515-4 0  9992\n2 25544  51.6461 221.2784 0001413  89.1723 280.4612 15.49507896236008\n";

    #[test]
    fn parses_three_line_record() {
        let (records, errors) = parse_tle_text(ISS);
        assert!(errors.is_empty(), "{errors:?}");
        let r = &records[0];
        assert_eq!(r.name.as_deref(), Some("ISS (ZARYA)"));
        assert_eq!(r.norad_id, 25544);
        assert_eq!(r.international_designator, "98067A");
        assert!((r.elements.bstar + 0.31515e-4).abs() < 1e-15);
        assert!((r.elements.eccentricity - 0.0001413).abs() < 1e-15);
        assert!((r.elements.mean_motion_rev_per_day - 15.49507896).abs() < 1e-12);
        assert_eq!(r.elements.epoch.iso_millis(), "2020-07-12T21:16:01.000Z");
    }

    #[test]
    fn accepts_two_line_crlf_and_zero_prefixed_names() {
        let two = ISS.lines().skip(1).collect::<Vec<_>>().join("\r\n");
        let (records, errors) = parse_tle_text(&two);
        assert!(errors.is_empty());
        assert_eq!(records[0].name, None);
        let zero = format!("0 ISS (ZARYA)\r\n{}", two);
        let (records, _) = parse_tle_text(&zero);
        assert_eq!(records[0].name.as_deref(), Some("ISS (ZARYA)"));
    }

    #[test]
    fn rejects_bad_records_and_keeps_going() {
        let bad_checksum = ISS.replace("0  9992", "0  9993");
        let text = format!("{bad_checksum}{ISS}");
        let (records, errors) = parse_tle_text(&text);
        assert_eq!(records.len(), 1);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 2);
        assert!(errors[0].reason.contains("checksum"), "{}", errors[0].reason);

        let letters = ISS.replace("51.6461", "51.6x61").replace("236008", "236004");
        let (_, errors) = parse_tle_text(&letters);
        assert!(errors[0].reason.contains("inclination"), "{}", errors[0].reason);

        let short = ISS.replace(" 0  9992", "");
        let (_, errors) = parse_tle_text(&short);
        assert!(errors[0].reason.contains("too short"), "{}", errors[0].reason);
    }

    #[test]
    fn implied_exponent_forms() {
        let f =
            Fields { line: "1 00000U 00000A   00001.00000000  .00000000 +12345-3 -00000+0 0  0000", on_line2: false };
        assert!((f.implied_exponent(45, 52, "x").ok().unwrap() - 0.12345e-3).abs() < 1e-18);
        assert_eq!(f.implied_exponent(54, 61, "x").ok().unwrap(), 0.0);
    }

    #[test]
    fn alpha5_catalogue_numbers() {
        let f = Fields { line: "1 A0001U", on_line2: false };
        assert_eq!(f.norad(3, 7).ok().unwrap(), 100_001);
        let f = Fields { line: "1 Z9999U", on_line2: false };
        assert_eq!(f.norad(3, 7).ok().unwrap(), 339_999);
    }
}
