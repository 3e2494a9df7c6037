#!/usr/bin/env python3
"""Writes synthetic Walker-delta shells as a CelesTrak-style OMM CSV for `orbsim passes`.

The default is the 203,000-satellite mega-constellation workload of the README's
performance table: eleven circular shells from 350 to 1,200 km, mixing the inclinations
filed constellations use (low for population bands, 53° and 70°-ish mid, sun-synchronous
and near-polar for global cover), 200 slots per plane (180 at 600 km). `--scale F` keeps
the layout and multiplies the number of planes (F = 0.1 gives about 20,300 satellites);
`--shells 1,3` keeps some shells only.

Mean motions are two-body for the shell's altitude (WGS72): a synthetic fleet, not the
Kozai mean motion a scenario's `[[fleet.shells]]` computes, so altitudes are within a few
km of the nominal ones.

    python3 tools/walker_omm.py --out /tmp/walker203k.csv
    orbsim passes --tle /tmp/walker203k.csv --stations data/stations/bench100.csv \
        --start 2026-05-31T00:00:00Z --duration 1d --out /tmp/walker203k_passes.csv
"""

import argparse
import math

MU_KM3_S2 = 398600.8  # WGS72
RADIUS_KM = 6378.135

# (altitude km, inclination deg, planes, slots per plane)
SHELLS = [
    (350, 53.0, 120, 200),
    (400, 43.0, 100, 200),
    (450, 97.2, 90, 200),
    (500, 53.0, 100, 200),
    (550, 70.0, 90, 200),
    (600, 33.0, 100, 180),
    (700, 87.9, 80, 200),
    (800, 45.0, 90, 200),
    (900, 60.0, 90, 200),
    (1000, 80.0, 80, 200),
    (1200, 50.0, 85, 200),
]

HEADER = (
    "OBJECT_NAME,OBJECT_ID,EPOCH,MEAN_MOTION,ECCENTRICITY,INCLINATION,RA_OF_ASC_NODE,"
    "ARG_OF_PERICENTER,MEAN_ANOMALY,EPHEMERIS_TYPE,CLASSIFICATION_TYPE,NORAD_CAT_ID,"
    "ELEMENT_SET_NO,REV_AT_EPOCH,BSTAR,MEAN_MOTION_DOT,MEAN_MOTION_DDOT"
)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="OMM CSV file to write")
    parser.add_argument("--epoch", default="2026-05-31T00:00:00.000000", help="element epoch (UTC)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the planes of every shell")
    parser.add_argument("--shells", help="comma-separated shell numbers to keep (1-based)")
    args = parser.parse_args()
    keep = {int(s) for s in args.shells.split(",")} if args.shells else set(range(1, len(SHELLS) + 1))
    norad = 0
    with open(args.out, "w") as out:
        out.write(HEADER + "\n")
        for number, (altitude, inclination, planes, slots) in enumerate(SHELLS, start=1):
            if number not in keep:
                continue
            planes = max(1, round(planes * args.scale))
            a = RADIUS_KM + altitude
            mean_motion = math.sqrt(MU_KM3_S2 / a**3) * 86400.0 / (2.0 * math.pi)
            for plane in range(planes):
                raan = 360.0 * plane / planes
                for slot in range(slots):
                    # Walker phasing F = 1: neighbouring planes are offset by 360°/total.
                    anomaly = (360.0 * slot / slots + 360.0 * plane / (planes * slots)) % 360.0
                    norad += 1
                    name = f"W{altitude}-P{plane:03d}-S{slot:03d}"
                    out.write(
                        f"{name},2026-000A,{args.epoch},{mean_motion:.8f},0.0000001,{inclination:.4f},"
                        f"{raan:.4f},0.0000,{anomaly:.4f},0,U,{norad},999,0,0,0,0\n"
                    )
    print(f"{norad} satellites written to {args.out}")


if __name__ == "__main__":
    main()
