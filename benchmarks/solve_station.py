"""The bundled station solved again and again: time to a proven optimum, with 1 and 2 workers.

Each run is a fresh process (`matcher solve`), so no run warms another's caches. Every
roster is checked by the independent checker, and the rosters of one worker count are
compared byte for byte. Prints one row per run and the median per worker count.

    python benchmarks/solve_station.py [--runs 3] [--workers 2 1] [--time-limit 60]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from matcher.check import check_roster
from matcher.scenario import read_scenario

ROOT = Path(__file__).resolve().parents[1]
STATION = ROOT / "scenarios" / "station" / "scenario.yaml"


def run(workers: int, time_limit: float, out: Path) -> dict:
    command = [sys.executable, "-m", "matcher", "solve", str(STATION), "-o", str(out),
               "--workers", str(workers), "--time-limit", f"{time_limit:g}", "--quiet"]
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return {"workers": workers, "wall_s": wall, "solve_s": summary["solve_seconds"],
            "objective": summary["objective"], "bound": summary["bound"],
            "gap": summary["gap"], "status": summary["status"],
            "violations": len(check_roster(read_scenario(STATION), out)),
            "roster": (out / "assignments.csv").read_bytes() + (out / "visits.csv").read_bytes()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 1])
    parser.add_argument("--time-limit", type=float, default=60.0)
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, python "
          f"{platform.python_version()}, time limit {args.time_limit:g} s")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(args.runs):
            for workers in args.workers:  # interleaved, so both see the same machine
                rows.append(run(workers, args.time_limit, Path(tmp) / f"{workers}-{index}"))
    header = (f"{'workers':>7} {'wall s':>7} {'solve s':>8} {'objective':>12} {'bound':>12} "
              f"{'gap':>7} {'status':<10} {'violations':>10}")
    print(header)
    print("-" * len(header))
    for row in rows:
        print(f"{row['workers']:>7} {row['wall_s']:>7.1f} {row['solve_s']:>8.1f} "
              f"{row['objective']:>12,.2f} {row['bound']:>12,.2f} {row['gap']:>7.2%} "
              f"{row['status']:<10} {row['violations']:>10}")
    for workers in args.workers:
        mine = [row for row in rows if row["workers"] == workers]
        same = all(row["roster"] == mine[0]["roster"] for row in mine)
        print(f"{workers} worker(s): median solve {statistics.median(r['solve_s'] for r in mine):.1f} s,"
              f" median wall {statistics.median(r['wall_s'] for r in mine):.1f} s, "
              f"{sum(r['status'] == 'optimal' for r in mine)}/{len(mine)} proven optimal, "
              f"rosters {'byte-identical' if same else 'DIFFER'}")


if __name__ == "__main__":
    main()
