//! A catalogue's grouping into shells, planes and slots ([`crate::orbit::catalogue`]) as
//! the user checks it: `catalogue_groups.csv` and a console summary.

use std::io::Write;

use super::tables::CsvRow;
use crate::orbit::Satellite;
use crate::orbit::catalogue::{Assignment, CatalogueGrouping, Unassigned};

pub const CATALOGUE_GROUPS_FILE: &str = "catalogue_groups.csv";
pub const CATALOGUE_GROUPS_HEADER: &str = "satellite,norad_id,shell,plane,slot,inclination_deg,altitude_km,epoch_utc,raan_deg,arg_latitude_deg,unassigned_reason";

/// Writes the grouping: the grouped satellites by shell, plane and slot, then the
/// unassigned ones (shell `unassigned`, no plane or slot, and the reason) in fleet order.
/// Node and argument of latitude are at the grouping's common epoch.
pub fn write_catalogue_groups(
    out: &mut dyn Write,
    satellites: &[Satellite],
    grouping: &CatalogueGrouping,
) -> std::io::Result<()> {
    writeln!(out, "{CATALOGUE_GROUPS_HEADER}")?;
    let mut rows: Vec<_> = grouping.satellites.iter().collect();
    rows.sort_by_key(|s| match s.assignment {
        Assignment::Slot { shell, plane, slot } => (0, shell, plane, slot, s.satellite),
        Assignment::Unassigned(_) => (1, 0, 0, 0, s.satellite),
    });
    let mut row = CsvRow::default();
    for s in rows {
        let sat = &satellites[s.satellite];
        row.text(&sat.name).opt_int(sat.norad_id);
        match s.assignment {
            Assignment::Slot { shell, plane, slot } => row.int(shell).int(plane).int(slot),
            Assignment::Unassigned(_) => row.text("unassigned").text("").text(""),
        };
        let p = &s.placement;
        row.fixed(p.inclination_deg, 4)
            .fixed(p.altitude_km, 3)
            .time(grouping.epoch)
            .fixed(p.raan_deg, 4)
            .fixed(p.arg_latitude_deg, 4);
        match s.assignment {
            Assignment::Slot { .. } => row.text(""),
            Assignment::Unassigned(why) => row.text(&why.reason(&grouping.spec)),
        };
        row.finish(out)?;
    }
    Ok(())
}

/// Lines for the console: the totals, one line per shell (planes, satellites per plane),
/// and why the unassigned fell back to range-based links.
pub fn grouping_summary(grouping: &CatalogueGrouping) -> Vec<String> {
    let total = grouping.satellites.len();
    let unassigned: Vec<Unassigned> = (grouping.satellites.iter())
        .filter_map(|s| match s.assignment {
            Assignment::Unassigned(why) => Some(why),
            Assignment::Slot { .. } => None,
        })
        .collect();
    let planes: usize = grouping.shells.iter().map(|s| s.planes.len()).sum();
    let mut lines = vec![format!(
        "catalogue grouping at {}: {} of {total} satellites in {} shell{} of {planes} plane{}; {} unassigned (range-based links)",
        grouping.epoch.iso_millis(),
        total - unassigned.len(),
        grouping.shells.len(),
        if grouping.shells.len() == 1 { "" } else { "s" },
        if planes == 1 { "" } else { "s" },
        unassigned.len()
    )];
    for (k, shell) in grouping.shells.iter().enumerate() {
        let mut sizes: Vec<usize> = shell.planes.iter().map(|p| p.slots.len()).collect();
        sizes.sort_unstable();
        lines.push(format!(
            "  shell {k}: {:.2}°, {:.1} km: {} plane{}, {} satellites, {}–{} a plane (median {})",
            shell.inclination_deg,
            shell.altitude_km,
            sizes.len(),
            if sizes.len() == 1 { "" } else { "s" },
            shell.satellites(),
            sizes[0],
            sizes[sizes.len() - 1],
            sizes[(sizes.len() - 1) / 2]
        ));
    }
    if !unassigned.is_empty() {
        let count = |f: fn(&Unassigned) -> bool| unassigned.iter().filter(|u| f(u)).count();
        let spec = &grouping.spec;
        lines.push(format!(
            "  unassigned: {} in no shell (fewer than {} within ±{}° and ±{} km), {} in planes of fewer than {}, {} in shells with no gap between planes wider than {}°",
            count(|u| *u == Unassigned::NoShell),
            spec.min_per_plane,
            spec.inclination_tolerance_deg,
            spec.altitude_tolerance_km,
            count(|u| matches!(u, Unassigned::SmallPlane { .. })),
            spec.min_per_plane,
            count(|u| *u == Unassigned::NoGap),
            spec.raan_gap_deg
        ));
    }
    lines
}
