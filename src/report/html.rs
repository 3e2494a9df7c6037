//! `report.html`: one self-contained page per run — the scenario, the headline numbers, the
//! tables that matter and every figure as inline SVG. No network, no external files, so
//! it can be mailed or archived as is.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::contacts::{ContactsSummary, SATELLITE_STATS_FILE, STATION_STATS_FILE};
use super::figures::RunFigure;
use super::summary::{RunSummary, node_name};
use super::{WriteError, write_atomically};
use crate::pipeline::RunResult;
use crate::scenario::Scenario;
use crate::time::{UtcTime, format_duration};
use crate::units::Bytes;

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:'DejaVu Sans',Verdana,sans-serif;margin:2em auto;max-width:1240px;color:#222;padding:0 1em}\
h1{font-size:1.6em;margin-bottom:0.2em}h2{font-size:1.25em;margin-top:1.8em;border-bottom:1px solid #ccc}\
.sub{color:#555;margin-top:0}table{border-collapse:collapse;margin:0.6em 0;font-size:0.9em}\
td,th{border:1px solid #ccc;padding:0.25em 0.6em;text-align:right}th{background:#f0f3f6}td.l,th.l{text-align:left}\
.kpi{display:flex;flex-wrap:wrap;gap:1em}.kpi div{border:1px solid #ccd;border-radius:6px;padding:0.6em 1em;min-width:10em}\
.kpi b{display:block;font-size:1.35em}figure{margin:1.2em 0}figure svg{width:100%;height:auto}\
figcaption{color:#555;font-size:0.9em}";

fn time(t: Option<UtcTime>) -> String {
    t.map_or("—".into(), |t| t.iso_millis())
}

/// Writes `report.html` into `dir`.
pub fn write_report(
    dir: &Path,
    scenario: &Scenario,
    result: &RunResult,
    summary: &RunSummary,
    figures: &[RunFigure],
    files: &[PathBuf],
) -> Result<(), WriteError> {
    let page = render(scenario, result, summary, figures, files);
    write_atomically(&dir.join("report.html"), |w| w.write_all(page.as_bytes()))
}

/// The page as a string; its headline numbers are `summary`'s, and it links the run's
/// other `files`.
pub fn render(
    scenario: &Scenario,
    result: &RunResult,
    summary: &RunSummary,
    figures: &[RunFigure],
    files: &[PathBuf],
) -> String {
    let h = &summary.upload;
    let m = &scenario.model;
    let mut p = String::new();
    let _ = write!(
        p,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>orbsim: {name}</title>\
         <meta name=\"viewport\" content=\"width=device-width\"><style>{STYLE}</style></head><body>\n\
         <h1>{name}</h1><p class=\"sub\">{desc}</p>\n",
        name = escape(&scenario.name),
        desc = escape(&scenario.description),
    );
    // Headline numbers.
    let uploads = h.targets > 0;
    let deployed_in = |i: usize| h.time_to_fraction[i].1.map_or("not within the window".into(), format_duration);
    let mut kpis = Vec::new();
    if uploads {
        kpis.extend([
            ("deployed", format!("{} of {}", h.deployed, h.targets)),
            ("90 % deployed after", deployed_in(1)),
            ("100 % deployed after", deployed_in(3)),
            ("ground passes used", h.ground_passes_used.to_string()),
            ("from the ground", Bytes(h.ground_payload_bytes).to_string()),
        ]);
    }
    if h.isl_payload_bytes > 0 {
        kpis.push(("over laser links", Bytes(h.isl_payload_bytes).to_string()));
    }
    if let Some((lo, mid, hi)) = h.passes_used() {
        kpis.push((
            "passes per ground-fed satellite",
            if lo == hi { mid.to_string() } else { format!("{mid} ({lo}–{hi})") },
        ));
    }
    if let Some(inference) = &summary.inference {
        kpis.extend(super::inference::inference_kpis(inference));
    }
    p.push_str("<h2>Headline</h2><div class=\"kpi\">");
    for (label, value) in kpis {
        let _ = write!(p, "<div>{}<b>{}</b></div>", escape(label), escape(&value));
    }
    p.push_str("</div>\n");
    // Scenario.
    p.push_str("<h2>Scenario</h2><table>");
    let rows = [
        ("file", scenario.file.display().to_string()),
        ("window", format!("{} → {}", scenario.start.iso_millis(), scenario.end.iso_millis())),
        ("seed", scenario.seed.to_string()),
        ("satellites", format!("{} ({} targets)", scenario.satellites.len(), h.targets)),
        (
            "ground stations",
            format!("{} ({} antennas)", scenario.stations.len(), scenario.antennas.iter().sum::<u32>()),
        ),
        (
            "uplink",
            format!(
                "{} (acquisition {} s, data from {}°)",
                scenario.uplink.name, scenario.uplink.setup_time_s, scenario.uplink.min_elevation_deg
            ),
        ),
        (
            "model",
            if uploads {
                format!(
                    "{}: {} deployed, {} sent in {} chunks of {} + {} B header",
                    m.name,
                    Bytes(m.size_bytes),
                    Bytes(m.transfer_bytes),
                    m.chunks,
                    Bytes(m.chunk_payload),
                    m.chunk_header
                )
            } else {
                format!("{}: {} preinstalled on board", m.name, Bytes(m.size_bytes))
            },
        ),
        (
            "protocol",
            format!(
                "{:?}, NAK round trip {}, loss {:?}",
                scenario.upload.protocol,
                format_duration(scenario.upload.nak_round_trip_ns),
                scenario.upload.loss
            ),
        ),
        ("scheduling", format!("{:?}", scenario.upload.scheduling)),
        ("rollout", format!("{:?}", scenario.rollout.strategy)),
        ("contact plan", format!("{} passes, {} contacts", summary.contact_plan.passes, summary.contact_plan.contacts)),
        ("engine", format!("{} events", h.events)),
    ];
    // Without an upload its protocol, scheduling and rollout say nothing.
    for (k, v) in rows.into_iter().filter(|(k, _)| uploads || !matches!(*k, "protocol" | "scheduling" | "rollout")) {
        let _ = write!(p, "<tr><th class=\"l\">{}</th><td class=\"l\">{}</td></tr>", escape(k), escape(&v));
    }
    p.push_str("</table>\n");
    // Per-satellite table (first 25 targets).
    let targets: Vec<usize> = (0..scenario.satellites.len()).filter(|&i| scenario.targets[i]).collect();
    if !targets.is_empty() {
        p.push_str("<h2>Satellites</h2><table><tr><th class=\"l\">satellite</th><th>passes</th><th>stations</th><th>first byte</th><th>last chunk</th><th>verified</th><th>deployed</th><th>sent from ground</th><th class=\"l\">copy from</th></tr>");
        for &i in targets.iter().take(25) {
            let s = &result.upload.satellites[i];
            let _ = write!(
                p,
                "<tr><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"l\">{}</td></tr>",
                escape(&scenario.satellites[i].name),
                s.passes_used,
                s.stations_used,
                time(s.first_byte),
                time(s.last_chunk),
                time(s.verified),
                time(s.deployed),
                Bytes(s.total_bytes_sent),
                escape(&s.received_from.map(|n| node_name(scenario, n)).unwrap_or_default()),
            );
        }
        p.push_str("</table>");
        if targets.len() > 25 {
            let _ =
                write!(p, "<p class=\"sub\">First 25 of {} targets; all are in upload_summary.csv.</p>", targets.len());
        }
    }
    if let Some(contacts) = &summary.contacts {
        p.push_str(&contacts_section(contacts));
    }
    // The registered mission models, each with its headline and tables.
    for m in &result.missions {
        let _ = write!(p, "<h2>{}</h2><ul>", escape(m.name));
        for line in &m.headline {
            let _ = write!(p, "<li>{}</li>", escape(line));
        }
        for table in &m.tables {
            let _ = write!(p, "<li><a href=\"{0}\">{0}</a></li>", escape(&table.file));
        }
        p.push_str("</ul>\n");
    }
    // Figures.
    p.push_str("\n<h2>Figures</h2>\n");
    for f in figures {
        let _ = writeln!(
            p,
            "<figure id=\"{name}\">{svg}<figcaption>{title} — <a href=\"{name}.png\">PNG</a>, <a href=\"{name}.svg\">SVG</a></figcaption></figure>",
            name = escape(&f.name),
            svg = strip_xml_prologue(&f.svg),
            title = escape(&f.title),
        );
    }
    // Every file the run wrote, as written: the list cannot miss one.
    let names: Vec<String> = files
        .iter()
        .filter_map(|f| f.file_name())
        .map(|n| format!("<a href=\"{0}\">{0}</a>", escape(&n.to_string_lossy())))
        .collect();
    let _ = writeln!(p, "<h2>Files</h2><p>In this folder, beside this page: {}.</p>", names.join(", "));
    p.push_str(
        "<script>window.addEventListener('load',()=>{document.body.dataset.figures=document.querySelectorAll('figure svg').length;});</script>\n\
         </body></html>\n",
    );
    p
}

/// The "Ground contact" section: the span, the stations' table and the fleet's spread.
fn contacts_section(contacts: &ContactsSummary) -> String {
    let mut p = String::from("<h2>Ground contact</h2>");
    let _ = write!(
        p,
        "<p class=\"sub\">Per station and per satellite {}. All stations in {STATION_STATS_FILE}, all satellites in {SATELLITE_STATS_FILE}.</p>",
        escape(&contacts.span_line())
    );
    p.push_str("<table><tr><th class=\"l\">station</th><th>passes</th><th>passes a day</th><th>contact min a day</th><th>longest gap</th><th>deliverable a day</th></tr>");
    for s in &contacts.stations {
        let r = &s.rates;
        let _ = write!(
            p,
            "<tr><td class=\"l\">{}</td><td>{}</td><td>{:.2}</td><td>{:.1}</td><td>{}</td><td>{}</td></tr>",
            escape(&s.station),
            r.passes,
            r.passes_per_day,
            r.contact_minutes_per_day,
            format_duration((r.longest_gap_s * 1e9) as i64),
            Bytes(r.deliverable_bytes_per_day as u64)
        );
    }
    p.push_str("</table>");
    let f = &contacts.satellites;
    let spreads = [
        ("passes a day", f.passes_per_day.map(|s| [s.min, s.median, s.max].map(|v| format!("{v:.2}")))),
        ("contact min a day", f.contact_minutes_per_day.map(|s| [s.min, s.median, s.max].map(|v| format!("{v:.1}")))),
        ("longest gap", f.longest_gap_s.map(|s| [s.min, s.median, s.max].map(|v| format_duration((v * 1e9) as i64)))),
        (
            "deliverable a day",
            f.deliverable_bytes_per_day.map(|s| [s.min, s.median, s.max].map(|v| Bytes(v as u64).to_string())),
        ),
    ];
    let _ = write!(
        p,
        "<table><tr><th class=\"l\">per satellite ({})</th><th>min</th><th>median</th><th>max</th></tr>",
        f.satellites
    );
    for (label, values) in spreads {
        if let Some([lo, mid, hi]) = values {
            let _ = write!(
                p,
                "<tr><th class=\"l\">{label}</th><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&lo),
                escape(&mid),
                escape(&hi)
            );
        }
    }
    p.push_str("</table>\n");
    p
}

/// Inline SVG must not carry an XML declaration.
fn strip_xml_prologue(svg: &str) -> &str {
    match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => svg,
    }
}
