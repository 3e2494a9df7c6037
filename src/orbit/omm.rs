//! CCSDS Orbit Mean-elements Messages in CelesTrak's JSON and CSV layouts (the keys
//! `OBJECT_NAME`, `NORAD_CAT_ID`, `EPOCH`, `MEAN_MOTION`, …). Numbers may be written as
//! JSON numbers or as strings, as CelesTrak does in different vintages.

use super::{ElementRecord, MeanElements, RecordError};
use crate::time::UtcTime;
use crate::units::{RangeValue, check_range};

/// Reads numbers and strings from one OMM record, whichever way it stores them.
trait OmmFields {
    fn text(&self, key: &str) -> Option<String>;

    fn number(&self, key: &str) -> Result<f64, String> {
        let raw = self.text(key).ok_or_else(|| format!("missing {key}"))?;
        raw.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("{key}: {} is not a number", crate::units::quoted(&raw)))
    }

    fn optional_number(&self, key: &str) -> Result<f64, String> {
        match self.text(key) {
            None => Ok(0.0),
            Some(t) if t.trim().is_empty() => Ok(0.0),
            Some(_) => self.number(key),
        }
    }
}

impl OmmFields for serde_json::Map<String, serde_json::Value> {
    fn text(&self, key: &str) -> Option<String> {
        match self.get(key)? {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            serde_json::Value::Null => None,
            other => Some(other.to_string()),
        }
    }
}

struct CsvRow<'a> {
    headers: &'a csv::StringRecord,
    row: &'a csv::StringRecord,
}

impl OmmFields for CsvRow<'_> {
    fn text(&self, key: &str) -> Option<String> {
        let idx = self.headers.iter().position(|h| h.trim() == key)?;
        self.row.get(idx).map(str::to_string)
    }
}

fn record_from(fields: &impl OmmFields, line: usize) -> Result<ElementRecord, String> {
    let epoch_text = fields.text("EPOCH").ok_or("missing EPOCH")?;
    let epoch = UtcTime::parse(&epoch_text).map_err(|e| format!("EPOCH: {e}"))?;
    let norad = fields.number("NORAD_CAT_ID")?;
    if norad < 0.0 || norad.fract() != 0.0 || norad > u32::MAX as f64 {
        return Err(format!("NORAD_CAT_ID: {} is not a catalogue number", norad.show()));
    }
    let elements = MeanElements {
        epoch,
        inclination_deg: fields.number("INCLINATION")?,
        raan_deg: fields.number("RA_OF_ASC_NODE")?,
        eccentricity: fields.number("ECCENTRICITY")?,
        arg_perigee_deg: fields.number("ARG_OF_PERICENTER")?,
        mean_anomaly_deg: fields.number("MEAN_ANOMALY")?,
        mean_motion_rev_per_day: fields.number("MEAN_MOTION")?,
        bstar: fields.optional_number("BSTAR")?,
        mean_motion_dot: fields.optional_number("MEAN_MOTION_DOT")?,
        mean_motion_ddot: fields.optional_number("MEAN_MOTION_DDOT")?,
    };
    check_range(elements.inclination_deg, 0.0..=180.0, "°").map_err(|m| format!("INCLINATION: {m}"))?;
    // Angles as a TLE could carry them (a negative one is tolerated): beyond a turn or two
    // an angle of 1e300° is no angle at all.
    for (key, angle) in [
        ("RA_OF_ASC_NODE", elements.raan_deg),
        ("ARG_OF_PERICENTER", elements.arg_perigee_deg),
        ("MEAN_ANOMALY", elements.mean_anomaly_deg),
    ] {
        check_range(angle, -360.0..=360.0, "°").map_err(|m| format!("{key}: {m}"))?;
    }
    // A TLE's B* field holds less than 1 per Earth radius; larger drag decays any orbit at once.
    check_range(elements.bstar, -1.0..=1.0, " per Earth radius").map_err(|m| format!("BSTAR: {m}"))?;
    if !(0.0..1.0).contains(&elements.eccentricity) {
        return Err(format!("ECCENTRICITY: {} is outside [0, 1)", elements.eccentricity.show()));
    }
    // Positive and below the 100 rev/day a TLE's field can hold (an orbit inside the Earth).
    if !(elements.mean_motion_rev_per_day > 0.0 && elements.mean_motion_rev_per_day < 100.0) {
        return Err(format!("MEAN_MOTION: {} is outside (0, 100) rev/day", elements.mean_motion_rev_per_day.show()));
    }
    Ok(ElementRecord {
        name: fields.text("OBJECT_NAME").map(|s| s.trim().to_string()).filter(|s| !s.is_empty()),
        norad_id: norad as u32,
        international_designator: fields.text("OBJECT_ID").unwrap_or_default(),
        elements,
        line,
    })
}

/// Parses a JSON array of OMM objects (or a single object).
pub fn parse_omm_json(text: &str) -> Result<(Vec<ElementRecord>, Vec<RecordError>), String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("line {}: invalid JSON: {e}", e.line()))?;
    let objects = match value {
        serde_json::Value::Array(items) => items,
        obj @ serde_json::Value::Object(_) => vec![obj],
        _ => return Err("expected a JSON array of OMM objects".into()),
    };
    let lines = top_level_object_lines(text);
    let mut records = Vec::new();
    let mut errors = Vec::new();
    for (i, item) in objects.iter().enumerate() {
        let line = lines.get(i).copied().unwrap_or(1);
        match item.as_object() {
            Some(map) => match record_from(map, line) {
                Ok(r) => records.push(r),
                Err(reason) => errors.push(RecordError { line, reason: format!("OMM record {}: {reason}", i + 1) }),
            },
            None => errors.push(RecordError { line, reason: format!("OMM record {} is not an object", i + 1) }),
        }
    }
    Ok((records, errors))
}

/// Parses CelesTrak's OMM CSV (a header row of OMM keywords, one record per row).
pub fn parse_omm_csv(text: &str) -> Result<(Vec<ElementRecord>, Vec<RecordError>), String> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| format!("unreadable CSV header: {e}"))?.clone();
    for key in ["EPOCH", "MEAN_MOTION", "NORAD_CAT_ID"] {
        if !headers.iter().any(|h| h.trim() == key) {
            return Err(format!("the CSV header has no {key} column"));
        }
    }
    let mut records = Vec::new();
    let mut errors = Vec::new();
    for row in reader.records() {
        match row {
            Ok(row) => {
                let line = row.position().map_or(0, |p| p.line() as usize);
                match record_from(&CsvRow { headers: &headers, row: &row }, line) {
                    Ok(r) => records.push(r),
                    Err(reason) => errors.push(RecordError { line, reason }),
                }
            }
            Err(e) => errors.push(RecordError {
                line: e.position().map_or(0, |p| p.line() as usize),
                reason: format!("unreadable CSV row: {e}"),
            }),
        }
    }
    Ok((records, errors))
}

/// 1-based line numbers where each object of a top-level JSON array starts, so errors can
/// point into the file.
fn top_level_object_lines(text: &str) -> Vec<usize> {
    let mut lines = Vec::new();
    let (mut depth, mut line, mut in_string, mut escaped) = (0usize, 1usize, false, false);
    for c in text.chars() {
        if c == '\n' {
            line += 1;
        }
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' | '[' => {
                if c == '{' && depth <= 1 {
                    lines.push(line);
                }
                depth += 1;
            }
            '}' | ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_with_numbers_or_strings() {
        let text = r#"[{"OBJECT_NAME":"VANGUARD 1","OBJECT_ID":"1958-002B","EPOCH":"2025-02-14T14:36:48.662784",
            "MEAN_MOTION":10.85873516,"ECCENTRICITY":"0.1841322","INCLINATION":34.2493,"RA_OF_ASC_NODE":19.2327,
            "ARG_OF_PERICENTER":100.1057,"MEAN_ANOMALY":281.1229,"NORAD_CAT_ID":"5","BSTAR":0.00035436,
            "MEAN_MOTION_DOT":2.64e-6,"MEAN_MOTION_DDOT":0},
            {"OBJECT_NAME":"BROKEN","EPOCH":"2025-02-14T14:36:48","NORAD_CAT_ID":6}]"#;
        let (records, errors) = parse_omm_json(text).unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].norad_id, 5);
        assert!((records[0].elements.eccentricity - 0.1841322).abs() < 1e-15);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 5);
        assert!(errors[0].reason.contains("record 2: missing"), "{}", errors[0].reason);
    }

    #[test]
    fn csv_rows() {
        let text = "OBJECT_NAME,OBJECT_ID,EPOCH,MEAN_MOTION,ECCENTRICITY,INCLINATION,RA_OF_ASC_NODE,ARG_OF_PERICENTER,MEAN_ANOMALY,EPHEMERIS_TYPE,CLASSIFICATION_TYPE,NORAD_CAT_ID,ELEMENT_SET_NO,REV_AT_EPOCH,BSTAR,MEAN_MOTION_DOT,MEAN_MOTION_DDOT\n\
VANGUARD 1,1958-002B,2020-10-13T04:52:48.472320,10.84869164,.1845686,34.2443,225.5254,162.2516,205.2356,0,U,5,999,21814,-.22483E-4,-1.6E-7,0\n\
BAD,1958-002B,2020-10-13T04:52:48.472320,ten,.1845686,34.2443,225.5254,162.2516,205.2356,0,U,5,999,21814,-.22483E-4,-1.6E-7,0\n";
        let (records, errors) = parse_omm_csv(text).unwrap();
        assert_eq!(records.len(), 1);
        assert!((records[0].elements.bstar + 0.22483e-4).abs() < 1e-15);
        assert_eq!(errors[0].line, 3);
    }
}
