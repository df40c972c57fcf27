"""A 12-point sweep of the bundled district, in this process and on a local Dask cluster.

Sweeps weights.distance_km over 0.5, 1, 2 and weights.churn over 0, 50, 200, 1000 on
scenarios/district/scenario.yaml (1,000 residents, 4,000 volunteers, a current roster),
once serially and once on a `distributed.LocalCluster` of 2 worker processes, and prints
each point's figures, both wall clocks, their ratio, and whether the two tables are equal
(solve seconds apart).

Each solve is limited to 15 s (`--time-limit`) rather than the default 60 s so that the
two sweeps, 24 district solves, take minutes rather than half an hour; the rosters are
those of a 15 s budget, not the best the optimiser finds.

The Dask sweep solves the first point alone (every other point starts from its roster),
then the other 11 two at a time, so on an idle 2-core machine the ratio can approach
12 / (1 + 11 / 2) = 1.8 less the cluster's start-up. A point whose solve is stopped by the
wall clock instead of its step budget (more likely when two solves share a busy machine)
says `time limit` and may differ between the runs; the table shows where.

    python benchmarks/sweep_district.py [--time-limit 15] [--dask-workers 2]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import pandas as pd

from matcher.scenario import read_scenario
from matcher.whatif import sweep

DISTRICT = Path(__file__).resolve().parent.parent / "scenarios" / "district" / "scenario.yaml"
GRID = {"weights.distance_km": [0.5, 1, 2], "weights.churn": [0, 50, 200, 1000]}
SHOWN = ["point", "settings", "coverage", "unmet_visits", "km", "churn", "fairness", "gap",
         "status", "pareto"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--time-limit", type=float, default=15.0)
    parser.add_argument("--dask-workers", type=int, default=2)
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}, time limit {args.time_limit:g} s per solve, "
          f"{args.dask_workers} Dask workers; load average before: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    scenario = read_scenario(DISTRICT)
    walls, tables = {}, {}
    for name, client in (("serial", "serial"), ("dask", None)):
        started = time.perf_counter()
        tables[name] = sweep(scenario, GRID, client=client, n_workers=args.dask_workers,
                             time_limit_s=args.time_limit,
                             progress=lambda line, name=name: print(f"  {name} {line}",
                                                                    flush=True))
        walls[name] = time.perf_counter() - started
    serial, dask = tables["serial"], tables["dask"]
    shown = serial[SHOWN].copy()
    shown["coverage"] = (shown["coverage"] * 100).round(2)
    shown["gap"] = (shown["gap"] * 100).round(1)
    shown["serial s"] = serial["solve_seconds"]
    shown["dask s"] = dask["solve_seconds"]
    shown["dask status"] = dask["status"]
    print()
    print(shown.to_string(index=False, float_format=lambda x: f"{x:,.2f}"))
    print()
    print(f"{'run':<8} {'wall s':>8}")
    print(f"{'serial':<8} {walls['serial']:>8.1f}")
    print(f"{'dask':<8} {walls['dask']:>8.1f}")
    print(f"ratio serial / dask: {walls['serial'] / walls['dask']:.2f}")
    for name, table in tables.items():
        stopped = int((table["status"] == "time limit").sum())
        print(f"{name}: {stopped} of {len(table)} solves stopped by the wall clock before their "
              "step budget ran out")
    try:
        pd.testing.assert_frame_equal(serial.drop(columns="solve_seconds"),
                                      dask.drop(columns="solve_seconds"))
        print("tables identical (solve seconds apart): yes")
    except AssertionError:
        differ = [column for column in serial.columns if column != "solve_seconds"
                  and not serial[column].equals(dask[column])]
        rows = serial.index[(serial[differ].astype(str) != dask[differ].astype(str)).any(axis=1)]
        print(f"tables identical (solve seconds apart): no; columns {', '.join(differ)} "
              f"differ at points {', '.join(str(serial.at[i, 'point']) for i in rows)}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":  # Dask's worker processes import this file; they must not rerun it
    main()
