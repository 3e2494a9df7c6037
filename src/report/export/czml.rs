//! CZML: satellites, ground stations and contacts as a CesiumJS document.
//!
//! The document is a JSON array of packets, written one packet at a time so that memory
//! stays bounded by a batch of satellites however large the fleet:
//!
//! 1. `document`: the clock over the window (60× real time, looping).
//! 2. One packet per satellite, id `sat-{index}-{slug}`: sampled Earth-fixed positions in
//!    metres with Lagrange interpolation, a point, a label and an orbit path.
//! 3. One packet per ground station, id `station-{index}-{slug}`: a fixed
//!    `cartographicDegrees` position (WGS84, height in metres), a point and a label.
//! 4. One packet per contact, id `contact-{index}-{kind}`: a straight line between the two
//!    entities' positions (by reference, so it follows the satellite), shown only during the
//!    contact and coloured by kind.
//!
//! Indices are positions in the slices given to [`write_czml`], so ids are unique even when
//! names repeat, and stable for the same inputs.

use std::io::{self, Write};

use rayon::prelude::*;
use serde_json::{Value, json};

use super::{Ephemeris, Step, slug};
use crate::access::{Pass, Window};
use crate::contact::{Contact, ContactKind, Node};
use crate::ground::GroundStation;
use crate::orbit::Satellite;
use crate::time::{NANOS_PER_SECOND, UtcTime};

/// Satellites sampled together in parallel before their packets are written: enough to keep
/// both cores busy, few enough that a week of 60 s samples stays at a few tens of MB.
const BATCH: usize = 64;
/// Degree of the Lagrange polynomial Cesium interpolates positions with (6 samples). At a
/// 60 s step the error in a LEO position is well under a metre.
const INTERPOLATION_DEGREE: usize = 5;
/// Above this many satellites labels start hidden: thousands of overlapping names make the
/// globe unreadable and slow. Picking an entity still shows its name.
pub const MAX_SHOWN_LABELS: usize = 100;
/// How many times faster than real time the document's clock runs.
pub const CLOCK_MULTIPLIER: f64 = 60.0;

const SATELLITE_RGBA: [u8; 4] = [255, 214, 10, 255];
const STATION_RGBA: [u8; 4] = [60, 220, 120, 255];
const UPLINK_RGBA: [u8; 4] = [255, 140, 0, 255];
const DOWNLINK_RGBA: [u8; 4] = [0, 190, 255, 255];
const ISL_RGBA: [u8; 4] = [230, 60, 230, 255];
const PASS_RGBA: [u8; 4] = [255, 255, 255, 200];

/// A contact as the CZML document needs it: two ends, an interval and a kind for the colour.
///
/// Built from a [`Contact`] of the contact plan, or from a bare [`Pass`] when no link model
/// is involved (then `kind` is `None` and the line is drawn white).
#[derive(Debug, Clone, PartialEq)]
pub struct ContactSpan {
    /// `None` for a visibility window with no link attached (a pass).
    pub kind: Option<ContactKind>,
    /// The sending end; the line is drawn from it. Indexes the satellites or stations given
    /// to [`write_czml`].
    pub from: Node,
    /// The receiving end.
    pub to: Node,
    /// When the line appears (AOS).
    pub start: UtcTime,
    /// When it disappears (LOS).
    pub end: UtcTime,
    /// Highest elevation seen from the station, degrees, when there is a station end.
    pub max_elevation_deg: Option<f64>,
}

impl From<&Contact> for ContactSpan {
    fn from(c: &Contact) -> Self {
        let elevation = c.max_elevation_deg as f64;
        ContactSpan {
            kind: Some(c.kind),
            from: c.from,
            to: c.to,
            start: c.start,
            end: c.end,
            max_elevation_deg: elevation.is_finite().then_some(elevation),
        }
    }
}

impl From<&Pass> for ContactSpan {
    fn from(p: &Pass) -> Self {
        ContactSpan {
            kind: None,
            from: Node::Station(p.station as u32),
            to: Node::Satellite(p.satellite as u32),
            start: p.aos,
            end: p.los,
            max_elevation_deg: Some(p.max_elevation_deg),
        }
    }
}

/// The CZML entity id of satellite `index`: `sat-{index}-{slug of the name}`.
pub fn satellite_entity_id(index: usize, satellite: &Satellite) -> String {
    format!("sat-{index}-{}", slug(&satellite.name))
}

/// The CZML entity id of station `index`: `station-{index}-{slug of the name}`.
pub fn station_entity_id(index: usize, station: &GroundStation) -> String {
    format!("station-{index}-{}", slug(&station.name))
}

/// Writes a CZML document of `satellites` sampled every `step` over `window`, `stations`
/// and `contacts` (whose [`Node`] indices refer to `satellites` and `stations`).
///
/// A satellite that stops propagating (decay, SGP4 failure) keeps the positions sampled
/// before it stopped and is unavailable afterwards. Fails with `InvalidInput` when a
/// contact refers to a satellite or station that is not in the slices, or when the window
/// needs more than [`super::MAX_SAMPLES_PER_SATELLITE`] samples.
pub fn write_czml(
    out: &mut dyn Write,
    satellites: &[Satellite],
    stations: &[GroundStation],
    contacts: &[ContactSpan],
    window: Window,
    step: Step,
) -> io::Result<()> {
    step.check_window(window).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
    let sat_ids: Vec<String> = satellites.iter().enumerate().map(|(i, s)| satellite_entity_id(i, s)).collect();
    let station_ids: Vec<String> = stations.iter().enumerate().map(|(i, s)| station_entity_id(i, s)).collect();
    let node_id = |node: Node| -> io::Result<&str> {
        let found = match node {
            Node::Satellite(i) => sat_ids.get(i as usize),
            Node::Station(i) => station_ids.get(i as usize),
        };
        found.map(String::as_str).ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, format!("a contact refers to {node:?}, which is not exported"))
        })
    };
    // Check every reference before writing anything, so a bad call leaves no half document.
    for c in contacts {
        node_id(c.from)?;
        node_id(c.to)?;
    }

    // CZML epochs are ISO strings, so offsets are taken from the millisecond-rounded epoch
    // actually written, not from the (possibly sub-millisecond) window start.
    let epoch = UtcTime::parse(&window.start.iso_millis()).unwrap_or(window.start);
    let mut packets = PacketWriter::new(out)?;
    packets.write(&document_packet(window))?;
    let show_labels = satellites.len() <= MAX_SHOWN_LABELS;
    for (batch_index, batch) in satellites.chunks(BATCH).enumerate() {
        let sampled: Vec<Ephemeris> = batch.par_iter().map(|sat| Ephemeris::sample(sat, window, step)).collect();
        for (k, (sat, eph)) in batch.iter().zip(&sampled).enumerate() {
            let index = batch_index * BATCH + k;
            packets.write(&satellite_packet(&sat_ids[index], sat, eph, epoch, step, show_labels))?;
        }
    }
    for (station, id) in stations.iter().zip(&station_ids) {
        packets.write(&station_packet(id, station))?;
    }
    for (i, c) in contacts.iter().enumerate() {
        let (from, to) = (node_id(c.from)?, node_id(c.to)?);
        let name_of = |node: Node| match node {
            Node::Satellite(i) => satellites[i as usize].name.as_str(),
            Node::Station(i) => stations[i as usize].name.as_str(),
        };
        packets.write(&contact_packet(i, c, from, to, name_of(c.from), name_of(c.to)))?;
    }
    packets.finish()
}

/// Streams a JSON array one element per line, so a reader can diff or `grep` packets.
struct PacketWriter<'a> {
    out: &'a mut dyn Write,
    first: bool,
}

impl<'a> PacketWriter<'a> {
    fn new(out: &'a mut dyn Write) -> io::Result<Self> {
        out.write_all(b"[\n")?;
        Ok(PacketWriter { out, first: true })
    }

    fn write(&mut self, packet: &Value) -> io::Result<()> {
        if !self.first {
            self.out.write_all(b",\n")?;
        }
        self.first = false;
        serde_json::to_writer(&mut *self.out, packet)?;
        Ok(())
    }

    fn finish(self) -> io::Result<()> {
        self.out.write_all(b"\n]\n")
    }
}

fn document_packet(window: Window) -> Value {
    let (start, end) = (window.start.iso_millis(), window.end.iso_millis());
    json!({
        "id": "document",
        "name": "orbsim",
        "version": "1.0",
        "clock": {
            "interval": format!("{start}/{end}"),
            "currentTime": start,
            "multiplier": CLOCK_MULTIPLIER,
            "range": "LOOP_STOP",
            "step": "SYSTEM_CLOCK_MULTIPLIER",
        },
    })
}

fn satellite_packet(id: &str, sat: &Satellite, eph: &Ephemeris, epoch: UtcTime, step: Step, show_label: bool) -> Value {
    let mut description = match sat.norad_id {
        Some(n) => format!("<p>NORAD {n}</p>"),
        None => "<p>Generated satellite (no catalogue number)</p>".to_string(),
    };
    description.push_str(&format!(
        "<p>Mean elements epoch {}; period {:.1} min; perigee {:.0} km, apogee {:.0} km</p>",
        sat.elements.epoch.iso_millis(),
        sat.elements.period_s() / 60.0,
        sat.elements.perigee_radius_km() - crate::constants::WGS72_RADIUS_KM,
        sat.elements.apogee_radius_km() - crate::constants::WGS72_RADIUS_KM,
    ));
    if let Some(stop) = &eph.stopped {
        description.push_str(&format!(
            "<p>Propagation stopped at {}: {}</p>",
            stop.time.iso_millis(),
            crate::report::html::escape(&stop.reason.to_string())
        ));
    }
    let mut packet = json!({
        "id": id,
        "name": sat.name,
        "description": description,
    });
    let (Some(&first), Some(&last)) = (eph.times.first(), eph.times.last()) else {
        // Nothing to place on the globe: the entity exists (with its description) so that
        // every satellite has a packet, but it has no position and draws nothing.
        return packet;
    };
    let mut cartesian = Vec::with_capacity(eph.len() * 4);
    for (t, r) in eph.times.iter().zip(eph.ecef_positions()) {
        cartesian.push(seconds_value(t.unix_nanos() - epoch.unix_nanos()));
        for km in [r.x, r.y, r.z] {
            // Whole metres: far finer than a TLE's kilometre-level accuracy, and compact.
            cartesian.push(json!((km * 1000.0).round() as i64));
        }
    }
    let half_period_s = (sat.elements.period_s() / 2.0).round();
    let rgba = SATELLITE_RGBA;
    let fields = json!({
        "availability": format!("{}/{}", first.iso_millis(), last.iso_millis()),
        "position": {
            "epoch": epoch.iso_millis(),
            // CZML's FIXED is ITRF. Our Earth-fixed frame is TEME rotated by GMST with
            // UT1 = UTC and no polar motion: within 0.4 km of ITRF, far below TLE error.
            "referenceFrame": "FIXED",
            "interpolationAlgorithm": "LAGRANGE",
            "interpolationDegree": INTERPOLATION_DEGREE.min(eph.len().saturating_sub(1)).max(1),
            "cartesian": cartesian,
        },
        "point": {
            "pixelSize": 6,
            "color": { "rgba": rgba },
            "outlineColor": { "rgba": [0, 0, 0, 255] },
            "outlineWidth": 1,
        },
        "label": {
            "text": sat.name,
            "show": show_label,
            "font": "11pt sans-serif",
            "style": "FILL_AND_OUTLINE",
            "outlineWidth": 2,
            "fillColor": { "rgba": rgba },
            "outlineColor": { "rgba": [0, 0, 0, 255] },
            "horizontalOrigin": "LEFT",
            "pixelOffset": { "cartesian2": [8, 0] },
        },
        "path": {
            "show": true,
            "width": 1,
            "leadTime": half_period_s,
            "trailTime": half_period_s,
            "resolution": step.seconds().max(1.0),
            "material": { "solidColor": { "color": { "rgba": [rgba[0], rgba[1], rgba[2], 128] } } },
        },
    });
    merge(&mut packet, fields);
    packet
}

fn station_packet(id: &str, station: &GroundStation) -> Value {
    let site = station.site;
    let mask = match &station.azimuth_mask {
        Some(mask) => format!("azimuth-dependent, lowest {:.1}°", mask.lowest()),
        None => format!("{:.1}°", station.min_elevation_deg),
    };
    json!({
        "id": id,
        "name": station.name,
        "description": format!(
            "<p>{:.4}°, {:.4}°, {:.0} m</p><p>Elevation mask {}</p>",
            site.lat_deg, site.lon_deg, site.alt_km * 1000.0, mask
        ),
        // Longitude, latitude (degrees) and height above the WGS84 ellipsoid (metres), the
        // ellipsoid Cesium's globe uses.
        "position": { "cartographicDegrees": [site.lon_deg, site.lat_deg, site.alt_km * 1000.0] },
        "point": {
            "pixelSize": 8,
            "color": { "rgba": STATION_RGBA },
            "outlineColor": { "rgba": [0, 0, 0, 255] },
            "outlineWidth": 1,
        },
        "label": {
            "text": station.name,
            "font": "10pt sans-serif",
            "style": "FILL_AND_OUTLINE",
            "outlineWidth": 2,
            "fillColor": { "rgba": STATION_RGBA },
            "outlineColor": { "rgba": [0, 0, 0, 255] },
            "horizontalOrigin": "LEFT",
            "pixelOffset": { "cartesian2": [10, 0] },
        },
    })
}

fn contact_packet(index: usize, c: &ContactSpan, from_id: &str, to_id: &str, from: &str, to: &str) -> Value {
    let (label, rgba) = match c.kind {
        Some(ContactKind::Uplink) => ("uplink", UPLINK_RGBA),
        Some(ContactKind::Downlink) => ("downlink", DOWNLINK_RGBA),
        Some(ContactKind::InterSatellite) => ("isl", ISL_RGBA),
        None => ("pass", PASS_RGBA),
    };
    let mut description = format!(
        "<p>{label}: {} → {}</p><p>{} to {} ({:.0} s)</p>",
        crate::report::html::escape(from),
        crate::report::html::escape(to),
        c.start.iso_millis(),
        c.end.iso_millis(),
        c.end.seconds_since(c.start)
    );
    if let Some(el) = c.max_elevation_deg {
        description.push_str(&format!("<p>Maximum elevation {el:.1}°</p>"));
    }
    json!({
        "id": format!("contact-{index}-{label}"),
        "name": format!("{label}: {from} → {to}"),
        "description": description,
        "availability": format!("{}/{}", c.start.iso_millis(), c.end.iso_millis()),
        "polyline": {
            "positions": { "references": [format!("{from_id}#position"), format!("{to_id}#position")] },
            "width": 2,
            // A straight line of sight, not a curve along the ellipsoid's surface.
            "arcType": "NONE",
            "material": { "solidColor": { "color": { "rgba": rgba } } },
        },
    })
}

/// Seconds as a JSON number: an integer when whole (shorter, and exact).
fn seconds_value(ns: i64) -> Value {
    if ns % NANOS_PER_SECOND == 0 { json!(ns / NANOS_PER_SECOND) } else { json!(ns as f64 / NANOS_PER_SECOND as f64) }
}

fn merge(packet: &mut Value, fields: Value) {
    if let (Value::Object(target), Value::Object(source)) = (packet, fields) {
        target.extend(source);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_are_integers_when_whole() {
        assert_eq!(seconds_value(120 * NANOS_PER_SECOND).to_string(), "120");
        assert_eq!(seconds_value(1_500_000_000).to_string(), "1.5");
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(crate::report::html::escape("<b>A&B</b>"), "&lt;b&gt;A&amp;B&lt;/b&gt;");
    }
}
