//! CSV tables. Times are ISO-8601 UTC with milliseconds; angles in degrees with three
//! decimals (about 2 m at 1,000 km); durations in seconds with three decimals.
//!
//! Rows are formatted by hand into one reused buffer: the pass table of a large run has
//! hundreds of thousands of rows and generic float formatting would dominate its cost.

use std::io::Write;

use crate::access::Pass;
use crate::contact::{Contact, ContactRecord, Node};
use crate::ground::GroundStation;
use crate::orbit::Satellite;
use crate::time::UtcTime;

pub const PASSES_HEADER: &str =
    "satellite,norad_id,station,aos_utc,tca_utc,los_utc,duration_s,max_elevation_deg,aos_azimuth_deg,los_azimuth_deg";

/// Builds CSV rows into a byte buffer.
#[derive(Default)]
pub struct CsvRow {
    buf: Vec<u8>,
    fields: usize,
}

impl CsvRow {
    fn separate(&mut self) {
        if self.fields > 0 {
            self.buf.push(b',');
        }
        self.fields += 1;
    }

    /// A text field, quoted when it holds a comma, quote or line break.
    pub fn text(&mut self, s: &str) -> &mut Self {
        self.separate();
        if s.contains([',', '"', '\n', '\r']) {
            self.buf.push(b'"');
            self.buf.extend_from_slice(s.replace('"', "\"\"").as_bytes());
            self.buf.push(b'"');
        } else {
            self.buf.extend_from_slice(s.as_bytes());
        }
        self
    }

    pub fn int(&mut self, v: impl Into<i128>) -> &mut Self {
        self.separate();
        let v: i128 = v.into();
        if v < 0 {
            self.buf.push(b'-');
        }
        push_digits(&mut self.buf, v.unsigned_abs() as u64, 1);
        self
    }

    /// An optional integer: empty when absent.
    pub fn opt_int(&mut self, v: Option<impl Into<i128>>) -> &mut Self {
        match v {
            Some(v) => self.int(v),
            None => self.text(""),
        }
    }

    /// A number with a fixed count of decimals (0–9), rounded half away from zero.
    pub fn fixed(&mut self, v: f64, decimals: u32) -> &mut Self {
        self.separate();
        push_fixed(&mut self.buf, v, decimals);
        self
    }

    pub fn time(&mut self, t: UtcTime) -> &mut Self {
        self.separate();
        push_iso_millis(&mut self.buf, t);
        self
    }

    pub fn boolean(&mut self, b: bool) -> &mut Self {
        self.text(if b { "true" } else { "false" })
    }

    /// Ends the row; the next field starts a new one.
    pub fn end_row(&mut self) {
        self.buf.push(b'\n');
        self.fields = 0;
    }

    /// Ends the row and writes everything buffered.
    pub fn finish(&mut self, out: &mut dyn Write) -> std::io::Result<()> {
        self.end_row();
        out.write_all(&self.buf)?;
        self.buf.clear();
        Ok(())
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }
}

fn push_digits(buf: &mut Vec<u8>, mut v: u64, min_width: usize) {
    let mut tmp = [b'0'; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 && tmp.len() - i >= min_width {
            break;
        }
    }
    buf.extend_from_slice(&tmp[i..]);
}

/// Fixed-point formatting without the general float machinery.
pub fn push_fixed(buf: &mut Vec<u8>, v: f64, decimals: u32) {
    if !v.is_finite() || v.abs() >= 1e15 {
        buf.extend_from_slice(format!("{v:.*}", decimals as usize).as_bytes());
        return;
    }
    let decimals = decimals.min(9);
    let scale = 10u64.pow(decimals);
    let scaled = (v.abs() * scale as f64).round() as u64;
    if v < 0.0 && scaled != 0 {
        buf.push(b'-');
    }
    push_digits(buf, scaled / scale, 1);
    if decimals > 0 {
        buf.push(b'.');
        push_digits(buf, scaled % scale, decimals as usize);
    }
}

/// `2026-03-19T04:05:06.789Z`, as [`UtcTime::iso_millis`] but into a buffer.
pub fn push_iso_millis(buf: &mut Vec<u8>, t: UtcTime) {
    let rounded = UtcTime::from_unix_nanos((t.unix_nanos() + 500_000).div_euclid(1_000_000) * 1_000_000);
    let (y, mo, d, h, mi, s, ns) = rounded.to_calendar();
    push_digits(buf, y as u64, 4);
    buf.push(b'-');
    push_digits(buf, mo as u64, 2);
    buf.push(b'-');
    push_digits(buf, d as u64, 2);
    buf.push(b'T');
    push_digits(buf, h as u64, 2);
    buf.push(b':');
    push_digits(buf, mi as u64, 2);
    buf.push(b':');
    push_digits(buf, s as u64, 2);
    buf.push(b'.');
    push_digits(buf, (ns / 1_000_000) as u64, 3);
    buf.push(b'Z');
}

/// Formats rows in parallel and writes them in order, a block at a time so that memory
/// stays bounded however long the table is.
pub fn write_rows_parallel<T: Sync>(
    out: &mut dyn Write,
    rows: &[T],
    format: impl Fn(&mut CsvRow, &T) + Sync,
) -> std::io::Result<()> {
    use rayon::prelude::*;
    for block in rows.chunks(1 << 16) {
        let chunks: Vec<Vec<u8>> = block
            .par_chunks(4096)
            .map(|chunk| {
                let mut row = CsvRow::default();
                for item in chunk {
                    format(&mut row, item);
                    row.end_row();
                }
                row.into_bytes()
            })
            .collect();
        for chunk in chunks {
            out.write_all(&chunk)?;
        }
    }
    out.flush()
}

/// Writes passes in the order given. With `flag_cut`, two more columns say whether the pass
/// was cut by the window's start or end (its AOS or LOS is then the window bound).
pub fn write_passes(
    out: &mut dyn Write,
    passes: &[Pass],
    satellites: &[Satellite],
    stations: &[GroundStation],
    flag_cut: bool,
) -> std::io::Result<()> {
    writeln!(out, "{PASSES_HEADER}{}", if flag_cut { ",cut_start,cut_end" } else { "" })?;
    write_pass_rows(out, passes, satellites, stations, flag_cut)
}

/// Writes the rows of [`write_passes`] without the header (for output written in blocks).
pub fn write_pass_rows(
    out: &mut dyn Write,
    passes: &[Pass],
    satellites: &[Satellite],
    stations: &[GroundStation],
    flag_cut: bool,
) -> std::io::Result<()> {
    write_rows_parallel(out, passes, |row, p| pass_row(row, p, satellites, stations, flag_cut))
}

/// Formats one row of [`write_passes`].
pub fn pass_row(row: &mut CsvRow, p: &Pass, satellites: &[Satellite], stations: &[GroundStation], flag_cut: bool) {
    let sat = &satellites[p.satellite];
    row.text(&sat.name)
        .opt_int(sat.norad_id)
        .text(&stations[p.station].name)
        .time(p.aos)
        .time(p.tca)
        .time(p.los)
        .fixed(p.duration_s(), 3)
        .fixed(p.max_elevation_deg, 3)
        .fixed(p.aos_azimuth_deg, 3)
        .fixed(p.los_azimuth_deg, 3);
    if flag_cut {
        row.boolean(p.cut_start).boolean(p.cut_end);
    }
}

pub const CONTACTS_HEADER: &str =
    "kind,from,to,start_utc,end_utc,duration_s,max_elevation_deg,mean_rate_bps,peak_rate_bps,deliverable_bytes";

/// Writes the contact plan as CSV (see [`CONTACTS_HEADER`]).
pub fn write_contacts(
    out: &mut dyn Write,
    contacts: &[Contact],
    satellites: &[Satellite],
    stations: &[GroundStation],
) -> std::io::Result<()> {
    writeln!(out, "{CONTACTS_HEADER}")?;
    write_rows_parallel(out, contacts, |row: &mut CsvRow, c: &Contact| {
        contact_row(row, &ContactRecord::of(c), satellites, stations)
    })
}

/// Writes contact records as rows of [`write_contacts`], without the header (for output
/// written in blocks).
pub fn write_contact_rows(
    out: &mut dyn Write,
    records: &[ContactRecord],
    satellites: &[Satellite],
    stations: &[GroundStation],
) -> std::io::Result<()> {
    write_rows_parallel(out, records, |row: &mut CsvRow, c: &ContactRecord| contact_row(row, c, satellites, stations))
}

/// Formats one row of [`write_contacts`].
pub fn contact_row(row: &mut CsvRow, c: &ContactRecord, satellites: &[Satellite], stations: &[GroundStation]) {
    let name = |n: Node| match n {
        Node::Station(s) => stations[s as usize].name.as_str(),
        Node::Satellite(s) => satellites[s as usize].name.as_str(),
    };
    row.text(c.kind.label())
        .text(name(c.from))
        .text(name(c.to))
        .time(c.start)
        .time(c.end)
        .fixed(c.end.seconds_since(c.start), 3)
        .fixed(c.max_elevation_deg as f64, 3)
        .fixed(c.mean_rate_bps, 0)
        .int(c.peak_rate_bps)
        .int(c.deliverable_bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_point_matches_std_formatting() {
        for &v in &[0.0, 1.0, -1.5, 123.4565, 359.9996, -0.0004, 0.0005, 86_400.123_456, 1e-9] {
            for d in [0, 1, 3, 6] {
                let mut s = Vec::new();
                push_fixed(&mut s, v, d);
                let s = String::from_utf8(s).unwrap();
                let std = format!("{v:.*}", d as usize);
                let std = if std.starts_with("-") && std.trim_start_matches(['-', '0', '.']).is_empty() {
                    std[1..].to_string()
                } else {
                    std
                };
                assert_eq!(
                    s.parse::<f64>().unwrap(),
                    std.parse::<f64>().unwrap(),
                    "{v} with {d} decimals: {s} vs {std}"
                );
            }
        }
    }

    #[test]
    fn quoting_and_times() {
        let mut row = CsvRow::default();
        let mut out = Vec::new();
        row.text("a,b")
            .text("say \"hi\"")
            .time(UtcTime::parse("2026-03-19T04:05:06.7895Z").unwrap())
            .opt_int(None::<u32>);
        row.finish(&mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "\"a,b\",\"say \"\"hi\"\"\",2026-03-19T04:05:06.790Z,\n");
    }
}
