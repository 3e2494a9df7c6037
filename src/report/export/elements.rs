//! Element sets of generated satellites (Walker shells, formation clusters) as other
//! SGP4 tools read them: CelesTrak-style OMM in JSON, which keeps every element at full
//! `f64` precision, and two-line element sets, whose fixed columns do not.
//!
//! TLE precision: angles carry 4 decimals of a degree (10⁻⁴° is 12 m along a 650 km
//! orbit), eccentricity 7 decimals (10⁻⁷ × 7,028 km = 0.7 m of radial swing) and mean
//! motion 8 decimals of a revolution a day (0.4 m of along-track drift a day). Separations
//! of a few hundred metres in a cluster are therefore good to about 10–20 m in TLE form;
//! use the OMM for metre-level work. Generated satellites have no catalogue number: both
//! formats number them from 1 in file order.

use std::io::Write;

use crate::orbit::tle::checksum;
use crate::orbit::{MeanElements, Satellite};
use crate::time::UtcTime;

/// Writes `satellites` as a JSON array of OMM records (CelesTrak's keys).
pub fn write_omm_json(out: &mut dyn Write, satellites: &[Satellite]) -> std::io::Result<()> {
    let records: Vec<serde_json::Value> = satellites
        .iter()
        .enumerate()
        .map(|(k, sat)| {
            let e = &sat.elements;
            serde_json::json!({
                "OBJECT_NAME": sat.name,
                "OBJECT_ID": sat.cospar_id.clone().unwrap_or_default(),
                "EPOCH": omm_epoch(e.epoch),
                "MEAN_MOTION": e.mean_motion_rev_per_day,
                "ECCENTRICITY": e.eccentricity,
                "INCLINATION": e.inclination_deg,
                "RA_OF_ASC_NODE": e.raan_deg,
                "ARG_OF_PERICENTER": e.arg_perigee_deg,
                "MEAN_ANOMALY": e.mean_anomaly_deg,
                "EPHEMERIS_TYPE": 0,
                "CLASSIFICATION_TYPE": "U",
                "NORAD_CAT_ID": sat.norad_id.unwrap_or(k as u32 + 1),
                "ELEMENT_SET_NO": 999,
                "REV_AT_EPOCH": 0,
                "BSTAR": e.bstar,
                "MEAN_MOTION_DOT": e.mean_motion_dot,
                "MEAN_MOTION_DDOT": e.mean_motion_ddot,
            })
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &records).map_err(std::io::Error::other)?;
    writeln!(out)
}

/// `2026-03-20T00:00:00.000000`: OMM epochs carry no zone and six decimals of a second.
fn omm_epoch(t: UtcTime) -> String {
    let (y, mo, d, h, mi, s, nanos) = t.to_calendar();
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{:06}", nanos / 1000)
}

/// Writes `satellites` as three-line element sets (name, line 1, line 2). Fails for a
/// catalogue number beyond the five digits of the format.
pub fn write_tle(out: &mut dyn Write, satellites: &[Satellite]) -> std::io::Result<()> {
    for (k, sat) in satellites.iter().enumerate() {
        let number = sat.norad_id.unwrap_or(k as u32 + 1);
        if number > 99_999 {
            return Err(std::io::Error::other(format!(
                "{}: catalogue number {number} needs more than five digits",
                sat.name
            )));
        }
        let (line1, line2) = tle_lines(number, &sat.elements);
        writeln!(out, "{}\n{line1}\n{line2}", sat.name)?;
    }
    Ok(())
}

/// The two lines of an element set, with checksums.
fn tle_lines(number: u32, e: &MeanElements) -> (String, String) {
    let (year, ..) = e.epoch.to_calendar();
    let day_of_year = 1.0 + e.epoch.seconds_since(UtcTime::from_calendar(year, 1, 1, 0, 0, 0)) / 86_400.0;
    let first_derivative = format!("{:+.8}", e.mean_motion_dot).replacen("0.", ".", 1).replacen('+', " ", 1);
    let body1 = format!(
        "1 {number:05}U          {:02}{day_of_year:012.8} {first_derivative} {} {} 0  999",
        year.rem_euclid(100),
        implied_exponent(e.mean_motion_ddot),
        implied_exponent(e.bstar),
    );
    let body2 = format!(
        "2 {number:05} {:8.4} {:8.4} {:07} {:8.4} {:8.4} {:11.8}    0",
        e.inclination_deg,
        e.raan_deg.rem_euclid(360.0),
        (e.eccentricity * 1e7).round() as u64,
        e.arg_perigee_deg.rem_euclid(360.0),
        e.mean_anomaly_deg.rem_euclid(360.0),
        e.mean_motion_rev_per_day,
    );
    (format!("{body1}{}", checksum(&body1)), format!("{body2}{}", checksum(&body2)))
}

/// A TLE's `±MMMMM±E` field: mantissa 0.MMMMM with a power-of-ten exponent.
fn implied_exponent(v: f64) -> String {
    if v == 0.0 {
        return " 00000-0".to_string();
    }
    let mut exponent = v.abs().log10().floor() as i32 + 1;
    let mut mantissa = (v.abs() / 10f64.powi(exponent) * 1e5).round() as u64;
    if mantissa >= 100_000 {
        mantissa /= 10;
        exponent += 1;
    }
    let sign = if v < 0.0 { '-' } else { ' ' };
    let exponent_sign = if exponent < 0 { '-' } else { '+' };
    format!("{sign}{mantissa:05}{exponent_sign}{}", exponent.abs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orbit::tle::parse_lines;

    #[test]
    fn tle_round_trips_through_the_parser() {
        let epoch = UtcTime::parse("2026-03-20T06:30:00Z").unwrap();
        let elements = MeanElements {
            epoch,
            inclination_deg: 97.987_654_3,
            raan_deg: 88.123_456,
            eccentricity: 0.001_123_45,
            arg_perigee_deg: 90.5,
            mean_anomaly_deg: 270.25,
            mean_motion_rev_per_day: 14.912_345_678_9,
            bstar: -1.234_5e-4,
            mean_motion_dot: 1.5e-6,
            mean_motion_ddot: 0.0,
        };
        let (l1, l2) = tle_lines(12, &elements);
        assert_eq!(l1.len(), 69, "{l1}");
        assert_eq!(l2.len(), 69, "{l2}");
        let (number, _, parsed) = parse_lines(&l1, &l2).unwrap();
        assert_eq!(number, 12);
        assert!((parsed.epoch.seconds_since(epoch)).abs() < 1e-3);
        assert!((parsed.inclination_deg - 97.9877).abs() < 1e-9);
        assert!((parsed.eccentricity - 0.001_123_5).abs() < 1e-12);
        assert!((parsed.mean_motion_rev_per_day - 14.912_345_68).abs() < 1e-9);
        assert!((parsed.bstar + 1.234_5e-4).abs() < 1e-12);
        assert!((parsed.mean_motion_dot - 1.5e-6).abs() < 1e-12);
    }

    #[test]
    fn omm_keeps_full_precision() {
        let epoch = UtcTime::parse("2026-03-20T00:00:00Z").unwrap();
        let elements = MeanElements {
            epoch,
            inclination_deg: 97.987_654_321_012_3,
            raan_deg: 88.123_456_789_012,
            eccentricity: 0.001_034_567_890_12,
            arg_perigee_deg: 90.000_012_345_678,
            mean_anomaly_deg: 269.999_987_654_321,
            mean_motion_rev_per_day: 14.912_345_678_901_2,
            bstar: 0.0,
            mean_motion_dot: 0.0,
            mean_motion_ddot: 0.0,
        };
        let sat = Satellite::new("CLUSTER-001".into(), None, elements.clone()).unwrap();
        let mut text = Vec::new();
        write_omm_json(&mut text, &[sat]).unwrap();
        let (records, rejected) = crate::orbit::omm::parse_omm_json(std::str::from_utf8(&text).unwrap()).unwrap();
        assert!(rejected.is_empty());
        assert_eq!(records[0].elements, elements);
        assert_eq!(records[0].name.as_deref(), Some("CLUSTER-001"));
    }
}
