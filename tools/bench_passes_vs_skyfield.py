#!/usr/bin/env python3
"""Compare orbsim's `passes` throughput with Skyfield's find_events.

Workload (issue 2): N satellites x S stations x D days at a fixed elevation
mask (default 1,000 Starlink x 100 stations x 1 day, 10 deg).  Throughput is
measured in satellite-station-days per second.

* Skyfield: `EarthSatellite.find_events(topos, t0, t1, altitude_degrees=mask)`
  is timed on a seeded random sample of (satellite, station) pairs drawn from
  the same N x S grid.  TLE parsing, timescale and observer construction are
  outside the timing; one untimed warm-up call is made first.  Throughput =
  D / mean(time per pair).
* orbsim: `orbsim passes` on a temporary TLE file holding the first N records,
  timed as whole-process wall time (start-up, parsing, propagation, output),
  median over --repeats runs.  Throughput = N * S * D / median wall time.

The ratio orbsim/Skyfield is printed (target >= 500).  Unless --no-check is
given, the number of passes on the sampled pairs is compared between the two
tools (orbsim's CSV from the last run; pairs that differ only by passes whose
maximum elevation is within 0.1 deg of the mask are counted separately).

Examples:
    python3 tools/bench_passes_vs_skyfield.py
    python3 tools/bench_passes_vs_skyfield.py --skyfield-only --sample-pairs 50
    python3 tools/bench_passes_vs_skyfield.py --tle ../shared/data/tle/celestrak_groups_2026-05-30/starlink.tle \
        --stations data/stations/bench100.csv --orbsim target/release/orbsim
"""

import argparse
import csv
import datetime as dt
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

DAY_S = 86400.0
MARGINAL_DEG = 0.1


def die(msg, code=2):
    print("error: " + msg, file=sys.stderr)
    sys.exit(code)


# ---------------------------------------------------------------------------
# Input readers
# ---------------------------------------------------------------------------

def read_tle_records(path, limit):
    """Return up to `limit` records as (name, line1, line2), 2- or 3-line TLE."""
    try:
        with open(path, "r", encoding="ascii", errors="replace", newline="") as f:
            lines = [ln.rstrip("\r\n") for ln in f]
    except OSError as e:
        die("cannot read TLE file %s: %s" % (path, e))
    lines = [ln for ln in lines if ln.strip()]
    out = []
    i = 0
    while i < len(lines) and len(out) < limit:
        if lines[i].startswith("1 ") and i + 1 < len(lines) and lines[i + 1].startswith("2 "):
            name = lines[i][2:7].strip()
            out.append((name, lines[i], lines[i + 1], None))
            i += 2
        elif (i + 2 < len(lines) and lines[i + 1].startswith("1 ")
              and lines[i + 2].startswith("2 ")):
            name = lines[i][2:] if lines[i].startswith("0 ") else lines[i]
            out.append((name.strip(), lines[i + 1], lines[i + 2], lines[i]))
            i += 3
        else:
            i += 1
    if not out:
        die("no TLE records found in %s" % path)
    return out


def _float(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return None


def read_stations(path, default_mask):
    """CSV name,lat_deg,lon_deg,alt_m[,min_elevation_deg] (extra columns
    ignored, header/comment lines skipped) or GeoJSON point features."""
    if not os.path.exists(path):
        die("stations file %s does not exist (give --stations FILE: CSV "
            "name,lat_deg,lon_deg,alt_m[,min_elevation_deg] or GeoJSON)" % path)
    stations = []
    if path.lower().endswith((".geojson", ".json")):
        with open(path, encoding="utf-8") as f:
            gj = json.load(f)
        for feat in gj.get("features", []):
            geom = feat.get("geometry") or {}
            if geom.get("type") != "Point":
                continue
            c = geom["coordinates"]
            alt = c[2] if len(c) > 2 else 0.0
            name = (feat.get("properties") or {}).get("name", "station%d" % len(stations))
            stations.append((name, float(c[1]), float(c[0]), float(alt), default_mask))
    else:
        with open(path, encoding="utf-8", newline="") as f:
            for row in csv.reader(f):
                if not row or row[0].lstrip().startswith("#"):
                    continue
                if len(row) < 4:
                    die("%s: station row %r has fewer than 4 columns" % (path, row))
                lat, lon, alt = _float(row[1]), _float(row[2]), _float(row[3] or 0)
                if lat is None or lon is None:
                    continue  # header
                mask = _float(row[4]) if len(row) > 4 and row[4].strip() else None
                stations.append((row[0].strip(), lat, lon, alt or 0.0,
                                 default_mask if mask is None else mask))
    if not stations:
        die("no stations found in %s" % path)
    return stations


def parse_start(s):
    try:
        d = dt.datetime.strptime(s.strip().rstrip("Z"), "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        try:
            d = dt.datetime.strptime(s.strip(), "%Y-%m-%d")
        except ValueError:
            die("cannot parse --start %r (use 2026-05-31T00:00:00Z)" % s)
    return d.replace(tzinfo=dt.timezone.utc)


# ---------------------------------------------------------------------------
# Skyfield side
# ---------------------------------------------------------------------------

def count_skyfield_passes(events):
    """Passes from find_events output, counting passes cut by the window."""
    n = 0
    up = False
    for e in events:
        if e == 0:
            n += 1
            up = True
        elif e == 2:
            if not up:
                n += 1  # set with no rise: pass cut by window start
            up = False
        elif e == 1 and not up:
            n += 1      # culmination with no rise: pass cut by window start
            up = True
    return n


def run_skyfield(sats, stations, pairs, start, days):
    from skyfield.api import EarthSatellite, load, wgs84

    ts = load.timescale(builtin=True)
    t0 = ts.from_datetime(start)
    t1 = ts.from_datetime(start + dt.timedelta(days=days))
    sat_objs = {}
    topo_objs = {}
    for i, j in pairs:
        if i not in sat_objs:
            name, l1, l2, _ = sats[i]
            sat_objs[i] = EarthSatellite(l1, l2, name, ts)
        if j not in topo_objs:
            _, lat, lon, alt, _ = stations[j]
            topo_objs[j] = wgs84.latlon(lat, lon, elevation_m=alt)

    # untimed warm-up
    i, j = pairs[0]
    sat_objs[i].find_events(topo_objs[j], t0, t1, altitude_degrees=stations[j][4])

    times = []
    results = {}
    for i, j in pairs:
        sat, topos, mask = sat_objs[i], topo_objs[j], stations[j][4]
        a = time.perf_counter()
        t, ev = sat.find_events(topos, t0, t1, altitude_degrees=mask)
        b = time.perf_counter()
        times.append(b - a)
        results[(i, j)] = (t, list(ev))
    return times, results, sat_objs, topo_objs, (ts, t0, t1)


def marginal_passes(sat, topos, mask, t0, t1):
    """Number of culminations whose elevation is within MARGINAL_DEG of the mask
    (either side): passes the two tools may legitimately disagree on."""
    t, ev = sat.find_events(topos, t0, t1, altitude_degrees=mask - MARGINAL_DEG)
    n = 0
    for k, e in enumerate(ev):
        if e == 1:
            alt = (sat - topos).at(t[k]).altaz()[0].degrees
            if abs(alt - mask) < MARGINAL_DEG:
                n += 1
    return n


# ---------------------------------------------------------------------------
# orbsim side
# ---------------------------------------------------------------------------

def duration_arg(days):
    if abs(days - round(days)) < 1e-12:
        return "%dd" % int(round(days))
    return "%ds" % int(round(days * DAY_S))


def run_orbsim(binary, tle_path, stations_path, start, days, mask, repeats, out_csv):
    cmd = [binary, "passes", "--tle", tle_path, "--stations", stations_path,
           "--start", start.strftime("%Y-%m-%dT%H:%M:%SZ"), "--duration", duration_arg(days),
           "--min-elevation", "%g" % mask, "--out", out_csv, "--quiet"]
    print("orbsim command: " + " ".join(cmd))
    walls = []
    for r in range(repeats):
        a = time.perf_counter()
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        b = time.perf_counter()
        if proc.returncode != 0:
            die("orbsim exited with code %d:\n%s" % (proc.returncode,
                                                     proc.stderr.decode(errors="replace")), 1)
        walls.append(b - a)
        print("  run %d: %.3f s" % (r + 1, b - a))
    return walls


def read_orbsim_csv(path):
    expected = ["satellite", "norad_id", "station", "aos_utc", "tca_utc", "los_utc",
                "duration_s", "max_elevation_deg", "aos_azimuth_deg", "los_azimuth_deg"]
    counts = {}
    with open(path, encoding="utf-8", newline="") as f:
        rd = csv.reader(f)
        header = next(rd, None)
        if header != expected:
            die("orbsim CSV %s: unexpected header %r" % (path, header), 1)
        rows = 0
        for row in rd:
            rows += 1
            key = (int(row[1]), row[2])
            counts[key] = counts.get(key, 0) + 1
    return counts, rows


# ---------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(
        description="Time orbsim passes against Skyfield find_events and print the ratio.",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--tle", default="data/tle/celestrak_2026-05-30/starlink.tle")
    ap.add_argument("--stations", default="data/stations/bench100.csv")
    ap.add_argument("--start", default=None,
                    help="window start, e.g. 2026-05-31T00:00:00Z (default: first 00:00 UTC "
                         "after the median epoch of the satellites used)")
    ap.add_argument("--duration-days", type=float, default=1.0)
    ap.add_argument("--mask", type=float, default=10.0,
                    help="elevation mask, deg (a station's own min_elevation_deg column "
                         "overrides it for the Skyfield side)")
    ap.add_argument("--sats", type=int, default=1000, help="use the first N satellites")
    ap.add_argument("--sample-pairs", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=5, help="orbsim runs (median is used)")
    ap.add_argument("--orbsim", default="target/release/orbsim")
    ap.add_argument("--skyfield-only", action="store_true", help="do not run orbsim")
    ap.add_argument("--no-check", action="store_true", help="skip the pass-count comparison")
    ap.add_argument("--json", default=None, help="also write the results to this JSON file")
    args = ap.parse_args()

    if args.duration_days <= 0:
        die("--duration-days must be positive")
    if args.sats < 1 or args.sample_pairs < 1 or args.repeats < 1:
        die("--sats, --sample-pairs and --repeats must be >= 1")

    binary = None
    if not args.skyfield_only:
        binary = shutil.which(args.orbsim) if os.sep not in args.orbsim else args.orbsim
        if not binary or not os.path.isfile(binary) or not os.access(binary, os.X_OK):
            die("orbsim binary %r not found or not executable; build it with "
                "`cargo build --release` or pass --orbsim PATH (or use --skyfield-only)"
                % args.orbsim)

    sats = read_tle_records(args.tle, args.sats)
    if len(sats) < args.sats:
        print("warning: %s has only %d records (asked for %d)" % (args.tle, len(sats), args.sats),
              file=sys.stderr)
    stations = read_stations(args.stations, args.mask)
    own_masks = sorted({s[4] for s in stations if s[4] != args.mask})
    if own_masks:
        print("warning: some stations carry their own mask %s; Skyfield uses them"
              % own_masks, file=sys.stderr)
    n_sat, n_st, days = len(sats), len(stations), args.duration_days

    if args.start:
        start = parse_start(args.start)
    else:
        from sgp4.api import Satrec
        epochs = sorted(Satrec.twoline2rv(l1, l2).jdsatepoch
                        + Satrec.twoline2rv(l1, l2).jdsatepochF for _, l1, l2, _ in sats)
        med = epochs[len(epochs) // 2]
        d = dt.datetime(2000, 1, 1, 12, tzinfo=dt.timezone.utc) + dt.timedelta(days=med - 2451545.0)
        start = d.replace(hour=0, minute=0, second=0, microsecond=0) + dt.timedelta(days=1)

    rng = random.Random(args.seed)
    total = n_sat * n_st
    k = min(args.sample_pairs, total)
    pairs = sorted((p // n_st, p % n_st) for p in rng.sample(range(total), k))

    print("workload: %d satellites x %d stations x %g day(s), mask %g deg, start %s"
          % (n_sat, n_st, days, args.mask, start.strftime("%Y-%m-%dT%H:%M:%SZ")))
    print("TLE file: %s; stations: %s" % (args.tle, args.stations))

    # --- Skyfield
    print("Skyfield: timing find_events on %d sampled pairs (seed %d) ..." % (k, args.seed))
    times, sky_results, sat_objs, topo_objs, (_, t0, t1) = run_skyfield(sats, stations, pairs, start, days)
    mean_t = statistics.fmean(times)
    med_t = statistics.median(times)
    sky_tput = days / mean_t
    print("Skyfield find_events per pair (%g day): mean %.2f ms, median %.2f ms, min %.2f ms, "
          "max %.2f ms" % (days, mean_t * 1e3, med_t * 1e3, min(times) * 1e3, max(times) * 1e3))
    print("Skyfield per satellite-station-day: %.3f ms (mean)" % (mean_t / days * 1e3))
    print("Skyfield throughput: %.1f satellite-station-days/s" % sky_tput)
    print("Skyfield estimated time for the whole workload: %.0f s"
          % (mean_t * total))

    report = {
        "workload": {"satellites": n_sat, "stations": n_st, "days": days, "mask_deg": args.mask,
                     "start_utc": start.strftime("%Y-%m-%dT%H:%M:%SZ"), "tle": args.tle,
                     "stations_file": args.stations},
        "skyfield": {"sample_pairs": k, "seed": args.seed, "mean_s_per_pair": mean_t,
                     "median_s_per_pair": med_t,
                     "ms_per_satellite_station_day": mean_t / days * 1e3,
                     "sat_station_days_per_s": sky_tput},
    }

    if not args.skyfield_only:
        tmpdir = tempfile.mkdtemp(prefix="orbsim_bench_")
        try:
            tle_path = os.path.join(tmpdir, "first_%d.tle" % n_sat)
            with open(tle_path, "w", encoding="ascii", newline="\n") as f:
                for name, l1, l2, l0 in sats:
                    f.write((l0 if l0 is not None else name) + "\n" + l1 + "\n" + l2 + "\n")
            out_csv = os.path.join(tmpdir, "passes.csv")
            walls = run_orbsim(binary, tle_path, args.stations, start, days, args.mask,
                               args.repeats, out_csv)
            med_w = statistics.median(walls)
            orb_tput = total * days / med_w
            ratio = orb_tput / sky_tput
            print("orbsim wall time: median %.3f s over %d runs (min %.3f s)"
                  % (med_w, len(walls), min(walls)))
            print("orbsim throughput: %.0f satellite-station-days/s" % orb_tput)
            print("RATIO orbsim/Skyfield: %.0fx (target >= 500x): %s"
                  % (ratio, "PASS" if ratio >= 500 else "FAIL"))
            report["orbsim"] = {"binary": binary, "repeats": len(walls), "wall_s": walls,
                                "median_wall_s": med_w, "sat_station_days_per_s": orb_tput}
            report["ratio"] = ratio

            if not args.no_check:
                counts, rows = read_orbsim_csv(out_csv)
                print("orbsim wrote %d passes; comparing pass counts on the %d sampled pairs"
                      % (rows, k))
                agree, marginal, differ = 0, 0, []
                for (i, j) in pairs:
                    name, l1, l2, _ = sats[i]
                    norad = int(l1[2:7])
                    t, ev = sky_results[(i, j)]
                    ns = count_skyfield_passes(ev)
                    no = counts.get((norad, stations[j][0]), 0)
                    if ns == no:
                        agree += 1
                    else:
                        m = marginal_passes(sat_objs[i], topo_objs[j], stations[j][4], t0, t1)
                        if abs(ns - no) <= m:
                            marginal += 1
                        differ.append((name, norad, stations[j][0], ns, no, m))
                print("pass counts: %d/%d pairs agree; %d differ (%d of them involve passes "
                      "within %.1f deg of the mask)" % (agree, k, len(differ), marginal,
                                                        MARGINAL_DEG))
                for name, norad, st, ns, no, m in differ[:20]:
                    print("  %s (%d) @ %s: skyfield %d, orbsim %d, marginal culminations %d"
                          % (name, norad, st, ns, no, m))
                report["check"] = {"pairs": k, "agree": agree, "differ": len(differ),
                                   "differ_marginal": marginal}
        finally:
            shutil.rmtree(tmpdir, ignore_errors=True)

    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
